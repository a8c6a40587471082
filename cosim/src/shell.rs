//! `hsx shell`: an interactive (and scriptable — it reads stdin) executive shell on the
//! reference machine (cli.md "Shell commands").

use crate::cli::{CliError, ShellArgs};
use crate::program::{read_program, LoadedFile, Spec};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use vm_ref::exec::{ImageId, SpawnOptions};
use vm_ref::system::System;

const HELP: &str = "\
commands:
  load SPEC                 load FILE[@ENTRY] and spawn it as a new task
  ps                        list tasks
  clock step [N] [-p PID]   run N >= 1 steps (default 1); with -p only that task runs, nothing rotates
  run [N]                   run to quiescence, at most N steps (default: the shell's --max-steps)
  dumpregs PID              registers read through reg_base, with the context pointers
  peek ADDR [LEN]           hex dump of LEN >= 1 bytes (default 16) of data memory
  poke ADDR HEXBYTES        write bytes (e.g. poke 0x4000 deadbeef)
  mbox                      mailbox descriptors, queues and waiters
  send PID TEXT             queue TEXT as one message on task PID's svc:stdio.in
  meta                      the .value/.cmd/.mailbox metadata of the loaded images
  sched stats [N]           per-task counters and the last N (default 16) trace events
  kill PID | pause PID | resume PID
  help | quit
numbers are decimal or 0x… hex; `;` starts a comment";

/// The default step cap of `run` without a count: `hsx run --max-steps`' default.
pub const DEFAULT_MAX_STEPS: u64 = 10_000_000;

/// A shell command line, parsed (numbers checked for form and sign; ranges that depend on
/// the machine — pids, addresses — are checked when it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// An empty or comment-only line.
    Nothing,
    Help,
    Quit,
    Load(String),
    Ps,
    ClockStep {
        n: u64,
        pid: Option<u64>,
    },
    Run(Option<u64>),
    DumpRegs(u64),
    Peek {
        addr: u64,
        len: u64,
    },
    Poke {
        addr: u64,
        bytes: Vec<u8>,
    },
    Mbox,
    /// `send PID TEXT`: TEXT is the rest of the line after PID (inner whitespace kept,
    /// leading and trailing whitespace and a `;` comment dropped).
    Send {
        pid: u64,
        text: String,
    },
    Meta,
    SchedStats(u64),
    Kill(u64),
    Pause(u64),
    Resume(u64),
}

/// A shell command that failed: every message names the command and, where there is
/// one, the argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellError {
    #[error("unknown command `{0}` (try `help`)")]
    Unknown(String),
    #[error("{cmd}: {msg} (usage: {usage})")]
    Usage { cmd: &'static str, msg: String, usage: &'static str },
    #[error("{cmd}: {arg} `{text}` {why}")]
    BadNumber { cmd: &'static str, arg: &'static str, text: String, why: String },
    #[error("{cmd}: {arg} {why}")]
    BadArg { cmd: &'static str, arg: &'static str, why: String },
    #[error("{cmd}: {msg}")]
    Failed { cmd: &'static str, msg: String },
}

fn usage_of(cmd: &str) -> &'static str {
    match cmd {
        "load" => "load FILE[@ENTRY]",
        "ps" => "ps",
        "clock" => "clock step [N] [-p PID]",
        "run" => "run [N]",
        "dumpregs" => "dumpregs PID",
        "peek" => "peek ADDR [LEN]",
        "poke" => "poke ADDR HEXBYTES",
        "mbox" => "mbox",
        "send" => "send PID TEXT",
        "meta" => "meta",
        "sched" => "sched stats [N]",
        "kill" => "kill PID",
        "pause" => "pause PID",
        "resume" => "resume PID",
        "help" => "help",
        "quit" => "quit",
        _ => "help",
    }
}

/// The command names as `&'static str` (errors carry them).
fn static_name(cmd: &str) -> &'static str {
    match cmd {
        "load" => "load",
        "ps" => "ps",
        "clock" => "clock step",
        "run" => "run",
        "dumpregs" => "dumpregs",
        "peek" => "peek",
        "poke" => "poke",
        "mbox" => "mbox",
        "send" => "send",
        "meta" => "meta",
        "sched" => "sched stats",
        "kill" => "kill",
        "pause" => "pause",
        "resume" => "resume",
        "quit" | "exit" => "quit",
        _ => "help",
    }
}

