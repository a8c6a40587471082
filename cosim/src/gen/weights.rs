//! Every distribution the generator draws from, in one place. `(value, weight)` pairs:
//! a value is drawn with probability weight / (sum of the table's weights). Changing a
//! table changes which case a seed produces (docs/generator.md lists the tables).

use isa::{FormatKind, InsnClass, Opcode, Row, TABLE};
use std::sync::LazyLock;

// ---------------------------------------------------------------- case level

/// Number of tasks (entries above `GenConfig::max_tasks` are dropped before drawing).
pub const TASKS: &[(usize, u32)] = &[(1, 3), (2, 5), (3, 5), (4, 4), (5, 2), (6, 2), (7, 1), (8, 2)];
/// `--slice`.
pub const SLICES: &[(u32, u32)] = &[(1, 6), (2, 3), (3, 2), (4, 2), (5, 1), (6, 1), (7, 1), (8, 2)];
/// `--stack-size`: mostly the default, sometimes tiny so recursion and pushes hit the guard.
pub const STACK_SIZES: &[(u32, u32)] = &[(0x1000, 8), (16, 1), (32, 1), (64, 2), (128, 2), (256, 1)];
/// Memory protection on (`true`) or `--no-protect`.
pub const PROTECT: &[(bool, u32)] = &[(true, 4), (false, 1)];
/// `--ticks-per-ms`: small, so mailbox timeouts and sleeps actually end within a case.
pub const TICKS_PER_MS: &[(u64, u32)] = &[(1, 3), (2, 2), (5, 2), (10, 2), (50, 1)];
/// `--max-steps` the harness applies: a safety net far above what a case needs.
pub const MAX_STEPS: u64 = 50_000;
/// Probability (num, den) that a case with ≥ 2 tasks gets a mailbox rendezvous: task 1
/// sends on target 0 after its other work, every other task starts by receiving on it
/// (several waiters on one descriptor); half of those bind target 0 as FANOUT first.
pub const RENDEZVOUS: (u32, u32) = (2, 5);
/// Probability that a `Val` is `Keep` (use the register as earlier code left it).
pub const KEEP: (u32, u32) = (1, 5);
/// Items in a loop body / a skipped branch body.
pub const BODY_LEN: (u32, u32) = (1, 3);
/// Loop trip counts (the counter is also masked to 4 bits each trip, see emit.rs).
pub const LOOP_COUNTS: &[(u32, u32)] = &[(1, 2), (2, 3), (3, 2), (5, 2), (8, 1), (15, 1)];

// ---------------------------------------------------------------- items

/// What kind of item to generate next in a task body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Set,
    Int3,
    Fp3,
    Unary,
    Cmp,
    CmpBranch,
    FlagBranch,
    Loop,
    Mem,
    Stack,
    Recurse,
    Leaf,
    GetSteps,
    GetPid,
    Yield,
    Sleep,
    Uart,
    UnknownSvc,
    Open,
    Bind,
    Send,
    Recv,
    Peek,
    Tap,
    Close,
}

/// Top-level items of a task.
pub const ITEMS: &[(ItemKind, u32)] = &[
    (ItemKind::Set, 5),
    (ItemKind::Int3, 14),
    (ItemKind::Fp3, 8),
    (ItemKind::Unary, 6),
    (ItemKind::Cmp, 2),
    (ItemKind::CmpBranch, 6),
    (ItemKind::FlagBranch, 3),
    (ItemKind::Loop, 4),
    (ItemKind::Mem, 12),
    (ItemKind::Stack, 5),
    (ItemKind::Recurse, 3),
    (ItemKind::Leaf, 3),
    (ItemKind::GetSteps, 2),
    (ItemKind::GetPid, 2),
    (ItemKind::Yield, 3),
    (ItemKind::Sleep, 3),
    (ItemKind::Uart, 3),
    (ItemKind::UnknownSvc, 2),
    (ItemKind::Open, 1),
    (ItemKind::Bind, 2),
    (ItemKind::Send, 6),
    (ItemKind::Recv, 6),
    (ItemKind::Peek, 2),
    (ItemKind::Tap, 1),
    (ItemKind::Close, 2),
];

/// Items allowed inside a loop body or a skipped branch body: straight-line code with no
/// labels of its own and nothing that blocks forever (RECV is not here).
pub const BODY_ITEMS: &[(ItemKind, u32)] = &[
    (ItemKind::Set, 3),
    (ItemKind::Int3, 10),
    (ItemKind::Fp3, 6),
    (ItemKind::Unary, 4),
    (ItemKind::Cmp, 2),
    (ItemKind::Mem, 6),
    (ItemKind::GetSteps, 1),
    (ItemKind::GetPid, 1),
    (ItemKind::Yield, 2),
    (ItemKind::Sleep, 1),
    (ItemKind::Send, 2),
    (ItemKind::Peek, 1),
];

