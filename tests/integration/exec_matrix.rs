//! The executive at system level (executive.md, scheduler.md "Time", context.md):
//! wait/wake with exact registers and info records, FIFO delivery to waiters, timeouts and
//! sleeps ending at the exact tick (also across idle jumps), memory protection of direct
//! accesses and of mailbox/UART buffers, and 10 000 spawn/kill cycles without a leak.

use hsx_tests::*;
use isa::{fault, TaskState, WaitKind};
use vm_ref::exec::mailbox::status;
use vm_ref::exec::SpawnOptions;
use vm_ref::sched::{EventKind, WakeReason};
use vm_ref::system::{Outcome, System};

/// Step until `pred` holds after a step (panics after `limit` steps). Returns the record of
/// the step that made it true and the ticks at the start of that step.
fn step_until(
    sys: &mut System,
    limit: usize,
    mut pred: impl FnMut(&System, &isa::Retire) -> bool,
) -> (isa::Retire, u64) {
    for _ in 0..limit {
        let t = sys.machine.ticks;
        let r = step(sys);
        if pred(sys, &r) {
            return (r, t);
        }
    }
    panic!("condition not reached in {limit} steps");
}

/// The ticks of every WAKE event of `pid` still in the trace ring, with its reason.
fn wakes(sys: &System, pid: u8) -> Vec<(u64, WakeReason)> {
    sys.machine
        .trace
        .events()
        .into_iter()
        .filter(|e| e.pid == pid)
        .filter_map(|e| match e.kind {
            EventKind::Wake { reason } => Some((e.ticks, reason)),
            _ => None,
        })
        .collect()
}

// ----- 5. wait / wake ------------------------------------------------------------------

const WAIT_WAKE: &str = r#"
        .data
box:    .asciz "shared:ww"
hello:  .asciz "hello"
        .align 4
buf:    .word 0xAAAAAAAA, 0xAAAAAAAA, 0xAAAAAAAA, 0xAAAAAAAA
info:   .word 0xBBBBBBBB, 0xBBBBBBBB, 0xBBBBBBBB, 0xBBBBBBBB, 0xBBBBBBBB
        .text
consumer:
        LDI32 R1, box
        SVC   0x5, 0x00          ; OPEN -> R0 = OK, R1 = handle 4
        LDI32 R2, buf
        LDI   R3, 16
        LDI32 R4, 0xFFFF         ; no deadline
        LDI32 R5, info
        LDI32 R6, 0x66           ; must survive the wait
recv:   SVC   0x5, 0x03          ; RECV: blocks
        RET                      ; exit R0
producer:
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI32 R1, box
        SVC   0x5, 0x00
        LDI32 R2, hello
        LDI   R3, 5
        LDI   R4, 0x15           ; flags
        LDI   R5, 9              ; channel
send:   SVC   0x5, 0x02          ; SEND: delivers to the waiting consumer
        RET
"#;

#[test]
fn an_infinite_recv_is_woken_by_a_send_with_the_message_and_registers() {
    let (mut sys, prog) = boot(WAIT_WAKE, &["consumer", "producer"]);
    let buf = data_label(&prog, "buf");
    let info = data_label(&prog, "info");
    let (r, _) = step_until(&mut sys, 100, |_, r| r.pid == 1 && r.pc == label(&prog, "recv"));
    assert_eq!(r.next_pc, r.pc + 4, "a blocking SVC retires too");
    let s = *sys.machine.slot(1);
    assert_eq!((s.state, s.wait, s.deadline), (TaskState::Blocked, WaitKind::Mailbox, None));
    assert_eq!(s.pc, r.pc + 4);
    // A blocked RECV writes no register and no info record yet.
    let regs = sys.machine.regs(1);
    assert_eq!(&regs[..7], &[status::OK, 4, buf, 16, 0xFFFF, info, 0x66]);
    assert_eq!(info_record(&sys, info), [0xBBBB_BBBB; 5]);

    let (r, _) = step_until(&mut sys, 100, |_, r| r.pid == 2 && r.pc == label(&prog, "send"));
    assert_eq!(r.trap, Some((5, 2)));
    // The sender: OK, len.
    assert_eq!(&sys.machine.regs(2)[..2], &[status::OK, 5]);
    // The receiver, woken inside the SEND's step (READY), and — the only other READY task
    // when the sender's slice of 1 ends — rotated in at the end of that same step.
    assert_eq!(state(&sys, 1), TaskState::Running);
    assert_eq!(sys.machine.current, 1);
    let regs = sys.machine.regs(1);
    assert_eq!(&regs[..7], &[status::OK, 5, 0x15, 9, 2, info, 0x66], "R0..R4 = OK, len, flags, channel, src pid");
    let mut want = b"hello".to_vec();
    want.extend([0xAA; 11]);
    assert_eq!(bytes(&sys, buf, 16), want, "5 bytes copied, the rest of the buffer untouched");
    assert_eq!(info_record(&sys, info), [0, 5, 0x15, 9, 2]);
    assert!(wakes(&sys, 1).iter().any(|&(_, why)| why == WakeReason::Mailbox));
    assert_eq!(sys.exec.task_counters(1).received, 1);
    assert_eq!(sys.exec.task_counters(2).sent, 1);

    assert_eq!(sys.run(100), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(status::OK));
    assert_eq!(sys.machine.slot(1).pc, label(&prog, "recv") + 4, "resumed after the RECV, then returned");
}

