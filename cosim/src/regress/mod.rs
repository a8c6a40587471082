//! `hsx regress`: directed programs and seeded random programs in lockstep (reference
//! model vs RTL) on a pool of threads, with shrinking of failing random cases, JUnit
//! output and functional coverage. docs/regress.md is the user's guide.
//!
//! * [`directed`]: which directed cases exist (examples + `; cosim:` headers);
//! * [`coverage`]: the coverage observer and its summary;
//! * [`junit`]: the JUnit XML file (and a small well-formedness checker for its tests).
//!
//! Determinism: every case is a pure function of its inputs; results are collected by
//! case index and printed in that order, whatever thread ran them. Only the `time:` line
//! of the summary depends on the wall clock. With `--max-failures`, *which* cases ran
//! before the stop can depend on thread timing when `--jobs` > 1.

pub mod coverage;
pub mod directed;
pub mod junit;

use crate::gen::{shrink, GenConfig, TestCase};
use crate::harness::case::Case;
use crate::harness::{run_case, write_divergence, CaseResult, CosimConfig, CosimError, Lockstep, NoObserver, Verdict};
use coverage::{Coverage, CoverageObserver};
use directed::Directed;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Errors that stop a regression (bad input or a broken tool): exit 2.
#[derive(Debug, thiserror::Error)]
pub enum RegressError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Cosim(#[from] CosimError),
}

/// `--shard i/n`: this run takes the cases whose index `k` has `k % n == i - 1`. For seeds
/// the index is `seed - seed_start`; directed cases are indexed in discovery order (so
/// they are split over the shards too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u64,
    pub count: u64,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 1, count: 1 }
    }
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (a, b) = s.split_once('/').ok_or_else(|| format!("--shard `{s}`: expected i/n, e.g. 1/4"))?;
        let i: u64 = a.trim().parse().map_err(|_| format!("--shard `{s}`: `{a}` is not a number"))?;
        let n: u64 = b.trim().parse().map_err(|_| format!("--shard `{s}`: `{b}` is not a number"))?;
        if n == 0 || i == 0 || i > n {
            return Err(format!("--shard `{s}`: need 1 <= i <= n"));
        }
        Ok(Shard { index: i, count: n })
    }
    /// Whether the case with index `k` is this shard's.
    pub fn owns(&self, k: u64) -> bool {
        k % self.count == self.index - 1
    }
}

/// Everything a regression run needs (the CLI maps its flags onto this).
#[derive(Debug, Clone)]
pub struct RegressOptions {
    pub seeds: u64,
    pub seed_start: u64,
    pub jobs: usize,
    pub shard: Shard,
    pub junit: Option<PathBuf>,
    pub traces: PathBuf,
    /// 0 = the real RTL.
    pub mutant: u8,
    pub check_timing: bool,
    pub directed: bool,
    pub shrink: bool,
    /// Stop starting new cases after this many divergences (`None`: run everything).
    pub max_failures: Option<usize>,
    /// Where `examples/` and `tests/programs/` are looked for.
    pub root: PathBuf,
    /// Shrinker predicate calls per failing case.
    pub shrink_attempts: usize,
    /// Total lockstep steps the shrinker may spend on one failing case.
    pub shrink_steps: u64,
    /// Draw a progress bar / progress lines on stderr.
    pub progress: bool,
}

impl Default for RegressOptions {
    fn default() -> Self {
        RegressOptions {
            seeds: DEFAULT_SEEDS,
            seed_start: 0,
            jobs: 1,
            shard: Shard::default(),
            junit: None,
            traces: PathBuf::from("traces"),
            mutant: 0,
            check_timing: true,
            directed: true,
            shrink: true,
            max_failures: None,
            root: PathBuf::from("."),
            shrink_attempts: 200,
            shrink_steps: 2_000_000,
            progress: false,
        }
    }
}

/// Default `--seeds`.
pub const DEFAULT_SEEDS: u64 = 300;

/// One unit of work.
#[derive(Debug, Clone)]
pub enum Work {
    Directed(Directed),
    Random(u64),
}

