//! Host scripts: host commands and control-register reads issued to **both** sides at a
//! step boundary, their results compared (docs/harness.md "Host scripts").
//!
//! A lockstep run otherwise issues no host command between steps: the executive drives
//! the scheduler only from inside an SVC's or a timeout's step and reads only the task
//! table. A host script reaches the rest of the host interface — PAUSE, RESUME, KILL,
//! SET_SLICE, WAKE, YIELD, raw command words, and every control register — the way a
//! debugger or `hsx shell` would, on both machines at the same step boundary.
//!
//! The script is written in the header of the case's first program (it travels with the
//! case's files, so `hsx replay` and the waveform re-simulation apply it too):
//!
//! ```text
//! ; cosim-host: AT ACTION [ARGS…]
//! ```
//!
//! `AT` is the number of steps retired when the action is applied (0: before the first
//! step), or `idle`: when both sides are quiescent. An action whose step the run never
//! reaches because it went quiescent first is applied at that quiescence; after actions
//! applied at quiescence the run goes on (a RESUME makes it runnable again). Actions:
//!
//! | action | both sides |
//! |---|---|
//! | `pause PID`, `resume PID`, `wake PID`, `yield PID`, `slice PID N` | the scheduler command (the reference applies it to its machine; the DUT's driver issues it over the host bus); a refused command must be refused on both |
//! | `kill PID` | the executive's KILL (the command, then the executive frees the task's arena and descriptors) |
//! | `cmd OP PID [A0]` | a raw write of the CMD register `{pid, op}` (after A0, if given): undefined codes and invalid commands are ignored (docs/rtl-interface.md); SPAWN and BLOCK are not allowed (they take more arguments) |
//! | `regs` | write A0..A7 with [`ARG_PATTERN`], then read every control register (all 32 fields of the 32 slot pages, the 64 registers of the globals page, and a few addresses outside both) |
//! | `peek code\|data ADDR LEN` | read LEN bytes (1..=4096) of code or data memory from ADDR over the host bus (the reference: its memory), as a debugger would |
//!
//! After each action the values read, the commands' results and then the whole task
//! table and scheduler registers are compared; the first difference is a divergence of
//! the `host` check.

use super::check::{sched_registers, slot_diff, Mismatch};
use super::side::{Dut, Reference};
use crate::rtl::{RtlHost, RtlSystem};
use isa::ctrl::{self, field, global, op};
use isa::{Command, Slot};
use vm_ref::exec::Host;
use vm_ref::system::System;
use vm_ref::Machine;

/// The header key of a host-script line.
pub const KEY: &str = "cosim-host:";

/// The values `regs` writes into A0..A7 before it reads them back.
pub const ARG_PATTERN: [u32; 8] =
    [0x0000_0000, 0xFFFF_FFFF, 0x8000_0001, 0x1234_5678, 0xA5A5_5A5A, 0x0001_0000, 0x7FFF_FFFE, 0xDEAD_BEEF];

/// When an action is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// With this many steps retired.
    Step(u64),
    /// When both sides are quiescent.
    Idle,
}

/// One host action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostAction {
    /// A scheduler command through the side's host interface.
    Command(Command),
    /// The executive's KILL.
    Kill(u8),
    /// A raw write of the CMD register, after A0 if given.
    CmdWord { word: u32, a0: Option<u32> },
    /// Write [`ARG_PATTERN`] to A0..A7, then read every register of [`ctrl_addresses`].
    Regs,
    /// Read `len` bytes of code (`code`) or data memory from `addr`.
    Peek { code: bool, addr: u16, len: u16 },
}

/// What a side answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostReply {
    /// A command: `Err` is why it was refused.
    Done(Result<(), String>),
    /// The values read, one per address of [`ctrl_addresses`].
    Regs(Vec<u32>),
    /// The bytes a `peek` read.
    Mem(Vec<u8>),
}

/// One line of a host script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostStep {
    pub at: At,
    pub action: HostAction,
    /// The line as written (after the key), for reports.
    pub text: String,
}

/// A line of a host script that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: host script: {msg}")]
pub struct HostScriptError {
    pub file: String,
    pub line: usize,
    pub msg: String,
}

/// A case's host script and how far the run has got through it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostScript {
    steps: Vec<HostStep>,
    next: usize,
}

