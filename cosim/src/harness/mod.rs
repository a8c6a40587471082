//! The lockstep co-simulation harness (hardware.md "The lockstep harness"), split as in
//! DiffTest: [`Lockstep`] is the sequencing loop; the reference side and the DUT side are
//! what [`side::Reference`] and [`side::Dut`] provide (implemented by
//! `vm_ref::system::System` and [`crate::rtl::RtlSystem`]); small [`check::Checker`]s
//! compare one aspect each, stuck/quiescence/end of run included; [`History`] keeps the
//! last 32 retires of both sides; [`report`] writes what a user needs when they disagree.
//! docs/harness.md describes it and how to extend it.

pub mod case;
pub mod check;
pub mod console;
pub mod report;
pub mod side;
pub mod timing;
pub mod vcd;

use crate::rtl::{RtlError, RtlSystem};
use case::Case;
use check::{AdvanceCtx, Checker, EndCtx, Mismatch, StepCtx};
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
}

impl Default for CosimConfig {
    fn default() -> Self {
        CosimConfig {
            check_timing: false,
            stuck_cycles: crate::rtl::DEFAULT_STUCK_CYCLES,
            mutant: 0,
            vcd_window: 2000,
            coverage: false,
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

/// Hooks for the deterministic re-simulation that records waveforms.
pub trait Observer {
    /// Called at every step boundary before the step, with the RTL about to run it.
    fn before_step(&mut self, _ls: &mut Lockstep) {}
    /// Called after both sides retired a step (before the comparison).
    fn after_step(&mut self, _ls: &Lockstep, _ref_rec: &Retire, _cycle: u64) {}
}

/// No observer.
pub struct NoObserver;
impl Observer for NoObserver {}

/// Traps one step may take before the RTL counts as stuck: a step meets at most one SVC
/// and one timeout per task (8), so this is far beyond any legal step.
pub const MAX_TRAPS_PER_STEP: u32 = 1024;

/// The two machines in lockstep.
pub struct Lockstep {
    pub case: Case,
    pub cfg: CosimConfig,
    pub refs: System,
    pub rtl: RtlSystem,
    pub history: History,
    checkers: Vec<Box<dyn Checker>>,
    ref_traps: Vec<TrapSeen>,
    rtl_traps: Vec<TrapSeen>,
    observed: Vec<ObservedWrite>,
    last_timed: u64,
    /// Both sides' consoles, fed as they are written.
    consoles: std::sync::Arc<std::sync::Mutex<console::ConsoleCompare>>,
    /// Compare with the checkers (off: the same loop, for measuring the cost of checking).
    pub compare: bool,
}

impl Lockstep {
    /// Build both machines and load the case into each (the RTL over its host bus).
    pub fn new(case: &Case, cfg: CosimConfig) -> Result<Lockstep, CosimError> {
        Self::new_with(case, cfg, &mut |_| {})
    }

    /// [`Lockstep::new`], calling `after_reset` with the RTL just after its reset, before
    /// any host-bus traffic (the waveform recorder arms its window there).
    pub fn new_with(
        case: &Case,
        cfg: CosimConfig,
        after_reset: &mut dyn FnMut(&mut sim::Rtl),
    ) -> Result<Lockstep, CosimError> {
        let st = case.settings;
        let mcfg = MachineConfig { protect: st.protect, ..MachineConfig::default() };
        let plan = case.plan(mcfg.n_tasks)?;
        let ecfg = vm_ref::exec::ExecConfig { console_tail: LOCKSTEP_CONSOLE_TAIL, ..st.exec_config() };
        let mut refs = System::new(&mcfg, ecfg);
        plan.load(&mut refs.exec, &mut refs.machine, SpawnOptions::default())?;
        let mut rtl = RtlSystem::new_with(
            RtlOptions { mutant: cfg.mutant, monitors: true, coverage: cfg.coverage },
            st.protect,
            ecfg,
            after_reset,
        )?;
        rtl.stuck_cycles = cfg.stuck_cycles;
        rtl.load(&plan, SpawnOptions::default())?;
        refs.exec.set_trap_log(true);
        rtl.exec.set_trap_log(true);
        let consoles = std::sync::Arc::new(std::sync::Mutex::new(console::ConsoleCompare::default()));
        for (exec, side) in [(&mut refs.exec, console::Side::Ref), (&mut rtl.exec, console::Side::Rtl)] {
            exec.set_console_sink(Some(Box::new(console::CompareSink { cmp: consoles.clone(), side })));
        }
        // Host-bus traffic of the loader is not part of any step.
        rtl.rtl.set_write_monitor(true);
        rtl.rtl.set_table_monitor(true).map_err(RtlError::from)?;
        let mut sink = vec![];
        let _ = rtl.rtl.take_observed_writes_into(&mut sink);
        Ok(Lockstep {
            case: case.clone(),
            cfg,
            refs,
            rtl,
            history: History::default(),
            checkers: check::standard_checkers(cfg.check_timing),
            ref_traps: vec![],
            rtl_traps: vec![],
            observed: vec![],
            last_timed: 0,
            consoles,
            compare: true,
        })
    }

    /// Replace the checkers (default [`check::standard_checkers`]): e.g. one checker alone,
    /// to prove that it catches a bug by itself.
    pub fn set_checkers(&mut self, checkers: Vec<Box<dyn Checker>>) {
        self.checkers = checkers;
    }

    /// Use `checkers` instead of the standard ones (builder form of
    /// [`set_checkers`](Self::set_checkers)).
    pub fn with_checkers(mut self, checkers: Vec<Box<dyn Checker>>) -> Lockstep {
        self.checkers = checkers;
        self
    }

    /// Consult `checker` too, after the current ones (e.g. a user's checker beside the
    /// standard set).
    pub fn add_checker(&mut self, checker: Box<dyn Checker>) {
        self.checkers.push(checker);
    }

    /// The names of the checkers, in the order they are consulted.
    pub fn checker_names(&self) -> Vec<&'static str> {
        self.checkers.iter().map(|c| c.name()).collect()
    }

    /// The reference side.
    pub fn reference(&self) -> &dyn Reference {
        &self.refs
    }

    /// The DUT side.
    pub fn dut(&self) -> &dyn Dut {
        &self.rtl
    }

    fn diverge(&self, mismatch: Mismatch, step: u64, ref_rec: Option<Retire>, rtl_rec: Option<Retire>) -> Verdict {
        Verdict::Diverged(Box::new(Divergence { mismatch, cycle: Dut::cycles(&self.rtl), step, ref_rec, rtl_rec }))
    }

    /// Run to the end (quiescence or the case's step limit) comparing every step.
    pub fn run(&mut self, obs: &mut dyn Observer) -> Verdict {
        match self.run_until(obs, &|| false) {
            Some(v) => v,
            None => unreachable!("a run that is never cancelled ends with a verdict"),
        }
    }

    /// [`run`](Self::run), but polls `cancel` every [`CANCEL_POLL_STEPS`] steps and
    /// returns `None` as soon as it says so (an interrupted run has no verdict; the
    /// machines stay where they stopped).
    ///
    /// Each step: the reference retires, the DUT runs to its next retire (with its
    /// batch); every checker's [`check_advance`](Checker::check_advance) sees whether
    /// both could; the step enters the history; every checker's
    /// [`check`](Checker::check) compares it. At the end the DUT stops at a step
    /// boundary and every checker's [`check_end`](Checker::check_end) compares the end
    /// states. The first mismatch ends the run, named after its checker.
    pub fn run_until(&mut self, obs: &mut dyn Observer, cancel: &dyn Fn() -> bool) -> Option<Verdict> {
        let max = self.case.settings.max_steps;
        let mut ref_rec = Retire::default();
        let mut step = 0u64;
        loop {
            if step >= max {
                break;
            }
            if step & (CANCEL_POLL_STEPS - 1) == 0 && cancel() {
                return None;
            }
            obs.before_step(self);
            // How the reference step starts (for the timing model).
            let m = &self.refs.machine;
            let ticks0 = m.ticks;
            let cur = m.current;
            let current_running = cur != 0 && m.slot(cur).state == TaskState::Running;
            m.last_access.set(0);
            let ref_alive = Reference::next_retire(&mut self.refs, &mut ref_rec);
            Reference::drain_traps(&mut self.refs, &mut self.ref_traps);
            let dut = Dut::next_retire(&mut self.rtl, self.cfg.stuck_cycles, &mut self.observed);
            if dut.is_ok() {
                Dut::drain_traps(&mut self.rtl, &mut self.rtl_traps);
            }
            let rtl_rec = dut.as_ref().ok().copied().flatten();
            let both = ref_alive && rtl_rec.is_some();
            let monitor_error = if both { self.rtl.take_monitor_error() } else { None };
            let acx = AdvanceCtx {
                step: step + 1,
                ref_rec: ref_alive.then_some(&ref_rec),
                dut: dut.as_ref().map(|r| r.as_ref()),
                monitor_error: monitor_error.as_deref(),
                table_violation: if both { self.rtl.table_violation() } else { None },
            };
            let mut found = None;
            for c in self.checkers.iter_mut() {
                if let Some(mm) = c.check_advance(&acx) {
                    found = Some(Mismatch { check: c.name().to_string(), ..mm });
                    break;
                }
            }
            let mm = match (found, ref_alive, &dut) {
                (Some(mm), ..) => Some(mm),
                (None, false, Ok(None)) => break,
                (None, true, Ok(Some(_))) => None,
                // No checker claims it, but the sides cannot go on together.
                (None, _, d) => Some(Mismatch::new(
                    "harness",
                    "step",
                    if ref_alive { "a step of both sides" } else { "both sides quiescent" },
                    match d {
                        Err(f) => format!("{f:?}"),
                        Ok(Some(_)) => "a DUT retire".into(),
                        Ok(None) => "the DUT went idle".into(),
                    },
                )),
            };
            if let Some(mm) = mm {
                return Some(self.diverge(mm, step + 1, ref_alive.then_some(ref_rec), rtl_rec));
            }
            let Some(rtl_rec) = rtl_rec else { unreachable!("both sides retired") };
            step += 1;
            let cycle = self.rtl.retire_cycle();
            obs.after_step(self, &ref_rec, cycle);
            self.history.push(Row { cycle, ref_rec, rtl_rec: Some(rtl_rec) });
            let timed_now = self.rtl.timed_cycles();
            let timed = timed_now - self.last_timed;
            self.last_timed = timed_now;
            if self.compare {
                let acc = self.refs.machine.last_access.get();
                let m = &self.refs.machine;
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
                    dut: &self.rtl,
                    ref_traps: &self.ref_traps,
                    rtl_traps: &self.rtl_traps,
                    observed: &self.observed,
                    rtl_slots: self.rtl.step_slots(),
                    rtl_globals: self.rtl.step_globals(),
                    rtl_window: self.rtl.step_window(),
                };
                for c in self.checkers.iter_mut() {
                    if let Some(mm) = c.check(&cx) {
                        return Some(Verdict::Diverged(Box::new(Divergence {
                            mismatch: Mismatch { check: c.name().to_string(), ..mm },
                            cycle,
                            step,
                            ref_rec: Some(ref_rec),
                            rtl_rec: Some(rtl_rec),
                        })));
                    }
                }
            }
        }
        // Stop the DUT at a step boundary, then compare the ends.
        let halt = self.rtl.stop();
        let found = {
            let consoles = self.consoles.lock().unwrap_or_else(|p| p.into_inner());
            let cx = EndCtx {
                step,
                halt_error: halt.as_ref().err().map(String::as_str),
                reference: &self.refs,
                dut: &self.rtl,
                consoles: &consoles,
            };
            let mut found = None;
            for c in self.checkers.iter_mut() {
                if let Some(mm) = c.check_end(&cx) {
                    found = Some(Mismatch { check: c.name().to_string(), ..mm });
                    break;
                }
            }
            found
        };
        let found = found
            .or_else(|| halt.err().map(|e| Mismatch::new("harness", "halt", "the DUT stops at a step boundary", e)));
        if let Some(mm) = found {
            return Some(self.diverge(mm, step, None, None));
        }
        Some(Verdict::Agree { outcome: self.refs.outcome(), steps: step, cycles: Dut::cycles(&self.rtl) })
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
    let mut ls = Lockstep::new(case, *cfg)?;
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
    let waves = vcd::record(&ls.case, &ls.cfg, Some(d), vcd::WaveRange::default(), dir);
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
