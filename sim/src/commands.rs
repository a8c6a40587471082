//! The scheduler's commands and registers over the host bus: [`Rtl::command`] (SPAWN,
//! BLOCK, WAKE, … through the argument and command registers), a slot and the
//! machine-wide registers read through the control-register map (`ctrl`), protection
//! and the stack region set.

use isa::{Command, CommandError, Slot, SpawnContext, TaskState, WaitKind};

use crate::{cmd_word, ctrl, global_reg, slot_reg, Globals, Rtl, SimError};

impl Rtl {
    /// Issue a scheduler command through the argument and command registers. Refused
    /// here (nothing issued) when the RTL would ignore it: a pid outside `1..=n_tasks`,
    /// SPAWN into a slot that is not EMPTY, a slice of 0. (The slot state is read with
    /// the zero-time probe.)
    pub fn command(&mut self, cmd: Command) -> Result<(), SimError> {
        use ctrl::{global as g, op};
        let pid = cmd.pid();
        if pid == 0 || pid > self.n_tasks {
            return Err(CommandError::NoSuchPid(pid).into());
        }
        let arg = |i: u16| global_reg(g::ARG0 + i);
        let opc = match cmd {
            Command::Spawn { ctx, .. } => {
                if self.probe_slot(pid).state != TaskState::Empty {
                    return Err(CommandError::SlotBusy(pid).into());
                }
                if ctx.slice == 0 {
                    return Err(CommandError::ZeroSlice(pid).into());
                }
                let SpawnContext { pc, sp, reg_base, stack_limit, stack_top, code_base, code_size, slice } = ctx;
                for (i, v) in [pc as u32, sp, reg_base, stack_limit, stack_top, code_base, code_size, slice]
                    .into_iter()
                    .enumerate()
                {
                    self.write_ctrl(arg(i as u16), v)?;
                }
                op::SPAWN
            }
            Command::Block { wait, deadline, .. } => {
                self.write_ctrl(arg(0), wait as u32)?;
                self.write_ctrl(arg(1), deadline.is_some() as u32)?;
                let d = deadline.unwrap_or(0);
                self.write_ctrl(arg(2), d as u32)?;
                self.write_ctrl(arg(3), (d >> 32) as u32)?;
                op::BLOCK
            }
            Command::Wake { .. } => op::WAKE,
            Command::Exit { code, .. } => {
                self.write_ctrl(arg(0), code)?;
                op::EXIT
            }
            Command::Yield { .. } => op::YIELD,
            Command::Pause { .. } => op::PAUSE,
            Command::Resume { .. } => op::RESUME,
            Command::Kill { .. } => op::KILL,
            Command::SetSlice { n, .. } => {
                if n == 0 {
                    return Err(CommandError::ZeroSlice(pid).into());
                }
                self.write_ctrl(arg(0), n)?;
                op::SET_SLICE
            }
        };
        self.write_ctrl(global_reg(g::CMD), cmd_word(pid, opc))
    }

