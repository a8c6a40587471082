//! The lockstep co-simulation harness (hardware.md "The lockstep harness"), split as in
//! DiffTest: [`Lockstep`] is the sequencing loop, generic over its two sides — whatever
//! implements [`side::Reference`] and [`side::Dut`] (the standard pair:
//! `vm_ref::system::System` and [`crate::rtl::RtlSystem`], [`Lockstep::from_case`]); small
//! [`check::Checker`]s compare one aspect each, stuck/quiescence/end of run included, each
//! called only in the phases it declares; [`History`] keeps the last 32 retires of both
//! sides; [`report`] and [`vcd`] write what a user needs when they disagree.
//! docs/harness.md describes it and how to extend it.

pub mod case;
pub mod check;
pub mod console;
pub mod host_script;
pub mod report;
pub mod side;
pub mod timing;
pub mod vcd;

use crate::rtl::{RtlError, RtlSystem};
use case::Case;
use check::{AdvanceCtx, Checker, EndCtx, Mismatch, Phase, StepCtx};
use isa::{Retire, TaskState};
use serde::{Deserialize, Serialize};
use side::{Dut, Reference};
use sim::{ObservedWrite, RtlOptions};
use std::collections::VecDeque;
use timing::StepStart;
use vm_ref::exec::{SpawnOptions, TrapSeen};
use vm_ref::system::{Outcome, System};
use vm_ref::MachineConfig;

/// Retires kept for reports.
pub const HISTORY: usize = 32;

/// Console bytes each executive of the lockstep keeps per task (its tail, quoted in a
/// console mismatch); the consoles themselves are compared as they are written
/// ([`console::ConsoleCompare`]), whatever their size.
pub const LOCKSTEP_CONSOLE_TAIL: usize = 64 * 1024;

/// [`Lockstep::run_until`] asks whether to stop every this many steps (~1 ms of lockstep;
/// a power of two).
pub const CANCEL_POLL_STEPS: u64 = 1024;

/// Steps the DUT may retire per FFI crossing in a [`Lockstep::from_case`] lockstep
/// ([`Lockstep::run_ahead`]; docs/benchmarks.md).
pub const RUN_AHEAD: u32 = 128;

/// How a lockstep builds its two sides afresh (for the re-run that settles a divergence
/// found while the DUT was ahead).
type Rebuild<R, D> = Box<dyn Fn() -> Result<(R, D), CosimError> + Send + Sync>;

/// Harness options (not part of the case: they say how to check, not what to run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CosimConfig {
    /// Compare cycles per retire with docs/timing.md.
    pub check_timing: bool,
    /// A RUNNING RTL that retires nothing for this many cycles is stuck (a divergence).
    pub stuck_cycles: u64,
    /// 0 = the real RTL; otherwise the mutant-capable model with this mutant.
    pub mutant: u16,
    /// Cycles of RTL waveform before the divergence.
    pub vcd_window: u64,
    /// Run the RTL side on the coverage model (`--coverage`, docs/coverage.md). Not part
    /// of a report: a replay runs the real model.
    #[serde(skip)]
    pub coverage: bool,
    /// Run the RTL side on the traced model (`sim::RtlOptions::trace`), so that its
    /// waveforms can be written: the waveform recorder's re-run sets it. Not part of a
    /// report (a run gives the same cycles either way).
    #[serde(skip)]
    pub trace: bool,
}

impl Default for CosimConfig {
    fn default() -> Self {
        CosimConfig {
            check_timing: false,
            stuck_cycles: crate::rtl::DEFAULT_STUCK_CYCLES,
            mutant: 0,
            vcd_window: 2000,
            coverage: false,
            trace: false,
        }
    }
}

