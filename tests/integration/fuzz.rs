//! Fuzzing in CI: every property of `cosim::fuzz` (HXE reader round trip, assembler →
//! disassembler → assembler, disassembler, shell command parser, replay's report parser)
//! over a bounded number of mutated inputs seeded from `examples/` and `tests/programs/`,
//! with fixed seeds (deterministic). None may fail or panic. Long campaigns with random
//! seeds: `cargo xtask fuzz --minutes N`.

use cosim::fuzz::{Budget, Corpus, Target};
use std::sync::OnceLock;

fn corpus() -> &'static Corpus {
    static C: OnceLock<Corpus> = OnceLock::new();
    C.get_or_init(|| Corpus::load(&hsx_tests::root()).expect("the seed corpus loads"))
}

/// Run `t` for `cases` inputs with a fixed seed; fail with every failing input shown.
fn fuzz(t: Target, cases: u64) {
    let st = cosim::fuzz::run(t, corpus(), Budget::Cases(cases), 0x5EED);
    eprintln!("{}", st.summary());
    assert_eq!(st.cases, cases);
    let shown: Vec<String> = st
        .failures
        .iter()
        .map(|f| format!("case {}: {}\n  input: {:?}", f.case, f.what, String::from_utf8_lossy(&f.input)))
        .collect();
    assert_eq!(st.failed, 0, "{} failing input(s):\n{}", st.failed, shown.join("\n"));
    // The mutations reach past the parsers' first checks: a share of the inputs is accepted
    // and goes through the whole property, and a share is refused.
    assert!(
        st.accepted > cases / 50,
        "only {} of {cases} inputs accepted: the mutator is too destructive",
        st.accepted
    );
    if t != Target::Disasm {
        assert!(st.accepted < cases, "every input accepted: the mutator does not mutate");
    }
}

#[test]
fn hxe_reader_round_trips() {
    fuzz(Target::Hxe, 100_000);
}

#[test]
fn assembler_disassembler_round_trip() {
    fuzz(Target::Asm, 10_000);
}

#[test]
fn disassembler_reassembles() {
    fuzz(Target::Disasm, 10_000);
}

#[test]
fn shell_command_parser() {
    fuzz(Target::Shell, 10_000);
}

#[test]
fn replay_report_parser() {
    fuzz(Target::Replay, 10_000);
}

#[test]
fn the_corpus_is_the_repository_and_its_seeds_hold() {
    let c = corpus();
    let names: Vec<String> =
        c.sources.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for n in ["hello.mvasm", "demo.mvasm", "windows.mvasm"] {
        assert!(names.iter().any(|x| x == n), "{n} not in the corpus {names:?}");
    }
    // Every seed itself is accepted by its parser and holds the property.
    for t in Target::ALL {
        for (i, s) in c.seeds(t).iter().enumerate() {
            assert_eq!(cosim::fuzz::check(t, s), Ok(true), "{} seed {i}", t.name());
        }
    }
}

#[test]
fn same_seed_same_inputs() {
    let a = cosim::fuzz::run(Target::Asm, corpus(), Budget::Cases(300), 42);
    let b = cosim::fuzz::run(Target::Asm, corpus(), Budget::Cases(300), 42);
    assert_eq!(a.accepted, b.accepted);
    let mut r1 = cosim::fuzz::Rng::new(42);
    let mut r2 = cosim::fuzz::Rng::new(42);
    let seeds = corpus().seeds(Target::Shell);
    for k in 0..500 {
        assert_eq!(
            cosim::fuzz::generate(Target::Shell, &seeds, k, &mut r1),
            cosim::fuzz::generate(Target::Shell, &seeds, k, &mut r2)
        );
    }
}

#[test]
fn a_failing_input_is_saved_to_a_file() {
    // A property that does not hold is reported with its input; the campaign saves it.
    let st = cosim::fuzz::Stats {
        target: Target::Shell,
        seed: 1,
        cases: 1,
        elapsed: std::time::Duration::from_millis(1),
        failures: vec![cosim::fuzz::Failure {
            target: Target::Shell,
            case: 0,
            input: b"peek 0 zz\n".to_vec(),
            what: "example".into(),
        }],
        failed: 1,
        accepted: 0,
    };
    let dir = hsx_tests::scratch_dir("fuzz-save");
    let files = cosim::fuzz::save_failures(&st, &dir).unwrap();
    assert_eq!(files, vec![dir.join("shell-1-0.bin")]);
    assert_eq!(std::fs::read(&files[0]).unwrap(), b"peek 0 zz\n");
    assert_eq!(std::fs::read_to_string(dir.join("shell-1-0.txt")).unwrap(), "example");
}
