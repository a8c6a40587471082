//! The divergence report (`report.txt` for people, `report.json` for tools and for
//! `hsx replay`): what differed, where, the last retires of both sides, the register
//! window and scheduler diffs, and the exact command that replays it.

use super::case::Case;
use super::check::{sched_registers, slot_diffs, Mismatch};
use super::side::{Dut, Reference};
use super::{CosimConfig, Divergence, Lockstep};
use isa::Retire;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::path::Path;

/// The `report.json` format version: 2 added `schema_version`, `time_ns`, `repro` and
/// made `replay` relative to the trace folder. Reports without the field are version 1.
pub const SCHEMA_VERSION: u32 = 2;

fn schema_v1() -> u32 {
    1
}

/// A write mask in words: `bytes 0-3`, `bytes 2-3`, `byte 1`, `bytes 0,2`.
pub fn mask_text(mask: u8) -> String {
    let b: Vec<u8> = (0..4).filter(|i| mask & (1 << i) != 0).collect();
    match b.as_slice() {
        [] => "no bytes".into(),
        [x] => format!("byte {x}"),
        _ if b.windows(2).all(|w| w[1] == w[0] + 1) => format!("bytes {}-{}", b[0], b[b.len() - 1]),
        _ => format!("bytes {}", b.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")),
    }
}

/// One history row as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetireRow {
    pub step: u64,
    pub cycle: u64,
    pub pid: u8,
    pub pc: u16,
    pub insn: String,
    pub next_pc: u16,
    pub psw: u8,
    pub sp: u32,
    pub writes: String,
    pub fault: Option<u32>,
}

impl RetireRow {
    pub fn new(r: &Retire, cycle: u64) -> RetireRow {
        RetireRow {
            step: r.step,
            cycle,
            pid: r.pid,
            pc: r.pc,
            insn: disasm(r),
            next_pc: r.next_pc,
            psw: r.psw,
            sp: r.sp,
            writes: r
                .writes()
                .iter()
                .map(|w| format!("[{:04x} {}]={:08x}", w.addr, mask_text(w.mask), w.data))
                .collect::<Vec<_>>()
                .join(" "),
            fault: r.fault,
        }
    }
}

/// Disassembly of a retire's instruction.
pub fn disasm(r: &Retire) -> String {
    match r.insn_words() {
        [] => "(no fetch: BAD_PC)".into(),
        [w, rest @ ..] => isa::disasm::disasm_word(*w, rest.first().copied(), r.pc as u32).0,
    }
}

/// A register that differs between the two windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegDiff {
    pub reg: String,
    pub expected: u32,
    pub actual: u32,
}

/// One differing scheduler field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedDiff {
    pub field: String,
    pub expected: String,
    pub actual: String,
}

/// A `report.json` that `hsx replay` cannot use.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a hsx report: {msg}")]
    Json { path: String, msg: String },
    /// A field breaks a rule the CLI applies to the same setting.
    #[error("{path}: field `{field}`: {rule}")]
    Field { path: String, field: String, rule: String },
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    #[serde(default = "schema_v1")]
    pub schema_version: u32,
    pub run_id: String,
    pub mismatch: Mismatch,
    pub cycle: u64,
    /// Time of the divergence in the waveforms (`cycle` × 10 ns).
    #[serde(default)]
    pub time_ns: u64,
    pub step: u64,
    pub pid: u8,
    pub pc: u16,
    pub disasm: String,
    pub ref_history: Vec<RetireRow>,
    pub rtl_history: Vec<RetireRow>,
    pub window_pid: u8,
    pub window_ref: Vec<u32>,
    pub window_rtl: Vec<u32>,
    pub window_diff: Vec<RegDiff>,
    pub sched_diff: Vec<SchedDiff>,
    pub seed: Option<u64>,
    pub mutant: u16,
    /// The command that rewrites this folder, run from the trace folder.
    pub replay: String,
    /// An `hsx cosim` command that reproduces the divergence from the trace folder with
    /// the settings that found it (on `repro.mvasm` and its siblings).
    #[serde(default)]
    pub repro: String,
    /// Set when the case was shrunk from a larger failing one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk_from: Option<String>,
    pub config: CosimConfig,
    pub case: Case,
}

