//! `hsx shell`: an interactive (and scriptable — it reads stdin) executive shell on the
//! reference machine (cli.md "Shell commands").

use crate::program::{read_program, LoadedFile, ProgramError, Spec};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use vm_ref::exec::{ImageId, SpawnOptions};
use vm_ref::system::System;

mod command;
#[cfg(test)]
mod tests;

use command::HELP;
pub use command::{Command, ShellError, DEFAULT_MAX_STEPS};

/// The shell's state: one reference system and the files loaded into it.
pub struct Shell {
    pub sys: System,
    files: Vec<(PathBuf, ImageId, LoadedFile)>,
    specs: Vec<Option<String>>,
    /// The step cap of `run` without a count.
    pub max_steps: u64,
}

impl Shell {
    pub fn new(sys: System) -> Shell {
        let n = sys.machine.n_tasks();
        Shell { sys, files: vec![], specs: vec![None; n + 1], max_steps: DEFAULT_MAX_STEPS }
    }

    /// `load SPEC`: a file loaded twice shares one image.
    pub fn load(&mut self, text: &str) -> Result<u8, ProgramError> {
        let spec = Spec::parse(text);
        let key = std::fs::canonicalize(&spec.file).unwrap_or_else(|_| spec.file.clone());
        let idx = match self.files.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                let mut f = read_program(&spec.file)?;
                // Data placement as for `hsx run`: an .mvasm without `.data ADDR` whose data
                // would overlap a loaded image's goes to the next free data address.
                let (lo, hi) = (f.image.data_addr, f.image.data_addr + f.image.data.len() as u32 + f.image.bss);
                let imgs = self.sys.exec.images();
                if f.movable_data
                    && hi > lo
                    && imgs.iter().any(|i| i.data_hi > i.data_lo && lo < i.data_hi && i.data_lo < hi)
                {
                    let next = imgs.iter().map(|i| i.data_hi).max().unwrap_or(lo);
                    f = crate::program::read_program_at(&spec.file, Some(next.next_multiple_of(4)))?;
                }
                let id = self
                    .sys
                    .exec
                    .load_image(&mut self.sys.machine, &spec.file.display().to_string(), &f.image)
                    .map_err(ProgramError::from)?;
                self.files.push((key, id, f));
                self.files.len() - 1
            }
        };
        let (_, id, f) = &self.files[idx];
        let entry = crate::program::resolve_entry(&spec, f)?;
        let pid = self
            .sys
            .exec
            .spawn(&mut self.sys.machine, *id, entry, SpawnOptions::default())
            .map_err(ProgramError::from)?;
        self.specs[pid as usize] = Some(text.to_string());
        Ok(pid)
    }

    /// A pid argument of `cmd`: a slot of this machine; with `occupied`, one holding a task.
    fn pid(&self, cmd: &'static str, p: u64, occupied: bool) -> Result<u8, ShellError> {
        let n = self.sys.machine.n_tasks();
        if p == 0 || p > n as u64 {
            return Err(ShellError::BadArg { cmd, arg: "PID", why: format!("{p} is not a task slot (1..={n})") });
        }
        let pid = p as u8;
        if occupied && self.sys.machine.slot(pid).state == isa::TaskState::Empty {
            return Err(ShellError::Failed { cmd, msg: format!("no such task: slot {pid} is empty") });
        }
        Ok(pid)
    }

    /// Execute one command line; returns the text to print, or `None` for `quit`.
    pub fn exec_line(&mut self, line: &str) -> Option<Result<String, ShellError>> {
        match Command::parse(line) {
            Ok(c) => self.exec(&c),
            Err(e) => Some(Err(e)),
        }
    }

    /// Execute one command; returns the text to print, or `None` for `quit`.
    pub fn exec(&mut self, c: &Command) -> Option<Result<String, ShellError>> {
        let r = match c {
            Command::Quit => return None,
            Command::Nothing => Ok(String::new()),
            Command::Help => Ok(HELP.to_string()),
            Command::Load(s) => self
                .load(s)
                .map(|pid| format!("loaded {s} as pid {pid}"))
                .map_err(|e| ShellError::Failed { cmd: "load", msg: e.to_string() }),
            Command::Ps => Ok(self.ps()),
            Command::ClockStep { n, pid } => self.clock(*n, *pid),
            Command::Run(n) => {
                let max = n.unwrap_or(self.max_steps);
                let before = self.sys.machine.steps;
                let outcome = self.sys.run(max);
                let mut s = format!("{} steps, outcome: {}", self.sys.machine.steps - before, outcome.name());
                if outcome == vm_ref::system::Outcome::MaxSteps {
                    s.push_str(&format!(" (stopped after the cap of {max} steps; `run N` runs at most N more)"));
                }
                for r in self.sys.stall_reasons() {
                    s.push_str(&format!("\n  pid {}: {}", r.pid, r.why));
                }
                Ok(s)
            }
            Command::DumpRegs(p) => self.pid("dumpregs", *p, false).map(|p| self.dumpregs(p)),
            Command::Peek { addr, len } => self.peek(*addr, *len),
            Command::Poke { addr, bytes } => self.poke(*addr, bytes),
            Command::Mbox => Ok(self.mbox()),
            Command::Send { pid, text } => self.pid("send", *pid, true).and_then(|p| self.send(p, text)),
            Command::Meta => Ok(self.meta()),
            Command::SchedStats(n) => Ok(self.stats(usize::try_from(*n).unwrap_or(usize::MAX))),
            Command::Kill(p) => self.pid("kill", *p, true).and_then(|p| {
                self.sys
                    .exec
                    .kill(&mut self.sys.machine, p)
                    .map(|_| format!("killed pid {p}"))
                    .map_err(|e| ShellError::Failed { cmd: "kill", msg: e.to_string() })
            }),
            Command::Pause(p) => self.pause_resume("pause", *p),
            Command::Resume(p) => self.pause_resume("resume", *p),
        };
        Some(r)
    }

    fn pause_resume(&mut self, cmd: &'static str, p: u64) -> Result<String, ShellError> {
        use isa::TaskState as S;
        let pid = self.pid(cmd, p, true)?;
        let state = self.sys.machine.slot(pid).state;
        let (c, ok) = if cmd == "pause" {
            (isa::Command::Pause { pid }, matches!(state, S::Ready | S::Running))
        } else {
            (isa::Command::Resume { pid }, state == S::Paused)
        };
        if !ok {
            let need = if cmd == "pause" { "READY or RUNNING" } else { "PAUSED" };
            return Err(ShellError::Failed {
                cmd,
                msg: format!("pid {pid} is {}; only a {need} task can be {cmd}d", state.name()),
            });
        }
        self.sys
            .machine
            .apply_command(c)
            .map(|_| format!("pid {pid}: {}", self.sys.machine.slot(pid).state.name()))
            .map_err(|e| ShellError::Failed { cmd, msg: e.to_string() })
    }

    fn clock(&mut self, n: u64, pid: Option<u64>) -> Result<String, ShellError> {
        let pid = pid.map(|p| self.pid("clock step", p, true)).transpose()?;
        let mut out = String::new();
        let mut done = 0;
        for _ in 0..n {
            let r = match pid {
                Some(p) => self.sys.step_task(p),
                None => self.sys.step(),
            };
            match r {
                Some(rec) => {
                    done += 1;
                    if n <= 64 {
                        let words = rec.insn_words();
                        let text = if words.is_empty() {
                            "(no fetch)".to_string()
                        } else {
                            isa::disasm::disasm_word(words[0], words.get(1).copied(), rec.pc as u32).0
                        };
                        out.push_str(&format!(
                            "step {:>6} pid {} pc 0x{:04X}  {:<28}",
                            rec.step, rec.pid, rec.pc, text
                        ));
                        if let Some(f) = rec.fault {
                            out.push_str(&format!(" FAULT {}", isa::fault::name(f).unwrap_or("?")));
                        }
                        out.push('\n');
                    }
                }
                None => {
                    out.push_str(match pid {
                        Some(_) => "task is not runnable\n",
                        None => "machine is quiescent\n",
                    });
                    break;
                }
            }
        }
        out.push_str(&format!("{done} step(s); steps={} ticks={}", self.sys.machine.steps, self.sys.machine.ticks));
        Ok(out)
    }

    /// `send PID TEXT`: one message on the task's `svc:stdio.in`.
    fn send(&mut self, pid: u8, text: &str) -> Result<String, ShellError> {
        let fail = |msg: String| ShellError::Failed { cmd: "send", msg };
        let id = self.sys.exec.stdin_descriptor(pid).ok_or_else(|| fail(format!("pid {pid} has no svc:stdio.in")))?;
        let len = u32::try_from(text.len())
            .ok()
            .filter(|l| l.checked_add(8).is_some())
            .ok_or_else(|| ShellError::BadArg { cmd: "send", arg: "TEXT", why: "is too long".into() })?;
        self.sys.exec.host_reserve(id, len + 8).map_err(|st| fail(format!("mailbox status {st}")))?;
        self.sys
            .exec
            .host_send(&mut self.sys.machine, id, text.as_bytes(), 0, 0)
            .map_err(|st| fail(format!("mailbox status {st}")))?;
        Ok(format!("sent {len} bytes to svc:stdio.in of pid {pid}"))
    }

    /// `meta`: what each loaded image declares (the executive acts only on `.mailbox`).
    fn meta(&self) -> String {
        fn f16(bits: u16) -> f64 {
            let (s, e, m) = ((bits >> 15) as i32, ((bits >> 10) & 0x1F) as i32, (bits & 0x3FF) as f64);
            let v = match e {
                0 => m * 2f64.powi(-24),
                31 if m == 0.0 => f64::INFINITY,
                31 => f64::NAN,
                _ => (1.0 + m / 1024.0) * 2f64.powi(e - 15),
            };
            if s == 1 {
                -v
            } else {
                v
            }
        }
        let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
        let mut s = String::new();
        for (_, id, f) in &self.files {
            let img = &f.image;
            s.push_str(&format!("image {} ({})\n", id, f.path.display()));
            match img.value_decls() {
                Ok(v) => {
                    for d in v {
                        s.push_str(&format!(
                            "  value {}:{} {} unit {} group {} flags 0x{:02X} auth {} init {} min {} max {} eps {} \
                             persist {}\n",
                            d.group,
                            d.id,
                            opt(&d.name),
                            opt(&d.unit),
                            opt(&d.group_name),
                            d.flags,
                            d.auth,
                            f16(d.init),
                            f16(d.min),
                            f16(d.max),
                            f16(d.epsilon),
                            d.persist_key
                        ))
                    }
                }
                Err(e) => s.push_str(&format!("  values: {e}\n")),
            }
            match img.cmd_decls() {
                Ok(c) => {
                    for d in c {
                        s.push_str(&format!(
                            "  cmd {}:{} {} handler 0x{:04X} group {} flags 0x{:02X} auth {} help {}\n",
                            d.group,
                            d.id,
                            opt(&d.name),
                            d.handler,
                            opt(&d.group_name),
                            d.flags,
                            d.auth,
                            opt(&d.help)
                        ))
                    }
                }
                Err(e) => s.push_str(&format!("  commands: {e}\n")),
            }
            match img.mailbox_decls() {
                Ok(m) => {
                    for d in m {
                        let owner = d.owner.map(|p| format!(" owner pid {p}")).unwrap_or_default();
                        s.push_str(&format!(
                            "  mailbox {} capacity {} mode 0x{:04X}{owner} (bound at spawn)\n",
                            d.target, d.capacity, d.mode
                        ))
                    }
                }
                Err(e) => s.push_str(&format!("  mailboxes: {e}\n")),
            }
        }
        if s.is_empty() {
            s.push_str("no image loaded");
        }
        s.trim_end().to_string()
    }

    fn ps(&self) -> String {
        let m = &self.sys.machine;
        let mut s = format!("current {}  last_ran {}  steps {}  ticks {}\n", m.current, m.last_ran, m.steps, m.ticks);
        s.push_str("PID STATE     PC     SP     SLICE  STEPS       WAIT            SPEC\n");
        for (i, sl) in m.slots.iter().enumerate() {
            if sl.state == isa::TaskState::Empty {
                continue;
            }
            let pid = i + 1;
            let wait = match (sl.state, sl.deadline) {
                (isa::TaskState::Blocked, Some(d)) => format!("{}<{d}", sl.wait.name()),
                (isa::TaskState::Blocked, None) => sl.wait.name().to_string(),
                (isa::TaskState::Returned, _) => format!("exit {}", sl.exit_code.unwrap_or(0)),
                (isa::TaskState::Faulted, _) => isa::fault::name(sl.fault.unwrap_or(0)).unwrap_or("?").to_string(),
                _ => "-".to_string(),
            };
            s.push_str(&format!(
                "{:>3} {:<9} 0x{:04X} 0x{:04X} {:>2}/{:<3} {:>11} {:<15} {}\n",
                pid,
                sl.state.name(),
                sl.pc,
                sl.sp,
                sl.slice_used,
                sl.slice,
                sl.accounted_steps,
                wait,
                self.specs[pid].as_deref().unwrap_or("")
            ));
        }
        s.trim_end().to_string()
    }

    fn dumpregs(&self, pid: u8) -> String {
        let m = &self.sys.machine;
        let sl = m.slot(pid);
        let psw = sl.psw;
        let flag = |b: u8, c: char| if psw & b != 0 { c } else { '-' };
        let mut s = format!(
            "pid {pid} {}  reg_base 0x{:04X}  stack_limit 0x{:04X}  stack_top 0x{:04X}\nPC 0x{:04X}  SP 0x{:04X}  PSW 0x{:X} [{}{}{}{}]\n",
            sl.state.name(),
            sl.reg_base,
            sl.stack_limit,
            sl.stack_top,
            sl.pc,
            sl.sp,
            psw,
            flag(isa::PSW_V, 'V'),
            flag(isa::PSW_N, 'N'),
            flag(isa::PSW_C, 'C'),
            flag(isa::PSW_Z, 'Z'),
        );
        if sl.state == isa::TaskState::Empty {
            s.push_str("(empty slot: no window)");
            return s;
        }
        for n in 0..16u8 {
            // Read through reg_base: the registers live in data memory.
            let addr = sl.reg_base + 4 * n as u32;
            s.push_str(&format!("R{n:<2} = 0x{:08X} @0x{addr:04X}", m.read_u32(addr)));
            s.push(if n % 4 == 3 { '\n' } else { ' ' });
        }
        s.trim_end().to_string()
    }

    /// `[addr, addr + len)` inside data memory, or an error naming the argument.
    fn range(&self, cmd: &'static str, addr: u64, len: u64) -> Result<std::ops::Range<usize>, ShellError> {
        let size = self.sys.machine.dmem.len() as u64;
        if addr >= size {
            return Err(ShellError::BadArg {
                cmd,
                arg: "ADDR",
                why: format!("0x{addr:X} is outside data memory (0..0x{size:X})"),
            });
        }
        if len > size - addr {
            return Err(ShellError::BadArg {
                cmd,
                arg: "LEN",
                why: format!("{len} byte(s) at 0x{addr:X} run past the end of data memory (0x{size:X})"),
            });
        }
        Ok(addr as usize..(addr + len) as usize)
    }

    fn peek(&self, addr: u64, len: u64) -> Result<String, ShellError> {
        let r = self.range("peek", addr, len)?;
        let bytes = &self.sys.machine.dmem[r];
        let mut s = String::new();
        for (i, chunk) in bytes.chunks(16).enumerate() {
            s.push_str(&format!("{:04X}: ", addr as usize + 16 * i));
            for b in chunk {
                s.push_str(&format!("{b:02x} "));
            }
            s.push_str(" |");
            s.extend(chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }));
            s.push_str("|\n");
        }
        Ok(s.trim_end().to_string())
    }

    fn poke(&mut self, addr: u64, bytes: &[u8]) -> Result<String, ShellError> {
        let r = self.range("poke", addr, bytes.len() as u64)?;
        self.sys.machine.dmem[r].copy_from_slice(bytes);
        Ok(format!("wrote {} byte(s) at 0x{addr:04X}", bytes.len()))
    }

    fn mbox(&self) -> String {
        let mut s =
            String::from("ID  TARGET                            NS      OWNER CAP  USED MSGS WAITERS   HANDLES\n");
        for d in self.sys.exec.mailboxes() {
            s.push_str(&format!(
                "{:>3} {:<33} {:<7} {:>5} {:>4} {:>4} {:>4} {:<9} {}\n",
                d.id,
                d.target,
                d.namespace.name(),
                d.owner.map(|o| o.to_string()).unwrap_or("-".into()),
                d.capacity,
                d.used,
                d.messages.len(),
                format!("{:?}", d.waiters),
                d.handles.iter().map(|(p, h)| format!("{p}:{h}")).collect::<Vec<_>>().join(" ")
            ));
        }
        s.trim_end().to_string()
    }

    fn stats(&self, n: usize) -> String {
        let m = &self.sys.machine;
        let mut s = String::from("PID STEPS      SCHED_IN   TRAPS  BLOCKS WAKES  FAULTS SENT   RECV   TIMEOUTS\n");
        for (i, sl) in m.slots.iter().enumerate() {
            if sl.state == isa::TaskState::Empty {
                continue;
            }
            let c = m.counters[i];
            let mb = self.sys.exec.task_counters(i as u8 + 1);
            s.push_str(&format!(
                "{:>3} {:<10} {:<10} {:<6} {:<6} {:<6} {:<6} {:<6} {:<6} {}\n",
                i + 1,
                sl.accounted_steps,
                c.scheduled_in,
                c.traps,
                c.blocks,
                c.wakes,
                c.faults,
                mb.sent,
                mb.received,
                mb.timeouts
            ));
        }
        let events = m.trace.last(n);
        s.push_str(&format!("last {} of {} trace events:\n", events.len(), m.trace.total()));
        for ev in events {
            s.push_str(&format!("  {ev}\n"));
        }
        s.trim_end().to_string()
    }
}

