//! Running one case of a regression: build it, run it in lockstep with coverage, shrink
//! and report a failing random case, record waves on request.

use super::*;

/// Build the case of a unit of work.
pub(super) fn build_case(w: &Work) -> Result<(Case, Option<TestCase>), String> {
    match w {
        Work::Directed(d) => {
            Case::from_specs(&d.name, &d.specs, d.settings).map(|c| (c, None)).map_err(|e| e.to_string())
        }
        Work::Random(seed) => {
            let tc = TestCase::generate(*seed, &GenConfig::default());
            Ok((tc.case(), Some(tc)))
        }
    }
}

/// Shrink a failing generated case: candidates must diverge in the same checker; each
/// candidate runs at most `4 × (steps to the original divergence) + 10 000` steps, and all
/// candidates together at most `opts.shrink_steps`. Deterministic (counts, no clock).
/// `cancel` (an interrupt) makes every further candidate count as passing, which ends the
/// search at once with the smallest failing case found so far.
pub(super) fn shrink_case(
    tc: &TestCase,
    check: &str,
    diverge_step: u64,
    cfg: &CosimConfig,
    opts: &RegressOptions,
    cancel: &dyn Fn() -> bool,
) -> TestCase {
    let cap = diverge_step.saturating_mul(4).saturating_add(10_000);
    let mut spent = 0u64;
    let mut pred = |c: &TestCase| -> bool {
        if spent >= opts.shrink_steps || cancel() {
            return false;
        }
        let mut case = c.case();
        case.settings.max_steps = case.settings.max_steps.min(cap);
        let Ok(mut ls) = Lockstep::from_case(&case, *cfg) else { return false };
        // Only the divergence's check is wanted here, not the sides at it: one step at a
        // time, so that a diverging candidate is not run a second time to settle it.
        ls.run_ahead = 1;
        match ls.run_until(&mut NoObserver, cancel) {
            None => false,
            Some(Verdict::Agree { steps, .. }) => {
                spent += steps;
                false
            }
            Some(Verdict::Diverged(d)) => {
                spent += d.step;
                d.mismatch.check == check
            }
        }
    };
    shrink(tc, &mut pred, opts.shrink_attempts)
}

/// How a worker talks to the run while it runs one case.
pub struct CaseCtl<'a> {
    /// Abort the case (interrupt, or it is past the `--max-failures` stop).
    pub cancel: &'a dyn Fn() -> bool,
    /// Called when the case diverged, before anything is written: waits until every
    /// earlier case is committed and says whether this failure is reported (false: it is
    /// past the `--max-failures` stop; nothing is written).
    pub may_report: &'a dyn Fn() -> bool,
    /// Why a cancelled case did not run (for its `<skipped>` message).
    pub why: &'a dyn Fn() -> String,
}

/// Run one case with coverage; write its report on a divergence (shrinking random cases
/// unless cancelled).
pub fn run_one(k: u64, w: &Work, cfg: &CosimConfig, opts: &RegressOptions, ctl: &CaseCtl) -> CaseRecord {
    let mut rec = CaseRecord::new(k, w.class(), w.name());
    let (case, tc) = match build_case(w) {
        Ok(x) => x,
        Err(e) => {
            rec.error = Some(e);
            return rec;
        }
    };
    let mut ls = match Lockstep::from_case(&case, *cfg) {
        Ok(l) => l,
        Err(e) => {
            rec.error = Some(e.to_string());
            return rec;
        }
    };
    let mut obs = CoverageObserver::default();
    let Some(verdict) = ls.run_until(&mut obs, ctl.cancel) else {
        rec.skipped = Some((ctl.why)());
        return rec;
    };
    rec.coverage = obs.cov;
    if cfg.coverage {
        rec.code = codecov::take(ls.rtl());
    }
    // Re-runs (shrinking, waves) need no coverage: the fast model.
    let cfg = &CosimConfig { coverage: false, ..*cfg };
    match verdict {
        Verdict::Agree { outcome, steps, cycles } => {
            rec.steps = steps;
            rec.cycles = cycles;
            rec.outcome = Some(outcome.name());
            if let (Some(w), true) = (&opts.waves, opts.waves_all) {
                record_waves(&case, cfg, opts.wave_range, &w.join(case.dir_name()), &mut rec);
            }
        }
        Verdict::Diverged(d) => {
            if let Some(w) = &opts.waves {
                let id =
                    if cfg.mutant != 0 { format!("{}-mutant{}", case.dir_name(), cfg.mutant) } else { case.dir_name() };
                record_waves(&case, cfg, opts.wave_range, &w.join(id), &mut rec);
            }
            rec.steps = d.step.saturating_sub(1);
            rec.cycles = ls.dut().cycles();
            if !(ctl.may_report)() {
                rec.skipped = Some((ctl.why)());
                return rec;
            }
            let run_id =
                if cfg.mutant != 0 { format!("{}-mutant{}", case.dir_name(), cfg.mutant) } else { case.dir_name() };
            let dir = opts.traces.join(&run_id);
            let mut written: Option<(crate::harness::report::Report, PathBuf)> = None;
            let mut write_error = None;
            if let (true, Some(tc), false) = (opts.shrink, &tc, (ctl.cancel)()) {
                let min = shrink_case(tc, &d.mismatch.check, d.step, cfg, opts, ctl.cancel);
                if min != *tc {
                    match run_case(&min.case(), cfg, &opts.traces) {
                        Ok(CaseResult::Diverged { mut report, dir }) => {
                            report.shrunk_from = Some(format!("seed {}, {} code words", tc.seed, tc.size()));
                            match report.write(&dir) {
                                Ok(()) => written = Some((*report, dir)),
                                Err(e) => write_error = Some(format!("{}: {e}", dir.display())),
                            }
                        }
                        Ok(CaseResult::Agree { .. }) => {}
                        Err(e) => write_error = Some(e.to_string()),
                    }
                }
            }
            if written.is_none() && write_error.is_none() {
                match write_divergence(&ls, &d, &run_id, &dir) {
                    Ok(r) => written = Some((r, dir.clone())),
                    Err(e) => write_error = Some(e.to_string()),
                }
            }
            let (mismatch, report, shrunk_from) = match written {
                Some((r, dir)) => (mismatch_line(&r.mismatch), dir.join("report.txt"), r.shrunk_from),
                None => (mismatch_line(&d.mismatch), dir.join("report.txt"), None),
            };
            rec.failure = Some(Failure { report, mismatch, shrunk_from, write_error });
        }
    }
    rec
}

/// `--waves`: a deterministic re-run with the tracer on (passing runs that were not
/// asked for waves never trace).
pub(super) fn record_waves(
    case: &Case,
    cfg: &CosimConfig,
    range: crate::harness::vcd::WaveRange,
    dir: &std::path::Path,
    rec: &mut CaseRecord,
) {
    if let Err(e) = crate::harness::vcd::record(case, cfg, None, range, dir) {
        rec.error = Some(format!("waves in {}: {e}", dir.display()));
    }
}
