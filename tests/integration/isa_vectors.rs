//! ISA vectors at the system level (isa.md): small assembled programs per instruction
//! group, run as a task on a whole machine, checking final registers (read through the
//! window), PSW, SP and faults. Expected values are worked out from isa.md.

use hsx_tests::*;
use isa::{fault, TaskState, PSW_C, PSW_N, PSW_V, PSW_Z};
use vm_ref::system::{Outcome, System};

/// Run `body` as the entry function of one task (a `RET` is appended) to the end.
fn run_body(body: &str) -> System {
    run_src(&format!(".data\nbuf: .word 0, 0, 0, 0\n.text\nmain:\n{body}\n        RET\n"), true)
}

fn run_src(src: &str, protect: bool) -> System {
    let (mut sys, _) = Boot::new().protect(protect).start(src, &["main"]);
    assert_eq!(sys.run(100_000), Outcome::Finished);
    sys
}

/// Registers `n..` of pid 1 equal `want`, and the task returned.
#[track_caller]
fn assert_regs(sys: &System, first: usize, want: &[u32]) {
    assert_eq!(sys.machine.slot(1).state, TaskState::Returned, "fault {:?}", sys.machine.slot(1).fault);
    let r = sys.machine.regs(1);
    assert_eq!(&r[first..first + want.len()], want, "R{first}..");
}

#[track_caller]
fn assert_psw(sys: &System, psw: u8) {
    assert_eq!(sys.machine.slot(1).psw, psw, "PSW");
}

#[track_caller]
fn assert_fault(sys: &System, code: u32, pc: u16) {
    let s = sys.machine.slot(1);
    assert_eq!(s.state, TaskState::Faulted);
    assert_eq!(s.fault, Some(code));
    assert_eq!(sys.machine.reg(1, 0), code, "R0 holds the fault code");
    assert_eq!(s.pc, pc, "PC stays at the faulting instruction");
}

#[test]
fn ldi_ldi32_mov() {
    let sys = run_body(
        "LDI R1, -1\nLDI R2, 2047\nLDI R3, -2048\nLDI32 R4, 0xDEADBEEF\nMOV R5, R4\nLDI32 R6, -5\nLDI R7, 'A'",
    );
    assert_regs(&sys, 1, &[0xFFFF_FFFF, 2047, 0xFFFF_F800, 0xDEAD_BEEF, 0xDEAD_BEEF, 0xFFFF_FFFB, 65]);
    assert_psw(&sys, 0);
}

#[test]
fn add_sub_cmp_flags() {
    // Signed overflow into the sign bit.
    let s = run_body("LDI32 R1, 0x7FFFFFFF\nLDI R2, 1\nADD R3, R1, R2");
    assert_regs(&s, 3, &[0x8000_0000]);
    assert_psw(&s, PSW_N | PSW_V);
    // Carry out and zero.
    let s = run_body("LDI R1, -1\nLDI R2, 1\nADD R3, R1, R2");
    assert_regs(&s, 3, &[0]);
    assert_psw(&s, PSW_Z | PSW_C);
    // Borrow: C = (a >= b) is clear.
    let s = run_body("LDI R1, 0\nLDI R2, 1\nSUB R3, R1, R2");
    assert_regs(&s, 3, &[0xFFFF_FFFF]);
    assert_psw(&s, PSW_N);
    // Signed overflow on SUB, no borrow.
    let s = run_body("LDI32 R1, 0x80000000\nLDI R2, 1\nSUB R3, R1, R2");
    assert_regs(&s, 3, &[0x7FFF_FFFF]);
    assert_psw(&s, PSW_C | PSW_V);
    // CMP sets flags as SUB and writes no register.
    let s = run_body("LDI R1, 5\nLDI R3, 9\nCMP R1, R1");
    assert_regs(&s, 1, &[5, 0, 9]);
    assert_psw(&s, PSW_Z | PSW_C);
}

#[test]
fn mul_and_div() {
    let s = run_body("LDI R1, 6\nLDI R2, 7\nMUL R3, R1, R2");
    assert_regs(&s, 3, &[42]);
    assert_psw(&s, 0);
    // 0x10000 squared: the high word is 1, the low word 0 -> Z, C, V.
    let s = run_body("LDI32 R1, 0x10000\nMUL R2, R1, R1");
    assert_regs(&s, 2, &[0]);
    assert_psw(&s, PSW_Z | PSW_C | PSW_V);
    // Truncation toward zero.
    let s = run_body("LDI R1, -7\nLDI R2, 2\nDIV R3, R1, R2");
    assert_regs(&s, 3, &[(-3i32) as u32]);
    assert_psw(&s, PSW_N);
    // 0x80000000 / -1 wraps, no fault; C and V cleared (set them first).
    let s = run_body("LDI32 R1, 0x80000000\nLDI R2, 1\nSUB R5, R1, R2\nLDI R2, -1\nDIV R3, R1, R2");
    assert_regs(&s, 3, &[0x8000_0000]);
    assert_psw(&s, PSW_N);
}

