//! What the driver observes without clocking: the zero-time probe (the task table, the
//! machine registers, RAM words and windows read from the model's public variables, no
//! eval), the per-cycle write monitor (every data-RAM write, in order) and the task-table
//! stability monitor (in the C++ driver, or the monitor model's bound checker).

use isa::{Slot, TaskState, WaitKind};

use crate::{Globals, ObservedWrite, Rtl, SimError, SLOT_FIELDS};

impl Rtl {
    fn read(&self, h: i32, index: i32, width: u32) -> u64 {
        self.m.var_read(h, index, 0, width)
    }

    /// The task slot of `pid` (1..=n_tasks), from the task-table registers. A pid
    /// outside the table reads as an EMPTY default slot.
    pub fn probe_slot(&self, pid: u8) -> Slot {
        if pid == 0 || pid > self.n_tasks {
            return Slot::default();
        }
        let mut reqs = [0u64; SLOT_FIELDS];
        let mut raw = [0u64; SLOT_FIELDS];
        self.slot_reqs(pid, &mut reqs);
        self.m.var_read_batch(&reqs, &mut raw);
        slot_of_raw(&raw)
    }

    /// The `(handle, index)` requests for every field of `pid`'s slot.
    fn slot_reqs(&self, pid: u8, out: &mut [u64]) {
        let i = (self.slot_low + pid as i32 - 1) as u32 as u64;
        let v = &self.slot_vars;
        let hs = v.handles();
        for (o, h) in out.iter_mut().zip(hs) {
            *o = ((h as u32 as u64) << 32) | i;
        }
    }

    /// The raw state encoding of `pid`'s slot (for checking that it is a legal
    /// [`TaskState`]; [`probe_slot`](Rtl::probe_slot) maps an illegal one to EMPTY).
    pub fn probe_state_raw(&self, pid: u8) -> u8 {
        if pid == 0 || pid > self.n_tasks {
            return 0;
        }
        self.read(self.slot_vars.state, self.slot_low + pid as i32 - 1, 8) as u8
    }

    /// Every slot, `[pid 1, pid 2, …]`.
    pub fn probe_slots(&self) -> Vec<Slot> {
        let mut v = vec![];
        self.probe_slots_into(&mut v);
        v
    }

    /// [`probe_slots`](Rtl::probe_slots) into a caller-owned vector (the harness reads
    /// the table after every retire: no allocation per retire).
    pub fn probe_slots_into(&self, out: &mut Vec<Slot>) {
        // One FFI crossing for the whole table: each field is one Verilated array.
        let n = self.n_tasks as usize;
        let hs = self.slot_vars.handles();
        let mut raw = self.slot_raw.take();
        raw.resize(SLOT_FIELDS * n, 0);
        self.m.var_read_arrays(&hs, n as u32, &mut raw);
        out.clear();
        out.extend((0..n).map(|p| {
            let mut f = [0u64; SLOT_FIELDS];
            for (k, x) in f.iter_mut().enumerate() {
                *x = raw[k * n + p];
            }
            slot_of_raw(&f)
        }));
        self.slot_raw.set(raw);
    }

    /// The machine-wide registers.
    pub fn probe_globals(&self) -> Globals {
        let g = &self.globals;
        Globals {
            current: self.read(g.current, 0, 8) as u8,
            last_ran: self.read(g.last_ran, 0, 8) as u8,
            steps: self.read(g.steps, 0, 64),
            ticks: self.read(g.ticks, 0, 64),
            stack_region_lo: self.read(g.stack_region_lo, 0, 32) as u32,
            protect: self.read(g.protect, 0, 1) != 0,
        }
    }

    /// The data-RAM word containing byte `addr` (little-endian: byte `addr & !3` is
    /// bits 7:0).
    pub fn peek_data_word(&self, addr: u16) -> u32 {
        self.read(self.dmem.handle, self.dmem.low + (addr >> 2) as i32, 32) as u32
    }

    /// The code word containing byte `addr` (the big-endian word as a number: byte
    /// `addr & !3` is bits 31:24).
    pub fn peek_code_word(&self, addr: u16) -> u32 {
        self.read(self.cmem.handle, self.cmem.low + (addr >> 2) as i32, 32) as u32
    }

    /// The data RAM as bytes from address 0 (as many as `out` holds, at most 64 KiB).
    pub fn read_data_mem(&self, out: &mut [u8]) {
        let n = out.len().min(isa::DATA_SIZE);
        if n == isa::DATA_SIZE {
            self.m.var_dump(self.dmem.handle, out);
            return;
        }
        let mut all = vec![0u8; isa::DATA_SIZE];
        self.m.var_dump(self.dmem.handle, &mut all);
        out[..n].copy_from_slice(&all[..n]);
    }

    /// The data RAM, all 64 KiB.
    pub fn data_mem(&self) -> Vec<u8> {
        let mut v = vec![0u8; isa::DATA_SIZE];
        self.read_data_mem(&mut v);
        v
    }

    /// The code RAM as bytes from address 0 (big-endian words, as in code space).
    pub fn read_code_mem(&self, out: &mut [u8]) {
        let mut all = vec![0u8; isa::CODE_SIZE];
        self.m.var_dump(self.cmem.handle, &mut all);
        for w in all.chunks_exact_mut(4) {
            w.reverse(); // the dump is little-endian per word
        }
        let n = out.len().min(isa::CODE_SIZE);
        out[..n].copy_from_slice(&all[..n]);
    }