impl Report {
    /// Build the report from the lockstep state at the divergence (any pair of sides: the
    /// state is read through the side traits).
    pub fn build<R: Reference, D: Dut>(ls: &Lockstep<R, D>, d: &Divergence, run_id: &str) -> Report {
        let rec = d.ref_rec.or(d.rtl_rec).unwrap_or_default();
        let m = ls.reference().machine();
        let pid = if rec.pid >= 1 && (rec.pid as usize) <= m.n_tasks() { rec.pid } else { m.last_ran.max(1) };
        let window_ref = m.regs(pid).to_vec();
        let window_rtl = ls.dut().window(pid).to_vec();
        let window_diff = (0..16)
            .filter(|&n| window_ref[n] != window_rtl[n])
            .map(|n| RegDiff { reg: format!("R{n}"), expected: window_ref[n], actual: window_rtl[n] })
            .collect();
        let mut sched_diff = vec![];
        let g = ls.dut().globals();
        for (f, e, a) in sched_registers(m, &g) {
            if e != a {
                sched_diff.push(SchedDiff { field: f.into(), expected: e.to_string(), actual: a.to_string() });
            }
        }
        for (i, (e, a)) in m.slots.iter().zip(ls.dut().slots()).enumerate() {
            // Every differing field of the slot, not only the first.
            for (f, x, y) in slot_diffs(e, &a) {
                sched_diff.push(SchedDiff { field: format!("slot[{}].{f}", i + 1), expected: x, actual: y });
            }
        }
        let rows = |rtl: bool| -> Vec<RetireRow> {
            ls.history
                .0
                .iter()
                .filter_map(|r| {
                    if rtl {
                        r.rtl_rec.map(|x| RetireRow::new(&x, r.cycle))
                    } else {
                        Some(RetireRow::new(&r.ref_rec, r.cycle))
                    }
                })
                .collect()
        };
        Report {
            schema_version: SCHEMA_VERSION,
            run_id: run_id.to_string(),
            mismatch: d.mismatch.clone(),
            cycle: d.cycle,
            time_ns: d.cycle * super::vcd::VCD_PERIOD,
            step: d.step,
            pid: rec.pid,
            pc: rec.pc,
            disasm: if d.ref_rec.is_some() || d.rtl_rec.is_some() { disasm(&rec) } else { String::new() },
            ref_history: rows(false),
            rtl_history: rows(true),
            window_pid: pid,
            window_ref,
            window_rtl,
            window_diff,
            sched_diff,
            seed: ls.case.seed,
            mutant: ls.cfg.mutant,
            replay: "hsx replay report.json".into(),
            repro: repro_command(&ls.case, &ls.cfg),
            shrunk_from: None,
            config: ls.cfg,
            case: ls.case.clone(),
        }
    }

