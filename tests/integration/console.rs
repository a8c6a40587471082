//! Consoles are streams (executive.md "Console", docs/console.md): a task that prints
//! without end never grows the host's memory, in `hsx run` (both engines), `hsx cosim` and
//! `hsx regress`, and nothing it wrote is lost or hidden.
//!
//! Each test runs the real `hsx` binary on a program that UART_WRITEs 55 KiB (0x1400 ..
//! 0xF000: zeros, its `.data` line, zeros) in a loop, and reads the child's own peak RSS
//! (`wait4`). The reference engine prints 215 MiB; the RTL's executive reads memory over
//! the host bus (~3 simulated cycles a word), so the RTL-side runs print 16 MiB and are
//! compared with the same command printing one write: the growth must be far below what
//! keeping the console would cost (before streaming: ~2-3 bytes of memory per byte).

use hsx_tests::*;
use std::path::Path;

/// Bytes per UART_WRITE.
const WRITE: u64 = 0xDC00;

/// The flood program writing `n` times; `; cosim: .` makes it a directed regress case.
fn flood(n: u32) -> String {
    format!(
        "; cosim: .\n\
         ; flood.mvasm: UART_WRITE 0xDC00 bytes (0x1400..0xF000) {n} times\n\
         \x20       .data\n\
         msg:    .asciz \"flood line\\n\"\n\
         \x20       .text\n\
         \x20       .entry main\n\
         main:   LDI32 R1, 0x1400\n\
         \x20       LDI32 R2, 0xDC00\n\
         \x20       LDI32 R3, {n}\n\
         \x20       LDI   R4, 1\n\
         loop:   SVC   0x1, 0x01\n\
         \x20       SUB   R3, R3, R4\n\
         \x20       JNZ   loop\n\
         \x20       LDI   R0, 0\n\
         \x20       RET\n"
    )
}

const MIB: u64 = 1024;
/// The bound of issue 9, for any console volume.
const LIMIT_KIB: u64 = 256 * MIB;
/// Growth allowed over the same command printing one write (tails, buffers, allocator
/// slack): far below the 16 MiB printed.
const GROWTH_KIB: u64 = 12 * MIB;

/// A scratch directory with `flood.mvasm` writing `n` times.
fn flood_dir(tag: &str, n: u32) -> std::path::PathBuf {
    let d = scratch_dir(tag);
    std::fs::write(d.join("flood.mvasm"), flood(n)).unwrap();
    d
}

/// Run `args` (with `flood.mvasm` as the SPEC) in a directory writing `n` times.
fn measure(tag: &str, n: u32, args: &[&str]) -> Measured {
    let d = flood_dir(tag, n);
    let m = hsx_measured(&d, args);
    let _ = std::fs::remove_dir_all(&d);
    m
}

/// [`measure`] of a short run, as the baseline (see [`hsx_measured_baseline`]).
fn baseline(tag: &str, n: u32, args: &[&str]) -> Measured {
    let d = flood_dir(tag, n);
    let m = hsx_measured_baseline(&d, args);
    let _ = std::fs::remove_dir_all(&d);
    m
}

fn assert_bounded(what: &str, small: &Measured, big: &Measured) {
    assert!(
        big.peak_kib <= LIMIT_KIB && big.peak_kib <= small.peak_kib + GROWTH_KIB,
        "{what}: peak RSS {} KiB printing a lot vs {} KiB printing one write (limit {LIMIT_KIB} KiB, growth {GROWTH_KIB} KiB)",
        big.peak_kib,
        small.peak_kib
    );
}

/// Printed bytes of `n` writes: every console byte, plus `[1] ` per line, plus the `\n`
/// closing the last (partial) line; each line is shorter than a print piece.
fn printed(n: u64) -> u64 {
    n * WRITE + 4 * (n + 1) + 1
}

#[test]
fn run_ref_streams_215_mib_in_bounded_memory() {
    let n = 4000;
    let big = measure("flood-ref", n, &["run", "flood.mvasm"]);
    assert_eq!(big.code, 0, "{}", big.stderr.tail_text());
    let small = baseline("flood-ref1", 1, &["run", "flood.mvasm"]);
    assert_bounded("hsx run", &small, &big);
    // Every byte was printed, then the summary.
    let tail = big.stdout.tail_text();
    let summary = &tail[tail.find("outcome: finished").expect("summary")..];
    assert_eq!(big.stdout.bytes, printed(n as u64) + summary.len() as u64);
    assert!(big.stdout.head.starts_with(b"[1] \0\0\0"), "{:?}", &big.stdout.head[..8]);
    eprintln!("hsx run: {} MiB printed, peak {} KiB in {:.1} s", big.stdout.bytes >> 20, big.peak_kib, big.secs);
}

