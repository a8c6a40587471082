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
        let case = TestCase::generate(seed, &GenConfig::default()).case();
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
        stdin: Vec::new(),
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
            for f in ["report.txt", "report.json", "rtl.vcd", "ref.vcd", "waves.gtkw", "repro.mvasm"] {
                let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
                assert!(len > 0, "{f} written");
            }
            let refvcd = std::fs::read_to_string(dir.join("ref.vcd")).unwrap();
            assert!(refvcd.contains("mismatch") && refvcd.contains("$scope module ref"));
            // The merged dump: both sides and the marker.
            let rtlvcd = std::fs::read_to_string(dir.join("rtl.vcd")).unwrap();
            for s in ["$scope module rtl $end", "$scope module ref $end", "$scope module cosim $end"] {
                assert!(rtlvcd.contains(s), "rtl.vcd lacks `{s}`");
            }
            assert!(!rtlvcd.contains("$scope module TOP") && !rtlvcd.contains("_pkg $end"));
            assert!(!dir.join(super::INCOMPLETE).exists());
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
        stdin: Vec::new(),
    };
    let mut ls = Lockstep::from_case(&case, CosimConfig::default()).unwrap();
    // The monitor reports a change on the next edge inside an instruction (its
    // self-test stands in for an RTL that writes the table mid-instruction).
    ls.rtl_mut().table_monitor_self_test();
    match ls.run(&mut NoObserver) {
        Verdict::Diverged(d) => {
            assert_eq!(d.mismatch.check, "table-stability");
            assert_eq!(d.step, 3, "the MUL is the first instruction with an edge inside it");
        }
        Verdict::Agree { .. } => panic!("the table monitor's report was ignored"),
    }
}

/// A case printing `n` × "hello\n" then exiting.
fn printer(n: u32) -> Case {
    let src = format!(
        ".data\nmsg: .asciz \"hello\\n\"\n.text\nmain: LDI32 R1, msg\n LDI R2, 6\n LDI32 R3, {n}\n LDI R4, 1\nloop: SVC 0x1, 0x01\n SUB R3, R3, R4\n JNZ loop\n LDI R0, 0\n RET\n"
    );
    Case {
        name: "printer".into(),
        seed: None,
        files: vec![case::SourceFile { name: "printer.mvasm".into(), text: Some(src), hex: None }],
        specs: vec!["printer.mvasm".into()],
        settings: case::Settings::default(),
        stdin: Vec::new(),
    }
}

#[test]
fn consoles_are_compared_as_written_and_a_difference_is_reported_at_the_end() {
    // Agree: both sides print the same 3 lines.
    let mut ls = Lockstep::from_case(&printer(3), CosimConfig::default()).unwrap();
    assert!(matches!(ls.run(&mut NoObserver), Verdict::Agree { .. }));
    assert_eq!(ls.reference().exec.console(1), b"hello\nhello\nhello\n");
    assert_eq!(ls.dut().exec.console(1), ls.reference().exec.console(1));
    // One side's console written behind the other's back: a console[1] mismatch at the
    // end (after the run agreed step by step), both consoles quoted whole as they are small.
    let mut ls = Lockstep::from_case(&printer(2), CosimConfig::default()).unwrap();
    ls.dut_mut().exec.console_write(1, vm_ref::exec::Stream::Out, b"!");
    match ls.run(&mut NoObserver) {
        Verdict::Diverged(d) => {
            assert_eq!((d.mismatch.check.as_str(), d.mismatch.field.as_str()), ("end", "console[1]"));
            assert_eq!(
                (d.mismatch.expected.as_str(), d.mismatch.actual.as_str()),
                ("hello\nhello\n", "!hello\nhello\n")
            );
        }
        Verdict::Agree { .. } => panic!("a console difference was missed"),
    }
    // A long console (more than the lockstep's 64 KiB tail): described by size and offset.
    let mut ls = Lockstep::from_case(&printer(12_000), CosimConfig::default()).unwrap();
    ls.reference_mut().exec.console_write(1, vm_ref::exec::Stream::Err, b"e");
    let out = vec![b'x'; 70_000];
    ls.reference_mut().exec.console_write(1, vm_ref::exec::Stream::Out, &out);
    ls.dut_mut().exec.console_write(1, vm_ref::exec::Stream::Out, &out);
    match ls.run(&mut NoObserver) {
        Verdict::Diverged(d) => {
            assert_eq!(d.mismatch.field, "console[1].err");
            assert!(d.mismatch.expected.starts_with("1 bytes, differing from byte 0; the console's last 256 bytes: "));
            assert!(d.mismatch.actual.starts_with("0 bytes, differing from byte 0; the console's last 256 bytes: "));
            assert!(d.mismatch.actual.ends_with("hello\nhello\n"), "{}", d.mismatch.actual);
        }
        Verdict::Agree { .. } => panic!("a console difference was missed"),
    }
}
