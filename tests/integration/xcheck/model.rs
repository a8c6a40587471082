//! An independent model of one HSX task on one machine, written from isa.md, context.md
//! ("Stack guards", "Memory protection") and the few SVCs of executive.md it needs —
//! without looking at `vm-ref`'s core. It is a flat loop over a 64 KiB data memory; the
//! registers live in that memory at the task's window (0x1000 for pid 1), so a store into
//! the window with protection off changes a register exactly as the architecture says.
//!
//! The instruction fields are extracted here (not by `isa::Insn::decode`); the opcode
//! numbers come from [`SPEC_OPCODES`], transcribed from isa.md, and a test checks that
//! `isa::TABLE` agrees with that transcription.

use super::fp16;
use isa::Opcode;

/// Fault codes (isa.md "Faults"), transcribed.
pub mod code {
    pub const ENOSYS: u32 = 0xFFFF_FF01;
    pub const STACK_UNDERFLOW: u32 = 0xFFFF_FF02;
    pub const STACK_OVERFLOW: u32 = 0xFFFF_FF03;
    pub const MEM_FAULT: u32 = 0xFFFF_FF04;
    pub const DIV_ZERO: u32 = 0xFFFF_FF05;
    pub const ILLEGAL: u32 = 0xFFFF_FF06;
    pub const BAD_PC: u32 = 0xFFFF_FF07;
    pub const ACCESS_VIOLATION: u32 = 0xFFFF_FF08;
}

/// isa.md's instruction table: (opcode, mnemonic), in the spec's order.
pub const SPEC_OPCODES: &[(u8, &str)] = &[
    (0x01, "LDI"),
    (0x02, "LD"),
    (0x03, "ST"),
    (0x04, "MOV"),
    (0x06, "LDB"),
    (0x07, "LDH"),
    (0x08, "STB"),
    (0x09, "STH"),
    (0x10, "ADD"),
    (0x11, "SUB"),
    (0x12, "MUL"),
    (0x13, "DIV"),
    (0x14, "AND"),
    (0x15, "OR"),
    (0x16, "XOR"),
    (0x17, "NOT"),
    (0x20, "CMP"),
    (0x21, "JMP"),
    (0x22, "JZ"),
    (0x23, "JNZ"),
    (0x24, "CALL"),
    (0x25, "RET"),
    (0x30, "SVC"),
    (0x31, "LSL"),
    (0x32, "LSR"),
    (0x33, "ASR"),
    (0x34, "ADC"),
    (0x35, "SBC"),
    (0x40, "PUSH"),
    (0x41, "POP"),
    (0x50, "FADD"),
    (0x51, "FSUB"),
    (0x52, "FMUL"),
    (0x53, "FDIV"),
    (0x54, "I2F"),
    (0x55, "F2I"),
    (0x60, "LDI32"),
    (0x7F, "BRK"),
];

const Z: u8 = 1;
const C: u8 = 2;
const N: u8 = 4;
const V: u8 = 8;

/// Where the task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    /// RET from the entry function or EXIT, with the exit code.
    Returned(u32),
    Faulted(u32),
    /// BRK, with its code.
    Paused(u8),
}

/// The machine as the model sees it: one task, pid 1.
#[derive(Clone)]
pub struct Model {
    /// 64 KiB data memory (the task's registers are at `reg_base`).
    pub mem: Vec<u8>,
    /// The task's code image.
    pub code: Vec<u8>,
    pub pc: u16,
    pub psw: u8,
    pub sp: u32,
    pub reg_base: u32,
    pub stack_limit: u32,
    pub stack_top: u32,
    pub stack_region_lo: u32,
    pub protect: bool,
    /// Task slots of the machine (the window region is `0x1000 .. 0x1000 + 64·n_tasks`).
    pub n_tasks: u32,
    /// Steps this task has retired (the only task: also the machine's steps).
    pub steps: u64,
    pub state: State,
    pub console: Vec<u8>,
    /// How often each opcode byte was fetched (coverage of the random test).
    pub op_count: std::collections::BTreeMap<u8, u64>,
}

/// How to set the model up: what the executive does at load and spawn.
#[derive(Debug, Clone)]
pub struct Setup {
    pub code: Vec<u8>,
    pub data: Vec<u8>,
    pub data_addr: u32,
    pub bss: u32,
    pub entry: u32,
    pub stack_size: u32,
    pub protect: bool,
}

