//! The harness is extensible from outside the crate: a user's checker joins the standard
//! ones, fires with its own name in the divergence report, and stays quiet on a run
//! that does not trip it (docs/harness.md "Writing a checker").

use cosim::harness::case::{Case, Settings, SourceFile};
use cosim::harness::check::{standard_checkers, Checker, Mismatch, StepCtx};
use cosim::harness::report::Report;
use cosim::harness::{CosimConfig, Lockstep, NoObserver, Verdict};
use std::sync::{Arc, Mutex};

const SRC: &str = "main: LDI R1, -5\n LDI R2, -7\n ADD R3, R1, R2\n MOV R0, R3\n RET\n";

fn case() -> Case {
    Case {
        name: "pc-watch".into(),
        seed: None,
        files: vec![SourceFile { name: "pcw.mvasm".into(), text: Some(SRC.into()), hex: None }],
        specs: vec!["pcw.mvasm".into()],
        settings: Settings::default(),
        stdin: Vec::new(),
    }
}

/// Flags any retire (on the DUT) at `pc`.
struct PcWatch {
    pc: u16,
}

impl Checker for PcWatch {
    fn name(&self) -> &'static str {
        "pc-watch"
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        (cx.rtl_rec.pc == self.pc).then(|| {
            // The name given here is not what the report shows: the harness names the
            // mismatch after `name()`.
            Mismatch::new("whatever", "pc", format!("no retire at 0x{:04x}", self.pc), format!("step {}", cx.step))
        })
    }
}

/// Records every retired pc; never fires.
struct PcLog(Arc<Mutex<Vec<u16>>>);

impl Checker for PcLog {
    fn name(&self) -> &'static str {
        "pc-log"
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        self.0.lock().unwrap().push(cx.rtl_rec.pc);
        None
    }
}

#[test]
fn a_user_checker_fires_with_its_own_name_and_not_on_a_passing_run() {
    let case = case();
    // A passing run: the standard checkers and a user checker that only watches.
    let pcs = Arc::new(Mutex::new(vec![]));
    let mut ls = Lockstep::new(&case, CosimConfig::default()).expect("lockstep");
    ls.add_checker(Box::new(PcLog(pcs.clone())));
    assert!(ls.checker_names().ends_with(&["end", "pc-log"]), "{:?}", ls.checker_names());
    assert!(matches!(ls.run(&mut NoObserver), Verdict::Agree { steps: 5, .. }));
    let pcs = pcs.lock().unwrap().clone();
    assert_eq!(pcs.len(), 5, "one call per retired step: {pcs:?}");

    // Watching a pc no step retires at: still a pass.
    let unused = (0..).find(|p| !pcs.contains(p)).unwrap();
    let mut checkers = standard_checkers(false);
    checkers.push(Box::new(PcWatch { pc: unused }));
    let mut ls = Lockstep::new(&case, CosimConfig::default()).expect("lockstep").with_checkers(checkers);
    assert!(matches!(ls.run(&mut NoObserver), Verdict::Agree { .. }));

    // Watching the ADD's pc (the third step): the run stops there, named after the checker.
    let mut checkers = standard_checkers(false);
    checkers.push(Box::new(PcWatch { pc: pcs[2] }));
    let mut ls = Lockstep::new(&case, CosimConfig::default()).expect("lockstep").with_checkers(checkers);
    let d = match ls.run(&mut NoObserver) {
        Verdict::Diverged(d) => d,
        v => panic!("the user checker did not fire: {v:?}"),
    };
    assert_eq!((d.mismatch.check.as_str(), d.mismatch.field.as_str(), d.step), ("pc-watch", "pc", 3));
    let rep = Report::build(&ls, &d, "pc-watch");
    assert!(rep.text().lines().any(|l| l.trim() == "check     pc-watch"), "{}", rep.text());
    assert_eq!(rep.disasm, "ADD R3, R1, R2");
    let json: serde_json::Value = serde_json::to_value(&rep).unwrap();
    assert_eq!(json["mismatch"]["check"], "pc-watch", "{json}");
}
