//! Project chores:
//!
//! * `cargo xtask codegen` regenerates files derived from the ISA table;
//! * `cargo xtask docs [--check] [--hsx PATH]` regenerates the generated blocks of the
//!   Markdown files (`README.md`, `docs/**/*.md`: tool output, the manual's ISA tables;
//!   `xtask/src/blocks.rs` has the rules). Without `--hsx` it first builds the release
//!   `hsx` (`cargo build --release -p hsx-cosim --bin hsx`) and runs that. `--check`
//!   writes nothing and exits 1 when a block is stale;
//! * `cargo xtask fuzz --minutes N [--target NAME] [--seed S] [--out DIR]` runs a fuzz
//!   campaign (the properties of `cosim::fuzz`, on stable Rust) by running
//!   `cosim/examples/fuzz.rs` in the `fuzz` profile (optimised, with overflow checks and
//!   debug assertions) — so xtask itself does not build the RTL.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use xtask::blocks;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

const USAGE: &str = "usage: cargo xtask codegen            regenerate rtl/hsx_isa_pkg.sv and rtl/tb/fpu/fpu_ops.h from the ISA table\n       \
                     cargo xtask docs [--check] [--hsx PATH]\n                                    \
                     regenerate the generated blocks of README.md and docs/ (--check: only report stale ones)\n       \
                     cargo xtask fuzz --minutes N [--target hxe|asm|disasm|shell|replay] [--seed S] [--out DIR]\n                                    \
                     fuzz campaign (docs/failure-input.md)";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") if args.len() == 1 => {
            for (rel, text) in isa::codegen::generated_files() {
                let path = root().join(rel);
                std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
        Some("docs") => {
            let mut check = false;
            let mut hsx = None;
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--check" => check = true,
                    "--hsx" => {
                        let p = PathBuf::from(it.next().context("--hsx needs a path")?);
                        hsx = Some(std::fs::canonicalize(&p).with_context(|| format!("--hsx {}", p.display()))?);
                    }
                    other => bail!("unknown argument `{other}`\n{USAGE}"),
                }
            }
            let root = root();
            let hsx = match hsx {
                Some(p) => p,
                None => build_hsx(&root)?,
            };
            let stale = docs(&root, &hsx, check)?;
            if check && stale > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Some("fuzz") => {
            let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .current_dir(root())
                .args(["run", "--quiet", "--profile", "fuzz", "-p", "hsx-cosim", "--example", "fuzz", "--"])
                .args(&args[1..])
                .status()
                .context("running cargo")?;
            std::process::exit(status.code().unwrap_or(1));
        }
        _ => bail!("{USAGE}"),
    }
}

/// Build the release `hsx` and return its path (honours `CARGO_TARGET_DIR`).
fn build_hsx(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--release", "-p", "hsx-cosim", "--bin", "hsx"])
        .current_dir(root)
        .status()
        .context("running cargo build for hsx")?;
    if !status.success() {
        bail!("cargo build --release -p hsx-cosim --bin hsx failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let target = if target.is_relative() { root.join(target) } else { target };
    Ok(target.join("release").join(format!("hsx{}", std::env::consts::EXE_SUFFIX)))
}

/// Regenerate (or, with `check`, only compare) every generated block; the number of stale blocks.
fn docs(root: &Path, hsx: &Path, check: bool) -> Result<usize> {
    let mut stale_total = 0;
    for path in blocks::doc_files(root)? {
        let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {rel}"))?;
        let (new, stale) = blocks::refresh(&text, &rel, hsx, root)?;
        for s in &stale {
            eprintln!("{s}");
        }
        stale_total += stale.len();
        if !check && new != text {
            write_atomic(&path, &new).with_context(|| format!("writing {rel}"))?;
            eprintln!("rewrote {rel} ({} block(s))", stale.len());
        }
    }
    if stale_total == 0 {
        eprintln!("generated blocks: all current");
    }
    Ok(stale_total)
}

/// Write through a temporary file and a rename, so an interrupted run never leaves half a file.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("md.xtask-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
