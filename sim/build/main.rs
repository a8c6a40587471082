//! Build script of `hsx-sim`: verilate the RTL (`rtl/hsx.f`, top `hsx_top`) five times —
//! the real model (`Vhsx`), the mutant model (`Vhsx_mut`: a copy of the RTL with every hand
//! mutant of `rtl/mutants/hand.toml` and every automatic mutant applied as mutant schemata
//! by the `mutate` crate, selected at run time by its `mutant_i` input; docs/mutation.md),
//! the monitor model (`Vhsx_mon`: the real RTL with `rtl/monitors/`'s checkers bound in)
//! the coverage model (`Vhsx_cov`, line + toggle coverage; docs/coverage.md) and the
//! traced model (`Vhsx_trc`: the monitor model with Verilator's VCD tracer, for waveforms;
//! the real and the monitor model are built without the tracer, which is faster) —
//! compile each into one unity translation unit, compile the Verilator runtime (cached
//! in the cache directory, keyed on the Verilator version and flags) and the `cxx`
//! bridge, and link them in the order bridge → models → runtime.
//!
//! Files: `main.rs` (this: the steps in order, what the models are), `cache.rs` (the
//! content-addressed model cache: keys, publish, prune), `verilate.rs` (finding
//! Verilator, the mutant model's sources, running Verilator, reading its
//! `_classes.mk`), `compile.rs` (C++ flags, the models, the runtime and the bridge, the
//! link lines).
//!
//! Caching (so that edits are cheap):
//! * the build script reruns only when `build/`, `rtl/`, `csrc/` or `src/ffi.rs`
//!   change (or `VERILATOR_ROOT` / `HSX_RTL_DIR`): a Rust-only edit never gets here;
//! * a model is re-verilated and recompiled only when the content of `rtl/` (or the
//!   Verilator version / flags) changed — an edit in `csrc/` recompiles only the bridge
//!   (nor does an edit of this script's own text change a key: the keys hold the
//!   sources, versions and flags, not `build/*.rs`);
//! * the runtime library is compiled once per Verilator version and flag set.
//!
//! Environment:
//! * `VERILATOR_ROOT` — use `$VERILATOR_ROOT/bin/verilator` (and that installation's
//!   headers) instead of the `verilator` on `PATH`;
//! * `HSX_RTL_DIR` — verilate another RTL directory (must hold `hsx.f`); for experiments.
//! * `HSX_SIM_MODEL_CXXFLAGS` — extra C++ flags for the models (e.g. `-O3 -march=native`);
//!   for experiments (docs/benchmarks.md), part of the cache key.
//! * `HSX_SIM_CACHE_DIR` — where the model cache lives (default `<target>/hsx-sim-cache`).

mod cache;
mod compile;
mod verilate;

use std::env;
use std::fs;
use std::path::PathBuf;

use cache::Fnv;
use verilate::Classes;

/// The models' prefixes: the real model, the mutant model, the monitor model (`Vhsx_mon`:
/// the real RTL with the lockstep's checkers bound in, `rtl/monitors/`, listed by
/// [`MONITORS_F`]; without that file it is the real RTL alone) and the coverage model
/// (`Vhsx_cov`: the real RTL with Verilator's line and toggle counters, [`COVERAGE_ARGS`],
/// for `hsx regress --coverage`, docs/coverage.md; nothing else uses it) and the traced
/// model (`Vhsx_trc`: the monitor model's sources with the tracer, [`verilate::TRACE_ARGS`];
/// what `RtlOptions::trace` selects for VCD/FST output). The mutant and the coverage
/// models are traced too (a mutant's divergence is recorded on the mutant model).
const MODELS: &[&str] = &["Vhsx", "Vhsx_mut", "Vhsx_mon", "Vhsx_cov", "Vhsx_trc"];

/// The coverage model's extra Verilator arguments.
const COVERAGE_ARGS: &[&str] = &["--coverage-line", "--coverage-toggle"];

/// The monitor model's file list, relative to the directory holding `rtl/` (as `hsx.f`).
const MONITORS_F: &str = "rtl/monitors/monitors.f";

