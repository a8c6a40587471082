//! One instruction of one task (isa.md). INTERFACE (fixed):
//!
//! `pub fn execute<R: Record>(m: &mut Machine, pid: u8, rec: &mut R) -> Effect`
//!
//! Executes the instruction at `pid`'s pc. Fills `rec` (pid, pc, insn words, next_pc,
//! writes in order, psw, sp, fault, trap) — not `rec.step` (the scheduler does). Updates the
//! slot's pc/psw/sp and data memory. Does not change `state`: the scheduler does, from the
//! returned [`Effect`].
//!
//! ## How it is built
//!
//! The general registers exist only in data memory: `R[n]` is read from and written to
//! `reg_base + 4n` on every access, and every register write is also recorded in the
//! retire record. Each mnemonic has one function (`exec_add` for `ADD`, …), dispatched by
//! an exhaustive `match` on the table's [`Opcode`] whose arms decode the operands of the
//! matching [`Insn`] variant (see `dispatch` for why not `match Insn::decode(..)`). An
//! `exec_*` function first makes **all** of the instruction's checks and only then changes
//! memory, so a fault (returned as `Err(code)`) leaves no effect behind; [`execute`] then
//! writes R0 ← code.
//!
//! ## Choices the spec leaves open (documented here and in the tests)
//!
//! * **BAD_PC record**: a BAD_PC of the first word fetched nothing: `insn_len = 0`. A BAD_PC
//!   because LDI32's literal lies outside the image has fetched (and decoded) the opcode
//!   word: `insn_len = 1`, `insn[0]` = that word.
//! * **Fetch beyond code space**: if `code_base + pc + 4` (or `+ 8` for LDI32's literal)
//!   exceeds the 64 KiB code space, the fetch is BAD_PC too. The loader never builds
//!   such a slot (`code_base + code_size <= 0x10000`); this only keeps a corrupt slot
//!   from panicking.
//! * **Stack words outside data memory**: PUSH/POP/CALL/RET are governed by the stack
//!   guards only; under the context invariants (`stack_top <= 0x10000`, `sp <= stack_top`)
//!   their word is always inside data memory. A corrupt slot whose stack word would run
//!   past 0xFFFF gets MEM_FAULT (after the guard checks) instead of a panic.
//! * On a fault, `rec.psw`/`rec.sp` are the unchanged values, `rec.next_pc = pc`,
//!   `rec.trap = None`, and the only write is R0.
//!
//! ## Files
//!
//! This file: [`execute`], fetch, dispatch and one `exec_*` per mnemonic;
//! `core/record.rs`: the [`Record`] trait and its two implementations (re-exported here);
//! `core/tests.rs`: the table-driven vectors.

use crate::fp16;
use crate::machine::Machine;
use isa::{
    fault, CallOp, Imm32, Insn, Load, MemWrite, NoOperands, Opcode, Operands, RdImm, RdRs, RdRsRs, Rs, RsRs, Store,
    SvcOp, Target, PSW_C, PSW_N, PSW_V, PSW_Z,
};

mod record;
pub use record::{NoRecord, Record};

/// What the instruction asks of the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing special.
    Continue,
    /// SVC: pc already advanced by 4; the executive services it in this step.
    Trap { module: u8, func: u8 },
    /// RET at `sp == stack_top`: the task returns with exit status R0 (pc unchanged).
    Return { code: u32 },
    /// BRK: pc advanced by 4; the task pauses with this code.
    Brk { code: u8 },
    /// A fault: nothing of the instruction happened, R0 ← code already written, pc kept.
    Fault { code: u32 },
}

/// Result of one `exec_*`: the effect, or the fault code (nothing has been changed).
type Exec = Result<Effect, u32>;

/// The slot fields one instruction needs, copied once; `pc`, `psw`, `sp` are written back
/// once at the end.
struct Cx {
    pid: u8,
    /// pc of this instruction.
    pc: u16,
    /// Where the task continues (pc + 4 unless the instruction says otherwise).
    next_pc: u16,
    psw: u8,
    sp: u32,
    reg_base: u32,
    stack_limit: u32,
    stack_top: u32,
}

