//! Operand formats. Every instruction word is `opcode[31:24] rd[23:20] rs1[19:16]
//! rs2[15:12] imm12[11:0]`; a format says which fields an instruction uses. Decoding
//! ignores unused fields; encoding writes them as zero (the *canonical* word).

/// Field extraction helpers.
#[inline]
pub const fn f_rd(w: u32) -> u8 {
    ((w >> 20) & 0xF) as u8
}
#[inline]
pub const fn f_rs1(w: u32) -> u8 {
    ((w >> 16) & 0xF) as u8
}
#[inline]
pub const fn f_rs2(w: u32) -> u8 {
    ((w >> 12) & 0xF) as u8
}
#[inline]
pub const fn f_uimm(w: u32) -> u16 {
    (w & 0xFFF) as u16
}
/// imm12 sign-extended.
#[inline]
pub const fn f_simm(w: u32) -> i16 {
    (((w & 0xFFF) as i16) << 4) >> 4
}
#[inline]
const fn put(rd: u8, rs1: u8, rs2: u8, imm: u32) -> u32 {
    ((rd as u32 & 0xF) << 20) | ((rs1 as u32 & 0xF) << 16) | ((rs2 as u32 & 0xF) << 12) | (imm & 0xFFF)
}

/// Common behaviour of every operand format.
pub trait Operands: Sized + Copy {
    /// Decode the operands from the first word (and the literal word for two-word formats).
    fn decode(word: u32, next: Option<u32>) -> Option<Self>;
    /// Encode with the opcode bits already placed in `op_bits`.
    fn encode(&self, op_bits: u32) -> crate::Encoded;
}

