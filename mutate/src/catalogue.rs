//! The hand mutant catalogue (`rtl/mutants/hand.toml`): a TOML file of `[[mutant]]`
//! tables, each with `[[mutant.hunk]]` edits. Only the TOML this file needs is read:
//! tables, arrays of tables, strings (basic, literal, multi-line), integers, booleans.

use crate::Error;

/// How a hunk changes the source. In every replacement text, `$ON` stands for "this
/// mutant is selected" (`(hsx_mut_pkg::sel == 16'dN)` in the schemata, `1'b1` when the
/// mutant is applied alone) and `$ORIG` for the anchor's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HunkKind {
    /// The anchor is an expression: `(($ON) ? (replace) : (anchor))`.
    Expr,
    /// The anchor is a statement list: `if ($ON) begin replace end else begin anchor end`.
    Stmt,
    /// The anchor is replaced by `replace` (which guards itself with `$ON`).
    Text,
    /// `replace` is inserted after the anchor (declarations, helper logic).
    After,
    /// `replace` is inserted before the anchor.
    Before,
}

impl HunkKind {
    fn parse(s: &str) -> Option<HunkKind> {
        Some(match s {
            "expr" => HunkKind::Expr,
            "stmt" => HunkKind::Stmt,
            "text" => HunkKind::Text,
            "after" => HunkKind::After,
            "before" => HunkKind::Before,
            _ => return None,
        })
    }
}

/// One edit of a hand mutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// File name inside `rtl/` (`hsx_alu.sv`).
    pub file: String,
    pub kind: HunkKind,
    /// The production text the edit attaches to; it must occur exactly once in `file`
    /// (whitespace-insensitive).
    pub anchor: String,
    pub replace: String,
    /// Line of the `[[mutant.hunk]]` header in the catalogue.
    pub line: usize,
}

/// One hand-made mutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandMutant {
    /// 1..=255: the value of the mutant model's `mutant_i` that selects it.
    pub number: u16,
    /// Command-line name (`hsx regress --mutant add-v`).
    pub name: String,
    pub bug: String,
    /// Whether only `--check-timing` can see it.
    pub timing_only: bool,
    pub hunks: Vec<Hunk>,
    /// Line of the `[[mutant]]` header in the catalogue.
    pub line: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// One `[[section]]` of a catalogue file: its name, header line, and key/values with
/// their lines.
pub(crate) type Table = (String, usize, Vec<(String, Value, usize)>);

