//! `hsx cosim` (lockstep on the user's programs: report, waves, code coverage) and `hsx
//! replay` (a reported divergence re-run exactly).

use super::*;

/// `hsx cosim` options.
#[derive(Args, Debug, Clone)]
pub struct CosimArgs {
    #[command(flatten)]
    pub machine: MachineArgs,
    /// Stop after this many steps.
    #[arg(long = "max-steps", default_value = "1000000", value_parser = num_u64)]
    pub max_steps: u64,
    /// Also compare cycles per retire with docs/timing.md.
    #[arg(long = "check-timing")]
    pub check_timing: bool,
    /// Cycles of RTL waveform to keep before a divergence.
    #[arg(long = "vcd-window", default_value = "2000", value_parser = num_u64)]
    pub vcd_window: u64,
    /// Where divergence reports and VCDs go.
    #[arg(long, default_value = "traces")]
    pub traces: PathBuf,
    /// Run against the mutant-capable RTL with this mutant (see `hsx regress --list-mutants`).
    #[arg(long)]
    pub mutant: Option<String>,
    /// Run the RTL on its coverage model and write the line/toggle coverage into DIR
    /// (coverage.dat, coverage.info, annotated/, html/, summary.txt; docs/coverage.md).
    #[arg(long, value_name = "DIR", conflicts_with = "mutant")]
    pub coverage: Option<PathBuf>,
    #[command(flatten)]
    pub waves: WaveArgs,
    #[command(flatten)]
    pub stdin: StdinArgs,
    /// Programs: FILE[@ENTRY], one task each.
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<String>,
}

