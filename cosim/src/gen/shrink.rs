//! Shrinking a failing case. A round lists every *move* (drop a task, drop a run of
//! items, inline a loop or branch body, simplify an ending, an operand or a setting)
//! applicable to the current case, largest first, and tries them in turn, starting where
//! the previous round's success was; the first candidate that still fails becomes the
//! current case. Only candidates strictly smaller in [`TestCase::cost`] are tried, so
//! shrinking reaches a fixpoint; `max_attempts` caps the predicate calls.

use super::{Addr, Buf, Ending, Handle, Item, Operand, TestCase, Val};
use isa::DEFAULT_STACK_SIZE;

/// Shrink `case` while `still_fails` holds, calling it at most `max_attempts` times.
/// Returns the smallest failing case found (`case` itself if nothing smaller fails).
pub fn shrink(case: &TestCase, still_fails: &mut dyn FnMut(&TestCase) -> bool, max_attempts: usize) -> TestCase {
    let mut best = case.clone();
    let mut best_cost = best.cost();
    let mut attempts = 0usize;
    let mut start = 0usize;
    loop {
        let moves = moves(&best);
        let n = moves.len();
        let mut accepted = None;
        for k in 0..n {
            let i = (start + k) % n;
            let cand = apply(&best, &moves[i]);
            let cost = cand.cost();
            if cost >= best_cost {
                continue;
            }
            if attempts >= max_attempts {
                return best;
            }
            attempts += 1;
            if still_fails(&cand) {
                accepted = Some((i, cand, cost));
                break;
            }
        }
        match accepted {
            Some((i, cand, cost)) => {
                best = cand;
                best_cost = cost;
                start = i;
            }
            None => return best,
        }
    }
}

/// One way to make a case smaller.
#[derive(Debug, Clone)]
enum Move {
    DropTask(usize),
    DropItems {
        task: usize,
        start: usize,
        len: usize,
    },
    /// Replace top-level item `item` of `task` by `with` (zero or more items).
    Replace {
        task: usize,
        item: usize,
        with: Vec<Item>,
    },
    /// Replace item `sub` of the body of `item` by `with`.
    ReplaceSub {
        task: usize,
        item: usize,
        sub: usize,
        with: Vec<Item>,
    },
    Ending {
        task: usize,
        to: Ending,
    },
    Settings {
        slice: u32,
        stack_size: u32,
        protect: bool,
    },
}

fn chunk_sizes(n: usize) -> Vec<usize> {
    let mut v = vec![];
    let mut s = n;
    while s > 0 {
        v.push(s);
        s /= 2;
    }
    v
}

fn moves(case: &TestCase) -> Vec<Move> {
    let mut m = vec![];
    if case.tasks.len() > 1 {
        for t in (0..case.tasks.len()).rev() {
            m.push(Move::DropTask(t));
        }
    }
    for (t, task) in case.tasks.iter().enumerate() {
        let n = task.items.len();
        for size in chunk_sizes(n) {
            let mut start = 0;
            while start < n {
                m.push(Move::DropItems { task: t, start, len: size.min(n - start) });
                start += size;
            }
        }
    }
    for (t, task) in case.tasks.iter().enumerate() {
        for (i, it) in task.items.iter().enumerate() {
            for with in simpler(it) {
                m.push(Move::Replace { task: t, item: i, with });
            }
            if let Item::Branch { body, .. } | Item::Loop { body, .. } = it {
                for (s, sub) in body.iter().enumerate() {
                    m.push(Move::ReplaceSub { task: t, item: i, sub: s, with: vec![] });
                    for with in simpler(sub) {
                        m.push(Move::ReplaceSub { task: t, item: i, sub: s, with });
                    }
                }
            }
        }
        for to in simpler_ending(&task.ending) {
            m.push(Move::Ending { task: t, to });
        }
    }
    let defaults = (1, DEFAULT_STACK_SIZE, true);
    for (slice, stack_size, protect) in [
        (defaults.0, case.stack_size, case.protect),
        (case.slice, defaults.1, case.protect),
        (case.slice, case.stack_size, defaults.2),
    ] {
        if (slice, stack_size, protect) != (case.slice, case.stack_size, case.protect) {
            m.push(Move::Settings { slice, stack_size, protect });
        }
    }
    m
}

