//! Cross-check of the golden model against an independent model of the HSX core ISA.
//!
//! * [`model`]: the independent model, written from isa.md and context.md ("Stack guards",
//!   "Memory protection") without reading `vm-ref`'s core;
//! * [`fp16`]: binary16 arithmetic with integers (exact result, one rounding);
//! * [`hxe`]: HXE v1/v2 files built byte by byte, with a CRC-32 computed here;
//! * [`gen`]: seeded random programs, printed as MVASM and encoded to words here;
//! * [`diff`]: run both models and compare, localize the first divergent step;
//! * [`directed`]: a table of tricky single instructions with results worked out by hand
//!   from the spec, checked on both models.
//!
//! Run with `cargo test -p hsx-tests xcheck`. A failure prints the seed, the program
//! listing and the first differing field; `XCHECK_SEED=n` reruns one program and
//! `XCHECK_PROGRAMS=n` changes how many are run.

mod diff;
mod directed;
mod fp16;
mod gen;
mod hxe;
mod model;
mod rng;

use diff::{first_difference, localize, run_golden, run_model, Run};
use model::State;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Programs run by default (the whole test stays well under 30 s at opt-level 2).
const DEFAULT_PROGRAMS: u64 = 12_000;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// One program, both images, both models. `Err` describes what went wrong.
fn check_program(p: &gen::Program, crc: &hxe::Crc32, stats: &mut Stats) -> Result<(), String> {
    let src = p.mvasm();
    let words = p.words();
    if 4 * words.len() > 0xFFF {
        return Err(format!(
            "generator bug: program of {} bytes is too large for 12-bit jump targets",
            4 * words.len()
        ));
    }
    let asm = isa::asm::assemble(&src, "xcheck.mvasm").map_err(|e| format!("assembler rejected the program:\n{e}"))?;
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    let img = &asm.image;
    if img.code != code || img.entry != p.entry_offset() || img.data != p.data || img.data_addr != p.data_addr {
        return Err(format!(
            "assembler output differs from the independent encoding: code equal {}, entry 0x{:X} vs 0x{:X}, data equal {}, data_addr 0x{:X} vs 0x{:X}",
            img.code == code,
            img.entry,
            p.entry_offset(),
            img.data == p.data,
            img.data_addr,
            p.data_addr
        ));
    }
    let spec = hxe::HxeSpec {
        version: p.version,
        flags: if p.version == 2 { (p.seed % 4) as u16 } else { 0 },
        entry: p.entry_offset(),
        code: words,
        data: p.data.clone(),
        bss: p.bss,
        caps: (p.seed as u32).wrapping_mul(0x9E37_79B9),
        name: if p.version == 2 { format!("xcheck{}", p.seed) } else { String::new() },
        data_addr: p.data_addr,
        extra_meta: if p.version == 2 && p.seed % 3 == 1 { vec![(0x7E, 1, vec![1, 2, 3, 4, 5])] } else { vec![] },
    };
    let bytes = hxe::build(&spec, crc);
    let parsed = isa::hxe::Image::parse(&bytes).map_err(|e| format!("hand-built HXE v{} rejected: {e}", p.version))?;
    if parsed.code != img.code
        || parsed.entry != img.entry
        || parsed.data != img.data
        || parsed.data_addr != img.data_addr
        || parsed.bss != p.bss
    {
        return Err(format!("hand-built HXE v{} parsed into a different image", p.version));
    }
    let base = Run { image: img, stack_size: p.stack_size, protect: p.protect, max_steps: p.max_steps };
    let (model, m) = run_model(&base)?;
    stats.record(&m);
    for (what, image) in [("assembled image", img), ("hand-built HXE", &parsed)] {
        let run = Run { image, ..base.clone() };
        let golden = run_golden(&run).map_err(|e| format!("{what}: {e}"))?;
        if let Some(d) = first_difference(&golden, &model) {
            return Err(format!("{what}: final state differs: {d}\n{}", localize(&run)));
        }
    }
    Ok(())
}

/// What the random programs exercised (the test checks this, so a generator that stops
/// producing some instruction or fault is noticed).
#[derive(Default)]
struct Stats {
    ops: BTreeMap<u8, u64>,
    ends: BTreeMap<String, u64>,
    steps: u64,
}

impl Stats {
    fn record(&mut self, m: &model::Model) {
        for (op, n) in m.op_count.iter() {
            *self.ops.entry(*op).or_default() += n;
        }
        let end = match m.state {
            State::Running => "step limit".to_string(),
            State::Returned(_) => "returned".to_string(),
            State::Paused(_) => "BRK".to_string(),
            State::Faulted(c) => isa::fault::name(c).unwrap_or("?").to_string(),
        };
        *self.ends.entry(end).or_default() += 1;
        self.steps += m.steps;
    }
}

#[test]
fn random_programs_agree_with_the_golden_model() {
    let crc = hxe::Crc32::new();
    let seeds: Vec<u64> = match env_u64("XCHECK_SEED") {
        Some(s) => vec![s],
        None => (0..env_u64("XCHECK_PROGRAMS").unwrap_or(DEFAULT_PROGRAMS)).collect(),
    };
    let mut stats = Stats::default();
    let mut failures: Vec<(u64, String, String)> = Vec::new();
    for &seed in &seeds {
        let p = gen::generate(seed);
        if let Err(e) = check_program(&p, &crc, &mut stats) {
            failures.push((seed, e, p.listing()));
        }
    }
    let mut report = String::new();
    let _ = writeln!(report, "{} programs, {} model steps; ends: {:?}", seeds.len(), stats.steps, stats.ends);
    eprintln!("{report}");
    if !failures.is_empty() {
        let mut kinds: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for (seed, e, _) in &failures {
            let key = e.lines().next().unwrap_or("").split(": golden").next().unwrap_or("").to_string();
            kinds.entry(key).or_default().push(*seed);
        }
        let _ = writeln!(report, "{} of {} programs disagree. By first difference:", failures.len(), seeds.len());
        for (k, s) in &kinds {
            let _ = writeln!(report, "  {k}: {} programs, seeds {:?}", s.len(), &s[..s.len().min(12)]);
        }
        for (seed, e, listing) in failures.iter().take(3) {
            let _ = writeln!(report, "\n=== seed {seed} (rerun: XCHECK_SEED={seed}) ===\n{e}\n{listing}");
        }
        panic!("{report}");
    }
    if seeds.len() >= 1000 {
        // Every instruction ran, and every way of ending happened.
        for (opc, name) in model::SPEC_OPCODES {
            let n = stats.ops.get(opc).copied().unwrap_or(0);
            assert!(n >= 20, "{name} executed only {n} times in {} programs", seeds.len());
        }
        for end in [
            "returned",
            "BRK",
            "STACK_UNDERFLOW",
            "STACK_OVERFLOW",
            "MEM_FAULT",
            "DIV_ZERO",
            "ILLEGAL",
            "BAD_PC",
            "ACCESS_VIOLATION",
        ] {
            assert!(
                stats.ends.get(end).copied().unwrap_or(0) >= 5,
                "too few programs ended by {end}: {:?}",
                stats.ends
            );
        }
    }
}
