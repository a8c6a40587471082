//! RTL code coverage (`hsx regress --coverage DIR`, `hsx cosim --coverage DIR`,
//! `hsx merge --coverage DIR`; docs/coverage.md).
//!
//! Each case runs its RTL side on the coverage model `Vhsx_cov` (Verilator
//! `--coverage-line --coverage-toggle`). Its counters belong to the model alone (its own
//! `VerilatedContext` and counter array), so cases running in other threads never mix
//! into them. After the case its raw counters are copied (a few thousand integers, no
//! file) and summed, in case order, into the run's 64-bit sums. Which point each counter
//! is — the [`Layout`] — is read once per process from one model that writes its counters
//! set to their own index (one line per instance). At the end the sums become one
//! [`CodeCoverage`] (Verilator's per-instance `coverage.dat`, points sorted by key).
//! Addition is commutative and every case starts from a fresh model, so the file is the
//! same bit for bit at any `--jobs`, and the sum of a sharded run's shards (`hsx merge`
//! adds their files point by point) equals the single run's.
//!
//! From the summed data: `DIR/coverage.dat`, `DIR/coverage.info` (lcov, by
//! `verilator_coverage --write-info`), `DIR/annotated/` (`verilator_coverage --annotate`),
//! `DIR/html/` (`genhtml`, when installed) and `DIR/summary.txt`: line and toggle
//! coverage per RTL module and every uncovered line with its source text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The header line of a Verilator coverage data file.
pub const DAT_HEADER: &str = "# SystemC::Coverage-3";

/// Errors reading or writing coverage data.
#[derive(Debug, thiserror::Error)]
pub enum CodeCovError {
    #[error("{path}:{line}: {why}")]
    Parse { path: String, line: usize, why: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}")]
    Tool(String),
}

/// Summed code-coverage counters: one count per coverage point, the points sorted by
/// their key (Verilator's `'\x01f\x02file\x01l\x02line…'` string).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeCoverage {
    keys: Arc<Vec<String>>,
    counts: Vec<u64>,
}

/// The key list of the last file read: every case of one build has the same points, so
/// they share one list (merging is then element-wise).
static KEYS: Mutex<Option<Arc<Vec<String>>>> = Mutex::new(None);

impl CodeCoverage {
    /// No points at all (nothing measured).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Parse a Verilator coverage data file's text (`path` names it in errors). Points
    /// with the same key (Verilator writes each once) are summed.
    pub fn parse(text: &str, path: &str) -> Result<CodeCoverage, CodeCovError> {
        let mut points: Vec<(String, u64)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |why: &str| CodeCovError::Parse { path: path.to_string(), line: i + 1, why: why.to_string() };
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let rest = line.strip_prefix("C '").ok_or_else(|| bad("expected `C '<key>' <count>`"))?;
            let (key, count) = rest.rsplit_once("' ").ok_or_else(|| bad("expected `' <count>` after the key"))?;
            let count: u64 = count.trim().parse().map_err(|_| bad("the count is not a number"))?;
            points.push((key.to_string(), count));
        }
        let sorted = points.windows(2).all(|w| w[0].0 < w[1].0);
        if !sorted {
            points.sort_by(|a, b| a.0.cmp(&b.0));
            points.dedup_by(|b, a| {
                if a.0 == b.0 {
                    a.1 += b.1;
                    true
                } else {
                    false
                }
            });
        }
        let counts: Vec<u64> = points.iter().map(|p| p.1).collect();
        let mut cache = KEYS.lock().unwrap_or_else(|p| p.into_inner());
        let keys = match cache.as_ref() {
            Some(k) if k.len() == points.len() && k.iter().zip(&points).all(|(a, b)| *a == b.0) => k.clone(),
            _ => {
                let k = Arc::new(points.into_iter().map(|p| p.0).collect::<Vec<_>>());
                *cache = Some(k.clone());
                k
            }
        };
        Ok(CodeCoverage { keys, counts })
    }

    /// Read a coverage data file.
    pub fn read(path: &Path) -> Result<CodeCoverage, CodeCovError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| CodeCovError::Io { path: path.display().to_string(), source })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Add another's counts (points missing on one side count 0 there).
    pub fn merge(&mut self, o: &CodeCoverage) {
        if o.keys.is_empty() {
            return;
        }
        if self.keys.is_empty() {
            *self = o.clone();
            return;
        }
        if Arc::ptr_eq(&self.keys, &o.keys) || self.keys == o.keys {
            for (a, b) in self.counts.iter_mut().zip(&o.counts) {
                *a += b;
            }
            return;
        }
        let mut m: BTreeMap<&str, u64> = BTreeMap::new();
        for (k, c) in self.keys.iter().zip(&self.counts).chain(o.keys.iter().zip(&o.counts)) {
            *m.entry(k.as_str()).or_default() += c;
        }
        let keys: Vec<String> = m.keys().map(|k| k.to_string()).collect();
        let counts = m.values().copied().collect();
        *self = CodeCoverage { keys: Arc::new(keys), counts };
    }

    /// The data in Verilator's format (header, then `C '<key>' <count>` in key order):
    /// what `verilator_coverage` reads.
    pub fn to_dat(&self) -> String {
        let mut s = String::with_capacity(self.keys.len() * 160);
        s.push_str(DAT_HEADER);
        s.push('\n');
        for (k, c) in self.keys.iter().zip(&self.counts) {
            s.push_str("C '");
            s.push_str(k);
            s.push_str("' ");
            s.push_str(&c.to_string());
            s.push('\n');
        }
        s
    }

    /// The points, decoded.
    pub fn points(&self) -> impl Iterator<Item = (Point, u64)> + '_ {
        self.keys.iter().zip(&self.counts).map(|(k, c)| (Point::decode(k), *c))
    }
}

