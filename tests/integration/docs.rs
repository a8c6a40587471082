//! The repository documents itself: the reference manual (`docs/manual/`) is the contract,
//! nothing points outside the repository, every `<chapter>.md "Section"` citation and every
//! link inside the manual resolves, the generated blocks of README.md and docs/ are what
//! the tools print now (`cargo xtask docs` rewrites them; xtask/src/blocks.rs has the
//! timing rule), and `hsx --version` names the tool and the Verilator that built its model.

use hsx_tests::{hsx, hsx_bin, root};
use std::path::{Path, PathBuf};
use xtask::blocks;

/// The manual's chapters that code and docs cite as `<name>.md "Section"`.
const CHAPTERS: &[&str] = &["isa", "context", "scheduler", "executive", "hardware", "cli"];

/// Every text file of the repository that a reader or a tool could follow (sources,
/// docs, scripts, RTL, manifests), skipping build output and traces.
fn repo_text_files() -> Vec<PathBuf> {
    let root = root();
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("dir entry").path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                if !(name == ".git" || name.starts_with("target") || name == "traces") {
                    dirs.push(p);
                }
            } else if std::fs::read(&p).is_ok_and(|b| std::str::from_utf8(&b).is_ok()) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

#[test]
fn nothing_points_outside_the_repository_for_the_contract() {
    let this = root().join("tests/integration/docs.rs");
    let needle = ["shared", "spec"].join("/");
    let mut hits = Vec::new();
    for p in repo_text_files() {
        if p == this {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains(&needle) {
                hits.push(format!("{}:{}: {}", rel(&p), i + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "these lines refer to the spec outside the repository; point them into docs/manual/ instead:\n{}",
        hits.join("\n")
    );
}

/// The headings of a Markdown file and the bold lead-ins of its paragraphs and list items
/// (`**Retire port.**`), without the `#`s and `**`.
fn section_names(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut names = Vec::new();
    for line in text.lines() {
        let mut t = line.trim_start();
        if t.starts_with('#') {
            names.push(t.trim_start_matches('#').trim().to_string());
            continue;
        }
        // A list item's marker (`- `, `* `, `3. `) comes before its bold lead-in.
        if let Some(r) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            t = r;
        } else if let Some((n, r)) = t.split_once(". ") {
            if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) {
                t = r;
            }
        }
        if let Some(rest) = t.strip_prefix("**") {
            if let Some(end) = rest.find("**") {
                names.push(rest[..end].trim_end_matches(['.', ':']).to_string());
            }
        }
    }
    names
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_chapter_citation_names_a_section_that_exists() {
    let root = root();
    let mut bad = Vec::new();
    let mut seen = 0;
    for p in repo_text_files() {
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, line) in text.lines().enumerate() {
            for chapter in CHAPTERS {
                let pat = format!("{chapter}.md \"");
                let mut from = 0;
                while let Some(at) = line[from..].find(&pat) {
                    let start = from + at;
                    let after = start + pat.len();
                    from = after;
                    let Some(len) = line[after..].find('"') else { continue };
                    let section = &line[after..after + len];
                    // With a `docs/` in front the citation names the implementation notes, not the manual.
                    let before = &line[..start];
                    let file = if before.ends_with("docs/") {
                        root.join("docs").join(format!("{chapter}.md"))
                    } else {
                        root.join("docs/manual").join(format!("{chapter}.md"))
                    };
                    seen += 1;
                    if !section_names(&file).iter().any(|n| n.starts_with(section)) {
                        bad.push(format!(
                            "{}:{}: {chapter}.md \"{section}\" ({} has no such section)",
                            rel(&p),
                            i + 1,
                            rel(&file)
                        ));
                    }
                }
            }
        }
    }
    assert!(seen > 20, "only {seen} citations found: is the scan broken?");
    assert!(bad.is_empty(), "citations of sections that do not exist:\n{}", bad.join("\n"));
}

#[test]
fn links_inside_the_manual_resolve() {
    let dir = root().join("docs/manual");
    let mut bad = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for p in files.iter().filter(|p| p.extension().is_some_and(|x| x == "md")) {
        let text = std::fs::read_to_string(p).unwrap();
        for (i, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("](") {
                let tail = &rest[at + 2..];
                let Some(end) = tail.find(')') else { break };
                let target = &tail[..end];
                rest = &tail[end..];
                if target.starts_with("http") {
                    continue;
                }
                let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
                let path = if file.is_empty() { p.clone() } else { dir.join(file) };
                if !path.exists() {
                    bad.push(format!("{}:{}: {target}: no such file", rel(p), i + 1));
                } else if !anchor.is_empty()
                    && path.extension().is_some_and(|x| x == "md")
                    && !section_names(&path).iter().any(|h| slug(h) == anchor)
                {
                    bad.push(format!("{}:{}: {target}: no heading with anchor #{anchor}", rel(p), i + 1));
                }
            }
        }
    }
    assert!(bad.is_empty(), "broken links in the manual:\n{}", bad.join("\n"));
}

#[test]
fn the_manual_tables_are_generated_from_the_isa_crate() {
    let path = root().join("docs/manual/isa.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let found = blocks::parse(&text, "docs/manual/isa.md").unwrap();
    for want in [blocks::Source::IsaTable, blocks::Source::FaultTable] {
        assert!(found.iter().any(|b| b.source == want), "docs/manual/isa.md lost its `{want}` block");
    }
    // Every opcode of the table is in the manual with its number.
    for r in isa::TABLE {
        assert!(text.contains(&format!("| 0x{:02X} | {} |", r.opcode as u8, r.mnemonic)), "{} missing", r.mnemonic);
    }
}

#[test]
fn generated_blocks_are_what_the_tools_print_now() {
    let root = root();
    let mut stale = Vec::new();
    let mut count = 0;
    for path in blocks::doc_files(&root).unwrap() {
        let name = rel(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        count += blocks::parse(&text, &name).unwrap_or_else(|e| panic!("{e}")).len();
        let (_, s) = blocks::refresh(&text, &name, hsx_bin(), &root).unwrap_or_else(|e| panic!("{e}"));
        stale.extend(s.iter().map(|s| s.to_string()));
    }
    assert!(count >= 8, "only {count} generated blocks found: README.md or the manual lost its markers");
    assert!(stale.is_empty(), "stale generated blocks (run `cargo xtask docs` and commit):\n{}", stale.join("\n"));
}

/// The first line `verilator --version` prints, for the Verilator the build script uses.
fn verilator_version() -> String {
    let bin = match std::env::var_os("VERILATOR_ROOT") {
        Some(r) if !r.is_empty() && Path::new(&r).join("bin/verilator").is_file() => {
            Path::new(&r).join("bin/verilator")
        }
        _ => PathBuf::from("verilator"),
    };
    let out = std::process::Command::new(&bin).arg("--version").output().expect("running verilator --version");
    String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").trim().to_string()
}

#[test]
fn version_names_the_tool_and_the_verilator_that_built_the_model() {
    let v = hsx(&["--version"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    let want = format!("hsx {}\nRTL model: verilated by {}\n", env!("CARGO_PKG_VERSION"), verilator_version());
    assert_eq!(v.stdout, want);
    assert!(verilator_version().starts_with("Verilator 5"), "{}", verilator_version());
    assert_eq!(hsx(&["-V"]).stdout, want);
    // The version is the one the CHANGELOG releases, and there is a place for what is next.
    let log = std::fs::read_to_string(root().join("CHANGELOG.md")).unwrap();
    assert!(log.contains("## [Unreleased]"), "CHANGELOG.md has no [Unreleased] section");
    assert!(
        log.contains(&format!("## [{}]", env!("CARGO_PKG_VERSION"))),
        "CHANGELOG.md has no section for version {}",
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn a_stale_block_is_reported_with_its_file_and_line() {
    // The check is only worth something if it fails: an edited tool output is caught.
    let root = root();
    let text = std::fs::read_to_string(root.join("README.md")).unwrap();
    let b = blocks::parse(&text, "README.md").unwrap();
    let first = b.iter().find(|b| matches!(b.source, blocks::Source::Hsx { .. })).expect("README has a generated run");
    let mut edited = text.clone();
    let content = &text[first.content.clone()];
    let line = content.lines().nth(2).expect("a generated block with output");
    edited.replace_range(first.content.clone(), &content.replacen(line, &format!("{line} (edited)"), 1));
    let (fixed, stale) = blocks::refresh(&edited, "README.md", hsx_bin(), &root).unwrap();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0].line, first.line);
    assert!(stale[0].to_string().starts_with(&format!("README.md:{}: generated block `", first.line)));
    // Refreshing restores the generated text (its `time:` line is a new measurement).
    assert_eq!(blocks::compare(&fixed, &text), Ok(()));
    assert!(!fixed.contains("(edited)"));
}
