//! Cycle-level monitors and the DUT's own invariants: every core RAM write belongs to a
//! retire record (write monitor), no task writes outside its window and stack (isolation
//! monitor), and context.md's invariants hold on the DUT's task table.

use super::{slot_in, AdvanceCtx, Checker, Mismatch, Phases, StepCtx};
use isa::TaskState;

/// Cycle level: every data-RAM write the core makes is one of a retiring instruction's
/// recorded writes, in order (no write outside a retire record or host-bus traffic),
/// and every recorded write reaches the RAM. A record's last write may commit at the
/// clock edge right after its retire cycle, so writes are matched as a stream: a write
/// of step N must be on the RAM port by the time step N+1 retires.
#[derive(Default)]
pub struct WriteMonitor {
    pending: std::collections::VecDeque<(u64, isa::MemWrite)>,
}

impl Checker for WriteMonitor {
    fn name(&self) -> &'static str {
        "write-monitor"
    }
    fn phases(&self) -> Phases {
        Phases::ADVANCE | Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(WriteMonitor::default()))
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        cx.monitor_error.map(|e| Mismatch::new(self.name(), "monitor", "a complete write log", e))
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        for w in cx.rtl_rec.writes() {
            self.pending.push_back((cx.step, isa::MemWrite { data: mask_lanes(w.data, w.mask), ..*w }));
        }
        for o in cx.observed.iter().filter(|w| !w.from_host) {
            let seen = isa::MemWrite { addr: o.addr, mask: o.be, data: mask_lanes(o.data, o.be) };
            match self.pending.pop_front() {
                Some((_, want)) if want == seen => {}
                Some((step, want)) => {
                    return Some(Mismatch::new(
                        self.name(),
                        "ram-write",
                        format!(
                            "step {step}'s recorded write [0x{:04x} m{:x} 0x{:08x}]",
                            want.addr, want.mask, want.data
                        ),
                        format!(
                            "RAM port write [0x{:04x} m{:x} 0x{:08x}] at cycle {}",
                            seen.addr, seen.mask, seen.data, o.cycle
                        ),
                    ))
                }
                None => {
                    return Some(Mismatch::new(
                        self.name(),
                        "ram-write",
                        "no write outside a retire record or host-bus traffic",
                        format!(
                            "RAM port write [0x{:04x} m{:x} 0x{:08x}] at cycle {}",
                            seen.addr, seen.mask, seen.data, o.cycle
                        ),
                    ))
                }
            }
        }
        if let Some(&(step, want)) = self.pending.front().filter(|(step, _)| *step < cx.step) {
            return Some(Mismatch::new(
                self.name(),
                "ram-write",
                format!(
                    "step {step}'s recorded write [0x{:04x} m{:x} 0x{:08x}] on the RAM port",
                    want.addr, want.mask, want.data
                ),
                "never written",
            ));
        }
        None
    }
}

fn mask_lanes(d: u32, be: u8) -> u32 {
    // Each byte-enable bit widened to its byte lane.
    let b = be as u32;
    let m =
        ((b & 1) * 0xFF) | (((b >> 1) & 1) * 0xFF00) | (((b >> 2) & 1) * 0xFF_0000) | (((b >> 3) & 1) * 0xFF00_0000);
    d & m
}

/// Cycle level, with `protect` on: no core write lands in the executive's reserved area
/// `0x0000..0x0FFF`, in another task's window or in a stack arena other than the retiring
/// task's own (an independent check of the RTL's protection; the retiring task's own
/// registers are written through its window). Host-bus writes (the executive's) are not
/// checked.
pub struct IsolationMonitor;

