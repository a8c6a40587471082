//! Drawing a case from a seed. Every random choice goes through [`Rng`] and the tables
//! in [`super::weights`]; the order of draws is part of what a seed means.

use super::emit::{self, Ctx, Out};
use super::rng::Rng;
use super::weights::{self as w, AddrKind, BKind, EndingKind, F16Shape, IntShape, ItemKind};
use super::{Addr, Buf, Ending, GenConfig, Handle, Item, Operand, TaskGen, TestCase, Val};
use isa::{FormatKind, Opcode};

/// Words reserved for the shared tail (`fn_rec`, `fn_leaf`, `tail_ldi32`).
const TAIL_WORDS: usize = 20;

struct Gen {
    rng: Rng,
    n_tasks: usize,
    stack_size: u32,
    n_targets: usize,
    /// Drawing a loop or branch body (no window addresses: see `addr`).
    in_body: bool,
}

pub(crate) fn generate(seed: u64, cfg: &GenConfig) -> TestCase {
    let mut rng = Rng::new(seed);
    let max_tasks = cfg.max_tasks.clamp(1, 8);
    let tasks_w: Vec<(usize, u32)> = w::TASKS.iter().copied().filter(|&(n, _)| n <= max_tasks).collect();
    let n_tasks = rng.weighted(&tasks_w);
    let slice = rng.weighted(w::SLICES);
    let stack_size = rng.weighted(w::STACK_SIZES);
    let protect = rng.weighted(w::PROTECT);
    let ticks_per_ms = rng.weighted(w::TICKS_PER_MS);
    let mut targets = vec![rng.weighted(w::GOOD_TARGETS).to_string()];
    for _ in 0..rng.range(w::EXTRA_TARGETS.0, w::EXTRA_TARGETS.1) {
        targets.push(rng.weighted(w::TARGETS).to_string());
    }
    let shared_init: Vec<u32> = (0..w::SHARED_WORDS).map(|_| rng.u32()).collect();

    let mut g = Gen { rng, n_tasks, stack_size, n_targets: targets.len(), in_body: false };

    // A mailbox rendezvous: several waiters on target 0 (each task but the first starts
    // with a RECV on it), one sender (task 1 ends its items with SENDs to it).
    let mut pre: Vec<Vec<Item>> = vec![vec![]; n_tasks];
    let mut post: Vec<Vec<Item>> = vec![vec![]; n_tasks];
    if n_tasks >= 2 && g.rng.chance(w::RENDEZVOUS.0, w::RENDEZVOUS.1) {
        if g.rng.chance(1, 2) {
            pre[0].push(Item::Bind { target: 0, capacity: 0, mode: 0x08 });
        }
        for p in pre.iter_mut().skip(1) {
            let timeout = g.rng.weighted(w::WAIT_TIMEOUTS);
            let info = if g.rng.chance(1, 2) { Some(Buf::Data) } else { None };
            p.push(Item::Recv { h: Handle::Open(0), max: w::RX_BYTES as u32, timeout, buf: Buf::Data, info });
        }
        for _ in 0..g.rng.range(1, 3) {
            let msg = g.msg();
            let channel = g.rng.weighted(w::CHANNELS);
            post[0].push(Item::Send { h: Handle::Open(0), msg, len: None, buf: Buf::Data, flags: 0, channel });
        }
    }
    let fixed: usize = pre
        .iter()
        .chain(post.iter())
        .enumerate()
        .map(|(i, items)| {
            let ctx = Ctx { pid: i % n_tasks + 1, stack_size };
            items.iter().map(|it| words_of(|o| emit::emit_item(o, it, ctx))).sum::<usize>()
        })
        .sum();

    // Each task gets an equal share of what is left of the code budget.
    let budget = cfg.max_code_words.min(1000).saturating_sub(TAIL_WORDS + fixed) / n_tasks;
    let mut tasks = Vec::with_capacity(n_tasks);
    for (i, (pre, post)) in pre.into_iter().zip(post).enumerate() {
        let ctx = Ctx { pid: i + 1, stack_size };
        let ending = g.ending(ctx);
        let mut used = words_of(|o| emit::emit_ending(o, &ending, ctx));
        let n_items = g.rng.range(0, cfg.max_items.min(1000) as u32) as usize;
        let mut items = pre;
        for _ in 0..n_items {
            let kind = g.rng.weighted(w::ITEMS);
            let item = g.item(kind, ctx);
            let n = words_of(|o| emit::emit_item(o, &item, ctx));
            if used + n > budget {
                break;
            }
            used += n;
            items.push(item);
        }
        items.extend(post);
        tasks.push(TaskGen { items, ending });
    }

    TestCase { seed, slice, protect, stack_size, ticks_per_ms, max_steps: w::MAX_STEPS, targets, shared_init, tasks }
}

