//! Table-driven vectors for `core::execute` (isa.md, context.md).
//!
//! Each vector sets up one task's registers / PSW / stack in a fresh machine, executes one
//! instruction and compares registers, PSW, SP, pc, the retire record's writes and the
//! fault against values computed by hand from the spec.

use super::*;
use crate::machine::{Machine, MachineConfig};
use isa::{window_of, Encoded, MemWrite, Opcode, Retire, Slot, TaskState};

const TOP: u32 = 0xFFFC;
const LIMIT: u32 = 0xEFFC;
const Z: u8 = PSW_Z;
const C: u8 = PSW_C;
const N: u8 = PSW_N;
const V: u8 = PSW_V;

/// One test machine with task `pid` RUNNING.
struct T {
    m: Machine,
    pid: u8,
}

impl T {
    /// pid 1 with `code` at code_base 0 (code_size = its length).
    fn new(code: &[Insn]) -> T {
        T::with(1, &words(code))
    }

    /// pid `pid` with raw code words at code_base 0.
    fn with(pid: u8, code: &[u32]) -> T {
        let mut m = Machine::new(&MachineConfig::default());
        *m.slot_mut(pid) = Slot {
            state: TaskState::Running,
            pc: 0,
            code_base: 0,
            code_size: 4 * code.len() as u32,
            psw: 0,
            sp: TOP,
            reg_base: window_of(pid),
            stack_limit: LIMIT,
            stack_top: TOP,
            slice: 1,
            ..Slot::default()
        };
        m.stack_region_lo = LIMIT;
        let mut t = T { m, pid };
        t.put_code(0, code);
        t.set(15, TOP);
        t
    }

    fn put_code(&mut self, at: u32, code: &[u32]) {
        for (i, w) in code.iter().enumerate() {
            let a = at as usize + 4 * i;
            self.m.code[a..a + 4].copy_from_slice(&w.to_be_bytes());
        }
    }

    fn slot(&mut self) -> &mut Slot {
        self.m.slot_mut(self.pid)
    }
    fn set(&mut self, n: u8, v: u32) {
        self.m.set_reg(self.pid, n, v);
    }
    fn r(&self, n: u8) -> u32 {
        self.m.reg(self.pid, n)
    }
    fn regaddr(&self, n: u8) -> u16 {
        (window_of(self.pid) + 4 * n as u32) as u16
    }
    fn wreg(&self, n: u8, v: u32) -> MemWrite {
        MemWrite { addr: self.regaddr(n), mask: 0xF, data: v }
    }

    fn step(&mut self) -> (Effect, Retire) {
        let mut rec = Retire { step: 77, ..Retire::default() };
        let e = execute(&mut self.m, self.pid, &mut rec);
        assert_eq!(rec.step, 77, "execute must not touch rec.step");
        assert_eq!(rec.pid, self.pid);
        // The record's psw/sp/next_pc are the slot's after the step.
        let s = *self.m.slot(self.pid);
        assert_eq!(rec.psw, s.psw, "rec.psw is the PSW after the step");
        assert_eq!(rec.sp, s.sp, "rec.sp is the SP after the step");
        assert_eq!(rec.next_pc, s.pc, "rec.next_pc is the slot pc after the step");
        assert_eq!(s.state, TaskState::Running, "execute never changes state");
        (e, rec)
    }
}

fn words(code: &[Insn]) -> Vec<u32> {
    code.iter()
        .flat_map(|i| {
            let e: Encoded = i.encode();
            e.as_slice().to_vec()
        })
        .collect()
}

fn r3(rd: u8, rs1: u8, rs2: u8) -> RdRsRs {
    RdRsRs { rd, rs1, rs2 }
}

// ----------------------------------------------------------------------------------------
// ALU vectors: OP R3, R1, R2 with R1 = a, R2 = b
// ----------------------------------------------------------------------------------------

type AluVec = (fn(RdRsRs) -> Insn, u32, u32, u8, u32, u8);