/// How a task ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndingKind {
    Ret,
    Exit,
    Brk,
    Illegal,
    DivZero,
    Underflow,
    Overflow,
    MemFault,
    Protected,
    BlockForever,
    JmpEnd,
    TruncLdi32,
}

/// Endings: mostly RET/EXIT; faults, BRK (PAUSED) and blocking forever (stalled) too.
pub const ENDINGS: &[(EndingKind, u32)] = &[
    (EndingKind::Ret, 25),
    (EndingKind::Exit, 35),
    (EndingKind::Brk, 3),
    (EndingKind::Illegal, 4),
    (EndingKind::DivZero, 4),
    (EndingKind::Underflow, 3),
    (EndingKind::Overflow, 2),
    (EndingKind::MemFault, 3),
    (EndingKind::Protected, 3),
    (EndingKind::BlockForever, 4),
    (EndingKind::JmpEnd, 2),
    (EndingKind::TruncLdi32, 2),
];
/// Extra weight of the Overflow ending when the case has a small stack (≤ 256 bytes).
pub const OVERFLOW_SMALL_STACK: u32 = 6;

// ---------------------------------------------------------------- instructions

/// Registers the generated code may write (R14 is the loop counter; it is never a
/// destination anywhere else, so a loop's count survives its body).
pub const REGS: &[u8] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15];
/// Registers a memory item uses as its base (anything but R14).
pub const BASE_REGS: &[u8] = &[1, 2, 3, 6, 7, 8, 9, 10, 11, 13];

/// How the second operand of a three-register integer op is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BKind {
    Int,
    Shift,
    Divisor,
}
/// How `b` of an integer op is drawn: a shift amount for the shifts, a divisor for the
/// DIV class, any integer otherwise.
fn b_kind(op: Opcode) -> BKind {
    match (op.class(), op) {
        (InsnClass::Div, _) => BKind::Divisor,
        (_, Opcode::Lsl | Opcode::Lsr | Opcode::Asr) => BKind::Shift,
        _ => BKind::Int,
    }
}

/// The instruction groups the items draw from, derived from the ISA table's class and
/// format columns, in table order (the order is part of what a seed produces; a test
/// pins it). A row added to the table joins its group here without an edit.
fn rows(pred: impl Fn(&Row) -> bool) -> impl Iterator<Item = Opcode> {
    TABLE.iter().filter(move |r| pred(r)).map(|r| r.opcode)
}
/// Three-register integer ops: the ALU and DIV classes that write Rd (CMP does not).
pub static INT3_OPS: LazyLock<Vec<(Opcode, BKind)>> = LazyLock::new(|| {
    rows(|r| matches!(r.class, InsnClass::AluRr | InsnClass::Div) && r.format == FormatKind::RdRsRs)
        .map(|op| (op, b_kind(op)))
        .collect()
});
/// Three-register FP ops.
pub static FP3_OPS: LazyLock<Vec<Opcode>> =
    LazyLock::new(|| rows(|r| r.class == InsnClass::Fp && r.format == FormatKind::RdRsRs).collect());
/// One source, one destination: the one-operand ALU class and the FP conversions.
pub static UNARY_OPS: LazyLock<Vec<Opcode>> = LazyLock::new(|| {
    rows(|r| matches!(r.class, InsnClass::AluR | InsnClass::Fp) && r.format == FormatKind::RdRs).collect()
});
/// Loads and stores: each load of the table followed by the store in the same position
/// (LD ST, LDB STB, LDH STH).
pub static MEM_OPS: LazyLock<Vec<Opcode>> = LazyLock::new(|| {
    let stores: Vec<Opcode> = rows(|r| r.class == InsnClass::Store).collect();
    let loads: Vec<Opcode> = rows(|r| r.class == InsnClass::Load).collect();
    assert_eq!(loads.len(), stores.len(), "every load of the ISA table has a store");
    loads.into_iter().zip(stores).flat_map(|(l, s)| [l, s]).collect()
});