const DATA_END: u32 = isa::DATA_SIZE as u32;
const CODE_END: u32 = isa::CODE_SIZE as u32;

/// Execute one instruction of `pid` (see the module documentation).
#[inline(always)]
pub fn execute<R: Record>(m: &mut Machine, pid: u8, rec: &mut R) -> Effect {
    let s = m.slot(pid);
    let pc = s.pc;
    let code_base = s.code_base;
    let code_size = s.code_size;
    let mut c = Cx {
        pid,
        pc,
        next_pc: pc.wrapping_add(4),
        psw: s.psw,
        sp: s.sp,
        reg_base: s.reg_base,
        stack_limit: s.stack_limit,
        stack_top: s.stack_top,
    };
    debug_assert!(c.reg_base + 64 <= DATA_END, "reg_base {:#x} outside data memory", c.reg_base);

    // Reset everything the record carries except `step` (the scheduler's).
    rec.start(pid, pc, c.psw, c.sp);
    let res = fetch_and_exec(m, &mut c, rec, code_base, code_size);
    match res {
        Ok(effect) => {
            let s = m.slot_mut(pid);
            s.pc = c.next_pc;
            s.psw = c.psw;
            s.sp = c.sp;
            rec.done(c.next_pc, c.psw, c.sp);
            effect
        }
        Err(code) => {
            // Nothing of the instruction happened (exec_* check before they write); pc,
            // psw and sp stay. R0 ← code is the only write.
            rec.clear_effects();
            write_reg(m, &c, rec, 0, code);
            let s = m.slot(pid);
            rec.fault(pc, s.psw, s.sp, code);
            Effect::Fault { code }
        }
    }
}

/// Fetch (BAD_PC), decode (ILLEGAL, LDI32's literal) and dispatch.
#[inline(always)]
fn fetch_and_exec<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, code_base: u32, code_size: u32) -> Exec {
    let pc = c.pc as u32;
    if pc & 3 != 0 || pc + 4 > code_size || code_base as u64 + pc as u64 + 4 > CODE_END as u64 {
        return Err(fault::BAD_PC); // insn_len stays 0: nothing fetched
    }
    let word = m.code_word(code_base + pc);
    rec.insn(0, word);
    let next = if (word >> 24) as u8 == Opcode::Ldi32 as u8 {
        // The literal word must lie inside the image too (insn_len stays 1).
        if pc + 8 > code_size || code_base as u64 + pc as u64 + 8 > CODE_END as u64 {
            return Err(fault::BAD_PC);
        }
        let lit = m.code_word(code_base + pc + 4);
        rec.insn(1, lit);
        Some(lit)
    } else {
        None
    };
    dispatch(m, c, rec, (word >> 24) as u8, word, next)
}

/// The operands of `word` in the format of the table row whose [`Insn`] variant is
/// `_variant` (the same decoding [`Insn::decode`] does). Passing the variant ties the
/// operand type to the ISA table at compile time: `ops(w, n, Insn::Add)` is a `RdRsRs`
/// because the table says `Add` is. (`Err` only for a missing LDI32 literal, which
/// `fetch_and_exec` has already ruled out.)
#[inline(always)]
fn ops<F: Operands>(word: u32, next: Option<u32>, _variant: fn(F) -> Insn) -> Result<F, u32> {
    F::decode(word, next).ok_or(fault::BAD_PC)
}