/// (op, a, b, psw in, result, psw out)
const ALU: &[AluVec] = &[
    // ADD: C carry out, V signed overflow
    (Insn::Add, 1, 2, 0, 3, 0),
    (Insn::Add, 1, 1, Z | C | N | V, 2, 0),
    (Insn::Add, 0x7FFF_FFFF, 1, 0, 0x8000_0000, N | V),
    (Insn::Add, 0xFFFF_FFFF, 1, 0, 0, Z | C),
    (Insn::Add, 0x8000_0000, 0x8000_0000, 0, 0, Z | C | V),
    (Insn::Add, 0xFFFF_FFFF, 0xFFFF_FFFF, 0, 0xFFFF_FFFE, N | C),
    (Insn::Add, 0x7FFF_FFFF, 0x7FFF_FFFF, 0, 0xFFFF_FFFE, N | V),
    (Insn::Add, 0x8000_0000, 0x7FFF_FFFF, 0, 0xFFFF_FFFF, N),
    // SUB: C = a >= b unsigned
    (Insn::Sub, 3, 1, 0, 2, C),
    (Insn::Sub, 1, 3, C, 0xFFFF_FFFE, N),
    (Insn::Sub, 5, 5, 0, 0, Z | C),
    (Insn::Sub, 0x8000_0000, 1, 0, 0x7FFF_FFFF, C | V),
    (Insn::Sub, 0x7FFF_FFFF, 0xFFFF_FFFF, 0, 0x8000_0000, N | V),
    (Insn::Sub, 0, 0x8000_0000, 0, 0x8000_0000, N | V),
    (Insn::Sub, 0xFFFF_FFFF, 0xFFFF_FFFF, 0, 0, Z | C),
    (Insn::Sub, 0, 1, 0, 0xFFFF_FFFF, N),
    // MUL: low 32 bits; C = V = high != 0
    (Insn::Mul, 3, 4, C | V, 12, 0),
    (Insn::Mul, 0x1_0000, 0x1_0000, 0, 0, Z | C | V),
    (Insn::Mul, 0xFFFF_FFFF, 0xFFFF_FFFF, 0, 1, C | V),
    (Insn::Mul, 0x8000_0000, 1, 0, 0x8000_0000, N),
    (Insn::Mul, 0x8000_0000, 2, 0, 0, Z | C | V),
    (Insn::Mul, 0, 5, N, 0, Z),
    (Insn::Mul, 0xFFFF, 0x1_0001, 0, 0xFFFF_FFFF, N),
    // DIV: signed, truncating; C = V = 0
    (Insn::Div, 7, 2, C | V, 3, 0),
    (Insn::Div, (-7i32) as u32, 2, 0, (-3i32) as u32, N),
    (Insn::Div, 7, (-2i32) as u32, 0, (-3i32) as u32, N),
    (Insn::Div, (-7i32) as u32, (-2i32) as u32, 0, 3, 0),
    (Insn::Div, 0x8000_0000, 0xFFFF_FFFF, C | V, 0x8000_0000, N),
    (Insn::Div, 0x8000_0000, 1, 0, 0x8000_0000, N),
    (Insn::Div, 0, 5, 0, 0, Z),
    (Insn::Div, 1, 2, 0, 0, Z),
    // AND/OR/XOR: flags ZN, C = V = 0
    (Insn::And, 0xF0F0, 0xFF00, C | V, 0xF000, 0),
    (Insn::And, 0x8000_0000, 0xFFFF_FFFF, 0, 0x8000_0000, N),
    (Insn::And, 1, 2, 0, 0, Z),
    (Insn::Or, 0, 0, C, 0, Z),
    (Insn::Or, 0x8000_0000, 1, V, 0x8000_0001, N),
    (Insn::Xor, 0x1234, 0x1234, 0, 0, Z),
    (Insn::Xor, 0xFFFF_FFFF, 1, C | V, 0xFFFF_FFFE, N),
    // LSL: s = b & 31; C = last bit out if s != 0 (kept if s == 0); V = 0
    (Insn::Lsl, 0x8000_0001, 1, 0, 2, C),
    (Insn::Lsl, 0x4000_0000, 1, C, 0x8000_0000, N),
    (Insn::Lsl, 0x8000_0001, 0, 0, 0x8000_0001, N),
    (Insn::Lsl, 0x8000_0001, 0, C | V, 0x8000_0001, N | C),
    (Insn::Lsl, 3, 31, 0, 0x8000_0000, N | C),
    (Insn::Lsl, 1, 31, C, 0x8000_0000, N),
    (Insn::Lsl, 5, 32, C | V, 5, C),
    (Insn::Lsl, 5, 32, V, 5, 0),
    (Insn::Lsl, 0x4000_0000, 33, C, 0x8000_0000, N),
    (Insn::Lsl, 0xC000_0000, 33, 0, 0x8000_0000, N | C),
    (Insn::Lsl, 0x8000_0000, 1, 0, 0, Z | C),
    // LSR: C = bit s-1 of a
    (Insn::Lsr, 3, 1, 0, 1, C),
    (Insn::Lsr, 2, 1, C, 1, 0),
    (Insn::Lsr, 1, 1, 0, 0, Z | C),
    (Insn::Lsr, 0x8000_0000, 31, C, 1, 0),
    (Insn::Lsr, 0xC000_0000, 31, 0, 1, C),
    (Insn::Lsr, 0x8000_0000, 0, C | V, 0x8000_0000, N | C),
    (Insn::Lsr, 0x8000_0000, 32, 0, 0x8000_0000, N),
    (Insn::Lsr, 0x8000_0003, 33, 0, 0x4000_0001, C),
    (Insn::Lsr, 0xFFFF_FFFF, 0xFFFF_FFFF, 0, 1, C), // s = 31
    // ASR: arithmetic; C as LSR
    (Insn::Asr, 0x8000_0000, 31, C, 0xFFFF_FFFF, N),
    (Insn::Asr, 0xC000_0000, 31, 0, 0xFFFF_FFFF, N | C),
    (Insn::Asr, 0x8000_0001, 1, 0, 0xC000_0000, N | C),
    (Insn::Asr, 0x7FFF_FFFF, 1, 0, 0x3FFF_FFFF, C),
    (Insn::Asr, 0x8000_0000, 0, V, 0x8000_0000, N),
    (Insn::Asr, 0x7FFF_FFFF, 32, C | V, 0x7FFF_FFFF, C),
    (Insn::Asr, 0xFFFF_FFFF, 33, 0, 0xFFFF_FFFF, N | C),
    (Insn::Asr, 1, 1, 0, 0, Z | C),
    // ADC: r = a + b + C; C = carry of the 33-bit sum; V = bit31 of ~(a^b) & (a^r)
    (Insn::Adc, 1, 2, 0, 3, 0),
    (Insn::Adc, 1, 2, C, 4, 0),
    (Insn::Adc, 0xFFFF_FFFF, 0, C, 0, Z | C),
    (Insn::Adc, 0xFFFF_FFFF, 1, 0, 0, Z | C),
    (Insn::Adc, 0x7FFF_FFFF, 0, C, 0x8000_0000, N | V),
    (Insn::Adc, 0, 0x7FFF_FFFF, C, 0x8000_0000, N | V), // b + C wraps in the prototype
    (Insn::Adc, 0x7FFF_FFFF, 0x7FFF_FFFF, C, 0xFFFF_FFFF, N | V),
    (Insn::Adc, 0xFFFF_FFFF, 0x7FFF_FFFF, C, 0x7FFF_FFFF, C),
    (Insn::Adc, 0x8000_0000, 0x8000_0000, 0, 0, Z | C | V),
    (Insn::Adc, 0x8000_0000, 0x7FFF_FFFF, C, 0, Z | C),
    (Insn::Adc, 0xFFFF_FFFF, 0xFFFF_FFFF, C, 0xFFFF_FFFF, N | C),
    (Insn::Adc, 0, 0xFFFF_FFFF, C, 0, Z | C),
    // SBC: borrow = 1 - C; r = a - b - borrow; C = a >= b + borrow; V = bit31 of (a^b)&(a^r)
    (Insn::Sbc, 5, 3, C, 2, C),
    (Insn::Sbc, 5, 3, 0, 1, C),
    (Insn::Sbc, 3, 3, 0, 0xFFFF_FFFF, N),
    (Insn::Sbc, 3, 3, C, 0, Z | C),
    (Insn::Sbc, 0x8000_0000, 0, 0, 0x7FFF_FFFF, C | V),
    (Insn::Sbc, 0, 0x7FFF_FFFF, 0, 0x8000_0000, N), // b + borrow wraps in the prototype
    (Insn::Sbc, 0xFFFF_FFFF, 0xFFFF_FFFF, 0, 0xFFFF_FFFF, N),
    (Insn::Sbc, 0x7FFF_FFFF, 0xFFFF_FFFF, C, 0x8000_0000, N | V),
    (Insn::Sbc, 0x7FFF_FFFF, 0x7FFF_FFFF, 0, 0xFFFF_FFFF, N),
    (Insn::Sbc, 0xFFFF_FFFF, 0xFFFF_FFFE, 0, 0, Z | C),
    (Insn::Sbc, 0x8000_0000, 0x7FFF_FFFF, C, 1, C | V),
];

#[test]
fn alu_vectors() {
    for (i, &(op, a, b, psw_in, want, psw_want)) in ALU.iter().enumerate() {
        let insn = op(r3(3, 1, 2));
        let mut t = T::new(&[insn]);
        t.set(1, a);
        t.set(2, b);
        t.set(3, 0xDEAD_BEEF);
        t.slot().psw = psw_in;
        let before = t.m.regs(1);
        let (e, rec) = t.step();
        let ctx = format!("vector {i}: {insn:?} a={a:#x} b={b:#x} psw_in={psw_in:#x}");
        assert_eq!(e, Effect::Continue, "{ctx}");
        assert_eq!(t.r(3), want, "{ctx}: result");
        assert_eq!(t.m.slot(1).psw, psw_want, "{ctx}: psw");
        assert_eq!(rec.writes(), &[t.wreg(3, want)], "{ctx}: writes");
        assert_eq!(rec.next_pc, 4, "{ctx}");
        assert_eq!(rec.insn_words(), &[insn.encode().words[0]], "{ctx}");
        assert_eq!(rec.fault, None, "{ctx}");
        assert_eq!(t.m.slot(1).sp, TOP, "{ctx}: sp");
        let after = t.m.regs(1);
        for n in 0..16 {
            if n != 3 {
                assert_eq!(after[n], before[n], "{ctx}: R{n} must not change");
            }
        }
    }
}

#[test]
fn alu_with_aliased_registers() {
    // ADD R1, R1, R1: operands read before the write.
    let mut t = T::new(&[Insn::Add(r3(1, 1, 1))]);
    t.set(1, 0x4000_0000);
    t.step();
    assert_eq!(t.r(1), 0x8000_0000);
    assert_eq!(t.m.slot(1).psw, N | V);
    // SUB R0, R0, R0.
    let mut t = T::new(&[Insn::Sub(r3(0, 0, 0))]);
    t.set(0, 1234);
    t.step();
    assert_eq!(t.r(0), 0);
    assert_eq!(t.m.slot(1).psw, Z | C);
}

#[test]
fn not_vectors() {
    // (a, psw in, result, psw out)
    let v: &[(u32, u8, u32, u8)] =
        &[(0, C | V, 0xFFFF_FFFF, N), (0xFFFF_FFFF, 0, 0, Z), (0x8000_0000, N, 0x7FFF_FFFF, 0)];
    for &(a, pin, want, pout) in v {
        let mut t = T::new(&[Insn::Not(RdRs { rd: 4, rs1: 1 })]);
        t.set(1, a);
        t.slot().psw = pin;
        let (_, rec) = t.step();
        assert_eq!(t.r(4), want);
        assert_eq!(t.m.slot(1).psw, pout, "NOT {a:#x}");
        assert_eq!(rec.writes(), &[t.wreg(4, want)]);
    }
}

