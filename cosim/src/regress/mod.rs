//! `hsx regress`: directed programs and seeded random programs in lockstep (reference
//! model vs RTL) on a pool of threads, with shrinking of failing random cases, JUnit
//! output and functional coverage. docs/regress.md is the user's guide, docs/failure.md
//! what happens on signals, bad output paths and failed writes.
//!
//! * [`directed`]: which directed cases exist (examples + `; cosim:` headers);
//! * [`coverage`]: the coverage observer and its summary;
//! * [`codecov`]: RTL code coverage (`--coverage DIR`, the coverage model);
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

pub mod codecov;
pub mod coverage;
pub mod directed;
pub mod junit;
pub mod merge;
pub mod results;

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
    /// `--shard auto`: i/n from a cluster scheduler's environment — a Slurm job array
    /// (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_MAX` or
    /// `SLURM_ARRAY_TASK_COUNT`) or a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, with
    /// the Job's `completions` passed as `HSX_SHARD_COUNT`). `env` looks a variable up.
    pub fn auto(env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let num = |name: &str| -> Result<Option<u64>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => {
                    v.trim().parse::<u64>().map(Some).map_err(|_| format!("--shard auto: {name}=`{v}` is not a number"))
                }
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.ok_or(
                "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not (is this a Slurm job array?)",
            )?;
            let span = match num("SLURM_ARRAY_TASK_MAX")? {
                Some(max) if max >= min => Some(max - min + 1),
                Some(max) => {
                    return Err(format!("--shard auto: SLURM_ARRAY_TASK_MAX {max} < SLURM_ARRAY_TASK_MIN {min}"))
                }
                None => None,
            };
            let count = num("SLURM_ARRAY_TASK_COUNT")?;
            let n = match (span, count) {
                (Some(a), Some(c)) if a != c => {
                    return Err(format!(
                        "--shard auto: the job array's ids are not one contiguous range ({c} tasks in                          {min}..={}): submit it as --array=A-B (no step, no list)",
                        min + a - 1
                    ))
                }
                (Some(a), _) => a,
                (None, Some(c)) => c,
                (None, None) => {
                    return Err("--shard auto: neither SLURM_ARRAY_TASK_MAX nor SLURM_ARRAY_TASK_COUNT is set".into())
                }
            };
            if let Some(step) = num("SLURM_ARRAY_TASK_STEP")? {
                if step != 1 {
                    return Err(format!("--shard auto: the job array has step {step}: submit it as --array=A-B"));
                }
            }
            if id < min || id - min >= n {
                return Err(format!("--shard auto: SLURM_ARRAY_TASK_ID {id} is outside the array {min}..{}", min + n));
            }
            return Ok(Shard { index: id - min + 1, count: n });
        }
        if let Some(idx) = num("JOB_COMPLETION_INDEX")? {
            let n = num("HSX_SHARD_COUNT")?.ok_or(
                "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but HSX_SHARD_COUNT is not: \
                 set it to the Job's `completions` in the pod template",
            )?;
            if n == 0 || idx >= n {
                return Err(format!("--shard auto: JOB_COMPLETION_INDEX {idx} is not below HSX_SHARD_COUNT {n}"));
            }
            return Ok(Shard { index: idx + 1, count: n });
        }
        Err("--shard auto: no cluster scheduler's environment found (a Slurm job array sets \
             SLURM_ARRAY_TASK_ID; a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX, with HSX_SHARD_COUNT \
             from you); give --shard I/N instead"
            .into())
    }
    /// Whether the case with index `k` is this shard's.
    pub fn owns(&self, k: u64) -> bool {
        k % self.count == self.index - 1
    }
    /// How many of the indices `0..n` this shard owns.
    pub fn count_of(&self, n: u64) -> u64 {
        let first = self.index - 1;
        if n <= first {
            0
        } else {
            (n - first - 1) / self.count + 1
        }
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

/// The cases of this shard, in case order: directed first, then seeds. Seeds are not
/// listed: case `k` is computed when it is taken.
#[derive(Debug, Clone)]
pub struct Plan {
    /// This shard's directed cases.
    pub directed: Vec<Directed>,
    /// The first seed of this shard.
    pub first_seed: u64,
    /// Distance between this shard's seeds (the shard count).
    pub seed_step: u64,
    /// This shard's seeds.
    pub seed_count: u64,
    /// Every directed case of the regression (all shards), in case order.
    pub directed_all: Vec<String>,
    /// The shard this plan is of.
    pub shard: Shard,
    pub seed_start: u64,
}

impl Plan {
    /// Cases in this shard.
    pub fn len(&self) -> u64 {
        self.directed.len() as u64 + self.seed_count
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The seed of the `j`-th random case.
    pub fn seed(&self, j: u64) -> u64 {
        self.first_seed + j * self.seed_step
    }
    /// Case `k`.
    pub fn get(&self, k: u64) -> Option<Work> {
        let nd = self.directed.len() as u64;
        if k < nd {
            Some(Work::Directed(self.directed[k as usize].clone()))
        } else if k - nd < self.seed_count {
            Some(Work::Random(self.seed(k - nd)))
        } else {
            None
        }
    }
    /// The index of this shard's case `k` in the single-process run's case order (all
    /// directed cases, then seeds from `--seed-start`): what `--results` files carry.
    pub fn global_index(&self, k: u64) -> u64 {
        let nd = self.directed.len() as u64;
        if k < nd {
            k * self.shard.count + (self.shard.index - 1)
        } else {
            self.directed_all.len() as u64 + (self.seed(k - nd) - self.seed_start)
        }
    }
    /// Class and name of case `k` without building it.
    pub fn name(&self, k: u64) -> (&'static str, String) {
        let nd = self.directed.len() as u64;
        if k < nd {
            ("directed", self.directed[k as usize].name.clone())
        } else {
            ("random", format!("seed-{}", self.seed(k - nd)))
        }
    }
}

/// The cases of this shard (directed cases are discovered now; seeds are computed).
pub fn plan(opts: &RegressOptions) -> Result<(Plan, Vec<String>), RegressError> {
    let mut directed = vec![];
    let mut directed_all = vec![];
    let mut warnings = vec![];
    if opts.directed {
        let (ds, w) = directed::discover(&opts.root)?;
        warnings.extend(w);
        directed_all = ds.iter().map(|d| d.name.clone()).collect();
        directed.extend(ds.into_iter().enumerate().filter(|(k, _)| opts.shard.owns(*k as u64)).map(|(_, d)| d));
    }
    opts.seed_start
        .checked_add(opts.seeds)
        .ok_or_else(|| RegressError::Invalid("--seed-start + --seeds overflows".into()))?;
    let seed_count = opts.shard.count_of(opts.seeds);
    Ok((
        Plan {
            directed,
            first_seed: opts.seed_start.saturating_add(opts.shard.index - 1),
            seed_step: opts.shard.count,
            seed_count,
            directed_all,
            shard: opts.shard,
            seed_start: opts.seed_start,
        },
        warnings,
    ))
}

/// A divergence of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Where its `report.txt` is (or would have been, see `write_error`).
    pub report: PathBuf,
    /// `check field: expected … actual …` (of the written, possibly shrunk, report).
    pub mismatch: String,
    pub shrunk_from: Option<String>,
    /// The report or VCDs could not be written: the divergence still counts (exit 1).
    pub write_error: Option<String>,
}

/// What one case did.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    /// Case index (case order).
    pub index: u64,
    pub class: &'static str,
    pub name: String,
    /// Steps checked (up to the divergence).
    pub steps: u64,
    pub cycles: u64,
    /// `finished` / `stalled` / `max_steps` when they agreed.
    pub outcome: Option<&'static str>,
    pub failure: Option<Failure>,
    /// A case that could not run (bad program, model error, panic).
    pub error: Option<String>,
    /// Not run (interrupted before or while it ran): why.
    pub skipped: Option<String>,
    pub coverage: Coverage,
    /// RTL code coverage of the case: the coverage model's raw counters (`--coverage`;
    /// empty otherwise).
    pub code: Vec<u32>,
    /// Wall clock spent on it (JUnit `time` with `--junit-times` only).
    pub elapsed: Duration,
}