fn apply(case: &TestCase, mv: &Move) -> TestCase {
    let mut c = case.clone();
    match mv {
        Move::DropTask(t) => {
            c.tasks.remove(*t);
        }
        Move::DropItems { task, start, len } => {
            c.tasks[*task].items.drain(*start..*start + *len);
        }
        Move::Replace { task, item, with } => {
            c.tasks[*task].items.splice(*item..*item + 1, with.iter().cloned());
        }
        Move::ReplaceSub { task, item, sub, with } => {
            if let Item::Branch { body, .. } | Item::Loop { body, .. } = &mut c.tasks[*task].items[*item] {
                body.splice(*sub..*sub + 1, with.iter().cloned());
            }
        }
        Move::Ending { task, to } => c.tasks[*task].ending = *to,
        Move::Settings { slice, stack_size, protect } => {
            c.slice = *slice;
            c.stack_size = *stack_size;
            c.protect = *protect;
        }
    }
    c
}

/// Simpler versions of a value: `Keep` (no load), then 0.
fn simpler_val(v: Val) -> Vec<Val> {
    match v {
        Val::Keep => vec![],
        Val::Imm(0) => vec![Val::Keep],
        Val::Imm(_) => vec![Val::Keep, Val::Imm(0)],
    }
}

fn simpler_operand(o: Operand) -> Vec<Operand> {
    simpler_val(o.val).into_iter().map(|val| Operand { val, ..o }).collect()
}

fn simpler_handle(h: Handle) -> Vec<Handle> {
    match h {
        Handle::Open(0) => vec![],
        Handle::Open(_) | Handle::Raw(_) => vec![Handle::Open(0)],
    }
}

fn simpler_buf(b: Buf) -> Vec<Buf> {
    match b {
        Buf::Data => vec![],
        Buf::Abs(_) => vec![Buf::Data],
    }
}

