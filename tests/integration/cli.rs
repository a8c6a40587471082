//! The `hsx` command line (cli.md), run as a process: the stable `run --json` object and
//! exit codes, every kind of bad input, `asm` (v2 and `--v1`), `disasm` round trips,
//! threads sharing one image, `--no-protect`, and a scripted `shell` session.

use hsx_tests::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const WINDOWS: &str = "tests/programs/windows.mvasm";

/// A path as a command-line argument.
fn ps(p: &Path) -> String {
    p.display().to_string()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// A report without the `spec` fields (to compare runs of the same program under
/// different names).
fn without_specs(mut v: Value) -> Value {
    for t in v["tasks"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("spec");
    }
    v
}

#[test]
fn run_json_is_exactly_one_object_with_the_stable_fields() {
    let first = format!("{WINDOWS}@first");
    let second = format!("{WINDOWS}@second");
    let out = hsx(&["run", "--json", &first, &second]);
    assert_eq!(out.code, 0, "stderr:\n{}", out.stderr);
    let j = out.json();
    assert_eq!(keys(&j), set(&["outcome", "steps", "ticks", "tasks"]));
    assert_eq!(j["outcome"], "finished");
    // Each task: LDI, JMP, LDI, 3 x (ADD, LDI, SUB, JNZ), MOV, RET = 17 steps.
    assert_eq!(ju(&j["steps"]), 34);
    assert_eq!(ju(&j["ticks"]), 34);
    let tasks = j["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    let stable = set(&[
        "pid",
        "spec",
        "state",
        "exit_code",
        "fault",
        "pc",
        "psw",
        "sp",
        "reg_base",
        "stack_limit",
        "stack_top",
        "regs",
        "accounted_steps",
        "console",
        // added (docs/console.md): the console's size and what `console` leaves out
        "console_bytes",
        "console_omitted",
    ]);
    for (i, t) in tasks.iter().enumerate() {
        assert_eq!(keys(t), stable);
        assert_eq!(ju(&t["pid"]), i as u64 + 1);
        assert_eq!(t["state"], "RETURNED");
        assert_eq!(t["fault"], Value::Null);
        assert_eq!(ju(&t["accounted_steps"]), 17);
        assert_eq!(t["console"], "");
        assert_eq!((ju(&t["console_bytes"]), ju(&t["console_omitted"])), (0, 0));
        // The last SUB left 0: Z and C.
        assert_eq!(ju(&t["psw"]), 3);
        assert_eq!(t["regs"].as_array().unwrap().len(), 16);
        assert!(t["regs"].as_array().unwrap().iter().all(|r| r.is_u64()));
    }
    let (t1, t2) = (json_task(&j, 1), json_task(&j, 2));
    assert_eq!(t1["spec"], first.as_str());
    assert_eq!(t2["spec"], second.as_str());
    assert_eq!(ju(&t1["exit_code"]), 0x888);
    assert_eq!(ju(&t2["exit_code"]), 0x1110);
    assert_eq!(ju(&t1["regs"][0]), 0x888);
    assert_eq!(ju(&t1["regs"][5]), 0x888);
    assert_eq!(ju(&t2["regs"][5]), 0x1110);
    assert_eq!((ju(&t1["reg_base"]), ju(&t2["reg_base"])), (4096, 4160));
    assert_eq!((ju(&t1["stack_limit"]), ju(&t1["stack_top"])), (0xEFFC, 0xFFFC));
    assert_eq!((ju(&t2["stack_limit"]), ju(&t2["stack_top"])), (0xDFFC, 0xEFFC));
    assert_eq!(ju(&t1["sp"]), 0xFFFC);
    assert_eq!(ju(&t1["regs"][15]), 0xFFFC, "R15 = SP at spawn, untouched since");
    // Human output (if any) is on stderr, never mixed into the JSON.
    assert!(!out.stdout.contains("outcome:"));
}

