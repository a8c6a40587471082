//! The model itself: building one Verilated `hsx_top` and binding what the driver reads
//! ([`Rtl::new`]), reset, the clock ([`Rtl::tick`], [`Rtl::run`] and the [`Event`]s it
//! returns), run control, the trap handshake, cycle and timed-cycle counts, and the
//! coverage model's counters.

use std::path::Path;

use isa::{MemWrite, Retire};

use crate::ffi::bridge;
use crate::{checked, ctrl, probe, Event, Mem, Rtl, RtlOptions, SimError, Trap, TrapCause, RESET_CYCLES, SLOT_FIELDS};

impl Rtl {
    /// Build the model and reset it (`rst_ni` low for [`RESET_CYCLES`] cycles). After
    /// `new`, [`cycles`](Rtl::cycles) is 0 and `run_i` is low (stopped).
    pub fn new(opts: RtlOptions) -> Result<Rtl, SimError> {
        if opts.coverage && opts.mutant != 0 {
            return Err(SimError::CoverageMutant(opts.mutant));
        }
        let mut m = if opts.coverage {
            bridge::new_cov_model()
        } else {
            bridge::new_model(opts.mutant, opts.monitors, opts.trace)
        };
        if m.is_null() {
            return Err(SimError::Model);
        }
        let mut bind = |name: &str, array: bool| -> Result<i32, SimError> {
            let h = m.pin_mut().bind_var(name, array);
            if h < 0 {
                let mut avail: Vec<String> = m.public_vars().into_iter().map(|s| s.to_string()).collect();
                avail.sort();
                return Err(SimError::ProbeMissing { name: name.to_string(), available: avail.join(", ") });
            }
            Ok(h)
        };
        let dmem = bind(probe::DMEM, true)?;
        let cmem = bind(probe::CMEM, true)?;
        let mut sh = [0i32; 17];
        for (h, name) in sh.iter_mut().zip(probe::slot::ALL) {
            *h = bind(name, true)?;
        }
        let globals = probe::GlobalVars {
            current: bind(probe::global::CURRENT, false)?,
            last_ran: bind(probe::global::LAST_RAN, false)?,
            steps: bind(probe::global::STEPS, false)?,
            ticks: bind(probe::global::TICKS, false)?,
            stack_region_lo: bind(probe::global::STACK_REGION_LO, false)?,
            protect: bind(probe::global::PROTECT, false)?,
        };
        let slot_vars = probe::SlotVars::from_handles(sh);

        // Shapes.
        let mem_of = |m: &bridge::RtlModel, h: i32, name: &str| -> Result<Mem, SimError> {
            let i = m.var_info(h);
            if i.udims != 1 || i.width != 32 || i.uhigh - i.ulow + 1 != 16384 {
                return Err(SimError::ProbeShape {
                    name: name.into(),
                    why: format!("want 16384 words of 32 bits, found {} x {} bits", i.uhigh - i.ulow + 1, i.width),
                });
            }
            Ok(Mem { handle: h, low: i.ulow })
        };
        let dmem = mem_of(&m, dmem, probe::DMEM)?;
        let cmem = mem_of(&m, cmem, probe::CMEM)?;
        let si = m.var_info(slot_vars.state);
        if si.udims != 1 || si.uhigh < si.ulow {
            return Err(SimError::ProbeShape {
                name: probe::slot::STATE.into(),
                why: "not a one-dimensional array".into(),
            });
        }
        let n_tasks = (si.uhigh - si.ulow + 1) as usize;
        if !(1..=isa::MAX_TASKS).contains(&n_tasks) {
            return Err(SimError::ProbeShape {
                name: probe::slot::STATE.into(),
                why: format!("{n_tasks} slots (want 1..={})", isa::MAX_TASKS),
            });
        }
        for (name, h) in probe::slot::ALL.iter().zip(sh) {
            let i = m.var_info(h);
            if i.udims != 1 || i.ulow != si.ulow || i.uhigh != si.uhigh || i.width > 64 {
                return Err(SimError::ProbeShape {
                    name: name.to_string(),
                    why: format!("want [{}:{}] of at most 64 bits like the state array", si.ulow, si.uhigh),
                });
            }
        }

        // The write monitor is optional: without its signals, take_observed_writes errs.
        let monitor = (|| -> Result<(), String> {
            let mut hs = [0i32; 6];
            let names = [
                probe::wport::REQ,
                probe::wport::WE,
                probe::wport::ADDR,
                probe::wport::BE,
                probe::wport::DATA,
                probe::wport::SRC,
            ];
            for (h, n) in hs.iter_mut().zip(names) {
                *h = m.pin_mut().bind_var(n, false);
                if *h < 0 {
                    return Err(format!("no public variable `{n}`"));
                }
            }
            if m.pin_mut().bind_write_monitor(
                hs[0],
                hs[1],
                hs[2],
                probe::wport::ADDR_IS_WORD,
                hs[3],
                hs[4],
                hs[5],
                probe::wport::SRC_HOST,
            ) {
                Ok(())
            } else {
                Err("the write-port signals are not scalars of at most 64 bits".into())
            }
        })();

        // Optional per-cycle status signals.
        let timing_skip = m.pin_mut().bind_var(probe::cycle::TIMING_SKIP, false);
        let timing = timing_skip >= 0 && m.pin_mut().bind_timing_skip(timing_skip);
        let in_flight = m.pin_mut().bind_var(probe::cycle::IN_FLIGHT, false);
        let step_boundary = m.pin_mut().bind_var(probe::cycle::STEP_BOUNDARY, false);
        let table_monitor = {
            let v = &slot_vars;
            let g = &globals;
            let mut hs = v.handles().to_vec();
            hs.extend([g.current, g.last_ran, g.steps, g.ticks, g.stack_region_lo, g.protect]);
            in_flight >= 0 && m.pin_mut().bind_table_monitor(&hs, in_flight)
        };

        Ok(checked::State::bind(Rtl {
            m,
            table_monitor,
            timing,
            in_flight,
            step_boundary,
            last_retire_timed: 0,
            opts,
            n_tasks: n_tasks as u8,
            dmem,
            cmem,
            slot_vars,
            slot_low: si.ulow,
            globals,
            monitor,
            last_retire_cycle: 0,
            bus_error: None,
            scratch: Vec::new(),
            slot_raw: std::cell::Cell::new(vec![0; SLOT_FIELDS * n_tasks]),
            ck: checked::State::default(),
        }))
    }

