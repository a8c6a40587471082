//! The control-register map of the host bus (`hb_space_i = 2`), docs/rtl-interface.md.

/// Byte address of field `f` of the slot of `pid`.
#[inline]
pub const fn slot_reg(pid: u8, f: u16) -> u16 {
    (pid as u16) * 0x80 + 4 * f
}

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
}

/// Byte address of global register `g`.
#[inline]
pub const fn global_reg(g: u16) -> u16 {
    0x1000 + 4 * g
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
    pub const CMD: u16 = 16;
    pub const N_TASKS: u16 = 17;
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
}
