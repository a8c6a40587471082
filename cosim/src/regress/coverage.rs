//! Functional coverage of a regression, collected on the reference side of every checked
//! step by an [`Observer`]: opcodes × outcome, fault codes, scheduler events and the
//! statuses mailbox SVCs return. Everything is kept in `BTreeMap`s, so merging per-case
//! coverage in case order gives the same summary whatever the thread interleaving.

use crate::harness::{Lockstep, Observer};
use isa::{Opcode, Retire, TaskState, TABLE};
use std::collections::BTreeMap;
use vm_ref::exec::mailbox::status;
use vm_ref::sched::{EventKind, WakeReason};

/// What one retire of an opcode did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpCount {
    /// Retired without a fault.
    pub retired: u64,
    /// Retired with a fault.
    pub faulted: u64,
}

/// Coverage counters (mergeable; serialised into `hsx regress --results` files).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    /// By opcode byte; decoded instructions only.
    pub opcodes: BTreeMap<u8, OpCount>,
    /// Retires with an undefined opcode byte (ILLEGAL).
    pub illegal: u64,
    /// Retires that fetched nothing (BAD_PC).
    pub no_fetch: u64,
    /// Fault code → count.
    pub faults: BTreeMap<u32, u64>,
    /// Scheduler event name (`rotate`, `pick`, `block:<why>`, `wake:<why>`, …) → count.
    pub sched: BTreeMap<String, u64>,
    /// `<FN>:<STATUS>` of mailbox SVCs → count (`RECV:blocked` when the call blocked; its
    /// status arrives later, at the wake-up).
    pub mailbox: BTreeMap<String, u64>,
    /// Cross: `<MNEMONIC>×<ok|FAULT>` → count ([`cross`] names the bins).
    #[serde(default)]
    pub op_fault: BTreeMap<String, u64>,
    /// Cross: `<event>×<live tasks>` → count (live: READY, RUNNING, BLOCKED or PAUSED
    /// when the event happens; a task that halts or faults counts itself).
    #[serde(default)]
    pub sched_live: BTreeMap<String, u64>,
    /// Cross: `slice <bucket>×<rotated|renewed>` → count: a slice ran out and the round
    /// robin went to another READY task, or found none and renewed the slice.
    #[serde(default)]
    pub slice_rot: BTreeMap<String, u64>,
}