/// One arm per mnemonic, on the opcode byte: `ADD` is `isa::op::Add` (the table's byte)
/// → `exec_add` with the operands of `Insn::Add`. The only other arm is ILLEGAL for the
/// bytes the table does not define; `every_opcode_is_dispatched` checks that no table row
/// falls into it.
///
/// Why not `match Insn::decode(..)`: LLVM materialises the decoded `Insn` enum on the
/// stack and reloads its fields with mismatched widths (a store-forwarding stall on every
/// step); dispatching on the opcode and decoding the operands in the arm measured about
/// 1.8x faster on an ALU/branch loop. Why the raw byte rather than [`Opcode`]: one jump
/// table instead of a byte→`Opcode` lookup followed by a jump table (one dependent load
/// less per step: ALU loop 101 → 105 M steps/s, 8 tasks at slice 1 54 → 71 M). The
/// operand types still come from the [`Insn`] variants (see [`ops`]) and the byte
/// constants from the table, so the table stays the single source.
#[inline(always)]
fn dispatch<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, op: u8, w: u32, n: Option<u32>) -> Exec {
    match op {
        isa::op::Ldi => exec_ldi(m, c, rec, ops(w, n, Insn::Ldi)?),
        isa::op::Ld => exec_ld(m, c, rec, ops(w, n, Insn::Ld)?),
        isa::op::St => exec_st(m, c, rec, ops(w, n, Insn::St)?),
        isa::op::Mov => exec_mov(m, c, rec, ops(w, n, Insn::Mov)?),
        isa::op::Ldb => exec_ldb(m, c, rec, ops(w, n, Insn::Ldb)?),
        isa::op::Ldh => exec_ldh(m, c, rec, ops(w, n, Insn::Ldh)?),
        isa::op::Stb => exec_stb(m, c, rec, ops(w, n, Insn::Stb)?),
        isa::op::Sth => exec_sth(m, c, rec, ops(w, n, Insn::Sth)?),
        isa::op::Add => exec_add(m, c, rec, ops(w, n, Insn::Add)?),
        isa::op::Sub => exec_sub(m, c, rec, ops(w, n, Insn::Sub)?),
        isa::op::Mul => exec_mul(m, c, rec, ops(w, n, Insn::Mul)?),
        isa::op::Div => exec_div(m, c, rec, ops(w, n, Insn::Div)?),
        isa::op::And => exec_and(m, c, rec, ops(w, n, Insn::And)?),
        isa::op::Or => exec_or(m, c, rec, ops(w, n, Insn::Or)?),
        isa::op::Xor => exec_xor(m, c, rec, ops(w, n, Insn::Xor)?),
        isa::op::Not => exec_not(m, c, rec, ops(w, n, Insn::Not)?),
        isa::op::Cmp => exec_cmp(m, c, rec, ops(w, n, Insn::Cmp)?),
        isa::op::Jmp => exec_jmp(m, c, rec, ops(w, n, Insn::Jmp)?),
        isa::op::Jz => exec_jz(m, c, rec, ops(w, n, Insn::Jz)?),
        isa::op::Jnz => exec_jnz(m, c, rec, ops(w, n, Insn::Jnz)?),
        isa::op::Call => exec_call(m, c, rec, ops(w, n, Insn::Call)?),
        isa::op::Ret => exec_ret(m, c, rec, ops(w, n, Insn::Ret)?),
        isa::op::Svc => exec_svc(m, c, rec, ops(w, n, Insn::Svc)?),
        isa::op::Lsl => exec_lsl(m, c, rec, ops(w, n, Insn::Lsl)?),
        isa::op::Lsr => exec_lsr(m, c, rec, ops(w, n, Insn::Lsr)?),
        isa::op::Asr => exec_asr(m, c, rec, ops(w, n, Insn::Asr)?),
        isa::op::Adc => exec_adc(m, c, rec, ops(w, n, Insn::Adc)?),
        isa::op::Sbc => exec_sbc(m, c, rec, ops(w, n, Insn::Sbc)?),
        isa::op::Push => exec_push(m, c, rec, ops(w, n, Insn::Push)?),
        isa::op::Pop => exec_pop(m, c, rec, ops(w, n, Insn::Pop)?),
        isa::op::Fadd => exec_fadd(m, c, rec, ops(w, n, Insn::Fadd)?),
        isa::op::Fsub => exec_fsub(m, c, rec, ops(w, n, Insn::Fsub)?),
        isa::op::Fmul => exec_fmul(m, c, rec, ops(w, n, Insn::Fmul)?),
        isa::op::Fdiv => exec_fdiv(m, c, rec, ops(w, n, Insn::Fdiv)?),
        isa::op::I2f => exec_i2f(m, c, rec, ops(w, n, Insn::I2f)?),
        isa::op::F2i => exec_f2i(m, c, rec, ops(w, n, Insn::F2i)?),
        isa::op::Ldi32 => exec_ldi32(m, c, rec, ops(w, n, Insn::Ldi32)?),
        isa::op::Brk => exec_brk(m, c, rec, ops(w, n, Insn::Brk)?),
        // Every other byte is not an opcode of the table.
        _ => Err(fault::ILLEGAL),
    }
}

