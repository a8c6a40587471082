//! Helpers shared by the integration tests (`tests/integration/*.rs`):
//!
//! * building reference systems straight from MVASM text ([`boot`], [`Boot`]), the way
//!   `hsx run` does (one image per distinct source, one task per entry, pids from 1);
//! * stepping helpers ([`step`], [`run_to_end`]);
//! * the `hsx` binary ([`hsx_bin`], [`hsx`]): built once per test run with the same cargo
//!   profile and target directory as this test binary;
//! * scratch directories and the repository's `examples/` and `tests/programs/`.
//!
//! Test helpers panic with a clear message on misuse (a test program that does not
//! assemble is a bug of the test).

use std::path::{Path, PathBuf};
use std::process::{Command as Proc, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use isa::asm::Program;
use isa::{Retire, TaskState};
use vm_ref::exec::{ExecConfig, SpawnOptions};
use vm_ref::system::System;
use vm_ref::MachineConfig;

// ---------------------------------------------------------------------------------------
// Paths

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `tests/programs/NAME`.
pub fn program_path(name: &str) -> PathBuf {
    root().join("tests").join("programs").join(name)
}

/// The source text of `tests/programs/NAME`.
pub fn program_source(name: &str) -> String {
    let p = program_path(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `examples/NAME`.
pub fn example_path(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

/// A fresh, empty scratch directory (under the system temp dir, unique per call).
pub fn scratch_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("hsx-tests-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

// ---------------------------------------------------------------------------------------
// Reference systems from source text

/// Assemble MVASM text; panics with the diagnostics if it does not assemble.
pub fn assemble(src: &str) -> Program {
    isa::asm::assemble(src, "<test>").unwrap_or_else(|e| panic!("test program does not assemble:\n{e}"))
}

/// The code offset of `.text` label `name` in `prog`.
pub fn label(prog: &Program, name: &str) -> u16 {
    prog.entry_label(name).unwrap_or_else(|| panic!("no .text label `{name}`")) as u16
}

/// The address of `.data` label `name` in `prog`.
pub fn data_label(prog: &Program, name: &str) -> u32 {
    match prog.labels.get(name) {
        Some(l) if l.section == isa::asm::Section::Data => l.value,
        _ => panic!("no .data label `{name}`"),
    }
}

/// A reference system under construction: machine and executive configuration, then
/// tasks. Every task of one [`Boot`] runs the same image (loaded once: threads sharing code
/// and data), like `hsx run F@a F@b`.
#[derive(Debug, Clone, Default)]
pub struct Boot {
    pub machine: MachineConfig,
    pub exec: ExecConfig,
}

impl Boot {
    pub fn new() -> Boot {
        Boot::default()
    }
    pub fn slice(mut self, n: u32) -> Boot {
        self.exec.slice = n;
        self
    }
    pub fn ticks_per_ms(mut self, n: u64) -> Boot {
        self.exec.ticks_per_ms = n;
        self
    }
    pub fn stack_size(mut self, n: u32) -> Boot {
        self.exec.stack_size = n;
        self
    }
    pub fn protect(mut self, on: bool) -> Boot {
        self.machine.protect = on;
        self
    }
    pub fn trace_capacity(mut self, n: usize) -> Boot {
        self.machine.trace_capacity = n;
        self
    }

    /// Assemble `src`, load it once, and spawn one task per entry label (pids 1, 2, …).
    pub fn start(&self, src: &str, entries: &[&str]) -> (System, Program) {
        let prog = assemble(src);
        let mut sys = System::new(&self.machine, self.exec);
        let id = sys.exec.load_image(&mut sys.machine, "<test>", &prog.image).expect("load_image");
        for (i, e) in entries.iter().enumerate() {
            let entry = label(&prog, e) as u32;
            let pid = sys.exec.spawn(&mut sys.machine, id, entry, SpawnOptions::default()).expect("spawn");
            assert_eq!(pid as usize, i + 1, "pids are handed out in order");
        }
        (sys, prog)
    }
}

/// [`Boot::start`] with the default configuration.
pub fn boot(src: &str, entries: &[&str]) -> (System, Program) {
    Boot::new().start(src, entries)
}

/// One step; panics if the machine is quiescent.
pub fn step(sys: &mut System) -> Retire {
    sys.step().expect("the machine is quiescent, but a step was expected")
}

/// Step until quiescent or `limit` steps; returns every retire record.
pub fn run_to_end(sys: &mut System, limit: usize) -> Vec<Retire> {
    let mut v = vec![];
    while v.len() < limit {
        match sys.step() {
            Some(r) => v.push(r),
            None => return v,
        }
    }
    v
}

/// State of `pid`.
pub fn state(sys: &System, pid: u8) -> TaskState {
    sys.machine.slot(pid).state
}

/// `len` bytes of data memory at `addr`.
pub fn bytes(sys: &System, addr: u32, len: usize) -> Vec<u8> {
    sys.machine.dmem[addr as usize..addr as usize + len].to_vec()
}

/// Five little-endian words at `addr` (a RECV info record).
pub fn info_record(sys: &System, addr: u32) -> [u32; 5] {
    std::array::from_fn(|i| sys.machine.read_u32(addr + 4 * i as u32))
}

// ---------------------------------------------------------------------------------------
// The `hsx` binary

/// Path of the `hsx` binary built with this test binary's cargo profile and target
/// directory. Built once per test run (`cargo build -p hsx-cosim --bin hsx`, which is a
/// no-op when it is up to date), so CLI tests never run a stale binary.
pub fn hsx_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(build_hsx)
}

fn build_hsx() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // <target>/<profile>/deps/integration-xxxx
    let mut dir = exe.parent().expect("exe dir").to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    let profile_dir = dir;
    let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
    let profile = profile_dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug").to_string();
    let bin = profile_dir.join(format!("hsx{}", std::env::consts::EXE_SUFFIX));

    let mut cmd = Proc::new(env!("CARGO"));
    cmd.current_dir(root())
        .args(["build", "--quiet", "-p", "hsx-cosim", "--bin", "hsx", "--target-dir"])
        .arg(&target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd.output().expect("running cargo to build hsx");
    if !out.status.success() {
        if bin.exists() {
            eprintln!(
                "warning: `cargo build -p hsx-cosim --bin hsx` failed, testing the existing {}:\n{}",
                bin.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            panic!("cannot build hsx:\n{}", String::from_utf8_lossy(&out.stderr));
        }
    }
    assert!(bin.exists(), "{} missing after cargo build", bin.display());
    bin
}

/// What one `hsx` invocation produced.
#[derive(Debug)]
pub struct HsxRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl HsxRun {
    /// stdout parsed as exactly one JSON object (panics otherwise).
    pub fn json(&self) -> serde_json::Value {
        let mut it = serde_json::Deserializer::from_str(&self.stdout).into_iter::<serde_json::Value>();
        let first = it
            .next()
            .unwrap_or_else(|| panic!("no JSON on stdout; stderr:\n{}", self.stderr))
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout));
        assert!(it.next().is_none(), "more than one JSON value on stdout:\n{}", self.stdout);
        assert!(first.is_object(), "the JSON value is not an object: {first}");
        first
    }
}

fn to_run(out: Output) -> HsxRun {
    HsxRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `hsx ARGS…` in the workspace root with empty stdin.
pub fn hsx<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> HsxRun {
    let out = Proc::new(hsx_bin()).current_dir(root()).args(args).stdin(Stdio::null()).output().expect("running hsx");
    to_run(out)
}

/// Run `hsx ARGS…` in the directory `cwd` with empty stdin.
pub fn hsx_at<S: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[S]) -> HsxRun {
    let out = Proc::new(hsx_bin()).current_dir(cwd).args(args).stdin(Stdio::null()).output().expect("running hsx");
    to_run(out)
}

/// Run `hsx ARGS…` in the workspace root with `input` on stdin.
pub fn hsx_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], input: &str) -> HsxRun {
    use std::io::Write;
    let mut child = Proc::new(hsx_bin())
        .current_dir(root())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running hsx");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("writing hsx's stdin");
    }
    to_run(child.wait_with_output().expect("waiting for hsx"))
}

