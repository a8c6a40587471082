//! A reference machine together with its executive: what `hsx run` and the harness step.
//!
//! [`System::step`] is scheduler.md "One step": start-of-step timeouts, pick (with idle
//! jumps), execute (an SVC is serviced by the executive inside the step), account, rotate.

use crate::core::{self, Effect, NoRecord, Record};
use crate::exec::{ExecConfig, Executive};
use crate::machine::{Machine, MachineConfig};
use crate::trace::{EventKind, TraceEvent};
use isa::{Retire, TaskState};

/// How a run ended (cli.md `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Quiescent, every task RETURNED or FAULTED.
    Finished,
    /// Quiescent, some task BLOCKED forever or PAUSED.
    Stalled,
    /// The step limit was hit with work remaining.
    MaxSteps,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Finished => "finished",
            Outcome::Stalled => "stalled",
            Outcome::MaxSteps => "max_steps",
        }
    }
}

impl Outcome {
    /// The outcome of a machine whose task table is `slots`, if the run stopped now: the
    /// same rule for the reference and the RTL (whose table comes from its probe).
    pub fn of_slots(slots: &[isa::Slot]) -> Outcome {
        let runnable = slots.iter().any(|s| matches!(s.state, TaskState::Ready | TaskState::Running));
        let deadline = slots.iter().any(|s| s.state == TaskState::Blocked && s.deadline.is_some());
        if runnable || deadline {
            Outcome::MaxSteps
        } else if slots.iter().all(|s| matches!(s.state, TaskState::Empty | TaskState::Returned | TaskState::Faulted)) {
            Outcome::Finished
        } else {
            Outcome::Stalled
        }
    }
}

/// Why each unfinished task of `slots` has not finished. `brk`: each slot's BRK code when
/// it is known (the reference knows; the RTL's table does not say).
pub fn stall_reasons_of(slots: &[isa::Slot], brk: Option<&[Option<u8>]>) -> Vec<StallReason> {
    let mut v = vec![];
    for (i, s) in slots.iter().enumerate() {
        let pid = i as u8 + 1;
        let why = match s.state {
            TaskState::Blocked => match s.deadline {
                None => format!("BLOCKED on {} with no deadline", s.wait.name()),
                Some(d) => format!("BLOCKED on {} until tick {d}", s.wait.name()),
            },
            TaskState::Paused => match brk.map(|b| b[i]) {
                Some(Some(c)) => format!("PAUSED by BRK {c} at pc 0x{:04X}", s.pc),
                Some(None) => "PAUSED by the host".to_string(),
                None => format!("PAUSED at pc 0x{:04X}", s.pc),
            },
            TaskState::Ready | TaskState::Running => "runnable".to_string(),
            TaskState::Empty | TaskState::Returned | TaskState::Faulted => continue,
        };
        v.push(StallReason { pid, why });
    }
    v
}

/// Why a task holds up a stalled machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StallReason {
    pub pid: u8,
    pub why: String,
}

/// The reference machine and its executive.
#[derive(Clone)]
pub struct System {
    pub machine: Machine,
    pub exec: Executive,
    /// Plain instructions in a row after which [`run`](System::run) switches from
    /// stepping one by one to bursts (default [`BURST_AFTER`]; 0: bursts from the
    /// start). A speed knob only: the result is the same for every value.
    pub burst_after: u64,
    /// `(pid << 16) | pc` of the last steps of a [`run`](System::run) burst, from which
    /// the trace ring is written when the burst ends. Scratch, not machine state.
    burst_log: Box<[u32; BURST_LOG]>,
}

impl System {
    pub fn new(mcfg: &MachineConfig, ecfg: ExecConfig) -> System {
        System {
            machine: Machine::new(mcfg),
            exec: Executive::new(ecfg),
            burst_after: BURST_AFTER,
            burst_log: Box::new([0; BURST_LOG]),
        }
    }

    /// Hand every BLOCKED task whose deadline has passed to the executive, in pid order.
    fn fire_timeouts(&mut self) {
        self.machine.in_step = true;
        let m = &mut self.machine;
        for pid in 1..=m.slots.len() as u8 {
            let s = m.slot(pid);
            if s.state == TaskState::Blocked && s.deadline.is_some_and(|d| d <= m.ticks) {
                self.exec.on_timeout(m, pid);
                // The executive always wakes a timed-out task; make sure of it so that a
                // timeout can never be handed out twice.
                if m.slot(pid).state == TaskState::Blocked {
                    let _ = m.apply_command(isa::Command::Wake { pid });
                }
            }
        }
        self.machine.in_step = false;
    }

