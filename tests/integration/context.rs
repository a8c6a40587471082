//! Contexts (context.md, isa.md): registers live in per-task windows in data memory, stack
//! guards, a trap resumes exactly after the SVC, and a context switch never copies a
//! register — the only writes to the window region are the retiring task's own register
//! writes (and, for SVCs, the executive's results for the tasks the call concerns).

use hsx_tests::*;
use isa::{fault, window_of, TaskState, DATA_SIZE, WINDOW_BASE, WINDOW_SIZE};
use vm_ref::system::Outcome;

#[test]
fn each_task_sees_its_own_register_in_its_own_window() {
    let src = program_source("windows.mvasm");
    let (mut sys, _) = boot(&src, &["first", "second"]);
    assert_eq!(sys.machine.slot(1).reg_base, 0x1000);
    assert_eq!(sys.machine.slot(2).reg_base, 0x1040);

    // Step 1: pid 1 writes R5 = 0x111 into its window; step 2: pid 2 writes R5 = 0x222.
    let r1 = step(&mut sys);
    assert_eq!(r1.pid, 1);
    assert_eq!(r1.writes(), &[isa::MemWrite { addr: 0x1000 + 20, mask: 0xF, data: 0x111 }]);
    let r2 = step(&mut sys);
    assert_eq!(r2.pid, 2);
    assert_eq!(r2.writes(), &[isa::MemWrite { addr: 0x1040 + 20, mask: 0xF, data: 0x222 }]);
    assert_eq!(sys.machine.read_u32(0x1000 + 20), 0x111);
    assert_eq!(sys.machine.read_u32(0x1040 + 20), 0x222);
    assert_eq!(sys.machine.regs(1)[5], 0x111);
    assert_eq!(sys.machine.regs(2)[5], 0x222);

    // Interleaved (slice 1) doubling three times: each sees only its own R5.
    assert_eq!(sys.run(1000), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(0x111 * 8));
    assert_eq!(sys.machine.slot(2).exit_code, Some(0x222 * 8));
    assert_eq!(sys.machine.read_u32(0x1000 + 20), 0x888);
    assert_eq!(sys.machine.read_u32(0x1040 + 20), 0x1110);
    assert_eq!(sys.machine.regs(1)[0], 0x888);
    assert_eq!(sys.machine.regs(2)[0], 0x1110);
}

#[test]
fn writing_window_memory_from_outside_is_what_the_task_reads() {
    // The registers are the memory: a host poke into the window is the register.
    let src = "
        .text
main:   LDI   R2, 1
        ADD   R0, R1, R2     ; R0 <- R1 + 1
        RET
";
    let (mut sys, _) = boot(src, &["main"]);
    step(&mut sys);
    sys.machine.write_u32(0x1000 + 4, 41); // R1 of pid 1
    assert_eq!(sys.run(10), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(42));
}

#[test]
fn deep_recursion_overflows_the_stack_and_the_others_finish() {
    let src = "
        .text
deep:   LDI   R2, 1
rec:    ADD   R1, R1, R2
        PUSH  R1
        CALL  rec              ; 8 bytes a level: 512 levels fill 0x1000 bytes
sum:    LDI   R0, 0
        LDI   R1, 100
        LDI   R2, 1
sloop:  ADD   R0, R0, R1
        SUB   R1, R1, R2
        JNZ   sloop
        RET                    ; 5050
mul:    LDI   R0, 0
        LDI   R1, 6
        LDI   R2, 7
        LDI   R3, 1
mloop:  ADD   R0, R0, R2
        SUB   R1, R1, R3
        JNZ   mloop
        RET                    ; 42
";
    let (mut sys, prog) = boot(src, &["deep", "sum", "mul"]);
    let push_pc = label(&prog, "rec") + 4;
    assert_eq!(sys.run(100_000), Outcome::Finished);
    let s = *sys.machine.slot(1);
    assert_eq!(s.state, TaskState::Faulted);
    assert_eq!(s.fault, Some(fault::STACK_OVERFLOW));
    assert_eq!(sys.machine.reg(1, 0), 0xFFFF_FF03);
    assert_eq!(s.pc, push_pc, "PC stays at the faulting PUSH");
    assert_eq!(s.sp, s.stack_limit, "the stack is exactly full");
    assert_eq!((s.stack_limit, s.stack_top), (0xEFFC, 0xFFFC));
    // LDI, 512 levels of ADD/PUSH/CALL, then ADD and the faulting PUSH.
    assert_eq!(s.accounted_steps, 1 + 512 * 3 + 2);
    assert_eq!(sys.machine.reg(1, 1), 513, "the ADD before the faulting PUSH retired");
    // The last level's words: its pushed R1 (512), then CALL's return address.
    assert_eq!(sys.machine.read_u32(0xEFFC), (label(&prog, "rec") + 12) as u32);
    assert_eq!(sys.machine.read_u32(0xF000), 512);
    // Nothing below the arena was touched: pid 2's and pid 3's arenas are still zero.
    assert!(bytes(&sys, 0xCFFC, 0x2000).iter().all(|&b| b == 0));

    assert_eq!(sys.machine.slot(2).state, TaskState::Returned);
    assert_eq!(sys.machine.slot(2).exit_code, Some(5050));
    assert_eq!(sys.machine.slot(3).state, TaskState::Returned);
    assert_eq!(sys.machine.slot(3).exit_code, Some(42));
}