    /// The options the model was built with.
    pub fn options(&self) -> RtlOptions {
        self.opts
    }

    /// Clock with one model evaluation per cycle where the falling edge has nothing to
    /// evaluate (no VCD open, no input changed since the last evaluation; the default), or
    /// always with two (`false`: clock low + eval, clock high + eval). Both give the same
    /// cycles, retires and observed writes; the switch exists to show that.
    pub fn set_fast_edges(&mut self, on: bool) {
        self.m.pin_mut().set_fast_edges(on);
    }

    /// Task slots of the design (`NTasks`); pids are `1..=n_tasks`.
    pub fn n_tasks(&self) -> u8 {
        self.n_tasks
    }

    /// Verilator's version string (of the runtime linked in).
    pub fn verilator_version() -> String {
        bridge::verilator_version()
    }

    /// Reset again: `rst_ni` low for [`RESET_CYCLES`] cycles with every input idle;
    /// `run_i` low afterwards, the cycle counter 0, queued retires and observed writes
    /// dropped, an open VCD closed (its time axis would restart).
    pub fn reset(&mut self) {
        self.m.pin_mut().reset(RESET_CYCLES);
        self.drop_ahead();
        self.last_retire_cycle = 0;
        self.last_retire_timed = 0;
        self.bus_error = None;
    }

    /// Clock cycles since the end of reset.
    pub fn cycles(&self) -> u64 {
        self.m.cycles()
    }

