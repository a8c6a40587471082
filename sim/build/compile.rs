//! Compiling the C++: each model's generated sources as one unity translation unit, the
//! Verilator runtime (cached per version and flags), the `cxx` bridge with the driver
//! (`csrc/`), and the link lines (bridge → models → runtime → libstdc++, zlib).

use std::fs;
use std::path::{Path, PathBuf};

use crate::cache::{publish, runtime_key, temp_dir_for};
use crate::verilate::{Classes, Verilator};

/// C++ flags for everything Verilator-generated (Verilator's own `-Wno-…` list).
pub const CXX_FLAGS: &[&str] = &[
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

/// Extra C++ flags of the models whose speed matters (the real, the monitor and the traced
/// model: `-O3` measured 2–3 % more cycles per second than `-O2` on the untraced real model,
/// docs/benchmarks.md); the large mutant and coverage models keep `-O2` (compile time).
/// Part of the cache key (`cache::rtl_hash`).
pub const FAST_MODEL_FLAGS: &[&str] = &["-O3"];

/// The models compiled with [`FAST_MODEL_FLAGS`].
pub const FAST_MODELS: &[&str] = &["Vhsx", "Vhsx_mon", "Vhsx_trc"];

/// Defines that may differ between models (each model is compiled with its own value; the
/// runtime and the bridge do not read them).
const PER_MODEL_DEFINES: &[&str] = &["VM_COVERAGE"];

/// Defines that are 1 for the runtime and the bridge when any model sets them (the traced
/// models: the runtime then has the tracer, which the untraced models never call; the
/// models themselves are compiled with their own value).
const ANY_MODEL_DEFINES: &[&str] = &["VM_TRACE", "VM_TRACE_VCD", "VM_TRACE_FST"];

/// Compile what the cache lacks — the freshly verilated models (`fresh[i] != mdirs[i]`),
/// the runtime library — and the bridge, in parallel. Returns the runtime's cache
/// directory. The models' work directories are published by the caller (the bridge
/// reads their headers from there while it compiles).
pub fn compile_all(
    vl: &Verilator,
    cache: &Path,
    prefixes: &[&str],
    fresh: &[PathBuf],
    mdirs: &[PathBuf],
    classes: &[Classes],
    model_flags: &[String],
) -> Result<PathBuf, String> {
    let value = |c: &Classes, k: &str| c.scalar(k).unwrap_or_else(|| "0".into());
    let defines: Vec<(String, String)> = ["VM_COVERAGE", "VM_SC", "VM_TRACE", "VM_TRACE_FST", "VM_TRACE_VCD"]
        .iter()
        .map(|k| {
            let v = if ANY_MODEL_DEFINES.contains(k) {
                if classes.iter().any(|c| value(c, k) != "0") {
                    "1".into()
                } else {
                    "0".into()
                }
            } else {
                value(&classes[0], k)
            };
            (k.to_string(), v)
        })
        .collect();
    let shared = |k: &str| !PER_MODEL_DEFINES.contains(&k) && !ANY_MODEL_DEFINES.contains(&k);
    for c in &classes[1..] {
        for (k, v) in defines.iter().filter(|(k, _)| shared(k)) {
            let other = c.scalar(k).unwrap_or_else(|| "0".into());
            if &other != v {
                return Err(format!("the models disagree on {k} ({v} vs {other})"));
            }
        }
    }
    let mut runtime: Vec<String> = Vec::new();
    for c in classes {
        runtime.extend(c.list("VM_GLOBAL_FAST"));
        runtime.extend(c.list("VM_GLOBAL_SLOW"));
    }
    for always in ["verilated", "verilated_threads", "verilated_dpi", "verilated_vcd_c"] {
        runtime.push(always.into());
    }
    runtime.sort();
    runtime.dedup();

    let include = vl.root.join("include");
    // The flags every C++ unit shares: the models, the runtime and the bridge.
    let configure = |b: &mut cc::Build, extra_includes: &[&Path]| {
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
    };
    let base_build = |extra_includes: &[&Path]| {
        let mut b = cc::Build::new();
        configure(&mut b, extra_includes);
        for (k, v) in defines.iter().filter(|(k, _)| shared(k)) {
            b.define(k, v.as_str());
        }
        b
    };

    // The runtime library, cached by version + flags + file list.
    let rt_dir = cache.join(format!("vlrt-{:016x}", runtime_key(vl, &runtime, &defines)?));
    let rt_lib = rt_dir.join("libhsx_vlrt.a");

    std::thread::scope(|s| -> Result<(), String> {
        let mut jobs = Vec::new();
        for (prefix, ((tmp, mdir), cls)) in prefixes.iter().zip(fresh.iter().zip(mdirs).zip(classes)) {
            if tmp == mdir {
                continue; // cached: verilated and compiled already
            }
            let mut b = base_build(&[tmp.as_path()]);
            if FAST_MODELS.contains(prefix) {
                for f in FAST_MODEL_FLAGS {
                    b.flag(f);
                }
            }
            for f in model_flags {
                b.flag(f);
            }
            for k in PER_MODEL_DEFINES.iter().chain(ANY_MODEL_DEFINES) {
                b.define(k, cls.scalar(k).unwrap_or_else(|| "0".into()).as_str());
            }
            jobs.push(s.spawn(move || compile_model(b, prefix, tmp, cls)));
        }
        if !rt_lib.is_file() {
            let mut b = base_build(&[]);
            for (k, v) in defines.iter().filter(|(k, _)| ANY_MODEL_DEFINES.contains(&k.as_str())) {
                b.define(k, v.as_str());
            }
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
        bridge.file("csrc/hsx_sim.cc").file("csrc/hsx_fst.cc");
        let fresh_dirs: Vec<&Path> = fresh.iter().map(|d| d.as_path()).collect();
        configure(&mut bridge, &fresh_dirs);
        for (k, v) in &defines {
            bridge.define(k, v.as_str());
        }
        let bridge_res = bridge.try_compile("hsx_sim_bridge").map_err(|e| format!("compiling the bridge: {e}"));
        for j in jobs {
            j.join().map_err(|_| "compile thread panicked".to_string())??;
        }
        bridge_res
    })?;
    Ok(rt_dir)
}

/// Compile one model's generated sources as a single unity file into
/// `mdir/lib<prefix>_model.a`.
fn compile_model(mut b: cc::Build, prefix: &str, mdir: &Path, cls: &Classes) -> Result<(), String> {
    let mut unity = String::from("// Generated by hsx-sim's build script: every generated source of one model.\n");
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

/// The link lines after the bridge's (which `cxx_build` printed): models → runtime → C++
/// library → zlib (the FST writer, csrc/hsx_fst.cc).
pub fn link(prefixes: &[&str], mdirs: &[PathBuf], rt_dir: &Path) {
    for (prefix, mdir) in prefixes.iter().zip(mdirs) {
        println!("cargo:rustc-link-search=native={}", mdir.display());
        println!("cargo:rustc-link-lib=static={prefix}_model");
    }
    println!("cargo:rustc-link-search=native={}", rt_dir.display());
    println!("cargo:rustc-link-lib=static=hsx_vlrt");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    println!("cargo:rustc-link-lib=dylib=z");
}
