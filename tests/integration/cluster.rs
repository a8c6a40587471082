//! Regressions spread over a cluster: `hsx regress --shard I/N|auto --results FILE` and
//! `hsx merge` (docs/regress.md "Running on a cluster"). The merge of every shard must be
//! what one process prints and writes for the same seeds — summary (but its `time:` line)
//! and JUnit file byte for byte — and results that do not belong together are refused.

use hsx_tests::{hsx, hsx_bin, root, scratch_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn without_time(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("time:")).collect::<Vec<_>>().join("\n")
}

/// Run `n` shards of `args` (each with --results and --junit) and the single process; merge;
/// compare. Returns the merged summary.
fn shards_equal_one_run(tag: &str, n: u64, args: &[&str], expect_code: i32) -> String {
    let dir = scratch_dir(tag);
    let traces = dir.join("traces");
    let mut results = vec![];
    for i in 1..=n {
        let r = dir.join(format!("shard-{i}.jsonl"));
        let mut a: Vec<String> = args.iter().map(|x| x.to_string()).collect();
        a.extend(["--shard".into(), format!("{i}/{n}"), "--results".into(), s(&r), "--traces".into(), s(&traces)]);
        let run = hsx(&a);
        assert!(run.code == 0 || run.code == 1, "shard {i}: exit {}\n{}", run.code, run.stderr);
        results.push(r);
    }
    // Any order of the files gives the same merge.
    results.reverse();
    let merged_junit = dir.join("merged.xml");
    let mut m: Vec<String> = vec!["merge".into()];
    m.extend(results.iter().map(|p| s(p)));
    m.extend(["--junit".into(), s(&merged_junit)]);
    let merged = hsx(&m);
    assert_eq!(merged.code, expect_code, "merge: {}", merged.stderr);

    let single_junit = dir.join("single.xml");
    let mut a: Vec<String> = args.iter().map(|x| x.to_string()).collect();
    a.extend(["--junit".into(), s(&single_junit), "--traces".into(), s(&traces)]);
    let single = hsx(&a);
    assert_eq!(single.code, expect_code, "single: {}", single.stderr);
    assert_eq!(without_time(&merged.stdout), without_time(&single.stdout), "merged summary vs one process");
    let (mj, sj) = (std::fs::read_to_string(&merged_junit).unwrap(), std::fs::read_to_string(&single_junit).unwrap());
    assert_eq!(mj, sj, "merged JUnit vs one process");
    merged.stdout
}

#[test]
fn three_shards_merge_to_the_single_process_run() {
    let out = shards_equal_one_run("cluster-plain", 3, &["regress", "--seeds", "45", "--jobs", "1"], 0);
    let first = out.lines().next().unwrap_or_default();
    assert!(first.starts_with("hsx regress: ") && first.contains(" directed, 45 random) of "), "{out}");
    assert!(first.ends_with(" in shard 1/1"), "the merge is the whole regression: {out}");
}

#[test]
fn divergences_merge_in_case_order_with_their_trace_folders() {
    let out = shards_equal_one_run(
        "cluster-mutant",
        2,
        &["regress", "--seeds", "40", "--jobs", "1", "--mutant", "add-v", "--max-failures", "0", "--no-shrink"],
        1,
    );
    let diverged: Vec<&str> = out.lines().filter(|l| l.contains("DIVERGED")).collect();
    assert!(diverged.len() >= 2, "{out}");
    assert!(diverged.iter().all(|l| l.contains("report.txt")), "{out}");
}

fn results_of(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let r = dir.join(name);
    let mut a: Vec<String> = vec!["regress".into(), "--no-directed".into(), "--jobs".into(), "1".into()];
    a.extend(args.iter().map(|x| x.to_string()));
    a.extend(["--results".into(), s(&r), "--traces".into(), s(&dir.join("traces"))]);
    let run = hsx(&a);
    assert_eq!(run.code, 0, "{}", run.stderr);
    r
}

fn merge_err(files: &[&Path]) -> String {
    let mut a: Vec<String> = vec!["merge".into()];
    a.extend(files.iter().map(|p| s(p)));
    let run = hsx(&a);
    assert_eq!(run.code, 2, "merge should be refused; stdout:\n{}", run.stdout);
    run.stderr
}

