//! Waveforms a person can read (docs/waves.md): a mutant's trace folder opens ready in
//! GTKWave (`waves.gtkw` naming only signals the dump has, the `mismatch` marker in both
//! dumps, the whole window), reproduces from `repro.mvasm` and replays byte for byte from
//! any directory; `hsx disasm --filter` is a GTKWave process filter; `--waves` gives
//! waveforms of passing runs over a cycle range; a full disk ends the run with a message.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use hsx_tests::{hsx, hsx_at, hsx_stdin, root, scratch_dir};

/// A VCD's header as GTKWave names its signals (`scope.path.name[range]`), its top-level
/// scopes, every scope name, and the value changes of the variables called `mismatch`.
struct Dump {
    signals: BTreeSet<String>,
    top: Vec<String>,
    scopes: Vec<String>,
    first_time: u64,
    last_time: u64,
    /// Times at which a `mismatch` variable became 1.
    mismatch_rises: Vec<u64>,
}

fn read_dump(path: &Path) -> Dump {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut stack: Vec<String> = vec![];
    let (mut signals, mut top, mut scopes) = (BTreeSet::new(), vec![], vec![]);
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut lines = text.lines();
    for line in lines.by_ref() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.first().copied() {
            Some("$scope") => {
                if stack.is_empty() {
                    top.push(w[2].to_string());
                }
                scopes.push(w[2].to_string());
                stack.push(w[2].to_string());
            }
            Some("$upscope") => {
                stack.pop();
            }
            Some("$var") => {
                // $var wire WIDTH ID NAME [range] $end
                let mut name = format!("{}.{}", stack.join("."), w[4]);
                if w.len() == 7 {
                    name.push_str(w[5]);
                }
                if w[4] == "mismatch" {
                    ids.insert(w[3].to_string(), name.clone());
                }
                signals.insert(name);
            }
            Some("$enddefinitions") => break,
            _ => {}
        }
    }
    let (mut first, mut last, mut now) = (None, 0, 0);
    let mut rises = vec![];
    for line in lines {
        if let Some(t) = line.strip_prefix('#') {
            now = t.parse().unwrap_or_else(|_| panic!("{}: bad time {line}", path.display()));
            first.get_or_insert(now);
            last = now;
        } else if let Some(id) = line.strip_prefix('1') {
            if ids.contains_key(id) {
                rises.push(now);
            }
        }
    }
    Dump { signals, top, scopes, first_time: first.expect("a timestamp"), last_time: last, mismatch_rises: rises }
}

/// The signal names a save file names, and its marker.
fn read_gtkw(path: &Path) -> (Vec<String>, i64, String) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut sigs = vec![];
    let mut marker = None;
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix('+') {
            // +{alias} name
            let name = rest.split_once("} ").map(|x| x.1).unwrap_or(rest);
            sigs.push(name.to_string());
        } else if l.starts_with("rtl.") || l.starts_with("ref.") || l.starts_with("cosim.") {
            sigs.push(l.to_string());
        } else if let Some(z) = l.strip_prefix('*') {
            marker = z.split_whitespace().nth(1).map(|m| m.parse::<i64>().expect("marker"));
        }
    }
    (sigs, marker.expect("a `*` zoom/marker line"), text)
}

fn add_v_spec() -> String {
    format!("{}@main", root().join("tests/programs/mutants/add-v.mvasm").display())
}

