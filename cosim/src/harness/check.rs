//! Small checkers behind one trait (as in DiffTest): each looks at one aspect of a retired
//! step on both sides and reports the first field that differs.

use super::console::{self, ConsoleCompare};
use super::side::{Dut, Reference, StepFault};
use super::timing::{expected_cycles, StepStart};
use isa::{Retire, Slot, TaskState};
use sim::ObservedWrite;
use vm_ref::exec::TrapSeen;
use vm_ref::Machine;

/// Whether each side could take the step being attempted (before anything is compared
/// or recorded in the history): quiescence, a stuck DUT, the DUT's own monitors.
pub struct AdvanceCtx<'a> {
    /// The step (1-based) being attempted.
    pub step: u64,
    /// The reference's retire, `None` when it is quiescent.
    pub ref_rec: Option<&'a Retire>,
    /// The DUT's retire, `Ok(None)` when it went idle, or why it could not step.
    pub dut: Result<Option<&'a Retire>, &'a StepFault>,
    /// The DUT's write monitor lost part of its log in this step (both sides retired).
    pub monitor_error: Option<&'a str>,
    /// The cycle at which the DUT's task table changed with an instruction in flight in
    /// this step (both sides retired).
    pub table_violation: Option<u64>,
}

/// Both sides stopped at a step boundary (or the DUT failed to stop): the end states.
pub struct EndCtx<'a> {
    /// The last step retired.
    pub step: u64,
    /// Why the DUT failed to stop at a step boundary, if it did.
    pub halt_error: Option<&'a str>,
    pub reference: &'a dyn Reference,
    pub dut: &'a dyn Dut,
    /// Both sides' consoles as they were written.
    pub consoles: &'a ConsoleCompare,
}

/// Everything a checker may look at for one step.
pub struct StepCtx<'a> {
    pub step: u64,
    /// RTL cycle in which the retire record was valid.
    pub cycle: u64,
    /// Timed cycles since the previous retire (docs/timing.md `N`).
    pub timed: u64,
    pub start: StepStart,
    pub ref_rec: &'a Retire,
    pub rtl_rec: &'a Retire,
    pub refm: &'a Machine,
    /// The DUT, for anything beyond the step's batch (zero-time probes).
    pub dut: &'a dyn Dut,
    pub ref_traps: &'a [TrapSeen],
    pub rtl_traps: &'a [TrapSeen],
    /// Data-RAM writes seen on the RTL's RAM port since the previous retire.
    pub observed: &'a [ObservedWrite],
    /// The RTL's task table and machine registers after the step (one probe per step,
    /// shared by the checkers).
    pub rtl_slots: &'a [Slot],
    pub rtl_globals: sim::Globals,
    /// The RTL's register window of the task that retired on the RTL (`rtl_rec.pid`, at
    /// its slot's `reg_base`) after the step, read in the same crossing as the retire.
    pub rtl_window: [u32; 16],
}

/// What differed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mismatch {
    /// Which checker saw it.
    pub check: String,
    /// The field (e.g. `psw`, `window.R3`, `slot[2].state`, `cycles`).
    pub field: String,
    /// The reference model's value (or what the rule requires).
    pub expected: String,
    /// The RTL's value.
    pub actual: String,
}

impl Mismatch {
    pub fn new(
        check: &str,
        field: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Mismatch {
        Mismatch { check: check.to_string(), field: field.into(), expected: expected.into(), actual: actual.into() }
    }
}

/// One aspect compared between the models (or an invariant of the DUT). The harness
/// consults every checker, in list order, in three phases; the first mismatch ends the
/// run, and its `check` is this checker's [`name`](Checker::name) (whatever the checker
/// put there). A checker implements only the phases it needs. See docs/harness.md.
pub trait Checker: Send {
    /// The name a divergence report gives (`check` in report.txt/json).
    fn name(&self) -> &'static str;
    /// Before a step is compared: whether both sides could take it.
    fn check_advance(&mut self, _cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        None
    }
    /// A step both sides retired (after it entered the history).
    fn check(&mut self, _cx: &StepCtx<'_>) -> Option<Mismatch> {
        None
    }
    /// The end of the run, both sides stopped.
    fn check_end(&mut self, _cx: &EndCtx<'_>) -> Option<Mismatch> {
        None
    }
}

/// A running DUT that retires nothing for `stuck_cycles` cycles, or cannot stop at a
/// step boundary at the end.
pub struct StuckCheck;

impl Checker for StuckCheck {
    fn name(&self) -> &'static str {
        "stuck"
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        match cx.dut {
            Err(StepFault::Stuck { cycles, at }) => Some(Mismatch::new(
                self.name(),
                "retire",
                format!("a retire within {cycles} cycles"),
                format!("none (at cycle {at})"),
            )),
            Err(StepFault::TrapStorm { traps, at }) => Some(Mismatch::new(
                self.name(),
                "traps",
                format!("a retire within {traps} traps"),
                format!("none (at cycle {at})"),
            )),
            _ => None,
        }
    }
    fn check_end(&mut self, cx: &EndCtx<'_>) -> Option<Mismatch> {
        cx.halt_error.map(|e| Mismatch::new(self.name(), "halt", "the RTL stops at a step boundary", e))
    }
}

