//! Checkers of each retired step, the two sides compared: the retire record, the traps
//! both executives saw, the retiring task's register window, the scheduler state, the
//! cycles of the retire (`--check-timing`); and the plain-text forms of the values they
//! report.

use super::{slot_in, AdvanceCtx, Checker, Mismatch, Phases, StepCtx};
use crate::harness::side::StepFault;
use crate::harness::timing::expected_cycles;
use isa::{Retire, Slot, TaskState};
use sim::Globals;
use vm_ref::Machine;

pub(super) fn hex(v: impl std::fmt::LowerHex) -> String {
    format!("0x{v:x}")
}

fn opt_hex(v: Option<u32>) -> String {
    v.map(hex).unwrap_or_else(|| "none".into())
}

/// A field's value as a person reads it (never Rust's `Debug` form).
trait Plain {
    fn plain(&self) -> String;
}
macro_rules! plain_num {
    ($($t:ty),*) => { $(impl Plain for $t { fn plain(&self) -> String { self.to_string() } })* };
}
plain_num!(u8, u16, u32, u64);
impl<T: Plain> Plain for Option<T> {
    fn plain(&self) -> String {
        self.as_ref().map(|v| v.plain()).unwrap_or_else(|| "none".into())
    }
}
impl Plain for TaskState {
    fn plain(&self) -> String {
        self.name().to_string()
    }
}
impl Plain for isa::WaitKind {
    fn plain(&self) -> String {
        self.name().to_string()
    }
}

/// An SVC's `(mod, fn)` or `none`.
fn trap_str(t: Option<(u8, u8)>) -> String {
    t.map(|(m, f)| format!("SVC mod 0x{m:x} fn 0x{f:02x}")).unwrap_or_else(|| "none".into())
}

fn writes_str(r: &Retire) -> String {
    let v: Vec<String> =
        r.writes().iter().map(|w| format!("[0x{:04x} m{:x} 0x{:08x}]", w.addr, w.mask, w.data)).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(" ")
    }
}

/// The retire record: pid, pc, instruction, next pc, writes, PSW, SP, fault, trap.
pub struct RetireCheck;

impl Checker for RetireCheck {
    fn name(&self) -> &'static str {
        "retire"
    }
    fn phases(&self) -> Phases {
        Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(RetireCheck))
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let (e, a) = (cx.ref_rec, cx.rtl_rec);
        let name = self.name();
        let m = |f: &str, x: String, y: String| Some(Mismatch::new(name, f, x, y));
        if e.step != a.step {
            return m("step", e.step.to_string(), a.step.to_string());
        }
        if e.pid != a.pid {
            return m("pid", e.pid.to_string(), a.pid.to_string());
        }
        if e.pc != a.pc {
            return m("pc", hex(e.pc), hex(a.pc));
        }
        if e.insn_words() != a.insn_words() {
            let words = |r: &Retire| r.insn_words().iter().map(|w| format!("{w:08x}")).collect::<Vec<_>>().join(" ");
            return m("insn", words(e), words(a));
        }
        if e.fault != a.fault {
            return m("fault", opt_hex(e.fault), opt_hex(a.fault));
        }
        if e.trap != a.trap {
            return m("trap", trap_str(e.trap), trap_str(a.trap));
        }
        if e.next_pc != a.next_pc {
            return m("next_pc", hex(e.next_pc), hex(a.next_pc));
        }
        if e.writes() != a.writes() {
            return m("writes", writes_str(e), writes_str(a));
        }
        if e.psw != a.psw {
            return m("psw", hex(e.psw), hex(a.psw));
        }
        if e.sp != a.sp {
            return m("sp", hex(e.sp), hex(a.sp));
        }
        None
    }
}

/// Both executives were handed the same traps (SVCs and timeout events) in the step.
pub struct TrapCheck;

impl Checker for TrapCheck {
    fn name(&self) -> &'static str {
        "trap"
    }
    fn phases(&self) -> Phases {
        Phases::ADVANCE | Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(TrapCheck))
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        match cx.dut {
            Err(StepFault::UnknownTrap(c)) => {
                Some(Mismatch::new(self.name(), "cause", "1 (SVC) or 2 (TIMEOUT)", c.to_string()))
            }
            _ => None,
        }
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        (cx.ref_traps != cx.rtl_traps)
            .then(|| Mismatch::new(self.name(), "traps", traps_text(cx.ref_traps), traps_text(cx.rtl_traps)))
    }
}