#[test]
fn recv_without_info_truncates_and_writes_no_record() {
    let src = r#"
        .data
box:    .asciz "svc:self"
long:   .asciz "abcdefgh"
        .align 4
buf:    .word 0xAAAAAAAA, 0xAAAAAAAA
guard:  .word 0xCCCCCCCC, 0xCCCCCCCC, 0xCCCCCCCC, 0xCCCCCCCC, 0xCCCCCCCC
        .text
main:   LDI32 R1, box
        SVC   0x5, 0x00
        MOV   R6, R1
        LDI32 R2, long
        LDI   R3, 8
        LDI   R4, 3
        LDI   R5, 4
        SVC   0x5, 0x02          ; SEND 8 bytes to itself
        MOV   R1, R6
        LDI32 R2, buf
        LDI   R3, 3              ; max len 3
        LDI   R4, 0
        LDI   R5, 0              ; no info record
        SVC   0x5, 0x03          ; RECV: a message is queued
        RET
"#;
    let (mut sys, prog) = boot(src, &["main"]);
    assert_eq!(sys.run(100), Outcome::Finished);
    assert_eq!(&sys.machine.regs(1)[..5], &[status::OK, 3, 3, 4, 1], "3 bytes copied; flags 3, channel 4, from pid 1");
    assert_eq!(bytes(&sys, data_label(&prog, "buf"), 8), b"abc\xAA\xAA\xAA\xAA\xAA");
    assert_eq!(info_record(&sys, data_label(&prog, "guard")), [0xCCCC_CCCC; 5]);
    // The rest of the long message was discarded: nothing is queued.
    let mb = sys.exec.mailboxes().into_iter().find(|d| d.target == "svc:self@1").expect("svc:self@1");
    assert!(mb.messages.is_empty());
}

// ----- 6. FIFO wake order ------------------------------------------------------------------

const FIFO: &str = r#"
        .data
box:    .asciz "shared:fifo"
ma:     .asciz "A"
mb:     .asciz "B"
mc:     .asciz "C"
        .align 4
b1:     .word 0
b2:     .word 0
b3:     .word 0
        .text
late:   LDI32 R7, b1
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        JMP   wait
mid:    LDI32 R7, b2
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        JMP   wait
early:  LDI32 R7, b3
        JMP   wait
wait:   LDI32 R1, box
        SVC   0x5, 0x00
        MOV   R2, R7
        LDI   R3, 4
        LDI32 R4, 0xFFFF
        LDI   R5, 0
        SVC   0x5, 0x03          ; RECV forever
        LDB   R0, [R7]
        RET                      ; exit with the byte received
sender: LDI   R8, 30
        LDI   R9, 1
pause:  SUB   R8, R8, R9
        JNZ   pause              ; let all three block first
        LDI32 R1, box
        SVC   0x5, 0x00
        MOV   R6, R1
        LDI32 R2, ma
        CALL  send1
        LDI32 R2, mb
        CALL  send1
        LDI32 R2, mc
        CALL  send1
        RET
send1:  MOV   R1, R6
        LDI   R3, 1
        LDI   R4, 0
        LDI   R5, 0
        SVC   0x5, 0x02
        RET
