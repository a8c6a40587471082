//! The scheduler at system level (scheduler.md): round-robin order for every slice and task
//! count, YIELD, BRK/RESUME, the debugger's single step, and run outcomes (quiescence vs
//! the step limit). Expected orders are computed from the spec's rule, never by running
//! the model.

use hsx_tests::*;
use isa::{Command, TaskState};
use vm_ref::sched::EventKind;
use vm_ref::system::Outcome;

/// scheduler.md "One step" for `n` tasks that are always READY, each with slice `slice`:
/// a turn is `slice` steps, then the next pid in ascending order (wrapping) runs.
fn expected_round_robin(n: u32, slice: u32, steps: u32) -> Vec<u8> {
    (0..steps).map(|k| ((k / slice) % n) as u8 + 1).collect()
}

fn spin_system(n: usize, slice: u32) -> vm_ref::system::System {
    let src = program_source("spin.mvasm");
    let entries = vec!["spin"; n];
    Boot::new().slice(slice).start(&src, &entries).0
}

#[test]
fn three_tasks_slice_1_nine_steps_run_1_2_3_1_2_3_1_2_3() {
    let mut sys = spin_system(3, 1);
    let pids: Vec<u8> = (0..9).map(|_| step(&mut sys).pid).collect();
    assert_eq!(pids, vec![1, 2, 3, 1, 2, 3, 1, 2, 3]);
    for pid in 1..=3 {
        assert_eq!(sys.machine.slot(pid).accounted_steps, 3, "pid {pid} ran three times");
    }
    // Each task ran its own instruction stream: LDI, ADD, JMP.
    let (_, prog) = boot(&program_source("spin.mvasm"), &["spin"]);
    let loop_pc = label(&prog, "loop");
    for pid in 1..=3 {
        assert_eq!(sys.machine.slot(pid).pc, loop_pc, "pid {pid} is back at `loop` after LDI, ADD, JMP");
        assert_eq!(sys.machine.reg(pid, 1), 1, "pid {pid} looped once");
    }
    assert_eq!(sys.machine.steps, 9);
    assert_eq!(sys.machine.ticks, 9);
}