/// Errors that stop a co-simulation before it can compare anything (bad input, a broken
/// model build): not divergences.
#[derive(Debug, thiserror::Error)]
pub enum CosimError {
    #[error(transparent)]
    Program(#[from] crate::program::ProgramError),
    #[error(transparent)]
    Rtl(#[from] RtlError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}")]
    Report(String),
    /// A DUT other than the standard RTL could not be set up for the lockstep.
    #[error("the DUT: {0}")]
    Dut(String),
    #[error(transparent)]
    HostScript(#[from] host_script::HostScriptError),
}

/// One retired step of both sides, for the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub cycle: u64,
    pub ref_rec: Retire,
    pub rtl_rec: Option<Retire>,
}

/// The last [`HISTORY`] steps.
#[derive(Debug, Clone, Default)]
pub struct History(pub VecDeque<Row>);

impl History {
    pub fn push(&mut self, r: Row) {
        if self.0.len() == HISTORY {
            self.0.pop_front();
        }
        self.0.push_back(r);
    }
}

/// A divergence: where, what, and the context a report needs.
#[derive(Debug, Clone)]
pub struct Divergence {
    pub mismatch: Mismatch,
    /// The phase in which it was found.
    pub phase: Phase,
    /// RTL cycle at which it was seen.
    pub cycle: u64,
    /// The step (1-based) being compared, or the last step for end-of-run checks.
    pub step: u64,
    pub ref_rec: Option<Retire>,
    pub rtl_rec: Option<Retire>,
}

/// How a co-simulation ended.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Both sides agree on every step and at the end.
    Agree {
        outcome: Outcome,
        steps: u64,
        cycles: u64,
    },
    Diverged(Box<Divergence>),
}

/// Hooks for the deterministic re-simulation that records waveforms, and for coverage.
/// Generic over the lockstep's sides, like [`Lockstep`]; an observer of the standard pair
/// is `impl Observer for MyObserver`.
pub trait Observer<R: Reference = System, D: Dut = RtlSystem> {
    /// Called at every step boundary before the step, with the DUT about to run it.
    fn before_step(&mut self, _ls: &mut Lockstep<R, D>) {}
    /// Called after both sides retired a step (before the comparison).
    fn after_step(&mut self, _ls: &Lockstep<R, D>, _ref_rec: &Retire, _cycle: u64) {}
    /// Whether the observer reads or drives the DUT (the default: it may). One that looks
    /// only at the reference and the retire records says `false`, and the DUT may then run
    /// ahead of the step being compared ([`Lockstep::run_ahead`]).
    fn reads_dut(&self) -> bool {
        true
    }
}

/// No observer.
pub struct NoObserver;
impl<R: Reference, D: Dut> Observer<R, D> for NoObserver {
    fn reads_dut(&self) -> bool {
        false
    }
}

/// Traps one step may take before the RTL counts as stuck: a step meets at most one SVC
/// and one timeout per task (8), so this is far beyond any legal step.
pub const MAX_TRAPS_PER_STEP: u32 = 1024;

/// The installed checkers and, per phase, the indices of those that implement it
/// ([`Checker::phases`], read once at installation): the loop calls nothing else.
#[derive(Default)]
struct Checkers {
    all: Vec<Box<dyn Checker>>,
    advance: Vec<usize>,
    step: Vec<usize>,
    end: Vec<usize>,
}

impl Checkers {
    fn new(all: Vec<Box<dyn Checker>>) -> Checkers {
        let mut c = Checkers::default();
        for x in all {
            c.push(x);
        }
        c
    }