/// Both sides go quiescent at the same step.
pub struct QuiescenceCheck;

impl Checker for QuiescenceCheck {
    fn name(&self) -> &'static str {
        "quiescence"
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        match (cx.ref_rec, cx.dut) {
            (Some(e), Ok(None)) => Some(Mismatch::new(
                self.name(),
                "retire",
                format!("step {} of pid {}", e.step, e.pid),
                "the RTL went idle",
            )),
            (None, Ok(Some(r))) => Some(Mismatch::new(
                self.name(),
                "retire",
                "the reference is quiescent",
                format!("a retire of pid {} at pc 0x{:04x}", r.pid, r.pc),
            )),
            _ => None,
        }
    }
}

/// The executive's host-bus traffic (trap service) completes.
pub struct HostBusCheck;

impl Checker for HostBusCheck {
    fn name(&self) -> &'static str {
        "host-bus"
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        match cx.dut {
            Err(StepFault::HostBus(e)) => {
                Some(Mismatch::new(self.name(), "trap service", "the executive's bus traffic completes", e.as_str()))
            }
            _ => None,
        }
    }
}

/// No task-table or scheduler register change while an instruction is in flight (the
/// DUT's table monitor).
pub struct TableStability;

impl Checker for TableStability {
    fn name(&self) -> &'static str {
        "table-stability"
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        cx.table_violation.map(|c| {
            Mismatch::new(
                self.name(),
                "task table",
                "no task-table or scheduler register change while an instruction is in flight",
                format!("changed at cycle {c}"),
            )
        })
    }
}

/// At the end: outcome, consoles, mailbox state, exit codes, both data memories.
pub struct EndCheck;

impl Checker for EndCheck {
    fn name(&self) -> &'static str {
        "end"
    }
    fn check_end(&mut self, cx: &EndCtx<'_>) -> Option<Mismatch> {
        if cx.halt_error.is_some() {
            return None;
        }
        let name = self.name();
        let m = |f: String, x: String, y: String| Some(Mismatch::new(name, f, x, y));
        let (eo, ao) = (cx.reference.end_outcome(), cx.dut.end_outcome());
        if eo != ao {
            return m("outcome".into(), eo.name().into(), ao.name().into());
        }
        let (rx, dx) = (cx.reference.executive(), cx.dut.executive());
        let refm = cx.reference.machine();
        for pid in 1..=refm.n_tasks() as u8 {
            for stream in vm_ref::exec::Stream::ALL {
                if let Some((at, [e, a])) = cx.consoles.difference(pid, stream) {
                    let field = match stream {
                        vm_ref::exec::Stream::Out => format!("console[{pid}]"),
                        vm_ref::exec::Stream::Err => format!("console[{pid}].err"),
                    };
                    return m(
                        field,
                        console::describe(rx.console_log(pid), e, at),
                        console::describe(dx.console_log(pid), a, at),
                    );
                }
            }
            if let Some((f, x, y)) = slot_diff(refm.slot(pid), &cx.dut.slot(pid)) {
                return m(format!("slot[{pid}].{f}"), x, y);
            }
        }
        let (em, am) = (rx.mailboxes(), dx.mailboxes());
        if em != am {
            let (f, x, y) = mailbox_diff(&em, &am).unwrap_or(("mailboxes".into(), "?".into(), "?".into()));
            return m(f, x, y);
        }
        let mut dut_mem = vec![0u8; isa::DATA_SIZE];
        cx.dut.read_data(&mut dut_mem);
        let ref_mem = &refm.dmem[..isa::DATA_SIZE];
        (0..isa::DATA_SIZE).find(|&i| ref_mem[i] != dut_mem[i]).and_then(|i| {
            m(format!("data[0x{i:04x}]"), format!("0x{:02x}", ref_mem[i]), format!("0x{:02x}", dut_mem[i]))
        })
    }
}