#[test]
fn cmp_sets_sub_flags_and_writes_nothing() {
    for &(_, a, b, pin, _, pout) in ALU.iter().filter(|v| matches!((v.0)(r3(3, 1, 2)), Insn::Sub(_))) {
        let mut t = T::new(&[Insn::Cmp(RsRs { rs1: 1, rs2: 2 })]);
        t.set(1, a);
        t.set(2, b);
        t.slot().psw = pin;
        let before = t.m.dmem.clone();
        let (e, rec) = t.step();
        assert_eq!(e, Effect::Continue);
        assert_eq!(t.m.slot(1).psw, pout, "CMP {a:#x}, {b:#x}");
        assert!(rec.writes().is_empty());
        assert_eq!(t.m.dmem, before, "CMP writes no memory");
    }
}

// ----------------------------------------------------------------------------------------
// Moves and immediates: no PSW effect
// ----------------------------------------------------------------------------------------

#[test]
fn ldi_mov_ldi32_keep_psw() {
    let all = Z | C | N | V;
    // (insn, expected R5)
    let v: &[(Insn, u32)] = &[
        (Insn::Ldi(RdImm { rd: 5, imm: -1 }), 0xFFFF_FFFF),
        (Insn::Ldi(RdImm { rd: 5, imm: 2047 }), 2047),
        (Insn::Ldi(RdImm { rd: 5, imm: -2048 }), 0xFFFF_F800),
        (Insn::Ldi(RdImm { rd: 5, imm: 0 }), 0),
        (Insn::Mov(RdRs { rd: 5, rs1: 1 }), 0x8000_0000),
        (Insn::Ldi32(Imm32 { rd: 5, value: 0xCAFE_F00D }), 0xCAFE_F00D),
        (Insn::Ldi32(Imm32 { rd: 5, value: 0 }), 0),
    ];
    for &(insn, want) in v {
        for psw in [0, all] {
            let mut t = T::new(&[insn]);
            t.set(1, 0x8000_0000);
            t.set(5, 0x5555_5555);
            t.slot().psw = psw;
            let (e, rec) = t.step();
            assert_eq!(e, Effect::Continue);
            assert_eq!(t.r(5), want, "{insn:?}");
            assert_eq!(t.m.slot(1).psw, psw, "{insn:?} must not touch the PSW");
            assert_eq!(rec.writes(), &[t.wreg(5, want)]);
            let len = insn.encode().len;
            assert_eq!(rec.insn_len as usize, len);
            assert_eq!(rec.insn_words(), insn.encode().as_slice());
            assert_eq!(rec.next_pc as usize, 4 * len);
        }
    }
}

#[test]
fn unused_fields_are_ignored_on_decode() {
    // ADD R3, R1, R2 with junk in imm12.
    let mut t = T::with(1, &[0x1031_2FFF]);
    t.set(1, 40);
    t.set(2, 2);
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(t.r(3), 42);
    assert_eq!(rec.insn_words(), &[0x1031_2FFF]);
}

// ----------------------------------------------------------------------------------------
// Loads and stores
// ----------------------------------------------------------------------------------------

#[test]
fn loads_zero_extend_and_wrap_addresses() {
    // (insn, R1, bytes at 0x4000.., expected R2)
    let ld = |rd, rs1, imm| Load { rd, rs1, imm };
    let bytes = [0x80u8, 0xEE, 0xFF, 0x12, 0x34, 0x56, 0x78, 0x9A];
    let v: &[(Insn, u32, u32)] = &[
        (Insn::Ld(ld(2, 1, 0)), 0x4000, 0x12FF_EE80),
        (Insn::Ld(ld(2, 1, 1)), 0x4000, 0x3412_FFEE), // unaligned, spans two words
        (Insn::Ld(ld(2, 1, 3)), 0x4000, 0x7856_3412),
        (Insn::Ldb(ld(2, 1, 0)), 0x4000, 0x80),
        (Insn::Ldb(ld(2, 1, 2)), 0x4000, 0xFF),
        (Insn::Ldh(ld(2, 1, 1)), 0x4000, 0xFFEE),
        (Insn::Ldh(ld(2, 1, 3)), 0x4000, 0x3412),          // spans two words
        (Insn::Ld(ld(2, 1, -4)), 0x4004, 0x12FF_EE80),     // negative offset
        (Insn::Ld(ld(2, 1, 4)), 0x1234_4000, 0x9A78_5634), // (R1 + imm) & 0xFFFF
        (Insn::Ldb(ld(2, 1, 0x10)), 0xFFFF_3FF7, 0x9A),    // wraps to 0x4007
        (Insn::Ld(ld(2, 1, 0)), 0x1_4000, 0x12FF_EE80),
    ];
    for &(insn, base, want) in v {
        for psw in [0, Z | C | N | V] {
            let mut t = T::new(&[insn]);
            t.m.dmem[0x4000..0x4008].copy_from_slice(&bytes);
            t.set(1, base);
            t.set(2, 0xAAAA_AAAA);
            t.slot().psw = psw;
            let (e, rec) = t.step();
            assert_eq!(e, Effect::Continue, "{insn:?} R1={base:#x}");
            assert_eq!(t.r(2), want, "{insn:?} R1={base:#x}");
            assert_eq!(rec.writes(), &[t.wreg(2, want)]);
            assert_eq!(t.m.slot(1).psw, psw, "loads never touch the PSW");
        }
    }
}

#[test]
fn load_from_address_zero_and_below_window() {
    // The address wraps modulo 2^16 into the executive's reserved area: readable with
    // protection off, ACCESS_VIOLATION with it on (context.md "Memory protection").
    let mut t = T::new(&[Insn::Ld(Load { rd: 2, rs1: 1, imm: 0x10 })]);
    t.m.protect = false;
    t.m.write_u32(0x000F, 0x0102_0304);
    t.set(1, 0xFFFF_FFFF); // + 0x10 wraps to 0x000F
    let (e, _) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(t.r(2), 0x0102_0304);
    let mut t = T::new(&[Insn::Ld(Load { rd: 2, rs1: 1, imm: 0x10 })]);
    t.m.write_u32(0x000F, 0x0102_0304);
    t.set(1, 0xFFFF_FFFF);
    t.set(2, 0x5A5A);
    expect_fault(&mut t, fault::ACCESS_VIOLATION);
    assert_eq!(t.r(2), 0x5A5A, "a faulting load writes no register but R0");
}