/// The task object of `pid` in a `hsx run --json` report.
pub fn json_task(report: &serde_json::Value, pid: u64) -> &serde_json::Value {
    report["tasks"]
        .as_array()
        .expect("tasks is an array")
        .iter()
        .find(|t| t["pid"] == pid)
        .unwrap_or_else(|| panic!("no task with pid {pid} in {report}"))
}

/// The `regs` array of a task object.
pub fn json_regs(task: &serde_json::Value) -> Vec<u64> {
    task["regs"].as_array().expect("regs is an array").iter().map(ju).collect()
}

/// A JSON number as u64 (panics otherwise).
pub fn ju(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an unsigned integer: {v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_spawns_tasks_in_pid_order_sharing_one_image() {
        let (sys, prog) = boot(".text\na: LDI R1, 1\nRET\nb: LDI R1, 2\nRET\n", &["a", "b"]);
        assert_eq!(sys.exec.images().len(), 1);
        assert_eq!(sys.machine.slot(1).pc, label(&prog, "a"));
        assert_eq!(sys.machine.slot(2).pc, label(&prog, "b"));
        assert_eq!(sys.machine.slot(1).code_base, sys.machine.slot(2).code_base);
    }

    #[test]
    fn scratch_dirs_are_distinct() {
        assert_ne!(scratch_dir("a"), scratch_dir("a"));
    }
}

// ---------------------------------------------------------------------------------------
// Measuring a child `hsx`: peak memory, time, output volume

/// Some of a stream: its size, and its first and last [`KEEP`] bytes (and all of it when
/// asked for).
#[derive(Debug, Default, Clone)]
pub struct Captured {
    pub bytes: u64,
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
    pub all: Option<Vec<u8>>,
}

/// Bytes of a [`Captured`] stream's head and tail kept.
pub const KEEP: usize = 4096;

impl Captured {
    /// The kept tail as text (lossy).
    pub fn tail_text(&self) -> String {
        String::from_utf8_lossy(&self.tail).into_owned()
    }
}

fn capture(mut r: impl std::io::Read, whole: bool) -> Captured {
    let mut c = Captured { all: whole.then(Vec::new), ..Captured::default() };
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) | Err(_) => return c,
            Ok(n) => n,
        };
        c.bytes += n as u64;
        if let Some(all) = c.all.as_mut() {
            all.extend_from_slice(&buf[..n]);
        }
        if c.head.len() < KEEP {
            let k = (KEEP - c.head.len()).min(n);
            c.head.extend_from_slice(&buf[..k]);
        }
        c.tail.extend_from_slice(&buf[n.saturating_sub(KEEP)..n]);
        if c.tail.len() > KEEP {
            c.tail.drain(..c.tail.len() - KEEP);
        }
    }
}