#[test]
fn run_json_keeps_a_tail_and_says_how_much_it_left_out() {
    let n = 4000;
    let d = flood_dir("flood-json", n);
    let (m, j) = hsx_measured_json(&d, &["run", "--json", "flood.mvasm"]);
    let _ = std::fs::remove_dir_all(&d);
    assert_eq!(m.code, 0, "{}", m.stderr.tail_text());
    assert!(m.peak_kib <= LIMIT_KIB, "peak {} KiB", m.peak_kib);
    // The console lines, then the summary, went to stderr: all of them.
    let tail = m.stderr.tail_text();
    let summary = &tail[tail.find("outcome: finished").expect("summary")..];
    assert_eq!(m.stderr.bytes, printed(n as u64) + summary.len() as u64);
    // stdout is the JSON object alone, bounded too (1 MiB of NULs is 6 MiB of \u0000).
    assert!(m.stdout.bytes < 8 << 20, "{} bytes of JSON", m.stdout.bytes);
    let t = json_task(&j, 1);
    let total = n as u64 * WRITE;
    assert_eq!(ju(&t["console_bytes"]), total);
    let shown = t["console"].as_str().unwrap();
    // Zeros and ASCII: one character per byte; the executive's default tail is 1 MiB.
    assert_eq!(shown.len(), vm_ref::exec::DEFAULT_CONSOLE_TAIL);
    assert_eq!(ju(&t["console_omitted"]), total - shown.len() as u64);
    assert!(shown.ends_with(&format!("flood line\n{}", "\0".repeat((0xF000 - 0x4000 - 11) as usize))));
}

#[test]
fn run_rtl_streams_in_bounded_memory() {
    let args = ["run", "--engine", "rtl", "flood.mvasm"];
    let n = 300;
    let big = measure("flood-rtl", n, &args);
    assert_eq!(big.code, 0, "{}", big.stderr.tail_text());
    let small = baseline("flood-rtl1", 1, &args);
    assert_bounded("hsx run --engine rtl", &small, &big);
    let tail = big.stdout.tail_text();
    let summary = &tail[tail.find("outcome: finished").expect("summary")..];
    assert_eq!(big.stdout.bytes, printed(n as u64) + summary.len() as u64);
    eprintln!("hsx run --engine rtl: peak {} KiB (one write: {}) in {:.1} s", big.peak_kib, small.peak_kib, big.secs);
}

#[test]
fn cosim_compares_consoles_in_bounded_memory() {
    let args = ["cosim", "--traces", "traces", "flood.mvasm"];
    let big = measure("flood-cosim", 300, &args);
    assert_eq!(big.code, 0, "{}{}", big.stdout.tail_text(), big.stderr.tail_text());
    assert!(big.stdout.tail_text().starts_with("agree:"), "{}", big.stdout.tail_text());
    let small = baseline("flood-cosim1", 1, &args);
    assert_bounded("hsx cosim", &small, &big);
    eprintln!("hsx cosim: peak {} KiB (one write: {}) in {:.1} s", big.peak_kib, small.peak_kib, big.secs);
}

/// A repository-like directory: the four shipped examples and `tests/programs/flood.mvasm`.
fn regress_dir(tag: &str, n: u32) -> std::path::PathBuf {
    let d = scratch_dir(tag);
    std::fs::create_dir_all(d.join("examples")).unwrap();
    for f in ["hello.mvasm", "demo.mvasm", "sleep.mvasm", "overflow.mvasm"] {
        std::fs::copy(example_path(f), d.join("examples").join(f)).unwrap();
    }
    std::fs::create_dir_all(d.join("tests/programs")).unwrap();
    std::fs::write(d.join("tests/programs/flood.mvasm"), flood(n)).unwrap();
    d
}

const REGRESS: [&str; 8] = ["regress", "--seeds", "0", "--jobs", "1", "--no-shrink", "--traces", "traces"];

fn regress(d: &Path) -> Measured {
    hsx_measured(d, &REGRESS)
}

#[test]
fn regress_directed_flood_in_bounded_memory() {
    let (db, ds) = (regress_dir("flood-regress", 300), regress_dir("flood-regress1", 1));
    let big = regress(&db);
    assert_eq!(big.code, 0, "{}{}", big.stdout.tail_text(), big.stderr.tail_text());
    let head = String::from_utf8_lossy(&big.stdout.head).into_owned();
    assert!(head.contains("5 cases run (5 directed, 0 random)") && head.contains("agreed 5"), "{head}");
    let small = hsx_measured_baseline(&ds, &REGRESS);
    assert_bounded("hsx regress", &small, &big);
    eprintln!("hsx regress: peak {} KiB (one write: {}) in {:.1} s", big.peak_kib, small.peak_kib, big.secs);
    let _ = std::fs::remove_dir_all(&db);
    let _ = std::fs::remove_dir_all(&ds);
}