/// Parse a number argument of `cmd` (`min` is the smallest value it accepts).
fn num_arg(cmd: &'static str, arg: &'static str, text: &str, min: u64) -> Result<u64, ShellError> {
    use crate::program::NumError;
    let bad = |why: String| ShellError::BadNumber { cmd, arg, text: text.to_string(), why };
    match crate::program::parse_number(text) {
        Ok(n) if n >= min => Ok(n),
        Ok(_) | Err(NumError::Negative) => Err(bad(format!("must be ≥ {min}"))),
        Err(e) => Err(bad(e.to_string())),
    }
}

impl Command {
    /// Parse one line (a `;` and what follows it is a comment).
    pub fn parse(line: &str) -> Result<Command, ShellError> {
        let line = line.split(';').next().unwrap_or("");
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(&word) = words.first() else { return Ok(Command::Nothing) };
        let cmd = static_name(word);
        let usage = |msg: String| ShellError::Usage { cmd, msg, usage: usage_of(word) };
        // At most `n` arguments after the command word.
        let at_most = |n: usize| -> Result<(), ShellError> {
            match words.get(n + 1) {
                Some(extra) => Err(usage(format!("unexpected argument `{extra}`"))),
                None => Ok(()),
            }
        };
        let required = |i: usize, what: &str| -> Result<&str, ShellError> {
            words.get(i).copied().ok_or_else(|| usage(format!("missing {what}")))
        };
        let pid = |i: usize| -> Result<u64, ShellError> {
            let t = required(i, "PID")?;
            at_most(i)?;
            num_arg(cmd, "PID", t, 1)
        };
        Ok(match word {
            "quit" | "exit" => {
                at_most(0)?;
                Command::Quit
            }
            "help" | "?" => Command::Help,
            "load" => {
                let s = required(1, "SPEC")?;
                at_most(1)?;
                Command::Load(s.to_string())
            }
            "ps" => {
                at_most(0)?;
                Command::Ps
            }
            "mbox" => {
                at_most(0)?;
                Command::Mbox
            }
            "meta" => {
                at_most(0)?;
                Command::Meta
            }
            "send" => {
                let p = required(1, "PID")?;
                let pid = num_arg(cmd, "PID", p, 1)?;
                // The text after the command word and PID, as written.
                fn after(s: &str) -> &str {
                    s.trim_start().split_once(char::is_whitespace).map_or("", |(_, r)| r)
                }
                let text = after(after(line)).trim();
                if text.is_empty() {
                    return Err(usage("missing TEXT".into()));
                }
                Command::Send { pid, text: text.to_string() }
            }
            "clock" => {
                match words.get(1) {
                    Some(&"step") => {}
                    Some(other) => return Err(usage(format!("unknown subcommand `{other}`"))),
                    None => return Err(usage("missing `step`".into())),
                }
                let (mut n, mut pid) = (None, None);
                let mut i = 2;
                while i < words.len() {
                    let w = words[i];
                    if w == "-p" {
                        if pid.is_some() {
                            return Err(usage("`-p` given twice".into()));
                        }
                        let t = words.get(i + 1).ok_or_else(|| usage("`-p` needs a PID".into()))?;
                        pid = Some(num_arg(cmd, "PID", t, 1)?);
                        i += 2;
                    } else if w.starts_with('-') && !w[1..].starts_with(|c: char| c.is_ascii_digit()) {
                        return Err(usage(format!("unknown option `{w}`")));
                    } else {
                        if n.is_some() {
                            return Err(usage(format!("unexpected argument `{w}` (N given twice)")));
                        }
                        n = Some(num_arg(cmd, "N", w, 1)?);
                        i += 1;
                    }
                }
                Command::ClockStep { n: n.unwrap_or(1), pid }
            }
            "run" => {
                at_most(1)?;
                Command::Run(words.get(1).map(|t| num_arg(cmd, "N", t, 1)).transpose()?)
            }
            "dumpregs" => Command::DumpRegs(pid(1)?),
            "peek" => {
                let a = required(1, "ADDR")?;
                at_most(2)?;
                let addr = num_arg(cmd, "ADDR", a, 0)?;
                let len = words.get(2).map(|t| num_arg(cmd, "LEN", t, 1)).transpose()?.unwrap_or(16);
                Command::Peek { addr, len }
            }
            "poke" => {
                let a = required(1, "ADDR")?;
                let h = required(2, "HEXBYTES")?;
                at_most(2)?;
                let addr = num_arg(cmd, "ADDR", a, 0)?;
                let bad = |why: String| ShellError::BadNumber { cmd, arg: "HEXBYTES", text: h.to_string(), why };
                let hex = h.strip_prefix("0x").or_else(|| h.strip_prefix("0X")).unwrap_or(h);
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("is not hex digits".into()));
                }
                if hex.len() % 2 != 0 {
                    return Err(bad(format!("has an odd number ({}) of hex digits", hex.len())));
                }
                // ASCII only (checked above): byte indexing is safe.
                let bytes = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| bad("is not hex digits".into()))?;
                if bytes.is_empty() {
                    return Err(bad("has no bytes".into()));
                }
                Command::Poke { addr, bytes }
            }
            "sched" => {
                match words.get(1) {
                    Some(&"stats") => {}
                    Some(other) => return Err(usage(format!("unknown subcommand `{other}`"))),
                    None => return Err(usage("missing `stats`".into())),
                }
                at_most(2)?;
                Command::SchedStats(words.get(2).map(|t| num_arg(cmd, "N", t, 0)).transpose()?.unwrap_or(16))
            }
            "kill" => Command::Kill(pid(1)?),
            "pause" => Command::Pause(pid(1)?),
            "resume" => Command::Resume(pid(1)?),
            other => return Err(ShellError::Unknown(other.to_string())),
        })
    }
}

