//! The harness is extensible from outside the crate (docs/harness.md): a user's checker
//! joins the standard ones, fires with its own name in the divergence report, stays quiet
//! on a run that does not trip it, and its divergence gets the same trace folder (report
//! and waveforms) as a built-in checker's; and a lockstep can be built from a user's own
//! pair of sides — here wrappers around the standard ones, one of them with a broken
//! register file that the standard checkers catch.

use cosim::harness::case::{Case, Settings, SourceFile};
use cosim::harness::check::{standard_checkers, Checker, EndCtx, Mismatch, Phase, Phases, StepCtx};
use cosim::harness::host_script::{HostAction, HostReply};
use cosim::harness::report::Report;
use cosim::harness::side::{Dut, Reference, Side, StepFault};
use cosim::harness::{standard_sides, write_divergence, CosimConfig, CosimError, Lockstep, NoObserver, Verdict};
use cosim::rtl::RtlSystem;
use isa::{Retire, Slot};
use sim::{Globals, ObservedWrite};
use std::sync::{Arc, Mutex};
use vm_ref::exec::{Executive, TrapSeen};
use vm_ref::system::{Outcome, System};
use vm_ref::Machine;

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
    fn phases(&self) -> Phases {
        Phases::STEP
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

/// At the end of the run: the DUT's task 1 must not have exited with `code`.
struct ExitWatch {
    code: u32,
}

impl Checker for ExitWatch {
    fn name(&self) -> &'static str {
        "exit-watch"
    }
    fn phases(&self) -> Phases {
        Phases::END
    }
    fn check_end(&mut self, cx: &EndCtx<'_>) -> Option<Mismatch> {
        let got = cx.dut.slot(1).exit_code;
        (got == Some(self.code))
            .then(|| Mismatch::new("", "exit_code", format!("not {}", self.code), self.code.to_string()))
    }
}

#[test]
fn a_user_checker_fires_with_its_own_name_and_not_on_a_passing_run() {
    let case = case();
    // A passing run: the standard checkers and a user checker that only watches.
    let pcs = Arc::new(Mutex::new(vec![]));
    let mut ls = Lockstep::from_case(&case, CosimConfig::default()).expect("lockstep");
    ls.add_checker(Box::new(PcLog(pcs.clone())));
    assert!(ls.checker_names().ends_with(&["end", "pc-log"]), "{:?}", ls.checker_names());
    assert!(matches!(ls.run(&mut NoObserver), Verdict::Agree { steps: 5, .. }));
    let pcs = pcs.lock().unwrap().clone();
    assert_eq!(pcs.len(), 5, "one call per retired step: {pcs:?}");

    // Watching a pc no step retires at: still a pass.
    let unused = (0..).find(|p| !pcs.contains(p)).unwrap();
    let mut checkers = standard_checkers(false);
    checkers.push(Box::new(PcWatch { pc: unused }));
    let mut ls = Lockstep::from_case(&case, CosimConfig::default()).expect("lockstep").with_checkers(checkers);
    assert!(matches!(ls.run(&mut NoObserver), Verdict::Agree { .. }));

    // Watching the ADD's pc (the third step): the run stops there, named after the checker.
    let mut checkers = standard_checkers(false);
    checkers.push(Box::new(PcWatch { pc: pcs[2] }));
    let mut ls = Lockstep::from_case(&case, CosimConfig::default()).expect("lockstep").with_checkers(checkers);
    let d = match ls.run(&mut NoObserver) {
        Verdict::Diverged(d) => d,
        v => panic!("the user checker did not fire: {v:?}"),
    };
    assert_eq!((d.mismatch.check.as_str(), d.mismatch.field.as_str(), d.step), ("pc-watch", "pc", 3));
    assert_eq!(d.phase, Phase::Step);
    let rep = Report::build(&ls, &d, "pc-watch");
    assert!(rep.text().lines().any(|l| l.trim() == "check     pc-watch"), "{}", rep.text());
    assert_eq!(rep.disasm, "ADD R3, R1, R2");
    let json: serde_json::Value = serde_json::to_value(&rep).unwrap();
    assert_eq!(json["mismatch"]["check"], "pc-watch", "{json}");
}

