//! Argued equivalent mutants (`rtl/mutants/equivalent.toml`): automatic mutants that no
//! program can expose, each with the argument why, written by a person after triage
//! (docs/mutation.md). A campaign counts a survivor that matches an entry as equivalent
//! *by argument* (kept apart from a Yosys proof in the report and the score line).
//!
//! An entry names the mutant by what does not move when the RTL is edited elsewhere: the
//! file, the source line's text and the change (`auto-N` numbers shift with every edit).
//! An entry whose line no longer occurs in its file is stale: [`check_stale`] reports it,
//! so an argument never silently outlives the code it was about. Where the same line text
//! and change occur more than once in a file (two equal lines, or two equal literals on one
//! line), the entry says which with `occurrence` (1-based, in source order), and
//! [`resolve`] refuses an entry that would cover more than one mutant: an argument is about
//! one mutant.

use crate::catalogue::{check_keys, string, tables, Value};
use crate::Error;
use crate::Point;

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
    /// Which of the mutants with this line text and change in the file (1-based, source
    /// order), when there is more than one.
    pub occurrence: Option<usize>,
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
        check_keys(path, t, &["file", "line", "change", "why", "occurrence"])?;
        let occurrence = match t.2.iter().find(|(key, _, _)| key == "occurrence") {
            None => None,
            Some((_, Value::Int(n), _)) if *n >= 1 => Some(*n as usize),
            Some((_, _, l)) => return Err(err(*l, "`occurrence` must be an integer >= 1".into())),
        };
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
            occurrence,
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

/// The automatic mutant each entry describes: for entry k, `out[k]` is its number in
/// `points` (the model's automatic mutants, `(number, point)`). `read(file)` gives a file's
/// text. An entry that describes no mutant (its line or change is gone, or `occurrence` is
/// past the last) or, without `occurrence`, more than one, is an error naming the entry.
pub fn resolve(
    path: &str,
    list: &[Argued],
    points: &[(u16, Point)],
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<u16>, Error> {
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let err = |msg: String| Error::Catalogue { path: path.to_string(), line: a.line, msg };
        let text = read(&a.file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let mut hits: Vec<(usize, usize, u16)> = points
            .iter()
            .filter(|(_, p)| p.line >= 1 && lines.get(p.line - 1).is_some_and(|l| a.matches(&p.file, l, &p.change())))
            .map(|(n, p)| (p.line, p.at.0, *n))
            .collect();
        hits.sort_unstable();
        let what = format!("rtl/{} `{}`, {}", a.file, a.line_text, a.change);
        let n = match (a.occurrence, hits.len()) {
            (_, 0) => {
                return Err(err(format!(
                    "stale entry: no mutant of {what}; re-check the argument against today's RTL and re-fit or remove it"
                )))
            }
            (None, 1) => hits[0].2,
            (None, k) => {
                return Err(err(format!(
                    "ambiguous entry: {k} mutants are {what} (lines {}); say which with `occurrence` (1-based, source order)",
                    hits.iter().map(|h| h.0.to_string()).collect::<Vec<_>>().join(", ")
                )))
            }
            (Some(o), k) if o > k => {
                return Err(err(format!("stale entry: `occurrence = {o}` but only {k} mutants are {what}")))
            }
            (Some(o), _) => hits[o - 1].2,
        };
        out.push(n);
    }
    Ok(out)
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

    /// Two equal literals on one line and two equal lines: an entry without `occurrence`
    /// covering more than one mutant is refused; with it, the Nth in source order.
    #[test]
    fn resolve_picks_one_mutant_and_refuses_ambiguity() {
        let src =
            "module m;\n  always_comb begin\n    a = '0;  b = '0;\n    c = 1'b1;\n    c = 1'b1;\n  end\nendmodule\n";
        let pts: Vec<(u16, Point)> =
            crate::points::points("x.sv", src).into_iter().enumerate().map(|(i, p)| (256 + i as u16, p)).collect();
        let read = |_: &str| Some(src.to_string());
        let entry = |line: &str, change: &str, occ: &str| {
            let t = format!(
                "[[equivalent]]\nfile = \"x.sv\"\nline = \"{line}\"\nchange = \"{change}\"\n{occ}why = \"w\"\n"
            );
            parse("eq.toml", &t).unwrap()
        };
        let num = |line: usize, at: usize, change: &str| {
            pts.iter().find(|(_, p)| p.line == line && p.at.0 == at && p.change() == change).unwrap().0
        };
        let first_zero = src.find("'0").unwrap();
        let second_zero = src[first_zero + 1..].find("'0").unwrap() + first_zero + 1;
        // The same literal twice on one line.
        let c = "constant `'0` -> `'1`";
        let e = resolve("eq.toml", &entry("a = '0;  b = '0;", c, ""), &pts, &read).unwrap_err().to_string();
        assert!(e.starts_with("eq.toml:1: ambiguous entry: 2 mutants are rtl/x.sv"), "{e}");
        assert!(e.contains("lines 3, 3"), "{e}");
        let one = resolve("eq.toml", &entry("a = '0;  b = '0;", c, "occurrence = 1\n"), &pts, &read).unwrap();
        assert_eq!(one, vec![num(3, first_zero, c)]);
        let two = resolve("eq.toml", &entry("a = '0;  b = '0;", c, "occurrence = 2\n"), &pts, &read).unwrap();
        assert_eq!(two, vec![num(3, second_zero, c)]);
        let e = resolve("eq.toml", &entry("a = '0;  b = '0;", c, "occurrence = 3\n"), &pts, &read).unwrap_err();
        assert!(e.to_string().contains("`occurrence = 3` but only 2 mutants"), "{e}");
        // Two equal lines.
        let d = "assignment `c = 1'b1;` dropped";
        let e = resolve("eq.toml", &entry("c = 1'b1;", d, ""), &pts, &read).unwrap_err().to_string();
        assert!(e.contains("ambiguous entry: 2 mutants") && e.contains("lines 4, 5"), "{e}");
        let second = resolve("eq.toml", &entry("c = 1'b1;", d, "occurrence = 2\n"), &pts, &read).unwrap();
        assert_eq!(pts.iter().find(|(n, _)| *n == second[0]).unwrap().1.line, 5);
        // A change the line does not have.
        let e = resolve("eq.toml", &entry("c = 1'b1;", "constant `1'b1` -> `1'd7`", ""), &pts, &read).unwrap_err();
        assert!(e.to_string().contains("stale entry: no mutant of rtl/x.sv"), "{e}");
        // `occurrence` must be a positive integer.
        let bad = "[[equivalent]]\nfile = \"x.sv\"\nline = \"c\"\nchange = \"d\"\noccurrence = 0\nwhy = \"w\"\n";
        assert!(parse("eq.toml", bad).unwrap_err().to_string().starts_with("eq.toml:5: `occurrence` must be"));
    }
}