"#;

#[test]
fn three_waiters_get_the_messages_in_the_order_they_started_waiting() {
    let (mut sys, _) = boot(FIFO, &["late", "mid", "early", "sender"]);
    // Run until all three wait, and read the order they blocked in from the trace.
    step_until(&mut sys, 500, |s, _| (1..=3).all(|p| state(s, p) == TaskState::Blocked));
    let order: Vec<u8> = sys
        .machine
        .trace
        .events()
        .into_iter()
        .filter(|e| matches!(e.kind, EventKind::Block { reason: WaitKind::Mailbox }))
        .map(|e| e.pid)
        .collect();
    assert_eq!(order, vec![3, 2, 1], "the program makes pid 3 wait first, then 2, then 1");

    // The first SEND wakes only the first waiter.
    step_until(&mut sys, 500, |_, r| r.pid == 4 && r.trap == Some((5, 2)));
    let woken = |s: &System, p: u8| matches!(state(s, p), TaskState::Ready | TaskState::Running);
    assert!(woken(&sys, 3));
    assert_eq!(state(&sys, 2), TaskState::Blocked);
    assert_eq!(state(&sys, 1), TaskState::Blocked);
    step_until(&mut sys, 500, |_, r| r.pid == 4 && r.trap == Some((5, 2)));
    assert!(woken(&sys, 2));
    assert_eq!(state(&sys, 1), TaskState::Blocked);

    assert_eq!(sys.run(1000), Outcome::Finished);
    // Message i to the i-th waiter: A to pid 3, B to pid 2, C to pid 1.
    assert_eq!(sys.machine.slot(3).exit_code, Some(b'A' as u32));
    assert_eq!(sys.machine.slot(2).exit_code, Some(b'B' as u32));
    assert_eq!(sys.machine.slot(1).exit_code, Some(b'C' as u32));
    for pid in 1..=3 {
        assert_eq!(sys.machine.reg(pid, 4), 4, "src pid of pid {pid}'s message");
        assert_eq!(sys.machine.reg(pid, 1), 1, "length of pid {pid}'s message");
    }
}

// ----- 7. timeout at the exact tick ----------------------------------------------------

const TIMED_RECV: &str = r#"
        .data
box:    .asciz "app:silent"
        .align 4
buf:    .word 0
info:   .word 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF
        .text
waiter: LDI32 R1, box
        SVC   0x5, 0x00
        LDI32 R2, buf
        LDI   R3, 4
        LDI   R4, 3              ; timeout 3 ms
        LDI32 R5, info
recv:   SVC   0x5, 0x03
        RET                      ; exit R0
busy:   LDI   R1, 100
        LDI   R2, 1
bloop:  SUB   R1, R1, R2
        JNZ   bloop
        RET
"#;

#[test]
fn a_recv_times_out_at_exactly_now_plus_timeout_times_ticks_per_ms() {
    let tpm = 10;
    let (mut sys, prog) = Boot::new().ticks_per_ms(tpm).start(TIMED_RECV, &["waiter", "busy"]);
    let info = data_label(&prog, "info");
    let (_, t) = step_until(&mut sys, 100, |_, r| r.pid == 1 && r.pc == label(&prog, "recv"));
    let deadline = t + 3 * tpm;
    let s = *sys.machine.slot(1);
    assert_eq!((s.state, s.wait, s.deadline), (TaskState::Blocked, WaitKind::Mailbox, Some(deadline)));

    // The busy task keeps the machine stepping; the wake happens at the start of the step
    // whose ticks equal the deadline.
    let (_, t_wake) = step_until(&mut sys, 200, |s, _| state(s, 1) != TaskState::Blocked);
    assert_eq!(t_wake, deadline);
    assert_eq!(wakes(&sys, 1), vec![(deadline, WakeReason::Timeout)]);
    assert_eq!(&sys.machine.regs(1)[..5], &[status::TIMEOUT, 0, 0, 0, 0], "R0 = TIMEOUT, R1..R4 = 0");
    assert_eq!(sys.machine.reg(1, 5), info, "R5 untouched");
    assert_eq!(info_record(&sys, info), [7, 0, 0, 0, 0]);
    assert_eq!(sys.exec.task_counters(1).timeouts, 1);
    // The woken task waits for its turn: pid 2 ran the wake step and rotates to pid 1.
    let t_next = sys.machine.ticks;
    let r = step(&mut sys);
    assert_eq!((r.pid, r.pc, t_next), (1, label(&prog, "recv") + 4, deadline + 1));
    assert_eq!(sys.run(1000), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(status::TIMEOUT));
}