/// Integer edge operands.
pub const INT_EDGES: &[u32] = &[
    0,
    1,
    2,
    0xFFFF_FFFF,
    0xFFFF_FFFE,
    0x7FFF_FFFF,
    0x8000_0000,
    0x8000_0001,
    0xFFFF,
    0x1_0000,
    0x7FF,
    0x800,
    0xFFFF_F800,
    31,
    32,
    33,
    // binary16 rounding of integers (I2F): ties to even at 2049/2051/4098, the last
    // finite value and the overflow tie.
    0x801,
    0x803,
    0x1002,
    0xFFFF_F7FF,
    0xFFEF,
    0xFFF0,
];
/// Shift amounts (only the low 5 bits count).
pub const SHIFTS: &[u32] = &[0, 1, 2, 15, 16, 31, 32, 33, 63, 0xFFFF_FFFF, 0x8000_0001];
/// Divisors: zero faults (DIV_ZERO), −1 with 0x80000000 wraps.
pub const DIVISORS: &[u32] = &[0, 1, 0xFFFF_FFFF, 2, 3, 7, 0x8000_0000, 0x7FFF_FFFF];
/// binary16 specials: zeros, subnormals, the normal/subnormal boundary, max finite,
/// infinities, NaNs (quiet, signalling, negative, payload), 1, −1, around 1, halves.
pub const F16_SPECIALS: &[u32] = &[
    0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x83FF, 0x0400, 0x0401, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01,
    0xFE00, 0x7FFF, 0x3C00, 0xBC00, 0x3800, 0x3BFF, 0x3C01, 0x4000, 0x5BFF, 0x0200, 0x1400, 0x7800,
];

/// How an integer operand value is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntShape {
    Edge,
    Small,
    Random,
}
pub const INT_SHAPES: &[(IntShape, u32)] = &[(IntShape::Edge, 5), (IntShape::Small, 3), (IntShape::Random, 2)];

/// How a binary16 operand value is drawn (`Junk`: a special with random upper 16 bits,
/// which FP instructions must ignore on input and keep in Rd).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum F16Shape {
    Special,
    Random,
    Junk,
}
pub const F16_SHAPES: &[(F16Shape, u32)] = &[(F16Shape::Special, 6), (F16Shape::Random, 3), (F16Shape::Junk, 1)];

/// Where a load or store goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrKind {
    /// The shared `.data` area (any offset: aligned or not).
    Shared,
    /// A register window (own or another task's): ACCESS_VIOLATION when protected.
    Window,
    /// Inside some task's stack arena (own: allowed; another's: ACCESS_VIOLATION).
    Arena,
    /// Near the top of memory / wrapping below 0: MEM_FAULT for accesses past 0xFFFF.
    Top,
    /// The executive's reserved area 0x0000..0x0FFF (ACCESS_VIOLATION when protected),
    /// the free memory above the windows (shared), and the edges between them.
    Low,
}
pub const ADDRS: &[(AddrKind, u32)] =
    &[(AddrKind::Shared, 14), (AddrKind::Window, 2), (AddrKind::Arena, 2), (AddrKind::Top, 1), (AddrKind::Low, 1)];
/// `(base, imm)` pairs near the top of memory; the address is `(base + imm) & 0xFFFF`.
pub const TOP_ADDRS: &[(u32, i16)] = &[
    (0xFFFC, 0),
    (0xFFFC, 2),
    (0xFFFE, 0),
    (0xFFFF, 0),
    (0xFFFD, 1),
    (0, -1),
    (0, -2),
    (0, -4),
    (0xFFF0, 12),
    (0xFFF0, 15),
    (0x1_FFF8, 4),
];
/// The reserved area (0x0000, 0x0004, 0x0800: ACCESS_VIOLATION when protected), free
/// memory (0x2000, 0x3FFE, 0x1200 and 0x13FE past 8 windows: shared), and the edges:
/// 0x0FFE/0x0FFD straddle the reserved area and the window region, 0x11FE the end of
/// the 8-task window region. The item adds 0..=3 to the base.
pub const LOW_ADDRS: &[u32] = &[0x0000, 0x0004, 0x0800, 0x0FFE, 0x0FFD, 0x2000, 0x3FFE, 0x11FE, 0x1200, 0x13FE];

// ---------------------------------------------------------------- calls and stack

/// Recursion depth for the default stack (a small stack draws from 0..=size/8+2).
pub const DEPTHS: &[(u32, u32)] = &[(0, 2), (1, 3), (2, 3), (3, 2), (5, 2), (10, 1), (20, 1), (40, 1)];
/// Pushes in a stack item (pops match; an extra POP sometimes underflows).
pub const PUSHES: (u32, u32) = (1, 5);
pub const EXTRA_POP: (u32, u32) = (1, 12);

// ---------------------------------------------------------------- executive calls

