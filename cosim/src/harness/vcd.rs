//! Waveforms (docs/waves.md), recorded by deterministic re-simulation so that passing runs
//! pay nothing for tracing:
//!
//! * `rtl.vcd` — one merged dump GTKWave opens alone: the RTL (Verilator's tracer, every
//!   design signal under the scope `rtl`, package constants and unnamed blocks left out),
//!   the reference model under `ref` on the same time axis (10 ns per RTL cycle, a retire
//!   at the cycle the RTL's retire port showed it), the register window of the retiring
//!   task as the harness read it from the RTL's data memory (`rtl.window`), and the
//!   `cosim.mismatch` marker;
//! * `ref.vcd` — the reference side and the marker alone (small, for scripts);
//! * `waves.gtkw` — a GTKWave save file for `rtl.vcd`: named groups, the marker on the
//!   divergence, the view zoomed on the last retires before it, instruction words shown
//!   as mnemonics and PSW as flags through `hsx disasm --filter`.
//!
//! Every file is written under a temporary name and renamed when complete
//! ([`crate::fsx`]); the raw RTL dump is written through the sim crate's own trace file,
//! which turns a write error (a full disk) into an error here instead of Verilator's
//! fatal handler.

use super::{case::Case, CosimConfig, CosimError, Divergence, Lockstep, Observer, Verdict};
use crate::fsx::AtomicFile;
use isa::Retire;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// VCD time units (ns) per RTL cycle (the sim crate's tracer uses the same).
pub const VCD_PERIOD: u64 = sim::VCD_TIME_PER_CYCLE;
/// Cycles traced after the divergence.
pub const AFTER_CYCLES: u64 = 8;
/// The longest waveform window, in cycles (`--vcd-window`, `--wave-from/--wave-to`): the
/// RTL dump streams to disk, but the reference samples of the window are held in memory
/// (at most one per cycle, ~250 bytes each) until the merge.
pub const MAX_WINDOW: u64 = 1_000_000;
/// Retires before the divergence the saved view shows.
pub const VIEW_RETIRES: usize = 6;

/// The dump's file format (`--wave-format`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaveFormat {
    /// Value change dump text (`rtl.vcd`).
    #[default]
    Vcd,
    /// Compressed FST (`rtl.fst`), written by the FST writer Verilator ships.
    Fst,
}

impl WaveFormat {
    /// The merged dump's file name.
    pub fn dump_name(self) -> &'static str {
        match self {
            WaveFormat::Vcd => "rtl.vcd",
            WaveFormat::Fst => "rtl.fst",
        }
    }
}

/// The cycles a waveform covers: `[from, to]`, `to = None` for "to the end of the run";
/// and the dump's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WaveRange {
    pub from: u64,
    pub to: Option<u64>,
    pub format: WaveFormat,
}

impl WaveRange {
    /// Check a user's range against [`MAX_WINDOW`].
    pub fn check(from: Option<u64>, to: Option<u64>) -> Result<WaveRange, String> {
        let from = from.unwrap_or(0);
        if let Some(t) = to {
            if t < from {
                return Err(format!("--wave-to {t} is before --wave-from {from}"));
            }
            if t - from >= MAX_WINDOW {
                return Err(format!(
                    "--wave-from {from} --wave-to {t} spans more than {MAX_WINDOW} cycles (the documented maximum)"
                ));
            }
        }
        Ok(WaveRange { from, to, format: WaveFormat::Vcd })
    }

    fn contains(&self, c: u64) -> bool {
        c >= self.from && self.to.is_none_or(|t| c <= t)
    }
}

/// One reference sample (after a retire).
#[derive(Clone)]
struct Sample {
    cycle: u64,
    rec: Retire,
    current: u8,
    last_ran: u8,
    regs: [u32; 16],
    rtl_regs: [u32; 16],
    states: Vec<u8>,
}

struct Recorder {
    range: WaveRange,
    samples: Vec<Sample>,
    full: bool,
}

