//! The lockstep's per-retire batch ([`Rtl::run_checked`]): one FFI crossing per retire
//! carries the retire record, the data-RAM writes observed since the previous retire, the
//! task-table stability monitor's verdict, the machine registers, the retiring task's
//! register window and only the task-table elements that changed (DiffTest's delta/batch
//! idea). What it returns is exactly what [`Rtl::run`] followed by
//! [`Rtl::take_observed_writes_into`], [`Rtl::take_table_violation`],
//! [`Rtl::probe_slots_into`], [`Rtl::probe_globals`] and [`Rtl::peek_window`] return;
//! an RTL that lacks one of the variables takes exactly that path.

use crate::ffi::bridge;
use crate::monitor::slot_of_raw;
use crate::{model, probe, Event, Globals, ObservedWrite, Rtl, SimError, SLOT_FIELDS};
use isa::{Retire, Slot};

/// Writes copied per crossing (a retire makes at most two; host-bus traffic of a trap
/// service between two retires can make more, which are drained with a second call).
const WRITE_BUF: usize = 64;

/// What [`Rtl::run_checked`] keeps between retires.
#[derive(Default)]
pub(crate) struct State {
    /// The C++ side bound the batch's variables (else the probes are used one by one).
    bound: bool,
    /// The raw task table as of the last retire (`n_tasks × SLOT_FIELDS`, slot-major):
    /// the C++ side compares the model with it and rewrites only what changed.
    raw: Vec<u64>,
    slots: Vec<Slot>,
    globals: Globals,
    window: [u32; 16],
    table_violation: Option<u64>,
    changed: u32,
    /// The event other than a retire the last call returned (taken at once).
    other: Option<Event>,
    writes_err: Option<SimError>,
    wbuf: Vec<bridge::ObsWrite>,
    out: bridge::CheckedOut,
    /// Run-ahead ([`Rtl::set_run_ahead`]): batches per crossing (0 or 1: one).
    ahead_max: usize,
    /// The last run-ahead crossing's batches, their writes and changed rows, and how far
    /// they have been handed out.
    many: Vec<bridge::CheckedOut>,
    many_writes: Vec<bridge::ObsWrite>,
    many_rows: Vec<u64>,
    many_len: usize,
    many_pos: usize,
    writes_at: usize,
    rows_at: usize,
}

/// Where [`Rtl::serve`] reads a batch from.
#[derive(Clone, Copy)]
enum Batch {
    /// `ck.out`, `ck.wbuf`, the changed slots' rows in `ck.raw`.
    One,
    /// `ck.many[i]`, its writes and changed rows from `writes_at`/`rows_at` on.
    Ahead(usize),
}

impl State {
    /// Bind the batch's variables in `rtl` (called once by [`Rtl::new`]).
    pub(crate) fn bind(mut rtl: Rtl) -> Rtl {
        let n = rtl.n_tasks as usize;
        let g = &rtl.globals;
        let globals = [g.current, g.last_ran, g.steps, g.ticks, g.stack_region_lo, g.protect];
        let table = rtl.slot_vars.handles();
        let reg_base = probe::slot::ALL.iter().position(|&s| s == probe::slot::REG_BASE).unwrap_or(0);
        let bound = rtl.monitor.is_ok() && rtl.m.pin_mut().bind_checked(&table, reg_base, &globals, rtl.dmem.handle);
        rtl.ck = State {
            bound,
            raw: vec![0; SLOT_FIELDS * n],
            slots: vec![Slot::default(); n],
            wbuf: vec![bridge::ObsWrite::default(); WRITE_BUF],
            ..State::default()
        };
        rtl
    }
}

impl Rtl {
    /// [`set_run`](Rtl::set_run)`(true)` and [`run`](Rtl::run) — the core runs to its next
    /// event — and on a retire, in the same crossing, what the lockstep checks
    /// after it: the writes observed since the previous call are appended to `writes`
    /// (as [`take_observed_writes_into`](Rtl::take_observed_writes_into); its error, if
    /// any, is kept for [`take_checked_writes_error`](Rtl::take_checked_writes_error)), and [`checked_slots`](Rtl::checked_slots),
    /// [`checked_globals`](Rtl::checked_globals),
    /// [`checked_table_violation`](Rtl::checked_table_violation) and
    /// [`checked_window`](Rtl::checked_window) describe the state after the retire.
    /// Any other event only clocks, like `run` (the writes stay queued).
    pub fn run_checked(&mut self, max_cycles: u64, writes: &mut Vec<ObservedWrite>) -> Event {
        let mut rec = Retire::default();
        match self.run_checked_into(max_cycles, writes, &mut rec) {
            None => Event::Retire(rec),
            Some(ev) => ev,
        }
    }

