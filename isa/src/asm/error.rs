//! The assembler's errors: what is wrong ([`AsmErrorKind`]) at one source position
//! ([`Diagnostic`]), and all of them sorted by position ([`AsmError`]).

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
