//! Co-simulation throughput (docs/benchmarks.md):
//!
//! * `lockstep/compare`: checked retires per second — the lockstep loop with every checker
//!   (retire, traps, write monitor, isolation, window, scheduler, invariants, timing);
//! * `lockstep/no_compare`: the same loop and binary with `compare = false` (both models
//!   step in lockstep, nothing is compared) — the difference is the cost of checking;
//! * `rtl_alone`: the RTL with its executive (`RtlSystem::run`), no reference model;
//! * `divergence_to_vcd`: `run_case` on a mutant that diverges at step 3 (ADD's V flag):
//!   run, report and both VCDs (a deterministic re-simulation) into a temp dir.

use cosim::harness::case::{Case, Settings, SourceFile};
use cosim::harness::{run_case, CaseResult, CosimConfig, Lockstep, NoObserver, Verdict};
use cosim::rtl::RtlSystem;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
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
                    let mut ls = Lockstep::new(&cs, cfg).expect("lockstep");
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
                let mut r = RtlSystem::new(sim::RtlOptions { mutant: 0 }, st.protect, st.exec_config()).expect("rtl");
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

criterion_group!(benches, lockstep, rtl_alone, divergence_to_vcd);
criterion_main!(benches);