impl Checker for IsolationMonitor {
    fn name(&self) -> &'static str {
        "isolation"
    }
    fn phases(&self) -> Phases {
        Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(IsolationMonitor))
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        if !cx.refm.protect {
            return None;
        }
        let pid = cx.rtl_rec.pid;
        if pid == 0 || pid as usize > cx.refm.n_tasks() {
            return None;
        }
        let own = cx.rtl_slots[pid as usize - 1];
        let lo = cx.rtl_globals.stack_region_lo;
        let win_lo = isa::WINDOW_BASE;
        let win_hi = isa::WINDOW_BASE + isa::WINDOW_SIZE * cx.refm.n_tasks() as u32;
        for w in cx.observed.iter().filter(|w| !w.from_host) {
            for lane in 0..4u32 {
                if w.be & (1 << lane) == 0 {
                    continue;
                }
                let a = w.addr as u32 + lane;
                let in_reserved = a < isa::EXEC_RESERVED_END;
                let in_window = (win_lo..win_hi).contains(&a);
                let own_window = (own.reg_base..own.reg_base + 64).contains(&a);
                let in_stacks = a >= lo;
                let own_stack = (own.stack_limit..own.stack_top).contains(&a);
                if in_reserved || (in_window && !own_window) || (in_stacks && !own_stack && !in_window) {
                    return Some(Mismatch::new(
                        self.name(),
                        "write",
                        format!(
                            "pid {pid} writes only its own window 0x{:04x} and stack [0x{:04x},0x{:04x}), never the reserved area below 0x1000",
                            own.reg_base, own.stack_limit, own.stack_top
                        ),
                        format!("a core write to 0x{a:04x}"),
                    ));
                }
            }
        }
        None
    }
}

/// The context invariants of context.md on the RTL's task table, for every live task (each
/// step: the tasks whose slots the RTL changed; see [`StepCtx::rtl_changed`]).
pub struct ContextInvariants;

impl Checker for ContextInvariants {
    fn name(&self) -> &'static str {
        "invariants"
    }
    fn phases(&self) -> Phases {
        Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(ContextInvariants))
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let name = self.name();
        let n = cx.refm.n_tasks();
        let slots = cx.rtl_slots;
        let win_hi = isa::WINDOW_BASE + isa::WINDOW_SIZE * n as u32;
        let bad =
            |pid: usize, what: String| Some(Mismatch::new(name, format!("slot[{pid}]"), "context.md invariant", what));
        // Only the slots the RTL changed in this step can break an invariant that held
        // after the previous one (every slot on the first step of a run and after a
        // host-script action): a slot's own rules for those, and its arena against every
        // other slot's.
        let changed = if cx.resync { u32::MAX } else { cx.rtl_changed };
        for (i, s) in slots.iter().enumerate() {
            let pid = i + 1;
            if s.state == TaskState::Empty || !slot_in(changed, i) {
                continue;
            }
            if s.reg_base != isa::window_of(pid as u8) {
                return bad(
                    pid,
                    format!("reg_base 0x{:x} is not pid {pid}'s window 0x{:x}", s.reg_base, isa::window_of(pid as u8)),
                );
            }
            if !(s.stack_limit < s.stack_top
                && s.stack_limit % 4 == 0
                && s.stack_top % 4 == 0
                && s.stack_top <= 0x1_0000)
            {
                return bad(pid, format!("arena [0x{:x},0x{:x}) malformed", s.stack_limit, s.stack_top));
            }
            if !(s.stack_limit <= s.sp && s.sp <= s.stack_top) {
                return bad(pid, format!("sp 0x{:x} outside [0x{:x},0x{:x}]", s.sp, s.stack_limit, s.stack_top));
            }
            if s.stack_limit < win_hi && s.stack_top > isa::WINDOW_BASE {
                return bad(pid, "arena overlaps the window region".into());
            }
            for (j, t) in slots.iter().enumerate() {
                if j != i && t.state != TaskState::Empty && s.stack_limit < t.stack_top && t.stack_limit < s.stack_top {
                    // Named as from the lower pid, whichever of the two changed.
                    return bad(pid.min(j + 1), format!("arena overlaps pid {}'s", pid.max(j + 1)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::mask_lanes;

    #[test]
    fn mask_lanes_keeps_exactly_the_enabled_bytes() {
        for be in 0..=0xFFu8 {
            let want =
                (0..4).filter(|i| be & (1 << i) != 0).fold(0u32, |acc, i| acc | (0xA1B2_C3D4 & (0xFF << (8 * i))));
            assert_eq!(mask_lanes(0xA1B2_C3D4, be), want, "be {be:#x}");
        }
    }
}
