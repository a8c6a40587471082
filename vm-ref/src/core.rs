//! One instruction of one task (isa.md). INTERFACE (fixed):
//!
//! `pub fn execute(m: &mut Machine, pid: u8, rec: &mut Retire) -> Effect`
//!
//! Executes the instruction at `pid`'s pc. Fills `rec` (pid, pc, insn words, next_pc,
//! writes in order, psw, sp, fault, trap) — not `rec.step` (the scheduler does). Updates the
//! slot's pc/psw/sp and data memory. Does not change `state`: the scheduler does, from the
//! returned [`Effect`].

/// What the instruction asks of the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing special.
    Continue,
    /// SVC: pc already advanced by 4; the executive services it in this step.
    Trap { module: u8, func: u8 },
    /// RET at `sp == stack_top`: the task returns with exit status R0 (pc unchanged).
    Return { code: u32 },
    /// BRK: pc advanced by 4; the task pauses with this code.
    Brk { code: u8 },
    /// A fault: nothing of the instruction happened, R0 ← code already written, pc kept.
    Fault { code: u32 },
}