#[test]
fn stores_write_bytes_and_record_split_writes() {
    let st = |rs1, imm, rs2| Store { rs1, imm, rs2 };
    // (insn, address, expected memory bytes at 0x4000..0x4008, expected writes)
    let val = 0xAABB_CCDDu32;
    let v: &[(Insn, [u8; 8], &[MemWrite])] = &[
        (
            Insn::St(st(1, 0, 2)),
            [0xDD, 0xCC, 0xBB, 0xAA, 0, 0, 0, 0],
            &[MemWrite { addr: 0x4000, mask: 0xF, data: 0xAABB_CCDD }],
        ),
        (
            Insn::St(st(1, 3, 2)),
            [0, 0, 0, 0xDD, 0xCC, 0xBB, 0xAA, 0],
            &[
                MemWrite { addr: 0x4000, mask: 0b1000, data: 0xDD00_0000 },
                MemWrite { addr: 0x4004, mask: 0b0111, data: 0x00AA_BBCC },
            ],
        ),
        (
            Insn::Stb(st(1, 1, 2)),
            [0, 0xDD, 0, 0, 0, 0, 0, 0],
            &[MemWrite { addr: 0x4000, mask: 0b0010, data: 0x0000_DD00 }],
        ),
        (
            Insn::Sth(st(1, 2, 2)),
            [0, 0, 0xDD, 0xCC, 0, 0, 0, 0],
            &[MemWrite { addr: 0x4000, mask: 0b1100, data: 0xCCDD_0000 }],
        ),
        (
            Insn::Sth(st(1, 3, 2)),
            [0, 0, 0, 0xDD, 0xCC, 0, 0, 0],
            &[
                MemWrite { addr: 0x4000, mask: 0b1000, data: 0xDD00_0000 },
                MemWrite { addr: 0x4004, mask: 0b0001, data: 0x0000_00CC },
            ],
        ),
        (
            Insn::St(st(1, 0x7FF, 2)),
            [0; 8],
            &[
                MemWrite { addr: 0x47FC, mask: 0b1000, data: 0xDD00_0000 },
                MemWrite { addr: 0x4800, mask: 0b0111, data: 0x00AA_BBCC },
            ],
        ),
    ];
    for (insn, mem, writes) in v {
        for psw in [0, Z | C | N | V] {
            let mut t = T::new(&[*insn]);
            t.set(1, 0x4000);
            t.set(2, val);
            t.slot().psw = psw;
            let (e, rec) = t.step();
            assert_eq!(e, Effect::Continue);
            assert_eq!(&t.m.dmem[0x4000..0x4008], mem, "{insn:?}");
            assert_eq!(rec.writes(), *writes, "{insn:?}");
            assert_eq!(t.m.slot(1).psw, psw, "stores never touch the PSW");
            // The record's writes replayed onto a copy of the old memory give the new one.
            let mut replay = T::new(&[*insn]);
            replay.set(1, 0x4000);
            replay.set(2, val);
            for w in rec.writes() {
                for lane in 0..4 {
                    if w.mask & (1 << lane) != 0 {
                        replay.m.dmem[w.addr as usize + lane] = (w.data >> (8 * lane)) as u8;
                    }
                }
            }
            assert_eq!(replay.m.dmem, t.m.dmem, "{insn:?}: writes describe the memory change");
        }
    }
}

#[test]
fn store_r15_stores_register_value_and_leaves_sp() {
    let mut t = T::new(&[Insn::St(Store { rs1: 1, imm: 0, rs2: 15 })]);
    t.set(1, 0x5000);
    t.set(15, 0x1234_5678);
    t.step();
    assert_eq!(t.m.read_u32(0x5000), 0x1234_5678);
    assert_eq!(t.m.slot(1).sp, TOP);
}

// ----------------------------------------------------------------------------------------
// Branches, CALL/RET, PC arithmetic
// ----------------------------------------------------------------------------------------

#[test]
fn jumps() {
    let tgt = Target { target: 0x0FFC };
    // (insn, psw, expected next pc)
    let v: &[(Insn, u8, u16)] = &[
        (Insn::Jmp(tgt), 0, 0x0FFC),
        (Insn::Jmp(tgt), Z, 0x0FFC),
        (Insn::Jz(tgt), Z, 0x0FFC),
        (Insn::Jz(tgt), C | N | V, 4),
        (Insn::Jnz(tgt), Z, 4),
        (Insn::Jnz(tgt), C | N | V, 0x0FFC),
        (Insn::Jmp(Target { target: 2 }), 0, 2), // unaligned target: BAD_PC at the next fetch
    ];
    for &(insn, psw, want) in v {
        let mut t = T::new(&[insn]);
        t.slot().psw = psw;
        let (e, rec) = t.step();
        assert_eq!(e, Effect::Continue);
        assert_eq!(rec.next_pc, want, "{insn:?} psw={psw:#x}");
        assert!(rec.writes().is_empty());
        assert_eq!(t.m.slot(1).psw, psw);
    }
}

#[test]
fn pc_wraps_at_0xfffc() {
    let mut code = vec![0u32; 0x4000];
    code[0x3FFF] = Insn::Add(r3(3, 1, 2)).encode().words[0];
    let mut t = T::with(1, &code);
    t.slot().pc = 0xFFFC;
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(rec.next_pc, 0, "PC + 4 at 0xFFFC wraps to 0");
    // LDI32 at 0xFFF8 with its literal at 0xFFFC: PC + 8 wraps to 0.
    let mut code = vec![0u32; 0x4000];
    code[0x3FFE] = Insn::Ldi32(Imm32 { rd: 4, value: 7 }).encode().words[0];
    code[0x3FFF] = 7;
    let mut t = T::with(1, &code);
    t.slot().pc = 0xFFF8;
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(t.r(4), 7);
    assert_eq!(rec.next_pc, 0);
    assert_eq!(rec.insn_words(), &[0x6040_0000, 7]);
}

#[test]
fn call_forms() {
    // (pc, rs1, R[rs1], imm, expected target, expected pushed word)
    let v: &[(u16, u8, u32, i16, u16, u32)] = &[
        (8, 0, 0, 3, 20, 12),
        (8, 0, 0, -2, 0, 12),
        (8, 0, 0, -3, 0xFFFC, 12), // (8 - 12) & 0xFFFF
        (8, 1, 0x100, 1, 0x104, 12),
        (8, 1, 0x1_FFF0, 2, 0xFFF8, 12), // base masked after the add
        (8, 1, 0xFFFC, 1, 0, 12),
        (8, 1, 0x100, -2048, 0xE100, 12),
        (0xFFFC, 0, 0, 1, 0, 0), // pushes PC + 4 = 0 (wrapped)
    ];
    for &(pc, rs1, base, imm, tgt, pushed) in v {
        let insn = Insn::Call(CallOp { rs1, imm });
        let mut code = vec![0u32; 0x4000];
        code[pc as usize / 4] = insn.encode().words[0];
        let mut t = T::with(1, &code);
        t.slot().pc = pc;
        t.set(rs1, base);
        t.slot().psw = Z | V;
        let (e, rec) = t.step();
        let ctx = format!("CALL pc={pc:#x} rs1={rs1} base={base:#x} imm={imm}");
        assert_eq!(e, Effect::Continue, "{ctx}");
        assert_eq!(rec.next_pc, tgt, "{ctx}");
        assert_eq!(t.m.slot(1).sp, TOP - 4, "{ctx}");
        assert_eq!(t.r(15), TOP - 4, "{ctx}: R15 alias");
        assert_eq!(t.m.read_u32(TOP - 4), pushed, "{ctx}");
        assert_eq!(
            rec.writes(),
            &[MemWrite { addr: (TOP - 4) as u16, mask: 0xF, data: pushed }, t.wreg(15, TOP - 4)],
            "{ctx}: stack word, then R15"
        );
        assert_eq!(t.m.slot(1).psw, Z | V, "{ctx}: PSW untouched");
    }
}

#[test]
fn ret_pops_low_16_bits() {
    let mut t = T::new(&[Insn::Ret(NoOperands {})]);
    t.slot().sp = TOP - 8;
    t.set(15, 0x7777);
    t.m.write_u32(TOP - 8, 0x1234_5678);
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(rec.next_pc, 0x5678, "PC keeps the low 16 bits of the popped word");
    assert_eq!(t.m.slot(1).sp, TOP - 4);
    assert_eq!(t.r(15), TOP - 4);
    assert_eq!(rec.writes(), &[t.wreg(15, TOP - 4)], "RET writes only R15");
}

#[test]
fn ret_at_stack_top_returns() {
    let mut t = T::with(1, &[0, Insn::Ret(NoOperands {}).encode().words[0]]);
    t.slot().pc = 4;
    t.set(0, 0xC0DE);
    t.set(15, 0x1111); // R15 need not equal SP
    t.slot().psw = C;
    let before = t.m.dmem.clone();
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Return { code: 0xC0DE });
    assert_eq!(rec.next_pc, 4, "pc unchanged");
    assert_eq!(t.m.slot(1).pc, 4);
    assert!(rec.writes().is_empty());
    assert_eq!(rec.fault, None);
    assert_eq!(t.m.dmem, before);
    assert_eq!(t.m.slot(1).sp, TOP);
    assert_eq!(rec.psw, C);
}