/// The times (ns) at which `var` of the VCD text goes to 1.
fn rises(vcd: &str, var: &str) -> Vec<u64> {
    let id = vcd
        .lines()
        .find_map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            (t.len() >= 5 && t[0] == "$var" && t[4] == var).then(|| t[3].to_string())
        })
        .unwrap_or_else(|| panic!("no variable {var}"));
    let mut now = 0;
    let mut out = vec![];
    for l in vcd.lines() {
        if let Some(t) = l.strip_prefix('#') {
            now = t.trim().parse().unwrap_or(now);
        } else if l.strip_prefix('1') == Some(id.as_str()) {
            out.push(now);
        }
    }
    out
}

/// The trace folder of a divergence a user checker found: report and waveforms, the
/// marker at the divergence.
fn assert_trace_folder(ls: &Lockstep, d: &cosim::harness::Divergence, check: &str) {
    let dir = hsx_tests::scratch_dir(check);
    let rep = write_divergence(ls, d, check, &dir).expect("trace folder written");
    assert_eq!(rep.mismatch.check, check);
    for f in ["report.txt", "report.json", "rtl.vcd", "ref.vcd", "waves.gtkw", "repro.mvasm"] {
        let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} written for a `{check}` divergence");
    }
    assert!(!dir.join(cosim::harness::INCOMPLETE).exists());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["mismatch"]["check"], check);
    let rtlvcd = std::fs::read_to_string(dir.join("rtl.vcd")).unwrap();
    assert!(rtlvcd.contains("$scope module rtl $end") && rtlvcd.contains("$scope module ref $end"));
    for f in ["rtl.vcd", "ref.vcd"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert_eq!(rises(&text, "mismatch"), vec![d.cycle * 10], "{f}: the marker at the divergence's cycle");
    }
    let gtkw = std::fs::read_to_string(dir.join("waves.gtkw")).unwrap();
    assert!(gtkw.contains(&format!(" {}", d.cycle * 10)), "the save file's marker");
}

#[test]
fn a_divergence_only_a_user_checker_sees_gets_report_and_waveforms() {
    let case = case();
    let pc_add = {
        let pcs = Arc::new(Mutex::new(vec![]));
        let mut ls = Lockstep::from_case(&case, CosimConfig::default()).expect("lockstep");
        ls.add_checker(Box::new(PcLog(pcs.clone())));
        assert!(matches!(ls.run(&mut NoObserver), Verdict::Agree { .. }));
        let pc = pcs.lock().unwrap()[2];
        pc
    };
    // A step-phase checker beside the standard set.
    let mut ls = Lockstep::from_case(&case, CosimConfig::default()).expect("lockstep");
    ls.add_checker(Box::new(PcWatch { pc: pc_add }));
    let Verdict::Diverged(d) = ls.run(&mut NoObserver) else { panic!("pc-watch did not fire") };
    assert_eq!((d.mismatch.check.as_str(), d.step, d.phase), ("pc-watch", 3, Phase::Step));
    assert_trace_folder(&ls, &d, "pc-watch");

    // An end-phase checker alone (the standard set replaced): the run agrees step by
    // step; the user's rule fails at the end (the task exits with -12).
    let mut ls = Lockstep::from_case(&case, CosimConfig::default())
        .expect("lockstep")
        .with_checkers(vec![Box::new(ExitWatch { code: -12i32 as u32 })]);
    let Verdict::Diverged(d) = ls.run(&mut NoObserver) else { panic!("exit-watch did not fire") };
    assert_eq!(
        (d.mismatch.check.as_str(), d.mismatch.field.as_str(), d.phase),
        ("exit-watch", "exit_code", Phase::End)
    );
    assert_eq!(d.step, 5);
    assert_trace_folder(&ls, &d, "exit-watch");
}

