//! Mutation campaigns (`hsx mutate`, docs/mutation.md) and the one mutation engine the
//! mutant model is built with: the CI smoke campaign, the JSON report, determinism,
//! sharding and merging, and the catalogue's anchors against the real RTL.

use hsx_tests::{hsx, root, scratch_dir};
use serde_json::Value;
use std::path::Path;

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The RTL sources in file-list order, as the build script reads them.
fn rtl_sources() -> Vec<mutate::Source> {
    let list = std::fs::read_to_string(root().join("rtl/hsx.f")).unwrap();
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| {
            let p = root().join(l);
            mutate::Source {
                name: p.file_name().unwrap().to_string_lossy().to_string(),
                text: std::fs::read_to_string(&p).unwrap(),
            }
        })
        .collect()
}

#[test]
fn smoke_campaign_of_two_mutants_reports_every_field() {
    let dir = scratch_dir("mutate-smoke");
    let json = dir.join("m.json");
    let run = hsx(&[
        "mutate",
        "--count",
        "2",
        "--seed",
        "1",
        "--jobs",
        "2",
        "--no-equiv",
        "--json",
        &s(&json),
        "--traces",
        &s(&dir.join("traces")),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = read_json(&json);
    let ms = v["mutants"].as_array().expect("mutants[]");
    assert_eq!(ms.len(), 2);
    let (mut killed, mut argued) = (0, 0);
    for m in ms {
        for k in ["file", "change", "mutant", "op"] {
            assert!(m[k].as_str().is_some_and(|x| !x.is_empty()), "{k} in {m}");
        }
        assert!(m["line"].as_u64().is_some_and(|l| l > 0), "{m}");
        assert!(root().join("rtl").join(m["file"].as_str().unwrap()).is_file(), "{m}");
        assert!(m["cases"].as_u64().is_some_and(|c| c > 0), "{m}");
        let k = m["killed"].as_bool().expect("killed: bool");
        if k {
            killed += 1;
            assert_eq!(m["equivalent"], Value::Bool(false), "a killed mutant is not equivalent: {m}");
            assert!(m["checker"].as_str().is_some(), "{m}");
            assert!(m["equivalent_by"].is_null(), "{m}");
        } else if m["equivalent"] == Value::Bool(true) {
            // A survivor rtl/mutants/equivalent.toml argues equivalent (seed 1 draws one:
            // the divider's busy_q reset value): counted out, its argument in the note.
            argued += 1;
            assert_eq!(m["equivalent_by"], "argument", "--no-equiv proves nothing: {m}");
            assert!(m["note"].as_str().is_some_and(|n| n.contains("rtl/mutants/equivalent.toml:")), "{m}");
            assert!(m["checker"].is_null(), "{m}");
        } else {
            assert!(m["equivalent"].is_null(), "--no-equiv leaves survivors unknown: {m}");
            assert!(m["checker"].is_null(), "{m}");
        }
    }
    assert_eq!(v["generated"], 2);
    assert_eq!(v["killed"], killed);
    assert_eq!(v["argued_equivalent"], argued);
    assert_eq!(v["proven_equivalent"], 0);
    let score = if argued == 2 { 1.0 } else { killed as f64 / (2 - argued) as f64 };
    assert_eq!(v["score"].as_f64().unwrap(), score);
    // The text: one line per mutant, the score last.
    let last = run.stdout.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            "score {score:.3} = {killed} killed / (2 generated - 0 proven equivalent - {argued} argued equivalent)"
        )
    );
    for m in ms {
        assert!(run.stdout.contains(m["mutant"].as_str().unwrap()), "{}", run.stdout);
    }
}