#[test]
fn call_then_ret_round_trip() {
    // 0: CALL +2 (→ 8); 4: BRK 1; 8: RET
    let code = [Insn::Call(CallOp { rs1: 0, imm: 2 }), Insn::Brk(isa::BrkOp { code: 1 }), Insn::Ret(NoOperands {})];
    let mut t = T::new(&code);
    assert_eq!(t.step().1.next_pc, 8);
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(rec.next_pc, 4);
    assert_eq!(t.m.slot(1).sp, TOP);
    assert_eq!(t.r(15), TOP);
    assert_eq!(t.step().0, Effect::Brk { code: 1 });
}

// ----------------------------------------------------------------------------------------
// PUSH / POP and the R15 alias
// ----------------------------------------------------------------------------------------

#[test]
fn push_and_pop() {
    let mut t = T::new(&[
        Insn::Push(Rs { rs1: 3 }),
        Insn::Push(Rs { rs1: 15 }),
        Insn::Pop(isa::Rd { rd: 4 }),
        Insn::Pop(isa::Rd { rd: 15 }),
    ]);
    t.set(3, 0xABCD_0123);
    t.slot().psw = N | C;

    let (_, rec) = t.step(); // PUSH R3
    assert_eq!(rec.writes(), &[MemWrite { addr: 0xFFF8, mask: 0xF, data: 0xABCD_0123 }, t.wreg(15, 0xFFF8)]);
    assert_eq!((t.m.slot(1).sp, t.r(15), rec.sp), (0xFFF8, 0xFFF8, 0xFFF8));

    let (_, rec) = t.step(); // PUSH R15 pushes R15's value (read before SP moves)
    assert_eq!(rec.writes(), &[MemWrite { addr: 0xFFF4, mask: 0xF, data: 0xFFF8 }, t.wreg(15, 0xFFF4)]);
    assert_eq!(t.m.slot(1).sp, 0xFFF4);

    let (_, rec) = t.step(); // POP R4: R15 then rd
    assert_eq!(rec.writes(), &[t.wreg(15, 0xFFF8), t.wreg(4, 0xFFF8)]);
    assert_eq!((t.r(4), t.m.slot(1).sp, t.r(15)), (0xFFF8, 0xFFF8, 0xFFF8));

    let (_, rec) = t.step(); // POP R15: the popped value wins in R15, SP = old + 4
    assert_eq!(rec.writes(), &[t.wreg(15, TOP), t.wreg(15, 0xABCD_0123)]);
    assert_eq!(t.r(15), 0xABCD_0123);
    assert_eq!(t.m.slot(1).sp, TOP);
    assert_eq!(t.m.slot(1).psw, N | C, "stack ops never touch the PSW");
}

#[test]
fn push_r15_after_mov_pushes_register_not_sp() {
    let mut t = T::new(&[Insn::Mov(RdRs { rd: 15, rs1: 1 }), Insn::Push(Rs { rs1: 15 })]);
    t.set(1, 0xDEAD);
    let (_, rec) = t.step();
    assert_eq!(t.r(15), 0xDEAD);
    assert_eq!(t.m.slot(1).sp, TOP, "MOV R15 does not move SP");
    assert_eq!(rec.sp, TOP);
    let (_, rec) = t.step();
    assert_eq!(t.m.read_u32(TOP - 4), 0xDEAD);
    assert_eq!(t.r(15), TOP - 4, "PUSH re-synchronises R15 with SP");
    assert_eq!(rec.sp, TOP - 4);
}

#[test]
fn frame_pointer_idiom() {
    // PUSH R1; MOV R7, R15; LD R2, [R7 + 0]  — within the own stack, protection on.
    let mut t = T::new(&[
        Insn::Push(Rs { rs1: 1 }),
        Insn::Mov(RdRs { rd: 7, rs1: 15 }),
        Insn::Ld(Load { rd: 2, rs1: 7, imm: 0 }),
    ]);
    t.set(1, 99);
    for _ in 0..3 {
        assert_eq!(t.step().0, Effect::Continue);
    }
    assert_eq!(t.r(7), TOP - 4);
    assert_eq!(t.r(2), 99);
}

#[test]
fn push_at_exact_limit_is_allowed() {
    let mut t = T::new(&[Insn::Push(Rs { rs1: 1 })]);
    t.slot().sp = LIMIT + 4;
    let (e, _) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(t.m.slot(1).sp, LIMIT);
}

#[test]
fn pop_at_last_word_is_allowed() {
    let mut t = T::new(&[Insn::Pop(isa::Rd { rd: 1 })]);
    t.slot().sp = TOP - 4;
    t.m.write_u32(TOP - 4, 5);
    let (e, _) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(t.r(1), 5);
    assert_eq!(t.m.slot(1).sp, TOP);
}

#[test]
fn stack_top_at_end_of_memory() {
    // stack_top may be 0x10000: the top word is 0xFFFC.
    let mut t = T::new(&[Insn::Push(Rs { rs1: 1 }), Insn::Pop(isa::Rd { rd: 2 }), Insn::Ret(NoOperands {})]);
    t.slot().stack_top = 0x1_0000;
    t.slot().stack_limit = 0xF000;
    t.slot().sp = 0x1_0000;
    t.m.stack_region_lo = 0xF000;
    t.set(1, 0x42);
    t.step();
    assert_eq!(t.m.slot(1).sp, 0xFFFC);
    assert_eq!(t.m.read_u32(0xFFFC), 0x42);
    t.step();
    assert_eq!(t.r(2), 0x42);
    assert_eq!(t.m.slot(1).sp, 0x1_0000);
    assert_eq!(t.r(15), 0x1_0000);
    assert_eq!(t.step().0, Effect::Return { code: 0 });
}

// ----------------------------------------------------------------------------------------
// SVC, BRK
// ----------------------------------------------------------------------------------------

#[test]
fn svc_traps_without_writes() {
    let mut t = T::with(1, &[0x3000_0502, 0x3000_0FFF]);
    t.slot().psw = Z;
    let before = t.m.dmem.clone();
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Trap { module: 5, func: 2 });
    assert_eq!(rec.trap, Some((5, 2)));
    assert_eq!(rec.next_pc, 4);
    assert!(rec.writes().is_empty());
    assert_eq!(t.m.dmem, before);
    assert_eq!(rec.psw, Z);
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Trap { module: 0xF, func: 0xFF });
    assert_eq!(rec.trap, Some((0xF, 0xFF)));
    assert_eq!(rec.next_pc, 8);
}

#[test]
fn brk_pauses_with_code() {
    let mut t = T::with(1, &[0x7F00_0042, 0x7F00_0FFF]);
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Brk { code: 0x42 });
    assert_eq!(rec.next_pc, 4);
    assert!(rec.writes().is_empty());
    assert_eq!(rec.trap, None);
    let (e, _) = t.step();
    assert_eq!(e, Effect::Brk { code: 0xFF }, "code is imm[7:0]");
}

// ----------------------------------------------------------------------------------------
// Floating point through the core
// ----------------------------------------------------------------------------------------