/// A reference side of the user's own: the golden model, counting its retires.
struct CountingRef {
    sys: System,
    retired: u64,
}

impl Reference for CountingRef {
    fn next_retire(&mut self, rec: &mut Retire) -> bool {
        let alive = self.sys.next_retire(rec);
        self.retired += alive as u64;
        alive
    }
    fn machine(&self) -> &Machine {
        &self.sys.machine
    }
}

impl Side for CountingRef {
    fn drain_traps(&mut self, into: &mut Vec<TrapSeen>) {
        self.sys.drain_traps(into)
    }
    fn executive(&self) -> &Executive {
        &self.sys.exec
    }
    fn executive_mut(&mut self) -> &mut Executive {
        &mut self.sys.exec
    }
    fn end_outcome(&self) -> Outcome {
        self.sys.outcome()
    }
    fn host(&mut self, action: &HostAction) -> Result<HostReply, String> {
        self.sys.host(action)
    }
}

/// A DUT of the user's own: the RTL seen through a register file whose R3 reads back with
/// bit 0 flipped once step `broken_from` has retired (in the step's batch and in the
/// probes alike). With `slot` set, the batch's slot `slot.index` also reads back changed
/// by `slot.apply` from step `slot.from` on, and the step's changed-slot mask says so in
/// that step only if `slot.announce`.
struct BrokenR3 {
    rtl: RtlSystem,
    broken_from: u64,
    last_step: u64,
    slot: Option<SlotBreak>,
    slots: Vec<Slot>,
}

#[derive(Clone, Copy)]
struct SlotBreak {
    from: u64,
    announce: bool,
    index: usize,
    apply: fn(&mut Slot),
}

impl BrokenR3 {
    fn fix(&self, mut w: [u32; 16]) -> [u32; 16] {
        if self.last_step >= self.broken_from {
            w[3] ^= 1;
        }
        w
    }
}

impl Dut for BrokenR3 {
    fn begin_checking(&mut self) -> Result<(), CosimError> {
        self.rtl.begin_checking()
    }
    fn next_retire(
        &mut self,
        stuck_cycles: u64,
        observed: &mut Vec<ObservedWrite>,
        rec: &mut Retire,
    ) -> Result<bool, StepFault> {
        let got = self.rtl.next_retire(stuck_cycles, observed, rec)?;
        if got {
            self.last_step = rec.step;
            self.slots = self.rtl.step_slots().to_vec();
            if let Some(b) = self.slot.filter(|b| rec.step >= b.from) {
                (b.apply)(&mut self.slots[b.index]);
            }
        }
        Ok(got)
    }
    fn step_changed_slots(&self) -> u32 {
        let announced = self.slot.filter(|b| b.announce && b.from == self.last_step);
        self.rtl.step_changed_slots() | announced.map_or(0, |b| 1 << b.index)
    }
    fn retire_cycle(&self) -> u64 {
        self.rtl.retire_cycle()
    }
    fn timed_cycles(&self) -> u64 {
        self.rtl.timed_cycles()
    }
    fn cycles(&self) -> u64 {
        Dut::cycles(&self.rtl)
    }
    fn take_monitor_error(&mut self) -> Option<String> {
        self.rtl.take_monitor_error()
    }
    fn table_violation(&self) -> Option<u64> {
        self.rtl.table_violation()
    }
    fn step_slots(&self) -> &[Slot] {
        &self.slots
    }
    fn step_globals(&self) -> Globals {
        self.rtl.step_globals()
    }
    fn step_window(&self) -> [u32; 16] {
        self.fix(self.rtl.step_window())
    }
    fn window_at(&self, reg_base: u32) -> [u32; 16] {
        self.fix(self.rtl.window_at(reg_base))
    }
    fn slot(&self, pid: u8) -> Slot {
        Dut::slot(&self.rtl, pid)
    }
    fn slots(&self) -> Vec<Slot> {
        self.rtl.slots()
    }
    fn globals(&self) -> Globals {
        self.rtl.globals()
    }
    fn read_data(&self, out: &mut [u8]) {
        self.rtl.read_data(out)
    }
    fn stop(&mut self) -> Result<(), String> {
        self.rtl.stop()
    }
}

