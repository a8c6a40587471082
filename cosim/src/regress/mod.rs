//! `hsx regress`: directed programs and seeded random programs in lockstep (reference
//! model vs RTL) on a pool of threads, with shrinking of failing random cases, JUnit
//! output and functional coverage. docs/regress.md is the user's guide, docs/failure.md
//! what happens on signals, bad output paths and failed writes.
//!
//! * [`plan`]: the shard and the cases it runs; [`case_run`]: one case (lockstep,
//!   shrinking, waves); [`summary`]: what a case did and what the run reports;
//! * [`directed`]: which directed cases exist (examples + `; cosim:` headers);
//! * [`coverage`]: the coverage observer and its summary;
//! * [`codecov`]: RTL code coverage (`--coverage DIR`, the coverage model; its waivers and
//!   summary in `codecov/`);
//! * [`junit`]: the JUnit XML file (streamed) and a schema-conformance checker.
//!
//! Determinism: every case is a pure function of its inputs. Cases are numbered in case
//! order (directed first, then seeds) and generated when a worker takes them, never
//! listed first, so `--seeds 10^12` starts at once and memory does not grow with it.
//! Results are *committed* in case order (a bounded reorder window), and everything the
//! run reports — summary, coverage, JUnit, which failures get report folders — is decided
//! at commit time, in that order, whatever thread ran what. `--max-failures K` stops after
//! the first K failing cases **in case order**: a failing case writes its report only once
//! every earlier case is committed and fewer than K of them failed, and cases after the
//! K-th failure are not reported even if they already ran. Only the `time:` line of the
//! summary (and JUnit times with `--junit-times`) depend on the wall clock.

mod case_run;
pub mod codecov;
pub mod coverage;
pub mod directed;
pub mod junit;
pub mod merge;
mod plan;
pub mod results;
mod summary;

pub use case_run::*;
pub use plan::*;
pub use summary::*;

use crate::gen::{shrink, GenConfig, TestCase};
use crate::harness::case::Case;
use crate::harness::side::Dut;
use crate::harness::{run_case, write_divergence, CaseResult, CosimConfig, CosimError, Lockstep, NoObserver, Verdict};
use crate::interrupt::Signal;
use coverage::{Coverage, CoverageObserver};
use directed::Directed;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Errors that stop a regression before it runs (bad input or a broken tool): exit 2.
#[derive(Debug, thiserror::Error)]
pub enum RegressError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Cosim(#[from] CosimError),
}

/// Everything a regression run needs (the CLI maps its flags onto this).
#[derive(Debug, Clone)]
pub struct RegressOptions {
    pub seeds: u64,
    pub seed_start: u64,
    pub jobs: usize,
    pub shard: Shard,
    pub junit: Option<PathBuf>,
    /// Write wall-clock `time` attributes into the JUnit file (off: byte-reproducible).
    pub junit_times: bool,
    /// `--results FILE`: the shard's machine-readable results for `hsx merge`.
    pub results: Option<PathBuf>,
    pub traces: PathBuf,
    /// 0 = the real RTL.
    pub mutant: u16,
    pub check_timing: bool,
    pub directed: bool,
    pub shrink: bool,
    /// Report at most this many failing cases, the first ones in case order, and stop
    /// (`None`: run everything).
    pub max_failures: Option<u64>,
    /// Where `examples/` and `tests/programs/` are looked for.
    pub root: PathBuf,
    /// Shrinker predicate calls per failing case.
    pub shrink_attempts: usize,
    /// Total lockstep steps the shrinker may spend on one failing case.
    pub shrink_steps: u64,
    /// Draw a progress bar / progress lines on stderr.
    pub progress: bool,
    /// Waveforms on demand (docs/waves.md): each failing case's into `DIR/<run id>/`,
    /// every case's with `waves_all`, over `wave_range`.
    pub waves: Option<PathBuf>,
    pub waves_all: bool,
    pub wave_range: crate::harness::vcd::WaveRange,
    /// `--coverage DIR`: run the RTL side on the coverage model and write the summed code
    /// coverage into DIR (docs/coverage.md).
    pub coverage: Option<PathBuf>,
}

