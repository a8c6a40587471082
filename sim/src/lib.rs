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

mod checked;
pub mod ctrl;
mod ffi;
mod probe;

use std::path::Path;

use cxx::UniquePtr;
use isa::{Command, CommandError, MemWrite, Retire, Slot, SpawnContext, TaskState, WaitKind};

pub use ctrl::{cmd_word, global_reg, slot_reg};
use ffi::bridge;

/// Convert the VCD file `vcd` to an FST file `fst` with the FST writer Verilator ships
/// (compressed; GTKWave reads it like the VCD). Streaming; the FST has the same scopes,
/// signals and values.
pub fn vcd_to_fst(vcd: &Path, fst: &Path) -> Result<(), SimError> {
    let bad = |p: &Path| SimError::Vcd { path: p.display().to_string() };
    let v = vcd.to_str().ok_or_else(|| bad(vcd))?;
    let f = fst.to_str().ok_or_else(|| bad(fst))?;
    let err = bridge::vcd_to_fst(v, f);
    if err.is_empty() {
        Ok(())
    } else {
        Err(SimError::Fst(err))
    }
}

/// VCD time units (ns) per clock cycle: rising edge number `c` (after which
/// [`Rtl::cycles`] is `c`) is at time `c * VCD_TIME_PER_CYCLE`.
pub const VCD_TIME_PER_CYCLE: u64 = 10;

/// `verilator --version` of the Verilator that verilated the RTL model linked into this
/// crate, as the build script (`build.rs`) recorded it; `hsx --version` prints it.
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

/// A slot from its raw field values (state, pc, code_base, code_size, psw, sp, reg_base,
/// stack_limit, stack_top, slice, slice_used, wait, deadline valid, deadline,
/// accounted_steps, exit_code, fault), masked to the fields' widths.
fn slot_of_raw(r: &[u64]) -> Slot {
    let state = TaskState::from_u8((r[0] & 0xFF) as u8).unwrap_or(TaskState::Empty);
    Slot {
        state,
        pc: r[1] as u16,
        code_base: r[2] as u32,
        code_size: r[3] as u32,
        psw: (r[4] & 0xF) as u8,
        sp: r[5] as u32,
        reg_base: r[6] as u32,
        stack_limit: r[7] as u32,
        stack_top: r[8] as u32,
        slice: r[9] as u32,
        slice_used: r[10] as u32,
        wait: WaitKind::from_u8((r[11] & 0xFF) as u8).unwrap_or(WaitKind::None),
        deadline: (r[12] & 1 != 0).then_some(r[13]),
        accounted_steps: r[14],
        exit_code: (state == TaskState::Returned).then_some(r[15] as u32),
        fault: (state == TaskState::Faulted).then_some(r[16] as u32),
    }
}

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