#[test]
fn call_alone_overflows_at_the_guard() {
    let src = ".text\nc: CALL c\n";
    let (mut sys, _) = Boot::new().stack_size(64).start(src, &["c"]);
    assert_eq!(sys.run(1000), Outcome::Finished);
    let s = *sys.machine.slot(1);
    assert_eq!(s.fault, Some(fault::STACK_OVERFLOW));
    assert_eq!(s.accounted_steps, 17, "16 CALLs fit in 64 bytes, the 17th faults");
    assert_eq!(s.sp, s.stack_limit);
    assert_eq!(sys.machine.reg(1, 15), s.stack_limit, "R15 follows SP");
}

#[test]
fn a_trap_resumes_at_pc_plus_4_with_sp_and_psw_intact() {
    let src = "
        .text
main:   LDI   R1, -1
        LDI   R2, 1
        LDI32 R3, 0x77
        PUSH  R3
        CMP   R1, R2            ; 0xFFFFFFFF - 1: N and C set, Z and V clear -> PSW 6
getpid: SVC   0x6, 0x02         ; GETPID
nosys:  SVC   0x7, 0x00         ; not implemented: ENOSYS, not a fault
        LDI   R0, 1
nap:    SVC   0x6, 0x00         ; SLEEP_MS(1): blocks, the other task runs
        POP   R5                ; the pushed 0x77
        JNZ   nz                ; Z still clear
        LDI   R5, 0
nz:     MOV   R0, R5
        RET
; The other task sets different flags all the time (Z and C).
flip:   LDI   R1, 3
        LDI   R2, 1
floop:  CMP   R1, R1
        SUB   R1, R1, R2
        JNZ   floop
        RET
";
    let (mut sys, prog) = Boot::new().ticks_per_ms(10).start(src, &["main", "flip"]);
    let top = sys.machine.slot(1).stack_top;
    let check = |sys: &vm_ref::system::System, pc: u16, what: &str| {
        let s = sys.machine.slot(1);
        assert_eq!(s.pc, pc, "{what}: pc");
        assert_eq!(s.psw, 6, "{what}: PSW");
        assert_eq!(s.sp, top - 4, "{what}: SP");
        assert_eq!(sys.machine.read_u32(top - 4), 0x77, "{what}: the pushed word");
        let r = sys.machine.regs(1);
        assert_eq!((r[1], r[2], r[3], r[15]), (0xFFFF_FFFF, 1, 0x77, top - 4), "{what}: registers");
    };
    let mut saw = [false; 3];
    for _ in 0..200 {
        let Some(r) = sys.step() else { break };
        if r.pid != 1 {
            continue;
        }
        if r.pc == label(&prog, "getpid") {
            assert_eq!((r.trap, r.next_pc), (Some((6, 2)), r.pc + 4));
            assert_eq!(sys.machine.reg(1, 0), 1, "GETPID");
            check(&sys, r.pc + 4, "after GETPID");
            saw[0] = true;
        } else if r.pc == label(&prog, "nosys") {
            assert_eq!(r.fault, None);
            assert_eq!(sys.machine.reg(1, 0), fault::ENOSYS);
            assert_ne!(sys.machine.slot(1).state, TaskState::Faulted);
            check(&sys, r.pc + 4, "after ENOSYS");
            saw[1] = true;
        } else if r.pc == label(&prog, "nap") {
            assert_eq!(sys.machine.slot(1).state, TaskState::Blocked);
            check(&sys, r.pc + 4, "blocked in SLEEP_MS");
            saw[2] = true;
        } else if saw[2] && r.pc == label(&prog, "nap") + 4 {
            // The first instruction after the wake: POP of the word pushed before.
            assert_eq!(sys.machine.reg(1, 5), 0x77);
        }
    }
    assert_eq!(saw, [true; 3]);
    assert_eq!(sys.outcome(), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(0x77), "JNZ saw the PSW of before the sleep");
    assert_eq!(sys.machine.slot(1).sp, top);
}