// ---------------------------------------------------------------------------------------
// Registers (in data memory only) and flags
// ---------------------------------------------------------------------------------------

/// R[n], read from the window in data memory.
#[inline(always)]
fn reg(m: &Machine, c: &Cx, n: u8) -> u32 {
    m.read_aligned(c.reg_base + 4 * (n as u32 & 15))
}

/// R[n] ← v, in data memory, recorded.
#[inline(always)]
fn write_reg<R: Record>(m: &mut Machine, c: &Cx, rec: &mut R, n: u8, v: u32) {
    let a = c.reg_base + 4 * (n as u32 & 15);
    m.write_aligned(a, v);
    rec.write(MemWrite { addr: a as u16, mask: 0xF, data: v });
}

/// Z and N from `r`, C and V as given (the whole PSW is rewritten).
#[inline(always)]
fn flags(r: u32, carry: bool, overflow: bool) -> u8 {
    let mut p = 0;
    if r == 0 {
        p |= PSW_Z;
    }
    if r >> 31 != 0 {
        p |= PSW_N;
    }
    if carry {
        p |= PSW_C;
    }
    if overflow {
        p |= PSW_V;
    }
    p
}

#[inline(always)]
fn operands(m: &Machine, c: &Cx, f: RdRsRs) -> (u32, u32) {
    (reg(m, c, f.rs1), reg(m, c, f.rs2))
}

// ---------------------------------------------------------------------------------------
// Data memory accesses (loads and stores): MEM_FAULT, then ACCESS_VIOLATION
// ---------------------------------------------------------------------------------------

/// The effective address `(R[rs1] + simm) & 0xFFFF`, checked for `len` bytes.
#[inline(always)]
fn data_addr(m: &Machine, c: &Cx, rs1: u8, imm: i16, len: u32) -> Result<u32, u32> {
    let addr = reg(m, c, rs1).wrapping_add(imm as i32 as u32) & 0xFFFF;
    if addr + len > DATA_END {
        return Err(fault::MEM_FAULT);
    }
    if m.access_violates(c.pid, addr, len) {
        return Err(fault::ACCESS_VIOLATION);
    }
    m.last_access.set(addr | len << 16);
    Ok(addr)
}

/// Little-endian load of `len` (1, 2, 4) bytes, zero-extended.
#[inline(always)]
fn load(m: &Machine, addr: u32, len: u32) -> u32 {
    let a = addr as usize;
    match len {
        1 => m.dmem[a] as u32,
        2 => u16::from_le_bytes([m.dmem[a], m.dmem[a + 1]]) as u32,
        _ => m.read_u32(addr),
    }
}

/// Little-endian store of the low `len` bytes of `v`, recorded as word writes.
#[inline(always)]
fn store<R: Record>(m: &mut Machine, rec: &mut R, addr: u32, len: u32, v: u32) {
    let a = addr as usize;
    m.dmem[a..a + len as usize].copy_from_slice(&v.to_le_bytes()[..len as usize]);
    isa::split_write(addr, len, v, |w| rec.write(w));
}