impl CaseRecord {
    fn new(index: u64, class: &'static str, name: String) -> CaseRecord {
        CaseRecord {
            index,
            class,
            name,
            steps: 0,
            cycles: 0,
            outcome: None,
            failure: None,
            error: None,
            skipped: None,
            coverage: Coverage::default(),
            code: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }
    /// Counts against `--max-failures`.
    pub fn failed(&self) -> bool {
        self.failure.is_some() || self.error.is_some()
    }

    /// Its JUnit test case.
    pub fn junit(&self, times: bool) -> junit::JunitCase {
        let outcome = if let Some(f) = &self.failure {
            let replay = f.report.with_file_name("report.json");
            match &f.write_error {
                None => junit::Outcome::Failure {
                    message: format!("{}: {}", f.report.display(), f.mismatch),
                    body: format!(
                        "report: {}\nmismatch: {}\n{}replay: hsx replay {}\n",
                        f.report.display(),
                        f.mismatch,
                        f.shrunk_from.as_ref().map(|s| format!("shrunk from: {s}\n")).unwrap_or_default(),
                        replay.display()
                    ),
                },
                Some(e) => junit::Outcome::Failure {
                    message: format!("{} (report not written: {e})", f.mismatch),
                    body: format!("mismatch: {}\nreport not written: {e}\n", f.mismatch),
                },
            }
        } else if let Some(e) = &self.error {
            junit::Outcome::Error { message: e.clone(), body: e.clone() }
        } else if let Some(why) = &self.skipped {
            junit::Outcome::Skipped { message: why.clone() }
        } else {
            junit::Outcome::Passed
        };
        let system_out = (self.skipped.is_none() && self.error.is_none()).then(|| match self.outcome {
            Some(o) => format!("{o}: {} checked retires, {} RTL cycles", self.steps, self.cycles),
            None => format!("diverged after {} checked retires, {} RTL cycles", self.steps, self.cycles),
        });
        junit::JunitCase {
            classname: self.class.to_string(),
            name: self.name.clone(),
            time: times.then_some(self.elapsed.as_secs_f64()),
            outcome,
            system_out,
        }
    }
}

/// Why a regression stopped before running every case of its shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT / SIGTERM.
    Interrupted(Signal),
    /// `--max-failures K` reached.
    MaxFailures(u64),
}

