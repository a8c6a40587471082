//! `hsx regress --results FILE`: the machine-readable result of one shard, which
//! `hsx merge` ([`super::merge`]) combines with the other shards' into the summary, JUnit
//! and coverage of the whole regression (docs/regress.md "Running on a cluster").
//!
//! The file is JSON Lines, written as the run commits its cases (so memory does not grow
//! with `--seeds`) into a temporary file renamed into place at the end: a results file
//! that exists is complete. Its lines, each one JSON object with one key:
//!
//! 1. `{"header": …}` — the format and version, the build (tool version, Verilator, the
//!    hash of the RTL the model was verilated from), every setting that decides a case's
//!    result, the whole list of directed cases, and the shard `i/n`;
//! 2. one `{"case": …}` per case the shard reports, in case order: its global index in
//!    the single-process run's case order, class, name, outcome, checked retires, RTL
//!    cycles, and for a divergence its trace folder and mismatch;
//! 3. `{"end": …}` — cases planned and run, why it stopped early (if it did), the
//!    functional coverage of the shard, the path of its code-coverage data (with
//!    `--coverage DIR`: `DIR/coverage.dat`, absolute), wall-clock seconds and worker count.

use super::coverage::Coverage;
use super::{CaseRecord, Failure, RegressOptions, Stop, Summary};
use crate::interrupt::Signal;
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

/// The `format` every results file carries.
pub const FORMAT: &str = "hsx-regress-results";
/// The version of the format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// What built the binary that ran the shard. Shards of one regression must agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    pub hsx_version: String,
    pub verilator: String,
    /// Hash of the RTL sources and Verilator flags the model was built from.
    pub rtl_hash: String,
}

impl Build {
    /// This binary's.
    pub fn current() -> Build {
        Build {
            hsx_version: env!("CARGO_PKG_VERSION").to_string(),
            verilator: sim::VERILATOR_VERSION.to_string(),
            rtl_hash: sim::RTL_HASH.to_string(),
        }
    }
}

/// Every setting that decides which cases a regression has and what each one does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub seeds: u64,
    pub seed_start: u64,
    pub mutant: u16,
    pub check_timing: bool,
    pub shrink: bool,
    pub shrink_attempts: usize,
    pub shrink_steps: u64,
    pub max_failures: Option<u64>,
    /// Every directed case of the regression (all shards), in case order; empty with
    /// `--no-directed`.
    pub directed: Vec<String>,
    /// `--no-directed` was not given.
    pub with_directed: bool,
}

/// The first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    pub build: Build,
    pub settings: Settings,
    /// `i/n`, 1-based.
    pub shard: [u64; 2],
}

/// One reported case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseLine {
    /// Index in the single-process run's case order (directed cases first, then seeds).
    pub case: u64,
    pub class: String,
    pub name: String,
    /// `finished` / `stalled` / `max_steps` (agreed), `diverged`, `error` or `skipped`.
    pub outcome: String,
    pub steps: u64,
    pub cycles: u64,
    /// A divergence's `report.txt` (its trace folder is the directory holding it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk_from: Option<String>,
    /// The divergence's report could not be written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_error: Option<String>,
    /// Why the case could not run (`error`) or was not run (`skipped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Wall-clock seconds spent on the case.
    pub time: f64,
}

/// The last line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    pub planned: u64,
    pub ran: u64,
    /// `SIGINT`, `SIGTERM` or `max-failures` when the shard stopped early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    pub coverage: Coverage,
    /// `--coverage DIR`: the shard's summed RTL code coverage (`DIR/coverage.dat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_coverage: Option<PathBuf>,
    pub seconds: f64,
    pub jobs: usize,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    Header(Header),
    Case(CaseLine),
    End(End),
}