#[inline(always)]
fn exec_load<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Load, len: u32) -> Exec {
    let addr = data_addr(m, c, f.rs1, f.imm, len)?;
    let v = load(m, addr, len);
    write_reg(m, c, rec, f.rd, v);
    Ok(Effect::Continue)
}

#[inline(always)]
fn exec_store<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Store, len: u32) -> Exec {
    let v = reg(m, c, f.rs2);
    let addr = data_addr(m, c, f.rs1, f.imm, len)?;
    store(m, rec, addr, len, v);
    Ok(Effect::Continue)
}

// ---------------------------------------------------------------------------------------
// The stack (guards only; no memory protection)
// ---------------------------------------------------------------------------------------

/// PUSH/CALL: the new SP, or STACK_OVERFLOW when it would be below `stack_limit`.
#[inline(always)]
fn push_slot(c: &Cx) -> Result<u32, u32> {
    if (c.sp as i64) - 4 < c.stack_limit as i64 {
        return Err(fault::STACK_OVERFLOW);
    }
    let new = c.sp - 4;
    if new + 4 > DATA_END {
        return Err(fault::MEM_FAULT); // corrupt slot only (see module docs)
    }
    Ok(new)
}

/// POP/RET (sp ≠ stack_top): STACK_UNDERFLOW when SP + 4 > stack_top.
#[inline(always)]
fn pop_check(c: &Cx) -> Result<(), u32> {
    if c.sp as u64 + 4 > c.stack_top as u64 {
        return Err(fault::STACK_UNDERFLOW);
    }
    if c.sp + 4 > DATA_END {
        return Err(fault::MEM_FAULT); // corrupt slot only (see module docs)
    }
    Ok(())
}

/// M32[new] ← v (recorded), SP ← new, R15 ← SP (recorded).
#[inline(always)]
fn push_word<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, new: u32, v: u32) {
    m.write_u32(new, v);
    rec.write(MemWrite { addr: new as u16, mask: 0xF, data: v });
    c.sp = new;
    write_reg(m, c, rec, 15, new);
}

// ---------------------------------------------------------------------------------------
// One function per mnemonic
// ---------------------------------------------------------------------------------------

/// LDI Rd, imm: R[rd] ← simm.
#[inline(always)]
fn exec_ldi<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdImm) -> Exec {
    write_reg(m, c, rec, f.rd, f.imm as i32 as u32);
    Ok(Effect::Continue)
}

/// LD Rd, [Rs1 + imm]: R[rd] ← M32[…].
#[inline(always)]
fn exec_ld<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Load) -> Exec {
    exec_load(m, c, rec, f, 4)
}

/// ST [Rs1 + imm], Rs2: M32[…] ← R[rs2].
#[inline(always)]
fn exec_st<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Store) -> Exec {
    exec_store(m, c, rec, f, 4)
}

/// MOV Rd, Rs1 (MOV R15, x does not move SP).
#[inline(always)]
fn exec_mov<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRs) -> Exec {
    let v = reg(m, c, f.rs1);
    write_reg(m, c, rec, f.rd, v);
    Ok(Effect::Continue)
}

/// LDB Rd, [Rs1 + imm]: zero-extended byte.
#[inline(always)]
fn exec_ldb<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Load) -> Exec {
    exec_load(m, c, rec, f, 1)
}

/// LDH Rd, [Rs1 + imm]: zero-extended halfword.
#[inline(always)]
fn exec_ldh<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Load) -> Exec {
    exec_load(m, c, rec, f, 2)
}

/// STB [Rs1 + imm], Rs2: M8 ← R[rs2][7:0].
#[inline(always)]
fn exec_stb<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Store) -> Exec {
    exec_store(m, c, rec, f, 1)
}

/// STH [Rs1 + imm], Rs2: M16 ← R[rs2][15:0].
#[inline(always)]
fn exec_sth<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Store) -> Exec {
    exec_store(m, c, rec, f, 2)
}