    /// Clock `n` cycles with the inputs as they are. Retire records seen meanwhile are
    /// queued (up to 1024; see [`retires_lost`](Rtl::retires_lost)) and returned by the
    /// next [`run`](Rtl::run) calls.
    pub fn tick(&mut self, n: u64) {
        self.m.pin_mut().tick(n);
    }

    /// Drive `run_i` (no clock): `false` stops the core at the next step boundary.
    pub fn set_run(&mut self, run: bool) {
        self.m.pin_mut().set_run(run);
    }

    /// The current value of `run_i`.
    pub fn running(&self) -> bool {
        self.m.get_run()
    }

    /// Clock until something happens, at most `max_cycles` cycles (one FFI crossing):
    ///
    /// 1. a retire record queued earlier (by [`tick`](Rtl::tick), a host-bus access or
    ///    [`trap_ack`](Rtl::trap_ack)) is returned first, without clocking;
    /// 2. a pending trap (`trap_o` high) is returned without clocking — so until it is
    ///    acknowledged, every call returns it again;
    /// 3. otherwise clock; after each rising edge stop on a retire (`rvfi_valid_o`), a
    ///    trap, `halted_o` while `run_i` is low ([`Event::Halted`]), or `idle_o`
    ///    ([`Event::Idle`]); [`Event::CycleLimit`] when the budget is spent.
    pub fn run(&mut self, max_cycles: u64) -> Event {
        let o = self.m.pin_mut().run(max_cycles);
        self.event_of(&o)
    }

    /// The [`Event`] of what the C++ `run` returned (noting a retire's cycles).
    pub(crate) fn event_of(&mut self, o: &bridge::RunOut) -> Event {
        if o.kind == 0 {
            self.last_retire_cycle = o.retire.cycle;
            self.last_retire_timed = o.retire.timed;
        }
        event_from(o)
    }
}

/// The event of a [`bridge::RunOut`] ([`Rtl::event_of`] without noting the retire's cycle).
pub(crate) fn event_from(o: &bridge::RunOut) -> Event {
    match o.kind {
        0 => Event::Retire(retire_of(&o.retire)),
        1 => Event::Trap(Trap {
            cause: match o.trap.cause {
                ctrl::trap_cause::SVC => TrapCause::Svc,
                ctrl::trap_cause::TIMEOUT => TrapCause::Timeout,
                c => TrapCause::Unknown(c),
            },
            pid: o.trap.pid,
            module: o.trap.module,
            func: o.trap.func,
            pc: o.trap.pc,
        }),
        2 => Event::Idle,
        3 => Event::Halted,
        _ => Event::CycleLimit,
    }
}

impl Rtl {
    /// The cycle in which the retire record last returned by [`run`](Rtl::run) was valid
    /// on the retire port.
    pub fn last_retire_cycle(&self) -> u64 {
        self.last_retire_cycle
    }

    /// Cycles since reset that count for the timing table: every cycle except those
    /// the RTL marks with `timing_skip` (waiting on the host bus or on trap service;
    /// docs/timing.md). Without that signal, equal to [`cycles`](Rtl::cycles).
    pub fn timed_cycles(&self) -> u64 {
        self.m.timed_cycles()
    }

    /// [`timed_cycles`](Rtl::timed_cycles) at the retire last returned by
    /// [`run`](Rtl::run): the difference between two retires is what `--check-timing`
    /// compares with the timing table.
    pub fn last_retire_timed_cycle(&self) -> u64 {
        self.last_retire_timed
    }

    /// Whether the RTL exposes `timing_skip` (else timed cycles are all cycles).
    pub fn has_timing_signal(&self) -> bool {
        self.timing
    }

    /// Retire records dropped because the queue (1024) was full (only [`tick`](Rtl::tick)
    /// with a running core can fill it).
    pub fn retires_lost(&self) -> u64 {
        self.m.retires_lost()
    }