    fn push(&mut self, c: Box<dyn Checker>) {
        let (i, ph) = (self.all.len(), c.phases());
        for (p, list) in
            [(Phase::Advance, &mut self.advance), (Phase::Step, &mut self.step), (Phase::End, &mut self.end)]
        {
            if ph.contains(p) {
                list.push(i);
            }
        }
        self.all.push(c);
    }
}

/// The first mismatch of the checkers at `idx`, named after its checker.
macro_rules! first_mismatch {
    ($checkers:expr, $idx:expr, $method:ident, $cx:expr) => {{
        let mut found = None;
        for &i in $idx.iter() {
            let c = &mut $checkers[i];
            if let Some(mm) = c.$method($cx) {
                found = Some(Mismatch { check: c.name().to_string(), ..mm });
                break;
            }
        }
        found
    }};
}

/// The two machines in lockstep: a reference side `R` and a DUT `D` (monomorphized: no
/// dynamic dispatch between the loop and the sides). The standard pair — the golden
/// model and the Verilated RTL, each with its executive — is the default,
/// `Lockstep` = `Lockstep<System, RtlSystem>`, built from a case by
/// [`Lockstep::from_case`]; any other pair by [`Lockstep::new`].
pub struct Lockstep<R: Reference = System, D: Dut = RtlSystem> {
    pub case: Case,
    pub cfg: CosimConfig,
    reference: R,
    dut: D,
    pub history: History,
    checkers: Checkers,
    ref_traps: Vec<TrapSeen>,
    rtl_traps: Vec<TrapSeen>,
    observed: Vec<ObservedWrite>,
    last_timed: u64,
    /// Both sides' consoles, fed as they are written.
    consoles: std::sync::Arc<std::sync::Mutex<console::ConsoleCompare>>,
    /// Compare with the checkers (off: the same loop, for measuring the cost of checking).
    pub compare: bool,
    /// The case's host script (host commands at step boundaries, [`host_script`]).
    host: host_script::HostScript,
    /// Steps the DUT may retire per crossing before they are compared (DiffTest's batch of
    /// many; 1: one at a time). A [`from_case`](Lockstep::from_case) lockstep runs
    /// [`RUN_AHEAD`]. It applies only to the first run of sides built from the case and not
    /// changed since (`reference_mut`, `dut_mut` and `rtl_mut` turn it off: a rebuild would
    /// not reproduce the change), with an observer that does not read the DUT
    /// ([`Observer::reads_dut`]), and never past the case's step limit or the host
    /// script's next action. The checkers see every step as
    /// before; a divergence found with the DUT ahead is settled by a deterministic re-run
    /// without run-ahead to the same divergence, so that the sides a report reads stand at
    /// the divergent step.
    pub run_ahead: u32,
    rebuild: Option<Rebuild<R, D>>,
}

/// The standard pair for `case`: the golden model with its executive, and the Verilated
/// RTL (real, mutant or coverage model as `cfg` says) with its own executive, the case
/// loaded into each (the RTL over its host bus). [`Lockstep::from_case`] pairs them; a
/// test or tool that wraps one side builds them here and pairs them with
/// [`Lockstep::new`].
pub fn standard_sides(case: &Case, cfg: CosimConfig) -> Result<(System, RtlSystem), CosimError> {
    standard_sides_with(case, cfg, &mut |_| {})
}

/// [`standard_sides`], calling `after_reset` with the RTL just after its reset, before any
/// host-bus traffic (the waveform recorder arms its window there).
pub fn standard_sides_with(
    case: &Case,
    cfg: CosimConfig,
    after_reset: &mut dyn FnMut(&mut sim::Rtl),
) -> Result<(System, RtlSystem), CosimError> {
    let st = case.settings;
    let mcfg = MachineConfig { protect: st.protect, ..MachineConfig::default() };
    let plan = case.plan(mcfg.n_tasks)?;
    let ecfg = vm_ref::exec::ExecConfig { console_tail: LOCKSTEP_CONSOLE_TAIL, ..st.exec_config() };
    let mut refs = System::new(&mcfg, ecfg);
    plan.load(&mut refs.exec, &mut refs.machine, SpawnOptions::default())?;
    let mut rtl = RtlSystem::new_with(
        RtlOptions { mutant: cfg.mutant, monitors: true, coverage: cfg.coverage, trace: cfg.trace },
        st.protect,
        ecfg,
        after_reset,
    )?;
    rtl.stuck_cycles = cfg.stuck_cycles;
    rtl.load(&plan, SpawnOptions::default())?;
    Ok((refs, rtl))
}

impl Lockstep {
    /// The standard pair ([`standard_sides`]) on `case`, in lockstep.
    pub fn from_case(case: &Case, cfg: CosimConfig) -> Result<Lockstep, CosimError> {
        Self::from_case_with(case, cfg, &mut |_| {})
    }

