//! The `cxx` bridge to the C++ driver of the Verilated models (`csrc/hsx_sim.{h,cc}`).
//! Kept alone in this file: the build script watches it, so editing any other Rust file
//! never re-runs the C++ build.

#[allow(clippy::too_many_arguments)]
#[cxx::bridge(namespace = "hsx_sim")]
pub(crate) mod bridge {
    /// One record of the retire port (see docs/rtl-interface.md), plus the cycle it was
    /// seen in.
    #[derive(Debug, Clone, Copy, Default)]
    struct RetireRec {
        cycle: u64,
        /// The timed-cycle count (cycles with `timing_skip` low) at this retire.
        timed: u64,
        step: u64,
        pid: u8,
        pc: u16,
        next_pc: u16,
        insn_len: u8,
        insn0: u32,
        insn1: u32,
        nwr: u8,
        wr0_addr: u16,
        wr0_be: u8,
        wr0_data: u32,
        wr1_addr: u16,
        wr1_be: u8,
        wr1_data: u32,
        psw: u8,
        sp: u32,
        fault: bool,
        fault_code: u32,
        trap: bool,
        trap_mod: u8,
        trap_fn: u8,
    }

    /// The trap outputs while `trap_o` is high.
    #[derive(Debug, Clone, Copy, Default)]
    struct TrapRec {
        cause: u8,
        pid: u8,
        module: u8,
        func: u8,
        pc: u16,
    }

    /// What `run` stopped on. `kind`: 0 retire, 1 trap, 2 idle, 3 halted, 4 cycle limit.
    #[derive(Debug, Clone, Copy, Default)]
    struct RunOut {
        kind: u8,
        retire: RetireRec,
        trap: TrapRec,
    }