#[test]
fn fp_vectors_keep_upper_half_and_psw() {
    let rrr = r3(3, 1, 2);
    let rr = RdRs { rd: 3, rs1: 1 };
    // (insn, R1, R2, old R3, new R3)
    let v: &[(Insn, u32, u32, u32, u32)] = &[
        (Insn::Fadd(rrr), 0x1234_3C00, 0xFFFF_3C00, 0xABCD_0000, 0xABCD_4000), // 1 + 1
        (Insn::Fadd(rrr), 0x7BFF, 0x4C00, 0x0000_1111, 0x0000_7C00),           // overflow → ∞
        (Insn::Fsub(rrr), 0x0400, 0x0001, 0xFFFF_FFFF, 0xFFFF_03FF),           // into subnormals
        (Insn::Fsub(rrr), 0x8000, 0x0000, 0, 0x8000),                          // -0 − +0
        (Insn::Fmul(rrr), 0x3C01, 0x03FF, 0x5555_5555, 0x5555_0400),           // rounds up to 0x0400
        (Insn::Fmul(rrr), 0x7C00, 0x0000, 0, 0x7E00),                          // ∞ × 0 = NaN
        (Insn::Fdiv(rrr), 0x3C00, 0x4200, 0x8000_0000, 0x8000_3555),           // 1/3
        (Insn::Fdiv(rrr), 0xBC00, 0x8000, 0, 0x8000),                          // -1 / -0 → -0
        (Insn::Fdiv(rrr), 0x7C00, 0x0000, 0, 0x7E00),                          // ∞ / 0 = NaN
        (Insn::Fadd(rrr), 0x7C01, 0x3C00, 0, 0x7E00),                          // NaN canonical
        (Insn::I2f(rr), (-2i32) as u32, 0, 0xFEDC_0000, 0xFEDC_C000),
        (Insn::I2f(rr), 65520, 0, 0x1234_5678, 0x1234_7C00),
        (Insn::I2f(rr), 0x8000_0000, 0, 0, 0xFC00),
        (Insn::F2i(rr), 0xFFFF_7C00, 0, 0xAAAA_AAAA, 0x7FFF_FFFF), // +∞
        (Insn::F2i(rr), 0x0000_FC00, 0, 0xAAAA_AAAA, 0x8000_0000), // −∞
        (Insn::F2i(rr), 0x0000_7E00, 0, 0xAAAA_AAAA, 0),           // NaN
        (Insn::F2i(rr), 0x1234_BE00, 0, 0xAAAA_AAAA, 0xFFFF_FFFF), // -1.5 → -1
        (Insn::F2i(rr), 0x7BFF, 0, 0, 65504),
    ];
    for &(insn, a, b, old, want) in v {
        for psw in [0, Z | C | N | V] {
            let mut t = T::new(&[insn]);
            t.set(1, a);
            t.set(2, b);
            t.set(3, old);
            t.slot().psw = psw;
            let (e, rec) = t.step();
            assert_eq!(e, Effect::Continue);
            assert_eq!(t.r(3), want, "{insn:?} a={a:#x} b={b:#x}");
            assert_eq!(rec.writes(), &[t.wreg(3, want)]);
            assert_eq!(t.m.slot(1).psw, psw, "FP never touches the PSW");
        }
    }
}

#[test]
fn fp_rd_aliasing_source() {
    // FADD R1, R1, R2: the upper half kept is R1's own.
    let mut t = T::new(&[Insn::Fadd(r3(1, 1, 2))]);
    t.set(1, 0x9999_3C00);
    t.set(2, 0x3C00);
    t.step();
    assert_eq!(t.r(1), 0x9999_4000);
}

// ----------------------------------------------------------------------------------------
// Faults
// ----------------------------------------------------------------------------------------

/// Step and check the fault rule: nothing happened except R0 ← code; pc/psw/sp kept.
fn expect_fault(t: &mut T, code: u32) -> Retire {
    let s0 = *t.m.slot(t.pid);
    let mut mem0 = t.m.dmem.clone();
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Fault { code }, "expected {:?}", fault::name(code));
    assert_eq!(rec.fault, Some(code));
    assert_eq!(rec.trap, None);
    assert_eq!(rec.writes(), &[t.wreg(0, code)], "a fault writes only R0");
    assert_eq!(rec.next_pc, s0.pc);
    let s = *t.m.slot(t.pid);
    assert_eq!((s.pc, s.psw, s.sp), (s0.pc, s0.psw, s0.sp), "pc/psw/sp kept");
    assert_eq!((rec.psw, rec.sp), (s0.psw, s0.sp));
    assert_eq!(t.r(0), code);
    let r0 = t.regaddr(0) as usize;
    mem0[r0..r0 + 4].copy_from_slice(&code.to_le_bytes());
    assert!(t.m.dmem == mem0, "no memory effect besides R0");
    rec
}

#[test]
fn bad_pc() {
    // Unaligned pc.
    let mut t = T::new(&[Insn::Ldi(RdImm { rd: 1, imm: 1 }), Insn::Ldi(RdImm { rd: 1, imm: 1 })]);
    t.slot().pc = 2;
    let rec = expect_fault(&mut t, fault::BAD_PC);
    assert_eq!(rec.insn_len, 0, "nothing fetched");
    // pc at the end of the image.
    let mut t = T::new(&[Insn::Ldi(RdImm { rd: 1, imm: 1 })]);
    t.slot().pc = 4;
    let rec = expect_fault(&mut t, fault::BAD_PC);
    assert_eq!(rec.insn_len, 0);
    // pc far outside.
    t.slot().pc = 0xFFFC;
    expect_fault(&mut t, fault::BAD_PC);
    // With a non-zero code_base: the image is [code_base, code_base + code_size).
    let mut t = T::new(&[]);
    t.put_code(0x100, &[Insn::Ldi(RdImm { rd: 1, imm: 7 }).encode().words[0], 0x0100_0009]);
    t.slot().code_base = 0x100;
    t.slot().code_size = 4;
    let (e, rec) = t.step();
    assert_eq!(e, Effect::Continue);
    assert_eq!(t.r(1), 7);
    assert_eq!(rec.pc, 0);
    expect_fault(&mut t, fault::BAD_PC);
}

#[test]
fn bad_pc_beats_illegal() {
    // The word after the image is an illegal opcode: still BAD_PC.
    let mut t = T::with(1, &[Insn::Jmp(Target { target: 4 }).encode().words[0]]);
    t.put_code(4, &[0xFF00_0000]);
    t.step();
    let rec = expect_fault(&mut t, fault::BAD_PC);
    assert_eq!(rec.insn_len, 0);
    // Unaligned pc onto illegal bytes.
    let mut t = T::with(1, &[0, 0]);
    t.slot().pc = 1;
    expect_fault(&mut t, fault::BAD_PC);
}

#[test]
fn illegal_opcodes() {
    let legal: Vec<u8> = isa::TABLE.iter().map(|r| r.opcode as u8).collect();
    for op in 0u8..=255 {
        if legal.contains(&op) {
            continue;
        }
        let w = (op as u32) << 24 | 0x0012_3456;
        let mut t = T::with(1, &[w]);
        t.slot().psw = C;
        let rec = expect_fault(&mut t, fault::ILLEGAL);
        assert_eq!(rec.insn_words(), &[w], "the word was fetched");
    }
    assert!(Opcode::from_byte(0x05).is_none());
}

#[test]
fn ldi32_literal_outside_image() {
    let w = Insn::Ldi32(Imm32 { rd: 2, value: 0 }).encode().words[0];
    let mut t = T::with(1, &[w]);
    t.put_code(4, &[0x1234_5678]); // code memory beyond the image is not the image
    let rec = expect_fault(&mut t, fault::BAD_PC);
    assert_eq!(rec.insn_len, 1, "the opcode word was fetched");
    assert_eq!(rec.insn_words(), &[w]);
    assert_eq!(t.r(2), 0);
}

#[test]
fn div_zero() {
    let mut t = T::new(&[Insn::Div(r3(3, 1, 2))]);
    t.set(1, 5);
    t.set(3, 0x3333);
    t.slot().psw = N | V;
    expect_fault(&mut t, fault::DIV_ZERO);
    assert_eq!(t.r(3), 0x3333);
    // DIV R0, R0, R2 with R2 = 0: R0 gets the code, not a quotient.
    let mut t = T::new(&[Insn::Div(r3(0, 0, 2))]);
    t.set(0, 0x8000_0000);
    expect_fault(&mut t, fault::DIV_ZERO);
}