/// The result of a regression: counts over every reported case, the failing cases (the
/// first [`NOTABLE_KEPT`]), coverage. Bounded whatever the number of cases.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Cases selected (this shard).
    pub planned: u64,
    /// Cases that ran and are reported (case order, a prefix of the shard's cases except
    /// for cases interrupted while they ran).
    pub ran: u64,
    pub ran_directed: u64,
    pub agreed: u64,
    pub diverged: u64,
    pub errors: u64,
    /// Divergences whose report could not be written.
    pub write_errors: u64,
    /// Agreeing cases by outcome: finished, stalled, max_steps.
    pub outcomes: [u64; 3],
    pub total_steps: u64,
    pub total_cycles: u64,
    /// Failing cases (divergences and errors), the first [`NOTABLE_KEPT`] in case order.
    pub notable: Vec<CaseRecord>,
    /// Failing cases not kept in `notable`.
    pub notable_dropped: u64,
    /// Why the run stopped early, if it did.
    pub stop: Option<Stop>,
    /// The JUnit file could not be written (the results above stand).
    pub junit_error: Option<String>,
    /// The `--results` file could not be written (the results above stand).
    pub results_error: Option<String>,
    pub warnings: Vec<String>,
    pub coverage: Coverage,
    /// The coverage model's raw counters summed over the reported cases (`--coverage`).
    pub code_raw: Vec<u64>,
    /// RTL code coverage of the run (from `code_raw`, or merged from the shards' files).
    pub code: codecov::CodeCoverage,
    /// Its per-module figures and uncovered lines (printed after the functional coverage).
    pub code_report: Option<codecov::Report>,
    /// Where the code coverage was written (`DIR/coverage.dat`), for `--results`.
    pub code_dat: Option<PathBuf>,
    /// Notes about the coverage outputs (a missing `genhtml`, …), for stderr.
    pub code_notes: Vec<String>,
    /// The coverage outputs could not be written (the results above stand).
    pub code_error: Option<String>,
    pub elapsed: Duration,
    pub jobs: usize,
    pub shard: Shard,
    pub mutant: u16,
}

