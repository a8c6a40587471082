//! The summary of code coverage: line and toggle figures per RTL module and the
//! uncovered lines (docs/coverage.md "The summary").

use super::waivers::{waiver_of, WaiverKind, WAIVERS};
use super::{is_mutant_only, strip_hier, CodeCoverage, Point};
use std::collections::BTreeMap;
use std::path::Path;

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
    /// Lines never counted that a [`Waiver`](super::Waiver) explains (included in `lines`).
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
