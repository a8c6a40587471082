//! Build script of `hsx-sim`: verilate the RTL (`rtl/hsx.f`, top `hsx_top`) four times —
//! the real model (`Vhsx`), the mutant model (`Vhsx_mut`: a copy of the RTL with every hand
//! mutant of `rtl/mutants/hand.toml` and every automatic mutant applied as mutant schemata
//! by the `mutate` crate, selected at run time by its `mutant_i` input; docs/mutation.md),
//! the monitor model (`Vhsx_mon`: the real RTL with `rtl/monitors/`'s checkers bound in)
//! and the coverage model (`Vhsx_cov`, line + toggle coverage; docs/coverage.md) —
//! compile each into one unity translation unit, compile the Verilator runtime (cached
//! in `OUT_DIR`, keyed on the Verilator version and flags) and the `cxx` bridge, and link
//! them in the order bridge → models → runtime.
//!
//! Caching (so that edits are cheap):
//! * the build script reruns only when `build.rs`, `rtl/`, `csrc/` or `src/ffi.rs`
//!   change (or `VERILATOR_ROOT` / `HSX_RTL_DIR`): a Rust-only edit never gets here;
//! * a model is re-verilated and recompiled only when the content of `rtl/` (or the
//!   Verilator version / flags) changed — an edit in `csrc/` recompiles only the bridge;
//! * the runtime library is compiled once per Verilator version and flag set.
//!
//! Environment:
//! * `VERILATOR_ROOT` — use `$VERILATOR_ROOT/bin/verilator` (and that installation's
//!   headers) instead of the `verilator` on `PATH`;
//! * `HSX_RTL_DIR` — verilate another RTL directory (must hold `hsx.f`); for experiments.
//! * `HSX_SIM_MODEL_CXXFLAGS` — extra C++ flags for the models (e.g. `-O3 -march=native`);
//!   for experiments (docs/benchmarks.md), part of the cache key.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The models' prefixes: the real model, the mutant model, the monitor model (`Vhsx_mon`:
/// the real RTL with the lockstep's checkers bound in, `rtl/monitors/`, listed by
/// [`MONITORS_F`]; without that file it is the real RTL alone) and the coverage model
/// (`Vhsx_cov`: the real RTL with Verilator's line and toggle counters, [`COVERAGE_ARGS`],
/// for `hsx regress --coverage`, docs/coverage.md; nothing else uses it).
const MODELS: &[&str] = &["Vhsx", "Vhsx_mut", "Vhsx_mon", "Vhsx_cov"];

/// The coverage model's extra Verilator arguments.
const COVERAGE_ARGS: &[&str] = &["--coverage-line", "--coverage-toggle"];

/// The monitor model's file list, relative to the directory holding `rtl/` (as `hsx.f`).
const MONITORS_F: &str = "rtl/monitors/monitors.f";

/// Defines that may differ between models (each model is compiled with its own value; the
/// runtime and the bridge do not read them).
const PER_MODEL_DEFINES: &[&str] = &["VM_COVERAGE"];

/// Verilator arguments common to both models (the RTL file list is added separately).
const VERILATOR_ARGS: &[&str] = &[
    "--cc",
    "--trace",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "-Wno-fatal",
    "--no-timing",
    "--top-module",
    "hsx_top",
];

/// C++ flags for everything Verilator-generated (Verilator's own `-Wno-…` list).
const CXX_FLAGS: &[&str] = &[
    "-std=c++17",
    "-fno-semantic-interposition",
    "-faligned-new",
    "-fcf-protection=none",
    "-Wno-bool-operation",
    "-Wno-sign-compare",
    "-Wno-uninitialized",
    "-Wno-unused-but-set-variable",
    "-Wno-unused-parameter",
    "-Wno-unused-variable",
    "-Wno-shadow",
];

/// Bumped when the way objects are produced changes (invalidates every cache).
const CACHE_EPOCH: &str = "hsx-sim-build-2";

fn main() {
    if let Err(msg) = run() {
        for line in msg.lines() {
            println!("cargo:warning={line}");
        }
        eprintln!("\nerror: {msg}\n");
        std::process::exit(1);
    }
}

