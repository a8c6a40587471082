//! Small checkers behind one trait (as in DiffTest): each looks at one aspect of a retired
//! step on both sides and reports the first field that differs.
//!
//! This module holds what every checker shares — the [`Checker`] trait, its [`Phase`]s,
//! the three contexts it reads ([`AdvanceCtx`], [`StepCtx`], [`EndCtx`]), [`Mismatch`] —
//! and the standard list ([`standard_checkers`]). The checkers themselves, by kind:
//! [`flow`] (whether the sides can go on together, and the end of the run), [`step`]
//! (each retired step of both sides compared), [`monitor`] (cycle-level monitors and
//! the DUT's invariants). All are re-exported here.

pub mod flow;
pub mod monitor;
pub mod step;

pub use flow::{mailbox_diff, EndCheck, HostBusCheck, QuiescenceCheck, StuckCheck, TableStability};
pub use monitor::{ContextInvariants, IsolationMonitor, WriteMonitor};
pub use step::{
    sched_registers, slot_diff, slot_diffs, traps_text, RetireCheck, SchedCheck, TimingCheck, TrapCheck, WindowCheck,
    SCHED_FULL_EVERY,
};

use super::console::ConsoleCompare;
use super::side::{Dut, Reference, StepFault};
use super::timing::StepStart;
use isa::{Retire, Slot};
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
    /// Bit `p`: the RTL's slot `p` may have changed in this step ([`Dut::step_changed_slots`];
    /// every bit when the DUT cannot tell).
    pub rtl_changed: u32,
    /// Something other than the step itself may have changed either side's task table since
    /// the previous step compared (the first step of a run, a host-script action): checkers
    /// that compare only what a step can change compare everything.
    pub resync: bool,
    pub rtl_globals: sim::Globals,
    /// The RTL's register window of the task that retired on the RTL (`rtl_rec.pid`, at
    /// its slot's `reg_base`) after the step, read in the same crossing as the retire.
    pub rtl_window: [u32; 16],
}

/// Whether slot index `i` (pid `i + 1`) is in a slot mask such as [`StepCtx::rtl_changed`]
/// (bit `i`; an index beyond the mask's 32 bits always is).
pub(crate) fn slot_in(mask: u32, i: usize) -> bool {
    i >= 32 || mask >> i & 1 != 0
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

/// One of the three moments the harness consults its checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// [`Checker::check_advance`]: whether both sides could take the step (a step that is
    /// not a plain retire of both sides).
    Advance,
    /// [`Checker::check`]: a step both sides retired.
    Step,
    /// [`Checker::check_end`]: the end of the run.
    End,
}

/// A set of [`Phase`]s: the phases a checker implements ([`Checker::phases`]). The
/// harness reads it once, when the checker is installed, and calls the checker only in
/// those phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Phases(u8);

impl Phases {
    pub const NONE: Phases = Phases(0);
    pub const ADVANCE: Phases = Phases(1);
    pub const STEP: Phases = Phases(2);
    pub const END: Phases = Phases(4);
    pub const ALL: Phases = Phases(7);

    /// Whether `p` is in the set.
    pub const fn contains(self, p: Phase) -> bool {
        let bit = match p {
            Phase::Advance => 1,
            Phase::Step => 2,
            Phase::End => 4,
        };
        self.0 & bit != 0
    }
}

impl std::ops::BitOr for Phases {
    type Output = Phases;
    fn bitor(self, o: Phases) -> Phases {
        Phases(self.0 | o.0)
    }
}

/// One aspect compared between the models (or an invariant of the DUT). The harness
/// consults every checker, in list order, in three phases; the first mismatch ends the
/// run, and its `check` is this checker's [`name`](Checker::name) (whatever the checker
/// put there). A checker implements only the phases it needs and says which in
/// [`phases`](Checker::phases). See docs/harness.md.
pub trait Checker: Send {
    /// The name a divergence report gives (`check` in report.txt/json).
    fn name(&self) -> &'static str;
    /// The phases this checker implements (default: all three). The harness reads it
    /// once, when the checker is installed, and skips the others: a checker that
    /// overrides only [`check`](Checker::check) says `Phases::STEP` and costs nothing in
    /// the other two. A phase left out here is never called, even if implemented.
    fn phases(&self) -> Phases {
        Phases::ALL
    }
    /// A new instance in its initial state, for the deterministic re-run that records a
    /// divergence's waveforms ([`super::write_divergence`]). `None` (the default): the
    /// re-run leaves this checker out and, if it was the one that found the divergence,
    /// stops at the same step and phase with its mismatch ([`StandIn`]) — checkers only
    /// read, so the re-run is the same run either way.
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        None
    }
    /// Before a step is compared: whether both sides could take it. Called only when the
    /// step is not a plain one — one side could not retire (quiescent, stuck, a trap it
    /// could not service), or the DUT's monitors reported an error
    /// ([`AdvanceCtx::monitor_error`], [`AdvanceCtx::table_violation`]): when both sides
    /// retired and the monitors are silent there is nothing to decide, and a rule about
    /// every retired step belongs in [`check`](Checker::check).
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
        Box::new(SchedCheck::default()),
        Box::new(ContextInvariants::default()),
    ];
    if check_timing {
        v.push(Box::new(TimingCheck));
    }
    v.push(Box::new(EndCheck));
    v
}

/// Stands in, in the re-run that records waveforms, for a checker that cannot make a
/// fresh copy of itself ([`Checker::fresh`] is `None`, e.g. a user's checker): it fires
/// where that checker fired — the same phase and step — with its mismatch, and nowhere
/// else. Checkers only read, so the re-run reaches that point in the same state.
pub struct StandIn {
    pub name: &'static str,
    pub phase: Phase,
    pub step: u64,
    pub mismatch: Mismatch,
}

impl StandIn {
    fn at(&self, phase: Phase, step: u64) -> Option<Mismatch> {
        (phase == self.phase && step == self.step).then(|| self.mismatch.clone())
    }
}

impl Checker for StandIn {
    fn name(&self) -> &'static str {
        self.name
    }
    fn phases(&self) -> Phases {
        match self.phase {
            Phase::Advance => Phases::ADVANCE,
            Phase::Step => Phases::STEP,
            Phase::End => Phases::END,
        }
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        self.at(Phase::Advance, cx.step)
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        self.at(Phase::Step, cx.step)
    }
    fn check_end(&mut self, cx: &EndCtx<'_>) -> Option<Mismatch> {
        self.at(Phase::End, cx.step)
    }
}