    /// Run one step. Returns its retire record, or `None` when the machine is quiescent
    /// (nothing READY or RUNNING and no deadline pending).
    pub fn step(&mut self) -> Option<Retire> {
        let mut rec = Retire::default();
        self.step_into(&mut rec).then_some(rec)
    }

    /// [`step`](System::step) into a caller-owned record (no copy of the record on the
    /// hot path). Returns `false` when the machine is quiescent.
    #[inline]
    pub fn step_into(&mut self, rec: &mut Retire) -> bool {
        self.step_with(rec)
    }

    /// One step reporting into any [`Record`] (a [`NoRecord`] when nobody looks).
    #[inline(always)]
    fn step_with<R: Record>(&mut self, rec: &mut R) -> bool {
        match self.pick() {
            Some(pid) => {
                self.execute_current(pid, true, rec);
                true
            }
            None => false,
        }
    }

    /// Steps 0–1: start-of-step timeouts, then the RUNNING task or the next READY one
    /// (scheduled in), with idle jumps. `None` when the machine is quiescent.
    #[inline(always)]
    fn pick(&mut self) -> Option<u8> {
        loop {
            if self.machine.ticks >= self.machine.next_deadline {
                self.fire_timeouts();
            }
            let m = &mut self.machine;
            let cur = m.current;
            if cur != 0 && m.slot(cur).state == TaskState::Running {
                return Some(cur);
            }
            m.current = 0;
            match m.next_ready_after(m.last_ran) {
                Some(p) => {
                    m.schedule_in(p);
                    return Some(p);
                }
                None if m.next_deadline != u64::MAX => {
                    // Idle: time jumps to the earliest deadline (not a step).
                    m.ticks = m.ticks.max(m.next_deadline);
                }
                None => return None,
            }
        }
    }

    /// Execute, account and (if `rotate`) rotate the current task: steps 2–4. Returns
    /// whether the instruction was a plain one (no SVC, return, BRK or fault).
    #[inline]
    fn execute_current<R: Record>(&mut self, pid: u8, rotate: bool, rec: &mut R) -> bool {
        let pc = self.machine.slots[pid as usize - 1].pc;
        let eff = core::execute(&mut self.machine, pid, rec);
        let plain = eff == Effect::Continue;
        if !plain {
            self.apply_effect(pid, eff);
        }
        self.account(pid, pc, rotate, rec);
        plain
    }

    /// Steps 3–4 after `pid` executed the instruction at `pc`: account, and (if `rotate`)
    /// rotate at the end of its slice.
    #[inline(always)]
    fn account<R: Record>(&mut self, pid: u8, pc: u16, rotate: bool, rec: &mut R) {
        let i = pid as usize - 1;
        // (`steps`/`ticks` are kept in locals for the trace events: reloading them right
        // after the stores stalls store forwarding on the hot path.)
        let m = &mut self.machine;
        let steps = m.steps + 1;
        let ticks = m.ticks + 1;
        m.steps = steps;
        m.ticks = ticks;
        m.last_ran = pid;
        rec.step(steps);
        m.trace.push(TraceEvent { step: steps, ticks, pid, kind: EventKind::Step { pc } });
        let s = &mut m.slots[i];
        s.accounted_steps += 1;
        s.slice_used += 1;
        if s.state != TaskState::Running {
            m.current = 0;
        } else if rotate && s.slice_used >= s.slice {
            // Rotate: the current task is RUNNING, so it is not in the READY mask.
            match m.next_ready_after(pid) {
                Some(next) => {
                    m.slots[i].state = TaskState::Ready;
                    m.ready |= 1 << i;
                    m.schedule_in(next);
                    m.trace.push(TraceEvent {
                        step: steps,
                        ticks,
                        pid,
                        kind: EventKind::Rotate { from: pid, to: next },
                    });
                }
                None => m.slots[i].slice_used = 0,
            }
        }
    }