#[test]
fn stack_overflow() {
    for insn in
        [Insn::Push(Rs { rs1: 1 }), Insn::Call(CallOp { rs1: 0, imm: 4 }), Insn::Call(CallOp { rs1: 2, imm: 0 })]
    {
        let mut t = T::new(&[insn]);
        t.slot().sp = LIMIT;
        t.set(15, LIMIT);
        t.set(2, 0x40);
        expect_fault(&mut t, fault::STACK_OVERFLOW);
        // Also with an SP not 4-aligned just above the limit.
        let mut t = T::new(&[insn]);
        t.slot().sp = LIMIT + 2;
        expect_fault(&mut t, fault::STACK_OVERFLOW);
        // SP < 4 with limit 0 (no wrap-around).
        let mut t = T::new(&[insn]);
        t.slot().stack_limit = 0;
        t.slot().sp = 2;
        expect_fault(&mut t, fault::STACK_OVERFLOW);
    }
}

#[test]
fn stack_underflow() {
    // POP at stack_top.
    let mut t = T::new(&[Insn::Pop(isa::Rd { rd: 1 })]);
    expect_fault(&mut t, fault::STACK_UNDERFLOW);
    // POP with SP + 4 > stack_top (misaligned SP just below the top).
    let mut t = T::new(&[Insn::Pop(isa::Rd { rd: 1 })]);
    t.slot().sp = TOP - 2;
    expect_fault(&mut t, fault::STACK_UNDERFLOW);
    // RET with SP != stack_top but SP + 4 > stack_top: underflow, not a return.
    let mut t = T::new(&[Insn::Ret(NoOperands {})]);
    t.slot().sp = TOP - 2;
    expect_fault(&mut t, fault::STACK_UNDERFLOW);
    // RET with SP == stack_top: return (covered above); SP == stack_top - 4: a pop.
    let mut t = T::new(&[Insn::Ret(NoOperands {})]);
    t.slot().sp = TOP - 4;
    assert_eq!(t.step().0, Effect::Continue);
}

#[test]
fn mem_fault_past_end() {
    let ld = |rd, rs1, imm| Load { rd, rs1, imm };
    let st = |rs1, imm, rs2| Store { rs1, imm, rs2 };
    // (insn, R1, fault or None)
    let v: &[(Insn, u32, Option<u32>)] = &[
        (Insn::Ld(ld(2, 1, 0)), 0xFFFE, Some(fault::MEM_FAULT)),
        (Insn::Ld(ld(2, 1, 0)), 0xFFFD, Some(fault::MEM_FAULT)),
        (Insn::Ld(ld(2, 1, 0)), 0xFFFC, None),
        (Insn::Ld(ld(2, 1, 1)), 0xFFFB, None),
        (Insn::Ld(ld(2, 1, 2)), 0xFFFB, Some(fault::MEM_FAULT)),
        (Insn::Ldh(ld(2, 1, 0)), 0xFFFF, Some(fault::MEM_FAULT)),
        (Insn::Ldh(ld(2, 1, 0)), 0xFFFE, None),
        (Insn::Ldb(ld(2, 1, 0)), 0xFFFF, None),
        (Insn::Ld(ld(2, 1, -1)), 0xFFFF, Some(fault::MEM_FAULT)), // 0xFFFE
        (Insn::Ld(ld(2, 1, 1)), 0xFFFF, None),                    // wraps to 0x0000
        (Insn::Ld(ld(2, 1, 0)), 0x1_FFFE, Some(fault::MEM_FAULT)), // & 0xFFFF = 0xFFFE
        (Insn::St(st(1, 0, 2)), 0xFFFE, Some(fault::MEM_FAULT)),
        (Insn::Sth(st(1, 0, 2)), 0xFFFF, Some(fault::MEM_FAULT)),
        (Insn::Stb(st(1, 0, 2)), 0xFFFF, None),
        (Insn::St(st(1, 0, 2)), 0xFFFC, None),
    ];
    for &(insn, base, want) in v {
        let mut t = T::new(&[insn]);
        t.m.protect = false;
        t.set(1, base);
        match want {
            Some(code) => {
                expect_fault(&mut t, code);
            }
            None => {
                let (e, rec) = t.step();
                assert_eq!(e, Effect::Continue, "{insn:?} R1={base:#x}");
                assert_eq!(rec.fault, None);
            }
        }
    }
}

#[test]
fn mem_fault_beats_access_violation() {
    // 0xFFFE lies above this task's stack_top (so it would also violate protection).
    for insn in [Insn::Ld(Load { rd: 2, rs1: 1, imm: 0 }), Insn::St(Store { rs1: 1, imm: 0, rs2: 2 })] {
        let mut t = T::new(&[insn]);
        t.set(1, 0xFFFE);
        assert!(t.m.access_violates(1, 0xFFFE, 2));
        expect_fault(&mut t, fault::MEM_FAULT);
    }
}

// ----------------------------------------------------------------------------------------
// Memory protection
// ----------------------------------------------------------------------------------------

/// Run `LD R2, [R1]` and `ST [R1], R2` at `addr` (word) for a task; return the faults.
fn access(t_setup: impl Fn(&mut T), addr: u32) -> [Option<u32>; 2] {
    let mut out = [None, None];
    for (i, insn) in
        [Insn::Ld(Load { rd: 2, rs1: 1, imm: 0 }), Insn::St(Store { rs1: 1, imm: 0, rs2: 2 })].into_iter().enumerate()
    {
        let mut t = T::new(&[insn]);
        t_setup(&mut t);
        t.set(1, addr);
        t.set(2, 0x600D_F00D);
        let (e, rec) = t.step();
        match rec.fault {
            Some(code) => {
                assert_eq!(e, Effect::Fault { code });
                assert_eq!(rec.writes(), &[t.wreg(0, code)]);
                assert_eq!(t.m.slot(1).pc, 0);
            }
            None => {
                assert_eq!(e, Effect::Continue);
                assert_eq!(rec.next_pc, 4);
            }
        }
        out[i] = rec.fault;
    }
    out
}

#[test]
fn protection_on() {
    let av = Some(fault::ACCESS_VIOLATION);
    // A second task with its own arena below ours; stack_region_lo is the lowest limit.
    let setup = |t: &mut T| {
        *t.m.slot_mut(2) = Slot {
            state: TaskState::Ready,
            reg_base: window_of(2),
            stack_limit: LIMIT - 0x1000,
            stack_top: LIMIT,
            sp: LIMIT,
            ..Slot::default()
        };
        t.m.stack_region_lo = LIMIT - 0x1000;
    };
    // (address, expected fault)
    let v: &[(u32, Option<u32>)] = &[
        (0x4000, None),         // program data: shared
        (0x0000, av),           // the executive's reserved area: its first word
        (0x0100, av),           // inside it
        (0x0FFC, av),           // its last word, just below the windows
        (0x0FFE, av),           // straddles it and the window region
        (0x1000, av),           // own window (R0)
        (0x1040, av),           // another task's window
        (0x11FC, av),           // last window word of 8 tasks
        (0x1200, None),         // past the 8 windows
        (0x11FE, av),           // straddles the end of the window region
        (0x2000, None),         // free memory between the windows and the data: shared
        (TOP - 4, None),        // own stack
        (LIMIT, None),          // own stack, lowest word
        (LIMIT - 4, av),        // another task's stack
        (LIMIT - 2, av),        // straddles another arena and ours
        (LIMIT - 0x1000, av),   // bottom of the other arena
        (LIMIT - 0x1004, None), // below stack_region_lo: shared
        (LIMIT - 0x1002, av),   // straddles into the stack region
        (TOP - 2, av),          // straddles own stack_top
        (TOP, av),              // above own stack_top (0xFFFC..0xFFFF)
    ];
    for &(addr, want) in v {
        assert_eq!(access(setup, addr), [want, want], "protect on, access at {addr:#x}");
    }
}

#[test]
fn protection_off() {
    let setup = |t: &mut T| {
        t.m.protect = false;
        t.m.stack_region_lo = LIMIT - 0x1000;
    };
    for addr in [0x0000, 0x0100, 0x0FFC, 0x0FFE, 0x1000, 0x1040, LIMIT - 4, TOP - 2, TOP, 0x4000] {
        assert_eq!(access(setup, addr), [None, None], "protect off, access at {addr:#x}");
    }
    // MEM_FAULT still applies.
    assert_eq!(access(setup, 0xFFFE), [Some(fault::MEM_FAULT); 2]);
}