/// ADD: C ← carry out of bit 31, V ← signed overflow.
#[inline(always)]
fn exec_add<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    let (r, carry) = a.overflowing_add(b);
    let v = ((a ^ r) & (b ^ r)) >> 31 != 0;
    write_reg(m, c, rec, f.rd, r);
    c.psw = flags(r, carry, v);
    Ok(Effect::Continue)
}

/// SUB/CMP flags: C ← (a ≥ b unsigned), V ← signed overflow.
#[inline(always)]
fn sub_flags(a: u32, b: u32) -> (u32, u8) {
    let r = a.wrapping_sub(b);
    let v = ((a ^ b) & (a ^ r)) >> 31 != 0;
    (r, flags(r, a >= b, v))
}

/// SUB Rd, Rs1, Rs2.
#[inline(always)]
fn exec_sub<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    let (r, p) = sub_flags(a, b);
    write_reg(m, c, rec, f.rd, r);
    c.psw = p;
    Ok(Effect::Continue)
}

/// MUL: low 32 bits of the unsigned product; C ← V ← (high 32 ≠ 0).
#[inline(always)]
fn exec_mul<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    let full = a as u64 * b as u64;
    let r = full as u32;
    let hi = (full >> 32) != 0;
    write_reg(m, c, rec, f.rd, r);
    c.psw = flags(r, hi, hi);
    Ok(Effect::Continue)
}

/// DIV: signed, truncating; b = 0 → DIV_ZERO; INT_MIN / −1 = INT_MIN; C ← V ← 0.
#[inline(always)]
fn exec_div<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    if b == 0 {
        return Err(fault::DIV_ZERO);
    }
    let r = (a as i32).wrapping_div(b as i32) as u32;
    write_reg(m, c, rec, f.rd, r);
    c.psw = flags(r, false, false);
    Ok(Effect::Continue)
}

/// Logic results: flags ZN, C ← 0, V ← 0.
#[inline(always)]
fn logic<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, rd: u8, r: u32) -> Exec {
    write_reg(m, c, rec, rd, r);
    c.psw = flags(r, false, false);
    Ok(Effect::Continue)
}

/// AND.
#[inline(always)]
fn exec_and<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    logic(m, c, rec, f.rd, a & b)
}

/// OR.
#[inline(always)]
fn exec_or<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    logic(m, c, rec, f.rd, a | b)
}

/// XOR.
#[inline(always)]
fn exec_xor<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    logic(m, c, rec, f.rd, a ^ b)
}

/// NOT Rd, Rs1.
#[inline(always)]
fn exec_not<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRs) -> Exec {
    let a = reg(m, c, f.rs1);
    logic(m, c, rec, f.rd, !a)
}

/// CMP Rs1, Rs2: SUB's flags, no register written.
#[inline(always)]
fn exec_cmp<R: Record>(m: &mut Machine, c: &mut Cx, _rec: &mut R, f: RsRs) -> Exec {
    let (a, b) = (reg(m, c, f.rs1), reg(m, c, f.rs2));
    c.psw = sub_flags(a, b).1;
    Ok(Effect::Continue)
}

/// JMP target: PC ← uimm.
#[inline(always)]
fn exec_jmp<R: Record>(_m: &mut Machine, c: &mut Cx, _rec: &mut R, f: Target) -> Exec {
    c.next_pc = f.target;
    Ok(Effect::Continue)
}

/// JZ target: if Z, PC ← uimm.
#[inline(always)]
fn exec_jz<R: Record>(_m: &mut Machine, c: &mut Cx, _rec: &mut R, f: Target) -> Exec {
    if c.psw & PSW_Z != 0 {
        c.next_pc = f.target;
    }
    Ok(Effect::Continue)
}

/// JNZ target: if !Z, PC ← uimm.
#[inline(always)]
fn exec_jnz<R: Record>(_m: &mut Machine, c: &mut Cx, _rec: &mut R, f: Target) -> Exec {
    if c.psw & PSW_Z == 0 {
        c.next_pc = f.target;
    }
    Ok(Effect::Continue)
}

