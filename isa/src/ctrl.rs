//! The control-register map of the RTL's host bus (`hb_space_i = 2`,
//! docs/rtl-interface.md): slot fields, global registers and scheduler command codes;
//! also the host-bus address spaces and the trap causes of the RTL's ports.
//! The driver (`sim`) uses these numbers, and `cargo xtask codegen` emits them into the
//! RTL package (`CtrlField*`, `CtrlGlobal*`, `cmd_e`) and `cargo xtask docs` into the
//! tables of docs/rtl-interface.md, so this is the only place they are written.

/// Byte address of field `f` of the slot of `pid`.
#[inline]
pub const fn slot_reg(pid: u8, f: u16) -> u16 {
    (pid as u16) * SLOT_STRIDE + 4 * f
}

/// Bytes between two slots' pages (slot `p` starts at `p * SLOT_STRIDE`).
pub const SLOT_STRIDE: u16 = 0x80;
/// Byte address of the globals page.
pub const GLOBALS_BASE: u16 = 0x1000;

/// Slot field numbers.
pub mod field {
    pub const STATE: u16 = 0;
    pub const PC: u16 = 1;
    pub const CODE_BASE: u16 = 2;
    pub const CODE_SIZE: u16 = 3;
    pub const PSW: u16 = 4;
    pub const SP: u16 = 5;
    pub const REG_BASE: u16 = 6;
    pub const STACK_LIMIT: u16 = 7;
    pub const STACK_TOP: u16 = 8;
    pub const SLICE: u16 = 9;
    pub const SLICE_USED: u16 = 10;
    pub const WAIT: u16 = 11;
    pub const DEADLINE_VALID: u16 = 12;
    pub const DEADLINE_LO: u16 = 13;
    pub const DEADLINE_HI: u16 = 14;
    pub const ACCT_LO: u16 = 15;
    pub const ACCT_HI: u16 = 16;
    pub const EXIT_CODE: u16 = 17;
    pub const FAULT: u16 = 18;
    /// Number of fields.
    pub const COUNT: u16 = 19;

    /// Every field: `(name, number, what the register reads)`, in number order.
    pub const ALL: &[(&str, u16, &str)] = &[
        ("STATE", STATE, "state (TaskState encoding of `hsx_isa_pkg`)"),
        ("PC", PC, "pc"),
        ("CODE_BASE", CODE_BASE, "code_base"),
        ("CODE_SIZE", CODE_SIZE, "code_size"),
        ("PSW", PSW, "psw"),
        ("SP", SP, "sp"),
        ("REG_BASE", REG_BASE, "reg_base"),
        ("STACK_LIMIT", STACK_LIMIT, "stack_limit"),
        ("STACK_TOP", STACK_TOP, "stack_top"),
        ("SLICE", SLICE, "slice"),
        ("SLICE_USED", SLICE_USED, "slice_used"),
        ("WAIT", WAIT, "wait (wait_e)"),
        ("DEADLINE_VALID", DEADLINE_VALID, "deadline valid (bit 0)"),
        ("DEADLINE_LO", DEADLINE_LO, "deadline low 32"),
        ("DEADLINE_HI", DEADLINE_HI, "deadline high 32"),
        ("ACCT_LO", ACCT_LO, "accounted_steps low 32"),
        ("ACCT_HI", ACCT_HI, "accounted_steps high 32"),
        ("EXIT_CODE", EXIT_CODE, "exit_code (RETURNED)"),
        ("FAULT", FAULT, "fault code (FAULTED)"),
    ];
}

/// Byte address of global register `g`.
#[inline]
pub const fn global_reg(g: u16) -> u16 {
    GLOBALS_BASE + 4 * g
}

/// Global register numbers.
pub mod global {
    pub const CURRENT: u16 = 0;
    pub const LAST_RAN: u16 = 1;
    pub const STEPS_LO: u16 = 2;
    pub const STEPS_HI: u16 = 3;
    pub const TICKS_LO: u16 = 4;
    pub const TICKS_HI: u16 = 5;
    pub const STACK_REGION_LO: u16 = 6;
    pub const PROTECT: u16 = 7;
    /// Command arguments A0..A7 are `ARG0 + i`.
    pub const ARG0: u16 = 8;
    /// Number of command arguments.
    pub const N_ARGS: u16 = 8;
    pub const CMD: u16 = 16;
    pub const N_TASKS: u16 = 17;