/// Why an instruction did not complete normally: a fault, or an SVC this model does not
/// implement (a generator bug, never produced on purpose).
enum Stop {
    Fault(u32),
    Unsupported(u8, u8),
}

type Exec<T> = Result<T, Stop>;

fn fault<T>(c: u32) -> Exec<T> {
    Err(Stop::Fault(c))
}

impl Model {
    pub fn new(s: &Setup) -> Model {
        let mut mem = vec![0u8; 0x1_0000];
        let d = s.data_addr as usize;
        mem[d..d + s.data.len()].copy_from_slice(&s.data);
        let b = d + s.data.len();
        mem[b..b + s.bss as usize].fill(0); // .bss (memory is zero at reset anyway)
        let stack_top = 0xFFFC;
        let stack_limit = stack_top - s.stack_size;
        let mut m = Model {
            mem,
            code: s.code.clone(),
            pc: s.entry as u16,
            psw: 0,
            sp: stack_top,
            reg_base: 0x1000,
            stack_limit,
            stack_top,
            stack_region_lo: stack_limit,
            protect: s.protect,
            n_tasks: 8,
            steps: 0,
            state: State::Running,
            console: Vec::new(),
            op_count: std::collections::BTreeMap::new(),
        };
        m.set_reg(15, stack_top);
        m
    }

    pub fn reg(&self, n: u8) -> u32 {
        let a = (self.reg_base + 4 * u32::from(n)) as usize;
        u32::from_le_bytes([self.mem[a], self.mem[a + 1], self.mem[a + 2], self.mem[a + 3]])
    }

    fn set_reg(&mut self, n: u8, v: u32) {
        let a = (self.reg_base + 4 * u32::from(n)) as usize;
        self.mem[a..a + 4].copy_from_slice(&v.to_le_bytes());
    }

    pub fn regs(&self) -> [u32; 16] {
        std::array::from_fn(|n| self.reg(n as u8))
    }

    /// Run until the task stops or `max` steps have retired.
    pub fn run(&mut self, max: u64) {
        while self.state == State::Running && self.steps < max {
            self.step();
        }
    }

    /// Retire one instruction (a fault too is a retired step).
    pub fn step(&mut self) {
        assert_eq!(self.state, State::Running);
        match self.execute() {
            Ok(()) => {}
            Err(Stop::Fault(c)) => {
                self.set_reg(0, c);
                self.state = State::Faulted(c);
            }
            Err(Stop::Unsupported(m, f)) => panic!("the model does not implement SVC {m:#x}, {f:#x}"),
        }
        self.steps += 1;
    }

    // ---- memory --------------------------------------------------------------------

    /// Would a task access of `len` bytes at `addr` (already known to end ≤ 0x10000) be
    /// refused by memory protection? Checked byte by byte, as context.md words it.
    fn forbidden(&self, addr: u32, len: u32) -> bool {
        if !self.protect {
            return false;
        }
        (addr..addr + len).any(|b| {
            let in_reserved = b < 0x1000;
            let in_windows = (0x1000..0x1000 + 64 * self.n_tasks).contains(&b);
            let foreign_stack = b >= self.stack_region_lo && !(self.stack_limit..self.stack_top).contains(&b);
            in_reserved || in_windows || foreign_stack
        })
    }

    /// The address of a load/store, checked: MEM_FAULT before ACCESS_VIOLATION.
    fn data_addr(&self, base: u32, simm: i32, len: u32) -> Exec<u32> {
        let a = base.wrapping_add(simm as u32) & 0xFFFF;
        if a + len > 0x1_0000 {
            return fault(code::MEM_FAULT);
        }
        if self.forbidden(a, len) {
            return fault(code::ACCESS_VIOLATION);
        }
        Ok(a)
    }

    fn read(&self, a: u32, len: u32) -> u32 {
        (0..len).fold(0u32, |v, i| v | u32::from(self.mem[(a + i) as usize]) << (8 * i))
    }

    fn write(&mut self, a: u32, len: u32, v: u32) {
        for i in 0..len {
            self.mem[(a + i) as usize] = (v >> (8 * i)) as u8;
        }
    }

    // ---- flags ---------------------------------------------------------------------

    fn zn(r: u32) -> u8 {
        (if r == 0 { Z } else { 0 }) | (if r >> 31 != 0 { N } else { 0 })
    }

    fn set_flags(&mut self, r: u32, c: bool, v: bool) {
        self.psw = Self::zn(r) | if c { C } else { 0 } | if v { V } else { 0 };
    }

