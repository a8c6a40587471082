//! Program specs (`FILE[@ENTRY]`, cli.md): reading `.mvasm`/`.hxe` files, resolving
//! entries, and loading the tasks into any machine through the executive. Used by both
//! engines, so the reference and the RTL get exactly the same images and spawns.

use isa::asm::Program;
use isa::hxe::Image;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vm_ref::exec::{Executive, Host, SpawnOptions};

/// Bad input: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}")]
    Asm(String),
    #[error("{path}: invalid HXE image: {source}")]
    Hxe { path: String, source: isa::hxe::HxeError },
    #[error("{spec}: unknown entry label `{label}` (text labels of {path}: {known})")]
    UnknownLabel { spec: String, label: String, path: String, known: String },
    #[error("{spec}: entry `{entry}` is a label, but {path} is an HXE image (use a code offset)")]
    LabelInHxe { spec: String, entry: String, path: String },
    #[error("{spec}: entry `{entry}` {why} (an entry is a label or a code offset below 0x10000)")]
    BadEntryNumber { spec: String, entry: String, why: String },
    #[error("{spec}: entry 0x{offset:X} is outside the image's code (0..0x{size:X}) or not 4-aligned")]
    BadEntry { spec: String, offset: u32, size: u32 },
    #[error("{count} programs given, but the machine has {max} task slots")]
    TooMany { count: usize, max: usize },
    #[error("{name}: the file's hex bytes are not hex digit pairs (character {at})")]
    BadHex { name: String, at: usize },
    #[error("no program given")]
    Empty,
    #[error("{0}")]
    Exec(#[from] vm_ref::exec::ExecError),
    #[error("{err}\n  hint: {hint}")]
    ExecHint { err: vm_ref::exec::ExecError, hint: String },
    #[error("{0}")]
    Stdin(String),
}

/// A parsed SPEC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// As typed (goes into the JSON).
    pub text: String,
    pub file: PathBuf,
    pub entry: Option<String>,
}

impl Spec {
    /// Split `FILE[@ENTRY]` at the last `@` (file names may contain `@` only if no
    /// entry follows them… in practice they do not).
    pub fn parse(text: &str) -> Spec {
        match text.rsplit_once('@') {
            Some((f, e)) if !f.is_empty() && !e.is_empty() && !e.contains('/') => {
                Spec { text: text.to_string(), file: PathBuf::from(f), entry: Some(e.to_string()) }
            }
            _ => Spec { text: text.to_string(), file: PathBuf::from(text), entry: None },
        }
    }
}

/// A program file read into memory.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub image: Image,
    /// Text labels (MVASM sources only).
    pub labels: Option<BTreeMap<String, u32>>,
    /// An MVASM source that did not write `.data ADDR`: its data may be moved.
    pub movable_data: bool,
}

/// Why a text is not a number the CLI accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    #[error("is empty")]
    Empty,
    #[error("is negative")]
    Negative,
    #[error("is too large (more than 64 bits)")]
    TooLarge,
    #[error("is not a number (decimal or 0x… hex)")]
    Invalid,
}

/// Parse a number as the CLI accepts it: decimal or `0x…` hex.
pub fn parse_num(s: &str) -> Option<u64> {
    parse_number(s).ok()
}

/// [`parse_num`] saying why a text is not a number: a `-` sign is [`NumError::Negative`]
/// when the rest is a number, digits beyond 64 bits are [`NumError::TooLarge`].
pub fn parse_number(s: &str) -> Result<u64, NumError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(NumError::Empty);
    }
    if let Some(rest) = s.strip_prefix('-') {
        return match parse_number(rest) {
            Ok(_) | Err(NumError::TooLarge) => Err(NumError::Negative),
            Err(_) => Err(NumError::Invalid),
        };
    }
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (s, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(NumError::Invalid);
    }
    u64::from_str_radix(digits, radix).map_err(|_| NumError::TooLarge)
}

/// Whether an `@ENTRY` is meant as a number: labels never start with a digit or `-`.
fn looks_numeric(e: &str) -> bool {
    e.starts_with(|c: char| c.is_ascii_digit() || c == '-')
}

/// Read a `.mvasm` (assembled) or `.hxe` file. Anything that is not `.mvasm` is read as
/// an HXE image.
pub fn read_program(path: &Path) -> Result<LoadedFile, ProgramError> {
    read_program_at(path, None)
}

/// [`read_program`], placing an MVASM source's data at `data_addr` unless it writes
/// `.data ADDR` itself.
pub fn read_program_at(path: &Path, data_addr: Option<u32>) -> Result<LoadedFile, ProgramError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ProgramError::Io { path: shown, source })?;
    program_from_bytes_with(path, &bytes, data_addr, &mut isa::asm::FsLoader)
}