#[test]
fn a_lone_timed_recv_idles_to_its_deadline_in_one_step() {
    let tpm = 10;
    let (mut sys, prog) = Boot::new().ticks_per_ms(tpm).start(TIMED_RECV, &["waiter"]);
    let (_, t) = step_until(&mut sys, 100, |_, r| r.pc == label(&prog, "recv"));
    let steps = sys.machine.steps;
    assert_eq!(sys.machine.ticks, t + 1);
    // Idle: the jump to the deadline, the wake, the pick and the RET are one step.
    let r = step(&mut sys);
    assert_eq!(r.pc, label(&prog, "recv") + 4);
    assert_eq!(sys.machine.steps, steps + 1);
    assert_eq!(sys.machine.ticks, t + 3 * tpm + 1);
    assert_eq!(wakes(&sys, 1), vec![(t + 3 * tpm, WakeReason::Timeout)]);
    assert_eq!(sys.outcome(), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(status::TIMEOUT));
}

// ----- 8. sleep ------------------------------------------------------------------------

#[test]
fn a_sleep_ends_at_the_exact_tick_while_others_run() {
    let src = "
        .text
sleeper: LDI  R0, 4
nap:     SVC  0x6, 0x00          ; SLEEP_MS(4)
         RET                     ; exit 0 (SLEEP_MS returns 0)
busy:    LDI  R1, 100
         LDI  R2, 1
bloop:   SUB  R1, R1, R2
         JNZ  bloop
         RET
";
    let tpm = 10;
    let (mut sys, prog) = Boot::new().ticks_per_ms(tpm).start(src, &["sleeper", "busy"]);
    let (_, t) = step_until(&mut sys, 10, |_, r| r.pid == 1 && r.pc == label(&prog, "nap"));
    let s = *sys.machine.slot(1);
    assert_eq!((s.state, s.wait, s.deadline), (TaskState::Blocked, WaitKind::Sleep, Some(t + 40)));
    assert_eq!(sys.machine.reg(1, 0), 0);
    let (_, t_wake) = step_until(&mut sys, 200, |s, _| state(s, 1) != TaskState::Blocked);
    assert_eq!(t_wake, t + 40);
    assert_eq!(wakes(&sys, 1), vec![(t + 40, WakeReason::Sleep)]);
    assert_eq!(sys.exec.task_counters(1).timeouts, 0, "a sleep's end is not a mailbox timeout");
    assert_eq!(sys.run(1000), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(0));
}

#[test]
fn when_everyone_sleeps_time_jumps_to_each_deadline_without_steps() {
    let src = "
        .text
s3:     LDI  R0, 3
        SVC  0x6, 0x00           ; SLEEP_MS(3)
        RET
s5:     LDI  R0, 5
        SVC  0x6, 0x00           ; SLEEP_MS(5)
        RET
";
    let tpm = 10;
    let (mut sys, _) = Boot::new().ticks_per_ms(tpm).start(src, &["s3", "s5"]);
    // LDI (1), LDI (2), SLEEP of pid 1 at tick 2, SLEEP of pid 2 at tick 3.
    let pids: Vec<u8> = (0..4).map(|_| step(&mut sys).pid).collect();
    assert_eq!(pids, vec![1, 2, 1, 2]);
    assert_eq!(sys.machine.slot(1).deadline, Some(2 + 3 * tpm));
    assert_eq!(sys.machine.slot(2).deadline, Some(3 + 5 * tpm));
    assert_eq!(sys.machine.ticks, 4);
    // Both asleep: jump to 32, wake pid 1, its RET: one step.
    let r = step(&mut sys);
    assert_eq!((r.pid, sys.machine.steps, sys.machine.ticks), (1, 5, 33));
    // Jump to 53, wake pid 2, its RET.
    let r = step(&mut sys);
    assert_eq!((r.pid, sys.machine.steps, sys.machine.ticks), (2, 6, 54));
    assert_eq!(wakes(&sys, 1), vec![(32, WakeReason::Sleep)]);
    assert_eq!(wakes(&sys, 2), vec![(53, WakeReason::Sleep)]);
    assert!(sys.step().is_none());
    assert_eq!(sys.outcome(), Outcome::Finished);
}

