//! Architectural constants and plain data types shared by the golden model, the RTL
//! driver and the harness. The numeric encodings here (task states, wait kinds, fault
//! codes) are also emitted into the generated RTL package, so both models speak the same
//! numbers on the probe and the retire port.

/// PSW bit positions.
pub const PSW_Z: u8 = 1 << 0;
pub const PSW_C: u8 = 1 << 1;
pub const PSW_N: u8 = 1 << 2;
pub const PSW_V: u8 = 1 << 3;

/// Memory map (isa.md).
pub const DATA_SIZE: usize = 0x1_0000;
pub const CODE_SIZE: usize = 0x1_0000;
pub const EXEC_RESERVED_END: u32 = 0x1000;
pub const WINDOW_BASE: u32 = 0x1000;
pub const WINDOW_SIZE: u32 = 64;
pub const RODATA_BASE: u32 = 0x4000;
pub const STACK_TOP_INIT: u32 = 0xFFFC;
pub const DEFAULT_STACK_SIZE: u32 = 0x1000;
/// Maximum task slots any machine may have; the `hsx` tool uses [`DEFAULT_N_TASKS`].
pub const MAX_TASKS: usize = 16;
pub const DEFAULT_N_TASKS: usize = 8;
pub const DEFAULT_TICKS_PER_MS: u64 = 1000;

/// The register window of `pid` (1-based).
#[inline]
pub const fn window_of(pid: u8) -> u32 {
    WINDOW_BASE + WINDOW_SIZE * (pid as u32 - 1)
}

/// Fault codes (isa.md "Faults"), as written to R0.
pub mod fault {
    pub const ENOSYS: u32 = 0xFFFF_FF01;
    pub const STACK_UNDERFLOW: u32 = 0xFFFF_FF02;
    pub const STACK_OVERFLOW: u32 = 0xFFFF_FF03;
    pub const MEM_FAULT: u32 = 0xFFFF_FF04;
    pub const DIV_ZERO: u32 = 0xFFFF_FF05;
    pub const ILLEGAL: u32 = 0xFFFF_FF06;
    pub const BAD_PC: u32 = 0xFFFF_FF07;
    pub const ACCESS_VIOLATION: u32 = 0xFFFF_FF08;

    /// Every fault code with its name (ENOSYS excluded: it is not a fault).
    pub const ALL: &[(&str, u32)] = &[
        ("STACK_UNDERFLOW", STACK_UNDERFLOW),
        ("STACK_OVERFLOW", STACK_OVERFLOW),
        ("MEM_FAULT", MEM_FAULT),
        ("DIV_ZERO", DIV_ZERO),
        ("ILLEGAL", ILLEGAL),
        ("BAD_PC", BAD_PC),
        ("ACCESS_VIOLATION", ACCESS_VIOLATION),
    ];

    /// The name of a fault code, if it is one.
    pub fn name(code: u32) -> Option<&'static str> {
        ALL.iter().find(|(_, c)| *c == code).map(|(n, _)| *n)
    }
}

/// Task states (scheduler.md). The discriminants are the RTL encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum TaskState {
    #[default]
    Empty = 0,
    Ready = 1,
    Running = 2,
    Blocked = 3,
    Paused = 4,
    Returned = 5,
    Faulted = 6,
}

impl TaskState {
    pub const ALL: [TaskState; 7] = [
        TaskState::Empty,
        TaskState::Ready,
        TaskState::Running,
        TaskState::Blocked,
        TaskState::Paused,
        TaskState::Returned,
        TaskState::Faulted,
    ];
    /// The name used in JSON and listings (`READY`, …).
    pub const fn name(self) -> &'static str {
        match self {
            TaskState::Empty => "EMPTY",
            TaskState::Ready => "READY",
            TaskState::Running => "RUNNING",
            TaskState::Blocked => "BLOCKED",
            TaskState::Paused => "PAUSED",
            TaskState::Returned => "RETURNED",
            TaskState::Faulted => "FAULTED",
        }
    }
    pub fn from_u8(v: u8) -> Option<TaskState> {
        TaskState::ALL.get(v as usize).copied()
    }
}