impl Observer for Recorder {
    fn after_step(&mut self, ls: &Lockstep, rec: &Retire, cycle: u64) {
        if !self.range.contains(cycle) {
            return;
        }
        if self.samples.len() as u64 >= MAX_WINDOW {
            self.full = true;
            return;
        }
        let m = ls.reference().machine();
        let pid = rec.pid;
        let ok = pid >= 1 && (pid as usize) <= m.n_tasks();
        let regs = if ok { m.regs(pid) } else { [0; 16] };
        let rtl_regs = if ok { ls.dut().window(pid) } else { [0; 16] };
        self.samples.push(Sample {
            cycle,
            rec: *rec,
            current: m.current,
            last_ran: m.last_ran,
            regs,
            rtl_regs,
            states: m.slots.iter().map(|s| s.state as u8).collect(),
        });
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> CosimError + '_ {
    move |source| CosimError::Io { path: path.display().to_string(), source }
}

/// What a recording produced.
pub struct Recording {
    /// The re-run's divergence (`None` when it agreed).
    pub divergence: Option<Divergence>,
    pub steps: u64,
    pub cycles: u64,
}

/// Re-run `case` from reset and write `rtl.vcd`, `ref.vcd` and `waves.gtkw` into `dir`.
/// With `d` (a divergence), the window is the `cfg.vcd_window` cycles before it (from
/// reset when the run is shorter) plus [`AFTER_CYCLES`]; otherwise `range`.
pub fn record(
    case: &Case,
    cfg: &CosimConfig,
    d: Option<&Divergence>,
    range: WaveRange,
    dir: &Path,
) -> Result<Recording, CosimError> {
    let range = match d {
        Some(d) => WaveRange { from: d.cycle.saturating_sub(cfg.vcd_window.min(MAX_WINDOW)), to: None, ..range },
        None => range,
    };
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let raw = crate::fsx::temp_path(&dir.join("rtl-raw.vcd"));
    let result = record_into(case, cfg, d, range, dir, &raw);
    let _ = std::fs::remove_file(&raw);
    result
}

fn record_into(
    case: &Case,
    cfg: &CosimConfig,
    d: Option<&Divergence>,
    range: WaveRange,
    dir: &Path,
    raw: &Path,
) -> Result<Recording, CosimError> {
    let raw_str = raw.display().to_string();
    let mut arm_err = None;
    let mut ls = Lockstep::new_with(case, *cfg, &mut |rtl: &mut sim::Rtl| {
        // Armed before the loader runs: a window that starts at reset includes it.
        if let Err(e) = rtl.vcd_arm(raw, range.from, range.to) {
            arm_err = Some(e.to_string());
        }
    })?;
    if let Some(e) = arm_err {
        return Err(CosimError::Report(e));
    }
    let mut rec = Recorder { range, samples: vec![], full: false };
    let verdict = ls.run(&mut rec);
    // A few cycles after the end (the divergence), the clock still running.
    ls.rtl.rtl.set_run(false);
    ls.rtl.rtl.tick(AFTER_CYCLES);
    let end_cycle = ls.rtl.rtl.cycles();
    ls.rtl.rtl.vcd_close();
    if let Some(e) = ls.rtl.rtl.vcd_failure(&raw_str) {
        return Err(CosimError::Report(format!("{e} (the waveforms in {} are incomplete)", dir.display())));
    }
    if rec.full {
        return Err(CosimError::Report(format!("the waveform window holds more than {MAX_WINDOW} retires")));
    }
    let (again, steps, cycles) = match verdict {
        Verdict::Diverged(d2) => {
            let (s, c) = (d2.step, d2.cycle);
            (Some(*d2), s, c)
        }
        Verdict::Agree { steps, cycles, .. } => (None, steps, cycles),
    };
    if d.is_some() && again.is_none() {
        return Err(CosimError::Report("the re-simulation did not diverge: the run is not deterministic".into()));
    }
    let mismatch = again.as_ref().map(|x| x.cycle);
    let n_tasks = ls.refs.machine.n_tasks();
    let trace = RefTrace::build(&rec.samples, n_tasks, mismatch, range.from);
    // ref.vcd, then the merged rtl.vcd, then the save file (the report, written by the
    // caller, comes last: a folder without report.json is incomplete).
    let ref_path = dir.join("ref.vcd");
    let mut f = AtomicFile::create(&ref_path).map_err(io_err(&ref_path))?;
    trace.write_standalone(&mut f).and_then(|_| f.commit()).map_err(io_err(&ref_path))?;
    write_dump(raw, &trace, dir, range.format)?;
    let view = View::new(&rec.samples, mismatch, range.from, end_cycle);
    let gtkw_path = dir.join("waves.gtkw");
    crate::fsx::write_atomic(&gtkw_path, gtkw(&view, n_tasks, true, range.format).as_bytes())
        .map_err(io_err(&gtkw_path))?;
    Ok(Recording { divergence: again, steps, cycles })
}

/// Merge the raw RTL dump with `trace` into `dir/rtl.vcd`, or through a temporary VCD into
/// `dir/rtl.fst`.
fn write_dump(raw: &Path, trace: &RefTrace, dir: &Path, format: WaveFormat) -> Result<(), CosimError> {
    let out = dir.join(format.dump_name());
    match format {
        WaveFormat::Vcd => {
            let mut f = AtomicFile::create(&out).map_err(io_err(&out))?;
            merge(raw, trace, &mut f).and_then(|_| f.commit()).map_err(io_err(&out))
        }
        WaveFormat::Fst => {
            let merged = crate::fsx::temp_path(&dir.join("rtl-merged.vcd"));
            let tmp = crate::fsx::temp_path(&out);
            let res = (|| {
                let mut f = std::io::BufWriter::new(std::fs::File::create(&merged).map_err(io_err(&merged))?);
                merge(raw, trace, &mut f).map_err(io_err(&merged))?;
                drop(f);
                sim::vcd_to_fst(&merged, &tmp).map_err(|e| CosimError::Report(e.to_string()))?;
                std::fs::rename(&tmp, &out).map_err(io_err(&out))
            })();
            let _ = std::fs::remove_file(&merged);
            let _ = std::fs::remove_file(&tmp);
            res
        }
    }
}

// ------------------------------------------------------------------------------------
// The reference side as VCD variables.
// ------------------------------------------------------------------------------------

/// A variable we add: its scope path, name and width.
#[derive(Debug, Clone)]
pub struct VarDef {
    pub scope: Vec<&'static str>,
    pub name: String,
    pub width: u32,
}

impl VarDef {
    /// The name GTKWave shows (`ref.retire.pc[15:0]`).
    pub fn full_name(&self) -> String {
        let mut s = self.scope.join(".");
        s.push('.');
        s.push_str(&self.name);
        if self.width > 1 {
            s.push_str(&format!("[{}:0]", self.width - 1));
        }
        s
    }
}

/// The retire-record fields, in the order of the RTL's retire port (`rvfi_*_o`).
pub const RETIRE_FIELDS: &[(&str, u32)] = &[
    ("valid", 1),
    ("step", 64),
    ("pid", 5),
    ("pc", 16),
    ("insn_len", 2),
    ("insn0", 32),
    ("insn1", 32),
    ("next_pc", 16),
    ("nwr", 2),
    ("wr0_addr", 16),
    ("wr0_be", 4),
    ("wr0_data", 32),
    ("wr1_addr", 16),
    ("wr1_be", 4),
    ("wr1_data", 32),
    ("psw", 4),
    ("sp", 32),
    ("fault", 1),
    ("fault_code", 32),
    ("trap", 1),
    ("trap_mod", 4),
    ("trap_fn", 8),
];

fn retire_values(r: Option<&Retire>) -> Vec<u64> {
    let d = Retire::default();
    let r0 = r.unwrap_or(&d);
    let w = r0.writes();
    let wr = |i: usize| w.get(i).map(|w| (w.addr as u64, w.mask as u64, w.data as u64)).unwrap_or((0, 0, 0));
    let (a0, b0, d0) = wr(0);
    let (a1, b1, d1) = wr(1);
    vec![
        r.is_some() as u64,
        r0.step,
        r0.pid as u64,
        r0.pc as u64,
        r0.insn_len as u64,
        r0.insn[0] as u64,
        r0.insn[1] as u64,
        r0.next_pc as u64,
        r0.n_writes as u64,
        a0,
        b0,
        d0,
        a1,
        b1,
        d1,
        r0.psw as u64,
        r0.sp as u64,
        r0.fault.is_some() as u64,
        r0.fault.unwrap_or(0) as u64,
        r0.trap.is_some() as u64,
        r0.trap.map(|t| t.0 as u64).unwrap_or(0),
        r0.trap.map(|t| t.1 as u64).unwrap_or(0),
    ]
}

/// The reference variables and their value changes.
struct RefTrace {
    /// Variables under `ref` and `cosim` (standalone and merged dumps).
    vars: Vec<VarDef>,
    /// Variables inserted into the RTL's scope in the merged dump (`rtl.window`).
    rtl_vars: Vec<VarDef>,
    /// (time, [(var index, value)]) in time order; indices past `vars.len()` are `rtl_vars`.
    events: Vec<(u64, Vec<(usize, u64)>)>,
}

impl RefTrace {
    fn build(samples: &[Sample], n_tasks: usize, mismatch: Option<u64>, from: u64) -> RefTrace {
        let mut vars = vec![VarDef { scope: vec!["cosim"], name: "mismatch".into(), width: 1 }];
        for (n, w) in RETIRE_FIELDS {
            vars.push(VarDef { scope: vec!["ref", "retire"], name: n.to_string(), width: *w });
        }
        vars.push(VarDef { scope: vec!["ref", "window"], name: "pid".into(), width: 5 });
        for r in 0..16 {
            vars.push(VarDef { scope: vec!["ref", "window"], name: format!("r{r}"), width: 32 });
        }
        vars.push(VarDef { scope: vec!["ref", "sched"], name: "current".into(), width: 5 });
        vars.push(VarDef { scope: vec!["ref", "sched"], name: "last_ran".into(), width: 5 });
        for p in 1..=n_tasks {
            vars.push(VarDef { scope: vec!["ref", "sched"], name: format!("state{p}"), width: 3 });
        }
        let mut rtl_vars = vec![VarDef { scope: vec!["rtl", "window"], name: "pid".into(), width: 5 }];
        for r in 0..16 {
            rtl_vars.push(VarDef { scope: vec!["rtl", "window"], name: format!("r{r}"), width: 32 });
        }
        let nr = RETIRE_FIELDS.len();
        let (i_valid, i_wpid, i_regs, i_cur) = (1, 1 + nr, 2 + nr, 18 + nr);
        let i_rtl = vars.len();
        let mut raw: Vec<(u64, Vec<(usize, u64)>)> = vec![];
        // Initial values at the window's start.
        raw.push((from * VCD_PERIOD, (0..vars.len() + rtl_vars.len()).map(|i| (i, 0)).collect()));
        let mut marked = false;
        for s in samples {
            let mut ch = vec![];
            let hit = mismatch == Some(s.cycle);
            marked |= hit;
            ch.push((0, hit as u64));
            for (k, v) in retire_values(Some(&s.rec)).into_iter().enumerate() {
                ch.push((i_valid + k, v));
            }
            ch.push((i_wpid, s.rec.pid as u64));
            for (k, v) in s.regs.iter().enumerate() {
                ch.push((i_regs + k, *v as u64));
            }
            ch.push((i_cur, s.current as u64));
            ch.push((i_cur + 1, s.last_ran as u64));
            for (k, v) in s.states.iter().enumerate().take(n_tasks) {
                ch.push((i_cur + 2 + k, *v as u64));
            }
            ch.push((i_rtl, s.rec.pid as u64));
            for (k, v) in s.rtl_regs.iter().enumerate() {
                ch.push((i_rtl + 1 + k, *v as u64));
            }
            raw.push((s.cycle * VCD_PERIOD, ch));
            // Valid for one cycle, like the retire port.
            raw.push(((s.cycle + 1) * VCD_PERIOD, vec![(i_valid, 0), (0, 0)]));
        }
        if let (Some(c), false) = (mismatch, marked) {
            // A divergence found outside a retire (end of run, stuck): mark its cycle.
            raw.push((c * VCD_PERIOD, vec![(0, 1)]));
            raw.push(((c + 1) * VCD_PERIOD, vec![(0, 0)]));
        }
        // Time order (stable: a later change of the same variable at the same time wins).
        raw.sort_by_key(|e| e.0);
        let mut events: Vec<(u64, Vec<(usize, u64)>)> = vec![];
        for (t, ch) in raw {
            match events.last_mut() {
                Some((lt, v)) if *lt == t => {
                    for (i, x) in ch {
                        match v.iter_mut().find(|e| e.0 == i) {
                            Some(e) => e.1 = x,
                            None => v.push((i, x)),
                        }
                    }
                }
                _ => events.push((t, ch)),
            }
        }
        RefTrace { vars, rtl_vars, events }
    }