struct Verilator {
    bin: PathBuf,
    root: PathBuf,
    version: String,
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
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/ffi.rs");
    println!("cargo:rerun-if-env-changed=VERILATOR_ROOT");
    println!("cargo:rerun-if-env-changed=HSX_RTL_DIR");
    watch_tree(&manifest.join("csrc"))?;
    watch_tree(&rtl_dir)?;

    let vl = find_verilator()?;
    let filelist = rtl_dir.join("hsx.f");
    if !filelist.is_file() {
        return Err(format!(
            "hsx-sim: the RTL file list {} does not exist (is the RTL there yet?)",
            filelist.display()
        ));
    }
    let mut rtl_args: Vec<String> = vec!["-f".into(), path_str(&filelist)?];
    let waivers = rtl_dir.join("lint_waivers.vlt");
    if waivers.is_file() {
        let f = fs::read_to_string(&filelist).unwrap_or_default();
        if !f.contains("lint_waivers.vlt") {
            rtl_args.push(path_str(&waivers)?);
        }
    }
    // Relative paths in hsx.f are relative to Verilator's working directory: the
    // directory holding rtl/ (the workspace root), as `verilator -f rtl/hsx.f` would be
    // run by hand from there.
    let vl_cwd = rtl_dir.parent().unwrap_or(&ws_root).to_path_buf();

    // Extra C++ flags for the models only (experiments: `-O3`, `-march=native`, PGO; see
    // docs/benchmarks.md). Part of the cache key; unset by default.
    println!("cargo:rerun-if-env-changed=HSX_SIM_MODEL_CXXFLAGS");
    let model_flags: Vec<String> =
        env::var("HSX_SIM_MODEL_CXXFLAGS").unwrap_or_default().split_whitespace().map(str::to_string).collect();
    let rtl_hash = {
        let mut h = Fnv::new();
        h.str(CACHE_EPOCH);
        h.str(&vl.version);
        h.str(&path_str(&vl.root)?);
        for a in VERILATOR_ARGS.iter().chain(CXX_FLAGS) {
            h.str(a);
        }
        for a in &rtl_args {
            h.str(a);
        }
        for f in &model_flags {
            h.str(f);
        }
        hash_rtl(&rtl_dir, &filelist, &vl_cwd, &mut h)?;
        h.finish()
    };

    // Content-addressed cache shared by every profile of this target directory (dev,
    // test and bench builds would otherwise each verilate and compile the models).
    let cache = cache_root(&out);
    fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;

    // 0. The mutant model's sources (mutant schemata), content-addressed in the cache.
    let (mut_args, mut_hash) = mutant_sources(&rtl_dir, &filelist, &vl_cwd, &cache, &out, rtl_hash)?;
    // An RTL directory without monitors (HSX_RTL_DIR): the plain RTL.
    let mut mon_args = rtl_args.clone();
    if vl_cwd.join(MONITORS_F).is_file() {
        mon_args.extend(["-f".to_string(), MONITORS_F.to_string()]);
    }
    // The coverage model: the real RTL with counters; its cache key adds its arguments.
    let mut cov_args = rtl_args.clone();
    cov_args.extend(COVERAGE_ARGS.iter().map(|a| a.to_string()));
    let cov_hash = {
        let mut h = Fnv(rtl_hash);
        for a in COVERAGE_ARGS {
            h.str(a);
        }
        h.finish()
    };
    let model_args = [(rtl_args.clone(), rtl_hash), (mut_args, mut_hash), (mon_args, rtl_hash), (cov_args, cov_hash)];

    // 1. Verilate the models (in parallel) when their sources changed.
    let mdirs: Vec<PathBuf> =
        MODELS.iter().zip(&model_args).map(|(p, (_, h))| cache.join(format!("{p}-{h:016x}"))).collect();
    let fresh: Vec<PathBuf> = std::thread::scope(|s| -> Result<Vec<PathBuf>, String> {
        let handles: Vec<_> = MODELS
            .iter()
            .zip(&mdirs)
            .zip(&model_args)
            .map(|((prefix, mdir), (args, _))| {
                let (vl, vl_cwd) = (&vl, &vl_cwd);
                s.spawn(move || verilate(vl, prefix, args, vl_cwd, mdir))
            })
            .collect();
        let mut v = Vec::new();
        for h in handles {
            v.push(h.join().map_err(|_| "verilator thread panicked".to_string())??);
        }
        Ok(v)
    })?;