/// Every argument in rtl/mutants/equivalent.toml describes exactly one automatic mutant
/// of today's RTL (a stale or ambiguous entry would stop every campaign), no two describe
/// the same one, and the list is not empty.
#[test]
fn the_argued_equivalents_name_todays_rtl() {
    let list = cosim::campaign::argued_list(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(list.len() >= 5, "{list:?}");
    let mut seen = std::collections::BTreeSet::new();
    for (a, n) in &list {
        assert!(a.why.len() > 80, "an argument, not a label: {a:?}");
        assert!(seen.insert(*n), "two entries describe auto-{n}: {a:?}");
    }
}

#[test]
fn the_same_seed_generates_the_same_mutants() {
    let a = hsx(&["mutate", "--list", "--count", "40", "--seed", "5"]);
    let b = hsx(&["mutate", "--list", "--count", "40", "--seed", "5"]);
    let c = hsx(&["mutate", "--list", "--count", "40", "--seed", "6"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    assert_eq!(a.stdout.lines().count(), 40);
    // Every operator class is drawn.
    for class in ["operator", "constant", "condition", "dropped", "removed"] {
        assert!(a.stdout.contains(class), "{class} missing:\n{}", a.stdout);
    }
    let too_many = hsx(&["mutate", "--list", "--count", "1000000"]);
    assert_eq!(too_many.code, 2);
    assert!(too_many.stderr.contains("automatic mutants"), "{}", too_many.stderr);
}

#[test]
fn shards_merge_into_the_whole_campaign() {
    let dir = scratch_dir("mutate-shards");
    let traces = dir.join("traces");
    let common = ["mutate", "--count", "4", "--seed", "3", "--seeds", "20", "--no-equiv", "--jobs", "1"];
    let whole = dir.join("whole.json");
    let mut a: Vec<String> = common.iter().map(|x| x.to_string()).collect();
    a.extend(["--json".into(), s(&whole), "--traces".into(), s(&traces)]);
    assert_eq!(hsx(&a).code, 0);
    let mut parts = Vec::new();
    for i in 1..=3 {
        let r = dir.join(format!("shard-{i}.json"));
        let mut a: Vec<String> = common.iter().map(|x| x.to_string()).collect();
        a.extend(["--shard".into(), format!("{i}/3"), "--results".into(), s(&r), "--traces".into(), s(&traces)]);
        let run = hsx(&a);
        assert_eq!(run.code, 0, "{}", run.stderr);
        parts.push(r);
    }
    // Shard i owns the campaign positions k with k % 3 == i - 1.
    let idx = |p: &Path| -> Vec<u64> {
        read_json(p)["mutants"].as_array().unwrap().iter().map(|m| m["index"].as_u64().unwrap()).collect()
    };
    assert_eq!((idx(&parts[0]), idx(&parts[1]), idx(&parts[2])), (vec![0, 3], vec![1], vec![2]));
    let merged = dir.join("merged.json");
    let run = hsx(&["mutate", "--merge", &s(&parts[2]), &s(&parts[0]), &s(&parts[1]), "--json", &s(&merged)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (w, m) = (read_json(&whole), read_json(&merged));
    assert_eq!(w["mutants"], m["mutants"], "the shards' union is the whole campaign");
    for k in ["score", "generated", "killed", "shard", "seed", "count", "mutant_hash"] {
        assert_eq!(w[k], m[k], "{k}");
    }
    // Overlapping shards and other campaigns are refused.
    let twice = hsx(&["mutate", "--merge", &s(&parts[0]), &s(&parts[0])]);
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("overlapping shards"), "{}", twice.stderr);
    let other = dir.join("other.json");
    let mut a: Vec<String> = common.iter().map(|x| x.to_string()).collect();
    a[4] = "9".into(); // --seed 9
    a.extend(["--shard".into(), "2/3".into(), "--results".into(), s(&other), "--traces".into(), s(&traces)]);
    assert_eq!(hsx(&a).code, 0);
    let mixed = hsx(&["mutate", "--merge", &s(&parts[0]), &s(&other)]);
    assert_eq!(mixed.code, 2);
    assert!(mixed.stderr.contains("not the same campaign"), "{}", mixed.stderr);
}

#[test]
fn the_hand_catalogue_fits_the_rtl_and_a_stale_anchor_names_mutant_file_and_text() {
    let path = root().join("rtl/mutants/hand.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let hand = mutate::catalogue::parse("rtl/mutants/hand.toml", &text).unwrap();
    // The build read this same file.
    assert_eq!(text, sim::HAND_CATALOGUE);
    let names: Vec<&str> = hand.iter().map(|m| m.name.as_str()).collect();
    let cat: Vec<&str> = cosim::mutants::hand().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, cat);
    let src = rtl_sources();
    let sch = mutate::schemata(&src, &hand, "rtl/mutants/hand.toml", "hsx_top").expect("every anchor fits");
    // The same automatic mutants as the linked model.
    assert_eq!(mutate::auto_to_tsv(&sch.auto), sim::AUTO_MUTANTS);
    // Each hand mutant alone changes the RTL.
    for m in &hand {
        let files = mutate::apply_hand(&src, m, "rtl/mutants/hand.toml").unwrap();
        assert!(!files.is_empty(), "{}", m.name);
    }
    // The RTL under mutant 8's anchor changes: the error names mutant, catalogue line,
    // file and the anchor text.
    let mut stale = src.clone();
    let lsu = stale.iter_mut().find(|f| f.name == "hsx_lsu.sv").unwrap();
    assert!(lsu.text.contains("lo < LowHi"));
    lsu.text = lsu.text.replace("lo < LowHi", "lo <= LowHi - 17'd1");
    let e = mutate::schemata(&stale, &hand, "rtl/mutants/hand.toml", "hsx_top").unwrap_err().to_string();
    let line = text.lines().position(|l| l.contains("anchor = '''lo < LowHi'''")).unwrap(); // 0-based anchor line
    assert!(
        e.starts_with(&format!(
            "rtl/mutants/hand.toml:{}: mutant `no-window-check` (#8): anchor not found in rtl/hsx_lsu.sv",
            line - 2
        )),
        "{e}"
    );
    assert!(e.ends_with("`lo < LowHi`"), "{e}");
}

#[test]
fn the_production_rtl_holds_no_mutant_code() {
    for f in rtl_sources() {
        for bad in ["HSX_MUTANTS", "mutant_i", "hsx_mut_pkg", "mut_"] {
            assert!(!f.text.contains(bad), "rtl/{} contains `{bad}`: mutants belong in rtl/mutants/", f.name);
        }
    }
}
