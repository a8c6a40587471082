//! `hsx merge RESULT…`: the shards of one regression (`hsx regress --shard i/n --results
//! FILE`, e.g. the tasks of a Slurm job array) combined into what the single-process run
//! of the same seeds prints and writes: the same summary (counts, outcomes, checked
//! retires, divergences in case order, functional coverage), the same JUnit file (cases
//! in case order; suite named and propertied as shard 1/1).
//!
//! Streaming: each results file is already in case order, so the merge is a k-way merge
//! by case index that holds one line per shard — memory does not grow with the seeds.
//!
//! Refused, with the file named: results of a different build (tool version, Verilator,
//! RTL hash), different settings or seed range, a different shard count, the same shard
//! twice, a missing shard, a file that is not a complete results file. A merge of shards
//! that stopped at `--max-failures` is refused too: each shard stopped at its own K-th
//! failure, and the cases they ran past the regression's K-th failure are already summed
//! into their coverage.
//!
//! `--coverage DIR`: the shards' RTL code coverage (each shard's `end` line names its
//! `coverage.dat`) summed into DIR with the same reports `hsx regress --coverage` writes —
//! equal, file for file, to the single run's. Refused when a shard has none.

use super::junit::{JunitCase, JunitWriter, Outcome};
use super::results::{CaseLine, End, Header, Line, ResultsReader};
use super::{RegressOptions, Shard, Stop, Summary};
use crate::interrupt::Signal;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;
use std::time::Duration;

/// Why a merge was refused (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn refuse(s: impl Into<String>) -> MergeError {
    MergeError::Refused(s.into())
}

/// What `hsx merge` was asked for.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    pub results: Vec<PathBuf>,
    pub junit: Option<PathBuf>,
    /// Write `time` attributes into the JUnit file.
    pub junit_times: bool,
    /// Sum the shards' code coverage into this directory.
    pub coverage: Option<PathBuf>,
    /// Where the RTL sources are looked for when this binary's build directory is gone.
    pub root: PathBuf,
}

struct Shardfile {
    header: Header,
    reader: ResultsReader,
    end: Option<End>,
    last_case: Option<u64>,
}

impl Shardfile {
    /// The next case line (after checking its order), or `None` once the `end` line is read.
    fn next_case(&mut self) -> Result<Option<CaseLine>, MergeError> {
        if self.end.is_some() {
            return Ok(None);
        }
        match self.reader.next_line().map_err(refuse)? {
            Some(Line::Case(c)) => {
                if self.last_case.is_some_and(|l| c.case <= l) {
                    return Err(refuse(format!(
                        "{}:{}: case {} is out of case order",
                        self.reader.path().display(),
                        self.reader.line_no(),
                        c.case
                    )));
                }
                self.last_case = Some(c.case);
                Ok(Some(c))
            }
            Some(Line::End(e)) => {
                self.end = Some(e);
                Ok(None)
            }
            Some(Line::Header(_)) => Err(refuse(format!(
                "{}:{}: a second header (two results files concatenated?)",
                self.reader.path().display(),
                self.reader.line_no()
            ))),
            None => Err(refuse(format!(
                "{}: incomplete: no `end` line (the shard did not finish writing it)",
                self.reader.path().display()
            ))),
        }
    }
}

/// The regression options a single-process run of these settings would have had (for the
/// JUnit suite's properties).
fn single_options(h: &Header, junit_times: bool) -> RegressOptions {
    let s = &h.settings;
    RegressOptions {
        seeds: s.seeds,
        seed_start: s.seed_start,
        shard: Shard::default(),
        mutant: s.mutant,
        check_timing: s.check_timing,
        directed: s.with_directed,
        shrink: s.shrink,
        shrink_attempts: s.shrink_attempts,
        shrink_steps: s.shrink_steps,
        max_failures: s.max_failures,
        junit_times,
        ..RegressOptions::default()
    }
}