    // 2. Read the generated file lists and defines.
    let classes: Vec<Classes> = MODELS
        .iter()
        .zip(&fresh)
        .map(|(prefix, mdir)| Classes::read(&mdir.join(format!("{prefix}_classes.mk"))))
        .collect::<Result<_, _>>()?;
    let defines: Vec<(String, String)> = ["VM_COVERAGE", "VM_SC", "VM_TRACE", "VM_TRACE_FST", "VM_TRACE_VCD"]
        .iter()
        .map(|k| (k.to_string(), classes[0].scalar(k).unwrap_or_else(|| "0".into())))
        .collect();
    for c in &classes[1..] {
        for (k, v) in defines.iter().filter(|(k, _)| !PER_MODEL_DEFINES.contains(&k.as_str())) {
            let other = c.scalar(k).unwrap_or_else(|| "0".into());
            if &other != v {
                return Err(format!("the models disagree on {k} ({v} vs {other})"));
            }
        }
    }
    let mut runtime: Vec<String> = Vec::new();
    for c in &classes {
        runtime.extend(c.list("VM_GLOBAL_FAST"));
        runtime.extend(c.list("VM_GLOBAL_SLOW"));
    }
    for always in ["verilated", "verilated_threads", "verilated_dpi", "verilated_vcd_c"] {
        runtime.push(always.into());
    }
    runtime.sort();
    runtime.dedup();

    let include = vl.root.join("include");
    let base_build = |extra_includes: &[&Path]| {
        let mut b = cc::Build::new();
        b.cpp(true)
            .opt_level(2)
            .debug(false)
            .warnings(false)
            .extra_warnings(false)
            .cargo_warnings(false)
            .include(&include)
            .include(include.join("vltstd"));
        for i in extra_includes {
            b.include(i);
        }
        for f in CXX_FLAGS {
            b.flag(f);
        }
        for (k, v) in defines.iter().filter(|(k, _)| !PER_MODEL_DEFINES.contains(&k.as_str())) {
            b.define(k, v.as_str());
        }
        b
    };

    // 3. Runtime library, cached by version + flags + file list.
    let rt_key = {
        let mut h = Fnv::new();
        h.str(CACHE_EPOCH);
        h.str(&vl.version);
        h.str(&path_str(&vl.root)?);
        for f in CXX_FLAGS.iter().map(|s| s.to_string()).chain(runtime.iter().cloned()) {
            h.str(&f);
        }
        for (k, v) in &defines {
            h.str(k);
            h.str(v);
        }
        if let Ok(cxx) = env::var("CXX") {
            h.str(&cxx);
        }
        h.finish()
    };
    let rt_dir = cache.join(format!("vlrt-{rt_key:016x}"));
    let rt_lib = rt_dir.join("libhsx_vlrt.a");

