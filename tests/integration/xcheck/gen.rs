//! Random HSX programs for the differential test, seeded and reproducible.
//!
//! A program is a list of [`Stmt`]s; [`Program::layout`] gives every statement its code
//! offset, then the same list is printed two ways: as MVASM text (for `isa::asm`) and as
//! code words encoded here from the spec's field layout (for the hand-built HXE). The two
//! images must agree, which also checks the assembler against this independent encoder.

use super::model::svc_unsupported;
use super::rng::Rng;
use std::fmt::Write as _;

/// Opcode bytes (isa.md), for building words.
pub mod op {
    pub const LDI: u8 = 0x01;
    pub const LD: u8 = 0x02;
    pub const ST: u8 = 0x03;
    pub const MOV: u8 = 0x04;
    pub const LDB: u8 = 0x06;
    pub const LDH: u8 = 0x07;
    pub const STB: u8 = 0x08;
    pub const STH: u8 = 0x09;
    pub const ADD: u8 = 0x10;
    pub const SUB: u8 = 0x11;
    pub const MUL: u8 = 0x12;
    pub const DIV: u8 = 0x13;
    pub const AND: u8 = 0x14;
    pub const OR: u8 = 0x15;
    pub const XOR: u8 = 0x16;
    pub const NOT: u8 = 0x17;
    pub const CMP: u8 = 0x20;
    pub const JMP: u8 = 0x21;
    pub const JZ: u8 = 0x22;
    pub const JNZ: u8 = 0x23;
    pub const CALL: u8 = 0x24;
    pub const RET: u8 = 0x25;
    pub const SVC: u8 = 0x30;
    pub const LSL: u8 = 0x31;
    pub const LSR: u8 = 0x32;
    pub const ASR: u8 = 0x33;
    pub const ADC: u8 = 0x34;
    pub const SBC: u8 = 0x35;
    pub const PUSH: u8 = 0x40;
    pub const POP: u8 = 0x41;
    pub const FADD: u8 = 0x50;
    pub const FSUB: u8 = 0x51;
    pub const FMUL: u8 = 0x52;
    pub const FDIV: u8 = 0x53;
    pub const I2F: u8 = 0x54;
    pub const F2I: u8 = 0x55;
    pub const LDI32: u8 = 0x60;
    pub const BRK: u8 = 0x7F;
}

/// The word with every field placed (the caller zeroes unused ones for a canonical word).
pub fn word(opc: u8, rd: u8, rs1: u8, rs2: u8, imm: i32) -> u32 {
    (u32::from(opc) << 24)
        | (u32::from(rd & 15) << 20)
        | (u32::from(rs1 & 15) << 16)
        | (u32::from(rs2 & 15) << 12)
        | (imm as u32 & 0xFFF)
}

/// One instruction with its operands (canonical encoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ins {
    Ldi {
        rd: u8,
        imm: i32,
    },
    Ldi32 {
        rd: u8,
        value: u32,
    },
    /// LD / LDB / LDH.
    Load {
        opc: u8,
        rd: u8,
        rs1: u8,
        imm: i32,
    },
    /// ST / STB / STH.
    Store {
        opc: u8,
        rs1: u8,
        imm: i32,
        rs2: u8,
    },
    /// MOV, NOT, I2F, F2I.
    Two {
        opc: u8,
        rd: u8,
        rs1: u8,
    },
    /// The three-register ALU and FP ops.
    Three {
        opc: u8,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    Cmp {
        rs1: u8,
        rs2: u8,
    },
    /// `CALL Rs1, imm` (rs1 ≠ 0), imm in words.
    CallReg {
        rs1: u8,
        imm: i32,
    },
    /// JMP/JZ/JNZ to a numeric target.
    JumpAbs {
        opc: u8,
        target: u32,
    },
    Ret,
    Svc {
        module: u8,
        func: u8,
    },
    Push {
        rs1: u8,
    },
    Pop {
        rd: u8,
    },
    Brk {
        code: u8,
    },
}

fn mnemonic(opc: u8) -> &'static str {
    super::model::SPEC_OPCODES.iter().find(|(o, _)| *o == opc).map(|(_, m)| *m).expect("known opcode")
}

fn mem_operand(rs1: u8, imm: i32) -> String {
    if imm < 0 {
        format!("[R{rs1} - {}]", -imm)
    } else if imm == 0 {
        format!("[R{rs1}]")
    } else {
        format!("[R{rs1} + {imm}]")
    }
}

