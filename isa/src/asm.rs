//! The MVASM assembler (isa.md "Assembly syntax (MVASM)"; everything the spec leaves open
//! is written down in `docs/asm.md`).
//!
//! * [`assemble`] turns a source file into a [`Program`]: an [`Image`] (always a valid HXE
//!   image: code ≤ 64 KiB, data fits data memory, entry inside the code) and its labels.
//! * [`assemble_insn`] assembles one statement as if it sat at a given code offset (what
//!   the disassembler round-trip and interactive tools need).
//!
//! Two passes: the first lexes and parses every line, sizes every statement and defines
//! labels (so labels may be used before their definition); the second resolves values,
//! range-checks every field and encodes through the ISA table ([`Insn::from_parts`] and
//! [`Insn::encode`]); nothing here restates an opcode or a mnemonic. Operand syntax is
//! chosen by the row's [`FormatKind`].
//!
//! Errors are collected (all of them, sorted by position) into an [`AsmError`] whose
//! `Display` is one `file:line:col: message` line per problem; `col` is 1-based, in
//! characters, and points at the offending token.

mod lex;
mod link;
mod meta;
mod source;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use link::{assemble_modules, Module};
pub use source::{FsLoader, NoFiles, Recording, SourceLoader};

use crate::arch::RODATA_BASE;
use crate::format::*;
use crate::hxe::Image;
use crate::table::{lookup_mnemonic, Insn, Row};
use lex::{lex, Tok, Token};

/// Which section a label belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Text,
    Data,
}

/// A label's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub section: Section,
    /// `.text`: code byte offset; `.data`: absolute data address (data_addr + offset).
    pub value: u32,
    /// 1-based source line of the definition.
    pub line: usize,
}

/// An assembled program: the image and its symbol table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub image: Image,
    pub labels: BTreeMap<String, Label>,
    /// The source gave its data address (`.data ADDR`); otherwise the data sits at the
    /// default address (`AsmOptions::data_addr`, else `RODATA_BASE`).
    pub explicit_data_addr: bool,
}

/// Options of [`assemble_with`] and [`assemble_modules`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsmOptions {
    /// Directories searched (in order) for an `.include` not found next to its includer.
    pub include_dirs: Vec<PathBuf>,
    /// Where the data goes when no module writes `.data ADDR` (default `RODATA_BASE`).
    pub data_addr: Option<u32>,
}

impl Program {
    /// The code offset of a `.text` label (for the CLI's `FILE@LABEL`); `None` for an
    /// unknown name or a `.data` label.
    pub fn entry_label(&self, name: &str) -> Option<u32> {
        self.labels.get(name).filter(|l| l.section == Section::Text).map(|l| l.value)
    }
}

/// What is wrong at one source position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AsmErrorKind {
    #[error("unexpected character `{0}`")]
    UnexpectedChar(char),
    #[error("bad number `{0}` (numbers are decimal, 0x hex, 0b binary, or 'c')")]
    BadNumber(String),
    #[error("number `{0}` does not fit 32 bits")]
    NumberTooLarge(String),
    #[error("unterminated {0}")]
    Unterminated(&'static str),
    #[error("unknown escape `{0}` (known: \\n \\r \\t \\\\ \\0 \\\" \\' \\xNN)")]
    BadEscape(String),
    #[error("character literal {0} must stand for exactly one byte")]
    BadCharLiteral(String),
    #[error("unknown mnemonic `{0}`")]
    UnknownMnemonic(String),
    #[error("unknown directive `{0}`")]
    UnknownDirective(String),
    #[error("{0}")]
    Syntax(String),
    #[error("`{mnemonic}` takes {expected}, found {found} operand(s)")]
    OperandCount { mnemonic: String, expected: String, found: usize },
    #[error("expected a register R0..R15, found `{0}`")]
    BadRegister(String),
    #[error("{what} {value} out of range: {range}")]
    OutOfRange { what: String, value: i64, range: String },
    #[error("{what} {value} is not a multiple of 4")]
    Misaligned { what: String, value: i64 },
    #[error("duplicate label `{name}` (first defined on line {first_line}{first_file})")]
    DuplicateLabel { name: String, first_line: usize, first_file: String },
    #[error("undefined label `{0}`")]
    UndefinedLabel(String),
    #[error("`{0}` is a register name and cannot be a label")]
    LabelIsRegister(String),
    #[error("{0} is not allowed in .text")]
    NotInText(String),
    #[error("{0} is not allowed in .data (instructions go in .text)")]
    NotInData(String),
    #[error("`{name}` is a .data label; {what} must be a .text label or a number")]
    DataLabel { name: String, what: String },
    #[error(".data address already given as 0x{first:04X} on line {line}")]
    DataAddrTwice { first: u32, line: usize },
    #[error(".entry already given on line {0}")]
    EntryTwice(usize),
    #[error("entry {entry} is outside the code ({code_len} bytes)")]
    EntryOutsideCode { entry: i64, code_len: usize },
    #[error("no code: an image needs at least one instruction or .word in .text")]
    NoCode,
    #[error("code exceeds 64 KiB (code space ends at 0x10000)")]
    CodeTooLong,
    #[error("data does not fit in data memory: load address 0x{addr:04X} + {len} bytes > 0x10000")]
    DataTooLarge { addr: u32, len: u64 },
    #[error("`CALL R0, imm` does not exist: rs1 = 0 selects the PC-relative form (write `CALL target`)")]
    CallR0,
    #[error("`.align` needs a power of two from 1 to 65536, found {0}")]
    BadAlign(i64),
    #[error("code offset 0x{0:X} is not a multiple of 4 below 0x10000")]
    BadOrigin(u32),
    #[error("`{{…}}` bodies are only supported as the one-line JSON operand of .value, .cmd and .mailbox")]
    BraceBody,
    #[error("{0}")]
    Metadata(String),
    #[error("include cycle: {chain}")]
    IncludeCycle { chain: String },
    #[error("cannot include `{name}`: not found (looked at {looked}; include chain: {chain})")]
    IncludeNotFound { name: String, looked: String, chain: String },
    #[error("cannot include `{name}`: {error} (include chain: {chain})")]
    IncludeIo { name: String, error: String, chain: String },
    #[error("duplicate symbol `{name}`: also exported at {first}")]
    DuplicateSymbol { name: String, first: String },
    #[error("unresolved import `{0}`: no module exports it")]
    UnresolvedImport(String),
    #[error("undefined symbol `{0}`: declared .extern/.import but no module exports it")]
    UnresolvedExtern(String),
    #[error("off16() expects a .data label, `{0}` is a .text label")]
    Off16NotData(String),
    #[error("`.org 0x{target:X}` is behind the current code offset 0x{cur:X}")]
    OrgBackwards { target: i64, cur: u32 },
}

