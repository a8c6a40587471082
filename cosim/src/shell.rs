//! `hsx shell`: an interactive (and scriptable — it reads stdin) executive shell on the
//! reference machine (cli.md "Shell commands").

use crate::cli::{CliError, ShellArgs};
use crate::program::{parse_num, read_program, LoadedFile, Spec};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use vm_ref::exec::{ImageId, SpawnOptions};
use vm_ref::system::System;

const HELP: &str = "\
commands:
  load SPEC                 load FILE[@ENTRY] and spawn it as a new task
  ps                        list tasks
  clock step [N] [-p PID]   run N steps (default 1); with -p only that task runs, nothing rotates
  run [N]                   run to quiescence, or at most N steps
  dumpregs PID              registers read through reg_base, with the context pointers
  peek ADDR LEN             hex dump of data memory
  poke ADDR HEXBYTES        write bytes (e.g. poke 0x4000 deadbeef)
  mbox                      mailbox descriptors, queues and waiters
  sched stats [N]           per-task counters and the last N (default 16) trace events
  kill PID | pause PID | resume PID
  help | quit
numbers are decimal or 0x… hex";

/// The shell's state: one reference system and the files loaded into it.
pub struct Shell {
    pub sys: System,
    files: Vec<(PathBuf, ImageId, LoadedFile)>,
    specs: Vec<Option<String>>,
}

impl Shell {
    pub fn new(sys: System) -> Shell {
        let n = sys.machine.n_tasks();
        Shell { sys, files: vec![], specs: vec![None; n + 1] }
    }

    /// `load SPEC`: a file loaded twice shares one image.
    pub fn load(&mut self, text: &str) -> Result<u8, CliError> {
        let spec = Spec::parse(text);
        let key = std::fs::canonicalize(&spec.file).unwrap_or_else(|_| spec.file.clone());
        let idx = match self.files.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                let f = read_program(&spec.file)?;
                let id = self
                    .sys
                    .exec
                    .load_image(&mut self.sys.machine, &spec.file.display().to_string(), &f.image)
                    .map_err(crate::program::ProgramError::from)?;
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
            .map_err(crate::program::ProgramError::from)?;
        self.specs[pid as usize] = Some(text.to_string());
        Ok(pid)
    }

    fn pid_arg(&self, a: Option<&str>) -> Result<u8, String> {
        let a = a.ok_or("missing PID")?;
        let n = parse_num(a).ok_or_else(|| format!("`{a}` is not a pid"))?;
        if n == 0 || n as usize > self.sys.machine.n_tasks() {
            return Err(format!("pid {n} is not a task slot (1..={})", self.sys.machine.n_tasks()));
        }
        Ok(n as u8)
    }

