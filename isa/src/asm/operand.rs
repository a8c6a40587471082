//! Operand parsing: registers, values (numbers, labels, `lo16`/`hi16`/`off16`), memory
//! operands, and the operands of each instruction by its row's operand format. Values
//! stay unresolved [`Expr`]s until pass 2 ([`super::encode`]).

use super::*;

pub(super) type Err = (usize, AsmErrorKind);

/// A value operand before label resolution.
#[derive(Debug, Clone)]
pub(super) struct Expr {
    pub(super) col: usize,
    pub(super) neg: bool,
    pub(super) kind: ExprKind,
}

#[derive(Debug, Clone)]
pub(super) enum ExprKind {
    Num(i64),
    Label(String, AddrOp),
}

/// An address operator applied to a label (the prototype's `lo16`, `hi16`, `off16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AddrOp {
    /// The label's address.
    None,
    /// `lo16(x)`: address & 0xFFFF.
    Lo16,
    /// `hi16(x)`: address >> 16.
    Hi16,
    /// `off16(x)`: the `.data` label's offset from the start of its module's data.
    Off16,
}

impl Expr {
    pub(super) fn zero(col: usize) -> Expr {
        Expr { col, neg: false, kind: ExprKind::Num(0) }
    }
}

/// A resolved value.
pub(super) struct Val {
    pub(super) v: i64,
    /// The label it came from, with its section.
    pub(super) label: Option<(String, Section)>,
}