/// Read the `[[section]]` tables of a catalogue file (`headers`: the sections allowed).
/// `path` only names the file in errors.
pub(crate) fn tables(path: &str, text: &str, headers: &[&str]) -> Result<Vec<Table>, Error> {
    let err = |line: usize, msg: String| Error::Catalogue { path: path.to_string(), line, msg };
    let mut tables: Vec<Table> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let lno = i + 1;
        let l = lines[i].trim();
        i += 1;
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if let Some(h) = l.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let h = h.trim();
            if !headers.contains(&h) {
                let expected: Vec<String> = headers.iter().map(|h| format!("[[{h}]]")).collect();
                return Err(err(lno, format!("unknown table `[[{h}]]` (expected {})", expected.join(" or "))));
            }
            tables.push((h.to_string(), lno, Vec::new()));
            continue;
        }
        let Some((k, v)) = l.split_once('=') else {
            return Err(err(lno, format!("expected `key = value`, found `{l}`")));
        };
        let key = k.trim().to_string();
        let v = v.trim();
        let value = if let Some(rest) = v.strip_prefix("'''").or_else(|| v.strip_prefix("\"\"\"")) {
            let delim = &v[..3];
            // Multi-line string: a newline right after the opening delimiter is dropped.
            let mut s = String::new();
            let mut cur = rest.to_string();
            let mut first = true;
            loop {
                if let Some(p) = cur.find(delim) {
                    s.push_str(&cur[..p]);
                    if !cur[p + 3..].trim().is_empty() && !cur[p + 3..].trim().starts_with('#') {
                        return Err(err(lno, format!("text after the closing {delim} of `{key}`")));
                    }
                    break;
                }
                if !(first && cur.is_empty()) {
                    s.push_str(&cur);
                    s.push('\n');
                }
                first = false;
                if i >= lines.len() {
                    return Err(err(lno, format!("unterminated {delim} string for `{key}`")));
                }
                cur = lines[i].to_string();
                i += 1;
            }
            Value::Str(s)
        } else if let Some(rest) = v.strip_prefix('\'') {
            let Some(p) = rest.find('\'') else { return Err(err(lno, format!("unterminated string for `{key}`"))) };
            Value::Str(rest[..p].to_string())
        } else if let Some(rest) = v.strip_prefix('"') {
            let mut s = String::new();
            let mut it = rest.chars();
            let mut closed = false;
            while let Some(c) = it.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match it.next() {
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some('\\') => s.push('\\'),
                        Some('"') => s.push('"'),
                        other => {
                            return Err(err(lno, format!("unsupported escape `\\{}` in `{key}`", other.unwrap_or(' '))))
                        }
                    },
                    c => s.push(c),
                }
            }
            if !closed {
                return Err(err(lno, format!("unterminated string for `{key}`")));
            }
            Value::Str(s)
        } else if v == "true" || v == "false" {
            Value::Bool(v == "true")
        } else {
            let num = v.split('#').next().unwrap_or("").trim();
            Value::Int(num.parse().map_err(|_| err(lno, format!("`{key}`: cannot read the value `{v}`")))?)
        };
        let Some(t) = tables.last_mut() else {
            return Err(err(lno, format!("`{key}` outside a [[{}]] table", headers[0])));
        };
        if t.2.iter().any(|(k, _, _)| *k == key) {
            return Err(err(lno, format!("`{key}` given twice")));
        }
        t.2.push((key, value, lno));
    }
    Ok(tables)
}

/// The first key of a table not in `allowed`, as an error naming its line.
pub(crate) fn check_keys(path: &str, t: &Table, allowed: &[&str]) -> Result<(), Error> {
    match t.2.iter().find(|(k, _, _)| !allowed.contains(&k.as_str())) {
        Some((k, _, l)) => Err(Error::Catalogue {
            path: path.to_string(),
            line: *l,
            msg: format!("unknown key `{k}` in [[{}]] (allowed: {})", t.0, allowed.join(", ")),
        }),
        None => Ok(()),
    }
}

/// The string value of key `k` of a table, as an error naming the line when it is
/// missing or not a string.
pub(crate) fn string(path: &str, t: &Table, k: &str) -> Result<String, Error> {
    let err = |line: usize, msg: String| Error::Catalogue { path: path.to_string(), line, msg };
    match t.2.iter().find(|(key, _, _)| key == k) {
        Some((_, Value::Str(s), _)) => Ok(s.clone()),
        Some((_, _, l)) => Err(err(*l, format!("`{k}` must be a string"))),
        None => Err(err(t.1, format!("[[{}]] has no `{k}`", t.0))),
    }
}

