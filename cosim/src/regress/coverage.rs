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

    /// Count one scheduler trace event (step events are not counted here).
    pub fn record_event(&mut self, kind: &EventKind, retire: &Retire) {
        let key: String = match kind {
            EventKind::Step { .. } | EventKind::Trap { .. } => return,
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
        };
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
    fn after_step(&mut self, ls: &Lockstep, r: &Retire, _cycle: u64) {
        let m = &ls.refs.machine;
        self.cov.record_retire(r);
        let total = m.trace.total();
        let new = total.saturating_sub(self.seen_events);
        if new > 0 {
            let mut got = 0u64;
            for ev in m.trace.since(self.seen_events) {
                self.cov.record_event(&ev.kind, r);
                got += 1;
            }
            if new > got {
                Coverage::bump(&mut self.cov.sched, "(trace overrun)", new - got);
            }
        }
        self.seen_events = total;
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