    /// [`Lockstep::from_case`], calling `after_reset` with the RTL just after its reset,
    /// before any host-bus traffic (the waveform recorder arms its window there).
    pub fn from_case_with(
        case: &Case,
        cfg: CosimConfig,
        after_reset: &mut dyn FnMut(&mut sim::Rtl),
    ) -> Result<Lockstep, CosimError> {
        let (refs, rtl) = standard_sides_with(case, cfg, after_reset)?;
        let mut ls = Lockstep::new(refs, rtl, case, cfg)?;
        let (case, cfg) = (case.clone(), cfg);
        ls.rebuild = Some(Box::new(move || standard_sides(&case, cfg)));
        ls.run_ahead = RUN_AHEAD;
        Ok(ls)
    }
}

impl<R: Reference> Lockstep<R, RtlSystem> {
    /// The Verilated model under the standard DUT, for what only it has — the waveform
    /// tracer, the coverage counters, the monitors' self-test, its cycle counter as the
    /// tracer sees it. Everything a checker or report needs goes through
    /// [`dut`](Lockstep::dut) and the [`Dut`] trait.
    pub fn rtl(&self) -> &sim::Rtl {
        &self.dut.rtl
    }

    /// [`rtl`](Lockstep::rtl), mutable (the waveform recorder closes its dump with it).
    pub fn rtl_mut(&mut self) -> &mut sim::Rtl {
        self.rebuild = None;
        &mut self.dut.rtl
    }
}

impl<R: Reference, D: Dut> Lockstep<R, D> {
    /// Pair two sides that hold the same loaded `case` (its programs spawned on each,
    /// nothing run yet): each executive's trap log and console go to the lockstep, the
    /// DUT arms its monitors ([`Dut::begin_checking`]), and the standard checkers are
    /// installed ([`check::standard_checkers`]; replace or extend them with
    /// [`with_checkers`](Self::with_checkers) / [`add_checker`](Self::add_checker)). The
    /// case bounds the run (`max_steps`) and goes into reports; `cfg` gives the stuck
    /// limit, the timing check and the waveform window.
    pub fn new(mut reference: R, mut dut: D, case: &Case, cfg: CosimConfig) -> Result<Self, CosimError> {
        let host = case.host_script()?;
        let consoles = std::sync::Arc::new(std::sync::Mutex::new(console::ConsoleCompare::default()));
        for (exec, side) in [(reference.executive_mut(), console::Side::Ref), (dut.executive_mut(), console::Side::Rtl)]
        {
            exec.set_trap_log(true);
            exec.set_console_sink(Some(Box::new(console::CompareSink { cmp: consoles.clone(), side })));
        }
        dut.begin_checking()?;
        Ok(Lockstep {
            case: case.clone(),
            cfg,
            reference,
            dut,
            history: History::default(),
            checkers: Checkers::new(check::standard_checkers(cfg.check_timing)),
            ref_traps: vec![],
            rtl_traps: vec![],
            observed: vec![],
            last_timed: 0,
            consoles,
            compare: true,
            host,
            run_ahead: 1,
            rebuild: None,
        })
    }

    /// Replace the checkers (default [`check::standard_checkers`]): e.g. one checker alone,
    /// to prove that it catches a bug by itself.
    pub fn set_checkers(&mut self, checkers: Vec<Box<dyn Checker>>) {
        self.checkers = Checkers::new(checkers);
    }

    /// Use `checkers` instead of the standard ones (builder form of
    /// [`set_checkers`](Self::set_checkers)).
    pub fn with_checkers(mut self, checkers: Vec<Box<dyn Checker>>) -> Self {
        self.set_checkers(checkers);
        self
    }

    /// Consult `checker` too, after the current ones (e.g. a user's checker beside the
    /// standard set).
    pub fn add_checker(&mut self, checker: Box<dyn Checker>) {
        self.checkers.push(checker);
    }

    /// The names of the checkers, in the order they are consulted.
    pub fn checker_names(&self) -> Vec<&'static str> {
        self.checkers.all.iter().map(|c| c.name()).collect()
    }

