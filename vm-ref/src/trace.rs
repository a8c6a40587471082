//! The scheduler's observable records (scheduler.md "Observability"): the trace ring of
//! recent events and the per-task counters. Plain data: the machine holds them, the
//! scheduler ([`crate::sched`]) writes them, nothing here knows the machine.

use isa::WaitKind;

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
