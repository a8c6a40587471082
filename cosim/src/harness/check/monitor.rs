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
        // The common case, decided without the queue: nothing is owed from earlier steps
        // and the RAM port saw exactly this step's recorded writes, in order.
        if self.pending.is_empty() && same_writes(cx.rtl_rec.writes(), cx.observed) {
            return None;
        }
        for w in cx.rtl_rec.writes() {
            self.pending.push_back((cx.step, recorded(w)));
        }
        for o in cx.observed.iter().filter(|w| !w.from_host) {
            let seen = on_port(o);
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

/// A retire record's write as the monitor compares it (data in the enabled lanes only).
fn recorded(w: &isa::MemWrite) -> isa::MemWrite {
    isa::MemWrite { data: mask_lanes(w.data, w.mask), ..*w }
}

/// A RAM-port write as the monitor compares it.
fn on_port(o: &sim::ObservedWrite) -> isa::MemWrite {
    isa::MemWrite { addr: o.addr, mask: o.be, data: mask_lanes(o.data, o.be) }
}

/// Whether the core's writes among `observed` are exactly `records`, in order.
fn same_writes(records: &[isa::MemWrite], observed: &[sim::ObservedWrite]) -> bool {
    let mut core = observed.iter().filter(|o| !o.from_host);
    records.iter().all(|w| core.next().is_some_and(|o| on_port(o) == recorded(w))) && core.next().is_none()
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
        let rules = Isolation::new(&own, cx.rtl_globals.stack_region_lo, cx.refm.n_tasks());
        for w in cx.observed.iter().filter(|w| !w.from_host) {
            if let Some(a) = rules.first_bad_byte(w.addr, w.be) {
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
        None
    }
}

/// The isolation rule for one retiring task: the regions its core writes may and may not
/// touch.
struct Isolation {
    own_window: std::ops::Range<u32>,
    own_stack: std::ops::Range<u32>,
    windows: std::ops::Range<u32>,
    /// Where the stack arenas start (`stack_region_lo`).
    stacks_lo: u32,
    /// Every bound a multiple of 4: a word write's bytes are then all inside or all
    /// outside each region.
    word_aligned: bool,
}

impl Isolation {
    fn new(own: &isa::Slot, stacks_lo: u32, n_tasks: usize) -> Isolation {
        let windows = isa::WINDOW_BASE..isa::WINDOW_BASE + isa::WINDOW_SIZE * n_tasks as u32;
        let word_aligned = (own.reg_base | own.stack_limit | own.stack_top | stacks_lo | windows.start | windows.end)
            .is_multiple_of(4)
            && isa::EXEC_RESERVED_END.is_multiple_of(4);
        Isolation {
            own_window: own.reg_base..own.reg_base + 64,
            own_stack: own.stack_limit..own.stack_top,
            windows,
            stacks_lo,
            word_aligned,
        }
    }

    /// Whether byte `a` may not be written by the task.
    fn forbidden(&self, a: u32) -> bool {
        let in_window = self.windows.contains(&a);
        a < isa::EXEC_RESERVED_END
            || (in_window && !self.own_window.contains(&a))
            || (a >= self.stacks_lo && !self.own_stack.contains(&a) && !in_window)
    }

    /// The first byte lane of the write at `addr` with byte enables `be` (lanes 0–3) that
    /// lands where the task may not write.
    fn first_bad_byte(&self, addr: u16, be: u8) -> Option<u32> {
        let be = be & 0xF;
        if be == 0 {
            return None;
        }
        if self.word_aligned && addr.is_multiple_of(4) {
            // One byte decides for the whole word: the first enabled one.
            let a = addr as u32 + be.trailing_zeros();
            return self.forbidden(a).then_some(a);
        }
        (0..4u32).filter(|lane| be & (1 << lane) != 0).map(|lane| addr as u32 + lane).find(|&a| self.forbidden(a))
    }
}

/// The context invariants of context.md on the RTL's task table, for every live task (each
/// step: the tasks whose slots the RTL changed; see [`StepCtx::rtl_changed`]).
#[derive(Default)]
pub struct ContextInvariants {
    /// Each slot's arena `(stack_limit, stack_top)` when it was last found to overlap no
    /// other live arena (`None`: empty, or not checked yet). Whether two arenas overlap
    /// changes only when one of them does, so a changed slot whose arena is the one
    /// recorded is not compared with every other again.
    arenas: Vec<Option<(u32, u32)>>,
}

impl Checker for ContextInvariants {
    fn name(&self) -> &'static str {
        "invariants"
    }
    fn phases(&self) -> Phases {
        Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(ContextInvariants::default()))
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
        if self.arenas.len() != slots.len() {
            self.arenas = vec![None; slots.len()];
        }
        for (i, s) in slots.iter().enumerate() {
            let pid = i + 1;
            if !slot_in(changed, i) {
                continue;
            }
            if s.state == TaskState::Empty {
                self.arenas[i] = None;
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
            let arena = Some((s.stack_limit, s.stack_top));
            if self.arenas[i] == arena {
                continue;
            }
            for (j, t) in slots.iter().enumerate() {
                if j != i && t.state != TaskState::Empty && s.stack_limit < t.stack_top && t.stack_limit < s.stack_top {
                    // Named as from the lower pid, whichever of the two changed.
                    return bad(pid.min(j + 1), format!("arena overlaps pid {}'s", pid.max(j + 1)));
                }
            }
            self.arenas[i] = arena;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{mask_lanes, Isolation};
    use isa::Slot;

    /// The word-at-a-time decision equals the byte-by-byte one, on aligned and unaligned
    /// region bounds and around every bound.
    #[test]
    fn isolation_decides_a_word_write_as_its_bytes_do() {
        let mut rng = crate::gen::rng::Rng::new(13);
        let mut next = |m: u32| rng.below(m);
        for _ in 0..2000 {
            let misalign = if next(4) == 0 { next(4) } else { 0 };
            let reg_base = isa::WINDOW_BASE + 64 * next(8) + misalign;
            let stack_limit = 0x8000 + 4 * next(0x800) + if next(4) == 0 { next(4) } else { 0 };
            let stack_top = stack_limit + 4 * next(0x100) + 4;
            let own = Slot { reg_base, stack_limit, stack_top, ..Slot::default() };
            let lo = 0x8000 + if next(4) == 0 { next(4) } else { 0 };
            let rules = Isolation::new(&own, lo, 8);
            for _ in 0..50 {
                let near = [reg_base, reg_base + 64, stack_limit, stack_top, lo, 0x1000, 0x1200, next(0x1_0000)];
                let addr = ((near[next(8) as usize] + next(12)).saturating_sub(6) & 0xFFFC) as u16;
                let be = next(16) as u8;
                let bytewise =
                    (0..4u32).filter(|l| be & (1 << l) != 0).map(|l| addr as u32 + l).find(|&a| rules.forbidden(a));
                assert_eq!(
                    rules.first_bad_byte(addr, be),
                    bytewise,
                    "addr {addr:#x} be {be:#x} own {own:?} lo {lo:#x}"
                );
            }
        }
    }

    #[test]
    fn mask_lanes_keeps_exactly_the_enabled_bytes() {
        for be in 0..=0xFFu8 {
            let want =
                (0..4).filter(|i| be & (1 << i) != 0).fold(0u32, |acc, i| acc | (0xA1B2_C3D4 & (0xFF << (8 * i))));
            assert_eq!(mask_lanes(0xA1B2_C3D4, be), want, "be {be:#x}");
        }
    }
}