impl Side for BrokenR3 {
    fn drain_traps(&mut self, into: &mut Vec<TrapSeen>) {
        self.rtl.drain_traps(into)
    }
    fn executive(&self) -> &Executive {
        &self.rtl.exec
    }
    fn executive_mut(&mut self) -> &mut Executive {
        &mut self.rtl.exec
    }
    fn end_outcome(&self) -> Outcome {
        self.rtl.outcome()
    }
    fn host(&mut self, action: &HostAction) -> Result<HostReply, String> {
        self.rtl.host(action)
    }
}

fn own_pair(broken_from: u64) -> Lockstep<CountingRef, BrokenR3> {
    let (case, cfg) = (case(), CosimConfig { check_timing: true, ..CosimConfig::default() });
    let (sys, rtl) = standard_sides(&case, cfg).expect("sides");
    let dut = BrokenR3 { rtl, broken_from, last_step: 0, slot: None, slots: vec![] };
    Lockstep::new(CountingRef { sys, retired: 0 }, dut, &case, cfg).expect("lockstep of the user's sides")
}

/// A loop of 123 steps (R1 counts 60 down).
const LOOP_SRC: &str = "main: LDI R1, 60\n LDI R2, 1\nloop: SUB R1, R1, R2\n JNZ loop\n RET\n";

fn slot_break_run(slot: Option<SlotBreak>, checkers: Option<Vec<Box<dyn Checker>>>) -> Verdict {
    slot_break_run_tasks(1, slot, checkers)
}

/// [`slot_break_run`] with `tasks` tasks running the loop.
fn slot_break_run_tasks(tasks: usize, slot: Option<SlotBreak>, checkers: Option<Vec<Box<dyn Checker>>>) -> Verdict {
    let case = Case {
        name: "slot-break".into(),
        files: vec![SourceFile { name: "loop.mvasm".into(), text: Some(LOOP_SRC.into()), hex: None }],
        specs: vec!["loop.mvasm".into(); tasks],
        ..case()
    };
    let cfg = CosimConfig::default();
    let (sys, rtl) = standard_sides(&case, cfg).expect("sides");
    let dut = BrokenR3 { rtl, broken_from: u64::MAX, last_step: 0, slot, slots: vec![] };
    let mut ls = Lockstep::new(CountingRef { sys, retired: 0 }, dut, &case, cfg).expect("lockstep");
    if let Some(c) = checkers {
        ls.set_checkers(c);
    }
    ls.run(&mut NoObserver)
}

fn slice_up(s: &mut Slot) {
    s.slice += 1;
}

#[test]
fn the_scheduler_check_compares_the_slots_a_dut_says_changed_and_all_of_them_every_64_steps() {
    use cosim::harness::check::SCHED_FULL_EVERY;
    match slot_break_run(None, None) {
        Verdict::Agree { steps, .. } => assert_eq!(steps, 123),
        Verdict::Diverged(d) => panic!("the intact loop diverged: {:?}", d.mismatch),
    }
    let at = |slot| match slot_break_run(Some(slot), None) {
        Verdict::Diverged(d) => {
            assert_eq!((d.mismatch.check.as_str(), d.mismatch.field.as_str()), ("sched", "slot[2].slice"));
            d.step
        }
        Verdict::Agree { .. } => panic!("a changed slot went unnoticed"),
    };
    // Announced in the changed-slot mask: caught in the step that changed it.
    assert_eq!(at(SlotBreak { from: 10, announce: true, index: 1, apply: slice_up }), 10);
    // A change of a slot that neither side's step can have changed, and the DUT did not
    // announce: caught by the next full comparison, at most SCHED_FULL_EVERY steps later.
    let step = at(SlotBreak { from: 10, announce: false, index: 1, apply: slice_up });
    assert!(step > 10 && step <= 10 + SCHED_FULL_EVERY as u64, "caught at step {step}");
}