    /// The checkers for a deterministic re-run of this lockstep up to `d` (the waveform
    /// recorder's): each checker's [`fresh`](Checker::fresh) copy, in the same order; a
    /// checker without one is left out, or, if it found `d`, stood in for by a
    /// [`check::StandIn`] that stops the re-run at the same step and phase.
    pub fn rerun_checkers(&self, d: &Divergence) -> Vec<Box<dyn Checker>> {
        self.checkers
            .all
            .iter()
            .filter_map(|c| match c.fresh() {
                Some(f) => Some(f),
                None if c.name() == d.mismatch.check => Some(Box::new(check::StandIn {
                    name: c.name(),
                    phase: d.phase,
                    step: d.step,
                    mismatch: d.mismatch.clone(),
                }) as Box<dyn Checker>),
                None => None,
            })
            .collect()
    }

    /// The reference side.
    pub fn reference(&self) -> &R {
        &self.reference
    }

    /// The reference side, mutable (an observer between two steps; checkers only read).
    pub fn reference_mut(&mut self) -> &mut R {
        self.rebuild = None;
        &mut self.reference
    }

    /// The DUT side.
    pub fn dut(&self) -> &D {
        &self.dut
    }

    /// The DUT side, mutable (an observer between two steps; checkers only read).
    pub fn dut_mut(&mut self) -> &mut D {
        self.rebuild = None;
        &mut self.dut
    }

    /// Both sides, the lockstep taken apart.
    pub fn into_sides(self) -> (R, D) {
        (self.reference, self.dut)
    }

    fn diverge(
        &self,
        mismatch: Mismatch,
        phase: Phase,
        step: u64,
        ref_rec: Option<Retire>,
        rtl_rec: Option<Retire>,
    ) -> Verdict {
        Verdict::Diverged(Box::new(Divergence { mismatch, phase, cycle: self.dut.cycles(), step, ref_rec, rtl_rec }))
    }

    /// Run to the end (quiescence or the case's step limit) comparing every step.
    pub fn run<O: Observer<R, D> + ?Sized>(&mut self, obs: &mut O) -> Verdict {
        match self.run_until(obs, &|| false) {
            Some(v) => v,
            None => unreachable!("a run that is never cancelled ends with a verdict"),
        }
    }

    /// [`run`](Self::run), but polls `cancel` every [`CANCEL_POLL_STEPS`] steps and
    /// returns `None` as soon as it says so (an interrupted run has no verdict; the
    /// machines stay where they stopped, the DUT possibly some steps ahead with
    /// [`run_ahead`](Self::run_ahead)).
    ///
    /// Each step: the reference retires, the DUT runs to its next retire (with its
    /// batch); unless both retired with the DUT's monitors silent, every checker's
    /// [`check_advance`](Checker::check_advance) sees whether both could; every checker's
    /// [`check`](Checker::check) compares it. At the end the DUT stops at a step
    /// boundary and every checker's [`check_end`](Checker::check_end) compares the end
    /// states. The first mismatch ends the run, named after its checker. Only the
    /// checkers that implement a phase ([`Checker::phases`]) are called in it.
    pub fn run_until<O: Observer<R, D> + ?Sized>(&mut self, obs: &mut O, cancel: &dyn Fn() -> bool) -> Option<Verdict> {
        // Only the first run of sides nobody changed can be rebuilt from the case.
        let rebuild = self.rebuild.take();
        let ahead = self.run_ahead > 1 && rebuild.is_some() && !obs.reads_dut();
        match self.run_steps(obs, cancel, ahead)? {
            Verdict::Diverged(d) if self.dut.ahead() > 0 => match rebuild {
                Some(rebuild) => self.settle(d, cancel, rebuild),
                None => Some(Verdict::Diverged(d)),
            },
            v => Some(v),
        }
    }