/// Build a program from a file's bytes (`path` names it and decides, by its extension,
/// whether it is MVASM source or an HXE image).
pub fn program_from_bytes(path: &Path, bytes: &[u8]) -> Result<LoadedFile, ProgramError> {
    program_from_bytes_with(path, bytes, None, &mut isa::asm::FsLoader)
}

/// Is `path` an MVASM source (by its extension)?
pub fn is_asm_path(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("mvasm") || e.eq_ignore_ascii_case("s"))
}

/// [`program_from_bytes`] with a default data address for MVASM sources and the loader
/// their `.include`s are read through.
pub fn program_from_bytes_with(
    path: &Path,
    bytes: &[u8],
    data_addr: Option<u32>,
    loader: &mut dyn isa::asm::SourceLoader,
) -> Result<LoadedFile, ProgramError> {
    let shown = path.display().to_string();
    if is_asm_path(path) {
        let src = String::from_utf8_lossy(bytes);
        let opts = isa::asm::AsmOptions { data_addr, ..Default::default() };
        let prog: Program =
            isa::asm::assemble_with(&src, &shown, &opts, loader).map_err(|e| ProgramError::Asm(e.to_string()))?;
        let labels = prog
            .labels
            .iter()
            .filter(|(_, l)| l.section == isa::asm::Section::Text)
            .map(|(n, l)| (n.clone(), l.value))
            .collect();
        let movable_data = !prog.explicit_data_addr;
        Ok(LoadedFile { path: path.to_path_buf(), image: prog.image, labels: Some(labels), movable_data })
    } else {
        let image = Image::parse(bytes).map_err(|source| ProgramError::Hxe { path: shown, source })?;
        Ok(LoadedFile { path: path.to_path_buf(), image, labels: None, movable_data: false })
    }
}

/// Everything needed to set a machine up: distinct files and one task per spec.
#[derive(Debug, Clone)]
pub struct Plan {
    pub files: Vec<LoadedFile>,
    /// One per spec, in pid order: (spec, index into `files`, entry offset).
    pub tasks: Vec<PlannedTask>,
    /// Input queued on tasks' `svc:stdio.in` right after they are spawned, in order.
    pub stdin: Vec<StdinMsg>,
}

/// One message the host sends to a task's `svc:stdio.in` (`--stdin`, `--stdin-file`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StdinMsg {
    pub pid: u8,
    /// The payload as hex.
    pub hex: String,
}

impl StdinMsg {
    pub fn new(pid: u8, bytes: &[u8]) -> StdinMsg {
        StdinMsg { pid, hex: bytes.iter().map(|b| format!("{b:02x}")).collect() }
    }
    pub fn bytes(&self) -> Vec<u8> {
        (0..self.hex.len() / 2).filter_map(|i| u8::from_str_radix(&self.hex[2 * i..2 * i + 2], 16).ok()).collect()
    }
}

/// Parse a `PID=VALUE` option.
pub fn parse_pid_value(opt: &str, s: &str) -> Result<(u8, String), ProgramError> {
    let bad = || ProgramError::Stdin(format!("{opt} `{s}`: expected PID=…, PID a task number 1..8"));
    let (p, v) = s.split_once('=').ok_or_else(bad)?;
    let pid: u8 = p.trim().parse().map_err(|_| bad())?;
    if !(1..=isa::MAX_TASKS as u8).contains(&pid) {
        return Err(bad());
    }
    Ok((pid, v.to_string()))
}