#[test]
fn slice_4_runs_in_turns_of_four() {
    let mut sys = spin_system(3, 4);
    let pids: Vec<u8> = (0..24).map(|_| step(&mut sys).pid).collect();
    assert_eq!(pids, vec![1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
}

#[test]
fn round_robin_matrix_slices_1_to_4_tasks_2_to_5() {
    for slice in 1..=4u32 {
        for n in 2..=5u32 {
            let mut sys = spin_system(n as usize, slice);
            let steps = 3 * n * slice + 5;
            let got: Vec<u8> = (0..steps).map(|_| step(&mut sys).pid).collect();
            assert_eq!(got, expected_round_robin(n, slice, steps), "slice {slice}, {n} tasks");
            // Rotation events name the hand-over; every task was scheduled in once per turn.
            let rotations = sys
                .machine
                .trace
                .events()
                .into_iter()
                .filter_map(|e| match e.kind {
                    EventKind::Rotate { from, to } => Some((from, to)),
                    _ => None,
                })
                .collect::<Vec<_>>();
            assert!(!rotations.is_empty());
            for (from, to) in rotations {
                assert_eq!(to as u32, from as u32 % n + 1, "slice {slice}, {n} tasks: rotate {from} -> {to}");
            }
        }
    }
}

#[test]
fn single_ready_task_keeps_running_with_a_fresh_slice() {
    let mut sys = spin_system(1, 2);
    for _ in 0..7 {
        assert_eq!(step(&mut sys).pid, 1);
        let s = sys.machine.slot(1);
        assert_eq!(s.state, TaskState::Running);
        assert!(s.slice_used < 2, "slice_used is reset when nobody else is READY");
    }
}

#[test]
fn yield_rotates_at_the_end_of_the_yielding_step() {
    let src = program_source("spin.mvasm");
    let (mut sys, _) = Boot::new().slice(3).start(&src, &["yielder", "spin"]);
    let pids: Vec<u8> = (0..11).map(|_| step(&mut sys).pid).collect();
    // pid 1: LDI, YIELD (its turn ends there); pid 2 three steps; pid 1 three; pid 2 three.
    assert_eq!(pids, vec![1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    assert_eq!(sys.machine.reg(1, 0), 0, "YIELD returns 0 in R0");
}

#[test]
fn a_woken_task_waits_for_its_turn_in_pid_order() {
    // pid 1 blocks on an infinite RECV; pid 2 sends after a few steps; pid 3 spins.
    let src = r#"
        .data
box:    .asciz "shared:turn"
msg:    .asciz "x"
        .align 4
buf:    .word 0
        .text
recv:   LDI32 R1, box
        SVC   0x5, 0x00
        LDI32 R2, buf
        LDI   R3, 4
        LDI32 R4, 0xFFFF
        LDI   R5, 0
        SVC   0x5, 0x03          ; blocks
        LDI   R9, 9              ; runs after the wake
        RET
send:   LDI32 R1, box
        SVC   0x5, 0x00
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI   R9, 0
        LDI32 R2, msg
        LDI   R3, 1
        LDI   R4, 0
        LDI   R5, 0
        SVC   0x5, 0x02          ; SEND: wakes pid 1
        RET
spin:   LDI   R2, 1
sl:     ADD   R1, R1, R2
        JMP   sl
"#;
    let (mut sys, _) = boot(src, &["recv", "send", "spin"]);
    let mut recs = vec![];
    loop {
        let r = step(&mut sys);
        recs.push(r);
        if r.pid == 2 && r.trap == Some((5, 2)) {
            break;
        }
        assert!(recs.len() < 200, "the SEND never happened");
    }
    assert_eq!(state(&sys, 1), TaskState::Ready, "woken inside the SEND's step");
    // Next in pid order after 2 is 3, then 1.
    assert_eq!(step(&mut sys).pid, 3);
    let r = step(&mut sys);
    assert_eq!(r.pid, 1);
    assert_eq!(isa::disasm::disasm_word(r.insn[0], None, r.pc as u32).0, "LDI R9, 9");
}

#[test]
fn brk_pauses_with_a_stall_reason_and_resume_continues_after_it() {
    let src = program_source("brk.mvasm");
    let (mut sys, prog) = boot(&src, &["paused", "worker"]);
    let brk_pc = label(&prog, "paused") + 4;
    let recs = run_to_end(&mut sys, 1000);
    let brk = recs.iter().find(|r| r.pid == 1 && r.pc == brk_pc).expect("the BRK retired");
    assert_eq!(brk.next_pc, brk_pc + 4);
    assert_eq!(brk.fault, None);
    assert_eq!(state(&sys, 1), TaskState::Paused);
    assert_eq!(sys.machine.slot(1).pc, brk_pc + 4, "PC <- PC + 4 before pausing");
    assert_eq!(sys.machine.brk_code[0], Some(42));
    assert_eq!(sys.machine.reg(1, 1), 1, "the instruction after BRK has not run");
    assert_eq!(state(&sys, 2), TaskState::Returned);
    assert_eq!(sys.machine.slot(2).exit_code, Some(5));
    // Only pid 1 holds the machine up, paused by BRK 42.
    assert_eq!(sys.outcome(), Outcome::Stalled);
    let why = sys.stall_reasons();
    assert_eq!(why.len(), 1);
    assert_eq!(why[0].pid, 1);
    assert!(why[0].why.contains("BRK 42"), "stall reason names the BRK: {:?}", why[0].why);
    assert!(sys.machine.trace.events().iter().any(|e| e.pid == 1 && e.kind == EventKind::Pause { brk: Some(42) }));
    // While paused, nothing of pid 1 runs: the worker ran alone after the BRK.
    let brk_step = brk.step;
    assert!(recs.iter().filter(|r| r.step > brk_step).all(|r| r.pid == 2));

    // RESUME (a host command between steps) continues after the BRK.
    sys.machine.apply_command(Command::Resume { pid: 1 }).unwrap();
    assert_eq!(state(&sys, 1), TaskState::Ready);
    let r = step(&mut sys);
    assert_eq!((r.pid, r.pc), (1, brk_pc + 4));
    assert_eq!(sys.run(100), Outcome::Finished);
    assert_eq!(sys.machine.slot(1).exit_code, Some(2));
    assert!(sys.stall_reasons().is_empty());
}

#[test]
fn debugger_single_step_holds_the_others_and_never_rotates() {
    let mut sys = spin_system(3, 1);
    for _ in 0..5 {
        let r = sys.step_task(2).expect("pid 2 is runnable");
        assert_eq!(r.pid, 2);
    }
    assert_eq!(sys.machine.slot(2).accounted_steps, 5);
    assert_eq!(sys.machine.slot(1).accounted_steps, 0);
    assert_eq!(sys.machine.slot(3).accounted_steps, 0);
    // Then the round robin resumes after last_ran = 2.
    assert_eq!(sys.machine.last_ran, 2);
    let pids: Vec<u8> = (0..3).map(|_| step(&mut sys).pid).collect();
    assert!(pids == vec![2, 3, 1] || pids == vec![3, 1, 2], "round robin after a single step: {pids:?}");
}

// ----- outcomes ---------------------------------------------------------------------------

const FIVE_STEPS: &str = "
        .text
main:   LDI   R0, 1
        LDI   R1, 2
        ADD   R0, R0, R1
        ADD   R0, R0, R1
        RET                 ; exit 5 on the fifth step
";

#[test]
fn finished_exactly_on_the_last_allowed_step_is_finished() {
    let (mut sys, _) = boot(FIVE_STEPS, &["main"]);
    assert_eq!(sys.run(5), Outcome::Finished);
    assert_eq!(sys.machine.steps, 5);
    assert_eq!(sys.machine.slot(1).exit_code, Some(5));

    let (mut sys, _) = boot(FIVE_STEPS, &["main"]);
    assert_eq!(sys.run(4), Outcome::MaxSteps, "work remained after four steps");
    assert_eq!(sys.machine.steps, 4);
    assert_eq!(state(&sys, 1), TaskState::Running);
}

#[test]
fn stalled_exactly_on_the_last_allowed_step_is_stalled() {
    let src = "
        .data
box:    .asciz \"app:nobody-sends\"
        .text
main:   LDI32 R1, box
        SVC   0x5, 0x00
        LDI   R2, 0
        LDI   R3, 0
        LDI32 R4, 0xFFFF
        LDI   R5, 0
        SVC   0x5, 0x03     ; blocks forever on the 7th step
        RET
";
    let (mut sys, _) = boot(src, &["main"]);
    assert_eq!(sys.run(6), Outcome::MaxSteps);
    let (mut sys, _) = boot(src, &["main"]);
    assert_eq!(sys.run(7), Outcome::Stalled);
    assert_eq!(sys.machine.steps, 7);
    let why = sys.stall_reasons();
    assert_eq!(why.len(), 1);
    assert_eq!(why[0].pid, 1);
    assert!(why[0].why.contains("mailbox"), "{:?}", why[0].why);
    // A later run does nothing more.
    assert_eq!(sys.run(1000), Outcome::Stalled);
    assert_eq!(sys.machine.steps, 7);
}

#[test]
fn a_pending_deadline_is_work_and_idle_jumps_are_not_steps() {
    let src = "
        .text
main:   LDI   R0, 1
        SVC   0x6, 0x00     ; SLEEP_MS(1): 1000 ticks
        RET                 ; exit 0 (SLEEP_MS returned 0)
";
    let (mut sys, _) = boot(src, &["main"]);
    assert_eq!(sys.run(2), Outcome::MaxSteps, "a sleeper with a deadline is work remaining");
    assert_eq!(state(&sys, 1), TaskState::Blocked);
    let (mut sys, _) = boot(src, &["main"]);
    assert_eq!(sys.run(3), Outcome::Finished, "three instructions are three steps; the jump is free");
    assert_eq!(sys.machine.steps, 3);
    // LDI at tick 0, SLEEP at tick 1 (deadline 1 + 1000), idle jump to 1001, RET.
    assert_eq!(sys.machine.ticks, 1002);
}

#[test]
fn finished_counts_faulted_tasks_as_done() {
    let src = "
        .text
bad:    LDI   R1, 0
        DIV   R0, R1, R1    ; DIV_ZERO
good:   RET
";
    let (mut sys, _) = boot(src, &["bad", "good"]);
    assert_eq!(sys.run(100), Outcome::Finished);
    assert_eq!(state(&sys, 1), TaskState::Faulted);
    assert_eq!(state(&sys, 2), TaskState::Returned);
    assert!(sys.stall_reasons().is_empty());
}

#[test]
fn endless_loop_hits_the_step_limit() {
    let mut sys = spin_system(2, 1);
    assert_eq!(sys.run(1000), Outcome::MaxSteps);
    assert_eq!(sys.machine.steps, 1000);
    assert_eq!(sys.machine.slot(1).accounted_steps, 500);
    assert_eq!(sys.machine.slot(2).accounted_steps, 500);
    let why = sys.stall_reasons();
    assert!(why.iter().all(|w| w.why == "runnable"), "{why:?}");
}

#[test]
fn host_commands_take_effect_between_steps() {
    let mut sys = spin_system(3, 1);
    let run = |sys: &mut vm_ref::system::System, n: usize| (0..n).map(|_| step(sys).pid).collect::<Vec<u8>>();
    assert_eq!(run(&mut sys, 2), vec![1, 2]);
    // PAUSE the task the rotation just made current: it is skipped from now on.
    assert_eq!(sys.machine.current, 3);
    sys.machine.apply_command(Command::Pause { pid: 3 }).unwrap();
    assert_eq!(state(&sys, 3), TaskState::Paused);
    assert_eq!(run(&mut sys, 4), vec![1, 2, 1, 2]);
    // pid 1 is current again; give it a slice of 3, and RESUME pid 3.
    assert_eq!(sys.machine.current, 1);
    sys.machine.apply_command(Command::SetSlice { pid: 1, n: 3 }).unwrap();
    sys.machine.apply_command(Command::Resume { pid: 3 }).unwrap();
    assert_eq!(state(&sys, 3), TaskState::Ready);
    assert_eq!(run(&mut sys, 10), vec![1, 1, 1, 2, 3, 1, 1, 1, 2, 3]);
    // Refused commands change nothing.
    let ctx = isa::SpawnContext { slice: 1, ..Default::default() };
    assert_eq!(sys.machine.apply_command(Command::Spawn { pid: 1, ctx }), Err(isa::CommandError::SlotBusy(1)));
    assert_eq!(sys.machine.apply_command(Command::SetSlice { pid: 2, n: 0 }), Err(isa::CommandError::ZeroSlice(2)));
    assert_eq!(sys.machine.apply_command(Command::Wake { pid: 9 }), Err(isa::CommandError::NoSuchPid(9)));
    assert_eq!(sys.machine.slot(2).slice, 1);
    // KILL pid 2 (through the executive): the others go on alone.
    sys.exec.kill(&mut sys.machine, 2).unwrap();
    assert_eq!(state(&sys, 2), TaskState::Empty);
    assert_eq!(run(&mut sys, 8), vec![1, 1, 1, 3, 1, 1, 1, 3]);
    // WAKE and RESUME are ignored in other states.
    sys.machine.apply_command(Command::Wake { pid: 1 }).unwrap();
    sys.machine.apply_command(Command::Resume { pid: 3 }).unwrap();
    assert_eq!(run(&mut sys, 4), vec![1, 1, 1, 3]);
    // Everyone paused by the host: stalled at once, and said why.
    sys.machine.apply_command(Command::Pause { pid: 1 }).unwrap();
    sys.machine.apply_command(Command::Pause { pid: 3 }).unwrap();
    let steps = sys.machine.steps;
    assert_eq!(sys.run(100), Outcome::Stalled);
    assert_eq!(sys.machine.steps, steps);
    let why = sys.stall_reasons();
    assert_eq!(why.iter().map(|w| w.pid).collect::<Vec<_>>(), vec![1, 3]);
    assert!(why.iter().all(|w| w.why.contains("host")), "{why:?}");
}