/// One coverage point's fields (Verilator's short keys: `f` file, `l` line, `page`
/// `v_line/<module>` / `v_branch/<module>` / `v_toggle/<module>`, `o` comment, `h`
/// hierarchy, `S` the lines a line point covers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Point {
    pub file: String,
    pub line: u32,
    /// `line`, `branch` or `toggle` (the part of `page` before the `/`, without `v_`).
    pub kind: String,
    pub module: String,
    pub comment: String,
    pub hier: String,
    /// The source lines the point stands for (`S`; else just `line`).
    pub lines: Vec<u32>,
    /// `S` was given.
    pub has_lines: bool,
}

impl Point {
    pub fn decode(key: &str) -> Point {
        let mut p = Point::default();
        let mut linescov = None;
        for kv in key.split('\x01').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('\x02').unwrap_or((kv, ""));
            match k {
                "f" => p.file = v.to_string(),
                "l" => p.line = v.parse().unwrap_or(0),
                "page" => {
                    let (kind, module) = v.split_once('/').unwrap_or((v, ""));
                    p.kind = kind.strip_prefix("v_").unwrap_or(kind).to_string();
                    // `hsx_core__N8`: Verilator names a parameterised module's copy
                    // after its parameters; report the module.
                    p.module = module.split("__").next().unwrap_or(module).to_string();
                }
                "o" => p.comment = v.to_string(),
                "h" => p.hier = v.to_string(),
                "S" => linescov = Some(v.to_string()),
                _ => {}
            }
        }
        p.lines = match linescov {
            Some(s) => parse_line_ranges(&s),
            None => vec![],
        };
        p.has_lines = !p.lines.is_empty();
        if p.lines.is_empty() && p.line > 0 {
            p.lines.push(p.line);
        }
        p
    }

    /// Does the point stand for source lines (a block, a case item, a branch with
    /// statements)? An implicit `else` (a branch point without `S`) is a branch outcome,
    /// not a line: it is not counted in the line figures.
    pub fn is_line(&self) -> bool {
        self.kind == "line" || (self.kind == "branch" && self.has_lines)
    }
}

/// Is the point code that only a hand-made mutant runs (docs/mutants.md; the coverage
/// model is built without `HSX_MUTANTS`, so the mutant selector is 0)? (a) an `if` branch
/// whose condition tests the mutant selector (`hsx_pkg::Mut…`); (b) a block or case item
/// right under a comment naming a mutant (a state only a mutant enters). Toggle points of
/// the selector itself (`mut`, `mutant_i`) are constant. docs/coverage.md lists them.
fn is_mutant_only(p: &Point, src: Option<&Vec<String>>) -> bool {
    if p.kind == "toggle" {
        let sig = p.comment.split('[').next().unwrap_or("");
        return sig == "mut" || sig == "mutant_i";
    }
    let Some(src) = src else { return false };
    let line = |n: u32| src.get((n as usize).wrapping_sub(1)).map(|s| s.as_str()).unwrap_or("");
    let own = line(p.line);
    if p.kind == "branch" && p.comment == "if" && own.contains("hsx_pkg::Mut") {
        return true;
    }
    // The comment block right above line n mentions a mutant.
    let comment_above = |n: u32| {
        let mut k = n.saturating_sub(1);
        while k > 0 {
            let t = line(k).trim_start();
            if !t.starts_with("//") {
                return false;
            }
            if t.to_ascii_lowercase().contains("mutant") {
                return true;
            }
            k -= 1;
        }
        false
    };
    if comment_above(p.line) {
        return true;
    }
    // Inside a function that only mutant code calls (its comment says so).
    let mut k = p.line;
    while k > 0 {
        let t = line(k).trim_start();
        if t.starts_with("endfunction") && k != p.line {
            return false;
        }
        if t.starts_with("function") {
            return comment_above(k);
        }
        if t.starts_with("module") {
            return false;
        }
        k -= 1;
    }
    false
}

/// A key without its `h` (hierarchy) field.
fn strip_hier(key: &str) -> String {
    key.split('\x01').filter(|kv| !kv.is_empty() && !kv.starts_with("h\x02")).fold(String::new(), |mut s, kv| {
        s.push('\x01');
        s.push_str(kv);
        s
    })
}

