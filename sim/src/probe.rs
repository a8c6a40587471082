//! Where the zero-time probe finds things inside the Verilated model: the hierarchical
//! names of the public variables (`verilator public_flat_rd/_rw`) the RTL exposes
//! (docs/rtl-interface.md, "Probe"). This table is the only place that knows them.

/// Data RAM: 16384 words of 32 bits (little-endian lanes).
pub(crate) const DMEM: &str = "hsx_top.u_dmem.mem";
/// Code RAM: 16384 code words (the big-endian word as a number).
pub(crate) const CMEM: &str = "hsx_top.u_cmem.mem";

/// The task table: one unpacked array per field, indexed by `pid - 1`.
pub(crate) mod slot {
    pub(crate) const STATE: &str = "hsx_top.u_sched.state_q";
    pub(crate) const PC: &str = "hsx_top.u_sched.pc_q";
    pub(crate) const CODE_BASE: &str = "hsx_top.u_sched.code_base_q";
    pub(crate) const CODE_SIZE: &str = "hsx_top.u_sched.code_size_q";
    pub(crate) const PSW: &str = "hsx_top.u_sched.psw_q";
    pub(crate) const SP: &str = "hsx_top.u_sched.sp_q";
    pub(crate) const REG_BASE: &str = "hsx_top.u_sched.reg_base_q";
    pub(crate) const STACK_LIMIT: &str = "hsx_top.u_sched.stack_limit_q";
    pub(crate) const STACK_TOP: &str = "hsx_top.u_sched.stack_top_q";
    pub(crate) const SLICE: &str = "hsx_top.u_sched.slice_q";
    pub(crate) const SLICE_USED: &str = "hsx_top.u_sched.slice_used_q";
    pub(crate) const WAIT: &str = "hsx_top.u_sched.wait_q";
    pub(crate) const DL_VALID: &str = "hsx_top.u_sched.dl_valid_q";
    pub(crate) const DEADLINE: &str = "hsx_top.u_sched.deadline_q";
    pub(crate) const ACCT: &str = "hsx_top.u_sched.acct_q";
    pub(crate) const EXIT_CODE: &str = "hsx_top.u_sched.exit_code_q";
    pub(crate) const FAULT: &str = "hsx_top.u_sched.fault_q";

    /// In the order of [`super::SlotVars`]'s fields. The monitor model's `dirty_field_q`
    /// (rtl/monitors/hsx_table_monitor.sv) has a bit per field in this order: a field added
    /// here needs its bit there, set by the write port that writes it.
    pub(crate) const ALL: [&str; 17] = [
        STATE,
        PC,
        CODE_BASE,
        CODE_SIZE,
        PSW,
        SP,
        REG_BASE,
        STACK_LIMIT,
        STACK_TOP,
        SLICE,
        SLICE_USED,
        WAIT,
        DL_VALID,
        DEADLINE,
        ACCT,
        EXIT_CODE,
        FAULT,
    ];
}

/// Machine-wide registers.
pub(crate) mod global {
    pub(crate) const CURRENT: &str = "hsx_top.u_sched.current_q";
    pub(crate) const LAST_RAN: &str = "hsx_top.u_sched.last_ran_q";
    pub(crate) const STEPS: &str = "hsx_top.u_sched.steps_q";
    pub(crate) const TICKS: &str = "hsx_top.u_sched.ticks_q";
    pub(crate) const STACK_REGION_LO: &str = "hsx_top.u_sched.stack_region_lo_q";
    pub(crate) const PROTECT: &str = "hsx_top.u_sched.protect_q";
}

/// The data RAM's access port, sampled every cycle by the write monitor (a write is
/// `REQ && WE`; the signals describe the access the coming rising edge performs).
pub(crate) mod wport {
    pub(crate) const REQ: &str = "hsx_top.dm_req";
    pub(crate) const WE: &str = "hsx_top.dm_we";
    /// Word address (`ADDR_IS_WORD`) or byte address.
    pub(crate) const ADDR: &str = "hsx_top.dm_addr";
    pub(crate) const ADDR_IS_WORD: bool = true;
    pub(crate) const BE: &str = "hsx_top.dm_be";
    pub(crate) const DATA: &str = "hsx_top.dm_wdata";
    /// Who writes: [`SRC_HOST`] means the host bus, anything else the core.
    pub(crate) const SRC: &str = "hsx_top.dm_from_host";
    pub(crate) const SRC_HOST: u32 = 1;
}

/// Per-cycle core status signals.
pub(crate) mod cycle {
    /// This cycle does not count for the timing table (docs/timing.md).
    pub(crate) const TIMING_SKIP: &str = "hsx_top.timing_skip";
    /// An instruction (or a step's timeout/pick phase) is in progress.
    pub(crate) const IN_FLIGHT: &str = "hsx_top.in_flight";
    /// The core is at a step boundary.
    pub(crate) const STEP_BOUNDARY: &str = "hsx_top.step_boundary";
}

/// Handles of the task-table arrays (`bind_var` results), in [`slot::ALL`] order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotVars {
    pub state: i32,
    pub pc: i32,
    pub code_base: i32,
    pub code_size: i32,
    pub psw: i32,
    pub sp: i32,
    pub reg_base: i32,
    pub stack_limit: i32,
    pub stack_top: i32,
    pub slice: i32,
    pub slice_used: i32,
    pub wait: i32,
    pub dl_valid: i32,
    pub deadline: i32,
    pub acct: i32,
    pub exit_code: i32,
    pub fault: i32,
}

impl SlotVars {
    /// The handles in field order (state, pc, …, fault), as `slot_of_raw` reads them.
    pub(crate) fn handles(&self) -> [i32; crate::SLOT_FIELDS] {
        [
            self.state,
            self.pc,
            self.code_base,
            self.code_size,
            self.psw,
            self.sp,
            self.reg_base,
            self.stack_limit,
            self.stack_top,
            self.slice,
            self.slice_used,
            self.wait,
            self.dl_valid,
            self.deadline,
            self.acct,
            self.exit_code,
            self.fault,
        ]
    }

    pub(crate) fn from_handles(h: [i32; 17]) -> SlotVars {
        SlotVars {
            state: h[0],
            pc: h[1],
            code_base: h[2],
            code_size: h[3],
            psw: h[4],
            sp: h[5],
            reg_base: h[6],
            stack_limit: h[7],
            stack_top: h[8],
            slice: h[9],
            slice_used: h[10],
            wait: h[11],
            dl_valid: h[12],
            deadline: h[13],
            acct: h[14],
            exit_code: h[15],
            fault: h[16],
        }
    }
}

/// Handles of the machine-wide registers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GlobalVars {
    pub current: i32,
    pub last_ran: i32,
    pub steps: i32,
    pub ticks: i32,
    pub stack_region_lo: i32,
    pub protect: i32,
}
