//! What each side of the lockstep provides: [`Side`] (executive, traps, outcome, host
//! interface), and [`Reference`] or [`Dut`] on top of it. The sequencing loop
//! ([`super::Lockstep`]), the checkers ([`super::check`]) and the reports
//! ([`super::report`]) see the machines only through these traits.
//!
//! The reference is the golden model (`vm_ref::system::System`); the DUT is the Verilated
//! RTL with its own executive ([`RtlSystem`]). A DUT's [`Dut::next_retire`] hands over, with
//! the retire record, the state the per-step checkers compare (task table, globals, the
//! retiring task's register window, data-RAM writes, its monitors' verdicts); the
//! accessors named `step_*` read that batch and cost nothing more. The RTL's
//! implementation gets the whole batch in one FFI crossing ([`sim::Rtl::run_checked`]).
//! See docs/harness.md.

use super::host_script::{HostAction, HostReply};
use super::CosimError;
use crate::rtl::{RtlError, RtlSystem};
use isa::{Retire, Slot};
use sim::{Event, Globals, ObservedWrite, TrapCause};
use vm_ref::exec::{Executive, TrapSeen};
use vm_ref::system::{Outcome, System};
use vm_ref::Machine;

/// Why a DUT could not deliver its next step (each is claimed by a checker: see
/// [`super::check::AdvanceCtx`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepFault {
    /// A running DUT retired nothing for `cycles` cycles (it was at cycle `at`).
    Stuck { cycles: u64, at: u64 },
    /// The DUT trapped more than `traps` times without a retire (it was at cycle `at`):
    /// a broken RTL that traps forever would otherwise hang the run.
    TrapStorm { traps: u32, at: u64 },
    /// The DUT raised a trap with a cause the executive does not know.
    UnknownTrap(u8),
    /// The executive's host-bus traffic while servicing a trap failed.
    HostBus(String),
}

/// What both sides provide: their executive (firmware, shared by design), its trap log, the
/// outcome, and the host interface. [`Reference`] and [`Dut`] build on it.
pub trait Side {
    /// Move the traps its executive was handed since the last call into `into`.
    fn drain_traps(&mut self, into: &mut Vec<TrapSeen>);
    /// The executive (consoles, mailboxes).
    fn executive(&self) -> &Executive;
    /// The executive, for the lockstep to set it up (its trap log and console sink).
    fn executive_mut(&mut self) -> &mut Executive;
    /// The outcome if the run stopped now.
    fn end_outcome(&self) -> Outcome;
    /// Apply a host-script action at the step boundary it is at (a DUT stops there first;
    /// `Err`: it cannot; see [`super::host_script`]). A side without a host interface keeps
    /// the default.
    fn host(&mut self, action: &HostAction) -> Result<HostReply, String> {
        Err(format!("no host interface for {action:?}"))
    }
}

/// The reference side: a model that retires one step at a time, whose state the checkers
/// read directly (the golden model's `Machine`).
pub trait Reference: Side {
    /// Retire the next step into `rec`; `false` when quiescent.
    fn next_retire(&mut self, rec: &mut Retire) -> bool;
    /// The machine state (task table, registers, scheduler, data memory).
    fn machine(&self) -> &Machine;
}

impl Reference for System {
    fn next_retire(&mut self, rec: &mut Retire) -> bool {
        self.step_into(rec)
    }
    fn machine(&self) -> &Machine {
        &self.machine
    }
}

impl Side for System {
    fn drain_traps(&mut self, into: &mut Vec<TrapSeen>) {
        self.exec.drain_trap_log_into(into)
    }
    fn executive(&self) -> &Executive {
        &self.exec
    }
    fn executive_mut(&mut self) -> &mut Executive {
        &mut self.exec
    }
    fn end_outcome(&self) -> Outcome {
        self.outcome()
    }
    fn host(&mut self, action: &HostAction) -> Result<HostReply, String> {
        super::host_script::apply_ref(self, action)
    }
}

/// The design under test: steps with a per-retire batch, and zero-time probes of its
/// state for reports and the end-of-run comparison.
pub trait Dut: Side {
    /// Called once by [`super::Lockstep::new`], with the case loaded, before the first
    /// step: arm the per-step monitors (from here on every data-RAM write the core makes
    /// belongs to a step) and drop whatever they saw while loading.
    fn begin_checking(&mut self) -> Result<(), CosimError>;
    /// Run until the next retire (servicing traps with its executive) and write its record
    /// into `rec`: `Ok(true)`; `Ok(false)` when quiescent (`rec` untouched). The data-RAM
    /// writes the core made on the way go into `observed`.
    fn next_retire(
        &mut self,
        stuck_cycles: u64,
        observed: &mut Vec<ObservedWrite>,
        rec: &mut Retire,
    ) -> Result<bool, StepFault>;
    /// The cycle in which the last retire record was valid.
    fn retire_cycle(&self) -> u64;
    /// Timed cycles (docs/timing.md) up to the last retire.
    fn timed_cycles(&self) -> u64;
    /// Cycles simulated so far.
    fn cycles(&self) -> u64;
    /// The write monitor lost part of the write log (a DUT monitor's own failure).
    fn take_monitor_error(&mut self) -> Option<String>;
    /// The cycle at which the task table or a scheduler register changed while an
    /// instruction was in flight in the last step, if it did.
    fn table_violation(&self) -> Option<u64>;
    /// The task table after the last step (from the step's batch).
    fn step_slots(&self) -> &[Slot];
    /// Bit `p`: slot `p` (pid `p + 1`) of [`step_slots`](Dut::step_slots) may differ from
    /// the step before. A DUT that cannot tell keeps the default, every slot.
    fn step_changed_slots(&self) -> u32 {
        u32::MAX
    }
    /// The scheduler registers after the last step (from the step's batch).
    fn step_globals(&self) -> Globals;
    /// The retiring task's register window after the last step (from the step's batch).
    fn step_window(&self) -> [u32; 16];
    /// The 16 registers of the window at `reg_base` (zero-time probe).
    fn window_at(&self, reg_base: u32) -> [u32; 16];
    /// Task `pid`'s registers (zero-time probe).
    fn window(&self, pid: u8) -> [u32; 16] {
        self.window_at(self.slot(pid).reg_base)
    }
    /// Task `pid`'s slot (zero-time probe).
    fn slot(&self, pid: u8) -> Slot;
    /// The task table (zero-time probe).
    fn slots(&self) -> Vec<Slot>;
    /// The scheduler registers (zero-time probe).
    fn globals(&self) -> Globals;
    /// The data memory (zero-time probe), `out.len()` bytes from address 0.
    fn read_data(&self, out: &mut [u8]);
    /// Stop at the next step boundary without starting a new step.
    fn stop(&mut self) -> Result<(), String>;
    /// Run-ahead ([`super::Lockstep::run_ahead`]): the DUT may retire up to `n` steps
    /// (1: one) before the harness asks for them, handing them out one per
    /// [`next_retire`](Dut::next_retire) exactly as it would have one by one. Meanwhile
    /// its zero-time probes see the later state ([`ahead`](Dut::ahead)). A DUT that cannot
    /// keeps the default: one step at a time.
    fn set_run_ahead(&mut self, _n: u32) {}
    /// Steps (or a pending event) the DUT has made beyond the last
    /// [`next_retire`](Dut::next_retire) it handed out (run-ahead); 0 when its state is
    /// that step's.
    fn ahead(&self) -> u32 {
        0
    }
}

