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
//!
//! Layout: this file holds the public API and the two passes' driver (`Asm`: lines,
//! labels, instructions, sizing); `asm/lex.rs` the lexer, `asm/operand.rs` operand
//! parsing, `asm/directive.rs` the directives, `asm/encode.rs` value resolution and
//! encoding (pass 2), `asm/error.rs` the errors, `asm/meta.rs` `.value`/`.cmd`/`.mailbox`,
//! `asm/source.rs` `.include` expansion, `asm/link.rs` linking several modules.

mod directive;
mod encode;
mod error;
mod lex;
mod link;
mod meta;
mod operand;
mod source;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub(crate) use error::sorted;
pub use error::{AsmError, AsmErrorKind, Diagnostic};
pub use link::{assemble_modules, Module};
pub use source::{FsLoader, NoFiles, Recording, SourceLoader};

use crate::arch::RODATA_BASE;
use crate::format::*;
use crate::hxe::Image;
use crate::table::{lookup_mnemonic, Insn, Row};
use lex::{lex, Tok, Token};
use operand::*;

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

/// A symbol exported by a module, placed by the linker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GSym {
    pub value: u32,
    /// Offset within its module's section (what `off16` gives).
    pub offset: u32,
    pub section: Section,
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