impl CaseLine {
    /// The line of a committed record; `case` is its global index.
    pub fn of(case: u64, r: &CaseRecord) -> CaseLine {
        let (outcome, message) = if r.failure.is_some() {
            ("diverged".to_string(), None)
        } else if let Some(e) = &r.error {
            ("error".to_string(), Some(e.clone()))
        } else if let Some(s) = &r.skipped {
            ("skipped".to_string(), Some(s.clone()))
        } else {
            (r.outcome.unwrap_or("unknown").to_string(), None)
        };
        CaseLine {
            case,
            class: r.class.to_string(),
            name: r.name.clone(),
            outcome,
            steps: r.steps,
            cycles: r.cycles,
            report: r.failure.as_ref().map(|f| f.report.clone()),
            mismatch: r.failure.as_ref().map(|f| f.mismatch.clone()),
            shrunk_from: r.failure.as_ref().and_then(|f| f.shrunk_from.clone()),
            write_error: r.failure.as_ref().and_then(|f| f.write_error.clone()),
            message,
            time: r.elapsed.as_secs_f64(),
        }
    }

    /// Back to the record the shard committed (without its per-case coverage, which the
    /// shard's `end` line carries summed).
    pub fn record(&self) -> Result<CaseRecord, String> {
        let class = match self.class.as_str() {
            "directed" => "directed",
            "random" => "random",
            c => return Err(format!("case {}: unknown class `{c}`", self.case)),
        };
        let mut r = CaseRecord::new(self.case, class, self.name.clone());
        r.steps = self.steps;
        r.cycles = self.cycles;
        r.elapsed = std::time::Duration::try_from_secs_f64(self.time).unwrap_or_default();
        match self.outcome.as_str() {
            "finished" => r.outcome = Some("finished"),
            "stalled" => r.outcome = Some("stalled"),
            "max_steps" => r.outcome = Some("max_steps"),
            "diverged" => {
                r.failure = Some(Failure {
                    report: self
                        .report
                        .clone()
                        .ok_or_else(|| format!("case {}: a divergence without `report`", self.case))?,
                    mismatch: self.mismatch.clone().unwrap_or_default(),
                    shrunk_from: self.shrunk_from.clone(),
                    write_error: self.write_error.clone(),
                })
            }
            "error" => r.error = Some(self.message.clone().unwrap_or_default()),
            "skipped" => r.skipped = Some(self.message.clone().unwrap_or_default()),
            o => return Err(format!("case {}: unknown outcome `{o}`", self.case)),
        }
        Ok(r)
    }
}

impl End {
    /// How a stopped shard's `stopped` field reads.
    pub fn stop_name(stop: Option<Stop>) -> Option<String> {
        match stop {
            Some(Stop::Interrupted(Signal::Int)) => Some("SIGINT".into()),
            Some(Stop::Interrupted(Signal::Term)) => Some("SIGTERM".into()),
            Some(Stop::MaxFailures(_)) => Some("max-failures".into()),
            None => None,
        }
    }
}

/// The header of the shard `opts` describes; `directed` are the names of every directed
/// case of the regression (all shards), in case order.
pub fn header(opts: &RegressOptions, directed: &[String]) -> Header {
    Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        build: Build::current(),
        settings: Settings {
            seeds: opts.seeds,
            seed_start: opts.seed_start,
            mutant: opts.mutant,
            check_timing: opts.check_timing,
            shrink: opts.shrink,
            shrink_attempts: opts.shrink_attempts,
            shrink_steps: opts.shrink_steps,
            max_failures: opts.max_failures,
            directed: directed.to_vec(),
            with_directed: opts.directed,
        },
        shard: [opts.shard.index, opts.shard.count],
    }
}