impl HostScript {
    /// The script in the header of `src` (comment lines before the first other line).
    pub fn parse(src: &str, file: &str) -> Result<HostScript, HostScriptError> {
        let mut steps = vec![];
        for (i, line) in src.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            let Some(comment) = t.strip_prefix(';') else { break };
            let Some(rest) = comment.trim_start().strip_prefix(KEY) else { continue };
            let err = |msg: String| HostScriptError { file: file.to_string(), line: i + 1, msg };
            steps.push(parse_line(rest.trim()).map_err(err)?);
        }
        // Applied in step order; `idle` lines after every numbered one, each group in the
        // order written.
        steps.sort_by_key(|s| match s.at {
            At::Step(n) => (0, n),
            At::Idle => (1, 0),
        });
        Ok(HostScript { steps, next: 0 })
    }

    /// The lines of the script.
    pub fn steps(&self) -> &[HostStep] {
        &self.steps
    }

    /// How many actions have been applied so far (it grows when
    /// [`apply_due`](Self::apply_due) applies one).
    pub fn applied(&self) -> usize {
        self.next
    }

    /// The step count at which the next action applies, if it applies at a step (not at
    /// quiescence): a DUT that runs ahead must not pass it.
    pub fn next_step(&self) -> Option<u64> {
        match self.steps.get(self.next)?.at {
            At::Step(n) => Some(n),
            At::Idle => None,
        }
    }

    /// Whether actions are still to be applied.
    pub fn pending(&self) -> bool {
        self.next < self.steps.len()
    }

    /// Apply every action due with `step` steps retired (or, when `quiescent`, at least
    /// the next one) to both sides, comparing as it goes. `Some` is the first difference.
    pub fn apply_due(
        &mut self,
        step: u64,
        quiescent: bool,
        refs: &mut dyn Reference,
        dut: &mut dyn Dut,
    ) -> Option<Mismatch> {
        let mut first = true;
        while let Some(s) = self.steps.get(self.next) {
            let due = match s.at {
                At::Step(n) => n <= step || (quiescent && first),
                At::Idle => quiescent && first,
            };
            if !due {
                break;
            }
            first = false;
            self.next += 1;
            if let Some(mm) = apply_one(s, refs, dut) {
                return Some(mm);
            }
        }
        None
    }
}

fn parse_line(s: &str) -> Result<HostStep, String> {
    let toks: Vec<&str> = s.split_whitespace().collect();
    let num = |i: usize, what: &str| -> Result<u64, String> {
        let t = toks.get(i).ok_or_else(|| format!("`{}` needs {what}", toks.get(1).unwrap_or(&"")))?;
        crate::program::parse_num(t).ok_or_else(|| format!("{what}: `{t}` is not a number"))
    };
    let at = match toks.first() {
        None => return Err("empty line: expected `AT ACTION [ARGS…]`".into()),
        Some(&"idle") => At::Idle,
        Some(t) => {
            At::Step(crate::program::parse_num(t).ok_or_else(|| format!("`{t}`: expected a step number or `idle`"))?)
        }
    };
    let pid = |i: usize| -> Result<u8, String> {
        let v = num(i, "a pid")?;
        u8::try_from(v).ok().filter(|&p| p <= 31).ok_or_else(|| format!("pid {v} is not 0..31"))
    };
    let word = |i: usize, what: &str| -> Result<u32, String> {
        let v = num(i, what)?;
        u32::try_from(v).map_err(|_| format!("{what} {v} does not fit 32 bits"))
    };
    let name = toks.get(1).copied().unwrap_or("");
    let (action, n_args) = match name {
        "pause" => (HostAction::Command(Command::Pause { pid: pid(2)? }), 1),
        "resume" => (HostAction::Command(Command::Resume { pid: pid(2)? }), 1),
        "wake" => (HostAction::Command(Command::Wake { pid: pid(2)? }), 1),
        "yield" => (HostAction::Command(Command::Yield { pid: pid(2)? }), 1),
        "slice" => (HostAction::Command(Command::SetSlice { pid: pid(2)?, n: word(3, "a slice")? }), 2),
        "kill" => (HostAction::Kill(pid(2)?), 1),
        "cmd" => {
            let opc = word(2, "an op code")?;
            if opc > 15 {
                return Err(format!("op code {opc} does not fit 4 bits"));
            }
            if opc == op::SPAWN || opc == op::BLOCK {
                return Err("raw SPAWN and BLOCK are not allowed (they take more than A0)".into());
            }
            let a0 = if toks.len() > 4 { Some(word(4, "A0")?) } else { None };
            if a0.is_none() && (opc == op::SET_SLICE || opc == op::EXIT) {
                return Err("a raw SET_SLICE or EXIT needs its A0".into());
            }
            (HostAction::CmdWord { word: ctrl::cmd_word(pid(3)?, opc), a0 }, 2 + a0.is_some() as usize)
        }
        "regs" => (HostAction::Regs, 0),
        "peek" => {
            let code = match toks.get(2).copied() {
                Some("code") => true,
                Some("data") => false,
                _ => return Err("`peek` needs the space: `peek code|data ADDR LEN`".into()),
            };
            let addr = num(3, "an address")?;
            let len = num(4, "a length")?;
            if !(1..=4096).contains(&len) {
                return Err(format!("peek length {len} is not 1..=4096"));
            }
            if addr + len > 0x1_0000 {
                return Err(format!("peek of {len} bytes at 0x{addr:x} runs past 0xFFFF"));
            }
            (HostAction::Peek { code, addr: addr as u16, len: len as u16 }, 3)
        }
        "" => return Err("expected an action after the step".into()),
        o => {
            return Err(format!("unknown action `{o}` (pause, resume, wake, yield, slice, kill, cmd, regs, peek)"));
        }
    };
    if toks.len() > 2 + n_args {
        return Err(format!("`{name}`: unexpected `{}`", toks[2 + n_args]));
    }
    Ok(HostStep { at, action, text: s.to_string() })
}

