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

use crate::harness::case::{Case, Settings, SourceFile};
use crate::harness::report::{Report, RetireRow};
use crate::shell::{Command, Shell};
use isa::hxe::{Image, Version};
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

/// The seed inputs of every target, built from the repository's programs.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// `.mvasm` sources: (path, text).
    pub sources: Vec<(PathBuf, String)>,
    /// HXE images (v2 and v1) of the sources.
    pub images: Vec<Vec<u8>>,
    /// Shell scripts over the sources.
    pub scripts: Vec<String>,
    /// report.json texts over the sources.
    pub reports: Vec<String>,
    /// Self-contained MVASM texts (one per source): the source itself, or — for a source
    /// that `.include`s files or is one module of a link — the reassemblable source of its
    /// image (the `asm` target reads no files).
    pub asm_seeds: Vec<String>,
}

/// Assemble a seed file as `hsx asm` would: includes read from disk relative to it; a
/// module that `.import`s or `.extern`s symbols is linked with the files beside it that
/// `.export` some (sorted by name, after it).
fn assemble_seed(p: &Path, text: &str) -> Result<isa::asm::Program, FuzzError> {
    let seed_err = |e: &dyn std::fmt::Display| FuzzError::Seed { path: p.display().to_string(), msg: e.to_string() };
    let declares = |t: &str, what: &[&str]| t.lines().any(|l| what.iter().any(|w| l.trim_start().starts_with(w)));
    let name = p.display().to_string();
    if !declares(text, &[".import", ".extern"]) {
        return isa::asm::assemble(text, &name).map_err(|e| seed_err(&e));
    }
    let dir = p.parent().unwrap_or(Path::new("."));
    let io = |source| FuzzError::Io { path: dir.display().to_string(), source };
    let mut siblings: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(io)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io)?;
    siblings.sort();
    let mut texts = vec![(name, text.to_string())];
    for q in siblings {
        let mvasm = q.extension().is_some_and(|e| e == "mvasm");
        if q == p || !mvasm {
            continue;
        }
        let t =
            std::fs::read_to_string(&q).map_err(|source| FuzzError::Io { path: q.display().to_string(), source })?;
        if declares(&t, &[".export"]) {
            texts.push((q.display().to_string(), t));
        }
    }
    let modules: Vec<isa::asm::Module> = texts.iter().map(|(name, text)| isa::asm::Module { name, text }).collect();
    isa::asm::assemble_modules(&modules, &isa::asm::AsmOptions::default(), &mut isa::asm::FsLoader)
        .map_err(|e| seed_err(&e))
}

fn mvasm_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), FuzzError> {
    let io = |source| FuzzError::Io { path: dir.display().to_string(), source };
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(io)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io)?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            mvasm_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "mvasm") {
            out.push(p);
        }
    }
    Ok(())
}

impl Corpus {
    /// The corpus of the repository at `root`: every `.mvasm` under `examples/` and
    /// `tests/programs/` (sorted, so the corpus — and every run — is deterministic).
    pub fn load(root: &Path) -> Result<Corpus, FuzzError> {
        let mut paths = vec![];
        for d in ["examples", "tests/programs"] {
            mvasm_files(&root.join(d), &mut paths)?;
        }
        if paths.is_empty() {
            return Err(FuzzError::Empty(root.display().to_string()));
        }
        let mut c = Corpus { sources: vec![], images: vec![], scripts: vec![], reports: vec![], asm_seeds: vec![] };
        for p in paths {
            let text = std::fs::read_to_string(&p)
                .map_err(|source| FuzzError::Io { path: p.display().to_string(), source })?;
            let prog = assemble_seed(&p, &text)?;
            let alone = isa::asm::assemble_with(
                &text,
                &p.display().to_string(),
                &isa::asm::AsmOptions::default(),
                &mut isa::asm::NoFiles,
            );
            c.asm_seeds.push(if alone.is_ok() { text.clone() } else { isa::disasm::disasm_source(&prog.image) });
            for v in [Version::V2, Version::V1] {
                if let Ok(b) = prog.image.try_to_bytes(v) {
                    c.images.push(b);
                }
            }
            // The v2 header fields and metadata the assembler does not write.
            let rich = Image {
                app_name: p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
                bss: 16,
                flags: 1,
                capabilities: 3,
                metadata: vec![isa::hxe::MetaEntry {
                    kind: isa::hxe::META_VALUES,
                    count: 1,
                    payload: vec![0, 0, 0, 42],
                }],
                ..prog.image.clone()
            };
            if let Ok(b) = rich.try_to_bytes(Version::V2) {
                c.images.push(b);
            }
            let labels: Vec<&String> =
                prog.labels.iter().filter(|(_, l)| l.section == isa::asm::Section::Text).map(|(n, _)| n).collect();
            c.scripts.push(script(&p, &labels));
            c.reports.push(seed_report(&p, &text, &prog.image, &labels));
            c.sources.push((p, text));
        }
        Ok(c)
    }