    /// The 16 registers of a window at `reg_base` (probe).
    pub fn peek_window(&self, reg_base: u32) -> [u32; 16] {
        let mut reqs = [0u64; 16];
        for (n, q) in reqs.iter_mut().enumerate() {
            let addr = (reg_base as u16).wrapping_add(4 * n as u16);
            *q = ((self.dmem.handle as u32 as u64) << 32) | (self.dmem.low + (addr >> 2) as i32) as u32 as u64;
        }
        let mut raw = [0u64; 16];
        self.m.var_read_batch(&reqs, &mut raw);
        raw.map(|v| v as u32)
    }

    /// `in_flight` now (probe): an instruction, or a step's timeout/pick phase, is in
    /// progress. `None` if the RTL does not expose it.
    pub fn probe_in_flight(&self) -> Option<bool> {
        (self.in_flight >= 0).then(|| self.read(self.in_flight, 0, 1) != 0)
    }

    /// `step_boundary` now (probe). `None` if the RTL does not expose it.
    pub fn probe_step_boundary(&self) -> Option<bool> {
        (self.step_boundary >= 0).then(|| self.read(self.step_boundary, 0, 1) != 0)
    }

    /// Whether the RTL exposes the data-RAM write port (else
    /// [`take_observed_writes`](Rtl::take_observed_writes) errs).
    pub fn write_monitor_available(&self) -> bool {
        self.monitor.is_ok()
    }

    /// Turn the per-cycle write monitor on (default, when available) or off (a little
    /// faster).
    pub fn set_write_monitor(&mut self, on: bool) {
        self.m.pin_mut().set_write_monitor(on);
    }

    /// Every data-RAM write committed since the last call (or reset), in order. The
    /// monitor keeps up to 65 536 writes between two calls; if it lost any, this returns
    /// [`SimError::WritesLost`] (and the recorded ones are dropped).
    pub fn take_observed_writes(&mut self) -> Result<Vec<ObservedWrite>, SimError> {
        let mut v = Vec::new();
        self.take_observed_writes_into(&mut v)?;
        Ok(v)
    }

    /// As [`take_observed_writes`](Rtl::take_observed_writes), appending to `out`
    /// (reuse one vector on a hot path).
    pub fn take_observed_writes_into(&mut self, out: &mut Vec<ObservedWrite>) -> Result<(), SimError> {
        if let Err(why) = &self.monitor {
            return Err(SimError::MonitorUnavailable { why: why.clone() });
        }
        self.scratch.clear();
        let lost = self.m.pin_mut().take_writes(&mut self.scratch);
        if lost != 0 {
            self.scratch.clear();
            return Err(SimError::WritesLost(lost));
        }
        out.extend(self.scratch.iter().map(|w| ObservedWrite {
            cycle: w.cycle,
            addr: w.addr,
            be: w.be,
            data: w.data,
            from_host: w.from_host,
        }));
        Ok(())
    }

    /// Turn the task-table stability monitor on or off (off by default: it costs a
    /// compare of the table on every cycle inside an instruction). Errors if the RTL does
    /// not expose `in_flight`.
    pub fn set_table_monitor(&mut self, on: bool) -> Result<(), SimError> {
        if on && !self.table_monitor {
            return Err(SimError::MonitorUnavailable {
                why: "the RTL exposes no `in_flight` signal for the table monitor".into(),
            });
        }
        self.m.pin_mut().set_table_monitor(on);
        Ok(())
    }

    /// The RTL cycle at which the task table (or `current`, `last_ran`, `steps`,
    /// `ticks`, `stack_region_lo`, `protect`) last changed while an instruction was in
    /// flight — not at a step boundary, a retire, a trap or a host-bus command — since the
    /// previous call; `None` if it never did.
    pub fn take_table_violation(&mut self) -> Option<u64> {
        match self.m.pin_mut().take_table_violation() {
            0 => None,
            c => Some(c),
        }
    }

    /// Corrupt the table monitor's next snapshot so that it must report a violation (a
    /// self-test of the monitor's comparison, used by the tests).
    pub fn table_monitor_self_test(&mut self) {
        self.m.pin_mut().table_monitor_self_test();
    }

    /// Make the table monitor treat the next retire edge inside an instruction as a
    /// mid-instruction edge, so that the changes every retire makes (pc, `steps`, …)
    /// must be reported: a self-test of its comparison of the table, used by the tests.
    pub fn table_monitor_no_exempt(&mut self) {
        self.m.pin_mut().table_monitor_no_exempt();
    }

    /// Whether this model checks the task-table stability rule inside the model (the
    /// monitor model's bound SystemVerilog checker) rather than by comparing snapshots of
    /// the table after every edge.
    pub fn table_monitor_in_model(&self) -> bool {
        self.m.table_monitor_in_model()
    }
}

/// A slot from its raw field values (state, pc, code_base, code_size, psw, sp, reg_base,
/// stack_limit, stack_top, slice, slice_used, wait, deadline valid, deadline,
/// accounted_steps, exit_code, fault), masked to the fields' widths.
pub(crate) fn slot_of_raw(r: &[u64]) -> Slot {
    let state = TaskState::from_u8((r[0] & 0xFF) as u8).unwrap_or(TaskState::Empty);
    Slot {
        state,
        pc: r[1] as u16,
        code_base: r[2] as u32,
        code_size: r[3] as u32,
        psw: (r[4] & 0xF) as u8,
        sp: r[5] as u32,
        reg_base: r[6] as u32,
        stack_limit: r[7] as u32,
        stack_top: r[8] as u32,
        slice: r[9] as u32,
        slice_used: r[10] as u32,
        wait: WaitKind::from_u8((r[11] & 0xFF) as u8).unwrap_or(WaitKind::None),
        deadline: (r[12] & 1 != 0).then_some(r[13]),
        accounted_steps: r[14],
        exit_code: (state == TaskState::Returned).then_some(r[15] as u32),
        fault: (state == TaskState::Faulted).then_some(r[16] as u32),
    }
}