    fn header_vars(out: &mut impl Write, defs: &[(&VarDef, String)], depth0: usize) -> std::io::Result<()> {
        // Group consecutive variables by scope path (the definitions are built in order).
        let mut open: Vec<&str> = vec![];
        for (v, id) in defs {
            let common = open.iter().zip(&v.scope).take_while(|(a, b)| *a == *b).count();
            while open.len() > common {
                open.pop();
                writeln!(out, "{}$upscope $end", " ".repeat(depth0 + open.len()))?;
            }
            for s in &v.scope[common..] {
                writeln!(out, "{}$scope module {s} $end", " ".repeat(depth0 + open.len()))?;
                open.push(s);
            }
            let range = if v.width > 1 { format!(" [{}:0]", v.width - 1) } else { String::new() };
            writeln!(out, "{}$var wire {} {id} {}{range} $end", " ".repeat(depth0 + open.len()), v.width, v.name)?;
        }
        while open.pop().is_some() {
            writeln!(out, "{}$upscope $end", " ".repeat(depth0 + open.len()))?;
        }
        Ok(())
    }

    fn value_line(out: &mut impl Write, width: u32, v: u64, id: &str) -> std::io::Result<()> {
        if width == 1 {
            writeln!(out, "{}{id}", v & 1)
        } else {
            writeln!(out, "b{v:b} {id}")
        }
    }

