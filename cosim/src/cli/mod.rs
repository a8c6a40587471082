//! The subcommands behind the `hsx` binary (cli.md). The binary only parses and maps
//! errors to exit codes; everything here returns typed errors.
//!
//! By concern: this module holds the errors, the option groups several subcommands share
//! ([`MachineArgs`], [`WaveArgs`], [`StdinArgs`]) and the number parsers; [`tools`] `hsx
//! asm` and `hsx disasm`; [`run`](mod@run) `hsx run` and `hsx shell` (and building a reference
//! system); [`lockstep`] `hsx cosim` and `hsx replay`; [`regress`](mod@regress) `hsx regress` and `hsx
//! merge`. Every subcommand is re-exported here (`cli::run`, `cli::CosimArgs`, …).

pub mod lockstep;
pub mod regress;
pub mod run;
pub mod tools;

pub use lockstep::{cosim, replay, CosimArgs, ReplayArgs};
pub use regress::{merge, regress, MergeArgs, RegressArgs};
pub use run::{build_ref_system, build_ref_system_with, ref_report, run, shell, RunArgs, ShellArgs};
pub use tools::{asm, disasm, disasm_filter, AsmArgs, DisasmArgs};

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