    /// The slot of `pid` read over the host bus (19 control registers).
    pub fn slot(&mut self, pid: u8) -> Result<Slot, SimError> {
        use ctrl::field as f;
        if pid == 0 || pid > self.n_tasks {
            return Err(CommandError::NoSuchPid(pid).into());
        }
        let mut r = [0u32; f::COUNT as usize];
        for (i, v) in r.iter_mut().enumerate() {
            *v = self.read_ctrl(slot_reg(pid, i as u16))?;
        }
        let state = TaskState::from_u8(r[f::STATE as usize] as u8)
            .filter(|_| r[f::STATE as usize] <= 0xFF)
            .ok_or(SimError::BadRegister { what: "task state", value: r[f::STATE as usize] })?;
        let wait = WaitKind::from_u8(r[f::WAIT as usize] as u8)
            .filter(|_| r[f::WAIT as usize] <= 0xFF)
            .ok_or(SimError::BadRegister { what: "wait kind", value: r[f::WAIT as usize] })?;
        let d = r[f::DEADLINE_LO as usize] as u64 | ((r[f::DEADLINE_HI as usize] as u64) << 32);
        Ok(Slot {
            state,
            pc: r[f::PC as usize] as u16,
            code_base: r[f::CODE_BASE as usize],
            code_size: r[f::CODE_SIZE as usize],
            psw: r[f::PSW as usize] as u8,
            sp: r[f::SP as usize],
            reg_base: r[f::REG_BASE as usize],
            stack_limit: r[f::STACK_LIMIT as usize],
            stack_top: r[f::STACK_TOP as usize],
            slice: r[f::SLICE as usize],
            slice_used: r[f::SLICE_USED as usize],
            wait,
            deadline: (r[f::DEADLINE_VALID as usize] & 1 != 0).then_some(d),
            accounted_steps: r[f::ACCT_LO as usize] as u64 | ((r[f::ACCT_HI as usize] as u64) << 32),
            exit_code: (state == TaskState::Returned).then_some(r[f::EXIT_CODE as usize]),
            fault: (state == TaskState::Faulted).then_some(r[f::FAULT as usize]),
        })
    }

    /// The machine-wide registers read over the host bus.
    pub fn read_globals(&mut self) -> Result<Globals, SimError> {
        use ctrl::global as g;
        Ok(Globals {
            current: self.read_ctrl(global_reg(g::CURRENT))? as u8,
            last_ran: self.read_ctrl(global_reg(g::LAST_RAN))? as u8,
            steps: self.read_ctrl64(global_reg(g::STEPS_LO), global_reg(g::STEPS_HI))?,
            ticks: self.read_ctrl64(global_reg(g::TICKS_LO), global_reg(g::TICKS_HI))?,
            stack_region_lo: self.read_ctrl(global_reg(g::STACK_REGION_LO))?,
            protect: self.read_ctrl(global_reg(g::PROTECT))? & 1 != 0,
        })
    }

    /// `protect` over the host bus.
    pub fn read_protect(&mut self) -> Result<bool, SimError> {
        Ok(self.read_ctrl(global_reg(ctrl::global::PROTECT))? & 1 != 0)
    }

    /// `stack_region_lo` over the host bus.
    pub fn read_stack_region_lo(&mut self) -> Result<u32, SimError> {
        self.read_ctrl(global_reg(ctrl::global::STACK_REGION_LO))
    }

    /// `ticks` over the host bus.
    pub fn read_ticks(&mut self) -> Result<u64, SimError> {
        use ctrl::global as g;
        self.read_ctrl64(global_reg(g::TICKS_LO), global_reg(g::TICKS_HI))
    }

    /// `steps` over the host bus.
    pub fn read_steps(&mut self) -> Result<u64, SimError> {
        use ctrl::global as g;
        self.read_ctrl64(global_reg(g::STEPS_LO), global_reg(g::STEPS_HI))
    }

    /// `N_TASKS` over the host bus.
    pub fn read_n_tasks(&mut self) -> Result<u32, SimError> {
        self.read_ctrl(global_reg(ctrl::global::N_TASKS))
    }

    /// Memory protection on/off (over the bus).
    pub fn set_protect(&mut self, on: bool) -> Result<(), SimError> {
        self.write_ctrl(global_reg(ctrl::global::PROTECT), on as u32)
    }

    /// `stack_region_lo` (17 bits) over the bus.
    pub fn set_stack_region_lo(&mut self, lo: u32) -> Result<(), SimError> {
        self.write_ctrl(global_reg(ctrl::global::STACK_REGION_LO), lo & 0x1_FFFF)
    }

    /// A 64-bit register from its two 32-bit halves.
    fn read_ctrl64(&mut self, lo: u16, hi: u16) -> Result<u64, SimError> {
        let l = self.read_ctrl(lo)? as u64;
        let h = self.read_ctrl(hi)? as u64;
        Ok(l | (h << 32))
    }
}