/// CALL: base ← (rs1 ≠ 0 ? R[rs1] : PC); push PC+4 (guarded like PUSH);
/// PC ← (base + (simm << 2)) & 0xFFFF. Writes: the stack word, then R15.
#[inline(always)]
fn exec_call<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: CallOp) -> Exec {
    let base = if f.rs1 != 0 { reg(m, c, f.rs1) } else { c.pc as u32 };
    let new = push_slot(c)?;
    let ret = c.next_pc as u32; // PC + 4 mod 2^16, pushed as a 32-bit word
    push_word(m, c, rec, new, ret);
    c.next_pc = base.wrapping_add((f.imm as i32 as u32) << 2) as u16;
    Ok(Effect::Continue)
}

/// RET: at SP = stack_top the task returns (exit status R0, PC unchanged, no writes);
/// else STACK_UNDERFLOW if SP + 4 > stack_top; else PC ← M32[SP] & 0xFFFF, SP += 4,
/// R15 ← SP.
#[inline(always)]
fn exec_ret<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, _f: NoOperands) -> Exec {
    if c.sp == c.stack_top {
        c.next_pc = c.pc;
        return Ok(Effect::Return { code: reg(m, c, 0) });
    }
    pop_check(c)?;
    let v = m.read_u32(c.sp);
    c.sp += 4;
    write_reg(m, c, rec, 15, c.sp);
    c.next_pc = v as u16;
    Ok(Effect::Continue)
}

/// SVC mod, fn: trap to the executive; PC ← PC + 4. No writes of its own.
#[inline(always)]
fn exec_svc<R: Record>(_m: &mut Machine, _c: &mut Cx, rec: &mut R, f: SvcOp) -> Exec {
    let (module, func) = (f.module & 0xF, f.func);
    rec.trap(module, func);
    Ok(Effect::Trap { module, func })
}

/// Shift results: flags ZN, V ← 0, C ← `carry` if the amount is non-zero, else kept.
#[inline(always)]
fn shift<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, rd: u8, r: u32, carry: Option<bool>) -> Exec {
    write_reg(m, c, rec, rd, r);
    let keep_c = c.psw & PSW_C != 0;
    c.psw = flags(r, carry.unwrap_or(keep_c), false);
    Ok(Effect::Continue)
}

/// LSL: s = b & 31; C ← bit 32−s of a (last bit out) when s ≠ 0.
#[inline(always)]
fn exec_lsl<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    let s = b & 31;
    let carry = (s != 0).then(|| (a >> (32 - s)) & 1 != 0);
    shift(m, c, rec, f.rd, a << s, carry)
}

/// LSR: logical right; C ← bit s−1 of a when s ≠ 0.
#[inline(always)]
fn exec_lsr<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    let s = b & 31;
    let carry = (s != 0).then(|| (a >> (s - 1)) & 1 != 0);
    shift(m, c, rec, f.rd, a >> s, carry)
}

/// ASR: arithmetic right; C as LSR.
#[inline(always)]
fn exec_asr<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    let s = b & 31;
    let carry = (s != 0).then(|| (a >> (s - 1)) & 1 != 0);
    shift(m, c, rec, f.rd, ((a as i32) >> s) as u32, carry)
}

/// ADC: r ← a + b + C; C ← carry of the exact 33-bit sum; V ← bit 31 of ~(a^b) & (a^r).
#[inline(always)]
fn exec_adc<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    let cin = (c.psw & PSW_C != 0) as u64;
    let sum = a as u64 + b as u64 + cin;
    let r = sum as u32;
    let v = (!(a ^ b) & (a ^ r)) >> 31 != 0;
    write_reg(m, c, rec, f.rd, r);
    c.psw = flags(r, sum >> 32 != 0, v);
    Ok(Effect::Continue)
}