macro_rules! format_structs {
    ($( $(#[$m:meta])* $name:ident { $($field:ident : $ty:ty),* } decode($w:ident) => { $($df:ident : $dv:expr),* } encode($s:ident) => $enc:expr; )*) => {
        $(
            $(#[$m])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct $name { $(pub $field: $ty),* }
            impl Operands for $name {
                #[inline]
                #[allow(unused_variables)]
                fn decode($w: u32, _next: Option<u32>) -> Option<Self> {
                    Some($name { $($df: $dv),* })
                }
                #[inline]
                fn encode(&self, op_bits: u32) -> crate::Encoded {
                    let $s = self;
                    crate::Encoded::one(op_bits | $enc)
                }
            }
        )*

        /// Which operand format a table row uses.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FormatKind { $( $name, )* Imm32 }

        /// Operands of any format (format-erased), as the assembler builds them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AnyOperands { $( $name($name), )* Imm32(Imm32) }
    };
}

format_structs! {
    /// `LDI Rd, imm` — rd, simm12.
    RdImm { rd: u8, imm: i16 } decode(w) => { rd: f_rd(w), imm: f_simm(w) } encode(s) => put(s.rd, 0, 0, s.imm as u32);
    /// `LD Rd, [Rs1 + imm]` — rd, rs1, simm12.
    Load { rd: u8, rs1: u8, imm: i16 } decode(w) => { rd: f_rd(w), rs1: f_rs1(w), imm: f_simm(w) } encode(s) => put(s.rd, s.rs1, 0, s.imm as u32);
    /// `ST [Rs1 + imm], Rs2` — rs1, simm12, rs2.
    Store { rs1: u8, imm: i16, rs2: u8 } decode(w) => { rs1: f_rs1(w), imm: f_simm(w), rs2: f_rs2(w) } encode(s) => put(0, s.rs1, s.rs2, s.imm as u32);
    /// `MOV Rd, Rs1` — rd, rs1.
    RdRs { rd: u8, rs1: u8 } decode(w) => { rd: f_rd(w), rs1: f_rs1(w) } encode(s) => put(s.rd, s.rs1, 0, 0);
    /// `ADD Rd, Rs1, Rs2` — rd, rs1, rs2.
    RdRsRs { rd: u8, rs1: u8, rs2: u8 } decode(w) => { rd: f_rd(w), rs1: f_rs1(w), rs2: f_rs2(w) } encode(s) => put(s.rd, s.rs1, s.rs2, 0);
    /// `CMP Rs1, Rs2` — rs1, rs2.
    RsRs { rs1: u8, rs2: u8 } decode(w) => { rs1: f_rs1(w), rs2: f_rs2(w) } encode(s) => put(0, s.rs1, s.rs2, 0);
    /// `JMP target` — uimm12, an absolute offset in the task's image.
    Target { target: u16 } decode(w) => { target: f_uimm(w) } encode(s) => put(0, 0, 0, s.target as u32);
    /// `CALL target` (rs1 = 0, imm = word offset from the CALL) or `CALL Rs1, imm`.
    CallOp { rs1: u8, imm: i16 } decode(w) => { rs1: f_rs1(w), imm: f_simm(w) } encode(s) => put(0, s.rs1, 0, s.imm as u32);
    /// `RET`.
    NoOperands { } decode(w) => { } encode(s) => { let _ = s; 0 };
    /// `SVC mod, fn` — mod = `imm[11:8]`, fn = `imm[7:0]`.
    SvcOp { module: u8, func: u8 } decode(w) => { module: ((w >> 8) & 0xF) as u8, func: (w & 0xFF) as u8 } encode(s) => put(0, 0, 0, ((s.module as u32 & 0xF) << 8) | s.func as u32);
    /// `PUSH Rs1`.
    Rs { rs1: u8 } decode(w) => { rs1: f_rs1(w) } encode(s) => put(0, s.rs1, 0, 0);
    /// `POP Rd`.
    Rd { rd: u8 } decode(w) => { rd: f_rd(w) } encode(s) => put(s.rd, 0, 0, 0);
    /// `BRK [code]` — code = `imm[7:0]`.
    BrkOp { code: u8 } decode(w) => { code: (w & 0xFF) as u8 } encode(s) => put(0, 0, 0, s.code as u32);
}

/// `LDI32 Rd, imm32` — rd in the first word, the literal is the next code word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Imm32 {
    pub rd: u8,
    pub value: u32,
}

impl Operands for Imm32 {
    #[inline]
    fn decode(word: u32, next: Option<u32>) -> Option<Self> {
        Some(Imm32 { rd: f_rd(word), value: next? })
    }
    #[inline]
    fn encode(&self, op_bits: u32) -> crate::Encoded {
        crate::Encoded::two(op_bits | put(self.rd, 0, 0, 0), self.value)
    }
}

impl FormatKind {
    /// Code words an instruction of this format occupies.
    pub const fn words(self) -> usize {
        match self {
            FormatKind::Imm32 => 2,
            FormatKind::RdImm
            | FormatKind::Load
            | FormatKind::Store
            | FormatKind::RdRs
            | FormatKind::RdRsRs
            | FormatKind::RsRs
            | FormatKind::Target
            | FormatKind::CallOp
            | FormatKind::NoOperands
            | FormatKind::SvcOp
            | FormatKind::Rs
            | FormatKind::Rd
            | FormatKind::BrkOp => 1,
        }
    }
    /// Mask of the instruction-word bits this format uses (opcode included); a word is
    /// *canonical* when every other bit is zero.
    pub const fn used_bits(self) -> u32 {
        const OP: u32 = 0xFF00_0000;
        const RD: u32 = 0x00F0_0000;
        const RS1: u32 = 0x000F_0000;
        const RS2: u32 = 0x0000_F000;
        const IMM: u32 = 0x0000_0FFF;
        OP | match self {
            FormatKind::RdImm => RD | IMM,
            FormatKind::Load => RD | RS1 | IMM,
            FormatKind::Store => RS1 | RS2 | IMM,
            FormatKind::RdRs => RD | RS1,
            FormatKind::RdRsRs => RD | RS1 | RS2,
            FormatKind::RsRs => RS1 | RS2,
            FormatKind::Target => IMM,
            FormatKind::CallOp => RS1 | IMM,
            FormatKind::NoOperands => 0,
            FormatKind::SvcOp => IMM,
            FormatKind::Rs => RS1,
            FormatKind::Rd => RD,
            FormatKind::BrkOp => 0xFF,
            FormatKind::Imm32 => RD,
        }
    }
}