#[test]
fn protection_byte_and_half_accesses() {
    // Every byte of the reserved area and of the window region is forbidden, whatever
    // the access size; the first byte past the window region is shared.
    for (insn, addr) in [
        (Insn::Ldb(Load { rd: 2, rs1: 1, imm: 0 }), 0x0000),
        (Insn::Stb(Store { rs1: 1, imm: 0, rs2: 2 }), 0x0000),
        (Insn::Ldb(Load { rd: 2, rs1: 1, imm: 0 }), 0x0FFF),
        (Insn::Stb(Store { rs1: 1, imm: 0, rs2: 2 }), 0x0FFF),
        (Insn::Ldh(Load { rd: 2, rs1: 1, imm: 0 }), 0x0FFF),
        (Insn::Sth(Store { rs1: 1, imm: 0, rs2: 2 }), 0x0FFF),
        (Insn::Stb(Store { rs1: 1, imm: 0, rs2: 2 }), 0x11FF),
    ] {
        let mut t = T::new(&[insn]);
        t.set(1, addr);
        expect_fault(&mut t, fault::ACCESS_VIOLATION);
    }
    let mut t = T::new(&[Insn::Ldb(Load { rd: 2, rs1: 1, imm: 0 })]);
    t.set(1, 0x1200);
    assert_eq!(t.step().0, Effect::Continue);
    // The address is formed modulo 2^16: 0xFFFF + 1 is 0x0000, the reserved area.
    let mut t = T::new(&[Insn::Ldb(Load { rd: 2, rs1: 1, imm: 1 })]);
    t.set(1, 0xFFFF);
    expect_fault(&mut t, fault::ACCESS_VIOLATION);
    // Protection off: the reserved area is plain memory.
    let mut t = T::new(&[Insn::Stb(Store { rs1: 1, imm: 0, rs2: 2 })]);
    t.m.protect = false;
    t.set(1, 0x0010);
    t.set(2, 0xAB);
    assert_eq!(t.step().0, Effect::Continue);
    assert_eq!(t.m.dmem[0x10], 0xAB);
}

#[test]
fn stack_ops_ignore_protection() {
    // PUSH/POP/CALL/RET are governed by the guards only, even with the arena inside the
    // protected stack region and protect on.
    let mut t = T::new(&[
        Insn::Push(Rs { rs1: 1 }),             // 0
        Insn::Call(CallOp { rs1: 0, imm: 2 }), // 4: → 12
        Insn::Pop(isa::Rd { rd: 3 }),          // 8
        Insn::Ret(NoOperands {}),              // 12: → 8
    ]);
    t.set(1, 5);
    assert!(t.m.protect);
    let pcs: Vec<u16> = (0..4)
        .map(|_| {
            let (e, rec) = t.step();
            assert_eq!(e, Effect::Continue);
            rec.next_pc
        })
        .collect();
    assert_eq!(pcs, [4, 12, 8, 12]);
    assert_eq!(t.r(3), 5);
    assert_eq!(t.m.slot(1).sp, TOP);
}

#[test]
fn protection_for_a_higher_pid() {
    // pid 3's own window is protected from itself, and its stack is allowed.
    let mut t = T::with(3, &[Insn::Ld(Load { rd: 2, rs1: 1, imm: 0 }).encode().words[0]]);
    t.set(1, window_of(3));
    expect_fault(&mut t, fault::ACCESS_VIOLATION);
    assert_eq!(t.m.reg(3, 0), fault::ACCESS_VIOLATION);
    assert_eq!(t.m.reg(1, 0), 0, "the fault code lands in pid 3's R0 only");
    let mut t = T::with(3, &[Insn::Ld(Load { rd: 2, rs1: 1, imm: 0 }).encode().words[0]]);
    t.set(1, TOP - 4);
    t.m.write_u32(TOP - 4, 77);
    assert_eq!(t.step().0, Effect::Continue);
    assert_eq!(t.r(2), 77);
}

// ----------------------------------------------------------------------------------------
// Registers live only in memory
// ----------------------------------------------------------------------------------------

#[test]
fn outside_writes_to_the_window_are_seen_at_once() {
    let mut t = T::new(&[Insn::Add(r3(3, 1, 2)), Insn::Add(r3(3, 1, 2))]);
    t.set(1, 1);
    t.set(2, 2);
    t.step();
    assert_eq!(t.r(3), 3);
    // The executive writes R1 directly into the window between steps.
    t.m.write_u32(window_of(1) + 4, 100);
    t.step();
    assert_eq!(t.r(3), 102);
}

#[test]
fn every_opcode_is_dispatched() {
    // Each legal opcode executes through `execute` with a plausible setup and retires
    // with its own record (no opcode falls through to ILLEGAL).
    for row in isa::TABLE {
        let op = row.opcode as u32;
        let w = (op << 24) | 0x0012_0000; // rd = 1, rs1 = 2, rs2 = 0, imm = 0
        let mut t = T::with(1, &[w, 0x1111_1111]);
        t.set(2, 0x4000);
        t.set(0, 1); // divisor for DIV R1, R2, R0
        t.slot().sp = TOP - 4; // so POP/RET pop rather than underflow/return
        let (e, rec) = t.step();
        assert_ne!(rec.fault, Some(fault::ILLEGAL), "{}", row.mnemonic);
        assert_eq!(rec.fault, None, "{} faulted: {e:?}", row.mnemonic);
    }
}

/// Random words (legal or not), registers, PSW, SP and protection: `execute` never
/// panics, and the retire record's writes describe exactly how data memory changed.
#[test]
fn random_instructions_record_every_memory_change() {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let legal: Vec<u8> = isa::TABLE.iter().map(|r| r.opcode as u8).collect();
    for i in 0..20_000 {
        let r = rnd();
        // Mostly legal opcodes, sometimes anything.
        let op = if r % 8 == 0 { (r >> 8) as u8 } else { legal[(r >> 8) as usize % legal.len()] };
        let w = (op as u32) << 24 | (rnd() as u32 & 0x00FF_FFFF);
        let lit = rnd() as u32;
        let mut t = T::with(1 + (i % 8) as u8, &[w, lit]);
        if r & 0x10 != 0 {
            t.slot().code_size = 4; // LDI32's literal outside the image
        }
        t.m.protect = r & 0x20 != 0;
        for n in 0..16 {
            let v = match rnd() % 4 {
                0 => rnd() as u32,
                1 => 0x4000 + (rnd() as u32 & 0xFF),
                2 => TOP - (rnd() as u32 & 0x3F),
                _ => (rnd() as u32) & 0x3,
            };
            t.set(n, v);
        }
        t.slot().psw = (rnd() & 0xF) as u8;
        t.slot().sp = TOP - 4 * (rnd() as u32 % 3);
        let mut mem = t.m.dmem.clone();
        let s0 = *t.m.slot(t.pid);
        let (e, rec) = t.step();
        for w in rec.writes() {
            assert_eq!(w.addr & 3, 0);
            for lane in 0..4 {
                if w.mask & (1 << lane) != 0 {
                    mem[w.addr as usize + lane] = (w.data >> (8 * lane)) as u8;
                } else {
                    assert_eq!((w.data >> (8 * lane)) & 0xFF, 0, "unmasked lanes are zero");
                }
            }
        }
        assert!(mem == t.m.dmem, "word {w:#010x}: memory changed beyond the recorded writes");
        match e {
            Effect::Fault { code } => {
                assert_eq!(rec.writes(), &[t.wreg(0, code)]);
                assert_eq!(*t.m.slot(t.pid), s0, "a fault leaves the slot alone");
            }
            Effect::Return { .. } => assert!(rec.writes().is_empty()),
            Effect::Trap { .. } | Effect::Brk { .. } | Effect::Continue => {}
        }
    }
}