#[test]
fn the_binary_and_the_library_report_the_same_run() {
    let specs = [format!("{WINDOWS}@first"), format!("{WINDOWS}@second")];
    let out = hsx(&["run", "--json", &specs[0], &specs[1]]);
    // In-process, from the workspace root like the binary.
    let args = cosim::cli::MachineArgs { slice: 1, stack_size: 0x1000, no_protect: false, ticks_per_ms: 1000 };
    let abs: Vec<String> = specs.iter().map(|s| root().join(s).display().to_string()).collect();
    let (mut sys, plan) = cosim::cli::build_ref_system(&args, &abs).unwrap();
    let outcome = sys.run(10_000_000);
    let report = cosim::cli::ref_report(&sys, &plan, outcome);
    assert_eq!(without_specs(out.json()), without_specs(serde_json::to_value(&report).unwrap()));
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn exit_1_for_a_fault_a_stall_or_the_step_limit() {
    // A fault (another task still returns).
    let out = hsx(&["run", "--json", "examples/overflow.mvasm@deep", "examples/overflow.mvasm@worker"]);
    assert_eq!(out.code, 1);
    let j = out.json();
    assert_eq!(j["outcome"], "finished");
    assert_eq!(json_task(&j, 1)["state"], "FAULTED");
    assert_eq!(json_task(&j, 2)["state"], "RETURNED");

    // A stall: the task stays PAUSED by its BRK.
    let out = hsx(&["run", "--json", "tests/programs/brk.mvasm@paused"]);
    assert_eq!(out.code, 1);
    let j = out.json();
    assert_eq!(j["outcome"], "stalled");
    let t = json_task(&j, 1);
    assert_eq!(t["state"], "PAUSED");
    assert_eq!((t["exit_code"].clone(), t["fault"].clone()), (Value::Null, Value::Null));
    assert!(out.stderr.contains("BRK 42"), "the stall is explained on stderr:\n{}", out.stderr);

    // The step limit with work remaining.
    let out = hsx(&["run", "--json", "--max-steps", "100", "tests/programs/spin.mvasm"]);
    assert_eq!(out.code, 1);
    let j = out.json();
    assert_eq!(j["outcome"], "max_steps");
    assert_eq!(ju(&j["steps"]), 100);
    assert_eq!(json_task(&j, 1)["state"], "RUNNING");
}

#[test]
fn quiescent_on_the_last_allowed_step_is_finished_not_max_steps() {
    let first = format!("{WINDOWS}@first");
    let second = format!("{WINDOWS}@second");
    let out = hsx(&["run", "--json", "--max-steps", "34", &first, &second]);
    assert_eq!(out.code, 0);
    assert_eq!(out.json()["outcome"], "finished");
    let out = hsx(&["run", "--json", "--max-steps", "0x21", &first, &second]);
    assert_eq!(out.code, 1);
    let j = out.json();
    assert_eq!(j["outcome"], "max_steps");
    assert_eq!(ju(&j["steps"]), 33);
    // Idle time jumps are not steps: the sleep example needs 12 steps, 54 ticks.
    let out = hsx(&[
        "run",
        "--json",
        "--max-steps",
        "12",
        "--ticks-per-ms",
        "10",
        "examples/sleep.mvasm@sleeper",
        "examples/sleep.mvasm@waiter",
    ]);
    assert_eq!(out.code, 0);
    let j = out.json();
    assert_eq!((j["outcome"].as_str(), ju(&j["steps"]), ju(&j["ticks"])), (Some("finished"), 12, 54));
}

fn assert_bad_input(out: &HsxRun, what: &str, stderr_has: &str) {
    assert_eq!(out.code, 2, "{what}: exit code; stderr:\n{}", out.stderr);
    assert!(out.stdout.trim().is_empty(), "{what}: nothing on stdout, got:\n{}", out.stdout);
    assert!(out.stderr.contains(stderr_has), "{what}: stderr should mention `{stderr_has}`:\n{}", out.stderr);
}

#[test]
fn exit_2_for_bad_input() {
    let dir = scratch_dir("bad");
    let missing = dir.join("nope.mvasm");
    let out = hsx(&["run", "--json", &ps(&missing)]);
    assert_bad_input(&out, "missing file", "nope.mvasm");

    let bad = dir.join("bad.mvasm");
    std::fs::write(&bad, "main: LDI R1, 1\n      RET\n      BOGUS R1\n").unwrap();
    let out = hsx(&["run", "--json", &ps(&bad)]);
    assert_bad_input(&out, "bad assembly", &format!("{}:3:7:", bad.display()));
    let out = hsx(&["asm", &ps(&bad)]);
    assert_bad_input(&out, "hsx asm of bad assembly", &format!("{}:3:7:", bad.display()));
    assert!(!dir.join("bad.hxe").exists(), "no output on error");

    let nine: Vec<String> = (0..9).map(|_| "tests/programs/spin.mvasm".to_string()).collect();
    let mut args = vec!["run".to_string(), "--json".to_string()];
    args.extend(nine.iter().cloned());
    let out = hsx(&args);
    assert_bad_input(&out, "nine SPECs", "9");
    // Eight are fine.
    let mut args = vec!["run".to_string(), "--json".to_string(), "--max-steps".into(), "80".into()];
    args.extend(nine[..8].iter().cloned());
    let out = hsx(&args);
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["tasks"].as_array().unwrap().len(), 8);

    let out = hsx(&["run", "--json", "tests/programs/spin.mvasm@nowhere"]);
    assert_bad_input(&out, "unknown label", "nowhere");
    let out = hsx(&["run", "--json", "tests/programs/spin.mvasm@0x1000"]);
    assert_bad_input(&out, "entry outside the image", "0x1000");
    let out = hsx(&["run", "--json", "tests/programs/spin.mvasm@2"]);
    assert_eq!(out.code, 2, "an unaligned entry");

    let out = hsx(&["run", "--json", "--slice", "0", "tests/programs/spin.mvasm"]);
    assert_bad_input(&out, "--slice 0", "slice");
    let out = hsx(&["run", "--json", "--stack-size", "10", "tests/programs/spin.mvasm"]);
    assert_eq!(out.code, 2, "--stack-size 10");
    let out = hsx(&["run", "--json", "--bogus-flag", "tests/programs/spin.mvasm"]);
    assert_eq!(out.code, 2, "unknown option");
}

