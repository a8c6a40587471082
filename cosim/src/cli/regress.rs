//! `hsx regress` (directed and random cases in lockstep, shards, JUnit, coverage) and
//! `hsx merge` (the shards' results as one regression).

use super::*;

/// `hsx regress` options.
#[derive(Args, Debug, Clone)]
pub struct RegressArgs {
    /// Random cases to run (seeds SEED-START .. SEED-START+N).
    #[arg(long, default_value_t = crate::regress::DEFAULT_SEEDS, value_parser = num_u64)]
    pub seeds: u64,
    /// First seed.
    #[arg(long = "seed-start", default_value = "0", value_parser = num_u64)]
    pub seed_start: u64,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_parser = num_u64)]
    pub jobs: Option<u64>,
    /// Run only shard I of N (1-based): the cases whose index k (seed - SEED-START for
    /// seeds; discovery order for directed cases) has k % N == I - 1. `auto` takes I/N
    /// from a Slurm job array (SLURM_ARRAY_TASK_ID/_MIN/_MAX) or a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX, with HSX_SHARD_COUNT set to the Job's completions).
    #[arg(long, value_name = "I/N|auto")]
    pub shard: Option<String>,
    /// Write this shard's machine-readable results (JSON Lines: settings, every case,
    /// counters, coverage) for `hsx merge`.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Write a JUnit XML file (atomically; missing parent directories are created).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write wall-clock `time` attributes into the JUnit file (off: the file is
    /// byte-for-byte reproducible).
    #[arg(long = "junit-times")]
    pub junit_times: bool,
    /// Where divergence reports and VCDs go.
    #[arg(long, default_value = "traces")]
    pub traces: PathBuf,
    /// Run against the mutant-capable RTL with this mutant (name or number).
    #[arg(long)]
    pub mutant: Option<String>,
    /// Print the mutant catalogue and exit.
    #[arg(long = "list-mutants")]
    pub list_mutants: bool,
    /// Compare cycles per retire with docs/timing.md (the default for regress).
    #[arg(long = "check-timing", overrides_with = "no_check_timing")]
    pub check_timing: bool,
    /// Do not compare cycles per retire.
    #[arg(long = "no-check-timing", overrides_with = "check_timing")]
    pub no_check_timing: bool,
    /// Skip the directed programs (examples/, tests/programs/ with `; cosim:` headers).
    #[arg(long = "no-directed")]
    pub no_directed: bool,
    /// Do not shrink failing random cases.
    #[arg(long = "no-shrink")]
    pub no_shrink: bool,
    /// Report the first K failing cases (divergences or errors) in case order and stop;
    /// the same result at any --jobs (0 = never stop; default 1 with --mutant, else 0).
    #[arg(long = "max-failures", value_parser = num_u64)]
    pub max_failures: Option<u64>,
    /// With --waves DIR: waveforms of every case, passing ones too (DIR/<case>/).
    #[arg(long = "waves-all", requires = "waves")]
    pub waves_all: bool,
    /// Run the RTL side on its coverage model and write the code coverage summed over
    /// every case into DIR (coverage.dat, coverage.info, annotated/, html/, summary.txt;
    /// docs/coverage.md); the summary then lists line/toggle % per module and every
    /// uncovered line.
    #[arg(long, value_name = "DIR", conflicts_with = "mutant")]
    pub coverage: Option<PathBuf>,
    #[command(flatten)]
    pub wave: WaveArgs,
}