/// Why a BLOCKED task waits. The discriminants are the RTL encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum WaitKind {
    #[default]
    None = 0,
    Mailbox = 1,
    Sleep = 2,
}

impl WaitKind {
    pub const fn name(self) -> &'static str {
        match self {
            WaitKind::None => "none",
            WaitKind::Mailbox => "mailbox",
            WaitKind::Sleep => "sleep",
        }
    }
    pub fn from_u8(v: u8) -> Option<WaitKind> {
        match v {
            0 => Some(WaitKind::None),
            1 => Some(WaitKind::Mailbox),
            2 => Some(WaitKind::Sleep),
            _ => None,
        }
    }
}

/// One data-RAM write of a retiring instruction: a word-aligned address, a 4-bit byte
/// mask (bit i = byte `addr + i`) and the word with the written bytes in their lanes
/// (bytes outside the mask are zero). An access that spans two words is two writes,
/// lower word first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MemWrite {
    pub addr: u16,
    pub mask: u8,
    pub data: u32,
}

/// At most this many data-RAM writes per retired instruction (an unaligned ST, or a
/// PUSH/CALL/POP that writes the stack or R15 and a register).
pub const MAX_WRITES: usize = 2;

/// The retire record (hardware.md "Retire port"), produced by both models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Retire {
    /// `steps` after this retire (the first is 1).
    pub step: u64,
    pub pid: u8,
    pub pc: u16,
    /// Instruction words fetched (0 for BAD_PC, 2 for LDI32).
    pub insn_len: u8,
    pub insn: [u32; 2],
    pub next_pc: u16,
    pub n_writes: u8,
    pub writes: [MemWrite; MAX_WRITES],
    pub psw: u8,
    pub sp: u32,
    pub fault: Option<u32>,
    /// `(mod, fn)` of an SVC.
    pub trap: Option<(u8, u8)>,
}

impl Retire {
    /// The instruction words, as fetched.
    pub fn insn_words(&self) -> &[u32] {
        &self.insn[..self.insn_len as usize]
    }
    /// The data-RAM writes, in order.
    pub fn writes(&self) -> &[MemWrite] {
        &self.writes[..self.n_writes as usize]
    }
    /// Append a write (the models never exceed [`MAX_WRITES`]).
    #[inline]
    pub fn push_write(&mut self, w: MemWrite) {
        let i = self.n_writes as usize;
        debug_assert!(i < MAX_WRITES, "more than {MAX_WRITES} writes in one retire");
        if i < MAX_WRITES {
            self.writes[i] = w;
            self.n_writes += 1;
        }
    }
}

/// Split a little-endian access of `len` bytes (1, 2 or 4) at `addr` into word writes.
/// The caller has already checked that `addr + len <= 0x10000`.
pub fn split_write(addr: u32, len: u32, value: u32, mut out: impl FnMut(MemWrite)) {
    let mut i = 0;
    while i < len {
        let a = addr + i;
        let word = a & !3;
        let mut mask = 0u8;
        let mut data = 0u32;
        while i < len && (addr + i) & !3 == word {
            let lane = (addr + i) & 3;
            mask |= 1 << lane;
            data |= ((value >> (8 * i)) & 0xFF) << (8 * lane);
            i += 1;
        }
        out(MemWrite { addr: word as u16, mask, data });
    }
}