/// Every control register `regs` reads: the 32 slot pages (pid 0..31, fields 0..31), the
/// globals page (64 registers), two unaligned addresses and a few addresses outside both.
pub fn ctrl_addresses() -> Vec<u16> {
    let mut v: Vec<u16> = (0..32u16).flat_map(|p| (0..32u16).map(move |f| p * ctrl::SLOT_STRIDE + 4 * f)).collect();
    v.extend((0..64u16).map(|g| ctrl::GLOBALS_BASE + 4 * g));
    v.extend([ctrl::slot_reg(1, field::PC) + 2, ctrl::global_reg(global::LAST_RAN) + 1]);
    v.extend([0x1100, 0x1F00, 0x2000, 0x8004, 0xFFFC]);
    v
}

/// What the register at `addr` reads on a machine in `m`'s state with `args` in A0..A7
/// (docs/rtl-interface.md "Control registers"; unmapped registers read 0).
pub fn ctrl_value(m: &Machine, args: &[u32; 8], addr: u16) -> u32 {
    let addr = addr & !3;
    let lo = |v: u64| v as u32;
    let hi = |v: u64| (v >> 32) as u32;
    if addr < ctrl::GLOBALS_BASE {
        let pid = (addr / ctrl::SLOT_STRIDE) as u8;
        let f = (addr % ctrl::SLOT_STRIDE) / 4;
        if pid == 0 || pid as usize > m.n_tasks() {
            return 0;
        }
        let s: &Slot = m.slot(pid);
        let d = s.deadline.unwrap_or(0);
        return match f {
            field::STATE => s.state as u32,
            field::PC => s.pc as u32,
            field::CODE_BASE => s.code_base,
            field::CODE_SIZE => s.code_size,
            field::PSW => s.psw as u32,
            field::SP => s.sp,
            field::REG_BASE => s.reg_base,
            field::STACK_LIMIT => s.stack_limit,
            field::STACK_TOP => s.stack_top,
            field::SLICE => s.slice,
            field::SLICE_USED => s.slice_used,
            field::WAIT => s.wait as u32,
            field::DEADLINE_VALID => s.deadline.is_some() as u32,
            field::DEADLINE_LO => lo(d),
            field::DEADLINE_HI => hi(d),
            field::ACCT_LO => lo(s.accounted_steps),
            field::ACCT_HI => hi(s.accounted_steps),
            field::EXIT_CODE => s.exit_code.unwrap_or(0),
            field::FAULT => s.fault.unwrap_or(0),
            _ => 0,
        };
    }
    if addr >= ctrl::GLOBALS_BASE + 0x100 {
        return 0;
    }
    let g = (addr - ctrl::GLOBALS_BASE) / 4;
    match g {
        global::CURRENT => m.current as u32,
        global::LAST_RAN => m.last_ran as u32,
        global::STEPS_LO => lo(m.steps),
        global::STEPS_HI => hi(m.steps),
        global::TICKS_LO => lo(m.ticks),
        global::TICKS_HI => hi(m.ticks),
        global::STACK_REGION_LO => m.stack_region_lo,
        global::PROTECT => m.protect as u32,
        g if (global::ARG0..global::ARG0 + global::N_ARGS).contains(&g) => args[(g - global::ARG0) as usize],
        global::N_TASKS => m.n_tasks() as u32,
        _ => 0,
    }
}

