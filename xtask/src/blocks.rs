//! Generated blocks in Markdown files: text between
//!
//! ```text
//! <!-- generated: SOURCE -->
//! …
//! <!-- end -->
//! ```
//!
//! is produced by SOURCE and must not be edited by hand. SOURCE is one of
//!
//! * `hsx ARGS…` — the `hsx` binary run with ARGS (split at spaces) from the workspace
//!   root; the block is a `console` code block with `$ hsx ARGS…` and what the command
//!   printed on stdout (its exit code is not shown; an exit code of 2, bad input, is an error);
//! * `first N lines of hsx ARGS…` — the same, keeping the first N lines of stdout and a
//!   last line `…` when there were more;
//! * `file PATH` — the file at PATH (relative to the workspace root) verbatim, in a code
//!   block (`asm` for `.mvasm`);
//! * `isa-table` / `fault-table` — the manual's instruction and fault tables
//!   ([`crate::isa_doc`]);
//! * `ctrl-map` — the RTL's control-register map and command codes (`isa::ctrl`), in
//!   docs/rtl-interface.md.
//!
//! `cargo xtask docs` rewrites every stale block; `cargo xtask docs --check` and the
//! integration test `docs::generated_blocks_are_current` fail on one.
//!
//! **The timing rule.** A line whose first word is `time:` reports wall-clock time, which
//! changes from run to run: a block line and a fresh line that both start with `time:`
//! (after leading blanks) count as equal. No other line is exempt. A block that is equal
//! under this rule is left as it is, so re-running the command does not churn the files.

use std::path::{Path, PathBuf};
use std::process::Command;

const OPEN: &str = "<!-- generated: ";
const OPEN_END: &str = " -->";
const CLOSE: &str = "<!-- end -->";

/// What produces a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `hsx` with these arguments; `first` keeps only that many lines of its stdout.
    Hsx { args: Vec<String>, first: Option<usize> },
    /// A file of the repository, verbatim.
    File(String),
    /// The instruction table from `isa/src/table.rs`.
    IsaTable,
    /// The fault-code table from `isa::fault`.
    FaultTable,
    /// The control-register map and command codes from `isa::ctrl`.
    CtrlMap,
}

impl Source {
    /// Rendered from the `isa` crate alone (no `hsx` run, no file read).
    pub fn is_isa_derived(&self) -> bool {
        matches!(self, Source::IsaTable | Source::FaultTable | Source::CtrlMap)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Hsx { args, first: None } => write!(f, "hsx {}", args.join(" ")),
            Source::Hsx { args, first: Some(n) } => write!(f, "first {n} lines of hsx {}", args.join(" ")),
            Source::File(path) => write!(f, "file {path}"),
            Source::IsaTable => f.write_str("isa-table"),
            Source::FaultTable => f.write_str("fault-table"),
            Source::CtrlMap => f.write_str("ctrl-map"),
        }
    }
}

/// One generated block of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// 1-based line of the opening marker.
    pub line: usize,
    pub source: Source,
    /// Byte range of the block's content (the lines between the markers).
    pub content: std::ops::Range<usize>,
}

/// Errors of the generated-block machinery; each names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("{file}:{line}: {msg}")]
    Syntax { file: String, line: usize, msg: String },
    #[error("{file}:{line}: `{source_text}`: {msg}")]
    Generate { file: String, line: usize, source_text: String, msg: String },
    #[error("{path}: {err}")]
    Io { path: String, err: std::io::Error },
}

/// The blocks of `text` (`file` names it in errors), in order.
pub fn parse(text: &str, file: &str) -> Result<Vec<Block>, DocError> {
    let syntax = |line: usize, msg: String| DocError::Syntax { file: file.to_string(), line, msg };
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Source, usize)> = None;
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        if let Some(rest) = line.trim_start().strip_prefix(OPEN) {
            if let Some((l, ..)) = open {
                return Err(syntax(line_no, format!("a generated block opens inside the one opened on line {l}")));
            }
            let spec = rest
                .strip_suffix(OPEN_END)
                .ok_or_else(|| syntax(line_no, format!("the marker must end with `{}`", OPEN_END.trim())))?;
            open = Some((line_no, parse_source(spec).map_err(|m| syntax(line_no, m))?, offset + raw.len()));
        } else if line.trim() == CLOSE {
            let (l, source, start) =
                open.take().ok_or_else(|| syntax(line_no, "`<!-- end -->` without a generated block".into()))?;
            blocks.push(Block { line: l, source, content: start..offset });
        }
        offset += raw.len();
    }
    if let Some((l, ..)) = open {
        return Err(syntax(l, "generated block without `<!-- end -->`".into()));
    }
    Ok(blocks)
}

