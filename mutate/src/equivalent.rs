//! Argued equivalent mutants (`rtl/mutants/equivalent.toml`): automatic mutants that no
//! program can expose, each with the argument why, written by a person after triage
//! (docs/mutation.md). A campaign counts a survivor that matches an entry as equivalent
//! *by argument* (kept apart from a Yosys proof in the report and the score line).
//!
//! An entry names the mutant by what does not move when the RTL is edited elsewhere: the
//! file, the source line's text and the change (`auto-N` numbers shift with every edit).
//! An entry whose line no longer occurs in its file is stale: [`check_stale`] reports it,
//! so an argument never silently outlives the code it was about.

use crate::catalogue::{check_keys, string, tables};
use crate::Error;

/// One argued equivalent mutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argued {
    /// File name inside `rtl/` (`hsx_div.sv`).
    pub file: String,
    /// The text of the mutated source line (compared whitespace-insensitively).
    pub line_text: String,
    /// The change, as reports show it (`constant \`5'd0\` -> \`5'd1\``).
    pub change: String,
    /// Why no program can tell the mutant from the original.
    pub why: String,
    /// Line of the `[[equivalent]]` header in the catalogue.
    pub line: usize,
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Argued {
    /// Whether this entry is the mutant at `file`, whose source line reads `source_line`,
    /// with change `change`.
    pub fn matches(&self, file: &str, source_line: &str, change: &str) -> bool {
        self.file == file && self.change == change && words(&self.line_text) == words(source_line)
    }
}

/// Parse the list. `path` only names the file in errors.
pub fn parse(path: &str, text: &str) -> Result<Vec<Argued>, Error> {
    let err = |line: usize, msg: String| Error::Catalogue { path: path.to_string(), line, msg };
    let mut out = Vec::new();
    for t in &tables(path, text, &["equivalent"])? {
        check_keys(path, t, &["file", "line", "change", "why"])?;
        let string = |k: &str| -> Result<String, Error> {
            let s = string(path, t, k)?;
            if s.trim().is_empty() {
                let l = t.2.iter().find(|(key, _, _)| key == k).map_or(t.1, |(_, _, l)| *l);
                return Err(err(l, format!("`{k}` must be a non-empty string")));
            }
            Ok(s.trim().to_string())
        };
        out.push(Argued {
            file: string("file")?,
            line_text: string("line")?,
            change: string("change")?,
            why: string("why")?,
            line: t.1,
        });
    }
    Ok(out)
}

/// The first entry whose `line` occurs in no line of its file (`read(file)`: the file's
/// text, `None` when it does not exist), as an error naming the entry.
pub fn check_stale(path: &str, list: &[Argued], read: &dyn Fn(&str) -> Option<String>) -> Result<(), Error> {
    for a in list {
        let found = read(&a.file).is_some_and(|t| t.lines().any(|l| words(l) == words(&a.line_text)));
        if !found {
            return Err(Error::Catalogue {
                path: path.to_string(),
                line: a.line,
                msg: format!(
                    "stale entry: no line of rtl/{} reads `{}`; re-check the argument against today's RTL and re-fit or remove it",
                    a.file, a.line_text
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
# comment
[[equivalent]]
file = "hsx_div.sv"
line = '''      cnt_q  <= 5'd0;'''
change = "constant `5'd0` -> `5'd1`"
why = "read only with busy_q"
"#;

    #[test]
    fn parses_and_matches_whitespace_insensitively() {
        let l = parse("equivalent.toml", OK).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].line, 3);
        assert!(l[0].matches("hsx_div.sv", "cnt_q <= 5'd0;", "constant `5'd0` -> `5'd1`"));
        assert!(!l[0].matches("hsx_div.sv", "cnt_q <= 5'd0;", "constant `5'd0` -> `5'd2`"));
        assert!(!l[0].matches("hsx_fpu.sv", "cnt_q <= 5'd0;", "constant `5'd0` -> `5'd1`"));
        assert!(!l[0].matches("hsx_div.sv", "busy_q <= 5'd0;", "constant `5'd0` -> `5'd1`"));
    }

    #[test]
    fn bad_entries_name_their_line() {
        let e = parse("eq.toml", "[[equivalent]]\nfile = \"a.sv\"\nline = \"x\"\nchange = \"c\"\n").unwrap_err();
        assert_eq!(e.to_string(), "eq.toml:1: [[equivalent]] has no `why`");
        let e = parse("eq.toml", "[[equivalent]]\nfile = \"a.sv\"\nwhere = 3\n").unwrap_err();
        assert!(e.to_string().starts_with("eq.toml:3: unknown key `where`"), "{e}");
        let e = parse("eq.toml", "[[mutant]]\n").unwrap_err();
        assert!(e.to_string().contains("expected [[equivalent]]"), "{e}");
    }

    #[test]
    fn a_line_gone_from_the_rtl_is_stale() {
        let l = parse("equivalent.toml", OK).unwrap();
        let now = |_: &str| Some("always_ff begin\n  cnt_q <= 5'd0;\nend\n".to_string());
        check_stale("equivalent.toml", &l, &now).unwrap();
        let edited = |_: &str| Some("always_ff begin\n  cnt_q <= '0;\nend\n".to_string());
        let e = check_stale("equivalent.toml", &l, &edited).unwrap_err().to_string();
        assert!(e.starts_with("equivalent.toml:3: stale entry: no line of rtl/hsx_div.sv reads"), "{e}");
        assert!(check_stale("equivalent.toml", &l, &|_: &str| None).is_err());
    }
}