impl Coverage {
    pub fn merge(&mut self, o: &Coverage) {
        for (k, v) in &o.opcodes {
            let e = self.opcodes.entry(*k).or_default();
            e.retired += v.retired;
            e.faulted += v.faulted;
        }
        self.illegal += o.illegal;
        self.no_fetch += o.no_fetch;
        for (k, v) in &o.faults {
            *self.faults.entry(*k).or_default() += v;
        }
        for (k, v) in &o.sched {
            *self.sched.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.mailbox {
            *self.mailbox.entry(k.clone()).or_default() += v;
        }
        for (mine, theirs) in [
            (&mut self.op_fault, &o.op_fault),
            (&mut self.sched_live, &o.sched_live),
            (&mut self.slice_rot, &o.slice_rot),
        ] {
            for (k, v) in theirs {
                *mine.entry(k.clone()).or_default() += v;
            }
        }
    }

    /// Count one reference retire.
    pub fn record_retire(&mut self, r: &Retire) {
        if let Some(code) = r.fault {
            *self.faults.entry(code).or_default() += 1;
        }
        if r.insn_len == 0 {
            self.no_fetch += 1;
            return;
        }
        let byte = (r.insn[0] >> 24) as u8;
        match Opcode::from_byte(byte) {
            Some(_) => {
                if let Some(row) = TABLE.iter().find(|row| row.opcode as u8 == byte) {
                    let outcome = match r.fault {
                        None => "ok".to_string(),
                        Some(c) => isa::fault::name(c).map(str::to_string).unwrap_or_else(|| format!("0x{c:08X}")),
                    };
                    Self::bump(&mut self.op_fault, format!("{}×{outcome}", row.mnemonic), 1);
                }
                let e = self.opcodes.entry(byte).or_default();
                if r.fault.is_some() {
                    e.faulted += 1;
                } else {
                    e.retired += 1;
                }
            }
            None => self.illegal += 1,
        }
    }

    fn bump(map: &mut BTreeMap<String, u64>, key: impl Into<String>, n: u64) {
        if n > 0 {
            *map.entry(key.into()).or_default() += n;
        }
    }

    /// Count one scheduler trace event with the number of live tasks (the cross).
    pub fn record_event_live(&mut self, kind: &EventKind, retire: &Retire, live_after: usize) {
        self.record_event(kind, retire);
        if let Some(ev) = event_name(kind, retire) {
            let live = live_after + usize::from(matches!(kind, EventKind::Halt { .. } | EventKind::Fault { .. }));
            Self::bump(&mut self.sched_live, format!("{ev}×{}", cross::live_bucket(live)), 1);
        }
    }

    /// Count one scheduler trace event (step events are not counted here).
    pub fn record_event(&mut self, kind: &EventKind, retire: &Retire) {
        let Some(key) = event_name(kind, retire) else { return };
        Self::bump(&mut self.sched, key, 1);
    }

    /// The coverage section of the summary.
    pub fn text(&self) -> String {
        let mut s = String::from("coverage: opcodes (retired / faulted)\n");
        let mut line = String::new();
        let mut unseen = vec![];
        for (i, row) in TABLE.iter().enumerate() {
            let c = self.opcodes.get(&(row.opcode as u8)).copied().unwrap_or_default();
            if c.retired == 0 && c.faulted == 0 {
                unseen.push(row.mnemonic);
            }
            line.push_str(&format!("  {:<6}{:>9}/{:<7}", row.mnemonic, c.retired, c.faulted));
            if i % 4 == 3 {
                s.push_str(line.trim_end());
                s.push('\n');
                line.clear();
            }
        }
        if !line.is_empty() {
            s.push_str(line.trim_end());
            s.push('\n');
        }
        s.push_str(&format!("  (illegal opcode byte: {}, no fetch: {})\n", self.illegal, self.no_fetch));
        let covered = TABLE.len() - unseen.len();
        s.push_str(&format!("  opcodes seen: {covered}/{}", TABLE.len()));
        if !unseen.is_empty() {
            s.push_str(&format!("; never retired: {}", unseen.join(" ")));
        }
        s.push('\n');
        s.push_str("coverage: faults\n");
        let mut unseen_f = vec![];
        for (name, code) in isa::fault::ALL {
            match self.faults.get(code) {
                Some(n) => s.push_str(&format!("  {name:<18} {n}\n")),
                None => unseen_f.push(*name),
            }
        }
        for (code, n) in &self.faults {
            if !isa::fault::ALL.iter().any(|(_, c)| c == code) {
                s.push_str(&format!("  0x{code:08X}         {n}\n"));
            }
        }
        if !unseen_f.is_empty() {
            s.push_str(&format!("  never seen: {}\n", unseen_f.join(" ")));
        }
        s.push_str("coverage: scheduler events\n");
        for (k, v) in &self.sched {
            s.push_str(&format!("  {k:<18} {v}\n"));
        }
        s.push_str("coverage: mailbox SVC statuses\n");
        for (k, v) in &self.mailbox {
            s.push_str(&format!("  {k:<26} {v}\n"));
        }
        s.push_str(&cross::text(self));
        s
    }
}

/// The name of a scheduler event in the coverage tables (`None`: not counted).
fn event_name(kind: &EventKind, retire: &Retire) -> Option<String> {
    Some(match kind {
        EventKind::Step { .. } | EventKind::Trap { .. } => return None,
        EventKind::Rotate { .. } => "rotate".into(),
        EventKind::Block { reason } => format!("block:{}", reason.name()),
        EventKind::Wake { reason } => format!("wake:{}", wake_name(*reason)),
        EventKind::Pause { brk: Some(_) } => "pause:brk".into(),
        EventKind::Pause { brk: None } => "pause:host".into(),
        EventKind::Halt { .. } => {
            if retire.trap == Some((isa::svc::MOD_TASK, isa::svc::FN_EXIT)) {
                "halt:exit".into()
            } else {
                "halt:return".into()
            }
        }
        EventKind::Fault { .. } => "fault".into(),
    })
}

/// The functional cross-coverage bins: every bin the machine can reach, and the bins it
/// cannot with why (docs/coverage.md). The summary lists the reachable bins never hit.
pub mod cross {
    use super::Coverage;
    use isa::TABLE;