impl Ins {
    pub fn words(&self) -> Vec<u32> {
        match *self {
            Ins::Ldi { rd, imm } => vec![word(op::LDI, rd, 0, 0, imm)],
            Ins::Ldi32 { rd, value } => vec![word(op::LDI32, rd, 0, 0, 0), value],
            Ins::Load { opc, rd, rs1, imm } => vec![word(opc, rd, rs1, 0, imm)],
            Ins::Store { opc, rs1, imm, rs2 } => vec![word(opc, 0, rs1, rs2, imm)],
            Ins::Two { opc, rd, rs1 } => vec![word(opc, rd, rs1, 0, 0)],
            Ins::Three { opc, rd, rs1, rs2 } => vec![word(opc, rd, rs1, rs2, 0)],
            Ins::Cmp { rs1, rs2 } => vec![word(op::CMP, 0, rs1, rs2, 0)],
            Ins::CallReg { rs1, imm } => vec![word(op::CALL, 0, rs1, 0, imm)],
            Ins::JumpAbs { opc, target } => vec![word(opc, 0, 0, 0, target as i32)],
            Ins::Ret => vec![word(op::RET, 0, 0, 0, 0)],
            Ins::Svc { module, func } => vec![word(op::SVC, 0, 0, 0, (i32::from(module) << 8) | i32::from(func))],
            Ins::Push { rs1 } => vec![word(op::PUSH, 0, rs1, 0, 0)],
            Ins::Pop { rd } => vec![word(op::POP, rd, 0, 0, 0)],
            Ins::Brk { code } => vec![word(op::BRK, 0, 0, 0, i32::from(code))],
        }
    }

    /// MVASM text. `alt` varies the accepted spellings (case, SVC keywords, decimal).
    pub fn text(&self, alt: bool) -> String {
        let t = match *self {
            Ins::Ldi { rd, imm } => format!("LDI R{rd}, {imm}"),
            Ins::Ldi32 { rd, value } => {
                if alt {
                    format!("LDI32 R{rd}, {value}")
                } else {
                    format!("LDI32 R{rd}, 0x{value:08X}")
                }
            }
            Ins::Load { opc, rd, rs1, imm } => format!("{} R{rd}, {}", mnemonic(opc), mem_operand(rs1, imm)),
            Ins::Store { opc, rs1, imm, rs2 } => format!("{} {}, R{rs2}", mnemonic(opc), mem_operand(rs1, imm)),
            Ins::Two { opc, rd, rs1 } => format!("{} R{rd}, R{rs1}", mnemonic(opc)),
            Ins::Three { opc, rd, rs1, rs2 } => format!("{} R{rd}, R{rs1}, R{rs2}", mnemonic(opc)),
            Ins::Cmp { rs1, rs2 } => format!("CMP R{rs1}, R{rs2}"),
            Ins::CallReg { rs1, imm } => format!("CALL R{rs1}, {imm}"),
            Ins::JumpAbs { opc, target } => format!("{} 0x{target:03X}", mnemonic(opc)),
            Ins::Ret => "RET".to_string(),
            Ins::Svc { module, func } => {
                if alt {
                    format!("SVC MOD=0x{module:X}, FN=0x{func:02X}")
                } else {
                    format!("SVC 0x{module:X}, 0x{func:02X}")
                }
            }
            Ins::Push { rs1 } => format!("PUSH R{rs1}"),
            Ins::Pop { rd } => format!("POP R{rd}"),
            Ins::Brk { code } => format!("BRK {code}"),
        };
        if alt {
            t.to_lowercase()
        } else {
            t
        }
    }
}

/// A statement of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    Label(usize),
    Ins(Ins),
    /// JMP/JZ/JNZ to a label.
    Jump {
        opc: u8,
        label: usize,
    },
    /// `CALL label`.
    Call {
        label: usize,
    },
    /// `LDI32 Rd, label` (a code label's offset).
    LoadLabel {
        rd: u8,
        label: usize,
    },
    /// `LDI32 Rd, d0` (the data label at the data load address).
    LoadDataLabel {
        rd: u8,
    },
    /// A raw code word (`.word`), with a comment for the listing.
    Word(u32, &'static str),
}

/// A generated program.
#[derive(Debug, Clone)]
pub struct Program {
    pub seed: u64,
    pub stmts: Vec<Stmt>,
    /// The entry label (`.entry`), or offset 0.
    pub entry: Option<usize>,
    pub data: Vec<u8>,
    pub data_addr: u32,
    /// Extra bss in the hand-built file only (zero memory either way).
    pub bss: u32,
    pub stack_size: u32,
    pub protect: bool,
    /// HXE version of the hand-built file.
    pub version: u16,
    pub max_steps: u64,
    /// Print with alternative spellings.
    pub alt_syntax: bool,
}

impl Program {
    /// Code offset of every label.
    pub fn layout(&self) -> Vec<u32> {
        let n = self.stmts.iter().filter_map(|s| if let Stmt::Label(l) = s { Some(*l + 1) } else { None }).max();
        let mut at = vec![u32::MAX; n.unwrap_or(0)];
        let mut pc = 0u32;
        for s in &self.stmts {
            match s {
                Stmt::Label(l) => at[*l] = pc,
                other => pc += 4 * stmt_len(other),
            }
        }
        at
    }

    pub fn entry_offset(&self) -> u32 {
        self.entry.map_or(0, |l| self.layout()[l])
    }