impl Default for RegressOptions {
    fn default() -> Self {
        RegressOptions {
            seeds: DEFAULT_SEEDS,
            seed_start: 0,
            jobs: 1,
            shard: Shard::default(),
            junit: None,
            junit_times: false,
            results: None,
            traces: PathBuf::from("traces"),
            mutant: 0,
            check_timing: true,
            directed: true,
            shrink: true,
            max_failures: None,
            root: PathBuf::from("."),
            shrink_attempts: 200,
            shrink_steps: 2_000_000,
            waves: None,
            waves_all: false,
            wave_range: crate::harness::vcd::WaveRange::default(),
            progress: false,
            coverage: None,
        }
    }
}

/// Default `--seeds`.
pub const DEFAULT_SEEDS: u64 = 300;

/// Not-run random cases listed one by one in the JUnit file; the rest (a seed range) is
/// one summarising `<skipped>` entry.
pub const JUNIT_SKIPPED_LISTED: u64 = 1000;

/// Failing cases kept for the summary text and the stderr lines (all are counted, and
/// all are in the JUnit file).
pub const NOTABLE_KEPT: usize = 1000;

/// How far ahead of the oldest unfinished case workers may run (bounds the reorder
/// buffer: at most this many finished cases wait to be committed).
pub const REORDER_WINDOW: u64 = 1024;

/// Progress on stderr: a bar on a terminal, else a line every 10 %.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: AtomicU64,
    decile: AtomicU64,
}

impl Progress {
    fn new(total: u64, enabled: bool) -> Progress {
        let tty = enabled && std::io::stderr().is_terminal();
        let bar = tty.then(|| {
            let b = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
            if let Ok(st) = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} cases  {msg}  [{elapsed_precise}, eta {eta}]",
            ) {
                b.set_style(st);
            }
            b
        });
        Progress { bar, total: if enabled { total } else { 0 }, done: AtomicU64::new(0), decile: AtomicU64::new(0) }
    }
    fn tick(&self, failures: u64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(b) = &self.bar {
            b.set_message(format!("{failures} failed"));
            b.inc(1);
        } else if self.total > 0 {
            let d = (done as u128 * 10 / self.total as u128) as u64;
            if self.decile.fetch_max(d, Ordering::Relaxed) < d {
                eprintln!("hsx regress: {done}/{} cases ({}%), {failures} failed", self.total, d * 10);
            }
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The committed state of a run (under one lock).
struct State {
    /// Cases `0..committed` are decided (reported, skipped or past the stop).
    committed: u64,
    /// Finished cases waiting for an earlier one (at most [`REORDER_WINDOW`]).
    pending: BTreeMap<u64, CaseRecord>,
    /// Failing cases among the committed ones.
    failures: u64,
    summary: Summary,
    junit: Option<junit::JunitWriter>,
    results: Option<results::ResultsWriter>,
}

/// What the workers share.
struct Shared<'a> {
    plan: &'a Plan,
    opts: &'a RegressOptions,
    cfg: CosimConfig,
    poll: &'a (dyn Fn() -> Option<Signal> + Sync),
    state: Mutex<State>,
    cv: Condvar,
    /// Next case index to take.
    next: AtomicU64,
    /// Cases at or after this index are not reported (set when the K-th failure is
    /// committed; `u64::MAX` until then).
    stop_at: AtomicU64,
    progress: Progress,
}

impl Shared<'_> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn stop_at(&self) -> u64 {
        self.stop_at.load(Ordering::SeqCst)
    }
    fn cancelled(&self, k: u64) -> bool {
        (self.poll)().is_some() || k >= self.stop_at()
    }
    fn why(&self) -> String {
        match (self.poll)() {
            Some(sig) => format!("not run: interrupted by {sig}"),
            None => match self.opts.max_failures {
                Some(m) => format!("not run: stopped after {m} failing case{}", if m == 1 { "" } else { "s" }),
                None => "not run".into(),
            },
        }
    }

    /// Record case `rec.index` and commit every case that is now decided, in order.
    fn commit(&self, rec: CaseRecord) {
        let mut st = self.lock();
        st.pending.insert(rec.index, rec);
        loop {
            let c = st.committed;
            let Some(r) = st.pending.remove(&c) else { break };
            st.committed += 1;
            if c >= self.stop_at() {
                continue;
            }
            let failed = r.failed() && r.skipped.is_none();
            st.summary.fold(&r);
            let times = self.opts.junit_times;
            if let Some(j) = st.junit.as_mut() {
                j.push(&r.junit(times));
            }
            if let Some(w) = st.results.as_mut() {
                w.push(&results::CaseLine::of(self.plan.global_index(c), &r));
            }
            if failed {
                st.failures += 1;
                if self.opts.max_failures.is_some_and(|m| st.failures >= m) {
                    self.stop_at.store(c + 1, Ordering::SeqCst);
                }
            }
            let nf = st.failures;
            self.progress.tick(nf);
        }
        drop(st);
        self.cv.notify_all();
    }

    /// Wait (with a timeout, so a signal is noticed) until `ready` holds.
    fn wait_until(&self, mut ready: impl FnMut(&State) -> bool) -> MutexGuard<'_, State> {
        let mut st = self.lock();
        while !ready(&st) {
            st = match self.cv.wait_timeout(st, Duration::from_millis(20)) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        st
    }

    fn worker(&self) {
        let planned = self.plan.len();
        loop {
            if (self.poll)().is_some() {
                break;
            }
            let k = self.next.fetch_add(1, Ordering::SeqCst);
            if k >= planned || k >= self.stop_at() {
                break;
            }
            // Stay within the reorder window of the oldest undecided case.
            drop(self.wait_until(|st| k < st.committed + REORDER_WINDOW || self.cancelled(k)));
            if k >= self.stop_at() {
                break;
            }
            let (class, name) = self.plan.name(k);
            if (self.poll)().is_some() {
                let mut r = CaseRecord::new(k, class, name);
                r.skipped = Some(self.why());
                self.commit(r);
                break;
            }
            let cancel = || self.cancelled(k);
            let may_report = || {
                let st = self.wait_until(|st| st.committed >= k || k >= self.stop_at() || (self.poll)().is_some());
                k < self.stop_at() && !matches!(self.opts.max_failures, Some(m) if st.failures >= m)
            };
            let why = || self.why();
            let ctl = CaseCtl { cancel: &cancel, may_report: &may_report, why: &why };
            let t0 = std::time::Instant::now();
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let w = self.plan.get(k).expect("k < planned");
                run_one(k, &w, &self.cfg, self.opts, &ctl)
            }));
            let mut rec = match run {
                Ok(r) => r,
                Err(p) => {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    let mut r = CaseRecord::new(k, class, name);
                    r.error = Some(format!("panicked: {msg}"));
                    r
                }
            };
            rec.elapsed = t0.elapsed();
            self.commit(rec);
        }
        self.cv.notify_all();
    }
}

