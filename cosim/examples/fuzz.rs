//! A fuzz campaign over the properties of `cosim::fuzz` with a time budget and a random
//! (or given) seed; `cargo xtask fuzz --minutes N [--target NAME]` runs it in release.
//! Prints cases/s per target; every failing input is saved to `--out` and the exit code
//! is 1.

use anyhow::{bail, Context, Result};
use clap::Parser;
use cosim::fuzz::{Budget, Corpus, Target};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Fuzz the input parsers of hsx (hxe, asm, disasm, shell, replay) for a time budget")]
struct Args {
    /// Total time budget in minutes (split evenly between the targets; fractions allowed).
    #[arg(long, default_value = "1")]
    minutes: f64,
    /// Only this target: hxe, asm, disasm, shell or replay (default: all).
    #[arg(long)]
    target: Option<String>,
    /// Seed of the first round (default: from the clock); printed so a run can be repeated.
    #[arg(long)]
    seed: Option<u64>,
    /// Where failing inputs go.
    #[arg(long, default_value = "fuzz-failures")]
    out: PathBuf,
    /// The repository whose examples/ and tests/programs/ seed the corpus.
    #[arg(long)]
    root: Option<PathBuf>,
}

fn main() -> Result<()> {
    let a = Args::parse();
    if !(a.minutes.is_finite() && a.minutes > 0.0) {
        bail!("--minutes {} must be a positive number", a.minutes);
    }
    let targets: Vec<Target> = match &a.target {
        Some(t) => vec![Target::from_name(t)
            .with_context(|| format!("--target `{t}` is not one of: {}", Target::ALL.map(|t| t.name()).join(", ")))?],
        None => Target::ALL.to_vec(),
    };
    let root = a.root.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    let corpus = Corpus::load(&root)?;
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    });
    // Rounds of at most 10 s per target, each with its own seed, so a long campaign
    // explores many seeds and reports as it goes.
    let per_target = Duration::from_secs_f64(a.minutes * 60.0 / targets.len() as f64);
    let round = per_target.min(Duration::from_secs(10));
    eprintln!(
        "fuzzing {} for {:.1} min from seed {seed}; corpus: {} programs, {} images",
        targets.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "),
        a.minutes,
        corpus.sources.len(),
        corpus.images.len()
    );
    let mut failed = 0u64;
    let mut round_seed = seed;
    for t in targets {
        let (mut cases, mut spent) = (0u64, Duration::ZERO);
        while spent < per_target {
            let st = cosim::fuzz::run(t, &corpus, Budget::Time(round.min(per_target - spent)), round_seed);
            round_seed = round_seed.wrapping_add(1);
            cases += st.cases;
            spent += st.elapsed;
            eprintln!("  {}", st.summary());
            if st.failed > 0 {
                failed += st.failed;
                for (f, path) in st.failures.iter().zip(cosim::fuzz::save_failures(&st, &a.out)?) {
                    eprintln!(
                        "    FAIL case {}: {}\n      input saved to {}",
                        f.case,
                        f.what.lines().next().unwrap_or(""),
                        path.display()
                    );
                }
            }
        }
        println!(
            "{:<7} {cases} cases in {:.1} s: {:.0} cases/s",
            t.name(),
            spent.as_secs_f64(),
            cases as f64 / spent.as_secs_f64().max(1e-9)
        );
    }
    if failed > 0 {
        eprintln!("{failed} failing input(s); saved under {}", a.out.display());
        std::process::exit(1);
    }
    eprintln!("no failures");
    Ok(())
}
