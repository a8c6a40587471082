//! Running Verilator: finding it (`VERILATOR_ROOT` or `PATH`), the mutant model's
//! sources (the `mutate` crate's schemata), verilating the models in parallel into the
//! cache's work directories, and reading the generated `<prefix>_classes.mk`.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cache::{publish, temp_dir_for, Fnv};
use crate::{filelist_entries, path_str, Rtl};

/// Verilator arguments common to every model (the RTL file list is added separately;
/// the traced models add [`TRACE_ARGS`]).
pub const VERILATOR_ARGS: &[&str] = &[
    "--cc",
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

/// What makes a model traced (VCD output). Only the models that write waveforms have it:
/// a traced model keeps every signal in memory for the tracer, which made the real model
/// ~15 % slower per cycle with the dump closed (docs/benchmarks.md).
pub const TRACE_ARGS: &[&str] = &["--trace"];

/// The Verilator the models are built with.
pub struct Verilator {
    pub bin: PathBuf,
    /// Its `VERILATOR_ROOT` (runtime headers and sources).
    pub root: PathBuf,
    /// `verilator --version`.
    pub version: String,
}

pub fn find_verilator() -> Result<Verilator, String> {
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

/// Write the mutant model's sources — the RTL of `hsx.f` with every hand mutant of
/// `rtl/mutants/hand.toml` and every automatic mutant as mutant schemata (crate `mutate`) —
/// into `cache/mutsrc-<hash>/`, and, for the `sim` crate, the catalogue and the list of
/// automatic mutants into OUT_DIR. Returns the Verilator arguments and the model's cache
/// key. A stale anchor (RTL text under a hand mutant changed) is an error naming the
/// mutant, the file and the text.
pub fn mutant_sources(rtl: &Rtl, cache: &Path, out: &Path, rtl_hash: u64) -> Result<(Vec<String>, u64), String> {
    let list = fs::read_to_string(&rtl.filelist).map_err(|e| format!("{}: {e}", rtl.filelist.display()))?;
    let mut sources = Vec::new();
    for t in filelist_entries(&list) {
        let p = rtl.cwd.join(t);
        let text = fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        sources.push(mutate::Source { name, text });
    }
    let cat_path = rtl.dir.join("mutants/hand.toml");
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
    let waivers = rtl.dir.join("lint_waivers.vlt");
    if waivers.is_file() {
        args.push(path_str(&waivers)?);
    }
    Ok((args, key))
}

/// Verilate every model (one thread each) that the cache does not hold yet. Returns, per
/// model, the directory with its generated sources (see [`verilate`]).
pub fn verilate_all(
    vl: &Verilator,
    prefixes: &[&str],
    args: &[&[String]],
    cwd: &Path,
    mdirs: &[PathBuf],
) -> Result<Vec<PathBuf>, String> {
    std::thread::scope(|s| -> Result<Vec<PathBuf>, String> {
        let handles: Vec<_> = prefixes
            .iter()
            .zip(mdirs)
            .zip(args)
            .map(|((prefix, mdir), args)| s.spawn(move || verilate(vl, prefix, args, cwd, mdir)))
            .collect();
        let mut v = Vec::new();
        for h in handles {
            v.push(h.join().map_err(|_| "verilator thread panicked".to_string())??);
        }
        Ok(v)
    })
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

/// The variables of a Verilator `<prefix>_classes.mk`.
pub struct Classes {
    vars: BTreeMap<String, Vec<String>>,
}

impl Classes {
    pub fn read(path: &Path) -> Result<Classes, String> {
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

    pub fn list(&self, name: &str) -> Vec<String> {
        self.vars.get(name).cloned().unwrap_or_default()
    }

    pub fn scalar(&self, name: &str) -> Option<String> {
        self.vars.get(name).and_then(|v| v.first().cloned())
    }
}