    /// `ref.vcd`: the reference variables alone.
    fn write_standalone(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "$version hsx-cosim reference model $end")?;
        writeln!(out, "$timescale 1ns $end")?;
        let ids: Vec<String> = (0..self.vars.len()).map(vcd_id).collect();
        let defs: Vec<(&VarDef, String)> = self.vars.iter().zip(ids.iter().cloned()).collect();
        Self::header_vars(out, &defs, 0)?;
        writeln!(out, "$enddefinitions $end")?;
        for (t, ch) in &self.events {
            writeln!(out, "#{t}")?;
            for &(i, v) in ch {
                if i < self.vars.len() {
                    Self::value_line(out, self.vars[i].width, v, &ids[i])?;
                }
            }
        }
        out.flush()
    }
}

/// The `n`th short VCD identifier (printable ASCII `!`..`~`, little-endian base 94).
fn vcd_id(mut n: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'!' + (n % 94) as u8) as char);
        n /= 94;
        if n == 0 {
            return s;
        }
        n -= 1;
    }
}

/// Scopes left out of the merged dump: package constants and unnamed blocks (loop
/// variables), which are clutter in a viewer.
pub fn dropped_scope(name: &str) -> bool {
    name.ends_with("_pkg") || name.starts_with("unnamedblk")
}

