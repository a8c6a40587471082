//! The scheduler (scheduler.md): task-state transitions driven by commands, the pick and
//! rotate rules, the timeout scan, the trace ring and per-task counters. The step loop
//! itself, which also calls the core and the executive, is [`crate::system::System::step`].
//!
//! [`Machine`] implements the executive's [`Host`] trait here: commands are applied at
//! once (the executive issues them inside the step of the SVC or timeout that caused them).

use crate::exec::Host;
use crate::machine::Machine;
use isa::{Command, CommandError, Slot, TaskState, WaitKind};

/// What a trace-ring entry records (scheduler.md "Observability").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A retired step at `pc`.
    Step { pc: u16 },
    /// Rotation from one task to another at the end of a slice.
    Rotate { from: u8, to: u8 },
    /// An SVC.
    Trap { module: u8, func: u8 },
    /// The task blocked.
    Block { reason: WaitKind },
    /// The task was woken.
    Wake { reason: WakeReason },
    /// The task paused (BRK code, or `None` for a host PAUSE).
    Pause { brk: Option<u8> },
    /// The task returned / exited.
    Halt { code: u32 },
    /// The task faulted.
    Fault { code: u32 },
}

/// Why a task was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeReason {
    /// A mailbox message was delivered.
    Mailbox,
    /// A mailbox wait timed out.
    Timeout,
    /// A sleep ended.
    Sleep,
    /// Woken by a host command.
    Host,
}

impl WakeReason {
    pub fn name(self) -> &'static str {
        match self {
            WakeReason::Mailbox => "mailbox",
            WakeReason::Timeout => "timeout",
            WakeReason::Sleep => "sleep",
            WakeReason::Host => "host",
        }
    }
}

/// One trace-ring entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceEvent {
    pub step: u64,
    pub ticks: u64,
    pub pid: u8,
    pub kind: EventKind,
}

impl std::fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {:>8} tick {:>8} pid {:>2} ", self.step, self.ticks, self.pid)?;
        match self.kind {
            EventKind::Step { pc } => write!(f, "STEP   pc=0x{pc:04X}"),
            EventKind::Rotate { from, to } => write!(f, "ROTATE {from} -> {to}"),
            EventKind::Trap { module, func } => write!(f, "TRAP   mod=0x{module:X} fn=0x{func:02X}"),
            EventKind::Block { reason } => write!(f, "BLOCK  {}", reason.name()),
            EventKind::Wake { reason } => write!(f, "WAKE   {}", reason.name()),
            EventKind::Pause { brk: Some(c) } => write!(f, "PAUSE  brk {c}"),
            EventKind::Pause { brk: None } => write!(f, "PAUSE  host"),
            EventKind::Halt { code } => write!(f, "HALT   exit {code}"),
            EventKind::Fault { code } => {
                write!(f, "FAULT  0x{code:08X} {}", isa::fault::name(code).unwrap_or("?"))
            }
        }
    }
}

/// A fixed-capacity ring of the most recent scheduler events.
#[derive(Debug, Clone)]
pub struct TraceRing {
    /// Preallocated to the capacity rounded up to a power of two, so a push is one
    /// masked store; only the last `cap` events are ever reported.
    buf: Box<[TraceEvent]>,
    /// The configured capacity.
    cap: usize,
    /// Events ever pushed; the next write goes to `total & (buf.len() - 1)`.
    total: u64,
}

const NO_EVENT: TraceEvent = TraceEvent { step: 0, ticks: 0, pid: 0, kind: EventKind::Step { pc: 0 } };

impl TraceRing {
    pub fn new(cap: usize) -> TraceRing {
        let len = if cap == 0 { 0 } else { cap.next_power_of_two() };
        TraceRing { buf: vec![NO_EVENT; len].into_boxed_slice(), cap, total: 0 }
    }
    #[inline(always)]
    pub fn push(&mut self, ev: TraceEvent) {
        let n = self.buf.len();
        if n != 0 {
            self.buf[self.total as usize & (n - 1)] = ev;
            self.total += 1;
        }
    }
    /// Count `n` events as recorded without storing them: events older than the ring's
    /// capacity at the time of a burst's write-back (`System::run`). Only correct when at
    /// least `buf.len()` pushes follow (they overwrite every slot the skip passed over).
    pub(crate) fn skip(&mut self, n: u64) {
        if !self.buf.is_empty() {
            self.total += n;
        }
    }
    /// Events ever recorded (including those overwritten).
    pub fn total(&self) -> u64 {
        self.total
    }
    pub fn capacity(&self) -> usize {
        self.cap
    }
    /// The retained events (the last `capacity` ones), oldest first.
    pub fn events(&self) -> Vec<TraceEvent> {
        let n = self.buf.len() as u64;
        let keep = self.total.min(self.cap as u64);
        (self.total - keep..self.total).map(|i| self.buf[(i % n.max(1)) as usize]).collect()
    }
    /// The retained events pushed after the first `since` ever (oldest first), without
    /// copying the ring: what an observer that polls every step wants.
    pub fn since(&self, since: u64) -> impl Iterator<Item = &TraceEvent> + '_ {
        let n = self.buf.len() as u64;
        let from = since.max(self.total.saturating_sub(self.cap as u64));
        (from..self.total).map(move |i| &self.buf[(i % n.max(1)) as usize])
    }

    /// The last `n` events, oldest first.
    pub fn last(&self, n: usize) -> Vec<TraceEvent> {
        let all = self.events();
        all[all.len().saturating_sub(n)..].to_vec()
    }
}

/// Per-task scheduler counters (mailbox counters are the executive's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskCounters {
    pub scheduled_in: u64,
    pub traps: u64,
    pub blocks: u64,
    pub wakes: u64,
    pub faults: u64,
}

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