    /// [`run_checked`](Rtl::run_checked) with a retire written into `rec` (`None`) instead
    /// of returned in an [`Event::Retire`]; any other event is returned as it is. The record
    /// is built in place: the lockstep's hot path makes no copy of it.
    #[inline]
    pub fn run_checked_into(
        &mut self,
        max_cycles: u64,
        writes: &mut Vec<ObservedWrite>,
        rec: &mut Retire,
    ) -> Option<Event> {
        // (Only a flag comes back on the hot path: moving an `Option<Event>` out of a
        // callee copies a whole retire-sized value even when it is `None`.)
        let got = if self.ck.bound {
            self.run_batch(max_cycles, writes, rec)
        } else {
            self.run_checked_by_probes(max_cycles, writes, rec)
        };
        match got {
            Ok(true) => None,
            Ok(false) => {
                // Both paths leave the event there before they say `false`.
                debug_assert!(self.ck.other.is_some());
                self.ck.other.take()
            }
            Err(e) => {
                self.ck.writes_err = Some(e);
                None
            }
        }
    }

    /// The write monitor's failure (lost writes, no monitor) at the last retire
    /// [`run_checked`](Rtl::run_checked) returned; taking it clears it.
    pub fn take_checked_writes_error(&mut self) -> Option<SimError> {
        self.ck.writes_err.take()
    }

    /// Let [`run_checked`](Rtl::run_checked) retire up to `n` steps per FFI crossing (the
    /// lockstep's run-ahead; 0 or 1: one). The extra batches are kept and handed out, one
    /// per call, exactly as the calls one by one would have returned them — the model goes
    /// through the same cycles — but the model is then [`ahead`](Rtl::ahead) of the
    /// batch last returned: its probes, and anything that clocks or drives it, see the
    /// later state. A bound that does not fit the model's monitors is ignored (one).
    pub fn set_run_ahead(&mut self, n: usize) {
        let n = if self.ck.bound { n.clamp(1, 1024) } else { 1 };
        if n == self.ck.ahead_max {
            return;
        }
        self.ck.ahead_max = n;
        if n > self.ck.many.len() {
            let rows = SLOT_FIELDS * self.n_tasks as usize;
            self.ck.many.resize(n, bridge::CheckedOut::default());
            self.ck.many_writes.resize(4 * n + WRITE_BUF, bridge::ObsWrite::default());
            self.ck.many_rows.resize(rows * (n + 1), 0);
        }
    }

    /// Retires the model has made beyond the batch [`run_checked`](Rtl::run_checked) last
    /// returned (run-ahead, [`set_run_ahead`](Rtl::set_run_ahead)), counting a kept event
    /// that is not a retire.
    pub fn ahead(&self) -> usize {
        self.ck.many_len - self.ck.many_pos
    }

    /// Forget the kept batches (a reset: the model's state is new).
    pub(crate) fn drop_ahead(&mut self) {
        self.ck.many_len = 0;
        self.ck.many_pos = 0;
    }

    /// The batch: `Ok(true)` is a retire, in `rec`; `Ok(false)` another event, left in
    /// `ck.other`; `Err` a retire whose write log failed.
    fn run_batch(
        &mut self,
        max_cycles: u64,
        writes: &mut Vec<ObservedWrite>,
        rec: &mut Retire,
    ) -> Result<bool, SimError> {
        if self.ck.many_pos < self.ck.many_len {
            let i = self.ck.many_pos;
            self.ck.many_pos += 1;
            return self.serve(Batch::Ahead(i), writes, rec);
        }
        if self.ck.ahead_max > 1 {
            let ck = &mut self.ck;
            let n = ck.ahead_max;
            let got = self.m.pin_mut().run_checked_many(
                max_cycles,
                &mut ck.many_writes,
                &mut ck.raw,
                &mut ck.many_rows,
                &mut ck.many[..n],
            ) as usize;
            if got > 0 {
                (ck.many_len, ck.many_pos, ck.writes_at, ck.rows_at) = (got, 1, 0, 0);
                return self.serve(Batch::Ahead(0), writes, rec);
            }
        }
        let ck = &mut self.ck;
        self.m.pin_mut().run_checked(max_cycles, &mut ck.wbuf, &mut ck.raw, &mut ck.out);
        self.serve(Batch::One, writes, rec)
    }