    // 4. Compile the two models (cached by the RTL hash), the runtime and the bridge.
    std::thread::scope(|s| -> Result<(), String> {
        let mut jobs = Vec::new();
        for (prefix, ((tmp, mdir), cls)) in MODELS.iter().zip(fresh.iter().zip(&mdirs).zip(&classes)) {
            if tmp == mdir {
                continue; // cached: verilated and compiled already
            }
            let mut b = base_build(&[tmp.as_path()]);
            for f in &model_flags {
                b.flag(f);
            }
            for k in PER_MODEL_DEFINES {
                b.define(k, cls.scalar(k).unwrap_or_else(|| "0".into()).as_str());
            }
            // Published (renamed into the cache) only after the bridge, which reads its
            // headers from the work directory, has compiled.
            let _ = mdir;
            jobs.push(s.spawn(move || compile_model(b, prefix, tmp, cls)));
        }
        if !rt_lib.is_file() {
            let mut b = base_build(&[]);
            let (rt_dir, runtime, include) = (&rt_dir, &runtime, &include);
            jobs.push(s.spawn(move || -> Result<(), String> {
                let tmp = temp_dir_for(rt_dir);
                fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
                for f in runtime {
                    b.file(include.join(format!("{f}.cpp")));
                }
                b.cargo_metadata(false).out_dir(&tmp);
                b.try_compile("hsx_vlrt").map_err(|e| format!("compiling the Verilator runtime: {e}"))?;
                publish(&tmp, rt_dir)
            }));
        }

        // The bridge and the C++ wrapper (prints its own link line first).
        let mut bridge = cxx_build::bridge("src/ffi.rs");
        bridge
            .file("csrc/hsx_sim.cc")
            .file("csrc/hsx_fst.cc")
            .opt_level(2)
            .debug(false)
            .warnings(false)
            .extra_warnings(false)
            .cargo_warnings(false)
            .include(&include)
            .include(include.join("vltstd"));
        for d in &fresh {
            bridge.include(d);
        }
        for f in CXX_FLAGS {
            bridge.flag(f);
        }
        for (k, v) in &defines {
            bridge.define(k, v.as_str());
        }
        let bridge_res = bridge.try_compile("hsx_sim_bridge").map_err(|e| format!("compiling the bridge: {e}"));
        for j in jobs {
            j.join().map_err(|_| "compile thread panicked".to_string())??;
        }
        bridge_res
    })?;

    for (tmp, mdir) in fresh.iter().zip(&mdirs) {
        if tmp != mdir {
            publish(tmp, mdir)?;
        }
    }

    // Link order: bridge (already printed) → models → runtime → C++ library.
    for (prefix, mdir) in MODELS.iter().zip(&mdirs) {
        println!("cargo:rustc-link-search=native={}", mdir.display());
        println!("cargo:rustc-link-lib=static={prefix}_model");
    }
    println!("cargo:rustc-link-search=native={}", rt_dir.display());
    println!("cargo:rustc-link-lib=static=hsx_vlrt");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    // zlib, for the FST writer (csrc/hsx_fst.cc).
    println!("cargo:rustc-link-lib=dylib=z");
    // `sim::VERILATOR_VERSION` (printed by `hsx --version`): the version of the binary that
    // verilated the models, as `verilator --version` prints it (one line).
    println!("cargo:rustc-env=HSX_SIM_VERILATOR_VERSION={}", vl.version.lines().next().unwrap_or("unknown"));
    // `sim::RTL_HASH`: what the models were built from (RTL bytes, Verilator, flags), so
    // results of different builds can be told apart (`hsx merge` refuses to mix them).
    println!("cargo:rustc-env=HSX_SIM_RTL_HASH={rtl_hash:016x}");
    // `sim::RTL_SOURCE_ROOT`: what the coverage model's file names are relative to.
    println!("cargo:rustc-env=HSX_SIM_RTL_SOURCE_ROOT={}", vl_cwd.display());
    // `sim::MUTANT_HASH`: what the mutant model was built from (RTL, catalogue, engine).
    println!("cargo:rustc-env=HSX_SIM_MUTANT_HASH={mut_hash:016x}");
    prune(&cache, &mdirs, &rt_dir);
    Ok(())
}

