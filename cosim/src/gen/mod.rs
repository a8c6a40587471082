//! Seeded random program generator and shrinker for the lockstep co-simulation.
//!
//! A [`TestCase`] is a small multi-task HSX program, held as structure (tasks made of
//! [`Item`]s, each ending in an [`Ending`]) so that the shrinker can take it apart, and
//! emitted as **one** MVASM source whose tasks are entry labels `task1`, `task2`, … of
//! the same image (spawned as `file@task1 file@task2 …`, so they share code and data).
//! The run settings ([`RunSettings`]: slice, stack size, protection, ticks per ms, step
//! cap) are part of the case.
//!
//! * `TestCase::generate(seed, &cfg)` is a pure function of `(seed, cfg)`: ChaCha8 seeded
//!   with `seed`, every distribution in [`weights`].
//! * Every task terminates, faults, or blocks/pauses forever: branches go forward only,
//!   and the one backward branch is a counted loop whose counter (R14, written by nothing
//!   else) is masked to 4 bits on every trip.
//! * [`shrink`] removes tasks and items and simplifies operands while a predicate keeps
//!   failing, with a cap on predicate calls (no wall clock).
//!
//! docs/generator.md describes what is generated, the weights and how to reproduce a seed.

mod emit;
mod generate;
pub(crate) mod rng;
mod shrink;
pub mod weights;

pub use shrink::shrink;

use crate::harness::case::{Case, Settings, SourceFile};
use isa::Opcode;

/// Knobs of the generator. The same `(seed, GenConfig)` always gives the same case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenConfig {
    /// Most tasks in a case, 1..=8 (values outside are clamped).
    pub max_tasks: usize,
    /// Most top-level items per task (a rendezvous adds up to four more).
    pub max_items: usize,
    /// Code budget of the whole image in words; kept below 1024 so every JMP/JZ/JNZ
    /// target fits its 12-bit absolute field.
    pub max_code_words: usize,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig { max_tasks: 8, max_items: 12, max_code_words: 900 }
    }
}

/// What the harness applies when running a case (`hsx run` options of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSettings {
    /// `--slice`, 1..=8.
    pub slice: u32,
    /// `--stack-size` in bytes.
    pub stack_size: u32,
    /// Memory protection (`--no-protect` when false).
    pub protect: bool,
    /// `--ticks-per-ms`.
    pub ticks_per_ms: u64,
    /// `--max-steps`.
    pub max_steps: u64,
}

impl RunSettings {
    /// The `hsx run` / `hsx cosim` options that apply these settings.
    pub fn cli_args(&self) -> Vec<String> {
        let mut v = vec![
            "--slice".to_string(),
            self.slice.to_string(),
            "--stack-size".to_string(),
            self.stack_size.to_string(),
            "--ticks-per-ms".to_string(),
            self.ticks_per_ms.to_string(),
            "--max-steps".to_string(),
            self.max_steps.to_string(),
        ];
        if !self.protect {
            v.push("--no-protect".to_string());
        }
        v
    }
}

/// One generated test: settings, shared data and the tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The seed it was generated from (kept through shrinking, for the report).
    pub seed: u64,
    pub slice: u32,
    pub protect: bool,
    pub stack_size: u32,
    pub ticks_per_ms: u64,
    pub max_steps: u64,
    /// Mailbox target strings, `.data` labels `tgt0`, `tgt1`, …
    pub targets: Vec<String>,
    /// Initial words of the shared data area `shdata`.
    pub shared_init: Vec<u32>,
    /// Task *i* (0-based) is entry label `task{i+1}` and runs as pid *i + 1*.
    pub tasks: Vec<TaskGen>,
}

/// One task: straight-line items, then how it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskGen {
    pub items: Vec<Item>,
    pub ending: Ending,
}

/// A value to put in a register before use, or `Keep`: use what earlier code left there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Val {
    Keep,
    /// Loaded with `LDI` when it fits 12 bits signed, else `LDI32`.
    Imm(u32),
}

/// A source register and the value loaded into it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operand {
    pub reg: u8,
    pub val: Val,
}

/// The address of a load or store: `base` is loaded into the base register with
/// `LDI32`, `imm` is the instruction's offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr {
    /// `shdata + off`, or `shdata_end + off` (negative offsets).
    Shared { off: i16, from_end: bool },
    /// `window_of(pid) + off`.
    Window { pid: u8, off: i16 },
    /// Task `task`'s arena (pid order, `stack_size` each, from 0xFFFC down):
    /// `stack_limit + off`, or `stack_top + off` when `from_top`.
    Arena { task: u8, off: i16, from_top: bool },
    /// A literal base.
    Abs { base: u32, imm: i16 },
}

/// A buffer pointer an SVC gets: the natural `.data` label, or a literal address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buf {
    Data,
    Abs(u32),
}

/// The mailbox handle an SVC uses: a fresh OPEN of target `n` (handle in R1), or a raw
/// handle number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handle {
    Open(u8),
    Raw(u32),
}