    /// A data-RAM write seen on the RAM's write port at a clock edge.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    struct ObsWrite {
        cycle: u64,
        addr: u16,
        be: u8,
        data: u32,
        from_host: bool,
    }

    /// What [`RtlModel::run_checked`] returns besides the event: everything the lockstep
    /// harness reads after a retire, gathered in the same crossing (DiffTest's batch).
    #[derive(Debug, Clone, Copy, Default)]
    struct CheckedOut {
        /// The event, as [`RtlModel::run`] returns it; the fields below are filled only
        /// for a retire (`run.kind == 0`).
        run: RunOut,
        /// Writes lost to overflow of the write ring since the last drain.
        writes_lost: u64,
        /// Writes copied into the caller's buffer.
        n_writes: u32,
        /// More writes than the buffer holds are queued (drain them with `take_writes`).
        more_writes: bool,
        /// The cycle of the first task-table stability violation since the last drain (0:
        /// none).
        table_violation: u64,
        /// Bit p: slot p (pid p + 1) differs from the copy in the caller's table, whose
        /// changed elements were rewritten.
        changed_slots: u32,
        current: u8,
        last_ran: u8,
        steps: u64,
        ticks: u64,
        stack_region_lo: u32,
        protect: bool,
        /// The retiring task's register window (16 words at its slot's `reg_base`).
        window: [u32; 16],
    }

    /// Shape of a public variable found by `bind_var`.
    #[derive(Debug, Clone, Copy, Default)]
    struct VarInfo {
        /// Verilator's VLVT_* type (1 u8, 2 u16, 3 u32, 4 u64, 5 wide).
        vltype: u8,
        /// Packed width in bits.
        width: u32,
        /// Unpacked dimensions (0 or 1 supported by the reader).
        udims: i32,
        /// Lowest and highest unpacked index (dimension 1).
        ulow: i32,
        uhigh: i32,
    }

    unsafe extern "C++" {
        include!("hsx-sim/csrc/hsx_sim.h");

        type RtlModel;

        /// A new model, reset. `mutant` 0 → the real model `Vhsx`, or with `monitors` the
        /// monitor model `Vhsx_mon` (the real RTL with the checkers of `rtl/monitors/`),
        /// or with `trace` the traced model `Vhsx_trc` (the monitor model with the VCD
        /// tracer); otherwise the mutant model `Vhsx_mut` (traced) with `mutant_i` tied
        /// to `mutant`.
        fn new_model(mutant: u16, monitors: bool, trace: bool) -> UniquePtr<RtlModel>;
        /// A new coverage model `Vhsx_cov` (the real RTL with line and toggle counters), reset.
        fn new_cov_model() -> UniquePtr<RtlModel>;
        /// Verilator's version string.
        fn verilator_version() -> String;
        /// Convert a VCD file to FST (Verilator's bundled FST writer); "" or an error.
        fn vcd_to_fst(vcd_path: &str, fst_path: &str) -> String;

        /// Hold `rst_ni` low for `cycles` clock cycles (inputs idle), then release it.
        /// Clears the cycle counter and the event queues.
        fn reset(self: Pin<&mut RtlModel>, cycles: u32);
        fn cycles(self: &RtlModel) -> u64;
        fn tick(self: Pin<&mut RtlModel>, n: u64);
        /// One host-bus transaction: drive the request until `hb_ack_o` (at most
        /// `max_cycles` edges). Returns false on time-out; `rdata` gets `hb_rdata_o`.
        fn hb_access(
            self: Pin<&mut RtlModel>,
            we: bool,
            space: u8,
            addr: u16,
            wdata: u32,
            be: u8,
            max_cycles: u32,
            rdata: &mut u32,
        ) -> bool;
        fn set_run(self: Pin<&mut RtlModel>, run: bool);
        fn get_run(self: &RtlModel) -> bool;
        fn run(self: Pin<&mut RtlModel>, max_cycles: u64) -> RunOut;
        fn trap_ack(self: Pin<&mut RtlModel>);
        fn trap_pending(self: &RtlModel) -> bool;
        fn halted(self: &RtlModel) -> bool;
        fn idle(self: &RtlModel) -> bool;
        /// Retire records queued but not yet returned by `run`, and records lost to
        /// queue overflow since reset.
        fn retires_queued(self: &RtlModel) -> usize;
        fn retires_lost(self: &RtlModel) -> u64;

        /// Resolve a public variable by hierarchical path (`hsx_top.u_x.name`); returns
        /// its handle (≥ 0) or -1. `array`: the variable is known to be an unpacked array;
        /// Verilator registers an array of 1-bit elements (`logic x [N]`) with its one
        /// range as a packed range, and this flag reads it as the array it is.
        fn bind_var(self: Pin<&mut RtlModel>, path: &str, array: bool) -> i32;
        fn var_info(self: &RtlModel, handle: i32) -> VarInfo;
        /// Bits `[lsb, lsb + width)` (width ≤ 64) of element `index` of a bound variable
        /// (index ignored for a variable without unpacked dimension).
        fn var_read(self: &RtlModel, handle: i32, index: i32, lsb: u32, width: u32) -> u64;
        /// Every element of a one-dimensional array, lowest index first, each as
        /// `ceil(width / 8)` little-endian bytes, into `out` (as much as fits). Returns
        /// the bytes written.
        fn var_dump(self: &RtlModel, handle: i32, out: &mut [u8]) -> usize;
        /// Whole elements of many variables in one crossing: each request is
        /// `handle << 32 | index`; element k goes to `out[k]` (0 if unbound).
        fn var_read_batch(self: &RtlModel, reqs: &[u64], out: &mut [u64]);
        /// Elements `low .. low + count` of each one-dimensional array in `handles`:
        /// array k's element e goes to `out[k * count + e]`.
        fn var_read_arrays(self: &RtlModel, handles: &[i32], count: u32, out: &mut [u64]);
        /// Every public variable (`scope.name`), for diagnostics.
        fn public_vars(self: &RtlModel) -> Vec<String>;

        /// Watch the data RAM's port: handles of req (-1: none; a write is req && we),
        /// we, addr (byte or word address as `addr_is_word` says), byte enables, data,
        /// and the source signal (`src == src_host_value`: the host bus wrote).
        fn bind_write_monitor(
            self: Pin<&mut RtlModel>,
            req: i32,
            we: i32,
            addr: i32,
            addr_is_word: bool,
            be: i32,
            data: i32,
            src: i32,
            src_host_value: u32,
        ) -> bool;
        /// Move the writes recorded since the last call into `out` (appended); returns
        /// how many were lost to overflow of the ring since the last call.
        fn take_writes(self: Pin<&mut RtlModel>, out: &mut Vec<ObsWrite>) -> u64;
        fn set_write_monitor(self: Pin<&mut RtlModel>, on: bool);

        /// The per-cycle "excluded from the timing count" signal (-1: none, every cycle
        /// counts). Returns false if the handle is not a scalar.
        fn bind_timing_skip(self: Pin<&mut RtlModel>, handle: i32) -> bool;
        /// Watch the task table (these arrays/scalars) for changes on edges inside an
        /// instruction (`in_flight` high, no trap, no host-bus request, not the retire edge).
        fn bind_table_monitor(self: Pin<&mut RtlModel>, handles: &[i32], in_flight: i32) -> bool;
        fn set_table_monitor(self: Pin<&mut RtlModel>, on: bool);
        /// The cycle of the first violation since the last call (0 = none).
        fn take_table_violation(self: Pin<&mut RtlModel>) -> u64;
        /// Make the monitor's next snapshot differ from the table (proves the check fires).
        fn table_monitor_self_test(self: Pin<&mut RtlModel>);
        /// Withdraw the retire exemption from the monitor's next watched edge that ends a
        /// step: the changes the retire makes must be reported (proves the comparison).
        fn table_monitor_no_exempt(self: Pin<&mut RtlModel>);
        /// The monitor model's SystemVerilog checker does the table monitor's work.
        fn table_monitor_in_model(self: &RtlModel) -> bool;
        /// The variables `run_checked` reads after a retire: the task-table arrays (in
        /// `probe::slot::ALL` order), the machine registers (current, last_ran, steps,
        /// ticks, stack_region_lo, protect) and the data RAM. Returns false if one is not
        /// of the expected shape.
        fn bind_checked(
            self: Pin<&mut RtlModel>,
            table: &[i32],
            reg_base_field: usize,
            globals: &[i32],
            dmem: i32,
        ) -> bool;
        /// `set_run(true)` and [`run`](RtlModel::run) plus, on a retire, in the same crossing: the observed
        /// writes since the last drain (the first `writes.len()` of them into `writes`,
        /// their number in `out.n_writes`; `out.more_writes`: the rest are still queued
        /// for `take_writes`), the table violation, the
        /// machine registers, the retiring task's window, and the task-table elements that
        /// changed since the previous call, written into `table` (`n_tasks × fields`
        /// values, slot-major: a slot's fields are consecutive) — the caller keeps
        /// `table` between calls; a fresh binding or a reset rewrites it whole.
        fn run_checked(
            self: Pin<&mut RtlModel>,
            max_cycles: u64,
            writes: &mut [ObsWrite],
            table: &mut [u64],
            out: &mut CheckedOut,
        );
        /// The lockstep's run-ahead: up to `outs.len()` [`run_checked`](RtlModel::run_checked)
        /// calls in one crossing, each into `outs[i]`; their writes are appended to `writes`
        /// (`outs[i].n_writes` each) and, for each slot a retire changed, that slot's row of
        /// `table` (as it stood after that retire) to `rows`. Stops after an event that is not
        /// a retire, after a retire whose writes did not all fit or were lost, and before a
        /// retire that might not fit. The model goes through the same cycles as with the
        /// calls one by one. Returns the number of `outs` filled.
        fn run_checked_many(
            self: Pin<&mut RtlModel>,
            max_cycles: u64,
            writes: &mut [ObsWrite],
            table: &mut [u64],
            rows: &mut [u64],
            outs: &mut [CheckedOut],
        ) -> u32;
        /// Cycles since reset that count for timing (timing_skip low).
        fn timed_cycles(self: &RtlModel) -> u64;

        /// The model was built with the tracer (the VCD calls work).
        fn traced(self: &RtlModel) -> bool;
        /// Clock with one model evaluation per cycle when nothing needs the falling edge
        /// (on by default; off: always two, as with a VCD open). For the equivalence test.
        fn set_fast_edges(self: Pin<&mut RtlModel>, on: bool);
        fn vcd_open(self: Pin<&mut RtlModel>, path: &str) -> bool;
        fn vcd_arm(self: Pin<&mut RtlModel>, path: &str, from: u64, to: u64);
        fn vcd_error(self: &RtlModel) -> i32;
        fn vcd_clear_error(self: Pin<&mut RtlModel>);
        fn vcd_close(self: Pin<&mut RtlModel>);
        fn vcd_is_open(self: &RtlModel) -> bool;

        /// Write this model's coverage counters (Verilator's coverage.dat format) to
        /// `path`; "" or why not.
        fn coverage_write(self: Pin<&mut RtlModel>, path: &str) -> String;
        /// Zero this model's coverage counters.
        fn coverage_zero(self: Pin<&mut RtlModel>);
        /// Number of raw coverage counters (0 unless the coverage model).
        fn coverage_len(self: &RtlModel) -> usize;
        /// Copy the raw counters into `out`.
        fn coverage_counts(self: &RtlModel, out: &mut [u32]);
        /// Write the counter layout: counter i set to i + 1, one line per instance; then
        /// zero the counters. "" or why not.
        fn coverage_write_layout(self: Pin<&mut RtlModel>, path: &str) -> String;
    }
}

// SAFETY: a model (its VerilatedContext included) is only ever used through `&mut` or `&`
// of the one `Rtl` that owns it; Verilator allows a model to be evaluated from different
// threads at different times as long as the uses do not overlap, which Rust's borrow
// rules guarantee. The C++ side sets Verilator's thread context before each use.
unsafe impl Send for bridge::RtlModel {}
