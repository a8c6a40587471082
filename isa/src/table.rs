//! The one ISA table. Every other place that needs an opcode number, a mnemonic or an
//! operand format (the `Insn` enum, decoder, encoder, assembler, disassembler and the
//! generated RTL opcode package) is derived from the rows below.

use crate::format::*;

/// Declares the table. Each row: `Variant, "MNEMONIC", opcode, Format;`.
macro_rules! isa_table {
    ($( $variant:ident, $mn:literal, $op:literal, $fmt:ident; )*) => {
        /// One decoded instruction. Variant names are the mnemonics (`add` is `Insn::Add`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Insn {
            $( $variant($fmt), )*
        }

        /// The opcode byte of each instruction (bits 31:24 of its first word).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Opcode {
            $( $variant = $op, )*
        }

        /// A row of the table, as data (for generators, the assembler and docs).
        pub const TABLE: &[Row] = &[
            $( Row { name: stringify!($variant), mnemonic: $mn, opcode: Opcode::$variant, format: FormatKind::$fmt }, )*
        ];

        /// The opcode bytes as constants usable in patterns (`op::Add` = 0x10), for a
        /// decoder that dispatches on the raw byte through one jump table.
        #[allow(non_upper_case_globals)]
        pub mod op {
            $( pub const $variant: u8 = $op; )*
        }

        impl Opcode {
            /// The opcode for a byte, or `None` if the byte is not a legal opcode (ILLEGAL).
            /// A table lookup (the decoder's hot path).
            #[inline(always)]
            pub const fn from_byte(b: u8) -> Option<Opcode> {
                const LUT: [Option<Opcode>; 256] = {
                    let mut t: [Option<Opcode>; 256] = [None; 256];
                    $( t[$op] = Some(Opcode::$variant); )*
                    t
                };
                LUT[b as usize]
            }
            /// The upper-case mnemonic.
            pub const fn mnemonic(self) -> &'static str {
                match self { $( Opcode::$variant => $mn, )* }
            }
            /// The operand format.
            pub const fn format(self) -> FormatKind {
                match self { $( Opcode::$variant => FormatKind::$fmt, )* }
            }
        }

        impl Insn {
            /// The opcode of this instruction.
            #[inline]
            pub const fn opcode(&self) -> Opcode {
                match self { $( Insn::$variant(_) => Opcode::$variant, )* }
            }

            /// Decode the instruction whose first word is `word`; `next` is the following code
            /// word when there is one (only `LDI32` reads it). Unused fields are ignored.
            #[inline]
            pub fn decode(word: u32, next: Option<u32>) -> Result<Insn, DecodeError> {
                let op = Opcode::from_byte((word >> 24) as u8).ok_or(DecodeError::Illegal((word >> 24) as u8))?;
                Ok(match op {
                    $( Opcode::$variant => Insn::$variant(<$fmt as Operands>::decode(word, next).ok_or(DecodeError::MissingLiteral)?), )*
                })
            }

            /// Encode to one or two code words (canonical: unused fields zero).
            pub fn encode(&self) -> Encoded {
                match self {
                    $( Insn::$variant(f) => f.encode(($op as u32) << 24), )*
                }
            }

            /// Build an instruction from an opcode and its operands (the assembler's path).
            pub fn from_parts(op: Opcode, ops: AnyOperands) -> Option<Insn> {
                match (op, ops) {
                    $( (Opcode::$variant, AnyOperands::$fmt(f)) => Some(Insn::$variant(f)), )*
                    _ => None,
                }
            }

            /// The operands, format-erased.
            pub fn operands(&self) -> AnyOperands {
                match self { $( Insn::$variant(f) => AnyOperands::$fmt(*f), )* }
            }
        }
    };
}

isa_table! {
    Ldi,   "LDI",   0x01, RdImm;
    Ld,    "LD",    0x02, Load;
    St,    "ST",    0x03, Store;
    Mov,   "MOV",   0x04, RdRs;
    Ldb,   "LDB",   0x06, Load;
    Ldh,   "LDH",   0x07, Load;
    Stb,   "STB",   0x08, Store;
    Sth,   "STH",   0x09, Store;
    Add,   "ADD",   0x10, RdRsRs;
    Sub,   "SUB",   0x11, RdRsRs;
    Mul,   "MUL",   0x12, RdRsRs;
    Div,   "DIV",   0x13, RdRsRs;
    And,   "AND",   0x14, RdRsRs;
    Or,    "OR",    0x15, RdRsRs;
    Xor,   "XOR",   0x16, RdRsRs;
    Not,   "NOT",   0x17, RdRs;
    Cmp,   "CMP",   0x20, RsRs;
    Jmp,   "JMP",   0x21, Target;
    Jz,    "JZ",    0x22, Target;
    Jnz,   "JNZ",   0x23, Target;
    Call,  "CALL",  0x24, CallOp;
    Ret,   "RET",   0x25, NoOperands;
    Svc,   "SVC",   0x30, SvcOp;
    Lsl,   "LSL",   0x31, RdRsRs;
    Lsr,   "LSR",   0x32, RdRsRs;
    Asr,   "ASR",   0x33, RdRsRs;
    Adc,   "ADC",   0x34, RdRsRs;
    Sbc,   "SBC",   0x35, RdRsRs;
    Push,  "PUSH",  0x40, Rs;
    Pop,   "POP",   0x41, Rd;
    Fadd,  "FADD",  0x50, RdRsRs;
    Fsub,  "FSUB",  0x51, RdRsRs;
    Fmul,  "FMUL",  0x52, RdRsRs;
    Fdiv,  "FDIV",  0x53, RdRsRs;
    I2f,   "I2F",   0x54, RdRs;
    F2i,   "F2I",   0x55, RdRs;
    Ldi32, "LDI32", 0x60, Imm32;
    Brk,   "BRK",   0x7F, BrkOp;
}

/// A table row as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Rust variant name (`Add`), also the RTL enum name after an `Op` prefix (`OpAdd`).
    pub name: &'static str,
    /// Upper-case mnemonic (`ADD`).
    pub mnemonic: &'static str,
    pub opcode: Opcode,
    pub format: FormatKind,
}

/// Look a mnemonic up (case-insensitive).
pub fn lookup_mnemonic(m: &str) -> Option<&'static Row> {
    TABLE.iter().find(|r| r.mnemonic.eq_ignore_ascii_case(m))
}

/// Why a word does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("illegal opcode 0x{0:02X}")]
    Illegal(u8),
    #[error("LDI32 without its literal word")]
    MissingLiteral,
}

/// One or two encoded code words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoded {
    pub words: [u32; 2],
    pub len: usize,
}

impl Encoded {
    pub fn one(w: u32) -> Self {
        Encoded { words: [w, 0], len: 1 }
    }
    pub fn two(w: u32, lit: u32) -> Self {
        Encoded { words: [w, lit], len: 2 }
    }
    pub fn as_slice(&self) -> &[u32] {
        &self.words[..self.len]
    }
}