/// Run `hsx cosim --mutant add-v` into a fresh traces directory; the trace folder.
fn add_v_folder(tag: &str, extra: &[&str]) -> (PathBuf, serde_json::Value) {
    let traces = scratch_dir(tag);
    let mut args: Vec<String> =
        ["cosim", "--check-timing", "--max-steps", "10000", "--mutant", "add-v", "--traces"].map(String::from).to_vec();
    args.push(traces.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(add_v_spec());
    let r = hsx(&args);
    assert_eq!(r.code, 1, "the mutant must diverge (exit 1):\n{}\n{}", r.stdout, r.stderr);
    let dir = std::fs::read_dir(&traces).expect("traces").next().expect("one trace folder").expect("entry").path();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json")).expect("JSON");
    (dir, json)
}

#[test]
fn trace_folder_opens_ready_in_gtkwave() {
    let (dir, json) = add_v_folder("waves-ready", &[]);
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["replay"], "hsx replay report.json");
    let cycle = json["cycle"].as_u64().expect("cycle");
    let time = json["time_ns"].as_u64().expect("time_ns");
    assert_eq!(time, cycle * 10);
    assert!(!dir.join(cosim::harness::INCOMPLETE).exists(), "complete folder still marked incomplete");

    let rtl = read_dump(&dir.join("rtl.vcd"));
    let reff = read_dump(&dir.join("ref.vcd"));
    // Distinct sides, no clutter.
    assert_eq!(rtl.top, ["rtl", "cosim", "ref"], "top-level scopes of rtl.vcd");
    assert_eq!(reff.top, ["cosim", "ref"], "top-level scopes of ref.vcd");
    for s in &rtl.scopes {
        assert!(!s.ends_with("_pkg") && !s.starts_with("unnamedblk") && s != "TOP", "clutter scope `{s}` in rtl.vcd");
    }
    assert!(rtl.signals.contains("rtl.hsx_top.u_sched.current_q[4:0]"), "the RTL's own signals are there");
    // The marker at the divergence, once, in both dumps.
    assert_eq!(rtl.mismatch_rises, [time], "rtl.vcd mismatch marker");
    assert_eq!(reff.mismatch_rises, [time], "ref.vcd mismatch marker");
    // The window: the 2000 cycles before the divergence (from reset when it is earlier),
    // and a few cycles after.
    let from = cycle.saturating_sub(2000);
    assert_eq!(rtl.first_time, from * 10, "the window of divergence cycle {cycle} starts at cycle {from}");
    assert!(rtl.last_time >= time + 8 * 10, "the window ends {} ns, divergence at {time}", rtl.last_time);

    // Every signal the save file names exists in the dump it loads.
    let (sigs, marker, text) = read_gtkw(&dir.join("waves.gtkw"));
    assert!(text.contains("[dumpfile] \"rtl.vcd\""), "the save file loads the merged dump beside it");
    assert!(sigs.len() > 60, "groups of signals: {sigs:?}");
    for s in &sigs {
        assert!(rtl.signals.contains(s), "waves.gtkw names `{s}`, which rtl.vcd does not have");
    }
    for want in ["ref.retire.insn0[31:0]", "rtl.rvfi_insn0_o[31:0]", "ref.window.r15[31:0]", "rtl.window.r15[31:0]"] {
        assert!(sigs.iter().any(|s| s == want), "waves.gtkw lacks {want}");
    }
    assert_eq!(marker, time as i64, "the save file's marker is on the divergence");
    assert!(text.contains("disasm --filter\n") && text.contains("disasm --filter psw\n"), "process filters");

    // report.txt: time, flags, masks in words, every setting, the repro line.
    let txt = std::fs::read_to_string(dir.join("report.txt")).expect("report.txt");
    assert!(txt.contains(&format!("{time} ns")), "{txt}");
    assert!(txt.contains("= - C N -") || txt.contains("= - C N V"), "PSW decoded as flags:\n{txt}");
    assert!(txt.contains("bytes 0-3"), "write masks in words:\n{txt}");
    assert!(txt.contains("--check-timing"), "every setting:\n{txt}");
    assert!(!txt.contains(" { "), "no Rust debug formatting:\n{txt}");
    let repro = txt.lines().find_map(|l| l.trim().strip_prefix("repro: hsx ")).expect("a `repro:` line").to_string();
    assert!(dir.join("repro.mvasm").is_file());
    // Run from the trace folder, it reproduces the divergence (exit 1).
    let args: Vec<&str> = repro.split_whitespace().collect();
    let again = hsx_at(&dir, &args);
    assert_eq!(again.code, 1, "`hsx {repro}` in {}:\n{}\n{}", dir.display(), again.stdout, again.stderr);
    assert!(again.stdout.contains("check     retire") && again.stdout.contains("field     psw"), "{}", again.stdout);
}

