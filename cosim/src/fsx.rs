//! Files the tool writes are written atomically: into a temporary file beside the
//! destination, flushed, then renamed over it. A signal, a full disk or a crash leaves
//! either the old file or the complete new one — never a truncated JUnit, HXE or report.
//!
//! * [`write_atomic`]: one call for bytes already in memory;
//! * [`AtomicFile`]: a streaming writer (VCDs, long reports) committed with
//!   [`AtomicFile::commit`]; dropped without a commit, it removes its temporary file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The temporary name used for `path` while it is being written:
/// `.NAME.tmp-PID` in the same directory (so the rename never crosses a file system).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let tmp = format!(".{name}.tmp-{}", std::process::id());
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(tmp),
        _ => PathBuf::from(tmp),
    }
}

/// Writes `bytes` to `path` atomically (temp file, `fsync`, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// A file being written under a temporary name; [`commit`](Self::commit) renames it to its
/// destination. Dropped uncommitted (an error, a panic, an early return), the temporary file
/// is removed and the destination is untouched.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let tmp = temp_path(path);
        let file = File::create(&tmp)?;
        Ok(AtomicFile { dest: path.to_path_buf(), tmp, out: Some(BufWriter::with_capacity(1 << 16, file)) })
    }

    /// The destination path.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Flushes, syncs and renames the temporary file to the destination.
    /// On any error (a full disk at the last flush, say) the temporary file is removed and
    /// the destination is left as it was.
    pub fn commit(mut self) -> io::Result<()> {
        let out = self.out.take().expect("AtomicFile committed twice");
        let done = out.into_inner().map_err(|e| e.into_error()).and_then(|file| {
            file.sync_all()?;
            drop(file);
            std::fs::rename(&self.tmp, &self.dest)
        });
        if done.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        done
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.as_mut().expect("AtomicFile used after commit").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.as_mut().expect("AtomicFile used after commit").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_leaves_old_file() {
        let dir = std::env::temp_dir().join(format!("hsx-fsx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        write_atomic(&p, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"half-writ").unwrap();
            // dropped without commit: an interrupted write
        }
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert!(!temp_path(&p).exists(), "the temporary file is removed");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