    /// Faults an instruction itself raises (docs/manual/isa.md, "faults it raises";
    /// BAD_PC of an unfetchable PC and ILLEGAL are not an opcode's).
    pub fn own_faults(mnemonic: &str) -> &'static [&'static str] {
        match mnemonic {
            "LD" | "ST" | "LDH" | "STH" => &["MEM_FAULT", "ACCESS_VIOLATION"],
            "LDB" | "STB" => &["ACCESS_VIOLATION"],
            "DIV" => &["DIV_ZERO"],
            "CALL" | "PUSH" => &["STACK_OVERFLOW"],
            "RET" | "POP" => &["STACK_UNDERFLOW"],
            "LDI32" => &["BAD_PC"],
            _ => &[],
        }
    }

    /// Bins of the opcode × fault cross that cannot be hit, with why.
    pub const OP_FAULT_UNREACHABLE: &[(&str, &str)] = &[(
        "RET×STACK_UNDERFLOW",
        "SP only moves in steps of 4 from the 4-aligned stack_top (PUSH, POP, CALL, RET), so \
         SP ≠ stack_top implies SP + 4 ≤ stack_top: RET's underflow check cannot fire",
    )];

    /// Scheduler events of the event × live-tasks cross.
    pub const EVENTS: &[&str] = &[
        "rotate",
        "block:mailbox",
        "block:sleep",
        "wake:mailbox",
        "wake:sleep",
        "wake:timeout",
        "pause:brk",
        "halt:exit",
        "halt:return",
        "fault",
    ];

    /// Live-task buckets.
    pub const LIVE: &[&str] = &["1", "2", "3", "4+"];