impl Work {
    pub fn class(&self) -> &'static str {
        match self {
            Work::Directed(_) => "directed",
            Work::Random(_) => "random",
        }
    }
    pub fn name(&self) -> String {
        match self {
            Work::Directed(d) => d.name.clone(),
            Work::Random(s) => format!("seed-{s}"),
        }
    }
}

/// A divergence of one case, after its report was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub report: PathBuf,
    /// `check field: expected … actual …` (of the written, possibly shrunk, report).
    pub mismatch: String,
    pub shrunk_from: Option<String>,
}

/// What one case did.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub class: &'static str,
    pub name: String,
    /// Steps checked (up to the divergence).
    pub steps: u64,
    pub cycles: u64,
    /// `finished` / `stalled` / `max_steps` when they agreed.
    pub outcome: Option<&'static str>,
    pub failure: Option<Failure>,
    /// A case that could not run (bad program, model error): makes the exit code 2.
    pub error: Option<String>,
    pub coverage: Coverage,
}

/// The result of a regression.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The cases that ran, in case order.
    pub records: Vec<CaseRecord>,
    /// Cases selected (this shard) before any early stop.
    pub planned: usize,
    pub warnings: Vec<String>,
    pub coverage: Coverage,
    pub elapsed: std::time::Duration,
    pub jobs: usize,
    pub shard: Shard,
    pub mutant: u8,
}

impl Summary {
    pub fn diverged(&self) -> usize {
        self.records.iter().filter(|r| r.failure.is_some()).count()
    }
    pub fn errors(&self) -> usize {
        self.records.iter().filter(|r| r.error.is_some()).count()
    }
    /// 0 all agree, 1 some diverged, 2 some case could not run.
    pub fn exit_code(&self) -> i32 {
        if self.errors() > 0 {
            2
        } else if self.diverged() > 0 {
            1
        } else {
            0
        }
    }
    pub fn total_steps(&self) -> u64 {
        self.records.iter().map(|r| r.steps).sum()
    }
    pub fn total_cycles(&self) -> u64 {
        self.records.iter().map(|r| r.cycles).sum()
    }

    /// The stdout summary (deterministic except the `time:` line).
    pub fn text(&self) -> String {
        let n = self.records.len();
        let nd = self.records.iter().filter(|r| r.class == "directed").count();
        let agreed = self.records.iter().filter(|r| r.failure.is_none() && r.error.is_none()).count();
        let mut s = format!(
            "hsx regress: {n} cases run ({nd} directed, {} random) of {} in shard {}/{}{}\n",
            n - nd,
            self.planned,
            self.shard.index,
            self.shard.count,
            match crate::mutants::by_number(self.mutant) {
                Some(m) => format!(", mutant {} ({})", m.name, m.number),
                None => String::new(),
            }
        );
        s.push_str(&format!("  agreed {agreed}, diverged {}, errors {}\n", self.diverged(), self.errors()));
        let count = |o: &str| self.records.iter().filter(|r| r.outcome == Some(o)).count();
        s.push_str(&format!(
            "  outcomes: finished {}, stalled {}, max_steps {}\n",
            count("finished"),
            count("stalled"),
            count("max_steps")
        ));
        s.push_str(&format!("  checked retires {}, RTL cycles {}\n", self.total_steps(), self.total_cycles()));
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        s.push_str(&format!(
            "  time: {:.1} s with {} jobs: {:.1} cases/s, {:.0} checked retires/s\n",
            secs,
            self.jobs,
            n as f64 / secs,
            self.total_steps() as f64 / secs
        ));
        for r in &self.records {
            if let Some(f) = &r.failure {
                s.push_str(&format!("  DIVERGED {} {}: {} ({})\n", r.class, r.name, f.mismatch, f.report.display()));
            }
            if let Some(e) = &r.error {
                s.push_str(&format!("  ERROR {} {}: {e}\n", r.class, r.name));
            }
        }
        s.push_str(&self.coverage.text());
        s
    }