/// What a measured `hsx` run did.
#[derive(Debug)]
pub struct Measured {
    pub code: i32,
    /// The child's peak resident set, KiB: the largest `VmHWM` of `/proc/<pid>/status`
    /// read every few milliseconds while it ran, after it exec'ed `hsx`. (`ru_maxrss`
    /// from `wait4` cannot be used: Linux carries the parent's high-water mark into a
    /// child across `exec`, so it would be the test binary's size, not hsx's.) 0 when
    /// the child exited before it could be sampled once (see [`hsx_measured_baseline`]).
    pub peak_kib: u64,
    pub secs: f64,
    pub stdout: Captured,
    pub stderr: Captured,
}

/// `VmHWM` of `pid` in KiB, once it runs `hsx` (`Name:` is the command after exec).
fn vm_hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut lines = s.lines();
    if lines.next()?.strip_prefix("Name:")?.trim() != "hsx" {
        return None;
    }
    let l = lines.find(|l| l.starts_with("VmHWM:"))?;
    l["VmHWM:".len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// Run `hsx ARGS…` in `cwd` with its stdout and stderr drained (counted, head and tail
/// kept: a child printing gigabytes costs the test nothing) and measure its peak RSS.
pub fn hsx_measured<S: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[S]) -> Measured {
    measured(cwd, args, false)
}