    /// `run`'s inner loop: steps of `pid` (RUNNING, just picked) and of the tasks the
    /// round robin rotates to, for as long as every instruction is a plain one (no SVC,
    /// RET from the entry, BRK or fault), no deadline falls due and `budget` lasts.
    /// Returns the steps retired (at least one).
    ///
    /// The result is exactly that of [`step`](System::step) repeated (a test runs both
    /// side by side on random programs); only *when* the bookkeeping is written differs.
    /// While only plain instructions run, no task changes state, so the runnable tasks —
    /// the round robin's cycle — and each one's slice are fixed: a rotation is then a
    /// table lookup, and everything a step-by-step run would have written on the way
    /// (task states, the READY mask, per-task step and scheduled-in counts, slice
    /// counters, the trace ring) follows from the number of steps and rotations and a log
    /// of `(pid, pc)` per step. [`end_burst`] writes it when the burst ends.
    #[inline(never)]
    fn run_burst(&mut self, pid: u8, budget: u64) -> u64 {
        let m = &mut self.machine;
        let log = &mut self.burst_log;
        let mut b = Burst::new(m, pid);
        // Stop when the budget is spent or at the next deadline (the next step's timeout
        // check is the pick's); with a trace ring larger than the log, before it wraps.
        let mut limit = budget.min(m.next_deadline.saturating_sub(b.ticks0));
        if m.trace.capacity() > BURST_LOG {
            limit = limit.min(BURST_LOG as u64);
        }
        // The successor table is one register: the next slot index is a shift and a mask
        // away (no load for the next step's slot address to wait on).
        let succ = b.succ;
        let mut i = pid as usize - 1;
        let mut used = b.used0;
        let mut slice = b.slices[i % isa::MAX_TASKS];
        let mut rotations = 0u64;
        let mut done = 0u64;
        loop {
            let pid = i as u8 + 1;
            let pc = m.slots[i].pc;
            let eff = core::execute(m, pid, &mut NoRecord);
            if eff != Effect::Continue {
                // Write everything back, then finish this step the ordinary way.
                b.finish(pid, used, done, rotations);
                end_burst(m, log, &b);
                self.apply_effect(pid, eff);
                self.account(pid, pc, true, &mut NoRecord);
                return done + 1;
            }
            log[done as usize % BURST_LOG] = (pid as u32) << 16 | pc as u32;
            done += 1;
            used += 1;
            if used >= slice {
                let next = Burst::next_of(succ, i);
                if next != i {
                    rotations += 1;
                    i = next;
                    slice = b.slices[i % isa::MAX_TASKS];
                }
                used = 0;
            }
            if done >= limit {
                b.finish(i as u8 + 1, used, done, rotations);
                end_burst(m, log, &b);
                return done;
            }
        }
    }

    /// What an instruction other than a plain one does to its task (step 2's tail):
    /// the SVC is serviced by the executive inside the step; RET from the entry function,
    /// BRK and faults change the task's state.
    #[cold]
    #[inline(never)]
    fn apply_effect(&mut self, pid: u8, eff: Effect) {
        self.machine.in_step = true;
        let m = &mut self.machine;
        let i = pid as usize - 1;
        match eff {
            Effect::Continue => {}
            Effect::Trap { module, func } => {
                m.counters[i].traps += 1;
                m.trace_event(pid, EventKind::Trap { module, func });
                self.exec.on_svc(&mut self.machine, pid, module, func);
            }
            Effect::Return { code } => {
                let s = m.slot_mut(pid);
                s.state = TaskState::Returned;
                s.exit_code = Some(code);
                m.trace_event(pid, EventKind::Halt { code });
            }
            Effect::Brk { code } => {
                m.slot_mut(pid).state = TaskState::Paused;
                m.brk_code[i] = Some(code);
                m.trace_event(pid, EventKind::Pause { brk: Some(code) });
            }
            Effect::Fault { code } => {
                let s = m.slot_mut(pid);
                s.state = TaskState::Faulted;
                s.fault = Some(code);
                m.counters[i].faults += 1;
                m.trace_event(pid, EventKind::Fault { code });
            }
        }
        self.machine.in_step = false;
    }

    /// Run one step of `pid` alone (the debugger's single step, `clock step -p`): the task
    /// runs whatever the round robin would pick, nothing rotates, other tasks are held.
    /// Returns `None` if `pid` is not READY or RUNNING.
    pub fn step_task(&mut self, pid: u8) -> Option<Retire> {
        if pid == 0 || pid as usize > self.machine.slots.len() {
            return None;
        }
        if self.machine.ticks >= self.machine.next_deadline {
            self.fire_timeouts();
        }
        let m = &mut self.machine;
        match m.slot(pid).state {
            TaskState::Running => {}
            TaskState::Ready => {
                let cur = m.current;
                if cur != 0 && m.slot(cur).state == TaskState::Running {
                    m.slot_mut(cur).state = TaskState::Ready;
                    m.sync_ready(cur);
                }
                m.schedule_in(pid);
            }
            _ => return None,
        }
        let mut rec = Retire::default();
        self.execute_current(pid, false, &mut rec);
        Some(rec)
    }