    /// The code words, encoded here.
    pub fn words(&self) -> Vec<u32> {
        let at = self.layout();
        let mut out = Vec::new();
        for s in &self.stmts {
            let pc = 4 * out.len() as u32;
            match s {
                Stmt::Label(_) => {}
                Stmt::Ins(i) => out.extend(i.words()),
                Stmt::Jump { opc, label } => out.push(word(*opc, 0, 0, 0, at[*label] as i32)),
                Stmt::Call { label } => {
                    let delta = (at[*label].wrapping_sub(pc) & 0xFFFF) as u16 as i16;
                    out.push(word(op::CALL, 0, 0, 0, i32::from(delta) / 4));
                }
                Stmt::LoadLabel { rd, label } => out.extend([word(op::LDI32, *rd, 0, 0, 0), at[*label]]),
                Stmt::LoadDataLabel { rd } => out.extend([word(op::LDI32, *rd, 0, 0, 0), self.data_addr]),
                Stmt::Word(w, _) => out.push(*w),
            }
        }
        out
    }

    /// The MVASM source.
    pub fn mvasm(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "; xcheck program, seed {}", self.seed);
        // (`d0` exists exactly when the generator may use it: see `Gen::mem`.)
        if !self.data.is_empty() || self.data_addr != 0x4000 {
            if self.data_addr == 0x4000 && !self.alt_syntax {
                s.push_str("        .data\n");
            } else {
                let _ = writeln!(s, "        .data 0x{:04X}", self.data_addr);
            }
            s.push_str("d0:\n");
            let mut i = 0;
            while i < self.data.len() {
                let rest = &self.data[i..];
                if rest.len() >= 4 && i % 3 == 0 {
                    let w = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
                    let _ = writeln!(s, "        .word 0x{w:08X}");
                    i += 4;
                } else if rest.len() >= 2 && i % 3 == 1 {
                    let h = u16::from_le_bytes([rest[0], rest[1]]);
                    let _ = writeln!(s, "        .half {h}");
                    i += 2;
                } else {
                    let _ = writeln!(s, "        .byte 0x{:02X}", rest[0]);
                    i += 1;
                }
            }
            s.push_str("        .text\n");
        }
        if let Some(l) = self.entry {
            let _ = writeln!(s, "        .entry L{l}");
        }
        for st in &self.stmts {
            let line = match st {
                Stmt::Label(l) => format!("L{l}:"),
                Stmt::Ins(i) => format!("        {}", i.text(self.alt_syntax)),
                Stmt::Jump { opc, label } => format!("        {} L{label}", mnemonic(*opc)),
                Stmt::Call { label } => format!("        CALL L{label}"),
                Stmt::LoadLabel { rd, label } => format!("        LDI32 R{rd}, L{label}"),
                Stmt::LoadDataLabel { rd } => format!("        LDI32 R{rd}, d0"),
                Stmt::Word(w, why) => format!("        .word 0x{w:08X}   ; {why}"),
            };
            s.push_str(&line);
            s.push('\n');
        }
        s
    }

    /// A listing for failure reports: offset, words, source line.
    pub fn listing(&self) -> String {
        let mut s = format!(
            "; seed {} entry 0x{:04X} stack_size {} protect {} data {} bytes at 0x{:04X} hxe v{}\n",
            self.seed,
            self.entry_offset(),
            self.stack_size,
            self.protect,
            self.data.len(),
            self.data_addr,
            self.version
        );
        let words = self.words();
        let mut pc = 0usize;
        let src = self.mvasm();
        let text_lines: Vec<&str> = src.lines().filter(|l| !l.starts_with(';')).collect();
        // Re-walk the statements for offsets; data/directive lines carry no code.
        let mut stmt_lines = Vec::new();
        for st in &self.stmts {
            stmt_lines.push((st.clone(), pc));
            if !matches!(st, Stmt::Label(_)) {
                pc += stmt_len(st) as usize;
            }
        }
        let skip = text_lines.len() - self.stmts.len();
        for (i, (st, pc)) in stmt_lines.iter().enumerate() {
            let line = text_lines[skip + i];
            if matches!(st, Stmt::Label(_)) {
                let _ = writeln!(s, "{line}");
            } else {
                let ws: Vec<String> = (0..stmt_len(st) as usize).map(|k| format!("{:08X}", words[pc + k])).collect();
                let _ = writeln!(s, "{:04X}: {:<18}{}", 4 * pc, ws.join(" "), line.trim_start());
            }
        }
        s
    }
}

fn stmt_len(s: &Stmt) -> u32 {
    match s {
        Stmt::Label(_) => 0,
        Stmt::Ins(i) => i.words().len() as u32,
        Stmt::LoadLabel { .. } | Stmt::LoadDataLabel { .. } => 2,
        Stmt::Jump { .. } | Stmt::Call { .. } | Stmt::Word(..) => 1,
    }
}

// ---- the random generator ---------------------------------------------------------------

const EDGE32: &[u32] = &[
    0,
    1,
    2,
    3,
    0xFFFF_FFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0x8000_0001,
    0x7FFF_FFFE,
    31,
    32,
    33,
    63,
    0xFFFF,
    0x1_0000,
    0xFFFE,
    0x8000,
    0x7FFF,
    0xFFFF_8000,
    0x5555_5555,
    0xAAAA_AAAA,
    0xFFFF_FFE0,
    0xFFFF_FFFE,
    0x0001_0001,
    65504,
    65520,
    2049,
    2051,
    0xFFFF_F800,
];

