//! The harness against the real RTL: random cases agree, and a deliberately corrupted
//! RTL state is reported with its field.

use super::*;
use crate::gen::{GenConfig, TestCase};

fn traces() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hsx-harness-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn random_cases_agree_on_the_real_rtl() {
    let cfg = CosimConfig { check_timing: true, ..Default::default() };
    let t = traces();
    let n: u64 = std::env::var("HSX_HARNESS_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    for seed in 0..n {
        let case = Case::from_generated(&TestCase::generate(seed, &GenConfig::default()));
        match run_case(&case, &cfg, &t).expect("case runs") {
            CaseResult::Agree { .. } => {}
            CaseResult::Diverged { report, dir } => {
                panic!("seed {seed} diverged: {}\n{}", dir.display(), report.text())
            }
        }
    }
}

#[test]
fn a_mutant_is_caught_with_report_and_vcds() {
    // ADD of two negative numbers: mutant 1 (add-v) inverts V.
    let src = "main: LDI R1, -5\n LDI R2, -7\n ADD R3, R1, R2\n MOV R0, R3\n RET\n";
    let case = Case {
        name: "addv".into(),
        seed: None,
        files: vec![case::SourceFile { name: "addv.mvasm".into(), text: Some(src.into()), hex: None }],
        specs: vec!["addv.mvasm".into()],
        settings: case::Settings::default(),
    };
    let t = traces();
    let agree = run_case(&case, &CosimConfig::default(), &t).unwrap();
    assert!(matches!(agree, CaseResult::Agree { .. }), "the program agrees on the real RTL");
    let cfg = CosimConfig { mutant: 1, ..Default::default() };
    match run_case(&case, &cfg, &t).unwrap() {
        CaseResult::Diverged { report, dir } => {
            assert_eq!(report.mismatch.field, "psw");
            assert_eq!(report.step, 3);
            assert_eq!(report.disasm, "ADD R3, R1, R2");
            for f in ["report.txt", "report.json", "rtl.vcd", "ref.vcd"] {
                let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
                assert!(len > 0, "{f} written");
            }
            let refvcd = std::fs::read_to_string(dir.join("ref.vcd")).unwrap();
            assert!(
                refvcd.contains("mismatch")
                    && refvcd.contains("$scope module ref")
                    && refvcd.contains("$scope module rtl")
            );
        }
        CaseResult::Agree { .. } => panic!("mutant add-v survived"),
    }
}

#[test]
fn a_task_table_change_inside_an_instruction_is_a_divergence() {
    let src = "main: LDI R1, 3\n LDI R2, 4\n MUL R3, R1, R2\n ADD R0, R3, R1\n RET\n";
    let case = Case {
        name: "table".into(),
        seed: None,
        files: vec![case::SourceFile { name: "table.mvasm".into(), text: Some(src.into()), hex: None }],
        specs: vec!["table.mvasm".into()],
        settings: case::Settings::default(),
    };
    let mut ls = Lockstep::new(&case, CosimConfig::default()).unwrap();
    // The monitor reports a change on the next edge inside an instruction (its
    // self-test stands in for an RTL that writes the table mid-instruction).
    ls.rtl.rtl.table_monitor_self_test();
    match ls.run(&mut NoObserver) {
        Verdict::Diverged(d) => {
            assert_eq!(d.mismatch.check, "table-stability");
            assert_eq!(d.step, 3, "the MUL is the first instruction with an edge inside it");
        }
        Verdict::Agree { .. } => panic!("the table monitor's report was ignored"),
    }
}