    /// The seed inputs of `t`.
    pub fn seeds(&self, t: Target) -> Vec<Vec<u8>> {
        match t {
            Target::Hxe | Target::Disasm => self.images.clone(),
            Target::Asm => self.asm_seeds.iter().map(|s| s.clone().into_bytes()).collect(),
            Target::Shell => self.scripts.iter().map(|s| s.clone().into_bytes()).collect(),
            Target::Replay => self.reports.iter().map(|s| s.clone().into_bytes()).collect(),
        }
    }
}

/// A shell script using every command on `path`.
fn script(path: &Path, labels: &[&String]) -> String {
    let p = path.display();
    let second = labels.get(1).or(labels.first()).map(|l| format!("load {p}@{l}\n")).unwrap_or_default();
    format!(
        "load {p}\n{second}ps\nclock step 3\nclock step 2 -p 1 ; one task\ndumpregs 1\npeek 0x1000 32\n\
         poke 0x4000 deadbeef\nmbox\nsched stats 4\npause 1\nresume 1\nrun 200\nkill 2\nhelp\nquit\n"
    )
}

/// A report.json over `path`: the shape `hsx replay` reads (the divergence fields are
/// placeholders; the case — programs, SPECs, settings — is real).
fn seed_report(path: &Path, text: &str, image: &Image, labels: &[&String]) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let hxe = format!("{}.hxe", name.trim_end_matches(".mvasm"));
    let mut specs = vec![name.clone()];
    specs.extend(labels.iter().take(2).map(|l| format!("{name}@{l}")));
    specs.push(format!("{hxe}@0x0"));
    let case = Case {
        name: format!("fuzz-{name}"),
        seed: Some(7),
        files: vec![
            SourceFile { name: name.clone(), text: Some(text.to_string()), hex: None },
            SourceFile::from_bytes(&hxe, &image.to_bytes(Version::V2)),
        ],
        specs,
        settings: Settings::default(),
        stdin: Vec::new(),
    };
    let row = RetireRow {
        step: 1,
        cycle: 9,
        pid: 1,
        pc: 0,
        insn: "LDI R1, 5".into(),
        next_pc: 4,
        psw: 0,
        sp: 0xFFFC,
        writes: "[1004/f]=00000005".into(),
        fault: None,
    };
    let cfg = crate::harness::CosimConfig { mutant: 1, ..Default::default() };
    let rep = Report {
        schema_version: crate::harness::report::SCHEMA_VERSION,
        run_id: format!("fuzz-{name}"),
        mismatch: crate::harness::check::Mismatch::new("retire", "psw", "0x0", "0x8"),
        cycle: 9,
        time_ns: 90,
        step: 1,
        pid: 1,
        pc: 0,
        disasm: "LDI R1, 5".into(),
        ref_history: vec![row.clone()],
        rtl_history: vec![RetireRow { psw: 8, ..row }],
        window_pid: 1,
        window_ref: vec![5; 16],
        window_rtl: vec![5; 16],
        window_diff: vec![],
        sched_diff: vec![],
        seed: Some(7),
        mutant: 1,
        replay: "hsx replay report.json".into(),
        repro: "hsx cosim --vcd-window 2000 repro.mvasm".into(),
        shrunk_from: Some("seed 7".into()),
        config: cfg,
        case,
    };
    serde_json::to_string_pretty(&rep).expect("a report serialises")
}

