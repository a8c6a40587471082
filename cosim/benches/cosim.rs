//! Co-simulation throughput (docs/benchmarks.md):
//!
//! * `lockstep/compare`: checked retires per second — the lockstep loop with every checker
//!   (retire, traps, write monitor, isolation, window, scheduler, invariants, timing);
//! * `lockstep/no_compare`: the same loop and binary with `compare = false` (both models
//!   step in lockstep, nothing is compared) — the difference is the cost of checking;
//! * `rtl_alone`: the RTL with its executive (`RtlSystem::run`), no reference model;
//! * `divergence_to_vcd`: `run_case` on a mutant that diverges at step 3 (ADD's V flag):
//!   run, report and both VCDs (a deterministic re-simulation) into a temp dir.
//!
//! After the groups, `check_ratio` prints the three figures of issue 13 measured in the same
//! seconds: the lockstep (every checker, timing on) and the RTL alone take turns on the
//! same loop, [`ROUNDS`] rounds of [`STEPS`] steps each (construction and loading not
//! timed), and the fastest round of each gives RTL cycles/s, checked retires/s and the
//! lockstep ÷ RTL time ratio (criterion's groups run seconds apart, and this machine's
//! speed drifts by tens of percent within minutes). Rounds are timed in the thread's CPU
//! time (`CLOCK_THREAD_CPUTIME_ID`: time the machine's other jobs take from this thread is
//! not counted) and in wall time. `HSX_BENCH_RATIO_ONLY=1` skips the groups;
//! `HSX_BENCH_ONLY=lockstep,rtl_alone` runs only the named variants and
//! `HSX_BENCH_ROUNDS=n` sets the rounds (for a profiler: one variant, many rounds);
//! `HSX_BENCH_TASKS=n` runs `check_ratio`'s loop as n tasks at slice 1 (a rotation every
//! step: the scheduler checks then see a different running task at every step);
//! `HSX_BENCH_RUN_AHEAD=n` sets the lockstep's run-ahead (`Lockstep::run_ahead`; 1: one
//! step per crossing; default the library's `RUN_AHEAD`).

use cosim::harness::case::{Case, Settings, SourceFile};
use cosim::harness::{run_case, CaseResult, CosimConfig, Lockstep, NoObserver, Verdict};
use cosim::rtl::RtlSystem;
use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use std::time::Duration;
use vm_ref::exec::SpawnOptions;

/// Steps per measured iteration.
const STEPS: u64 = 20_000;

/// The ALU/branch loop of vm-ref/benches/steps.rs (endless).
const ALU_LOOP: &str = "
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

/// Mutant 1's trigger (tests/programs/mutants/add-v.mvasm).
const ADD_V: &str = "
        .text
main:   LDI   R1, -5
        LDI   R2, -7
        ADD   R3, R1, R2
        RET
";

fn case(name: &str, src: &str, max_steps: u64) -> Case {
    let file = format!("{name}.mvasm");
    Case {
        name: name.to_string(),
        seed: None,
        files: vec![SourceFile { name: file.clone(), text: Some(src.to_string()), hex: None }],
        specs: vec![format!("{file}@main")],
        settings: Settings { max_steps, ..Settings::default() },
        stdin: Vec::new(),
    }
}