impl Summary {
    pub fn diverged(&self) -> u64 {
        self.diverged
    }
    pub fn errors(&self) -> u64 {
        self.errors
    }
    /// Cases of the shard not run (or not reported: after the `--max-failures` stop).
    pub fn not_run(&self) -> u64 {
        self.planned - self.ran
    }
    pub fn interrupted(&self) -> Option<Signal> {
        match self.stop {
            Some(Stop::Interrupted(s)) => Some(s),
            _ => None,
        }
    }
    /// 130 / 143 interrupted; else 1 if any case diverged (even if its report or the JUnit
    /// could not be written); else 2 if a case could not run, a report or the JUnit could
    /// not be written; else 0.
    pub fn exit_code(&self) -> i32 {
        if let Some(s) = self.interrupted() {
            s.exit_code()
        } else if self.diverged > 0 {
            1
        } else if self.errors > 0
            || self.write_errors > 0
            || self.junit_error.is_some()
            || self.results_error.is_some()
            || self.code_error.is_some()
        {
            2
        } else {
            0
        }
    }
    pub fn total_steps(&self) -> u64 {
        self.total_steps
    }
    pub fn total_cycles(&self) -> u64 {
        self.total_cycles
    }

    fn fold(&mut self, r: &CaseRecord) {
        if r.skipped.is_some() {
            return;
        }
        self.ran += 1;
        if r.class == "directed" {
            self.ran_directed += 1;
        }
        self.total_steps += r.steps;
        self.total_cycles += r.cycles;
        self.coverage.merge(&r.coverage);
        codecov::add_raw(&mut self.code_raw, &r.code);
        if let Some(f) = &r.failure {
            self.diverged += 1;
            if f.write_error.is_some() {
                self.write_errors += 1;
            }
        } else if r.error.is_some() {
            self.errors += 1;
        } else {
            self.agreed += 1;
            match r.outcome {
                Some("finished") => self.outcomes[0] += 1,
                Some("stalled") => self.outcomes[1] += 1,
                Some("max_steps") => self.outcomes[2] += 1,
                _ => {}
            }
        }
        if r.failed() {
            if self.notable.len() < NOTABLE_KEPT {
                let mut keep = r.clone();
                keep.coverage = Coverage::default();
                keep.code = Vec::new();
                self.notable.push(keep);
            } else {
                self.notable_dropped += 1;
            }
        }
    }

    /// The stdout summary (deterministic except the `time:` line).
    pub fn text(&self) -> String {
        let n = self.ran;
        let nd = self.ran_directed;
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
        match self.stop {
            Some(Stop::Interrupted(sig)) => s.push_str(&format!(
                "  INTERRUPTED by {sig}: {} cases not run (skipped in the JUnit file)\n",
                self.not_run()
            )),
            Some(Stop::MaxFailures(k)) => s.push_str(&format!(
                "  stopped after the first {k} failing case{} in case order (--max-failures): {} cases not run\n",
                if k == 1 { "" } else { "s" },
                self.not_run()
            )),
            None => {}
        }
        s.push_str(&format!("  agreed {}, diverged {}, errors {}\n", self.agreed, self.diverged, self.errors));
        s.push_str(&format!(
            "  outcomes: finished {}, stalled {}, max_steps {}\n",
            self.outcomes[0], self.outcomes[1], self.outcomes[2]
        ));
        s.push_str(&format!("  checked retires {}, RTL cycles {}\n", self.total_steps, self.total_cycles));
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        s.push_str(&format!(
            "  time: {:.1} s with {} jobs: {:.1} cases/s, {:.0} checked retires/s\n",
            secs,
            self.jobs,
            n as f64 / secs,
            self.total_steps as f64 / secs
        ));
        for r in &self.notable {
            if let Some(f) = &r.failure {
                match &f.write_error {
                    None => s.push_str(&format!(
                        "  DIVERGED {} {}: {} ({})\n",
                        r.class,
                        r.name,
                        f.mismatch,
                        f.report.display()
                    )),
                    Some(e) => s.push_str(&format!(
                        "  DIVERGED {} {}: {} (report not written: {e})\n",
                        r.class, r.name, f.mismatch
                    )),
                }
            }
            if let Some(e) = &r.error {
                s.push_str(&format!("  ERROR {} {}: {e}\n", r.class, r.name));
            }
        }
        if self.notable_dropped > 0 {
            s.push_str(&format!("  … and {} more failing cases (all in the JUnit file)\n", self.notable_dropped));
        }
        s.push_str(&self.coverage.text());
        if let Some(r) = &self.code_report {
            s.push_str(&r.text());
        }
        s
    }