impl Rtl {
    /// Build the model and reset it (`rst_ni` low for [`RESET_CYCLES`] cycles). After
    /// `new`, [`cycles`](Rtl::cycles) is 0 and `run_i` is low (stopped).
    pub fn new(opts: RtlOptions) -> Result<Rtl, SimError> {
        if opts.coverage && opts.mutant != 0 {
            return Err(SimError::CoverageMutant(opts.mutant));
        }
        let mut m = if opts.coverage { bridge::new_cov_model() } else { bridge::new_model(opts.mutant, opts.monitors) };
        if m.is_null() {
            return Err(SimError::Model);
        }
        let mut bind = |name: &str, array: bool| -> Result<i32, SimError> {
            let h = m.pin_mut().bind_var(name, array);
            if h < 0 {
                let mut avail: Vec<String> = m.public_vars().into_iter().map(|s| s.to_string()).collect();
                avail.sort();
                return Err(SimError::ProbeMissing { name: name.to_string(), available: avail.join(", ") });
            }
            Ok(h)
        };
        let dmem = bind(probe::DMEM, true)?;
        let cmem = bind(probe::CMEM, true)?;
        let mut sh = [0i32; 17];
        for (h, name) in sh.iter_mut().zip(probe::slot::ALL) {
            *h = bind(name, true)?;
        }
        let globals = probe::GlobalVars {
            current: bind(probe::global::CURRENT, false)?,
            last_ran: bind(probe::global::LAST_RAN, false)?,
            steps: bind(probe::global::STEPS, false)?,
            ticks: bind(probe::global::TICKS, false)?,
            stack_region_lo: bind(probe::global::STACK_REGION_LO, false)?,
            protect: bind(probe::global::PROTECT, false)?,
        };
        let slot_vars = probe::SlotVars::from_handles(sh);

        // Shapes.
        let mem_of = |m: &bridge::RtlModel, h: i32, name: &str| -> Result<Mem, SimError> {
            let i = m.var_info(h);
            if i.udims != 1 || i.width != 32 || i.uhigh - i.ulow + 1 != 16384 {
                return Err(SimError::ProbeShape {
                    name: name.into(),
                    why: format!("want 16384 words of 32 bits, found {} x {} bits", i.uhigh - i.ulow + 1, i.width),
                });
            }
            Ok(Mem { handle: h, low: i.ulow })
        };
        let dmem = mem_of(&m, dmem, probe::DMEM)?;
        let cmem = mem_of(&m, cmem, probe::CMEM)?;
        let si = m.var_info(slot_vars.state);
        if si.udims != 1 || si.uhigh < si.ulow {
            return Err(SimError::ProbeShape {
                name: probe::slot::STATE.into(),
                why: "not a one-dimensional array".into(),
            });
        }
        let n_tasks = (si.uhigh - si.ulow + 1) as usize;
        if !(1..=isa::MAX_TASKS).contains(&n_tasks) {
            return Err(SimError::ProbeShape {
                name: probe::slot::STATE.into(),
                why: format!("{n_tasks} slots (want 1..={})", isa::MAX_TASKS),
            });
        }
        for (name, h) in probe::slot::ALL.iter().zip(sh) {
            let i = m.var_info(h);
            if i.udims != 1 || i.ulow != si.ulow || i.uhigh != si.uhigh || i.width > 64 {
                return Err(SimError::ProbeShape {
                    name: name.to_string(),
                    why: format!("want [{}:{}] of at most 64 bits like the state array", si.ulow, si.uhigh),
                });
            }
        }

        // The write monitor is optional: without its signals, take_observed_writes errs.
        let monitor = (|| -> Result<(), String> {
            let mut hs = [0i32; 6];
            let names = [
                probe::wport::REQ,
                probe::wport::WE,
                probe::wport::ADDR,
                probe::wport::BE,
                probe::wport::DATA,
                probe::wport::SRC,
            ];
            for (h, n) in hs.iter_mut().zip(names) {
                *h = m.pin_mut().bind_var(n, false);
                if *h < 0 {
                    return Err(format!("no public variable `{n}`"));
                }
            }
            if m.pin_mut().bind_write_monitor(
                hs[0],
                hs[1],
                hs[2],
                probe::wport::ADDR_IS_WORD,
                hs[3],
                hs[4],
                hs[5],
                probe::wport::SRC_HOST,
            ) {
                Ok(())
            } else {
                Err("the write-port signals are not scalars of at most 64 bits".into())
            }
        })();

        // Optional per-cycle status signals.
        let timing_skip = m.pin_mut().bind_var(probe::cycle::TIMING_SKIP, false);
        let timing = timing_skip >= 0 && m.pin_mut().bind_timing_skip(timing_skip);
        let in_flight = m.pin_mut().bind_var(probe::cycle::IN_FLIGHT, false);
        let step_boundary = m.pin_mut().bind_var(probe::cycle::STEP_BOUNDARY, false);
        let table_monitor = {
            let v = &slot_vars;
            let g = &globals;
            let mut hs = v.handles().to_vec();
            hs.extend([g.current, g.last_ran, g.steps, g.ticks, g.stack_region_lo, g.protect]);
            in_flight >= 0 && m.pin_mut().bind_table_monitor(&hs, in_flight)
        };

        Ok(checked::State::bind(Rtl {
            m,
            table_monitor,
            timing,
            in_flight,
            step_boundary,
            last_retire_timed: 0,
            opts,
            n_tasks: n_tasks as u8,
            dmem,
            cmem,
            slot_vars,
            slot_low: si.ulow,
            globals,
            monitor,
            last_retire_cycle: 0,
            bus_error: None,
            scratch: Vec::new(),
            slot_raw: std::cell::Cell::new(vec![0; SLOT_FIELDS * n_tasks]),
            ck: checked::State::default(),
        }))
    }

    /// The options the model was built with.
    pub fn options(&self) -> RtlOptions {
        self.opts
    }

    /// Task slots of the design (`NTasks`); pids are `1..=n_tasks`.
    pub fn n_tasks(&self) -> u8 {
        self.n_tasks
    }

    /// Verilator's version string (of the runtime linked in).
    pub fn verilator_version() -> String {
        bridge::verilator_version()
    }

    /// Reset again: `rst_ni` low for [`RESET_CYCLES`] cycles with every input idle;
    /// `run_i` low afterwards, the cycle counter 0, queued retires and observed writes
    /// dropped, an open VCD closed (its time axis would restart).
    pub fn reset(&mut self) {
        self.m.pin_mut().reset(RESET_CYCLES);
        self.last_retire_cycle = 0;
        self.last_retire_timed = 0;
        self.bus_error = None;
    }