/// `hsx regress`: directed + seeded random programs in lockstep; summary on stdout.
pub fn regress(a: RegressArgs) -> Result<i32, CliError> {
    if a.list_mutants {
        print!("{}", crate::mutants::listing());
        return Ok(0);
    }
    let shard = match a.shard.as_deref() {
        Some("auto") => crate::regress::Shard::auto(|k| std::env::var(k).ok()).map_err(CliError::Invalid)?,
        Some(s) => crate::regress::Shard::parse(s).map_err(CliError::Invalid)?,
        None => crate::regress::Shard::default(),
    };
    let mutant = match &a.mutant {
        Some(m) => crate::mutants::resolve(m).map_err(CliError::Invalid)?,
        None => 0,
    };
    let jobs = match a.jobs {
        Some(0) => return Err(CliError::Invalid("--jobs must be at least 1".into())),
        Some(j) => usize::try_from(j).map_err(|_| CliError::Invalid("--jobs is too large".into()))?,
        None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    };
    let max_failures = match a.max_failures {
        Some(0) => None,
        Some(k) => Some(k),
        None if mutant != 0 => Some(1),
        None => None,
    };
    // Output paths before any work (docs/failure.md "Output paths").
    if let Some(j) = &a.junit {
        crate::outpath::check_file("--junit", j)?;
    }
    if let Some(r) = &a.results {
        crate::outpath::check_file("--results", r)?;
    }
    crate::outpath::check_dir("--traces", &a.traces)?;
    if let Some(d) = &a.coverage {
        crate::outpath::check_dir("--coverage", d)?;
    }
    let wave_range = a.wave.range()?.unwrap_or(crate::harness::vcd::WaveRange::default());
    let opts = crate::regress::RegressOptions {
        waves: a.wave.waves.clone(),
        waves_all: a.waves_all,
        wave_range,
        seeds: a.seeds,
        seed_start: a.seed_start,
        jobs,
        shard,
        junit: a.junit.clone(),
        junit_times: a.junit_times,
        results: a.results.clone(),
        traces: a.traces.clone(),
        mutant,
        check_timing: !a.no_check_timing,
        directed: !a.no_directed,
        shrink: !a.no_shrink,
        max_failures,
        progress: true,
        coverage: a.coverage.clone(),
        ..crate::regress::RegressOptions::default()
    };
    let summary = crate::regress::run(&opts).map_err(|e| match e {
        crate::regress::RegressError::Invalid(s) => CliError::Invalid(s),
        crate::regress::RegressError::Io { path, source } => CliError::Io { path, source },
        crate::regress::RegressError::Cosim(c) => CliError::Cosim(c),
    })?;
    print!("{}", summary.text());
    for r in &summary.notable {
        if let Some(f) = &r.failure {
            match &f.write_error {
                None => eprintln!("divergence: {} {}: report {}", r.class, r.name, f.report.display()),
                Some(e) => {
                    eprintln!("divergence: {} {}: {}", r.class, r.name, f.mismatch);
                    eprintln!("hsx regress: error: {} {}: the report could not be written: {e}", r.class, r.name);
                }
            }
        }
        if let Some(e) = &r.error {
            eprintln!("hsx regress: error: {} {}: {e}", r.class, r.name);
        }
    }
    if summary.notable_dropped > 0 {
        eprintln!("hsx regress: … and {} more failing cases (see the summary counts)", summary.notable_dropped);
    }
    if let Some(e) = &summary.junit_error {
        eprintln!("hsx regress: error: cannot write the JUnit file {e}");
    }
    if let Some(e) = &summary.results_error {
        eprintln!("hsx regress: error: cannot write the results file {e}");
    }
    code_coverage_notes("regress", &summary);
    if let Some(sig) = summary.interrupted() {
        eprintln!(
            "hsx regress: interrupted by {sig}: {} of {} cases run, {} not run{}",
            summary.ran,
            summary.planned,
            summary.not_run(),
            match (&a.junit, &summary.junit_error) {
                (Some(j), None) => format!(" (skipped in {})", j.display()),
                _ => String::new(),
            }
        );
    }
    Ok(summary.exit_code())
}

/// `hsx merge` options.
#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// Results files of every shard of one regression (`hsx regress --shard I/N --results
    /// FILE`), in any order.
    #[arg(required = true, value_name = "RESULT")]
    pub results: Vec<PathBuf>,
    /// Write the merged JUnit XML file (the single-process run's, byte for byte).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write wall-clock `time` attributes into the JUnit file.
    #[arg(long = "junit-times")]
    pub junit_times: bool,
    /// Sum the shards' code coverage (each run with `--coverage`) into DIR, with the
    /// reports `hsx regress --coverage DIR` writes.
    #[arg(long, value_name = "DIR")]
    pub coverage: Option<PathBuf>,
}

/// Notes and errors of `--coverage` on stderr.
fn code_coverage_notes(cmd: &str, summary: &crate::regress::Summary) {
    for n in &summary.code_notes {
        eprintln!("hsx {cmd}: note: {n}");
    }
    if let Some(e) = &summary.code_error {
        eprintln!("hsx {cmd}: error: cannot write the code coverage: {e}");
    }
}

/// `hsx merge`: the shards' results as one regression — the summary the single-process run
/// of the same seeds prints, its JUnit file; exit code as `hsx regress`'s.
pub fn merge(a: MergeArgs) -> Result<i32, CliError> {
    if let Some(j) = &a.junit {
        crate::outpath::check_file("--junit", j)?;
    }
    if let Some(d) = &a.coverage {
        crate::outpath::check_dir("--coverage", d)?;
    }
    let opts = crate::regress::merge::MergeOptions {
        results: a.results.clone(),
        junit: a.junit.clone(),
        junit_times: a.junit_times,
        coverage: a.coverage.clone(),
        root: PathBuf::from("."),
    };
    let summary = crate::regress::merge::merge(&opts).map_err(|e| match e {
        crate::regress::merge::MergeError::Refused(s) => CliError::Invalid(format!("hsx merge: {s}")),
        crate::regress::merge::MergeError::Io { path, source } => CliError::Io { path, source },
    })?;
    print!("{}", summary.text());
    if let Some(e) = &summary.junit_error {
        eprintln!("hsx merge: error: cannot write the JUnit file {e}");
    }
    code_coverage_notes("merge", &summary);
    if let Some(sig) = summary.interrupted() {
        eprintln!(
            "hsx merge: some shards were interrupted (by {sig}): {} of {} cases run",
            summary.ran, summary.planned
        );
        // A merge of interrupted shards is not a failure of the merge: report it as
        // regress would for an incomplete run, but without pretending a signal hit us.
        return Ok(if summary.diverged > 0 { 1 } else { 2 });
    }
    Ok(summary.exit_code())
}