/// The messages of `--stdin PID=TEXT` (one message each) and `--stdin-file PID=PATH` (one
/// message per line, newline included), in the order given (`--stdin` first).
pub fn stdin_messages(texts: &[String], files: &[String]) -> Result<Vec<StdinMsg>, ProgramError> {
    /// A message's length is a u16, with its 8 header bytes.
    const MAX: usize = u16::MAX as usize - 8;
    let mut out = Vec::new();
    for t in texts {
        let (pid, text) = parse_pid_value("--stdin", t)?;
        for chunk in text.as_bytes().chunks(MAX) {
            out.push(StdinMsg::new(pid, chunk));
        }
    }
    for f in files {
        let (pid, path) = parse_pid_value("--stdin-file", f)?;
        let bytes = std::fs::read(&path).map_err(|source| ProgramError::Io { path: path.clone(), source })?;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            for chunk in line.chunks(MAX) {
                out.push(StdinMsg::new(pid, chunk));
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct PlannedTask {
    pub spec: Spec,
    pub file: usize,
    pub entry: u32,
}

impl Plan {
    /// Read the files of `specs` (each distinct file once) and resolve every entry.
    pub fn prepare(specs: &[String], max_tasks: usize) -> Result<Plan, ProgramError> {
        Plan::prepare_with(
            specs,
            max_tasks,
            |p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()),
            read_program_at,
        )
    }

    /// Like [`prepare`](Plan::prepare) with in-memory files: `files` maps a SPEC's FILE
    /// part to the file's bytes (a co-simulation case carries its sources this way).
    pub fn prepare_in_memory(
        specs: &[String],
        max_tasks: usize,
        files: &[(String, Vec<u8>)],
    ) -> Result<Plan, ProgramError> {
        Plan::prepare_with(
            specs,
            max_tasks,
            |p| p.to_path_buf(),
            |p, data_addr| {
                let name = p.display().to_string();
                let (_, bytes) = files.iter().find(|(n, _)| *n == name).ok_or_else(|| ProgramError::Io {
                    path: name.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "not among the case's files"),
                })?;
                program_from_bytes_with(p, bytes, data_addr, &mut CaseFiles(files))
            },
        )
    }

    fn prepare_with(
        specs: &[String],
        max_tasks: usize,
        key_of: impl Fn(&Path) -> PathBuf,
        mut read: impl FnMut(&Path, Option<u32>) -> Result<LoadedFile, ProgramError>,
    ) -> Result<Plan, ProgramError> {
        if specs.is_empty() {
            return Err(ProgramError::Empty);
        }
        if specs.len() > max_tasks {
            return Err(ProgramError::TooMany { count: specs.len(), max: max_tasks });
        }
        let mut files: Vec<LoadedFile> = vec![];
        let mut keys: Vec<PathBuf> = vec![];
        let mut tasks = vec![];
        for text in specs {
            let spec = Spec::parse(text);
            let key = key_of(&spec.file);
            let idx = match keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    let mut f = read(&spec.file, None)?;
                    // Data placement: an MVASM source without `.data ADDR` whose data would
                    // overlap an earlier file's is assembled again at the next free address.
                    let range = |f: &LoadedFile| {
                        let len = f.image.data.len() as u32 + f.image.bss;
                        (f.image.data_addr, f.image.data_addr + len)
                    };
                    let (lo, hi) = range(&f);
                    let clash = hi > lo && files.iter().map(range).any(|(a, b)| b > a && lo < b && a < hi);
                    if f.movable_data && clash {
                        let next = files.iter().map(|g| range(g).1).max().unwrap_or(lo);
                        f = read(&spec.file, Some(next.next_multiple_of(4)))?;
                    }
                    files.push(f);
                    keys.push(key);
                    files.len() - 1
                }
            };
            let entry = resolve_entry(&spec, &files[idx])?;
            tasks.push(PlannedTask { spec, file: idx, entry });
        }
        Ok(Plan { files, tasks, stdin: Vec::new() })
    }

    /// Load every file and spawn every task on `host` through `exec`. Returns the pids.
    pub fn load<H: Host>(
        &self,
        exec: &mut Executive,
        host: &mut H,
        opts: SpawnOptions,
    ) -> Result<Vec<u8>, ProgramError> {
        let mut ids = vec![];
        for f in &self.files {
            match exec.load_image(host, &f.path.display().to_string(), &f.image) {
                Ok(id) => ids.push(id),
                Err(err @ vm_ref::exec::ExecError::Overlap { .. }) if err.to_string().contains("overlaps image") => {
                    let hint = "every image needs its own data addresses: .mvasm SPECs without `.data ADDR` \
                                are placed at the next free data address, but .hxe images and an explicit \
                                `.data ADDR` stay where they are — change the `.data ADDR` of one of them";
                    return Err(ProgramError::ExecHint { err, hint: hint.into() });
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut pids = vec![];
        for t in &self.tasks {
            pids.push(exec.spawn(host, ids[t.file], t.entry, opts)?);
        }
        // Input for `svc:stdio.in`: the descriptor grows to hold everything queued.
        let mut need: BTreeMap<u8, u32> = BTreeMap::new();
        for m in &self.stdin {
            *need.entry(m.pid).or_default() += m.hex.len() as u32 / 2 + 8;
        }
        for (&pid, &bytes) in &need {
            let id = match pids.contains(&pid).then(|| exec.stdin_descriptor(pid)).flatten() {
                Some(id) => id,
                None => return Err(ProgramError::Stdin(format!("stdin for pid {pid}: no such task"))),
            };
            exec.host_reserve(id, bytes)
                .map_err(|st| ProgramError::Stdin(format!("stdin for pid {pid}: mailbox status {st}")))?;
        }
        for m in &self.stdin {
            let id = exec.stdin_descriptor(m.pid).unwrap_or(0);
            exec.host_send(host, id, &m.bytes(), 0, 0)
                .map_err(|st| ProgramError::Stdin(format!("stdin for pid {}: mailbox status {st}", m.pid)))?;
        }
        Ok(pids)
    }
}

/// Included files of an in-memory case: found by name among the case's files only.
struct CaseFiles<'a>(&'a [(String, Vec<u8>)]);

impl isa::asm::SourceLoader for CaseFiles<'_> {
    fn load(&mut self, path: &Path) -> std::io::Result<String> {
        let name = path.display().to_string();
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not among the case's files"))
    }
}