fn words_of(f: impl FnOnce(&mut Out)) -> usize {
    let mut o = Out::default();
    f(&mut o);
    o.words
}

impl Gen {
    fn keep(&mut self) -> bool {
        self.rng.chance(w::KEEP.0, w::KEEP.1)
    }

    fn int(&mut self) -> u32 {
        match self.rng.weighted(w::INT_SHAPES) {
            IntShape::Edge => self.rng.pick(w::INT_EDGES),
            IntShape::Small => self.rng.range(0, 32).wrapping_sub(16),
            IntShape::Random => self.rng.u32(),
        }
    }

    fn f16(&mut self) -> u32 {
        match self.rng.weighted(w::F16_SHAPES) {
            F16Shape::Special => self.rng.pick(w::F16_SPECIALS),
            F16Shape::Random => self.rng.u32() & 0xFFFF,
            F16Shape::Junk => self.rng.pick(w::F16_SPECIALS) | (self.rng.u32() & 0xFFFF_0000),
        }
    }

    fn reg(&mut self) -> u8 {
        self.rng.pick(w::REGS)
    }

    /// A register other than `other`.
    fn reg_not(&mut self, other: u8) -> u8 {
        let r = self.reg();
        if r == other {
            w::REGS[(w::REGS.iter().position(|&x| x == r).unwrap_or(0) + 1) % w::REGS.len()]
        } else {
            r
        }
    }

    fn operand(&mut self, reg: u8, v: u32) -> Operand {
        let val = if self.keep() { Val::Keep } else { Val::Imm(v) };
        Operand { reg, val }
    }

    fn two_operands(&mut self, a: u32, b: u32) -> (Operand, Operand) {
        let ra = self.reg();
        let rb = self.reg_not(ra);
        (self.operand(ra, a), self.operand(rb, b))
    }

    fn target(&mut self) -> u8 {
        // Target 0 (the one tasks meet on) twice as often as each other one.
        let n = self.n_targets as u32;
        let r = self.rng.below(n + 1);
        if r <= 1 {
            0
        } else {
            (r - 1) as u8
        }
    }

    fn handle(&mut self) -> Handle {
        if self.rng.chance(w::RAW_HANDLE.0, w::RAW_HANDLE.1) {
            Handle::Raw(self.rng.pick(w::RAW_HANDLES))
        } else {
            Handle::Open(self.target())
        }
    }

    fn buf(&mut self) -> Buf {
        if self.rng.chance(w::BAD_BUF.0, w::BAD_BUF.1) {
            Buf::Abs(self.rng.pick(w::BAD_BUFS))
        } else {
            Buf::Data
        }
    }

    fn msg(&mut self) -> u8 {
        self.rng.below(w::MSGS.len() as u32) as u8
    }

    fn body(&mut self, ctx: Ctx) -> Vec<Item> {
        let n = self.rng.range(w::BODY_LEN.0, w::BODY_LEN.1);
        self.in_body = true;
        let body = (0..n)
            .map(|_| {
                let k = self.rng.weighted(w::BODY_ITEMS);
                self.item(k, ctx)
            })
            .collect();
        self.in_body = false;
        body
    }