/// `"12-14,17"` → 12, 13, 14, 17.
fn parse_line_ranges(s: &str) -> Vec<u32> {
    let mut v = vec![];
    for part in s.split(',') {
        let part = part.trim();
        if let Some((a, b)) = part.split_once('-') {
            if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                if a <= b && b - a < 100_000 {
                    v.extend(a..=b);
                }
            }
        } else if let Ok(a) = part.parse() {
            v.push(a);
        }
    }
    v
}

/// Why a line the regression never counts is not a hole in it (docs/coverage.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WaiverKind {
    /// No input reaches it (a complete `case`'s `default`, a check the architecture
    /// makes impossible).
    Unreachable,
    /// Only the host bus reaches it (host commands or register reads that a lockstep
    /// run never issues: `hsx shell`, the RTL engine's API).
    HostOnly,
    /// Only a hand-made mutant reaches it.
    MutantOnly,
    /// Executed (the lockstep-checked results prove it) but Verilator 5.006 does not
    /// count it.
    NotCounted,
}

impl WaiverKind {
    pub fn name(self) -> &'static str {
        match self {
            WaiverKind::Unreachable => "unreachable",
            WaiverKind::HostOnly => "host-only",
            WaiverKind::MutantOnly => "mutant-only",
            WaiverKind::NotCounted => "executed, not counted by Verilator",
        }
    }
}

/// One waived coverage point: its file, the trimmed text its own line starts with, and
/// optionally text the next line contains (to tell equal lines apart).
#[derive(Debug, Clone, Copy)]
pub struct Waiver {
    pub file: &'static str,
    pub line: &'static str,
    pub next: Option<&'static str>,
    pub kind: WaiverKind,
    pub why: &'static str,
}

const fn w(file: &'static str, line: &'static str, kind: WaiverKind, why: &'static str) -> Waiver {
    Waiver { file, line, next: None, kind, why }
}