#[test]
fn sleep_zero_does_nothing() {
    let src = ".text\nm: LDI R0, 0\nSVC 0x6, 0x00\nRET\n";
    let (mut sys, _) = boot(src, &["m"]);
    step(&mut sys);
    step(&mut sys);
    assert_eq!(state(&sys, 1), TaskState::Running);
    assert_eq!(sys.run(10), Outcome::Finished);
    assert_eq!(sys.machine.ticks, 3);
}

// ----- 9. protection -------------------------------------------------------------------

fn protect_run(protect: bool, entries: &[&str]) -> (System, isa::asm::Program) {
    let src = program_source("protect.mvasm");
    let mut all = vec!["victim"];
    all.extend_from_slice(entries);
    let (mut sys, prog) = Boot::new().protect(protect).start(&src, &all);
    let out = sys.run(10_000);
    assert_eq!(out, Outcome::Stalled, "the victim stays PAUSED");
    assert_eq!(state(&sys, 1), TaskState::Paused);
    (sys, prog)
}

const DIRECT: &[&str] = &["rd_win", "wr_win", "rd_own", "rd_stk", "wr_stk", "own_ok", "memflt"];

#[test]
fn protection_on_no_load_or_store_reaches_another_tasks_window_or_stack() {
    let (sys, prog) = protect_run(true, DIRECT);
    let m = &sys.machine;
    assert_eq!(m.read_u32(0x1020), 0x5EC2E7, "victim R8 intact");
    assert_eq!(m.reg(1, 8), 0x5EC2E7);
    assert_eq!(m.read_u32(0xFFF8), 0xC0FFEE, "victim stack word intact");
    let faulting_insn = |entry: &str, n: u16| label(&prog, entry) + n;
    // pid: entry, fault, pc of the faulting instruction (CALL delay = 4, LDI32 = 8 bytes).
    let cases: &[(u8, &str, u32, u16)] = &[
        (2, "rd_win", fault::ACCESS_VIOLATION, 12),
        (3, "wr_win", fault::ACCESS_VIOLATION, 16),
        (4, "rd_own", fault::ACCESS_VIOLATION, 32),
        (5, "rd_stk", fault::ACCESS_VIOLATION, 12),
        (6, "wr_stk", fault::ACCESS_VIOLATION, 16),
        (8, "memflt", fault::MEM_FAULT, 12),
    ];
    for &(pid, entry, code, off) in cases {
        let s = m.slot(pid);
        assert_eq!(s.state, TaskState::Faulted, "{entry}");
        assert_eq!(s.fault, Some(code), "{entry}");
        assert_eq!(m.reg(pid, 0), code, "{entry}: R0 holds the fault code");
        assert_eq!(s.pc, faulting_insn(entry, off), "{entry}: pc stays at the faulting access");
    }
    assert_eq!(m.slot(7).state, TaskState::Returned, "own stack is accessible");
    assert_eq!(m.slot(7).exit_code, Some(0x1235));
}

#[test]
fn protection_off_loads_and_stores_reach_everything() {
    let (sys, _) = protect_run(false, DIRECT);
    let m = &sys.machine;
    let exit = |pid: u8| {
        assert_eq!(m.slot(pid).state, TaskState::Returned, "pid {pid}");
        m.slot(pid).exit_code.unwrap()
    };
    assert_eq!(exit(2), 0x5EC2E7, "read the victim's R8");
    assert_eq!(exit(3), 0);
    assert_eq!(m.reg(1, 8), 7, "wrote the victim's R8");
    assert_eq!(exit(4), m.slot(4).reg_base, "read its own R1 through memory");
    assert_eq!(exit(5), 0xC0FFEE, "read the victim's stack");
    assert_eq!(exit(6), 0);
    assert_eq!(m.read_u32(0xFFF8), 9, "wrote the victim's stack");
    assert_eq!(exit(7), 0x1235);
    assert_eq!(m.slot(8).fault, Some(fault::MEM_FAULT), "MEM_FAULT still applies");
}