    /// Hand out one batch (see [`run_batch`](Rtl::run_batch)).
    fn serve(&mut self, b: Batch, writes: &mut Vec<ObservedWrite>, rec: &mut Retire) -> Result<bool, SimError> {
        let State { out, wbuf, raw, many, many_writes, many_rows, writes_at, rows_at, slots, .. } = &mut self.ck;
        // The batch is read in place, field by field: a copy of the whole struct would read
        // with wide loads what the C++ side has just written with narrow stores.
        let (o, wb, rows): (&bridge::CheckedOut, &[bridge::ObsWrite], Option<&[u64]>) = match b {
            Batch::One => (out, wbuf, None),
            Batch::Ahead(i) => (&many[i], &many_writes[*writes_at..], Some(&many_rows[*rows_at..])),
        };
        if o.run.kind != 0 {
            self.ck.other = Some(model::event_from(&o.run));
            return Ok(false);
        }
        *rec = model::retire_of(&o.run.retire);
        self.last_retire_cycle = o.run.retire.cycle;
        self.last_retire_timed = o.run.retire.timed;
        let (lost, more) = (o.writes_lost, o.more_writes);
        if lost != 0 {
            // As take_observed_writes: what was recorded is dropped with the error.
            if more {
                self.scratch.clear();
                let _ = self.m.pin_mut().take_writes(&mut self.scratch);
            }
            return Err(SimError::WritesLost(lost));
        }
        let n_writes = o.n_writes as usize;
        writes.extend(wb[..n_writes].iter().map(observed));
        let mut bits = o.changed_slots;
        let mut next_row = 0;
        while bits != 0 {
            let p = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let row = match rows {
                None => &raw[p * SLOT_FIELDS..(p + 1) * SLOT_FIELDS],
                Some(r) => {
                    next_row += SLOT_FIELDS;
                    &r[next_row - SLOT_FIELDS..next_row]
                }
            };
            slots[p] = slot_of_raw(row);
        }
        let ck = &mut self.ck;
        let o = match b {
            Batch::One => &ck.out,
            Batch::Ahead(i) => {
                ck.writes_at += n_writes;
                ck.rows_at += next_row;
                &ck.many[i]
            }
        };
        ck.table_violation = (o.table_violation != 0).then_some(o.table_violation);
        ck.changed = o.changed_slots;
        ck.globals = Globals {
            current: o.current,
            last_ran: o.last_ran,
            steps: o.steps,
            ticks: o.ticks,
            stack_region_lo: o.stack_region_lo,
            protect: o.protect,
        };
        ck.window = o.window;
        if more {
            self.take_observed_writes_into(writes)?;
        }
        Ok(true)
    }

    /// [`run_checked`](Rtl::run_checked) for an RTL whose variables could not be bound
    /// for the batch: the same results from the individual probes.
    fn run_checked_by_probes(
        &mut self,
        max_cycles: u64,
        writes: &mut Vec<ObservedWrite>,
        rec: &mut Retire,
    ) -> Result<bool, SimError> {
        self.set_run(true);
        let ev = self.run(max_cycles);
        let Event::Retire(r) = ev else {
            self.ck.other = Some(ev);
            return Ok(false);
        };
        *rec = r;
        self.take_observed_writes_into(writes)?;
        let mut slots = std::mem::take(&mut self.ck.slots);
        self.probe_slots_into(&mut slots);
        self.ck.slots = slots;
        self.ck.changed = u32::MAX;
        self.ck.table_violation = self.take_table_violation();
        self.ck.globals = self.probe_globals();
        let own = (1..=self.n_tasks).contains(&r.pid).then(|| self.ck.slots[r.pid as usize - 1].reg_base);
        self.ck.window = own.map(|b| self.peek_window(b)).unwrap_or([0; 16]);
        Ok(true)
    }

    /// The task table as of the last retire [`run_checked`](Rtl::run_checked) returned.
    pub fn checked_slots(&self) -> &[Slot] {
        &self.ck.slots
    }

    /// Bit `p`: slot `p` (pid `p + 1`) changed at the last retire
    /// [`run_checked`](Rtl::run_checked) returned (all bits after a reset or the first
    /// retire).
    pub fn checked_changed_slots(&self) -> u32 {
        self.ck.changed
    }

    /// The machine registers as of the last retire [`run_checked`](Rtl::run_checked)
    /// returned.
    pub fn checked_globals(&self) -> Globals {
        self.ck.globals
    }

    /// The task-table stability violation drained at the last retire
    /// [`run_checked`](Rtl::run_checked) returned (as
    /// [`take_table_violation`](Rtl::take_table_violation)).
    pub fn checked_table_violation(&self) -> Option<u64> {
        self.ck.table_violation
    }

    /// The retiring task's register window (its slot's `reg_base`) as of the last retire
    /// [`run_checked`](Rtl::run_checked) returned.
    pub fn checked_window(&self) -> [u32; 16] {
        self.ck.window
    }
}

fn observed(w: &bridge::ObsWrite) -> ObservedWrite {
    ObservedWrite { cycle: w.cycle, addr: w.addr, be: w.be, data: w.data, from_host: w.from_host }
}