/// Merge Verilator's raw dump (`raw`) with the reference trace into `out`: the RTL's top
/// scope renamed `rtl`, clutter scopes dropped, `rtl.window`, `ref.*` and `cosim.*`
/// added with identifiers the RTL does not use, value changes interleaved by time.
fn merge(raw: &Path, trace: &RefTrace, out: &mut impl Write) -> std::io::Result<()> {
    let mut lines = BufReader::with_capacity(1 << 16, std::fs::File::open(raw)?).lines();
    // Header.
    let mut header: Vec<String> = vec![];
    let mut stack: Vec<(String, bool)> = vec![]; // (name, dropped)
    let mut kept: HashSet<String> = HashSet::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut rtl_close_at = None;
    for line in lines.by_ref() {
        let line = line?;
        let t: Vec<&str> = line.split_whitespace().collect();
        let dropped = stack.last().map(|s| s.1).unwrap_or(false);
        match t.first().copied() {
            Some("$scope") if t.len() >= 3 => {
                let name = t[2];
                let drop = dropped || dropped_scope(name);
                if !drop {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    let name = if stack.is_empty() && name == "TOP" { "rtl" } else { name };
                    header.push(format!("{indent}$scope module {name} $end"));
                }
                stack.push((name.to_string(), drop));
            }
            Some("$upscope") => {
                let (_, drop) = stack.pop().unwrap_or_default();
                if stack.is_empty() {
                    rtl_close_at = Some(header.len());
                }
                if !drop {
                    header.push(line);
                }
            }
            Some("$var") if t.len() >= 5 => {
                used.insert(t[3].to_string());
                if !dropped {
                    kept.insert(t[3].to_string());
                    header.push(line);
                }
            }
            Some("$enddefinitions") => break,
            _ => header.push(line),
        }
    }
    // Identifiers for our variables that the RTL dump does not use.
    let nv = trace.vars.len() + trace.rtl_vars.len();
    let mut ids = Vec::with_capacity(nv);
    let mut k = 0;
    while ids.len() < nv {
        let id = vcd_id(k);
        if !used.contains(&id) {
            ids.push(id);
        }
        k += 1;
    }
    let width = |i: usize| {
        if i < trace.vars.len() {
            trace.vars[i].width
        } else {
            trace.rtl_vars[i - trace.vars.len()].width
        }
    };
    let close = rtl_close_at.unwrap_or(header.len());
    for l in &header[..close] {
        writeln!(out, "{l}")?;
    }
    // Inside the `rtl` scope: strip the leading `rtl` of the scope path.
    let inner: Vec<VarDef> = trace
        .rtl_vars
        .iter()
        .map(|v| VarDef { scope: v.scope[1..].to_vec(), name: v.name.clone(), width: v.width })
        .collect();
    let inner_defs: Vec<(&VarDef, String)> = inner.iter().zip(ids[trace.vars.len()..].iter().cloned()).collect();
    RefTrace::header_vars(out, &inner_defs, 2)?;
    for l in &header[close..] {
        writeln!(out, "{l}")?;
    }
    let defs: Vec<(&VarDef, String)> = trace.vars.iter().zip(ids.iter().cloned()).collect();
    RefTrace::header_vars(out, &defs, 1)?;
    writeln!(out, "$enddefinitions $end")?;
    // Body.
    let mut ev = trace.events.iter().peekable();
    let emit = |out: &mut dyn Write, ch: &[(usize, u64)]| -> std::io::Result<()> {
        for &(i, v) in ch {
            if width(i) == 1 {
                writeln!(out, "{}{}", v & 1, ids[i])?;
            } else {
                writeln!(out, "b{v:b} {}", ids[i])?;
            }
        }
        Ok(())
    };
    for line in lines {
        let line = line?;
        if let Some(ts) = line.strip_prefix('#') {
            if let Ok(t) = ts.trim().parse::<u64>() {
                while let Some((et, ch)) = ev.peek() {
                    if *et < t {
                        writeln!(out, "#{et}")?;
                        emit(out, ch)?;
                        ev.next();
                    } else {
                        break;
                    }
                }
                writeln!(out, "{line}")?;
                if let Some((et, ch)) = ev.peek() {
                    if *et == t {
                        emit(out, ch)?;
                        ev.next();
                    }
                }
                continue;
            }
        }
        let id = match line.as_bytes().first() {
            Some(b'0' | b'1' | b'x' | b'z' | b'X' | b'Z') => Some(line[1..].trim()),
            Some(b'b' | b'B' | b'r' | b'R') => line.split_whitespace().nth(1),
            _ => None,
        };
        match id {
            Some(id) if !kept.contains(id) => {}
            _ => writeln!(out, "{line}")?,
        }
    }
    for (et, ch) in ev {
        writeln!(out, "#{et}")?;
        emit(out, ch)?;
    }
    out.flush()
}

