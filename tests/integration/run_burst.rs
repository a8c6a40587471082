//! `System::run` — the loop `hsx run` uses, which keeps the round robin's bookkeeping in
//! registers while only plain instructions run and writes it back when the burst ends
//! (docs/benchmarks.md) — must leave exactly the state that `System::step` repeated
//! leaves: memories, the task table, counters, the trace ring (events and total), time,
//! and the executive (consoles, mailboxes, arenas). Checked on random multi-task programs
//! (SVCs, mailboxes, sleeps, faults, BRK, every slice) — with bursts from the first step
//! and after the default run of plain steps — on directed round-robin loops, and on a mix
//! of spinners, sleepers (deadlines inside bursts), BRK and RET tasks with host commands
//! between runs; with the ring at its default capacity, smaller, larger than the burst log,
//! not a power of two, and off. Also: a plain `step` changes only the slots the lockstep's
//! `sched` check compares after it.

use cosim::gen::{GenConfig, TestCase};
use hsx_tests::*;
use vm_ref::exec::SpawnOptions;
use vm_ref::system::{Outcome, System};
use vm_ref::MachineConfig;

/// The system of a generated case, its trace ring holding `trace_capacity` events.
fn system_of(tc: &TestCase, trace_capacity: usize) -> System {
    let case = tc.case();
    let mcfg = MachineConfig { protect: case.settings.protect, trace_capacity, ..MachineConfig::default() };
    let plan = case.plan(mcfg.n_tasks).expect("generated cases assemble");
    let mut sys = System::new(&mcfg, case.settings.exec_config());
    plan.load(&mut sys.exec, &mut sys.machine, SpawnOptions::default()).expect("generated cases load");
    sys
}

/// Every piece of state `run` and `step` could leave differently.
fn assert_same(a: &System, b: &System, ctx: &str) {
    let (x, y) = (&a.machine, &b.machine);
    assert_eq!((x.steps, x.ticks), (y.steps, y.ticks), "{ctx}: steps, ticks");
    assert_eq!((x.current, x.last_ran), (y.current, y.last_ran), "{ctx}: current, last_ran");
    assert_eq!(x.ready, y.ready, "{ctx}: READY mask");
    assert_eq!(x.next_deadline, y.next_deadline, "{ctx}: next deadline");
    assert_eq!(x.slots, y.slots, "{ctx}: task table");
    assert_eq!(x.counters, y.counters, "{ctx}: counters");
    assert_eq!(x.brk_code, y.brk_code, "{ctx}: BRK codes");
    assert!(x.dmem[..] == y.dmem[..], "{ctx}: data memory differs");
    assert!(x.code[..] == y.code[..], "{ctx}: code memory differs");
    assert_eq!(x.trace.total(), y.trace.total(), "{ctx}: trace events ever recorded");
    assert_eq!(x.trace.events(), y.trace.events(), "{ctx}: trace ring");
    assert_eq!(format!("{:?}", a.exec), format!("{:?}", b.exec), "{ctx}: executive state");
}

/// `step` up to `n` times; false once the machine is quiescent.
fn step_n(sys: &mut System, n: u64) -> bool {
    for _ in 0..n {
        if sys.step().is_none() {
            return false;
        }
    }
    true
}

/// Run `a` with `run` in chunks of the sizes in `chunks` (cycled) and `b` with `step`,
/// comparing after every chunk, until both are quiescent or `limit` steps have run.
fn compare(mut a: System, mut b: System, chunks: &[u64], limit: u64, ctx: &str) {
    let mut k = 0;
    while a.machine.steps < limit {
        let n = chunks[k % chunks.len()];
        k += 1;
        let before = a.machine.steps;
        let outcome = a.run(n);
        let live = step_n(&mut b, n);
        assert_same(&a, &b, &format!("{ctx}, chunk {k} ({n} steps from step {before})"));
        assert_eq!(outcome, b.outcome(), "{ctx}: outcome");
        if !live {
            assert_ne!(outcome, Outcome::MaxSteps, "{ctx}: step found the machine quiescent, run did not");
            return;
        }
    }
}

const CHUNKS: [u64; 8] = [1, 2, 3, 7, 64, 300, 1, 5000];

#[test]
fn run_equals_step_on_random_programs() {
    let cfg = GenConfig::default();
    for seed in 0..400u64 {
        let tc = TestCase::generate(seed, &cfg);
        let cap = [256, 16, 1000, 0][seed as usize % 4];
        let limit = tc.settings().max_steps;
        let chunks: Vec<u64> =
            CHUNKS.iter().cycle().skip(seed as usize % CHUNKS.len()).take(CHUNKS.len()).copied().collect();
        for burst_after in [0, vm_ref::system::BURST_AFTER] {
            let mut a = system_of(&tc, cap);
            a.burst_after = burst_after;
            let ctx = format!("seed {seed}, trace capacity {cap}, bursts after {burst_after} plain steps");
            compare(a, system_of(&tc, cap), &chunks, limit, &ctx);
        }
    }
}