    /// ZN from the result, C and V kept.
    fn set_zn_keep_cv(&mut self, r: u32, v: bool) {
        self.psw = Self::zn(r) | (self.psw & C) | if v { V } else { 0 };
    }

    fn carry(&self) -> bool {
        self.psw & C != 0
    }

    // ---- one instruction ------------------------------------------------------------

    fn execute(&mut self) -> Exec<()> {
        let pc = u32::from(self.pc);
        let size = self.code.len() as u32;
        if pc % 4 != 0 || pc + 4 > size {
            return fault(code::BAD_PC);
        }
        let p = pc as usize;
        let w = u32::from_be_bytes([self.code[p], self.code[p + 1], self.code[p + 2], self.code[p + 3]]);
        *self.op_count.entry((w >> 24) as u8).or_default() += 1;
        let Some(op) = Opcode::from_byte((w >> 24) as u8) else {
            return fault(code::ILLEGAL);
        };
        let rd = ((w >> 20) & 0xF) as u8;
        let rs1 = ((w >> 16) & 0xF) as u8;
        let rs2 = ((w >> 12) & 0xF) as u8;
        let uimm = w & 0xFFF;
        let simm = ((w << 20) as i32) >> 20;
        let a = self.reg(rs1);
        let b = self.reg(rs2);
        let next = (pc + 4) & 0xFFFF;
        let mut new_pc = next;
        match op {
            Opcode::Ldi => self.set_reg(rd, simm as u32),
            Opcode::Ld => self.exec_load(rd, a, simm, 4)?,
            Opcode::Ldb => self.exec_load(rd, a, simm, 1)?,
            Opcode::Ldh => self.exec_load(rd, a, simm, 2)?,
            Opcode::St => self.exec_store(a, simm, b, 4)?,
            Opcode::Stb => self.exec_store(a, simm, b, 1)?,
            Opcode::Sth => self.exec_store(a, simm, b, 2)?,
            Opcode::Mov => self.set_reg(rd, a),
            Opcode::Add => {
                let (r, c) = a.overflowing_add(b);
                let v = ((a ^ r) & (b ^ r)) >> 31 != 0;
                self.set_reg(rd, r);
                self.set_flags(r, c, v);
            }
            Opcode::Sub => {
                let r = self.exec_sub_flags(a, b);
                self.set_reg(rd, r);
            }
            Opcode::Cmp => {
                self.exec_sub_flags(a, b);
            }
            Opcode::Mul => {
                let full = u64::from(a) * u64::from(b);
                let r = full as u32;
                let hi = (full >> 32) != 0;
                self.set_reg(rd, r);
                self.set_flags(r, hi, hi);
            }
            Opcode::Div => {
                if b == 0 {
                    return fault(code::DIV_ZERO);
                }
                // Truncating division of the exact values; INT_MIN / −1 wraps.
                let q = (i64::from(a as i32) / i64::from(b as i32)) as u32;
                self.set_reg(rd, q);
                self.set_flags(q, false, false);
            }
            Opcode::And => self.logic(rd, a & b),
            Opcode::Or => self.logic(rd, a | b),
            Opcode::Xor => self.logic(rd, a ^ b),
            Opcode::Not => self.logic(rd, !a),
            Opcode::Jmp => new_pc = uimm,
            Opcode::Jz => {
                if self.psw & Z != 0 {
                    new_pc = uimm;
                }
            }
            Opcode::Jnz => {
                if self.psw & Z == 0 {
                    new_pc = uimm;
                }
            }
            Opcode::Call => {
                let base = if rs1 != 0 { a } else { pc };
                self.push(next)?;
                new_pc = base.wrapping_add((simm << 2) as u32) & 0xFFFF;
            }
            Opcode::Ret => {
                if self.sp == self.stack_top {
                    self.state = State::Returned(self.reg(0));
                    new_pc = pc;
                } else {
                    if self.sp + 4 > self.stack_top {
                        return fault(code::STACK_UNDERFLOW);
                    }
                    new_pc = self.read(self.sp, 4) & 0xFFFF;
                    self.sp += 4;
                    self.set_reg(15, self.sp);
                }
            }
            Opcode::Svc => self.exec_svc(((uimm >> 8) & 0xF) as u8, (uimm & 0xFF) as u8)?,
            Opcode::Lsl => {
                let s = b & 31;
                let r = a << s;
                self.shift_flags(r, s, || (a >> (32 - s)) & 1 != 0);
                self.set_reg(rd, r);
            }
            Opcode::Lsr => {
                let s = b & 31;
                let r = a >> s;
                self.shift_flags(r, s, || (a >> (s - 1)) & 1 != 0);
                self.set_reg(rd, r);
            }
            Opcode::Asr => {
                let s = b & 31;
                let r = ((a as i32) >> s) as u32;
                self.shift_flags(r, s, || (a >> (s - 1)) & 1 != 0);
                self.set_reg(rd, r);
            }
            Opcode::Adc => {
                let cin = u64::from(self.carry());
                let exact = u64::from(a) + u64::from(b) + cin;
                let r = exact as u32;
                let v = (!(a ^ b) & (a ^ r)) >> 31 != 0;
                self.set_reg(rd, r);
                self.set_flags(r, exact >> 32 != 0, v);
            }
            Opcode::Sbc => {
                let borrow = u64::from(!self.carry());
                let r = a.wrapping_sub(b).wrapping_sub(borrow as u32);
                let c = u64::from(a) >= u64::from(b) + borrow;
                let v = ((a ^ b) & (a ^ r)) >> 31 != 0;
                self.set_reg(rd, r);
                self.set_flags(r, c, v);
            }
            Opcode::Push => self.push(a)?,
            Opcode::Pop => {
                if self.sp + 4 > self.stack_top {
                    return fault(code::STACK_UNDERFLOW);
                }
                let v = self.read(self.sp, 4);
                self.sp += 4;
                self.set_reg(15, self.sp);
                self.set_reg(rd, v);
            }
            Opcode::Fadd => self.half_result(rd, fp16::fadd(a as u16, b as u16)),
            Opcode::Fsub => self.half_result(rd, fp16::fsub(a as u16, b as u16)),
            Opcode::Fmul => self.half_result(rd, fp16::fmul(a as u16, b as u16)),
            Opcode::Fdiv => self.half_result(rd, fp16::fdiv(a as u16, b as u16)),
            Opcode::I2f => self.half_result(rd, fp16::i2f(a)),
            Opcode::F2i => self.set_reg(rd, fp16::f2i(a as u16)),
            Opcode::Ldi32 => {
                if pc + 8 > size {
                    return fault(code::BAD_PC);
                }
                let q = p + 4;
                let lit = u32::from_be_bytes([self.code[q], self.code[q + 1], self.code[q + 2], self.code[q + 3]]);
                self.set_reg(rd, lit);
                new_pc = (pc + 8) & 0xFFFF;
            }
            Opcode::Brk => self.state = State::Paused((uimm & 0xFF) as u8),
        }
        self.pc = new_pc as u16;
        Ok(())
    }

