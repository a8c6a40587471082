//! The RTL side of the house: [`RtlHost`] lets the `vm-ref` executive drive the Verilated
//! RTL over its host bus (so its traffic costs simulated cycles, like firmware), and
//! [`RtlSystem`] runs tasks on the RTL to quiescence — `hsx run --engine rtl`.

use crate::program::{Plan, ProgramError};
use crate::report::{RunReport, TaskReport};
use isa::{Command, CommandError, Slot};
use sim::{Event, Rtl, RtlOptions, SimError, TrapCause};
use vm_ref::exec::{ExecConfig, Executive, Host, SpawnOptions};
use vm_ref::system::Outcome;

/// Cycles without a retire, trap or idle while a task runs before the RTL counts as stuck.
pub const DEFAULT_STUCK_CYCLES: u64 = 10_000;

/// Errors of the RTL engine.
#[derive(Debug, thiserror::Error)]
pub enum RtlError {
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(transparent)]
    Program(#[from] ProgramError),
    #[error("the RTL is stuck: no retire, trap or idle for {cycles} cycles (at cycle {at}, step {steps})")]
    Stuck { cycles: u64, at: u64, steps: u64 },
    #[error("the RTL raised an unknown trap cause {0}")]
    UnknownTrap(u8),
}

/// The executive's view of the RTL: every access is host-bus traffic.
pub struct RtlHost<'a> {
    pub rtl: &'a mut Rtl,
}

impl RtlHost<'_> {
    fn note<T: Default>(&mut self, r: Result<T, SimError>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => {
                // The Host trait is infallible (the reference machine cannot fail); the
                // first bus error is kept for the engine to report.
                self.rtl.note_bus_error(e);
                T::default()
            }
        }
    }
}

impl Host for RtlHost<'_> {
    fn n_tasks(&self) -> usize {
        self.rtl.n_tasks() as usize
    }
    fn read_data(&mut self, addr: u32, buf: &mut [u8]) {
        let r = self.rtl.read_data(addr as u16, buf.len());
        let v = self.note(r);
        if v.len() == buf.len() {
            buf.copy_from_slice(&v);
        }
    }
    fn write_data(&mut self, addr: u32, data: &[u8]) {
        let r = self.rtl.write_data(addr as u16, data);
        self.note(r)
    }
    fn write_code(&mut self, addr: u32, data: &[u8]) {
        let r = self.rtl.write_code(addr as u16, data);
        self.note(r)
    }
    fn slot(&mut self, pid: u8) -> Slot {
        let r = self.rtl.slot(pid);
        self.note(r)
    }
    fn ticks(&mut self) -> u64 {
        let r = self.rtl.read_ticks();
        self.note(r)
    }
    fn protect(&mut self) -> bool {
        let r = self.rtl.read_protect();
        self.note(r)
    }
    fn stack_region_lo(&mut self) -> u32 {
        let r = self.rtl.read_stack_region_lo();
        self.note(r)
    }
    fn set_stack_region_lo(&mut self, v: u32) {
        let r = self.rtl.set_stack_region_lo(v);
        self.note(r)
    }
    fn command(&mut self, cmd: Command) -> Result<(), CommandError> {
        match self.rtl.command(cmd) {
            Ok(()) => Ok(()),
            Err(SimError::Command(c)) => Err(c),
            Err(e) => {
                self.rtl.note_bus_error(e);
                Ok(())
            }
        }
    }
}

/// The RTL and its own executive instance.
pub struct RtlSystem {
    pub rtl: Rtl,
    pub exec: Executive,
    /// Steps retired (from the retire port).
    pub steps: u64,
    pub stuck_cycles: u64,
}

impl RtlSystem {
    /// A fresh RTL (reset) with `protect` set, and an executive.
    pub fn new(opts: RtlOptions, protect: bool, ecfg: ExecConfig) -> Result<RtlSystem, RtlError> {
        Self::new_with(opts, protect, ecfg, &mut |_| {})
    }

    /// [`RtlSystem::new`], calling `after_reset` with the RTL right after its reset, before
    /// any host-bus traffic (the waveform recorder arms its window there, so a window
    /// from cycle 0 starts at reset).
    pub fn new_with(
        opts: RtlOptions,
        protect: bool,
        ecfg: ExecConfig,
        after_reset: &mut dyn FnMut(&mut Rtl),
    ) -> Result<RtlSystem, RtlError> {
        let mut rtl = Rtl::new(opts)?;
        after_reset(&mut rtl);
        // PROTECT resets to 1 (docs/rtl-interface.md); the driver writes it only to turn
        // protection off, so every protected run also checks the register's reset value
        // (docs/mutation.md: seed 3's auto-1241).
        if !protect {
            rtl.set_protect(false)?;
        }
        Ok(RtlSystem { rtl, exec: Executive::new(ecfg), steps: 0, stuck_cycles: DEFAULT_STUCK_CYCLES })
    }