/// Replacements for one item (each a sequence: inlining a body gives several).
fn simpler(item: &Item) -> Vec<Vec<Item>> {
    let one = |i: Item| vec![i];
    let mut v: Vec<Vec<Item>> = vec![];
    match item {
        Item::Set { rd, value, wide } => {
            if *wide {
                v.push(one(Item::Set { rd: *rd, value: *value, wide: false }));
            }
            if *value != 0 {
                v.push(one(Item::Set { rd: *rd, value: 0, wide: false }));
            }
        }
        Item::Alu3 { op, rd, a, b } => {
            for a2 in simpler_operand(*a) {
                v.push(one(Item::Alu3 { op: *op, rd: *rd, a: a2, b: *b }));
            }
            for b2 in simpler_operand(*b) {
                v.push(one(Item::Alu3 { op: *op, rd: *rd, a: *a, b: b2 }));
            }
        }
        Item::Unary { op, rd, a } => {
            for a2 in simpler_operand(*a) {
                v.push(one(Item::Unary { op: *op, rd: *rd, a: a2 }));
            }
        }
        Item::Cmp { a, b } => {
            for a2 in simpler_operand(*a) {
                v.push(one(Item::Cmp { a: a2, b: *b }));
            }
            for b2 in simpler_operand(*b) {
                v.push(one(Item::Cmp { a: *a, b: b2 }));
            }
        }
        Item::Branch { cmp, jz, body } => {
            v.push(body.clone());
            if let Some((a, b)) = cmp {
                v.push(one(Item::Branch { cmp: None, jz: *jz, body: body.clone() }));
                for a2 in simpler_operand(*a) {
                    v.push(one(Item::Branch { cmp: Some((a2, *b)), jz: *jz, body: body.clone() }));
                }
                for b2 in simpler_operand(*b) {
                    v.push(one(Item::Branch { cmp: Some((*a, b2)), jz: *jz, body: body.clone() }));
                }
            }
        }
        Item::Loop { count, body } => {
            v.push(body.clone());
            if *count != 1 {
                v.push(one(Item::Loop { count: 1, body: body.clone() }));
            }
        }
        Item::Mem { op, reg, base, addr, value } => {
            for value in simpler_val(*value) {
                v.push(one(Item::Mem { op: *op, reg: *reg, base: *base, addr: *addr, value }));
            }
            let plain = Addr::Shared { off: 0, from_end: false };
            if *addr != plain {
                v.push(one(Item::Mem { op: *op, reg: *reg, base: *base, addr: plain, value: *value }));
            }
        }
        Item::Stack { push, pop, extra_pop } => {
            if !push.is_empty() {
                v.push(one(Item::Stack {
                    push: push[..push.len() - 1].to_vec(),
                    pop: pop[1..].to_vec(),
                    extra_pop: *extra_pop,
                }));
            }
            if *extra_pop {
                v.push(one(Item::Stack { push: push.clone(), pop: pop.clone(), extra_pop: false }));
            }
        }
        Item::Recurse { depth } => {
            if *depth > 0 {
                v.push(one(Item::Recurse { depth: 0 }));
                v.push(one(Item::Recurse { depth: depth / 2 }));
                v.push(one(Item::Recurse { depth: depth - 1 }));
            }
        }
        Item::Leaf { reg_form } => {
            if *reg_form {
                v.push(one(Item::Leaf { reg_form: false }));
            }
        }
        Item::GetSteps | Item::GetPid | Item::Yield | Item::UnknownSvc { .. } | Item::Open { .. } => {}
        Item::Sleep { ms } => {
            if *ms > 1 {
                v.push(one(Item::Sleep { ms: 1 }));
            }
        }
        Item::Uart { msg, len, buf } => {
            if len.is_some() {
                v.push(one(Item::Uart { msg: *msg, len: None, buf: *buf }));
            }
            for b in simpler_buf(*buf) {
                v.push(one(Item::Uart { msg: *msg, len: *len, buf: b }));
            }
        }
        Item::Bind { target, capacity, mode } => {
            if *capacity != 0 {
                v.push(one(Item::Bind { target: *target, capacity: 0, mode: *mode }));
            }
            if *mode != 0 {
                v.push(one(Item::Bind { target: *target, capacity: *capacity, mode: 0 }));
            }
        }
        Item::Send { h, msg, len, buf, flags, channel } => {
            let base = (*h, *msg, *len, *buf, *flags, *channel);
            let mk = |(h, msg, len, buf, flags, channel): (Handle, u8, Option<u16>, Buf, u32, u32)| {
                vec![Item::Send { h, msg, len, buf, flags, channel }]
            };
            for h2 in simpler_handle(*h) {
                v.push(mk((h2, base.1, base.2, base.3, base.4, base.5)));
            }
            if len.is_some() {
                v.push(mk((base.0, base.1, None, base.3, base.4, base.5)));
            }
            for b in simpler_buf(*buf) {
                v.push(mk((base.0, base.1, base.2, b, base.4, base.5)));
            }
            if *flags != 0 {
                v.push(mk((base.0, base.1, base.2, base.3, 0, base.5)));
            }
            if *channel != 0 {
                v.push(mk((base.0, base.1, base.2, base.3, base.4, 0)));
            }
        }
        Item::Recv { h, max, timeout, buf, info } => {
            let r = |h: Handle, max: u32, timeout: u32, buf: Buf, info: Option<Buf>| {
                vec![Item::Recv { h, max, timeout, buf, info }]
            };
            for h2 in simpler_handle(*h) {
                v.push(r(h2, *max, *timeout, *buf, *info));
            }
            if *timeout != 0 {
                v.push(r(*h, *max, 0, *buf, *info));
            }
            if info.is_some() {
                v.push(r(*h, *max, *timeout, *buf, None));
            }
            for b in simpler_buf(*buf) {
                v.push(r(*h, *max, *timeout, b, *info));
            }
            if *max != 0 {
                v.push(r(*h, 0, *timeout, *buf, *info));
            }
        }
        Item::Peek { h } => {
            for h2 in simpler_handle(*h) {
                v.push(one(Item::Peek { h: h2 }));
            }
        }
        Item::Tap { h, enable } => {
            for h2 in simpler_handle(*h) {
                v.push(one(Item::Tap { h: h2, enable: *enable }));
            }
        }
        Item::Close { h } => {
            for h2 in simpler_handle(*h) {
                v.push(one(Item::Close { h: h2 }));
            }
        }
    }
    v
}

