//! Tricky single instructions, with the expected results worked out by hand from the spec
//! (the comment on each case shows the arithmetic). Each case runs on the golden model
//! and on the independent model; both must meet every expectation, and must agree on the
//! whole final state. A case that fails names the model that missed it.

use super::diff::{first_difference, run_golden, run_model, Final, Run};
use super::hxe;
use super::model::{code, State};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy)]
enum Expect {
    Reg(u8, u32),
    Psw(u8),
    Pc(u16),
    Sp(u32),
    Steps(u64),
    State(State),
    /// Little-endian word of data memory.
    Mem32(u32, u32),
    Console(&'static str),
}

use Expect::*;

struct Case {
    name: &'static str,
    src: String,
    stack: u32,
    protect: bool,
    expect: Vec<Expect>,
}

fn case(name: &'static str, src: &str, expect: Vec<Expect>) -> Case {
    Case { name, src: src.to_string(), stack: 0x1000, protect: true, expect }
}

const Z: u8 = 1;
const C: u8 = 2;
const N: u8 = 4;
const V: u8 = 8;

/// `setc` / `clrc`: set or clear C before ADC/SBC. R0 = 0 and R9 = 1 at the start.
/// CMP R0, R0: 0 − 0, C ← (0 ≥ 0) = 1, Z = 1.  CMP R0, R9: 0 − 1, C ← 0, N = 1.
const SETC: &str = "CMP R0, R0";
const CLRC: &str = "LDI R9, 1\n CMP R0, R9";

fn three(opc: &str, a: u32, b: u32, pre: &str) -> String {
    format!("LDI32 R1, 0x{a:08X}\n LDI32 R2, 0x{b:08X}\n {pre}\n {opc} R3, R1, R2\n BRK")
}

fn cases() -> Vec<Case> {
    let mut v = vec![
        // ---- ADC / SBC / ADD / SUB ----------------------------------------------------
        // 0x7FFFFFFF + 0 + 1 = 0x80000000: signed overflow; no carry out.
        case("ADC 0x7FFFFFFF+0+C", &three("ADC", 0x7FFF_FFFF, 0, SETC), vec![Reg(3, 0x8000_0000), Psw(N | V)]),
        // 0 + 0x7FFFFFFF + 1: the prototype's wrapped b+carry case; V is the true overflow.
        case("ADC 0+0x7FFFFFFF+C", &three("ADC", 0, 0x7FFF_FFFF, SETC), vec![Reg(3, 0x8000_0000), Psw(N | V)]),
        // 0xFFFFFFFF + 0xFFFFFFFF + 1 = 0x1_FFFFFFFF: C = 1, r = 0xFFFFFFFF, V = 0.
        case("ADC -1+-1+C", &three("ADC", 0xFFFF_FFFF, 0xFFFF_FFFF, SETC), vec![Reg(3, 0xFFFF_FFFF), Psw(N | C)]),
        // 0x80000000 + 0x7FFFFFFF + 1 = 0x1_00000000: r = 0, C = 1, V = 0 (signs differ).
        case("ADC min+max+C", &three("ADC", 0x8000_0000, 0x7FFF_FFFF, SETC), vec![Reg(3, 0), Psw(Z | C)]),
        // C = 0: 0x7FFFFFFF + 1 + 0 = 0x80000000.
        case("ADC max+1 no C", &three("ADC", 0x7FFF_FFFF, 1, CLRC), vec![Reg(3, 0x8000_0000), Psw(N | V)]),
        // borrow = 1: 0x80000000 − 0x7FFFFFFF − 1 = 0; C = (0x80000000 ≥ 0x80000000) = 1;
        // V = bit31((a^b) & (a^r)) = bit31(0xFFFFFFFF & 0x80000000) = 1.
        case("SBC min-max-borrow", &three("SBC", 0x8000_0000, 0x7FFF_FFFF, CLRC), vec![Reg(3, 0), Psw(Z | C | V)]),
        // borrow = 1: 0 − 0xFFFFFFFF − 1 = 0 (mod 2^32); C = (0 ≥ 2^32) = 0; V = 0.
        case("SBC 0-(-1)-borrow", &three("SBC", 0, 0xFFFF_FFFF, CLRC), vec![Reg(3, 0), Psw(Z)]),
        // borrow = 1: 0x7FFFFFFF − (−1) − 1 = 0x7FFFFFFF exactly: no overflow; C = 0.
        case("SBC max-(-1)-borrow", &three("SBC", 0x7FFF_FFFF, 0xFFFF_FFFF, CLRC), vec![Reg(3, 0x7FFF_FFFF), Psw(0)]),
        // C = 1 (no borrow): 0x80000000 − 1 = 0x7FFFFFFF, C = 1, V = 1.
        case("SBC min-1", &three("SBC", 0x8000_0000, 1, SETC), vec![Reg(3, 0x7FFF_FFFF), Psw(C | V)]),
        case("SBC 5-3", &three("SBC", 5, 3, SETC), vec![Reg(3, 2), Psw(C)]),
        case("ADD max+1", &three("ADD", 0x7FFF_FFFF, 1, ""), vec![Reg(3, 0x8000_0000), Psw(N | V)]),
        case("ADD -1+1", &three("ADD", 0xFFFF_FFFF, 1, ""), vec![Reg(3, 0), Psw(Z | C)]),
        case("ADD min+min", &three("ADD", 0x8000_0000, 0x8000_0000, ""), vec![Reg(3, 0), Psw(Z | C | V)]),
        case("SUB min-1", &three("SUB", 0x8000_0000, 1, ""), vec![Reg(3, 0x7FFF_FFFF), Psw(C | V)]),
        case("SUB 1-2", &three("SUB", 1, 2, ""), vec![Reg(3, 0xFFFF_FFFF), Psw(N)]),
        case("CMP equal", "LDI32 R1, 0x80000000\n LDI32 R2, 0x80000000\n CMP R1, R2\n BRK", vec![Psw(Z | C), Reg(0, 0)]),
        // ---- MUL / DIV ------------------------------------------------------------------
        case("MUL 2^16*2^16", &three("MUL", 0x1_0000, 0x1_0000, ""), vec![Reg(3, 0), Psw(Z | C | V)]),
        // 0xFFFFFFFF² = 0xFFFFFFFE_00000001 (unsigned).
        case("MUL -1*-1 unsigned", &three("MUL", 0xFFFF_FFFF, 0xFFFF_FFFF, ""), vec![Reg(3, 1), Psw(C | V)]),
        case("MUL 3*4 clears CV", &three("MUL", 3, 4, "LDI32 R8, 0x7FFFFFFF\n ADD R8, R8, R8"), vec![Reg(3, 12), Psw(0)]),
        case("DIV min/-1", &three("DIV", 0x8000_0000, 0xFFFF_FFFF, ""), vec![Reg(3, 0x8000_0000), Psw(N)]),
        case("DIV -7/2", &three("DIV", (-7i32) as u32, 2, ""), vec![Reg(3, (-3i32) as u32), Psw(N)]),
        case("DIV 7/-2", &three("DIV", 7, (-2i32) as u32, ""), vec![Reg(3, (-3i32) as u32), Psw(N)]),
        case("DIV 1/2 clears CV", &three("DIV", 1, 2, "LDI32 R8, 0x7FFFFFFF\n ADD R8, R8, R8"), vec![Reg(3, 0), Psw(Z)]),
        // DIV by zero: fault; rd and PSW untouched (PSW = Z|C from the CMP), PC on the DIV.
        case(
            "DIV by zero",
            "LDI R1, 5\n LDI R2, 0\n LDI R3, 77\n CMP R1, R1\n DIV R3, R1, R2\n BRK",
            vec![State(State::Faulted(code::DIV_ZERO)), Reg(0, code::DIV_ZERO), Reg(3, 77), Psw(Z | C), Pc(16), Steps(5)],
        ),
        // ---- logic and shifts ------------------------------------------------------------
        case("AND clears CV", &three("AND", 0xF0, 0x0F, "LDI32 R8, 0x7FFFFFFF\n ADD R8, R8, R8"), vec![Reg(3, 0), Psw(Z)]),
        case("NOT 0", "LDI R1, 0\n NOT R3, R1\n BRK", vec![Reg(3, 0xFFFF_FFFF), Psw(N)]),
        // s = 32 & 31 = 0: r = a, C kept (1 from the CMP), V = 0.
        case("LSL by 32", &three("LSL", 0x8000_0001, 32, SETC), vec![Reg(3, 0x8000_0001), Psw(N | C)]),
        // s = 33 & 31 = 1: r = 2, C = bit 31 of a = 1.
        case("LSL by 33", &three("LSL", 0x8000_0001, 33, ""), vec![Reg(3, 2), Psw(C)]),
        // s = 31: r = 0x80000000, C = bit 1 of a = 1.
        case("LSL by 31", &three("LSL", 3, 31, ""), vec![Reg(3, 0x8000_0000), Psw(N | C)]),
        case("LSL 1 out of 0x80000000", &three("LSL", 0x8000_0000, 1, ""), vec![Reg(3, 0), Psw(Z | C)]),
        // s = 31: r = 1, C = bit 30 of a = 0 (cleared although the CMP set it).
        case("LSR by 31", &three("LSR", 0x8000_0000, 31, SETC), vec![Reg(3, 1), Psw(0)]),
        case("LSR by 1", &three("LSR", 3, 1, ""), vec![Reg(3, 1), Psw(C)]),
        case("LSR by 32 keeps C", &three("LSR", 0x8000_0000, 32, SETC), vec![Reg(3, 0x8000_0000), Psw(N | C)]),
        case("ASR by 31", &three("ASR", 0x8000_0000, 31, ""), vec![Reg(3, 0xFFFF_FFFF), Psw(N)]),
        case("ASR by 33", &three("ASR", 0x8000_0001, 33, ""), vec![Reg(3, 0xC000_0000), Psw(N | C)]),
        // b = 0xFFFFFFE0: low five bits 0, no shift, C kept, V cleared (from the ADD).
        case(
            "ASR by 0xFFFFFFE0",
            "LDI32 R8, 0x7FFFFFFF\n ADD R8, R8, R8\n LDI32 R1, 0x40000000\n LDI32 R2, 0xFFFFFFE0\n ASR R3, R1, R2\n BRK",
            vec![Reg(3, 0x4000_0000), Psw(0)],
        ),
        // ---- binary16 ---------------------------------------------------------------------
        // 2^-14 × (1 − 2^-11) = 1023.5 × 2^-24: a tie, to even = 1024 × 2^-24 = 0x0400.
        // rd's upper half is kept; the PSW is untouched (Z|C from the CMP).
        case(
            "FMUL rounds up to min normal",
            "LDI32 R1, 0x0400\n LDI32 R2, 0x3BFF\n LDI32 R3, 0xABCD1234\n CMP R0, R0\n FMUL R3, R1, R2\n BRK",
            vec![Reg(3, 0xABCD_0400), Psw(Z | C)],
        ),
        case("FADD 0x03FF+0x0001", &three("FADD", 0x03FF, 0x0001, ""), vec![Reg(3, 0x0400)]),
        // 65504 + 16 = 65520: halfway to 65536, ties to even → overflow to +∞.
        case("FADD overflow at 65520", &three("FADD", 0x7BFF, 0x4C00, ""), vec![Reg(3, 0x7C00)]),
        case("FADD 65504+15.99", &three("FADD", 0x7BFF, 0x4BFF, ""), vec![Reg(3, 0x7BFF)]),
        // Upper halves of the operands are ignored.
        case("FADD ignores upper halves", &three("FADD", 0x1234_3C00, 0xFFFF_3C00, ""), vec![Reg(3, 0x4000)]),
        case("FSUB inf-inf", &three("FSUB", 0x7C00, 0x7C00, ""), vec![Reg(3, 0x7E00)]),
        case("FADD NaN payload", &three("FADD", 0x7C01, 0x3C00, ""), vec![Reg(3, 0x7E00)]),
        case("FSUB -0 - +0", &three("FSUB", 0x8000, 0x0000, ""), vec![Reg(3, 0x8000)]),
        case("FMUL 0.5 quantum ties to 0", &three("FMUL", 0x0001, 0x3800, ""), vec![Reg(3, 0x0000)]),
        case("FMUL inf*0", &three("FMUL", 0x7C00, 0x8000, ""), vec![Reg(3, 0x7E00)]),
        case("FDIV 1/+0", &three("FDIV", 0x3C00, 0x0000, ""), vec![Reg(3, 0x0000)]),
        case("FDIV 1/-0", &three("FDIV", 0x3C00, 0x8000, ""), vec![Reg(3, 0x0000)]),
        case("FDIV -1/+0", &three("FDIV", 0xBC00, 0x0000, ""), vec![Reg(3, 0x8000)]),
        case("FDIV inf/0", &three("FDIV", 0x7C00, 0x0000, ""), vec![Reg(3, 0x7E00)]),
        case("FDIV NaN/0", &three("FDIV", 0x7E00, 0x8000, ""), vec![Reg(3, 0x7E00)]),
        case("FDIV 0/0", &three("FDIV", 0x0000, 0x0000, ""), vec![Reg(3, 0x0000)]),
        case("FDIV 1/3", &three("FDIV", 0x3C00, 0x4200, ""), vec![Reg(3, 0x3555)]),
        // 2^-14 / (1 + 2^-10) = 1024/1.0009765625 quanta ≈ 1023.0009: 0x03FF.
        case("FDIV into subnormal", &three("FDIV", 0x0400, 0x3C01, ""), vec![Reg(3, 0x03FF)]),
        case("I2F 0x7FFFFFFF", "LDI32 R1, 0x7FFFFFFF\n LDI32 R3, 0x5A5A0000\n I2F R3, R1\n BRK", vec![Reg(3, 0x5A5A_7C00)]),
        case("I2F INT_MIN", "LDI32 R1, 0x80000000\n I2F R3, R1\n BRK", vec![Reg(3, 0xFC00)]),
        case("I2F 65504", "LDI32 R1, 65504\n I2F R3, R1\n BRK", vec![Reg(3, 0x7BFF)]),
        case("I2F 65519", "LDI32 R1, 65519\n I2F R3, R1\n BRK", vec![Reg(3, 0x7BFF)]),
        case("I2F 65520", "LDI32 R1, 65520\n I2F R3, R1\n BRK", vec![Reg(3, 0x7C00)]),
        case("I2F 2049 tie to even", "LDI32 R1, 2049\n I2F R3, R1\n BRK", vec![Reg(3, 0x6800)]),
        case("I2F 2051 tie to even", "LDI32 R1, 2051\n I2F R3, R1\n BRK", vec![Reg(3, 0x6802)]),
        case("I2F -2048", "LDI R1, -2048\n I2F R3, R1\n BRK", vec![Reg(3, 0xE800)]),
        case("F2I +inf", "LDI32 R1, 0x7C00\n F2I R3, R1\n BRK", vec![Reg(3, 0x7FFF_FFFF)]),
        case("F2I -inf", "LDI32 R1, 0xFC00\n F2I R3, R1\n BRK", vec![Reg(3, 0x8000_0000)]),
        case("F2I NaN", "LDI32 R1, 0x7E00\n LDI R3, -1\n F2I R3, R1\n BRK", vec![Reg(3, 0)]),
        case("F2I NaN payload", "LDI32 R1, 0xFC01\n LDI R3, -1\n F2I R3, R1\n BRK", vec![Reg(3, 0)]),
        case("F2I 65504", "LDI32 R1, 0x7BFF\n F2I R3, R1\n BRK", vec![Reg(3, 65504)]),
        case("F2I -65504", "LDI32 R1, 0xFBFF\n F2I R3, R1\n BRK", vec![Reg(3, (-65504i32) as u32)]),
        case("F2I -2.5", "LDI32 R1, 0xC100\n F2I R3, R1\n BRK", vec![Reg(3, (-2i32) as u32)]),
        case("F2I ignores upper half", "LDI32 R1, 0x12343C00\n F2I R3, R1\n BRK", vec![Reg(3, 1)]),
        // ---- stack, R15 alias, CALL/RET ------------------------------------------------------
        // Writing R15 does not move SP; PUSH writes the new SP into R15.
        case(
            "MOV R15 does not move SP",
            "LDI R15, 0\n LDI R1, 9\n PUSH R1\n BRK",
            vec![Sp(0xFFF8), Reg(15, 0xFFF8), Mem32(0xFFF8, 9)],
        ),
        case("PUSH R15 pushes R15", "LDI R15, 123\n PUSH R15\n BRK", vec![Mem32(0xFFF8, 123), Reg(15, 0xFFF8), Sp(0xFFF8)]),
        // POP R15 leaves the popped value in R15 (written after the SP alias).
        case("POP R15", "LDI R1, 77\n PUSH R1\n POP R15\n BRK", vec![Reg(15, 77), Sp(0xFFFC)]),
        case(
            "POP underflow at the top",
            "LDI R3, 5\n POP R3\n BRK",
            vec![State(State::Faulted(code::STACK_UNDERFLOW)), Reg(3, 5), Reg(0, code::STACK_UNDERFLOW), Pc(4), Sp(0xFFFC), Steps(2)],
        ),
        case("RET from entry", "LDI R0, 42\n RET", vec![State(State::Returned(42)), Pc(4), Steps(2), Sp(0xFFFC)]),
        case(
            "CALL and RET",
            "CALL sub\n BRK\nsub: LDI R1, 5\n RET",
            vec![State(State::Paused(0)), Reg(1, 5), Sp(0xFFFC), Reg(15, 0xFFFC), Mem32(0xFFF8, 4), Pc(8), Steps(4)],
        ),
        // CALL Rs, imm: target = R3 + 4·imm.
        // R3 = 8, imm 1: target 12 (BRK 2).
        case("CALL R3, 1", "LDI R3, 8\n CALL R3, 1\n BRK 1\n BRK 2\n BRK 3", vec![State(State::Paused(2)), Pc(16), Mem32(0xFFF8, 8)]),
        // (0xFFFFFFFC + 3·4) & 0xFFFF = 8.
        case(
            "CALL Rs wraps mod 2^16",
            "LDI R3, -4\n CALL R3, 3\n BRK 1",
            vec![State(State::Paused(1)), Pc(12), Steps(3)],
        ),
        // The CALL retires (return address pushed); the fetch at 0x11 is BAD_PC, PC stays.
        case(
            "CALL Rs unaligned",
            "LDI R3, 0x11\n CALL R3, 0\n BRK",
            vec![State(State::Faulted(code::BAD_PC)), Pc(0x11), Steps(3), Sp(0xFFF8), Mem32(0xFFF8, 8)],
        ),
        case("JMP past the end", "JMP 0xFFC\n BRK", vec![State(State::Faulted(code::BAD_PC)), Pc(0xFFC), Steps(2)]),
        case(
            "JMP unaligned",
            ".word 0x21000002\n BRK",
            vec![State(State::Faulted(code::BAD_PC)), Pc(2), Steps(2), Reg(0, code::BAD_PC)],
        ),
        case("fall off the end", "LDI R1, 1", vec![State(State::Faulted(code::BAD_PC)), Pc(4), Steps(2)]),
        case(
            "LDI32 literal outside the image",
            "LDI R1, 3\n .word 0x60100000",
            vec![State(State::Faulted(code::BAD_PC)), Pc(4), Reg(1, 3), Steps(2)],
        ),
        case("illegal 0x00", "LDI R1, 3\n .word 0x00000000", vec![State(State::Faulted(code::ILLEGAL)), Pc(4), Steps(2)]),
        case("illegal 0xFF", ".word 0xFFFFFFFF", vec![State(State::Faulted(code::ILLEGAL)), Pc(0), Steps(1)]),
        case("illegal 0x05", ".word 0x05123456", vec![State(State::Faulted(code::ILLEGAL)), Pc(0)]),
        // ADD with junk in imm12 is still ADD R1, R2, R3.
        case("non-canonical ADD", "LDI R2, 3\n LDI R3, 4\n .word 0x10123FFF\n BRK", vec![Reg(1, 7)]),
        case("LDI sign-extends", "LDI R1, -2048\n LDI R2, 2047\n BRK", vec![Reg(1, 0xFFFF_F800), Reg(2, 2047)]),
        case("JZ taken", "LDI R1, 0\n CMP R1, R1\n JZ t\n BRK 1\nt: BRK 2", vec![State(State::Paused(2))]),
        case("JNZ not taken", "LDI R1, 0\n CMP R1, R1\n JNZ t\n BRK 1\nt: BRK 2", vec![State(State::Paused(1))]),
        // ---- memory and protection (stack 0x1000: limit 0xEFFC, top 0xFFFC) -------------------
        case(
            "LD word at 0xFFFE: MEM_FAULT before ACCESS_VIOLATION",
            "LDI32 R2, 0xFFFE\n LD R1, [R2]\n BRK",
            vec![State(State::Faulted(code::MEM_FAULT)), Pc(8)],
        ),
        case("LD word at 0xFFFD", "LDI32 R2, 0xFFFD\n LD R1, [R2]\n BRK", vec![State(State::Faulted(code::MEM_FAULT))]),
        case(
            "LDH at 0xFFFE: above stack_top",
            "LDI32 R2, 0xFFFE\n LDH R1, [R2]\n BRK",
            vec![State(State::Faulted(code::ACCESS_VIOLATION)), Reg(0, code::ACCESS_VIOLATION)],
        ),
        case("LDB at 0xFFFF", "LDI32 R2, 0xFFFF\n LDB R1, [R2]\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION))]),
        case("LD word straddling stack_top", "LDI32 R2, 0xFFFA\n LD R1, [R2]\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION))]),
        case("ST at the own stack", "LDI32 R2, 0xEFFC\n LDI R1, 66\n ST [R2], R1\n BRK", vec![Mem32(0xEFFC, 66), State(State::Paused(0))]),
        // stack_region_lo = 0xEFFC: a word at 0xEFFA has two free bytes and two own bytes.
        case("ST straddling stack_limit", "LDI32 R2, 0xEFFA\n LDI32 R1, 0x11223344\n ST [R2], R1\n BRK", vec![Mem32(0xEFF8, 0x3344_0000), Mem32(0xEFFC, 0x1122)]),
        case("LD at 0x0FFC (reserved area)", "LDI32 R2, 0x0FFC\n LD R1, [R2]\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION)), Reg(1, 0)]),
        case("LDB at 0x0000 (reserved area)", "LDI R2, 0\n LDB R1, [R2]\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION)), Pc(4)]),
        case("STB at 0x0FFF (last reserved byte)", "LDI32 R2, 0x0FFF\n LDI R1, 7\n STB [R2], R1\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION)), Mem32(0x0FFC, 0)]),
        case("LD at 0x0FFE touches the windows", "LDI32 R2, 0x0FFE\n LD R1, [R2]\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION))]),
        case("LDB at 0x11FF (last window byte)", "LDI32 R2, 0x11FF\n LDB R1, [R2]\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION))]),
        case("LDB at 0x1200", "LDI32 R2, 0x1200\n LDB R1, [R2]\n BRK", vec![State(State::Paused(0))]),
        case(
            "ST fault writes nothing but R0",
            "LDI32 R2, 0x0FFE\n LDI R1, -1\n ST [R2], R1\n BRK",
            vec![State(State::Faulted(code::ACCESS_VIOLATION)), Mem32(0x0FFC, 0), Reg(1, 0xFFFF_FFFF), Pc(12)],
        ),
        // (0xFFFFFFF0 + 0x10) & 0xFFFF = 0: the reserved area, forbidden when protected.
        case("address wraps mod 2^16", "LDI R2, -16\n LDI R1, 90\n STB [R2 + 16], R1\n LDB R3, [R2 + 16]\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION)), Pc(8), Mem32(0, 0)]),
        case("negative offset wraps to 0xFFFE", "LDI R2, 2\n LDB R1, [R2 - 4]\n BRK", vec![State(State::Faulted(code::ACCESS_VIOLATION))]),
        // ---- SVCs, BRK --------------------------------------------------------------------
        case("GET_STEPS", "LDI R1, 1\n LDI R1, 2\n LDI R1, 3\n SVC 0x0, 0x00\n BRK", vec![Reg(0, 3), Steps(5)]),
        case("ENOSYS", "SVC 0x2, 0x00\n BRK", vec![Reg(0, code::ENOSYS), State(State::Paused(0)), Pc(8)]),
        case("ENOSYS mailbox fn 7", "SVC 0x5, 0x07\n BRK", vec![Reg(0, code::ENOSYS)]),
        case("EXIT", "LDI R0, 7\n SVC 0x1, 0x00\n BRK", vec![State(State::Returned(7)), Pc(8), Steps(2)]),
        case("BRK 0x2A", "BRK 0x2A\n BRK", vec![State(State::Paused(0x2A)), Pc(4), Steps(1)]),
        case(
            "UART_WRITE",
            ".data\nmsg: .asciz \"hi!\"\n.text\n LDI32 R1, msg\n LDI R2, 2\n SVC 0x1, 0x01\n BRK",
            vec![Reg(0, 2), Console("hi")],
        ),
        case(
            "UART_WRITE from the windows",
            "LDI32 R1, 0x1000\n LDI R2, 4\n SVC 0x1, 0x01\n BRK",
            vec![Reg(0, code::ACCESS_VIOLATION), Console("")],
        ),
        case(
            "UART_WRITE from the reserved area",
            "LDI32 R1, 0x0FFF\n LDI R2, 1\n SVC 0x1, 0x01\n BRK",
            vec![Reg(0, code::ACCESS_VIOLATION), Console("")],
        ),
    ];
    // A 16-byte stack: limit 0xFFEC.
    let small = |name, src: &str, expect| Case { stack: 16, ..case(name, src, expect) };
    v.push(small(
        "PUSH overflow",
        "PUSH R0\n PUSH R0\n PUSH R0\n PUSH R0\n PUSH R0\n BRK",
        vec![State(State::Faulted(code::STACK_OVERFLOW)), Sp(0xFFEC), Reg(15, 0xFFEC), Pc(16), Steps(5)],
    ));
    v.push(small(
        "CALL overflow",
        "PUSH R0\n PUSH R0\n PUSH R0\n PUSH R0\n CALL x\nx: BRK",
        vec![State(State::Faulted(code::STACK_OVERFLOW)), Sp(0xFFEC), Pc(16), Steps(5)],
    ));
    v.push(small(
        "recursion overflows",
        "r: CALL r",
        vec![State(State::Faulted(code::STACK_OVERFLOW)), Sp(0xFFEC), Pc(0), Steps(5)],
    ));
    // With protection off only MEM_FAULT applies, and a store into the window is a
    // register write (R1 lives at 0x1004).
    let open = |name, src: &str, expect| Case { protect: false, ..case(name, src, expect) };
    v.push(open("no protect: LDH at 0xFFFE", "LDI32 R2, 0xFFFE\n LDH R1, [R2]\n BRK", vec![State(State::Paused(0))]));
    v.push(open(
        "no protect: LD at 0xFFFE",
        "LDI32 R2, 0xFFFE\n LD R1, [R2]\n BRK",
        vec![State(State::Faulted(code::MEM_FAULT))],
    ));
    // (0xFFFFFFF0 + 0x10) & 0xFFFF = 0: with protection off the reserved area is memory.
    v.push(open(
        "no protect: address wraps mod 2^16",
        "LDI R2, -16\n LDI R1, 90\n STB [R2 + 16], R1\n LDB R3, [R2 + 16]\n BRK",
        vec![Reg(3, 90), Mem32(0, 90)],
    ));
    v.push(open(
        "no protect: LD at 0x0FFC",
        "LDI32 R2, 0x0FFC\n LD R1, [R2]\n BRK",
        vec![State(State::Paused(0)), Reg(1, 0)],
    ));
    v.push(open(
        "no protect: ST into own window",
        "LDI32 R2, 0x1004\n LDI R3, 99\n ST [R2], R3\n BRK",
        vec![Reg(1, 99)],
    ));
    v
}

fn check_expect(f: &Final, e: Expect) -> Option<String> {
    let (what, got, want) = match e {
        Reg(n, w) => (format!("R{n}"), u64::from(f.regs[n as usize]), u64::from(w)),
        Psw(w) => ("psw".into(), u64::from(f.psw), u64::from(w)),
        Pc(w) => ("pc".into(), u64::from(f.pc), u64::from(w)),
        Sp(w) => ("sp".into(), u64::from(f.sp), u64::from(w)),
        Steps(w) => ("steps".into(), f.steps, w),
        Mem32(a, w) => {
            let a = a as usize;
            let got = u32::from_le_bytes([f.mem[a], f.mem[a + 1], f.mem[a + 2], f.mem[a + 3]]);
            (format!("M32[0x{a:04X}]"), u64::from(got), u64::from(w))
        }
        State(s) => {
            return (f.state != s).then(|| format!("state {:?}, expected {s:?}", f.state));
        }
        Console(s) => {
            return (f.console != s.as_bytes())
                .then(|| format!("console {:?}, expected {s:?}", String::from_utf8_lossy(&f.console)));
        }
    };
    (got != want).then(|| format!("{what} = 0x{got:X}, expected 0x{want:X}"))
}

/// Run one case on both models against its expectations; problems are appended to `out`.
fn run_case(name: &str, image: &isa::hxe::Image, stack: u32, protect: bool, expect: &[Expect], out: &mut Vec<String>) {
    let run = Run { image, stack_size: stack, protect, max_steps: 1000 };
    let model = match run_model(&run) {
        Ok((f, _)) => Some(f),
        Err(e) => {
            out.push(format!("[model]  {name}: {e}"));
            None
        }
    };
    let golden = match run_golden(&run) {
        Ok(f) => Some(f),
        Err(e) => {
            out.push(format!("[golden] {name}: {e}"));
            None
        }
    };
    for (who, f) in [("model", &model), ("golden", &golden)] {
        if let Some(f) = f {
            for &e in expect {
                if let Some(msg) = check_expect(f, e) {
                    out.push(format!("[{who}] {name}: {msg}"));
                }
            }
        }
    }
    if let (Some(g), Some(m)) = (&golden, &model) {
        if let Some(d) = first_difference(g, m) {
            out.push(format!("[differ] {name}: {d}"));
        }
    }
}

#[test]
fn directed_table() {
    let mut problems = Vec::new();
    let all = cases();
    for c in &all {
        match isa::asm::assemble(&c.src, c.name) {
            Ok(p) => run_case(c.name, &p.image, c.stack, c.protect, &c.expect, &mut problems),
            Err(e) => problems.push(format!("[asm] {}: {e}", c.name)),
        }
    }
    assert!(all.len() > 90, "the table shrank to {} cases", all.len());
    assert!(problems.is_empty(), "{} problems in the directed table:\n{}", problems.len(), problems.join("\n"));
}

/// A 64 KiB image (code_size = 0x10000): the only way PC + 4 can reach 0x10000 and wrap.
/// Layout: the words at the top are given; everything else is 0 (ILLEGAL).
fn big_image(words: &[(u32, u32)], entry: u32) -> (isa::hxe::Image, isa::hxe::Image) {
    let mut code = vec![0u32; 0x4000];
    for &(at, w) in words {
        code[(at / 4) as usize] = w;
    }
    // MVASM: .word for every word (what `.word` in .text is for).
    let mut src = String::with_capacity(0x4000 * 20);
    src.push_str(&format!(".entry 0x{entry:X}\n"));
    for w in &code {
        src.push_str(&format!(".word 0x{w:08X}\n"));
    }
    let asm = isa::asm::assemble(&src, "big.mvasm").expect("a 64 KiB image assembles").image;
    let spec = hxe::HxeSpec {
        version: 1,
        flags: 0,
        entry,
        code,
        data: vec![],
        bss: 0,
        caps: 0,
        name: String::new(),
        data_addr: 0x4000,
        extra_meta: vec![],
    };
    let hand =
        isa::hxe::Image::parse(&hxe::build(&spec, &hxe::Crc32::new())).expect("the hand-built 64 KiB image parses");
    assert_eq!(asm.code, hand.code);
    assert_eq!(asm.entry, hand.entry);
    (asm, hand)
}

#[test]
fn pc_wraps_in_a_64k_image() {
    let mut problems = Vec::new();
    // LDI32 R2 at 0xFFF8 (literal at 0xFFFC): PC + 8 wraps to 0. At 0: LDI R1, 7;
    // at 4: CALL 0xFFF0 (imm = (0xFFF0 − 4) mod 2^16 / 4 = −5); at 0xFFF0: RET → 8;
    // at 8: EXIT with R0 = 0.
    let (a, h) = big_image(
        &[
            (0xFFF8, 0x6020_0000),
            (0xFFFC, 0x1234_5678),
            (0x0000, 0x0110_0007),
            (0x0004, 0x2400_0FFB),
            (0xFFF0, 0x2500_0000),
            (0x0008, 0x3000_0100),
        ],
        0xFFF8,
    );
    let expect =
        [State(State::Returned(0)), Reg(2, 0x1234_5678), Reg(1, 7), Steps(5), Mem32(0xFFF8, 8), Pc(12), Sp(0xFFFC)];
    run_case("64K: LDI32 wraps, CALL backwards over 0", &a, 0x1000, true, &expect, &mut problems);
    run_case("64K (hand-built): LDI32 wraps", &h, 0x1000, true, &expect, &mut problems);
    // A plain instruction at 0xFFFC: PC + 4 wraps to 0, where BRK 9 waits.
    let (a, _) = big_image(&[(0xFFFC, 0x0130_0005), (0x0000, 0x7F00_0009)], 0xFFFC);
    run_case(
        "64K: PC + 4 wraps",
        &a,
        0x1000,
        true,
        &[State(State::Paused(9)), Reg(3, 5), Pc(4), Steps(2)],
        &mut problems,
    );
    // LDI32 at 0xFFFC: its literal would be at 0x10000, outside the image: BAD_PC.
    let (a, _) = big_image(&[(0xFFFC, 0x6030_0000)], 0xFFFC);
    run_case(
        "64K: LDI32 at 0xFFFC",
        &a,
        0x1000,
        true,
        &[State(State::Faulted(code::BAD_PC)), Pc(0xFFFC), Steps(1)],
        &mut problems,
    );
    // CALL +1 at 0xFFFC: target (0xFFFC + 4) & 0xFFFF = 0, where POP R3 reads the pushed
    // return address (PC + 4 of a 16-bit PC: 0x0000; see the report) and BRK follows.
    let (a, _) = big_image(&[(0xFFFC, 0x2400_0001), (0x0000, 0x4130_0000), (0x0004, 0x7F00_0000)], 0xFFFC);
    run_case(
        "64K: CALL at 0xFFFC",
        &a,
        0x1000,
        true,
        &[State(State::Paused(0)), Pc(8), Steps(3), Sp(0xFFFC)],
        &mut problems,
    );
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_expectation_checker_catches_differences() {
    // The checker itself must be able to fail: a wrong expectation is reported.
    let img = isa::asm::assemble("LDI R1, 5\n BRK", "t").unwrap().image;
    let mut problems = Vec::new();
    run_case("wrong on purpose", &img, 0x1000, true, &[Reg(1, 6), Pc(4)], &mut problems);
    let mut text = String::new();
    for p in &problems {
        let _ = writeln!(text, "{p}");
    }
    // R1 and pc (8 after the BRK) are wrong on both models.
    assert_eq!(problems.len(), 4, "{text}");
    assert!(text.contains("[model] wrong on purpose: R1 = 0x5, expected 0x6"), "{text}");
    assert!(text.contains("[golden] wrong on purpose: R1 = 0x5, expected 0x6"), "{text}");
}