    /// A divergence found while the DUT was ahead of the divergent step: the same run again
    /// from the case, one step at a time, to the same divergence (runs are deterministic,
    /// and the DUT hands out the steps it ran ahead exactly as one by one), so that the
    /// sides stand at it. The checkers keep their state (they saw the same steps).
    fn settle(&mut self, d: Box<Divergence>, cancel: &dyn Fn() -> bool, rebuild: Rebuild<R, D>) -> Option<Verdict> {
        let again = rebuild().and_then(|(r, du)| Lockstep::new(r, du, &self.case, self.cfg));
        let mut again = match again {
            Ok(a) => a,
            Err(e) => {
                let mm =
                    Mismatch::new("harness", "run-ahead", "the sides rebuilt for the divergent step", e.to_string());
                return Some(self.diverge(mm, d.phase, d.step, d.ref_rec, d.rtl_rec));
            }
        };
        again.set_checkers(self.rerun_checkers(&d));
        again.compare = self.compare;
        let v = again.run_steps(&mut NoObserver, cancel, false)?;
        std::mem::swap(&mut again.checkers, &mut self.checkers);
        again.run_ahead = self.run_ahead;
        *self = again;
        match v {
            Verdict::Diverged(d2) if d2.mismatch == d.mismatch && d2.step == d.step && d2.phase == d.phase => {
                Some(Verdict::Diverged(d2))
            }
            other => {
                let got = match other {
                    Verdict::Diverged(d2) => format!("{} at step {}", d2.mismatch.field, d2.step),
                    Verdict::Agree { steps, .. } => format!("agreement over {steps} steps"),
                };
                let mm = Mismatch::new(
                    "harness",
                    "run-ahead",
                    format!(
                        "the run one step at a time diverges as with run-ahead: {} at step {}",
                        d.mismatch.field, d.step
                    ),
                    got,
                );
                Some(self.diverge(mm, d.phase, d.step, d.ref_rec, d.rtl_rec))
            }
        }
    }

