//! Checkers of the run's flow: whether both sides can take each step (a stuck DUT,
//! quiescence, the executive's host-bus traffic, the DUT's table monitor) and the end
//! states once both stopped.

use super::step::slot_diff;
use super::{AdvanceCtx, Checker, EndCtx, Mismatch, Phases};
use crate::harness::console;
use crate::harness::side::StepFault;

/// A running DUT that retires nothing for `stuck_cycles` cycles, or cannot stop at a
/// step boundary at the end.
pub struct StuckCheck;

impl Checker for StuckCheck {
    fn name(&self) -> &'static str {
        "stuck"
    }
    fn phases(&self) -> Phases {
        Phases::ADVANCE | Phases::END
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(StuckCheck))
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        match cx.dut {
            Err(StepFault::Stuck { cycles, at }) => Some(Mismatch::new(
                self.name(),
                "retire",
                format!("a retire within {cycles} cycles"),
                format!("none (at cycle {at})"),
            )),
            Err(StepFault::TrapStorm { traps, at }) => Some(Mismatch::new(
                self.name(),
                "traps",
                format!("a retire within {traps} traps"),
                format!("none (at cycle {at})"),
            )),
            _ => None,
        }
    }
    fn check_end(&mut self, cx: &EndCtx<'_>) -> Option<Mismatch> {
        cx.halt_error.map(|e| Mismatch::new(self.name(), "halt", "the RTL stops at a step boundary", e))
    }
}

/// Both sides go quiescent at the same step.
pub struct QuiescenceCheck;

impl Checker for QuiescenceCheck {
    fn name(&self) -> &'static str {
        "quiescence"
    }
    fn phases(&self) -> Phases {
        Phases::ADVANCE
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(QuiescenceCheck))
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        match (cx.ref_rec, cx.dut) {
            (Some(e), Ok(None)) => Some(Mismatch::new(
                self.name(),
                "retire",
                format!("step {} of pid {}", e.step, e.pid),
                "the RTL went idle",
            )),
            (None, Ok(Some(r))) => Some(Mismatch::new(
                self.name(),
                "retire",
                "the reference is quiescent",
                format!("a retire of pid {} at pc 0x{:04x}", r.pid, r.pc),
            )),
            _ => None,
        }
    }
}

/// The executive's host-bus traffic (trap service) completes.
pub struct HostBusCheck;

impl Checker for HostBusCheck {
    fn name(&self) -> &'static str {
        "host-bus"
    }
    fn phases(&self) -> Phases {
        Phases::ADVANCE
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(HostBusCheck))
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        match cx.dut {
            Err(StepFault::HostBus(e)) => {
                Some(Mismatch::new(self.name(), "trap service", "the executive's bus traffic completes", e.as_str()))
            }
            _ => None,
        }
    }
}

/// No task-table or scheduler register change while an instruction is in flight (the
/// DUT's table monitor).
pub struct TableStability;

impl Checker for TableStability {
    fn name(&self) -> &'static str {
        "table-stability"
    }
    fn phases(&self) -> Phases {
        Phases::ADVANCE
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(TableStability))
    }
    fn check_advance(&mut self, cx: &AdvanceCtx<'_>) -> Option<Mismatch> {
        cx.table_violation.map(|c| {
            Mismatch::new(
                self.name(),
                "task table",
                "no task-table or scheduler register change while an instruction is in flight",
                format!("changed at cycle {c}"),
            )
        })
    }
}

/// At the end: outcome, consoles, mailbox state, exit codes, both data memories.
pub struct EndCheck;

impl Checker for EndCheck {
    fn name(&self) -> &'static str {
        "end"
    }
    fn phases(&self) -> Phases {
        Phases::END
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(EndCheck))
    }
    fn check_end(&mut self, cx: &EndCtx<'_>) -> Option<Mismatch> {
        if cx.halt_error.is_some() {
            return None;
        }
        let name = self.name();
        let m = |f: String, x: String, y: String| Some(Mismatch::new(name, f, x, y));
        let (eo, ao) = (cx.reference.end_outcome(), cx.dut.end_outcome());
        if eo != ao {
            return m("outcome".into(), eo.name().into(), ao.name().into());
        }
        let (rx, dx) = (cx.reference.executive(), cx.dut.executive());
        let refm = cx.reference.machine();
        for pid in 1..=refm.n_tasks() as u8 {
            for stream in vm_ref::exec::Stream::ALL {
                if let Some((at, [e, a])) = cx.consoles.difference(pid, stream) {
                    let field = match stream {
                        vm_ref::exec::Stream::Out => format!("console[{pid}]"),
                        vm_ref::exec::Stream::Err => format!("console[{pid}].err"),
                    };
                    return m(
                        field,
                        console::describe(rx.console_log(pid), e, at),
                        console::describe(dx.console_log(pid), a, at),
                    );
                }
            }
            if let Some((f, x, y)) = slot_diff(refm.slot(pid), &cx.dut.slot(pid)) {
                return m(format!("slot[{pid}].{f}"), x, y);
            }
        }
        let (em, am) = (rx.mailboxes(), dx.mailboxes());
        if em != am {
            let (f, x, y) = mailbox_diff(&em, &am).unwrap_or(("mailboxes".into(), "?".into(), "?".into()));
            return m(f, x, y);
        }
        let mut dut_mem = vec![0u8; isa::DATA_SIZE];
        cx.dut.read_data(&mut dut_mem);
        let ref_mem = &refm.dmem[..isa::DATA_SIZE];
        (0..isa::DATA_SIZE).find(|&i| ref_mem[i] != dut_mem[i]).and_then(|i| {
            m(format!("data[0x{i:04x}]"), format!("0x{:02x}", ref_mem[i]), format!("0x{:02x}", dut_mem[i]))
        })
    }
}

/// The first difference between two executives' mailbox tables, as (field, expected,
/// actual) in plain words.
pub fn mailbox_diff(
    e: &[vm_ref::exec::mailbox::MailboxInfo],
    a: &[vm_ref::exec::mailbox::MailboxInfo],
) -> Option<(String, String, String)> {
    if e.len() != a.len() {
        return Some(("mailboxes".into(), format!("{} mailboxes", e.len()), format!("{} mailboxes", a.len())));
    }
    let pids = |v: &[u8]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" ");
    let handles = |v: &[(u8, u16)]| v.iter().map(|(p, h)| format!("pid {p} handle {h}")).collect::<Vec<_>>().join(", ");
    for (x, y) in e.iter().zip(a) {
        let f = |n: &str| format!("mailbox[{}].{n}", x.target);
        let owner = |o: Option<u8>| o.map(|p| format!("pid {p}")).unwrap_or_else(|| "none".into());
        let fields = [
            (f("id"), x.id.to_string(), y.id.to_string()),
            (f("target"), x.target.clone(), y.target.clone()),
            (f("owner"), owner(x.owner), owner(y.owner)),
            (f("capacity"), x.capacity.to_string(), y.capacity.to_string()),
            (f("mode"), format!("0x{:x}", x.mode), format!("0x{:x}", y.mode)),
            (f("used"), x.used.to_string(), y.used.to_string()),
            (f("messages"), x.messages.len().to_string(), y.messages.len().to_string()),
            (f("waiters"), pids(&x.waiters), pids(&y.waiters)),
            (f("handles"), handles(&x.handles), handles(&y.handles)),
        ];
        if let Some(d) = fields.into_iter().find(|d| d.1 != d.2) {
            return Some(d);
        }
        if x != y {
            return Some((f("messages"), "(the queued messages differ)".into(), "(see report.json)".into()));
        }
    }
    None
}
