//! The stable `hsx run --json` output (cli.md), built the same way for either engine.
//!
//! `console` holds the task's console as the executive kept it: all of it, unless the
//! task wrote more than the executive's tail (`ExecConfig::console_tail`, 1 MiB by
//! default); then it is the last bytes, and `console_bytes` (everything written) and
//! `console_omitted` (bytes before the ones shown) say so. The human output does not
//! repeat the consoles: `hsx run` prints them as they are written (`crate::console`).

use serde::Serialize;
use vm_ref::exec::ConsoleLog;

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
    /// The console (its last bytes when `console_omitted` > 0), UTF-8 with invalid bytes
    /// replaced.
    pub console: String,
    /// Bytes the task wrote to its console in all.
    pub console_bytes: u64,
    /// Bytes written before those in `console` (0: `console` is complete).
    pub console_omitted: u64,
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
    pub fn new(pid: u8, spec: &str, slot: &isa::Slot, regs: [u32; 16], console: Option<&ConsoleLog>) -> TaskReport {
        let (mut tail, total) = console.map_or((&[][..], 0), |c| (c.tail(), c.total()));
        if (tail.len() as u64) < total {
            // A cut tail may start inside a UTF-8 sequence: start at its next character.
            let skip = tail.iter().take(3).take_while(|&&b| b & 0xC0 == 0x80).count();
            tail = &tail[skip..];
        }
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
            console: String::from_utf8_lossy(tail).into_owned(),
            console_bytes: total,
            console_omitted: total - tail.len() as u64,
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

    /// The human summary (stderr in `--json` mode, stdout otherwise), printed after the
    /// consoles (which `hsx run` prints as they are written).
    pub fn human(&self) -> String {
        let mut s = String::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_console_starts_at_a_character_and_says_what_it_left_out() {
        let slot = isa::Slot::default();
        let mut log = ConsoleLog::new(4);
        log.push("ab€".as_bytes()); // € is E2 82 AC
        log.push(b"cd");
        let t = TaskReport::new(1, "x", &slot, [0; 16], Some(&log));
        // the tail is 82 AC 'c' 'd': the two continuation bytes are left out too
        assert_eq!((t.console.as_str(), t.console_bytes, t.console_omitted), ("cd", 7, 5));
        let mut whole = ConsoleLog::new(16);
        whole.push("ab€cd".as_bytes());
        let t = TaskReport::new(1, "x", &slot, [0; 16], Some(&whole));
        assert_eq!((t.console.as_str(), t.console_bytes, t.console_omitted), ("ab€cd", 7, 0));
        let t = TaskReport::new(1, "x", &slot, [0; 16], None);
        assert_eq!((t.console.as_str(), t.console_bytes, t.console_omitted), ("", 0, 0));
    }
}