/// The points of the current RTL that the default regression cannot (or Verilator does
/// not) count, matched by source text so that they follow edits that move lines. A test
/// checks that each still matches the RTL. docs/coverage.md explains each.
pub const WAIVERS: &[Waiver] = {
    use WaiverKind::*;
    const ALU: &str = "rtl/hsx_alu.sv";
    const CORE: &str = "rtl/hsx_core.sv";
    const FPU: &str = "rtl/hsx_fpu.sv";
    const LSU: &str = "rtl/hsx_lsu.sv";
    const SCHED: &str = "rtl/hsx_sched.sv";
    const TOP: &str = "rtl/hsx_top.sv";
    &[
        Waiver {
            file: CORE,
            line: "end else begin",
            next: Some("// quiescent"),
            kind: HostOnly,
            why: "the core idles at a step boundary with run_i high; the harness stops the run at quiescence",
        },
        w(CORE, "default:              done(pc4);   // not a jump_e value", Unreachable, "a complete case over the jump kinds"),
        w(CORE, "end else if (pop_unf) begin", Unreachable, "RET: SP moves in steps of 4 from the aligned stack_top, so SP != stack_top implies SP + 4 <= stack_top"),
        w(CORE, "end else if (pop_mem) begin", Unreachable, "a stack word past 0xFFFF needs a corrupt slot; the executive never builds one"),
        w(CORE, "end else if (push_mem) begin", Unreachable, "a stack word past 0xFFFF needs a corrupt slot; the executive never builds one"),
        w(CORE, "default: fault(hsx_isa_pkg::FaultIllegal);", Unreachable, "the default of a case over every instruction class"),
        w(CORE, "hsx_isa_pkg::ClsJump, hsx_isa_pkg::ClsSvc, hsx_isa_pkg::ClsBrk: begin", Unreachable, "these classes finish in StDecode and never reach this state"),
        Waiver {
            file: CORE,
            line: "hsx_isa_pkg::ClsBrk: begin",
            next: Some("// unreachable"),
            kind: Unreachable,
            why: "these classes never read a second operand",
        },
        w(CORE, "default: st_d = hsx_pkg::StBoundary;", Unreachable, "the default of a case over every state"),
        Waiver {
            file: FPU,
            line: "default: begin",
            next: Some("sel_special_val = 16'd0;"),
            kind: Unreachable,
            why: "the default of a case over every FPU operation",
        },
        w(FPU, "if (div_an_v[15:8] == 8'd0) begin", NotCounted, "subnormal dividends: tests/programs/coverage/fdiv-subnormal.mvasm divides them, results checked, counter stays 0"),
        w(FPU, "if (div_an_v[15:12] == 4'd0) begin", NotCounted, "as above"),
        w(FPU, "if (div_an_v[15:14] == 2'd0) begin", NotCounted, "as above"),
        w(FPU, "if (div_an_v[15] == 1'b0) begin", NotCounted, "as above"),
        w(FPU, "if (div_bn_v[15:8] == 8'd0) begin", NotCounted, "subnormal divisors: tests/programs/coverage/fdiv-subnormal.mvasm divides by them, results checked, counter stays 0"),
        w(FPU, "if (div_bn_v[15:12] == 4'd0) begin", NotCounted, "as above"),
        w(FPU, "if (div_bn_v[15:14] == 2'd0) begin", NotCounted, "as above"),
        w(FPU, "if (div_bn_v[15] == 1'b0) begin", NotCounted, "as above"),
        w(FPU, "if (div_rem >= {1'b0, div_bn_v[15:5]}) begin", NotCounted, "a quotient bit of 1 (every FDIV with a non-zero quotient) inside the unrolled loop"),
        w(ALU, "default:              zn = 1'b0;", Unreachable, "the default of a case over every ALU operation"),
        w(LSU, "default:        len = 3'd4;", Unreachable, "the default of a case over every access size"),
        w(LSU, "default:        mask8 = 8'b0000_1111;", Unreachable, "the default of a case over every access size"),
        w(LSU, "default:        load_o = shifted;", Unreachable, "the default of a case over every access size"),
        w(SCHED, "if (!tmo_valid_o) begin", NotCounted, "every timeout wake (wake:timeout is hit) takes its task index here; inside an unrolled loop"),
        w(SCHED, "if (deadline_q[i] < min_dl) begin", NotCounted, "the idle jump to the earliest deadline (wake:sleep, wake:timeout) needs it; inside an unrolled loop"),
        w(SCHED, "if (j >= NTasks) j = j - NTasks;", NotCounted, "the wrap of the round robin (a rotation from the highest pid) inside an unrolled loop"),
        w(SCHED, "if (!pick_valid && state_q[j] == hsx_isa_pkg::TaskReady) begin", NotCounted, "every pick goes through it (15 787 picks); inside an unrolled loop"),
        w(SCHED, "if (!rot_valid && state_q[j] == hsx_isa_pkg::TaskReady) begin", NotCounted, "every rotation goes through it (the `if (rot_valid)` after it is counted 14 120 times); inside an unrolled loop"),
        w(SCHED, "default: ctrl_rdata_o = '0;", HostOnly, "host reads of unmapped or write-only registers"),
        w(SCHED, "hsx_isa_pkg::CtrlGlobalCurrent:", HostOnly, "the executive reads the task table, not these globals (the harness uses the probe)"),
        w(SCHED, "hsx_isa_pkg::CtrlGlobalLastRan:", HostOnly, "as above"),
        w(SCHED, "hsx_isa_pkg::CtrlGlobalStepsLo:", HostOnly, "as above"),
        w(SCHED, "hsx_isa_pkg::CtrlGlobalStepsHi:", HostOnly, "as above"),
        w(SCHED, "hsx_isa_pkg::CtrlGlobalArg6, hsx_isa_pkg::CtrlGlobalArg7:", HostOnly, "as above (the argument registers are write-only for the executive)"),
        w(SCHED, "hsx_isa_pkg::CtrlGlobalNTasks:", HostOnly, "as above"),
        w(SCHED, "hsx_isa_pkg::CmdPause: begin", HostOnly, "host PAUSE (hsx shell `pause`); a lockstep run issues no host command between steps"),
        w(SCHED, "if (cmd_st == hsx_isa_pkg::TaskRunning || cmd_st == hsx_isa_pkg::TaskReady) begin", HostOnly, "as above"),
        w(SCHED, "hsx_isa_pkg::CmdResume: begin", HostOnly, "host RESUME, as above"),
        w(SCHED, "if (cmd_st == hsx_isa_pkg::TaskPaused) begin", HostOnly, "as above"),
        w(SCHED, "hsx_isa_pkg::CmdKill: begin", HostOnly, "host KILL, as above (tests/integration/isolation.rs drives it outside the regression)"),
        w(SCHED, "if (current_q == cmd_pid) begin", HostOnly, "as above"),
        w(SCHED, "hsx_isa_pkg::CmdSetSlice: begin", HostOnly, "host SET_SLICE, as above"),
        w(SCHED, "if (arg_q[0] != 32'd0) begin", HostOnly, "as above"),
        w(SCHED, "hsx_isa_pkg::CmdNone: ;", HostOnly, "a command strobe with no command: the executive never writes one"),
        w(SCHED, "default: ;  // undefined command codes are ignored", HostOnly, "undefined command codes: the executive never writes one"),
        w(SCHED, "default:            end_st = state_q[cidx];", Unreachable, "the default of a case over every step ending"),
        w(TOP, "default:            hb_rdata_o = '0;", HostOnly, "host reads of the unmapped address space 3"),
    ]
};

fn waiver_of<'a>(p: &Point, src: Option<&Vec<String>>, waivers: &'a [Waiver]) -> Option<&'a Waiver> {
    let src = src?;
    // The point's first source line (an `else` branch's point carries its `if`'s line
    // number; its lines start at the `else`).
    let first = if p.has_lines { p.lines.iter().copied().min().unwrap_or(p.line) } else { p.line };
    let own = src.get((first as usize).wrapping_sub(1))?.trim();
    let next = src.get(first as usize).map(|s| s.as_str()).unwrap_or("");
    waivers
        .iter()
        .find(|w| w.file == p.file && own.starts_with(w.line) && w.next.map(|n| next.contains(n)).unwrap_or(true))
}