/// Run a regression; SIGINT/SIGTERM (after [`crate::interrupt::install`]) stop it cleanly.
pub fn run(opts: &RegressOptions) -> Result<Summary, RegressError> {
    run_with(opts, &crate::interrupt::interrupted)
}

/// Run a regression, asking `poll` whether a signal asked it to stop (tests pass their
/// own). Cases are taken in order by `opts.jobs` workers; on a stop, no case is started,
/// running ones are aborted within a few milliseconds of lockstep (a divergence already
/// found is still written, without shrinking), and every case that did not run is a
/// `<skipped>` entry of the JUnit file. The JUnit file is written even then; failing to
/// write it is `Summary::junit_error`, not an `Err`, so no result is lost.
pub fn run_with(opts: &RegressOptions, poll: &(dyn Fn() -> Option<Signal> + Sync)) -> Result<Summary, RegressError> {
    if opts.jobs == 0 {
        return Err(RegressError::Invalid("--jobs must be at least 1".into()));
    }
    if opts.coverage.is_some() && opts.mutant != 0 {
        return Err(RegressError::Invalid(
            "--coverage measures the real RTL (the coverage model has no mutants): drop --mutant or --coverage".into(),
        ));
    }
    if let Some(dir) = &opts.coverage {
        std::fs::create_dir_all(dir).map_err(|source| RegressError::Io { path: dir.display().to_string(), source })?;
        codecov::Layout::get(dir).map_err(|e| RegressError::Invalid(format!("--coverage: {e}")))?;
    }
    let (plan, warnings) = plan(opts)?;
    for w in &warnings {
        eprintln!("hsx regress: warning: {w}");
    }
    let junit = match &opts.junit {
        Some(p) => {
            let io = |source| RegressError::Io { path: p.display().to_string(), source };
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            Some(junit::JunitWriter::create(p).map_err(io)?)
        }
        None => None,
    };
    let results = match &opts.results {
        Some(p) => {
            let io = |source| RegressError::Io { path: p.display().to_string(), source };
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            Some(results::ResultsWriter::create(p, &results::header(opts, &plan.directed_all)).map_err(io)?)
        }
        None => None,
    };
    let cfg = CosimConfig {
        check_timing: opts.check_timing,
        mutant: opts.mutant,
        coverage: opts.coverage.is_some(),
        ..CosimConfig::default()
    };
    let start = std::time::Instant::now();
    let threads = (opts.jobs as u64).min(plan.len()).max(1) as usize;
    let shared = Shared {
        plan: &plan,
        opts,
        cfg,
        poll,
        state: Mutex::new(State {
            committed: 0,
            pending: BTreeMap::new(),
            failures: 0,
            summary: Summary {
                planned: plan.len(),
                warnings,
                jobs: threads,
                shard: opts.shard,
                mutant: opts.mutant,
                ..Summary::default()
            },
            junit,
            results,
        }),
        cv: Condvar::new(),
        next: AtomicU64::new(0),
        stop_at: AtomicU64::new(u64::MAX),
        progress: Progress::new(plan.len(), opts.progress),
    };
    std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| shared.worker());
        }
    });
    shared.progress.finish();
    let stop_at = shared.stop_at();
    let st = shared.state.into_inner().unwrap_or_else(|p| p.into_inner());
    let State { committed, mut summary, junit, results, .. } = st;
    // Every case from the frontier on did not run (or is past the stop).
    let frontier = committed.min(stop_at).min(plan.len());
    summary.stop = match poll() {
        Some(sig) if summary.ran < plan.len() => Some(Stop::Interrupted(sig)),
        _ if stop_at < plan.len() => opts.max_failures.map(Stop::MaxFailures),
        _ => None,
    };
    summary.elapsed = start.elapsed();
    if let Some(dir) = &opts.coverage {
        summary.finish_code_coverage(dir, &opts.root);
    }
    if let Some(w) = results {
        let path = w.path().display().to_string();
        if let Err(e) = w.finish(&summary) {
            summary.results_error = Some(format!("{path}: {e}"));
        }
    }
    if let Some(mut j) = junit {
        let why = match summary.stop {
            Some(Stop::Interrupted(sig)) => format!("not run: interrupted by {sig}"),
            Some(Stop::MaxFailures(m)) => {
                format!("not run: stopped after {m} failing case{}", if m == 1 { "" } else { "s" })
            }
            None => "not run".into(),
        };
        skipped_tail(&plan, frontier, &why, &mut j);
        let path = j.path().display().to_string();
        if let Err(e) = j.finish(&summary.junit_suite(opts)) {
            summary.junit_error = Some(format!("{path}: {e}"));
        }
    }
    Ok(summary)
}