/// Parsed operands, by operand format (`CallOp` has two syntaxes).
#[derive(Debug, Clone)]
pub(super) enum Ops {
    RdImm {
        rd: u8,
        imm: Expr,
    },
    Load {
        rd: u8,
        rs1: u8,
        off: Expr,
    },
    Store {
        rs1: u8,
        off: Expr,
        rs2: u8,
    },
    RdRs {
        rd: u8,
        rs1: u8,
    },
    RdRsRs {
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    RsRs {
        rs1: u8,
        rs2: u8,
    },
    Target(Expr),
    CallTarget(Expr),
    CallReg {
        rs1: u8,
        imm: Expr,
    },
    NoOperands,
    Svc {
        module: Expr,
        func: Expr,
    },
    /// `SVC imm12`: module = imm[11:8], function = imm[7:0].
    SvcImm(Expr),
    Rs(u8),
    Rd(u8),
    Brk(Option<Expr>),
    Imm32 {
        rd: u8,
        value: Expr,
    },
}

/// `R` or `r` followed by digits: a register name (valid or not), never a label.
pub(super) fn is_register_like(name: &str) -> bool {
    let mut c = name.chars();
    matches!(c.next(), Some('r' | 'R')) && name.len() > 1 && c.all(|d| d.is_ascii_digit())
}

pub(super) fn describe(toks: &[Token]) -> String {
    toks.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// Split operand tokens at top-level commas; every operand must be non-empty.
pub(super) fn split_operands(toks: &[Token]) -> Result<Vec<&[Token]>, Err> {
    if toks.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.tok == Tok::Comma {
            if i == start {
                return Err((t.col, AsmErrorKind::Syntax("missing operand before `,`".into())));
            }
            out.push(&toks[start..i]);
            start = i + 1;
        }
    }
    if start == toks.len() {
        let col = toks[toks.len() - 1].col;
        return Err((col, AsmErrorKind::Syntax("missing operand after `,`".into())));
    }
    out.push(&toks[start..]);
    Ok(out)
}

/// A register operand: exactly one token `R0`..`R15` (case-insensitive).
pub(super) fn reg(toks: &[Token]) -> Result<u8, Err> {
    let t = &toks[0];
    let n = match &t.tok {
        Tok::Ident(name) if is_register_like(name) => name[1..].parse::<u32>().ok().filter(|&n| n <= 15),
        _ => None,
    };
    let Some(n) = n else {
        return Err((t.col, AsmErrorKind::BadRegister(t.text.clone())));
    };
    if let Some(extra) = toks.get(1) {
        return Err((
            extra.col,
            AsmErrorKind::Syntax(format!("unexpected `{}` after register {}", extra.text, t.text)),
        ));
    }
    Ok(n as u8)
}

/// A value operand: `[-] number | 'c' | label`.
pub(super) fn expr(toks: &[Token]) -> Result<Expr, Err> {
    let first = &toks[0];
    let (neg, rest) = if first.tok == Tok::Minus { (true, &toks[1..]) } else { (false, toks) };
    let Some(t) = rest.first() else {
        return Err((first.col, AsmErrorKind::Syntax("expected a number or label after `-`".into())));
    };
    let kind = match &t.tok {
        Tok::Num(v) => ExprKind::Num(*v),
        Tok::Ident(name) if is_register_like(name) => {
            return Err((
                t.col,
                AsmErrorKind::Syntax(format!("expected a number or label, found register `{}`", t.text)),
            ))
        }
        Tok::Ident(name) if rest.get(1).is_some_and(|n| n.tok == Tok::LParen) => {
            let op = match name.as_str() {
                "lo16" => AddrOp::Lo16,
                "hi16" => AddrOp::Hi16,
                "off16" => AddrOp::Off16,
                _ => {
                    return Err((
                        t.col,
                        AsmErrorKind::Syntax(format!(
                            "unknown address operator `{name}(…)` (known: lo16, hi16, off16)"
                        )),
                    ))
                }
            };
            match &rest[1..] {
                [_, Token { tok: Tok::Ident(l), .. }, Token { tok: Tok::RParen, .. }, tail @ ..]
                    if !is_register_like(l) =>
                {
                    if let Some(extra) = tail.first() {
                        return Err((
                            extra.col,
                            AsmErrorKind::Syntax(format!(
                                "unexpected `{}` after `{name}({l})` (expressions are not supported)",
                                extra.text
                            )),
                        ));
                    }
                    return Ok(Expr { col: first.col, neg, kind: ExprKind::Label(l.clone(), op) });
                }
                _ => {
                    return Err((
                        rest[1].col,
                        AsmErrorKind::Syntax(format!("`{name}` takes one label in parentheses: `{name}(label)`")),
                    ))
                }
            }
        }
        Tok::Ident(name) => ExprKind::Label(name.clone(), AddrOp::None),
        Tok::Str(_)
        | Tok::Comma
        | Tok::Colon
        | Tok::LBrack
        | Tok::RBrack
        | Tok::Plus
        | Tok::Minus
        | Tok::Eq
        | Tok::LParen
        | Tok::RParen => {
            return Err((t.col, AsmErrorKind::Syntax(format!("expected a number or label, found `{}`", t.text))))
        }
    };
    if let Some(extra) = rest.get(1) {
        return Err((
            extra.col,
            AsmErrorKind::Syntax(format!(
                "unexpected `{}` after `{}` (expressions are not supported)",
                extra.text, t.text
            )),
        ));
    }
    Ok(Expr { col: first.col, neg, kind })
}

/// A memory operand `[Rs]`, `[Rs + imm]` or `[Rs - imm]`.
pub(super) fn mem(toks: &[Token]) -> Result<(u8, Expr), Err> {
    let first = &toks[0];
    let last = &toks[toks.len() - 1];
    let shape = || format!("expected a memory operand [Rs], [Rs + imm] or [Rs - imm], found `{}`", describe(toks));
    if first.tok != Tok::LBrack || toks.len() < 2 {
        return Err((first.col, AsmErrorKind::Syntax(shape())));
    }
    if last.tok != Tok::RBrack {
        return Err((last.col, AsmErrorKind::Syntax(format!("missing `]` in memory operand `{}`", describe(toks)))));
    }
    let inner = &toks[1..toks.len() - 1];
    let Some(base_tok) = inner.first() else {
        return Err((first.col, AsmErrorKind::Syntax(shape())));
    };
    let base = reg(std::slice::from_ref(base_tok))?;
    let Some(op) = inner.get(1) else {
        return Ok((base, Expr::zero(last.col)));
    };
    let neg = match op.tok {
        Tok::Plus => false,
        Tok::Minus => true,
        _ => {
            return Err((
                op.col,
                AsmErrorKind::Syntax(format!("expected `+`, `-` or `]` after the base register, found `{}`", op.text)),
            ))
        }
    };
    if inner.len() < 3 {
        return Err((op.col, AsmErrorKind::Syntax(format!("missing offset after `{}`", op.text))));
    }
    let mut off = expr(&inner[2..])?;
    off.neg ^= neg;
    Ok((base, off))
}

/// An SVC field, optionally written `KW=value`.
pub(super) fn keyword_expr(toks: &[Token], kw: &str) -> Result<Expr, Err> {
    if let [Token { tok: Tok::Ident(name), col, .. }, Token { tok: Tok::Eq, .. }, rest @ ..] = toks {
        if !name.eq_ignore_ascii_case(kw) {
            return Err((*col, AsmErrorKind::Syntax(format!("expected `{kw}=`, found `{name}=`"))));
        }
        if rest.is_empty() {
            return Err((*col, AsmErrorKind::Syntax(format!("missing value after `{kw}=`"))));
        }
        return expr(rest);
    }
    expr(toks)
}

/// The operand syntax of a format, for messages.
pub(super) fn syntax_of(f: FormatKind) -> (&'static str, &'static str) {
    match f {
        FormatKind::RdImm => ("2 operands", "Rd, imm"),
        FormatKind::Load => ("2 operands", "Rd, [Rs1 + imm]"),
        FormatKind::Store => ("2 operands", "[Rs1 + imm], Rs2"),
        FormatKind::RdRs => ("2 operands", "Rd, Rs1"),
        FormatKind::RdRsRs => ("3 operands", "Rd, Rs1, Rs2"),
        FormatKind::RsRs => ("2 operands", "Rs1, Rs2"),
        FormatKind::Target => ("1 operand", "target"),
        FormatKind::CallOp => ("1 or 2 operands", "target | Rs1, imm"),
        FormatKind::NoOperands => ("no operands", ""),
        FormatKind::SvcOp => ("1 or 2 operands", "mod, fn | MOD=mod, FN=fn | imm12"),
        FormatKind::Rs => ("1 operand", "Rs1"),
        FormatKind::Rd => ("1 operand", "Rd"),
        FormatKind::BrkOp => ("0 or 1 operand", "[code]"),
        FormatKind::Imm32 => ("2 operands", "Rd, imm32"),
    }
}

pub(super) fn parse_ops(row: &'static Row, head: &Token, ops: &[&[Token]]) -> Result<Ops, Err> {
    let n = ops.len();
    let count_err = || {
        let (count, syntax) = syntax_of(row.format);
        (
            head.col,
            AsmErrorKind::OperandCount {
                mnemonic: row.mnemonic.to_string(),
                expected: if syntax.is_empty() {
                    count.to_string()
                } else {
                    format!("{count} ({} {syntax})", row.mnemonic)
                },
                found: n,
            },
        )
    };
    let want = |k: usize| if n == k { Ok(()) } else { Err(count_err()) };
    Ok(match row.format {
        FormatKind::RdImm => {
            want(2)?;
            Ops::RdImm { rd: reg(ops[0])?, imm: expr(ops[1])? }
        }
        FormatKind::Load => {
            want(2)?;
            let rd = reg(ops[0])?;
            let (rs1, off) = mem(ops[1])?;
            Ops::Load { rd, rs1, off }
        }
        FormatKind::Store => {
            want(2)?;
            let (rs1, off) = mem(ops[0])?;
            Ops::Store { rs1, off, rs2: reg(ops[1])? }
        }
        FormatKind::RdRs => {
            want(2)?;
            Ops::RdRs { rd: reg(ops[0])?, rs1: reg(ops[1])? }
        }
        FormatKind::RdRsRs => {
            want(3)?;
            Ops::RdRsRs { rd: reg(ops[0])?, rs1: reg(ops[1])?, rs2: reg(ops[2])? }
        }
        FormatKind::RsRs => {
            want(2)?;
            Ops::RsRs { rs1: reg(ops[0])?, rs2: reg(ops[1])? }
        }
        FormatKind::Target => {
            want(1)?;
            Ops::Target(expr(ops[0])?)
        }
        FormatKind::CallOp => match n {
            1 => {
                let t = &ops[0][0];
                if matches!(&t.tok, Tok::Ident(name) if is_register_like(name)) {
                    return Err((
                        t.col,
                        AsmErrorKind::Syntax(format!("register CALL needs a word offset: `CALL {}, imm`", t.text)),
                    ));
                }
                Ops::CallTarget(expr(ops[0])?)
            }
            2 => {
                let rs1 = reg(ops[0])?;
                if rs1 == 0 {
                    return Err((ops[0][0].col, AsmErrorKind::CallR0));
                }
                Ops::CallReg { rs1, imm: expr(ops[1])? }
            }
            _ => return Err(count_err()),
        },
        FormatKind::NoOperands => {
            want(0)?;
            Ops::NoOperands
        }
        FormatKind::SvcOp if n == 1 => Ops::SvcImm(expr(ops[0])?),
        FormatKind::SvcOp => {
            want(2)?;
            Ops::Svc { module: keyword_expr(ops[0], "MOD")?, func: keyword_expr(ops[1], "FN")? }
        }
        FormatKind::Rs => {
            want(1)?;
            Ops::Rs(reg(ops[0])?)
        }
        FormatKind::Rd => {
            want(1)?;
            Ops::Rd(reg(ops[0])?)
        }
        FormatKind::BrkOp => match n {
            0 => Ops::Brk(None),
            1 => Ops::Brk(Some(expr(ops[0])?)),
            _ => return Err(count_err()),
        },
        FormatKind::Imm32 => {
            want(2)?;
            Ops::Imm32 { rd: reg(ops[0])?, value: expr(ops[1])? }
        }
    })
}

pub(super) fn range_check(what: &str, v: &Val, lo: i64, hi: i64, range: &str, col: usize) -> Result<i64, Err> {
    if v.v < lo || v.v > hi {
        return Err((col, AsmErrorKind::OutOfRange { what: what.to_string(), value: v.v, range: range.to_string() }));
    }
    Ok(v.v)
}

pub(super) const SIMM12: (i64, i64, &str) = (-2048, 2047, "-2048..2047 (12 bits signed)");
