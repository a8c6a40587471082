//! Property fuzzing of every parser that reads user input: HXE images, MVASM sources, the
//! disassembler, the shell's command lines and `hsx replay`'s report.json.
//!
//! Each [`Target`] is a property over one input (bytes or text) that must hold for *every*
//! input — above all, nothing panics. Inputs are the seed corpus (the programs of
//! `examples/` and `tests/programs/`, their HXE images, shell scripts and reports built from
//! them) mutated by a deterministic mutator: the same seed gives the same inputs, bit for
//! bit. CI runs a bounded count of every target (`tests/integration/fuzz.rs`); long
//! campaigns run the same properties with a time budget and random seeds
//! (`cargo xtask fuzz --minutes N [--target NAME]`), saving every failing input to a file.
//!
//! By concern: this module holds the targets, the random source, input generation and
//! the campaign loop ([`run`], [`Stats`]); [`corpus`] builds the seed inputs from the
//! repository's programs; [`mutate`] the byte and text mutators; [`props`] the property of
//! each target.

pub mod corpus;
pub mod mutate;
pub mod props;

pub use corpus::Corpus;
pub use mutate::{mutate_bytes, mutate_text, reseal_hxe};
pub use props::check;

use isa::hxe::Image;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A deterministic pseudo-random source (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// What is fuzzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// HXE reader: whatever parses writes back (v2, and v1 where expressible) to bytes
    /// that parse to the same image.
    Hxe,
    /// Assembler: text → image → [`isa::disasm::disasm_source`] → image, equal.
    Asm,
    /// Disassembler: every listed instruction reassembles at its offset to exactly its
    /// words; the source form of the image reassembles to the same code.
    Disasm,
    /// Shell: every line parses or fails with a message; a parsed command prints back to
    /// itself; every command runs on a shell without panicking.
    Shell,
    /// `hsx replay`'s report parser: every report.json is accepted (and then plans, prints
    /// and re-serialises to the same report) or refused naming why.
    Replay,
}

impl Target {
    pub const ALL: [Target; 5] = [Target::Hxe, Target::Asm, Target::Disasm, Target::Shell, Target::Replay];

    pub fn name(self) -> &'static str {
        match self {
            Target::Hxe => "hxe",
            Target::Asm => "asm",
            Target::Disasm => "disasm",
            Target::Shell => "shell",
            Target::Replay => "replay",
        }
    }

    pub fn from_name(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// The corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: the seed program does not assemble: {msg}")]
    Seed { path: String, msg: String },
    #[error("no .mvasm seed programs under {0}/examples and {0}/tests/programs")]
    Empty(String),
}

/// The next input of `t`: the seeds themselves first, then mutations of them.
pub fn generate(t: Target, seeds: &[Vec<u8>], case: u64, rng: &mut Rng) -> Vec<u8> {
    if seeds.is_empty() {
        return vec![];
    }
    if (case as usize) < seeds.len() {
        return seeds[case as usize].clone();
    }
    let seed = &seeds[rng.below(seeds.len())];
    let donor = &seeds[rng.below(seeds.len())];
    match t {
        Target::Hxe => {
            let mut b = mutate_bytes(rng, seed, donor);
            if !rng.one_in(4) {
                reseal_hxe(&mut b);
            }
            b
        }
        Target::Disasm => {
            // Mutate the code of a seed image; the case is that code with a valid entry.
            let code = Image::parse(seed).map(|i| i.code).unwrap_or_default();
            let mut c = mutate_bytes(rng, &code, &Image::parse(donor).map(|i| i.code).unwrap_or_default());
            c.truncate((c.len() & !3).min(isa::hxe::MAX_CODE_LEN as usize));
            c
        }
        Target::Asm | Target::Shell | Target::Replay => {
            let text = String::from_utf8_lossy(seed);
            mutate_text(rng, &text, &String::from_utf8_lossy(donor)).into_bytes()
        }
    }
}

/// How long a run lasts.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    Cases(u64),
    Time(Duration),
}