    pub fn live_bucket(n: usize) -> &'static str {
        match n {
            0 | 1 => "1",
            2 => "2",
            3 => "3",
            _ => "4+",
        }
    }

    /// Bins of the event × live-tasks cross that cannot be hit, with why.
    pub const SCHED_UNREACHABLE: &[(&str, &str)] = &[
        ("rotate×1", "a rotation needs another READY task"),
        (
            "wake:mailbox×1",
            "a mailbox wake-up is another task's SEND (the host sends nothing during a lockstep run): \
             the sender is live too",
        ),
    ];

    /// Slice-length buckets (`--slice` and the generator's 1..8).
    pub const SLICES: &[&str] = &["1", "2", "3-4", "5-8"];

    pub fn slice_bucket(n: u32) -> &'static str {
        match n {
            0 | 1 => "1",
            2 => "2",
            3 | 4 => "3-4",
            5..=8 => "5-8",
            _ => "9+",
        }
    }

    /// Outcomes of a slice running out.
    pub const ROTATION: &[&str] = &["rotated", "renewed"];

    /// Mailbox SVC × status bins (docs/manual/executive.md "Calls", "Status codes",
    /// "Ownership"); `RECV:TIMEOUT` arrives at the wake-up (`wake:timeout`).
    pub const MAILBOX: &[(&str, &[&str])] = &[
        ("OPEN", &["OK", "INTERNAL_ERROR", "NO_DESCRIPTOR"]),
        ("BIND", &["OK", "INTERNAL_ERROR", "PERMISSION", "NO_DESCRIPTOR"]),
        ("SEND", &["OK", "INVALID_HANDLE", "WOULDBLOCK", "MSG_TOO_LARGE", "INTERNAL_ERROR"]),
        ("RECV", &["OK", "INVALID_HANDLE", "PERMISSION", "NO_DATA", "INTERNAL_ERROR", "blocked", "TIMEOUT"]),
        ("PEEK", &["OK", "INVALID_HANDLE", "PERMISSION"]),
        ("TAP", &["OK", "INVALID_HANDLE", "PERMISSION"]),
        ("CLOSE", &["OK", "INVALID_HANDLE"]),
    ];

    /// Every reachable bin of the four crosses with its count, in table order.
    pub fn bins(c: &Coverage) -> Vec<(&'static str, String, u64)> {
        let mut v = vec![];
        for row in TABLE.iter() {
            for f in std::iter::once(&"ok").chain(own_faults(row.mnemonic)) {
                let k = format!("{}×{f}", row.mnemonic);
                if OP_FAULT_UNREACHABLE.iter().any(|(u, _)| *u == k) {
                    continue;
                }
                let n = c.op_fault.get(&k).copied().unwrap_or(0);
                v.push(("opcode × fault", k, n));
            }
        }
        for (f, statuses) in MAILBOX {
            for st in *statuses {
                let k = format!("{f}:{st}");
                let n = if k == "RECV:TIMEOUT" {
                    c.sched.get("wake:timeout").copied().unwrap_or(0)
                } else {
                    c.mailbox.get(&k).copied().unwrap_or(0)
                };
                v.push(("SVC × status", k, n));
            }
        }
        for ev in EVENTS {
            for l in LIVE {
                let k = format!("{ev}×{l}");
                if SCHED_UNREACHABLE.iter().any(|(u, _)| *u == k) {
                    continue;
                }
                v.push(("event × live tasks", k.clone(), c.sched_live.get(&k).copied().unwrap_or(0)));
            }
        }
        for sl in SLICES {
            for r in ROTATION {
                let k = format!("slice {sl}×{r}");
                v.push(("slice × rotation", k.clone(), c.slice_rot.get(&k).copied().unwrap_or(0)));
            }
        }
        v
    }

    /// The cross-coverage section of the summary: per cross, bins hit of reachable, the
    /// empty bins by name, and the unreachable bins with why.
    pub fn text(c: &Coverage) -> String {
        let bins = bins(c);
        let mut s = String::from("coverage: functional crosses (bins hit / reachable bins)\n");
        for cross in ["opcode × fault", "SVC × status", "event × live tasks", "slice × rotation"] {
            let mine: Vec<_> = bins.iter().filter(|b| b.0 == cross).collect();
            let hit = mine.iter().filter(|b| b.2 > 0).count();
            s.push_str(&format!("  {cross:<20} {hit}/{}", mine.len()));
            let empty: Vec<&str> = mine.iter().filter(|b| b.2 == 0).map(|b| b.1.as_str()).collect();
            if empty.is_empty() {
                s.push('\n');
            } else {
                s.push_str(&format!("; empty: {}\n", empty.join(" ")));
            }
        }
        let unreachable: Vec<&str> = OP_FAULT_UNREACHABLE.iter().chain(SCHED_UNREACHABLE).map(|(k, _)| *k).collect();
        s.push_str(&format!("  unreachable (docs/coverage.md): {}\n", unreachable.join(" ")));
        // A bin argued unreachable that was hit: the argument (or a model) is wrong.
        for k in &unreachable {
            let n = c.op_fault.get(*k).or_else(|| c.sched_live.get(*k)).copied().unwrap_or(0);
            if n > 0 {
                s.push_str(&format!("  UNREACHABLE BIN HIT: {k} ({n} times)\n"));
            }
        }
        s
    }
}

fn wake_name(r: WakeReason) -> &'static str {
    r.name()
}

/// The mailbox function name of `fn`.
pub fn mailbox_fn_name(f: u8) -> String {
    use isa::svc::*;
    match f {
        FN_MB_OPEN => "OPEN".into(),
        FN_MB_BIND => "BIND".into(),
        FN_MB_SEND => "SEND".into(),
        FN_MB_RECV => "RECV".into(),
        FN_MB_PEEK => "PEEK".into(),
        FN_MB_TAP => "TAP".into(),
        FN_MB_CLOSE => "CLOSE".into(),
        other => format!("fn0x{other:02X}"),
    }
}