    fn addr(&mut self, ctx: Ctx) -> Addr {
        let mut kind = self.rng.weighted(w::ADDRS);
        if self.in_body && kind == AddrKind::Window {
            // A store in a loop body could rewrite the loop counter R14 (through its own
            // window with protection off) on every trip, and the loop would never end.
            kind = AddrKind::Shared;
        }
        match kind {
            AddrKind::Shared => {
                let span = (w::SHARED_WORDS * 4) as u32;
                if self.rng.chance(1, 4) {
                    Addr::Shared { off: -(self.rng.range(1, span) as i16), from_end: true }
                } else {
                    Addr::Shared { off: self.rng.range(0, span + 3) as i16, from_end: false }
                }
            }
            AddrKind::Window => {
                // Mostly this case's tasks (own window included), sometimes an unused slot.
                let pid =
                    if self.rng.chance(3, 4) { self.rng.range(1, self.n_tasks as u32) } else { self.rng.range(1, 8) };
                let off = if self.rng.chance(1, 8) { -1 } else { self.rng.range(0, 63) as i16 };
                Addr::Window { pid: pid as u8, off }
            }
            AddrKind::Arena => {
                // Its own arena half the time (allowed), else any task's.
                let task =
                    if self.rng.chance(1, 2) { ctx.pid as u8 } else { self.rng.range(1, self.n_tasks as u32) as u8 };
                if self.rng.chance(1, 2) {
                    Addr::Arena { task, off: -(self.rng.range(1, 8) as i16), from_top: true }
                } else {
                    let hi = ctx.stack_size.min(2047) - 1;
                    Addr::Arena { task, off: self.rng.range(0, hi) as i16, from_top: false }
                }
            }
            AddrKind::Top => {
                let (base, imm) = self.rng.pick(w::TOP_ADDRS);
                Addr::Abs { base, imm }
            }
            AddrKind::Low => Addr::Abs { base: self.rng.pick(w::LOW_ADDRS), imm: self.rng.range(0, 3) as i16 },
        }
    }