/// Where the shared cache lives: `$HSX_SIM_CACHE_DIR`, else `<target dir>/hsx-sim-cache`
/// (OUT_DIR is `<target dir>[/<triple>]/<profile>/build/<pkg>-<hash>/out`), else OUT_DIR.
fn cache_root(out: &Path) -> PathBuf {
    println!("cargo:rerun-if-env-changed=HSX_SIM_CACHE_DIR");
    if let Some(d) = env::var_os("HSX_SIM_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let build = out.ancestors().nth(2);
    match (build, out.ancestors().nth(4)) {
        (Some(b), Some(t)) if b.file_name().map(|n| n == "build").unwrap_or(false) => t.join("hsx-sim-cache"),
        _ => out.join("hsx-sim-cache"),
    }
}

/// A private work directory next to `dest` (renamed to `dest` when complete).
fn temp_dir_for(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    dest.with_file_name(format!(".tmp-{name}-{}-{nanos}", std::process::id()))
}

/// Move a finished work directory into place. If another build published the same
/// (content-addressed) entry meanwhile, keep theirs.
fn publish(tmp: &Path, dest: &Path) -> Result<(), String> {
    if dest.exists() {
        let _ = fs::remove_dir_all(tmp);
        return Ok(());
    }
    match fs::rename(tmp, dest) {
        Ok(()) => Ok(()),
        Err(_) if dest.exists() => {
            let _ = fs::remove_dir_all(tmp);
            Ok(())
        }
        Err(e) => Err(format!("moving {} to {}: {e}", tmp.display(), dest.display())),
    }
}

/// Keep the cache small: per model prefix, the current entry and the three most recent
/// others; stale work directories older than a day.
fn prune(cache: &Path, keep: &[PathBuf], rt_keep: &Path) {
    let Ok(rd) = fs::read_dir(cache) else { return };
    let mut groups: BTreeMap<String, Vec<(std::time::SystemTime, PathBuf)>> = BTreeMap::new();
    let day = std::time::Duration::from_secs(86_400);
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        let mtime = e.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
        if name.starts_with(".tmp-") {
            if mtime.elapsed().map(|a| a > day).unwrap_or(false) {
                let _ = fs::remove_dir_all(&p);
            }
            continue;
        }
        if keep.contains(&p) || p == rt_keep {
            continue;
        }
        if let Some((prefix, _)) = name.rsplit_once('-') {
            groups.entry(prefix.to_string()).or_default().push((mtime, p));
        }
    }
    for (_, mut v) in groups {
        v.sort();
        let n = v.len();
        for (_, p) in v.into_iter().take(n.saturating_sub(3)) {
            let _ = fs::remove_dir_all(p);
        }
    }
}

/// Write the mutant model's sources — the RTL of `hsx.f` with every hand mutant of
/// `rtl/mutants/hand.toml` and every automatic mutant as mutant schemata (crate `mutate`) —
/// into `cache/mutsrc-<hash>/`, and, for the `sim` crate, the catalogue and the list of
/// automatic mutants into OUT_DIR. Returns the Verilator arguments and the model's cache
/// key. A stale anchor (RTL text under a hand mutant changed) is an error naming the
/// mutant, the file and the text.
fn mutant_sources(
    rtl_dir: &Path,
    filelist: &Path,
    cwd: &Path,
    cache: &Path,
    out: &Path,
    rtl_hash: u64,
) -> Result<(Vec<String>, u64), String> {
    let list = fs::read_to_string(filelist).map_err(|e| format!("{}: {e}", filelist.display()))?;
    let mut sources = Vec::new();
    for line in list.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("//") || t.starts_with('#') || t.starts_with('-') || t.starts_with('+') {
            continue;
        }
        let p = cwd.join(t);
        let text = fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        sources.push(mutate::Source { name, text });
    }
    let cat_path = rtl_dir.join("mutants/hand.toml");
    let cat_text = if cat_path.is_file() {
        fs::read_to_string(&cat_path).map_err(|e| format!("{}: {e}", cat_path.display()))?
    } else {
        String::new()
    };
    let cat_name = "rtl/mutants/hand.toml";
    let hand = mutate::catalogue::parse(cat_name, &cat_text).map_err(|e| format!("hsx-sim: {e}"))?;
    let sch = mutate::schemata(&sources, &hand, cat_name, "hsx_top").map_err(|e| format!("hsx-sim: {e}"))?;
    let mut h = Fnv::new();
    h.str(&format!("{rtl_hash:016x}"));
    for f in &sch.files {
        h.str(&f.name);
        h.str(&f.text);
    }
    let key = h.finish();
    let dir = cache.join(format!("mutsrc-{key:016x}"));
    let mut flist = String::new();
    for f in &sch.files {
        flist.push_str(&path_str(&dir.join(&f.name))?);
        flist.push('\n');
    }
    if !dir.join("hsx_mut.f").is_file() {
        let tmp = temp_dir_for(&dir);
        fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        for f in &sch.files {
            fs::write(tmp.join(&f.name), &f.text).map_err(|e| format!("{}: {e}", tmp.display()))?;
        }
        fs::write(tmp.join("hsx_mut.f"), &flist).map_err(|e| format!("{}: {e}", tmp.display()))?;
        publish(&tmp, &dir)?;
    }
    fs::write(out.join("hand.toml"), &cat_text).map_err(|e| e.to_string())?;
    fs::write(out.join("auto_mutants.tsv"), mutate::auto_to_tsv(&sch.auto)).map_err(|e| e.to_string())?;
    let mut args = vec!["-f".to_string(), path_str(&dir.join("hsx_mut.f"))?];
    let waivers = rtl_dir.join("lint_waivers.vlt");
    if waivers.is_file() {
        args.push(path_str(&waivers)?);
    }
    Ok((args, key))
}