    /// The JUnit cases.
    pub fn junit(&self) -> String {
        let cases: Vec<junit::JunitCase> = self
            .records
            .iter()
            .map(|r| junit::JunitCase {
                classname: r.class.to_string(),
                name: r.name.clone(),
                assertions: r.steps,
                failure: match (&r.failure, &r.error) {
                    (Some(f), _) => Some((
                        format!("{}: {}", f.report.display(), f.mismatch),
                        format!(
                            "report: {}\nmismatch: {}\n{}replay: hsx replay {}\n",
                            f.report.display(),
                            f.mismatch,
                            f.shrunk_from.as_ref().map(|s| format!("shrunk from: {s}\n")).unwrap_or_default(),
                            f.report.with_file_name("report.json").display()
                        ),
                    )),
                    (None, Some(e)) => Some((format!("error: {e}"), e.clone())),
                    (None, None) => None,
                },
            })
            .collect();
        junit::render(&cases)
    }
}

/// The cases of this shard, in order: directed first (if any), then seeds.
pub fn plan(opts: &RegressOptions) -> Result<(Vec<Work>, Vec<String>), RegressError> {
    let mut work = vec![];
    let mut warnings = vec![];
    if opts.directed {
        let (ds, w) = directed::discover(&opts.root)?;
        warnings.extend(w);
        work.extend(
            ds.into_iter().enumerate().filter(|(k, _)| opts.shard.owns(*k as u64)).map(|(_, d)| Work::Directed(d)),
        );
    }
    let end = opts
        .seed_start
        .checked_add(opts.seeds)
        .ok_or_else(|| RegressError::Invalid("--seed-start + --seeds overflows".into()))?;
    work.extend((opts.seed_start..end).filter(|s| opts.shard.owns(s - opts.seed_start)).map(Work::Random));
    Ok((work, warnings))
}

fn mismatch_line(m: &crate::harness::check::Mismatch) -> String {
    format!("{} {}: expected {} actual {}", m.check, m.field, m.expected, m.actual)
}

/// Build the case of a unit of work.
fn build_case(w: &Work) -> Result<(Case, Option<TestCase>), String> {
    match w {
        Work::Directed(d) => {
            Case::from_specs(&d.name, &d.specs, d.settings).map(|c| (c, None)).map_err(|e| e.to_string())
        }
        Work::Random(seed) => {
            let tc = TestCase::generate(*seed, &GenConfig::default());
            Ok((Case::from_generated(&tc), Some(tc)))
        }
    }
}

/// Shrink a failing generated case: candidates must diverge in the same checker; each
/// candidate runs at most `4 × (steps to the original divergence) + 10 000` steps, and all
/// candidates together at most `opts.shrink_steps`. Deterministic (counts, no clock).
fn shrink_case(tc: &TestCase, check: &str, diverge_step: u64, cfg: &CosimConfig, opts: &RegressOptions) -> TestCase {
    let cap = diverge_step.saturating_mul(4).saturating_add(10_000);
    let mut spent = 0u64;
    let mut pred = |c: &TestCase| -> bool {
        if spent >= opts.shrink_steps {
            return false;
        }
        let mut case = Case::from_generated(c);
        case.settings.max_steps = case.settings.max_steps.min(cap);
        let Ok(mut ls) = Lockstep::new(&case, *cfg) else { return false };
        match ls.run(&mut NoObserver) {
            Verdict::Agree { steps, .. } => {
                spent += steps;
                false
            }
            Verdict::Diverged(d) => {
                spent += d.step;
                d.mismatch.check == check
            }
        }
    };
    shrink(tc, &mut pred, opts.shrink_attempts)
}