    /// The human report.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "hsx co-simulation DIVERGENCE  run {}", self.run_id);
        let _ = writeln!(s, "  check     {}", self.mismatch.check);
        let _ = writeln!(s, "  field     {}", self.mismatch.field);
        // A PSW is shown with its flags too.
        let flags = |v: &str| -> String {
            let is_psw = self.mismatch.field == "psw" || self.mismatch.field.ends_with(".psw");
            let n = v.strip_prefix("0x").map(|h| u8::from_str_radix(h, 16)).unwrap_or_else(|| v.parse::<u8>());
            match (is_psw, n) {
                (true, Ok(n)) => format!(" = {}", super::vcd::psw_flags(n)),
                _ => String::new(),
            }
        };
        let (e, a) = (&self.mismatch.expected, &self.mismatch.actual);
        let _ = writeln!(s, "  expected  {e}{}   (reference model)", flags(e));
        let _ = writeln!(s, "  actual    {a}{}   (RTL)", flags(a));
        let _ =
            writeln!(s, "  cycle {}  ({} ns in rtl.vcd/ref.vcd, the marker cosim.mismatch)", self.cycle, self.time_ns);
        let _ = writeln!(s, "  step {}  pid {}  pc 0x{:04x}  {}", self.step, self.pid, self.pc, self.disasm);
        if let Some(seed) = self.seed {
            let _ = writeln!(s, "  seed {seed}");
        }
        if self.mutant != 0 {
            let name = crate::mutants::by_number(self.mutant).map(|m| m.name.as_str()).unwrap_or("?");
            let _ = writeln!(s, "  mutant {} ({name})", self.mutant);
        }
        if let Some(f) = &self.shrunk_from {
            let _ = writeln!(s, "  shrunk from {f} (the programs below are the minimal reproducer)");
        }
        let _ = writeln!(s, "  waves: gtkwave waves.gtkw   (rtl.vcd: RTL + reference + marker; docs/waves.md)");
        let _ =
            writeln!(s, "  replay: {}   (from this folder: rewrites it, exit 1 while the bug is there)", self.replay);
        if !self.repro.is_empty() {
            let _ = writeln!(s, "  repro: {}", self.repro);
        }
        let _ = writeln!(
            s,
            "  settings: {} {}  specs: {}",
            self.case.settings.cli_args(),
            harness_args(&self.config),
            self.case.specs.join(" ")
        );
        let _ = writeln!(s, "\nregister window of pid {} (reference | RTL):", self.window_pid);
        for (n, (a, b)) in self.window_ref.iter().zip(&self.window_rtl).enumerate() {
            let mark = if a != b { "  <-- differs" } else { "" };
            let _ = writeln!(s, "  R{n:<2} 0x{a:08x} | 0x{b:08x}{mark}");
        }
        let _ = writeln!(s, "\nscheduler state differences (reference | RTL):");
        if self.sched_diff.is_empty() {
            let _ = writeln!(s, "  none");
        }
        for d in &self.sched_diff {
            let _ = writeln!(s, "  {:<24} {} | {}", d.field, d.expected, d.actual);
        }
        for (name, rows) in [("reference", &self.ref_history), ("RTL", &self.rtl_history)] {
            let _ = writeln!(s, "\nlast {} retires, {name}:", rows.len());
            for r in rows {
                let f = r.fault.map(|f| format!(" FAULT {}", isa::fault::name(f).unwrap_or("?"))).unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  step {:>6} cyc {:>8} pid {} pc {:04x} {:<26} -> {:04x} psw {} sp {:04x} {}{}",
                    r.step,
                    r.cycle,
                    r.pid,
                    r.pc,
                    r.insn,
                    r.next_pc,
                    super::vcd::psw_flags(r.psw),
                    r.sp,
                    r.writes,
                    f
                );
            }
        }
        let _ = writeln!(s, "\nprograms:");
        for f in &self.case.files {
            if let Some(t) = &f.text {
                let _ = writeln!(s, "--- {} ---\n{}", f.name, t);
            } else {
                let _ = writeln!(
                    s,
                    "--- {} (HXE image, {} bytes; see report.json) ---",
                    f.name,
                    f.hex.as_ref().map(|h| h.len() / 2).unwrap_or(0)
                );
            }
        }
        s
    }

    /// Write the reproducer files (`repro.mvasm` …), `report.txt` and, last,
    /// `report.json` into `dir`, each atomically.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, f) in repro_files(&self.case) {
            let bytes = match &f.text {
                Some(t) => t.clone().into_bytes(),
                None => f.bytes().map_err(std::io::Error::other)?,
            };
            crate::fsx::write_atomic(&dir.join(name), &bytes)?;
        }
        crate::fsx::write_atomic(&dir.join("report.txt"), self.text().as_bytes())?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::fsx::write_atomic(&dir.join("report.json"), (json + "\n").as_bytes())
    }

    /// Read and [`check`](Report::check) a `report.json`.
    pub fn read(path: &Path) -> Result<Report, ReportError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ReportError::Io { path: shown.clone(), source })?;
        Report::parse(&bytes, &shown)
    }

    /// Parse and [`check`](Report::check) the bytes of a `report.json` (`path` names it in
    /// errors).
    pub fn parse(bytes: &[u8], path: &str) -> Result<Report, ReportError> {
        let rep: Report = serde_json::from_slice(bytes)
            .map_err(|e| ReportError::Json { path: path.to_string(), msg: e.to_string() })?;
        rep.check().map_err(|(field, rule)| ReportError::Field { path: path.to_string(), field, rule })?;
        Ok(rep)
    }

    /// The rules `hsx cosim` applies to the same options, and the shape `hsx replay`
    /// relies on: `Err((field, rule))` names the first JSON field that breaks one.
    pub fn check(&self) -> Result<(), (String, String)> {
        let f = |field: &str, rule: String| Err((field.to_string(), rule));
        let c = &self.config;
        if c.mutant != 0 && crate::mutants::by_number(c.mutant).is_none() {
            return f(
                "config.mutant",
                format!("{} is not a mutant of this build (0 = the real RTL; `hsx regress --list-mutants`)", c.mutant),
            );
        }
        if self.mutant != c.mutant {
            return f("mutant", format!("{} disagrees with config.mutant ({})", self.mutant, c.mutant));
        }
        if c.stuck_cycles == 0 {
            return f("config.stuck_cycles", "0 must be at least 1".into());
        }
        if let Err(e) = self.case.settings.check() {
            return f(&format!("case.settings.{}", e.field), format!("{} (as {})", e.rule, e.option));
        }
        let case = &self.case;
        if case.seed != self.seed {
            let show = |s: Option<u64>| s.map_or("null".to_string(), |s| s.to_string());
            return f("seed", format!("{} disagrees with case.seed ({})", show(self.seed), show(case.seed)));
        }
        let max = vm_ref::MachineConfig::default().n_tasks;
        if case.specs.is_empty() {
            return f("case.specs", "is empty: no program to run".into());
        }
        if case.specs.len() > max {
            return f("case.specs", format!("{} programs, but the machine has {max} task slots", case.specs.len()));
        }
        for (i, file) in case.files.iter().enumerate() {
            let field = |name: &str| format!("case.files[{i}].{name}");
            if case.files[..i].iter().any(|g| g.name == file.name) {
                return f(&field("name"), format!("`{}` is named twice", file.name));
            }
            match (&file.text, &file.hex) {
                (Some(_), Some(_)) => return f(&field("text"), "a file has text or hex, not both".into()),
                (None, None) => return f(&field("hex"), "missing (a file needs text or hex)".into()),
                (None, Some(h)) => {
                    if let Err(at) = super::case::decode_hex(h) {
                        return f(&field("hex"), format!("not hex digit pairs (character {at})"));
                    }
                }
                (Some(_), None) => {}
            }
        }
        for (i, text) in case.specs.iter().enumerate() {
            let spec = crate::program::Spec::parse(text);
            let name = spec.file.display().to_string();
            if !case.files.iter().any(|g| g.name == name) {
                return f(&format!("case.specs[{i}]"), format!("`{text}` names `{name}`, which is not in case.files"));
            }
        }
        for (name, v) in [("window_ref", &self.window_ref), ("window_rtl", &self.window_rtl)] {
            if v.len() != 16 {
                return f(name, format!("has {} registers, not 16", v.len()));
            }
        }
        Ok(())
    }
}