/// Texts the text mutator inserts or puts in place of a number: signs, limits, the
/// characters the parsers split on, non-ASCII.
const INTERESTING: &[&str] = &[
    "0",
    "1",
    "-1",
    "-5",
    "2",
    "16",
    "0x",
    "0x0",
    "0xFFFF",
    "0x10000",
    "65535",
    "65536",
    "0xFFFFFFFF",
    "4294967296",
    "0x7FFFFFFF",
    "2147483648",
    "0xFFFFFFFFFFFFFFFF",
    "18446744073709551616",
    "99999999999999999999999",
    "1e400",
    "-0",
    "é",
    "١",
    "\u{0}",
    "\u{FFFD}",
    "@",
    ";",
    "-p",
    ",",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "\\",
    ":",
    "null",
    "true",
    " ",
    "\t",
    "R16",
    "R0",
    ".word",
    ".data",
    ".entry",
    ".align 0x10000",
    "LDI32",
];

/// Big-endian 32-bit values the byte mutator writes over four bytes (lengths, offsets,
/// counts at and around their limits).
const INTERESTING_U32: &[u32] = &[
    0,
    1,
    2,
    3,
    4,
    0x10,
    0x20,
    0x60,
    0xFFF,
    0x1000,
    0x4000,
    0xFFFC,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
];

/// 1 to 4 byte-level mutations of `input` (`donor` is another seed to splice from).
pub fn mutate_bytes(rng: &mut Rng, input: &[u8], donor: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let n = b.len();
        match rng.below(8) {
            0 if n > 0 => {
                let i = rng.below(n);
                b[i] ^= 1 << rng.below(8);
            }
            1 if n > 0 => {
                let i = rng.below(n);
                b[i] = rng.next_u64() as u8;
            }
            2 => {
                let i = rng.below(n + 1);
                let v = [0u8, 0xFF, 0x7F, 0x80, b'0', b'\n'][rng.below(6)];
                b.insert(i, v);
            }
            3 if n > 0 => {
                let i = rng.below(n);
                let len = 1 + rng.below((n - i).min(64));
                b.drain(i..i + len);
            }
            4 if n > 0 => {
                let i = rng.below(n);
                let len = 1 + rng.below((n - i).min(64));
                let chunk = b[i..i + len].to_vec();
                let at = rng.below(n + 1);
                b.splice(at..at, chunk);
            }
            5 if !donor.is_empty() => {
                let i = rng.below(donor.len());
                let len = 1 + rng.below((donor.len() - i).min(64));
                let at = rng.below(n + 1);
                let end = (at + len).min(n);
                b.splice(at..end, donor[i..i + len].iter().copied());
            }
            6 if n >= 4 => {
                let i = rng.below(n - 3) & !3;
                let v = INTERESTING_U32[rng.below(INTERESTING_U32.len())];
                b[i..i + 4].copy_from_slice(&v.to_be_bytes());
            }
            7 if n > 0 => b.truncate(rng.below(n)),
            _ => {}
        }
    }
    b
}