fn main() {
    if let Err(msg) = run() {
        for line in msg.lines() {
            println!("cargo:warning={line}");
        }
        eprintln!("\nerror: {msg}\n");
        std::process::exit(1);
    }
}

/// Where the RTL is and how Verilator is to read it.
struct Rtl {
    /// The RTL directory (`rtl/`, or `HSX_RTL_DIR`).
    dir: PathBuf,
    /// Its file list `hsx.f`.
    filelist: PathBuf,
    /// The real model's Verilator arguments: the file list and the lint waivers.
    args: Vec<String>,
    /// Verilator's working directory: the directory holding `rtl/`.
    cwd: PathBuf,
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let ws_root = manifest.parent().ok_or("sim/ has no parent directory")?.to_path_buf();
    let rtl_dir = match env::var_os("HSX_RTL_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => ws_root.join("rtl"),
    };

    // What makes this script rerun (nothing else: a Rust-only edit must not re-verilate).
    println!("cargo:rerun-if-changed=src/ffi.rs");
    println!("cargo:rerun-if-env-changed=VERILATOR_ROOT");
    println!("cargo:rerun-if-env-changed=HSX_RTL_DIR");
    cache::watch_tree(&manifest.join("build"))?;
    cache::watch_tree(&manifest.join("csrc"))?;
    cache::watch_tree(&rtl_dir)?;

    let vl = verilate::find_verilator()?;
    let rtl = rtl_of(rtl_dir, &ws_root)?;

    // Extra C++ flags for the models only (experiments: `-O3`, `-march=native`, PGO; see
    // docs/benchmarks.md). Part of the cache key; unset by default.
    println!("cargo:rerun-if-env-changed=HSX_SIM_MODEL_CXXFLAGS");
    let model_flags: Vec<String> =
        env::var("HSX_SIM_MODEL_CXXFLAGS").unwrap_or_default().split_whitespace().map(str::to_string).collect();
    let rtl_hash = cache::rtl_hash(&vl, &rtl, &model_flags)?;

    // Content-addressed cache shared by every profile of this target directory (dev,
    // test and bench builds would otherwise each verilate and compile the models).
    let cache = cache::cache_root(&out);
    fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;

    // 0. Each model's Verilator arguments and cache key; the mutant model's sources
    // (mutant schemata) are written into the cache.
    let (mut mut_args, mut_src_hash) = verilate::mutant_sources(&rtl, &cache, &out, rtl_hash)?;
    let traced = |args: &mut Vec<String>| args.extend(verilate::TRACE_ARGS.iter().map(|a| a.to_string()));
    // A model's cache key: its sources' key and the arguments it adds.
    let with_args = |base: u64, extra: &[&[&str]]| {
        let mut h = Fnv(base);
        for a in extra.iter().flat_map(|x| x.iter()) {
            h.str(a);
        }
        h.finish()
    };
    traced(&mut mut_args);
    let mut_hash = with_args(mut_src_hash, &[verilate::TRACE_ARGS]);
    // An RTL directory without monitors (HSX_RTL_DIR): the plain RTL.
    let mut mon_args = rtl.args.clone();
    if rtl.cwd.join(MONITORS_F).is_file() {
        mon_args.extend(["-f".to_string(), MONITORS_F.to_string()]);
    }
    // The coverage model: the real RTL with counters; its cache key adds its arguments.
    let mut cov_args = rtl.args.clone();
    cov_args.extend(COVERAGE_ARGS.iter().map(|a| a.to_string()));
    traced(&mut cov_args);
    let cov_hash = with_args(rtl_hash, &[COVERAGE_ARGS, verilate::TRACE_ARGS]);
    // The traced model: the monitor model's sources with the tracer.
    let mut trc_args = mon_args.clone();
    traced(&mut trc_args);
    let trc_hash = with_args(rtl_hash, &[verilate::TRACE_ARGS]);
    let model_args = [
        (rtl.args.clone(), rtl_hash),
        (mut_args, mut_hash),
        (mon_args, rtl_hash),
        (cov_args, cov_hash),
        (trc_args, trc_hash),
    ];

