use super::*;
use std::sync::atomic::AtomicBool;

fn seeds_of(p: &Plan) -> Vec<u64> {
    (p.directed.len() as u64..p.len())
        .map(|k| match p.get(k) {
            Some(Work::Random(s)) => s,
            other => panic!("case {k}: {other:?}"),
        })
        .collect()
}

#[test]
fn shards_split_seeds_exactly() {
    for start in [0u64, 7, 1000] {
        for n in 1..=5u64 {
            let mut owners = vec![0u32; 37];
            for i in 1..=n {
                let o = RegressOptions {
                    seeds: 37,
                    seed_start: start,
                    shard: Shard { index: i, count: n },
                    directed: false,
                    ..RegressOptions::default()
                };
                let (p, _) = plan(&o).unwrap();
                assert!(p.directed.is_empty());
                assert_eq!(p.get(p.len()).map(|w| w.name()), None);
                for s in seeds_of(&p) {
                    owners[(s - start) as usize] += 1;
                }
            }
            assert!(owners.iter().all(|&c| c == 1), "n={n} start={start}: {owners:?}");
        }
    }
}

#[test]
fn huge_seed_ranges_are_not_listed() {
    let o = RegressOptions { seeds: 1_000_000_000_000, directed: false, ..RegressOptions::default() };
    let (p, _) = plan(&o).unwrap();
    assert_eq!(p.len(), 1_000_000_000_000);
    assert_eq!(p.get(999_999_999_999).unwrap().name(), "seed-999999999999");
    let o = RegressOptions {
        seeds: u64::MAX - 10,
        seed_start: 10,
        shard: Shard { index: 3, count: 7 },
        directed: false,
        ..RegressOptions::default()
    };
    let (p, _) = plan(&o).unwrap();
    assert_eq!(p.len(), Shard { index: 3, count: 7 }.count_of(u64::MAX - 10));
    let last = p.seed(p.len() - 1);
    assert!(last < u64::MAX && (last - 10) % 7 == 2, "{last}");
    // A shard with no seeds at the very top of the range does not overflow.
    let o = RegressOptions {
        seeds: 1,
        seed_start: u64::MAX - 1,
        shard: Shard { index: 3, count: 3 },
        directed: false,
        ..RegressOptions::default()
    };
    assert_eq!(plan(&o).unwrap().0.len(), 0);
}

