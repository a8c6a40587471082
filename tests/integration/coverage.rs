//! RTL code coverage (`hsx regress|cosim|merge --coverage DIR`, docs/coverage.md): the
//! data is written, the same bit for bit at any `--jobs` and for the merge of shards as
//! for one process; the summary names every module and the uncovered lines; a bad DIR is
//! refused before any work.

use hsx_tests::{hsx, scratch_dir};
use std::path::Path;

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn without_time(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("time:")).collect::<Vec<_>>().join("\n")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A small regression with coverage into `dir` (a few directed cases are run too: the
/// seeds alone leave modules unexercised, and the test wants every file).
fn regress_cov(dir: &Path, extra: &[&str]) -> hsx_tests::HsxRun {
    let mut a: Vec<String> = ["regress", "--seeds", "6", "--coverage"].iter().map(|x| x.to_string()).collect();
    a.push(s(dir));
    a.extend(["--traces".to_string(), s(&dir.with_extension("traces"))]);
    a.extend(extra.iter().map(|x| x.to_string()));
    let r = hsx(&a);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r
}

#[test]
fn coverage_is_written_and_the_same_at_any_jobs() {
    let d = scratch_dir("cov-jobs");
    let (a, b) = (d.join("j1"), d.join("j2"));
    let ra = regress_cov(&a, &["--jobs", "1"]);
    let rb = regress_cov(&b, &["--jobs", "2"]);
    for f in ["coverage.dat", "summary.txt"] {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f} differs between --jobs 1 and --jobs 2");
    }
    assert_eq!(without_time(&ra.stdout), without_time(&rb.stdout));
    let dat = String::from_utf8(read(&a.join("coverage.dat"))).unwrap();
    assert!(dat.starts_with("# SystemC::Coverage-3\n"), "{}", &dat[..dat.len().min(200)]);
    assert!(dat.lines().skip(1).all(|l| l.starts_with("C '")), "Verilator's data format");
    assert!(dat.lines().count() > 1000, "line and toggle points of the whole RTL");
    // Hit points exist, and so do points never hit (a 6-seed run covers far from all).
    assert!(dat.lines().skip(1).any(|l| !l.ends_with("' 0")));
    assert!(dat.lines().skip(1).any(|l| l.ends_with("' 0")));
    // verilator_coverage's outputs from it.
    let info = String::from_utf8(read(&a.join("coverage.info"))).unwrap();
    assert!(info.contains("SF:rtl/hsx_core.sv") && info.contains("DA:"), "lcov: {}", &info[..info.len().min(300)]);
    assert_eq!(read(&a.join("coverage.info")), read(&b.join("coverage.info")));
    let annotated: Vec<String> = std::fs::read_dir(a.join("annotated"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(annotated.iter().any(|n| n == "hsx_core.sv"), "annotated sources: {annotated:?}");
    // HTML only where genhtml exists; a note says so otherwise.
    let has_genhtml = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("genhtml").is_file()))
        .unwrap_or(false);
    if has_genhtml {
        assert!(a.join("html/index.html").is_file());
    } else {
        assert!(ra.stderr.contains("no HTML report: genhtml not found"), "{}", ra.stderr);
    }
    // No scratch left behind.
    let left: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn the_summary_lists_modules_percentages_and_uncovered_lines() {
    let d = scratch_dir("cov-summary");
    let r = regress_cov(&d.join("c"), &["--jobs", "2", "--no-directed"]);
    let out = &r.stdout;
    let sec = out.split("coverage: RTL code").nth(1).unwrap_or_else(|| panic!("no code coverage section:\n{out}"));
    for m in [
        "hsx_alu",
        "hsx_core",
        "hsx_decoder",
        "hsx_div",
        "hsx_fpu",
        "hsx_lsu",
        "hsx_ram",
        "hsx_retire",
        "hsx_sched",
        "hsx_top",
    ] {
        let row =
            sec.lines().find(|l| l.trim_start().starts_with(&format!("{m} "))).unwrap_or_else(|| panic!("{m}:\n{sec}"));
        assert_eq!(row.matches(" %").count(), 2, "lines and toggles: {row}");
    }
    assert!(sec.lines().any(|l| l.trim_start().starts_with("total ")), "{sec}");
    // Six seeds without the directed programs leave holes: listed as file:line: source.
    let listed: Vec<&str> = sec.lines().filter(|l| l.starts_with("    rtl/")).collect();
    assert!(!listed.is_empty(), "{sec}");
    for l in &listed {
        let (loc, text) = l.trim().split_once(": ").unwrap_or_else(|| panic!("{l}"));
        let (file, line) = loc.rsplit_once(':').unwrap();
        let n: usize = line.parse().unwrap_or_else(|_| panic!("{l}"));
        let src = std::fs::read_to_string(hsx_tests::root().join(file)).unwrap();
        assert_eq!(src.lines().nth(n - 1).map(str::trim), Some(text), "{l}");
        assert!(!text.contains("hsx_pkg::Mut"), "mutant-only code is left out: {l}");
    }
    // The functional crosses are printed with the other functional tables.
    assert!(out.contains("coverage: functional crosses"), "{out}");
    assert!(out.contains("opcode × fault"), "{out}");
    // The same report is in DIR/summary.txt.
    let summary = std::fs::read_to_string(d.join("c/summary.txt")).unwrap();
    assert!(sec.contains(summary.lines().nth(2).unwrap()), "{summary}");
}

#[test]
fn merged_shards_equal_the_single_run() {
    let d = scratch_dir("cov-merge");
    let traces = s(&d.join("traces"));
    let mut results = vec![];
    for i in 1..=2 {
        let r = d.join(format!("shard-{i}.jsonl"));
        let cov = d.join(format!("cov-{i}"));
        let run = hsx(&[
            "regress",
            "--seeds",
            "8",
            "--jobs",
            "1",
            "--shard",
            &format!("{i}/2"),
            "--results",
            &s(&r),
            "--coverage",
            &s(&cov),
            "--traces",
            &traces,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        // The results file names the shard's coverage data.
        let text = std::fs::read_to_string(&r).unwrap();
        let end = text.lines().last().unwrap();
        assert!(end.contains("\"code_coverage\""), "{end}");
        assert!(
            end.contains(&s(&cov.join("coverage.dat")).replace('\\', "\\\\")) || end.contains("coverage.dat"),
            "{end}"
        );
        results.push(r);
    }
    let single = d.join("single");
    let one = hsx(&["regress", "--seeds", "8", "--jobs", "2", "--coverage", &s(&single), "--traces", &traces]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    let merged = d.join("merged");
    let m = hsx(&["merge", &s(&results[1]), &s(&results[0]), "--coverage", &s(&merged)]);
    assert_eq!(m.code, 0, "{}", m.stderr);
    for f in ["coverage.dat", "coverage.info", "summary.txt"] {
        assert_eq!(read(&single.join(f)), read(&merged.join(f)), "{f}: merge of the shards vs one process");
    }
    assert_eq!(without_time(&m.stdout), without_time(&one.stdout), "summary with coverage tables");

    // A shard without code coverage cannot be merged into it.
    let plain = d.join("plain-2.jsonl");
    let run = hsx(&[
        "regress",
        "--seeds",
        "8",
        "--jobs",
        "1",
        "--shard",
        "2/2",
        "--results",
        &s(&plain),
        "--traces",
        &traces,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let m = hsx(&["merge", &s(&results[0]), &s(&plain), "--coverage", &s(&d.join("m2"))]);
    assert_eq!(m.code, 2, "{}", m.stdout);
    assert!(m.stderr.contains("has no code coverage (run every shard with --coverage DIR)"), "{}", m.stderr);
    assert!(m.stderr.contains("plain-2.jsonl"), "names the file: {}", m.stderr);
}

#[test]
fn cosim_writes_the_coverage_of_one_run() {
    let d = scratch_dir("cov-cosim");
    let prog = hsx_tests::example_path("hello.mvasm");
    let r = hsx(&["cosim", "--coverage", &s(&d.join("c")), "--traces", &s(&d.join("t")), &s(&prog)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("agree: "), "{}", r.stdout);
    assert!(r.stdout.contains("coverage: RTL code"), "{}", r.stdout);
    assert!(d.join("c/coverage.dat").is_file());
}

#[test]
fn a_bad_coverage_dir_is_refused_before_any_work() {
    let d = scratch_dir("cov-bad");
    let file = d.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let traces = d.join("traces");
    for args in [
        vec!["regress", "--seeds", "100000", "--coverage", "/proc/hsx-no-such-dir"],
        vec!["regress", "--seeds", "100000", "--coverage", file.to_str().unwrap()],
        vec!["regress", "--seeds", "100000", "--coverage", ""],
    ] {
        let mut a: Vec<String> = args.iter().map(|x| x.to_string()).collect();
        a.extend(["--traces".into(), s(&traces)]);
        let r = hsx(&a);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        // (clap itself refuses an empty value.)
        assert!(
            r.stderr.contains("cannot write --coverage") || r.stderr.contains("a value is required for '--coverage"),
            "{args:?}: {}",
            r.stderr
        );
        // Refused before the 100 000 cases: no summary, no progress line.
        assert!(r.stdout.is_empty(), "nothing ran: {}", r.stdout);
        assert!(!r.stderr.contains("cases ("), "nothing ran: {}", r.stderr);
    }
    let r = hsx(&["cosim", "--coverage", "/proc/hsx-no-such-dir", &s(&hsx_tests::example_path("hello.mvasm"))]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot write --coverage `/proc/hsx-no-such-dir`"), "{}", r.stderr);
    let r = hsx(&["merge", "x.jsonl", "--coverage", file.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot write --coverage"), "{}", r.stderr);
    // The coverage model has no mutants.
    let r = hsx(&["regress", "--seeds", "1", "--mutant", "add-v", "--coverage", &s(&d.join("c"))]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("--mutant") && r.stderr.contains("--coverage"), "{}", r.stderr);
}
