//! The timing model of docs/timing.md, computed from the *reference* side of each step
//! (its retire record and how the step started), so `--check-timing` holds the RTL to the
//! documented table rather than to itself.

use isa::{fault, InsnClass, Opcode, Retire};

/// How the reference step started (scheduler.md "One step").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepStart {
    /// The current task was RUNNING before the step (no pick needed).
    pub current_running: bool,
    /// Timeout events handed to the executive at the start of the step.
    pub timeouts: u32,
    /// `ticks` jumped because the machine was idle.
    pub idle_jump: bool,
    /// Effective address and length of the step's load/store (if it passed its checks).
    pub access: Option<(u32, u32)>,
}

/// Cycles of the instruction itself (`I` of docs/timing.md): the ISA table's base cycle
/// count of its row (`isa::Opcode::cycles`), adjusted per class for the cases the table
/// of docs/timing.md lists separately (faults, an access spanning two RAM words).
pub fn instruction_cycles(r: &Retire, start: &StepStart) -> u64 {
    let Some(&w) = r.insn_words().first() else {
        return 1; // BAD_PC fetch: the R0 write
    };
    let Some(op) = Opcode::from_byte((w >> 24) as u8) else {
        return 2; // ILLEGAL: fetch, decode + write R0
    };
    let base = u64::from(op.cycles());
    let f = r.fault;
    let stack_fault = matches!(f, Some(fault::STACK_OVERFLOW) | Some(fault::STACK_UNDERFLOW));
    let mem_fault = matches!(f, Some(fault::MEM_FAULT) | Some(fault::ACCESS_VIOLATION));
    match op.class() {
        // The literal lies outside the image: fetch, decode + write R0.
        InsnClass::Ldi32 if f == Some(fault::BAD_PC) => 2,
        // Fetch, read rs1, read rs2, write R0.
        InsnClass::Div if f == Some(fault::DIV_ZERO) => 4,
        // Fetch, read rs1, checks + write R0.
        InsnClass::Load | InsnClass::Store if mem_fault => 3,
        // One more cycle for the second RAM word.
        InsnClass::Load | InsnClass::Store => {
            let spans = start.access.is_some_and(|(a, len)| (a & 3) + len > 4);
            base + u64::from(spans)
        }
        // Fetch, guard + write R0.
        InsnClass::Push | InsnClass::Call | InsnClass::Pop | InsnClass::Ret if stack_fault => 2,
        _ => base,
    }
}

/// Expected timed cycles from the previous retire to this one (`N` of docs/timing.md).
pub fn expected_cycles(r: &Retire, start: &StepStart) -> u64 {
    let i = instruction_cycles(r, start);
    let fetched = r.insn_len > 0;
    let fast = start.current_running && start.timeouts == 0 && !start.idle_jump && fetched;
    if fast {
        i
    } else {
        1 + start.timeouts as u64 + start.idle_jump as u64 + (!start.current_running) as u64 + i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isa::{Insn, RdImm, RdRsRs};

    fn rec(insn: Insn) -> Retire {
        let e = insn.encode();
        let mut r = Retire { insn_len: e.len as u8, ..Retire::default() };
        r.insn[..e.len].copy_from_slice(e.as_slice());
        r
    }

    #[test]
    fn table_rows() {
        let fast = StepStart { current_running: true, ..Default::default() };
        assert_eq!(expected_cycles(&rec(Insn::Ldi(RdImm { rd: 1, imm: 1 })), &fast), 2);
        assert_eq!(expected_cycles(&rec(Insn::Add(RdRsRs { rd: 1, rs1: 2, rs2: 3 })), &fast), 4);
        let pick = StepStart { current_running: false, ..Default::default() };
        // docs/timing.md: "first step after SPAWN (pick) of an LDI" = 4
        assert_eq!(expected_cycles(&rec(Insn::Ldi(RdImm { rd: 1, imm: 1 })), &pick), 4);
        // "idle: everybody sleeps; jump, one timeout, pick, then an LDI" = 6
        let idle = StepStart { current_running: false, timeouts: 1, idle_jump: true, access: None };
        assert_eq!(expected_cycles(&rec(Insn::Ldi(RdImm { rd: 1, imm: 1 })), &idle), 6);
        // BAD_PC with the current task running: 1 + 1
        let bad = Retire { fault: Some(fault::BAD_PC), ..Retire::default() };
        assert_eq!(expected_cycles(&bad, &fast), 2);
        // A word load spanning two RAM words
        let span = StepStart { current_running: true, access: Some((0x4002, 4)), ..Default::default() };
        assert_eq!(expected_cycles(&rec(Insn::Ld(isa::Load { rd: 1, rs1: 2, imm: 0 })), &span), 5);
    }
}
