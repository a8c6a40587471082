//! Which cases a regression runs: the shard (`--shard i/n`), the units of work and the
//! plan of a shard (directed cases first, then seeds computed when taken).

use super::*;

/// `--shard i/n`: this run takes the cases whose index `k` has `k % n == i - 1`. For seeds
/// the index is `seed - seed_start`; directed cases are indexed in discovery order (so
/// they are split over the shards too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u64,
    pub count: u64,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 1, count: 1 }
    }
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (a, b) = s.split_once('/').ok_or_else(|| format!("--shard `{s}`: expected i/n, e.g. 1/4"))?;
        let i: u64 = a.trim().parse().map_err(|_| format!("--shard `{s}`: `{a}` is not a number"))?;
        let n: u64 = b.trim().parse().map_err(|_| format!("--shard `{s}`: `{b}` is not a number"))?;
        if n == 0 || i == 0 || i > n {
            return Err(format!("--shard `{s}`: need 1 <= i <= n"));
        }
        Ok(Shard { index: i, count: n })
    }
    /// `--shard auto`: i/n from a cluster scheduler's environment — a Slurm job array
    /// (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_MAX` or
    /// `SLURM_ARRAY_TASK_COUNT`) or a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, with
    /// the Job's `completions` passed as `HSX_SHARD_COUNT`). `env` looks a variable up.
    pub fn auto(env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let num = |name: &str| -> Result<Option<u64>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => {
                    v.trim().parse::<u64>().map(Some).map_err(|_| format!("--shard auto: {name}=`{v}` is not a number"))
                }
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.ok_or(
                "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not (is this a Slurm job array?)",
            )?;
            let span = match num("SLURM_ARRAY_TASK_MAX")? {
                Some(max) if max >= min => Some(max - min + 1),
                Some(max) => {
                    return Err(format!("--shard auto: SLURM_ARRAY_TASK_MAX {max} < SLURM_ARRAY_TASK_MIN {min}"))
                }
                None => None,
            };
            let count = num("SLURM_ARRAY_TASK_COUNT")?;
            let n = match (span, count) {
                (Some(a), Some(c)) if a != c => {
                    return Err(format!(
                        "--shard auto: the job array's ids are not one contiguous range ({c} tasks in                          {min}..={}): submit it as --array=A-B (no step, no list)",
                        min + a - 1
                    ))
                }
                (Some(a), _) => a,
                (None, Some(c)) => c,
                (None, None) => {
                    return Err("--shard auto: neither SLURM_ARRAY_TASK_MAX nor SLURM_ARRAY_TASK_COUNT is set".into())
                }
            };
            if let Some(step) = num("SLURM_ARRAY_TASK_STEP")? {
                if step != 1 {
                    return Err(format!("--shard auto: the job array has step {step}: submit it as --array=A-B"));
                }
            }
            if id < min || id - min >= n {
                return Err(format!("--shard auto: SLURM_ARRAY_TASK_ID {id} is outside the array {min}..{}", min + n));
            }
            return Ok(Shard { index: id - min + 1, count: n });
        }
        if let Some(idx) = num("JOB_COMPLETION_INDEX")? {
            let n = num("HSX_SHARD_COUNT")?.ok_or(
                "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but HSX_SHARD_COUNT is not: \
                 set it to the Job's `completions` in the pod template",
            )?;
            if n == 0 || idx >= n {
                return Err(format!("--shard auto: JOB_COMPLETION_INDEX {idx} is not below HSX_SHARD_COUNT {n}"));
            }
            return Ok(Shard { index: idx + 1, count: n });
        }
        Err("--shard auto: no cluster scheduler's environment found (a Slurm job array sets \
             SLURM_ARRAY_TASK_ID; a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX, with HSX_SHARD_COUNT \
             from you); give --shard I/N instead"
            .into())
    }
    /// Whether the case with index `k` is this shard's.
    pub fn owns(&self, k: u64) -> bool {
        k % self.count == self.index - 1
    }
    /// How many of the indices `0..n` this shard owns.
    pub fn count_of(&self, n: u64) -> u64 {
        let first = self.index - 1;
        if n <= first {
            0
        } else {
            (n - first - 1) / self.count + 1
        }
    }
}