    /// `--coverage DIR`: write the summed code coverage and its reports into `dir` and
    /// keep the report for [`text`](Summary::text). A failure to write is `code_error`.
    pub fn finish_code_coverage(&mut self, dir: &std::path::Path, root: &std::path::Path) {
        if self.code.is_empty() {
            match codecov::Layout::get(dir) {
                Ok(l) => self.code = l.coverage(&self.code_raw),
                Err(e) => {
                    self.code_error = Some(e.to_string());
                    return;
                }
            }
        }
        let src = codecov::source_root(root);
        let report = codecov::Report::of(&self.code, &src);
        match codecov::write_outputs(dir, &self.code, &report, &src) {
            Ok(o) => {
                self.code_notes = o.notes;
                self.code_dat = Some(std::path::absolute(dir.join("coverage.dat")).unwrap_or(dir.join("coverage.dat")));
            }
            Err(e) => self.code_error = Some(e.to_string()),
        }
        self.code_report = Some(report);
    }

    /// The JUnit suite (name with the shard, properties).
    pub fn junit_suite(&self, opts: &RegressOptions) -> junit::Suite {
        let mutant = match crate::mutants::by_number(self.mutant) {
            Some(m) => format!("{} ({})", m.name, m.number),
            None => "none".into(),
        };
        let mut properties = vec![
            ("hsx-version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
            ("seed-start".into(), opts.seed_start.to_string()),
            ("seeds".into(), opts.seeds.to_string()),
            ("shard".into(), format!("{}/{}", self.shard.index, self.shard.count)),
            ("mutant".into(), mutant),
            ("check-timing".into(), opts.check_timing.to_string()),
            ("directed".into(), opts.directed.to_string()),
            ("shrink".into(), opts.shrink.to_string()),
            ("max-failures".into(), opts.max_failures.map_or("none".into(), |k| k.to_string())),
            ("cases-planned".into(), self.planned.to_string()),
            ("cases-run".into(), self.ran.to_string()),
            ("cases-not-run".into(), self.not_run().to_string()),
        ];
        match self.stop {
            Some(Stop::Interrupted(sig)) => properties.push(("stopped".into(), format!("interrupted by {sig}"))),
            Some(Stop::MaxFailures(k)) => properties.push(("stopped".into(), format!("max-failures {k}"))),
            None => {}
        }
        junit::Suite {
            name: format!("hsx-regress-shard-{}-of-{}", self.shard.index, self.shard.count),
            properties,
            time: opts.junit_times.then_some(self.elapsed.as_secs_f64()),
        }
    }
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
            Ok((tc.case(), Some(tc)))
        }
    }
}

