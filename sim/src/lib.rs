//! # hsx-sim — the Verilated HSX RTL, driven from Rust
//!
//! [`Rtl`] owns one Verilated model of `hsx_top` (docs/rtl-interface.md): the real model,
//! or — with [`RtlOptions::mutant`] > 0 — the separately built mutant-capable model with
//! that mutant selected. It clocks the model, drives the host bus, the run control and
//! the trap handshake, returns retire records and traps as [`Event`]s, reads the design's
//! state in zero time (the probe), records every data-RAM write (the write monitor) and
//! writes VCD files on demand. docs/sim.md describes the build and the measured speed.
//!
//! The hot loops run in C++ (csrc/hsx_sim.cc): [`Rtl::run`] crosses the FFI once per
//! event, not once per cycle.
//!
//! The driver is split by concern, each file one `impl Rtl` block: `model.rs` (building,
//! reset, clock, run control, traps, coverage counters), `hostbus.rs` (host-bus
//! transactions and RAM/control-register conveniences), `commands.rs` (scheduler commands
//! and registers over the bus), `monitor.rs` (zero-time probe, write and table monitors),
//! `waves.rs` (VCD/FST), `checked.rs` (the lockstep's one-crossing-per-retire batch);
//! `probe.rs` names the model's public variables, `ffi.rs` is the C++ bridge.

mod checked;
mod commands;
pub mod ctrl;
mod ffi;
mod hostbus;
mod model;
mod monitor;
mod probe;
mod waves;

use cxx::UniquePtr;
use isa::{CommandError, Retire};

pub use ctrl::{cmd_word, global_reg, slot_reg};
use ffi::bridge;
pub use waves::{vcd_to_fst, VCD_TIME_PER_CYCLE};

/// `verilator --version` of the Verilator that verilated the RTL model linked into this
/// crate, as the build script (`sim/build/`) recorded it; `hsx --version` prints it.
pub const VERILATOR_VERSION: &str = env!("HSX_SIM_VERILATOR_VERSION");

/// Hash of everything the linked RTL models were built from (the RTL sources, the
/// Verilator version and flags), as the build script computed it for its model cache.
pub const RTL_HASH: &str = env!("HSX_SIM_RTL_HASH");

/// The directory Verilator ran in when it verilated the models: the file names in the
/// coverage model's data (`rtl/hsx_core.sv`, …) are relative to it.
pub const RTL_SOURCE_ROOT: &str = env!("HSX_SIM_RTL_SOURCE_ROOT");
/// Hash of what the linked mutant model was built from (the RTL, the hand mutant
/// catalogue and the mutation engine's schemata).
pub const MUTANT_HASH: &str = env!("HSX_SIM_MUTANT_HASH");

/// The hand mutant catalogue (`rtl/mutants/hand.toml`) the mutant model was built with;
/// parse it with `mutate::catalogue::parse`.
pub const HAND_CATALOGUE: &str = include_str!(concat!(env!("OUT_DIR"), "/hand.toml"));

/// The automatic mutants the mutant model holds (`mutate::auto_to_tsv`): every operator,
/// literal, `if` condition and procedural assignment of the RTL the engine found.
pub const AUTO_MUTANTS: &str = include_str!(concat!(env!("OUT_DIR"), "/auto_mutants.tsv"));

/// Cycles `rst_ni` is held low by [`Rtl::new`] and [`Rtl::reset`].
pub const RESET_CYCLES: u32 = 4;

/// Cycles a host-bus transaction may wait for `hb_ack_o` before it is a bus error.
pub const HB_TIMEOUT_CYCLES: u32 = 10_000;

/// Errors of the RTL driver.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("the Verilated model could not be created")]
    Model,
    #[error("the RTL has no public variable `{name}` (sim/src/probe.rs names it; docs/rtl-interface.md lists them); public variables of the model: {available}")]
    ProbeMissing { name: String, available: String },
    #[error("public variable `{name}` has an unexpected shape: {why}")]
    ProbeShape { name: String, why: String },
    #[error("host bus: no ack within {cycles} cycles ({space:?} space, address {addr:#06x})")]
    BusTimeout { space: Space, addr: u16, cycles: u32 },
    #[error("host bus: not driven after an earlier access timed out ({space:?} space, address {addr:#06x})")]
    BusDown { space: Space, addr: u16 },
    #[error("{space:?} access of {len} bytes at {addr:#06x} runs past 0xFFFF")]
    OutOfRange { space: Space, addr: u16, len: usize },
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("the control register reads {value:#x}, which is no {what}")]
    BadRegister { what: &'static str, value: u32 },
    #[error("cannot open VCD file {path}")]
    Vcd { path: String },
    #[error("cannot write the VCD file {path}: this RTL model was built without the tracer (build it with RtlOptions::trace)")]
    NotTraced { path: String },
    #[error("writing the FST file: {0}")]
    Fst(String),
    #[error("writing the VCD file {path}: {source}")]
    VcdWrite { path: String, source: std::io::Error },
    #[error("the RTL has no data-RAM write-port signals for the write monitor (sim/src/probe.rs `wport`): {why}")]
    MonitorUnavailable { why: String },
    #[error("the write monitor lost {0} writes (its ring overflowed between two drains)")]
    WritesLost(u64),
    #[error("the coverage model has no mutants (mutant {0} asked for with coverage on)")]
    CoverageMutant(u16),
    #[error("writing the coverage data: {0}")]
    Coverage(String),
}