const HALVES: &[u16] = &[
    0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x83FF, 0x8400, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00,
    0x7E00, 0x7C01, 0xFE00, 0x7FFF, 0x3555, 0x3800, 0x4000, 0x0200, 0x5640, 0x3BFF, 0x3C01, 0x7800, 0x0800, 0x1400,
    0x4C00, 0x4BFF, 0xC100, 0x0002, 0x2E66,
];

/// Opcode bytes that are not instructions.
const ILLEGAL_OPS: &[u8] =
    &[0x00, 0x05, 0x0A, 0x0F, 0x18, 0x1F, 0x26, 0x2F, 0x36, 0x3F, 0x42, 0x4F, 0x56, 0x5F, 0x61, 0x7E, 0x80, 0xA5, 0xFF];

/// Registers a loop body must not write (its counter and the constant 1).
const LOOP_CTR: u8 = 13;
const LOOP_ONE: u8 = 12;

struct Gen<'a> {
    r: &'a mut Rng,
    out: Vec<Stmt>,
    next_label: usize,
    subs: Vec<usize>,
    stack_limit: u32,
    stack_top: u32,
    data_addr: u32,
    data_len: u32,
    /// Inside a loop body: keep the counter registers and avoid control flow.
    in_loop: bool,
    /// Inside a subroutine body: no further calls (except the explicit ones at its end).
    in_sub: bool,
    depth: u32,
}

