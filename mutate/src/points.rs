//! Automatic mutation points: every place in the RTL where a classic mutation operator
//! applies, found over the token stream of each file (statements, their right-hand sides
//! and `if` conditions), in source order — a deterministic function of the RTL text.

use crate::lex::{lex, line_of, Kind, Tok};

/// The mutation operator of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// A binary operator swapped (`+`→`-`, `&`→`|`, `==`→`!=`, `<`→`<=` …).
    Operator,
    /// A unary `!`/`~` removed.
    Unary,
    /// A literal changed (0→1, n→n−1, `'0`↔`'1`).
    Constant,
    /// An `if` condition negated.
    Condition,
    /// A procedural assignment dropped.
    Drop,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Operator => "operator",
            Op::Unary => "unary",
            Op::Constant => "constant",
            Op::Condition => "condition",
            Op::Drop => "drop",
        }
    }
}

/// What a site is: the right-hand side of an assignment, or an `if` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// `stmt` is the whole assignment `lhs = rhs;`, `procedural` whether it may be dropped.
    Rhs {
        stmt: (usize, usize),
        procedural: bool,
    },
    Cond,
}

/// An expression the schemata can select between variants of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    pub kind: SiteKind,
    /// Byte span of the expression.
    pub span: (usize, usize),
}

/// One automatic mutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// File name inside `rtl/`.
    pub file: String,
    /// 1-based line of the change.
    pub line: usize,
    pub op: Op,
    /// Index of the site in [`sites`]'s answer for this file.
    pub site: usize,
    /// Byte span of the changed token (the whole site for conditions and drops).
    pub at: (usize, usize),
    /// The original text at `at`, and what replaces it (empty for a drop).
    pub from: String,
    pub to: String,
}

impl Point {
    /// `operator \`+\` -> \`-\``: the change, as reports show it.
    pub fn change(&self) -> String {
        match self.op {
            Op::Condition => format!("condition `{}` negated", squash(&self.from)),
            Op::Drop => format!("assignment `{}` dropped", squash(&self.from)),
            Op::Unary => format!("unary `{}` removed", self.from),
            _ => format!("{} `{}` -> `{}`", self.op.as_str(), self.from, self.to),
        }
    }
}

fn squash(s: &str) -> String {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 60 {
        format!("{}…", t.chars().take(59).collect::<String>())
    } else {
        t
    }
}

const DECL_WORDS: &[&str] = &[
    "logic",
    "wire",
    "reg",
    "bit",
    "int",
    "integer",
    "unsigned",
    "signed",
    "localparam",
    "parameter",
    "typedef",
    "genvar",
    "input",
    "output",
    "inout",
    "automatic",
    "byte",
    "shortint",
    "longint",
    "var",
    "const",
];

fn operand_end(t: &Tok) -> bool {
    matches!(t.kind, Kind::Ident | Kind::Number) || matches!(t.text, ")" | "]" | "}")
}

/// The sites of one file: assignment right-hand sides and `if` conditions.
pub fn sites(src: &str) -> Vec<Site> {
    let toks = lex(src);
    let mut out = Vec::new();
    // Paren/bracket/brace depth before each token.
    let mut depth = vec![0i32; toks.len() + 1];
    let mut d = 0;
    for (i, t) in toks.iter().enumerate() {
        depth[i] = d;
        match t.text {
            "(" | "[" | "{" => d += 1,
            ")" | "]" | "}" => d -= 1,
            _ => {}
        }
    }
    depth[toks.len()] = d;
    let mut in_package = false;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t.text {
            "package" => in_package = true,
            "endpackage" => in_package = false,
            _ => {}
        }
        if in_package {
            i += 1;
            continue;
        }
        // `if (cond)`
        if t.text == "if" && toks.get(i + 1).map(|n| n.text) == Some("(") {
            if let Some(close) = matching(&toks, i + 1) {
                if close > i + 2 {
                    out.push(Site { kind: SiteKind::Cond, span: (toks[i + 2].start, toks[close - 1].end) });
                }
            }
        }
        // An assignment: a top-level `=` / `<=` whose left side is an lvalue that starts a
        // statement.
        if (t.text == "=" || t.text == "<=") && depth[i] == 0 {
            if let Some((lhs, prev)) = lvalue_before(&toks, &depth, i) {
                let prev_text = prev.map(|p| toks[p].text).unwrap_or(";");
                let starts_stmt = matches!(
                    prev_text,
                    ";" | "begin"
                        | "end"
                        | "else"
                        | ")"
                        | ":"
                        | "default"
                        | "always_comb"
                        | "always_latch"
                        | "assign"
                        | "endcase"
                ) && !(prev_text == ")" && closes_decl_or_call(&toks, prev.unwrap()));
                let semi = (i + 1..toks.len()).find(|&k| toks[k].text == ";" && depth[k] == 0);
                if starts_stmt && !DECL_WORDS.contains(&toks[lhs].text) && toks[lhs].kind == Kind::Ident {
                    if let Some(semi) = semi {
                        if semi > i + 1 {
                            let procedural = prev_text != "assign";
                            out.push(Site {
                                kind: SiteKind::Rhs { stmt: (toks[lhs].start, toks[semi].end), procedural },
                                span: (toks[i + 1].start, toks[semi - 1].end),
                            });
                        }
                    }
                }
            }
        }
        i += 1;
    }
    out.sort_by_key(|s| s.span);
    out
}

