//! Waveforms of a divergence, recorded by deterministic re-simulation (so passing runs
//! pay nothing for tracing): the RTL's own VCD (Verilator's tracer, every design signal)
//! over a window of cycles before the divergence, and a VCD of the reference model on
//! the same time axis (time = the RTL cycle of each retire, 10 ns per cycle) with the
//! RTL's retire port beside it and a `mismatch` marker.

use super::{case::Case, CosimConfig, CosimError, Divergence, Lockstep, Observer, Verdict};
use isa::Retire;
use std::path::Path;
use vcd::{IdCode, TimescaleUnit, Value, Writer};

/// VCD time units per RTL cycle (the sim crate's tracer uses the same).
pub const VCD_PERIOD: u64 = 10;
/// Cycles traced after the divergent retire.
pub const AFTER_CYCLES: u64 = 8;

/// One reference sample (after a retire).
#[derive(Clone)]
struct Sample {
    cycle: u64,
    rec: Retire,
    rtl: Option<Retire>,
    current: u8,
    regs: [u32; 16],
    states: Vec<u8>,
}

struct Recorder<'p> {
    start: u64,
    path: &'p Path,
    opened: bool,
    error: Option<String>,
    samples: Vec<Sample>,
}

impl Observer for Recorder<'_> {
    fn before_step(&mut self, ls: &mut Lockstep) {
        // Open at the last step boundary before the window starts (no step is longer than
        // a DIV plus its start-up, well under 64 cycles outside trap service).
        if !self.opened && ls.rtl.rtl.cycles() + 64 >= self.start {
            self.opened = true;
            if let Err(e) = ls.rtl.rtl.vcd_open(self.path) {
                self.error = Some(e.to_string());
            }
        }
    }
    fn after_step(&mut self, ls: &Lockstep, rec: &Retire, cycle: u64) {
        if !self.opened {
            return;
        }
        let m = &ls.refs.machine;
        let pid = rec.pid;
        let regs = if pid >= 1 && (pid as usize) <= m.n_tasks() { m.regs(pid) } else { [0; 16] };
        self.samples.push(Sample {
            cycle,
            rec: *rec,
            rtl: None,
            current: m.current,
            regs,
            states: m.slots.iter().map(|s| s.state as u8).collect(),
        });
    }
}

/// Re-run `case` from reset and write `rtl.vcd` and `ref.vcd` into `dir`. Returns the
/// divergence seen by the re-run (it must be the same as the original one).
pub fn record(case: &Case, cfg: &CosimConfig, d: &Divergence, dir: &Path) -> Result<Divergence, CosimError> {
    let rtl_path = dir.join("rtl.vcd");
    let mut ls = Lockstep::new(case, *cfg)?;
    let start = d.cycle.saturating_sub(cfg.vcd_window);
    let mut rec = Recorder { start, path: &rtl_path, opened: false, error: None, samples: vec![] };
    let verdict = ls.run(&mut rec);
    if !rec.opened {
        ls.rtl.rtl.vcd_open(&rtl_path).map_err(|e| CosimError::Report(e.to_string()))?;
    }
    if let Some(e) = rec.error {
        return Err(CosimError::Report(format!("opening {}: {e}", rtl_path.display())));
    }
    ls.rtl.rtl.set_run(false);
    ls.rtl.rtl.tick(AFTER_CYCLES);
    ls.rtl.rtl.vcd_close();
    // Attach the RTL's retire records (from the history) to the samples.
    for s in rec.samples.iter_mut() {
        s.rtl =
            ls.history.0.iter().find(|r| r.cycle == s.cycle && r.ref_rec.step == s.rec.step).and_then(|r| r.rtl_rec);
    }
    let again = match verdict {
        Verdict::Diverged(d2) => *d2,
        Verdict::Agree { .. } => {
            return Err(CosimError::Report("the re-simulation did not diverge: the run is not deterministic".into()))
        }
    };
    write_ref_vcd(&dir.join("ref.vcd"), &rec.samples, ls.refs.machine.n_tasks(), again.cycle)
        .map_err(|e| CosimError::Io { path: dir.join("ref.vcd").display().to_string(), source: e })?;
    Ok(again)
}

fn bits(v: u64, width: u32) -> Vec<Value> {
    (0..width).rev().map(|i| if (v >> i) & 1 != 0 { Value::V1 } else { Value::V0 }).collect()
}

struct Retires {
    valid: IdCode,
    step: IdCode,
    pid: IdCode,
    pc: IdCode,
    insn: IdCode,
    next_pc: IdCode,
    psw: IdCode,
    sp: IdCode,
    fault: IdCode,
}