    /// The loop of [`run_until`](Self::run_until), the DUT running ahead when `ahead`.
    fn run_steps<O: Observer<R, D> + ?Sized>(
        &mut self,
        obs: &mut O,
        cancel: &dyn Fn() -> bool,
        ahead: bool,
    ) -> Option<Verdict> {
        let max = self.case.settings.max_steps;
        let run_ahead = if ahead { self.run_ahead as u64 } else { 1 };
        self.dut.set_run_ahead(1);
        let mut dut_ahead = 1u32;
        let stuck_cycles = self.cfg.stuck_cycles;
        let mut ref_rec = Retire::default();
        let mut rtl_rec = Retire::default();
        let mut step = 0u64;
        // The first step of a run compares everything (the sides may have been changed
        // between runs through `reference_mut`/`dut_mut`), as does the step after a
        // host-script action.
        let mut resync = true;
        loop {
            if step >= max {
                break;
            }
            if step & (CANCEL_POLL_STEPS - 1) == 0 && cancel() {
                return None;
            }
            let applied = self.host.applied();
            if let Some(mm) = self.host.apply_due(step, false, &mut self.reference, &mut self.dut) {
                return Some(self.diverge(mm, Phase::Advance, step, None, None));
            }
            resync |= self.host.applied() != applied;
            if ahead {
                // Never past the step limit or the host script's next action.
                let host_room = self.host.next_step().map_or(u64::MAX, |n| n.saturating_sub(step));
                let n = run_ahead.min(max - step).min(host_room).max(1) as u32;
                if n != dut_ahead {
                    dut_ahead = n;
                    self.dut.set_run_ahead(n);
                }
            }
            obs.before_step(self);
            // How the reference step starts (for the timing model).
            let m = self.reference.machine();
            let ticks0 = m.ticks;
            let cur = m.current;
            let current_running = cur != 0 && m.slot(cur).state == TaskState::Running;
            m.last_access.set(0);
            let ref_alive = self.reference.next_retire(&mut ref_rec);
            self.reference.drain_traps(&mut self.ref_traps);
            let dut = self.dut.next_retire(stuck_cycles, &mut self.observed, &mut rtl_rec);
            if dut.is_ok() {
                self.dut.drain_traps(&mut self.rtl_traps);
            }
            let rtl_retired = dut == Ok(true);
            let both = ref_alive && rtl_retired;
            let monitor_error = if both { self.dut.take_monitor_error() } else { None };
            let table_violation = if both { self.dut.table_violation() } else { None };
            // A plain step — both sides retired, the DUT's monitors silent — is one both
            // sides could take: the advance phase has nothing to decide
            // ([`Checker::check_advance`]).
            let found = if both && monitor_error.is_none() && table_violation.is_none() {
                None
            } else {
                let acx = AdvanceCtx {
                    step: step + 1,
                    ref_rec: ref_alive.then_some(&ref_rec),
                    dut: dut.as_ref().map(|&got| got.then_some(&rtl_rec)),
                    monitor_error: monitor_error.as_deref(),
                    table_violation,
                };
                first_mismatch!(self.checkers.all, self.checkers.advance, check_advance, &acx)
            };
            let mm = match (found, ref_alive, &dut) {
                (Some(mm), ..) => Some(mm),
                // Both quiescent: the host script may have more to say (a RESUME).
                (None, false, Ok(false)) if self.host.pending() => {
                    match self.host.apply_due(step, true, &mut self.reference, &mut self.dut) {
                        Some(mm) => return Some(self.diverge(mm, Phase::Advance, step, None, None)),
                        None => {
                            resync = true;
                            continue;
                        }
                    }
                }
                (None, false, Ok(false)) => break,
                (None, true, Ok(true)) => None,
                // No checker claims it, but the sides cannot go on together.
                (None, _, d) => Some(Mismatch::new(
                    "harness",
                    "step",
                    if ref_alive { "a step of both sides" } else { "both sides quiescent" },
                    match d {
                        Err(f) => format!("{f:?}"),
                        Ok(true) => "a DUT retire".into(),
                        Ok(false) => "the DUT went idle".into(),
                    },
                )),
            };
            if let Some(mm) = mm {
                let rtl = rtl_retired.then_some(rtl_rec);
                return Some(self.diverge(mm, Phase::Advance, step + 1, ref_alive.then_some(ref_rec), rtl));
            }
            step += 1;
            let cycle = self.dut.retire_cycle();
            obs.after_step(self, &ref_rec, cycle);
            let timed_now = self.dut.timed_cycles();
            let timed = timed_now - self.last_timed;
            self.last_timed = timed_now;
            if self.compare {
                let m = self.reference.machine();
                let acc = m.last_access.get();
                let start = StepStart {
                    current_running,
                    timeouts: self.ref_traps.iter().filter(|t| matches!(t, TrapSeen::Timeout { .. })).count() as u32,
                    idle_jump: m.ticks > ticks0 + 1,
                    access: (acc != 0).then_some((acc & 0xFFFF, acc >> 16)),
                };
                let cx = StepCtx {
                    step,
                    cycle,
                    timed,
                    start,
                    ref_rec: &ref_rec,
                    rtl_rec: &rtl_rec,
                    refm: m,
                    dut: &self.dut,
                    ref_traps: &self.ref_traps,
                    rtl_traps: &self.rtl_traps,
                    observed: &self.observed,
                    rtl_slots: self.dut.step_slots(),
                    rtl_changed: self.dut.step_changed_slots(),
                    resync,
                    rtl_globals: self.dut.step_globals(),
                    rtl_window: self.dut.step_window(),
                };
                resync = false;
                if let Some(mm) = first_mismatch!(self.checkers.all, self.checkers.step, check, &cx) {
                    self.history.push(Row { cycle, ref_rec, rtl_rec: Some(rtl_rec) });
                    return Some(Verdict::Diverged(Box::new(Divergence {
                        mismatch: mm,
                        phase: Phase::Step,
                        cycle,
                        step,
                        ref_rec: Some(ref_rec),
                        rtl_rec: Some(rtl_rec),
                    })));
                }
            }
            // Entered after the comparison (which does not read the history): by now the
            // records' stores have left the store buffer, and copying them does not stall.
            self.history.push(Row { cycle, ref_rec, rtl_rec: Some(rtl_rec) });
        }
        // Stop the DUT at a step boundary, then compare the ends.
        let halt = self.dut.stop();
        let found = {
            let consoles = self.consoles.lock().unwrap_or_else(|p| p.into_inner());
            let cx = EndCtx {
                step,
                halt_error: halt.as_ref().err().map(String::as_str),
                reference: &self.reference,
                dut: &self.dut,
                consoles: &consoles,
            };
            first_mismatch!(self.checkers.all, self.checkers.end, check_end, &cx)
        };
        let found = found
            .or_else(|| halt.err().map(|e| Mismatch::new("harness", "halt", "the DUT stops at a step boundary", e)));
        if let Some(mm) = found {
            return Some(self.diverge(mm, Phase::End, step, None, None));
        }
        Some(Verdict::Agree { outcome: self.reference.end_outcome(), steps: step, cycles: self.dut.cycles() })
    }
}