/// The peak RSS of a short `hsx` run, as a baseline to compare a long run's with: a run
/// of a few milliseconds can exit before it is sampled, or be sampled before its peak, so
/// it is run until sampled three times (at most 30 runs) and the largest peak is kept.
pub fn hsx_measured_baseline<S: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[S]) -> Measured {
    let mut best: Option<Measured> = None;
    let mut sampled = 0;
    for _ in 0..30 {
        let m = measured(cwd, args, false);
        if m.peak_kib > 0 {
            sampled += 1;
        }
        if best.as_ref().is_none_or(|b| m.peak_kib > b.peak_kib) {
            best = Some(m);
        }
        if sampled == 3 {
            break;
        }
    }
    let best = best.expect("at least one run");
    assert!(best.peak_kib > 0, "hsx {:?}: exited before its memory could be sampled, 30 times", cwd);
    best
}

/// [`hsx_measured`] keeping all of stdout (for `--json`).
pub fn hsx_measured_json<S: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[S]) -> (Measured, serde_json::Value) {
    let m = measured(cwd, args, true);
    let all = m.stdout.all.as_deref().unwrap_or_default();
    let j = serde_json::from_slice(all).unwrap_or_else(|e| panic!("stdout is not one JSON value ({e})"));
    (m, j)
}

fn measured<S: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[S], whole_stdout: bool) -> Measured {
    let t0 = std::time::Instant::now();
    let mut child = Proc::new(hsx_bin())
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running hsx");
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || capture(out, whole_stdout));
    let err = std::thread::spawn(move || capture(err, false));
    let pid = child.id();
    // Poll the child's high-water mark until it has exited, without reaping it (so its
    // pid cannot be reused meanwhile).
    let mut peak_kib = 0;
    loop {
        if let Some(k) = vm_hwm(pid) {
            peak_kib = peak_kib.max(k);
        }
        // SAFETY: an all-zero siginfo is a valid value; waitid fills it in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own child; WNOWAIT leaves it to be reaped below.
        let r = unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
        assert_eq!(r, 0, "waitid: {}", std::io::Error::last_os_error());
        // SAFETY: filled in by waitid (0 while the child runs).
        if unsafe { info.si_pid() } != 0 {
            break;
        }
        // A short run (a few ms) can exit between two samples: poll without sleeping
        // for its first 50 ms, then every 3 ms.
        if t0.elapsed().as_millis() < 50 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
    }
    let status = child.wait().expect("reaping hsx");
    let secs = t0.elapsed().as_secs_f64();
    let code = status.code().unwrap_or(-1);
    Measured {
        code,
        peak_kib,
        secs,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// A small tmpfs mounted on a fresh scratch directory (for full-disk tests), unmounted when
/// dropped. `None` when it cannot be mounted (not root): the caller skips with a message.
pub struct SmallTmpfs(pub PathBuf);

impl SmallTmpfs {
    /// Mounts a tmpfs of `size` (e.g. `"48k"`) on `scratch_dir(tag)`.
    pub fn mount(tag: &str, size: &str) -> Option<SmallTmpfs> {
        let dir = scratch_dir(tag);
        let ok = Proc::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            Some(SmallTmpfs(dir))
        } else {
            eprintln!("skipped: cannot mount a small tmpfs at {} (needs root)", dir.display());
            None
        }
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Proc::new("umount").arg(&self.0).status();
    }
}
