//! Output paths are checked before any work starts (docs/failure.md "Output paths"), so
//! a regression never runs for an hour to fail at its last step on a JUnit path it
//! cannot write.
//!
//! One policy for every output option (`regress --junit/--traces`, `cosim --traces`,
//! `asm -o`, the folder `replay` rewrites): **missing parent directories are created**
//! (like `mkdir -p`); then a probe file is created (and removed) in the directory the
//! output goes to, which is exactly what the atomic write ([`crate::fsx`]) will do.
//! Refused, with the path named: a directory given as a file, an existing destination
//! that is not a regular file (`/dev/null`, a FIFO: the atomic rename would replace the
//! node), a path under a regular file, a directory that cannot be created or written
//! (`/proc/...`, a read-only file system).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// Why an output path cannot be written. The message names the option and the path.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {option} `{}`: {reason}", path.display())]
pub struct OutPathError {
    /// The option that named the path (`--junit`, `-o`, …).
    pub option: String,
    /// The path as given.
    pub path: PathBuf,
    pub reason: String,
}

fn err(option: &str, path: &Path, reason: impl Into<String>) -> OutPathError {
    OutPathError { option: option.into(), path: path.to_path_buf(), reason: reason.into() }
}

/// Create `dir` (and its parents) and prove a file can be created in it.
fn writable_dir(option: &str, given: &Path, dir: &Path) -> Result<(), OutPathError> {
    if let Ok(m) = std::fs::metadata(dir) {
        if !m.is_dir() {
            return Err(err(option, given, format!("`{}` exists and is not a directory", dir.display())));
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| err(option, given, format!("cannot create directory `{}`: {e}", dir.display())))?;
    let probe = dir.join(format!(".hsx-probe-{}", std::process::id()));
    match OpenOptions::new().write(true).create(true).truncate(true).open(&probe) {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(err(option, given, format!("cannot create files in `{}`: {e}", dir.display()))),
    }
}

/// Check that `path` can be written as a file (atomically: temp file beside it + rename).
pub fn check_file(option: &str, path: &Path) -> Result<(), OutPathError> {
    if path.as_os_str().is_empty() {
        return Err(err(option, path, "empty path"));
    }
    if path.file_name().is_none() || path.as_os_str().to_string_lossy().ends_with('/') {
        return Err(err(option, path, "names a directory, not a file"));
    }
    if let Ok(m) = std::fs::metadata(path) {
        if m.is_dir() {
            return Err(err(option, path, "is a directory"));
        }
        if !m.is_file() {
            return Err(err(option, path, "exists and is not a regular file"));
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    writable_dir(option, path, dir)
}

/// Check that files can be written under directory `dir` (created if missing).
pub fn check_dir(option: &str, dir: &Path) -> Result<(), OutPathError> {
    if dir.as_os_str().is_empty() {
        return Err(err(option, dir, "empty path"));
    }
    writable_dir(option, dir, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hsx-outpath-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn good_paths_pass_and_missing_parents_are_created() {
        let d = tmp("good");
        check_file("--junit", &d.join("a.xml")).unwrap();
        check_file("--junit", &d.join("new/deeper/a.xml")).unwrap();
        assert!(d.join("new/deeper").is_dir());
        std::fs::write(d.join("old.xml"), "x").unwrap();
        check_file("--junit", &d.join("old.xml")).unwrap();
        check_dir("--traces", &d.join("traces/sub")).unwrap();
        assert!(d.join("traces/sub").is_dir());
        let leftovers: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(!leftovers.iter().any(|n| n.to_string_lossy().contains("probe")), "{leftovers:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn bad_paths_are_refused_naming_the_path() {
        let d = tmp("bad");
        std::fs::write(d.join("file"), "x").unwrap();
        let cases: Vec<(PathBuf, &str)> = vec![
            (d.clone(), "is a directory"),
            (d.join("file/under.xml"), "not a directory"),
            (PathBuf::from("/proc/hsx-no-such/x.xml"), "cannot create"),
            (PathBuf::from("/proc/version"), "cannot create files"),
            (PathBuf::from("/dev/null"), "not a regular file"),
            (PathBuf::from(""), "empty"),
        ];
        for (p, why) in cases {
            let e = check_file("--junit", &p).expect_err(&p.display().to_string()).to_string();
            assert!(e.contains(&format!("--junit `{}`", p.display())) && e.contains(why), "{e}");
        }
        let e = check_dir("--traces", &d.join("file")).unwrap_err().to_string();
        assert!(e.contains("is not a directory"), "{e}");
        let e = check_dir("--traces", Path::new("/proc/hsx-traces")).unwrap_err().to_string();
        assert!(e.contains("--traces `/proc/hsx-traces`"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
