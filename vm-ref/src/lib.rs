//! # vm-ref — the HSX golden model
//!
//! * [`machine`]: memories, task table, machine registers (registers live in data memory);
//! * [`core`]: one instruction of one task (`exec_add`, …), faults, binary16;
//! * [`sched`]: the one-instruction-per-step round robin, time, commands;
//! * [`trace`]: the trace ring and per-task counters the scheduler writes;
//! * [`exec`]: the executive (SVCs, mailboxes, arenas, images), reaching a machine only
//!   through [`exec::Host`] so the harness can run a second instance against the RTL;
//! * [`system`]: a machine plus its executive — what `hsx run` steps.
//!
//! Depends only on `isa`.

pub mod core;
pub mod exec;
pub mod fp16;
pub mod machine;
pub mod sched;
pub mod system;
pub mod trace;

pub use machine::{Machine, MachineConfig};
