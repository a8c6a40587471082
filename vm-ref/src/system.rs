//! A reference machine together with its executive: what `hsx run` and the harness step.
//!
//! [`System::step`] is scheduler.md "One step": start-of-step timeouts, pick (with idle
//! jumps), execute (an SVC is serviced by the executive inside the step), account, rotate.

use crate::core::{self, Effect, NoRecord, Record};
use crate::exec::{ExecConfig, Executive};
use crate::machine::{Machine, MachineConfig};
use crate::sched::{EventKind, TraceEvent};
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
}

impl System {
    pub fn new(mcfg: &MachineConfig, ecfg: ExecConfig) -> System {
        System { machine: Machine::new(mcfg), exec: Executive::new(ecfg) }
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
        let pid = loop {
            if self.machine.ticks >= self.machine.next_deadline {
                self.fire_timeouts();
            }
            let m = &mut self.machine;
            let cur = m.current;
            if cur != 0 && m.slot(cur).state == TaskState::Running {
                break cur;
            }
            m.current = 0;
            match m.next_ready_after(m.last_ran) {
                Some(p) => {
                    m.schedule_in(p);
                    break p;
                }
                None if m.next_deadline != u64::MAX => {
                    // Idle: time jumps to the earliest deadline (not a step).
                    m.ticks = m.ticks.max(m.next_deadline);
                }
                None => return false,
            }
        };
        self.execute_current(pid, true, rec);
        true
    }

    /// Execute, account and (if `rotate`) rotate the current task: steps 2–4.
    #[inline]
    fn execute_current<R: Record>(&mut self, pid: u8, rotate: bool, rec: &mut R) {
        let i = pid as usize - 1;
        let pc = self.machine.slots[i].pc;
        let eff = core::execute(&mut self.machine, pid, rec);
        if eff != Effect::Continue {
            self.apply_effect(pid, eff);
        }
        // Account. (`steps`/`ticks` are kept in locals for the trace events: reloading
        // them right after the stores stalls store forwarding on the hot path.)
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
                    m.trace.push(TraceEvent { step: steps, ticks, pid, kind: EventKind::Rotate { from: pid, to: next } });
                }
                None => m.slots[i].slice_used = 0,
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
    pub fn run(&mut self, max_steps: u64) -> Outcome {
        let mut n = 0u64;
        while n < max_steps {
            if !self.step_with(&mut NoRecord) {
                break;
            }
            n += 1;
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