/// `<skipped>` entries for cases `from..` of the plan: every directed case and the first
/// [`JUNIT_SKIPPED_LISTED`] random ones individually, the rest as one entry naming the
/// seed range.
fn skipped_tail(plan: &Plan, from: u64, why: &str, j: &mut junit::JunitWriter) {
    let skip = |class: &str, name: String, message: String| junit::JunitCase {
        classname: class.into(),
        name,
        time: None,
        outcome: junit::Outcome::Skipped { message },
        system_out: None,
    };
    let nd = plan.directed.len() as u64;
    for k in from..nd {
        let (class, name) = plan.name(k);
        j.push(&skip(class, name, why.to_string()));
    }
    let first = from.saturating_sub(nd);
    let listed_end = plan.seed_count.min(first.saturating_add(JUNIT_SKIPPED_LISTED));
    for r in first..listed_end {
        j.push(&skip("random", format!("seed-{}", plan.seed(r)), why.to_string()));
    }
    if listed_end < plan.seed_count {
        let (a, b) = (plan.seed(listed_end), plan.seed(plan.seed_count - 1));
        let n = plan.seed_count - listed_end;
        let step = if plan.seed_step > 1 { format!(" step {}", plan.seed_step) } else { String::new() };
        j.push(&skip(
            "random",
            format!("seeds-{a}-to-{b}"),
            format!("{why}: {n} random cases, seeds {a} to {b}{step} (listed as one entry)"),
        ));
    }
}

#[cfg(test)]
mod tests;