fn retire_vars<W: std::io::Write>(w: &mut Writer<W>) -> std::io::Result<Retires> {
    Ok(Retires {
        valid: w.add_wire(1, "valid")?,
        step: w.add_wire(64, "step")?,
        pid: w.add_wire(5, "pid")?,
        pc: w.add_wire(16, "pc")?,
        insn: w.add_wire(32, "insn")?,
        next_pc: w.add_wire(16, "next_pc")?,
        psw: w.add_wire(4, "psw")?,
        sp: w.add_wire(32, "sp")?,
        fault: w.add_wire(32, "fault")?,
    })
}

fn put_retire<W: std::io::Write>(w: &mut Writer<W>, v: &Retires, r: Option<&Retire>) -> std::io::Result<()> {
    let d = Retire::default();
    let r0 = r.unwrap_or(&d);
    w.change_vector(v.valid, bits(r.is_some() as u64, 1))?;
    w.change_vector(v.step, bits(r0.step, 64))?;
    w.change_vector(v.pid, bits(r0.pid as u64, 5))?;
    w.change_vector(v.pc, bits(r0.pc as u64, 16))?;
    w.change_vector(v.insn, bits(r0.insn_words().first().copied().unwrap_or(0) as u64, 32))?;
    w.change_vector(v.next_pc, bits(r0.next_pc as u64, 16))?;
    w.change_vector(v.psw, bits(r0.psw as u64, 4))?;
    w.change_vector(v.sp, bits(r0.sp as u64, 32))?;
    w.change_vector(v.fault, bits(r0.fault.unwrap_or(0) as u64, 32))?;
    Ok(())
}

fn write_ref_vcd(path: &Path, samples: &[Sample], n_tasks: usize, mismatch_cycle: u64) -> std::io::Result<()> {
    let f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut w = Writer::new(f);
    w.version("hsx-cosim reference model")?;
    w.timescale(1, TimescaleUnit::NS)?;
    w.add_module("hsx_ref")?;
    let mismatch = w.add_wire(1, "mismatch")?;
    w.add_module("ref")?;
    let rv = retire_vars(&mut w)?;
    let current = w.add_wire(5, "current")?;
    let regs: Vec<IdCode> = (0..16).map(|n| w.add_wire(32, &format!("r{n}"))).collect::<Result<_, _>>()?;
    let states: Vec<IdCode> =
        (1..=n_tasks).map(|p| w.add_wire(3, &format!("slot{p}_state"))).collect::<Result<_, _>>()?;
    w.upscope()?;
    w.add_module("rtl")?;
    let tv = retire_vars(&mut w)?;
    w.upscope()?;
    w.upscope()?;
    w.enddefinitions()?;
    let first = samples.first().map(|s| s.cycle).unwrap_or(mismatch_cycle);
    w.timestamp(first.saturating_sub(1) * VCD_PERIOD)?;
    w.change_vector(mismatch, bits(0, 1))?;
    put_retire(&mut w, &rv, None)?;
    put_retire(&mut w, &tv, None)?;
    w.change_vector(current, bits(0, 5))?;
    for r in &regs {
        w.change_vector(*r, bits(0, 32))?;
    }
    for s in &states {
        w.change_vector(*s, bits(0, 3))?;
    }
    for s in samples {
        w.timestamp(s.cycle * VCD_PERIOD)?;
        let hit = s.cycle == mismatch_cycle;
        w.change_vector(mismatch, bits(hit as u64, 1))?;
        put_retire(&mut w, &rv, Some(&s.rec))?;
        put_retire(&mut w, &tv, s.rtl.as_ref())?;
        w.change_vector(current, bits(s.current as u64, 5))?;
        for (id, v) in regs.iter().zip(s.regs) {
            w.change_vector(*id, bits(v as u64, 32))?;
        }
        for (id, v) in states.iter().zip(&s.states) {
            w.change_vector(*id, bits(*v as u64, 3))?;
        }
        // Valid for one cycle, like the retire port.
        w.timestamp((s.cycle + 1) * VCD_PERIOD)?;
        w.change_vector(rv.valid, bits(0, 1))?;
        w.change_vector(tv.valid, bits(0, 1))?;
        w.change_vector(mismatch, bits(0, 1))?;
    }
    if samples.last().map(|s| s.cycle) != Some(mismatch_cycle) {
        // A divergence found outside a retire (end of run, stuck): mark its cycle.
        w.timestamp(mismatch_cycle * VCD_PERIOD)?;
        w.change_vector(mismatch, bits(1, 1))?;
        w.timestamp((mismatch_cycle + 1) * VCD_PERIOD)?;
        w.change_vector(mismatch, bits(0, 1))?;
    }
    w.flush()
}
