//! Programs written for the HSX prototype's tools (issue 11): `.include`, multi-module
//! links, address operators, metadata, stdio mailboxes mirrored on the console, `--stdin`,
//! data placement of several `.mvasm` SPECs. The programs are our own
//! (`tests/programs/interop/`); where bytes are pinned, the expected file is what the
//! prototype's `asm.py` + `hld.py` produced from these same sources.

use hsx_tests::*;

const DIR: &str = "tests/programs/interop";

fn prog(name: &str) -> String {
    format!("{DIR}/{name}")
}

fn hex(lines: &[&str]) -> Vec<u8> {
    let s: String = lines.concat();
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect()
}

/// The prototype's `hld.py -o linked.hxe mod_main.hxo mod_util.hxo` (v2 header with app
/// name "linked" and flag 0x0002, code, data, and the value/command/mailbox metadata).
const LINKED: &[&str] = &[
    "48535845000200020000000000000040000000140000000000000000037d0bd96c696e6b656400000000000000000000",
    "00000000000000000000000000000000000000b400000003000000000000000000000000000000000000000000000000",
    "601000000000400802210000013000006040000000004004015000002400000230000100100220002500000060100000",
    "00004004012000000301200025000000687378000000000015000000070000000400010200000001000000e40000001e",
    "000000010000000200000102000000270000000100000003000001290000005a00000002010200003e000014001a0000",
    "000056400000000073706565640072706d00010100000000002c00100016000000007265736574007a65726f20746865",
    "20636f756e746572007b226d61696c626f786573223a5b7b226361706163697479223a34382c22746172676574223a22",
    "6170703a7374617473227d2c7b22746172676574223a227376633a7574696c2e6c6f67227d5d2c2276657273696f6e22",
    "3a317d",
];

