//! Directed cases of `hsx regress`: the shipped examples, and every
//! `tests/programs/**/*.mvasm` with a `; cosim:` header (docs/regress.md).
//!
//! The header convention: among the comment lines at the top of the file (before the first
//! line that is neither blank nor a `;` comment), each line
//!
//! ```text
//! ; cosim: SPEC… [--slice N] [--stack-size N] [--ticks-per-ms N] [--max-steps N] [--no-protect]
//! ```
//!
//! is one case. A SPEC is `@LABEL` (this file at that entry), `.` (this file at its default
//! entry) or `PATH[@ENTRY]` relative to the file's directory. No SPEC means `.`. Several
//! header lines give several cases, named `<stem>`, `<stem>-2`, …

use super::RegressError;
use crate::harness::case::Settings;
use crate::program::parse_num;
use std::path::{Path, PathBuf};

/// One directed case before its files are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directed {
    pub name: String,
    pub specs: Vec<String>,
    pub settings: Settings,
}

/// A parsed `; cosim:` line: SPEC tokens as written, and the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub specs: Vec<String>,
    pub settings: Settings,
}

/// The `; cosim:` headers of a source (1-based line numbers with each), or an error
/// `line: message`.
pub fn parse_headers(src: &str) -> Result<Vec<(usize, Header)>, String> {
    let mut out = vec![];
    for (i, line) in src.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some(comment) = t.strip_prefix(';') else { break };
        let Some(rest) = comment.trim_start().strip_prefix("cosim:") else { continue };
        let h = parse_header(rest).map_err(|e| format!("{}: {e}", i + 1))?;
        out.push((i + 1, h));
    }
    Ok(out)
}

/// Parse the part after `cosim:`.
pub fn parse_header(s: &str) -> Result<Header, String> {
    let mut settings = Settings::default();
    let mut specs = vec![];
    let mut toks = s.split_whitespace();
    while let Some(t) = toks.next() {
        let mut num = |opt: &str| -> Result<u64, String> {
            let v = toks.next().ok_or_else(|| format!("{opt} needs a value"))?;
            parse_num(v).ok_or_else(|| format!("{opt}: `{v}` is not a number"))
        };
        match t {
            "--slice" => {
                let v = num(t)?;
                settings.slice = u32::try_from(v).ok().filter(|&v| v >= 1).ok_or("--slice must be 1..2^32")?;
            }
            "--stack-size" => {
                let v = num(t)?;
                settings.stack_size = u32::try_from(v)
                    .ok()
                    .filter(|v| v % 4 == 0 && *v >= 16)
                    .ok_or("--stack-size must be a multiple of 4, at least 16")?;
            }
            "--ticks-per-ms" => {
                let v = num(t)?;
                if v == 0 {
                    return Err("--ticks-per-ms must be at least 1".into());
                }
                settings.ticks_per_ms = v;
            }
            "--max-steps" => settings.max_steps = num(t)?,
            "--no-protect" => settings.protect = false,
            o if o.starts_with("--") => return Err(format!("unknown option `{o}`")),
            spec => specs.push(spec.to_string()),
        }
    }
    if specs.is_empty() {
        specs.push(".".into());
    }
    if specs.len() > isa::DEFAULT_N_TASKS {
        return Err(format!("{} SPECs; at most {}", specs.len(), isa::DEFAULT_N_TASKS));
    }
    Ok(Header { specs, settings })
}

/// Resolve a header SPEC token against the file it was found in.
pub fn resolve_spec(file: &Path, tok: &str) -> String {
    if tok == "." {
        file.display().to_string()
    } else if let Some(label) = tok.strip_prefix('@') {
        format!("{}@{label}", file.display())
    } else {
        let dir = file.parent().unwrap_or(Path::new(""));
        dir.join(tok).display().to_string()
    }
}

/// The shipped examples (fixed list), relative to `root`.
fn examples(root: &Path) -> Vec<Directed> {
    let ex = |f: &str| root.join("examples").join(f).display().to_string();
    let st = Settings::default();
    vec![
        Directed { name: "hello".into(), specs: vec![ex("hello.mvasm")], settings: st },
        Directed {
            name: "demo".into(),
            specs: vec![format!("{}@producer", ex("demo.mvasm")), format!("{}@consumer", ex("demo.mvasm"))],
            settings: st,
        },
        Directed {
            name: "sleep".into(),
            specs: vec![format!("{}@sleeper", ex("sleep.mvasm")), format!("{}@waiter", ex("sleep.mvasm"))],
            settings: Settings { ticks_per_ms: 10, ..st },
        },
        Directed {
            name: "overflow".into(),
            specs: vec![format!("{}@deep", ex("overflow.mvasm")), format!("{}@worker", ex("overflow.mvasm"))],
            settings: st,
        },
    ]
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), RegressError> {
    let rd = std::fs::read_dir(dir).map_err(|source| RegressError::Io { path: dir.display().to_string(), source })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "mvasm") {
            out.push(p);
        }
    }
    Ok(())
}