impl std::fmt::Display for Command {
    /// The canonical text of the command (parses back to the same command).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Nothing => Ok(()),
            Command::Help => write!(f, "help"),
            Command::Quit => write!(f, "quit"),
            Command::Load(s) => write!(f, "load {s}"),
            Command::Ps => write!(f, "ps"),
            Command::ClockStep { n, pid: None } => write!(f, "clock step {n}"),
            Command::ClockStep { n, pid: Some(p) } => write!(f, "clock step {n} -p {p}"),
            Command::Run(None) => write!(f, "run"),
            Command::Run(Some(n)) => write!(f, "run {n}"),
            Command::DumpRegs(p) => write!(f, "dumpregs {p}"),
            Command::Peek { addr, len } => write!(f, "peek 0x{addr:X} {len}"),
            Command::Poke { addr, bytes } => {
                write!(f, "poke 0x{addr:X} ")?;
                bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            Command::Mbox => write!(f, "mbox"),
            Command::Send { pid, text } => write!(f, "send {pid} {text}"),
            Command::Meta => write!(f, "meta"),
            Command::SchedStats(n) => write!(f, "sched stats {n}"),
            Command::Kill(p) => write!(f, "kill {p}"),
            Command::Pause(p) => write!(f, "pause {p}"),
            Command::Resume(p) => write!(f, "resume {p}"),
        }
    }
}

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
    pub fn load(&mut self, text: &str) -> Result<u8, CliError> {
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
pub fn run_shell(a: ShellArgs) -> Result<i32, CliError> {
    a.machine.validate()?;
    if a.max_steps == 0 {
        return Err(CliError::Invalid("--max-steps must be at least 1".into()));
    }
    let sys = System::new(&a.machine.machine_config(), a.machine.exec_config());
    let mut sh = Shell::new(sys);
    sh.max_steps = a.max_steps;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shell() -> Shell {
        let sys = System::new(&vm_ref::MachineConfig::default(), vm_ref::exec::ExecConfig::default());
        Shell::new(sys)
    }

    fn example(name: &str) -> String {
        format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn err(sh: &mut Shell, line: &str) -> String {
        match sh.exec_line(line) {
            Some(Err(e)) => e.to_string(),
            other => panic!("`{line}` did not fail: {other:?}"),
        }
    }

    fn ok(sh: &mut Shell, line: &str) -> String {
        match sh.exec_line(line) {
            Some(Ok(s)) => s,
            other => panic!("`{line}` failed: {other:?}"),
        }
    }

    #[test]
    fn peek_and_poke_near_2_pow_64_and_non_ascii_hex_are_errors() {
        let mut sh = shell();
        assert_eq!(
            err(&mut sh, "peek 0xFFFFFFFFFFFFFFFF 16"),
            "peek: ADDR 0xFFFFFFFFFFFFFFFF is outside data memory (0..0x10000)"
        );
        assert_eq!(
            err(&mut sh, "peek 0xFFF0 0xFFFFFFFFFFFFFFFF"),
            "peek: LEN 18446744073709551615 byte(s) at 0xFFF0 run past the end of data memory (0x10000)"
        );
        assert_eq!(
            err(&mut sh, "peek 0xFFF8 9"),
            "peek: LEN 9 byte(s) at 0xFFF8 run past the end of data memory (0x10000)"
        );
        assert!(ok(&mut sh, "peek 0xFFF8 8").starts_with("FFF8: 00"));
        assert_eq!(
            err(&mut sh, "poke 0xFFFFFFFFFFFFFFFF 00"),
            "poke: ADDR 0xFFFFFFFFFFFFFFFF is outside data memory (0..0x10000)"
        );
        assert_eq!(
            err(&mut sh, "poke 0xFFFF 0102"),
            "poke: LEN 2 byte(s) at 0xFFFF run past the end of data memory (0x10000)"
        );
        assert_eq!(err(&mut sh, "poke 0 éé"), "poke: HEXBYTES `éé` is not hex digits");
        assert_eq!(err(&mut sh, "poke 0 aé"), "poke: HEXBYTES `aé` is not hex digits");
        assert_eq!(err(&mut sh, "poke 0 abc"), "poke: HEXBYTES `abc` has an odd number (3) of hex digits");
        assert_eq!(err(&mut sh, "poke 0 +1"), "poke: HEXBYTES `+1` is not hex digits");
        assert_eq!(ok(&mut sh, "poke 0xFFFF 7f"), "wrote 1 byte(s) at 0xFFFF");
        assert_eq!(sh.sys.machine.dmem[0xFFFF], 0x7F);
        assert_eq!(ok(&mut sh, "poke 0x10 0xCAFE"), "wrote 2 byte(s) at 0x0010");
        assert_eq!(sh.sys.machine.dmem[0x10..0x12], [0xCA, 0xFE]);
    }

    #[test]
    fn malformed_numbers_are_errors_not_defaults() {
        let mut sh = shell();
        assert_eq!(err(&mut sh, "peek 0 zz"), "peek: LEN `zz` is not a number (decimal or 0x… hex)");
        assert_eq!(err(&mut sh, "peek 0 0"), "peek: LEN `0` must be ≥ 1");
        assert_eq!(err(&mut sh, "peek zz"), "peek: ADDR `zz` is not a number (decimal or 0x… hex)");
        assert_eq!(err(&mut sh, "peek -1 4"), "peek: ADDR `-1` must be ≥ 0");
        assert_eq!(err(&mut sh, "peek"), "peek: missing ADDR (usage: peek ADDR [LEN])");
        assert_eq!(err(&mut sh, "peek 0 4 4"), "peek: unexpected argument `4` (usage: peek ADDR [LEN])");
        assert_eq!(err(&mut sh, "sched stats x"), "sched stats: N `x` is not a number (decimal or 0x… hex)");
        assert_eq!(err(&mut sh, "sched"), "sched stats: missing `stats` (usage: sched stats [N])");
        assert_eq!(err(&mut sh, "clock step -5"), "clock step: N `-5` must be ≥ 1");
        assert_eq!(err(&mut sh, "clock step 0"), "clock step: N `0` must be ≥ 1");
        assert_eq!(
            err(&mut sh, "clock step 1 2"),
            "clock step: unexpected argument `2` (N given twice) (usage: clock step [N] [-p PID])"
        );
        assert_eq!(err(&mut sh, "clock step -p"), "clock step: `-p` needs a PID (usage: clock step [N] [-p PID])");
        assert_eq!(err(&mut sh, "clock step -q 1"), "clock step: unknown option `-q` (usage: clock step [N] [-p PID])");
        assert_eq!(err(&mut sh, "clock step -p 0"), "clock step: PID `0` must be ≥ 1");
        assert_eq!(err(&mut sh, "clock step -p 9"), "clock step: PID 9 is not a task slot (1..=8)");
        assert_eq!(
            err(&mut sh, "clock tick"),
            "clock step: unknown subcommand `tick` (usage: clock step [N] [-p PID])"
        );
        assert_eq!(
            err(&mut sh, "run 99999999999999999999999"),
            "run: N `99999999999999999999999` is too large (more than 64 bits)"
        );
        assert_eq!(err(&mut sh, "run 0"), "run: N `0` must be ≥ 1");
        assert_eq!(err(&mut sh, "dumpregs 300"), "dumpregs: PID 300 is not a task slot (1..=8)");
        assert_eq!(err(&mut sh, "ps all"), "ps: unexpected argument `all` (usage: ps)");
        assert_eq!(err(&mut sh, "frobnicate"), "unknown command `frobnicate` (try `help`)");
        assert_eq!(err(&mut sh, "load"), "load: missing SPEC (usage: load FILE[@ENTRY])");
        assert!(err(&mut sh, "load /nonexistent.mvasm").starts_with("load: /nonexistent.mvasm: "));
    }

    #[test]
    fn kill_pause_resume_of_an_empty_slot_say_there_is_no_such_task() {
        let mut sh = shell();
        assert_eq!(err(&mut sh, "kill 3"), "kill: no such task: slot 3 is empty");
        assert_eq!(err(&mut sh, "clock step 2 -p 3"), "clock step: no such task: slot 3 is empty");
        assert_eq!(err(&mut sh, "peek \u{FFFD}"), "peek: ADDR `\u{FFFD}` is not a number (decimal or 0x… hex)");
        assert_eq!(err(&mut sh, "pause 3"), "pause: no such task: slot 3 is empty");
        assert_eq!(err(&mut sh, "resume 3"), "resume: no such task: slot 3 is empty");
        let hello = example("hello.mvasm");
        assert_eq!(ok(&mut sh, &format!("load {hello}")), format!("loaded {hello} as pid 1"));
        assert_eq!(err(&mut sh, "resume 1"), "resume: pid 1 is READY; only a PAUSED task can be resumed");
        assert_eq!(ok(&mut sh, "pause 1"), "pid 1: PAUSED");
        assert_eq!(err(&mut sh, "pause 1"), "pause: pid 1 is PAUSED; only a READY or RUNNING task can be paused");
        assert_eq!(ok(&mut sh, "resume 1"), "pid 1: READY");
        assert_eq!(ok(&mut sh, "kill 1"), "killed pid 1");
        assert_eq!(err(&mut sh, "kill 1"), "kill: no such task: slot 1 is empty");
    }

    #[test]
    fn run_without_a_count_stops_at_the_cap() {
        let mut sh = shell();
        sh.max_steps = 1000;
        // A task that never ends: `spin` loops forever.
        let src = std::env::temp_dir().join(format!("hsx-shell-spin-{}.mvasm", std::process::id()));
        std::fs::write(&src, "main: JMP main\n").unwrap();
        ok(&mut sh, &format!("load {}", src.display()));
        let out = ok(&mut sh, "run");
        assert!(out.starts_with("1000 steps, outcome: max_steps (stopped after the cap of 1000 steps"), "{out}");
        assert!(ok(&mut sh, "run 5").starts_with("5 steps, outcome: max_steps"));
        assert_eq!(sh.sys.machine.steps, 1005);
        let _ = std::fs::remove_file(&src);
        assert_eq!(sh.exec_line("quit"), None);
        assert_eq!(sh.exec_line("  ; a comment"), Some(Ok(String::new())));
    }

    #[test]
    fn send_and_meta_errors_name_the_command_and_argument() {
        let mut sh = shell();
        assert_eq!(err(&mut sh, "send"), "send: missing PID (usage: send PID TEXT)");
        assert_eq!(err(&mut sh, "send 1"), "send: missing TEXT (usage: send PID TEXT)");
        assert_eq!(err(&mut sh, "send 1   ; only a comment"), "send: missing TEXT (usage: send PID TEXT)");
        assert_eq!(err(&mut sh, "send x hi"), "send: PID `x` is not a number (decimal or 0x… hex)");
        assert_eq!(err(&mut sh, "send 0 hi"), "send: PID `0` must be ≥ 1");
        assert_eq!(err(&mut sh, "send 9 hi"), "send: PID 9 is not a task slot (1..=8)");
        assert_eq!(err(&mut sh, "send 2 hi"), "send: no such task: slot 2 is empty");
        assert_eq!(err(&mut sh, "meta all"), "meta: unexpected argument `all` (usage: meta)");
        assert_eq!(
            Command::parse("send 3   two  words  ; comment"),
            Ok(Command::Send { pid: 3, text: "two  words".into() })
        );
        let hello = example("hello.mvasm");
        ok(&mut sh, &format!("load {hello}"));
        assert!(ok(&mut sh, "meta").contains("hello.mvasm"));
    }

    #[test]
    fn commands_print_back_to_themselves() {
        for line in [
            "help",
            "quit",
            "load a.mvasm@main",
            "ps",
            "clock step 3",
            "clock step 1 -p 2",
            "run",
            "run 7",
            "dumpregs 1",
            "peek 0x1000 16",
            "poke 0x4000 deadbeef",
            "mbox",
            "send 1 hi  there",
            "meta",
            "sched stats 4",
            "kill 2",
            "pause 2",
            "resume 2",
        ] {
            let c = Command::parse(line).unwrap();
            assert_eq!(c.to_string(), line);
            assert_eq!(Command::parse(&c.to_string()), Ok(c));
        }
        assert_eq!(Command::parse("clock step -p 2 4"), Ok(Command::ClockStep { n: 4, pid: Some(2) }));
        assert_eq!(Command::parse("peek 16"), Ok(Command::Peek { addr: 16, len: 16 }));
    }
}
