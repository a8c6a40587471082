//! Machine state of the golden model: data and code memory, the task table and the
//! machine-wide registers. The general registers live **only** in `dmem`, at
//! `reg_base + 4n` of each task — there is no host-side register array.

use isa::{Slot, CODE_SIZE, DATA_SIZE, DEFAULT_N_TASKS, MAX_TASKS};

/// Machine configuration (fixed at construction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineConfig {
    /// Task slots, 1..=16 (the `hsx` tool uses 8).
    pub n_tasks: usize,
    /// Memory protection (context.md), default on.
    pub protect: bool,
    /// Trace-ring capacity (scheduler.md, default 256).
    pub trace_capacity: usize,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig { n_tasks: DEFAULT_N_TASKS, protect: true, trace_capacity: 256 }
    }
}

/// The whole architectural state of the reference machine.
#[derive(Clone)]
pub struct Machine {
    /// 64 KiB data memory, little-endian. Register windows are in here.
    pub dmem: Box<[u8; DATA_SIZE]>,
    /// 64 KiB code memory; instruction words big-endian.
    pub code: Box<[u8; CODE_SIZE]>,
    /// Task slots; `slots[pid - 1]`.
    pub slots: Vec<Slot>,
    /// pid of the RUNNING task, 0 if none.
    pub current: u8,
    /// pid of the task that retired the most recent step, 0 before the first.
    pub last_ran: u8,
    pub steps: u64,
    pub ticks: u64,
    pub stack_region_lo: u32,
    pub protect: bool,
    /// Earliest deadline of any BLOCKED task (`u64::MAX` if none): the start-of-step
    /// timeout check is one compare. Maintained by the scheduler's command handlers.
    pub next_deadline: u64,
    /// The last scheduler events (scheduler.md "Observability").
    pub trace: crate::trace::TraceRing,
    /// Per-task scheduler counters, `counters[pid - 1]` (reset at SPAWN).
    pub counters: Vec<crate::trace::TaskCounters>,
    /// Bit `pid - 1` set ⇔ that slot is READY. Kept in step with `slots[..].state` by the
    /// scheduler (every state change goes through [`Machine::sync_ready`]), so the pick and
    /// rotate searches are a few bit operations instead of a scan of the table.
    pub ready: u32,
    /// The effective address and length of the last data load/store that passed its
    /// checks (`addr | len << 16`): what the harness's timing model needs to tell a
    /// one-word access from one that spans two RAM words. Not architectural state.
    pub last_access: std::cell::Cell<u32>,
    /// True while the scheduler is inside a step (timeout events, an SVC's service): trace
    /// events then carry the number of the step in progress, not the last one completed.
    pub in_step: bool,
    /// Why each PAUSED task paused: `Some(code)` after BRK, `None` when paused by the host.
    pub brk_code: Vec<Option<u8>>,
}

impl Machine {
    /// A machine in its reset state: every slot EMPTY, memories zero.
    pub fn new(cfg: &MachineConfig) -> Machine {
        assert!((1..=MAX_TASKS).contains(&cfg.n_tasks), "n_tasks must be 1..={MAX_TASKS}");
        Machine {
            dmem: vec![0u8; DATA_SIZE].into_boxed_slice().try_into().expect("64 KiB"),
            code: vec![0u8; CODE_SIZE].into_boxed_slice().try_into().expect("64 KiB"),
            slots: vec![Slot::default(); cfg.n_tasks],
            current: 0,
            last_ran: 0,
            steps: 0,
            ticks: 0,
            stack_region_lo: 0x1_0000,
            protect: cfg.protect,
            next_deadline: u64::MAX,
            ready: 0,
            in_step: false,
            last_access: std::cell::Cell::new(0),
            trace: crate::trace::TraceRing::new(cfg.trace_capacity),
            counters: vec![Default::default(); cfg.n_tasks],
            brk_code: vec![None; cfg.n_tasks],
        }
    }

    pub fn n_tasks(&self) -> usize {
        self.slots.len()
    }

