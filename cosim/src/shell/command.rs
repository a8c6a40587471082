//! The shell's command language: parsing a line into a [`Command`] (numbers checked for
//! form and sign), the help text, and the errors a command reports ([`ShellError`]).

pub(super) const HELP: &str = "\
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