const THROUGH_EXEC: &[&str] = &["send_stk", "recv_stk", "recv_info", "uart_stk", "uart_win"];

#[test]
fn protection_on_the_executive_is_no_way_around_it() {
    let (sys, _) = protect_run(true, THROUGH_EXEC);
    let m = &sys.machine;
    for pid in 2..=6 {
        assert_eq!(m.slot(pid).state, TaskState::Returned, "pid {pid}: an SVC error is not a fault");
    }
    // SEND from / RECV into another task's stack: INTERNAL_ERROR, nothing else happens.
    assert_eq!(m.slot(2).exit_code, Some(status::INTERNAL_ERROR));
    assert_eq!(m.slot(3).exit_code, Some(status::INTERNAL_ERROR), "refused at once, no block");
    assert_eq!(m.slot(4).exit_code, Some(status::INTERNAL_ERROR));
    // UART_WRITE of another's stack or of the window region: 0xFFFFFF08.
    assert_eq!(m.slot(5).exit_code, Some(fault::ACCESS_VIOLATION));
    assert_eq!(m.slot(6).exit_code, Some(fault::ACCESS_VIOLATION));
    assert!(sys.exec.console(5).is_empty() && sys.exec.console(6).is_empty());
    let boxes = sys.exec.mailboxes();
    let queued = |target: &str| boxes.iter().find(|d| d.target == target).map(|d| d.messages.len());
    assert_eq!(queued("app:loot"), Some(0), "nothing was queued from the victim's stack");
    assert_eq!(queued("svc:mine@3"), Some(1), "the refused RECV took nothing");
    assert_eq!(queued("svc:mine@4"), Some(1));
    // Victim untouched: stack bytes below its pushed word, and its window R0..R4.
    assert_eq!(bytes(&sys, 0xFFF0, 8), vec![0; 8]);
    assert_eq!(m.read_u32(0xFFF8), 0xC0FFEE);
    assert_eq!(&m.regs(1)[..5], &[0, 0, 0xC0FFEE, 0, 0]);
}

#[test]
fn protection_off_the_executive_reads_and_writes_anywhere() {
    let (sys, _) = protect_run(false, THROUGH_EXEC);
    let m = &sys.machine;
    assert_eq!(m.slot(2).exit_code, Some(status::OK));
    let loot = sys.exec.mailboxes().into_iter().find(|d| d.target == "app:loot").unwrap();
    assert_eq!(loot.messages.len(), 1);
    assert_eq!(loot.messages[0].bytes, 0xC0FFEEu32.to_le_bytes().to_vec(), "payload read from the victim's stack");
    assert_eq!(m.slot(3).exit_code, Some(status::OK));
    assert_eq!(bytes(&sys, 0xFFF0, 4), b"mine", "RECV wrote into the victim's stack");
    assert_eq!(m.slot(4).exit_code, Some(status::OK));
    assert_eq!(&m.regs(1)[..5], &[status::OK, 4, 0, 0, 4], "info record over the victim's R0..R4");
    assert_eq!(m.slot(5).exit_code, Some(4));
    assert_eq!(sys.exec.console(5), &0xC0FFEEu32.to_le_bytes());
    assert_eq!(m.slot(6).exit_code, Some(4));
    assert_eq!(sys.exec.console(6), &0x5EC2E7u32.to_le_bytes());
}

// ----- 10. spawn / kill cycles ---------------------------------------------------------

const CYCLER: &str = r#"
        .data
mine:   .asciz "svc:mine"
glob:   .asciz "shared:glob"
        .text
task:   LDI32 R1, mine
        SVC   0x5, 0x00          ; a private descriptor (destroyed at KILL)
        MOV   R6, R1
        LDI32 R1, glob
        SVC   0x5, 0x00          ; a global one (persists)
        PUSH  R6
        MOV   R1, R6
        LDI   R2, 0
        LDI   R3, 0
        LDI32 R4, 0xFFFF
        LDI   R5, 0
        SVC   0x5, 0x03          ; wait forever on svc:mine
        RET
"#;

