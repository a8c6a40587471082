//! Steps per second of the golden model (`vm_ref::system::System`), docs/benchmarks.md.
//!
//! * `alu_loop/1task`: an endless ALU/branch loop, one task;
//! * `load_store/1task`: an endless load/store loop, one task;
//! * `alu_loop/8tasks_slice1`: the ALU loop as 8 tasks with `slice 1` (a rotation on
//!   every step) — its ratio to `alu_loop/1task` is the cost of switching.
//!
//! Each iteration runs [`STEPS`] steps of a system built once (the programs never end).
//!
//! After the criterion groups, `switch_ratio` measures the 8 : 1 ratio directly: the two
//! systems of `alu_loop` take turns, [`ROUNDS`] rounds of [`ROUND_STEPS`] steps each, and the
//! fastest round of each gives the ratio — measured in the same seconds, so a busy
//! machine slows both alike (criterion's two groups run seconds apart).
//!
//! `step_ratio` (last) measures the harness's path, [`System::step_into`] with a retire
//! record, against `run`'s burst loop on the same two systems, interleaved the same way
//! and timed in the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) and wall time.
//! `HSX_BENCH_RATIO_ONLY=1` skips the criterion groups.

use criterion::{criterion_group, Criterion, Throughput};
use isa::Retire;
use std::time::Duration;
use vm_ref::exec::{ExecConfig, SpawnOptions};
use vm_ref::system::System;
use vm_ref::MachineConfig;

const STEPS: u64 = 100_000;

/// An ALU/branch loop: an inner counted loop of ALU work inside an endless outer loop.
pub const ALU_LOOP: &str = "
        .text
main:   LDI   R2, 1
        LDI   R1, 0
outer:  LDI   R5, 100
inner:  ADD   R1, R1, R2
        XOR   R3, R1, R5
        AND   R4, R3, R1
        OR    R6, R4, R2
        SUB   R5, R5, R2
        JNZ   inner
        JMP   outer
";

/// A load/store loop over a small buffer (words, halves, bytes).
pub const LOAD_STORE_LOOP: &str = "
        .data
        .align 4
buf:    .word 0, 0, 0, 0
        .text
main:   LDI32 R1, buf
        LDI   R2, 1
loop:   LD    R3, [R1]
        ADD   R3, R3, R2
        ST    [R1], R3
        STH   [R1 + 4], R3
        LDH   R4, [R1 + 4]
        STB   [R1 + 9], R4
        LDB   R5, [R1 + 9]
        ST    [R1 + 12], R5
        JMP   loop
";

/// A system running `src` from `main` as `tasks` tasks.
fn system(src: &str, tasks: usize, slice: u32) -> System {
    let prog = isa::asm::assemble(src, "bench").expect("bench program assembles");
    let entry = prog.entry_label("main").expect("main");
    let mcfg = MachineConfig { n_tasks: tasks.max(MachineConfig::default().n_tasks), ..MachineConfig::default() };
    let mut sys = System::new(&mcfg, ExecConfig { slice, ..ExecConfig::default() });
    let id = sys.exec.load_image(&mut sys.machine, "bench", &prog.image).expect("load_image");
    for _ in 0..tasks {
        sys.exec.spawn(&mut sys.machine, id, entry, SpawnOptions::default()).expect("spawn");
    }
    sys
}

fn bench(c: &mut Criterion, group: &str, name: &str, src: &str, tasks: usize, slice: u32) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(STEPS));
    let mut sys = system(src, tasks, slice);
    g.bench_function(name, |b| {
        b.iter(|| {
            let before = sys.machine.steps;
            sys.run(STEPS);
            assert_eq!(sys.machine.steps - before, STEPS, "the bench program must not stop");
        })
    });
    g.finish();
}

/// `STEPS` single steps with a retire record per iteration: what the lockstep does.
fn bench_step(c: &mut Criterion, name: &str, src: &str, tasks: usize, slice: u32) {
    let mut g = c.benchmark_group("step_into");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(STEPS));
    let mut sys = system(src, tasks, slice);
    let mut rec = Retire::default();
    g.bench_function(name, |b| b.iter(|| step_n(&mut sys, &mut rec, STEPS)));
    g.finish();
}