/// Check that the headers belong to one regression and cover every shard once.
fn check_headers(files: &[(PathBuf, Header)]) -> Result<(), MergeError> {
    let (p0, h0) = &files[0];
    let n = h0.shard[1];
    for (p, h) in files {
        if h.build != h0.build {
            return Err(refuse(format!(
                "{} and {}: results of different builds ({} vs {}); every shard must run the same hsx binary",
                p0.display(),
                p.display(),
                describe_build(h0),
                describe_build(h)
            )));
        }
        if h.settings.seeds != h0.settings.seeds || h.settings.seed_start != h0.settings.seed_start {
            return Err(refuse(format!(
                "{} and {}: different seed ranges (--seeds {} --seed-start {} vs --seeds {} --seed-start {})",
                p0.display(),
                p.display(),
                h0.settings.seeds,
                h0.settings.seed_start,
                h.settings.seeds,
                h.settings.seed_start
            )));
        }
        if h.settings != h0.settings {
            return Err(refuse(format!(
                "{} and {}: results of different settings ({})",
                p0.display(),
                p.display(),
                settings_diff(&h0.settings, &h.settings)
            )));
        }
        if h.shard[1] != n {
            return Err(refuse(format!(
                "{} is shard {}/{} but {} is shard {}/{}: different shard counts",
                p0.display(),
                h0.shard[0],
                n,
                p.display(),
                h.shard[0],
                h.shard[1]
            )));
        }
    }
    let mut seen: Vec<Option<&PathBuf>> = vec![None; n as usize];
    for (p, h) in files {
        let i = h.shard[0];
        if i == 0 || i > n {
            return Err(refuse(format!("{}: shard {i}/{n} is not a shard", p.display())));
        }
        if let Some(q) = seen[(i - 1) as usize] {
            return Err(refuse(format!("{} and {}: both are shard {i}/{n}", q.display(), p.display())));
        }
        seen[(i - 1) as usize] = Some(p);
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(k, _)| format!("{}/{n}", k + 1)).collect();
    if !missing.is_empty() {
        return Err(refuse(format!(
            "shard{} {} missing: a merge needs the results of all {n} shards",
            if missing.len() == 1 { " is" } else { "s are" },
            missing.join(", ")
        )));
    }
    Ok(())
}

fn describe_build(h: &Header) -> String {
    format!("hsx {}, {}, RTL {}", h.build.hsx_version, h.build.verilator, h.build.rtl_hash)
}

fn settings_diff(a: &super::results::Settings, b: &super::results::Settings) -> String {
    let mut d = vec![];
    let mut f = |name: &str, x: String, y: String| {
        if x != y {
            d.push(format!("{name} {x} vs {y}"));
        }
    };
    f("mutant", a.mutant.to_string(), b.mutant.to_string());
    f("check-timing", a.check_timing.to_string(), b.check_timing.to_string());
    f("shrink", a.shrink.to_string(), b.shrink.to_string());
    f("shrink attempts", a.shrink_attempts.to_string(), b.shrink_attempts.to_string());
    f("shrink steps", a.shrink_steps.to_string(), b.shrink_steps.to_string());
    f("max-failures", format!("{:?}", a.max_failures), format!("{:?}", b.max_failures));
    f("directed", a.with_directed.to_string(), b.with_directed.to_string());
    if a.directed != b.directed {
        d.push(format!(
            "directed cases differ ({} vs {}; a different examples/ or tests/programs/)",
            a.directed.len(),
            b.directed.len()
        ));
    }
    d.join(", ")
}