fn hex(v: impl std::fmt::LowerHex) -> String {
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

/// The first difference between two executives' mailbox tables, as (field, expected,
/// actual) in plain words.
pub fn mailbox_diff(
    e: &[vm_ref::exec::mailbox::MailboxInfo],
    a: &[vm_ref::exec::mailbox::MailboxInfo],
) -> Option<(String, String, String)> {
    if e.len() != a.len() {
        return Some(("mailboxes".into(), format!("{} mailboxes", e.len()), format!("{} mailboxes", a.len())));
    }
    let pids = |v: &[u8]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" ");
    let handles = |v: &[(u8, u16)]| v.iter().map(|(p, h)| format!("pid {p} handle {h}")).collect::<Vec<_>>().join(", ");
    for (x, y) in e.iter().zip(a) {
        let f = |n: &str| format!("mailbox[{}].{n}", x.target);
        let owner = |o: Option<u8>| o.map(|p| format!("pid {p}")).unwrap_or_else(|| "none".into());
        let fields = [
            (f("id"), x.id.to_string(), y.id.to_string()),
            (f("target"), x.target.clone(), y.target.clone()),
            (f("owner"), owner(x.owner), owner(y.owner)),
            (f("capacity"), x.capacity.to_string(), y.capacity.to_string()),
            (f("mode"), format!("0x{:x}", x.mode), format!("0x{:x}", y.mode)),
            (f("used"), x.used.to_string(), y.used.to_string()),
            (f("messages"), x.messages.len().to_string(), y.messages.len().to_string()),
            (f("waiters"), pids(&x.waiters), pids(&y.waiters)),
            (f("handles"), handles(&x.handles), handles(&y.handles)),
        ];
        if let Some(d) = fields.into_iter().find(|d| d.1 != d.2) {
            return Some(d);
        }
        if x != y {
            return Some((f("messages"), "(the queued messages differ)".into(), "(see report.json)".into()));
        }
    }
    None
}

/// The retiring task's whole register window (16 words from each RAM).
pub struct WindowCheck;

impl Checker for WindowCheck {
    fn name(&self) -> &'static str {
        "window"
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

/// The first field of `a` that differs from `e`.
pub fn slot_diff(e: &Slot, a: &Slot) -> Option<(&'static str, String, String)> {
    slot_diffs(e, a).into_iter().next()
}

/// The scheduler state: `current`, `last_ran`, `steps`, `ticks` and every slot.
pub struct SchedCheck;

impl Checker for SchedCheck {
    fn name(&self) -> &'static str {
        "sched"
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let m = cx.refm;
        let g = cx.rtl_globals;
        let pairs = [
            ("current", m.current as u64, g.current as u64),
            ("last_ran", m.last_ran as u64, g.last_ran as u64),
            ("steps", m.steps, g.steps),
            ("ticks", m.ticks, g.ticks),
        ];
        for (name, e, a) in pairs {
            if e != a {
                return Some(Mismatch::new(self.name(), name, e.to_string(), a.to_string()));
            }
        }
        for (i, (e, a)) in m.slots.iter().zip(cx.rtl_slots).enumerate() {
            let pid = i as u8 + 1;
            if e != a {
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
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let want = expected_cycles(cx.ref_rec, &cx.start);
        (want != cx.timed).then(|| Mismatch::new(self.name(), "cycles", want.to_string(), cx.timed.to_string()))
    }
}

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
    (0..4).filter(|i| be & (1 << i) != 0).fold(0, |acc, i| acc | (d & (0xFF << (8 * i))))
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

/// The context invariants of context.md on the RTL's task table, for every live task.
pub struct ContextInvariants;

impl Checker for ContextInvariants {
    fn name(&self) -> &'static str {
        "invariants"
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let name = self.name();
        let n = cx.refm.n_tasks();
        let slots = cx.rtl_slots;
        let win_hi = isa::WINDOW_BASE + isa::WINDOW_SIZE * n as u32;
        let bad =
            |pid: usize, what: String| Some(Mismatch::new(name, format!("slot[{pid}]"), "context.md invariant", what));
        for (i, s) in slots.iter().enumerate() {
            let pid = i + 1;
            if s.state == TaskState::Empty {
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
            for (j, t) in slots.iter().enumerate().skip(i + 1) {
                if t.state != TaskState::Empty && s.stack_limit < t.stack_top && t.stack_limit < s.stack_top {
                    return bad(pid, format!("arena overlaps pid {}'s", j + 1));
                }
            }
        }
        None
    }
}

/// The standard set, in the order they are consulted (the default of
/// [`super::Lockstep`]).
pub fn standard_checkers(check_timing: bool) -> Vec<Box<dyn Checker>> {
    let mut v: Vec<Box<dyn Checker>> = vec![
        Box::new(StuckCheck),
        Box::new(QuiescenceCheck),
        Box::new(HostBusCheck),
        Box::new(RetireCheck),
        Box::new(TrapCheck),
        Box::new(WriteMonitor::default()),
        Box::new(TableStability),
        Box::new(IsolationMonitor),
        Box::new(WindowCheck),
        Box::new(SchedCheck),
        Box::new(ContextInvariants),
    ];
    if check_timing {
        v.push(Box::new(TimingCheck));
    }
    v.push(Box::new(EndCheck));
    v
}
