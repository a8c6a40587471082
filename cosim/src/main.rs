//! `hsx` — the HSX command line (cli.md). Thin: all logic lives in the `cosim` library.

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hsx",
    about = "HSX register-window machine: assembler, golden model, RTL co-simulation",
    long_about = "HSX register-window machine tools.\n\nA SPEC is FILE[@ENTRY]: FILE is .mvasm (assembled on the fly) or .hxe; ENTRY is a label (MVASM) or a code offset. Each SPEC spawns one task, pids in order from 1. Numbers may be decimal or 0x… hex."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Assemble an MVASM file into an HXE image (errors as file:line:col: message).
    Asm(cosim::cli::AsmArgs),
    /// Disassemble an HXE image (or an .mvasm file, assembled first).
    Disasm(cosim::cli::DisasmArgs),
    /// Run tasks on one machine to quiescence (or --max-steps).
    Run(cosim::cli::RunArgs),
    /// Interactive executive shell; reads commands from stdin (scriptable). `help` lists them.
    Shell(cosim::cli::ShellArgs),
    /// Lockstep co-simulation of the reference model and the RTL on these programs.
    Cosim(cosim::cli::CosimArgs),
    /// Re-run a reported divergence exactly, writing its report and VCDs again.
    Replay(cosim::cli::ReplayArgs),
    /// Directed programs + seeded random programs in lockstep (0 all agree, 1 some diverged, 2 bad input, 130/143 interrupted).
    Regress(cosim::cli::RegressArgs),
    /// Merge the --results files of a sharded regression into one summary and JUnit file (as one process would have printed).
    Merge(cosim::cli::MergeArgs),
    /// Mutation campaign: N automatic RTL mutants against the regression; report and score (docs/mutation.md).
    Mutate(cosim::campaign::cli::MutateArgs),
}

/// What `hsx --version` prints after `hsx `: the tool's version, then the Verilator that
/// built the RTL model (docs/manual/cli.md).
fn version() -> String {
    format!("{}\nRTL model: verilated by {}", env!("CARGO_PKG_VERSION"), sim::VERILATOR_VERSION)
}

fn main() -> ExitCode {
    // GTKWave runs a process filter as `PROGRAM "REST OF THE LINE"` (one argument): a
    // single argument with spaces is split into words (`hsx "disasm --filter psw"`).
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() == 2 {
        if let Some(one) = args[1].to_str().filter(|a| a.contains(' ')).map(str::to_string) {
            args.truncate(1);
            args.extend(one.split_whitespace().map(std::ffi::OsString::from));
        }
    }
    let version: &'static str = Box::leak(version().into_boxed_str());
    let parsed = Cli::command().version(version).try_get_matches_from(args).and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // The long-running commands stop cleanly on SIGINT/SIGTERM (docs/failure.md).
    if matches!(cli.cmd, Cmd::Cosim(_) | Cmd::Replay(_) | Cmd::Regress(_) | Cmd::Mutate(_)) {
        if let Err(e) = cosim::interrupt::install() {
            eprintln!("hsx: warning: cannot handle SIGINT/SIGTERM ({e}); a signal will end the run at once");
        }
    }
    let r: Result<i32> = match cli.cmd {
        Cmd::Asm(a) => cosim::cli::asm(a).map_err(anyhow::Error::from),
        Cmd::Disasm(a) => cosim::cli::disasm(a).map_err(anyhow::Error::from),
        Cmd::Run(a) => cosim::cli::run(a).map_err(anyhow::Error::from),
        Cmd::Shell(a) => cosim::cli::shell(a).map_err(anyhow::Error::from),
        Cmd::Cosim(a) => cosim::cli::cosim(a).map_err(anyhow::Error::from),
        Cmd::Replay(a) => cosim::cli::replay(a).map_err(anyhow::Error::from),
        Cmd::Regress(a) => cosim::cli::regress(a).map_err(anyhow::Error::from),
        Cmd::Merge(a) => cosim::cli::merge(a).map_err(anyhow::Error::from),
        Cmd::Mutate(a) => cosim::campaign::cli::mutate(a).map_err(anyhow::Error::from),
    };
    match r {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("hsx: error: {e}");
            ExitCode::from(2)
        }
    }
}