#[test]
fn run_equals_step_on_round_robin_loops() {
    // Endless loops: bursts end only at the chunk boundary; every slice and task count,
    // including bursts far longer than the burst log.
    let src = program_source("spin.mvasm");
    for tasks in 1..=8usize {
        for slice in [1u32, 2, 3, 5] {
            let entries = vec!["spin"; tasks];
            let boot = Boot::new().slice(slice);
            for burst_after in [0, vm_ref::system::BURST_AFTER] {
                let (mut a, _) = boot.start(&src, &entries);
                let (b, _) = boot.start(&src, &entries);
                a.burst_after = burst_after;
                let ctx = format!("{tasks} tasks, slice {slice}, bursts after {burst_after}");
                compare(a, b, &[1, 999, 17, 4096, 2], 12_000, &ctx);
            }
        }
    }
}

#[test]
fn run_equals_step_with_sixteen_slots() {
    // The largest task table: the successor of slot 16 is the top nibble of the table.
    let src = program_source("spin.mvasm");
    let mut boot = Boot::new().slice(1).stack_size(0x400);
    boot.machine.n_tasks = 16;
    for tasks in [15usize, 16] {
        let entries = vec!["spin"; tasks];
        let (mut a, _) = boot.start(&src, &entries);
        let (b, _) = boot.start(&src, &entries);
        a.burst_after = 0;
        compare(a, b, &[5, 333, 1, 2000], 6_000, &format!("{tasks} of 16 slots"));
    }
}

#[test]
fn run_equals_step_with_a_slice_per_task_and_slices_changed_mid_turn() {
    // Slices 1, 3, 5, 2 for four tasks; between chunks the host sets the running task's
    // slice below, at and above the steps it has already used (a SET_SLICE between steps).
    let src = program_source("spin.mvasm");
    let entries = ["spin"; 4];
    let (mut a, _) = Boot::new().start(&src, &entries);
    let (mut b, _) = Boot::new().start(&src, &entries);
    a.burst_after = 0;
    for (pid, n) in [(1u8, 1u32), (2, 3), (3, 5), (4, 2)] {
        for sys in [&mut a, &mut b] {
            sys.machine.apply_command(isa::Command::SetSlice { pid, n }).expect("SET_SLICE");
        }
    }
    for (k, chunk) in [1u64, 2, 4, 3, 9, 100, 7, 1, 1, 250].into_iter().enumerate() {
        a.run(chunk);
        assert!(step_n(&mut b, chunk));
        assert_same(&a, &b, &format!("chunk {k}"));
        let cur = a.machine.current;
        if cur != 0 {
            let used = a.machine.slot(cur).slice_used;
            let n = [1, used.max(1), used + 2][k % 3];
            for sys in [&mut a, &mut b] {
                sys.machine.apply_command(isa::Command::SetSlice { pid: cur, n }).expect("SET_SLICE");
            }
        }
    }
}

/// Spinners, sleepers (each sleep's deadline falls inside a spinner's burst and ends it),
/// a task that pauses on BRK and one that returns.
const MIXED: &str = "
        .text
spin:   LDI   R2, 1
sloop:  ADD   R1, R1, R2
        XOR   R3, R1, R2
        JMP   sloop
sleeper:
        LDI   R2, 1
zloop:  LDI   R0, 1
        SVC   0x6, 0x00        ; SLEEP_MS(1)
        ADD   R1, R1, R2
        JMP   zloop
brk:    LDI   R1, 40
bloop:  LDI   R2, 1
        SUB   R1, R1, R2
        JNZ   bloop
        BRK   3
        JMP   brk
ret:    LDI   R1, 70
rloop:  LDI   R2, 1
        SUB   R1, R1, R2
        JNZ   rloop
        RET
";