/// Supervisor-call numbers (executive.md).
pub mod svc {
    pub const MOD_CORE: u8 = 0x0;
    pub const FN_GET_STEPS: u8 = 0x00;
    pub const MOD_TASK: u8 = 0x1;
    pub const FN_EXIT: u8 = 0x00;
    pub const FN_UART_WRITE: u8 = 0x01;
    pub const MOD_MAILBOX: u8 = 0x5;
    pub const FN_MB_OPEN: u8 = 0x00;
    pub const FN_MB_BIND: u8 = 0x01;
    pub const FN_MB_SEND: u8 = 0x02;
    pub const FN_MB_RECV: u8 = 0x03;
    pub const FN_MB_PEEK: u8 = 0x04;
    pub const FN_MB_TAP: u8 = 0x05;
    pub const FN_MB_CLOSE: u8 = 0x06;
    pub const MOD_TIME: u8 = 0x6;
    pub const FN_SLEEP_MS: u8 = 0x00;
    pub const FN_YIELD: u8 = 0x01;
    pub const FN_GETPID: u8 = 0x02;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_unaligned_word_into_two() {
        let mut v = vec![];
        split_write(0x4003, 4, 0xAABBCCDD, |w| v.push(w));
        assert_eq!(
            v,
            vec![
                MemWrite { addr: 0x4000, mask: 0b1000, data: 0xDD00_0000 },
                MemWrite { addr: 0x4004, mask: 0b0111, data: 0x00AA_BBCC },
            ]
        );
        v.clear();
        split_write(0x4001, 1, 0x1234_5678, |w| v.push(w));
        assert_eq!(v, vec![MemWrite { addr: 0x4000, mask: 0b0010, data: 0x0000_7800 }]);
    }

    #[test]
    fn window_addresses() {
        assert_eq!(window_of(1), 0x1000);
        assert_eq!(window_of(8), 0x11C0);
        assert_eq!(window_of(16), 0x13C0);
    }
}

/// One task slot as both models expose it (scheduler.md "Observability"): the scalar
/// context record. The general registers are *not* here — they live in data memory at
/// `reg_base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Slot {
    pub state: TaskState,
    /// Next instruction, a byte offset into the task's image (16 bits).
    pub pc: u16,
    pub code_base: u32,
    pub code_size: u32,
    pub psw: u8,
    pub sp: u32,
    pub reg_base: u32,
    pub stack_limit: u32,
    pub stack_top: u32,
    pub slice: u32,
    pub slice_used: u32,
    pub wait: WaitKind,
    pub deadline: Option<u64>,
    pub accounted_steps: u64,
    /// RETURNED: the exit code.
    pub exit_code: Option<u32>,
    /// FAULTED: the fault code.
    pub fault: Option<u32>,
}

/// What SPAWN installs in an EMPTY slot (scheduler.md "Commands").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SpawnContext {
    pub pc: u16,
    pub sp: u32,
    pub reg_base: u32,
    pub stack_limit: u32,
    pub stack_top: u32,
    pub code_base: u32,
    pub code_size: u32,
    pub slice: u32,
}

/// Scheduler commands (scheduler.md). The executive issues them inside the step of the
/// SVC or timeout event that caused them; the host only between steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Spawn { pid: u8, ctx: SpawnContext },
    Block { pid: u8, wait: WaitKind, deadline: Option<u64> },
    Wake { pid: u8 },
    Exit { pid: u8, code: u32 },
    Yield { pid: u8 },
    Pause { pid: u8 },
    Resume { pid: u8 },
    Kill { pid: u8 },
    SetSlice { pid: u8, n: u32 },
}

impl Command {
    pub fn pid(&self) -> u8 {
        match *self {
            Command::Spawn { pid, .. }
            | Command::Block { pid, .. }
            | Command::Wake { pid }
            | Command::Exit { pid, .. }
            | Command::Yield { pid }
            | Command::Pause { pid }
            | Command::Resume { pid }
            | Command::Kill { pid }
            | Command::SetSlice { pid, .. } => pid,
        }
    }
}

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("pid {0} is not a task slot of this machine")]
    NoSuchPid(u8),
    #[error("SPAWN into pid {0}, which is not EMPTY")]
    SlotBusy(u8),
    #[error("SET_SLICE of pid {0} to 0 (a slice is at least 1)")]
    ZeroSlice(u8),
}