    /// The slot of `pid` (1-based). Panics on a pid outside the table.
    #[inline]
    pub fn slot(&self, pid: u8) -> &Slot {
        &self.slots[pid as usize - 1]
    }
    #[inline]
    pub fn slot_mut(&mut self, pid: u8) -> &mut Slot {
        &mut self.slots[pid as usize - 1]
    }

    /// Little-endian word of data memory (`addr + 4 <= 0x10000`).
    #[inline]
    pub fn read_u32(&self, addr: u32) -> u32 {
        let a = addr as usize;
        u32::from_le_bytes(self.dmem[a..a + 4].try_into().unwrap())
    }
    #[inline]
    pub fn write_u32(&mut self, addr: u32, v: u32) {
        let a = addr as usize;
        self.dmem[a..a + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// The aligned word at `addr & 0xFFFC` (register windows and code words are always
    /// word-aligned; the mask lets the compiler drop the bounds check).
    #[inline(always)]
    pub fn read_aligned(&self, addr: u32) -> u32 {
        self.read_u32(addr & 0xFFFC)
    }
    #[inline(always)]
    pub fn write_aligned(&mut self, addr: u32, v: u32) {
        self.write_u32(addr & 0xFFFC, v)
    }

    /// Register `n` of `pid`, read from its window in data memory.
    #[inline]
    pub fn reg(&self, pid: u8, n: u8) -> u32 {
        self.read_u32(self.slot(pid).reg_base + 4 * n as u32)
    }
    /// Write register `n` of `pid` into its window (no retire record: host/executive use).
    #[inline]
    pub fn set_reg(&mut self, pid: u8, n: u8, v: u32) {
        let a = self.slot(pid).reg_base + 4 * n as u32;
        self.write_u32(a, v);
    }

    /// The 16 registers of `pid`, read through its `reg_base`.
    pub fn regs(&self, pid: u8) -> [u32; 16] {
        let base = self.slot(pid).reg_base as usize;
        match self.dmem.get(base..base + 64) {
            // One bounds check for the window (the lockstep reads it after every step).
            Some(w) => std::array::from_fn(|n| u32::from_le_bytes(w[4 * n..4 * n + 4].try_into().unwrap())),
            None => std::array::from_fn(|n| self.reg(pid, n as u8)),
        }
    }

    /// Big-endian code word at absolute code address `addr` (`addr + 4 <= 0x10000`).
    #[inline]
    pub fn code_word(&self, addr: u32) -> u32 {
        // Code words are 4-aligned (images are placed 4-aligned, pc is checked aligned).
        let a = (addr & 0xFFFC) as usize;
        u32::from_be_bytes([self.code[a], self.code[a + 1], self.code[a + 2], self.code[a + 3]])
    }

    /// Would a task access of `len` bytes at `addr` by `pid` be refused by memory
    /// protection (context.md)? Refused: any byte in the executive's reserved area
    /// `0x0000..0x0FFF` or the register-window region, or at or above `stack_region_lo`
    /// outside the task's own arena. `addr + len <= 0x10000` and `len >= 1` are assumed
    /// (MEM_FAULT first).
    #[inline]
    pub fn access_violates(&self, pid: u8, addr: u32, len: u32) -> bool {
        if !self.protect {
            return false;
        }
        let end = addr + len; // exclusive
                              // The executive's reserved area 0x0000..0x0FFF and the window region right above
                              // it form one forbidden low block: [0, 0x1000 + 64 * N_TASKS).
        let low_hi = isa::WINDOW_BASE + isa::WINDOW_SIZE * self.slots.len() as u32;
        if addr < low_hi {
            return true;
        }
        if end > self.stack_region_lo {
            let s = self.slot(pid);
            // Any byte at or above stack_region_lo must be inside [stack_limit, stack_top).
            let lo = addr.max(self.stack_region_lo);
            if lo < s.stack_limit || end > s.stack_top {
                return true;
            }
        }
        false
    }
}