    fn exec_load(&mut self, rd: u8, base: u32, simm: i32, len: u32) -> Exec<()> {
        let a = self.data_addr(base, simm, len)?;
        let v = self.read(a, len);
        self.set_reg(rd, v);
        Ok(())
    }

    fn exec_store(&mut self, base: u32, simm: i32, v: u32, len: u32) -> Exec<()> {
        let a = self.data_addr(base, simm, len)?;
        self.write(a, len, v);
        Ok(())
    }

    /// SUB/CMP flags; returns the difference.
    fn exec_sub_flags(&mut self, a: u32, b: u32) -> u32 {
        let r = a.wrapping_sub(b);
        let v = ((a ^ b) & (a ^ r)) >> 31 != 0;
        self.set_flags(r, a >= b, v);
        r
    }

    fn logic(&mut self, rd: u8, r: u32) {
        self.set_reg(rd, r);
        self.set_flags(r, false, false);
    }

    /// Shift flags: ZN, V ← 0, C ← `out()` only when s ≠ 0.
    fn shift_flags(&mut self, r: u32, s: u32, out: impl Fn() -> bool) {
        if s == 0 {
            self.set_zn_keep_cv(r, false);
        } else {
            self.set_flags(r, out(), false);
        }
    }

    fn half_result(&mut self, rd: u8, h: u16) {
        let old = self.reg(rd);
        self.set_reg(rd, (old & 0xFFFF_0000) | u32::from(h));
    }

    /// PUSH semantics (also CALL's return address): guard, store, SP, R15.
    fn push(&mut self, v: u32) -> Exec<()> {
        let new = self.sp.wrapping_sub(4);
        if new < self.stack_limit {
            return fault(code::STACK_OVERFLOW);
        }
        self.write(new, 4, v);
        self.sp = new;
        self.set_reg(15, new);
        Ok(())
    }