    /// Clock cycles since the end of reset.
    /// Write the code-coverage counters of this model since it was built (or since
    /// [`coverage_zero`](Rtl::coverage_zero)) to `path`, in Verilator's `coverage.dat`
    /// format (`verilator_coverage` reads it). The counters belong to this model alone
    /// (its own `VerilatedContext`), whatever other models run in other threads. A model
    /// built without [`RtlOptions::coverage`] writes a file without points.
    pub fn coverage_write(&mut self, path: &Path) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::Coverage(format!("non-UTF-8 path {}", path.display())))?;
        let e = self.m.pin_mut().coverage_write(p);
        if e.is_empty() {
            Ok(())
        } else {
            Err(SimError::Coverage(e.to_string()))
        }
    }

    /// Zero this model's code-coverage counters.
    pub fn coverage_zero(&mut self) {
        self.m.pin_mut().coverage_zero();
    }

    /// The raw code-coverage counters of this model (Verilator's per-model counter array,
    /// in its order; empty unless [`RtlOptions::coverage`]). Every coverage model of one
    /// build has the same layout ([`coverage_write_layout`](Rtl::coverage_write_layout)).
    pub fn coverage_counts(&self) -> Vec<u32> {
        let mut v = vec![0u32; self.m.coverage_len()];
        self.m.coverage_counts(&mut v);
        v
    }

    /// Write which coverage point each raw counter is: every counter set to its index + 1,
    /// written one line per instance (`VerilatedCovContext::forcePerInstance`) to `path`;
    /// then every counter is zeroed. A point whose count in the file is 0 has no counter.
    pub fn coverage_write_layout(&mut self, path: &Path) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::Coverage(format!("non-UTF-8 path {}", path.display())))?;
        let e = self.m.pin_mut().coverage_write_layout(p);
        if e.is_empty() {
            Ok(())
        } else {
            Err(SimError::Coverage(e.to_string()))
        }
    }

    /// Is this the coverage model?
    pub fn is_coverage_model(&self) -> bool {
        self.opts.coverage
    }

    pub fn cycles(&self) -> u64 {
        self.m.cycles()
    }

    /// Clock `n` cycles with the inputs as they are. Retire records seen meanwhile are
    /// queued (up to 1024; see [`retires_lost`](Rtl::retires_lost)) and returned by the
    /// next [`run`](Rtl::run) calls.
    pub fn tick(&mut self, n: u64) {
        self.m.pin_mut().tick(n);
    }

    /// A bus that timed out stays down until its error is taken
    /// ([`take_bus_error`](Rtl::take_bus_error)): further accesses fail at once instead of
    /// waiting [`HB_TIMEOUT_CYCLES`] each (a broken RTL — a mutant — would otherwise spend
    /// minutes timing out every word of an arena).
    fn bus_down(&self, space: Space, addr: u16) -> Result<(), SimError> {
        match self.bus_error {
            Some(SimError::BusTimeout { .. }) => Err(SimError::BusDown { space, addr }),
            _ => Ok(()),
        }
    }

    /// One host-bus read (clocks until `hb_ack_o`).
    pub fn try_hb_read(&mut self, space: Space, addr: u16) -> Result<u32, SimError> {
        self.bus_down(space, addr)?;
        let mut r = 0u32;
        if self.m.pin_mut().hb_access(false, space as u8, addr, 0, 0, HB_TIMEOUT_CYCLES, &mut r) {
            Ok(r)
        } else {
            Err(SimError::BusTimeout { space, addr, cycles: HB_TIMEOUT_CYCLES })
        }
    }

    /// One host-bus write with byte enables `be` (clocks until `hb_ack_o`).
    pub fn try_hb_write(&mut self, space: Space, addr: u16, data: u32, be: u8) -> Result<(), SimError> {
        self.bus_down(space, addr)?;
        let mut r = 0u32;
        if self.m.pin_mut().hb_access(true, space as u8, addr, data, be & 0xF, HB_TIMEOUT_CYCLES, &mut r) {
            Ok(())
        } else {
            Err(SimError::BusTimeout { space, addr, cycles: HB_TIMEOUT_CYCLES })
        }
    }

    /// One host-bus read. On a bus time-out (no ack within [`HB_TIMEOUT_CYCLES`]) it
    /// returns 0 and records the error for [`take_bus_error`](Rtl::take_bus_error);
    /// [`try_hb_read`](Rtl::try_hb_read) returns it instead.
    pub fn hb_read(&mut self, space: Space, addr: u16) -> u32 {
        match self.try_hb_read(space, addr) {
            Ok(v) => v,
            Err(e) => {
                self.bus_error.get_or_insert(e);
                0
            }
        }
    }

    /// One host-bus write; a time-out is recorded as for [`hb_read`](Rtl::hb_read).
    pub fn hb_write(&mut self, space: Space, addr: u16, data: u32, be: u8) {
        if let Err(e) = self.try_hb_write(space, addr, data, be) {
            self.bus_error.get_or_insert(e);
        }
    }

    /// The first bus error [`hb_read`](Rtl::hb_read)/[`hb_write`](Rtl::hb_write) met
    /// since the last call (or reset).
    pub fn take_bus_error(&mut self) -> Option<SimError> {
        self.bus_error.take()
    }

    /// Drive `run_i` (no clock): `false` stops the core at the next step boundary.
    pub fn set_run(&mut self, run: bool) {
        self.m.pin_mut().set_run(run);
    }

    /// The current value of `run_i`.
    pub fn running(&self) -> bool {
        self.m.get_run()
    }

    /// Clock until something happens, at most `max_cycles` cycles (one FFI crossing):
    ///
    /// 1. a retire record queued earlier (by [`tick`](Rtl::tick), a host-bus access or
    ///    [`trap_ack`](Rtl::trap_ack)) is returned first, without clocking;
    /// 2. a pending trap (`trap_o` high) is returned without clocking — so until it is
    ///    acknowledged, every call returns it again;
    /// 3. otherwise clock; after each rising edge stop on a retire (`rvfi_valid_o`), a
    ///    trap, `halted_o` while `run_i` is low ([`Event::Halted`]), or `idle_o`
    ///    ([`Event::Idle`]); [`Event::CycleLimit`] when the budget is spent.
    pub fn run(&mut self, max_cycles: u64) -> Event {
        let o = self.m.pin_mut().run(max_cycles);
        self.event_of(&o)
    }

    /// The [`Event`] of what the C++ `run` returned (noting a retire's cycles).
    fn event_of(&mut self, o: &bridge::RunOut) -> Event {
        match o.kind {
            0 => {
                self.last_retire_cycle = o.retire.cycle;
                self.last_retire_timed = o.retire.timed;
                Event::Retire(retire_of(&o.retire))
            }
            1 => Event::Trap(Trap {
                cause: match o.trap.cause {
                    ctrl::trap_cause::SVC => TrapCause::Svc,
                    ctrl::trap_cause::TIMEOUT => TrapCause::Timeout,
                    c => TrapCause::Unknown(c),
                },
                pid: o.trap.pid,
                module: o.trap.module,
                func: o.trap.func,
                pc: o.trap.pc,
            }),
            2 => Event::Idle,
            3 => Event::Halted,
            _ => Event::CycleLimit,
        }
    }

    /// The cycle in which the retire record last returned by [`run`](Rtl::run) was valid
    /// on the retire port.
    pub fn last_retire_cycle(&self) -> u64 {
        self.last_retire_cycle
    }

    /// Cycles since reset that count for the timing table: every cycle except those
    /// the RTL marks with `timing_skip` (waiting on the host bus or on trap service;
    /// docs/timing.md). Without that signal, equal to [`cycles`](Rtl::cycles).
    pub fn timed_cycles(&self) -> u64 {
        self.m.timed_cycles()
    }

    /// [`timed_cycles`](Rtl::timed_cycles) at the retire last returned by
    /// [`run`](Rtl::run): the difference between two retires is what `--check-timing`
    /// compares with the timing table.
    pub fn last_retire_timed_cycle(&self) -> u64 {
        self.last_retire_timed
    }

    /// Whether the RTL exposes `timing_skip` (else timed cycles are all cycles).
    pub fn has_timing_signal(&self) -> bool {
        self.timing
    }

    /// Turn the task-table stability monitor on or off (off by default: it costs a
    /// compare of the table on every cycle inside an instruction). Errors if the RTL does
    /// not expose `in_flight`.
    pub fn set_table_monitor(&mut self, on: bool) -> Result<(), SimError> {
        if on && !self.table_monitor {
            return Err(SimError::MonitorUnavailable {
                why: "the RTL exposes no `in_flight` signal for the table monitor".into(),
            });
        }
        self.m.pin_mut().set_table_monitor(on);
        Ok(())
    }

    /// The RTL cycle at which the task table (or `current`, `last_ran`, `steps`,
    /// `ticks`, `stack_region_lo`, `protect`) last changed while an instruction was in
    /// flight — not at a step boundary, a retire, a trap or a host-bus command — since the
    /// previous call; `None` if it never did.
    pub fn take_table_violation(&mut self) -> Option<u64> {
        match self.m.pin_mut().take_table_violation() {
            0 => None,
            c => Some(c),
        }
    }

    /// Corrupt the table monitor's next snapshot so that it must report a violation (a
    /// self-test of the monitor's comparison, used by the tests).
    pub fn table_monitor_self_test(&mut self) {
        self.m.pin_mut().table_monitor_self_test();
    }

    /// Make the table monitor treat the next retire edge inside an instruction as a
    /// mid-instruction edge, so that the changes every retire makes (pc, `steps`, …)
    /// must be reported: a self-test of its comparison of the table, used by the tests.
    pub fn table_monitor_no_exempt(&mut self) {
        self.m.pin_mut().table_monitor_no_exempt();
    }

    /// Whether this model checks the task-table stability rule inside the model (the
    /// monitor model's bound SystemVerilog checker) rather than by comparing snapshots of
    /// the table after every edge.
    pub fn table_monitor_in_model(&self) -> bool {
        self.m.table_monitor_in_model()
    }

    /// `in_flight` now (probe): an instruction, or a step's timeout/pick phase, is in
    /// progress. `None` if the RTL does not expose it.
    pub fn probe_in_flight(&self) -> Option<bool> {
        (self.in_flight >= 0).then(|| self.read(self.in_flight, 0, 1) != 0)
    }

    /// `step_boundary` now (probe). `None` if the RTL does not expose it.
    pub fn probe_step_boundary(&self) -> Option<bool> {
        (self.step_boundary >= 0).then(|| self.read(self.step_boundary, 0, 1) != 0)
    }

    /// Retire records dropped because the queue (1024) was full (only [`tick`](Rtl::tick)
    /// with a running core can fill it).
    pub fn retires_lost(&self) -> u64 {
        self.m.retires_lost()
    }

    /// Retire records seen but not yet returned by [`run`](Rtl::run).
    pub fn retires_queued(&self) -> usize {
        self.m.retires_queued()
    }

    /// Pulse `trap_ack_i` for one cycle.
    pub fn trap_ack(&mut self) {
        self.m.pin_mut().trap_ack();
    }

    /// `trap_o` now (no clock).
    pub fn trap_pending(&self) -> bool {
        self.m.trap_pending()
    }

    /// `halted_o` now (no clock).
    pub fn halted(&self) -> bool {
        self.m.halted()
    }

    /// `idle_o` now (no clock).
    pub fn idle(&self) -> bool {
        self.m.idle()
    }

    // ---------------------------------------------------------------------------------
    // Zero-time probe: reads the model's public variables; no eval, no clock.
    // ---------------------------------------------------------------------------------

    fn read(&self, h: i32, index: i32, width: u32) -> u64 {
        self.m.var_read(h, index, 0, width)
    }

    /// The task slot of `pid` (1..=n_tasks), from the task-table registers. A pid
    /// outside the table reads as an EMPTY default slot.
    pub fn probe_slot(&self, pid: u8) -> Slot {
        if pid == 0 || pid > self.n_tasks {
            return Slot::default();
        }
        let mut reqs = [0u64; SLOT_FIELDS];
        let mut raw = [0u64; SLOT_FIELDS];
        self.slot_reqs(pid, &mut reqs);
        self.m.var_read_batch(&reqs, &mut raw);
        slot_of_raw(&raw)
    }

    /// The `(handle, index)` requests for every field of `pid`'s slot.
    fn slot_reqs(&self, pid: u8, out: &mut [u64]) {
        let i = (self.slot_low + pid as i32 - 1) as u32 as u64;
        let v = &self.slot_vars;
        let hs = v.handles();
        for (o, h) in out.iter_mut().zip(hs) {
            *o = ((h as u32 as u64) << 32) | i;
        }
    }

    /// The raw state encoding of `pid`'s slot (for checking that it is a legal
    /// [`TaskState`]; [`probe_slot`](Rtl::probe_slot) maps an illegal one to EMPTY).
    pub fn probe_state_raw(&self, pid: u8) -> u8 {
        if pid == 0 || pid > self.n_tasks {
            return 0;
        }
        self.read(self.slot_vars.state, self.slot_low + pid as i32 - 1, 8) as u8
    }

    /// Every slot, `[pid 1, pid 2, …]`.
    pub fn probe_slots(&self) -> Vec<Slot> {
        let mut v = vec![];
        self.probe_slots_into(&mut v);
        v
    }

    /// [`probe_slots`](Rtl::probe_slots) into a caller-owned vector (the harness reads
    /// the table after every retire: no allocation per retire).
    pub fn probe_slots_into(&self, out: &mut Vec<Slot>) {
        // One FFI crossing for the whole table: each field is one Verilated array.
        let n = self.n_tasks as usize;
        let hs = self.slot_vars.handles();
        let mut raw = self.slot_raw.take();
        raw.resize(SLOT_FIELDS * n, 0);
        self.m.var_read_arrays(&hs, n as u32, &mut raw);
        out.clear();
        out.extend((0..n).map(|p| {
            let mut f = [0u64; SLOT_FIELDS];
            for (k, x) in f.iter_mut().enumerate() {
                *x = raw[k * n + p];
            }
            slot_of_raw(&f)
        }));
        self.slot_raw.set(raw);
    }

    /// The machine-wide registers.
    pub fn probe_globals(&self) -> Globals {
        let g = &self.globals;
        Globals {
            current: self.read(g.current, 0, 8) as u8,
            last_ran: self.read(g.last_ran, 0, 8) as u8,
            steps: self.read(g.steps, 0, 64),
            ticks: self.read(g.ticks, 0, 64),
            stack_region_lo: self.read(g.stack_region_lo, 0, 32) as u32,
            protect: self.read(g.protect, 0, 1) != 0,
        }
    }

    /// The data-RAM word containing byte `addr` (little-endian: byte `addr & !3` is
    /// bits 7:0).
    pub fn peek_data_word(&self, addr: u16) -> u32 {
        self.read(self.dmem.handle, self.dmem.low + (addr >> 2) as i32, 32) as u32
    }

    /// The code word containing byte `addr` (the big-endian word as a number: byte
    /// `addr & !3` is bits 31:24).
    pub fn peek_code_word(&self, addr: u16) -> u32 {
        self.read(self.cmem.handle, self.cmem.low + (addr >> 2) as i32, 32) as u32
    }

    /// The data RAM as bytes from address 0 (as many as `out` holds, at most 64 KiB).
    pub fn read_data_mem(&self, out: &mut [u8]) {
        let n = out.len().min(isa::DATA_SIZE);
        if n == isa::DATA_SIZE {
            self.m.var_dump(self.dmem.handle, out);
            return;
        }
        let mut all = vec![0u8; isa::DATA_SIZE];
        self.m.var_dump(self.dmem.handle, &mut all);
        out[..n].copy_from_slice(&all[..n]);
    }

    /// The data RAM, all 64 KiB.
    pub fn data_mem(&self) -> Vec<u8> {
        let mut v = vec![0u8; isa::DATA_SIZE];
        self.read_data_mem(&mut v);
        v
    }

    /// The code RAM as bytes from address 0 (big-endian words, as in code space).
    pub fn read_code_mem(&self, out: &mut [u8]) {
        let mut all = vec![0u8; isa::CODE_SIZE];
        self.m.var_dump(self.cmem.handle, &mut all);
        for w in all.chunks_exact_mut(4) {
            w.reverse(); // the dump is little-endian per word
        }
        let n = out.len().min(isa::CODE_SIZE);
        out[..n].copy_from_slice(&all[..n]);
    }

    /// The 16 registers of a window at `reg_base` (probe).
    pub fn peek_window(&self, reg_base: u32) -> [u32; 16] {
        let mut reqs = [0u64; 16];
        for (n, q) in reqs.iter_mut().enumerate() {
            let addr = (reg_base as u16).wrapping_add(4 * n as u16);
            *q = ((self.dmem.handle as u32 as u64) << 32) | (self.dmem.low + (addr >> 2) as i32) as u32 as u64;
        }
        let mut raw = [0u64; 16];
        self.m.var_read_batch(&reqs, &mut raw);
        raw.map(|v| v as u32)
    }

    // ---------------------------------------------------------------------------------
    // Write monitor.
    // ---------------------------------------------------------------------------------

    /// Whether the RTL exposes the data-RAM write port (else
    /// [`take_observed_writes`](Rtl::take_observed_writes) errs).
    pub fn write_monitor_available(&self) -> bool {
        self.monitor.is_ok()
    }

    /// Turn the per-cycle write monitor on (default, when available) or off (a little
    /// faster).
    pub fn set_write_monitor(&mut self, on: bool) {
        self.m.pin_mut().set_write_monitor(on);
    }

    /// Every data-RAM write committed since the last call (or reset), in order. The
    /// monitor keeps up to 65 536 writes between two calls; if it lost any, this returns
    /// [`SimError::WritesLost`] (and the recorded ones are dropped).
    pub fn take_observed_writes(&mut self) -> Result<Vec<ObservedWrite>, SimError> {
        let mut v = Vec::new();
        self.take_observed_writes_into(&mut v)?;
        Ok(v)
    }

    /// As [`take_observed_writes`](Rtl::take_observed_writes), appending to `out`
    /// (reuse one vector on a hot path).
    pub fn take_observed_writes_into(&mut self, out: &mut Vec<ObservedWrite>) -> Result<(), SimError> {
        if let Err(why) = &self.monitor {
            return Err(SimError::MonitorUnavailable { why: why.clone() });
        }
        self.scratch.clear();
        let lost = self.m.pin_mut().take_writes(&mut self.scratch);
        if lost != 0 {
            self.scratch.clear();
            return Err(SimError::WritesLost(lost));
        }
        out.extend(self.scratch.iter().map(|w| ObservedWrite {
            cycle: w.cycle,
            addr: w.addr,
            be: w.be,
            data: w.data,
            from_host: w.from_host,
        }));
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // VCD.
    // ---------------------------------------------------------------------------------

    /// Start writing every design signal to a VCD file (closing one already open). Time
    /// is `cycles * VCD_TIME_PER_CYCLE` ns.
    pub fn vcd_open(&mut self, path: &Path) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::Vcd { path: path.display().to_string() })?;
        self.m.pin_mut().vcd_clear_error();
        if self.m.pin_mut().vcd_open(p) {
            Ok(())
        } else {
            Err(self.vcd_failure(p).unwrap_or(SimError::Vcd { path: p.to_string() }))
        }
    }

    /// Arm a VCD window: the file is opened when the clock reaches cycle `from` (at once
    /// if it is there already) and dumping stops after cycle `to` (`None`: until
    /// [`Rtl::vcd_close`]). Exact to the cycle, whatever the caller runs meanwhile (host-bus
    /// traffic, trap service, steps); [`Rtl::reset`] disarms it.
    pub fn vcd_arm(&mut self, path: &Path, from: u64, to: Option<u64>) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::Vcd { path: path.display().to_string() })?;
        self.m.pin_mut().vcd_clear_error();
        self.m.pin_mut().vcd_arm(p, from, to.unwrap_or(u64::MAX));
        match self.vcd_failure(p) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The first error the VCD file met (open or write: a full disk), if any. After a
    /// write error the rest of the dump is discarded, never retried, so the simulation
    /// goes on and the caller reports it.
    pub fn vcd_failure(&self, path: &str) -> Option<SimError> {
        match self.m.vcd_error() {
            0 => None,
            e => Some(SimError::VcdWrite { path: path.to_string(), source: std::io::Error::from_raw_os_error(e) }),
        }
    }

    /// Flush and close the VCD file, if one is open.
    pub fn vcd_close(&mut self) {
        self.m.pin_mut().vcd_close();
    }

    /// Whether a VCD file is open.
    pub fn vcd_is_open(&self) -> bool {
        self.m.vcd_is_open()
    }

    // ---------------------------------------------------------------------------------
    // Conveniences over the host bus (each access costs cycles, like firmware).
    // ---------------------------------------------------------------------------------

    /// Write bytes into data RAM at any alignment (byte enables for partial words).
    pub fn write_data(&mut self, addr: u16, bytes: &[u8]) -> Result<(), SimError> {
        check_range(Space::Data, addr, bytes.len())?;
        let mut a = addr as u32;
        let end = a + bytes.len() as u32;
        while a < end {
            let word = a & !3;
            let mut be = 0u8;
            let mut data = 0u32;
            while a < end && a & !3 == word {
                let lane = a & 3;
                be |= 1 << lane;
                data |= (bytes[(a - addr as u32) as usize] as u32) << (8 * lane);
                a += 1;
            }
            self.try_hb_write(Space::Data, word as u16, data, be)?;
        }
        Ok(())
    }

    /// Read `len` bytes of data RAM over the bus.
    pub fn read_data(&mut self, addr: u16, len: usize) -> Result<Vec<u8>, SimError> {
        check_range(Space::Data, addr, len)?;
        let mut out = Vec::with_capacity(len);
        let mut cached: Option<(u32, u32)> = None;
        for a in addr as u32..addr as u32 + len as u32 {
            let word = a & !3;
            let w = match cached {
                Some((cw, v)) if cw == word => v,
                _ => {
                    let v = self.try_hb_read(Space::Data, word as u16)?;
                    cached = Some((word, v));
                    v
                }
            };
            out.push((w >> (8 * (a & 3))) as u8);
        }
        Ok(out)
    }

    /// A data-RAM word over the bus (`addr` word-aligned down).
    pub fn read_data_word(&mut self, addr: u16) -> Result<u32, SimError> {
        self.try_hb_read(Space::Data, addr & !3)
    }

    /// Write bytes into code RAM (code space is big-endian: the byte at the lowest
    /// address is bits 31:24 of its word). Whole words are written directly; a partial
    /// word is read, merged and written back.
    pub fn write_code(&mut self, addr: u16, bytes: &[u8]) -> Result<(), SimError> {
        check_range(Space::Code, addr, bytes.len())?;
        let mut a = addr as u32;
        let end = a + bytes.len() as u32;
        while a < end {
            let word = a & !3;
            let whole = a == word && end - a >= 4;
            let mut w = if whole { 0 } else { self.try_hb_read(Space::Code, word as u16)? };
            while a < end && a & !3 == word {
                let shift = 8 * (3 - (a & 3));
                w = (w & !(0xFF << shift)) | ((bytes[(a - addr as u32) as usize] as u32) << shift);
                a += 1;
            }
            self.try_hb_write(Space::Code, word as u16, w, 0xF)?;
        }
        Ok(())
    }

    /// Write code words (as numbers) from word-aligned `addr` on.
    pub fn write_code_words(&mut self, addr: u16, words: &[u32]) -> Result<(), SimError> {
        check_range(Space::Code, addr & !3, words.len() * 4)?;
        for (i, w) in words.iter().enumerate() {
            self.try_hb_write(Space::Code, (addr & !3) + 4 * i as u16, *w, 0xF)?;
        }
        Ok(())
    }

    /// Read `len` bytes of code RAM over the bus.
    pub fn read_code(&mut self, addr: u16, len: usize) -> Result<Vec<u8>, SimError> {
        check_range(Space::Code, addr, len)?;
        let mut out = Vec::with_capacity(len);
        let mut a = addr as u32;
        let end = a + len as u32;
        let mut cached: Option<(u32, u32)> = None;
        while a < end {
            let word = a & !3;
            let w = match cached {
                Some((cw, v)) if cw == word => v,
                _ => {
                    let v = self.try_hb_read(Space::Code, word as u16)?;
                    cached = Some((word, v));
                    v
                }
            };
            out.push((w >> (8 * (3 - (a & 3)))) as u8);
            a += 1;
        }
        Ok(out)
    }

    /// A control register over the bus.
    pub fn read_ctrl(&mut self, addr: u16) -> Result<u32, SimError> {
        self.try_hb_read(Space::Ctrl, addr)
    }

    /// Write a control register over the bus.
    pub fn write_ctrl(&mut self, addr: u16, value: u32) -> Result<(), SimError> {
        self.try_hb_write(Space::Ctrl, addr, value, 0xF)
    }

    fn read_ctrl64(&mut self, lo: u16, hi: u16) -> Result<u64, SimError> {
        let l = self.read_ctrl(lo)? as u64;
        let h = self.read_ctrl(hi)? as u64;
        Ok(l | (h << 32))
    }

    /// Issue a scheduler command through the argument and command registers. Refused
    /// here (nothing issued) when the RTL would ignore it: a pid outside `1..=n_tasks`,
    /// SPAWN into a slot that is not EMPTY, a slice of 0. (The slot state is read with
    /// the zero-time probe.)
    pub fn command(&mut self, cmd: Command) -> Result<(), SimError> {
        use ctrl::{global as g, op};
        let pid = cmd.pid();
        if pid == 0 || pid > self.n_tasks {
            return Err(CommandError::NoSuchPid(pid).into());
        }
        let arg = |i: u16| global_reg(g::ARG0 + i);
        let opc = match cmd {
            Command::Spawn { ctx, .. } => {
                if self.probe_slot(pid).state != TaskState::Empty {
                    return Err(CommandError::SlotBusy(pid).into());
                }
                if ctx.slice == 0 {
                    return Err(CommandError::ZeroSlice(pid).into());
                }
                let SpawnContext { pc, sp, reg_base, stack_limit, stack_top, code_base, code_size, slice } = ctx;
                for (i, v) in [pc as u32, sp, reg_base, stack_limit, stack_top, code_base, code_size, slice]
                    .into_iter()
                    .enumerate()
                {
                    self.write_ctrl(arg(i as u16), v)?;
                }
                op::SPAWN
            }
            Command::Block { wait, deadline, .. } => {
                self.write_ctrl(arg(0), wait as u32)?;
                self.write_ctrl(arg(1), deadline.is_some() as u32)?;
                let d = deadline.unwrap_or(0);
                self.write_ctrl(arg(2), d as u32)?;
                self.write_ctrl(arg(3), (d >> 32) as u32)?;
                op::BLOCK
            }
            Command::Wake { .. } => op::WAKE,
            Command::Exit { code, .. } => {
                self.write_ctrl(arg(0), code)?;
                op::EXIT
            }
            Command::Yield { .. } => op::YIELD,
            Command::Pause { .. } => op::PAUSE,
            Command::Resume { .. } => op::RESUME,
            Command::Kill { .. } => op::KILL,
            Command::SetSlice { n, .. } => {
                if n == 0 {
                    return Err(CommandError::ZeroSlice(pid).into());
                }
                self.write_ctrl(arg(0), n)?;
                op::SET_SLICE
            }
        };
        self.write_ctrl(global_reg(g::CMD), cmd_word(pid, opc))
    }

    /// The slot of `pid` read over the host bus (19 control registers).
    pub fn slot(&mut self, pid: u8) -> Result<Slot, SimError> {
        use ctrl::field as f;
        if pid == 0 || pid > self.n_tasks {
            return Err(CommandError::NoSuchPid(pid).into());
        }
        let mut r = [0u32; f::COUNT as usize];
        for (i, v) in r.iter_mut().enumerate() {
            *v = self.read_ctrl(slot_reg(pid, i as u16))?;
        }
        let state = TaskState::from_u8(r[f::STATE as usize] as u8)
            .filter(|_| r[f::STATE as usize] <= 0xFF)
            .ok_or(SimError::BadRegister { what: "task state", value: r[f::STATE as usize] })?;
        let wait = WaitKind::from_u8(r[f::WAIT as usize] as u8)
            .filter(|_| r[f::WAIT as usize] <= 0xFF)
            .ok_or(SimError::BadRegister { what: "wait kind", value: r[f::WAIT as usize] })?;
        let d = r[f::DEADLINE_LO as usize] as u64 | ((r[f::DEADLINE_HI as usize] as u64) << 32);
        Ok(Slot {
            state,
            pc: r[f::PC as usize] as u16,
            code_base: r[f::CODE_BASE as usize],
            code_size: r[f::CODE_SIZE as usize],
            psw: r[f::PSW as usize] as u8,
            sp: r[f::SP as usize],
            reg_base: r[f::REG_BASE as usize],
            stack_limit: r[f::STACK_LIMIT as usize],
            stack_top: r[f::STACK_TOP as usize],
            slice: r[f::SLICE as usize],
            slice_used: r[f::SLICE_USED as usize],
            wait,
            deadline: (r[f::DEADLINE_VALID as usize] & 1 != 0).then_some(d),
            accounted_steps: r[f::ACCT_LO as usize] as u64 | ((r[f::ACCT_HI as usize] as u64) << 32),
            exit_code: (state == TaskState::Returned).then_some(r[f::EXIT_CODE as usize]),
            fault: (state == TaskState::Faulted).then_some(r[f::FAULT as usize]),
        })
    }

    /// The machine-wide registers read over the host bus.
    pub fn read_globals(&mut self) -> Result<Globals, SimError> {
        use ctrl::global as g;
        Ok(Globals {
            current: self.read_ctrl(global_reg(g::CURRENT))? as u8,
            last_ran: self.read_ctrl(global_reg(g::LAST_RAN))? as u8,
            steps: self.read_ctrl64(global_reg(g::STEPS_LO), global_reg(g::STEPS_HI))?,
            ticks: self.read_ctrl64(global_reg(g::TICKS_LO), global_reg(g::TICKS_HI))?,
            stack_region_lo: self.read_ctrl(global_reg(g::STACK_REGION_LO))?,
            protect: self.read_ctrl(global_reg(g::PROTECT))? & 1 != 0,
        })
    }

    /// `protect` over the host bus.
    pub fn read_protect(&mut self) -> Result<bool, SimError> {
        Ok(self.read_ctrl(global_reg(ctrl::global::PROTECT))? & 1 != 0)
    }

    /// `stack_region_lo` over the host bus.
    pub fn read_stack_region_lo(&mut self) -> Result<u32, SimError> {
        self.read_ctrl(global_reg(ctrl::global::STACK_REGION_LO))
    }

    /// Keep the first error of a caller that cannot return one (the executive's `Host`
    /// methods are infallible); [`take_bus_error`](Rtl::take_bus_error) reports it.
    pub fn note_bus_error(&mut self, e: SimError) {
        self.bus_error.get_or_insert(e);
    }

    /// `ticks` over the host bus.
    pub fn read_ticks(&mut self) -> Result<u64, SimError> {
        use ctrl::global as g;
        self.read_ctrl64(global_reg(g::TICKS_LO), global_reg(g::TICKS_HI))
    }

    /// `steps` over the host bus.
    pub fn read_steps(&mut self) -> Result<u64, SimError> {
        use ctrl::global as g;
        self.read_ctrl64(global_reg(g::STEPS_LO), global_reg(g::STEPS_HI))
    }

    /// `N_TASKS` over the host bus.
    pub fn read_n_tasks(&mut self) -> Result<u32, SimError> {
        self.read_ctrl(global_reg(ctrl::global::N_TASKS))
    }

    /// Memory protection on/off (over the bus).
    pub fn set_protect(&mut self, on: bool) -> Result<(), SimError> {
        self.write_ctrl(global_reg(ctrl::global::PROTECT), on as u32)
    }

    /// `stack_region_lo` (17 bits) over the bus.
    pub fn set_stack_region_lo(&mut self, lo: u32) -> Result<(), SimError> {
        self.write_ctrl(global_reg(ctrl::global::STACK_REGION_LO), lo & 0x1_FFFF)
    }
}