/// What is known about one source line while the points are read.
struct LineState {
    module: String,
    /// The smallest count of the points standing for it.
    min: u64,
    /// A point standing for it was never counted and no waiver explains it.
    unwaived_zero: bool,
    /// The waiver of its uncounted points (if every one has one).
    waiver: Option<WaiverKind>,
}

/// Per-module figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleFigures {
    pub lines: usize,
    pub lines_hit: usize,
    /// Lines never counted that a [`Waiver`] explains (included in `lines`).
    pub lines_waived: usize,
    pub toggles: usize,
    pub toggles_hit: usize,
}

/// An uncovered RTL line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncovered {
    pub file: String,
    pub line: u32,
    pub module: String,
    /// The source text (trimmed), if the file could be read.
    pub text: Option<String>,
}

/// What the summary prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub modules: BTreeMap<String, ModuleFigures>,
    pub uncovered: Vec<Uncovered>,
    /// Points left out as mutant-only code.
    pub excluded: usize,
    /// Uncounted lines a waiver explains, by kind.
    pub waived: BTreeMap<WaiverKind, usize>,
}

impl Report {
    /// Line and toggle figures per module, and the uncovered lines. A source line is
    /// covered when every line/branch point standing for it was hit at least once (a line
    /// inside a branch never taken is uncovered even when its enclosing block ran).
    /// Only modules of the RTL file list are measured: the coverage model is built from
    /// `rtl/hsx.f` alone (no test bench) and without `HSX_MUTANTS` (no mutant-only code).
    pub fn of(cov: &CodeCoverage, source_root: &Path) -> Report {
        let mut modules: BTreeMap<String, ModuleFigures> = BTreeMap::new();
        let mut lines: BTreeMap<(String, u32), LineState> = BTreeMap::new();
        let mut sources: BTreeMap<String, Option<Vec<String>>> = BTreeMap::new();
        let mut excluded = 0;
        // One point per instance in the data; the figures are per module: sum the
        // instances of a point (its key without the hierarchy).
        let mut agg: BTreeMap<String, u64> = BTreeMap::new();
        for (k, c) in cov.keys.iter().zip(&cov.counts) {
            *agg.entry(strip_hier(k)).or_default() += c;
        }
        for (p, c) in agg.iter().map(|(k, c)| (Point::decode(k), *c)) {
            let src = sources.entry(p.file.clone()).or_insert_with(|| {
                std::fs::read_to_string(source_root.join(&p.file)).ok().map(|t| t.lines().map(str::to_string).collect())
            });
            if is_mutant_only(&p, src.as_ref()) {
                excluded += 1;
                continue;
            }
            match p.kind.as_str() {
                "line" | "branch" if p.is_line() => {
                    modules.entry(p.module.clone()).or_default();
                    let waiver = if c == 0 { waiver_of(&p, src.as_ref(), WAIVERS).map(|w| w.kind) } else { None };
                    for l in &p.lines {
                        let e = lines.entry((p.file.clone(), *l)).or_insert_with(|| LineState {
                            module: p.module.clone(),
                            min: u64::MAX,
                            unwaived_zero: false,
                            waiver: None,
                        });
                        e.min = e.min.min(c);
                        if c == 0 {
                            match waiver {
                                Some(k) => e.waiver = Some(e.waiver.map_or(k, |w| w.min(k))),
                                None => e.unwaived_zero = true,
                            }
                        }
                    }
                }
                "toggle" => {
                    let m = modules.entry(p.module.clone()).or_default();
                    m.toggles += 1;
                    if c > 0 {
                        m.toggles_hit += 1;
                    }
                }
                _ => {}
            }
        }
        let mut uncovered = vec![];
        let mut waived: BTreeMap<WaiverKind, usize> = BTreeMap::new();
        for ((file, line), st) in &lines {
            let m = modules.entry(st.module.clone()).or_default();
            m.lines += 1;
            if st.min > 0 {
                m.lines_hit += 1;
                continue;
            }
            if let (false, Some(k)) = (st.unwaived_zero, st.waiver) {
                m.lines_waived += 1;
                *waived.entry(k).or_default() += 1;
                continue;
            }
            let module = &st.module;
            let src = sources.entry(file.clone()).or_insert_with(|| {
                std::fs::read_to_string(source_root.join(file)).ok().map(|t| t.lines().map(str::to_string).collect())
            });
            let text = src.as_ref().and_then(|s| s.get(*line as usize - 1)).map(|t| t.trim().to_string());
            uncovered.push(Uncovered { file: file.clone(), line: *line, module: module.clone(), text });
        }
        Report { modules, uncovered, excluded, waived }
    }

    fn totals(&self) -> ModuleFigures {
        let mut t = ModuleFigures::default();
        for m in self.modules.values() {
            t.lines += m.lines;
            t.lines_hit += m.lines_hit;
            t.lines_waived += m.lines_waived;
            t.toggles += m.toggles;
            t.toggles_hit += m.toggles_hit;
        }
        t
    }

