//! Unit tests of the shell: command parsing and execution on a reference machine.

use super::*;

fn shell() -> Shell {
    let sys = System::new(&vm_ref::MachineConfig::default(), vm_ref::exec::ExecConfig::default());
    Shell::new(sys)
}

fn example(name: &str) -> String {
    format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn err(sh: &mut Shell, line: &str) -> String {
    match sh.exec_line(line) {
        Some(Err(e)) => e.to_string(),
        other => panic!("`{line}` did not fail: {other:?}"),
    }
}

fn ok(sh: &mut Shell, line: &str) -> String {
    match sh.exec_line(line) {
        Some(Ok(s)) => s,
        other => panic!("`{line}` failed: {other:?}"),
    }
}

#[test]
fn peek_and_poke_near_2_pow_64_and_non_ascii_hex_are_errors() {
    let mut sh = shell();
    assert_eq!(
        err(&mut sh, "peek 0xFFFFFFFFFFFFFFFF 16"),
        "peek: ADDR 0xFFFFFFFFFFFFFFFF is outside data memory (0..0x10000)"
    );
    assert_eq!(
        err(&mut sh, "peek 0xFFF0 0xFFFFFFFFFFFFFFFF"),
        "peek: LEN 18446744073709551615 byte(s) at 0xFFF0 run past the end of data memory (0x10000)"
    );
    assert_eq!(
        err(&mut sh, "peek 0xFFF8 9"),
        "peek: LEN 9 byte(s) at 0xFFF8 run past the end of data memory (0x10000)"
    );
    assert!(ok(&mut sh, "peek 0xFFF8 8").starts_with("FFF8: 00"));
    assert_eq!(
        err(&mut sh, "poke 0xFFFFFFFFFFFFFFFF 00"),
        "poke: ADDR 0xFFFFFFFFFFFFFFFF is outside data memory (0..0x10000)"
    );
    assert_eq!(
        err(&mut sh, "poke 0xFFFF 0102"),
        "poke: LEN 2 byte(s) at 0xFFFF run past the end of data memory (0x10000)"
    );
    assert_eq!(err(&mut sh, "poke 0 éé"), "poke: HEXBYTES `éé` is not hex digits");
    assert_eq!(err(&mut sh, "poke 0 aé"), "poke: HEXBYTES `aé` is not hex digits");
    assert_eq!(err(&mut sh, "poke 0 abc"), "poke: HEXBYTES `abc` has an odd number (3) of hex digits");
    assert_eq!(err(&mut sh, "poke 0 +1"), "poke: HEXBYTES `+1` is not hex digits");
    assert_eq!(ok(&mut sh, "poke 0xFFFF 7f"), "wrote 1 byte(s) at 0xFFFF");
    assert_eq!(sh.sys.machine.dmem[0xFFFF], 0x7F);
    assert_eq!(ok(&mut sh, "poke 0x10 0xCAFE"), "wrote 2 byte(s) at 0x0010");
    assert_eq!(sh.sys.machine.dmem[0x10..0x12], [0xCA, 0xFE]);
}

#[test]
fn malformed_numbers_are_errors_not_defaults() {
    let mut sh = shell();
    assert_eq!(err(&mut sh, "peek 0 zz"), "peek: LEN `zz` is not a number (decimal or 0x… hex)");
    assert_eq!(err(&mut sh, "peek 0 0"), "peek: LEN `0` must be ≥ 1");
    assert_eq!(err(&mut sh, "peek zz"), "peek: ADDR `zz` is not a number (decimal or 0x… hex)");
    assert_eq!(err(&mut sh, "peek -1 4"), "peek: ADDR `-1` must be ≥ 0");
    assert_eq!(err(&mut sh, "peek"), "peek: missing ADDR (usage: peek ADDR [LEN])");
    assert_eq!(err(&mut sh, "peek 0 4 4"), "peek: unexpected argument `4` (usage: peek ADDR [LEN])");
    assert_eq!(err(&mut sh, "sched stats x"), "sched stats: N `x` is not a number (decimal or 0x… hex)");
    assert_eq!(err(&mut sh, "sched"), "sched stats: missing `stats` (usage: sched stats [N])");
    assert_eq!(err(&mut sh, "clock step -5"), "clock step: N `-5` must be ≥ 1");
    assert_eq!(err(&mut sh, "clock step 0"), "clock step: N `0` must be ≥ 1");
    assert_eq!(
        err(&mut sh, "clock step 1 2"),
        "clock step: unexpected argument `2` (N given twice) (usage: clock step [N] [-p PID])"
    );
    assert_eq!(err(&mut sh, "clock step -p"), "clock step: `-p` needs a PID (usage: clock step [N] [-p PID])");
    assert_eq!(err(&mut sh, "clock step -q 1"), "clock step: unknown option `-q` (usage: clock step [N] [-p PID])");
    assert_eq!(err(&mut sh, "clock step -p 0"), "clock step: PID `0` must be ≥ 1");
    assert_eq!(err(&mut sh, "clock step -p 9"), "clock step: PID 9 is not a task slot (1..=8)");
    assert_eq!(err(&mut sh, "clock tick"), "clock step: unknown subcommand `tick` (usage: clock step [N] [-p PID])");
    assert_eq!(
        err(&mut sh, "run 99999999999999999999999"),
        "run: N `99999999999999999999999` is too large (more than 64 bits)"
    );
    assert_eq!(err(&mut sh, "run 0"), "run: N `0` must be ≥ 1");
    assert_eq!(err(&mut sh, "dumpregs 300"), "dumpregs: PID 300 is not a task slot (1..=8)");
    assert_eq!(err(&mut sh, "ps all"), "ps: unexpected argument `all` (usage: ps)");
    assert_eq!(err(&mut sh, "frobnicate"), "unknown command `frobnicate` (try `help`)");
    assert_eq!(err(&mut sh, "load"), "load: missing SPEC (usage: load FILE[@ENTRY])");
    assert!(err(&mut sh, "load /nonexistent.mvasm").starts_with("load: /nonexistent.mvasm: "));
}

#[test]
fn kill_pause_resume_of_an_empty_slot_say_there_is_no_such_task() {
    let mut sh = shell();
    assert_eq!(err(&mut sh, "kill 3"), "kill: no such task: slot 3 is empty");
    assert_eq!(err(&mut sh, "clock step 2 -p 3"), "clock step: no such task: slot 3 is empty");
    assert_eq!(err(&mut sh, "peek \u{FFFD}"), "peek: ADDR `\u{FFFD}` is not a number (decimal or 0x… hex)");
    assert_eq!(err(&mut sh, "pause 3"), "pause: no such task: slot 3 is empty");
    assert_eq!(err(&mut sh, "resume 3"), "resume: no such task: slot 3 is empty");
    let hello = example("hello.mvasm");
    assert_eq!(ok(&mut sh, &format!("load {hello}")), format!("loaded {hello} as pid 1"));
    assert_eq!(err(&mut sh, "resume 1"), "resume: pid 1 is READY; only a PAUSED task can be resumed");
    assert_eq!(ok(&mut sh, "pause 1"), "pid 1: PAUSED");
    assert_eq!(err(&mut sh, "pause 1"), "pause: pid 1 is PAUSED; only a READY or RUNNING task can be paused");
    assert_eq!(ok(&mut sh, "resume 1"), "pid 1: READY");
    assert_eq!(ok(&mut sh, "kill 1"), "killed pid 1");
    assert_eq!(err(&mut sh, "kill 1"), "kill: no such task: slot 1 is empty");
}

#[test]
fn run_without_a_count_stops_at_the_cap() {
    let mut sh = shell();
    sh.max_steps = 1000;
    // A task that never ends: `spin` loops forever.
    let src = std::env::temp_dir().join(format!("hsx-shell-spin-{}.mvasm", std::process::id()));
    std::fs::write(&src, "main: JMP main\n").unwrap();
    ok(&mut sh, &format!("load {}", src.display()));
    let out = ok(&mut sh, "run");
    assert!(out.starts_with("1000 steps, outcome: max_steps (stopped after the cap of 1000 steps"), "{out}");
    assert!(ok(&mut sh, "run 5").starts_with("5 steps, outcome: max_steps"));
    assert_eq!(sh.sys.machine.steps, 1005);
    let _ = std::fs::remove_file(&src);
    assert_eq!(sh.exec_line("quit"), None);
    assert_eq!(sh.exec_line("  ; a comment"), Some(Ok(String::new())));
}

#[test]
fn send_and_meta_errors_name_the_command_and_argument() {
    let mut sh = shell();
    assert_eq!(err(&mut sh, "send"), "send: missing PID (usage: send PID TEXT)");
    assert_eq!(err(&mut sh, "send 1"), "send: missing TEXT (usage: send PID TEXT)");
    assert_eq!(err(&mut sh, "send 1   ; only a comment"), "send: missing TEXT (usage: send PID TEXT)");
    assert_eq!(err(&mut sh, "send x hi"), "send: PID `x` is not a number (decimal or 0x… hex)");
    assert_eq!(err(&mut sh, "send 0 hi"), "send: PID `0` must be ≥ 1");
    assert_eq!(err(&mut sh, "send 9 hi"), "send: PID 9 is not a task slot (1..=8)");
    assert_eq!(err(&mut sh, "send 2 hi"), "send: no such task: slot 2 is empty");
    assert_eq!(err(&mut sh, "meta all"), "meta: unexpected argument `all` (usage: meta)");
    assert_eq!(
        Command::parse("send 3   two  words  ; comment"),
        Ok(Command::Send { pid: 3, text: "two  words".into() })
    );
    let hello = example("hello.mvasm");
    ok(&mut sh, &format!("load {hello}"));
    assert!(ok(&mut sh, "meta").contains("hello.mvasm"));
}

#[test]
fn commands_print_back_to_themselves() {
    for line in [
        "help",
        "quit",
        "load a.mvasm@main",
        "ps",
        "clock step 3",
        "clock step 1 -p 2",
        "run",
        "run 7",
        "dumpregs 1",
        "peek 0x1000 16",
        "poke 0x4000 deadbeef",
        "mbox",
        "send 1 hi  there",
        "meta",
        "sched stats 4",
        "kill 2",
        "pause 2",
        "resume 2",
    ] {
        let c = Command::parse(line).unwrap();
        assert_eq!(c.to_string(), line);
        assert_eq!(Command::parse(&c.to_string()), Ok(c));
    }
    assert_eq!(Command::parse("clock step -p 2 4"), Ok(Command::ClockStep { n: 4, pid: Some(2) }));
    assert_eq!(Command::parse("peek 16"), Ok(Command::Peek { addr: 16, len: 16 }));
}