#[test]
fn merge_refuses_results_that_do_not_belong_together() {
    let dir = scratch_dir("cluster-refuse");
    let a1 = results_of(&dir, "a1.jsonl", &["--seeds", "6", "--shard", "1/2"]);
    let a2 = results_of(&dir, "a2.jsonl", &["--seeds", "6", "--shard", "2/2"]);
    let other_seeds = results_of(&dir, "b2.jsonl", &["--seeds", "8", "--shard", "2/2"]);
    let other_settings = results_of(&dir, "c2.jsonl", &["--seeds", "6", "--shard", "2/2", "--no-check-timing"]);
    let three = results_of(&dir, "d3.jsonl", &["--seeds", "6", "--shard", "3/3"]);

    let e = merge_err(&[&a1, &other_seeds]);
    assert!(e.contains("different seed ranges") && e.contains("b2.jsonl"), "{e}");
    let e = merge_err(&[&a1, &other_settings]);
    assert!(e.contains("different settings") && e.contains("check-timing true vs false"), "{e}");
    let e = merge_err(&[&a1]);
    assert!(e.contains("shard is 2/2 missing") || e.contains("2/2 missing"), "{e}");
    let e = merge_err(&[&a1, &a1, &a2]);
    assert!(e.contains("both are shard 1/2"), "{e}");
    let e = merge_err(&[&a1, &three]);
    assert!(e.contains("different shard counts"), "{e}");

    // A file cut short (no `end` line), a file that is not results, a missing file.
    let text = std::fs::read_to_string(&a2).unwrap();
    let cut = dir.join("cut.jsonl");
    let keep: Vec<&str> = text.lines().collect();
    std::fs::write(&cut, keep[..keep.len() - 1].join("\n") + "\n").unwrap();
    let e = merge_err(&[&a1, &cut]);
    assert!(e.contains("cut.jsonl") && e.contains("incomplete"), "{e}");
    let junk = dir.join("junk.jsonl");
    std::fs::write(&junk, "<testsuites/>\n").unwrap();
    let e = merge_err(&[&a1, &junk]);
    assert!(e.contains("junk.jsonl:1"), "{e}");
    let e = merge_err(&[&a1, &dir.join("nope.jsonl")]);
    assert!(e.contains("nope.jsonl"), "{e}");
    // Another build: the RTL hash differs.
    let forged = dir.join("forged.jsonl");
    let first_line_end = text.find('\n').unwrap();
    let mut header: serde_json::Value = serde_json::from_str(&text[..first_line_end]).unwrap();
    header["header"]["build"]["rtl_hash"] = "0000000000000000".into();
    std::fs::write(&forged, format!("{}\n{}", header, &text[first_line_end + 1..])).unwrap();
    let e = merge_err(&[&a1, &forged]);
    assert!(e.contains("different builds") && e.contains("RTL 0000000000000000"), "{e}");
}

fn regress_with_env(env: &[(&str, &str)], results: &Path) -> (i32, String) {
    let mut c = Command::new(hsx_bin());
    c.current_dir(root())
        .args(["regress", "--no-directed", "--seeds", "8", "--jobs", "1", "--shard", "auto", "--results"])
        .arg(results)
        .arg("--traces")
        .arg(results.with_extension("traces"))
        .stdin(Stdio::null());
    for k in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_COUNT"] {
        c.env_remove(k);
    }
    c.env_remove("JOB_COMPLETION_INDEX").env_remove("HSX_SHARD_COUNT");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("running hsx");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn shard_auto_reads_slurm_and_kubernetes_and_refuses_elsewhere() {
    let dir = scratch_dir("cluster-auto");
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "12"),
        ("SLURM_ARRAY_TASK_MIN", "10"),
        ("SLURM_ARRAY_TASK_MAX", "13"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    let (code, out) = regress_with_env(&slurm, &dir.join("slurm.jsonl"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("of 2 in shard 3/4"), "{out}");
    let (code, out) =
        regress_with_env(&[("JOB_COMPLETION_INDEX", "0"), ("HSX_SHARD_COUNT", "2")], &dir.join("k8s.jsonl"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("of 4 in shard 1/2"), "{out}");
    let (code, out) = regress_with_env(&[], &dir.join("none.jsonl"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--shard auto: no cluster scheduler"), "{out}");
    assert!(!dir.join("none.jsonl").exists(), "nothing is written for a refused run");
    let (code, out) = regress_with_env(&[("JOB_COMPLETION_INDEX", "1")], &dir.join("k8s2.jsonl"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("HSX_SHARD_COUNT"), "{out}");
}