/// Shrink a failing generated case: candidates must diverge in the same checker; each
/// candidate runs at most `4 × (steps to the original divergence) + 10 000` steps, and all
/// candidates together at most `opts.shrink_steps`. Deterministic (counts, no clock).
/// `cancel` (an interrupt) makes every further candidate count as passing, which ends the
/// search at once with the smallest failing case found so far.
fn shrink_case(
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
fn record_waves(
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
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn seeds_of(p: &Plan) -> Vec<u64> {
        (p.directed.len() as u64..p.len())
            .map(|k| match p.get(k) {
                Some(Work::Random(s)) => s,
                other => panic!("case {k}: {other:?}"),
            })
            .collect()
    }

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
                    let (p, _) = plan(&o).unwrap();
                    assert!(p.directed.is_empty());
                    assert_eq!(p.get(p.len()).map(|w| w.name()), None);
                    for s in seeds_of(&p) {
                        owners[(s - start) as usize] += 1;
                    }
                }
                assert!(owners.iter().all(|&c| c == 1), "n={n} start={start}: {owners:?}");
            }
        }
    }

    #[test]
    fn huge_seed_ranges_are_not_listed() {
        let o = RegressOptions { seeds: 1_000_000_000_000, directed: false, ..RegressOptions::default() };
        let (p, _) = plan(&o).unwrap();
        assert_eq!(p.len(), 1_000_000_000_000);
        assert_eq!(p.get(999_999_999_999).unwrap().name(), "seed-999999999999");
        let o = RegressOptions {
            seeds: u64::MAX - 10,
            seed_start: 10,
            shard: Shard { index: 3, count: 7 },
            directed: false,
            ..RegressOptions::default()
        };
        let (p, _) = plan(&o).unwrap();
        assert_eq!(p.len(), Shard { index: 3, count: 7 }.count_of(u64::MAX - 10));
        let last = p.seed(p.len() - 1);
        assert!(last < u64::MAX && (last - 10) % 7 == 2, "{last}");
        // A shard with no seeds at the very top of the range does not overflow.
        let o = RegressOptions {
            seeds: 1,
            seed_start: u64::MAX - 1,
            shard: Shard { index: 3, count: 3 },
            directed: false,
            ..RegressOptions::default()
        };
        assert_eq!(plan(&o).unwrap().0.len(), 0);
    }

    #[test]
    fn shard_auto_from_slurm_and_kubernetes() {
        fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
            move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        }
        let slurm = [("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "4"), ("SLURM_ARRAY_TASK_MAX", "7")];
        assert_eq!(Shard::auto(env(&slurm)), Ok(Shard { index: 2, count: 4 }));
        let by_count = [("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_COUNT", "3")];
        assert_eq!(Shard::auto(env(&by_count)), Ok(Shard { index: 1, count: 3 }));
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "6"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(Shard::auto(env(&stepped)).unwrap_err().contains("--array=A-B"));
        let bad = [("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_MAX", "1")];
        assert!(Shard::auto(env(&bad)).unwrap_err().contains("SLURM_ARRAY_TASK_ID=`x` is not a number"));
        let no_min = [("SLURM_ARRAY_TASK_ID", "1")];
        assert!(Shard::auto(env(&no_min)).unwrap_err().contains("SLURM_ARRAY_TASK_MIN"));
        assert_eq!(
            Shard::auto(env(&[("JOB_COMPLETION_INDEX", "3"), ("HSX_SHARD_COUNT", "4")])),
            Ok(Shard { index: 4, count: 4 })
        );
        assert!(Shard::auto(env(&[("JOB_COMPLETION_INDEX", "4"), ("HSX_SHARD_COUNT", "4")])).is_err());
        assert!(Shard::auto(env(&[("JOB_COMPLETION_INDEX", "0")])).unwrap_err().contains("HSX_SHARD_COUNT"));
        assert!(Shard::auto(env(&[])).unwrap_err().contains("no cluster scheduler"));
    }

    #[test]
    fn global_index_is_the_single_run_case_order() {
        let root = std::env::temp_dir().join(format!("hsx-regress-gidx-{}", std::process::id()));
        std::fs::create_dir_all(root.join("examples")).unwrap();
        let mut all = std::collections::BTreeMap::new();
        for i in 1..=3u64 {
            let o = RegressOptions {
                seeds: 7,
                seed_start: 100,
                shard: Shard { index: i, count: 3 },
                root: root.clone(),
                ..RegressOptions::default()
            };
            let (p, _) = plan(&o).unwrap();
            for k in 0..p.len() {
                assert!(all.insert(p.global_index(k), p.name(k).1).is_none(), "two cases share an index");
            }
        }
        let single = RegressOptions { seeds: 7, seed_start: 100, root: root.clone(), ..RegressOptions::default() };
        let (p, _) = plan(&single).unwrap();
        let want: Vec<(u64, String)> = (0..p.len()).map(|k| (p.global_index(k), p.name(k).1)).collect();
        assert_eq!(all.into_iter().collect::<Vec<_>>(), want);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn shard_parsing() {
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        for bad in ["0/3", "4/3", "1/0", "1", "a/2", "1/b", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let s = Shard { index: 3, count: 3 };
        assert!(s.owns(2) && s.owns(5) && !s.owns(0) && !s.owns(4));
        for n in 0..20u64 {
            for (i, c) in [(1u64, 1u64), (1, 3), (3, 3), (2, 4)] {
                let sh = Shard { index: i, count: c };
                assert_eq!(sh.count_of(n), (0..n).filter(|&k| sh.owns(k)).count() as u64, "{i}/{c} of {n}");
            }
        }
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
            let p = plan(&o).unwrap().0;
            (0..p.len()).map(|k| p.get(k).unwrap().name()).collect::<Vec<_>>()
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
        let dir = tmp("det");
        let run_with_jobs = |jobs| {
            let junit = dir.join(format!("j{jobs}.xml"));
            let o = RegressOptions {
                seeds: 8,
                seed_start: 100,
                jobs,
                directed: false,
                traces: dir.clone(),
                junit: Some(junit.clone()),
                ..RegressOptions::default()
            };
            let s = run(&o).unwrap();
            (s, std::fs::read_to_string(&junit).unwrap())
        };
        let ((a, ja), (b, jb)) = (run_with_jobs(1), run_with_jobs(2));
        assert_eq!(a.exit_code(), 0, "{}", a.text());
        assert_eq!((a.ran, a.agreed, a.total_steps, a.total_cycles), (b.ran, b.agreed, b.total_steps, b.total_cycles));
        assert_eq!(a.ran, 8);
        assert!(a.total_steps() > 0 && a.total_cycles() > a.total_steps());
        assert_eq!(a.coverage, b.coverage);
        let retired: u64 = a.coverage.opcodes.values().map(|c| c.retired + c.faulted).sum::<u64>()
            + a.coverage.illegal
            + a.coverage.no_fetch;
        assert_eq!(retired, a.total_steps(), "every checked retire is counted once");
        assert_eq!(ja, jb, "the JUnit file does not depend on --jobs");
        let n = junit::check_junit10(&ja).unwrap_or_else(|e| panic!("{e}\n{ja}"));
        assert_eq!(n, junit::Counts { tests: 8, failures: 0, errors: 0, skipped: 0 });
        assert!(ja.find("name=\"seed-100\"").unwrap() < ja.find("name=\"seed-107\"").unwrap(), "case order");
        let _ = std::fs::remove_dir_all(&dir);
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
        assert_eq!(s.diverged(), 1, "stops after the first divergence");
        assert_eq!(s.stop, Some(Stop::MaxFailures(1)));
        let r = s.notable.last().unwrap();
        let f = r.failure.as_ref().unwrap();
        assert!(f.report.exists() && f.report.with_file_name("rtl.vcd").exists(), "{}", f.report.display());
        assert!(f.report.to_string_lossy().contains("-mutant1"));
        assert!(f.shrunk_from.as_deref().is_some_and(|x| x.starts_with("seed ")), "{f:?}");
        let x = std::fs::read_to_string(&junit).unwrap();
        let n = junit::check_junit10(&x).unwrap_or_else(|e| panic!("{e}\n{x}"));
        assert_eq!(n.failures, 1);
        assert_eq!(n.tests, 80, "every case is in the file: run, failed or skipped");
        assert_eq!(n.skipped, s.not_run());
        assert!(x.contains("<failure message="), "{x}");
        assert!(x.contains("<property name=\"mutant\" value=\"add-v (1)\"/>"), "{x}");
        let _ = std::fs::remove_dir_all(&traces);
    }

    #[test]
    fn an_interrupt_stops_the_run_and_skips_the_rest() {
        let dir = tmp("int");
        let junit = dir.join("j.xml");
        let o = RegressOptions {
            seeds: 5000,
            jobs: 2,
            directed: false,
            traces: dir.clone(),
            junit: Some(junit.clone()),
            ..RegressOptions::default()
        };
        // "SIGTERM" arrives once some cases ran.
        let t0 = std::time::Instant::now();
        let fired = AtomicBool::new(false);
        let poll = || {
            if fired.load(Ordering::Relaxed) || t0.elapsed() > Duration::from_millis(300) {
                fired.store(true, Ordering::Relaxed);
                Some(Signal::Term)
            } else {
                None
            }
        };
        let s = run_with(&o, &poll).unwrap();
        assert_eq!(s.exit_code(), 143, "{}", s.text());
        assert!(s.ran > 0 && s.ran < 5000, "{}", s.text());
        assert!(s.text().contains("INTERRUPTED by SIGTERM"), "{}", s.text());
        let x = std::fs::read_to_string(&junit).unwrap();
        let n = junit::check_junit10(&x).unwrap_or_else(|e| panic!("{e}\n{x}"));
        assert_eq!(n.tests - n.skipped, s.ran, "every case that ran is there");
        assert!(n.skipped >= 1 && n.skipped <= JUNIT_SKIPPED_LISTED + 1 + 2, "bounded: {n:?}");
        assert!(x.contains("name=\"seeds-") && x.contains("random cases, seeds"), "one summarising entry");
        assert!(x.contains("<property name=\"stopped\" value=\"interrupted by SIGTERM\"/>"), "{x}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn seed_range_overflow_is_bad_input() {
        let o = RegressOptions { seeds: 2, seed_start: u64::MAX, directed: false, ..RegressOptions::default() };
        assert!(matches!(plan(&o), Err(RegressError::Invalid(_))));
    }

    #[test]
    fn summary_text_junit_and_exit_code() {
        let rec = |k: u64, failure: Option<Failure>| {
            let mut r = CaseRecord::new(k, "random", format!("seed-{k}"));
            r.steps = 10;
            r.cycles = 30;
            r.outcome = if failure.is_none() { Some("finished") } else { None };
            r.failure = failure;
            r
        };
        let mut s = Summary { planned: 3, ..Summary::default() };
        s.fold(&rec(1, None));
        assert_eq!(s.exit_code(), 0);
        let f = Failure {
            report: PathBuf::from("traces/seed-2/report.txt"),
            mismatch: "retire psw: expected <a> actual \"b\"".into(),
            shrunk_from: Some("seed 2, 40 code words".into()),
            write_error: None,
        };
        s.fold(&rec(2, Some(f.clone())));
        assert_eq!(s.exit_code(), 1);
        let j = junit::render(&s.junit_suite(&RegressOptions::default()), &[rec(2, Some(f.clone())).junit(false)]);
        junit::check_junit10(&j).unwrap();
        assert!(j.contains("traces/seed-2/report.txt: retire psw: expected &lt;a&gt; actual &quot;b&quot;"), "{j}");
        assert!(j.contains("hsx replay traces/seed-2/report.json"), "{j}");
        let t = s.text();
        assert!(t.contains("agreed 1, diverged 1"), "{t}");
        assert!(t.contains("checked retires 20, RTL cycles 60"), "{t}");
        // A divergence whose report could not be written is still a divergence (exit 1),
        // and a case that could not run elsewhere does not hide it.
        let mut e = rec(3, None);
        e.outcome = None;
        e.error = Some("x.mvasm:1:1: bad".into());
        s.fold(&e);
        s.fold(&rec(4, Some(Failure { write_error: Some("traces: Read-only file system".into()), ..f })));
        s.junit_error = Some("out.xml: No space left on device".into());
        assert_eq!(s.exit_code(), 1, "{}", s.text());
        assert!(s.text().contains("DIVERGED random seed-4: retire psw: expected <a> actual \"b\" (report not written: traces: Read-only file system)"), "{}", s.text());
        assert_eq!(Summary { errors: 1, ..Summary::default() }.exit_code(), 2);
        assert_eq!(Summary { write_errors: 1, ..Summary::default() }.exit_code(), 2);
        assert_eq!(Summary { junit_error: Some("x".into()), ..Summary::default() }.exit_code(), 2);
        assert_eq!(
            Summary { diverged: 1, stop: Some(Stop::Interrupted(Signal::Int)), ..Summary::default() }.exit_code(),
            130
        );
    }
}