    /// Run to quiescence or until `max_steps` steps have retired.
    ///
    /// Steps one by one until `burst_after` plain instructions in a row have run, then
    /// in bursts ([`run_burst`](System::run_burst)), back to single steps after a burst
    /// of fewer than `burst_after` steps: a burst has a fixed cost to start and end,
    /// which a program that traps every few instructions would pay for nothing. Either
    /// way the result is the same.
    pub fn run(&mut self, max_steps: u64) -> Outcome {
        let mut n = 0u64;
        let mut plain = 0u64;
        while n < max_steps {
            let Some(pid) = self.pick() else { break };
            if plain >= self.burst_after {
                let done = self.run_burst(pid, max_steps - n);
                n += done;
                if done < self.burst_after {
                    plain = 0;
                }
            } else {
                plain = if self.execute_current(pid, true, &mut NoRecord) { plain + 1 } else { 0 };
                n += 1;
            }
        }
        self.outcome()
    }

    /// The outcome if the run stopped now.
    pub fn outcome(&self) -> Outcome {
        Outcome::of_slots(&self.machine.slots)
    }

    /// The tasks that keep a quiescent machine from having finished, and why.
    pub fn stall_reasons(&self) -> Vec<StallReason> {
        stall_reasons_of(&self.machine.slots, Some(&self.machine.brk_code))
    }
}

/// Plain instructions in a row after which [`System::run`] switches to bursts: about
/// where a burst's fixed cost (set-up, write-back) is paid back.
pub const BURST_AFTER: u64 = 16;

/// Steps a burst remembers for the trace ring: the ring's default capacity.
const BURST_LOG: usize = 256;

/// A [`System::run_burst`]: the round robin's cycle as it began, and where it stopped.
/// Building and finishing one costs a few operations per runnable task, so that bursts cut
/// short by frequent SVCs stay cheap.
struct Burst {
    /// Four bits per slot index: the slot index of that runnable task's successor
    /// (itself when it runs alone). One register in the loop.
    succ: u64,
    /// Each runnable slot's slice (at least 1), by slot index.
    slices: [u32; isa::MAX_TASKS],
    /// READY or RUNNING tasks (unchanged during a burst).
    runnable: u32,
    /// The task RUNNING when the burst began, and its slice counter then.
    pid0: u8,
    used0: u32,
    /// `steps` and `ticks` when the burst began.
    steps0: u64,
    ticks0: u64,
    /// When it stopped: the current task (RUNNING), `used` steps into its slice, after
    /// `done` steps and `rotations` rotations.
    pid: u8,
    used: u32,
    done: u64,
    rotations: u64,
}

impl Burst {
    fn new(m: &Machine, pid0: u8) -> Burst {
        let runnable = m.ready | 1 << (pid0 - 1);
        let mut succ = 0u64;
        let mut slices = [1; isa::MAX_TASKS];
        // Runnable tasks in ascending order: each one's successor is the next, the last
        // one's the first.
        let first = runnable.trailing_zeros();
        let mut rest = runnable;
        while rest != 0 {
            let i = rest.trailing_zeros();
            rest &= rest - 1;
            let next = if rest != 0 { rest.trailing_zeros() } else { first };
            succ |= (next as u64) << (4 * i);
            slices[i as usize % isa::MAX_TASKS] = m.slots[i as usize].slice.max(1);
        }
        Burst {
            succ,
            slices,
            runnable,
            pid0,
            used0: m.slot(pid0).slice_used,
            steps0: m.steps,
            ticks0: m.ticks,
            pid: pid0,
            used: 0,
            done: 0,
            rotations: 0,
        }
    }

    /// The slot index after slot index `i` in the cycle whose successor table is `succ`.
    #[inline(always)]
    fn next_of(succ: u64, i: usize) -> usize {
        ((succ >> (4 * i)) & 15) as usize
    }

    fn finish(&mut self, pid: u8, used: u32, done: u64, rotations: u64) {
        (self.pid, self.used, self.done, self.rotations) = (pid, used, done, rotations);
    }