/// Traps as a person reads them: `SVC pid 1 mod 0x1 fn 0x07, TIMEOUT pid 2` (`none`).
pub fn traps_text(t: &[vm_ref::exec::TrapSeen]) -> String {
    use vm_ref::exec::TrapSeen;
    if t.is_empty() {
        return "none".into();
    }
    t.iter()
        .map(|x| match x {
            TrapSeen::Svc { pid, module, func } => format!("SVC pid {pid} mod 0x{module:x} fn 0x{func:02x}"),
            TrapSeen::Timeout { pid } => format!("TIMEOUT pid {pid}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The retiring task's whole register window (16 words from each RAM).
pub struct WindowCheck;

impl Checker for WindowCheck {
    fn name(&self) -> &'static str {
        "window"
    }
    fn phases(&self) -> Phases {
        Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(WindowCheck))
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let pid = cx.ref_rec.pid;
        if pid == 0 || pid as usize > cx.refm.n_tasks() {
            return None;
        }
        let e = cx.refm.regs(pid);
        let a = if pid == cx.rtl_rec.pid {
            cx.rtl_window
        } else {
            cx.dut.window_at(cx.rtl_slots[pid as usize - 1].reg_base)
        };
        (0..16).find(|&n| e[n] != a[n]).map(|n| Mismatch::new(self.name(), format!("R{n}"), hex(e[n]), hex(a[n])))
    }
}

/// Every field of `a` that differs from `e`, in field order: (field, expected, actual).
pub fn slot_diffs(e: &Slot, a: &Slot) -> Vec<(&'static str, String, String)> {
    let mut v = vec![];
    macro_rules! f {
        ($($name:ident),*) => {
            $( if e.$name != a.$name { v.push((stringify!($name), e.$name.plain(), a.$name.plain())); } )*
        };
    }
    f!(
        state,
        pc,
        psw,
        sp,
        reg_base,
        stack_limit,
        stack_top,
        code_base,
        code_size,
        slice,
        slice_used,
        wait,
        deadline,
        accounted_steps,
        exit_code,
        fault
    );
    v
}

/// The scheduler registers the checkers compare, in report order: (name, reference, DUT).
pub fn sched_registers(m: &Machine, g: &Globals) -> [(&'static str, u64, u64); 4] {
    [
        ("current", m.current as u64, g.current as u64),
        ("last_ran", m.last_ran as u64, g.last_ran as u64),
        ("steps", m.steps, g.steps),
        ("ticks", m.ticks, g.ticks),
    ]
}

/// The first field of `a` that differs from `e`.
pub fn slot_diff(e: &Slot, a: &Slot) -> Option<(&'static str, String, String)> {
    slot_diffs(e, a).into_iter().next()
}

/// Every slot is compared at least this often (in steps), whatever the masks say.
pub const SCHED_FULL_EVERY: u32 = 64;

/// The scheduler state: `current`, `last_ran`, `steps`, `ticks` and the task table.
///
/// A slot is compared when it can differ: every slot the RTL changed in the step
/// ([`StepCtx::rtl_changed`]), and every slot the reference can have changed. A step
/// without traps, timeouts or an idle jump changes at most the slots of the task that
/// retired and of `current` and `last_ran` before and after it (vm-ref's round robin:
/// scheduling in, accounting, rotating, RETURN/BRK/fault of the retiring task); any other
/// step — and the first of a run, the one after a host-script action
/// ([`StepCtx::resync`]), and every [`SCHED_FULL_EVERY`]th — compares every slot.
#[derive(Default)]
pub struct SchedCheck {
    /// `current` and `last_ran` of the reference after the previous step.
    prev: (u8, u8),
    since_full: u32,
}

impl SchedCheck {
    /// The slots to compare in this step (bit `pid - 1`).
    fn slots_to_compare(&mut self, cx: &StepCtx<'_>) -> u32 {
        let m = cx.refm;
        let bit = |pid: u8| if pid == 0 { 0 } else { 1u32.checked_shl(pid as u32 - 1).unwrap_or(0) };
        let prev = std::mem::replace(&mut self.prev, (m.current, m.last_ran));
        let quiet = !cx.resync
            && cx.ref_traps.is_empty()
            && cx.rtl_traps.is_empty()
            && !cx.start.idle_jump
            && self.since_full < SCHED_FULL_EVERY;
        if !quiet {
            self.since_full = 0;
            return u32::MAX;
        }
        self.since_full += 1;
        cx.rtl_changed | bit(cx.ref_rec.pid) | bit(m.current) | bit(m.last_ran) | bit(prev.0) | bit(prev.1)
    }
}

impl Checker for SchedCheck {
    fn name(&self) -> &'static str {
        "sched"
    }
    fn phases(&self) -> Phases {
        Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(SchedCheck::default()))
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let m = cx.refm;
        let g = cx.rtl_globals;
        let compare = self.slots_to_compare(cx);
        for (name, e, a) in sched_registers(m, &g) {
            if e != a {
                return Some(Mismatch::new(self.name(), name, e.to_string(), a.to_string()));
            }
        }
        for (i, (e, a)) in m.slots.iter().zip(cx.rtl_slots).enumerate() {
            let pid = i as u8 + 1;
            if slot_in(compare, i) && e != a {
                if let Some((f, x, y)) = slot_diff(e, a) {
                    return Some(Mismatch::new(self.name(), format!("slot[{pid}].{f}"), x, y));
                }
            }
        }
        None
    }
}

/// `--check-timing`: cycles per retire against docs/timing.md.
pub struct TimingCheck;

impl Checker for TimingCheck {
    fn name(&self) -> &'static str {
        "timing"
    }
    fn phases(&self) -> Phases {
        Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(TimingCheck))
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let want = expected_cycles(cx.ref_rec, &cx.start);
        (want != cx.timed).then(|| Mismatch::new(self.name(), "cycles", want.to_string(), cx.timed.to_string()))
    }
}