#[test]
fn ten_thousand_spawn_kill_cycles_lose_no_arena_byte_and_no_descriptor() {
    let prog = assemble(CYCLER);
    let mut sys = System::new(&Default::default(), Default::default());
    let id = sys.exec.load_image(&mut sys.machine, "cycler", &prog.image).unwrap();
    let entry = label(&prog, "task") as u32;
    assert_eq!(sys.exec.alloc_point(), 0xFFFC);
    assert_eq!(sys.exec.live_descriptor_count(), 0);

    let orders: [[u8; 3]; 6] = [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]];
    for i in 0..10_000u32 {
        let sizes = [0x40 + 4 * (i % 13), 0x100 + 16 * (i % 5), 0x20 + 4 * (i % 3)];
        let mut top = 0xFFFC;
        for (k, &size) in sizes.iter().enumerate() {
            let opts = SpawnOptions { stack_size: Some(size), slice: None };
            let pid = sys.exec.spawn(&mut sys.machine, id, entry, opts).unwrap();
            assert_eq!(pid as usize, k + 1);
            assert_eq!(sys.exec.arena_of(pid), Some((top - size, top)), "cycle {i}: arena of pid {pid}");
            top -= size;
        }
        // Let some of them run (some will be blocked, some mid-way) before killing.
        for _ in 0..(i % 40) {
            if sys.step().is_none() {
                break;
            }
        }
        let order = orders[(i % 6) as usize];
        for (n, &pid) in order.iter().enumerate() {
            sys.exec.kill(&mut sys.machine, pid).unwrap();
            assert_eq!(state(&sys, pid), TaskState::Empty);
            if n < 2 {
                // Partly freed: what is free is exactly the killed arenas (coalesced).
                let free: u32 = sys.exec.arena_free_list().iter().map(|(lo, hi)| hi - lo).sum();
                let below = 0xFFFC - sys.exec.alloc_point();
                let live: u32 = (1..=3u8).filter_map(|p| sys.exec.arena_of(p)).map(|(lo, hi)| hi - lo).sum();
                assert_eq!(free + live, below, "cycle {i}: every byte below 0xFFFC is live or free");
            }
        }
        assert_eq!(sys.exec.alloc_point(), 0xFFFC, "cycle {i}");
        assert!(sys.exec.arena_free_list().is_empty(), "cycle {i}: {:?}", sys.exec.arena_free_list());
        // Only the global shared:glob may outlive its tasks (once any task opened it).
        let live = sys.exec.live_descriptor_count();
        let glob = sys.exec.mailboxes().iter().any(|d| d.target == "shared:glob");
        assert_eq!(live, usize::from(glob), "cycle {i}: live descriptors");
    }
    assert_eq!(sys.exec.live_descriptor_count(), 1, "shared:glob was opened and persists");
    // After all that, eight default arenas still fit exactly from the top.
    for k in 0..8u32 {
        let pid = sys.exec.spawn(&mut sys.machine, id, entry, SpawnOptions::default()).unwrap();
        assert_eq!(sys.exec.arena_of(pid), Some((0xFFFC - 0x1000 * (k + 1), 0xFFFC - 0x1000 * k)));
    }
}

#[test]
fn a_killed_arena_is_reused_from_the_highest_fitting_block() {
    let prog = assemble(CYCLER);
    let mut sys = System::new(&Default::default(), Default::default());
    let id = sys.exec.load_image(&mut sys.machine, "cycler", &prog.image).unwrap();
    let sp = |n: u32| SpawnOptions { stack_size: Some(n), slice: None };
    for size in [0x100, 0x200, 0x100] {
        sys.exec.spawn(&mut sys.machine, id, 0, sp(size)).unwrap();
    }
    // pid 1 [0xFEFC,0xFFFC), pid 2 [0xFCFC,0xFEFC), pid 3 [0xFBFC,0xFCFC).
    sys.exec.kill(&mut sys.machine, 2).unwrap();
    assert_eq!(sys.exec.arena_free_list(), vec![(0xFCFC, 0xFEFC)]);
    sys.exec.kill(&mut sys.machine, 1).unwrap();
    assert_eq!(sys.exec.arena_free_list(), vec![(0xFCFC, 0xFFFC)], "coalesced");
    // A spawn carves from the top of the highest block large enough.
    let pid = sys.exec.spawn(&mut sys.machine, id, 0, sp(0x80)).unwrap();
    assert_eq!(pid, 1);
    assert_eq!(sys.exec.arena_of(1), Some((0xFF7C, 0xFFFC)));
    assert_eq!(sys.exec.arena_free_list(), vec![(0xFCFC, 0xFF7C)]);
    // Too large for the hole: taken below the allocation point.
    let pid = sys.exec.spawn(&mut sys.machine, id, 0, sp(0x400)).unwrap();
    assert_eq!(sys.exec.arena_of(pid), Some((0xF7FC, 0xFBFC)));
    assert_eq!(sys.exec.alloc_point(), 0xF7FC);
}