/// Verilate one model unless the cache already holds it. Returns the directory with the
/// generated sources: `mdir` when cached (verilated and compiled), else a fresh work
/// directory to compile in and then [`publish`] as `mdir`.
fn verilate(vl: &Verilator, prefix: &str, rtl_args: &[String], cwd: &Path, mdir: &Path) -> Result<PathBuf, String> {
    if mdir.join(format!("lib{prefix}_model.a")).is_file() {
        return Ok(mdir.to_path_buf());
    }
    let tmp = temp_dir_for(mdir);
    fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut cmd = Command::new(&vl.bin);
    cmd.current_dir(cwd).args(VERILATOR_ARGS).args(["--prefix", prefix, "--Mdir"]).arg(&tmp).args(rtl_args);
    let res = cmd.output().map_err(|e| format!("running {}: {e}", vl.bin.display()))?;
    let log = format!("{}{}", String::from_utf8_lossy(&res.stdout), String::from_utf8_lossy(&res.stderr));
    let _ = fs::write(tmp.join("verilator.log"), &log);
    if !res.status.success() {
        let errs: Vec<&str> = log.lines().filter(|l| l.starts_with("%Error")).take(30).collect();
        let shown = if errs.is_empty() { log.lines().take(30).collect::<Vec<_>>().join("\n") } else { errs.join("\n") };
        return Err(format!(
            "verilator failed for model {prefix} ({}); full log: {}\n{shown}",
            res.status,
            tmp.join("verilator.log").display()
        ));
    }
    Ok(tmp)
}

/// Compile one model's generated sources as a single unity file into
/// `mdir/lib<prefix>_model.a`.
fn compile_model(mut b: cc::Build, prefix: &str, mdir: &Path, cls: &Classes) -> Result<(), String> {
    let mut unity = String::from("// Generated by hsx-sim's build.rs: every generated source of one model.\n");
    for var in ["VM_CLASSES_FAST", "VM_CLASSES_SLOW", "VM_SUPPORT_FAST", "VM_SUPPORT_SLOW"] {
        for f in cls.list(var) {
            unity.push_str(&format!("#include \"{f}.cpp\"\n"));
        }
    }
    let unity_path = mdir.join(format!("{prefix}__unity.cpp"));
    fs::write(&unity_path, unity).map_err(|e| e.to_string())?;
    b.file(&unity_path).cargo_metadata(false).out_dir(mdir);
    b.try_compile(&format!("{prefix}_model")).map_err(|e| format!("compiling model {prefix}: {e}"))
}

