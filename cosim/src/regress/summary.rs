//! What one case did ([`CaseRecord`]) and what a run reports ([`Summary`]): counts,
//! failures, functional and code coverage, the text printed after a regression.

use super::*;

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
    pub(super) fn new(index: u64, class: &'static str, name: String) -> CaseRecord {
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

    pub(super) fn fold(&mut self, r: &CaseRecord) {
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

pub(super) fn mismatch_line(m: &crate::harness::check::Mismatch) -> String {
    format!("{} {}: expected {} actual {}", m.check, m.field, m.expected, m.actual)
}
