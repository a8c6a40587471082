//! Mutation campaigns (`hsx mutate`, docs/mutation.md): pick N automatic mutants of the RTL
//! with a seeded generator, run the default regression against each in the one mutant
//! model (stopping at its first divergence), triage the survivors (a bounded Yosys
//! equivalence check, `equiv.rs`), and report every mutant and the score
//! killed ÷ (generated − proven equivalent).

pub mod cli;
pub mod equiv;

use crate::regress::{RegressOptions, Shard};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a campaign could not run or merge.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {msg}")]
    File { path: String, msg: String },
    #[error(transparent)]
    Regress(#[from] crate::regress::RegressError),
}

/// Everything a campaign needs.
#[derive(Debug, Clone)]
pub struct CampaignOptions {
    /// Mutants to generate (over all shards).
    pub count: usize,
    /// Seed of the mutant generator.
    pub seed: u64,
    /// Mutants run at once (each runs its regression on one thread).
    pub jobs: usize,
    pub shard: Shard,
    /// The regression each mutant meets: `seeds` random programs + the directed ones.
    pub seeds: u64,
    /// Where `examples/`, `tests/programs/` and `rtl/` are.
    pub root: PathBuf,
    /// Where the killing divergences' reports go.
    pub traces: PathBuf,
    /// Run the bounded equivalence check on survivors (needs `yosys`).
    pub equiv: bool,
    /// Progress lines on stderr.
    pub progress: bool,
}

impl Default for CampaignOptions {
    fn default() -> Self {
        CampaignOptions {
            count: 50,
            seed: 1,
            jobs: 1,
            shard: Shard::default(),
            seeds: crate::regress::DEFAULT_SEEDS,
            root: PathBuf::from("."),
            traces: PathBuf::from("traces"),
            equiv: true,
            progress: false,
        }
    }
}

/// One mutant's result (a row of the JSON report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutantResult {
    /// Position in the generated campaign (0-based; shards own positions k % n == i - 1).
    pub index: usize,
    /// `hsx regress --mutant auto-N` reruns it.
    pub mutant: String,
    pub file: String,
    pub line: usize,
    /// operator, unary, constant, condition, drop.
    pub op: String,
    pub change: String,
    pub killed: bool,
    /// true: equivalent to the original (proven by Yosys, or argued in
    /// `rtl/mutants/equivalent.toml`: see `equivalent_by`); false: not equivalent (a
    /// divergence is a witness); null: survived and not shown either way.
    pub equivalent: Option<bool>,
    /// How a survivor was shown equivalent: `yosys` (a bounded proof) or `argument` (an
    /// entry of `rtl/mutants/equivalent.toml`); null otherwise.
    #[serde(default)]
    pub equivalent_by: Option<String>,
    /// The checker that caught it (`retire`, `sched`, `timing`, … or `error`).
    pub checker: Option<String>,
    /// Cases run: up to and including the killing one, else all.
    pub cases: u64,
    /// The killing case and its mismatch line.
    pub case: Option<String>,
    pub mismatch: Option<String>,
    /// Survivors: what the equivalence check said, or the verification hole.
    pub note: Option<String>,
}

/// A campaign's report (`--json`; `--results` is the same object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub seed: u64,
    pub count: usize,
    /// The shard this report covers ("1/1" after a merge of all shards).
    pub shard: String,
    /// The regression: random seeds per mutant (plus the directed programs).
    pub seeds: u64,
    pub mutant_hash: String,
    pub generated: usize,
    pub killed: usize,
    /// Survivors Yosys proved equivalent.
    pub proven_equivalent: usize,
    /// Survivors argued equivalent in `rtl/mutants/equivalent.toml`.
    #[serde(default)]
    pub argued_equivalent: usize,
    pub survived: usize,
    /// killed ÷ (generated − proven equivalent − argued equivalent); 1.0 when nothing is
    /// left.
    pub score: f64,
    pub elapsed_s: f64,
    pub mutants: Vec<MutantResult>,
}

