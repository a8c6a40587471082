//! The GTKWave save file (`waves.gtkw`) for a merged dump — named groups, the marker on
//! the divergence, the view on the last retires before it — and the process filters it
//! names (`hsx disasm --filter`: instruction words as mnemonics, PSW as flags).

use super::merge::RETIRE_FIELDS;
use super::{Sample, WaveFormat, VCD_PERIOD, VIEW_RETIRES};
use std::path::PathBuf;

/// Where the saved view looks.
pub struct View {
    /// The marker (the divergence), ns.
    pub marker: Option<u64>,
    /// First and last time shown, ns.
    pub start: u64,
    pub end: u64,
}

impl View {
    pub(super) fn new(samples: &[Sample], mismatch: Option<u64>, from: u64, end_cycle: u64) -> View {
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