/// Run one case with coverage; write its report on a divergence (shrinking random cases).
pub fn run_one(w: &Work, cfg: &CosimConfig, opts: &RegressOptions) -> CaseRecord {
    let mut rec = CaseRecord {
        class: w.class(),
        name: w.name(),
        steps: 0,
        cycles: 0,
        outcome: None,
        failure: None,
        error: None,
        coverage: Coverage::default(),
    };
    let (case, tc) = match build_case(w) {
        Ok(x) => x,
        Err(e) => {
            rec.error = Some(e);
            return rec;
        }
    };
    let mut ls = match Lockstep::new(&case, *cfg) {
        Ok(l) => l,
        Err(e) => {
            rec.error = Some(e.to_string());
            return rec;
        }
    };
    let mut obs = CoverageObserver::default();
    let verdict = ls.run(&mut obs);
    rec.coverage = obs.cov;
    match verdict {
        Verdict::Agree { outcome, steps, cycles } => {
            rec.steps = steps;
            rec.cycles = cycles;
            rec.outcome = Some(outcome.name());
        }
        Verdict::Diverged(d) => {
            rec.steps = d.step.saturating_sub(1);
            rec.cycles = ls.rtl.rtl.cycles();
            let run_id =
                if cfg.mutant != 0 { format!("{}-mutant{}", case.dir_name(), cfg.mutant) } else { case.dir_name() };
            let dir = opts.traces.join(&run_id);
            let mut written: Option<(crate::harness::report::Report, PathBuf)> = None;
            if let (true, Some(tc)) = (opts.shrink, &tc) {
                let min = shrink_case(tc, &d.mismatch.check, d.step, cfg, opts);
                if min != *tc {
                    if let Ok(CaseResult::Diverged { mut report, dir }) =
                        run_case(&Case::from_generated(&min), cfg, &opts.traces)
                    {
                        report.shrunk_from = Some(format!("seed {}, {} code words", tc.seed, tc.size()));
                        match report.write(&dir) {
                            Ok(()) => written = Some((*report, dir)),
                            Err(e) => rec.error = Some(format!("{}: {e}", dir.display())),
                        }
                    }
                }
            }
            if written.is_none() {
                match write_divergence(&ls, &d, &run_id, &dir) {
                    Ok(r) => written = Some((r, dir.clone())),
                    Err(e) => rec.error = Some(e.to_string()),
                }
            }
            let (mismatch, report, shrunk_from) = match written {
                Some((r, dir)) => (mismatch_line(&r.mismatch), dir.join("report.txt"), r.shrunk_from),
                None => (mismatch_line(&d.mismatch), dir.join("report.txt"), None),
            };
            rec.failure = Some(Failure { report, mismatch, shrunk_from });
        }
    }
    rec
}

/// Progress on stderr: a bar on a terminal, else a line every 10 %.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: AtomicUsize,
    decile: AtomicUsize,
}