/// The harness options of a run as `hsx cosim` options (`--check-timing`, `--mutant`,
/// `--vcd-window`).
pub fn harness_args(cfg: &CosimConfig) -> String {
    let mut v = vec![];
    if cfg.check_timing {
        v.push("--check-timing".to_string());
    }
    if cfg.mutant != 0 {
        v.push(format!(
            "--mutant {}",
            crate::mutants::by_number(cfg.mutant).map(|m| m.name.to_string()).unwrap_or(cfg.mutant.to_string())
        ));
    }
    v.push(format!("--vcd-window {}", cfg.vcd_window));
    v.join(" ")
}

/// The case's program files under the names the trace folder gives them: the first
/// MVASM file is `repro.mvasm`, further ones `repro-2.mvasm` …, HXE images `repro-N.hxe`.
pub fn repro_files(case: &Case) -> Vec<(String, &super::case::SourceFile)> {
    case.files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ext = if f.text.is_some() { "mvasm" } else { "hxe" };
            let name = if i == 0 { format!("repro.{ext}") } else { format!("repro-{}.{ext}", i + 1) };
            (name, f)
        })
        .collect()
}

/// `hsx cosim …` on the reproducer files, with every setting of the run.
pub fn repro_command(case: &Case, cfg: &CosimConfig) -> String {
    let names = repro_files(case);
    let specs: Vec<String> = case
        .specs
        .iter()
        .map(|t| {
            let sp = crate::program::Spec::parse(t);
            let file = sp.file.display().to_string();
            let name = names.iter().find(|(_, f)| f.name == file).map(|(n, _)| n.clone()).unwrap_or(file);
            match sp.entry {
                Some(e) => format!("{name}@{e}"),
                None => name,
            }
        })
        .collect();
    format!("hsx cosim {} {} {}", case.settings.cli_args(), harness_args(cfg), specs.join(" "))
}