impl Gen<'_> {
    fn label(&mut self) -> usize {
        self.next_label += 1;
        self.next_label - 1
    }

    fn emit(&mut self, i: Ins) {
        self.out.push(Stmt::Ins(i));
    }

    /// A register to read.
    fn src(&mut self) -> u8 {
        self.r.below(16) as u8
    }

    /// May the body write `r` (not a loop's counters inside a loop)?
    fn writable(&self, r: u8) -> bool {
        !(self.in_loop && (r == LOOP_CTR || r == LOOP_ONE))
    }

    /// A register to write (never a loop's counters inside a loop).
    fn dst(&mut self) -> u8 {
        loop {
            let d = self.r.below(16) as u8;
            if !(self.in_loop && (d == LOOP_CTR || d == LOOP_ONE)) {
                return d;
            }
        }
    }

    fn value(&mut self) -> u32 {
        match self.r.weighted(&[40, 25, 15, 20]) {
            0 => *self.r.pick(EDGE32),
            1 => {
                let h = u32::from(*self.r.pick(HALVES));
                if self.r.chance(50) {
                    h
                } else {
                    h | (self.r.u32() & 0xFFFF_0000)
                }
            }
            2 => self.r.u32() & 0xFFFF,
            _ => self.r.u32(),
        }
    }

    fn half_value(&mut self) -> u32 {
        let h = if self.r.chance(60) { u32::from(*self.r.pick(HALVES)) } else { self.r.u32() & 0xFFFF };
        if self.r.chance(30) {
            h | (self.r.u32() & 0xFFFF_0000)
        } else {
            h
        }
    }

    fn set(&mut self, rd: u8, v: u32) {
        let s = v as i32;
        if (-2048..=2047).contains(&s) && self.r.chance(80) {
            self.emit(Ins::Ldi { rd, imm: s });
        } else {
            self.emit(Ins::Ldi32 { rd, value: v });
        }
    }

    /// An interesting data address for an access of `len` bytes.
    fn address(&mut self, len: u32) -> u32 {
        let lim = self.stack_limit;
        let top = self.stack_top;
        let d = self.data_addr;
        let safe = self.r.chance(70);
        if safe {
            return match self.r.below(4) {
                0 => d + self.r.below(self.data_len.max(4) + 8),
                1 => 0x4000 + self.r.below(0x100),
                2 => lim + self.r.below(top - lim - len + 1),
                _ => 0x1200 + self.r.below(0x2000),
            };
        }
        match self.r.below(12) {
            0 => 0x10000 - self.r.range(1, 4) as u32, // past 0xFFFF or at the very top
            1 => top + self.r.below(4),               // above the own arena
            2 => lim - self.r.range(1, 4) as u32,     // just below it
            3 => top - self.r.range(1, 3) as u32,     // straddling stack_top
            4 => 0x0FFD + self.r.below(4),            // straddling the window start
            5 => 0x1000 + self.r.below(0x200),        // a register window
            6 => 0x11FD + self.r.below(4),            // straddling the window end
            7 => self.r.below(0x1000),                // the executive's reserved area
            8 => 0x0FFF - self.r.below(2),            // just below the windows
            9 => lim - len,                           // ends exactly at stack_limit
            10 => self.r.u32() & 0xFFFF,
            _ => lim + self.r.below(16),
        }
    }

    fn alu3(&mut self) {
        let opc = *self.r.pick(&[
            op::ADD,
            op::SUB,
            op::MUL,
            op::DIV,
            op::AND,
            op::OR,
            op::XOR,
            op::LSL,
            op::LSR,
            op::ASR,
            op::ADC,
            op::SBC,
        ]);
        let (rd, rs1, rs2) = (self.dst(), self.src(), self.src());
        if self.r.chance(50) && self.writable(rs1) {
            let v = self.value();
            self.set(rs1, v);
        }
        if matches!(opc, op::LSL | op::LSR | op::ASR) && self.r.chance(60) && self.writable(rs2) {
            let s = *self.r.pick(&[0u32, 1, 2, 15, 16, 30, 31, 32, 33, 63, 64, 0xFFFF_FFFF, 0x8000_001F]);
            self.set(rs2, s);
        }
        if opc == op::DIV && self.writable(rs2) {
            // Mostly a non-zero divisor, so that programs go on; sometimes -1 or 0.
            let v = match self.r.below(10) {
                0 => 0,
                1 | 2 => 0xFFFF_FFFF,
                _ => self.value() | 1,
            };
            self.set(rs2, v);
        }
        if matches!(opc, op::ADC | op::SBC) {
            // The carry-in corners: b = 0x7FFFFFFF / 0xFFFFFFFF / 0x80000000 with C set.
            if self.r.chance(50) && self.writable(rs2) {
                let v = *self.r.pick(&[0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 0, 1]);
                self.set(rs2, v);
            }
            if self.r.chance(60) {
                // Set C first: CMP of a register with itself gives C = 1; CMP of random
                // registers either.
                let x = self.src();
                let y = if self.r.chance(50) { x } else { self.src() };
                self.emit(Ins::Cmp { rs1: x, rs2: y });
            }
        }
        self.emit(Ins::Three { opc, rd, rs1, rs2 });
    }

    fn fp(&mut self) {
        let opc = *self.r.pick(&[op::FADD, op::FSUB, op::FMUL, op::FDIV, op::I2F, op::F2I]);
        let (rd, rs1, rs2) = (self.dst(), self.dst(), self.dst());
        if opc == op::I2F {
            let v = self.value();
            self.set(rs1, v);
            self.emit(Ins::Two { opc, rd, rs1 });
            return;
        }
        let v = self.half_value();
        self.set(rs1, v);
        if opc == op::F2I {
            self.emit(Ins::Two { opc, rd, rs1 });
            return;
        }
        let v = self.half_value();
        self.set(rs2, v);
        if self.r.chance(30) {
            let v = self.value();
            self.set(rd, v);
        }
        self.emit(Ins::Three { opc, rd, rs1, rs2 });
    }

    fn mem(&mut self) {
        let store = self.r.chance(50);
        let len = *self.r.pick(&[1u32, 2, 4]);
        let target = self.address(len) & 0xFFFF;
        let imm = match self.r.below(4) {
            0 => 0,
            1 => self.r.range(-16, 16) as i32,
            2 => self.r.range(-2048, 2047) as i32,
            _ => *self.r.pick(&[-2048, 2047, -1, 1, 4, -4]),
        };
        let base = self.dst();
        // Upper bits of the base are ignored: (Rs1 + imm) & 0xFFFF.
        let junk = if self.r.chance(30) { self.r.u32() & 0xFFFF_0000 } else { 0 };
        let bv = target.wrapping_sub(imm as u32).wrapping_add(junk);
        let has_d0 = self.data_len > 0 || self.data_addr != 0x4000;
        if has_d0 && target == self.data_addr && imm == 0 && self.r.chance(50) && junk == 0 {
            self.out.push(Stmt::LoadDataLabel { rd: base });
        } else {
            self.set(base, bv);
        }
        if store {
            let opc = match len {
                1 => op::STB,
                2 => op::STH,
                _ => op::ST,
            };
            let rs2 = self.src();
            if self.r.chance(40) && rs2 != base && self.writable(rs2) {
                let v = self.value();
                self.set(rs2, v);
            }
            self.emit(Ins::Store { opc, rs1: base, imm, rs2 });
        } else {
            let opc = match len {
                1 => op::LDB,
                2 => op::LDH,
                _ => op::LD,
            };
            let rd = self.dst();
            self.emit(Ins::Load { opc, rd, rs1: base, imm });
        }
    }

    fn stack(&mut self) {
        match self.r.below(6) {
            0..=2 => {
                let rs1 = self.src();
                self.emit(Ins::Push { rs1 });
            }
            3 | 4 => {
                let rd = self.dst();
                self.emit(Ins::Pop { rd });
            }
            _ => {
                // A balanced pair.
                let rs1 = self.src();
                let rd = self.dst();
                self.emit(Ins::Push { rs1 });
                self.simple();
                self.emit(Ins::Pop { rd });
            }
        }
    }

    fn svc(&mut self) {
        match self.r.below(10) {
            0..=2 => self.emit(Ins::Svc { module: 0, func: 0 }), // GET_STEPS
            3..=5 => {
                // UART_WRITE from somewhere, mostly the data.
                let ptr = if self.r.chance(60) {
                    self.data_addr + self.r.below(self.data_len.max(1))
                } else {
                    self.address(1)
                };
                let len =
                    if self.r.chance(80) { self.r.below(12) } else { *self.r.pick(&[0x1_0000, 0xFFFF, 300, 0x1_0005]) };
                let junk = if self.r.chance(20) { self.r.u32() & 0xFFFF_0000 } else { 0 };
                self.set(1, ptr | junk);
                self.set(2, len);
                self.emit(Ins::Svc { module: 1, func: 1 });
            }
            6 => {
                // YIELD, GETPID
                let func = *self.r.pick(&[1, 2]);
                self.emit(Ins::Svc { module: 6, func });
            }
            _ => {
                // Something the executive does not implement: ENOSYS.
                let (module, func) = loop {
                    let m = self.r.below(16) as u8;
                    let f = if self.r.chance(50) { self.r.below(8) as u8 } else { self.r.u32() as u8 };
                    let implemented = matches!((m, f), (0, 0) | (1, 0) | (1, 1) | (6, 1) | (6, 2));
                    if !implemented && !svc_unsupported(m, f) {
                        break (m, f);
                    }
                };
                self.emit(Ins::Svc { module, func });
            }
        }
    }

    /// A word with a legal opcode and junk in the fields its format does not use.
    fn noncanonical(&mut self) {
        let junk = self.r.u32() & 0x00FF_FFFF;
        let w = match self.r.below(7) {
            0 => (u32::from(op::ADD) << 24) | (junk & 0x00FF_FFFF), // imm12 ignored
            1 => (u32::from(op::LDI) << 24) | (junk & 0x00FF_FFFF), // rs1/rs2 ignored
            2 => (u32::from(op::MOV) << 24) | (junk & 0x00FF_FFFF), // rs2/imm ignored
            3 => (u32::from(op::CMP) << 24) | (junk & 0x00FF_FFFF), // rd/imm ignored
            4 => (u32::from(op::NOT) << 24) | (junk & 0x00FF_FFFF),
            5 => (u32::from(op::F2I) << 24) | (junk & 0x00FF_FFFF),
            _ => (u32::from(op::XOR) << 24) | (junk & 0x00FF_FFFF),
        };
        // Keep a loop's counters intact.
        let rd = ((w >> 20) & 0xF) as u8;
        let opc = (w >> 24) as u8;
        if self.in_loop && opc != op::CMP && (rd == LOOP_CTR || rd == LOOP_ONE) {
            return;
        }
        self.out.push(Stmt::Word(w, "non-canonical"));
    }

    /// One straight-line statement (no control flow).
    fn simple(&mut self) {
        match self.r.weighted(&[10, 22, 5, 5, 12, 16, 5, 4, 2]) {
            0 => {
                let (rd, v) = (self.dst(), self.value());
                self.set(rd, v);
            }
            1 => self.alu3(),
            2 => {
                let opc = if self.r.chance(50) { op::MOV } else { op::NOT };
                let (rd, rs1) = (self.dst(), self.src());
                self.emit(Ins::Two { opc, rd, rs1 });
            }
            3 => {
                let (rs1, rs2) = (self.src(), self.src());
                if self.r.chance(40) {
                    let v = self.value();
                    let d = self.dst();
                    self.set(d, v);
                }
                self.emit(Ins::Cmp { rs1, rs2 });
            }
            4 => self.fp(),
            5 => self.mem(),
            6 => self.stack(),
            7 => self.svc(),
            _ => self.noncanonical(),
        }
    }

    /// A rare statement that usually ends the task.
    fn ender(&mut self) {
        match self.r.below(9) {
            0 => {
                let b = *self.r.pick(ILLEGAL_OPS);
                self.out.push(Stmt::Word((u32::from(b) << 24) | (self.r.u32() & 0x00FF_FFFF), "illegal opcode"));
            }
            1 => {
                let code = self.r.u32() as u8;
                self.emit(Ins::Brk { code });
            }
            2 => {
                // JMP past the end of the code (or anywhere in 0..0xFFF, 4-aligned).
                let target = 0xFFC - 4 * self.r.below(16);
                self.emit(Ins::JumpAbs { opc: op::JMP, target });
            }
            3 => {
                // An unaligned jump target (the assembler refuses it: a raw word).
                let opc = *self.r.pick(&[op::JMP, op::JZ, op::JNZ]);
                let target = (self.r.below(0x400) * 4 + 1 + self.r.below(3)) as i32;
                self.out.push(Stmt::Word(word(opc, 0, 0, 0, target), "unaligned jump target"));
            }
            4 => {
                // CALL Rs, imm to somewhere odd: unaligned, past the end, or wrapping.
                let rs1 = loop {
                    let x = 1 + self.r.below(15) as u8;
                    if self.writable(x) {
                        break x;
                    }
                };
                let v = match self.r.below(4) {
                    0 => self.r.u32(),
                    1 => 0x3000 + self.r.below(0x100) * 4,
                    2 => 1 + self.r.below(0x40) * 4,
                    _ => 0xFFFF_FFFC,
                };
                self.set(rs1, v);
                let imm = self.r.range(-3, 3) as i32;
                self.emit(Ins::CallReg { rs1, imm });
            }
            5 => {
                // EXIT in the middle.
                if self.r.chance(50) {
                    let v = self.value();
                    self.set(0, v);
                }
                self.emit(Ins::Svc { module: 1, func: 0 });
            }
            6 => self.emit(Ins::Ret),
            7 => {
                let rd = self.dst();
                self.emit(Ins::Pop { rd });
            }
            _ => {
                let (rd, rs1, rs2) = (self.dst(), self.src(), self.dst());
                self.set(rs2, 0);
                self.emit(Ins::Three { opc: op::DIV, rd, rs1, rs2 });
            }
        }
    }

    fn block(&mut self, budget: u32) {
        for _ in 0..budget {
            let w = if self.in_loop {
                [80, 0, 0, 0, 0, 1, 0]
            } else if self.in_sub {
                [80, 8, 0, 0, 0, 2, 2]
            } else if self.depth > 1 {
                [80, 8, 0, 6, 0, 2, 2]
            } else {
                [70, 10, 4, 7, 3, 3, 2]
            };
            match self.r.weighted(&w) {
                0 => self.simple(),
                1 => {
                    // A forward branch over a few statements.
                    let l = self.label();
                    let choice = self.r.below(4);
                    if choice < 3 {
                        // Condition from a compare (equal values half of the time) or an ALU op.
                        let (a, b) = (self.src(), self.src());
                        if self.r.chance(40) {
                            let v = self.value();
                            self.set(a, v);
                            let b2 = self.dst();
                            self.set(b2, v);
                            self.emit(Ins::Cmp { rs1: a, rs2: b2 });
                        } else if self.r.chance(50) {
                            self.emit(Ins::Cmp { rs1: a, rs2: b });
                        } else {
                            self.alu3();
                        }
                        let opc = if choice == 0 { op::JZ } else { op::JNZ };
                        self.out.push(Stmt::Jump { opc, label: l });
                    } else {
                        self.out.push(Stmt::Jump { opc: op::JMP, label: l });
                    }
                    self.depth += 1;
                    let n = self.r.range(1, 5) as u32;
                    self.block(n);
                    self.depth -= 1;
                    self.out.push(Stmt::Label(l));
                }
                2 => {
                    // A bounded loop: R13 counts down, R12 holds 1.
                    let l = self.label();
                    let n = self.r.range(1, 12) as i32;
                    self.emit(Ins::Ldi { rd: LOOP_CTR, imm: n });
                    self.out.push(Stmt::Label(l));
                    self.in_loop = true;
                    let k = self.r.range(1, 6) as u32;
                    self.block(k);
                    self.in_loop = false;
                    self.emit(Ins::Ldi { rd: LOOP_ONE, imm: 1 });
                    self.emit(Ins::Three { opc: op::SUB, rd: LOOP_CTR, rs1: LOOP_CTR, rs2: LOOP_ONE });
                    self.out.push(Stmt::Jump { opc: op::JNZ, label: l });
                }
                3 => {
                    // Call a subroutine, directly or through a register.
                    if self.subs.is_empty() {
                        continue;
                    }
                    let s = *self.r.pick(&self.subs.clone());
                    if self.r.chance(70) {
                        self.out.push(Stmt::Call { label: s });
                    } else {
                        let rs1 = 1 + self.r.below(15) as u8;
                        self.out.push(Stmt::LoadLabel { rd: rs1, label: s });
                        self.emit(Ins::CallReg { rs1, imm: 0 });
                    }
                }
                4 => {
                    // A JMP over junk that must never run.
                    let l = self.label();
                    self.out.push(Stmt::Jump { opc: op::JMP, label: l });
                    self.out.push(Stmt::Word(0xFF00_0000 | (self.r.u32() & 0xFFFF), "skipped"));
                    self.out.push(Stmt::Label(l));
                }
                5 => self.ender(),
                _ => {
                    let opc = *self.r.pick(&[op::JZ, op::JNZ]);
                    // Jump to the end-of-body label if flags say so (a label created by
                    // the caller is not known here: branch over the next statement).
                    let l = self.label();
                    self.out.push(Stmt::Jump { opc, label: l });
                    self.simple();
                    self.out.push(Stmt::Label(l));
                }
            }
        }
    }
}