fn parse_source(spec: &str) -> Result<Source, String> {
    let mut words: Vec<&str> = spec.split_whitespace().collect();
    let mut first = None;
    if let ["first", n, "lines", "of", ..] = words.as_slice() {
        first = Some(n.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| format!("`{n}`: not a line count"))?);
        words.drain(..4);
        if words.first() != Some(&"hsx") {
            return Err(format!("`{spec}`: `first N lines of` takes an `hsx …` command"));
        }
    }
    match words.as_slice() {
        ["isa-table"] => Ok(Source::IsaTable),
        ["fault-table"] => Ok(Source::FaultTable),
        ["ctrl-map"] => Ok(Source::CtrlMap),
        ["file", path] => {
            if path.starts_with('/') || path.split('/').any(|c| c == "..") {
                return Err(format!("`{path}`: a path inside the repository, relative to its root"));
            }
            Ok(Source::File(path.to_string()))
        }
        ["hsx", args @ ..] if !args.is_empty() => {
            if let Some(w) = args.iter().find(|w| w.contains(['"', '\'', '`', '|', '>', '<', ';', '&', '$'])) {
                return Err(format!("`{w}`: a generated command takes plain arguments (no quoting or shell syntax)"));
            }
            Ok(Source::Hsx { args: args.iter().map(|s| s.to_string()).collect(), first })
        }
        _ => Err(format!(
            "unknown source `{spec}` (expected `hsx ARGS…`, `file PATH`, `isa-table`, `fault-table` or `ctrl-map`)"
        )),
    }
}

/// The content a source produces now. `hsx` is the binary to run, `root` the workspace root
/// (the working directory of the command).
pub fn render(source: &Source, hsx: &Path, root: &Path) -> Result<String, String> {
    match source {
        Source::IsaTable => crate::isa_doc::instruction_table().map_err(|e| e.to_string()),
        Source::FaultTable => Ok(crate::isa_doc::fault_table()),
        Source::CtrlMap => Ok(crate::isa_doc::ctrl_map()),
        Source::File(path) => {
            let text = std::fs::read_to_string(root.join(path)).map_err(|e| format!("reading {path}: {e}"))?;
            let lang = if path.ends_with(".mvasm") { "asm" } else { "text" };
            let mut s = format!("```{lang}\n{text}");
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s.push_str("```\n");
            Ok(s)
        }
        Source::Hsx { args, first } => {
            let out = Command::new(hsx)
                .args(args)
                .current_dir(root)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| format!("running {}: {e}", hsx.display()))?;
            let stdout = String::from_utf8(out.stdout).map_err(|_| "stdout is not UTF-8".to_string())?;
            match out.status.code() {
                Some(0 | 1) => {}
                other => {
                    return Err(format!(
                        "exit status {}: {}",
                        other.map_or("killed".to_string(), |c| c.to_string()),
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                }
            }
            let mut s = format!("```console\n$ hsx {}\n", args.join(" "));
            let lines: Vec<&str> = stdout.lines().collect();
            let keep = first.map_or(lines.len(), |n| n.min(lines.len()));
            for l in &lines[..keep] {
                s.push_str(l);
                s.push('\n');
            }
            if keep < lines.len() {
                s.push_str("…\n");
            }
            s.push_str("```\n");
            Ok(s)
        }
    }
}

/// Is a line wall-clock output (the timing rule)?
fn is_time_line(line: &str) -> bool {
    line.trim_start().starts_with("time:")
}

/// Do two block contents agree under the timing rule? On disagreement, the first differing
/// line of each (1-based line in the block, the documented line, the fresh line).
pub fn compare(documented: &str, fresh: &str) -> Result<(), (usize, String, String)> {
    let mut d = documented.lines();
    let mut f = fresh.lines();
    let mut n = 0;
    loop {
        n += 1;
        match (d.next(), f.next()) {
            (None, None) => return Ok(()),
            (Some(a), Some(b)) if a == b || (is_time_line(a) && is_time_line(b)) => {}
            (a, b) => {
                return Err((n, a.unwrap_or("(end of block)").to_string(), b.unwrap_or("(end of output)").to_string()))
            }
        }
    }
}

/// A block whose content differs from what its source produces now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub file: String,
    pub line: usize,
    pub source: String,
    /// `line N: documented … / now …`.
    pub diff: String,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: generated block `{}` is stale ({})", self.file, self.line, self.source, self.diff)
    }
}

/// Regenerate every block of `text`: the new text and the blocks that were stale.
pub fn refresh(text: &str, file: &str, hsx: &Path, root: &Path) -> Result<(String, Vec<Stale>), DocError> {
    let blocks = parse(text, file)?;
    let mut out = String::with_capacity(text.len());
    let mut stale = Vec::new();
    let mut at = 0;
    for b in blocks {
        let fresh = render(&b.source, hsx, root).map_err(|msg| DocError::Generate {
            file: file.to_string(),
            line: b.line,
            source_text: b.source.to_string(),
            msg,
        })?;
        out.push_str(&text[at..b.content.start]);
        let documented = &text[b.content.clone()];
        match compare(documented, &fresh) {
            Ok(()) => out.push_str(documented),
            Err((n, was, now)) => {
                stale.push(Stale {
                    file: file.to_string(),
                    line: b.line,
                    source: b.source.to_string(),
                    diff: format!("block line {n}: documented `{was}`, now `{now}`"),
                });
                out.push_str(&fresh);
            }
        }
        at = b.content.end;
    }
    out.push_str(&text[at..]);
    Ok((out, stale))
}