impl Report {
    fn finish(mut self) -> Report {
        self.mutants.sort_by_key(|m| m.index);
        self.generated = self.mutants.len();
        self.killed = self.mutants.iter().filter(|m| m.killed).count();
        let equivalent = |by: &str| {
            self.mutants
                .iter()
                .filter(|m| {
                    !m.killed && m.equivalent == Some(true) && m.equivalent_by.as_deref().unwrap_or("yosys") == by
                })
                .count()
        };
        self.proven_equivalent = equivalent("yosys");
        self.argued_equivalent = equivalent("argument");
        self.survived = self.generated - self.killed;
        let den = self.generated - self.proven_equivalent - self.argued_equivalent;
        self.score = if den == 0 { 1.0 } else { self.killed as f64 / den as f64 };
        self
    }

    /// `score 0.960 = 48 killed / (50 generated - 0 proven equivalent - 0 argued
    /// equivalent)`.
    pub fn score_line(&self) -> String {
        format!(
            "score {:.3} = {} killed / ({} generated - {} proven equivalent - {} argued equivalent)",
            self.score, self.killed, self.generated, self.proven_equivalent, self.argued_equivalent
        )
    }

    /// The human-readable report: one line per mutant, survivors triaged, the score.
    pub fn text(&self) -> String {
        let mut s = format!(
            "hsx mutate: {} mutants (seed {}, shard {}, {} of {} generated), regression {} seeds + directed\n",
            self.generated, self.seed, self.shard, self.generated, self.count, self.seeds
        );
        for m in &self.mutants {
            let verdict = if m.killed {
                format!("killed by {} after {} cases", m.checker.as_deref().unwrap_or("?"), m.cases)
            } else if m.equivalent == Some(true) && m.equivalent_by.as_deref() == Some("argument") {
                "equivalent (argued: rtl/mutants/equivalent.toml)".to_string()
            } else if m.equivalent == Some(true) {
                "equivalent (proven)".to_string()
            } else {
                format!("SURVIVED {} cases", m.cases)
            };
            s.push_str(&format!(
                "  {:<10} rtl/{}:{:<4} {:<48} {}\n",
                m.mutant,
                m.file,
                m.line,
                truncate(&m.change, 48),
                verdict
            ));
            if !m.killed {
                if let Some(n) = &m.note {
                    s.push_str(&format!("             {n}\n"));
                }
            }
        }
        s.push_str(&format!("  time: {:.1} s\n", self.elapsed_s));
        s.push_str(&self.score_line());
        s.push('\n');
        s
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// The campaign's mutants, in campaign order: the automatic mutants grouped by operator
/// class (operator, constant, condition, drop, unary), each group shuffled by a ChaCha8
/// generator seeded with `seed`, then taken round robin — so every class is represented
/// and the same seed gives the same mutants for the same RTL.
pub fn select(count: usize, seed: u64) -> Result<Vec<u16>, CampaignError> {
    let all = crate::mutants::auto();
    if count > all.len() {
        return Err(CampaignError::Invalid(format!(
            "--count {count}: the mutant model holds {} automatic mutants",
            all.len()
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let order =
        [mutate::Op::Operator, mutate::Op::Constant, mutate::Op::Condition, mutate::Op::Drop, mutate::Op::Unary];
    let mut groups: Vec<Vec<u16>> = order
        .iter()
        .map(|op| {
            let mut g: Vec<u16> = all.iter().filter(|(_, p)| p.op == *op).map(|(n, _)| *n).collect();
            // Fisher-Yates with the generator's 64-bit words (stable across rand versions).
            for i in (1..g.len()).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                g.swap(i, j);
            }
            g.reverse(); // pop() takes from the shuffled front
            g
        })
        .collect();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        for g in groups.iter_mut() {
            if out.len() < count {
                if let Some(n) = g.pop() {
                    out.push(n);
                }
            }
        }
    }
    Ok(out)
}

fn point(n: u16) -> &'static mutate::Point {
    &crate::mutants::auto()[(n - mutate::AUTO_BASE) as usize].1
}

/// Run this shard's part of the campaign.
pub fn run(opts: &CampaignOptions) -> Result<Report, CampaignError> {
    run_with(opts, &crate::interrupt::interrupted)
}

/// [`run`], asking `poll` whether a signal asked it to stop.
pub fn run_with(
    opts: &CampaignOptions,
    poll: &(dyn Fn() -> Option<crate::interrupt::Signal> + Sync),
) -> Result<Report, CampaignError> {
    if opts.jobs == 0 {
        return Err(CampaignError::Invalid("--jobs must be at least 1".into()));
    }
    let start = Instant::now();
    let argued = argued_list(&opts.root)?;
    let chosen = select(opts.count, opts.seed)?;
    let mine: Vec<(usize, u16)> =
        chosen.iter().copied().enumerate().filter(|(k, _)| opts.shard.owns(*k as u64)).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<MutantResult>> = Mutex::new(Vec::new());
    let failed: Mutex<Option<CampaignError>> = Mutex::new(None);
    let threads = opts.jobs.min(mine.len()).max(1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(index, n)) = mine.get(i) else { break };
                if poll().is_some() || failed.lock().map(|f| f.is_some()).unwrap_or(true) {
                    break;
                }
                match run_mutant(opts, index, n, poll) {
                    Ok(r) => {
                        if opts.progress {
                            eprintln!(
                                "hsx mutate: [{}/{}] auto-{n} {}",
                                results.lock().map(|v| v.len() + 1).unwrap_or(0),
                                mine.len(),
                                if r.killed { "killed" } else { "survived" }
                            );
                        }
                        results.lock().expect("results").push(r);
                    }
                    Err(e) => {
                        *failed.lock().expect("failed") = Some(e);
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().expect("failed") {
        return Err(e);
    }
    if let Some(sig) = poll() {
        return Err(CampaignError::Invalid(format!("interrupted by {sig}")));
    }
    let mut mutants = results.into_inner().expect("results");
    apply_arguments(&argued, &mut mutants);
    if opts.equiv {
        // The survivors' checks, `jobs` at a time (the argued ones need none).
        let todo: Vec<&mut MutantResult> = mutants.iter_mut().filter(|m| !m.killed && m.equivalent.is_none()).collect();
        let todo = Mutex::new(todo);
        std::thread::scope(|s| {
            for _ in 0..opts.jobs.max(1) {
                s.spawn(|| loop {
                    let Some(m) = todo.lock().expect("survivors").pop() else { break };
                    if poll().is_some() {
                        break;
                    }
                    let n: u16 = m.mutant.trim_start_matches("auto-").parse().unwrap_or(0);
                    let (eq, note) = equiv::check(&opts.root.join("rtl"), point(n));
                    m.equivalent = eq;
                    m.equivalent_by = eq.filter(|&e| e).map(|_| "yosys".to_string());
                    m.note = Some(note);
                });
            }
        });
    } else {
        for m in mutants.iter_mut().filter(|m| !m.killed && m.equivalent.is_none()) {
            m.note = Some("not checked for equivalence (--no-equiv)".into());
        }
    }
    Ok(Report {
        seed: opts.seed,
        count: opts.count,
        shard: format!("{}/{}", opts.shard.index, opts.shard.count),
        seeds: opts.seeds,
        mutant_hash: sim::MUTANT_HASH.to_string(),
        generated: 0,
        killed: 0,
        proven_equivalent: 0,
        argued_equivalent: 0,
        survived: 0,
        score: 0.0,
        elapsed_s: (start.elapsed().as_millis() as f64) / 1000.0,
        mutants,
    }
    .finish())
}

/// Where the argued equivalent mutants are listed (relative to the repository root).
pub const ARGUED_PATH: &str = "rtl/mutants/equivalent.toml";

/// The argued equivalent mutants of the RTL under `root` (none when the list does not
/// exist), each with the number of the automatic mutant it describes; a malformed, stale or
/// ambiguous entry is an error naming its line.
pub fn argued_list(root: &Path) -> Result<Vec<(mutate::Argued, u16)>, CampaignError> {
    let path = root.join(ARGUED_PATH);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CampaignError::File { path: path.display().to_string(), msg: e.to_string() }),
    };
    let shown = path.display().to_string();
    let invalid = |e: mutate::Error| CampaignError::Invalid(e.to_string());
    let list = mutate::equivalent::parse(&shown, &text).map_err(invalid)?;
    let read = |file: &str| std::fs::read_to_string(root.join("rtl").join(file)).ok();
    mutate::equivalent::check_stale(&shown, &list, &read).map_err(invalid)?;
    let numbers = mutate::equivalent::resolve(&shown, &list, crate::mutants::auto(), &read).map_err(invalid)?;
    Ok(list.into_iter().zip(numbers).collect())
}

/// Mark the survivors an entry of `argued` describes as equivalent by argument; a killed
/// mutant an entry describes gets a note that the argument is wrong (the kill is the
/// witness).
fn apply_arguments(argued: &[(mutate::Argued, u16)], mutants: &mut [MutantResult]) {
    for m in mutants.iter_mut() {
        let Some((a, _)) = argued.iter().find(|(_, n)| format!("auto-{n}") == m.mutant) else { continue };
        if m.killed {
            m.note = Some(format!(
                "{ARGUED_PATH}:{} argues this mutant equivalent, but it was killed: the argument is wrong",
                a.line
            ));
        } else {
            m.equivalent = Some(true);
            m.equivalent_by = Some("argument".into());
            m.note = Some(format!("equivalent by argument ({ARGUED_PATH}:{}): {}", a.line, a.why));
        }
    }
}

/// The default regression against one mutant, stopped at its first divergence.
fn run_mutant(
    opts: &CampaignOptions,
    index: usize,
    n: u16,
    poll: &(dyn Fn() -> Option<crate::interrupt::Signal> + Sync),
) -> Result<MutantResult, CampaignError> {
    let p = point(n);
    let ropts = RegressOptions {
        seeds: opts.seeds,
        jobs: 1,
        mutant: n,
        max_failures: Some(1),
        shrink: false,
        root: opts.root.clone(),
        traces: opts.traces.clone(),
        ..RegressOptions::default()
    };
    let summary = crate::regress::run_with(&ropts, poll)?;
    let first = summary.notable.first();
    let mut r = MutantResult {
        index,
        mutant: format!("auto-{n}"),
        file: p.file.clone(),
        line: p.line,
        op: p.op.as_str().to_string(),
        change: p.change(),
        killed: first.is_some(),
        equivalent: first.map(|_| false),
        equivalent_by: None,
        checker: None,
        cases: summary.ran,
        case: None,
        mismatch: None,
        note: None,
    };
    if let Some(c) = first {
        r.cases = c.index + 1;
        r.case = Some(format!("{} {}", c.class, c.name));
        if let Some(f) = &c.failure {
            r.checker = f.mismatch.split_whitespace().next().map(str::to_string);
            r.mismatch = Some(f.mismatch.clone());
        } else if let Some(e) = &c.error {
            r.checker = Some("error".into());
            r.mismatch = Some(e.clone());
        }
    }
    Ok(r)
}

/// Combine the reports of a sharded campaign (`hsx mutate --merge`): they must be of the
/// same campaign (seed, count, regression, mutant model) and their shards must not
/// overlap; the result is the report one process would have written (its `time` aside).
pub fn merge(paths: &[PathBuf]) -> Result<Report, CampaignError> {
    let mut reports = Vec::new();
    for p in paths {
        reports.push(read_report(p)?);
    }
    let Some(first) = reports.first().cloned() else {
        return Err(CampaignError::Invalid("hsx mutate --merge: no report given".into()));
    };
    let mut mutants: Vec<MutantResult> = Vec::new();
    let mut elapsed: f64 = 0.0;
    for (r, p) in reports.iter().zip(paths) {
        let same = r.seed == first.seed
            && r.count == first.count
            && r.seeds == first.seeds
            && r.mutant_hash == first.mutant_hash;
        if !same {
            return Err(CampaignError::File {
                path: p.display().to_string(),
                msg: format!(
                    "not the same campaign as {} (seed, count, seeds and mutant model must agree)",
                    paths[0].display()
                ),
            });
        }
        for m in &r.mutants {
            if mutants.iter().any(|o| o.index == m.index) {
                return Err(CampaignError::File {
                    path: p.display().to_string(),
                    msg: format!("mutant {} (index {}) is in two reports: overlapping shards", m.mutant, m.index),
                });
            }
            mutants.push(m.clone());
        }
        elapsed = elapsed.max(r.elapsed_s);
    }
    let complete = mutants.len() == first.count;
    Ok(Report {
        shard: if complete { "1/1".into() } else { format!("merged {} of {}", mutants.len(), first.count) },
        elapsed_s: elapsed,
        mutants,
        ..first
    }
    .finish())
}

fn read_report(p: &Path) -> Result<Report, CampaignError> {
    let text = std::fs::read_to_string(p)
        .map_err(|e| CampaignError::File { path: p.display().to_string(), msg: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| CampaignError::File {
        path: p.display().to_string(),
        msg: format!("not an `hsx mutate` report: {e}"),
    })
}

/// The JSON text of a report (pretty, newline-terminated).
pub fn json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("a report serialises");
    s.push('\n');
    s
}

/// The elapsed time of a report, for callers that print it.
pub fn elapsed(r: &Report) -> Duration {
    Duration::from_secs_f64(r.elapsed_s.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_is_deterministic_balanced_and_seeded() {
        let a = select(20, 7).unwrap();
        assert_eq!(a, select(20, 7).unwrap());
        assert_ne!(a, select(20, 8).unwrap());
        let mut d = a.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 20, "no mutant twice");
        let ops: Vec<mutate::Op> = a.iter().map(|&n| point(n).op).collect();
        assert_eq!(&ops[..4], &[mutate::Op::Operator, mutate::Op::Constant, mutate::Op::Condition, mutate::Op::Drop]);
        // A longer campaign starts with the shorter one.
        assert_eq!(&select(40, 7).unwrap()[..20], &a[..]);
        assert!(select(1_000_000, 1).is_err());
    }

    #[test]
    fn score_counts_equivalents_out() {
        let m = |k: bool, e: Option<bool>, by: Option<&str>| MutantResult {
            index: 0,
            mutant: "auto-1".into(),
            file: "f".into(),
            line: 1,
            op: "operator".into(),
            change: "c".into(),
            killed: k,
            equivalent: e,
            equivalent_by: by.map(str::to_string),
            checker: None,
            cases: 1,
            case: None,
            mismatch: None,
            note: None,
        };
        let r = Report {
            seed: 1,
            count: 5,
            shard: "1/1".into(),
            seeds: 300,
            mutant_hash: "h".into(),
            generated: 0,
            killed: 0,
            proven_equivalent: 0,
            argued_equivalent: 0,
            survived: 0,
            score: 0.0,
            elapsed_s: 0.0,
            mutants: vec![
                m(true, Some(false), None),
                m(true, Some(false), None),
                m(false, Some(true), Some("yosys")),
                m(false, Some(true), Some("argument")),
                m(false, None, None),
            ],
        }
        .finish();
        assert_eq!((r.generated, r.killed, r.proven_equivalent, r.argued_equivalent, r.survived), (5, 2, 1, 1, 3));
        assert!((r.score - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            r.score_line(),
            "score 0.667 = 2 killed / (5 generated - 1 proven equivalent - 1 argued equivalent)"
        );
        assert!(r.text().contains("equivalent (argued: rtl/mutants/equivalent.toml)"), "{}", r.text());
    }
}