/// Generate program number `seed`.
pub fn generate(seed: u64) -> Program {
    let mut r = Rng::new(seed);
    let stack_size = *r.pick(&[16u32, 16, 32, 64, 256, 0x1000]);
    let stack_top = 0xFFFC;
    let data_addr = *r.pick(&[0x4000u32, 0x4000, 0x4000, 0x4000, 0x2000, 0x1200, 0x8000, 0x4321]);
    let data_len = r.below(48);
    let data: Vec<u8> = (0..data_len).map(|i| if i % 5 == 0 { b'A' + (i % 26) as u8 } else { r.u32() as u8 }).collect();
    let protect = r.chance(88);
    let version = if data_addr == 0x4000 && r.chance(40) { 1 } else { 2 };
    let mut r2 = Rng::new(seed ^ 0xA5A5_A5A5);
    let mut g = Gen {
        r: &mut r2,
        out: Vec::new(),
        next_label: 0,
        subs: Vec::new(),
        stack_limit: stack_top - stack_size,
        stack_top,
        data_addr,
        data_len,
        in_loop: false,
        in_sub: false,
        depth: 0,
    };
    // Subroutine labels, defined after (or before) the main body.
    let n_subs = g.r.below(4);
    for _ in 0..n_subs {
        let l = g.label();
        g.subs.push(l);
    }
    let main = g.label();
    // Prologue: some registers get edge values.
    g.out.push(Stmt::Label(main));
    for _ in 0..g.r.range(0, 6) {
        let rd = g.dst();
        let v = g.value();
        g.set(rd, v);
    }
    let n = g.r.range(3, 40) as u32;
    g.block(n);
    // The end of the main body.
    match g.r.weighted(&[45, 25, 10, 10, 10]) {
        0 => {
            if g.r.chance(60) {
                let v = g.value();
                g.set(0, v);
            }
            g.emit(Ins::Svc { module: 1, func: 0 });
        }
        1 => g.emit(Ins::Ret),
        2 => {} // fall off the end (or into a subroutine)
        3 => {
            let code = g.r.u32() as u8;
            g.emit(Ins::Brk { code });
        }
        _ => g.ender(),
    }
    let main_stmts = std::mem::take(&mut g.out);
    // Subroutines: a few statements, sometimes unbalanced, sometimes a nested call or
    // a self-call that recurses until the stack overflows.
    let mut sub_stmts = Vec::new();
    for (i, &l) in g.subs.clone().iter().enumerate() {
        g.out.push(Stmt::Label(l));
        g.in_sub = true;
        let n = g.r.range(1, 8) as u32;
        g.block(n);
        if g.r.chance(15) {
            g.out.push(Stmt::Call { label: l }); // recursion: overflow
        } else if i + 1 < g.subs.len() && g.r.chance(30) {
            let callee = g.subs[i + 1];
            g.out.push(Stmt::Call { label: callee });
        }
        g.emit(Ins::Ret);
        sub_stmts.append(&mut g.out);
    }
    let subs_first = !sub_stmts.is_empty() && g.r.chance(30);
    let (mut stmts, entry): (Vec<Stmt>, _) = if subs_first {
        (sub_stmts.into_iter().chain(main_stmts).collect(), Some(main))
    } else {
        (main_stmts.into_iter().chain(sub_stmts).collect(), if r.chance(20) { Some(main) } else { None })
    };
    if g.r.chance(5) {
        // End the code with an LDI32 whose literal word is missing (BAD_PC), reached by a
        // jump placed before the main body's end.
        let l = g.label();
        let rd = g.r.below(16) as u8;
        let at = stmts.iter().rposition(|s| *s == Stmt::Label(main)).unwrap_or(0) + 1;
        stmts.insert(at, Stmt::Jump { opc: op::JMP, label: l });
        stmts.push(Stmt::Label(l));
        stmts.push(Stmt::Word(word(op::LDI32, rd, 0, 0, 0), "LDI32 without its literal"));
    }
    Program {
        seed,
        stmts,
        entry,
        data,
        data_addr,
        bss: if r.chance(30) { r.below(64) } else { 0 },
        stack_size,
        protect,
        version,
        max_steps: 4000,
        alt_syntax: r.chance(15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_agrees_with_the_assembler_on_a_few_lines() {
        for (text, want) in [
            ("LDI R1, -1", 0x0110_0FFF),
            ("LD R2, [R3 - 4]", 0x0223_0FFC),
            ("ST [R3 + 8], R4", 0x0303_4008),
            ("ADD R1, R2, R3", 0x1012_3000),
            ("CMP R5, R6", 0x2005_6000),
            ("SVC 0x1, 0x00", 0x3000_0100),
            ("CALL R3, -2", 0x2403_0FFE),
            ("BRK 7", 0x7F00_0007),
        ] {
            assert_eq!(isa::asm::assemble_insn(text, 0).unwrap(), vec![want], "{text}");
        }
        assert_eq!(Ins::Load { opc: op::LD, rd: 2, rs1: 3, imm: -4 }.words(), vec![0x0223_0FFC]);
        assert_eq!(Ins::Store { opc: op::ST, rs1: 3, imm: 8, rs2: 4 }.words(), vec![0x0303_4008]);
        assert_eq!(Ins::CallReg { rs1: 3, imm: -2 }.words(), vec![0x2403_0FFE]);
    }

    #[test]
    fn generation_is_reproducible_and_assembles() {
        for seed in 0..50 {
            let a = generate(seed);
            let b = generate(seed);
            assert_eq!(a.mvasm(), b.mvasm());
            let prog = isa::asm::assemble(&a.mvasm(), "gen.mvasm")
                .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", a.mvasm()));
            let words: Vec<u8> = a.words().iter().flat_map(|w| w.to_be_bytes()).collect();
            assert_eq!(prog.image.code, words, "seed {seed}\n{}", a.listing());
        }
    }
}