/// The Markdown files that may hold generated blocks: `README.md`, `ARCHITECTURE.md`,
/// `CHANGELOG.md` and every `.md` under `docs/`, sorted.
pub fn doc_files(root: &Path) -> Result<Vec<PathBuf>, DocError> {
    let mut files: Vec<PathBuf> =
        ["README.md", "ARCHITECTURE.md", "CHANGELOG.md"].iter().map(|f| root.join(f)).filter(|p| p.is_file()).collect();
    let mut dirs = vec![root.join("docs")];
    while let Some(d) = dirs.pop() {
        let rd = std::fs::read_dir(&d).map_err(|err| DocError::Io { path: d.display().to_string(), err })?;
        for e in rd {
            let p = e.map_err(|err| DocError::Io { path: d.display().to_string(), err })?.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks_and_their_sources() {
        let t = "intro\n<!-- generated: hsx run examples/hello.mvasm -->\nold\n<!-- end -->\n\
                 <!-- generated: isa-table -->\n<!-- end -->\ntail\n";
        let b = parse(t, "x.md").unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].line, 2);
        assert_eq!(b[0].source, Source::Hsx { args: vec!["run".into(), "examples/hello.mvasm".into()], first: None });
        assert_eq!(&t[b[0].content.clone()], "old\n");
        assert_eq!(b[1].source, Source::IsaTable);
        assert_eq!(&t[b[1].content.clone()], "");
    }

    #[test]
    fn malformed_markers_name_file_and_line() {
        let e = |t: &str| parse(t, "d.md").unwrap_err().to_string();
        assert_eq!(e("a\n<!-- generated: isa-table -->\nx\n"), "d.md:2: generated block without `<!-- end -->`");
        assert_eq!(e("<!-- end -->\n"), "d.md:1: `<!-- end -->` without a generated block");
        assert!(e("<!-- generated: make tea -->\n<!-- end -->\n").starts_with("d.md:1: unknown source `make tea`"));
        assert!(e("<!-- generated: hsx run a.mvasm | head -->\n<!-- end -->\n").contains("no quoting or shell syntax"));
        assert!(e("<!-- generated: isa-table -->\n<!-- generated: isa-table -->\n").contains("opens inside"));
        assert!(e("<!-- generated: first x lines of hsx regress -->\n<!-- end -->\n").contains("`x`: not a line count"));
        assert!(
            e("<!-- generated: first 3 lines of isa-table -->\n<!-- end -->\n").contains("takes an `hsx …` command")
        );
        let b = parse("<!-- generated: first 12 lines of hsx regress --seeds 3 -->\n<!-- end -->\n", "d.md").unwrap();
        assert_eq!(
            b[0].source,
            Source::Hsx { args: vec!["regress".into(), "--seeds".into(), "3".into()], first: Some(12) }
        );
        assert_eq!(b[0].source.to_string(), "first 12 lines of hsx regress --seeds 3");
        assert!(e("<!-- generated: file ../etc/passwd -->\n<!-- end -->\n").contains("a path inside the repository"));
        let b = parse("<!-- generated: file examples/hello.mvasm -->\n<!-- end -->\n", "d.md").unwrap();
        assert_eq!(b[0].source, Source::File("examples/hello.mvasm".into()));
    }

    #[test]
    fn time_lines_are_the_only_exemption() {
        assert!(compare("a\n  time: 0.2 s\nb\n", "a\n  time: 0.9 s with 4 jobs\nb\n").is_ok());
        assert_eq!(compare("a\ncount 1\n", "a\ncount 2\n"), Err((2, "count 1".into(), "count 2".into())));
        assert_eq!(compare("a\n", "a\nb\n"), Err((2, "(end of block)".into(), "b".into())));
        assert!(compare("time: 1\n", "times: 1\n").is_err());
    }

    #[test]
    fn refresh_rewrites_only_stale_blocks() {
        let root = std::env::temp_dir();
        let t = "x\n<!-- generated: fault-table -->\nstale\n<!-- end -->\ny\n";
        let (new, stale) = refresh(t, "f.md", Path::new("/nonexistent"), &root).unwrap();
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].line, 2);
        assert!(new.starts_with("x\n<!-- generated: fault-table -->\n| code | name |"));
        assert!(new.ends_with("<!-- end -->\ny\n"));
        let (again, stale) = refresh(&new, "f.md", Path::new("/nonexistent"), &root).unwrap();
        assert_eq!((again, stale.len()), (new, 0));
    }

    #[test]
    fn a_command_that_cannot_run_is_an_error_naming_the_block() {
        let t = "<!-- generated: hsx run x.mvasm -->\n<!-- end -->\n";
        let e = refresh(t, "r.md", Path::new("/nonexistent/hsx"), &std::env::temp_dir()).unwrap_err().to_string();
        assert!(e.starts_with("r.md:1: `hsx run x.mvasm`: running /nonexistent/hsx"), "{e}");
    }
}