#[test]
fn div_by_zero_faults_with_no_effect() {
    let s = run_body("LDI R1, 5\nLDI R2, 0\nLDI R3, 9\nCMP R1, R1\nDIV R3, R1, R2");
    assert_fault(&s, fault::DIV_ZERO, 16);
    assert_eq!(s.machine.reg(1, 3), 9, "rd not written");
    assert_eq!(s.machine.slot(1).psw, PSW_Z | PSW_C, "flags untouched");
    assert_eq!(s.machine.slot(1).accounted_steps, 5, "the faulting instruction is a step");
}

#[test]
fn logic_clears_c_and_v() {
    let s = run_body(
        "LDI32 R1, 0x80000000\nLDI R2, 1\nSUB R3, R1, R2\n\
         LDI32 R4, 0xF0F0F0F0\nLDI32 R5, 0xFF00FF00\nAND R6, R4, R5",
    );
    assert_regs(&s, 6, &[0xF000_F000]);
    assert_psw(&s, PSW_N);
    let s = run_body(
        "LDI32 R4, 0xF0F0F0F0\nLDI32 R5, 0xFF00FF00\nOR R7, R4, R5\nXOR R8, R4, R5\nNOT R9, R4\nXOR R10, R4, R4",
    );
    assert_regs(&s, 7, &[0xFFF0_FFF0, 0x0FF0_0FF0, 0x0F0F_0F0F, 0]);
    assert_psw(&s, PSW_Z);
}

#[test]
fn shifts() {
    // LSL: C = the last bit shifted out (bit 32 - s).
    let s = run_body("LDI32 R1, 0x80000001\nLDI R2, 1\nLSL R3, R1, R2");
    assert_regs(&s, 3, &[2]);
    assert_psw(&s, PSW_C);
    // Only the low five bits of the amount count: 33 is 1.
    let s = run_body("LDI32 R1, 0x80000001\nLDI R2, 33\nLSL R3, R1, R2");
    assert_regs(&s, 3, &[2]);
    assert_psw(&s, PSW_C);
    // LSR: C = bit s-1.
    let s = run_body("LDI R1, 3\nLDI R2, 1\nLSR R3, R1, R2");
    assert_regs(&s, 3, &[1]);
    assert_psw(&s, PSW_C);
    // ASR keeps the sign; bit 3 of a is 0 -> C clear.
    let s = run_body("LDI32 R1, 0x80000000\nLDI R2, 4\nASR R3, R1, R2");
    assert_regs(&s, 3, &[0xF800_0000]);
    assert_psw(&s, PSW_N);
    // A shift by 0 (32 & 31) leaves C alone and clears V.
    let s = run_body("LDI32 R1, 0x80000000\nLDI R2, 1\nSUB R5, R1, R2\nLDI R2, 32\nLSR R3, R1, R2");
    assert_regs(&s, 3, &[0x8000_0000]);
    assert_psw(&s, PSW_N | PSW_C);
}

#[test]
fn adc_and_sbc_use_the_true_signed_overflow() {
    // C = 1 (CMP equal), then 0 + 0x7FFFFFFF + 1 = 0x80000000: signed overflow.
    let s = run_body("LDI R1, 0\nLDI32 R2, 0x7FFFFFFF\nCMP R1, R1\nADC R3, R1, R2");
    assert_regs(&s, 3, &[0x8000_0000]);
    assert_psw(&s, PSW_N | PSW_V);
    // -2^31 + (2^31 - 1) + 1 = 0: carry out, no overflow.
    let s = run_body("LDI32 R1, 0x80000000\nLDI32 R2, 0x7FFFFFFF\nCMP R1, R1\nADC R3, R1, R2");
    assert_regs(&s, 3, &[0]);
    assert_psw(&s, PSW_Z | PSW_C);
    // ADC with C = 0 is ADD.
    let s = run_body("LDI R1, 0\nLDI R2, 1\nSUB R9, R1, R2\nLDI R1, 2\nLDI R2, 3\nADC R3, R1, R2");
    assert_regs(&s, 3, &[5]);
    assert_psw(&s, 0);
    // C = 0 (borrow), then 0x80000000 - 0 - 1 = 0x7FFFFFFF: overflow, no borrow.
    let s = run_body("LDI R1, 0\nLDI R2, 1\nSUB R9, R1, R2\nLDI32 R1, 0x80000000\nLDI R2, 0\nSBC R3, R1, R2");
    assert_regs(&s, 3, &[0x7FFF_FFFF]);
    assert_psw(&s, PSW_C | PSW_V);
    // 0 - 0x7FFFFFFF - 1 = 0x80000000 = -2^31 exactly: no overflow, borrow.
    let s = run_body("LDI R1, 0\nLDI R2, 1\nSUB R9, R1, R2\nLDI R1, 0\nLDI32 R2, 0x7FFFFFFF\nSBC R3, R1, R2");
    assert_regs(&s, 3, &[0x8000_0000]);
    assert_psw(&s, PSW_N);
}