// ------------------------------------------------------------------------------------
// The GTKWave save file.
// ------------------------------------------------------------------------------------

/// Where the saved view looks.
pub struct View {
    /// The marker (the divergence), ns.
    pub marker: Option<u64>,
    /// First and last time shown, ns.
    pub start: u64,
    pub end: u64,
}

impl View {
    fn new(samples: &[Sample], mismatch: Option<u64>, from: u64, end_cycle: u64) -> View {
        match mismatch {
            Some(c) => {
                // The last VIEW_RETIRES retires before the divergence, and a little after.
                let before: Vec<u64> = samples.iter().map(|s| s.cycle).filter(|&x| x <= c).collect();
                let start_c =
                    before.get(before.len().saturating_sub(VIEW_RETIRES + 1)).copied().unwrap_or(from).max(from);
                let start_c = start_c.saturating_sub(2).max(from);
                View { marker: Some(c * VCD_PERIOD), start: start_c * VCD_PERIOD, end: (c + 4) * VCD_PERIOD }
            }
            None => View { marker: None, start: from * VCD_PERIOD, end: end_cycle * VCD_PERIOD },
        }
    }
}

/// The `hsx` to name in the save file's process filters: this executable when it is
/// `hsx`, else an `hsx` beside it or one directory up (test binaries live in
/// `target/*/deps/`), else `hsx` on the PATH.
pub fn hsx_exe() -> String {
    if let Ok(exe) = std::env::current_exe() {
        if exe.file_stem().map(|s| s == "hsx").unwrap_or(false) {
            return exe.display().to_string();
        }
        for dir in exe.ancestors().skip(1).take(2) {
            let p: PathBuf = dir.join("hsx");
            if p.is_file() {
                return p.display().to_string();
            }
        }
    }
    "hsx".into()
}

// GTKWave trace flags (analyzer.h).
const TR_HEX: u32 = 0x2;
const TR_DEC: u32 = 0x4;
const TR_BIN: u32 = 0x8;
const TR_RJUSTIFY: u32 = 0x20;
const TR_BLANK: u32 = 0x200;
const TR_PTRANSLATED: u32 = 0x4000;
const TR_GRP_BEGIN: u32 = 0x80_0000;
const TR_GRP_END: u32 = 0x100_0000;
const TR_CLOSED: u32 = 0x40_0000;

/// How a save-file row shows its value.
#[derive(Clone, Copy)]
enum Fmt {
    Bin,
    Hex,
    Dec,
    /// Through `hsx disasm --filter` (instruction words as mnemonics).
    Insn,
    /// Through `hsx disasm --filter psw` (`Z C N V`).
    Psw,
}

/// The signals a save file names, group by group: (group, closed, [(alias, name, fmt)]).
type Groups = Vec<(String, bool, Vec<(String, String, Fmt)>)>;

/// The retire fields in the order a person reads them (the save file's rows).
const RETIRE_VIEW: &[&str] = &[
    "valid",
    "step",
    "pid",
    "pc",
    "insn0",
    "next_pc",
    "psw",
    "sp",
    "fault",
    "fault_code",
    "trap",
    "trap_mod",
    "trap_fn",
    "nwr",
    "wr0_addr",
    "wr0_be",
    "wr0_data",
    "wr1_addr",
    "wr1_be",
    "wr1_data",
    "insn_len",
    "insn1",
];

fn retire_rows(with_ref: bool) -> Vec<(String, String, Fmt)> {
    let mut rows = vec![];
    for v in RETIRE_VIEW {
        let Some((f, w)) = RETIRE_FIELDS.iter().find(|(n, _)| n == v) else { continue };
        let fmt = match *f {
            "insn0" => Fmt::Insn,
            "psw" => Fmt::Psw,
            "step" | "pid" | "nwr" | "insn_len" => Fmt::Dec,
            _ if *w == 1 => Fmt::Bin,
            _ => Fmt::Hex,
        };
        let range = if *w > 1 { format!("[{}:0]", w - 1) } else { String::new() };
        if with_ref {
            rows.push((format!("ref {f}"), format!("ref.retire.{f}{range}"), fmt));
        }
        rows.push((format!("rtl {f}"), format!("rtl.rvfi_{f}_o{range}"), fmt));
    }
    rows
}

