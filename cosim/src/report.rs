//! The stable `hsx run --json` output (cli.md), built the same way for either engine.

use serde::Serialize;

/// One task in the JSON output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskReport {
    pub pid: u8,
    pub spec: String,
    pub state: &'static str,
    pub exit_code: Option<u32>,
    pub fault: Option<u32>,
    pub pc: u16,
    pub psw: u8,
    pub sp: u32,
    pub reg_base: u32,
    pub stack_limit: u32,
    pub stack_top: u32,
    pub regs: [u32; 16],
    pub accounted_steps: u64,
    pub console: String,
}

/// The whole JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub outcome: &'static str,
    pub steps: u64,
    pub ticks: u64,
    pub tasks: Vec<TaskReport>,
}

impl TaskReport {
    /// Build from a slot, the registers read through its window and its console.
    pub fn new(pid: u8, spec: &str, slot: &isa::Slot, regs: [u32; 16], console: &[u8]) -> TaskReport {
        TaskReport {
            pid,
            spec: spec.to_string(),
            state: slot.state.name(),
            exit_code: if slot.state == isa::TaskState::Returned { slot.exit_code } else { None },
            fault: if slot.state == isa::TaskState::Faulted { slot.fault } else { None },
            pc: slot.pc,
            psw: slot.psw,
            sp: slot.sp,
            reg_base: slot.reg_base,
            stack_limit: slot.stack_limit,
            stack_top: slot.stack_top,
            regs,
            accounted_steps: slot.accounted_steps,
            console: String::from_utf8_lossy(console).into_owned(),
        }
    }
}

impl RunReport {
    /// Exit code of `hsx run` (cli.md): 0 every task RETURNED; 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.outcome == "finished" && self.tasks.iter().all(|t| t.state == "RETURNED") {
            0
        } else {
            1
        }
    }

    /// The human summary (stderr in `--json` mode, stdout otherwise).
    pub fn human(&self) -> String {
        let mut s = String::new();
        for t in &self.tasks {
            for line in t.console.lines() {
                s.push_str(&format!("[{}] {}\n", t.pid, line));
            }
        }
        s.push_str(&format!("outcome: {}   steps: {}   ticks: {}\n", self.outcome, self.steps, self.ticks));
        for t in &self.tasks {
            let end = match (t.exit_code, t.fault) {
                (Some(c), _) => format!("exit {c}"),
                (_, Some(f)) => format!("fault 0x{f:08X} {}", isa::fault::name(f).unwrap_or("")),
                _ => String::new(),
            };
            s.push_str(&format!(
                "  pid {} {:<9} {:<12} steps {:>10}  pc 0x{:04X}  sp 0x{:04X}  {}\n",
                t.pid, t.state, end, t.accounted_steps, t.pc, t.sp, t.spec
            ));
        }
        s
    }
}