#[test]
fn loads_and_stores_little_endian_unaligned_and_wrapping() {
    let s = run_body(
        "LDI32 R1, buf\nLDI32 R2, 0x11223344\n\
         ST [R1 + 1], R2\nLD R3, [R1 + 1]\nLDB R4, [R1 + 1]\nLDH R5, [R1 + 2]\n\
         STB [R1 + 8], R2\nLDB R6, [R1 + 8]\nSTH [R1 + 12], R2\nLD R7, [R1 + 12]\n\
         LDI32 R9, 0x4010\nLD R10, [R9 - 15]\n\
         LDI32 R11, 0x12344000\nLD R12, [R11 + 1]",
    );
    assert_regs(&s, 3, &[0x1122_3344, 0x44, 0x2233, 0x44, 0x3344]);
    assert_regs(&s, 10, &[0x1122_3344, 0x1234_4000, 0x1122_3344]);
    assert_eq!(bytes(&s, 0x4000, 16), [0, 0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0x44, 0, 0, 0, 0x44, 0x33, 0, 0]);
}

#[test]
fn mem_fault_before_access_violation() {
    // A word at 0xFFFE runs past 0xFFFF: MEM_FAULT even with protection on.
    let s = run_body("LDI32 R1, 0xFFFE\nLD R2, [R1]");
    assert_fault(&s, fault::MEM_FAULT, 8);
    // A halfword at 0xFFFE fits, but lies above the task's stack_top: ACCESS_VIOLATION.
    let s = run_body("LDI32 R1, 0xFFFE\nLDH R2, [R1]");
    assert_fault(&s, fault::ACCESS_VIOLATION, 8);
    // With protection off it is just memory.
    let s = run_src(".text\nmain: LDI32 R1, 0xFFFE\nLDI R3, 0x5A\nSTB [R1 + 1], R3\nLDH R2, [R1]\nRET\n", false);
    assert_regs(&s, 2, &[0x5A00]);
}

#[test]
fn branches_calls_and_returns() {
    let src = "
        .text
main:   LDI   R1, 1
        LDI   R2, 1
        CMP   R1, R2
        JZ    eq
        LDI   R9, 99          ; skipped
eq:     JNZ   eq              ; not taken (Z set)
        CALL  fn              ; pushes the return address
        LDI32 R3, fn2
        LDI   R4, 0
        CALL  R3, 0           ; register form: PC <- R3 + 0
        LDI32 R5, back
        LDI32 R6, 0xABCD0000
        OR    R5, R5, R6
        PUSH  R5
        RET                   ; RET keeps the low 16 bits: PC <- back
        LDI   R9, 98          ; skipped
back:   JMP   out
        LDI   R9, 97          ; skipped
fn:     LDI   R7, 7
        RET
fn2:    LDI   R8, 8
        RET
out:    MOV   R0, R9
        RET
";
    let s = run_src(src, true);
    assert_regs(&s, 7, &[7, 8, 0]);
    assert_eq!(s.machine.slot(1).exit_code, Some(0));
    assert_eq!(s.machine.slot(1).sp, s.machine.slot(1).stack_top);
}

#[test]
fn r15_is_the_sp_alias() {
    let s = run_body(
        "LDI R1, 5\nPUSH R1\nMOV R7, R15\n\
         LDI R15, 0\nPUSH R1\nMOV R8, R15\n\
         POP R15\nMOV R9, R15\nPOP R2\nMOV R10, R15",
    );
    // PUSH: R15 <- SP; writing R15 does not move SP; POP R15 leaves the popped value.
    assert_regs(&s, 7, &[0xFFF8, 0xFFF4, 5, 0xFFFC]);
    assert_regs(&s, 2, &[5]);
    assert_eq!(s.machine.slot(1).sp, 0xFFFC);
}

#[test]
fn stack_underflow_and_entry_return() {
    let s = run_body("POP R1");
    assert_fault(&s, fault::STACK_UNDERFLOW, 0);
    // RET at SP == stack_top is the task returning, with R0 as its status.
    let s = run_body("LDI R0, 77");
    assert_eq!(s.machine.slot(1).exit_code, Some(77));
    assert_eq!(s.machine.slot(1).pc, 4, "PC unchanged by the returning RET");
}