/// All directed cases under `root` (normally the current directory), in a fixed order:
/// the examples, then the headed test programs sorted by path. Returns warnings too
/// (examples/ missing: no directed cases at all).
pub fn discover(root: &Path) -> Result<(Vec<Directed>, Vec<String>), RegressError> {
    let mut warnings = vec![];
    if !root.join("examples").is_dir() {
        warnings.push(format!(
            "{}: no examples/ directory here; skipping the directed cases (run from the repository root)",
            root.display()
        ));
        return Ok((vec![], warnings));
    }
    let mut cases = examples(root);
    let progs = root.join("tests").join("programs");
    if progs.is_dir() {
        let mut files = vec![];
        walk(&progs, &mut files)?;
        for f in files {
            let src = std::fs::read(&f).map_err(|source| RegressError::Io { path: f.display().to_string(), source })?;
            let text = String::from_utf8_lossy(&src);
            let headers = parse_headers(&text).map_err(|e| RegressError::Invalid(format!("{}:{e}", f.display())))?;
            // A host script (`; cosim-host:`) is checked now too: bad input before any case runs.
            if !headers.is_empty() {
                crate::harness::host_script::HostScript::parse(&text, &f.display().to_string())
                    .map_err(|e| RegressError::Invalid(e.to_string()))?;
            }
            let rel = f.strip_prefix(&progs).unwrap_or(&f).with_extension("");
            let stem: String =
                rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("-");
            for (k, (_, h)) in headers.iter().enumerate() {
                let name = if k == 0 { stem.clone() } else { format!("{stem}-{}", k + 1) };
                cases.push(Directed {
                    name,
                    specs: h.specs.iter().map(|t| resolve_spec(&f, t)).collect(),
                    settings: h.settings,
                });
            }
        }
    } else {
        warnings.push(format!("{}: no tests/programs/ directory; only the examples run", root.display()));
    }
    Ok((cases, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_with_specs_and_options() {
        let src = "; prog.mvasm — something\n; cosim: @a @b --slice 2 --ticks-per-ms 10 --stack-size 0x100 --no-protect --max-steps 5000\n; cosim:\n  .text\n; cosim: @late\n";
        let hs = parse_headers(src).unwrap();
        assert_eq!(hs.len(), 2, "a header after the first code line is ignored");
        let (line, h) = &hs[0];
        assert_eq!(*line, 2);
        assert_eq!(h.specs, vec!["@a", "@b"]);
        assert_eq!(
            h.settings,
            Settings { slice: 2, stack_size: 0x100, protect: false, ticks_per_ms: 10, max_steps: 5000 }
        );
        assert_eq!(hs[1].1.specs, vec!["."]);
        assert_eq!(hs[1].1.settings, Settings::default());
    }

    #[test]
    fn header_errors_name_the_line() {
        assert_eq!(parse_headers("; cosim: --slice 0\n").unwrap_err(), "1: --slice must be 1..2^32");
        assert!(parse_headers(";\n; cosim: --bogus\n").unwrap_err().starts_with("2: unknown option"));
        assert!(parse_headers("; cosim: --stack-size 18\n").is_err());
        assert!(parse_headers("; cosim: --ticks-per-ms\n").unwrap_err().contains("needs a value"));
        assert!(parse_header("@1 @2 @3 @4 @5 @6 @7 @8 @9").is_err());
        assert!(parse_headers("; no header here\n").unwrap().is_empty());
    }

    #[test]
    fn specs_resolve_against_the_file() {
        let f = Path::new("tests/programs/x/p.mvasm");
        assert_eq!(resolve_spec(f, "@main"), "tests/programs/x/p.mvasm@main");
        assert_eq!(resolve_spec(f, "."), "tests/programs/x/p.mvasm");
        assert_eq!(resolve_spec(f, "q.mvasm@go"), "tests/programs/x/q.mvasm@go");
    }

    #[test]
    fn discover_without_examples_warns() {
        let dir = std::env::temp_dir().join(format!("hsx-regress-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cases, warns) = discover(&dir).unwrap();
        assert!(cases.is_empty());
        assert_eq!(warns.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn discover_finds_headed_programs() {
        let dir = std::env::temp_dir().join(format!("hsx-regress-tree-{}", std::process::id()));
        let progs = dir.join("tests/programs/sub");
        std::fs::create_dir_all(&progs).unwrap();
        std::fs::create_dir_all(dir.join("examples")).unwrap();
        std::fs::write(progs.join("a.mvasm"), "; cosim: @x @y --slice 3\n; cosim: .\n.text\n").unwrap();
        std::fs::write(dir.join("tests/programs/plain.mvasm"), "; nothing\n.text\n").unwrap();
        let (cases, warns) = discover(&dir).unwrap();
        assert!(warns.is_empty());
        assert_eq!(cases.len(), 4 + 2);
        assert_eq!(cases[4].name, "sub-a");
        assert_eq!(cases[4].settings.slice, 3);
        assert!(cases[4].specs[1].ends_with("sub/a.mvasm@y"), "{:?}", cases[4].specs);
        assert_eq!(cases[5].name, "sub-a-2");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