fn groups(n_tasks: usize, with_ref: bool) -> Groups {
    let mut g: Groups = vec![];
    if with_ref {
        g.push(("divergence".into(), false, vec![("mismatch".into(), "cosim.mismatch".into(), Fmt::Bin)]));
    }
    g.push((if with_ref { "retire: ref above rtl" } else { "retire" }.into(), false, retire_rows(with_ref)));
    if with_ref {
        let mut w = vec![
            ("ref pid".into(), "ref.window.pid[4:0]".into(), Fmt::Dec),
            ("rtl pid".into(), "rtl.window.pid[4:0]".into(), Fmt::Dec),
        ];
        for r in 0..16 {
            w.push((format!("ref R{r}"), format!("ref.window.r{r}[31:0]"), Fmt::Hex));
            w.push((format!("rtl R{r}"), format!("rtl.window.r{r}[31:0]"), Fmt::Hex));
        }
        g.push(("window of the retiring task: ref above rtl".into(), false, w));
    }
    let mut s = vec![];
    if with_ref {
        s.push(("ref current".into(), "ref.sched.current[4:0]".into(), Fmt::Dec));
    }
    s.push(("rtl current".into(), "rtl.hsx_top.u_sched.current_q[4:0]".into(), Fmt::Dec));
    if with_ref {
        s.push(("ref last_ran".into(), "ref.sched.last_ran[4:0]".into(), Fmt::Dec));
    }
    s.push(("rtl last_ran".into(), "rtl.hsx_top.u_sched.last_ran_q[4:0]".into(), Fmt::Dec));
    for p in 1..=n_tasks.max(if with_ref { 0 } else { 8 }) {
        if with_ref {
            s.push((format!("ref state{p}"), format!("ref.sched.state{p}[2:0]"), Fmt::Dec));
        }
        s.push((format!("rtl state{p}"), format!("rtl.hsx_top.u_sched.state_q[{}][2:0]", p - 1), Fmt::Dec));
    }
    g.push(("scheduler: current, last_ran, slot states".into(), false, s));
    let mut bus = vec![];
    for (n, w) in [
        ("run_i", 1),
        ("idle_o", 1),
        ("halted_o", 1),
        ("hb_req_i", 1),
        ("hb_we_i", 1),
        ("hb_space_i", 2),
        ("hb_addr_i", 16),
        ("hb_be_i", 4),
        ("hb_wdata_i", 32),
        ("hb_ack_o", 1),
        ("hb_rdata_o", 32),
        ("trap_o", 1),
        ("trap_cause_o", 2),
        ("trap_pid_o", 5),
        ("trap_mod_o", 4),
        ("trap_fn_o", 8),
        ("trap_pc_o", 16),
        ("trap_ack_i", 1),
    ] {
        let range = if w > 1 { format!("[{}:0]", w - 1) } else { String::new() };
        bus.push((n.to_string(), format!("rtl.{n}{range}"), if w == 1 { Fmt::Bin } else { Fmt::Hex }));
    }
    g.push(("host bus and trap handshake".into(), true, bus));
    g
}

/// Every signal name a save file for `n_tasks` tasks names (tests check each exists).
pub fn gtkw_signals(n_tasks: usize, with_ref: bool) -> Vec<String> {
    groups(n_tasks, with_ref).into_iter().flat_map(|g| g.2.into_iter().map(|r| r.1)).collect()
}