fn lockstep(c: &mut Criterion) {
    let cs = case("alu", ALU_LOOP, STEPS);
    let cfg = CosimConfig { check_timing: true, ..CosimConfig::default() };
    let mut g = c.benchmark_group("lockstep");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(STEPS));
    for (name, compare) in [("compare", true), ("no_compare", false)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut ls = Lockstep::from_case(&cs, cfg).expect("lockstep");
                    ls.compare = compare;
                    ls
                },
                |mut ls| match ls.run(&mut NoObserver) {
                    Verdict::Agree { steps, .. } => assert_eq!(steps, STEPS),
                    Verdict::Diverged(d) => panic!("the real RTL diverged: {:?}", d.mismatch),
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn rtl_alone(c: &mut Criterion) {
    let cs = case("alu", ALU_LOOP, STEPS);
    let st = cs.settings;
    let plan = cs.plan(isa::DEFAULT_N_TASKS).expect("plan");
    let mut g = c.benchmark_group("rtl_alone");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(STEPS));
    g.bench_function("alu_loop", |b| {
        b.iter_batched(
            || {
                let mut r = RtlSystem::new(sim::RtlOptions::default(), st.protect, st.exec_config()).expect("rtl");
                r.load(&plan, SpawnOptions::default()).expect("load");
                r
            },
            |mut r| {
                r.run(STEPS).expect("rtl run");
                assert_eq!(r.steps, STEPS);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn divergence_to_vcd(c: &mut Criterion) {
    let cs = case("add-v", ADD_V, 1000);
    let cfg = CosimConfig { mutant: 1, check_timing: true, ..CosimConfig::default() };
    let dir = std::env::temp_dir().join(format!("hsx-bench-{}", std::process::id()));
    let mut g = c.benchmark_group("divergence_to_vcd");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    g.bench_function("add_v", |b| {
        b.iter(|| match run_case(&cs, &cfg, &dir).expect("run_case") {
            CaseResult::Diverged { dir, .. } => assert!(dir.join("rtl.vcd").exists()),
            CaseResult::Agree { .. } => panic!("mutant add-v survived"),
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Interleaved rounds of `check_ratio`.
const ROUNDS: usize = 15;

fn check_ratio() {
    let mut cs = case("alu", ALU_LOOP, STEPS);
    let tasks: usize = std::env::var("HSX_BENCH_TASKS").ok().and_then(|t| t.parse().ok()).unwrap_or(1);
    if tasks > 1 {
        cs.specs = vec![cs.specs[0].clone(); tasks];
        cs.settings.slice = 1;
    }
    let cfg = CosimConfig { check_timing: true, ..CosimConfig::default() };
    // HSX_BENCH_RUN_AHEAD=n: the lockstep's run-ahead (default: the library's, RUN_AHEAD).
    let run_ahead: Option<u32> = std::env::var("HSX_BENCH_RUN_AHEAD").ok().and_then(|t| t.parse().ok());
    let st = cs.settings;
    let plan = cs.plan(isa::DEFAULT_N_TASKS).expect("plan");
    // One round: (CPU seconds, wall seconds, RTL cycles of the timed part).
    let lockstep = |compare: bool| {
        let mut ls = Lockstep::from_case(&cs, cfg).expect("lockstep");
        ls.compare = compare;
        if let Some(n) = run_ahead {
            ls.run_ahead = n;
        }
        let c0 = ls.rtl().cycles();
        let (cpu, t) = (thread_cpu(), std::time::Instant::now());
        match ls.run(&mut NoObserver) {
            Verdict::Agree { steps, .. } => assert_eq!(steps, STEPS),
            Verdict::Diverged(d) => panic!("the real RTL diverged: {:?}", d.mismatch),
        }
        (thread_cpu() - cpu, t.elapsed().as_secs_f64(), ls.rtl().cycles() - c0)
    };
    let alone = |table_monitor: bool, monitors: bool| {
        let opts = sim::RtlOptions { monitors, ..sim::RtlOptions::default() };
        let mut r = RtlSystem::new(opts, st.protect, st.exec_config()).expect("rtl");
        r.load(&plan, SpawnOptions::default()).expect("load");
        r.rtl.set_table_monitor(table_monitor).expect("table monitor");
        let c0 = r.rtl.cycles();
        let (cpu, t) = (thread_cpu(), std::time::Instant::now());
        r.run(STEPS).expect("rtl run");
        assert_eq!(r.steps, STEPS);
        (thread_cpu() - cpu, t.elapsed().as_secs_f64(), r.rtl.cycles() - c0)
    };
    type Round<'a> = Box<dyn Fn() -> (f64, f64, u64) + 'a>;
    let variants: [(&str, Round); 5] = [
        ("lockstep", Box::new(|| lockstep(true))),
        ("rtl_alone", Box::new(|| alone(false, false))),
        ("lockstep_no_compare", Box::new(|| lockstep(false))),
        ("rtl_alone_snapshot_monitor", Box::new(|| alone(true, false))),
        ("rtl_alone_monitor_model", Box::new(|| alone(true, true))),
    ];
    // `HSX_BENCH_ONLY=lockstep,rtl_alone`: run only these variants (for a profiler);
    // the ratios are then relative to `rtl_alone` only if it is among them.
    let only = std::env::var("HSX_BENCH_ONLY").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o.split(',').any(|w| w == name));
    let rounds: usize = std::env::var("HSX_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(ROUNDS);
    // Fastest round of each, in CPU time and in wall time.
    let mut cpu = [(f64::MAX, 0u64); 5];
    let mut wall = [f64::MAX; 5];
    for (_, f) in variants.iter().filter(|(n, _)| wanted(n)) {
        f();
    }
    for _ in 0..rounds {
        for (i, (_, f)) in variants.iter().enumerate().filter(|(_, (n, _))| wanted(n)) {
            let (c, w, cycles) = f();
            if c < cpu[i].0 {
                cpu[i] = (c, cycles);
            }
            wall[i] = wall[i].min(w);
        }
    }
    let m = |n: f64, t: f64| n / t / 1e6;
    for (i, (name, _)) in variants.iter().enumerate().filter(|(_, (n, _))| wanted(n)) {
        println!(
            "check_ratio: {name:<26} {:.3} M retires/s, {:.2} M RTL cycles/s, {:.2}x rtl_alone (CPU time; wall: {:.2}x)",
            m(STEPS as f64, cpu[i].0),
            m(cpu[i].1 as f64, cpu[i].0),
            cpu[i].0 / cpu[1].0,
            wall[i] / wall[1]
        );
    }
    if !(wanted("lockstep") && wanted("rtl_alone")) {
        return;
    }
    println!(
        "check_ratio: RTL alone {:.2} M cycles/s; lockstep (every checker, timing on) {:.3} M checked retires/s; lockstep / RTL alone = {:.2} (CPU time; wall {:.2}; best of {rounds} interleaved rounds of {STEPS} steps, {tasks} task(s))",
        m(cpu[1].1 as f64, cpu[1].0),
        m(STEPS as f64, cpu[0].0),
        cpu[0].0 / cpu[1].0,
        wall[0] / wall[1]
    );
}

/// This thread's CPU time in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

criterion_group!(benches, lockstep, rtl_alone, divergence_to_vcd);

fn main() {
    if std::env::var_os("HSX_BENCH_RATIO_ONLY").is_none() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    check_ratio();
}