    /// Retire records seen but not yet returned by [`run`](Rtl::run).
    pub fn retires_queued(&self) -> usize {
        self.m.retires_queued()
    }

    /// Pulse `trap_ack_i` for one cycle.
    pub fn trap_ack(&mut self) {
        self.m.pin_mut().trap_ack();
    }

    /// `trap_o` now (no clock).
    pub fn trap_pending(&self) -> bool {
        self.m.trap_pending()
    }

    /// `halted_o` now (no clock).
    pub fn halted(&self) -> bool {
        self.m.halted()
    }

    /// `idle_o` now (no clock).
    pub fn idle(&self) -> bool {
        self.m.idle()
    }

    /// Write the code-coverage counters of this model since it was built (or since
    /// [`coverage_zero`](Rtl::coverage_zero)) to `path`, in Verilator's `coverage.dat`
    /// format (`verilator_coverage` reads it). The counters belong to this model alone
    /// (its own `VerilatedContext`), whatever other models run in other threads. A model
    /// built without [`RtlOptions::coverage`] writes a file without points.
    pub fn coverage_write(&mut self, path: &Path) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::Coverage(format!("non-UTF-8 path {}", path.display())))?;
        let e = self.m.pin_mut().coverage_write(p);
        if e.is_empty() {
            Ok(())
        } else {
            Err(SimError::Coverage(e.to_string()))
        }
    }

    /// Zero this model's code-coverage counters.
    pub fn coverage_zero(&mut self) {
        self.m.pin_mut().coverage_zero();
    }

    /// The raw code-coverage counters of this model (Verilator's per-model counter array,
    /// in its order; empty unless [`RtlOptions::coverage`]). Every coverage model of one
    /// build has the same layout ([`coverage_write_layout`](Rtl::coverage_write_layout)).
    pub fn coverage_counts(&self) -> Vec<u32> {
        let mut v = vec![0u32; self.m.coverage_len()];
        self.m.coverage_counts(&mut v);
        v
    }

    /// Write which coverage point each raw counter is: every counter set to its index + 1,
    /// written one line per instance (`VerilatedCovContext::forcePerInstance`) to `path`;
    /// then every counter is zeroed. A point whose count in the file is 0 has no counter.
    pub fn coverage_write_layout(&mut self, path: &Path) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::Coverage(format!("non-UTF-8 path {}", path.display())))?;
        let e = self.m.pin_mut().coverage_write_layout(p);
        if e.is_empty() {
            Ok(())
        } else {
            Err(SimError::Coverage(e.to_string()))
        }
    }

    /// Is this the coverage model?
    pub fn is_coverage_model(&self) -> bool {
        self.opts.coverage
    }
}

/// The retire port's record as the shared [`isa::Retire`] (words beyond `insn_len` and
/// writes beyond `nwr` are zero, as the reference model leaves them).
pub(crate) fn retire_of(r: &bridge::RetireRec) -> Retire {
    let insn_len = r.insn_len.min(2);
    let n_writes = r.nwr.min(isa::MAX_WRITES as u8);
    // Element by element (no variable-length copies through the stack: the lockstep
    // builds this in the caller's record on every retire).
    let insn = [if insn_len > 0 { r.insn0 } else { 0 }, if insn_len > 1 { r.insn1 } else { 0 }];
    let none = MemWrite::default();
    let writes = [
        if n_writes > 0 { MemWrite { addr: r.wr0_addr, mask: r.wr0_be & 0xF, data: r.wr0_data } } else { none },
        if n_writes > 1 { MemWrite { addr: r.wr1_addr, mask: r.wr1_be & 0xF, data: r.wr1_data } } else { none },
    ];
    Retire {
        step: r.step,
        pid: r.pid,
        pc: r.pc,
        insn_len,
        insn,
        next_pc: r.next_pc,
        n_writes,
        writes,
        psw: r.psw & 0xF,
        sp: r.sp,
        fault: r.fault.then_some(r.fault_code),
        trap: r.trap.then_some((r.trap_mod, r.trap_fn)),
    }
}