#[test]
fn the_context_invariants_catch_a_stack_pointer_outside_its_arena_in_the_step_that_moved_it() {
    use cosim::harness::check::ContextInvariants;
    fn sp_out(s: &mut Slot) {
        s.sp = s.stack_top + 4;
    }
    // The invariants alone (the scheduler check would see the sp first). The running task's
    // slot changes in every step (its pc), so the step that breaks it checks it.
    let only = || Some(vec![Box::new(ContextInvariants::default()) as Box<dyn Checker>]);
    match slot_break_run(None, only()) {
        Verdict::Agree { steps, .. } => assert_eq!(steps, 123),
        Verdict::Diverged(d) => panic!("the intact loop broke an invariant: {:?}", d.mismatch),
    }
    let brk = SlotBreak { from: 20, announce: false, index: 0, apply: sp_out };
    match slot_break_run(Some(brk), only()) {
        Verdict::Diverged(d) => {
            assert_eq!((d.mismatch.check.as_str(), d.mismatch.field.as_str(), d.step), ("invariants", "slot[1]", 20));
            assert!(d.mismatch.actual.starts_with("sp 0x"), "{}", d.mismatch.actual);
        }
        Verdict::Agree { .. } => panic!("an sp outside its arena went unnoticed"),
    }
}

#[test]
fn the_context_invariants_catch_two_arenas_that_overlap_in_the_step_that_moved_one() {
    use cosim::harness::check::ContextInvariants;
    fn grow_up(s: &mut Slot) {
        s.stack_top += 0x1000;
    }
    let only = || Some(vec![Box::new(ContextInvariants::default()) as Box<dyn Checker>]);
    match slot_break_run_tasks(2, None, only()) {
        Verdict::Agree { steps, .. } => assert_eq!(steps, 246),
        Verdict::Diverged(d) => panic!("the intact loops broke an invariant: {:?}", d.mismatch),
    }
    // Pid 2's arena (just below pid 1's) grows up over pid 1's at step 40 (the step says
    // that slot changed: its new arena is then checked against every other).
    let brk = SlotBreak { from: 40, announce: true, index: 1, apply: grow_up };
    match slot_break_run_tasks(2, Some(brk), only()) {
        Verdict::Diverged(d) => {
            assert_eq!((d.mismatch.check.as_str(), d.step), ("invariants", 40), "{:?}", d.mismatch);
            assert_eq!((d.mismatch.field.as_str(), d.mismatch.actual.as_str()), ("slot[1]", "arena overlaps pid 2's"));
        }
        Verdict::Agree { .. } => panic!("overlapping arenas went unnoticed"),
    }
}

#[test]
fn a_lockstep_of_the_users_own_sides_agrees_and_catches_a_broken_register_file() {
    // Intact (the register file never breaks): every standard checker agrees, end of run
    // included, through the wrappers.
    let mut ls = own_pair(u64::MAX);
    assert!(ls.checker_names().contains(&"timing"));
    match ls.run(&mut NoObserver) {
        Verdict::Agree { steps, .. } => assert_eq!(steps, 5),
        Verdict::Diverged(d) => panic!("the intact wrapper diverged: {:?}", d.mismatch),
    }
    assert_eq!(ls.reference().retired, 5, "the loop stepped the user's reference");
    assert_eq!(ls.dut().last_step, 5, "and the user's DUT");

    // R3 reads back wrong from step 3 (the ADD that writes it): the window checker
    // catches it there, and the report (built through the side traits) shows it.
    let mut ls = own_pair(3);
    let d = match ls.run(&mut NoObserver) {
        Verdict::Diverged(d) => d,
        Verdict::Agree { .. } => panic!("a broken register file went unnoticed"),
    };
    assert_eq!((d.mismatch.check.as_str(), d.mismatch.field.as_str(), d.step), ("window", "R3", 3));
    assert_eq!((d.mismatch.expected.as_str(), d.mismatch.actual.as_str()), ("0xfffffff4", "0xfffffff5"));
    let rep = Report::build(&ls, &d, "broken-r3");
    assert_eq!(rep.disasm, "ADD R3, R1, R2");
    assert_eq!(rep.window_diff.len(), 1, "{:?}", rep.window_diff);
    assert_eq!(
        (rep.window_diff[0].reg.as_str(), rep.window_diff[0].expected, rep.window_diff[0].actual),
        ("R3", 0xFFFF_FFF4, 0xFFFF_FFF5)
    );
    // The sides come back out of the lockstep.
    let (r, dut) = ls.into_sides();
    assert_eq!((r.retired, dut.last_step), (3, 3));
}