/// Run the shell over stdin/stdout until `quit` or end of input. Exit code 0, or 1 when
/// input that is not a terminal (a script) had commands that failed.
/// `sys` is the machine to drive, `max_steps` the cap of `run` without a count (at least
/// 1), `specs` the programs to load before the first prompt. (The command line is parsed
/// by `cli`, which calls this: the shell does not know the CLI.)
pub fn run_shell(sys: System, max_steps: u64, specs: &[String]) -> Result<i32, ProgramError> {
    let mut sh = Shell::new(sys);
    sh.max_steps = max_steps.max(1);
    for s in specs {
        let pid = sh.load(s)?;
        eprintln!("loaded {s} as pid {pid}");
    }
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut out = std::io::stdout().lock();
    if interactive {
        let _ = writeln!(out, "hsx shell — `help` lists commands");
    }
    let mut input = stdin.lock();
    let mut buf = Vec::new();
    let (mut commands, mut failed) = (0u64, 0u64);
    let mut lineno = 0u64;
    loop {
        if interactive {
            let _ = write!(out, "hsx> ");
            let _ = out.flush();
        }
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = out.flush();
                eprintln!("hsx shell: reading stdin after line {lineno}: {e}");
                failed += 1;
                break;
            }
        }
        // Bytes that are not UTF-8 become U+FFFD: the command then fails naming them,
        // and the script goes on.
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        lineno += 1;
        let cmd = Command::parse(line);
        if !matches!(cmd, Ok(Command::Nothing)) {
            commands += 1;
        }
        match cmd.map(|c| sh.exec(&c)) {
            Ok(None) => break,
            Ok(Some(Ok(s))) if s.is_empty() => {}
            Ok(Some(Ok(s))) => {
                let _ = writeln!(out, "{s}");
            }
            Ok(Some(Err(e))) | Err(e) => {
                failed += 1;
                let _ = out.flush();
                if interactive {
                    eprintln!("error: {e}");
                } else {
                    eprintln!("error: line {lineno}: {e}");
                }
            }
        }
    }
    let _ = out.flush();
    if failed > 0 && !interactive {
        eprintln!("hsx shell: {failed} of {commands} command(s) failed");
        return Ok(1);
    }
    Ok(0)
}
