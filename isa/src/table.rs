//! The one ISA table. Every other place that needs an opcode number, a mnemonic, an
//! operand format, an instruction class or a base cycle count (the `Insn` enum, decoder,
//! encoder, assembler, disassembler, the harness's timing model, the generator's
//! instruction groups and the generated RTL package with its typed decode enums) is
//! derived from the rows below.

use crate::format::*;

/// Declares the table. Each row: `Variant, "MNEMONIC", opcode, Format, Class, cycles;`
/// (`Class` an [`InsnClass`], `cycles` the instruction's base cycle count `I` of
/// docs/timing.md: fast path, no fault, an access within one RAM word).
macro_rules! isa_table {
    ($( $variant:ident, $mn:literal, $op:literal, $fmt:ident, $cls:ident, $cyc:literal; )*) => {
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
            $( Row {
                name: stringify!($variant),
                mnemonic: $mn,
                opcode: Opcode::$variant,
                format: FormatKind::$fmt,
                class: InsnClass::$cls,
                cycles: $cyc,
            }, )*
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
            /// The instruction class (how the RTL core sequences it).
            pub const fn class(self) -> InsnClass {
                match self { $( Opcode::$variant => InsnClass::$cls, )* }
            }
            /// The base cycle count `I` of docs/timing.md (fast path, no fault, an access
            /// within one RAM word).
            pub const fn cycles(self) -> u32 {
                match self { $( Opcode::$variant => $cyc, )* }
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
    Ldi,   "LDI",   0x01, RdImm,      Ldi,   2;
    Ld,    "LD",    0x02, Load,       Load,  4;
    St,    "ST",    0x03, Store,      Store, 4;
    Mov,   "MOV",   0x04, RdRs,       AluR,  3;
    Ldb,   "LDB",   0x06, Load,       Load,  4;
    Ldh,   "LDH",   0x07, Load,       Load,  4;
    Stb,   "STB",   0x08, Store,      Store, 4;
    Sth,   "STH",   0x09, Store,      Store, 4;
    Add,   "ADD",   0x10, RdRsRs,     AluRr, 4;
    Sub,   "SUB",   0x11, RdRsRs,     AluRr, 4;
    Mul,   "MUL",   0x12, RdRsRs,     AluRr, 4;
    Div,   "DIV",   0x13, RdRsRs,     Div,   36;
    And,   "AND",   0x14, RdRsRs,     AluRr, 4;
    Or,    "OR",    0x15, RdRsRs,     AluRr, 4;
    Xor,   "XOR",   0x16, RdRsRs,     AluRr, 4;
    Not,   "NOT",   0x17, RdRs,       AluR,  3;
    Cmp,   "CMP",   0x20, RsRs,       AluRr, 4;
    Jmp,   "JMP",   0x21, Target,     Jump,  2;
    Jz,    "JZ",    0x22, Target,     Jump,  2;
    Jnz,   "JNZ",   0x23, Target,     Jump,  2;
    Call,  "CALL",  0x24, CallOp,     Call,  4;
    Ret,   "RET",   0x25, NoOperands, Ret,   3;
    Svc,   "SVC",   0x30, SvcOp,      Svc,   2;
    Lsl,   "LSL",   0x31, RdRsRs,     AluRr, 4;
    Lsr,   "LSR",   0x32, RdRsRs,     AluRr, 4;
    Asr,   "ASR",   0x33, RdRsRs,     AluRr, 4;
    Adc,   "ADC",   0x34, RdRsRs,     AluRr, 4;
    Sbc,   "SBC",   0x35, RdRsRs,     AluRr, 4;
    Push,  "PUSH",  0x40, Rs,         Push,  4;
    Pop,   "POP",   0x41, Rd,         Pop,   4;
    Fadd,  "FADD",  0x50, RdRsRs,     Fp,    5;
    Fsub,  "FSUB",  0x51, RdRsRs,     Fp,    5;
    Fmul,  "FMUL",  0x52, RdRsRs,     Fp,    5;
    Fdiv,  "FDIV",  0x53, RdRsRs,     Fp,    5;
    I2f,   "I2F",   0x54, RdRs,       Fp,    4;
    F2i,   "F2I",   0x55, RdRs,       Fp,    4;
    Ldi32, "LDI32", 0x60, Imm32,      Ldi32, 3;
    Brk,   "BRK",   0x7F, BrkOp,      Brk,   2;
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
    /// How the RTL core sequences it (also the harness's timing class).
    pub class: InsnClass,
    /// Base cycle count `I` of docs/timing.md.
    pub cycles: u32,
}

/// Instruction classes: how the RTL core sequences an instruction (its decoder maps
/// every opcode to one, and its state machine cases over the class). The discriminants
/// are the RTL encoding (`hsx_isa_pkg::cls_e`); 0 is the RTL's `ClsIllegal`, the class
/// of every byte that is not an opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum InsnClass {
    /// LDI.
    Ldi = 1,
    /// LDI32 (reads a literal word).
    Ldi32 = 2,
    /// One register operand through the ALU: MOV, NOT.
    AluR = 3,
    /// Two register operands through the ALU (CMP writes no register).
    AluRr = 4,
    /// DIV (the iterative divider).
    Div = 5,
    /// LD LDB LDH.
    Load = 6,
    /// ST STB STH.
    Store = 7,
    /// JMP JZ JNZ.
    Jump = 8,
    Call = 9,
    Ret = 10,
    Push = 11,
    Pop = 12,
    Svc = 13,
    Brk = 14,
    /// The FPU: FADD FSUB FMUL FDIV (two operands), I2F F2I (one).
    Fp = 15,
}

impl InsnClass {
    /// Every class, in encoding order.
    pub const ALL: [InsnClass; 15] = [
        InsnClass::Ldi,
        InsnClass::Ldi32,
        InsnClass::AluR,
        InsnClass::AluRr,
        InsnClass::Div,
        InsnClass::Load,
        InsnClass::Store,
        InsnClass::Jump,
        InsnClass::Call,
        InsnClass::Ret,
        InsnClass::Push,
        InsnClass::Pop,
        InsnClass::Svc,
        InsnClass::Brk,
        InsnClass::Fp,
    ];

    /// The name after the RTL's `Cls` prefix (`AluRr` is `ClsAluRr`).
    pub const fn name(self) -> &'static str {
        match self {
            InsnClass::Ldi => "Ldi",
            InsnClass::Ldi32 => "Ldi32",
            InsnClass::AluR => "AluR",
            InsnClass::AluRr => "AluRr",
            InsnClass::Div => "Div",
            InsnClass::Load => "Load",
            InsnClass::Store => "Store",
            InsnClass::Jump => "Jump",
            InsnClass::Call => "Call",
            InsnClass::Ret => "Ret",
            InsnClass::Push => "Push",
            InsnClass::Pop => "Pop",
            InsnClass::Svc => "Svc",
            InsnClass::Brk => "Brk",
            InsnClass::Fp => "Fp",
        }
    }

    /// Whether the ALU computes this class's result (and its `alu_op_e` names the op).
    pub const fn uses_alu(self) -> bool {
        matches!(self, InsnClass::AluR | InsnClass::AluRr)
    }
}

/// The rows of one class, in table order.
pub fn rows_of(class: InsnClass) -> impl Iterator<Item = &'static Row> {
    TABLE.iter().filter(move |r| r.class == class)
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
