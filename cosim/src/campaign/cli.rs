//! `hsx mutate` (docs/manual/cli.md, docs/mutation.md).

use super::{CampaignError, CampaignOptions};
use crate::cli::CliError;
use clap::Args;
use std::path::PathBuf;

/// `hsx mutate` options.
#[derive(Args, Debug, Clone)]
pub struct MutateArgs {
    /// Automatic mutants to generate (over all shards).
    #[arg(long, default_value_t = 50)]
    pub count: usize,
    /// Seed of the mutant generator (same seed and RTL: same mutants).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mutants run at once (default: all cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Run only shard I of N (1-based): the mutants whose campaign position k has
    /// k % N == I - 1; `auto` as for `hsx regress`.
    #[arg(long, value_name = "I/N|auto")]
    pub shard: Option<String>,
    /// Random programs of the regression each mutant meets (plus the directed ones).
    #[arg(long, default_value_t = crate::regress::DEFAULT_SEEDS)]
    pub seeds: u64,
    /// Write the JSON report.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write this shard's report for `hsx mutate --merge` (the same JSON object).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Combine the --results files of a sharded campaign instead of running one.
    #[arg(long, value_name = "RESULT", num_args = 1.., conflicts_with_all = ["shard", "results"])]
    pub merge: Vec<PathBuf>,
    /// Do not run the Yosys equivalence check on survivors.
    #[arg(long = "no-equiv")]
    pub no_equiv: bool,
    /// Print the generated mutants (number, location, change) and exit.
    #[arg(long)]
    pub list: bool,
    /// Exit 1 when the score is below this (e.g. 0.95).
    #[arg(long = "min-score", value_name = "SCORE")]
    pub min_score: Option<f64>,
    /// Where the killing divergences' reports go.
    #[arg(long, default_value = "traces")]
    pub traces: PathBuf,
}

fn cli_err(e: CampaignError) -> CliError {
    match e {
        CampaignError::Invalid(s) => CliError::Invalid(format!("hsx mutate: {s}")),
        CampaignError::File { path, msg } => CliError::Invalid(format!("hsx mutate: {path}: {msg}")),
        CampaignError::Regress(crate::regress::RegressError::Invalid(s)) => CliError::Invalid(s),
        CampaignError::Regress(crate::regress::RegressError::Io { path, source }) => CliError::Io { path, source },
        CampaignError::Regress(crate::regress::RegressError::Cosim(c)) => CliError::Cosim(c),
    }
}

/// `hsx mutate`: a mutation campaign; the report on stdout, the score on its last line.
pub fn mutate(a: MutateArgs) -> Result<i32, CliError> {
    if a.list {
        for (k, n) in super::select(a.count, a.seed).map_err(cli_err)?.into_iter().enumerate() {
            let p = super::point(n);
            println!("{k:>4}  auto-{n:<5} rtl/{}:{}  {}", p.file, p.line, p.change());
        }
        return Ok(0);
    }
    for (opt, f) in [("--json", &a.json), ("--results", &a.results)] {
        if let Some(f) = f {
            crate::outpath::check_file(opt, f)?;
        }
    }
    let report = if !a.merge.is_empty() {
        super::merge(&a.merge).map_err(cli_err)?
    } else {
        let shard = match a.shard.as_deref() {
            Some("auto") => crate::regress::Shard::auto(|k| std::env::var(k).ok()).map_err(CliError::Invalid)?,
            Some(s) => crate::regress::Shard::parse(s).map_err(CliError::Invalid)?,
            None => crate::regress::Shard::default(),
        };
        crate::outpath::check_dir("--traces", &a.traces)?;
        let jobs = match a.jobs {
            Some(0) => return Err(CliError::Invalid("--jobs must be at least 1".into())),
            Some(j) => j,
            None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        };
        let opts = CampaignOptions {
            count: a.count,
            seed: a.seed,
            jobs,
            shard,
            seeds: a.seeds,
            root: PathBuf::from("."),
            traces: a.traces.clone(),
            equiv: !a.no_equiv,
            progress: true,
        };
        super::run(&opts).map_err(cli_err)?
    };
    let text = super::json(&report);
    for f in [&a.json, &a.results].into_iter().flatten() {
        crate::fsx::write_atomic(f, text.as_bytes())
            .map_err(|source| CliError::Io { path: f.display().to_string(), source })?;
    }
    print!("{}", report.text());
    Ok(match a.min_score {
        Some(min) if report.score < min => 1,
        _ => 0,
    })
}
