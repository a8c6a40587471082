//! The RTL runs the same programs to the same results: `hsx run --engine rtl --json` prints
//! exactly the JSON of `--engine ref` (whose values the other tests pin down) for every
//! example and test program, protection on and off, multi-task and single-task — and the
//! lockstep harness agrees on every retire of them, cycle counts included.

use hsx_tests::hsx;

/// (options, specs) of every program the golden-model tests use.
const RUNS: &[(&[&str], &[&str])] = &[
    (&[], &["examples/hello.mvasm"]),
    (&[], &["examples/demo.mvasm@producer", "examples/demo.mvasm@consumer"]),
    (&["--ticks-per-ms", "10"], &["examples/sleep.mvasm@sleeper", "examples/sleep.mvasm@waiter"]),
    (&[], &["examples/overflow.mvasm@deep", "examples/overflow.mvasm@worker"]),
    (&[], &["tests/programs/windows.mvasm@first", "tests/programs/windows.mvasm@second"]),
    (&[], &["tests/programs/fp.mvasm@main"]),
    (&["--slice", "3"], &["tests/programs/shared_counter.mvasm@main", "tests/programs/shared_counter.mvasm@main"]),
    (&[], &["tests/programs/brk.mvasm@paused", "tests/programs/brk.mvasm@worker"]),
    (&["--max-steps", "100"], &["tests/programs/spin.mvasm@spin"]),
    (
        &["--max-steps", "3000", "--ticks-per-ms", "20"],
        &[
            "tests/programs/switchy.mvasm@sender",
            "tests/programs/switchy.mvasm@receiver",
            "tests/programs/switchy.mvasm@worker",
            "tests/programs/switchy.mvasm@sleeper",
        ],
    ),
];

fn attacks() -> Vec<Vec<String>> {
    let src = std::fs::read_to_string(hsx_tests::root().join("tests/programs/protect.mvasm")).unwrap();
    let labels: Vec<String> = src
        .lines()
        .filter_map(|l| l.split_once(':').map(|(a, _)| a))
        .filter(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .filter(|a| !["victim", "delay", "loot", "mine", "msg", "rbuf"].contains(a))
        .map(|a| format!("tests/programs/protect.mvasm@{a}"))
        .collect();
    assert!(labels.len() >= 3, "protect.mvasm has attack entries");
    labels.into_iter().map(|a| vec!["tests/programs/protect.mvasm@victim".to_string(), a]).collect()
}

fn same_json(opts: &[&str], specs: &[String]) {
    let run = |engine: &str| {
        let mut args: Vec<String> = vec!["run".into(), "--json".into(), "--engine".into(), engine.into()];
        args.extend(opts.iter().map(|s| s.to_string()));
        args.extend(specs.iter().cloned());
        hsx(&args)
    };
    let (r, t) = (run("ref"), run("rtl"));
    assert_eq!(r.code, t.code, "exit codes differ for {specs:?}: ref {} rtl {}\n{}", r.code, t.code, t.stderr);
    assert_eq!(r.json(), t.json(), "JSON differs for {opts:?} {specs:?}");
}

#[test]
fn rtl_engine_prints_the_reference_json() {
    for (opts, specs) in RUNS {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        same_json(opts, &specs);
    }
    for specs in attacks() {
        same_json(&["--max-steps", "5000"], &specs);
        same_json(&["--max-steps", "5000", "--no-protect"], &specs);
    }
}

#[test]
fn lockstep_agrees_on_every_test_program_with_timing() {
    for (opts, specs) in RUNS {
        let mut args: Vec<&str> = vec!["cosim", "--check-timing"];
        args.extend(opts.iter());
        args.extend(specs.iter());
        let out = hsx(&args);
        assert_eq!(out.code, 0, "cosim {specs:?} diverged:\n{}{}", out.stdout, out.stderr);
        assert!(out.stdout.starts_with("agree:"), "{}", out.stdout);
    }
}