/// The window-region bytes: `[WINDOW_BASE, WINDOW_BASE + 64 * 8)`.
const REGION: std::ops::Range<usize> = WINDOW_BASE as usize..(WINDOW_BASE + WINDOW_SIZE * 8) as usize;

fn window_owner(addr: usize) -> u8 {
    ((addr - WINDOW_BASE as usize) / WINDOW_SIZE as usize) as u8 + 1
}

#[test]
fn a_context_switch_writes_nothing_to_the_window_region() {
    let src = program_source("switchy.mvasm");
    let (mut sys, prog) =
        Boot::new().slice(1).ticks_per_ms(5).start(&src, &["sender", "receiver", "worker", "sleeper"]);
    let data_lo = prog.image.data_addr as usize;
    let data_hi = data_lo + prog.image.data.len();

    let (mut switches, mut svc_steps, mut wake_steps, mut plain_steps, mut timeouts) = (0, 0, 0, 0, 0);
    let mut last_pid = 0;
    for _ in 0..6000 {
        let before = sys.machine.dmem.clone();
        let states_before: Vec<TaskState> = sys.machine.slots.iter().map(|s| s.state).collect();
        let timeouts_before = sys.exec.task_counters(2).timeouts;
        let r = step(&mut sys);
        let after = &sys.machine.dmem;

        // `before` plus exactly the writes the retire record lists.
        let mut expect = before.clone();
        let own = window_of(r.pid) as usize..window_of(r.pid) as usize + 64;
        for w in r.writes() {
            for lane in 0..4 {
                if w.mask & (1 << lane) != 0 {
                    let a = w.addr as usize + lane;
                    expect[a] = (w.data >> (8 * lane)) as u8;
                    if REGION.contains(&a) {
                        assert!(own.contains(&a), "step {}: pid {} wrote 0x{a:04X}, outside its window", r.step, r.pid);
                    }
                }
            }
        }
        // Tasks woken inside this step (by a SEND, or by a timeout at its start).
        let woken: Vec<u8> = (1..=4u8)
            .filter(|&p| {
                states_before[p as usize - 1] == TaskState::Blocked && sys.machine.slot(p).state != TaskState::Blocked
            })
            .collect();
        let mut concerned = woken.clone();
        if r.trap.is_some() {
            concerned.push(r.pid);
        }
        for a in 0..DATA_SIZE {
            if after[a] == expect[a] {
                continue;
            }
            if REGION.contains(&a) {
                let owner = window_owner(a);
                assert!(
                    concerned.contains(&owner),
                    "step {}: window byte 0x{a:04X} of pid {owner} changed; retiring pid {}, trap {:?}, woken {woken:?}",
                    r.step,
                    r.pid,
                    r.trap
                );
            } else {
                assert!(
                    !concerned.is_empty() && (data_lo..data_hi).contains(&a),
                    "step {}: byte 0x{a:04X} changed outside the retire record (pid {}, trap {:?})",
                    r.step,
                    r.pid,
                    r.trap
                );
            }
        }

        if r.pid != last_pid {
            switches += 1;
            last_pid = r.pid;
        }
        match (r.trap.is_some(), woken.is_empty()) {
            (true, _) => svc_steps += 1,
            (false, false) => wake_steps += 1,
            (false, true) => plain_steps += 1,
        }
        timeouts += sys.exec.task_counters(2).timeouts - timeouts_before;
    }
    // The run exercised what it claims to.
    assert!(switches > 3000, "switches {switches}");
    assert!(svc_steps > 500 && plain_steps > 2000 && wake_steps > 10, "{svc_steps} {plain_steps} {wake_steps}");
    assert!(timeouts > 0, "some RECV timed out");
    assert!(sys.exec.task_counters(2).received > 0, "some RECV got a message");
}
