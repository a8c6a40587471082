//! `hsx run` (tasks to quiescence on the golden model or the RTL, consoles as they are
//! written, the summary or the JSON report) and `hsx shell`; building a reference system
//! from SPECs.

use super::*;

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
            // The traced model only when waveforms are asked for (the untraced one is faster).
            let opts = sim::RtlOptions { trace: raw.is_some(), ..sim::RtlOptions::default() };
            let mut sys = crate::rtl::RtlSystem::new_with(
                opts,
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