impl Dut for RtlSystem {
    fn begin_checking(&mut self) -> Result<(), CosimError> {
        // Host-bus traffic of the loader is not part of any step.
        self.rtl.set_write_monitor(true);
        self.rtl.set_table_monitor(true).map_err(RtlError::from)?;
        let mut sink = vec![];
        let _ = self.rtl.take_observed_writes_into(&mut sink);
        Ok(())
    }
    fn next_retire(
        &mut self,
        stuck_cycles: u64,
        observed: &mut Vec<ObservedWrite>,
        rec: &mut Retire,
    ) -> Result<bool, StepFault> {
        // (`run_checked_into` drives `run_i` high itself, in its crossing.)
        observed.clear();
        let mut traps = 0u32;
        loop {
            let Some(ev) = self.rtl.run_checked_into(stuck_cycles, observed, rec) else { return Ok(true) };
            match ev {
                Event::Retire(r) => {
                    *rec = r;
                    return Ok(true);
                }
                Event::Trap(t) => {
                    traps += 1;
                    if traps > super::MAX_TRAPS_PER_STEP {
                        return Err(StepFault::TrapStorm { traps: super::MAX_TRAPS_PER_STEP, at: self.rtl.cycles() });
                    }
                    if let TrapCause::Unknown(c) = t.cause {
                        return Err(StepFault::UnknownTrap(c));
                    }
                    self.service_trap(t).map_err(|e| StepFault::HostBus(e.to_string()))?;
                }
                Event::Idle => return Ok(false),
                // The next `run_checked_into` raises `run_i` again.
                Event::Halted => {}
                Event::CycleLimit => return Err(StepFault::Stuck { cycles: stuck_cycles, at: self.rtl.cycles() }),
            }
        }
    }
    fn retire_cycle(&self) -> u64 {
        self.rtl.last_retire_cycle()
    }
    fn timed_cycles(&self) -> u64 {
        self.rtl.last_retire_timed_cycle()
    }
    fn cycles(&self) -> u64 {
        self.rtl.cycles()
    }
    fn take_monitor_error(&mut self) -> Option<String> {
        self.rtl.take_checked_writes_error().map(|e| e.to_string())
    }
    fn table_violation(&self) -> Option<u64> {
        self.rtl.checked_table_violation()
    }
    fn step_slots(&self) -> &[Slot] {
        self.rtl.checked_slots()
    }
    fn step_changed_slots(&self) -> u32 {
        self.rtl.checked_changed_slots()
    }
    fn step_globals(&self) -> Globals {
        self.rtl.checked_globals()
    }
    fn step_window(&self) -> [u32; 16] {
        self.rtl.checked_window()
    }
    fn window_at(&self, reg_base: u32) -> [u32; 16] {
        self.rtl.peek_window(reg_base)
    }
    fn slot(&self, pid: u8) -> Slot {
        self.rtl.probe_slot(pid)
    }
    fn slots(&self) -> Vec<Slot> {
        self.rtl.probe_slots()
    }
    fn globals(&self) -> Globals {
        self.rtl.probe_globals()
    }
    fn read_data(&self, out: &mut [u8]) {
        self.rtl.read_data_mem(out)
    }
    fn stop(&mut self) -> Result<(), String> {
        self.halt().map_err(|e| e.to_string())
    }
    fn set_run_ahead(&mut self, n: u32) {
        self.rtl.set_run_ahead(n as usize)
    }
    fn ahead(&self) -> u32 {
        self.rtl.ahead() as u32
    }
}

impl Side for RtlSystem {
    fn drain_traps(&mut self, into: &mut Vec<TrapSeen>) {
        self.exec.drain_trap_log_into(into)
    }
    fn executive(&self) -> &Executive {
        &self.exec
    }
    fn executive_mut(&mut self) -> &mut Executive {
        &mut self.exec
    }
    fn end_outcome(&self) -> Outcome {
        self.outcome()
    }
    fn host(&mut self, action: &HostAction) -> Result<HostReply, String> {
        super::host_script::apply_rtl(self, action)
    }
}