/// The save file's text (`dumpfile` relative: GTKWave looks beside the save file).
pub fn gtkw(view: &View, n_tasks: usize, with_ref: bool, format: WaveFormat) -> String {
    let mut s = String::new();
    use std::fmt::Write as _;
    let hsx = hsx_exe();
    let _ = writeln!(s, "[*] hsx-cosim waveforms: gtkwave waves.gtkw (docs/waves.md)");
    let _ = writeln!(s, "[dumpfile] \"{}\"", format.dump_name());
    let _ = writeln!(s, "[savefile] \"waves.gtkw\"");
    let _ = writeln!(s, "[timestart] {}", view.start);
    let _ = writeln!(s, "[size] 1400 800");
    let _ = writeln!(s, "[pos] -1 -1");
    // Zoom: GTKWave 3.3 draws about 200 * 2^zoom pixels per time unit (ns here; zoom
    // <= 0): the span to show fills at most ~1000 pixels.
    let span = (view.end.saturating_sub(view.start)).max(10) as f64;
    let zoom = (5.0 / span).log2().floor().min(0.0);
    let marker = view.marker.map(|m| m as i64).unwrap_or(-1);
    let _ = write!(s, "*{zoom:.6} {marker}");
    for _ in 0..26 {
        let _ = write!(s, " -1");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "[sst_width] 220");
    let _ = writeln!(s, "[signals_width] 300");
    let _ = writeln!(s, "[sst_expanded] 1");
    let _ = writeln!(s, "[sst_vpaned_height] 200");
    for (name, closed, rows) in groups(n_tasks, with_ref) {
        let _ = writeln!(s, "@{:x}", TR_GRP_BEGIN | TR_BLANK | if closed { TR_CLOSED } else { 0 });
        let _ = writeln!(s, "-{name}");
        for (alias, sig, fmt) in rows {
            let flags = match fmt {
                Fmt::Bin => TR_BIN | TR_RJUSTIFY,
                Fmt::Hex => TR_HEX | TR_RJUSTIFY,
                Fmt::Dec => TR_DEC | TR_RJUSTIFY,
                Fmt::Insn | Fmt::Psw => TR_HEX | TR_RJUSTIFY | TR_PTRANSLATED,
            };
            let _ = writeln!(s, "@{flags:x}");
            match fmt {
                // GTKWave passes the text after the program as one argument; `hsx`
                // splits a single argument containing spaces (src/main.rs).
                Fmt::Insn => {
                    let _ = writeln!(s, "^>1 {hsx} disasm --filter");
                }
                Fmt::Psw => {
                    let _ = writeln!(s, "^>2 {hsx} disasm --filter psw");
                }
                _ => {}
            }
            let _ = writeln!(s, "+{{{alias}}} {sig}");
        }
        let _ = writeln!(s, "@{:x}", TR_GRP_END | TR_BLANK | if closed { TR_CLOSED } else { 0 });
        let _ = writeln!(s, "-{name}");
    }
    let _ = writeln!(s, "[pattern_trace] 1");
    let _ = writeln!(s, "[pattern_trace] 0");
    s
}

/// Waves of a plain RTL run (`hsx run --engine rtl --waves DIR`): merge the raw dump
/// (no reference side) into `dir/rtl.vcd` and write `waves.gtkw`.
pub fn finish_rtl_only(raw: &Path, dir: &Path, range: WaveRange, end_cycle: u64) -> Result<(), CosimError> {
    let trace = RefTrace { vars: vec![], rtl_vars: vec![], events: vec![] };
    write_dump(raw, &trace, dir, range.format)?;
    let view = View { marker: None, start: range.from * VCD_PERIOD, end: end_cycle * VCD_PERIOD };
    let gtkw_path = dir.join("waves.gtkw");
    crate::fsx::write_atomic(&gtkw_path, gtkw(&view, 8, false, range.format).as_bytes()).map_err(io_err(&gtkw_path))
}

/// The text a GTKWave process filter prints for one value: the instruction word's
/// disassembly (`insn`) or the PSW's flags (`psw`, `Z C N V`, `-` for a clear flag).
/// Anything that is not a hex number (`x`, `z`, an empty line) is echoed.
pub fn filter_line(kind: FilterKind, value: &str) -> String {
    let v = value.trim();
    let hex = v.trim_start_matches("0x").trim_start_matches("0X");
    let Ok(n) = u32::from_str_radix(hex, 16) else { return v.to_string() };
    match kind {
        FilterKind::Insn => isa::disasm::disasm_word(n, None, 0).0,
        FilterKind::Psw => psw_flags(n as u8),
    }
}

/// PSW as flags, `Z C N V` order; a clear flag is `-` (`psw 6` = `- C N -`).
pub fn psw_flags(psw: u8) -> String {
    let f = |bit: u8, c: &'static str| if psw & bit != 0 { c } else { "-" };
    format!("{} {} {} {}", f(isa::PSW_Z, "Z"), f(isa::PSW_C, "C"), f(isa::PSW_N, "N"), f(isa::PSW_V, "V"))
}

/// What `hsx disasm --filter` translates.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// Instruction words → mnemonic lines.
    Insn,
    /// PSW values → `Z C N V` flags.
    Psw,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_printable() {
        let ids: HashSet<String> = (0..20_000).map(vcd_id).collect();
        assert_eq!(ids.len(), 20_000);
        assert!(ids.iter().all(|s| s.bytes().all(|b| (b'!'..=b'~').contains(&b))));
    }

    #[test]
    fn psw_flags_in_order() {
        assert_eq!(psw_flags(0), "- - - -");
        assert_eq!(psw_flags(0x6), "- C N -");
        assert_eq!(psw_flags(0xF), "Z C N V");
        assert_eq!(filter_line(FilterKind::Psw, "e"), "- C N V");
        assert_eq!(filter_line(FilterKind::Insn, "xxxxxxxx"), "xxxxxxxx");
    }

    #[test]
    fn range_bounds() {
        assert!(WaveRange::check(Some(10), Some(5)).is_err());
        assert!(WaveRange::check(Some(0), Some(MAX_WINDOW)).is_err());
        assert_eq!(
            WaveRange::check(None, Some(99)).unwrap(),
            WaveRange { from: 0, to: Some(99), format: WaveFormat::Vcd }
        );
    }
}
