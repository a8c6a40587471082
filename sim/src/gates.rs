//! Quality gates of the RTL, run as tests so `cargo test --workspace` (CI) enforces them:
//! Verilator `-Wall` lint, Yosys synthesis with no latches, and the FPU's bit-exact
//! testbench. Each runs the project's script for it.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("sim lives in the workspace").to_path_buf()
}

fn run(script: &str, args: &[&str]) {
    let out = Command::new("bash")
        .arg(root().join(script))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    assert!(out.status.success(), "{script} failed:\n{text}");
}

#[test]
fn verilator_lint_wall_is_clean() {
    run("rtl/lint.sh", &[]);
}

#[test]
fn yosys_synthesizes_without_latches() {
    run("rtl/synth.sh", &[]);
}

#[test]
fn fpu_matches_binary16_reference() {
    // 300 000 random pairs per operation plus the exhaustive and edge sets.
    run("rtl/tb/fpu/run.sh", &["300000"]);
}