#[test]
fn shard_auto_from_slurm_and_kubernetes() {
    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }
    let slurm = [("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "4"), ("SLURM_ARRAY_TASK_MAX", "7")];
    assert_eq!(Shard::auto(env(&slurm)), Ok(Shard { index: 2, count: 4 }));
    let by_count = [("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_COUNT", "3")];
    assert_eq!(Shard::auto(env(&by_count)), Ok(Shard { index: 1, count: 3 }));
    let stepped = [
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "6"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    assert!(Shard::auto(env(&stepped)).unwrap_err().contains("--array=A-B"));
    let bad = [("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_MAX", "1")];
    assert!(Shard::auto(env(&bad)).unwrap_err().contains("SLURM_ARRAY_TASK_ID=`x` is not a number"));
    let no_min = [("SLURM_ARRAY_TASK_ID", "1")];
    assert!(Shard::auto(env(&no_min)).unwrap_err().contains("SLURM_ARRAY_TASK_MIN"));
    assert_eq!(
        Shard::auto(env(&[("JOB_COMPLETION_INDEX", "3"), ("HSX_SHARD_COUNT", "4")])),
        Ok(Shard { index: 4, count: 4 })
    );
    assert!(Shard::auto(env(&[("JOB_COMPLETION_INDEX", "4"), ("HSX_SHARD_COUNT", "4")])).is_err());
    assert!(Shard::auto(env(&[("JOB_COMPLETION_INDEX", "0")])).unwrap_err().contains("HSX_SHARD_COUNT"));
    assert!(Shard::auto(env(&[])).unwrap_err().contains("no cluster scheduler"));
}

#[test]
fn global_index_is_the_single_run_case_order() {
    let root = std::env::temp_dir().join(format!("hsx-regress-gidx-{}", std::process::id()));
    std::fs::create_dir_all(root.join("examples")).unwrap();
    let mut all = std::collections::BTreeMap::new();
    for i in 1..=3u64 {
        let o = RegressOptions {
            seeds: 7,
            seed_start: 100,
            shard: Shard { index: i, count: 3 },
            root: root.clone(),
            ..RegressOptions::default()
        };
        let (p, _) = plan(&o).unwrap();
        for k in 0..p.len() {
            assert!(all.insert(p.global_index(k), p.name(k).1).is_none(), "two cases share an index");
        }
    }
    let single = RegressOptions { seeds: 7, seed_start: 100, root: root.clone(), ..RegressOptions::default() };
    let (p, _) = plan(&single).unwrap();
    let want: Vec<(u64, String)> = (0..p.len()).map(|k| (p.global_index(k), p.name(k).1)).collect();
    assert_eq!(all.into_iter().collect::<Vec<_>>(), want);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn shard_parsing() {
    assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
    for bad in ["0/3", "4/3", "1/0", "1", "a/2", "1/b", ""] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
    let s = Shard { index: 3, count: 3 };
    assert!(s.owns(2) && s.owns(5) && !s.owns(0) && !s.owns(4));
    for n in 0..20u64 {
        for (i, c) in [(1u64, 1u64), (1, 3), (3, 3), (2, 4)] {
            let sh = Shard { index: i, count: c };
            assert_eq!(sh.count_of(n), (0..n).filter(|&k| sh.owns(k)).count() as u64, "{i}/{c} of {n}");
        }
    }
}

#[test]
fn directed_cases_are_split_over_shards_too() {
    let root = std::env::temp_dir().join(format!("hsx-regress-shard-{}", std::process::id()));
    std::fs::create_dir_all(root.join("examples")).unwrap();
    let names = |i, n| {
        let o = RegressOptions {
            seeds: 0,
            shard: Shard { index: i, count: n },
            root: root.clone(),
            ..RegressOptions::default()
        };
        let p = plan(&o).unwrap().0;
        (0..p.len()).map(|k| p.get(k).unwrap().name()).collect::<Vec<_>>()
    };
    assert_eq!(names(1, 1), vec!["hello", "demo", "sleep", "overflow"]);
    assert_eq!(names(1, 3), vec!["hello", "overflow"]);
    assert_eq!(names(2, 3), vec!["demo"]);
    assert_eq!(names(3, 3), vec!["sleep"]);
    let _ = std::fs::remove_dir_all(&root);
}

fn tmp(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("hsx-regress-{tag}-{}", std::process::id()))
}

#[test]
fn small_regression_is_deterministic_across_jobs() {
    let dir = tmp("det");
    let run_with_jobs = |jobs| {
        let junit = dir.join(format!("j{jobs}.xml"));
        let o = RegressOptions {
            seeds: 8,
            seed_start: 100,
            jobs,
            directed: false,
            traces: dir.clone(),
            junit: Some(junit.clone()),
            ..RegressOptions::default()
        };
        let s = run(&o).unwrap();
        (s, std::fs::read_to_string(&junit).unwrap())
    };
    let ((a, ja), (b, jb)) = (run_with_jobs(1), run_with_jobs(2));
    assert_eq!(a.exit_code(), 0, "{}", a.text());
    assert_eq!((a.ran, a.agreed, a.total_steps, a.total_cycles), (b.ran, b.agreed, b.total_steps, b.total_cycles));
    assert_eq!(a.ran, 8);
    assert!(a.total_steps() > 0 && a.total_cycles() > a.total_steps());
    assert_eq!(a.coverage, b.coverage);
    let retired: u64 = a.coverage.opcodes.values().map(|c| c.retired + c.faulted).sum::<u64>()
        + a.coverage.illegal
        + a.coverage.no_fetch;
    assert_eq!(retired, a.total_steps(), "every checked retire is counted once");
    assert_eq!(ja, jb, "the JUnit file does not depend on --jobs");
    let n = junit::check_junit10(&ja).unwrap_or_else(|e| panic!("{e}\n{ja}"));
    assert_eq!(n, junit::Counts { tests: 8, failures: 0, errors: 0, skipped: 0 });
    assert!(ja.find("name=\"seed-100\"").unwrap() < ja.find("name=\"seed-107\"").unwrap(), "case order");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mutant_is_caught_shrunk_and_reported() {
    let traces = tmp("mut");
    let junit = traces.join("junit.xml");
    let o = RegressOptions {
        seeds: 80,
        jobs: 1,
        directed: false,
        mutant: crate::mutants::resolve("add-v").unwrap(),
        max_failures: Some(1),
        traces: traces.clone(),
        junit: Some(junit.clone()),
        ..RegressOptions::default()
    };
    let s = run(&o).unwrap();
    assert_eq!(s.exit_code(), 1, "{}", s.text());
    assert_eq!(s.diverged(), 1, "stops after the first divergence");
    assert_eq!(s.stop, Some(Stop::MaxFailures(1)));
    let r = s.notable.last().unwrap();
    let f = r.failure.as_ref().unwrap();
    assert!(f.report.exists() && f.report.with_file_name("rtl.vcd").exists(), "{}", f.report.display());
    assert!(f.report.to_string_lossy().contains("-mutant1"));
    assert!(f.shrunk_from.as_deref().is_some_and(|x| x.starts_with("seed ")), "{f:?}");
    let x = std::fs::read_to_string(&junit).unwrap();
    let n = junit::check_junit10(&x).unwrap_or_else(|e| panic!("{e}\n{x}"));
    assert_eq!(n.failures, 1);
    assert_eq!(n.tests, 80, "every case is in the file: run, failed or skipped");
    assert_eq!(n.skipped, s.not_run());
    assert!(x.contains("<failure message="), "{x}");
    assert!(x.contains("<property name=\"mutant\" value=\"add-v (1)\"/>"), "{x}");
    let _ = std::fs::remove_dir_all(&traces);
}

#[test]
fn an_interrupt_stops_the_run_and_skips_the_rest() {
    let dir = tmp("int");
    let junit = dir.join("j.xml");
    let o = RegressOptions {
        seeds: 5000,
        jobs: 2,
        directed: false,
        traces: dir.clone(),
        junit: Some(junit.clone()),
        ..RegressOptions::default()
    };
    // "SIGTERM" arrives once some cases ran.
    let t0 = std::time::Instant::now();
    let fired = AtomicBool::new(false);
    let poll = || {
        if fired.load(Ordering::Relaxed) || t0.elapsed() > Duration::from_millis(300) {
            fired.store(true, Ordering::Relaxed);
            Some(Signal::Term)
        } else {
            None
        }
    };
    let s = run_with(&o, &poll).unwrap();
    assert_eq!(s.exit_code(), 143, "{}", s.text());
    assert!(s.ran > 0 && s.ran < 5000, "{}", s.text());
    assert!(s.text().contains("INTERRUPTED by SIGTERM"), "{}", s.text());
    let x = std::fs::read_to_string(&junit).unwrap();
    let n = junit::check_junit10(&x).unwrap_or_else(|e| panic!("{e}\n{x}"));
    assert_eq!(n.tests - n.skipped, s.ran, "every case that ran is there");
    assert!(n.skipped >= 1 && n.skipped <= JUNIT_SKIPPED_LISTED + 1 + 2, "bounded: {n:?}");
    assert!(x.contains("name=\"seeds-") && x.contains("random cases, seeds"), "one summarising entry");
    assert!(x.contains("<property name=\"stopped\" value=\"interrupted by SIGTERM\"/>"), "{x}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn seed_range_overflow_is_bad_input() {
    let o = RegressOptions { seeds: 2, seed_start: u64::MAX, directed: false, ..RegressOptions::default() };
    assert!(matches!(plan(&o), Err(RegressError::Invalid(_))));
}

#[test]
fn summary_text_junit_and_exit_code() {
    let rec = |k: u64, failure: Option<Failure>| {
        let mut r = CaseRecord::new(k, "random", format!("seed-{k}"));
        r.steps = 10;
        r.cycles = 30;
        r.outcome = if failure.is_none() { Some("finished") } else { None };
        r.failure = failure;
        r
    };
    let mut s = Summary { planned: 3, ..Summary::default() };
    s.fold(&rec(1, None));
    assert_eq!(s.exit_code(), 0);
    let f = Failure {
        report: PathBuf::from("traces/seed-2/report.txt"),
        mismatch: "retire psw: expected <a> actual \"b\"".into(),
        shrunk_from: Some("seed 2, 40 code words".into()),
        write_error: None,
    };
    s.fold(&rec(2, Some(f.clone())));
    assert_eq!(s.exit_code(), 1);
    let j = junit::render(&s.junit_suite(&RegressOptions::default()), &[rec(2, Some(f.clone())).junit(false)]);
    junit::check_junit10(&j).unwrap();
    assert!(j.contains("traces/seed-2/report.txt: retire psw: expected &lt;a&gt; actual &quot;b&quot;"), "{j}");
    assert!(j.contains("hsx replay traces/seed-2/report.json"), "{j}");
    let t = s.text();
    assert!(t.contains("agreed 1, diverged 1"), "{t}");
    assert!(t.contains("checked retires 20, RTL cycles 60"), "{t}");
    // A divergence whose report could not be written is still a divergence (exit 1),
    // and a case that could not run elsewhere does not hide it.
    let mut e = rec(3, None);
    e.outcome = None;
    e.error = Some("x.mvasm:1:1: bad".into());
    s.fold(&e);
    s.fold(&rec(4, Some(Failure { write_error: Some("traces: Read-only file system".into()), ..f })));
    s.junit_error = Some("out.xml: No space left on device".into());
    assert_eq!(s.exit_code(), 1, "{}", s.text());
    assert!(s.text().contains("DIVERGED random seed-4: retire psw: expected <a> actual \"b\" (report not written: traces: Read-only file system)"), "{}", s.text());
    assert_eq!(Summary { errors: 1, ..Summary::default() }.exit_code(), 2);
    assert_eq!(Summary { write_errors: 1, ..Summary::default() }.exit_code(), 2);
    assert_eq!(Summary { junit_error: Some("x".into()), ..Summary::default() }.exit_code(), 2);
    assert_eq!(
        Summary { diverged: 1, stop: Some(Stop::Interrupted(Signal::Int)), ..Summary::default() }.exit_code(),
        130
    );
}