impl Progress {
    fn new(total: usize, enabled: bool) -> Progress {
        let tty = enabled && std::io::stderr().is_terminal();
        let bar = tty.then(|| {
            let b =
                indicatif::ProgressBar::with_draw_target(Some(total as u64), indicatif::ProgressDrawTarget::stderr());
            if let Ok(st) = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} cases  {msg}  [{elapsed_precise}, eta {eta}]",
            ) {
                b.set_style(st);
            }
            b
        });
        Progress { bar, total: if enabled { total } else { 0 }, done: AtomicUsize::new(0), decile: AtomicUsize::new(0) }
    }
    fn tick(&self, failures: usize) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(b) = &self.bar {
            b.set_message(format!("{failures} diverged"));
            b.inc(1);
        } else if let Some(d) = (done * 10).checked_div(self.total) {
            if self.decile.fetch_max(d, Ordering::SeqCst) < d {
                eprintln!("hsx regress: {done}/{} cases ({}%), {failures} diverged", self.total, d * 10);
            }
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Run a regression.
pub fn run(opts: &RegressOptions) -> Result<Summary, RegressError> {
    if opts.jobs == 0 {
        return Err(RegressError::Invalid("--jobs must be at least 1".into()));
    }
    let (work, warnings) = plan(opts)?;
    for w in &warnings {
        eprintln!("hsx regress: warning: {w}");
    }
    let cfg = CosimConfig { check_timing: opts.check_timing, mutant: opts.mutant, ..CosimConfig::default() };
    let start = std::time::Instant::now();
    let next = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<CaseRecord>>> = Mutex::new(vec![None; work.len()]);
    let progress = Progress::new(work.len(), opts.progress);
    let threads = opts.jobs.min(work.len()).max(1);
    std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(w) = work.get(k) else { break };
                let rec = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_one(w, &cfg, opts))) {
                    Ok(r) => r,
                    Err(p) => {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        CaseRecord {
                            class: w.class(),
                            name: w.name(),
                            steps: 0,
                            cycles: 0,
                            outcome: None,
                            failure: None,
                            error: Some(format!("panicked: {msg}")),
                            coverage: Coverage::default(),
                        }
                    }
                };
                let failed = rec.failure.is_some() || rec.error.is_some();
                if let Ok(mut r) = results.lock() {
                    r[k] = Some(rec);
                }
                let nf =
                    if failed { failures.fetch_add(1, Ordering::SeqCst) + 1 } else { failures.load(Ordering::SeqCst) };
                progress.tick(nf);
                if let Some(max) = opts.max_failures {
                    if nf >= max {
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    progress.finish();
    let records: Vec<CaseRecord> = results.into_inner().unwrap_or_default().into_iter().flatten().collect();
    let mut coverage = Coverage::default();
    for r in &records {
        coverage.merge(&r.coverage);
    }
    let summary = Summary {
        planned: work.len(),
        records,
        warnings,
        coverage,
        elapsed: start.elapsed(),
        jobs: threads,
        shard: opts.shard,
        mutant: opts.mutant,
    };
    if let Some(path) = &opts.junit {
        write_file(path, &summary.junit())?;
    }
    Ok(summary)
}

fn write_file(path: &Path, text: &str) -> Result<(), RegressError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| RegressError::Io { path: dir.display().to_string(), source })?;
    }
    std::fs::write(path, text).map_err(|source| RegressError::Io { path: path.display().to_string(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_seeds_exactly() {
        for start in [0u64, 7, 1000] {
            for n in 1..=5u64 {
                let mut owners = vec![0u32; 37];
                for i in 1..=n {
                    let o = RegressOptions {
                        seeds: 37,
                        seed_start: start,
                        shard: Shard { index: i, count: n },
                        directed: false,
                        ..RegressOptions::default()
                    };
                    let (work, _) = plan(&o).unwrap();
                    for w in work {
                        match w {
                            Work::Random(s) => owners[(s - start) as usize] += 1,
                            Work::Directed(_) => panic!("directed case with --no-directed"),
                        }
                    }
                }
                assert!(owners.iter().all(|&c| c == 1), "n={n} start={start}: {owners:?}");
            }
        }
    }

    #[test]
    fn shard_parsing() {
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        for bad in ["0/3", "4/3", "1/0", "1", "a/2", "1/b", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let s = Shard { index: 3, count: 3 };
        assert!(s.owns(2) && s.owns(5) && !s.owns(0) && !s.owns(4));
    }

    #[test]
    fn directed_cases_are_split_over_shards_too() {
        let root = std::env::temp_dir().join(format!("hsx-regress-shard-{}", std::process::id()));
        std::fs::create_dir_all(root.join("examples")).unwrap();
        let names = |i, n| {
            let o = RegressOptions {
                seeds: 0,
                shard: Shard { index: i, count: n },
                root: root.clone(),
                ..RegressOptions::default()
            };
            plan(&o).unwrap().0.iter().map(|w| w.name()).collect::<Vec<_>>()
        };
        assert_eq!(names(1, 1), vec!["hello", "demo", "sleep", "overflow"]);
        assert_eq!(names(1, 3), vec!["hello", "overflow"]);
        assert_eq!(names(2, 3), vec!["demo"]);
        assert_eq!(names(3, 3), vec!["sleep"]);
        let _ = std::fs::remove_dir_all(&root);
    }

    fn tmp(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("hsx-regress-{tag}-{}", std::process::id()))
    }

    #[test]
    fn small_regression_is_deterministic_across_jobs() {
        let run_with = |jobs| {
            let o = RegressOptions {
                seeds: 8,
                seed_start: 100,
                jobs,
                directed: false,
                traces: tmp("det"),
                ..RegressOptions::default()
            };
            run(&o).unwrap()
        };
        let (a, b) = (run_with(1), run_with(2));
        assert_eq!(a.exit_code(), 0, "{}", a.text());
        let key =
            |s: &Summary| s.records.iter().map(|r| (r.name.clone(), r.steps, r.cycles, r.outcome)).collect::<Vec<_>>();
        assert_eq!(key(&a), key(&b));
        assert_eq!(a.records.len(), 8);
        assert_eq!(a.records[0].name, "seed-100");
        assert!(a.total_steps() > 0 && a.total_cycles() > a.total_steps());
        assert_eq!(a.coverage, b.coverage);
        let retired: u64 = a.coverage.opcodes.values().map(|c| c.retired + c.faulted).sum::<u64>()
            + a.coverage.illegal
            + a.coverage.no_fetch;
        assert_eq!(retired, a.total_steps(), "every checked retire is counted once");
        assert_eq!(a.junit(), b.junit());
    }

    #[test]
    fn mutant_is_caught_shrunk_and_reported() {
        let traces = tmp("mut");
        let junit = traces.join("junit.xml");
        let o = RegressOptions {
            seeds: 80,
            jobs: 1,
            directed: false,
            mutant: crate::mutants::resolve("add-v").unwrap(),
            max_failures: Some(1),
            traces: traces.clone(),
            junit: Some(junit.clone()),
            ..RegressOptions::default()
        };
        let s = run(&o).unwrap();
        assert_eq!(s.exit_code(), 1, "{}", s.text());
        assert_eq!(s.diverged(), 1, "stops after the first divergence with one job");
        let r = s.records.last().unwrap();
        let f = r.failure.as_ref().unwrap();
        assert!(f.report.exists() && f.report.with_file_name("rtl.vcd").exists(), "{}", f.report.display());
        assert!(f.report.to_string_lossy().contains("-mutant1"));
        assert!(f.shrunk_from.as_deref().is_some_and(|x| x.starts_with("seed ")), "{f:?}");
        let x = std::fs::read_to_string(&junit).unwrap();
        junit::check_well_formed(&x).unwrap();
        assert!(x.contains("<failure message="), "{x}");
        let _ = std::fs::remove_dir_all(&traces);
    }

    #[test]
    fn seed_range_overflow_is_bad_input() {
        let o = RegressOptions { seeds: 2, seed_start: u64::MAX, directed: false, ..RegressOptions::default() };
        assert!(matches!(plan(&o), Err(RegressError::Invalid(_))));
    }

    #[test]
    fn summary_junit_and_exit_code() {
        let rec = |name: &str, failure: Option<Failure>| CaseRecord {
            class: "random",
            name: name.into(),
            steps: 10,
            cycles: 30,
            outcome: if failure.is_none() { Some("finished") } else { None },
            failure,
            error: None,
            coverage: Coverage::default(),
        };
        let mut s = Summary {
            records: vec![rec("seed-1", None)],
            planned: 2,
            warnings: vec![],
            coverage: Coverage::default(),
            elapsed: std::time::Duration::from_secs(1),
            jobs: 1,
            shard: Shard::default(),
            mutant: 0,
        };
        assert_eq!(s.exit_code(), 0);
        s.records.push(rec(
            "seed-2",
            Some(Failure {
                report: PathBuf::from("traces/seed-2/report.txt"),
                mismatch: "retire psw: expected <a> actual \"b\"".into(),
                shrunk_from: Some("seed 2, 40 code words".into()),
            }),
        ));
        assert_eq!(s.exit_code(), 1);
        let x = s.junit();
        junit::check_well_formed(&x).unwrap();
        assert!(x.contains("traces/seed-2/report.txt: retire psw: expected &lt;a&gt; actual &quot;b&quot;"), "{x}");
        assert!(x.contains("hsx replay traces/seed-2/report.json"), "{x}");
        let t = s.text();
        assert!(t.contains("agreed 1, diverged 1"), "{t}");
        assert!(t.contains("checked retires 20, RTL cycles 60"), "{t}");
    }
}
