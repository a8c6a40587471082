//! Proving the checker (hardware.md "Proving the checker", docs/mutants.md): every RTL
//! mutant is caught by the lockstep harness on a small directed program
//! (`tests/programs/mutants/<name>.mvasm`), with a report and both VCDs; the same programs
//! agree on the real RTL (mutant 0), so each catch is the mutant's doing; and `hsx replay`
//! reproduces a divergence's files byte for byte.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use cosim::harness::case::{Case, Settings};
use cosim::harness::{run_case, CaseResult, CosimConfig};
use cosim::mutants::Mutant;

/// One directed trigger: the program, the entries (one task each, pids from 1) and the
/// settings it needs.
struct Trigger {
    name: String,
    entries: &'static [&'static str],
    settings: Settings,
}

fn program(name: &str) -> PathBuf {
    hsx_tests::root().join("tests/programs/mutants").join(format!("{name}.mvasm"))
}

/// The trigger of mutant `m` (by its command-line name).
fn trigger(m: &Mutant) -> Trigger {
    let base = Settings { max_steps: 10_000, ..Settings::default() };
    let (entries, settings): (&'static [&'static str], Settings) = match m.name.as_str() {
        "add-v" => (&["main"], base),
        "window-pid3" => (&["main", "main", "main"], base),
        "push-guard" => (&["main"], Settings { stack_size: 16, ..base }),
        "rotate-skip" => (&["main", "main", "main"], Settings { slice: 1, ..base }),
        "switch-sp" => (&["main", "main"], Settings { slice: 1, ..base }),
        "switch-psw" => (&["neg", "zero"], Settings { slice: 1, ..base }),
        "svc-no-result" => (&["main"], base),
        "no-window-check" => (&["main"], Settings { protect: true, ..base }),
        "mul-slow" => (&["main"], base),
        "fp-round" => (&["main"], base),
        "sth-mask" => (&["main"], base),
        "timeout-order" => (&["a", "b"], Settings { slice: 1, ticks_per_ms: 1, ..base }),
        "slice-count" => (&["main", "main"], Settings { slice: 2, ..base }),
        other => panic!("mutant `{other}` has no trigger program: add one to tests/programs/mutants/ and here"),
    };
    Trigger { name: m.name.clone(), entries, settings }
}

fn case_of(t: &Trigger) -> Case {
    let file = program(&t.name);
    assert!(file.exists(), "{} missing", file.display());
    let specs: Vec<String> = t.entries.iter().map(|e| format!("{}@{e}", file.display())).collect();
    Case::from_specs(&t.name, &specs, t.settings).unwrap_or_else(|e| panic!("{}: {e}", t.name))
}

fn cfg(mutant: u16) -> CosimConfig {
    CosimConfig { mutant, check_timing: true, ..CosimConfig::default() }
}

/// A non-empty file's bytes.
fn nonempty(dir: &Path, name: &str) -> Vec<u8> {
    let p = dir.join(name);
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(!b.is_empty(), "{} is empty", p.display());
    b
}

/// Structural VCD check: header with scopes and `$enddefinitions`, then at least one
/// timestamp; returns the declared variable names and the scope names.
fn vcd_structure(path: &Path) -> (Vec<String>, Vec<String>) {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut vars, mut scopes) = (vec![], vec![]);
    let (mut enddefs, mut stamps) = (false, 0usize);
    for line in BufReader::new(f).lines() {
        let line = line.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first().copied() {
            Some("$scope") => scopes
                .push(words.get(2).unwrap_or_else(|| panic!("{}: bad $scope: {line}", path.display())).to_string()),
            Some("$var") => {
                assert!(!enddefs, "{}: $var after $enddefinitions", path.display());
                // $var wire WIDTH ID NAME [range] $end
                assert!(words.len() >= 6 && words.last() == Some(&"$end"), "{}: bad $var: {line}", path.display());
                vars.push(words[4].to_string());
            }
            Some("$enddefinitions") => enddefs = true,
            Some(w) if w.starts_with('#') => {
                assert!(enddefs, "{}: timestamp before $enddefinitions", path.display());
                w[1..].parse::<u64>().unwrap_or_else(|_| panic!("{}: bad timestamp {w}", path.display()));
                stamps += 1;
            }
            _ => {}
        }
    }
    assert!(enddefs, "{}: no $enddefinitions", path.display());
    assert!(!scopes.is_empty(), "{}: no $scope", path.display());
    assert!(!vars.is_empty(), "{}: no $var", path.display());
    assert!(stamps >= 1, "{}: no timestamp", path.display());
    (vars, scopes)
}