#[test]
fn illegal_and_bad_pc() {
    let s = run_src(".text\nmain: LDI R1, 1\n.word 0x0F000000\n", true);
    assert_fault(&s, fault::ILLEGAL, 4);
    assert_eq!(s.machine.reg(1, 1), 1);
    // A jump outside the image: BAD_PC at the target, nothing fetched.
    let (mut sys, _) = boot(".text\nmain: JMP 0x800\n", &["main"]);
    step(&mut sys);
    let r = step(&mut sys);
    assert_eq!((r.pc, r.insn_len, r.fault), (0x800, 0, Some(fault::BAD_PC)));
    assert_fault(&sys, fault::BAD_PC, 0x800);
    // LDI32 whose literal word lies outside the image.
    let s = run_src(".text\nmain: LDI R1, 1\n.word 0x60100000\n", true);
    assert_fault(&s, fault::BAD_PC, 4);
}

#[test]
fn pc_wraps_modulo_2_16() {
    // A 64 KiB image: RET at 0, the entry at 4 CALLs the last word (0xFFFC), whose
    // PC + 4 wraps to 0, where RET returns to 8.
    let mut src = String::from(".text\n        RET\nstart:  CALL last\n        MOV R0, R1\n        RET\n");
    for _ in 0..(0xFFFC - 16) / 4 {
        src.push_str("        .word 0\n");
    }
    src.push_str("last:   LDI R1, 7\n        .entry start\n");
    let prog = assemble(&src);
    assert_eq!(prog.image.code.len(), 0x10000);
    let (mut sys, _) = boot(&src, &["start"]);
    let recs = run_to_end(&mut sys, 10);
    let trail: Vec<(u16, u16)> = recs.iter().map(|r| (r.pc, r.next_pc)).collect();
    assert_eq!(trail, vec![(4, 0xFFFC), (0xFFFC, 0), (0, 8), (8, 12), (12, 12)]);
    assert_eq!(sys.machine.slot(1).exit_code, Some(7));
}

#[test]
fn get_steps_counts_this_tasks_steps_before_the_svc() {
    let src = ".text\nmain: LDI R1, 0\nLDI R1, 0\nLDI R1, 0\nSVC 0x0, 0x00\nRET\nother: LDI R2, 0\nLDI R2, 0\nRET\n";
    let (mut sys, _) = boot(src, &["main", "other"]);
    assert_eq!(sys.run(100), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(3), "only this task's steps");
}

#[test]
fn binary16_vectors_through_the_cli() {
    let out = hsx(&["run", "--json", "tests/programs/fp.mvasm"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    let r = json_regs(json_task(&j, 1));
    let want: [(usize, u64, &str); 11] = [
        (4, 0xABCD_4200, "1.0 + 2.0 = 3.0, high half kept"),
        (5, 0x3555, "1 / 3"),
        (6, 0x7C00, "65504 * 2 = +inf"),
        (7, 0x8000_0000, "F2I(-inf)"),
        (8, 0x7FFF_FFFF, "F2I(+inf)"),
        (9, 0x7E00, "inf - inf = canonical NaN"),
        (10, 0, "F2I(NaN)"),
        (11, 0xFFFF_C200, "I2F(-3), high half kept"),
        (12, 0, "1 / +0 = +0"),
        (13, 0x8000, "-1 / 0 = -0"),
        (14, 3, "F2I(3.140625)"),
    ];
    for (n, v, what) in want {
        assert_eq!(r[n], v, "R{n}: {what}: got 0x{:X}", r[n]);
    }
    // The floating-point instructions never touch the PSW.
    assert_eq!(ju(&json_task(&j, 1)["psw"]), 0);
}

#[test]
fn binary16_rounding_and_subnormals() {
    let s = run_body(
        "LDI32 R1, 0x3C00\nLDI32 R2, 0x1400\nFADD R3, R1, R2\n\
         LDI32 R4, 0x0001\nFADD R5, R4, R4\n\
         LDI32 R6, 0x03FF\nLDI32 R7, 0x3C01\nFMUL R8, R6, R7\n\
         LDI32 R9, 2049\nI2F R10, R9\nLDI32 R11, 2051\nI2F R12, R11",
    );
    // 1 + 2^-10 is exactly 0x3C01; smallest subnormal doubled; 0x03FF * (1 + 2^-10)
    // rounds up to the smallest normal 0x0400; 2049 ties to even 2048, 2051 to 2052.
    assert_regs(&s, 3, &[0x3C01]);
    assert_regs(&s, 5, &[0x0002]);
    assert_regs(&s, 8, &[0x0400]);
    assert_regs(&s, 10, &[0x6800]);
    assert_regs(&s, 12, &[0x6802]);
}