/// A raw command word as the command it is, `None` when the RTL ignores it (op 0, an
/// undefined op, SPAWN/BLOCK are never written raw). Its validity (pid, slice) is the
/// scheduler's to judge.
fn command_of_word(word: u32, a0: Option<u32>) -> Option<Command> {
    let pid = ((word >> 8) & 0x1F) as u8;
    Some(match word & 0xF {
        op::WAKE => Command::Wake { pid },
        op::EXIT => Command::Exit { pid, code: a0? },
        op::YIELD => Command::Yield { pid },
        op::PAUSE => Command::Pause { pid },
        op::RESUME => Command::Resume { pid },
        op::KILL => Command::Kill { pid },
        op::SET_SLICE => Command::SetSlice { pid, n: a0? },
        _ => return None,
    })
}

/// The reference's side of an action (`System`'s [`Side::host`](super::side::Side::host)).
pub fn apply_ref(sys: &mut System, a: &HostAction) -> Result<HostReply, String> {
    Ok(match *a {
        HostAction::Command(c) => HostReply::Done(sys.machine.apply_command(c).map_err(|e| e.to_string())),
        HostAction::Kill(pid) => HostReply::Done(sys.exec.kill(&mut sys.machine, pid).map_err(|e| e.to_string())),
        HostAction::CmdWord { word, a0 } => {
            // Ignored by the hardware when invalid: no result to compare.
            if let Some(c) = command_of_word(word, a0) {
                let _ = sys.machine.apply_command(c);
            }
            HostReply::Done(Ok(()))
        }
        HostAction::Regs => {
            HostReply::Regs(ctrl_addresses().into_iter().map(|a| ctrl_value(&sys.machine, &ARG_PATTERN, a)).collect())
        }
        HostAction::Peek { code, addr, len } => {
            let mem: &[u8] = if code { &sys.machine.code[..] } else { &sys.machine.dmem[..] };
            HostReply::Mem(mem[addr as usize..addr as usize + len as usize].to_vec())
        }
    })
}

/// The RTL's side of an action (`RtlSystem`'s [`Side::host`](super::side::Side::host)): stop at the step boundary,
/// then host-bus traffic.
pub fn apply_rtl(sys: &mut RtlSystem, a: &HostAction) -> Result<HostReply, String> {
    sys.halt().map_err(|e| e.to_string())?;
    let reply = match *a {
        HostAction::Command(c) => HostReply::Done(RtlHost { rtl: &mut sys.rtl }.command(c).map_err(|e| e.to_string())),
        HostAction::Kill(pid) => {
            HostReply::Done(sys.exec.kill(&mut RtlHost { rtl: &mut sys.rtl }, pid).map_err(|e| e.to_string()))
        }
        HostAction::CmdWord { word, a0 } => {
            if let Some(v) = a0 {
                sys.rtl.write_ctrl(ctrl::global_reg(global::ARG0), v).map_err(|e| e.to_string())?;
            }
            sys.rtl.write_ctrl(ctrl::global_reg(global::CMD), word).map_err(|e| e.to_string())?;
            HostReply::Done(Ok(()))
        }
        HostAction::Regs => {
            for (i, v) in ARG_PATTERN.iter().enumerate() {
                sys.rtl.write_ctrl(ctrl::global_reg(global::ARG0 + i as u16), *v).map_err(|e| e.to_string())?;
            }
            let vals = ctrl_addresses().into_iter().map(|a| sys.rtl.read_ctrl(a)).collect::<Result<Vec<_>, _>>();
            HostReply::Regs(vals.map_err(|e| e.to_string())?)
        }
        HostAction::Peek { code, addr, len } => {
            let r = if code { sys.rtl.read_code(addr, len as usize) } else { sys.rtl.read_data(addr, len as usize) };
            HostReply::Mem(r.map_err(|e| e.to_string())?)
        }
    };
    match sys.rtl.take_bus_error() {
        Some(e) => Err(e.to_string()),
        None => Ok(reply),
    }
}