#[test]
fn every_mutant_is_caught() {
    let traces = hsx_tests::scratch_dir("mutants");
    let mut table = String::from("| # | mutant | program | check | field | step |\n|---|---|---|---|---|---|\n");
    for m in cosim::mutants::hand() {
        let t = trigger(m);
        let case = case_of(&t);

        // The real RTL agrees with the reference on the trigger: the catch below is the
        // mutant's doing, not a bug of the program or of the RTL.
        match run_case(&case, &cfg(0), &traces).unwrap_or_else(|e| panic!("{}: real RTL: {e}", m.name)) {
            CaseResult::Agree { steps, .. } => assert!(steps > 0, "{}: the trigger runs no step", m.name),
            CaseResult::Diverged { report, dir } => {
                panic!("{}: the real RTL diverges on the trigger ({}):\n{}", m.name, dir.display(), report.text())
            }
        }

        let (report, dir) =
            match run_case(&case, &cfg(m.number), &traces).unwrap_or_else(|e| panic!("{}: mutant: {e}", m.name)) {
                CaseResult::Diverged { report, dir } => (report, dir),
                CaseResult::Agree { steps, .. } => {
                    panic!("mutant {} ({}) survived {} ({steps} steps agree)", m.number, m.name, t.name)
                }
            };

        // The report names the mutant.
        assert_eq!(report.mutant, m.number, "{}", m.name);
        assert_eq!(report.config.mutant, m.number, "{}", m.name);
        assert!(report.run_id.ends_with(&format!("mutant{}", m.number)), "{}: run id {}", m.name, report.run_id);
        if m.timing_only {
            assert_eq!(
                report.mismatch.check, "timing",
                "{}: a timing-only mutant must be caught by the timing check",
                m.name
            );
        } else {
            assert_ne!(report.mismatch.check, "timing", "{}: should be caught by a functional check", m.name);
        }

        // The four files.
        let json: serde_json::Value = serde_json::from_slice(&nonempty(&dir, "report.json"))
            .unwrap_or_else(|e| panic!("{}: report.json: {e}", m.name));
        assert_eq!(json["mutant"], m.number as u64, "{}", m.name);
        assert_eq!(json["mismatch"]["check"], report.mismatch.check.as_str(), "{}", m.name);
        let txt = String::from_utf8(nonempty(&dir, "report.txt")).expect("report.txt is UTF-8");
        assert!(
            txt.contains(&format!("mutant {}", m.number)),
            "{}: report.txt does not name the mutant:\n{txt}",
            m.name
        );
        nonempty(&dir, "rtl.vcd");
        nonempty(&dir, "ref.vcd");
        nonempty(&dir, "waves.gtkw");
        assert!(!dir.join(cosim::harness::INCOMPLETE).exists(), "{}: the trace folder is marked incomplete", m.name);
        let (rtl_vars, rtl_scopes) = vcd_structure(&dir.join("rtl.vcd"));
        assert!(rtl_vars.len() > 1, "{}: rtl.vcd declares {:?}", m.name, rtl_vars);
        assert!(rtl_vars.iter().any(|v| v == "mismatch"), "{}: rtl.vcd has no `mismatch`", m.name);
        for s in ["rtl", "ref", "cosim"] {
            assert!(rtl_scopes.iter().any(|x| x == s), "{}: rtl.vcd has no scope `{s}`: {rtl_scopes:?}", m.name);
        }
        let (ref_vars, ref_scopes) = vcd_structure(&dir.join("ref.vcd"));
        assert!(ref_vars.iter().any(|v| v == "mismatch"), "{}: ref.vcd has no `mismatch`: {ref_vars:?}", m.name);
        for s in ["ref", "cosim"] {
            assert!(ref_scopes.iter().any(|x| x == s), "{}: ref.vcd has no scope `{s}`: {ref_scopes:?}", m.name);
        }

        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            m.number,
            m.name,
            t.entries.iter().map(|e| format!("{}.mvasm@{e}", t.name)).collect::<Vec<_>>().join(" "),
            report.mismatch.check,
            report.mismatch.field,
            report.step
        ));
    }
    eprintln!("kill results:\n{table}");
}

#[test]
fn replay_reproduces_vcds_byte_for_byte() {
    let m = cosim::mutants::hand().iter().find(|m| m.name == "switch-psw").expect("switch-psw is catalogued");
    let case = case_of(&trigger(m));
    let traces = hsx_tests::scratch_dir("mutant-replay");
    let dir = match run_case(&case, &cfg(m.number), &traces).expect("run_case") {
        CaseResult::Diverged { dir, .. } => dir,
        CaseResult::Agree { .. } => panic!("{} survived", m.name),
    };
    const FILES: [&str; 6] = ["report.json", "report.txt", "rtl.vcd", "ref.vcd", "waves.gtkw", "repro.mvasm"];
    let first: Vec<Vec<u8>> = FILES.iter().map(|f| nonempty(&dir, f)).collect();
    // Remove them so the replay must write every one again.
    for f in FILES {
        std::fs::remove_file(dir.join(f)).expect("remove");
    }
    // replay reads the report: put it back, byte for byte.
    std::fs::write(dir.join("report.json"), &first[0]).expect("write report.json");
    let code = cosim::cli::replay(cosim::cli::ReplayArgs { report: dir.join("report.json") }).expect("replay");
    assert_ne!(code, 0, "replay must report the divergence again");
    for (f, before) in FILES.iter().zip(&first) {
        let after = nonempty(&dir, f);
        assert!(after == *before, "{f} differs after replay ({} vs {} bytes)", before.len(), after.len());
    }
}