/// `hsx cosim`: lockstep reference vs RTL on these programs.
pub fn cosim(a: CosimArgs) -> Result<i32, CliError> {
    a.machine.validate()?;
    let range = a.waves.range()?;
    if a.vcd_window > crate::harness::vcd::MAX_WINDOW {
        return Err(CliError::Invalid(format!(
            "--vcd-window {} is more than {} cycles (the documented maximum)",
            a.vcd_window,
            crate::harness::vcd::MAX_WINDOW
        )));
    }
    let settings = crate::harness::case::Settings {
        slice: a.machine.slice,
        stack_size: a.machine.stack_size,
        protect: !a.machine.no_protect,
        ticks_per_ms: a.machine.ticks_per_ms,
        max_steps: a.max_steps,
    };
    let name = a
        .specs
        .first()
        .map(|s| {
            crate::program::Spec::parse(s)
                .file
                .file_stem()
                .map(|x| x.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let mut case = crate::harness::case::Case::from_specs(&format!("cosim-{name}"), &a.specs, settings)?;
    case.stdin = a.stdin.messages()?;
    let mutant = match &a.mutant {
        Some(m) => crate::mutants::resolve(m).map_err(CliError::Invalid)?,
        None => 0,
    };
    let cfg = crate::harness::CosimConfig {
        check_timing: a.check_timing,
        mutant,
        vcd_window: a.vcd_window,
        coverage: a.coverage.is_some(),
        ..Default::default()
    };
    crate::outpath::check_dir("--traces", &a.traces)?;
    if let Some(d) = &a.coverage {
        crate::outpath::check_dir("--coverage", d)?;
    }
    let mut ls = crate::harness::Lockstep::from_case(&case, cfg)?;
    let cancel = || crate::interrupt::interrupted().is_some();
    let verdict = ls.run_until(&mut crate::harness::NoObserver, &cancel);
    // Code coverage of the run (also of a diverging one: up to the divergence).
    let mut code_text = String::new();
    if let (Some(dir), Some(_)) = (&a.coverage, &verdict) {
        use crate::regress::codecov;
        let raw: Vec<u64> = codecov::take(ls.rtl()).into_iter().map(u64::from).collect();
        let code = codecov::Layout::get(dir)?.coverage(&raw);
        let src = codecov::source_root(std::path::Path::new("."));
        let report = codecov::Report::of(&code, &src);
        let out = codecov::write_outputs(dir, &code, &report, &src)?;
        for n in &out.notes {
            eprintln!("hsx cosim: note: {n}");
        }
        code_text = report.text();
    }
    let cfg = crate::harness::CosimConfig { coverage: false, ..cfg };
    // Waves on request: a deterministic re-run with the tracer on (a run that was not
    // asked for waves never traces). A failure here never hides a divergence.
    let mut waves_err = None;
    if let (Some(_), Some(dir), Some(r)) = (&verdict, &a.waves.waves, range) {
        match crate::harness::vcd::record(&case, &cfg, None, r, dir) {
            Ok(_) => eprintln!("waves: gtkwave {}", dir.join("waves.gtkw").display()),
            Err(e) => {
                eprintln!("hsx cosim: error: waves in {}: {e}", dir.display());
                waves_err = Some(e);
            }
        }
    }
    match verdict {
        None => Ok(interrupted_exit("cosim", &ls)),
        Some(crate::harness::Verdict::Agree { outcome, steps, cycles }) => {
            if let Some(e) = waves_err {
                return Err(e.into());
            }
            println!("agree: {steps} steps, {cycles} RTL cycles, outcome {}", outcome.name());
            print!("{code_text}");
            Ok(0)
        }
        Some(crate::harness::Verdict::Diverged(d)) => {
            let run_id = if mutant != 0 { format!("{}-mutant{mutant}", case.dir_name()) } else { case.dir_name() };
            let dir = a.traces.join(&run_id);
            match crate::harness::write_divergence(&ls, &d, &run_id, &dir) {
                Ok(report) => {
                    print!("{}", report.text());
                    eprintln!("divergence: report {}", dir.join("report.txt").display());
                }
                Err(e) => divergence_unwritten("cosim", &d, &e),
            }
            print!("{code_text}");
            Ok(1)
        }
    }
}

/// A divergence whose report could not be written: still exit 1; say both on stderr.
fn divergence_unwritten(cmd: &str, d: &crate::harness::Divergence, e: &crate::harness::CosimError) {
    let m = &d.mismatch;
    eprintln!(
        "divergence: at step {}, cycle {}: {} {}: expected {} actual {}",
        d.step, d.cycle, m.check, m.field, m.expected, m.actual
    );
    eprintln!("hsx {cmd}: error: the divergence's report could not be written: {e}");
}

/// The message and exit code (130 / 143) of a lockstep stopped by a signal.
fn interrupted_exit(cmd: &str, ls: &crate::harness::Lockstep) -> i32 {
    let sig = crate::interrupt::interrupted().unwrap_or(crate::interrupt::Signal::Int);
    eprintln!(
        "hsx {cmd}: interrupted by {sig} after {} steps: no divergence up to there (no report written)",
        ls.reference().machine.steps
    );
    sig.exit_code()
}

/// `hsx replay` options.
#[derive(Args, Debug, Clone)]
pub struct ReplayArgs {
    /// A report.json written by `hsx cosim` or `hsx regress`.
    pub report: PathBuf,
}

/// `hsx replay`: re-run a reported divergence exactly, writing its report and VCDs again
/// (into the report's directory).
pub fn replay(a: ReplayArgs) -> Result<i32, CliError> {
    let rep = crate::harness::report::Report::read(&a.report)?;
    let dir = match a.report.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    crate::outpath::check_dir("the report's folder", &dir)?;
    let mut ls = crate::harness::Lockstep::from_case(&rep.case, rep.config)?;
    let cancel = || crate::interrupt::interrupted().is_some();
    match ls.run_until(&mut crate::harness::NoObserver, &cancel) {
        None => Ok(interrupted_exit("replay", &ls)),
        Some(crate::harness::Verdict::Agree { steps, .. }) => {
            eprintln!("replay: no divergence this time ({steps} steps agree) — the reported bug is gone");
            Ok(0)
        }
        Some(crate::harness::Verdict::Diverged(d)) => {
            let written = crate::harness::write_divergence(&ls, &d, &rep.run_id, &dir).and_then(|mut again| {
                if rep.shrunk_from.is_some() {
                    again.shrunk_from = rep.shrunk_from.clone();
                    again
                        .write(&dir)
                        .map_err(|source| crate::harness::CosimError::Io { path: dir.display().to_string(), source })?;
                }
                Ok(again)
            });
            match written {
                Ok(again) => {
                    print!("{}", again.text());
                    eprintln!("divergence reproduced: {}", dir.join("report.txt").display());
                }
                Err(e) => divergence_unwritten("replay", &d, &e),
            }
            Ok(1)
        }
    }
}
