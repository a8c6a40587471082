//! A run's results are never lost (docs/failure.md): signals during `regress`, `cosim` and
//! `replay`, output paths checked before work starts, exit codes that never hide a
//! divergence, `--max-failures` over case order, `--seeds 10^12` in bounded memory, and
//! JUnit files that follow Jenkins' junit-10.xsd.
//!
//! The signal tests spawn the `hsx` binary and send the signal with `kill`.

use cosim::regress::junit::{check_junit10, Counts};
use cosim::regress::{RegressOptions, Stop};
use hsx_tests::{hsx, hsx_bin, program_path, root, scratch_dir};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Helpers

/// `hsx ARGS…` started in the workspace root, output captured.
fn spawn(args: &[&str]) -> Child {
    Command::new(hsx_bin())
        .current_dir(root())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning hsx")
}

fn kill(child: &Child, sig: &str) {
    let st = Command::new("kill").args([sig, &child.id().to_string()]).status().expect("running kill");
    assert!(st.success(), "kill {sig} failed");
}

/// Peak resident memory of a running process in KiB (`VmHWM`), if /proc has it.
fn peak_rss_kib(child: &Child) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// From the signal to the exit.
    after_signal: Duration,
}

/// Let `child` run for `run_for`, send `sig`, wait (at most 20 s) for it to exit.
fn interrupt(mut child: Child, run_for: Duration, sig: &str) -> (Ended, Option<u64>) {
    std::thread::sleep(run_for);
    assert!(child.try_wait().expect("try_wait").is_none(), "hsx ended before the signal");
    let rss = peak_rss_kib(&child);
    kill(&child, sig);
    let t0 = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("hsx did not exit within 20 s of {sig}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let after_signal = t0.elapsed();
    let out = child.wait_with_output().expect("wait_with_output");
    (
        Ended {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            after_signal,
        },
        rss,
    )
}

/// The `N` of `hsx regress: N cases run …` on stdout.
fn cases_run(stdout: &str) -> u64 {
    let first = stdout.lines().next().unwrap_or_default();
    first
        .strip_prefix("hsx regress: ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary line on stdout:\n{stdout}"))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn junit_ok(p: &Path) -> (String, Counts) {
    let x = read(p);
    let n = check_junit10(&x).unwrap_or_else(|e| panic!("{}: {e}\n{}", p.display(), &x[..x.len().min(4000)]));
    (x, n)
}

// ---------------------------------------------------------------------------------------
// Signals

fn regress_interrupted(sig: &str, code: i32) {
    let dir = scratch_dir("sig-regress");
    let junit = dir.join("out/junit.xml");
    let child = spawn(&[
        "regress",
        "--seeds",
        "200000",
        "--no-directed",
        "--jobs",
        "2",
        "--junit",
        junit.to_str().unwrap(),
        "--traces",
        dir.join("traces").to_str().unwrap(),
    ]);
    let (e, _) = interrupt(child, Duration::from_millis(1500), sig);
    assert_eq!(e.code, Some(code), "stdout:\n{}\nstderr:\n{}", e.stdout, e.stderr);
    assert!(e.after_signal < Duration::from_secs(3), "took {:?} to stop", e.after_signal);
    let name = if sig == "-INT" { "SIGINT" } else { "SIGTERM" };
    assert!(e.stdout.contains(&format!("INTERRUPTED by {name}")), "{}", e.stdout);
    assert!(e.stderr.contains(&format!("hsx regress: interrupted by {name}")), "{}", e.stderr);
    let ran = cases_run(&e.stdout);
    assert!(ran > 0, "some cases ran before the signal:\n{}", e.stdout);
    let (x, n) = junit_ok(&junit);
    assert_eq!(n.tests - n.skipped, ran, "every case that ran is in the JUnit file");
    assert_eq!(n.failures + n.errors, 0);
    assert!(n.skipped > 0 && n.skipped <= 1000 + 1 + 2, "{n:?}");
    assert!(x.contains(&format!("not run: interrupted by {name}")), "skipped entries say why");
    assert!(x.contains(&format!("<property name=\"stopped\" value=\"interrupted by {name}\"/>")));
    let left: Vec<_> = std::fs::read_dir(junit.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "no temporary file left beside the JUnit file: {left:?}");
}

#[test]
fn regress_sigint_writes_summary_and_junit() {
    regress_interrupted("-INT", 130);
}

#[test]
fn regress_sigterm_exits_143() {
    regress_interrupted("-TERM", 143);
}

#[test]
fn huge_seed_range_starts_at_once_and_stops_bounded() {
    let dir = scratch_dir("sig-huge");
    let junit = dir.join("junit.xml");
    let t0 = Instant::now();
    let child = spawn(&[
        "regress",
        "--seeds",
        "1000000000000",
        "--no-directed",
        "--jobs",
        "2",
        "--junit",
        junit.to_str().unwrap(),
        "--traces",
        dir.join("traces").to_str().unwrap(),
    ]);
    let (e, rss) = interrupt(child, Duration::from_millis(1200), "-INT");
    assert_eq!(e.code, Some(130), "stdout:\n{}\nstderr:\n{}", e.stdout, e.stderr);
    assert!(e.stdout.contains("of 1000000000000 in shard 1/1"), "{}", e.stdout);
    let ran = cases_run(&e.stdout);
    assert!(ran > 0, "cases ran within ~1 s of the start:\n{}", e.stdout);
    if let Some(kib) = rss {
        assert!(kib < 256 * 1024, "peak RSS {kib} KiB before the signal");
    }
    let (x, n) = junit_ok(&junit);
    assert_eq!(n.tests - n.skipped, ran);
    // Cases aborted while running (at most one per job), then 1000 listed, then one
    // entry for the rest.
    assert!((1000 + 1..=1000 + 1 + 2).contains(&n.skipped), "{n:?}");
    assert!(x.len() < 2 << 20, "the JUnit file is bounded: {} bytes", x.len());
    let last = x.rfind("<testcase").unwrap();
    assert!(x[last..].contains("name=\"seeds-") && x[last..].contains("to 999999999999"), "{}", &x[last..]);
    assert!(x.contains(&format!("<property name=\"cases-not-run\" value=\"{}\"/>", 1_000_000_000_000 - ran)));
    assert!(t0.elapsed() < Duration::from_secs(15));
}

fn spin_cosim(sig: &str, code: i32) {
    let dir = scratch_dir("sig-cosim");
    let spin = program_path("spin.mvasm");
    let child = spawn(&[
        "cosim",
        "--max-steps",
        "1000000000",
        "--traces",
        dir.to_str().unwrap(),
        &format!("{}@spin", spin.display()),
    ]);
    let (e, _) = interrupt(child, Duration::from_millis(1000), sig);
    assert_eq!(e.code, Some(code), "stdout:\n{}\nstderr:\n{}", e.stdout, e.stderr);
    assert!(e.after_signal < Duration::from_secs(2), "took {:?} to stop", e.after_signal);
    let name = if sig == "-INT" { "SIGINT" } else { "SIGTERM" };
    assert!(e.stderr.contains(&format!("hsx cosim: interrupted by {name} after ")), "{}", e.stderr);
    assert!(e.stderr.contains("no divergence up to there"), "{}", e.stderr);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no report for a run that did not diverge");
}

#[test]
fn cosim_sigint_exits_130() {
    spin_cosim("-INT", 130);
}

#[test]
fn cosim_sigterm_exits_143() {
    spin_cosim("-TERM", 143);
}

#[test]
fn replay_sigterm_exits_143() {
    // A report whose case never ends (spin, 10^9 steps) on the real RTL: the replay runs
    // until the signal.
    let dir = scratch_dir("sig-replay");
    let spin = format!("{}@spin", program_path("spin.mvasm").display());
    let settings = cosim::harness::case::Settings { max_steps: 1_000_000_000, ..Default::default() };
    let case = cosim::harness::case::Case::from_specs("spin", &[spin], settings).unwrap();
    let ls = cosim::harness::Lockstep::from_case(&case, cosim::harness::CosimConfig::default()).unwrap();
    let d = cosim::harness::Divergence {
        mismatch: cosim::harness::check::Mismatch::new("retire", "pc", "0x0000", "0x0004"),
        phase: cosim::harness::check::Phase::Step,
        cycle: 0,
        step: 1,
        ref_rec: None,
        rtl_rec: None,
    };
    let rep = cosim::harness::report::Report::build(&ls, &d, "spin");
    rep.write(&dir).unwrap();
    let child = spawn(&["replay", dir.join("report.json").to_str().unwrap()]);
    let (e, _) = interrupt(child, Duration::from_millis(1000), "-TERM");
    assert_eq!(e.code, Some(143), "stdout:\n{}\nstderr:\n{}", e.stdout, e.stderr);
    assert!(e.after_signal < Duration::from_secs(2), "took {:?} to stop", e.after_signal);
    assert!(e.stderr.contains("hsx replay: interrupted by SIGTERM"), "{}", e.stderr);
}

// ---------------------------------------------------------------------------------------
// Output paths

#[test]
fn unwritable_output_paths_are_exit_2_at_once() {
    let dir = scratch_dir("outpaths");
    let file = dir.join("plain.txt");
    std::fs::write(&file, "x").unwrap();
    let src = hsx_tests::example_path("hello.mvasm");
    let d = dir.display().to_string();
    let under = file.join("x.xml").display().to_string();
    let f = file.display().to_string();
    let s = src.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["regress", "--seeds", "1", "--junit", &d], &d),
        (vec!["regress", "--seeds", "1", "--junit", "/proc/hsx-test/junit.xml"], "/proc/hsx-test/junit.xml"),
        (vec!["regress", "--seeds", "1", "--junit", "/proc/version"], "/proc/version"),
        (vec!["regress", "--seeds", "1", "--junit", &under], &under),
        (vec!["regress", "--seeds", "1", "--junit", "/dev/null"], "/dev/null"),
        (vec!["regress", "--seeds", "1", "--traces", &f], &f),
        (vec!["regress", "--seeds", "1", "--traces", "/proc/hsx-traces"], "/proc/hsx-traces"),
        (vec!["cosim", "--traces", &under, &s], &under),
        (vec!["cosim", "--traces", "/proc/self/hsx", &s], "/proc/self/hsx"),
        (vec!["asm", &s, "-o", &d], &d),
        (vec!["asm", &s, "-o", &under], &under),
        (vec!["asm", &s, "-o", "/proc/hsx.hxe"], "/proc/hsx.hxe"),
    ];
    for (args, path) in cases {
        let t0 = Instant::now();
        let r = hsx(&args);
        let took = t0.elapsed();
        assert_eq!(r.code, 2, "{args:?}: stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
        assert!(took < Duration::from_secs(1), "{args:?} took {took:?}");
        assert!(r.stderr.contains(&format!("`{path}`")), "{args:?}: the message names the path:\n{}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: nothing ran:\n{}", r.stdout);
    }
    assert_eq!(read(&file), "x", "the regular file is untouched");
}

