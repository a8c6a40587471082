//! The programs in `examples/`, run through `hsx run --json` as the README shows them.
//! Every expected number is derived from the spec by hand (comments show the sums).

use hsx_tests::*;
use serde_json::{json, Value};

#[test]
fn hello() {
    let out = hsx(&["run", "--json", "examples/hello.mvasm"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // LDI32, LDI, UART_WRITE, GET_STEPS (-> 3, the steps before it), EXIT.
    let expected = json!({
        "outcome": "finished", "steps": 5, "ticks": 5,
        "tasks": [{
            "pid": 1, "spec": "examples/hello.mvasm", "state": "RETURNED",
            "exit_code": 3, "fault": null,
            "pc": 24, "psw": 0, "sp": 65532, "reg_base": 4096,
            "stack_limit": 61436, "stack_top": 65532,
            "regs": [3, 0x4000, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 65532],
            "accounted_steps": 5, "console": "hello from HSX\n",
            "console_bytes": 15, "console_omitted": 0
        }]
    });
    assert_eq!(out.json(), expected);
    // The human summary (with the console) goes to stderr.
    assert!(out.stderr.contains("[1] hello from HSX"), "{}", out.stderr);
}

#[test]
fn demo_producer_consumer() {
    let out = hsx(&["run", "--json", "examples/demo.mvasm@producer", "examples/demo.mvasm@consumer"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    assert_eq!(j["outcome"], "finished");
    let (p, c) = (json_task(&j, 1), json_task(&j, 2));
    assert_eq!((p["state"].as_str(), ju(&p["exit_code"])), (Some("RETURNED"), 0));
    assert_eq!((c["state"].as_str(), ju(&c["exit_code"])), (Some("RETURNED"), 3));
    assert_eq!(p["console"], "");
    assert_eq!(c["console"], "one\ntwo\nthree\n");
    // The consumer's last RECV: OK, 6 bytes ("three\n"), flags 0, channel 7, from pid 1.
    // R2 = 6 (the UART_WRITE length), R3 = channel 7, R4 = src pid 1, R9 = 6 bytes copied.
    let r = json_regs(c);
    assert_eq!((r[2], r[3], r[4], r[9]), (6, 7, 1, 6));
    assert_eq!(r[0], 3);
}

#[test]
fn sleep_with_ten_ticks_per_ms() {
    let out =
        hsx(&["run", "--json", "--ticks-per-ms", "10", "examples/sleep.mvasm@sleeper", "examples/sleep.mvasm@waiter"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    // Ticks: sleeper LDI (0), waiter LDI32 (1), SLEEP at 2 -> deadline 52; the waiter's
    // OPEN, LDI32, LDI, LDI, LDI32 (3..7), RECV at 8 -> deadline 28. Idle jump to 28,
    // EXIT(7) -> 29; idle jump to 52, GET_STEPS (2), EXIT -> 54. 4 + 8 = 12 steps.
    assert_eq!(j["outcome"], "finished");
    assert_eq!((ju(&j["steps"]), ju(&j["ticks"])), (12, 54));
    let (s, w) = (json_task(&j, 1), json_task(&j, 2));
    assert_eq!(ju(&s["exit_code"]), 2);
    assert_eq!(ju(&s["accounted_steps"]), 4);
    assert_eq!(ju(&w["exit_code"]), 7, "TIMEOUT");
    assert_eq!(&json_regs(w)[..5], &[7, 0, 0, 0, 0], "R0 = TIMEOUT, R1..R4 = 0");
    assert_eq!(ju(&w["accounted_steps"]), 8);
}

#[test]
fn sleep_with_the_default_ticks_per_ms() {
    let out = hsx(&["run", "--json", "examples/sleep.mvasm@sleeper", "examples/sleep.mvasm@waiter"]);
    assert_eq!(out.code, 0);
    let j = out.json();
    // Deadlines 2 + 5 * 1000 and 8 + 2 * 1000: the run ends at tick 5002 + 2.
    assert_eq!((ju(&j["steps"]), ju(&j["ticks"])), (12, 5004));
}

#[test]
fn overflow_faults_one_task_and_the_other_finishes() {
    let out = hsx(&["run", "--json", "examples/overflow.mvasm@deep", "examples/overflow.mvasm@worker"]);
    assert_eq!(out.code, 1, "a FAULTED task makes the exit code 1");
    let j = out.json();
    assert_eq!(j["outcome"], "finished");
    let (d, w) = (json_task(&j, 1), json_task(&j, 2));
    assert_eq!(d["state"], "FAULTED");
    assert_eq!(d["exit_code"], Value::Null);
    assert_eq!(ju(&d["fault"]), 4294967043);
    assert_eq!(ju(&d["regs"][0]), 0xFFFF_FF03);
    // PUSH + CALL: 8 bytes a level, 512 levels fill 4 KiB; the 513th PUSH faults at pc 0.
    assert_eq!(ju(&d["accounted_steps"]), 1025);
    assert_eq!(ju(&d["pc"]), 0);
    assert_eq!(ju(&d["sp"]), ju(&d["stack_limit"]));
    assert_eq!(w["state"], "RETURNED");
    assert_eq!(ju(&w["exit_code"]), 5050);
    // LDI x3, 100 x (ADD, SUB, JNZ), RET.
    assert_eq!(ju(&w["accounted_steps"]), 304);
    assert_eq!(ju(&j["steps"]), 1025 + 304);
    assert!(out.stderr.contains("STACK_OVERFLOW"), "{}", out.stderr);
}

#[test]
fn every_example_assembles() {
    for e in ["hello.mvasm", "demo.mvasm", "sleep.mvasm", "overflow.mvasm"] {
        let src = std::fs::read_to_string(example_path(e)).unwrap();
        assemble(&src);
    }
}