/// Parse a catalogue. `path` only names the file in errors.
pub fn parse(path: &str, text: &str) -> Result<Vec<HandMutant>, Error> {
    let err = |line: usize, msg: String| Error::Catalogue { path: path.to_string(), line, msg };
    let tables = tables(path, text, &["mutant", "mutant.hunk"])?;
    let mut out: Vec<HandMutant> = Vec::new();
    for t in &tables {
        let (section, hline, kvs) = (&t.0, t.1, &t.2);
        let get = |k: &str| kvs.iter().find(|(key, _, _)| key == k).map(|(_, v, l)| (v.clone(), *l));
        let string = |k: &str| string(path, t, k);
        let allowed: &[&str] = if section == "mutant" {
            &["number", "name", "bug", "timing_only"]
        } else {
            &["file", "kind", "anchor", "replace"]
        };
        check_keys(path, t, allowed)?;
        if section == "mutant" {
            let number = match get("number") {
                Some((Value::Int(n), _)) if (1..=255).contains(&n) => n as u16,
                Some((_, l)) => return Err(err(l, "`number` must be an integer 1..=255".into())),
                None => return Err(err(hline, "[[mutant]] has no `number`".into())),
            };
            let timing_only = match get("timing_only") {
                Some((Value::Bool(b), _)) => b,
                Some((_, l)) => return Err(err(l, "`timing_only` must be true or false".into())),
                None => false,
            };
            let name = string("name")?;
            if let Some(o) = out.iter().find(|m| m.number == number || m.name == name) {
                return Err(err(
                    hline,
                    format!(
                        "mutant `{name}` (#{number}) repeats the number or name of `{}` (#{}, line {})",
                        o.name, o.number, o.line
                    ),
                ));
            }
            out.push(HandMutant { number, name, bug: string("bug")?, timing_only, hunks: Vec::new(), line: hline });
        } else {
            let Some(m) = out.last_mut() else {
                return Err(err(hline, "[[mutant.hunk]] before any [[mutant]]".into()));
            };
            let kind_s = string("kind")?;
            let kind = HunkKind::parse(&kind_s).ok_or_else(|| {
                err(
                    hline,
                    format!("mutant `{}`: unknown hunk kind `{kind_s}` (expr, stmt, text, after, before)", m.name),
                )
            })?;
            let anchor = string("anchor")?;
            if anchor.trim().is_empty() {
                return Err(err(hline, format!("mutant `{}`: empty anchor", m.name)));
            }
            m.hunks.push(Hunk { file: string("file")?, kind, anchor, replace: string("replace")?, line: hline });
        }
    }
    if let Some(m) = out.iter().find(|m| m.hunks.is_empty()) {
        return Err(err(m.line, format!("mutant `{}` has no [[mutant.hunk]]", m.name)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
# comment
[[mutant]]
number = 1
name = "add-v"
bug = "ADD's V \"flag\""
timing_only = true

[[mutant.hunk]]
file = 'hsx_alu.sv'
kind = "expr"
anchor = '''
a + b'''
replace = '''a - b
'''
"#;

    #[test]
    fn reads_mutants_and_hunks() {
        let m = parse("hand.toml", OK).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].number, m[0].name.as_str(), m[0].bug.as_str(), m[0].timing_only),
            (1, "add-v", "ADD's V \"flag\"", true)
        );
        assert_eq!(m[0].hunks[0].kind, HunkKind::Expr);
        assert_eq!(m[0].hunks[0].anchor, "a + b");
        assert_eq!(m[0].hunks[0].replace, "a - b\n");
        assert_eq!(m[0].hunks[0].line, 9);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = parse("x.toml", &OK.replace("kind = \"expr\"", "kind = \"swap\"")).unwrap_err().to_string();
        assert!(e.contains("x.toml:9") && e.contains("unknown hunk kind `swap`"), "{e}");
        let e = parse("x.toml", &OK.replace("number = 1", "number = 300")).unwrap_err().to_string();
        assert!(e.contains("x.toml:4") && e.contains("1..=255"), "{e}");
        let e = parse("x.toml", &OK.replace("file = 'hsx_alu.sv'", "")).unwrap_err().to_string();
        assert!(e.contains("has no `file`"), "{e}");
        let e = parse("x.toml", &OK.replace("replace = '''a - b", "replace = '''a - b'''x")).unwrap_err().to_string();
        assert!(e.contains("text after the closing"), "{e}");
        let twice = format!("{OK}\n[[mutant]]\nnumber = 1\nname = \"b\"\nbug = \"\"\n");
        assert!(parse("x.toml", &twice).unwrap_err().to_string().contains("repeats the number"));
    }
}
