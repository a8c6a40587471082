//! The reference side as VCD variables (`ref.*`, `rtl.window`, `cosim.mismatch`) and
//! their value changes, written alone (`ref.vcd`) or merged into Verilator's raw RTL dump
//! (`rtl.vcd`): the RTL's top scope renamed `rtl`, clutter scopes dropped, identifiers the
//! RTL does not use, value changes interleaved by time.

use super::{Sample, VCD_PERIOD};
use isa::Retire;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

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
pub(super) struct RefTrace {
    /// Variables under `ref` and `cosim` (standalone and merged dumps).
    pub(super) vars: Vec<VarDef>,
    /// Variables inserted into the RTL's scope in the merged dump (`rtl.window`).
    pub(super) rtl_vars: Vec<VarDef>,
    /// (time, [(var index, value)]) in time order; indices past `vars.len()` are `rtl_vars`.
    pub(super) events: Vec<(u64, Vec<(usize, u64)>)>,
}

impl RefTrace {
    pub(super) fn build(samples: &[Sample], n_tasks: usize, mismatch: Option<u64>, from: u64) -> RefTrace {
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
    pub(super) fn write_standalone(&self, out: &mut impl Write) -> std::io::Result<()> {
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
pub(super) fn vcd_id(mut n: usize) -> String {
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
pub(super) fn merge(raw: &Path, trace: &RefTrace, out: &mut impl Write) -> std::io::Result<()> {
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