// ----- status codes --------------------------------------------------------------------

#[test]
fn mailbox_status_codes_and_which_registers_they_write() {
    let src = r#"
        .data
box:    .asciz "svc:codes"
        .align 4
big:    .word 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
info:   .word 0xEEEEEEEE, 0xEEEEEEEE, 0xEEEEEEEE, 0xEEEEEEEE, 0xEEEEEEEE
res:    .word 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        .text
main:   LDI32 R10, res
        LDI32 R1, box
        SVC   0x5, 0x00          ; OPEN -> handle 4 (1..3 are stdio)
        MOV   R6, R1
        ST    [R10 + 52], R1
        MOV   R1, R6
        LDI32 R2, big
        LDI   R3, 8
        LDI   R4, 0              ; timeout 0
        LDI32 R5, info
        SVC   0x5, 0x03          ; RECV on an empty box: NO_DATA, R1 <- 0
        ST    [R10 + 0], R0
        ST    [R10 + 4], R1
        LDI   R1, 99
        SVC   0x5, 0x03          ; RECV on handle 99: INVALID_HANDLE, only R0 (+ info)
        ST    [R10 + 8], R0
        ST    [R10 + 12], R1
        LDI   R5, 0
        MOV   R1, R6
        LDI   R3, 57
        SVC   0x5, 0x02          ; SEND 57 bytes: 57 + 8 > 64, MSG_TOO_LARGE
        ST    [R10 + 16], R0
        LDI   R3, 8
        MOV   R1, R6
        SVC   0x5, 0x02          ; 4 x (8 + 8) = 64 bytes fit exactly
        MOV   R1, R6
        SVC   0x5, 0x02
        MOV   R1, R6
        SVC   0x5, 0x02
        MOV   R1, R6
        SVC   0x5, 0x02
        MOV   R1, R6
        SVC   0x5, 0x02          ; the fifth: WOULDBLOCK (sends never block)
        ST    [R10 + 20], R0
        MOV   R1, R6
        SVC   0x5, 0x04          ; PEEK: 4 messages, 64 bytes, next is 8
        ST    [R10 + 24], R1
        ST    [R10 + 28], R2
        ST    [R10 + 32], R3
        MOV   R1, R6
        LDI   R3, 0
        SVC   0x5, 0x02          ; zero-length SEND: OK, R1 <- 0, nothing queued
        ST    [R10 + 36], R0
        ST    [R10 + 40], R1
        MOV   R1, R6
        SVC   0x5, 0x06          ; CLOSE
        MOV   R1, R6
        SVC   0x5, 0x04          ; PEEK on the closed handle: INVALID_HANDLE
        ST    [R10 + 44], R0
        SVC   0x5, 0x07          ; no such mailbox call: ENOSYS
        ST    [R10 + 48], R0
        RET
"#;
    let (mut sys, prog) = boot(src, &["main"]);
    assert_eq!(sys.run(1000), Outcome::Finished);
    let res = data_label(&prog, "res");
    let got: Vec<u32> = (0..14).map(|i| sys.machine.read_u32(res + 4 * i)).collect();
    assert_eq!(
        got,
        vec![
            status::NO_DATA,
            0,
            status::INVALID_HANDLE,
            99,
            status::MSG_TOO_LARGE,
            status::WOULDBLOCK,
            4,
            64,
            8,
            status::OK,
            0,
            status::INVALID_HANDLE,
            fault::ENOSYS,
            4,
        ]
    );
    assert_eq!(info_record(&sys, data_label(&prog, "info")), [status::INVALID_HANDLE, 0, 0, 0, 0]);
    // The descriptor outlives the closed handle, with its four messages.
    let d = sys.exec.mailboxes().into_iter().find(|d| d.target == "svc:codes@1").unwrap();
    assert_eq!((d.messages.len(), d.used), (4, 64));
    assert_eq!(sys.exec.task_counters(1).sent, 4);
}