/// One unit of work.
#[derive(Debug, Clone)]
pub enum Work {
    Directed(Directed),
    Random(u64),
}

impl Work {
    pub fn class(&self) -> &'static str {
        match self {
            Work::Directed(_) => "directed",
            Work::Random(_) => "random",
        }
    }
    pub fn name(&self) -> String {
        match self {
            Work::Directed(d) => d.name.clone(),
            Work::Random(s) => format!("seed-{s}"),
        }
    }
}

/// The cases of this shard, in case order: directed first, then seeds. Seeds are not
/// listed: case `k` is computed when it is taken.
#[derive(Debug, Clone)]
pub struct Plan {
    /// This shard's directed cases.
    pub directed: Vec<Directed>,
    /// The first seed of this shard.
    pub first_seed: u64,
    /// Distance between this shard's seeds (the shard count).
    pub seed_step: u64,
    /// This shard's seeds.
    pub seed_count: u64,
    /// Every directed case of the regression (all shards), in case order.
    pub directed_all: Vec<String>,
    /// The shard this plan is of.
    pub shard: Shard,
    pub seed_start: u64,
}

impl Plan {
    /// Cases in this shard.
    pub fn len(&self) -> u64 {
        self.directed.len() as u64 + self.seed_count
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The seed of the `j`-th random case.
    pub fn seed(&self, j: u64) -> u64 {
        self.first_seed + j * self.seed_step
    }
    /// Case `k`.
    pub fn get(&self, k: u64) -> Option<Work> {
        let nd = self.directed.len() as u64;
        if k < nd {
            Some(Work::Directed(self.directed[k as usize].clone()))
        } else if k - nd < self.seed_count {
            Some(Work::Random(self.seed(k - nd)))
        } else {
            None
        }
    }
    /// The index of this shard's case `k` in the single-process run's case order (all
    /// directed cases, then seeds from `--seed-start`): what `--results` files carry.
    pub fn global_index(&self, k: u64) -> u64 {
        let nd = self.directed.len() as u64;
        if k < nd {
            k * self.shard.count + (self.shard.index - 1)
        } else {
            self.directed_all.len() as u64 + (self.seed(k - nd) - self.seed_start)
        }
    }
    /// Class and name of case `k` without building it.
    pub fn name(&self, k: u64) -> (&'static str, String) {
        let nd = self.directed.len() as u64;
        if k < nd {
            ("directed", self.directed[k as usize].name.clone())
        } else {
            ("random", format!("seed-{}", self.seed(k - nd)))
        }
    }
}

/// The cases of this shard (directed cases are discovered now; seeds are computed).
pub fn plan(opts: &RegressOptions) -> Result<(Plan, Vec<String>), RegressError> {
    let mut directed = vec![];
    let mut directed_all = vec![];
    let mut warnings = vec![];
    if opts.directed {
        let (ds, w) = directed::discover(&opts.root)?;
        warnings.extend(w);
        directed_all = ds.iter().map(|d| d.name.clone()).collect();
        directed.extend(ds.into_iter().enumerate().filter(|(k, _)| opts.shard.owns(*k as u64)).map(|(_, d)| d));
    }
    opts.seed_start
        .checked_add(opts.seeds)
        .ok_or_else(|| RegressError::Invalid("--seed-start + --seeds overflows".into()))?;
    let seed_count = opts.shard.count_of(opts.seeds);
    Ok((
        Plan {
            directed,
            first_seed: opts.seed_start.saturating_add(opts.shard.index - 1),
            seed_step: opts.shard.count,
            seed_count,
            directed_all,
            shard: opts.shard,
            seed_start: opts.seed_start,
        },
        warnings,
    ))
}