fn check_range(space: Space, addr: u16, len: usize) -> Result<(), SimError> {
    if addr as usize + len > 0x1_0000 {
        Err(SimError::OutOfRange { space, addr, len })
    } else {
        Ok(())
    }
}

/// The retire port's record as the shared [`isa::Retire`] (words beyond `insn_len` and
/// writes beyond `nwr` are zero, as the reference model leaves them).
fn retire_of(r: &bridge::RetireRec) -> Retire {
    let insn_len = r.insn_len.min(2);
    let n_writes = r.nwr.min(isa::MAX_WRITES as u8);
    let mut insn = [0u32; 2];
    let words = [r.insn0, r.insn1];
    insn[..insn_len as usize].copy_from_slice(&words[..insn_len as usize]);
    let mut writes = [MemWrite::default(); isa::MAX_WRITES];
    let ws = [
        MemWrite { addr: r.wr0_addr, mask: r.wr0_be & 0xF, data: r.wr0_data },
        MemWrite { addr: r.wr1_addr, mask: r.wr1_be & 0xF, data: r.wr1_data },
    ];
    writes[..n_writes as usize].copy_from_slice(&ws[..n_writes as usize]);
    Retire {
        step: r.step,
        pid: r.pid,
        pc: r.pc,
        insn_len,
        insn,
        next_pc: r.next_pc,
        n_writes,
        writes,
        psw: r.psw & 0xF,
        sp: r.sp,
        fault: r.fault.then_some(r.fault_code),
        trap: r.trap.then_some((r.trap_mod, r.trap_fn)),
    }
}

#[cfg(test)]
mod gates;
#[cfg(test)]
mod tests;