    /// The pid that retired the last step (`None` if no step was retired).
    fn last(&self, log: &[u32; BURST_LOG]) -> Option<u8> {
        (self.done > 0).then(|| logged(log, self.done - 1).0)
    }
}

/// `(pid, pc)` of the burst's step `k` (one of the last `BURST_LOG`).
fn logged(log: &[u32; BURST_LOG], k: u64) -> (u8, u16) {
    let e = log[k as usize % BURST_LOG];
    ((e >> 16) as u8, e as u16)
}

/// Write back what a burst kept in registers — time, task states, the READY mask, each
/// task's step count, scheduled-in count and slice counter, the trace events of its
/// steps — exactly what stepping one by one would have left.
///
/// Rotation `k` (1, 2, …) schedules in the task `k` places after the first in the cycle
/// (`len` tasks); a task's visit lasts its slice, except the first task's first visit
/// (from `used0` until the counter reaches its slice: at least one step) and the current
/// visit (`used` steps so far).
#[cold]
#[inline(never)]
fn end_burst(m: &mut Machine, log: &[u32; BURST_LOG], b: &Burst) {
    m.steps = b.steps0 + b.done;
    m.ticks = b.ticks0 + b.done;
    if let Some(last) = b.last(log) {
        m.last_ran = last;
    }
    let (len, r) = (b.runnable.count_ones() as u64, b.rotations);
    // Rotations in 1..=n that schedule in the task at distance `d` (1..=len) of the first.
    let count = |d: u64, n: u64| match n.checked_sub(d) {
        None => 0,
        Some(k) if k < len => 1,
        Some(k) => k / len + 1,
    };
    // Only the tasks that ran: the first and the next `r` (at most the whole cycle).
    let mut i = b.pid0 as usize - 1;
    for d in 0..=r.min(len - 1) {
        let pid = i as u8 + 1;
        let slice = b.slices[i % isa::MAX_TASKS];
        let d = if d == 0 { len } else { d };
        // Completed visits that began with a rotation (ended by a later one).
        let full = count(d, r.saturating_sub(1));
        let mut steps = full * slice as u64;
        let mut slice_used = (full > 0).then_some(slice);
        if pid == b.pid0 {
            if r == 0 {
                steps = b.done;
            } else {
                // The first visit, ended by rotation 1.
                let end = (b.used0 + 1).max(slice);
                steps += (end - b.used0) as u64;
                slice_used = slice_used.or(Some(end));
            }
        }
        if pid == b.pid && r > 0 {
            steps += b.used as u64;
        }
        m.counters[i].scheduled_in += count(d, r);
        let s = &mut m.slots[i];
        s.accounted_steps += steps;
        if let Some(u) = slice_used {
            s.slice_used = u;
        }
        i = Burst::next_of(b.succ, i);
    }
    // Tasks that rotated out are READY again (they were READY before they ran), the
    // first one included; the current one is RUNNING.
    m.slots[b.pid0 as usize - 1].state = TaskState::Ready;
    let s = &mut m.slots[b.pid as usize - 1];
    s.state = TaskState::Running;
    s.slice_used = b.used;
    m.ready = b.runnable & !(1 << (b.pid - 1));
    m.current = b.pid;
    burst_trace(m, log, b);
}

/// The trace events of a burst's steps: a STEP per step and a ROTATE wherever the next
/// step (or the current task, after the last) is another task's. Only the last
/// `BURST_LOG` steps are in the log; the events before them are counted, not written
/// (they are older than the ring's capacity).
fn burst_trace(m: &mut Machine, log: &[u32; BURST_LOG], b: &Burst) {
    let from = b.done.saturating_sub(BURST_LOG as u64);
    let pid_at = |k: u64| if k < b.done { logged(log, k).0 } else { b.pid };
    if from > 0 {
        // Every rotation follows some step; those after steps before the log are skipped.
        let rotations_in_log = (from..b.done).filter(|&k| pid_at(k + 1) != pid_at(k)).count() as u64;
        m.trace.skip(from + (b.rotations - rotations_in_log));
    }
    for k in from..b.done {
        let (pid, pc) = logged(log, k);
        let (step, ticks) = (b.steps0 + k + 1, b.ticks0 + k + 1);
        m.trace.push(TraceEvent { step, ticks, pid, kind: EventKind::Step { pc } });
        let next = pid_at(k + 1);
        if next != pid {
            m.trace.push(TraceEvent { step, ticks, pid, kind: EventKind::Rotate { from: pid, to: next } });
        }
    }
}
