//! The seed corpus: the `.mvasm` programs of `examples/` and `tests/programs/`, their
//! HXE images, and shell scripts and `report.json` files built from them.

use super::{FuzzError, Target};
use crate::harness::case::{Case, Settings, SourceFile};
use crate::harness::report::{Report, RetireRow};
use isa::hxe::{Image, Version};
use std::path::{Path, PathBuf};

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