/// The result of one case, after any report has been written.
#[derive(Debug, Clone)]
pub enum CaseResult {
    Agree {
        outcome: Outcome,
        steps: u64,
        cycles: u64,
    },
    /// Diverged; the report (and VCDs) are in `dir`.
    Diverged {
        report: Box<report::Report>,
        dir: std::path::PathBuf,
    },
}

/// Run `case` in lockstep. On a divergence write `report.{txt,json}`, `rtl.vcd` and
/// `ref.vcd` under `traces/<case name>/` (re-simulating deterministically for the VCDs).
pub fn run_case(case: &Case, cfg: &CosimConfig, traces: &std::path::Path) -> Result<CaseResult, CosimError> {
    let mut ls = Lockstep::from_case(case, *cfg)?;
    match ls.run(&mut NoObserver) {
        Verdict::Agree { outcome, steps, cycles } => Ok(CaseResult::Agree { outcome, steps, cycles }),
        Verdict::Diverged(d) => {
            let run_id =
                if cfg.mutant != 0 { format!("{}-mutant{}", case.dir_name(), cfg.mutant) } else { case.dir_name() };
            let dir = traces.join(&run_id);
            let report = write_divergence(&ls, &d, &run_id, &dir)?;
            Ok(CaseResult::Diverged { report: Box::new(report), dir })
        }
    }
}

/// The marker of a trace folder being written: present until `report.json` (written
/// last) is complete. A folder that still has it was interrupted (a signal, a crash, a
/// full disk) and is incomplete.
pub const INCOMPLETE: &str = "INCOMPLETE";

/// Write a divergence's trace folder `dir`: the waveforms (`rtl.vcd`, `ref.vcd`,
/// `waves.gtkw`, by deterministic re-simulation), then the reproducer files and
/// `report.txt`, and `report.json` last. While it is written the folder holds an
/// [`INCOMPLETE`] marker; every file goes in under a temporary name.
pub fn write_divergence(
    ls: &Lockstep,
    d: &Divergence,
    run_id: &str,
    dir: &std::path::Path,
) -> Result<report::Report, CosimError> {
    let io = |source| CosimError::Io { path: dir.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    let marker = dir.join(INCOMPLETE);
    crate::fsx::write_atomic(
        &marker,
        b"This trace folder is being written, or its writer was interrupted: its files may be missing or stale.\n",
    )
    .map_err(io)?;
    let rep = report::Report::build(ls, d, run_id);
    let waves = vcd::record_with(&ls.case, &ls.cfg, ls.rerun_checkers(d), Some(d), vcd::WaveRange::default(), dir);
    let waves = waves.and_then(|again| {
        let again = again.divergence.expect("record() checks that the re-run diverged");
        if again.mismatch != d.mismatch || again.step != d.step {
            return Err(CosimError::Report(format!(
                "the re-simulation diverged differently ({} at step {}) from the run ({} at step {}): the run is not deterministic",
                again.mismatch.field, again.step, d.mismatch.field, d.step
            )));
        }
        Ok(())
    });
    // The report is written even when the waveforms failed (a full disk): it is small
    // and says what diverged; the marker stays to say the folder is incomplete.
    rep.write(dir).map_err(io)?;
    waves?;
    std::fs::remove_file(&marker).map_err(io)?;
    Ok(rep)
}

#[cfg(test)]
mod tests;