    fn item(&mut self, kind: ItemKind, ctx: Ctx) -> Item {
        match kind {
            ItemKind::Set => {
                let rd = self.reg();
                let value = self.int();
                Item::Set { rd, value, wide: self.rng.chance(1, 6) }
            }
            ItemKind::Int3 => {
                let (op, bk) = self.rng.pick(&w::INT3_OPS);
                let a = if bk == BKind::Divisor && self.rng.chance(1, 3) { 0x8000_0000 } else { self.int() };
                let b = match bk {
                    BKind::Shift => self.rng.pick(w::SHIFTS),
                    BKind::Divisor if self.rng.chance(2, 3) => self.rng.pick(w::DIVISORS),
                    BKind::Divisor | BKind::Int => self.int(),
                };
                let (a, b) = self.two_operands(a, b);
                Item::Alu3 { op, rd: self.reg(), a, b }
            }
            ItemKind::Fp3 => {
                let op = self.rng.pick(&w::FP3_OPS);
                let (x, y) = (self.f16(), self.f16());
                let (a, b) = self.two_operands(x, y);
                Item::Alu3 { op, rd: self.reg(), a, b }
            }
            ItemKind::Unary => {
                let op = self.rng.pick(&w::UNARY_OPS);
                let v = if op == Opcode::F2i { self.f16() } else { self.int() };
                let r = self.reg();
                let a = self.operand(r, v);
                Item::Unary { op, rd: self.reg(), a }
            }
            ItemKind::Cmp => {
                let (x, y) = (self.int(), self.int());
                // Equal operands half the time, so JZ/JNZ go both ways.
                let y = if self.rng.chance(1, 2) { x } else { y };
                let (a, b) = self.two_operands(x, y);
                Item::Cmp { a, b }
            }
            ItemKind::CmpBranch | ItemKind::FlagBranch => {
                let cmp = if kind == ItemKind::CmpBranch {
                    let x = self.int();
                    let y = if self.rng.chance(1, 2) { x } else { self.int() };
                    Some(self.two_operands(x, y))
                } else {
                    None
                };
                let jz = self.rng.chance(1, 2);
                Item::Branch { cmp, jz, body: self.body(ctx) }
            }
            ItemKind::Loop => {
                let count = self.rng.weighted(w::LOOP_COUNTS);
                Item::Loop { count, body: self.body(ctx) }
            }
            ItemKind::Mem => {
                let op = self.rng.pick(&w::MEM_OPS);
                let base = self.rng.pick(w::BASE_REGS);
                let reg = self.reg_not(base);
                let addr = self.addr(ctx);
                let value =
                    if op.format() == FormatKind::Store && !self.keep() { Val::Imm(self.int()) } else { Val::Keep };
                Item::Mem { op, reg, base, addr, value }
            }
            ItemKind::Stack => {
                let n = self.rng.range(w::PUSHES.0, w::PUSHES.1);
                let push = (0..n).map(|_| self.rng.range(0, 15) as u8).collect();
                let pop = (0..n).map(|_| self.reg()).collect();
                Item::Stack { push, pop, extra_pop: self.rng.chance(w::EXTRA_POP.0, w::EXTRA_POP.1) }
            }
            ItemKind::Recurse => {
                let depth = if self.stack_size <= 256 {
                    self.rng.range(0, self.stack_size / 8 + 2)
                } else {
                    self.rng.weighted(w::DEPTHS)
                };
                Item::Recurse { depth }
            }
            ItemKind::Leaf => Item::Leaf { reg_form: self.rng.chance(1, 2) },
            ItemKind::GetSteps => Item::GetSteps,
            ItemKind::GetPid => Item::GetPid,
            ItemKind::Yield => Item::Yield,
            ItemKind::Sleep => Item::Sleep { ms: self.rng.weighted(w::SLEEP_MS) },
            ItemKind::Uart => {
                let msg = self.msg();
                let len = match self.rng.below(6) {
                    0 => Some(0),
                    1 => Some(w::MSGS[msg as usize].len() as u16 + 5),
                    _ => None,
                };
                Item::Uart { msg, len, buf: self.buf() }
            }
            ItemKind::UnknownSvc => {
                let (module, func) = self.rng.pick(w::UNKNOWN_SVCS);
                Item::UnknownSvc { module, func }
            }
            ItemKind::Open => Item::Open { target: self.target() },
            ItemKind::Bind => {
                let target = self.target();
                let capacity = self.rng.weighted(w::CAPACITIES);
                Item::Bind { target, capacity, mode: self.rng.weighted(w::BIND_MODES) }
            }
            ItemKind::Send => {
                let h = self.handle();
                let msg = self.msg();
                let len = self.rng.weighted(w::SEND_LENS);
                let buf = self.buf();
                let flags = self.rng.weighted(w::SEND_FLAGS);
                Item::Send { h, msg, len, buf, flags, channel: self.rng.weighted(w::CHANNELS) }
            }
            ItemKind::Recv => {
                let h = self.handle();
                let max = self.rng.weighted(w::RECV_MAX);
                let timeout = self.rng.weighted(w::TIMEOUTS);
                let buf = self.buf();
                let info = if self.rng.chance(1, 2) { Some(self.buf()) } else { None };
                Item::Recv { h, max, timeout, buf, info }
            }
            ItemKind::Peek => Item::Peek { h: self.handle() },
            ItemKind::Tap => {
                let h = self.handle();
                Item::Tap { h, enable: self.rng.chance(3, 4) }
            }
            ItemKind::Close => Item::Close { h: self.handle() },
        }
    }

    fn ending(&mut self, _ctx: Ctx) -> Ending {
        let mut table: Vec<(EndingKind, u32)> = w::ENDINGS.to_vec();
        if self.stack_size <= 256 {
            for e in &mut table {
                if e.0 == EndingKind::Overflow {
                    e.1 += w::OVERFLOW_SMALL_STACK;
                }
            }
        }
        let code = |g: &mut Gen| if g.rng.chance(1, 4) { Val::Keep } else { Val::Imm(g.rng.pick(w::EXIT_CODES)) };
        match self.rng.weighted(&table) {
            EndingKind::Ret => Ending::Ret { code: code(self) },
            EndingKind::Exit => Ending::Exit { code: code(self) },
            EndingKind::Brk => Ending::Brk { code: self.rng.pick(w::BRK_CODES) },
            EndingKind::Illegal => Ending::Illegal { opcode: self.rng.pick(w::ILLEGAL_OPCODES) },
            EndingKind::DivZero => Ending::DivZero,
            EndingKind::Underflow => Ending::Underflow,
            EndingKind::Overflow => Ending::Overflow,
            EndingKind::MemFault => Ending::MemFault,
            EndingKind::Protected => Ending::Protected,
            EndingKind::BlockForever => Ending::BlockForever,
            EndingKind::JmpEnd => Ending::JmpEnd,
            EndingKind::TruncLdi32 => Ending::TruncLdi32,
        }
    }
}