fn json_line(l: &Line) -> String {
    // A `Line` holds only strings, numbers, booleans and maps with string keys.
    let mut s = serde_json::to_string(l).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// Streams a shard's results into a temporary file beside the destination;
/// [`finish`](Self::finish) adds the `end` line and renames it into place. A write error
/// is kept (the first one) and reported by `finish`.
pub struct ResultsWriter {
    out: Option<crate::fsx::AtomicFile>,
    path: PathBuf,
    error: Option<io::Error>,
}

impl ResultsWriter {
    /// Creates the temporary file and writes the header.
    pub fn create(path: &Path, header: &Header) -> io::Result<ResultsWriter> {
        let mut out = crate::fsx::AtomicFile::create(path)?;
        out.write_all(json_line(&Line::Header(header.clone())).as_bytes())?;
        Ok(ResultsWriter { out: Some(out), path: path.to_path_buf(), error: None })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one case.
    pub fn push(&mut self, line: &CaseLine) {
        if self.error.is_some() {
            return;
        }
        if let Some(o) = self.out.as_mut() {
            if let Err(e) = o.write_all(json_line(&Line::Case(line.clone())).as_bytes()) {
                self.error = Some(e);
            }
        }
    }

    /// Writes the `end` line of `summary` and commits the file.
    pub fn finish(mut self, summary: &Summary) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut out = self.out.take().ok_or_else(|| io::Error::other("results file already closed"))?;
        let end = End {
            planned: summary.planned,
            ran: summary.ran,
            stopped: End::stop_name(summary.stop),
            coverage: summary.coverage.clone(),
            code_coverage: summary.code_dat.clone(),
            seconds: summary.elapsed.as_secs_f64(),
            jobs: summary.jobs,
            warnings: summary.warnings.clone(),
        };
        out.write_all(json_line(&Line::End(end)).as_bytes())?;
        out.commit()
    }
}

/// Reads a results file line by line (for [`super::merge`]).
pub struct ResultsReader {
    path: PathBuf,
    lines: io::Lines<io::BufReader<std::fs::File>>,
    line_no: usize,
}

impl ResultsReader {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<(Header, ResultsReader), String> {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut r = ResultsReader { path: path.to_path_buf(), lines: io::BufReader::new(f).lines(), line_no: 0 };
        match r.next_line()? {
            Some(Line::Header(h)) => {
                if h.format != FORMAT {
                    return Err(format!(
                        "{}:1: not an hsx regress results file (format `{}`)",
                        path.display(),
                        h.format
                    ));
                }
                if h.format_version != FORMAT_VERSION {
                    return Err(format!(
                        "{}:1: results format version {} (this hsx reads version {FORMAT_VERSION})",
                        path.display(),
                        h.format_version
                    ));
                }
                Ok((h, r))
            }
            Some(_) => Err(format!("{}:1: the first line is not a header", path.display())),
            None => Err(format!("{}: empty file, not an hsx regress results file", path.display())),
        }
    }

    /// The next line, `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<Line>, String> {
        loop {
            let Some(l) = self.lines.next() else { return Ok(None) };
            self.line_no += 1;
            let l = l.map_err(|e| format!("{}:{}: {e}", self.path.display(), self.line_no))?;
            if l.trim().is_empty() {
                continue;
            }
            return serde_json::from_str::<Line>(&l)
                .map(Some)
                .map_err(|e| format!("{}:{}: {e}", self.path.display(), self.line_no));
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn line_no(&self) -> usize {
        self.line_no
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_line_round_trips_to_the_same_record() {
        let mut r = CaseRecord::new(3, "random", "seed-7".into());
        r.steps = 10;
        r.cycles = 40;
        r.failure = Some(Failure {
            report: PathBuf::from("traces/seed-7/report.txt"),
            mismatch: "retire pc: expected 4 actual 8".into(),
            shrunk_from: Some("seed 7, 12 code words".into()),
            write_error: None,
        });
        let line = CaseLine::of(42, &r);
        let text = json_line(&Line::Case(line.clone()));
        let back: Line = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(back, Line::Case(line.clone()));
        let rec = line.record().unwrap();
        assert_eq!(rec.index, 42);
        assert_eq!(rec.failure, r.failure);
        assert_eq!((rec.steps, rec.cycles, rec.class, rec.name.as_str()), (10, 40, "random", "seed-7"));
        for (outcome, check) in [("finished", Some("finished")), ("stalled", Some("stalled"))] {
            let mut l = line.clone();
            l.outcome = outcome.into();
            assert_eq!(l.record().unwrap().outcome, check);
        }
        let mut bad = line;
        bad.outcome = "exploded".into();
        assert!(bad.record().unwrap_err().contains("unknown outcome `exploded`"));
    }
}
