//! The content-addressed model cache: the keys (FNV-1a over the RTL sources, the
//! Verilator version and every flag), where the cache lives, publishing a finished work
//! directory atomically, pruning old entries, and the `rerun-if-changed` watch.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use crate::verilate::{Verilator, VERILATOR_ARGS};
use crate::{
    compile::{CXX_FLAGS, FAST_MODEL_FLAGS},
    filelist_entries, path_str, Rtl,
};

/// Bumped when the way objects are produced changes (invalidates every cache).
pub const CACHE_EPOCH: &str = "hsx-sim-build-3";

/// The real model's key: the epoch, Verilator (version and root), its arguments, the C++
/// flags, the RTL arguments, the extra model flags and the RTL's content.
pub fn rtl_hash(vl: &Verilator, rtl: &Rtl, model_flags: &[String]) -> Result<u64, String> {
    let mut h = Fnv::new();
    h.str(CACHE_EPOCH);
    h.str(&vl.version);
    h.str(&path_str(&vl.root)?);
    for a in VERILATOR_ARGS.iter().chain(CXX_FLAGS).chain(FAST_MODEL_FLAGS) {
        h.str(a);
    }
    for a in &rtl.args {
        h.str(a);
    }
    for f in model_flags {
        h.str(f);
    }
    hash_rtl(&rtl.dir, &rtl.filelist, &rtl.cwd, &mut h)?;
    Ok(h.finish())
}

/// The runtime library's key: the epoch, Verilator, the C++ flags, the runtime's file
/// list, the defines and `$CXX`.
pub fn runtime_key(vl: &Verilator, runtime: &[String], defines: &[(String, String)]) -> Result<u64, String> {
    let mut h = Fnv::new();
    h.str(CACHE_EPOCH);
    h.str(&vl.version);
    h.str(&path_str(&vl.root)?);
    for f in CXX_FLAGS.iter().map(|s| s.to_string()).chain(runtime.iter().cloned()) {
        h.str(&f);
    }
    for (k, v) in defines {
        h.str(k);
        h.str(v);
    }
    if let Ok(cxx) = env::var("CXX") {
        h.str(&cxx);
    }
    Ok(h.finish())
}

/// Where the shared cache lives: `$HSX_SIM_CACHE_DIR`, else `<target dir>/hsx-sim-cache`
/// (OUT_DIR is `<target dir>[/<triple>]/<profile>/build/<pkg>-<hash>/out`), else OUT_DIR.
pub fn cache_root(out: &Path) -> PathBuf {
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
pub fn temp_dir_for(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    dest.with_file_name(format!(".tmp-{name}-{}-{nanos}", std::process::id()))
}

/// Move a finished work directory into place. If another build published the same
/// (content-addressed) entry meanwhile, keep theirs.
pub fn publish(tmp: &Path, dest: &Path) -> Result<(), String> {
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
pub fn prune(cache: &Path, keep: &[PathBuf], rt_keep: &Path) {
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

/// `rerun-if-changed` on a directory and every file under it.
pub fn watch_tree(dir: &Path) -> Result<(), String> {
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
    for t in filelist_entries(&list) {
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

/// FNV-1a 64: a stable hash for cache keys.
pub struct Fnv(pub u64);

impl Fnv {
    pub fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub fn bytes(&mut self, b: &[u8]) {
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

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}
