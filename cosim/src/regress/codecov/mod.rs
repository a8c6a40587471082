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

mod report;
mod waivers;

pub use report::{ModuleFigures, Report, Uncovered};
pub use waivers::{Waiver, WaiverKind, WAIVERS};

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
pub(super) fn is_mutant_only(p: &Point, src: Option<&Vec<String>>) -> bool {
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
pub(super) fn strip_hier(key: &str) -> String {
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
mod tests;