    /// Every global register but the arguments: `(name, number, access, what it is)`.
    pub const ALL: &[(&str, u16, &str, &str)] = &[
        ("CURRENT", CURRENT, "R", "current"),
        ("LAST_RAN", LAST_RAN, "R", "last_ran"),
        ("STEPS_LO", STEPS_LO, "R", "steps low"),
        ("STEPS_HI", STEPS_HI, "R", "steps high"),
        ("TICKS_LO", TICKS_LO, "R", "ticks low"),
        ("TICKS_HI", TICKS_HI, "R", "ticks high"),
        ("STACK_REGION_LO", STACK_REGION_LO, "RW", "stack_region_lo (17 bits; reset 0x10000)"),
        (
            "PROTECT",
            PROTECT,
            "RW",
            "protect (bit 0; reset 1): ACCESS_VIOLATION for task loads/stores touching the reserved area, \
             the window region, or another arena (docs/rtl.md \"Memory protection\")",
        ),
        ("CMD", CMD, "W", "command: write `{pid[12:8], op[3:0]}` to execute"),
        ("N_TASKS", N_TASKS, "R", "N_TASKS"),
    ];
}

/// Command opcodes (bits 3:0 of the CMD register; the pid goes in bits 12:8).
pub mod op {
    pub const SPAWN: u32 = 1;
    pub const BLOCK: u32 = 2;
    pub const WAKE: u32 = 3;
    pub const EXIT: u32 = 4;
    pub const YIELD: u32 = 5;
    pub const PAUSE: u32 = 6;
    pub const RESUME: u32 = 7;
    pub const KILL: u32 = 8;
    pub const SET_SLICE: u32 = 9;

    /// Every command: `(name, code, its arguments)`, in code order (0 is no command).
    pub const ALL: &[(&str, u32, &str)] = &[
        (
            "SPAWN",
            SPAWN,
            "A0 pc, A1 sp, A2 reg_base, A3 stack_limit, A4 stack_top, A5 code_base, A6 code_size, A7 slice",
        ),
        ("BLOCK", BLOCK, "A0 wait, A1 deadline valid, A2 deadline low, A3 deadline high"),
        ("WAKE", WAKE, "—"),
        ("EXIT", EXIT, "A0 code"),
        ("YIELD", YIELD, "—"),
        ("PAUSE", PAUSE, "—"),
        ("RESUME", RESUME, "—"),
        ("KILL", KILL, "—"),
        ("SET_SLICE", SET_SLICE, "A0 n"),
    ];
}

/// Host-bus address spaces (`hb_space_i`).
pub mod space {
    /// 64 KiB data RAM.
    pub const DATA: u8 = 0;
    /// 64 KiB code RAM.
    pub const CODE: u8 = 1;
    /// The control registers of this module.
    pub const CTRL: u8 = 2;
    pub const ALL: &[(&str, u8)] = &[("DATA", DATA), ("CODE", CODE), ("CTRL", CTRL)];
}

/// Why the core traps (`trap_cause_o`).
pub mod trap_cause {
    pub const NONE: u8 = 0;
    pub const SVC: u8 = 1;
    pub const TIMEOUT: u8 = 2;
    pub const ALL: &[(&str, u8)] = &[("NONE", NONE), ("SVC", SVC), ("TIMEOUT", TIMEOUT)];
}

/// The CMD register value for `op` on `pid`.
#[inline]
pub const fn cmd_word(pid: u8, op: u32) -> u32 {
    ((pid as u32 & 0x1F) << 8) | (op & 0xF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_the_contract() {
        assert_eq!(slot_reg(1, field::STATE), 0x80);
        assert_eq!(slot_reg(8, field::FAULT), 8 * 0x80 + 72);
        assert_eq!(global_reg(global::CMD), 0x1040);
        assert_eq!(global_reg(global::N_TASKS), 0x1044);
        assert_eq!(cmd_word(3, op::WAKE), 0x303);
        assert_eq!(cmd_word(16, op::SET_SLICE), 0x1009);
    }

    #[test]
    fn the_lists_are_complete_and_in_order() {
        assert_eq!(field::ALL.len(), field::COUNT as usize);
        for (i, (_, n, _)) in field::ALL.iter().enumerate() {
            assert_eq!(*n as usize, i);
        }
        for (i, (_, c, _)) in op::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i + 1);
        }
        // Globals: ascending, the argument block left out, every number below N_TASKS named.
        let named: Vec<u16> = global::ALL.iter().map(|g| g.1).collect();
        let args = global::ARG0..global::ARG0 + global::N_ARGS;
        let all: Vec<u16> = (0..=global::N_TASKS).filter(|g| !args.contains(g)).collect();
        assert_eq!(named, all);
    }
}