#[test]
fn two_modules_link_byte_for_byte_like_the_prototype() {
    let dir = scratch_dir("interop-link");
    let out = dir.join("linked.hxe");
    let r = hsx(&["asm", &prog("mod_main.mvasm"), &prog("mod_util.mvasm"), "-o", &out.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), hex(LINKED));

    // It runs: main loads util's table (21), calls util's `twice`, exits with 42.
    let r = hsx(&["run", "--json", &out.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ju(&json_task(&r.json(), 1)["exit_code"]), 42);

    // The declared mailboxes exist once the task is spawned; values and commands are
    // listed by the shell.
    let args = cosim::cli::MachineArgs { slice: 1, stack_size: 0x1000, no_protect: false, ticks_per_ms: 1000 };
    let (sys, _) = cosim::cli::build_ref_system(&args, &[out.display().to_string()]).unwrap();
    let boxes: Vec<(String, u32)> = sys.exec.mailboxes().into_iter().map(|m| (m.target, m.capacity)).collect();
    assert!(boxes.contains(&("app:stats".to_string(), 48)), "{boxes:?}");
    assert!(boxes.contains(&("svc:util.log@1".to_string(), 64)), "{boxes:?}");
    let r = hsx_stdin(&["shell"], &format!("load {}\nmeta\n", out.display()));
    assert!(r.stdout.contains("value 1:2 speed unit rpm"), "{}", r.stdout);
    assert!(r.stdout.contains("init 1.5"), "{}", r.stdout);
    assert!(r.stdout.contains("cmd 1:1 reset handler 0x002C"), "{}", r.stdout);
    assert!(r.stdout.contains("mailbox app:stats capacity 48"), "{}", r.stdout);
}

#[test]
fn link_order_decides_the_layout_and_errors_name_file_line_col() {
    let dir = scratch_dir("interop-link-errors");
    let w = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let a = w("a.mvasm", ".export f\n.entry f\n.text\nf:\n    RET\n");
    let b = w("b.mvasm", ".import g\n.export f\nf:\n    CALL g\n");
    let r = hsx(&["asm", &a, &b, "-o", &dir.join("x.hxe").display().to_string()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("{b}:3:1: duplicate symbol `f`: also exported at {a}:4")), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{b}:1:9: unresolved import `g`: no module exports it")), "{}", r.stderr);

    // A name neither defined nor declared in a module is undefined there, even if
    // another module exports it.
    let c = w("c.mvasm", "main:\n    CALL helper\n");
    let d = w("d.mvasm", ".export helper\nhelper:\n    RET\n");
    let r = hsx(&["asm", &c, &d, "-o", &dir.join("y.hxe").display().to_string()]);
    assert!(r.stderr.contains(&format!("{c}:2:10: undefined label `helper`")), "{}", r.stderr);
}

#[test]
fn includes_search_the_includer_then_dash_i_and_report_the_chain() {
    let dir = scratch_dir("interop-include");
    std::fs::create_dir_all(dir.join("sys")).unwrap();
    std::fs::write(dir.join("sys/exit.inc"), "quit:\n    SVC 0x100\n").unwrap();
    std::fs::write(
        dir.join("main.mvasm"),
        ".include \"exit.inc\"\n.entry start\nstart:\n    LDI R0, 5\n    JMP quit\n",
    )
    .unwrap();
    let main = dir.join("main.mvasm").display().to_string();
    let out = dir.join("main.hxe").display().to_string();
    let r = hsx(&["asm", &main, "-o", &out]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot include `exit.inc`: not found"), "{}", r.stderr);
    let r = hsx(&["asm", &main, "-I", &dir.join("sys").display().to_string(), "-o", &out]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = hsx(&["run", "--json", &out]);
    assert_eq!(ju(&json_task(&r.json(), 1)["exit_code"]), 5);

    std::fs::write(dir.join("a.inc"), "\n.include \"b.inc\"\n").unwrap();
    std::fs::write(dir.join("b.inc"), ".include \"a.inc\"\n").unwrap();
    std::fs::write(dir.join("top.mvasm"), ".include \"a.inc\"\nRET\n").unwrap();
    let d = dir.display().to_string();
    let r = hsx(&["asm", &format!("{d}/top.mvasm"), "-o", &out]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!(
            "{d}/b.inc:1:10: include cycle: {d}/top.mvasm:1 -> {d}/a.inc:2 -> {d}/b.inc:1 -> {d}/a.inc"
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn mailbox_demo_runs_unmodified_with_data_placed_apart() {
    // Both programs put their data at 0x4000 by default; the second is placed after the
    // first. The receiver's SENDs to stdio.out/err show on its console.
    let r = hsx(&["run", "--json", &prog("sender.mvasm"), &prog("receiver.mvasm")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    // The console holds both streams in write order; printed, stdout lines go to stdout and
    // stderr lines to hsx's stderr (docs/console.md).
    assert_eq!(json_task(&j, 1)["console"], "sent\n");
    assert_eq!(json_task(&j, 2)["console"], "hello, receiverdone\n");
    assert_eq!(ju(&json_task(&j, 2)["exit_code"]), 7);
    let human = hsx(&["run", &prog("sender.mvasm"), &prog("receiver.mvasm")]);
    assert!(human.stdout.starts_with("[1] sent\n[2] hello, receiver\n"), "{}", human.stdout);
    assert!(!human.stdout.contains("done"), "{}", human.stdout);
    assert!(human.stderr.contains("[2] done\n"), "{}", human.stderr);

    // The RTL engine prints the same, and the lockstep agrees (consoles included).
    let rtl = hsx(&["run", "--json", "--engine", "rtl", &prog("sender.mvasm"), &prog("receiver.mvasm")]);
    assert_eq!(rtl.json(), j);
    let c = hsx(&["cosim", &prog("sender.mvasm"), &prog("receiver.mvasm")]);
    assert_eq!(c.code, 0, "{}{}", c.stdout, c.stderr);
    assert!(c.stdout.starts_with("agree:"), "{}", c.stdout);

    // Images with fixed data addresses are not moved: the existing error, plus a hint.
    let dir = scratch_dir("interop-placement");
    let (s, rcv) = (dir.join("s.hxe").display().to_string(), dir.join("r.hxe").display().to_string());
    assert_eq!(hsx(&["asm", &prog("sender.mvasm"), "-o", &s]).code, 0);
    assert_eq!(hsx(&["asm", &prog("receiver.mvasm"), "-o", &rcv]).code, 0);
    let r = hsx(&["run", &s, &rcv]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("overlaps image"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: every image needs its own data addresses"), "{}", r.stderr);
}

#[test]
fn stdin_options_and_the_shell_feed_stdio_in() {
    let echo = prog("echo.mvasm");
    let r = hsx(&["run", &echo]);
    assert_eq!(r.code, 0, "the task returns (exit 1) — run's exit code is 0");
    assert!(r.stderr.contains("[1] no input\n"), "{}", r.stderr);

    let r = hsx(&["run", "--json", "--stdin", "1=ping", &echo]);
    assert_eq!(json_task(&r.json(), 1)["console"], "got: ping");

    // One message per line of the file; the task reads the first.
    let dir = scratch_dir("interop-stdin");
    let f = dir.join("in.txt");
    std::fs::write(&f, "first line\nsecond\n").unwrap();
    let r = hsx(&["run", "--json", "--stdin-file", &format!("1={}", f.display()), &echo]);
    assert_eq!(json_task(&r.json(), 1)["console"], "got: first line\n");
    let r = hsx(&["run", "--stdin", "2=x", &echo]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("stdin for pid 2: no such task"), "{}", r.stderr);

    let c = hsx(&["cosim", "--stdin", "1=ping", &echo]);
    assert!(c.stdout.starts_with("agree:"), "{}{}", c.stdout, c.stderr);

    let r = hsx_stdin(&["shell"], &format!("load {echo}\nsend 1 hi there\nrun\nmbox\n"));
    assert!(r.stdout.contains("sent 8 bytes to svc:stdio.in of pid 1"), "{}", r.stdout);
    assert!(r.stdout.contains("outcome: finished"), "{}", r.stdout);
}
