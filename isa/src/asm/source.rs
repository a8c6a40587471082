//! Source files and `.include`: a module's text with every `.include` replaced, line by
//! line, by the included file's lines (recursively), each line remembering its file and
//! line number so diagnostics name the right place.
//!
//! An included name is looked up relative to the directory of the file that includes it,
//! then in each `-I` directory in order. A file that includes itself (directly or through
//! others) is an error naming the include chain; so is a file found nowhere.

use super::{AsmErrorKind, Diagnostic};
use std::path::{Component, Path, PathBuf};

/// Where the assembler reads included files from.
pub trait SourceLoader {
    /// The text of `path`; `ErrorKind::NotFound` when it does not exist (the next include
    /// directory is then tried).
    fn load(&mut self, path: &Path) -> std::io::Result<String>;
}

/// Reads files from disk (invalid UTF-8 is replaced, like the CLI does for the root).
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl SourceLoader for FsLoader {
    fn load(&mut self, path: &Path) -> std::io::Result<String> {
        std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

/// A loader that has no files (for sources that must not include anything).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFiles;

impl SourceLoader for NoFiles {
    fn load(&mut self, _path: &Path) -> std::io::Result<String> {
        Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no include files available here"))
    }
}

/// Records every file a loader read (so a co-simulation case can carry its includes).
pub struct Recording<L> {
    pub inner: L,
    pub read: Vec<(String, String)>,
}

impl<L: SourceLoader> SourceLoader for Recording<L> {
    fn load(&mut self, path: &Path) -> std::io::Result<String> {
        let text = self.inner.load(path)?;
        let name = path.display().to_string();
        if !self.read.iter().any(|(n, _)| *n == name) {
            self.read.push((name, text.clone()));
        }
        Ok(text)
    }
}

/// One source line after include expansion.
#[derive(Debug, Clone)]
pub(crate) struct SrcLine {
    /// Index into [`Sources::files`].
    pub file: usize,
    /// 1-based line in that file.
    pub line: usize,
    pub text: String,
}

/// A module's lines, includes expanded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    /// File names as shown in diagnostics (the root first).
    pub files: Vec<String>,
    pub lines: Vec<SrcLine>,
}

/// `a/./b/../c` → `a/c` (purely lexical; `..` at the start is kept).
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// The file name of a `.include` line, or `None` when the line is not an include.
/// `Some(Err)` for an include without a usable name.
fn include_operand(text: &str) -> Option<Result<(String, usize), (usize, AsmErrorKind)>> {
    let body = text.split(';').next().unwrap_or("");
    let trimmed = body.trim_start();
    let lead = body.len() - trimmed.len();
    let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    if !trimmed[..word_end].eq_ignore_ascii_case(".include") {
        return None;
    }
    let col = text[..lead].chars().count() + 1;
    let arg = trimmed[word_end..].trim();
    let arg_col = col
        + trimmed[..word_end].chars().count()
        + (trimmed[word_end..].len() - trimmed[word_end..].trim_start().len());
    if arg.is_empty() {
        return Some(Err((col, AsmErrorKind::Syntax(".include needs a file name: .include \"file.mvasm\"".into()))));
    }
    if arg.starts_with('"') {
        return Some(match super::lex::lex(arg) {
            Ok(toks) => match toks.as_slice() {
                [super::lex::Token { tok: super::lex::Tok::Str(s), .. }] => {
                    Ok((String::from_utf8_lossy(s).into_owned(), arg_col))
                }
                _ => Err((arg_col, AsmErrorKind::Syntax(format!("expected one quoted file name, found `{arg}`")))),
            },
            Err((c, k)) => Err((arg_col + c - 1, k)),
        });
    }
    Some(Ok((arg.split_whitespace().next().unwrap_or(arg).to_string(), arg_col)))
}

struct Expander<'a> {
    loader: &'a mut dyn SourceLoader,
    include_dirs: &'a [PathBuf],
    out: Sources,
    diags: Vec<Diagnostic>,
}