    /// Line coverage over every module, in percent.
    pub fn line_percent(&self) -> f64 {
        let t = self.totals();
        pct(t.lines_hit, t.lines)
    }

    /// Line coverage of the lines not waived (the regression's target, ≥ 95 %).
    pub fn reachable_line_percent(&self) -> f64 {
        let t = self.totals();
        pct(t.lines_hit, t.lines - t.lines_waived)
    }

    /// Toggle coverage over every module, in percent.
    pub fn toggle_percent(&self) -> f64 {
        let t = self.totals();
        pct(t.toggles_hit, t.toggles)
    }

    /// The summary section.
    pub fn text(&self) -> String {
        let mut s = String::from("coverage: RTL code (Verilator line + toggle, the coverage model Vhsx_cov)\n");
        s.push_str(&format!("  {:<14} {:>18} {:>20}\n", "module", "lines", "toggles"));
        let row = |name: &str, m: &ModuleFigures| {
            format!(
                "  {:<14} {:>9} {:>7.1} % {:>11} {:>7.1} %\n",
                name,
                format!("{}/{}", m.lines_hit, m.lines),
                pct(m.lines_hit, m.lines),
                format!("{}/{}", m.toggles_hit, m.toggles),
                pct(m.toggles_hit, m.toggles)
            )
        };
        for (name, m) in &self.modules {
            s.push_str(&row(name, m));
        }
        s.push_str(&row("total", &self.totals()));
        if self.excluded > 0 {
            s.push_str(&format!("  ({} points of mutant-only code left out)\n", self.excluded));
        }
        let t = self.totals();
        if t.lines_waived > 0 {
            let kinds: Vec<String> = self.waived.iter().map(|(k, n)| format!("{n} {}", k.name())).collect();
            s.push_str(&format!(
                "  lines without a waiver: {}/{} {:.1} % (waived, docs/coverage.md: {})\n",
                t.lines_hit,
                t.lines - t.lines_waived,
                self.reachable_line_percent(),
                kinds.join(", ")
            ));
        }
        if self.uncovered.is_empty() {
            s.push_str("  uncovered lines without a waiver: none\n");
        } else {
            s.push_str(&format!("  uncovered lines without a waiver ({}):\n", self.uncovered.len()));
            for u in &self.uncovered {
                match &u.text {
                    Some(t) => s.push_str(&format!("    {}:{}: {}\n", u.file, u.line, t)),
                    None => s.push_str(&format!("    {}:{}: (source not readable)\n", u.file, u.line)),
                }
            }
        }
        s
    }
}

fn pct(hit: usize, n: usize) -> f64 {
    if n == 0 {
        100.0
    } else {
        hit as f64 * 100.0 / n as f64
    }
}

/// Where the RTL sources named in the coverage data are: the directory Verilator ran in
/// when this binary's model was built (`sim::RTL_SOURCE_ROOT`), else `fallback` (e.g. the
/// regression's `--root`).
pub fn source_root(fallback: &Path) -> PathBuf {
    let built = PathBuf::from(sim::RTL_SOURCE_ROOT);
    if built.join("rtl").is_dir() {
        built
    } else {
        fallback.to_path_buf()
    }
}

/// What [`write_outputs`] produced besides `coverage.dat` and `summary.txt`.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// Notes for the user (a tool missing, a step that failed), one line each.
    pub notes: Vec<String>,
}

/// Write `DIR/coverage.dat` (atomically), then `DIR/coverage.info`, `DIR/annotated/`,
/// `DIR/html/` (when `genhtml` is installed) and `DIR/summary.txt`. A missing or failing
/// external tool is a note, not an error: the data file stands.
pub fn write_outputs(dir: &Path, cov: &CodeCoverage, report: &Report, root: &Path) -> Result<Outputs, CodeCovError> {
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| CodeCovError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let dat = dir.join("coverage.dat");
    crate::fsx::write_atomic(&dat, cov.to_dat().as_bytes()).map_err(io(&dat))?;
    let mut out = Outputs::default();
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (dat_abs, info_abs, ann_abs, html_abs) =
        (abs(&dat), abs(&dir.join("coverage.info")), abs(&dir.join("annotated")), abs(&dir.join("html")));
    let vc = verilator_coverage();
    // `verilator_coverage` and `genhtml` resolve the data's relative file names from
    // their working directory: run them where Verilator ran.
    let run = |cmd: &mut std::process::Command, what: &str| -> Option<String> {
        match cmd.current_dir(root).output() {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(format!(
                "{what} failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).lines().take(3).collect::<Vec<_>>().join(" / ")
            )),
            Err(e) => Some(format!("{what} could not run: {e}")),
        }
    };
    let tmp_info = info_abs.with_file_name(".coverage.info.tmp");
    if let Some(n) = run(
        std::process::Command::new(&vc).arg("--write-info").arg(&tmp_info).arg(&dat_abs),
        "verilator_coverage --write-info",
    ) {
        out.notes.push(n);
        let _ = std::fs::remove_file(&tmp_info);
    } else {
        std::fs::rename(&tmp_info, &info_abs).map_err(io(&info_abs))?;
    }
    if ann_abs.exists() {
        std::fs::remove_dir_all(&ann_abs).map_err(io(&ann_abs))?;
    }
    if let Some(n) = run(
        std::process::Command::new(&vc).arg("--annotate").arg(&ann_abs).arg(&dat_abs),
        "verilator_coverage --annotate",
    ) {
        out.notes.push(n);
    }
    if info_abs.is_file() {
        if which("genhtml").is_some() {
            if html_abs.exists() {
                std::fs::remove_dir_all(&html_abs).map_err(io(&html_abs))?;
            }
            if let Some(n) = run(
                std::process::Command::new("genhtml").arg("--quiet").arg("-o").arg(&html_abs).arg(&info_abs),
                "genhtml",
            ) {
                out.notes.push(n);
            }
        } else {
            out.notes.push("no HTML report: genhtml not found (Debian/Ubuntu: apt-get install lcov)".into());
        }
    }
    let summary = dir.join("summary.txt");
    crate::fsx::write_atomic(&summary, report.text().as_bytes()).map_err(io(&summary))?;
    Ok(out)
}