pub fn resolve_entry(spec: &Spec, f: &LoadedFile) -> Result<u32, ProgramError> {
    let size = f.image.code.len() as u32;
    let offset = match &spec.entry {
        None => f.image.entry,
        Some(e) if looks_numeric(e) => match parse_number(e) {
            Ok(n) => match u32::try_from(n) {
                Ok(n) => n,
                Err(_) => {
                    return Err(ProgramError::BadEntryNumber {
                        spec: spec.text.clone(),
                        entry: e.clone(),
                        why: "is too large".into(),
                    })
                }
            },
            Err(why) => {
                return Err(ProgramError::BadEntryNumber {
                    spec: spec.text.clone(),
                    entry: e.clone(),
                    why: why.to_string(),
                })
            }
        },
        Some(e) => match &f.labels {
            Some(labels) => *labels.get(e.as_str()).ok_or_else(|| ProgramError::UnknownLabel {
                spec: spec.text.clone(),
                label: e.clone(),
                path: f.path.display().to_string(),
                known: labels.keys().cloned().collect::<Vec<_>>().join(", "),
            })?,
            None => {
                return Err(ProgramError::LabelInHxe {
                    spec: spec.text.clone(),
                    entry: e.clone(),
                    path: f.path.display().to_string(),
                })
            }
        },
    };
    if offset % 4 != 0 || offset >= size {
        return Err(ProgramError::BadEntry { spec: spec.text.clone(), offset, size });
    }
    Ok(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parsing() {
        assert_eq!(Spec::parse("a.mvasm").entry, None);
        let s = Spec::parse("dir/demo.mvasm@producer");
        assert_eq!(s.file, PathBuf::from("dir/demo.mvasm"));
        assert_eq!(s.entry.as_deref(), Some("producer"));
        assert_eq!(Spec::parse("x.hxe@0x10").entry.as_deref(), Some("0x10"));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_num("0x10"), Some(16));
        assert_eq!(parse_num("42"), Some(42));
        assert_eq!(parse_num("zz"), None);
        assert_eq!(parse_number("0xFFFFFFFFFFFFFFFF"), Ok(u64::MAX));
        assert_eq!(parse_number("0x10000000000000000"), Err(NumError::TooLarge));
        assert_eq!(parse_number("18446744073709551616"), Err(NumError::TooLarge));
        assert_eq!(parse_number("-5"), Err(NumError::Negative));
        assert_eq!(parse_number("-0x99999999999999999999"), Err(NumError::Negative));
        assert_eq!(parse_number("-x"), Err(NumError::Invalid));
        assert_eq!(parse_number("+5"), Err(NumError::Invalid));
        assert_eq!(parse_number("0x"), Err(NumError::Invalid));
        assert_eq!(parse_number("١٢"), Err(NumError::Invalid), "non-ASCII digits");
        assert_eq!(parse_number(""), Err(NumError::Empty));
    }

    fn hello() -> LoadedFile {
        program_from_bytes(Path::new("h.mvasm"), b"main: LDI R0, 3\n RET\n").unwrap()
    }

    #[test]
    fn numeric_entries_too_large_or_malformed_name_the_spec() {
        let f = hello();
        let err = |e: &str| resolve_entry(&Spec::parse(&format!("h.mvasm@{e}")), &f).unwrap_err().to_string();
        assert_eq!(
            err("0x10000000000"),
            "h.mvasm@0x10000000000: entry `0x10000000000` is too large \
             (an entry is a label or a code offset below 0x10000)"
        );
        assert!(err("99999999999999999999999").contains("`99999999999999999999999` is too large"));
        assert!(err("-4").contains("`-4` is negative"));
        assert!(err("0xZZ").contains("`0xZZ` is not a number"));
        assert!(err("0x100").contains("entry 0x100 is outside the image's code"));
        assert!(err("nosuch").contains("unknown entry label `nosuch`"));
        assert_eq!(resolve_entry(&Spec::parse("h.mvasm@main"), &f).unwrap(), 0);
        assert_eq!(resolve_entry(&Spec::parse("h.mvasm@4"), &f).unwrap(), 4);
    }
}