/// One problem at one place: `Display` is `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {kind}")]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters) of the offending token.
    pub col: usize,
    pub kind: AsmErrorKind,
}

/// Every problem the assembler found, sorted by position (never empty). `Display` prints
/// one `file:line:col: message` line per problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", display_all(.diagnostics))]
pub struct AsmError {
    pub diagnostics: Vec<Diagnostic>,
}

/// Diagnostics sorted by file (in order of first appearance), line and column.
pub(crate) fn sorted(mut d: Vec<Diagnostic>) -> AsmError {
    let mut files: Vec<String> = Vec::new();
    for x in &d {
        if !files.contains(&x.file) {
            files.push(x.file.clone());
        }
    }
    d.sort_by_key(|x| (files.iter().position(|f| *f == x.file), x.line, x.col));
    AsmError { diagnostics: d }
}

fn display_all(d: &[Diagnostic]) -> String {
    d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
}

impl AsmError {
    /// The first problem in source order.
    pub fn first(&self) -> Option<&Diagnostic> {
        self.diagnostics.first()
    }
}

/// Assemble an MVASM source. `file` names it in error messages and is the directory
/// `.include` is relative to (included files are read from disk).
pub fn assemble(source: &str, file: &str) -> Result<Program, AsmError> {
    assemble_with(source, file, &AsmOptions::default(), &mut FsLoader)
}

/// [`assemble`] with options and a loader for included files. A single module is linked
/// exactly like [`assemble_modules`] links several.
pub fn assemble_with(
    source: &str,
    file: &str,
    opts: &AsmOptions,
    loader: &mut dyn SourceLoader,
) -> Result<Program, AsmError> {
    assemble_modules(&[Module { name: file, text: source }], opts, loader)
}

/// Assemble `source` (typically one instruction) in `.text` as if its first statement sat
/// at code offset `pc` (a multiple of 4 below 0x10000), returning the code words. `CALL
/// target` is encoded relative to `pc`. Labels defined in `source` work; `.data` is
/// assembled but discarded; there is no entry check.
pub fn assemble_insn(source: &str, pc: u32) -> Result<Vec<u32>, AsmError> {
    const FILE: &str = "<insn>";
    if pc & 3 != 0 || pc > 0xFFFC {
        return Err(AsmError {
            diagnostics: vec![Diagnostic { file: FILE.into(), line: 1, col: 1, kind: AsmErrorKind::BadOrigin(pc) }],
        });
    }
    let (sources, diags) = source::expand(FILE, source, &mut NoFiles, &[]);
    let mut a = Asm::new(sources, pc);
    a.diags = diags;
    a.pass1();
    let out = a.pass2();
    a.finish()?;
    Ok(out.code.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect())
}

// ---------------------------------------------------------------------------------------
// Internals

type Err = (usize, AsmErrorKind);

/// A value operand before label resolution.
#[derive(Debug, Clone)]
struct Expr {
    col: usize,
    neg: bool,
    kind: ExprKind,
}

#[derive(Debug, Clone)]
enum ExprKind {
    Num(i64),
    Label(String, AddrOp),
}

/// An address operator applied to a label (the prototype's `lo16`, `hi16`, `off16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddrOp {
    /// The label's address.
    None,
    /// `lo16(x)`: address & 0xFFFF.
    Lo16,
    /// `hi16(x)`: address >> 16.
    Hi16,
    /// `off16(x)`: the `.data` label's offset from the start of its module's data.
    Off16,
}