impl Expander<'_> {
    /// Expand `text` (file `name`); `chain` holds the including files and the line of each
    /// include, outermost first.
    fn expand(&mut self, name: &str, text: &str, chain: &mut Vec<(String, usize)>) {
        let file = self.out.files.len();
        self.out.files.push(name.to_string());
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, raw) in text.split('\n').enumerate() {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let line = i + 1;
            match include_operand(raw) {
                None => self.out.lines.push(SrcLine { file, line, text: raw.to_string() }),
                Some(Err((col, kind))) => self.diags.push(Diagnostic { file: name.into(), line, col, kind }),
                Some(Ok((inc, col))) => {
                    // Keep the include line itself (blank) so line numbering of this file holds.
                    self.out.lines.push(SrcLine { file, line, text: String::new() });
                    self.include(name, line, col, &inc, chain);
                }
            }
        }
    }

    fn include(&mut self, from: &str, line: usize, col: usize, inc: &str, chain: &mut Vec<(String, usize)>) {
        let dir = Path::new(from).parent().map(Path::to_path_buf).unwrap_or_default();
        let mut candidates = vec![normalize(&dir.join(inc))];
        for d in self.include_dirs {
            candidates.push(normalize(&d.join(inc)));
        }
        let mut here = chain.clone();
        here.push((from.to_string(), line));
        let chain_text = |extra: Option<&str>| {
            let mut parts: Vec<String> = here.iter().map(|(f, l)| format!("{f}:{l}")).collect();
            if let Some(e) = extra {
                parts.push(e.to_string());
            }
            parts.join(" -> ")
        };
        for cand in &candidates {
            let shown = cand.display().to_string();
            if here.iter().any(|(f, _)| normalize(Path::new(f)) == *cand) {
                let kind = AsmErrorKind::IncludeCycle { chain: chain_text(Some(&shown)) };
                self.diags.push(Diagnostic { file: from.into(), line, col, kind });
                return;
            }
            match self.loader.load(cand) {
                Ok(text) => {
                    chain.push((from.to_string(), line));
                    self.expand(&shown, &text, chain);
                    chain.pop();
                    return;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    let kind = AsmErrorKind::IncludeIo { name: shown, error: e.to_string(), chain: chain_text(None) };
                    self.diags.push(Diagnostic { file: from.into(), line, col, kind });
                    return;
                }
            }
        }
        let looked = candidates.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(", ");
        let kind = AsmErrorKind::IncludeNotFound { name: inc.to_string(), looked, chain: chain_text(None) };
        self.diags.push(Diagnostic { file: from.into(), line, col, kind });
    }
}

/// Expand the includes of the module `name` whose text is `text`.
pub(crate) fn expand(
    name: &str,
    text: &str,
    loader: &mut dyn SourceLoader,
    include_dirs: &[PathBuf],
) -> (Sources, Vec<Diagnostic>) {
    let mut e = Expander { loader, include_dirs, out: Sources::default(), diags: Vec::new() };
    e.expand(name, text, &mut Vec::new());
    (e.out, e.diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Mem(BTreeMap<String, String>);
    impl SourceLoader for Mem {
        fn load(&mut self, path: &Path) -> std::io::Result<String> {
            self.0
                .get(&path.display().to_string())
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "absent"))
        }
    }
    fn mem(files: &[(&str, &str)]) -> Mem {
        Mem(files.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
    }

    #[test]
    fn relative_then_include_dirs() {
        let mut l = mem(&[("src/lib/a.inc", "A1\n.include \"../b.inc\""), ("src/b.inc", "B1"), ("sys/c.inc", "C1")]);
        let (s, d) = expand(
            "src/main.s",
            "M1\n.include \"lib/a.inc\"\n.INCLUDE c.inc ; bare\nM4",
            &mut l,
            &[PathBuf::from("sys")],
        );
        assert!(d.is_empty(), "{d:?}");
        let got: Vec<_> = s.lines.iter().map(|l| (s.files[l.file].as_str(), l.line, l.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("src/main.s", 1, "M1"),
                ("src/main.s", 2, ""),
                ("src/lib/a.inc", 1, "A1"),
                ("src/lib/a.inc", 2, ""),
                ("src/b.inc", 1, "B1"),
                ("src/main.s", 3, ""),
                ("sys/c.inc", 1, "C1"),
                ("src/main.s", 4, "M4"),
            ]
        );
    }

    #[test]
    fn cycles_and_missing_name_the_chain() {
        let mut l = mem(&[("a.s", ".include \"b.s\""), ("b.s", "\n.include \"a.s\"")]);
        let (_, d) = expand("a.s", ".include \"b.s\"", &mut l, &[]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].to_string(), "b.s:2:10: include cycle: a.s:1 -> b.s:2 -> a.s");
        let (_, d) = expand("m.s", "  .include \"nope.s\"", &mut l, &[PathBuf::from("inc")]);
        assert_eq!(
            d[0].to_string(),
            "m.s:1:12: cannot include `nope.s`: not found (looked at nope.s, inc/nope.s; include chain: m.s:1)"
        );
        let (_, d) = expand("m.s", ".include", &mut l, &[]);
        assert_eq!((d[0].line, d[0].col), (1, 1));
    }
}