/// The `verilator_coverage` beside the Verilator that built the model (`$VERILATOR_ROOT`),
/// else the one on `PATH`.
fn verilator_coverage() -> PathBuf {
    if let Some(r) = std::env::var_os("VERILATOR_ROOT").filter(|r| !r.is_empty()) {
        let p = Path::new(&r).join("bin/verilator_coverage");
        if p.is_file() {
            return p;
        }
    }
    PathBuf::from("verilator_coverage")
}

fn which(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(prog)).find(|p| p.is_file())
}

/// Which coverage point each raw counter of the coverage model is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Every point (one per instance), sorted.
    keys: Arc<Vec<String>>,
    /// Point k's counter (`None`: a point Verilator gave no counter, always 0).
    counter: Vec<Option<usize>>,
    /// Number of raw counters.
    len: usize,
}

static LAYOUT: std::sync::OnceLock<Result<Arc<Layout>, String>> = std::sync::OnceLock::new();

impl Layout {
    /// The layout of this binary's coverage model (built once per process: one model
    /// writes its counters set to their index + 1 into `dir/.layout-<pid>.dat`).
    pub fn get(dir: &Path) -> Result<Arc<Layout>, CodeCovError> {
        LAYOUT
            .get_or_init(|| Self::probe(dir).map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(CodeCovError::Tool)
    }

    fn probe(dir: &Path) -> Result<Layout, CodeCovError> {
        let mut rtl = sim::Rtl::new(sim::RtlOptions { coverage: true, ..sim::RtlOptions::default() })
            .map_err(|e| CodeCovError::Tool(e.to_string()))?;
        let len = rtl.coverage_counts().len();
        let f = dir.join(format!(".layout-{}.dat", std::process::id()));
        let written = rtl.coverage_write_layout(&f).map_err(|e| CodeCovError::Tool(e.to_string()));
        let read = written.and_then(|_| CodeCoverage::read(&f));
        let _ = std::fs::remove_file(&f);
        let c = read?;
        let counter = c.counts.iter().map(|&v| (v >= 1 && (v as usize) <= len).then(|| v as usize - 1)).collect();
        Ok(Layout { keys: c.keys.clone(), counter, len })
    }

    /// Number of raw counters.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The points with the summed raw counts.
    pub fn coverage(&self, raw: &[u64]) -> CodeCoverage {
        let counts = self.counter.iter().map(|c| c.and_then(|i| raw.get(i).copied()).unwrap_or(0)).collect();
        CodeCoverage { keys: self.keys.clone(), counts }
    }
}

/// The raw counters of the model that just ran a case.
pub fn take(rtl: &sim::Rtl) -> Vec<u32> {
    rtl.coverage_counts()
}

/// Add a case's raw counters to a run's sums.
pub fn add_raw(sum: &mut Vec<u64>, case: &[u32]) {
    if sum.len() < case.len() {
        sum.resize(case.len(), 0);
    }
    for (s, c) in sum.iter_mut().zip(case) {
        *s += *c as u64;
    }
}

/// Keys of the points whose `page` kind is one of `kinds` (for tests and tools).
pub fn modules_of(cov: &CodeCoverage) -> BTreeSet<String> {
    cov.points().map(|(p, _)| p.module).filter(|m| !m.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(file: &str, line: u32, page: &str, s: Option<&str>) -> String {
        let mut k = format!("\x01f\x02{file}\x01l\x02{line}\x01page\x02{page}\x01o\x02block");
        if let Some(s) = s {
            k.push_str(&format!("\x01S\x02{s}"));
        }
        k.push_str("\x01h\x02TOP.hsx_top");
        k
    }

    fn dat(points: &[(String, u64)]) -> String {
        let mut s = format!("{DAT_HEADER}\n");
        for (k, c) in points {
            s.push_str(&format!("C '{k}' {c}\n"));
        }
        s
    }

    #[test]
    fn parse_merge_and_write_round_trip() {
        let a = dat(&[(key("rtl/a.sv", 3, "v_line/a", Some("3-4")), 2), (key("rtl/a.sv", 7, "v_toggle/a", None), 0)]);
        let b = dat(&[(key("rtl/a.sv", 7, "v_toggle/a", None), 5), (key("rtl/a.sv", 3, "v_line/a", Some("3-4")), 1)]);
        let mut x = CodeCoverage::parse(&a, "a").unwrap();
        let y = CodeCoverage::parse(&b, "b").unwrap();
        x.merge(&y);
        let text = x.to_dat();
        let again = CodeCoverage::parse(&text, "x").unwrap();
        assert_eq!(again, x);
        let counts: Vec<u64> = x.points().map(|(_, c)| c).collect();
        assert_eq!(counts, vec![3, 5]);
        // Merging in the other order gives the same bytes.
        let mut z = CodeCoverage::parse(&b, "b").unwrap();
        z.merge(&CodeCoverage::parse(&a, "a").unwrap());
        assert_eq!(z.to_dat(), text);
    }

    #[test]
    fn disjoint_point_sets_merge_by_key() {
        let mut a = CodeCoverage::parse(&dat(&[(key("rtl/a.sv", 1, "v_line/a", None), 1)]), "a").unwrap();
        let b = CodeCoverage::parse(&dat(&[(key("rtl/b.sv", 1, "v_line/b", None), 4)]), "b").unwrap();
        a.merge(&b);
        assert_eq!(a.len(), 2);
        assert_eq!(modules_of(&a).into_iter().collect::<Vec<_>>(), vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn mutant_only_code_is_left_out() {
        let dir = std::env::temp_dir().join(format!("hsx-codecov-mut-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("rtl")).unwrap();
        let src = "module m;\n  if (mut == hsx_pkg::MutX) begin\n    x = 1;\n  end\n  // mutant 9: a state\n  y = 2;\n  z = 3;\nendmodule\n";
        std::fs::write(dir.join("rtl/m.sv"), src).unwrap();
        let mut k_if = key("rtl/m.sv", 2, "v_branch/m", Some("2-3"));
        k_if = k_if.replace("\x01o\x02block", "\x01o\x02if");
        let c = CodeCoverage::parse(
            &dat(&[
                (k_if, 0),
                (key("rtl/m.sv", 6, "v_line/m", Some("6")), 0),
                (key("rtl/m.sv", 7, "v_line/m", Some("7")), 0),
                (key("rtl/m.sv", 1, "v_toggle/m", None).replace("\x01o\x02block", "\x01o\x02mut[3]"), 0),
            ]),
            "m",
        )
        .unwrap();
        let r = Report::of(&c, &dir);
        assert_eq!(r.excluded, 3);
        assert_eq!(r.uncovered.iter().map(|u| u.line).collect::<Vec<_>>(), vec![7]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_waiver_matches_a_line_of_the_rtl() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for w in WAIVERS {
            let text = std::fs::read_to_string(root.join(w.file)).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let found = lines.iter().enumerate().any(|(i, l)| {
                l.trim().starts_with(w.line)
                    && w.next.map(|n| lines.get(i + 1).is_some_and(|x| x.contains(n))).unwrap_or(true)
            });
            assert!(found, "waiver {:?} matches no line of {} (the RTL changed: update WAIVERS)", w.line, w.file);
        }
    }

    #[test]
    fn bad_lines_are_named() {
        let e = CodeCoverage::parse("# SystemC::Coverage-3\nC 'x' many\n", "f.dat").unwrap_err();
        assert_eq!(e.to_string(), "f.dat:2: the count is not a number");
        let e = CodeCoverage::parse("garbage\n", "f.dat").unwrap_err();
        assert!(e.to_string().starts_with("f.dat:1: expected"), "{e}");
    }

    #[test]
    fn a_line_is_covered_only_when_every_point_on_it_was_hit() {
        let dir = std::env::temp_dir().join(format!("hsx-codecov-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("rtl")).unwrap();
        std::fs::write(dir.join("rtl/m.sv"), "module m;\n  if (a)\n    x = 1;\n  y = 2;\nendmodule\n").unwrap();
        let c = CodeCoverage::parse(
            &dat(&[
                (key("rtl/m.sv", 2, "v_line/m", Some("2,4")), 9),
                (key("rtl/m.sv", 3, "v_branch/m", Some("3")), 0),
                (key("rtl/m.sv", 4, "v_toggle/m", None), 1),
                (key("rtl/m.sv", 5, "v_toggle/m", None), 0),
            ]),
            "m",
        )
        .unwrap();
        let r = Report::of(&c, &dir);
        let m = &r.modules["m"];
        assert_eq!((m.lines, m.lines_hit, m.toggles, m.toggles_hit), (3, 2, 2, 1));
        assert_eq!(r.uncovered.len(), 1);
        assert_eq!((r.uncovered[0].line, r.uncovered[0].text.as_deref()), (3, Some("x = 1;")));
        let t = r.text();
        assert!(t.contains("rtl/m.sv:3: x = 1;"), "{t}");
        assert!(t.contains("66.7 %"), "{t}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