/// A symbol exported by a module, placed by the linker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GSym {
    pub value: u32,
    /// Offset within its module's section (what `off16` gives).
    pub offset: u32,
    pub section: Section,
}

impl Expr {
    fn zero(col: usize) -> Expr {
        Expr { col, neg: false, kind: ExprKind::Num(0) }
    }
}

/// A resolved value.
struct Val {
    v: i64,
    /// The label it came from, with its section.
    label: Option<(String, Section)>,
}

/// Parsed operands, by operand format (`CallOp` has two syntaxes).
#[derive(Debug, Clone)]
enum Ops {
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

#[derive(Debug, Clone)]
enum ItemKind {
    Insn {
        row: &'static Row,
        ops: Ops,
    },
    Zeros(usize),
    Bytes(Vec<u8>),
    /// `.word` in `.text`: big-endian code words.
    CodeWords(Vec<Expr>),
    /// `.byte`/`.half`/`.word` in `.data`: little-endian values of `width` bytes.
    Values {
        width: u8,
        vals: Vec<Expr>,
    },
}

#[derive(Debug, Clone)]
struct Item {
    line: usize,
    col: usize,
    section: Section,
    offset: u32,
    kind: ItemKind,
}

#[derive(Debug, Clone)]
struct LabelDef {
    section: Section,
    offset: u32,
    line: usize,
    col: usize,
}

#[derive(Debug, Clone)]
enum EntrySpec {
    Here(u32),
    At(Expr),
}

struct Output {
    code: Vec<u8>,
    data: Vec<u8>,
    labels: BTreeMap<String, Label>,
}

/// A position in the (include-expanded) source: line index and column.
type Pos = (usize, usize);

pub(crate) struct Asm {
    src: source::Sources,
    origin: u32,
    section: Section,
    text_len: u32,
    data_len: u32,
    text_full: bool,
    data_full: bool,
    labels: BTreeMap<String, LabelDef>,
    items: Vec<Item>,
    data_addr: Option<(u32, usize)>,
    entry: Option<(usize, usize, EntrySpec)>,
    diags: Vec<Diagnostic>,
    /// `.extern`, `.import`, `.export` declarations (first position of each name).
    externs: BTreeMap<String, Pos>,
    imports: BTreeMap<String, Pos>,
    exports: BTreeMap<String, Pos>,
    /// `.value`, `.cmd`, `.mailbox` entries in source order.
    metas: Vec<(Pos, meta::MetaEntry)>,
    /// Set by the linker: the symbols every module exports, and this module's data base.
    globals: BTreeMap<String, GSym>,
    data_base: Option<u32>,
}

/// `R` or `r` followed by digits: a register name (valid or not), never a label.
fn is_register_like(name: &str) -> bool {
    let mut c = name.chars();
    matches!(c.next(), Some('r' | 'R')) && name.len() > 1 && c.all(|d| d.is_ascii_digit())
}

fn describe(toks: &[Token]) -> String {
    toks.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// Split operand tokens at top-level commas; every operand must be non-empty.
fn split_operands(toks: &[Token]) -> Result<Vec<&[Token]>, Err> {
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
fn reg(toks: &[Token]) -> Result<u8, Err> {
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
fn expr(toks: &[Token]) -> Result<Expr, Err> {
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
fn mem(toks: &[Token]) -> Result<(u8, Expr), Err> {
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
fn keyword_expr(toks: &[Token], kw: &str) -> Result<Expr, Err> {
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
fn syntax_of(f: FormatKind) -> (&'static str, &'static str) {
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

fn parse_ops(row: &'static Row, head: &Token, ops: &[&[Token]]) -> Result<Ops, Err> {
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

fn range_check(what: &str, v: &Val, lo: i64, hi: i64, range: &str, col: usize) -> Result<i64, Err> {
    if v.v < lo || v.v > hi {
        return Err((col, AsmErrorKind::OutOfRange { what: what.to_string(), value: v.v, range: range.to_string() }));
    }
    Ok(v.v)
}

const SIMM12: (i64, i64, &str) = (-2048, 2047, "-2048..2047 (12 bits signed)");

impl Asm {
    pub(crate) fn new(src: source::Sources, origin: u32) -> Asm {
        Asm {
            src,
            origin,
            section: Section::Text,
            text_len: 0,
            data_len: 0,
            text_full: false,
            data_full: false,
            labels: BTreeMap::new(),
            items: Vec::new(),
            data_addr: None,
            entry: None,
            diags: Vec::new(),
            externs: BTreeMap::new(),
            imports: BTreeMap::new(),
            exports: BTreeMap::new(),
            metas: Vec::new(),
            globals: BTreeMap::new(),
            data_base: None,
        }
    }

    /// Pass 1 over every line.
    pub(crate) fn pass1(&mut self) {
        for i in 0..self.src.lines.len() {
            let text = std::mem::take(&mut self.src.lines[i].text);
            self.line(i, &text);
            self.src.lines[i].text = text;
        }
    }

    /// The diagnostics so far, sorted, as an error (or `Ok` when there are none).
    pub(crate) fn finish(&mut self) -> Result<(), AsmError> {
        if self.diags.is_empty() {
            return Ok(());
        }
        Err(sorted(std::mem::take(&mut self.diags)))
    }

    /// `file:line` of a line index (for messages about another place).
    pub(crate) fn where_(&self, idx: usize) -> String {
        let l = &self.src.lines[idx];
        format!("{}:{}", self.src.files[l.file], l.line)
    }

    /// The 1-based line number (in its own file) of a line index.
    fn line_no(&self, idx: usize) -> usize {
        self.src.lines.get(idx).map(|l| l.line).unwrap_or(1)
    }

    pub(crate) fn diag(&self, idx: usize, (col, kind): Err) -> Diagnostic {
        match self.src.lines.get(idx) {
            Some(l) => Diagnostic { file: self.src.files[l.file].clone(), line: l.line, col, kind },
            None => Diagnostic { file: self.src.files.first().cloned().unwrap_or_default(), line: 1, col, kind },
        }
    }

    fn err(&mut self, line: usize, e: Err) {
        let d = self.diag(line, e);
        self.diags.push(d);
    }

    fn cur_offset(&self) -> u32 {
        match self.section {
            Section::Text => self.text_len,
            Section::Data => self.data_len,
        }
    }

    /// Append a statement of `len` bytes to the current section (unless it would overflow
    /// the section, which is reported once; later statements there are then dropped).
    fn push(&mut self, line: usize, col: usize, len: u64, kind: ItemKind) {
        let section = self.section;
        let (cur, full, limit) = match section {
            Section::Text => (self.text_len, self.text_full, 0x1_0000 - self.origin as u64),
            Section::Data => (self.data_len, self.data_full, 0x1_0000),
        };
        if full {
            return;
        }
        if cur as u64 + len > limit {
            let kind = match section {
                Section::Text => {
                    self.text_full = true;
                    AsmErrorKind::CodeTooLong
                }
                Section::Data => {
                    self.data_full = true;
                    let addr = self.data_addr.map(|d| d.0).unwrap_or(RODATA_BASE);
                    AsmErrorKind::DataTooLarge { addr, len: cur as u64 + len }
                }
            };
            self.err(line, (col, kind));
            return;
        }
        self.items.push(Item { line, col, section, offset: cur, kind });
        match section {
            Section::Text => self.text_len += len as u32,
            Section::Data => self.data_len += len as u32,
        }
    }

    fn line(&mut self, no: usize, src: &str) {
        if self.meta_line(no, src) {
            return;
        }
        let toks = match lex(src) {
            Ok(t) => t,
            Err(e) => return self.err(no, e),
        };
        let mut i = 0;
        while i + 1 < toks.len() && toks[i + 1].tok == Tok::Colon {
            let Tok::Ident(name) = &toks[i].tok else { break };
            self.define_label(no, toks[i].col, name);
            i += 2;
        }
        let rest = &toks[i..];
        let Some(head) = rest.first() else { return };
        let Tok::Ident(name) = &head.tok else {
            return self.err(
                no,
                (
                    head.col,
                    AsmErrorKind::Syntax(format!("expected a label, mnemonic or directive, found `{}`", head.text)),
                ),
            );
        };
        let ops = match split_operands(&rest[1..]) {
            Ok(o) => o,
            Err(e) => return self.err(no, e),
        };
        if name.starts_with('.') {
            self.directive(no, head, name, &ops);
        } else {
            self.instruction(no, head, name, &ops);
        }
    }

    fn define_label(&mut self, no: usize, col: usize, name: &str) {
        if is_register_like(name) {
            return self.err(no, (col, AsmErrorKind::LabelIsRegister(name.to_string())));
        }
        if let Some(prev) = self.labels.get(name) {
            let first_line = self.line_no(prev.line);
            let (pf, nf) = (self.src.lines[prev.line].file, self.src.lines[no].file);
            let first_file = if pf == nf { String::new() } else { format!(" of {}", self.src.files[pf]) };
            let kind = AsmErrorKind::DuplicateLabel { name: name.to_string(), first_line, first_file };
            return self.err(no, (col, kind));
        }
        let def = LabelDef { section: self.section, offset: self.cur_offset(), line: no, col };
        self.labels.insert(name.to_string(), def);
    }

    fn instruction(&mut self, no: usize, head: &Token, name: &str, ops: &[&[Token]]) {
        let Some(row) = lookup_mnemonic(name) else {
            return self.err(no, (head.col, AsmErrorKind::UnknownMnemonic(name.to_string())));
        };
        if self.section == Section::Data {
            return self.err(no, (head.col, AsmErrorKind::NotInData(format!("instruction `{name}`"))));
        }
        let len = 4 * row.format.words() as u64;
        match parse_ops(row, head, ops) {
            Ok(ops) => self.push(no, head.col, len, ItemKind::Insn { row, ops }),
            Err(e) => {
                self.err(no, e);
                self.push(no, head.col, len, ItemKind::Zeros(len as usize));
            }
        }
    }

    /// A number-only operand (no labels): `.data ADDRESS`, `.align n`.
    fn const_operand(&mut self, no: usize, what: &str, toks: &[Token]) -> Option<(i64, usize)> {
        match expr(toks) {
            Ok(Expr { col, neg, kind: ExprKind::Num(v) }) => Some((if neg { -v } else { v }, col)),
            Ok(Expr { col, kind: ExprKind::Label(l, _), .. }) => {
                self.err(no, (col, AsmErrorKind::Syntax(format!("{what} must be a number, found label `{l}`"))));
                None
            }
            Err(e) => {
                self.err(no, e);
                None
            }
        }
    }

    fn directive(&mut self, no: usize, head: &Token, name: &str, ops: &[&[Token]]) {
        let lower = name.to_ascii_lowercase();
        let n = ops.len();
        let count_err = |max: &str| {
            (head.col, AsmErrorKind::OperandCount { mnemonic: name.to_string(), expected: max.to_string(), found: n })
        };
        match lower.as_str() {
            ".text" => {
                if n != 0 {
                    return self.err(no, count_err("no operands"));
                }
                self.section = Section::Text;
            }
            ".data" => {
                if n > 1 {
                    return self.err(no, count_err("0 or 1 operand (.data [address])"));
                }
                self.section = Section::Data;
                let Some(op) = ops.first() else { return };
                let Some((v, col)) = self.const_operand(no, ".data address", op) else { return };
                if !(0..=0xFFFF).contains(&v) {
                    let kind =
                        AsmErrorKind::OutOfRange { what: ".data address".into(), value: v, range: "0..0xFFFF".into() };
                    return self.err(no, (col, kind));
                }
                match self.data_addr {
                    Some((first, line)) if first != v as u32 => {
                        let line = self.line_no(line);
                        self.err(no, (col, AsmErrorKind::DataAddrTwice { first, line }));
                    }
                    Some(_) => {}
                    None => self.data_addr = Some((v as u32, no)),
                }
            }
            ".entry" => {
                if n > 1 {
                    return self.err(no, count_err("0 or 1 operand (.entry [label])"));
                }
                if let Some((line, _, _)) = self.entry {
                    let line = self.line_no(line);
                    return self.err(no, (head.col, AsmErrorKind::EntryTwice(line)));
                }
                let spec = match ops.first() {
                    None => EntrySpec::Here(self.text_len),
                    Some(op) => match expr(op) {
                        Ok(e) => EntrySpec::At(e),
                        Err(e) => return self.err(no, e),
                    },
                };
                self.entry = Some((no, head.col, spec));
            }
            ".align" => {
                if n != 1 {
                    return self.err(no, count_err("1 operand (.align n)"));
                }
                let Some((v, col)) = self.const_operand(no, ".align", ops[0]) else { return };
                if !(1..=0x1_0000).contains(&v) || (v & (v - 1)) != 0 {
                    return self.err(no, (col, AsmErrorKind::BadAlign(v)));
                }
                let cur = self.cur_offset() as u64;
                let pad = (v as u64 - cur % v as u64) % v as u64;
                if pad > 0 {
                    self.push(no, head.col, pad, ItemKind::Zeros(pad as usize));
                }
            }
            ".byte" | ".half" | ".hword" | ".word" => {
                let width: u8 = match lower.as_str() {
                    ".byte" => 1,
                    ".word" => 4,
                    _ => 2,
                };
                if width != 4 && self.section == Section::Text {
                    return self.err(
                        no,
                        (head.col, AsmErrorKind::NotInText(format!("`{name}` (use .word for raw code words)"))),
                    );
                }
                if n == 0 {
                    return self.err(no, count_err("at least 1 value"));
                }
                let mut vals = Vec::with_capacity(n);
                for op in ops {
                    if let (1, [Token { tok: Tok::Str(bytes), col, .. }]) = (width, op) {
                        // `.byte "text"`: the string's bytes (no NUL).
                        vals.extend(bytes.iter().map(|&b| Expr {
                            col: *col,
                            neg: false,
                            kind: ExprKind::Num(b as i64),
                        }));
                        continue;
                    }
                    match expr(op) {
                        Ok(e) => vals.push(e),
                        Err(e) => {
                            self.err(no, e);
                            vals.push(Expr::zero(op[0].col));
                        }
                    }
                }
                let len = width as u64 * vals.len() as u64;
                let kind = match self.section {
                    Section::Text => ItemKind::CodeWords(vals),
                    Section::Data => ItemKind::Values { width, vals },
                };
                self.push(no, head.col, len, kind);
            }
            ".asciz" | ".string" => {
                if self.section == Section::Text {
                    return self.err(no, (head.col, AsmErrorKind::NotInText(format!("`{name}`"))));
                }
                if n == 0 {
                    return self.err(no, count_err("at least 1 string"));
                }
                let mut bytes = Vec::new();
                for op in ops {
                    match op {
                        [Token { tok: Tok::Str(s), .. }] => {
                            bytes.extend_from_slice(s);
                            bytes.push(0);
                        }
                        _ => {
                            let kind =
                                AsmErrorKind::Syntax(format!("expected a string literal, found `{}`", describe(op)));
                            self.err(no, (op[0].col, kind));
                        }
                    }
                }
                let len = bytes.len() as u64;
                self.push(no, head.col, len, ItemKind::Bytes(bytes));
            }
            ".extern" | ".import" | ".export" => {
                if n == 0 {
                    return self.err(no, count_err("at least 1 symbol"));
                }
                for op in ops {
                    match op {
                        [Token { tok: Tok::Ident(sym), col, .. }] if !is_register_like(sym) => {
                            let map = match lower.as_str() {
                                ".extern" => &mut self.externs,
                                ".import" => &mut self.imports,
                                _ => &mut self.exports,
                            };
                            map.entry(sym.clone()).or_insert((no, *col));
                        }
                        _ => {
                            let kind =
                                AsmErrorKind::Syntax(format!("expected a symbol name, found `{}`", describe(op)));
                            self.err(no, (op[0].col, kind));
                        }
                    }
                }
            }
            ".org" => {
                if self.section != Section::Text {
                    return self.err(no, (head.col, AsmErrorKind::NotInData("`.org`".into())));
                }
                if n != 1 {
                    return self.err(no, count_err("1 operand (.org offset)"));
                }
                let Some((v, col)) = self.const_operand(no, ".org", ops[0]) else { return };
                if !(0..=0xFFFF).contains(&v) || v % 4 != 0 {
                    return self.err(no, (col, AsmErrorKind::BadOrigin(v as u32)));
                }
                if v < self.text_len as i64 {
                    return self.err(no, (col, AsmErrorKind::OrgBackwards { target: v, cur: self.text_len }));
                }
                let pad = v as u64 - self.text_len as u64;
                if pad > 0 {
                    self.push(no, head.col, pad, ItemKind::Zeros(pad as usize));
                }
            }
            ".zero" | ".ascii" => {
                if self.section == Section::Text {
                    return self.err(no, (head.col, AsmErrorKind::NotInText(format!("`{name}`"))));
                }
                if lower == ".zero" {
                    if n != 1 {
                        return self.err(no, count_err("1 operand (.zero count)"));
                    }
                    let Some((v, col)) = self.const_operand(no, ".zero", ops[0]) else { return };
                    if !(0..=0x1_0000).contains(&v) {
                        let range = "0..65536".to_string();
                        return self
                            .err(no, (col, AsmErrorKind::OutOfRange { what: ".zero count".into(), value: v, range }));
                    }
                    return self.push(no, head.col, v as u64, ItemKind::Zeros(v as usize));
                }
                if n == 0 {
                    return self.err(no, count_err("at least 1 string"));
                }
                let mut bytes = Vec::new();
                for op in ops {
                    match op {
                        [Token { tok: Tok::Str(s), .. }] => bytes.extend_from_slice(s),
                        _ => {
                            let kind =
                                AsmErrorKind::Syntax(format!("expected a string literal, found `{}`", describe(op)));
                            self.err(no, (op[0].col, kind));
                        }
                    }
                }
                let len = bytes.len() as u64;
                self.push(no, head.col, len, ItemKind::Bytes(bytes));
            }
            _ => self.err(no, (head.col, AsmErrorKind::UnknownDirective(name.to_string()))),
        }
    }

    /// `.value`, `.cmd`, `.mailbox` (optionally after labels): the rest of the line up to
    /// the first `;` is JSON. Returns false when the line is something else.
    fn meta_line(&mut self, no: usize, src: &str) -> bool {
        let body = src.split(';').next().unwrap_or("");
        // Skip leading `label:` definitions.
        let mut rest = body.trim_start();
        loop {
            let word_end = rest.find(|c: char| c.is_whitespace() || c == ':').unwrap_or(rest.len());
            if rest[word_end..].starts_with(':') && word_end > 0 && !rest.starts_with('.') {
                rest = rest[word_end + 1..].trim_start();
                continue;
            }
            break;
        }
        let word_end = rest.find(|c: char| c.is_whitespace() || c == '{' || c == '[').unwrap_or(rest.len());
        let Some(kind) = meta::MetaKind::from_directive(&rest[..word_end]) else { return false };
        // Labels before the directive are defined as usual.
        let head_off = body.len() - rest.len();
        if head_off > 0 {
            if let Ok(toks) = lex(&body[..head_off]) {
                for pair in toks.chunks(2) {
                    if let [Token { tok: Tok::Ident(name), col, .. }, Token { tok: Tok::Colon, .. }] = pair {
                        self.define_label(no, *col, name);
                    }
                }
            }
        }
        let col = body[..head_off].chars().count() + 1;
        let json = &rest[word_end..];
        let json_col = col + rest[..word_end].chars().count();
        match meta::parse(kind, json) {
            Ok(entries) => {
                for e in entries {
                    self.metas.push(((no, col), e));
                }
            }
            Err((off, kind)) => {
                let c = if off == 0 { col } else { json_col + off };
                self.err(no, (c, kind));
            }
        }
        true
    }

    // ---- pass 2 ----

    fn data_base(&self) -> u32 {
        self.data_base.unwrap_or_else(|| self.data_addr.map(|d| d.0).unwrap_or(RODATA_BASE))
    }

    fn label_value(&self, d: &LabelDef) -> u32 {
        match d.section {
            Section::Text => self.origin + d.offset,
            Section::Data => self.data_base() + d.offset,
        }
    }

    fn eval(&self, e: &Expr) -> Result<Val, Err> {
        let mut val = match &e.kind {
            ExprKind::Num(v) => Val { v: *v, label: None },
            ExprKind::Label(name, op) => {
                let local = self.labels.get(name);
                if local.is_none() && !self.externs.contains_key(name) && !self.imports.contains_key(name) {
                    return Err((e.col, AsmErrorKind::UndefinedLabel(name.clone())));
                }
                if let (AddrOp::Off16, Some(LabelDef { section: Section::Text, .. })) = (op, local) {
                    return Err((e.col, AsmErrorKind::Off16NotData(name.clone())));
                }
                // The prototype's linker resolves a name through the exported symbols
                // first, then the module's own labels.
                let sym = match (self.globals.get(name), local) {
                    (Some(g), _) => *g,
                    (None, Some(d)) => GSym { value: self.label_value(d), offset: d.offset, section: d.section },
                    (None, None) => return Err((e.col, AsmErrorKind::UnresolvedExtern(name.clone()))),
                };
                match op {
                    AddrOp::None => Val { v: sym.value as i64, label: Some((name.clone(), sym.section)) },
                    AddrOp::Lo16 => Val { v: (sym.value & 0xFFFF) as i64, label: None },
                    AddrOp::Hi16 => Val { v: (sym.value >> 16) as i64, label: None },
                    AddrOp::Off16 => Val { v: (sym.offset & 0xFFFF) as i64, label: None },
                }
            }
        };
        if e.neg {
            val.v = -val.v;
        }
        Ok(val)
    }

    /// A code target (JMP/JZ/JNZ/CALL/.entry): a `.text` label or a number.
    fn code_target(&self, e: &Expr, what: &str) -> Result<Val, Err> {
        let v = self.eval(e)?;
        if let Some((name, Section::Data)) = &v.label {
            return Err((e.col, AsmErrorKind::DataLabel { name: name.clone(), what: what.to_string() }));
        }
        Ok(v)
    }

    fn simm12(&self, e: &Expr, what: &str, hint: &str) -> Result<i16, Err> {
        let v = self.eval(e)?;
        let range = format!("{}{hint}", SIMM12.2);
        Ok(range_check(what, &v, SIMM12.0, SIMM12.1, &range, e.col)? as i16)
    }

    fn encode(&self, row: &'static Row, ops: &Ops, pc: u32) -> Result<Vec<u32>, Err> {
        let m = row.mnemonic;
        let any = match ops {
            Ops::RdImm { rd, imm } => {
                AnyOperands::RdImm(RdImm { rd: *rd, imm: self.simm12(imm, &format!("{m} value"), "; use LDI32")? })
            }
            Ops::Load { rd, rs1, off } => {
                AnyOperands::Load(Load { rd: *rd, rs1: *rs1, imm: self.simm12(off, &format!("{m} offset"), "")? })
            }
            Ops::Store { rs1, off, rs2 } => {
                AnyOperands::Store(Store { rs1: *rs1, imm: self.simm12(off, &format!("{m} offset"), "")?, rs2: *rs2 })
            }
            Ops::RdRs { rd, rs1 } => AnyOperands::RdRs(RdRs { rd: *rd, rs1: *rs1 }),
            Ops::RdRsRs { rd, rs1, rs2 } => AnyOperands::RdRsRs(RdRsRs { rd: *rd, rs1: *rs1, rs2: *rs2 }),
            Ops::RsRs { rs1, rs2 } => AnyOperands::RsRs(RsRs { rs1: *rs1, rs2: *rs2 }),
            Ops::Target(e) => {
                let what = format!("{m} target");
                let v = self.code_target(e, &what)?;
                let t = range_check(&what, &v, 0, 0xFFF, "0..0xFFC (12 bits unsigned, absolute)", e.col)?;
                if t % 4 != 0 {
                    return Err((e.col, AsmErrorKind::Misaligned { what, value: t }));
                }
                AnyOperands::Target(Target { target: t as u16 })
            }
            Ops::CallTarget(e) => {
                let what = format!("{m} target");
                let v = self.code_target(e, &what)?;
                let t = range_check(&what, &v, 0, 0xFFFF, "0..0xFFFC (a code offset)", e.col)?;
                if t % 4 != 0 {
                    return Err((e.col, AsmErrorKind::Misaligned { what, value: t }));
                }
                // PC arithmetic is modulo 2^16, so the distance is too.
                let delta = (t as u32).wrapping_sub(pc) as u16 as i16 as i64;
                let dist = Val { v: delta, label: None };
                let range = format!("-8192..8188 bytes from the {m} at 0x{pc:04X} (12-bit signed word offset)");
                range_check(&format!("{m} target 0x{t:04X}: distance"), &dist, -8192, 8188, &range, e.col)?;
                AnyOperands::CallOp(CallOp { rs1: 0, imm: (delta / 4) as i16 })
            }
            Ops::CallReg { rs1, imm } => {
                AnyOperands::CallOp(CallOp { rs1: *rs1, imm: self.simm12(imm, &format!("{m} word offset"), "")? })
            }
            Ops::NoOperands => AnyOperands::NoOperands(NoOperands {}),
            Ops::Svc { module, func } => {
                let mv = self.eval(module)?;
                let module = range_check(&format!("{m} module"), &mv, 0, 15, "0..15 (4 bits)", module.col)? as u8;
                let fv = self.eval(func)?;
                let func = range_check(&format!("{m} function"), &fv, 0, 255, "0..255 (8 bits)", func.col)? as u8;
                AnyOperands::SvcOp(SvcOp { module, func })
            }
            Ops::SvcImm(e) => {
                let v = self.eval(e)?;
                let imm =
                    range_check(&format!("{m} immediate"), &v, 0, 0xFFF, "0..0xFFF (module << 8 | function)", e.col)?;
                AnyOperands::SvcOp(SvcOp { module: (imm >> 8) as u8, func: (imm & 0xFF) as u8 })
            }
            Ops::Rs(r) => AnyOperands::Rs(Rs { rs1: *r }),
            Ops::Rd(r) => AnyOperands::Rd(Rd { rd: *r }),
            Ops::Brk(code) => {
                let code = match code {
                    None => 0,
                    Some(e) => {
                        let v = self.eval(e)?;
                        range_check(&format!("{m} code"), &v, 0, 255, "0..255 (8 bits)", e.col)? as u8
                    }
                };
                AnyOperands::BrkOp(BrkOp { code })
            }
            Ops::Imm32 { rd, value } => {
                let v = self.eval(value)?;
                let v = range_check(
                    &format!("{m} value"),
                    &v,
                    -(1 << 31),
                    u32::MAX as i64,
                    "-2147483648..4294967295 (32 bits)",
                    value.col,
                )?;
                AnyOperands::Imm32(Imm32 { rd: *rd, value: v as u32 })
            }
        };
        let insn = Insn::from_parts(row.opcode, any)
            .ok_or((0, AsmErrorKind::Syntax(format!("internal error: operands do not match the format of {m}"))))?;
        Ok(insn.encode().as_slice().to_vec())
    }

    fn value_bytes(&self, e: &Expr, width: u8, big_endian: bool) -> Result<Vec<u8>, Err> {
        let v = self.eval(e)?;
        let (what, lo, hi, range): (&str, i64, i64, &str) = match width {
            1 => (".byte value", -128, 255, "-128..255"),
            2 => (".half value", -32768, 65535, "-32768..65535"),
            _ => (".word value", -(1 << 31), u32::MAX as i64, "-2147483648..4294967295"),
        };
        let v = range_check(what, &v, lo, hi, range, e.col)? as u32;
        let bytes = if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        Ok(match width {
            1 => vec![bytes[if big_endian { 3 } else { 0 }]],
            2 => {
                if big_endian {
                    bytes[2..].to_vec()
                } else {
                    bytes[..2].to_vec()
                }
            }
            _ => bytes.to_vec(),
        })
    }

    fn pass2(&mut self) -> Output {
        let mut code: Vec<u8> = Vec::with_capacity(self.text_len as usize);
        let mut data: Vec<u8> = Vec::with_capacity(self.data_len as usize);
        let data_base = self.data_base();
        let mut data_reported = false;
        let mut errs: Vec<(usize, Err)> = Vec::new();
        for item in &self.items {
            let mut bytes: Vec<u8> = Vec::new();
            match &item.kind {
                ItemKind::Zeros(n) => bytes.resize(*n, 0),
                ItemKind::Bytes(b) => bytes.extend_from_slice(b),
                ItemKind::CodeWords(vals) | ItemKind::Values { vals, .. } => {
                    let (width, be) = match &item.kind {
                        ItemKind::Values { width, .. } => (*width, false),
                        _ => (4, true),
                    };
                    for e in vals {
                        match self.value_bytes(e, width, be) {
                            Ok(b) => bytes.extend(b),
                            Err(err) => {
                                errs.push((item.line, err));
                                bytes.resize(bytes.len() + width as usize, 0);
                            }
                        }
                    }
                }
                ItemKind::Insn { row, ops } => {
                    let words = row.format.words();
                    match self.encode(row, ops, self.origin + item.offset) {
                        Ok(ws) => ws.iter().for_each(|w| bytes.extend(w.to_be_bytes())),
                        Err((col, kind)) => {
                            let col = if col == 0 { item.col } else { col };
                            errs.push((item.line, (col, kind)));
                            bytes.resize(4 * words, 0);
                        }
                    }
                }
            }
            match item.section {
                Section::Text => {
                    debug_assert_eq!(code.len(), item.offset as usize);
                    code.extend(bytes);
                }
                Section::Data => {
                    debug_assert_eq!(data.len(), item.offset as usize);
                    data.extend(bytes);
                    let end = data_base as u64 + data.len() as u64;
                    if end > 0x1_0000 && !data_reported {
                        data_reported = true;
                        let kind = AsmErrorKind::DataTooLarge { addr: data_base, len: data.len() as u64 };
                        errs.push((item.line, (item.col, kind)));
                    }
                }
            }
        }

        for (line, e) in errs {
            self.err(line, e);
        }
        let labels = self
            .labels
            .iter()
            .map(|(name, d)| {
                (name.clone(), Label { section: d.section, value: self.label_value(d), line: self.line_no(d.line) })
            })
            .collect();
        Output { code, data, labels }
    }
}

#[cfg(test)]
mod tests;
