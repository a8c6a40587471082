//! The subcommands behind the `hsx` binary (cli.md). The binary only parses and maps
//! errors to exit codes; everything here returns typed errors.

use crate::program::{parse_num, read_program, Plan, ProgramError};
use crate::report::{RunReport, TaskReport};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use vm_ref::exec::{ExecConfig, SpawnOptions};
use vm_ref::system::System;
use vm_ref::MachineConfig;

/// Errors of the `hsx` subcommands: all are bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Program(#[from] ProgramError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}")]
    Invalid(String),
    #[error("RTL engine: {0}")]
    Rtl(#[from] crate::rtl::RtlError),
    #[error(transparent)]
    Cosim(#[from] crate::harness::CosimError),
    #[error(transparent)]
    Report(#[from] crate::harness::report::ReportError),
    #[error(transparent)]
    Output(#[from] crate::outpath::OutPathError),
    #[error("code coverage: {0}")]
    CodeCoverage(#[from] crate::regress::codecov::CodeCovError),
}

/// Which model runs the program.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// The Rust golden model.
    #[default]
    Ref,
    /// The Verilated RTL, with its own instance of the executive over the host bus.
    Rtl,
}

fn num_u64(s: &str) -> Result<u64, String> {
    parse_num(s).ok_or_else(|| format!("`{s}` is not a number (decimal or 0x… hex)"))
}
fn num_u32(s: &str) -> Result<u32, String> {
    let v = num_u64(s)?;
    u32::try_from(v).map_err(|_| format!("`{s}` does not fit in 32 bits"))
}

#[derive(Args, Debug, Clone)]
pub struct AsmArgs {
    /// The MVASM source(s): several are assembled and linked in this order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output image (default: the first FILE with the extension .hxe).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Also look for `.include` files in DIR (after the including file's directory).
    #[arg(short = 'I', value_name = "DIR")]
    pub include: Vec<PathBuf>,
    /// Write an HXE v1 image (default v2).
    #[arg(long)]
    pub v1: bool,
}

#[derive(Args, Debug, Clone)]
pub struct DisasmArgs {
    /// An HXE image (or an .mvasm source, assembled first).
    #[arg(required_unless_present = "filter")]
    pub file: Option<PathBuf>,
    /// Act as a GTKWave process filter: read one value (hex) per line on stdin, write one
    /// line per value — the instruction word's disassembly (`insn`, the default) or the
    /// PSW as flags (`psw`: `Z C N V`, `-` for a clear flag) — flushing each line.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "insn", conflicts_with = "file")]
    pub filter: Option<crate::harness::vcd::FilterKind>,
}

/// Options shared by everything that builds a machine (`run`, `shell`, `cosim`).
#[derive(Args, Debug, Clone)]
pub struct MachineArgs {
    /// Steps per turn of every task (time_slice_steps, >= 1).
    #[arg(long, default_value = "1", value_parser = num_u32)]
    pub slice: u32,
    /// Stack arena of each task in bytes (multiple of 4, at least 16).
    #[arg(long = "stack-size", default_value = "0x1000", value_parser = num_u32)]
    pub stack_size: u32,
    /// Turn memory protection off (only MEM_FAULT applies).
    #[arg(long = "no-protect")]
    pub no_protect: bool,
    /// Scheduler ticks per millisecond of SLEEP_MS / RECV timeouts (>= 1).
    #[arg(long = "ticks-per-ms", default_value = "1000", value_parser = num_u64)]
    pub ticks_per_ms: u64,
}

impl MachineArgs {
    /// The rules of [`Settings::check`](crate::harness::case::Settings::check) (which
    /// `hsx replay` applies to a report's settings too).
    pub fn validate(&self) -> Result<(), CliError> {
        let st = crate::harness::case::Settings {
            slice: self.slice,
            stack_size: self.stack_size,
            protect: !self.no_protect,
            ticks_per_ms: self.ticks_per_ms,
            max_steps: 0,
        };
        st.check().map_err(|e| CliError::Invalid(format!("{} {}", e.option, e.rule)))
    }
    pub fn machine_config(&self) -> MachineConfig {
        MachineConfig { protect: !self.no_protect, ..MachineConfig::default() }
    }
    pub fn exec_config(&self) -> ExecConfig {
        ExecConfig {
            ticks_per_ms: self.ticks_per_ms,
            stack_size: self.stack_size,
            slice: self.slice,
            ..ExecConfig::default()
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Which model runs the tasks.
    #[arg(long, value_enum, default_value_t = Engine::Ref)]
    pub engine: Engine,
    #[command(flatten)]
    pub machine: MachineArgs,
    /// Stop after this many steps (idle time jumps do not count).
    #[arg(long = "max-steps", default_value = "10000000", value_parser = num_u64)]
    pub max_steps: u64,
    /// Print exactly one JSON object on stdout (human output goes to stderr).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub waves: WaveArgs,
    #[command(flatten)]
    pub stdin: StdinArgs,
    /// Programs: FILE[@ENTRY], one task each (at most 8).
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<String>,
}

/// Waveforms on demand (`run --engine rtl`, `cosim`, `regress`; docs/waves.md).
#[derive(Args, Debug, Clone, Default)]
pub struct WaveArgs {
    /// Write waveforms into DIR: `rtl.vcd` (with the reference side for `cosim` and
    /// `regress`), `ref.vcd` and `waves.gtkw` (`gtkwave DIR/waves.gtkw`).
    #[arg(long, value_name = "DIR")]
    pub waves: Option<PathBuf>,
    /// First RTL cycle of the waveforms (default: reset).
    #[arg(long = "wave-from", value_name = "CYCLE", value_parser = num_u64)]
    pub wave_from: Option<u64>,
    /// Last RTL cycle of the waveforms (default: the end of the run); at most
    /// 1 000 000 cycles after --wave-from.
    #[arg(long = "wave-to", value_name = "CYCLE", value_parser = num_u64)]
    pub wave_to: Option<u64>,
    /// The dump's format: `vcd` (rtl.vcd) or `fst` (rtl.fst, compressed; same signals).
    #[arg(long = "wave-format", value_enum, default_value_t = crate::harness::vcd::WaveFormat::Vcd)]
    pub wave_format: crate::harness::vcd::WaveFormat,
}

impl WaveArgs {
    /// The checked range, or `None` when no waves were asked for.
    pub fn range(&self) -> Result<Option<crate::harness::vcd::WaveRange>, CliError> {
        if self.waves.is_none() {
            if self.wave_from.is_some() || self.wave_to.is_some() || self.wave_format != Default::default() {
                return Err(CliError::Invalid("--wave-from/--wave-to/--wave-format need --waves DIR".into()));
            }
            return Ok(None);
        }
        crate::harness::vcd::WaveRange::check(self.wave_from, self.wave_to)
            .map(|r| Some(crate::harness::vcd::WaveRange { format: self.wave_format, ..r }))
            .map_err(CliError::Invalid)
    }
}

/// Input for tasks' `svc:stdio.in` (`run`, `cosim`).
#[derive(Args, Debug, Clone, Default)]
pub struct StdinArgs {
    /// Queue TEXT as one message on task PID's `svc:stdio.in` before the run (repeatable).
    #[arg(long = "stdin", value_name = "PID=TEXT")]
    pub text: Vec<String>,
    /// Queue the lines of PATH (one message per line) on task PID's `svc:stdio.in`.
    #[arg(long = "stdin-file", value_name = "PID=PATH")]
    pub file: Vec<String>,
}

impl StdinArgs {
    pub fn messages(&self) -> Result<Vec<crate::program::StdinMsg>, CliError> {
        Ok(crate::program::stdin_messages(&self.text, &self.file)?)
    }
}

#[derive(Args, Debug, Clone)]
pub struct ShellArgs {
    #[command(flatten)]
    pub machine: MachineArgs,
    /// The step cap of `run` without a count (`run N` overrides it).
    #[arg(long = "max-steps", default_value = "10000000", value_parser = num_u64)]
    pub max_steps: u64,
    /// Programs to load before the first prompt.
    #[arg(value_name = "SPEC")]
    pub specs: Vec<String>,
}

/// `hsx asm`.
pub fn asm(a: AsmArgs) -> Result<i32, CliError> {
    let out = a.output.clone().unwrap_or_else(|| a.files[0].with_extension("hxe"));
    if a.files.contains(&out) {
        return Err(CliError::Invalid(format!("{}: the output would overwrite the source", out.display())));
    }
    crate::outpath::check_file(if a.output.is_some() { "-o" } else { "the output" }, &out)?;
    let mut texts = Vec::new();
    for f in &a.files {
        let src = std::fs::read(f).map_err(|source| CliError::Io { path: f.display().to_string(), source })?;
        texts.push((f.display().to_string(), String::from_utf8_lossy(&src).into_owned()));
    }
    let modules: Vec<isa::asm::Module> = texts.iter().map(|(name, text)| isa::asm::Module { name, text }).collect();
    let opts = isa::asm::AsmOptions { include_dirs: a.include.clone(), data_addr: None };
    let mut prog = isa::asm::assemble_modules(&modules, &opts, &mut isa::asm::FsLoader)
        .map_err(|e| CliError::Program(ProgramError::Asm(e.to_string())))?;
    // Like the prototype's linker: the app name is the output's stem (ASCII, at most 31
    // characters) and the image allows several instances (header flag bit 1).
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    prog.image.app_name = stem.trim().chars().filter(|c| c.is_ascii()).take(31).collect();
    prog.image.flags |= 0x0002;
    let version = if a.v1 { isa::hxe::Version::V1 } else { isa::hxe::Version::V2 };
    let bytes =
        prog.image.try_to_bytes(version).map_err(|e| CliError::Invalid(format!("{}: {e}", a.files[0].display())))?;
    crate::fsx::write_atomic(&out, &bytes)
        .map_err(|source| CliError::Io { path: out.display().to_string(), source })?;
    Ok(0)
}

/// `hsx disasm`.
pub fn disasm(a: DisasmArgs) -> Result<i32, CliError> {
    if let Some(kind) = a.filter {
        return disasm_filter(kind, std::io::stdin().lock(), std::io::stdout().lock());
    }
    let file = a.file.ok_or_else(|| CliError::Invalid("hsx disasm: a FILE or --filter is needed".into()))?;
    let f = read_program(&file)?;
    let text = isa::disasm::disasm_image(&f.image);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    Ok(0)
}

/// `hsx disasm --filter`: one line out per line in, flushed at once (GTKWave waits for
/// each answer). Ends at end of input or when the reader goes away.
pub fn disasm_filter(
    kind: crate::harness::vcd::FilterKind,
    input: impl std::io::BufRead,
    mut out: impl Write,
) -> Result<i32, CliError> {
    for line in input.lines() {
        let Ok(line) = line else { break };
        if writeln!(out, "{}", crate::harness::vcd::filter_line(kind, &line)).and_then(|_| out.flush()).is_err() {
            break;
        }
    }
    Ok(0)
}

/// Build a reference system with the programs of `specs` loaded and spawned.
pub fn build_ref_system(m: &MachineArgs, specs: &[String]) -> Result<(System, Plan), CliError> {
    build_ref_system_with(m, specs, Vec::new())
}

/// [`build_ref_system`] with input queued on tasks' `svc:stdio.in`.
pub fn build_ref_system_with(
    m: &MachineArgs,
    specs: &[String],
    stdin: Vec<crate::program::StdinMsg>,
) -> Result<(System, Plan), CliError> {
    m.validate()?;
    let mcfg = m.machine_config();
    let mut plan = Plan::prepare(specs, mcfg.n_tasks)?;
    plan.stdin = stdin;
    let mut sys = System::new(&mcfg, m.exec_config());
    plan.load(&mut sys.exec, &mut sys.machine, SpawnOptions::default())?;
    Ok((sys, plan))
}

/// The JSON report of a reference system.
pub fn ref_report(sys: &System, plan: &Plan, outcome: vm_ref::system::Outcome) -> RunReport {
    let m = &sys.machine;
    let tasks = plan
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let pid = i as u8 + 1;
            TaskReport::new(pid, &t.spec.text, m.slot(pid), m.regs(pid), sys.exec.console_log(pid))
        })
        .collect();
    RunReport { outcome: outcome.name(), steps: m.steps, ticks: m.ticks, tasks }
}

/// Say so when the consoles could not all be printed (the run's result and exit code
/// stand; a reader that went away, `hsx run … | head`, is not worth a message).
fn console_print_error(r: std::io::Result<()>) {
    if let Err(e) = r {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("hsx run: printing the consoles failed: {e}; console lines after that point were not printed");
        }
    }
}

/// `hsx run`. Consoles are printed as they are written (`[pid] line`, crate::console),
/// then the summary.
pub fn run(a: RunArgs) -> Result<i32, CliError> {
    let printer =
        || -> Option<Box<dyn vm_ref::exec::ConsoleSink>> { Some(Box::new(crate::console::LinePrinter::stdio(a.json))) };
    let range = a.waves.range()?;
    if range.is_some() && a.engine != Engine::Rtl {
        return Err(CliError::Invalid("--waves needs --engine rtl (the reference model has no waveforms)".into()));
    }
    let (report, stall) = match a.engine {
        Engine::Ref => {
            let (mut sys, plan) = build_ref_system_with(&a.machine, &a.specs, a.stdin.messages()?)?;
            sys.exec.set_console_sink(printer());
            let outcome = sys.run(a.max_steps);
            console_print_error(sys.exec.finish_console());
            let stall = if outcome == vm_ref::system::Outcome::Stalled { sys.stall_reasons() } else { vec![] };
            (ref_report(&sys, &plan, outcome), stall)
        }
        Engine::Rtl => {
            a.machine.validate()?;
            let mcfg = a.machine.machine_config();
            let mut plan = Plan::prepare(&a.specs, mcfg.n_tasks)?;
            plan.stdin = a.stdin.messages()?;
            let raw = match (&a.waves.waves, range) {
                (Some(dir), Some(r)) => {
                    std::fs::create_dir_all(dir)
                        .map_err(|source| CliError::Io { path: dir.display().to_string(), source })?;
                    Some((crate::fsx::temp_path(&dir.join("rtl-raw.vcd")), dir.clone(), r))
                }
                _ => None,
            };
            let mut arm_err = None;
            let mut sys = crate::rtl::RtlSystem::new_with(
                sim::RtlOptions::default(),
                mcfg.protect,
                a.machine.exec_config(),
                &mut |rtl: &mut sim::Rtl| {
                    if let Some((path, _, r)) = &raw {
                        arm_err = rtl.vcd_arm(path, r.from, r.to).err();
                    }
                },
            )?;
            if let Some(e) = arm_err {
                return Err(CliError::Rtl(e.into()));
            }
            sys.load(&plan, SpawnOptions::default())?;
            sys.exec.set_console_sink(printer());
            let outcome = sys.run(a.max_steps);
            console_print_error(sys.exec.finish_console());
            if let Some((raw, dir, r)) = raw {
                sys.rtl.vcd_close();
                let failed = sys.rtl.vcd_failure(&raw.display().to_string());
                let res = match failed {
                    Some(e) => Err(CliError::Rtl(e.into())),
                    None => {
                        crate::harness::vcd::finish_rtl_only(&raw, &dir, r, sys.rtl.cycles()).map_err(CliError::from)
                    }
                };
                let _ = std::fs::remove_file(&raw);
                res?;
            }
            let outcome = outcome?;
            (sys.report(&plan, outcome), sys.stall_reasons())
        }
    };
    let mut human = report.human();
    for r in stall {
        human.push_str(&format!("  stalled: pid {} {}\n", r.pid, r.why));
    }
    if a.json {
        eprint!("{human}");
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer(&mut out, &report);
        let _ = writeln!(out);
    } else {
        print!("{human}");
    }
    Ok(report.exit_code())
}

/// `hsx shell`.
pub fn shell(a: ShellArgs) -> Result<i32, CliError> {
    a.machine.validate()?;
    if a.max_steps == 0 {
        return Err(CliError::Invalid("--max-steps must be at least 1".into()));
    }
    let sys = System::new(&a.machine.machine_config(), a.machine.exec_config());
    Ok(crate::shell::run_shell(sys, a.max_steps, &a.specs)?)
}

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
    let mut ls = crate::harness::Lockstep::new(&case, cfg)?;
    let cancel = || crate::interrupt::interrupted().is_some();
    let verdict = ls.run_until(&mut crate::harness::NoObserver, &cancel);
    // Code coverage of the run (also of a diverging one: up to the divergence).
    let mut code_text = String::new();
    if let (Some(dir), Some(_)) = (&a.coverage, &verdict) {
        use crate::regress::codecov;
        let raw: Vec<u64> = codecov::take(&ls.rtl.rtl).into_iter().map(u64::from).collect();
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
        ls.refs.machine.steps
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
    let mut ls = crate::harness::Lockstep::new(&rep.case, rep.config)?;
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