    /// Execute one command line; returns the text to print, or `None` for `quit`.
    pub fn exec_line(&mut self, line: &str) -> Option<Result<String, String>> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(&cmd) = words.first() else { return Some(Ok(String::new())) };
        let arg = |i: usize| words.get(i).copied();
        let r = match cmd {
            "quit" | "exit" => return None,
            "help" | "?" => Ok(HELP.to_string()),
            "load" => match arg(1) {
                Some(s) => self.load(s).map(|pid| format!("loaded {s} as pid {pid}")).map_err(|e| e.to_string()),
                None => Err("usage: load FILE[@ENTRY]".into()),
            },
            "ps" => Ok(self.ps()),
            "clock" => self.clock(&words[1..]),
            "run" => {
                let max = match arg(1) {
                    Some(n) => match parse_num(n) {
                        Some(n) => n,
                        None => return Some(Err(format!("`{n}` is not a number"))),
                    },
                    None => u64::MAX,
                };
                let before = self.sys.machine.steps;
                let outcome = self.sys.run(max);
                let mut s = format!("{} steps, outcome: {}", self.sys.machine.steps - before, outcome.name());
                for r in self.sys.stall_reasons() {
                    s.push_str(&format!("\n  pid {}: {}", r.pid, r.why));
                }
                Ok(s)
            }
            "dumpregs" => self.pid_arg(arg(1)).map(|p| self.dumpregs(p)),
            "peek" => self.peek(arg(1), arg(2)),
            "poke" => self.poke(arg(1), arg(2)),
            "mbox" => Ok(self.mbox()),
            "sched" => match arg(1) {
                Some("stats") => {
                    let n = arg(2).and_then(parse_num).unwrap_or(16) as usize;
                    Ok(self.stats(n))
                }
                _ => Err("usage: sched stats [N]".into()),
            },
            "kill" => self.pid_arg(arg(1)).and_then(|p| {
                self.sys
                    .exec
                    .kill(&mut self.sys.machine, p)
                    .map(|_| format!("killed pid {p}"))
                    .map_err(|e| e.to_string())
            }),
            "pause" | "resume" => self.pid_arg(arg(1)).and_then(|p| {
                let c = if cmd == "pause" { isa::Command::Pause { pid: p } } else { isa::Command::Resume { pid: p } };
                self.sys
                    .machine
                    .apply_command(c)
                    .map(|_| format!("pid {p}: {}", self.sys.machine.slot(p).state.name()))
                    .map_err(|e| e.to_string())
            }),
            other => Err(format!("unknown command `{other}` (try `help`)")),
        };
        Some(r)
    }

    fn clock(&mut self, w: &[&str]) -> Result<String, String> {
        if w.first() != Some(&"step") {
            return Err("usage: clock step [N] [-p PID]".into());
        }
        let mut n = 1u64;
        let mut pid = None;
        let mut i = 1;
        while i < w.len() {
            if w[i] == "-p" {
                pid = Some(self.pid_arg(w.get(i + 1).copied())?);
                i += 2;
            } else {
                n = parse_num(w[i]).ok_or_else(|| format!("`{}` is not a number", w[i]))?;
                i += 1;
            }
        }
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

    fn peek(&self, a: Option<&str>, l: Option<&str>) -> Result<String, String> {
        let addr = a.and_then(parse_num).ok_or("usage: peek ADDR LEN")?;
        let len = l.and_then(parse_num).unwrap_or(16);
        if addr + len > 0x1_0000 {
            return Err(format!("0x{addr:X}+{len} runs past the end of data memory (0x10000)"));
        }
        let bytes = &self.sys.machine.dmem[addr as usize..(addr + len) as usize];
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

    fn poke(&mut self, a: Option<&str>, h: Option<&str>) -> Result<String, String> {
        let addr = a.and_then(parse_num).ok_or("usage: poke ADDR HEXBYTES")?;
        let hex = h.ok_or("usage: poke ADDR HEXBYTES")?;
        if hex.len() % 2 != 0 {
            return Err("HEXBYTES must have an even number of hex digits".into());
        }
        let bytes: Result<Vec<u8>, _> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16)).collect();
        let bytes = bytes.map_err(|_| format!("`{hex}` is not hex bytes"))?;
        if addr + bytes.len() as u64 > 0x1_0000 {
            return Err("write runs past the end of data memory".into());
        }
        self.sys.machine.dmem[addr as usize..addr as usize + bytes.len()].copy_from_slice(&bytes);
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

/// Run the shell over stdin/stdout until `quit` or end of input.
pub fn run_shell(a: ShellArgs) -> Result<i32, CliError> {
    a.machine.validate()?;
    let sys = System::new(&a.machine.machine_config(), a.machine.exec_config());
    let mut sh = Shell::new(sys);
    for s in &a.specs {
        let pid = sh.load(s)?;
        eprintln!("loaded {s} as pid {pid}");
    }
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut out = std::io::stdout().lock();
    if interactive {
        let _ = writeln!(out, "hsx shell — `help` lists commands");
    }
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            let _ = write!(out, "hsx> ");
            let _ = out.flush();
        }
        let Some(Ok(line)) = lines.next() else { break };
        let line = line.split(';').next().unwrap_or("").trim().to_string();
        match sh.exec_line(&line) {
            None => break,
            Some(Ok(s)) if s.is_empty() => {}
            Some(Ok(s)) => {
                let _ = writeln!(out, "{s}");
            }
            Some(Err(e)) => {
                let _ = writeln!(out, "error: {e}");
            }
        }
    }
    Ok(0)
}