/// Descriptor targets a case may use. Target 0 of a case is drawn from
/// [`GOOD_TARGETS`] so tasks meet on it; the others from this wider pool (with
/// private, per-pid, empty, malformed and over-long names).
pub const TARGETS: &[(&str, u32)] = &[
    ("shared:q1", 5),
    ("shared:q2", 3),
    ("app:q1", 4),
    ("app:q2@1", 2),
    ("pid:1", 2),
    ("pid:2", 2),
    ("pid:", 2),
    ("svc:inbox", 2),
    ("inbox", 1),
    ("shared:q1@3", 1),
    ("", 1),
    ("app:x@zz", 1),
    ("shared:abcdefghijklmnopqrstuvwxyz0123456", 1),
];
pub const GOOD_TARGETS: &[(&str, u32)] = &[("shared:q1", 3), ("app:q1", 2), ("shared:q2", 1)];
/// Extra targets per case beyond target 0.
pub const EXTRA_TARGETS: (u32, u32) = (0, 2);

/// Message payloads (also UART strings), in `.data` as `msgN`.
pub const MSGS: &[&str] = &[
    "hi\n",
    "hello, mailbox",
    "x",
    "0123456789abcdef0123456789abcdef0123456789abcdef",
    "the quick brown fox jumps over the lazy dog, twice or so....",
];
/// Send lengths: `None` = the string's own length; else a fixed length (56 is the
/// largest that fits the default 64-byte capacity with its 8-byte header, 57 is not).
pub const SEND_LENS: &[(Option<u16>, u32)] =
    &[(None, 8), (Some(0), 1), (Some(1), 1), (Some(56), 1), (Some(57), 1), (Some(100), 1)];
pub const SEND_FLAGS: &[(u32, u32)] = &[(0, 6), (1, 1), (0x8, 1), (0xFFFF, 1)];
pub const CHANNELS: &[(u32, u32)] = &[(0, 5), (1, 2), (7, 1), (0xFFFF, 1)];
pub const RECV_MAX: &[(u32, u32)] = &[(0, 1), (1, 1), (4, 2), (16, 2), (32, 4)];
/// RECV timeouts in ms: 0 = poll, 0xFFFF = forever.
pub const TIMEOUTS: &[(u32, u32)] = &[(0, 4), (1, 3), (2, 2), (3, 2), (0xFFFF, 3)];
/// Timeouts of the rendezvous receivers (they should mostly still be waiting).
pub const WAIT_TIMEOUTS: &[(u32, u32)] = &[(0xFFFF, 3), (3, 1), (10, 1)];
pub const SLEEP_MS: &[(u32, u32)] = &[(0, 1), (1, 4), (2, 2), (3, 2), (7, 1)];
pub const CAPACITIES: &[(u32, u32)] = &[(0, 3), (9, 1), (16, 1), (24, 1), (64, 1), (128, 1)];
/// BIND modes: plain, FANOUT, FANOUT|DROP, FANOUT|BLOCK.
pub const BIND_MODES: &[(u32, u32)] = &[(0, 4), (0x08, 3), (0x18, 1), (0x28, 1)];
/// Handles used raw (without an OPEN): the stdio handles, the first opened one,
/// and invalid ones.
pub const RAW_HANDLES: &[u32] = &[0, 1, 2, 3, 4, 5, 99, 0xFFFF];
/// Probability a handle is a raw number instead of a fresh OPEN.
pub const RAW_HANDLE: (u32, u32) = (1, 6);
/// Probability a buffer pointer is a bad one (the reserved area, a window, another
/// task's arena, or near the top of memory; with `--no-protect` only the top is bad).
pub const BAD_BUF: (u32, u32) = (1, 8);
pub const BAD_BUFS: &[u32] = &[0x0000, 0x0F00, 0x1000, 0x1040, 0xFFF8, 0xFFFF, 0xF000];
/// SVCs nobody implements (R0 ← ENOSYS, the task continues).
pub const UNKNOWN_SVCS: &[(u8, u8)] =
    &[(0x0, 0x01), (0x1, 0x02), (0x2, 0x00), (0x3, 0x07), (0x5, 0x07), (0x6, 0x03), (0x7, 0x00), (0xF, 0xFF)];

// ---------------------------------------------------------------- endings

/// Undefined opcode bytes (checked against the ISA table in a test).
pub const ILLEGAL_OPCODES: &[u8] =
    &[0x00, 0x05, 0x0A, 0x0F, 0x18, 0x26, 0x36, 0x42, 0x56, 0x61, 0x7E, 0x80, 0xC3, 0xFF];
pub const BRK_CODES: &[u8] = &[0, 3, 0xFF];
pub const EXIT_CODES: &[u32] = &[0, 1, 42, 0xFFFF_FFFF, 0x8000_0000];

// ---------------------------------------------------------------- shape of a case

/// Words in the case's shared data area (`shdata`), initialised with random words.
pub const SHARED_WORDS: usize = 16;
/// Bytes of each task's receive buffer (`rxN`).
pub const RX_BYTES: usize = 32;