/// A unit of generated code (a few instructions, no control flow out of it except
/// faults, and nothing left on the stack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `LDI`/`LDI32 Rd, value` (`wide` forces `LDI32`).
    Set {
        rd: u8,
        value: u32,
        wide: bool,
    },
    /// A three-register ALU or FPU op.
    Alu3 {
        op: Opcode,
        rd: u8,
        a: Operand,
        b: Operand,
    },
    /// `MOV`, `NOT`, `I2F`, `F2I`.
    Unary {
        op: Opcode,
        rd: u8,
        a: Operand,
    },
    Cmp {
        a: Operand,
        b: Operand,
    },
    /// `[CMP a, b]; JZ/JNZ skip; body; skip:` (without `cmp`, on the flags as they are).
    Branch {
        cmp: Option<(Operand, Operand)>,
        jz: bool,
        body: Vec<Item>,
    },
    /// `R14 ← count; top: body; R14 ← (R14 − 1) & 15; JNZ top`.
    Loop {
        count: u32,
        body: Vec<Item>,
    },
    /// A load (`reg` = Rd) or store (`reg` = Rs2, loaded with `value` first).
    Mem {
        op: Opcode,
        reg: u8,
        base: u8,
        addr: Addr,
        value: Val,
    },
    /// `PUSH push…; POP pop…` (same count), then one more `POP` if `extra_pop`
    /// (STACK_UNDERFLOW).
    Stack {
        push: Vec<u8>,
        pop: Vec<u8>,
        extra_pop: bool,
    },
    /// `R12 ← depth; CALL fn_rec` (each level: 8 bytes of stack).
    Recurse {
        depth: u32,
    },
    /// `CALL fn_leaf`, or `LDI32 R13, fn_leaf; CALL R13, 0`.
    Leaf {
        reg_form: bool,
    },
    GetSteps,
    GetPid,
    Yield,
    Sleep {
        ms: u32,
    },
    /// UART_WRITE of `msgN` (`len` None = its length).
    Uart {
        msg: u8,
        len: Option<u16>,
        buf: Buf,
    },
    UnknownSvc {
        module: u8,
        func: u8,
    },
    Open {
        target: u8,
    },
    Bind {
        target: u8,
        capacity: u32,
        mode: u32,
    },
    Send {
        h: Handle,
        msg: u8,
        len: Option<u16>,
        buf: Buf,
        flags: u32,
        channel: u32,
    },
    /// RECV into `rxN` (the task's buffer); `info`: the task's `infoN` record.
    Recv {
        h: Handle,
        max: u32,
        timeout: u32,
        buf: Buf,
        info: Option<Buf>,
    },
    Peek {
        h: Handle,
    },
    Tap {
        h: Handle,
        enable: bool,
    },
    Close {
        h: Handle,
    },
}

/// How a task ends. Every ending but `Ret`/`Exit` is followed by a guard `EXIT`, so a
/// fault that does not fire (say, an access violation with protection off) still ends
/// the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `[R0 ← code;] RET` at `sp == stack_top`: RETURNED.
    Ret {
        code: Val,
    },
    /// `[R0 ← code;] SVC 0x1, 0x0`.
    Exit {
        code: Val,
    },
    /// PAUSED forever (the case is `stalled`).
    Brk {
        code: u8,
    },
    /// `.word` with an undefined opcode byte: ILLEGAL.
    Illegal {
        opcode: u8,
    },
    DivZero,
    /// `POP` at the top of the stack.
    Underflow,
    /// Unbounded recursion into the guard.
    Overflow,
    /// A word load at 0xFFFE.
    MemFault,
    /// A load from the task's own register window (ACCESS_VIOLATION when protected).
    Protected,
    /// RECV with no timeout on a private descriptor nobody sends to.
    BlockForever,
    /// `JMP img_end`: BAD_PC (fetch outside the image).
    JmpEnd,
    /// `JMP tail_ldi32`: an LDI32 whose literal is outside the image (BAD_PC).
    TruncLdi32,
}

impl TestCase {
    /// The case of `seed` under `cfg` (deterministic, bit for bit).
    pub fn generate(seed: u64, cfg: &GenConfig) -> TestCase {
        generate::generate(seed, cfg)
    }

    /// The MVASM source: one file, entry labels `task1`, `task2`, …
    pub fn to_mvasm(&self) -> String {
        emit::emit(self).text
    }

    /// The program specs that spawn the case's tasks from `file`, pids in order.
    pub fn specs(&self, file: &str) -> Vec<String> {
        (1..=self.tasks.len()).map(|i| format!("{file}@task{i}")).collect()
    }

    /// Code words of the emitted program (the shrinker's primary measure).
    pub fn size(&self) -> usize {
        emit::emit(self).words
    }

    /// The settings the harness must apply.
    pub fn settings(&self) -> RunSettings {
        RunSettings {
            slice: self.slice,
            stack_size: self.stack_size,
            protect: self.protect,
            ticks_per_ms: self.ticks_per_ms,
            max_steps: self.max_steps,
        }
    }

    /// `(size, complexity)`: the shrinker accepts only candidates strictly smaller in
    /// this order, so shrinking always terminates.
    pub fn cost(&self) -> (usize, usize) {
        (self.size(), shrink::complexity(self))
    }
}

impl TestCase {
    /// This case as the harness runs it: its program as one `seed<N>.mvasm` file, its
    /// SPECs and settings. (The harness's `Case` knows nothing of the generator.)
    pub fn case(&self) -> Case {
        let file = format!("seed{}.mvasm", self.seed);
        let st = self.settings();
        Case {
            name: format!("seed-{}", self.seed),
            seed: Some(self.seed),
            files: vec![SourceFile { name: file.clone(), text: Some(self.to_mvasm()), hex: None }],
            specs: self.specs(&file),
            stdin: Vec::new(),
            settings: Settings {
                slice: st.slice,
                stack_size: st.stack_size,
                protect: st.protect,
                ticks_per_ms: st.ticks_per_ms,
                max_steps: st.max_steps,
            },
        }
    }
}

#[cfg(test)]
mod tests;