/// SBC: borrow ← 1 − C; r ← a − b − borrow; C ← (a ≥ b + borrow, exact);
/// V ← bit 31 of (a^b) & (a^r).
#[inline(always)]
fn exec_sbc<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    let borrow = (c.psw & PSW_C == 0) as u32;
    let r = a.wrapping_sub(b).wrapping_sub(borrow);
    let carry = a as u64 >= b as u64 + borrow as u64;
    let v = ((a ^ b) & (a ^ r)) >> 31 != 0;
    write_reg(m, c, rec, f.rd, r);
    c.psw = flags(r, carry, v);
    Ok(Effect::Continue)
}

/// PUSH Rs1: v ← R[rs1] (before anything: PUSH R15 pushes the register's value);
/// guard; M32[SP − 4] ← v; SP ← SP − 4; R15 ← SP.
#[inline(always)]
fn exec_push<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Rs) -> Exec {
    let v = reg(m, c, f.rs1);
    let new = push_slot(c)?;
    push_word(m, c, rec, new, v);
    Ok(Effect::Continue)
}

/// POP Rd: guard; v ← M32[SP]; SP += 4; R15 ← SP; R[rd] ← v (writes: R15, then rd).
#[inline(always)]
fn exec_pop<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: isa::Rd) -> Exec {
    pop_check(c)?;
    let v = m.read_u32(c.sp);
    c.sp += 4;
    write_reg(m, c, rec, 15, c.sp);
    write_reg(m, c, rec, f.rd, v);
    Ok(Effect::Continue)
}

/// A binary16 result into R[rd][15:0], R[rd][31:16] kept. PSW untouched.
#[inline(always)]
fn fp_result<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, rd: u8, h: u16) -> Exec {
    let old = reg(m, c, rd);
    write_reg(m, c, rec, rd, (old & 0xFFFF_0000) | h as u32);
    Ok(Effect::Continue)
}

/// FADD.
#[inline(always)]
fn exec_fadd<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    fp_result(m, c, rec, f.rd, fp16::fadd(a as u16, b as u16))
}

/// FSUB.
#[inline(always)]
fn exec_fsub<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    fp_result(m, c, rec, f.rd, fp16::fsub(a as u16, b as u16))
}

/// FMUL.
#[inline(always)]
fn exec_fmul<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    fp_result(m, c, rec, f.rd, fp16::fmul(a as u16, b as u16))
}

/// FDIV (a ±0 divisor is +∞).
#[inline(always)]
fn exec_fdiv<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRsRs) -> Exec {
    let (a, b) = operands(m, c, f);
    fp_result(m, c, rec, f.rd, fp16::fdiv(a as u16, b as u16))
}

/// I2F Rd, Rs1: signed int32 → binary16 into R[rd][15:0].
#[inline(always)]
fn exec_i2f<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRs) -> Exec {
    let a = reg(m, c, f.rs1);
    fp_result(m, c, rec, f.rd, fp16::i2f(a as i32))
}

/// F2I Rd, Rs1: binary16 R[rs1][15:0] → int32, whole R[rd].
#[inline(always)]
fn exec_f2i<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: RdRs) -> Exec {
    let a = reg(m, c, f.rs1);
    write_reg(m, c, rec, f.rd, fp16::f2i(a as u16));
    Ok(Effect::Continue)
}

/// LDI32 Rd, imm32: R[rd] ← the literal; PC ← PC + 8 (the literal was bounds-checked at
/// fetch).
#[inline(always)]
fn exec_ldi32<R: Record>(m: &mut Machine, c: &mut Cx, rec: &mut R, f: Imm32) -> Exec {
    write_reg(m, c, rec, f.rd, f.value);
    c.next_pc = c.pc.wrapping_add(8);
    Ok(Effect::Continue)
}

/// BRK [code]: PC ← PC + 4; the task pauses with code imm[7:0].
#[inline(always)]
fn exec_brk<R: Record>(_m: &mut Machine, _c: &mut Cx, _rec: &mut R, f: isa::BrkOp) -> Exec {
    Ok(Effect::Brk { code: f.code })
}

#[cfg(test)]
mod tests;