/// Records the most steps the DUT was ever ahead while a step was compared; never fires.
struct AheadWatch(Arc<Mutex<u32>>);

impl Checker for AheadWatch {
    fn name(&self) -> &'static str {
        "ahead-watch"
    }
    fn phases(&self) -> Phases {
        Phases::STEP
    }
    fn fresh(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(AheadWatch(self.0.clone())))
    }
    fn check(&mut self, cx: &StepCtx<'_>) -> Option<Mismatch> {
        let mut m = self.0.lock().unwrap();
        *m = (*m).max(cx.dut.ahead());
        None
    }
}

/// A verdict as a user sees it, with the report of a divergence (which reads both sides).
fn seen(ls: &Lockstep, v: &Verdict) -> String {
    match v {
        Verdict::Agree { outcome, steps, cycles } => format!("agree {outcome:?} {steps} {cycles}"),
        Verdict::Diverged(d) => {
            assert_eq!(ls.dut().ahead(), 0, "a divergence leaves the DUT at its step");
            format!(
                "{:?} {:?} at step {} cycle {} (RTL at cycle {})\n{}",
                d.phase,
                d.mismatch,
                d.step,
                d.cycle,
                ls.dut().cycles(),
                Report::build(ls, d, "run-ahead").text()
            )
        }
    }
}

#[test]
fn run_ahead_gives_the_verdicts_and_reports_of_one_step_at_a_time() {
    use cosim::gen::{GenConfig, TestCase};
    let most_ahead = Arc::new(Mutex::new(0u32));
    let (mut agreed, mut diverged) = (0, 0);
    // Random multi-task cases (traps, mailboxes, sleeps) on the real RTL, and with hand
    // mutants, so that divergences are found while the DUT is ahead and settled.
    let mutants: Vec<u16> = std::iter::once(0).chain(cosim::mutants::hand().iter().map(|m| m.number)).collect();
    for (k, &mutant) in mutants.iter().enumerate() {
        for seed in [1 + k as u64, 101 + k as u64, 1001 + k as u64] {
            let case = TestCase::generate(seed, &GenConfig::default()).case();
            let cfg = CosimConfig { mutant, check_timing: true, ..CosimConfig::default() };
            let mut ahead = Lockstep::from_case(&case, cfg).unwrap();
            assert!(ahead.run_ahead > 1, "a lockstep from a case runs ahead by default");
            let mut checkers = standard_checkers(true);
            checkers.insert(0, Box::new(AheadWatch(most_ahead.clone())));
            ahead.set_checkers(checkers);
            let mut one = Lockstep::from_case(&case, cfg).unwrap();
            one.run_ahead = 1;
            let (va, vo) = (ahead.run(&mut NoObserver), one.run(&mut NoObserver));
            assert_eq!(seen(&ahead, &va), seen(&one, &vo), "seed {seed}, mutant {mutant}");
            match va {
                Verdict::Agree { .. } => agreed += 1,
                Verdict::Diverged(_) => diverged += 1,
            }
        }
    }
    assert!(*most_ahead.lock().unwrap() > 1, "the DUT ran ahead of the compared step");
    assert!(agreed > 10 && diverged > 10, "{agreed} agreed, {diverged} diverged");
}