    // 1. Verilate the models (in parallel) when their sources changed.
    let mdirs: Vec<PathBuf> =
        MODELS.iter().zip(&model_args).map(|(p, (_, h))| cache.join(format!("{p}-{h:016x}"))).collect();
    let args: Vec<&[String]> = model_args.iter().map(|(a, _)| a.as_slice()).collect();
    let fresh = verilate::verilate_all(&vl, MODELS, &args, &rtl.cwd, &mdirs)?;

    // 2. Read the generated file lists and defines.
    let classes: Vec<Classes> = MODELS
        .iter()
        .zip(&fresh)
        .map(|(prefix, mdir)| Classes::read(&mdir.join(format!("{prefix}_classes.mk"))))
        .collect::<Result<_, _>>()?;

    // 3.–4. The runtime library (cached by version + flags + file list), the models
    // (cached by their keys) and the bridge.
    let rt_dir = compile::compile_all(&vl, &cache, MODELS, &fresh, &mdirs, &classes, &model_flags)?;

    for (tmp, mdir) in fresh.iter().zip(&mdirs) {
        if tmp != mdir {
            cache::publish(tmp, mdir)?;
        }
    }

    compile::link(MODELS, &mdirs, &rt_dir);
    // `sim::VERILATOR_VERSION` (printed by `hsx --version`): the version of the binary that
    // verilated the models, as `verilator --version` prints it (one line).
    println!("cargo:rustc-env=HSX_SIM_VERILATOR_VERSION={}", vl.version.lines().next().unwrap_or("unknown"));
    // `sim::RTL_HASH`: what the models were built from (RTL bytes, Verilator, flags), so
    // results of different builds can be told apart (`hsx merge` refuses to mix them).
    println!("cargo:rustc-env=HSX_SIM_RTL_HASH={rtl_hash:016x}");
    // `sim::RTL_SOURCE_ROOT`: what the coverage model's file names are relative to.
    println!("cargo:rustc-env=HSX_SIM_RTL_SOURCE_ROOT={}", rtl.cwd.display());
    // `sim::MUTANT_HASH`: what the mutant model was built from (RTL, catalogue, engine).
    println!("cargo:rustc-env=HSX_SIM_MUTANT_HASH={mut_hash:016x}");
    cache::prune(&cache, &mdirs, &rt_dir);
    Ok(())
}

/// The RTL directory's file list and the real model's Verilator arguments.
fn rtl_of(dir: PathBuf, ws_root: &std::path::Path) -> Result<Rtl, String> {
    let filelist = dir.join("hsx.f");
    if !filelist.is_file() {
        return Err(format!(
            "hsx-sim: the RTL file list {} does not exist (is the RTL there yet?)",
            filelist.display()
        ));
    }
    let mut args: Vec<String> = vec!["-f".into(), path_str(&filelist)?];
    let waivers = dir.join("lint_waivers.vlt");
    if waivers.is_file() {
        let f = fs::read_to_string(&filelist).unwrap_or_default();
        if !f.contains("lint_waivers.vlt") {
            args.push(path_str(&waivers)?);
        }
    }
    // Relative paths in hsx.f are relative to Verilator's working directory: the
    // directory holding rtl/ (the workspace root), as `verilator -f rtl/hsx.f` would be
    // run by hand from there.
    let cwd = dir.parent().unwrap_or(ws_root).to_path_buf();
    Ok(Rtl { dir, filelist, args, cwd })
}

/// The files `hsx.f` names (comments, options and `+` arguments skipped), as paths
/// relative to Verilator's working directory.
fn filelist_entries(list: &str) -> impl Iterator<Item = &str> {
    list.lines().map(str::trim).filter(|t| {
        !(t.is_empty() || t.starts_with("//") || t.starts_with('#') || t.starts_with('-') || t.starts_with('+'))
    })
}

fn path_str(p: &std::path::Path) -> Result<String, String> {
    p.to_str().map(str::to_string).ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}