#[test]
fn missing_parents_are_created() {
    let dir = scratch_dir("outparents");
    let junit = dir.join("a/b/junit.xml");
    let traces = dir.join("c/traces");
    let r = hsx(&[
        "regress",
        "--seeds",
        "2",
        "--no-directed",
        "--junit",
        junit.to_str().unwrap(),
        "--traces",
        traces.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_, n) = junit_ok(&junit);
    assert_eq!(n, Counts { tests: 2, failures: 0, errors: 0, skipped: 0 });
    assert!(traces.is_dir());
    let out = dir.join("x/y/hello.hxe");
    let r = hsx(&["asm", hsx_tests::example_path("hello.mvasm").to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let image = std::fs::read(&out).unwrap();
    assert!(isa::hxe::Image::parse(&image).is_ok(), "a complete HXE image");
    let left: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "no temporary or probe file left: {left:?}");
}

// ---------------------------------------------------------------------------------------
// Exit codes never hide results

fn mutant_opts(traces: PathBuf) -> RegressOptions {
    RegressOptions {
        seeds: 60,
        directed: false,
        // Diverges on about one seed in five: several failures early in case order.
        mutant: cosim::mutants::resolve("sth-mask").unwrap(),
        traces,
        root: root(),
        ..RegressOptions::default()
    }
}

#[test]
fn divergence_is_exit_1_when_traces_and_junit_cannot_be_written() {
    let dir = scratch_dir("hide");
    std::fs::write(dir.join("file"), "x").unwrap();
    // Reports cannot go under a regular file; the JUnit destination is a directory, so
    // its final rename fails (the library does not pre-check paths; the CLI does).
    std::fs::create_dir_all(dir.join("junit.xml/occupied")).unwrap();
    let o = RegressOptions {
        max_failures: Some(2),
        shrink: false,
        junit: Some(dir.join("junit.xml")),
        ..mutant_opts(dir.join("file/traces"))
    };
    let s = cosim::regress::run(&o).expect("the regression runs");
    assert_eq!(s.diverged(), 2, "{}", s.text());
    assert_eq!(s.write_errors, 2);
    assert!(s.junit_error.is_some());
    assert_eq!(s.exit_code(), 1, "a divergence is exit 1 whatever failed after it");
    let t = s.text();
    assert!(t.contains("DIVERGED random seed-") && t.contains("(report not written: "), "{t}");
    // An error elsewhere (a directed case that cannot run) does not hide the divergences.
    let empty = scratch_dir("hide-root");
    std::fs::create_dir_all(empty.join("examples")).unwrap();
    let o = RegressOptions {
        directed: true,
        root: empty,
        max_failures: None,
        seeds: 30,
        shrink: false,
        ..mutant_opts(dir.join("traces"))
    };
    let s = cosim::regress::run(&o).unwrap();
    assert_eq!(s.errors(), 4, "the four examples are missing: {}", s.text());
    assert!(s.diverged() > 0, "{}", s.text());
    assert_eq!(s.exit_code(), 1);
}

#[test]
fn cosim_divergence_is_exit_1_when_its_report_cannot_be_written() {
    let traces = scratch_dir("cosim-unwritable");
    // --traces is fine, but the run's own folder is taken by a regular file.
    std::fs::write(traces.join("cosim-add-v-mutant1"), "occupied").unwrap();
    let prog = program_path("mutants/add-v.mvasm");
    let r = hsx(&["cosim", "--mutant", "add-v", "--traces", traces.to_str().unwrap(), prog.to_str().unwrap()]);
    assert_eq!(r.code, 1, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("divergence: at step ") && r.stderr.contains("retire psw"), "{}", r.stderr);
    assert!(r.stderr.contains("hsx cosim: error: the divergence's report could not be written"), "{}", r.stderr);
    assert_eq!(read(&traces.join("cosim-add-v-mutant1")), "occupied");
}

#[test]
fn cases_that_cannot_run_are_junit_errors_and_exit_2() {
    let dir = scratch_dir("errors");
    let empty = dir.join("root");
    std::fs::create_dir_all(empty.join("examples")).unwrap();
    let junit = dir.join("j.xml");
    let o = RegressOptions {
        seeds: 3,
        root: empty,
        junit: Some(junit.clone()),
        traces: dir.join("traces"),
        ..RegressOptions::default()
    };
    let s = cosim::regress::run(&o).unwrap();
    assert_eq!(s.exit_code(), 2, "{}", s.text());
    let (x, n) = junit_ok(&junit);
    assert_eq!(n, Counts { tests: 7, failures: 0, errors: 4, skipped: 0 });
    assert!(x.contains("<testcase classname=\"directed\" name=\"hello\">\n      <error message="), "{x}");
    assert!(x.contains("type=\"error\""), "{x}");
}

// ---------------------------------------------------------------------------------------
// --max-failures over case order

/// Every file under `dir` (relative path → bytes), sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push((p.strip_prefix(base).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut v = vec![];
    walk(dir, dir, &mut v);
    v.sort();
    v
}

#[test]
fn max_failures_is_the_same_at_any_jobs() {
    // The same paths every run (the JUnit file and the reports name them).
    let dir = scratch_dir("maxf");
    let run = |jobs: usize| {
        let _ = std::fs::remove_dir_all(&dir);
        let o = RegressOptions {
            jobs,
            max_failures: Some(3),
            junit: Some(dir.join("junit.xml")),
            ..mutant_opts(dir.join("traces"))
        };
        let s = cosim::regress::run(&o).unwrap();
        let failing: Vec<String> = s.notable.iter().map(|r| r.name.clone()).collect();
        (s, failing, read(&dir.join("junit.xml")), tree(&dir.join("traces")))
    };
    let (s1, f1, j1, t1) = run(1);
    assert_eq!(s1.diverged(), 3, "{}", s1.text());
    assert_eq!(s1.stop, Some(Stop::MaxFailures(3)));
    assert_eq!(t1.iter().filter(|(p, _)| p.ends_with("report.json")).count(), 3, "three report folders");
    check_junit10(&j1).unwrap();
    for round in 0..4 {
        let (s2, f2, j2, t2) = run(2);
        assert_eq!(f2, f1, "round {round}: the same failing cases");
        assert_eq!((s2.ran, s2.agreed, s2.total_steps), (s1.ran, s1.agreed, s1.total_steps), "round {round}");
        assert!(j2 == j1, "round {round}: the JUnit files differ");
        let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(names(&t2), names(&t1), "round {round}: the same report folders");
        for ((p, a), (_, b)) in t1.iter().zip(&t2) {
            assert!(a == b, "round {round}: {p} differs");
        }
    }
}

// ---------------------------------------------------------------------------------------
// JUnit

#[test]
fn junit_carries_shard_properties_and_optional_times() {
    let dir = scratch_dir("junit");
    let j = |name: &str, extra: &[&str]| {
        let p = dir.join(name);
        let mut args =
            vec!["regress", "--seeds", "7", "--no-directed", "--shard", "2/3", "--junit", p.to_str().unwrap()];
        args.extend_from_slice(extra);
        let r = hsx(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        junit_ok(&p)
    };
    let (a, n) = j("a.xml", &[]);
    let (b, _) = j("b.xml", &[]);
    assert_eq!(a, b, "without --junit-times the file is byte-reproducible");
    assert_eq!(n, Counts { tests: 2, failures: 0, errors: 0, skipped: 0 }, "seeds 1 and 4 of 0..7");
    assert!(a.contains("<testsuite name=\"hsx-regress-shard-2-of-3\""), "{a}");
    for prop in [
        "<property name=\"hsx-version\" value=\"",
        "<property name=\"seed-start\" value=\"0\"/>",
        "<property name=\"shard\" value=\"2/3\"/>",
        "<property name=\"mutant\" value=\"none\"/>",
    ] {
        assert!(a.contains(prop), "{prop}\n{a}");
    }
    assert!(a.contains("name=\"seed-1\"") && a.contains("name=\"seed-4\""), "{a}");
    assert!(!a.contains("time=") && !a.contains("assertions="), "{a}");
    let (t, _) = j("t.xml", &["--junit-times"]);
    assert_eq!(t.matches(" time=\"").count(), 2 + 2, "suites and both cases: {t}");
}

/// Cross-check with a real schema validator when one is installed (`xmllint`, Debian's
/// `libxml2-utils`); `check_junit10` above runs everywhere. The schema file is this
/// project's transcription of junit-10.xsd's rules (tests/integration/data/).
#[test]
fn junit_validates_with_xmllint_when_installed() {
    let have = Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("xmllint not installed: skipping the external schema validation");
        return;
    }
    let dir = scratch_dir("xmllint");
    let root_dir = dir.join("root");
    std::fs::create_dir_all(root_dir.join("examples")).unwrap();
    let junit = dir.join("j.xml");
    let o = RegressOptions {
        seeds: 30,
        directed: true,
        root: root_dir,
        max_failures: Some(6),
        shrink: false,
        junit_times: true,
        junit: Some(junit.clone()),
        ..mutant_opts(dir.join("traces"))
    };
    let s = cosim::regress::run(&o).unwrap();
    let (x, n) = junit_ok(&junit);
    assert!(n.failures > 0 && n.errors == 4 && n.skipped > 0, "{n:?}\n{}", s.text());
    assert!(x.contains(" time=\""), "--junit-times");
    let xsd = root().join("tests/integration/data/junit10-rules.xsd");
    let validate = |p: &Path| {
        let out = Command::new("xmllint").arg("--noout").arg("--schema").arg(&xsd).arg(p).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (ok, err) = validate(&junit);
    assert!(ok, "{err}");
    // The validator is strict about what junit-10 forbids.
    let bad = dir.join("bad.xml");
    std::fs::write(
        &bad,
        x.replacen("<testcase classname=\"random\"", "<testcase assertions=\"1\" classname=\"random\"", 1),
    )
    .unwrap();
    let (ok, err) = validate(&bad);
    assert!(!ok && err.contains("assertions"), "{err}");
}

/// A full disk when the JUnit and results files are written at the end of a regression:
/// exit 2 with the reason named, the summary still printed, the old JUnit file left whole
/// (never truncated), no temporary file left behind. Needs root for a small tmpfs; skipped
/// with a message otherwise.
#[test]
fn a_full_disk_never_truncates_the_junit_or_results_file() {
    let Some(fs) = hsx_tests::SmallTmpfs::mount("junit-enospc", "64k") else { return };
    let mnt = fs.0.clone();
    let junit = mnt.join("junit.xml");
    let results = mnt.join("shard.jsonl");
    std::fs::write(&junit, "old\n").unwrap();
    // Fill the file system (the probe files of the path check still fit: they are empty).
    let filler = vec![0u8; 4096];
    let mut f = std::fs::File::create(mnt.join("filler")).unwrap();
    use std::io::Write;
    while f.write_all(&filler).and_then(|_| f.flush()).is_ok() {}
    drop(f);
    let traces = scratch_dir("junit-enospc-traces");
    let r = hsx(&[
        "regress",
        "--no-directed",
        "--seeds",
        "40",
        "--jobs",
        "1",
        "--junit",
        &junit.display().to_string(),
        "--results",
        &results.display().to_string(),
        "--traces",
        &traces.display().to_string(),
    ]);
    assert_eq!(r.code, 2, "a file that could not be written is exit 2:\n{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("hsx regress: 40 cases run"), "the summary is still printed:\n{}", r.stdout);
    assert!(r.stderr.contains("No space left on device"), "the reason is named:\n{}", r.stderr);
    assert!(r.stderr.contains("JUnit") && r.stderr.contains("results"), "both files are named:\n{}", r.stderr);
    assert_eq!(read(&junit), "old\n", "the old JUnit file is left whole");
    assert!(!results.exists(), "no partial results file");
    let names: Vec<String> =
        std::fs::read_dir(&mnt).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "only the old JUnit file and the filler remain: {names:?}");
}