/// Merge the results files into the single-process run's summary (and JUnit file).
pub fn merge(opts: &MergeOptions) -> Result<Summary, MergeError> {
    if opts.results.is_empty() {
        return Err(refuse("no results files given"));
    }
    let mut shards = vec![];
    let mut headers = vec![];
    for p in &opts.results {
        let (header, reader) = ResultsReader::open(p).map_err(refuse)?;
        headers.push((p.clone(), header.clone()));
        shards.push(Shardfile { header, reader, end: None, last_case: None });
    }
    check_headers(&headers)?;
    let h0 = shards[0].header.clone();
    let single = single_options(&h0, opts.junit_times);
    let mut junit = match &opts.junit {
        Some(p) => {
            let io = |source| MergeError::Io { path: p.display().to_string(), source };
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            Some(JunitWriter::create(p).map_err(io)?)
        }
        None => None,
    };

    // k-way merge by case index: one pending line per shard.
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    let mut pending: Vec<Option<CaseLine>> = vec![None; shards.len()];
    for (k, s) in shards.iter_mut().enumerate() {
        if let Some(c) = s.next_case()? {
            heap.push(Reverse((c.case, k)));
            pending[k] = Some(c);
        }
    }
    let mut summary = Summary { shard: Shard::default(), mutant: h0.settings.mutant, ..Summary::default() };
    let mut last: Option<u64> = None;
    while let Some(Reverse((case, k))) = heap.pop() {
        let line = pending[k].take().expect("a heap entry has its line");
        if last == Some(case) {
            return Err(refuse(format!(
                "case {case} ({}) is in two results files: {} overlaps another shard",
                line.name,
                shards[k].reader.path().display()
            )));
        }
        last = Some(case);
        let rec = line.record().map_err(|e| refuse(format!("{}: {e}", shards[k].reader.path().display())))?;
        summary.fold(&rec);
        if let Some(j) = junit.as_mut() {
            j.push(&rec.junit(opts.junit_times));
        }
        if let Some(c) = shards[k].next_case()? {
            heap.push(Reverse((c.case, k)));
            pending[k] = Some(c);
        }
    }

    // The shards' `end` lines: planned/ran, coverage, stops, time.
    let mut interrupted: Option<Signal> = None;
    for s in &shards {
        let e = s.end.as_ref().expect("every shard was read to its end line");
        let path = s.reader.path();
        match e.stopped.as_deref() {
            Some("max-failures") => {
                return Err(refuse(format!(
                    "{}: shard {}/{} stopped at --max-failures {}; shards stop at their own K-th failure, so their \
                     merge is not the single run's first K failures (run the shards without --max-failures, or \
                     look at each shard's own summary)",
                    path.display(),
                    s.header.shard[0],
                    s.header.shard[1],
                    h0.settings.max_failures.unwrap_or(0)
                )))
            }
            Some("SIGINT") => interrupted = interrupted.or(Some(Signal::Int)),
            Some("SIGTERM") => interrupted = interrupted.or(Some(Signal::Term)),
            Some(other) => return Err(refuse(format!("{}: unknown stop `{other}`", path.display()))),
            None => {}
        }
        summary.planned += e.planned;
        summary.coverage.merge(&e.coverage);
        if opts.coverage.is_some() {
            let dat = e.code_coverage.as_ref().ok_or_else(|| {
                refuse(format!(
                    "{}: shard {}/{} has no code coverage (run every shard with --coverage DIR)",
                    path.display(),
                    s.header.shard[0],
                    s.header.shard[1]
                ))
            })?;
            let c = super::codecov::CodeCoverage::read(dat)
                .map_err(|err| refuse(format!("{} (code coverage of {}): {err}", dat.display(), path.display())))?;
            summary.code.merge(&c);
        }
        summary.jobs += e.jobs;
        summary.elapsed = summary.elapsed.max(Duration::try_from_secs_f64(e.seconds).unwrap_or_default());
        if summary.warnings.is_empty() {
            summary.warnings = e.warnings.clone();
        }
    }
    let ran_in_files: u64 = shards.iter().map(|s| s.end.as_ref().map_or(0, |e| e.ran)).sum();
    if ran_in_files != summary.ran {
        return Err(refuse(format!(
            "the results files list {} run cases but their end lines count {ran_in_files}",
            summary.ran
        )));
    }
    summary.stop = interrupted.map(Stop::Interrupted);
    if let Some(dir) = &opts.coverage {
        summary.finish_code_coverage(dir, &opts.root);
    }
    if let Some(mut j) = junit {
        // Not-run cases of interrupted shards: one entry per shard (each shard's own JUnit
        // file lists them).
        for s in &shards {
            let e = s.end.as_ref().expect("read to the end");
            if e.ran < e.planned {
                j.push(&JunitCase {
                    classname: "random".into(),
                    name: format!("shard-{}-of-{}-not-run", s.header.shard[0], s.header.shard[1]),
                    time: None,
                    outcome: Outcome::Skipped {
                        message: format!(
                            "not run: shard {}/{} {} before {} of its {} cases",
                            s.header.shard[0],
                            s.header.shard[1],
                            e.stopped.as_deref().map_or("stopped".to_string(), |w| format!("interrupted by {w}")),
                            e.planned - e.ran,
                            e.planned
                        ),
                    },
                    system_out: None,
                });
            }
        }
        let path = j.path().display().to_string();
        if let Err(e) = j.finish(&summary.junit_suite(&single)) {
            summary.junit_error = Some(format!("{path}: {e}"));
        }
    }
    Ok(summary)
}