    /// Load the plan's images and spawn its tasks over the host bus.
    pub fn load(&mut self, plan: &Plan, opts: SpawnOptions) -> Result<Vec<u8>, RtlError> {
        let pids = plan.load(&mut self.exec, &mut RtlHost { rtl: &mut self.rtl }, opts)?;
        self.check_bus()?;
        Ok(pids)
    }

    fn check_bus(&mut self) -> Result<(), RtlError> {
        match self.rtl.take_bus_error() {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Service a pending trap with the executive and acknowledge it.
    pub fn service_trap(&mut self, t: sim::Trap) -> Result<(), RtlError> {
        let mut host = RtlHost { rtl: &mut self.rtl };
        match t.cause {
            TrapCause::Svc => self.exec.on_svc(&mut host, t.pid, t.module, t.func),
            TrapCause::Timeout => self.exec.on_timeout(&mut host, t.pid),
            TrapCause::Unknown(c) => return Err(RtlError::UnknownTrap(c)),
        }
        self.check_bus()?;
        self.rtl.trap_ack();
        Ok(())
    }

    /// Run one step: service traps until a retire. `Ok(None)` when quiescent.
    pub fn step(&mut self) -> Result<Option<isa::Retire>, RtlError> {
        self.rtl.set_run(true);
        loop {
            match self.rtl.run(self.stuck_cycles) {
                Event::Retire(r) => {
                    self.steps += 1;
                    return Ok(Some(r));
                }
                Event::Trap(t) => self.service_trap(t)?,
                Event::Idle => return Ok(None),
                Event::Halted => self.rtl.set_run(true),
                Event::CycleLimit => {
                    return Err(RtlError::Stuck { cycles: self.stuck_cycles, at: self.rtl.cycles(), steps: self.steps })
                }
            }
        }
    }

    /// Run to quiescence or `max_steps`; stops the core at a step boundary.
    pub fn run(&mut self, max_steps: u64) -> Result<Outcome, RtlError> {
        let mut n = 0;
        while n < max_steps {
            match self.step()? {
                Some(_) => n += 1,
                None => break,
            }
        }
        self.halt()?;
        Ok(self.outcome())
    }

    /// Stop at the next step boundary without starting a new step.
    pub fn halt(&mut self) -> Result<(), RtlError> {
        self.rtl.set_run(false);
        loop {
            if self.rtl.halted() || self.rtl.idle() {
                return Ok(());
            }
            match self.rtl.run(self.stuck_cycles) {
                Event::Halted | Event::Idle => return Ok(()),
                Event::Trap(t) => self.service_trap(t)?,
                Event::Retire(_) => self.steps += 1,
                Event::CycleLimit => {
                    return Err(RtlError::Stuck { cycles: self.stuck_cycles, at: self.rtl.cycles(), steps: self.steps })
                }
            }
        }
    }

    /// The outcome if the run stopped now (same rule as the reference).
    pub fn outcome(&self) -> Outcome {
        Outcome::of_slots(&self.rtl.probe_slots())
    }

    /// The stable JSON report (state read with the zero-time probe).
    pub fn report(&self, plan: &Plan, outcome: Outcome) -> RunReport {
        let g = self.rtl.probe_globals();
        let tasks = plan
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let pid = i as u8 + 1;
                let slot = self.rtl.probe_slot(pid);
                let regs = self.rtl.peek_window(slot.reg_base);
                TaskReport::new(pid, &t.spec.text, &slot, regs, self.exec.console_log(pid))
            })
            .collect();
        RunReport { outcome: outcome.name(), steps: g.steps, ticks: g.ticks, tasks }
    }
}

impl RtlSystem {
    /// Why a stalled RTL machine is stalled (from the probe), like the reference's.
    pub fn stall_reasons(&self) -> Vec<vm_ref::system::StallReason> {
        if self.outcome() != Outcome::Stalled {
            return vec![];
        }
        vm_ref::system::stall_reasons_of(&self.rtl.probe_slots(), None)
    }
}