fn find_verilator() -> Result<Verilator, String> {
    let how = "hsx-sim needs Verilator (5.x) to build the RTL model.\n\
               Install it with `sudo apt-get install verilator` (Debian/Ubuntu), or point\n\
               VERILATOR_ROOT at an installation (its bin/verilator and include/ are used).";
    let bin = match env::var_os("VERILATOR_ROOT") {
        Some(r) if !r.is_empty() && Path::new(&r).join("bin/verilator").is_file() => {
            PathBuf::from(r).join("bin/verilator")
        }
        _ => PathBuf::from("verilator"),
    };
    let version = match Command::new(&bin).arg("--version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => {
            return Err(format!(
                "`{} --version` failed ({}): {}\n{how}",
                bin.display(),
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
        Err(e) => return Err(format!("Verilator not found (`{}`: {e}).\n{how}", bin.display())),
    };
    let root = Command::new(&bin)
        .args(["--getenv", "VERILATOR_ROOT"])
        .output()
        .map_err(|e| format!("`{} --getenv VERILATOR_ROOT`: {e}\n{how}", bin.display()))?;
    let root = PathBuf::from(String::from_utf8_lossy(&root.stdout).trim());
    if !root.join("include/verilated.h").is_file() {
        return Err(format!(
            "Verilator at `{}` reports VERILATOR_ROOT={}, which has no include/verilated.h.\n{how}",
            bin.display(),
            root.display()
        ));
    }
    Ok(Verilator { bin, root, version })
}

/// `rerun-if-changed` on a directory and every file under it.
fn watch_tree(dir: &Path) -> Result<(), String> {
    println!("cargo:rerun-if-changed={}", dir.display());
    if let Ok(rd) = fs::read_dir(dir) {
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                watch_tree(&p)?;
            } else {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    Ok(())
}

/// Hash what the models are built from: every file directly in `rtl/` (sources, file
/// list, waivers; not the test-bench subdirectories) and every file `hsx.f` names.
fn hash_rtl(rtl_dir: &Path, filelist: &Path, cwd: &Path, h: &mut Fnv) -> Result<(), String> {
    let rd = fs::read_dir(rtl_dir).map_err(|e| format!("{}: {e}", rtl_dir.display()))?;
    let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    let list = fs::read_to_string(filelist).map_err(|e| format!("{}: {e}", filelist.display()))?;
    for line in list.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("//") || t.starts_with('#') || t.starts_with('-') || t.starts_with('+') {
            continue;
        }
        let p = cwd.join(t);
        if p.is_file() && !files.contains(&p) {
            files.push(p);
        }
    }
    // The monitor model's checkers.
    if let Ok(rd) = fs::read_dir(rtl_dir.join("monitors")) {
        files.extend(rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()));
    }
    files.sort();
    for p in files {
        h.str(&p.strip_prefix(cwd).unwrap_or(&p).to_string_lossy());
        h.bytes(&fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    Ok(())
}

fn path_str(p: &Path) -> Result<String, String> {
    p.to_str().map(str::to_string).ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}

/// FNV-1a 64: a stable hash for cache keys.
struct Fnv(u64);
impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= x as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // Length separator so that ("ab","c") and ("a","bc") differ.
        for x in (b.len() as u64).to_le_bytes() {
            self.0 ^= x as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The variables of a Verilator `<prefix>_classes.mk`.
struct Classes {
    vars: BTreeMap<String, Vec<String>>,
}

impl Classes {
    fn read(path: &Path) -> Result<Classes, String> {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Classes::parse(&text))
    }

    fn parse(text: &str) -> Classes {
        // Join continuation lines (a trailing backslash; the next line may be indented with
        // tabs or spaces), then read `NAME = v…` and `NAME += v…`.
        let mut logical: Vec<String> = Vec::new();
        let mut cur = String::new();
        for line in text.lines() {
            let l = line.trim_end();
            if let Some(stripped) = l.strip_suffix('\\') {
                cur.push_str(stripped);
                cur.push(' ');
            } else {
                cur.push_str(l);
                logical.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            logical.push(cur);
        }
        let mut vars: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in logical {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (name, append, rest) = if let Some((n, r)) = l.split_once("+=") {
                (n, true, r)
            } else if let Some((n, r)) = l.split_once('=') {
                (n, false, r)
            } else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                continue;
            }
            let items: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
            let e = vars.entry(name.to_string()).or_default();
            if !append {
                e.clear();
            }
            e.extend(items);
        }
        Classes { vars }
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.vars.get(name).cloned().unwrap_or_default()
    }

    fn scalar(&self, name: &str) -> Option<String> {
        self.vars.get(name).and_then(|v| v.first().cloned())
    }
}