/// Byte offsets of the starts of the number-like tokens of `s` (a digit, or `-` before
/// one, not inside a word).
fn number_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut spans = vec![];
    let mut i = 0;
    while i < b.len() {
        let starts = (b[i].is_ascii_digit() || (b[i] == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'));
        if starts {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric()) {
                j += 1;
            }
            spans.push((i, j));
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

/// The char boundary at or before `i`.
fn boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// 1 to 4 text mutations of `input`: numbers replaced by [`INTERESTING`] ones, interesting
/// texts inserted, lines deleted, duplicated, swapped or spliced from `donor`; sometimes a
/// byte-level mutation on top (read back as UTF-8, invalid bytes replaced).
pub fn mutate_text(rng: &mut Rng, input: &str, donor: &str) -> String {
    let mut s = input.to_string();
    for _ in 0..1 + rng.below(4) {
        match rng.below(7) {
            0 | 1 => {
                let spans = number_spans(&s);
                if !spans.is_empty() {
                    let (a, b) = spans[rng.below(spans.len())];
                    s.replace_range(a..b, INTERESTING[rng.below(20)]);
                }
            }
            2 => {
                let at = boundary(&s, rng.below(s.len() + 1));
                s.insert_str(at, INTERESTING[rng.below(INTERESTING.len())]);
            }
            3..=5 => {
                let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
                let n = lines.len();
                match rng.below(4) {
                    0 if n > 0 => {
                        lines.remove(rng.below(n));
                    }
                    1 if n > 0 => {
                        let l = lines[rng.below(n)].clone();
                        lines.insert(rng.below(n + 1), l);
                    }
                    2 if n > 1 => {
                        let (i, j) = (rng.below(n), rng.below(n));
                        lines.swap(i, j);
                    }
                    _ => {
                        let d: Vec<&str> = donor.lines().collect();
                        if !d.is_empty() {
                            lines.insert(rng.below(n + 1), d[rng.below(d.len())].to_string());
                        }
                    }
                }
                s = lines.join("\n");
                s.push('\n');
            }
            _ => {
                let b = mutate_bytes(rng, s.as_bytes(), donor.as_bytes());
                s = String::from_utf8_lossy(&b).into_owned();
            }
        }
    }
    s
}

/// Recompute the CRC of HXE bytes whose header is long enough (so a mutation reaches the
/// checks behind the CRC).
pub fn reseal_hxe(b: &mut [u8]) {
    const OFF_CRC: usize = 0x1C;
    if b.len() < 6 {
        return;
    }
    let hl = if u16::from_be_bytes([b[4], b[5]]) == 1 { isa::hxe::HEADER_V1_LEN } else { isa::hxe::HEADER_V2_LEN };
    if b.len() < hl {
        return;
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&b[..OFF_CRC]);
    h.update(&b[hl..]);
    let crc = h.finalize();
    b[OFF_CRC..OFF_CRC + 4].copy_from_slice(&crc.to_be_bytes());
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

/// Commands whose step counts keep a fuzz case fast (a `run` or `clock step` asking for
/// more than this is parsed and printed back, but not run).
const MAX_FUZZ_STEPS: u64 = 10_000;

/// The property of `t` on `input`: `Ok(true)` when the parser accepted the input (and the
/// property held), `Ok(false)` when it refused it cleanly, `Err` says what broke.
pub fn check(t: Target, input: &[u8]) -> Result<bool, String> {
    match t {
        Target::Hxe => check_hxe(input),
        Target::Asm => check_asm(&String::from_utf8_lossy(input)),
        Target::Disasm => check_disasm(input),
        Target::Shell => check_shell(&String::from_utf8_lossy(input)),
        Target::Replay => check_replay(input),
    }
}

fn check_hxe(bytes: &[u8]) -> Result<bool, String> {
    let Ok(img) = Image::parse(bytes) else { return Ok(false) };
    let v2 = img.try_to_bytes(Version::V2).map_err(|e| format!("a parsed image does not write as v2: {e}"))?;
    let back = Image::parse(&v2).map_err(|e| format!("the v2 image written does not parse: {e}"))?;
    if back != img {
        return Err(format!("v2 round trip changed the image:\n  read {img:?}\n  back {back:?}"));
    }
    if back.to_bytes(Version::V2) != v2 {
        return Err("writing the re-read image gives other bytes".into());
    }
    if let Ok(v1) = img.try_to_bytes(Version::V1) {
        let b1 = Image::parse(&v1).map_err(|e| format!("the v1 image written does not parse: {e}"))?;
        let same = b1.code == img.code
            && b1.entry == img.entry
            && b1.data == img.data
            && b1.data_addr == img.data_addr
            && b1.bss == img.bss;
        if !same {
            return Err(format!("v1 round trip changed the image:\n  read {img:?}\n  back {b1:?}"));
        }
    }
    Ok(true)
}

/// Assemble the source form of `img` and compare what the assembler expresses.
fn reassemble(img: &Image) -> Result<(), String> {
    let src = isa::disasm::disasm_source(img);
    let back = isa::asm::assemble(&src, "disasm.mvasm")
        .map_err(|e| format!("the disassembly does not assemble: {e}\n{src}"))?
        .image;
    let expect = Image {
        entry: img.entry,
        code: img.code.clone(),
        data: img.data.clone(),
        data_addr: img.data_addr,
        ..Image::default()
    };
    if back != expect {
        return Err(format!("disassemble → reassemble changed the image:\n  was  {expect:?}\n  back {back:?}\n{src}"));
    }
    Ok(())
}

fn check_asm(text: &str) -> Result<bool, String> {
    // No `.include` is read: a fuzz input never touches the file system.
    let opts = isa::asm::AsmOptions::default();
    let Ok(prog) = isa::asm::assemble_with(text, "fuzz.mvasm", &opts, &mut isa::asm::NoFiles) else {
        return Ok(false);
    };
    let _ = isa::disasm::disasm_image(&prog.image);
    reassemble(&prog.image).map(|_| true)
}

fn check_disasm(code: &[u8]) -> Result<bool, String> {
    let words: Vec<u32> = code.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
    // The entry: a word chosen by the code itself (deterministic), 0 for no code.
    let entry = if words.is_empty() { 0 } else { (words[0] as usize % words.len()) as u32 * 4 };
    let img = Image { code: code.to_vec(), entry, ..Image::default() };
    let listing = isa::disasm::disasm_image(&img);
    if !listing.starts_with("; code") {
        return Err(format!("the listing has no summary line:\n{listing}"));
    }
    let mut i = 0;
    while i < words.len() {
        let offset = (i * 4) as u32;
        let (text, n) = isa::disasm::disasm_word(words[i], words.get(i + 1).copied(), offset);
        let back = isa::asm::assemble_insn(&text, offset).map_err(|e| format!("`{text}` at 0x{offset:04X}: {e}"))?;
        if back != words[i..i + n] {
            return Err(format!("`{text}` at 0x{offset:04X} assembles to {back:08X?}, not {:08X?}", &words[i..i + n]));
        }
        i += n;
    }
    // A code tail of 1..=3 bytes (a seed image whose metadata makes its length odd) has no
    // MVASM form (`.byte` is refused in `.text`): the listing shows it as trailing bytes,
    // and the round trip covers the whole words.
    if !words.is_empty() {
        reassemble(&Image { code: code[..words.len() * 4].to_vec(), ..img })?;
    }
    Ok(true)
}

fn check_shell(script: &str) -> Result<bool, String> {
    let mut accepted = true;
    let sys = vm_ref::system::System::new(&vm_ref::MachineConfig::default(), vm_ref::exec::ExecConfig::default());
    let mut sh = Shell::new(sys);
    sh.max_steps = 1000;
    for line in script.lines() {
        match Command::parse(line) {
            Ok(c) => {
                let again = Command::parse(&c.to_string());
                if again.as_ref() != Ok(&c) {
                    return Err(format!("`{line}` parses to {c:?}, which prints as `{c}`, which parses to {again:?}"));
                }
                let slow = match &c {
                    Command::ClockStep { n, .. } | Command::Run(Some(n)) => *n > MAX_FUZZ_STEPS,
                    _ => false,
                };
                if slow {
                    continue;
                }
                match sh.exec(&c) {
                    None => break,
                    Some(Err(e)) if e.to_string().is_empty() => {
                        return Err(format!("`{line}` fails without a message"))
                    }
                    Some(_) => {}
                }
            }
            Err(e) => {
                accepted = false;
                if e.to_string().is_empty() {
                    return Err(format!("`{line}` is refused without a message"));
                }
            }
        }
    }
    Ok(accepted)
}

fn check_replay(bytes: &[u8]) -> Result<bool, String> {
    let rep = match Report::parse(bytes, "fuzz/report.json") {
        Ok(r) => r,
        Err(e) => {
            return if e.to_string().starts_with("fuzz/report.json: ") {
                Ok(false)
            } else {
                Err(format!("the error does not name the file: {e}"))
            };
        }
    };
    let _ = rep.case.plan(vm_ref::MachineConfig::default().n_tasks);
    let _ = rep.text();
    let json = serde_json::to_string_pretty(&rep).map_err(|e| format!("an accepted report does not serialise: {e}"))?;
    let again =
        Report::parse(json.as_bytes(), "again.json").map_err(|e| format!("a re-serialised report is refused: {e}"))?;
    if again != rep {
        return Err("a report re-serialised reads back different".into());
    }
    Ok(true)
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