/// `n` steps through [`System::step_into`], each record looked at (as the harness does).
fn step_n(sys: &mut System, rec: &mut Retire, n: u64) {
    let mut sum = 0u64;
    for _ in 0..n {
        assert!(sys.step_into(rec), "the bench program must not stop");
        sum = sum.wrapping_add(rec.step ^ rec.pc as u64);
    }
    std::hint::black_box(sum);
}

fn steps(c: &mut Criterion) {
    bench(c, "alu_loop", "1task", ALU_LOOP, 1, 1);
    bench(c, "alu_loop", "8tasks_slice1", ALU_LOOP, 8, 1);
    bench(c, "load_store", "1task", LOAD_STORE_LOOP, 1, 1);
    bench_step(c, "alu_loop_1task", ALU_LOOP, 1, 1);
    bench_step(c, "alu_loop_8tasks_slice1", ALU_LOOP, 8, 1);
    bench_step(c, "load_store_1task", LOAD_STORE_LOOP, 1, 1);
}

/// Rounds of the interleaved ratio measurement, and steps per round: long enough that
/// the host CPU's predictors, retrained by the other system's round, settle within it.
const ROUNDS: usize = 20;
const ROUND_STEPS: u64 = 2_000_000;

/// Steps per second of `alu_loop` as 8 tasks (slice 1) over 1 task, interleaved.
fn switch_ratio() {
    let mut one = system(ALU_LOOP, 1, 1);
    let mut eight = system(ALU_LOOP, 8, 1);
    one.run(STEPS);
    eight.run(STEPS);
    let time = |sys: &mut System| {
        let t = std::time::Instant::now();
        sys.run(ROUND_STEPS);
        t.elapsed().as_secs_f64()
    };
    let (mut best1, mut best8) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        best1 = best1.min(time(&mut one));
        best8 = best8.min(time(&mut eight));
    }
    let rate = |t: f64| ROUND_STEPS as f64 / t / 1e6;
    println!(
        "switch_ratio: alu_loop 1 task {:.1} M steps/s, 8 tasks slice 1 {:.1} M steps/s: 8 : 1 = {:.2} (best of {ROUNDS} interleaved rounds)",
        rate(best1),
        rate(best8),
        best1 / best8
    );
}

/// `step_into` (the lockstep's path) against `run` (the burst loop) on the ALU loop with
/// 1 task and with 8 tasks at slice 1, and on the load/store loop: the four take turns,
/// [`ROUNDS`] rounds of [`ROUND_STEPS`] steps, fastest round of each.
fn step_ratio() {
    let systems = [
        ("alu_loop 1 task", ALU_LOOP, 1),
        ("alu_loop 8 tasks slice 1", ALU_LOOP, 8),
        ("load_store 1 task", LOAD_STORE_LOOP, 1),
    ];
    for (name, src, tasks) in systems {
        let mut by_run = system(src, tasks, 1);
        let mut by_step = system(src, tasks, 1);
        let mut rec = Retire::default();
        by_run.run(STEPS);
        step_n(&mut by_step, &mut rec, STEPS);
        // (CPU seconds, wall seconds) of one round.
        let time = |f: &mut dyn FnMut()| {
            let (c, t) = (thread_cpu(), std::time::Instant::now());
            f();
            (thread_cpu() - c, t.elapsed().as_secs_f64())
        };
        let (mut run_best, mut step_best) = ((f64::MAX, f64::MAX), (f64::MAX, f64::MAX));
        for _ in 0..ROUNDS {
            let r = time(&mut || {
                by_run.run(ROUND_STEPS);
            });
            let s = time(&mut || step_n(&mut by_step, &mut rec, ROUND_STEPS));
            run_best = (run_best.0.min(r.0), run_best.1.min(r.1));
            step_best = (step_best.0.min(s.0), step_best.1.min(s.1));
        }
        let rate = |t: f64| ROUND_STEPS as f64 / t / 1e6;
        println!(
            "step_ratio: {name:<24} run {:.1} M steps/s, step_into {:.1} M steps/s: step / run time = {:.2} (CPU time; wall {:.2}; best of {ROUNDS} interleaved rounds)",
            rate(run_best.0),
            rate(step_best.0),
            step_best.0 / run_best.0,
            step_best.1 / run_best.1
        );
    }
}

/// This thread's CPU time in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

criterion_group!(benches, steps);

fn main() {
    if std::env::var_os("HSX_BENCH_RATIO_ONLY").is_none() {
        benches();
        Criterion::default().configure_from_args().final_summary();
        switch_ratio();
    }
    step_ratio();
}