/// Index of the `)`/`]`/`}` matching the opener at `open`.
fn matching(toks: &[Tok], open: usize) -> Option<usize> {
    let mut d = 0;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match t.text {
            "(" | "[" | "{" => d += 1,
            ")" | "]" | "}" => {
                d -= 1;
                if d == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Index of the opener matching the closer at `close`.
fn matching_back(toks: &[Tok], close: usize) -> Option<usize> {
    let mut d = 0;
    for k in (0..=close).rev() {
        match toks[k].text {
            ")" | "]" | "}" => d += 1,
            "(" | "[" | "{" => {
                d -= 1;
                if d == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// The `)` at `close` ends `if (…)`, `for (…)`, `@(…)` (a statement may follow), not a
/// call or a port list.
fn closes_decl_or_call(toks: &[Tok], close: usize) -> bool {
    match matching_back(toks, close).and_then(|o| o.checked_sub(1)).map(|b| toks[b].text) {
        Some("if" | "for" | "@" | "while") => false,
        Some(_) | None => true,
    }
}

/// The lvalue ending right before token `eq`: `name`, `name[i]`, `name[i][j]`, `a.b`,
/// `{a, b}`. Returns its first token and the token before it.
fn lvalue_before(toks: &[Tok], depth: &[i32], eq: usize) -> Option<(usize, Option<usize>)> {
    let mut k = eq.checked_sub(1)?;
    loop {
        match toks[k].text {
            "]" | "}" => {
                let o = matching_back(toks, k)?;
                if toks[k].text == "}" {
                    return Some((o, o.checked_sub(1)));
                }
                k = o.checked_sub(1)?;
            }
            _ if toks[k].kind == Kind::Ident => {
                if k >= 2 && toks[k - 1].text == "." && toks[k - 2].kind == Kind::Ident {
                    k -= 2;
                    continue;
                }
                let _ = depth;
                return Some((k, k.checked_sub(1)));
            }
            _ => return None,
        }
    }
}

/// Every automatic mutation point of one file, in source order.
pub fn points(file: &str, src: &str) -> Vec<Point> {
    let sites = sites(src);
    let mut out = Vec::new();
    for (si, s) in sites.iter().enumerate() {
        let text = &src[s.span.0..s.span.1];
        let toks = lex(text);
        let mut bracket = 0i32;
        let mut brace_stack: Vec<bool> = Vec::new(); // true: a replication count's brace
        for (k, t) in toks.iter().enumerate() {
            let abs = (s.span.0 + t.start, s.span.0 + t.end);
            let prev = k.checked_sub(1).map(|p| &toks[p]);
            let next = toks.get(k + 1);
            match t.text {
                "[" => bracket += 1,
                "]" => bracket -= 1,
                "{" => brace_stack.push(false),
                "}" => {
                    brace_stack.pop();
                }
                _ => {}
            }
            if bracket > 0 {
                continue;
            }
            let mut push = |op: Op, to: &str| {
                out.push(Point {
                    file: file.to_string(),
                    line: line_of(src, abs.0),
                    op,
                    site: si,
                    at: abs,
                    from: t.text.to_string(),
                    to: to.to_string(),
                })
            };
            match t.kind {
                Kind::Punct => {
                    let binary = prev.map(operand_end).unwrap_or(false);
                    let swap = match t.text {
                        "+" => Some("-"),
                        "-" => Some("+"),
                        "&" => Some("|"),
                        "|" => Some("&"),
                        "^" => Some("|"),
                        "&&" => Some("||"),
                        "||" => Some("&&"),
                        "==" => Some("!="),
                        "!=" => Some("=="),
                        "<" => Some("<="),
                        "<=" => Some("<"),
                        ">" => Some(">="),
                        ">=" => Some(">"),
                        "<<" => Some(">>"),
                        ">>" => Some("<<"),
                        _ => None,
                    };
                    if binary {
                        if let Some(to) = swap {
                            push(Op::Operator, to);
                        }
                    } else if matches!(t.text, "!" | "~") {
                        push(Op::Unary, "");
                    }
                }
                Kind::Number => {
                    // Not a cast width (`17'(x)`) or a replication count (`{4{x}}`).
                    if next.map(|n| n.text == "'" || n.text == "{").unwrap_or(false) {
                        continue;
                    }
                    if let Some(to) = mutate_literal(t.text) {
                        push(Op::Constant, &to);
                    }
                }
                _ => {}
            }
        }
        match s.kind {
            SiteKind::Cond => out.push(Point {
                file: file.to_string(),
                line: line_of(src, s.span.0),
                op: Op::Condition,
                site: si,
                at: s.span,
                from: text.to_string(),
                to: format!("!({text})"),
            }),
            SiteKind::Rhs { stmt, procedural: true } => out.push(Point {
                file: file.to_string(),
                line: line_of(src, stmt.0),
                op: Op::Drop,
                site: si,
                at: stmt,
                from: src[stmt.0..stmt.1].to_string(),
                to: String::new(),
            }),
            SiteKind::Rhs { .. } => {}
        }
    }
    out
}

/// The changed literal: `'0`↔`'1`; a value 0 becomes 1, any other n becomes n−1.
fn mutate_literal(t: &str) -> Option<String> {
    match t {
        "'0" => return Some("'1".into()),
        "'1" => return Some("'0".into()),
        _ => {}
    }
    let clean = t.replace('_', "");
    let Some((w, rest)) = clean.split_once('\'') else {
        let v: u64 = clean.parse().ok()?;
        return Some(if v == 0 { "1".into() } else { (v - 1).to_string() });
    };
    let rest = rest.trim_start_matches(['s', 'S']);
    let (radix, digits) = match rest.chars().next()?.to_ascii_lowercase() {
        'b' => (2, &rest[1..]),
        'o' => (8, &rest[1..]),
        'd' => (10, &rest[1..]),
        'h' => (16, &rest[1..]),
        _ => return None,
    };
    let v = u64::from_str_radix(digits, radix).ok()?;
    let nv = if v == 0 { 1 } else { v - 1 };
    if w.is_empty() {
        return Some(format!("'d{nv}"));
    }
    let width: u32 = w.parse().ok()?;
    if width == 0 || width > 64 || (width < 64 && nv >> width != 0) {
        return None;
    }
    Some(format!("{width}'d{nv}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SV: &str = "module m (input logic [3:0] a, output logic [3:0] y);
  localparam int unsigned K = 4;
  logic [3:0] t;
  assign t = a + 4'd1;
  always_comb begin
    y = '0;
    if (a[0] && !a[1]) y = t << 1;
    for (int unsigned i = 0; i < K; i++) begin
      if (a[i]) y[i] = ~t[i];
    end
  end
endmodule
";

    #[test]
    fn finds_assignments_and_conditions_not_declarations() {
        let ss = sites(SV);
        let texts: Vec<&str> = ss.iter().map(|s| &SV[s.span.0..s.span.1]).collect();
        assert_eq!(texts, ["a + 4'd1", "'0", "a[0] && !a[1]", "t << 1", "a[i]", "~t[i]"]);
        assert!(matches!(ss[0].kind, SiteKind::Rhs { procedural: false, .. }));
        assert!(matches!(ss[1].kind, SiteKind::Rhs { procedural: true, .. }));
    }

    #[test]
    fn points_cover_every_operator_class() {
        let ps = points("m.sv", SV);
        let ch: Vec<String> = ps.iter().map(|p| format!("{}:{}", p.line, p.change())).collect();
        assert_eq!(
            ch,
            [
                "4:operator `+` -> `-`",
                "4:constant `4'd1` -> `4'd0`",
                "6:constant `'0` -> `'1`",
                "6:assignment `y = '0;` dropped",
                "7:operator `&&` -> `||`",
                "7:unary `!` removed",
                "7:condition `a[0] && !a[1]` negated",
                "7:operator `<<` -> `>>`",
                "7:constant `1` -> `0`",
                "7:assignment `y = t << 1;` dropped",
                "9:condition `a[i]` negated",
                "9:unary `~` removed",
                "9:assignment `y[i] = ~t[i];` dropped",
            ]
        );
    }

    #[test]
    fn literals() {
        assert_eq!(mutate_literal("1'b0").as_deref(), Some("1'd1"));
        assert_eq!(mutate_literal("18'h10000").as_deref(), Some("18'd65535"));
        assert_eq!(mutate_literal("32'd0").as_deref(), Some("32'd1"));
        assert_eq!(mutate_literal("4'bxx01"), None);
        assert_eq!(mutate_literal("7").as_deref(), Some("6"));
    }
}