    /// The executive's part: EXIT, GET_STEPS, UART_WRITE, YIELD and GETPID; any
    /// (mod, fn) the executive does not implement gives ENOSYS.
    fn exec_svc(&mut self, module: u8, func: u8) -> Exec<()> {
        match (module, func) {
            (0x0, 0x00) => self.set_reg(0, self.steps as u32),
            (0x1, 0x00) => self.state = State::Returned(self.reg(0)),
            (0x1, 0x01) => {
                let ptr = self.reg(1) & 0xFFFF;
                let len = self.reg(2) & 0xFFFF;
                let ok = len == 0 || (ptr + len <= 0x1_0000 && !self.forbidden(ptr, len));
                if ok {
                    let bytes = self.mem[ptr as usize..(ptr + len) as usize].to_vec();
                    self.console.extend_from_slice(&bytes);
                    self.set_reg(0, len);
                } else {
                    self.set_reg(0, code::ACCESS_VIOLATION);
                }
            }
            (0x6, 0x01) => self.set_reg(0, 0), // YIELD: alone on the machine, it runs on
            (0x6, 0x02) => self.set_reg(0, 1), // GETPID
            (0x5, 0x00..=0x06) | (0x6, 0x00) => return Err(Stop::Unsupported(module, func)),
            _ => self.set_reg(0, code::ENOSYS),
        }
        Ok(())
    }
}

/// Is `(module, func)` an SVC the executive implements but this model does not?
pub fn svc_unsupported(module: u8, func: u8) -> bool {
    matches!((module, func), (0x5, 0x00..=0x06) | (0x6, 0x00))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isa_table_matches_the_spec_transcription() {
        let table: Vec<(u8, &str)> = isa::TABLE.iter().map(|r| (r.opcode as u8, r.mnemonic)).collect();
        assert_eq!(table, SPEC_OPCODES.to_vec());
        for b in 0..=255u8 {
            let spec = SPEC_OPCODES.iter().find(|(o, _)| *o == b).map(|(_, m)| *m);
            assert_eq!(Opcode::from_byte(b).map(|o| o.mnemonic()), spec, "opcode byte {b:#04x}");
        }
    }

    #[test]
    fn fault_codes_match_the_shared_constants() {
        assert_eq!(isa::fault::ENOSYS, code::ENOSYS);
        assert_eq!(isa::fault::STACK_UNDERFLOW, code::STACK_UNDERFLOW);
        assert_eq!(isa::fault::STACK_OVERFLOW, code::STACK_OVERFLOW);
        assert_eq!(isa::fault::MEM_FAULT, code::MEM_FAULT);
        assert_eq!(isa::fault::DIV_ZERO, code::DIV_ZERO);
        assert_eq!(isa::fault::ILLEGAL, code::ILLEGAL);
        assert_eq!(isa::fault::BAD_PC, code::BAD_PC);
        assert_eq!(isa::fault::ACCESS_VIOLATION, code::ACCESS_VIOLATION);
    }

    fn words(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    fn setup(code: &[u32]) -> Model {
        Model::new(&Setup {
            code: words(code),
            data: vec![],
            data_addr: 0x4000,
            bss: 0,
            entry: 0,
            stack_size: 16,
            protect: true,
        })
    }

    #[test]
    fn fault_leaves_pc_and_sets_r0() {
        // LDI R1, -1 ; .word 0x05000000 (illegal)
        let mut m = setup(&[0x0110_0FFF, 0x0500_0000]);
        m.run(10);
        assert_eq!(m.state, State::Faulted(code::ILLEGAL));
        assert_eq!((m.pc, m.steps, m.reg(0), m.reg(1)), (4, 2, code::ILLEGAL, 0xFFFF_FFFF));
    }

    #[test]
    fn stack_guards_with_a_16_byte_stack() {
        // PUSH R0 four times fills 16 bytes; the fifth overflows.
        let mut m = setup(&[0x4000_0000; 5]);
        m.run(10);
        assert_eq!(m.state, State::Faulted(code::STACK_OVERFLOW));
        assert_eq!((m.sp, m.reg(15), m.pc), (0xFFEC, 0xFFEC, 16));
        // POP at the top underflows; RET at the top returns R0.
        let mut m = setup(&[0x4100_0000]);
        m.run(10);
        assert_eq!(m.state, State::Faulted(code::STACK_UNDERFLOW));
        let mut m = setup(&[0x0100_002A, 0x2500_0000]);
        m.run(10);
        assert_eq!((m.state, m.pc, m.steps), (State::Returned(42), 4, 2));
    }
}
