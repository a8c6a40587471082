//! The narrow trait through which the executive reaches a machine. The reference model
//! implements it directly on [`crate::Machine`] (below: commands are applied at once —
//! the executive issues them inside the step of the SVC or timeout that caused them); the
//! co-simulation harness implements it over the RTL's host bus, so the *same* executive
//! code drives both. The executive depends on the machine, never the other way round.

use crate::machine::Machine;
use isa::{Command, CommandError, Slot};

pub trait Host {
    /// Task slots of the machine (pids are `1..=n_tasks`).
    fn n_tasks(&self) -> usize;
    /// Read data memory (the executive's own access: never protection-checked).
    /// The caller guarantees `addr + buf.len() <= 0x10000`.
    fn read_data(&mut self, addr: u32, buf: &mut [u8]);
    /// Write data memory (unchecked, as above).
    fn write_data(&mut self, addr: u32, data: &[u8]);
    /// Write code memory (image loading). `addr + data.len() <= 0x10000`.
    fn write_code(&mut self, addr: u32, data: &[u8]);
    /// The task-table record of `pid`.
    fn slot(&mut self, pid: u8) -> Slot;
    /// The scheduler's clock.
    fn ticks(&mut self) -> u64;
    /// Memory protection on?
    fn protect(&mut self) -> bool;
    /// The lowest `stack_limit` handed out so far (context.md).
    fn stack_region_lo(&mut self) -> u32;
    fn set_stack_region_lo(&mut self, v: u32);
    /// Issue a scheduler command (inside an SVC's step or between steps).
    fn command(&mut self, cmd: Command) -> Result<(), CommandError>;

    /// Register `n` of `pid`, read through its window.
    fn reg(&mut self, pid: u8, n: u8) -> u32 {
        let base = self.slot(pid).reg_base;
        let mut b = [0u8; 4];
        self.read_data(base + 4 * n as u32, &mut b);
        u32::from_le_bytes(b)
    }
    /// Write register `n` of `pid` through its window.
    fn set_reg(&mut self, pid: u8, n: u8, v: u32) {
        let base = self.slot(pid).reg_base;
        self.write_data(base + 4 * n as u32, &v.to_le_bytes());
    }
}

impl Host for Machine {
    fn n_tasks(&self) -> usize {
        self.slots.len()
    }
    fn read_data(&mut self, addr: u32, buf: &mut [u8]) {
        let a = addr as usize;
        buf.copy_from_slice(&self.dmem[a..a + buf.len()]);
    }
    fn write_data(&mut self, addr: u32, data: &[u8]) {
        let a = addr as usize;
        self.dmem[a..a + data.len()].copy_from_slice(data);
    }
    fn write_code(&mut self, addr: u32, data: &[u8]) {
        let a = addr as usize;
        self.code[a..a + data.len()].copy_from_slice(data);
    }
    fn slot(&mut self, pid: u8) -> Slot {
        *Machine::slot(self, pid)
    }
    fn ticks(&mut self) -> u64 {
        self.ticks
    }
    fn protect(&mut self) -> bool {
        self.protect
    }
    fn stack_region_lo(&mut self) -> u32 {
        self.stack_region_lo
    }
    fn set_stack_region_lo(&mut self, v: u32) {
        self.stack_region_lo = v;
    }
    fn command(&mut self, cmd: Command) -> Result<(), CommandError> {
        self.apply_command(cmd)
    }
    fn reg(&mut self, pid: u8, n: u8) -> u32 {
        Machine::reg(self, pid, n)
    }
    fn set_reg(&mut self, pid: u8, n: u8, v: u32) {
        Machine::set_reg(self, pid, n, v)
    }
}