#[test]
fn run_equals_step_with_deadlines_inside_bursts_and_host_commands_between_runs() {
    use isa::Command;
    let entries = ["spin", "sleeper", "spin", "brk", "sleeper", "ret", "spin"];
    for (slice, ticks_per_ms, cap) in [(1u32, 7u64, 100usize), (3, 50, 300), (2, 333, 256)] {
        let boot = Boot::new().slice(slice).ticks_per_ms(ticks_per_ms).trace_capacity(cap);
        let (mut a, _) = boot.start(MIXED, &entries);
        let (mut b, _) = boot.start(MIXED, &entries);
        a.burst_after = 0;
        let ctx = format!("slice {slice}, {ticks_per_ms} ticks/ms, ring {cap}");
        // Host actions between chunks, the same on both: (chunk, command or single steps).
        let plan: [(u64, u8); 12] = [
            (5, 0),
            (400, 1),
            (37, 2),
            (1000, 3),
            (3, 4),
            (260, 5),
            (1, 6),
            (999, 7),
            (64, 0),
            (2500, 8),
            (17, 9),
            (300, 0),
        ];
        for (k, &(chunk, action)) in plan.iter().enumerate() {
            a.run(chunk);
            step_n(&mut b, chunk);
            assert_same(&a, &b, &format!("{ctx}, chunk {k}"));
            let cur = a.machine.current.max(1);
            let cmd = match action {
                1 => Some(Command::Pause { pid: 3 }),
                2 => Some(Command::Yield { pid: cur }),
                3 => Some(Command::Resume { pid: 3 }),
                4 => Some(Command::Resume { pid: 4 }), // after its BRK, if it has paused
                5 => Some(Command::SetSlice { pid: 1, n: 4 }),
                6 => Some(Command::Wake { pid: 2 }), // a sleeper, if it sleeps
                8 => Some(Command::Pause { pid: cur }),
                9 => Some(Command::Resume { pid: cur }),
                _ => None,
            };
            if let Some(cmd) = cmd {
                // Refused commands (wrong state) are refused on both.
                assert_eq!(a.machine.apply_command(cmd), b.machine.apply_command(cmd), "{ctx}: {cmd:?}");
            }
            if action == 7 {
                for pid in [1u8, 5, 7] {
                    assert_eq!(a.step_task(pid).is_some(), b.step_task(pid).is_some(), "{ctx}: step_task {pid}");
                }
            }
            assert_same(&a, &b, &format!("{ctx}, after action {action}"));
        }
        assert!(a.machine.counters.iter().any(|c| c.wakes > 0), "{ctx}: the sleepers woke inside the run");
    }
}

#[test]
fn run_keeps_a_larger_trace_ring_whole() {
    // A ring larger than the burst log: the last 1000 events are all there, in order, as
    // stepping records them.
    let src = program_source("spin.mvasm");
    let boot = Boot::new().slice(2).trace_capacity(1000);
    let (mut a, _) = boot.start(&src, &["spin", "spin", "spin"]);
    let (mut b, _) = boot.start(&src, &["spin", "spin", "spin"]);
    a.burst_after = 0;
    a.run(5000);
    assert!(step_n(&mut b, 5000));
    assert_eq!(a.machine.trace.events().len(), 1000);
    assert_same(&a, &b, "ring of 1000");
}

/// The lockstep's `sched` check compares, after a step with no trap, no timeout and no idle
/// jump, only the slots either side can have changed; on the reference side that rests on
/// this: such a `step` changes no slot but the retiring task's and those of `current` and
/// `last_ran` before and after it (scheduling in, accounting, rotating, RETURN/BRK/fault).
#[test]
fn a_plain_step_changes_only_the_slots_the_sched_check_compares() {
    let cfg = GenConfig::default();
    let (mut plain, mut changed_other) = (0u64, 0u64);
    let mut traps = vec![];
    for seed in 0..300u64 {
        let tc = TestCase::generate(seed, &cfg);
        let mut sys = system_of(&tc, 256);
        sys.exec.set_trap_log(true);
        for _ in 0..3000 {
            let before = sys.machine.slots.clone();
            let (cur0, last0, ticks0) = (sys.machine.current, sys.machine.last_ran, sys.machine.ticks);
            let Some(rec) = sys.step() else { break };
            sys.exec.drain_trap_log_into(&mut traps);
            let m = &sys.machine;
            let allowed = [rec.pid, cur0, last0, m.current, m.last_ran];
            let others = before
                .iter()
                .zip(&m.slots)
                .enumerate()
                .filter(|(i, (a, b))| a != b && !allowed.contains(&(*i as u8 + 1)));
            if !traps.is_empty() || m.ticks > ticks0 + 1 {
                changed_other += others.count() as u64;
                continue;
            }
            plain += 1;
            if let Some((i, (a, b))) = others.into_iter().next() {
                panic!(
                    "seed {seed}, step {}: a plain step of pid {} changed slot {}: {a:?} -> {b:?}",
                    m.steps,
                    rec.pid,
                    i + 1
                );
            }
        }
    }
    assert!(plain > 50_000, "only {plain} plain steps were checked");
    // The exceptions are real: steps with traps or timeouts do change other tasks' slots
    // (a wake-up, a send to a blocked receiver), which is why they compare every slot.
    assert!(changed_other > 0, "no trap or timeout step changed another task's slot");
}
