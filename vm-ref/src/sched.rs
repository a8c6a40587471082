//! The scheduler (scheduler.md): task-state transitions driven by commands, the pick and
//! rotate rules, the timeout scan. The trace ring and per-task counters it writes are
//! plain data in [`crate::trace`] (re-exported here). The step loop itself, which also
//! calls the core and the executive, is [`crate::system::System::step`]; the executive
//! reaches the machine through its own `Host` trait, implemented on [`Machine`] in
//! `exec/host.rs` (the executive sits above the machine, not under it).

use crate::machine::Machine;
pub use crate::trace::{EventKind, TaskCounters, TraceEvent, TraceRing, WakeReason};
use isa::{Command, CommandError, Slot, TaskState, WaitKind};

impl Machine {
    #[inline]
    pub(crate) fn trace_event(&mut self, pid: u8, kind: EventKind) {
        let ev = TraceEvent { step: self.steps + self.in_step as u64, ticks: self.ticks, pid, kind };
        self.trace.push(ev);
    }

    /// Recompute the earliest deadline of any BLOCKED task.
    pub(crate) fn refresh_next_deadline(&mut self) {
        self.next_deadline = self
            .slots
            .iter()
            .filter(|s| s.state == TaskState::Blocked)
            .filter_map(|s| s.deadline)
            .min()
            .unwrap_or(u64::MAX);
    }

    /// Bring the READY bit of `pid` in line with its slot's state. Called after every
    /// state change the scheduler makes.
    #[inline]
    pub fn sync_ready(&mut self, pid: u8) {
        let bit = 1u32 << (pid - 1);
        if self.slots[pid as usize - 1].state == TaskState::Ready {
            self.ready |= bit;
        } else {
            self.ready &= !bit;
        }
    }

    /// Recompute the READY mask from the whole table (after the host edited slots
    /// directly, e.g. in a test).
    pub fn resync_ready(&mut self) {
        self.ready = 0;
        for pid in 1..=self.slots.len() as u8 {
            self.sync_ready(pid);
        }
    }

    /// The next READY pid strictly after `after` in ascending pid order, wrapping around
    /// (`after` itself is considered last).
    #[inline]
    pub fn next_ready_after(&self, after: u8) -> Option<u8> {
        debug_assert_eq!(
            self.ready,
            self.slots.iter().enumerate().fold(0, |m, (i, s)| m | (((s.state == TaskState::Ready) as u32) << i)),
            "READY mask out of step with the task table"
        );
        let mask = self.ready;
        if mask == 0 {
            return None;
        }
        // Bits of pids > after are at positions >= after.
        let above = if after as u32 >= 32 { 0 } else { mask & (u32::MAX << after) };
        let pick = if above != 0 { above } else { mask };
        Some(pick.trailing_zeros() as u8 + 1)
    }

    /// Make `pid` the RUNNING task with a fresh slice.
    pub(crate) fn schedule_in(&mut self, pid: u8) {
        let s = self.slot_mut(pid);
        s.state = TaskState::Running;
        s.slice_used = 0;
        self.current = pid;
        self.ready &= !(1u32 << (pid - 1));
        self.counters[pid as usize - 1].scheduled_in += 1;
    }

    /// Apply a scheduler command (scheduler.md "Commands").
    pub fn apply_command(&mut self, cmd: Command) -> Result<(), CommandError> {
        let pid = cmd.pid();
        if pid == 0 || pid as usize > self.slots.len() {
            return Err(CommandError::NoSuchPid(pid));
        }
        let i = pid as usize - 1;
        let state = self.slots[i].state;
        match cmd {
            Command::Spawn { ctx, .. } => {
                if state != TaskState::Empty {
                    return Err(CommandError::SlotBusy(pid));
                }
                if ctx.slice == 0 {
                    return Err(CommandError::ZeroSlice(pid));
                }
                self.slots[i] = Slot {
                    state: TaskState::Ready,
                    pc: ctx.pc,
                    code_base: ctx.code_base,
                    code_size: ctx.code_size,
                    psw: 0,
                    sp: ctx.sp,
                    reg_base: ctx.reg_base,
                    stack_limit: ctx.stack_limit,
                    stack_top: ctx.stack_top,
                    slice: ctx.slice,
                    slice_used: 0,
                    wait: WaitKind::None,
                    deadline: None,
                    accounted_steps: 0,
                    exit_code: None,
                    fault: None,
                };
                self.counters[i] = TaskCounters::default();
                self.brk_code[i] = None;
            }
            Command::Block { wait, deadline, .. } => {
                if matches!(state, TaskState::Running | TaskState::Ready) {
                    let s = &mut self.slots[i];
                    s.state = TaskState::Blocked;
                    s.wait = wait;
                    s.deadline = deadline;
                    self.counters[i].blocks += 1;
                    self.trace_event(pid, EventKind::Block { reason: wait });
                    self.refresh_next_deadline();
                }
            }
            Command::Wake { .. } => {
                if state == TaskState::Blocked {
                    let s = &mut self.slots[i];
                    let timed_out = s.deadline.is_some_and(|d| d <= self.ticks);
                    let reason = match (s.wait, timed_out) {
                        (WaitKind::Sleep, _) => WakeReason::Sleep,
                        (WaitKind::Mailbox, true) => WakeReason::Timeout,
                        (WaitKind::Mailbox, false) => WakeReason::Mailbox,
                        (WaitKind::None, _) => WakeReason::Host,
                    };
                    s.state = TaskState::Ready;
                    s.wait = WaitKind::None;
                    s.deadline = None;
                    self.counters[i].wakes += 1;
                    self.trace_event(pid, EventKind::Wake { reason });
                    self.refresh_next_deadline();
                }
            }
            Command::Exit { code, .. } => {
                if state != TaskState::Empty {
                    let s = &mut self.slots[i];
                    s.state = TaskState::Returned;
                    s.exit_code = Some(code);
                    s.wait = WaitKind::None;
                    s.deadline = None;
                    self.trace_event(pid, EventKind::Halt { code });
                    self.refresh_next_deadline();
                }
            }
            Command::Yield { .. } => {
                let s = &mut self.slots[i];
                s.slice_used = s.slice;
            }
            Command::Pause { .. } => {
                if matches!(state, TaskState::Running | TaskState::Ready) {
                    self.slots[i].state = TaskState::Paused;
                    self.brk_code[i] = None;
                    self.trace_event(pid, EventKind::Pause { brk: None });
                }
            }
            Command::Resume { .. } => {
                if state == TaskState::Paused {
                    self.slots[i].state = TaskState::Ready;
                    self.brk_code[i] = None;
                }
            }
            Command::Kill { .. } => {
                self.slots[i] = Slot::default();
                self.brk_code[i] = None;
                if self.current == pid {
                    self.current = 0;
                }
                self.refresh_next_deadline();
            }
            Command::SetSlice { n, .. } => {
                if n == 0 {
                    return Err(CommandError::ZeroSlice(pid));
                }
                self.slots[i].slice = n;
            }
        }
        self.sync_ready(pid);
        Ok(())
    }
}