/// The name of the register at `addr` in a report (`slot[2].PC`, `A3`, `0x1f00`).
pub fn ctrl_name(addr: u16) -> String {
    let a = addr & !3;
    if a < ctrl::GLOBALS_BASE {
        let (pid, f) = (a / ctrl::SLOT_STRIDE, (a % ctrl::SLOT_STRIDE) / 4);
        return match field::ALL.get(f as usize) {
            Some((n, ..)) => format!("ctrl[0x{addr:04x}] slot[{pid}].{n}"),
            None => format!("ctrl[0x{addr:04x}] slot[{pid}].f{f} (unmapped)"),
        };
    }
    if a < ctrl::GLOBALS_BASE + 0x100 {
        let g = (a - ctrl::GLOBALS_BASE) / 4;
        if let Some((n, ..)) = global::ALL.iter().find(|x| x.1 == g) {
            return format!("ctrl[0x{addr:04x}] {n}");
        }
        if (global::ARG0..global::ARG0 + global::N_ARGS).contains(&g) {
            return format!("ctrl[0x{addr:04x}] A{}", g - global::ARG0);
        }
    }
    format!("ctrl[0x{addr:04x}] (unmapped)")
}

fn apply_one(s: &HostStep, refs: &mut dyn Reference, dut: &mut dyn Dut) -> Option<Mismatch> {
    let mm = |field: String, e: String, a: String| Some(Mismatch::new("host", field, e, a));
    let what = format!("`{}`", s.text);
    let (er, ar) = (refs.host(&s.action), dut.host(&s.action));
    match (er, ar) {
        (Err(e), _) => return mm(format!("{what}: reference"), "a reference with a host interface".into(), e),
        (_, Err(e)) => return mm(format!("{what}: DUT"), "the action applied".into(), e),
        (Ok(HostReply::Regs(e)), Ok(HostReply::Regs(a))) => {
            let addrs = ctrl_addresses();
            for (i, (x, y)) in e.iter().zip(&a).enumerate() {
                if x != y {
                    return mm(format!("{what}: {}", ctrl_name(addrs[i])), format!("0x{x:08x}"), format!("0x{y:08x}"));
                }
            }
        }
        (Ok(HostReply::Mem(e)), Ok(HostReply::Mem(a))) => {
            let (code, addr) = match s.action {
                HostAction::Peek { code, addr, .. } => (code, addr as usize),
                _ => (false, 0),
            };
            if let Some(i) = (0..e.len().max(a.len())).find(|&i| e.get(i) != a.get(i)) {
                let show = |v: Option<&u8>| v.map_or("nothing".to_string(), |b| format!("0x{b:02x}"));
                let space = if code { "code" } else { "data" };
                return mm(format!("{what}: {space}[0x{:04x}]", addr + i), show(e.get(i)), show(a.get(i)));
            }
        }
        (Ok(e), Ok(a)) if e != a => return mm(format!("{what}: result"), format!("{e:?}"), format!("{a:?}")),
        _ => {}
    }
    // The task table and the scheduler registers after the action.
    let m = refs.machine();
    let g = dut.globals();
    for (name, e, a) in sched_registers(m, &g) {
        if e != a {
            return mm(format!("{what}: {name}"), e.to_string(), a.to_string());
        }
    }
    for pid in 1..=m.n_tasks() as u8 {
        if let Some((f, x, y)) = slot_diff(m.slot(pid), &dut.slot(pid)) {
            return mm(format!("{what}: slot[{pid}].{f}"), x, y);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_parses_in_step_order_and_bad_lines_name_their_line() {
        let src = "; cosim: . @t2\n; cosim-host: idle resume 2\n; cosim-host: 10 pause 2\n\
                   ;  cosim-host: 3 regs\n; cosim-host: 4 cmd 9 1 0\nmain: RET\n; cosim-host: 1 kill 1\n";
        let s = HostScript::parse(src, "p.mvasm").unwrap();
        let at: Vec<At> = s.steps().iter().map(|s| s.at).collect();
        assert_eq!(at, [At::Step(3), At::Step(4), At::Step(10), At::Idle], "the line after the header is ignored");
        assert_eq!(s.steps()[1].action, HostAction::CmdWord { word: 0x109, a0: Some(0) });
        let p = HostScript::parse("; cosim-host: 2 peek data 0x4000 16\n", "p.mvasm").unwrap();
        assert_eq!(p.steps()[0].action, HostAction::Peek { code: false, addr: 0x4000, len: 16 });
        for (bad, msg) in [
            ("; cosim-host: 3 frobnicate 1", "unknown action"),
            ("; cosim-host: x pause 1", "step number"),
            ("; cosim-host: 3 pause", "needs a pid"),
            ("; cosim-host: 3 pause 40", "not 0..31"),
            ("; cosim-host: 3 cmd 1 2", "SPAWN"),
            ("; cosim-host: 3 cmd 9 2", "needs its A0"),
            ("; cosim-host: 3 regs 5", "unexpected `5`"),
            ("; cosim-host: 3 peek 0 4", "needs the space"),
            ("; cosim-host: 3 peek code 0", "needs a length"),
            ("; cosim-host: 3 peek data 0 0", "not 1..=4096"),
            ("; cosim-host: 3 peek data 0xFFFE 4", "runs past 0xFFFF"),
            ("; cosim-host: 3 peek code 0 4 1", "unexpected `1`"),
        ] {
            let e = HostScript::parse(&format!("; first\n{bad}\n"), "p.mvasm").unwrap_err();
            assert_eq!(e.line, 2, "{bad}");
            assert!(e.to_string().starts_with("p.mvasm:2: host script:") && e.msg.contains(msg), "{bad}: {e}");
        }
    }

    #[test]
    fn the_register_map_of_a_machine_follows_the_contract() {
        let mut m = Machine::new(&vm_ref::MachineConfig::default());
        m.steps = 0x1_0000_0002;
        m.current = 3;
        m.slots[2].pc = 0x44;
        m.slots[2].deadline = Some(0x5_0000_0006);
        m.slots[2].exit_code = None;
        let v = |a| ctrl_value(&m, &ARG_PATTERN, a);
        assert_eq!(v(ctrl::slot_reg(3, field::PC)), 0x44);
        assert_eq!(v(ctrl::slot_reg(3, field::DEADLINE_VALID)), 1);
        assert_eq!(v(ctrl::slot_reg(3, field::DEADLINE_HI)), 5);
        assert_eq!(v(ctrl::slot_reg(3, 31)), 0, "unmapped field");
        assert_eq!(v(ctrl::slot_reg(0, field::PC)), 0, "pid 0");
        assert_eq!(v(ctrl::slot_reg(9, field::PC)), 0, "beyond N_TASKS");
        assert_eq!(v(ctrl::global_reg(global::STEPS_HI)), 1);
        assert_eq!(v(ctrl::global_reg(global::CURRENT) + 2), 3, "the low address bits are ignored");
        assert_eq!(v(ctrl::global_reg(global::ARG0 + 7)), ARG_PATTERN[7]);
        assert_eq!(v(ctrl::global_reg(global::CMD)), 0, "write-only");
        assert_eq!(v(ctrl::global_reg(global::N_TASKS)), 8);
        assert_eq!(v(0x2000), 0);
        assert_eq!(ctrl_name(ctrl::slot_reg(2, field::SP)), "ctrl[0x0114] slot[2].SP");
        assert_eq!(ctrl_name(ctrl::global_reg(global::ARG0 + 3)), "ctrl[0x102c] A3");
        assert_eq!(ctrl_name(0x1F00), "ctrl[0x1f00] (unmapped)");
        assert_eq!(command_of_word(ctrl::cmd_word(2, 12), None), None, "an undefined op");
        assert_eq!(
            command_of_word(ctrl::cmd_word(2, op::SET_SLICE), Some(0)),
            Some(Command::SetSlice { pid: 2, n: 0 })
        );
    }

    /// Two counting tasks (slice 3) and a host script.
    fn counters(script: &str) -> crate::harness::case::Case {
        let src = format!(
            "{script}\nmain: LDI R1, 0\n LDI R2, 1\n LDI R3, 20\nloop: ADD R1, R1, R2\n CMP R1, R3\n JNZ loop\n MOV R0, R1\n RET\n"
        );
        crate::harness::case::Case {
            name: "host".into(),
            seed: None,
            files: vec![crate::harness::case::SourceFile { name: "host.mvasm".into(), text: Some(src), hex: None }],
            specs: vec!["host.mvasm".into(), "host.mvasm".into()],
            settings: crate::harness::case::Settings { slice: 3, ..Default::default() },
            stdin: Vec::new(),
        }
    }

    #[test]
    fn host_commands_reach_both_sides_and_the_run_goes_on_from_quiescence() {
        use crate::harness::{CosimConfig, Lockstep, NoObserver, Verdict};
        let cfg = CosimConfig { check_timing: true, ..Default::default() };
        // Pause the RUNNING task and the other one: quiescent at step 2; resumed from there.
        let script = "; cosim-host: 2 pause 1\n; cosim-host: 2 pause 2\n; cosim-host: 2 regs\n\
                      ; cosim-host: idle resume 2\n; cosim-host: idle resume 1\n";
        let mut ls = Lockstep::from_case(&counters(script), cfg).unwrap();
        let Verdict::Agree { steps, .. } = ls.run(&mut NoObserver) else { panic!("diverged") };
        assert_eq!(steps, 2 * (3 + 3 * 20 + 2), "every step of both tasks, around the pause");
        assert!(!ls.host.pending(), "every line applied");
        // KILL of the RUNNING task at step 2: its slot is EMPTY on both sides, the other finishes.
        let mut ls = Lockstep::from_case(&counters("; cosim-host: 2 kill 1\n; cosim-host: 3 regs"), cfg).unwrap();
        let Verdict::Agree { steps, .. } = ls.run(&mut NoObserver) else { panic!("diverged") };
        assert_eq!(steps, 2 + (3 + 3 * 20 + 2));
        assert_eq!(ls.reference().machine.slot(1).state, isa::TaskState::Empty);
        assert_eq!(ls.rtl().probe_slot(1).state, isa::TaskState::Empty);
        assert_eq!(ls.rtl().probe_slot(2).exit_code, Some(20));
    }

    #[test]
    fn a_register_that_reads_differently_is_a_host_divergence_naming_it() {
        use crate::harness::{CosimConfig, Lockstep, NoObserver, Verdict};
        // The reference's code_size changed behind the harness's back: the read of the whole
        // map before the first step names the register.
        let case = counters("; cosim-host: 0 regs");
        let (mut refs, rtl) = crate::harness::standard_sides(&case, CosimConfig::default()).unwrap();
        refs.machine.slots[1].code_size += 4;
        let mut ls = Lockstep::new(refs, rtl, &case, CosimConfig::default()).unwrap();
        let Verdict::Diverged(d) = ls.run(&mut NoObserver) else { panic!("the difference was missed") };
        assert_eq!(d.mismatch.check, "host");
        assert_eq!(d.mismatch.field, "`0 regs`: ctrl[0x010c] slot[2].CODE_SIZE");
        assert_eq!(d.step, 0);
        // The same for a memory byte: a code byte the reference holds differently, read by a
        // `peek` between steps, is named by its address; a `peek` of both memories between
        // steps otherwise agrees and the run goes on.
        let case = counters("; cosim-host: 5 peek code 0 64\n; cosim-host: 6 peek data 0x1000 256\n");
        let mut ls = Lockstep::from_case(&case, CosimConfig::default()).unwrap();
        assert!(matches!(ls.run(&mut NoObserver), Verdict::Agree { .. }));
        let case = counters("; cosim-host: 5 peek code 0xF000 64\n");
        let (mut refs, rtl) = crate::harness::standard_sides(&case, CosimConfig::default()).unwrap();
        refs.machine.code[0xF006] ^= 0x10; // not code any task runs
        let mut ls = Lockstep::new(refs, rtl, &case, CosimConfig::default()).unwrap();
        let Verdict::Diverged(d) = ls.run(&mut NoObserver) else { panic!("the difference was missed") };
        assert_eq!(d.mismatch.check, "host");
        assert_eq!(d.mismatch.field, "`5 peek code 0xF000 64`: code[0xf006]");
        assert_eq!((d.mismatch.expected.as_str(), d.mismatch.actual.as_str()), ("0x10", "0x00"));
        // A bad line is an error naming file and line before anything runs.
        let e = Lockstep::from_case(&counters("; x\n; cosim-host: 1 pause"), CosimConfig::default()).err().unwrap();
        assert_eq!(e.to_string(), "host.mvasm:2: host script: `pause` needs a pid");
    }
}
