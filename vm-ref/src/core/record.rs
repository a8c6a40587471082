//! Where an instruction reports what it did: the [`Record`] trait the core writes its
//! retire record through, implemented by [`isa::Retire`] (the record the harness compares)
//! and by [`NoRecord`] (nothing, for `hsx run`). Re-exported by `core`.

use isa::{MemWrite, Retire};

/// Where an instruction reports what it did. [`Retire`] records everything (the retire
/// record the harness compares); [`NoRecord`] records nothing, so `hsx run`, which never
/// looks at retire records, pays nothing for them — the instruction semantics are the
/// same code either way.
pub trait Record {
    /// A new instruction of `pid` at `pc` (resets everything but `step`).
    fn start(&mut self, pid: u8, pc: u16, psw: u8, sp: u32);
    /// Instruction word `i` (0 or 1) was fetched.
    fn insn(&mut self, i: usize, word: u32);
    /// A data-RAM write, in program order.
    fn write(&mut self, w: MemWrite);
    /// An SVC.
    fn trap(&mut self, module: u8, func: u8);
    /// The instruction completed.
    fn done(&mut self, next_pc: u16, psw: u8, sp: u32);
    /// Forget the writes and trap recorded so far (a fault undoes the instruction).
    fn clear_effects(&mut self);
    /// The instruction faulted (its R0 write is recorded separately).
    fn fault(&mut self, pc: u16, psw: u8, sp: u32, code: u32);
    /// The scheduler accounted the step: `steps` after it.
    fn step(&mut self, step: u64);
}

impl Record for Retire {
    #[inline(always)]
    fn start(&mut self, pid: u8, pc: u16, psw: u8, sp: u32) {
        *self = Retire { step: self.step, pid, pc, psw, sp, ..Retire::default() };
    }
    #[inline(always)]
    fn insn(&mut self, i: usize, word: u32) {
        self.insn[i] = word;
        self.insn_len = i as u8 + 1;
    }
    #[inline(always)]
    fn write(&mut self, w: MemWrite) {
        self.push_write(w);
    }
    #[inline(always)]
    fn trap(&mut self, module: u8, func: u8) {
        self.trap = Some((module, func));
    }
    #[inline(always)]
    fn done(&mut self, next_pc: u16, psw: u8, sp: u32) {
        self.next_pc = next_pc;
        self.psw = psw;
        self.sp = sp;
    }
    #[inline(always)]
    fn clear_effects(&mut self) {
        self.n_writes = 0;
        self.trap = None;
    }
    #[inline(always)]
    fn fault(&mut self, pc: u16, psw: u8, sp: u32, code: u32) {
        self.next_pc = pc;
        self.psw = psw;
        self.sp = sp;
        self.fault = Some(code);
    }
    #[inline(always)]
    fn step(&mut self, step: u64) {
        self.step = step;
    }
}

/// Records nothing (see [`Record`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRecord;

impl Record for NoRecord {
    #[inline(always)]
    fn start(&mut self, _: u8, _: u16, _: u8, _: u32) {}
    #[inline(always)]
    fn insn(&mut self, _: usize, _: u32) {}
    #[inline(always)]
    fn write(&mut self, _: MemWrite) {}
    #[inline(always)]
    fn trap(&mut self, _: u8, _: u8) {}
    #[inline(always)]
    fn done(&mut self, _: u16, _: u8, _: u32) {}
    #[inline(always)]
    fn clear_effects(&mut self) {}
    #[inline(always)]
    fn fault(&mut self, _: u16, _: u8, _: u32, _: u32) {}
    #[inline(always)]
    fn step(&mut self, _: u64) {}
}