#[test]
fn exit_2_for_malformed_hxe() {
    let dir = scratch_dir("hxe");
    let good = dir.join("good.hxe");
    let out = hsx(&["asm", &ps(&root().join(WINDOWS)), "-o", &ps(&good)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bytes = std::fs::read(&good).unwrap();

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("junk", b"this is not an image at all, not at all, no".to_vec(), "magic"),
        ("short", bytes[..20].to_vec(), "shorter"),
        ("truncated", bytes[..bytes.len() - 4].to_vec(), "past the end"),
        (
            "crc",
            {
                let mut b = bytes.clone();
                let last = b.len() - 1;
                b[last] ^= 0x01;
                b
            },
            "CRC",
        ),
        (
            "version",
            {
                let mut b = bytes.clone();
                b[5] = 9;
                b
            },
            "version",
        ),
    ];
    for (name, data, msg) in cases {
        let p = dir.join(format!("{name}.hxe"));
        std::fs::write(&p, data).unwrap();
        let out = hsx(&["run", "--json", &ps(&p)]);
        assert_bad_input(&out, name, msg);
        let out = hsx(&["disasm", &ps(&p)]);
        assert_eq!(out.code, 2, "disasm of {name}");
    }
    // A label entry makes no sense for an HXE image.
    let spec = format!("{}@first", good.display());
    let out = hsx(&["run", "--json", &spec]);
    assert_eq!(out.code, 2);
}

#[test]
fn asm_writes_a_valid_hxe_that_runs_like_the_source() {
    let dir = scratch_dir("asm");
    let v2 = dir.join("w2.hxe");
    let v1 = dir.join("w1.hxe");
    let src = root().join(WINDOWS);
    assert_eq!(hsx(&["asm", &ps(&src), "-o", &ps(&v2)]).code, 0);
    assert_eq!(hsx(&["asm", &ps(&src), "-o", &ps(&v1), "--v1"]).code, 0);
    let b2 = std::fs::read(&v2).unwrap();
    let b1 = std::fs::read(&v1).unwrap();
    assert_eq!(&b2[..4], b"HSXE");
    assert_eq!(&b1[..4], b"HSXE");
    assert_eq!(u16::from_be_bytes([b2[4], b2[5]]), 2);
    assert_eq!(u16::from_be_bytes([b1[4], b1[5]]), 1);
    // Both parse, and hold the assembled program.
    let prog = assemble(&std::fs::read_to_string(&src).unwrap());
    for b in [&b1, &b2] {
        let img = isa::hxe::Image::parse(b).unwrap();
        assert_eq!(
            (img.code, img.data, img.entry),
            (prog.image.code.clone(), prog.image.data.clone(), prog.image.entry)
        );
    }
    // `first` is at offset 0, `second` at 8.
    let reference = hsx(&["run", "--json", &format!("{WINDOWS}@first"), &format!("{WINDOWS}@second")]);
    for img in [&v2, &v1] {
        let out = hsx(&["run", "--json", &format!("{}@0", img.display()), &format!("{}@0x8", img.display())]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(without_specs(out.json()), without_specs(reference.json()), "{}", img.display());
    }
    // Without -o the image goes next to the source, with the extension .hxe; like the
    // prototype's linker, the app name is the output's stem and flag 0x0002 is set.
    let copy = dir.join("copy.mvasm");
    std::fs::copy(&src, &copy).unwrap();
    assert_eq!(hsx(&["asm", &ps(&copy)]).code, 0);
    let (c, w) = (
        isa::hxe::Image::parse(&std::fs::read(dir.join("copy.hxe")).unwrap()).unwrap(),
        isa::hxe::Image::parse(&b2).unwrap(),
    );
    assert_eq!((c.app_name.as_str(), w.app_name.as_str(), c.flags, w.flags), ("copy", "w2", 2, 2));
    assert_eq!(isa::hxe::Image { app_name: "w2".into(), ..c }, w);
}

/// Rebuild an MVASM source from a `hsx disasm` listing: the instruction text of each
/// code line, `.entry`, and the data bytes.
fn source_from_listing(listing: &str) -> String {
    let mut src = String::from(".text\n");
    let mut in_data = false;
    let mut data_addr = None;
    for line in listing.lines() {
        if let Some(rest) = line.strip_prefix("; code ") {
            let entry = rest.split("entry ").nth(1).unwrap().split(';').next().unwrap().trim();
            src.push_str(&format!(".entry {entry}\n"));
            continue;
        }
        if let Some(addr) = line.strip_prefix("; .data at ") {
            in_data = true;
            data_addr = Some(addr.trim().to_string());
            continue;
        }
        if line.starts_with(';') || line.trim().is_empty() {
            continue;
        }
        if in_data {
            // "4000:  68 65 6C …    ascii"
            let hex = &line[7..7 + 48];
            let bs: Vec<String> = hex.split_whitespace().map(|b| format!("0x{b}")).collect();
            if !bs.is_empty() {
                src.push_str(&format!(".data\n.byte {}\n", bs.join(", ")));
            }
        } else {
            // "0000:  60100000 00004000 LDI32 R1, 0x00004000  ; <- entry"
            src.push_str(&line[25..]);
            src.push('\n');
        }
    }
    if let Some(a) = data_addr {
        if a != "0x4000" {
            src = src.replacen(".data\n", &format!(".data {a}\n"), 1);
        }
    }
    src
}

#[test]
fn disasm_output_reassembles_to_the_same_image() {
    let dir = scratch_dir("disasm");
    for (name, specs) in [
        ("examples/demo.mvasm", vec!["@producer", "@consumer"]),
        ("tests/programs/fp.mvasm", vec![""]),
        ("tests/programs/switchy.mvasm", vec![]),
    ] {
        let hxe = dir.join(Path::new(name).with_extension("hxe").file_name().unwrap());
        assert_eq!(hsx(&["asm", &ps(&root().join(name)), "-o", &ps(&hxe)]).code, 0);
        let out = hsx(&["disasm", &ps(&hxe)]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let src = source_from_listing(&out.stdout);
        let again = isa::asm::assemble(&src, "relisted")
            .unwrap_or_else(|e| panic!("{name}: the listing does not reassemble:\n{e}\n{src}"));
        let orig = assemble(&std::fs::read_to_string(root().join(name)).unwrap()).image;
        assert_eq!(again.image.code, orig.code, "{name}: code");
        assert_eq!(again.image.data, orig.data, "{name}: data");
        assert_eq!(again.image.entry, orig.entry, "{name}: entry");
        assert_eq!(again.image.data_addr, orig.data_addr, "{name}: data address");
        // And it runs the same.
        if !specs.is_empty() {
            let re = dir.join(format!("re-{}", Path::new(name).file_name().unwrap().to_str().unwrap()));
            std::fs::write(&re, &src).unwrap();
            let offsets: Vec<String> = specs
                .iter()
                .map(|s| match s.strip_prefix('@') {
                    Some(l) => format!(
                        "@{}",
                        assemble(&std::fs::read_to_string(root().join(name)).unwrap()).entry_label(l).unwrap()
                    ),
                    None => String::new(),
                })
                .collect();
            let a: Vec<String> = specs.iter().map(|s| format!("{name}{s}")).collect();
            let b: Vec<String> = offsets.iter().map(|s| format!("{}{s}", hxe.display())).collect();
            let c: Vec<String> = offsets.iter().map(|s| format!("{}{s}", re.display())).collect();
            let run = |specs: &[String]| {
                let mut args = vec!["run".to_string(), "--json".to_string()];
                args.extend(specs.iter().cloned());
                without_specs(hsx(&args).json())
            };
            let (ra, rb, rc) = (run(&a), run(&b), run(&c));
            assert_eq!(ra, rb, "{name}: .hxe runs like the source");
            assert_eq!(ra, rc, "{name}: the relisted source runs like the original");
        }
    }
    // `hsx disasm` of an .mvasm assembles it first.
    let out = hsx(&["disasm", "examples/hello.mvasm"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("LDI32 R1, 0x00004000"), "{}", out.stdout);
    assert!(out.stdout.contains("<- entry"));
}

#[test]
fn the_same_file_twice_shares_code_and_data() {
    let f = "tests/programs/shared_counter.mvasm";
    let out = hsx(&["run", "--json", "--slice", "100", f, f]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    // A task is 3 + 10*5 + 1 = 54 steps, shorter than its slice: pid 1 runs to the end
    // first, then pid 2 continues the same counter.
    assert_eq!(ju(&json_task(&j, 1)["exit_code"]), 10);
    assert_eq!(ju(&json_task(&j, 2)["exit_code"]), 20);
    assert_eq!(ju(&j["steps"]), 108);

    // A second file with the same content is a different image: assembled on the fly, its
    // data is placed after the first's (docs/executive.md), so each counts on its own...
    let dir = scratch_dir("threads");
    let other = dir.join("copy.mvasm");
    std::fs::copy(root().join(f), &other).unwrap();
    let out = hsx(&["run", "--json", "--slice", "100", &ps(&root().join(f)), &ps(&other)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    assert_eq!((ju(&json_task(&j, 1)["exit_code"]), ju(&json_task(&j, 2)["exit_code"])), (10, 10));
    // ...but HXE images keep their data addresses, and those overlap.
    let (a, b) = (dir.join("a.hxe"), dir.join("b.hxe"));
    assert_eq!(hsx(&["asm", f, "-o", &ps(&a)]).code, 0);
    assert_eq!(hsx(&["asm", f, "-o", &ps(&b)]).code, 0);
    let out = hsx(&["run", "--json", &ps(&a), &ps(&b)]);
    assert_bad_input(&out, "overlapping images", "overlaps");
}

#[test]
fn no_protect_lets_a_task_read_another_window() {
    let v = "tests/programs/protect.mvasm@victim";
    let a = "tests/programs/protect.mvasm@rd_win";
    let out = hsx(&["run", "--json", v, a]);
    assert_eq!(out.code, 1);
    let j = out.json();
    assert_eq!(j["outcome"], "stalled", "the victim stays PAUSED");
    assert_eq!(json_task(&j, 2)["state"], "FAULTED");
    assert_eq!(ju(&json_task(&j, 2)["fault"]), 0xFFFF_FF08);
    assert_eq!(ju(&json_task(&j, 2)["regs"][0]), 0xFFFF_FF08);
    let out = hsx(&["run", "--json", "--no-protect", v, a]);
    let j = out.json();
    assert_eq!(json_task(&j, 2)["state"], "RETURNED");
    assert_eq!(ju(&json_task(&j, 2)["exit_code"]), 0x5EC2E7);

    // UART_WRITE of the victim's stack word 0x00C0FFEE: refused with protection...
    let u = "tests/programs/protect.mvasm@uart_stk";
    let j = hsx(&["run", "--json", v, u]).json();
    assert_eq!(ju(&json_task(&j, 2)["exit_code"]), 0xFFFF_FF08);
    assert_eq!(json_task(&j, 2)["console"], "");
    // ...printed without; the console is UTF-8 with invalid bytes replaced (EE FF C0 00).
    let j = hsx(&["run", "--json", "--no-protect", v, u]).json();
    assert_eq!(ju(&json_task(&j, 2)["exit_code"]), 4);
    assert_eq!(json_task(&j, 2)["console"], "\u{FFFD}\u{FFFD}\u{FFFD}\u{0}");
}

#[test]
fn data_load_address_is_honoured_and_checked() {
    let dir = scratch_dir("dataaddr");
    // .data at 0x6000: the image records it (v2 metadata type 0x10) and runs the same.
    let src = dir.join("moved.mvasm");
    std::fs::write(&src, ".data 0x6000\nv: .word 42\n.text\nmain: LDI32 R1, v\nLD R0, [R1]\nRET\n").unwrap();
    let hxe = dir.join("moved.hxe");
    assert_eq!(hsx(&["asm", &ps(&src), "-o", &ps(&hxe)]).code, 0);
    let img = isa::hxe::Image::parse(&std::fs::read(&hxe).unwrap()).unwrap();
    assert_eq!(img.data_addr, 0x6000);
    for spec in [&src, &hxe] {
        let out = hsx(&["run", "--json", &ps(spec)]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let j = out.json();
        assert_eq!(ju(&json_task(&j, 1)["exit_code"]), 42);
        assert_eq!(ju(&json_task(&j, 1)["regs"][1]), 0x6000);
    }
    // Data where the first stack arena goes: the spawn is refused (bad input, exit 2).
    let high = dir.join("high.mvasm");
    std::fs::write(&high, ".data 0xF000\nv: .word 1\n.text\nmain: RET\n").unwrap();
    let out = hsx(&["run", "--json", &ps(&high)]);
    assert_bad_input(&out, "arena over image data", "overlaps");
}

#[test]
fn stack_size_and_slice_options_reach_the_machine() {
    let out = hsx(&["run", "--json", "--stack-size", "0x100", "--slice", "3", WINDOWS, WINDOWS]);
    assert_eq!(out.code, 0);
    let j = out.json();
    let (t1, t2) = (json_task(&j, 1), json_task(&j, 2));
    assert_eq!((ju(&t1["stack_limit"]), ju(&t1["stack_top"])), (0xFFFC - 0x100, 0xFFFC));
    assert_eq!((ju(&t2["stack_limit"]), ju(&t2["stack_top"])), (0xFFFC - 0x200, 0xFFFC - 0x100));
    // Both start at `first` (the image's entry, offset 0).
    assert_eq!(ju(&t1["exit_code"]), 0x888);
    assert_eq!(ju(&t2["exit_code"]), 0x888);
}

#[test]
fn shell_scripted_through_stdin() {
    let script = "\
load tests/programs/windows.mvasm@first
load tests/programs/windows.mvasm@second
ps
clock step 3 -p 1
dumpregs 1
peek 0x1014 4
poke 0x1014 01000000
dumpregs 1
mbox
sched stats
kill 2
mbox
run
ps
quit
ps
";
    let out = hsx_stdin(&["shell"], script);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let o = &out.stdout;
    let has = |s: &str| assert!(o.contains(s), "shell output lacks `{s}`:\n{o}");
    has("loaded tests/programs/windows.mvasm@first as pid 1");
    has("loaded tests/programs/windows.mvasm@second as pid 2");
    // ps: both READY at their entries (first at 0, second at 8) with their stacks.
    let first_ps: Vec<&str> = o.lines().skip_while(|l| !l.starts_with("PID STATE")).skip(1).take(2).collect();
    let c1: Vec<&str> = first_ps[0].split_whitespace().collect();
    let c2: Vec<&str> = first_ps[1].split_whitespace().collect();
    assert_eq!(&c1[..4], &["1", "READY", "0x0000", "0xFFFC"], "{first_ps:?}");
    assert_eq!(&c2[..4], &["2", "READY", "0x0008", "0xEFFC"], "{first_ps:?}");
    // clock step 3 -p 1: three steps of pid 1 only.
    let steps: Vec<&str> = o.lines().filter(|l| l.starts_with("step ")).collect();
    assert_eq!(steps.len(), 3, "{o}");
    assert!(steps.iter().all(|l| l.contains("pid 1")));
    assert!(
        steps[0].contains("LDI R5, 273") && steps[1].contains("JMP") && steps[2].contains("LDI R6, 3"),
        "{steps:?}"
    );
    has("3 step(s); steps=3 ticks=3");
    // dumpregs reads the window through reg_base.
    has("reg_base 0x1000");
    has("stack_limit 0xEFFC");
    has("stack_top 0xFFFC");
    has("R5  = 0x00000111 @0x1014");
    has("R6  = 0x00000003 @0x1018");
    // peek shows the same bytes; poke changes the register.
    has("1014: 11 01 00 00");
    has("wrote 4 byte(s) at 0x1014");
    has("R5  = 0x00000001 @0x1014");
    // mbox: each task's stdio and pid: descriptors; pid 2's go with it at kill.
    has("svc:stdio.in@1");
    has("pid:2");
    has("killed pid 2");
    let after_kill = &o[o.find("killed pid 2").unwrap()..];
    let mbox2 = &after_kill[..after_kill.find(" steps, outcome").unwrap()];
    assert!(!mbox2.contains("pid:2") && !mbox2.contains("@2"), "pid 2's descriptors destroyed:\n{mbox2}");
    assert!(mbox2.contains("pid:1"));
    // sched stats: pid 1 ran 3 steps, pid 2 none.
    let stats = o.lines().skip_while(|l| !l.starts_with("PID STEPS")).skip(1).take(2).collect::<Vec<_>>();
    let cols = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(&cols(stats[0])[..2], &["1", "3"], "{stats:?}");
    assert_eq!(&cols(stats[1])[..2], &["2", "0"], "{stats:?}");
    // run: pid 1 finishes (R5 was poked to 1: exit 8) in 3*4 + 2 more steps.
    has("14 steps, outcome: finished");
    let last_ps = &o[o.rfind("PID STATE").unwrap()..];
    assert!(last_ps.contains("RETURNED") && last_ps.contains("exit 8"), "{last_ps}");
    // Nothing after quit ran.
    assert_eq!(o.matches("PID STATE").count(), 2);
}

#[test]
fn shell_script_with_failed_commands_exits_1_and_counts_them() {
    let script = "\
load examples/hello.mvasm
peek 0 zz
peek 0xFFFFFFFFFFFFFFFF 16
poke 0 éé
kill 5
pause 6
clock step -5
ps
";
    let out = hsx_stdin(&["shell"], script);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let e = &out.stderr;
    for s in [
        "error: line 2: peek: LEN `zz` is not a number (decimal or 0x… hex)",
        "error: line 3: peek: ADDR 0xFFFFFFFFFFFFFFFF is outside data memory (0..0x10000)",
        "error: line 4: poke: HEXBYTES `éé` is not hex digits",
        "error: line 5: kill: no such task: slot 5 is empty",
        "error: line 6: pause: no such task: slot 6 is empty",
        "error: line 7: clock step: N `-5` must be ≥ 1",
        "hsx shell: 6 of 8 command(s) failed",
    ] {
        assert!(e.contains(s), "stderr lacks `{s}`:\n{e}");
    }
    // The commands that worked still printed their output.
    assert!(out.stdout.contains("loaded examples/hello.mvasm as pid 1"), "{}", out.stdout);
    assert!(out.stdout.contains("PID STATE"), "{}", out.stdout);
    // A clean script exits 0.
    let out = hsx_stdin(&["shell", "examples/hello.mvasm"], "run\nps\n");
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn shell_run_without_a_count_stops_at_max_steps() {
    let dir = scratch_dir("shell-spin");
    let spin = dir.join("spin.mvasm");
    std::fs::write(&spin, "main: JMP main\n").unwrap();
    let out = hsx_stdin(&["shell", "--max-steps", "5000", &ps(&spin)], "run\nrun 7\n");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("5000 steps, outcome: max_steps (stopped after the cap of 5000 steps"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("7 steps, outcome: max_steps"), "{}", out.stdout);
    let out = hsx_stdin(&["shell", "--max-steps", "0"], "");
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn run_entry_number_too_large_says_so() {
    let out = hsx(&["run", "examples/hello.mvasm@0x10000000000"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("examples/hello.mvasm@0x10000000000: entry `0x10000000000` is too large"),
        "{}",
        out.stderr
    );
    let out = hsx(&["run", "examples/hello.mvasm@99999999999999999999999"]);
    assert!(out.stderr.contains("`99999999999999999999999` is too large"), "{}", out.stderr);
    let out = hsx(&["run", "examples/hello.mvasm@-4"]);
    assert!(out.stderr.contains("entry `-4` is negative"), "{}", out.stderr);
}

/// A valid report.json (the fuzz corpus' seed over hello.mvasm) as a JSON value.
fn seed_report() -> Value {
    let c = cosim::fuzz::Corpus::load(&root()).expect("corpus");
    let (i, _) = c.sources.iter().enumerate().find(|(_, (p, _))| p.ends_with("hello.mvasm")).expect("hello");
    serde_json::from_str(&c.reports[i]).unwrap()
}

#[test]
fn replay_checks_the_report_like_the_cli_checks_its_options() {
    let dir = scratch_dir("replay-bad");
    let path = dir.join("report.json");
    let replay = |v: &Value| {
        std::fs::write(&path, serde_json::to_string_pretty(v).unwrap()).unwrap();
        hsx(&["replay", &ps(&path)])
    };
    type Edit = fn(&mut Value);
    let cases: &[(&str, Edit, &str)] = &[
        (
            "mutant 200",
            |v| {
                v["config"]["mutant"] = 200.into();
                v["mutant"] = 200.into();
            },
            "field `config.mutant`: 200 is not a mutant of this build (0 = the real RTL",
        ),
        ("mutant mismatch", |v| v["mutant"] = 2.into(), "field `mutant`: 2 disagrees with config.mutant (1)"),
        (
            "ticks_per_ms 0",
            |v| v["case"]["settings"]["ticks_per_ms"] = 0.into(),
            "field `case.settings.ticks_per_ms`: 0 must be at least 1 (as --ticks-per-ms)",
        ),
        (
            "slice 0",
            |v| v["case"]["settings"]["slice"] = 0.into(),
            "field `case.settings.slice`: 0 must be at least 1 (as --slice)",
        ),
        (
            "stack 6",
            |v| v["case"]["settings"]["stack_size"] = 6.into(),
            "field `case.settings.stack_size`: 6 must be a multiple of 4 and at least 16 (as --stack-size)",
        ),
        ("seed", |v| v["seed"] = Value::Null, "field `seed`: null disagrees with case.seed (7)"),
        ("stuck 0", |v| v["config"]["stuck_cycles"] = 0.into(), "field `config.stuck_cycles`: 0 must be at least 1"),
        ("no specs", |v| v["case"]["specs"] = serde_json::json!([]), "field `case.specs`: is empty"),
        (
            "9 specs",
            |v| v["case"]["specs"] = Value::from(vec!["hello.mvasm"; 9]),
            "field `case.specs`: 9 programs, but the machine has 8 task slots",
        ),
        (
            "unknown file",
            |v| v["case"]["specs"][0] = "other.mvasm".into(),
            "field `case.specs[0]`: `other.mvasm` names `other.mvasm`, which is not in case.files",
        ),
        (
            "bad hex",
            |v| v["case"]["files"][1]["hex"] = "48é5".into(),
            "field `case.files[1].hex`: not hex digit pairs (character 2)",
        ),
        (
            "odd hex",
            |v| v["case"]["files"][1]["hex"] = "485".into(),
            "field `case.files[1].hex`: not hex digit pairs (character 3)",
        ),
        (
            "both",
            |v| v["case"]["files"][1]["text"] = "x".into(),
            "field `case.files[1].text`: a file has text or hex, not both",
        ),
        ("window", |v| v["window_ref"] = serde_json::json!([1, 2]), "field `window_ref`: has 2 registers, not 16"),
        (
            "slice > u32",
            |v| v["case"]["settings"]["slice"] = serde_json::json!(4294967296u64),
            "not a hsx report: invalid value: integer `4294967296`",
        ),
        (
            "no case",
            |v| {
                v.as_object_mut().unwrap().remove("case");
            },
            "not a hsx report: missing field `case`",
        ),
    ];
    for (what, edit, msg) in cases {
        let mut v = seed_report();
        edit(&mut v);
        let out = replay(&v);
        assert_eq!(out.code, 2, "{what}: {}", out.stderr);
        assert!(out.stderr.contains(&format!("{}: ", path.display())), "{what}: names the file: {}", out.stderr);
        assert!(out.stderr.contains(msg), "{what}: expected `{msg}` in:\n{}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
    }
    // Not JSON at all, and not UTF-8.
    std::fs::write(&path, b"\xff\xfe{").unwrap();
    let out = hsx(&["replay", &ps(&path)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("not a hsx report"), "{}", out.stderr);
}