fn simpler_ending(e: &Ending) -> Vec<Ending> {
    let mut v = vec![];
    if *e != (Ending::Ret { code: Val::Keep }) {
        v.push(Ending::Ret { code: Val::Keep });
    }
    match e {
        Ending::Ret { code } => v.extend(simpler_val(*code).into_iter().map(|code| Ending::Ret { code })),
        Ending::Exit { code } => {
            v.push(Ending::Exit { code: Val::Keep });
            v.extend(simpler_val(*code).into_iter().filter(|c| *c != Val::Keep).map(|code| Ending::Exit { code }));
        }
        Ending::Brk { .. }
        | Ending::Illegal { .. }
        | Ending::DivZero
        | Ending::Underflow
        | Ending::Overflow
        | Ending::MemFault
        | Ending::Protected
        | Ending::BlockForever
        | Ending::JmpEnd
        | Ending::TruncLdi32 => v.push(Ending::Exit { code: Val::Keep }),
    }
    v.dedup();
    v
}

fn val_c(v: Val) -> usize {
    match v {
        Val::Keep | Val::Imm(0) => 0,
        Val::Imm(_) => 1,
    }
}

fn handle_c(h: Handle) -> usize {
    (h != Handle::Open(0)) as usize
}

fn buf_c(b: Buf) -> usize {
    (b != Buf::Data) as usize
}

fn item_c(item: &Item) -> usize {
    match item {
        Item::Set { value, wide, .. } => (*value != 0) as usize + *wide as usize,
        Item::Alu3 { a, b, .. } | Item::Cmp { a, b } => val_c(a.val) + val_c(b.val),
        Item::Unary { a, .. } => val_c(a.val),
        Item::Branch { cmp, body, .. } => {
            1 + cmp.map_or(0, |(a, b)| 1 + val_c(a.val) + val_c(b.val)) + body.iter().map(item_c).sum::<usize>()
        }
        Item::Loop { count, body } => 1 + (*count != 1) as usize + body.iter().map(item_c).sum::<usize>(),
        Item::Mem { addr, value, .. } => val_c(*value) + (*addr != Addr::Shared { off: 0, from_end: false }) as usize,
        Item::Stack { push, extra_pop, .. } => push.len() + *extra_pop as usize,
        Item::Recurse { depth } => *depth as usize,
        Item::Leaf { reg_form } => *reg_form as usize,
        Item::GetSteps | Item::GetPid | Item::Yield | Item::UnknownSvc { .. } | Item::Open { .. } => 0,
        Item::Sleep { ms } => (*ms > 1) as usize,
        Item::Uart { len, buf, .. } => len.is_some() as usize + buf_c(*buf),
        Item::Bind { capacity, mode, .. } => (*capacity != 0) as usize + (*mode != 0) as usize,
        Item::Send { h, len, buf, flags, channel, .. } => {
            handle_c(*h) + len.is_some() as usize + buf_c(*buf) + (*flags != 0) as usize + (*channel != 0) as usize
        }
        Item::Recv { h, max, timeout, buf, info } => {
            handle_c(*h) + (*max != 0) as usize + (*timeout != 0) as usize + buf_c(*buf) + info.is_some() as usize
        }
        Item::Peek { h } | Item::Tap { h, .. } | Item::Close { h } => handle_c(*h),
    }
}

fn ending_c(e: &Ending) -> usize {
    match e {
        Ending::Ret { code } => val_c(*code) + matches!(code, Val::Imm(_)) as usize,
        Ending::Exit { code } => 2 + val_c(*code),
        Ending::Brk { .. }
        | Ending::Illegal { .. }
        | Ending::DivZero
        | Ending::Underflow
        | Ending::Overflow
        | Ending::MemFault
        | Ending::Protected
        | Ending::BlockForever
        | Ending::JmpEnd
        | Ending::TruncLdi32 => 4,
    }
}

/// The shrinker's secondary measure: how many fields differ from their simplest value.
pub(crate) fn complexity(case: &TestCase) -> usize {
    let settings =
        (case.slice != 1) as usize + (case.stack_size != DEFAULT_STACK_SIZE) as usize + (!case.protect) as usize;
    settings + case.tasks.iter().map(|t| ending_c(&t.ending) + t.items.iter().map(item_c).sum::<usize>()).sum::<usize>()
}