/// The name of a mailbox status code.
pub fn status_name(s: u32) -> String {
    match s {
        status::OK => "OK".into(),
        status::WOULDBLOCK => "WOULDBLOCK".into(),
        status::INVALID_HANDLE => "INVALID_HANDLE".into(),
        status::NO_DATA => "NO_DATA".into(),
        status::MSG_TOO_LARGE => "MSG_TOO_LARGE".into(),
        status::NO_DESCRIPTOR => "NO_DESCRIPTOR".into(),
        status::PERMISSION => "PERMISSION".into(),
        status::TIMEOUT => "TIMEOUT".into(),
        status::INTERNAL_ERROR => "INTERNAL_ERROR".into(),
        isa::fault::ENOSYS => "ENOSYS".into(),
        other => format!("0x{other:X}"),
    }
}

/// The observer that fills a [`Coverage`] during a lockstep run.
#[derive(Debug, Default)]
pub struct CoverageObserver {
    pub cov: Coverage,
    /// Trace-ring events already counted.
    seen_events: u64,
    /// Sum of the `scheduled_in` counters already counted.
    seen_picks: u64,
}

impl Observer for CoverageObserver {
    fn reads_dut(&self) -> bool {
        false
    }
    fn after_step(&mut self, ls: &Lockstep, r: &Retire, _cycle: u64) {
        let m = &ls.reference().machine;
        self.cov.record_retire(r);
        let total = m.trace.total();
        let new = total.saturating_sub(self.seen_events);
        let live = (1..=m.n_tasks() as u8)
            .filter(|&p| {
                matches!(
                    m.slot(p).state,
                    TaskState::Ready | TaskState::Running | TaskState::Blocked | TaskState::Paused
                )
            })
            .count();
        let mut rotated = false;
        if new > 0 {
            let mut got = 0u64;
            for ev in m.trace.since(self.seen_events) {
                if let vm_ref::sched::EventKind::Rotate { from, .. } = ev.kind {
                    rotated = true;
                    if from >= 1 && (from as usize) <= m.n_tasks() {
                        let b = cross::slice_bucket(m.slot(from).slice);
                        Coverage::bump(&mut self.cov.slice_rot, format!("slice {b}×rotated"), 1);
                    }
                }
                self.cov.record_event_live(&ev.kind, r, live);
                got += 1;
            }
            if new > got {
                Coverage::bump(&mut self.cov.sched, "(trace overrun)", new - got);
            }
        }
        self.seen_events = total;
        // A slice that ran out with no other READY task is renewed: the task keeps running
        // with slice_used back at 0 (a step always leaves it ≥ 1 otherwise).
        if !rotated && r.pid >= 1 && (r.pid as usize) <= m.n_tasks() {
            let s = m.slot(r.pid);
            if s.state == TaskState::Running && s.slice_used == 0 {
                let b = cross::slice_bucket(s.slice);
                Coverage::bump(&mut self.cov.slice_rot, format!("slice {b}×renewed"), 1);
            }
        }
        let picks: u64 = m.counters.iter().map(|c| c.scheduled_in).sum();
        Coverage::bump(&mut self.cov.sched, "pick", picks.saturating_sub(self.seen_picks));
        self.seen_picks = picks;
        if let Some((md, f)) = r.trap {
            if md == isa::svc::MOD_MAILBOX && r.pid >= 1 && (r.pid as usize) <= m.n_tasks() {
                let key = if m.slot(r.pid).state == TaskState::Blocked {
                    format!("{}:blocked", mailbox_fn_name(f))
                } else {
                    format!("{}:{}", mailbox_fn_name(f), status_name(m.reg(r.pid, 0)))
                };
                Coverage::bump(&mut self.cov.mailbox, key, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retire(word: u32, len: u8, fault: Option<u32>) -> Retire {
        Retire { insn: [word, 0], insn_len: len, fault, ..Retire::default() }
    }

    #[test]
    fn retires_are_counted_by_opcode_and_outcome() {
        let mut c = Coverage::default();
        c.record_retire(&retire((Opcode::Add as u32) << 24, 1, None));
        c.record_retire(&retire((Opcode::Add as u32) << 24, 1, None));
        c.record_retire(&retire((Opcode::Div as u32) << 24, 1, Some(isa::fault::DIV_ZERO)));
        c.record_retire(&retire(0xEE00_0000, 1, Some(isa::fault::ILLEGAL)));
        c.record_retire(&retire(0, 0, Some(isa::fault::BAD_PC)));
        assert_eq!(c.opcodes[&(Opcode::Add as u8)], OpCount { retired: 2, faulted: 0 });
        assert_eq!(c.opcodes[&(Opcode::Div as u8)], OpCount { retired: 0, faulted: 1 });
        assert_eq!((c.illegal, c.no_fetch), (1, 1));
        assert_eq!(c.faults[&isa::fault::DIV_ZERO], 1);
        assert_eq!(c.faults[&isa::fault::BAD_PC], 1);
        let t = c.text();
        assert!(t.contains("DIV_ZERO"), "{t}");
        assert!(t.contains("never retired:"), "{t}");
    }

    #[test]
    fn merge_adds_everything() {
        let mut a = Coverage::default();
        a.record_retire(&retire((Opcode::Mul as u32) << 24, 1, None));
        a.record_event(&EventKind::Rotate { from: 1, to: 2 }, &Retire::default());
        let mut b = a.clone();
        b.record_event(&EventKind::Wake { reason: WakeReason::Timeout }, &Retire::default());
        b.merge(&a);
        assert_eq!(b.opcodes[&(Opcode::Mul as u8)].retired, 2);
        assert_eq!(b.sched["rotate"], 2);
        assert_eq!(b.sched["wake:timeout"], 1);
    }

    #[test]
    fn crosses_list_empty_bins_and_flag_unreachable_ones_that_were_hit() {
        let mut c = Coverage::default();
        c.record_retire(&retire((Opcode::Div as u32) << 24, 1, Some(isa::fault::DIV_ZERO)));
        c.record_retire(&retire((Opcode::Div as u32) << 24, 1, None));
        assert_eq!(c.op_fault["DIV×DIV_ZERO"], 1);
        assert_eq!(c.op_fault["DIV×ok"], 1);
        c.record_event_live(&EventKind::Halt { code: 0 }, &Retire::default(), 1);
        assert_eq!(c.sched_live["halt:return×2"], 1, "a halting task counts itself");
        let t = cross::text(&c);
        assert!(t.contains("opcode × fault       2/"), "{t}");
        assert!(t.contains("empty: LDI×ok"), "{t}");
        assert!(!t.contains("DIV×DIV_ZERO "), "{t}");
        assert!(!t.contains("UNREACHABLE BIN HIT"), "{t}");
        c.record_event_live(&EventKind::Rotate { from: 1, to: 2 }, &Retire::default(), 1);
        let t = cross::text(&c);
        assert!(t.contains("UNREACHABLE BIN HIT: rotate×1 (1 times)"), "{t}");
        // Every bin of the four crosses is named once.
        let bins = cross::bins(&c);
        let mut names: Vec<&String> = bins.iter().map(|b| &b.1).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), bins.len());
    }

    #[test]
    fn halt_by_exit_svc_and_by_return_differ() {
        let mut c = Coverage::default();
        let exit = Retire { trap: Some((isa::svc::MOD_TASK, isa::svc::FN_EXIT)), ..Retire::default() };
        c.record_event(&EventKind::Halt { code: 0 }, &exit);
        c.record_event(&EventKind::Halt { code: 0 }, &Retire::default());
        c.record_event(&EventKind::Halt { code: 0 }, &Retire::default());
        assert_eq!(c.sched["halt:exit"], 1);
        assert_eq!(c.sched["halt:return"], 2);
        assert_eq!(status_name(status::TIMEOUT), "TIMEOUT");
        assert_eq!(mailbox_fn_name(isa::svc::FN_MB_RECV), "RECV");
    }
}