/// One input that broke the property (or panicked).
#[derive(Debug, Clone)]
pub struct Failure {
    pub target: Target,
    pub case: u64,
    pub input: Vec<u8>,
    pub what: String,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Stats {
    pub target: Target,
    pub seed: u64,
    pub cases: u64,
    pub elapsed: Duration,
    /// The first [`MAX_KEPT`] failures.
    pub failures: Vec<Failure>,
    /// All failures, kept or not.
    pub failed: u64,
    /// Inputs the parser accepted (the rest it refused with an error).
    pub accepted: u64,
}

/// Failures kept per run.
pub const MAX_KEPT: usize = 20;

impl Stats {
    pub fn summary(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        format!(
            "{:<7} {:>10} cases in {:>7.1} s ({:>9.0} cases/s, {:>4.1} % accepted), seed {}, {} failure(s)",
            self.target.name(),
            self.cases,
            secs,
            self.cases as f64 / secs.max(1e-9),
            100.0 * self.accepted as f64 / self.cases.max(1) as f64,
            self.seed,
            self.failed
        )
    }
}

/// The property on one input, a panic counted as a failure.
pub fn check_no_panic(t: Target, input: &[u8]) -> Result<bool, String> {
    match std::panic::catch_unwind(|| check(t, input)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            Err(format!("panicked: {msg}"))
        }
    }
}

/// Run `t` over its corpus for `budget` with `seed` (same seed, same inputs).
pub fn run(t: Target, corpus: &Corpus, budget: Budget, seed: u64) -> Stats {
    let seeds = corpus.seeds(t);
    let mut rng = Rng::new(seed ^ (t as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    let start = Instant::now();
    let mut st = Stats { target: t, seed, cases: 0, elapsed: Duration::ZERO, failures: vec![], failed: 0, accepted: 0 };
    loop {
        match budget {
            Budget::Cases(n) if st.cases >= n => break,
            // Check the clock every 64 cases.
            Budget::Time(d) if st.cases.is_multiple_of(64) && start.elapsed() >= d => break,
            _ => {}
        }
        let input = generate(t, &seeds, st.cases, &mut rng);
        match check_no_panic(t, &input) {
            Ok(true) => st.accepted += 1,
            Ok(false) => {}
            Err(what) => {
                st.failed += 1;
                if st.failures.len() < MAX_KEPT {
                    st.failures.push(Failure { target: t, case: st.cases, input, what });
                }
            }
        }
        st.cases += 1;
    }
    st.elapsed = start.elapsed();
    st
}

/// Save every kept failing input of `st` into `dir` as `<target>-<seed>-<case>.bin` (the
/// raw input) and `.txt` (what broke). Returns the input files.
pub fn save_failures(st: &Stats, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut out = vec![];
    for f in &st.failures {
        let base = dir.join(format!("{}-{}-{}", f.target.name(), st.seed, f.case));
        let bin = base.with_extension("bin");
        crate::fsx::write_atomic(&bin, &f.input)?;
        crate::fsx::write_atomic(&base.with_extension("txt"), f.what.as_bytes())?;
        out.push(bin);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::mutate::number_spans;
    use super::*;

    #[test]
    fn the_mutators_are_deterministic_and_keep_text_valid() {
        let (a, b) = ("LDI R1, 5\nST [R2 + 4], R1\n", "peek 0x10 4\n");
        let run = |seed| {
            let mut r = Rng::new(seed);
            (0..200).map(|_| mutate_text(&mut r, a, b)).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
        let mut r = Rng::new(1);
        let bytes: Vec<Vec<u8>> = (0..200).map(|_| mutate_bytes(&mut r, a.as_bytes(), b.as_bytes())).collect();
        assert!(bytes.iter().any(|x| x.as_slice() != a.as_bytes()));
    }

    #[test]
    fn number_spans_find_numbers_not_register_digits() {
        let s = "LDI R1, -5 ; 0x10 x2";
        let got: Vec<&str> = number_spans(s).into_iter().map(|(a, b)| &s[a..b]).collect();
        assert_eq!(got, ["-5", "0x10"]);
    }

    #[test]
    fn old_crashers_hold() {
        // An image whose code is not a multiple of 4 is not something the reader produces,
        // but the disassembler check must still hold or fail without unwinding out.
        assert!(check_no_panic(Target::Disasm, &[0x60, 0x10, 0, 0]).is_ok());
        assert!(check_no_panic(Target::Shell, "peek 0xFFFFFFFFFFFFFFFF 16\npoke 0 éé\n".as_bytes()).is_ok());
    }
}
