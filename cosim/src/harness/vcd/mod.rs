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
//!
//! This module re-runs the case and writes the files; [`merge`] holds the reference side
//! as VCD variables and the merge of the raw RTL dump with them; [`gtkw`](mod@gtkw) the GTKWave
//! save file and the `hsx disasm --filter` process filters it names.

pub mod gtkw;
pub mod merge;

pub use gtkw::{filter_line, gtkw, gtkw_signals, hsx_exe, psw_flags, FilterKind, View};
pub use merge::{dropped_scope, VarDef, RETIRE_FIELDS};

use super::check::Checker;
use super::side::{Dut, Reference};
use super::{case::Case, CosimConfig, CosimError, Divergence, Lockstep, Observer, Verdict};
use crate::fsx::AtomicFile;
use isa::Retire;
use merge::{merge, RefTrace};
use std::path::Path;

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

pub(super) fn io_err(path: &Path) -> impl Fn(std::io::Error) -> CosimError + '_ {
    move |source| CosimError::Io { path: path.display().to_string(), source }
}

/// What a recording produced.
pub struct Recording {
    /// The re-run's divergence (`None` when it agreed).
    pub divergence: Option<Divergence>,
    pub steps: u64,
    pub cycles: u64,
}

/// Re-run `case` from reset, with the standard checkers, and write `rtl.vcd`, `ref.vcd`
/// and `waves.gtkw` into `dir`. With `d` (a divergence), the window is the
/// `cfg.vcd_window` cycles before it (from reset when the run is shorter) plus
/// [`AFTER_CYCLES`]; otherwise `range`.
pub fn record(
    case: &Case,
    cfg: &CosimConfig,
    d: Option<&Divergence>,
    range: WaveRange,
    dir: &Path,
) -> Result<Recording, CosimError> {
    record_with(case, cfg, super::check::standard_checkers(cfg.check_timing), d, range, dir)
}

/// [`record`] with the re-run consulting `checkers` (a divergence's run's own, from
/// [`Lockstep::rerun_checkers`]: a divergence only a user's checker saw re-diverges at
/// the same point and gets the same waveforms).
pub fn record_with(
    case: &Case,
    cfg: &CosimConfig,
    checkers: Vec<Box<dyn Checker>>,
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
    let result = record_into(case, cfg, checkers, d, range, dir, &raw);
    let _ = std::fs::remove_file(&raw);
    result
}

fn record_into(
    case: &Case,
    cfg: &CosimConfig,
    checkers: Vec<Box<dyn Checker>>,
    d: Option<&Divergence>,
    range: WaveRange,
    dir: &Path,
    raw: &Path,
) -> Result<Recording, CosimError> {
    let raw_str = raw.display().to_string();
    let mut arm_err = None;
    // The re-run on the traced model (the same cycles as the untraced run it repeats).
    let traced = CosimConfig { trace: true, ..*cfg };
    let mut ls = Lockstep::from_case_with(case, traced, &mut |rtl: &mut sim::Rtl| {
        // Armed before the loader runs: a window that starts at reset includes it.
        if let Err(e) = rtl.vcd_arm(raw, range.from, range.to) {
            arm_err = Some(e.to_string());
        }
    })?;
    if let Some(e) = arm_err {
        return Err(CosimError::Report(e));
    }
    ls.set_checkers(checkers);
    let mut rec = Recorder { range, samples: vec![], full: false };
    let verdict = ls.run(&mut rec);
    // A few cycles after the end (the divergence), the clock still running.
    let rtl = ls.rtl_mut();
    rtl.set_run(false);
    rtl.tick(AFTER_CYCLES);
    let end_cycle = rtl.cycles();
    rtl.vcd_close();
    if let Some(e) = rtl.vcd_failure(&raw_str) {
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
    let n_tasks = ls.reference().machine.n_tasks();
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

/// Waves of a plain RTL run (`hsx run --engine rtl --waves DIR`): merge the raw dump
/// (no reference side) into `dir/rtl.vcd` and write `waves.gtkw`.
pub fn finish_rtl_only(raw: &Path, dir: &Path, range: WaveRange, end_cycle: u64) -> Result<(), CosimError> {
    let trace = RefTrace { vars: vec![], rtl_vars: vec![], events: vec![] };
    write_dump(raw, &trace, dir, range.format)?;
    let view = View { marker: None, start: range.from * VCD_PERIOD, end: end_cycle * VCD_PERIOD };
    let gtkw_path = dir.join("waves.gtkw");
    crate::fsx::write_atomic(&gtkw_path, gtkw(&view, 8, false, range.format).as_bytes()).map_err(io_err(&gtkw_path))
}

#[cfg(test)]
mod tests {
    use super::merge::vcd_id;
    use super::*;
    use std::collections::HashSet;

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