/// Task-table fields per slot, in [`probe::SlotVars`] order.
const SLOT_FIELDS: usize = 17;

/// Host-bus address space (`hb_space_i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Space {
    /// 64 KiB data RAM (little-endian lanes).
    Data = ctrl::space::DATA as isize,
    /// 64 KiB code RAM (a word is the big-endian code word as a number).
    Code = ctrl::space::CODE as isize,
    /// Control registers (docs/rtl-interface.md).
    Ctrl = ctrl::space::CTRL as isize,
}

/// Model selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RtlOptions {
    /// 0 = the real model; > 0 = the mutant model with `mutant_i` tied to this (1..=255 a
    /// hand mutant, from 256 an automatic one; docs/mutation.md).
    pub mutant: u16,
    /// With `mutant` 0: the monitor model — the real RTL with the lockstep's checkers of
    /// `rtl/monitors/` bound in (the task-table stability rule checked inside the model,
    /// read once per retire) — what the lockstep harness runs. Ignored for a mutant and
    /// for the coverage model.
    pub monitors: bool,
    /// The coverage model `Vhsx_cov` (the real RTL with Verilator's line and toggle
    /// counters, [`Rtl::coverage_counts`]; without the monitors: the task-table rule is
    /// then checked by the driver); `mutant` must then be 0.
    pub coverage: bool,
    /// With `mutant` 0 and without `coverage`: the traced model `Vhsx_trc` — the monitor
    /// model with Verilator's tracer, so that [`Rtl::vcd_open`] and [`Rtl::vcd_arm`] work
    /// (whether or not `monitors` is set; its checker stays off until
    /// [`Rtl::set_table_monitor`]). The real and the monitor model are built without the
    /// tracer, which makes every cycle cheaper (docs/benchmarks.md); the mutant and the
    /// coverage models are always traced.
    pub trace: bool,
}

/// Why the core traps (`trap_cause_o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapCause {
    /// An SVC: the executive services it, then [`Rtl::trap_ack`]; the SVC then retires.
    Svc,
    /// A BLOCKED task's deadline passed (its pid is [`Trap::pid`]).
    Timeout,
    /// Any other value of `trap_cause_o` (an RTL bug).
    Unknown(u8),
}

/// A pending trap (the trap outputs while `trap_o` is high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Trap {
    pub cause: TrapCause,
    pub pid: u8,
    pub module: u8,
    pub func: u8,
    pub pc: u16,
}

/// What [`Rtl::run`] stopped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A step retired. [`Rtl::last_retire_cycle`] gives the cycle it was seen in.
    Retire(Retire),
    /// A trap is pending; the core waits for [`Rtl::trap_ack`].
    Trap(Trap),
    /// Quiescent (`idle_o`): nothing READY/RUNNING and no deadline pending.
    Idle,
    /// Stopped at a step boundary after [`Rtl::set_run`]`(false)`.
    Halted,
    /// The cycle budget was spent.
    CycleLimit,
}

/// The machine-wide registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Globals {
    pub current: u8,
    pub last_ran: u8,
    pub steps: u64,
    pub ticks: u64,
    pub stack_region_lo: u32,
    pub protect: bool,
}

/// A data-RAM write seen on the RAM's write port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObservedWrite {
    /// [`Rtl::cycles`] right after the rising edge that committed it.
    pub cycle: u64,
    /// Word-aligned byte address.
    pub addr: u16,
    /// Byte enables (bit i = byte `addr + i`).
    pub be: u8,
    /// The word as driven on the port (only the enabled lanes are written).
    pub data: u32,
    /// The host bus wrote it (else the core).
    pub from_host: bool,
}

/// How a RAM array is laid out in the model.
#[derive(Debug, Clone, Copy)]
struct Mem {
    handle: i32,
    /// Lowest unpacked index.
    low: i32,
}

/// One Verilated model of `hsx_top` with its driver.
pub struct Rtl {
    m: UniquePtr<bridge::RtlModel>,
    opts: RtlOptions,
    n_tasks: u8,
    dmem: Mem,
    cmem: Mem,
    slot_vars: probe::SlotVars,
    slot_low: i32,
    globals: probe::GlobalVars,
    monitor: Result<(), String>,
    /// `timing_skip` is bound (else every cycle counts as timed).
    timing: bool,
    in_flight: i32,
    step_boundary: i32,
    /// The task-table stability monitor could be bound.
    table_monitor: bool,
    last_retire_cycle: u64,
    last_retire_timed: u64,
    bus_error: Option<SimError>,
    scratch: Vec<bridge::ObsWrite>,
    /// The raw task table of the last probe (`SLOT_FIELDS × n_tasks`, overwritten whole
    /// by each probe: kept so that a probe neither allocates nor clears a buffer).
    slot_raw: std::cell::Cell<Vec<u64>>,
    /// [`Rtl::run_checked`]'s state: the task table as of its last retire.
    ck: checked::State,
}

impl std::fmt::Debug for Rtl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rtl")
            .field("mutant", &self.opts.mutant)
            .field("n_tasks", &self.n_tasks)
            .field("cycles", &self.cycles())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod gates;
#[cfg(test)]
mod tests;