#[test]
fn window_is_exactly_n_cycles_before_the_divergence() {
    let (dir, json) = add_v_folder("waves-window", &["--vcd-window", "100"]);
    let cycle = json["cycle"].as_u64().expect("cycle");
    assert!(cycle > 100);
    let rtl = read_dump(&dir.join("rtl.vcd"));
    assert_eq!(rtl.first_time, (cycle - 100) * 10, "rtl.vcd starts 100 cycles before cycle {cycle}");
    let (sigs, _, _) = read_gtkw(&dir.join("waves.gtkw"));
    for s in &sigs {
        assert!(rtl.signals.contains(s), "waves.gtkw names `{s}`, which rtl.vcd does not have");
    }
    // A window longer than the run starts at reset.
    let (dir, json) = add_v_folder("waves-window-reset", &["--vcd-window", "100000"]);
    assert!(json["cycle"].as_u64().expect("cycle") < 100_000);
    assert_eq!(read_dump(&dir.join("rtl.vcd")).first_time, 0, "from reset");
    // The bound is documented and enforced.
    let r = hsx(&["cosim", "--vcd-window", "1000001", &add_v_spec()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("1000000"), "{}", r.stderr);
}

#[test]
fn replay_is_byte_identical_from_any_directory() {
    let (dir, _) = add_v_folder("waves-replay", &[]);
    let files = ["report.json", "report.txt", "rtl.vcd", "ref.vcd", "waves.gtkw", "repro.mvasm"];
    let read = |d: &Path| -> Vec<Vec<u8>> { files.iter().map(|f| std::fs::read(d.join(f)).expect(f)).collect() };
    let first = read(&dir);
    // From the folder itself, with the relative path the report prints.
    let r = hsx_at(&dir, &["replay", "report.json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(read(&dir) == first, "replay from the folder changed a file");
    // From `/`, with an absolute path.
    let r = hsx_at(Path::new("/"), &["replay", &dir.join("report.json").display().to_string()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for (f, (a, b)) in files.iter().zip(read(&dir).iter().zip(&first)) {
        assert!(a == b, "{f} differs after a replay from /");
    }
}

#[test]
fn disasm_filter_translates_one_value_per_line() {
    let r = hsx_stdin(&["disasm", "--filter"], "01200001\nxxxxxxxx\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let want = isa::disasm::disasm_word(0x0120_0001, None, 0).0;
    assert!(!want.starts_with(".word"), "01200001 decodes: {want}");
    assert_eq!(r.stdout, format!("{want}\nxxxxxxxx\n"));
    let r = hsx_stdin(&["disasm", "--filter", "psw"], "6\nF\n0\n");
    assert_eq!(r.stdout, "- C N -\nZ C N V\n- - - -\n");
    // GTKWave passes `disasm --filter psw` as one argument.
    let r = hsx_stdin(&["disasm --filter psw"], "8\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "- - - V\n");
}

#[test]
fn waves_on_demand_for_a_passing_run() {
    let out = scratch_dir("waves-passing");
    let hello = root().join("examples/hello.mvasm").display().to_string();
    let dir = out.join("cosim");
    let r = hsx(&[
        "cosim",
        "--waves",
        &dir.display().to_string(),
        "--wave-from",
        "400",
        "--wave-to",
        "600",
        "--traces",
        &out.join("traces").display().to_string(),
        &hello,
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let d = read_dump(&dir.join("rtl.vcd"));
    assert_eq!(d.first_time, 4000, "the range starts at cycle 400");
    assert!(d.last_time <= 6010, "the range ends at cycle 600 (dump ends {})", d.last_time);
    assert!(d.mismatch_rises.is_empty(), "a passing run has no mismatch");
    let (sigs, _, _) = read_gtkw(&dir.join("waves.gtkw"));
    for s in &sigs {
        assert!(d.signals.contains(s), "waves.gtkw names `{s}`, which rtl.vcd does not have");
    }
    let traces = out.join("traces");
    assert!(
        !traces.exists() || std::fs::read_dir(&traces).expect("traces").next().is_none(),
        "a passing run writes no trace folder"
    );

    // `run --engine rtl --waves`: the RTL alone, from reset to the end.
    let dir = out.join("run");
    let r = hsx(&["run", "--engine", "rtl", "--waves", &dir.display().to_string(), &hello]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = read_dump(&dir.join("rtl.vcd"));
    assert_eq!(d.top, ["rtl"]);
    assert_eq!(d.first_time, 0);
    let (sigs, _, _) = read_gtkw(&dir.join("waves.gtkw"));
    for s in &sigs {
        assert!(d.signals.contains(s), "waves.gtkw names `{s}`, which rtl.vcd does not have");
    }
    // A bad range is refused before any work.
    let r = hsx(&["cosim", "--waves", "x", "--wave-from", "9", "--wave-to", "3", &hello]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn waves_in_fst_on_a_passing_run() {
    let out = scratch_dir("waves-fst");
    let hello = root().join("examples/hello.mvasm").display().to_string();
    let dir = out.join("w");
    let r = hsx(&[
        "cosim",
        "--waves",
        &dir.display().to_string(),
        "--wave-format",
        "fst",
        "--wave-to",
        "800",
        "--traces",
        &out.join("traces").display().to_string(),
        &hello,
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let fst = std::fs::read(dir.join("rtl.fst")).expect("rtl.fst");
    assert!(fst.len() > 100 && fst[0] == 0, "an FST file starts with its header block (type 0)");
    assert!(!dir.join("rtl.vcd").exists(), "FST instead of VCD");
    let (sigs, _, text) = read_gtkw(&dir.join("waves.gtkw"));
    assert!(text.contains("[dumpfile] \"rtl.fst\""), "{text}");
    let names: Vec<String> =
        std::fs::read_dir(&dir).expect("dir").map(|e| e.expect("e").file_name().to_string_lossy().into()).collect();
    assert!(!names.iter().any(|n| n.contains(".tmp-")), "temporary files left: {names:?}");
    // With GTKWave's fst2vcd at hand, the FST holds what the save file names.
    let back = out.join("back.vcd");
    match std::process::Command::new("fst2vcd").arg("-o").arg(&back).arg(dir.join("rtl.fst")).status() {
        Ok(s) if s.success() => {
            let d = read_dump(&back);
            for s in &sigs {
                assert!(d.signals.contains(s), "waves.gtkw names `{s}`, which rtl.fst does not have");
            }
            assert!(d.last_time <= 8010, "the range ends at cycle 800 (dump ends {})", d.last_time);
        }
        _ => eprintln!("fst2vcd not available: the FST's contents are not read back"),
    }
}

#[test]
fn regress_waves_all_writes_every_case() {
    let out = scratch_dir("waves-regress");
    let w = out.join("w");
    let r = hsx(&[
        "regress",
        "--no-directed",
        "--seeds",
        "2",
        "--jobs",
        "1",
        "--waves-all",
        "--waves",
        &w.display().to_string(),
        "--wave-to",
        "500",
        "--traces",
        &out.join("traces").display().to_string(),
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for seed in ["seed-0", "seed-1"] {
        let d = read_dump(&w.join(seed).join("rtl.vcd"));
        assert_eq!(d.first_time, 0);
        assert!(d.last_time <= 5010);
        assert!(w.join(seed).join("waves.gtkw").is_file());
    }
}

/// A full disk while the waveforms are written ends the run with a clear message and
/// never hangs (Verilator's own file would call its fatal handler and deadlock). Needs
/// root for a small tmpfs; skipped with a message otherwise.
#[test]
fn full_disk_while_writing_waves_is_an_error_not_a_hang() {
    let Some(fs) = hsx_tests::SmallTmpfs::mount("waves-enospc", "48k") else { return };
    let mnt = fs.0.clone();
    let t0 = std::time::Instant::now();
    let r = hsx(&[
        "cosim",
        "--mutant",
        "add-v",
        "--max-steps",
        "10000",
        "--traces",
        &mnt.display().to_string(),
        &add_v_spec(),
    ]);
    assert!(t0.elapsed().as_secs() < 60, "took {:?}", t0.elapsed());
    assert_ne!(r.code, 0, "a full disk is not success:\n{}", r.stderr);
    assert!(r.stderr.contains("No space left on device"), "the message says why:\n{}", r.stderr);
    // What is there is marked incomplete, and no temporary file is left behind.
    let folder = std::fs::read_dir(&mnt).expect("mnt").next().expect("a trace folder").expect("entry").path();
    assert!(folder.join(cosim::harness::INCOMPLETE).exists(), "the folder is marked incomplete");
    let names: Vec<String> = std::fs::read_dir(&folder)
        .expect("folder")
        .map(|e| e.expect("e").file_name().to_string_lossy().into())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".tmp-")), "temporary files left: {names:?}");
    assert!(!names.iter().any(|n| n == "rtl.vcd"), "no truncated rtl.vcd: {names:?}");
}
