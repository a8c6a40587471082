//! JUnit XML for CI (docs/regress.md "JUnit"), valid against Jenkins' `junit-10.xsd`:
//! one `<testsuites>` root holding one `<testsuite>` (named after the shard), its
//! `<properties>`, and one `<testcase>` per case — passed, `<failure>` (a divergence),
//! `<error>` (a case that could not run) or `<skipped>` (not run: interrupted, or after
//! `--max-failures`).
//!
//! Large runs are streamed: [`JunitWriter`] appends each case to a temporary file beside
//! the destination as it is decided, and [`JunitWriter::finish`] writes the whole file
//! atomically (header with the final counts, the cases, the footer), so memory stays
//! bounded whatever `--seeds` is. Wall-clock `time` attributes are written only when asked
//! (`--junit-times`): without them the same run gives the same file byte for byte.
//!
//! [`check_junit10`] is a small conformance check of the schema's rules (elements,
//! nesting, allowed and required attributes, the time pattern) for the tests.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// What happened to one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// A divergence: `<failure type="divergence">`.
    Failure {
        message: String,
        body: String,
    },
    /// The case could not run (bad program, model error, panic): `<error type="error">`.
    Error {
        message: String,
        body: String,
    },
    /// Not run: `<skipped>`.
    Skipped {
        message: String,
    },
}

/// One `<testcase>`.
#[derive(Debug, Clone, PartialEq)]
pub struct JunitCase {
    /// `directed` or `random`.
    pub classname: String,
    /// e.g. `seed-42` or `hello`.
    pub name: String,
    /// Wall-clock seconds (`--junit-times` only).
    pub time: Option<f64>,
    pub outcome: Outcome,
    /// `<system-out>`: what the case did (outcome, checked retires, RTL cycles).
    pub system_out: Option<String>,
}

/// The `<testsuite>`'s own data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Suite {
    pub name: String,
    /// `<property name value>` in this order.
    pub properties: Vec<(String, String)>,
    /// Wall-clock seconds of the whole run (`--junit-times` only).
    pub time: Option<f64>,
}

/// Counts of the cases written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub tests: u64,
    pub failures: u64,
    pub errors: u64,
    pub skipped: u64,
}

impl Counts {
    fn add(&mut self, o: &Outcome) {
        self.tests += 1;
        match o {
            Outcome::Passed => {}
            Outcome::Failure { .. } => self.failures += 1,
            Outcome::Error { .. } => self.errors += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
        }
    }
}

/// Escape text for an XML attribute value or element content. Characters XML 1.0 does
/// not allow at all (most C0 controls) become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\n' | '\t' => o.push(c),
            '\r' => o.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// Seconds as the schema's `SUREFIRE_TIME` (digits, a point, three decimals).
pub fn format_time(secs: f64) -> String {
    format!("{:.3}", if secs.is_finite() && secs > 0.0 { secs } else { 0.0 })
}

/// One `<testcase>` element, indented for the file, with a final newline.
pub fn render_case(c: &JunitCase) -> String {
    let mut s = format!("    <testcase classname=\"{}\" name=\"{}\"", escape(&c.classname), escape(&c.name));
    if let Some(t) = c.time {
        s.push_str(&format!(" time=\"{}\"", format_time(t)));
    }
    let child = match &c.outcome {
        Outcome::Passed => None,
        Outcome::Failure { message, body } => Some(format!(
            "      <failure message=\"{}\" type=\"divergence\">{}</failure>\n",
            escape(message),
            escape(body)
        )),
        Outcome::Error { message, body } => {
            Some(format!("      <error message=\"{}\" type=\"error\">{}</error>\n", escape(message), escape(body)))
        }
        Outcome::Skipped { message } => Some(format!("      <skipped message=\"{}\"/>\n", escape(message))),
    };
    let out = c.system_out.as_ref().map(|o| format!("      <system-out>{}</system-out>\n", escape(o)));
    if child.is_none() && out.is_none() {
        s.push_str("/>\n");
        return s;
    }
    s.push_str(">\n");
    s.push_str(&child.unwrap_or_default());
    s.push_str(&out.unwrap_or_default());
    s.push_str("    </testcase>\n");
    s
}

fn render_head(suite: &Suite, n: &Counts) -> String {
    let time = suite.time.map(|t| format!(" time=\"{}\"", format_time(t))).unwrap_or_default();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"hsx-regress\" tests=\"{}\" failures=\"{}\" errors=\"{}\"{time}>\n",
        n.tests, n.failures, n.errors
    ));
    s.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"{time}>\n",
        escape(&suite.name),
        n.tests,
        n.failures,
        n.errors,
        n.skipped
    ));
    if !suite.properties.is_empty() {
        s.push_str("    <properties>\n");
        for (k, v) in &suite.properties {
            s.push_str(&format!("      <property name=\"{}\" value=\"{}\"/>\n", escape(k), escape(v)));
        }
        s.push_str("    </properties>\n");
    }
    s
}

const FOOT: &str = "  </testsuite>\n</testsuites>\n";

/// The whole file in memory (small runs and tests; a regression streams with
/// [`JunitWriter`], which writes the same bytes).
pub fn render(suite: &Suite, cases: &[JunitCase]) -> String {
    let mut n = Counts::default();
    let mut body = String::new();
    for c in cases {
        n.add(&c.outcome);
        body.push_str(&render_case(c));
    }
    let mut s = render_head(suite, &n);
    s.push_str(&body);
    s.push_str(FOOT);
    s
}

/// Streams cases to a temporary file beside the destination; [`finish`](Self::finish)
/// writes the destination atomically. Memory use does not grow with the number of cases.
/// A write error is kept (the first one) and reported by `finish`; dropped without
/// `finish`, the temporary file is removed and the destination is untouched.
pub struct JunitWriter {
    dest: PathBuf,
    body_path: PathBuf,
    body: Option<BufWriter<File>>,
    counts: Counts,
    error: Option<io::Error>,
}

impl JunitWriter {
    /// Creates the temporary case file (`.NAME.cases-PID`) beside `dest`.
    pub fn create(dest: &Path) -> io::Result<JunitWriter> {
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "junit".into());
        let body_path = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.join(format!(".{name}.cases-{}", std::process::id())),
            _ => PathBuf::from(format!(".{name}.cases-{}", std::process::id())),
        };
        let f = File::create(&body_path)?;
        Ok(JunitWriter {
            dest: dest.to_path_buf(),
            body_path,
            body: Some(BufWriter::with_capacity(1 << 16, f)),
            counts: Counts::default(),
            error: None,
        })
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Counts of the cases pushed so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Appends one case.
    pub fn push(&mut self, c: &JunitCase) {
        self.counts.add(&c.outcome);
        if self.error.is_some() {
            return;
        }
        if let Some(b) = self.body.as_mut() {
            if let Err(e) = b.write_all(render_case(c).as_bytes()) {
                self.error = Some(e);
            }
        }
    }

    /// Writes the destination: header (final counts, properties), the cases, the footer.
    pub fn finish(mut self, suite: &Suite) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let body = self.body.take().ok_or_else(|| io::Error::other("JUnit case file already closed"))?;
        let file = body.into_inner().map_err(|e| e.into_error())?;
        drop(file);
        let mut out = crate::fsx::AtomicFile::create(&self.dest)?;
        out.write_all(render_head(suite, &self.counts).as_bytes())?;
        let mut cases = File::open(&self.body_path)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = cases.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
        }
        out.write_all(FOOT.as_bytes())?;
        out.commit()
    }
}

impl Drop for JunitWriter {
    fn drop(&mut self) {
        self.body.take();
        let _ = std::fs::remove_file(&self.body_path);
    }
}

/// One parsed element: name, raw attributes, parent index, and whether non-blank text
/// sits directly inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub parent: Option<usize>,
    pub text: bool,
}

/// Parse `x` into its elements (document order), checking well-formedness: elements
/// nest, attributes are quoted and unique, `&` only starts a known entity or character
/// reference, no raw `<` in text or attributes. Enough for what this module writes; not
/// a general XML parser (no DTDs, CDATA or comments).
pub fn parse(x: &str) -> Result<Vec<Element>, String> {
    let b = x.as_bytes();
    let mut i = 0;
    let mut stack: Vec<usize> = vec![];
    let mut els: Vec<Element> = vec![];
    let mut roots = 0;
    let check_refs = |t: &str| -> Result<(), String> {
        let mut rest = t;
        while let Some(p) = rest.find('&') {
            let after = &rest[p + 1..];
            let end = after.find(';').ok_or_else(|| format!("unterminated reference in `{t}`"))?;
            let name = &after[..end];
            let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
                || (name.starts_with("#x") && name.len() > 2 && name[2..].chars().all(|c| c.is_ascii_hexdigit()))
                || (name.starts_with('#') && name.len() > 1 && name[1..].chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("bad reference `&{name};`"));
            }
            rest = &after[end + 1..];
        }
        if t.contains('<') {
            return Err(format!("raw `<` in `{t}`"));
        }
        Ok(())
    };
    if x.starts_with("<?xml") {
        i = x.find("?>").ok_or("unterminated XML declaration")? + 2;
    }
    while i < b.len() {
        if b[i] != b'<' {
            let j = x[i..].find('<').map(|p| i + p).unwrap_or(b.len());
            let text = &x[i..j];
            check_refs(text)?;
            match stack.last() {
                None if !text.trim().is_empty() => {
                    return Err(format!("text outside the root element: `{}`", text.trim()))
                }
                Some(&top) if !text.trim().is_empty() => els[top].text = true,
                _ => {}
            }
            i = j;
            continue;
        }
        // A tag: find its end, honouring quotes.
        let mut j = i + 1;
        let mut quote: Option<u8> = None;
        while j < b.len() {
            match (quote, b[j]) {
                (None, b'"') | (None, b'\'') => quote = Some(b[j]),
                (Some(q), c) if c == q => quote = None,
                (None, b'>') => break,
                (None, b'<') => return Err(format!("`<` inside a tag at byte {j}")),
                _ => {}
            }
            j += 1;
        }
        if j >= b.len() {
            return Err("unterminated tag".into());
        }
        let tag = &x[i + 1..j];
        i = j + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or_else(|| format!("`</{name}>` closes nothing"))?;
            if els[open].name != name.trim() {
                return Err(format!("`</{}>` closes `<{}>`", name.trim(), els[open].name));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = if self_closing { &tag[..tag.len() - 1] } else { tag };
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let name = &body[..name_end];
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ':' || c == '.')
        {
            return Err(format!("bad element name `{name}`"));
        }
        // Attributes: name="value" pairs.
        let mut rest = body[name_end..].trim_start();
        let mut attrs: Vec<(String, String)> = vec![];
        while !rest.is_empty() {
            let eq = rest.find('=').ok_or_else(|| format!("attribute without value in <{name}>"))?;
            let an = rest[..eq].trim();
            if an.is_empty() || an.contains(char::is_whitespace) {
                return Err(format!("bad attribute name `{an}` in <{name}>"));
            }
            if attrs.iter().any(|(n, _)| n == an) {
                return Err(format!("duplicate attribute `{an}` in <{name}>"));
            }
            let v = rest[eq + 1..].trim_start();
            let q = v.chars().next().ok_or("missing attribute value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attribute `{an}` in <{name}>"));
            }
            let close = v[1..].find(q).ok_or("unterminated attribute value")?;
            check_refs(&v[1..1 + close])?;
            attrs.push((an.to_string(), v[1..1 + close].to_string()));
            rest = v[close + 2..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
            if roots > 1 {
                return Err("more than one root element".into());
            }
        }
        els.push(Element { name: name.to_string(), attrs, parent: stack.last().copied(), text: false });
        if !self_closing {
            stack.push(els.len() - 1);
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("`<{}>` is never closed", els[open].name));
    }
    if roots == 0 {
        return Err("no root element".into());
    }
    Ok(els)
}

/// Well-formedness only ([`parse`]); the element names in document order.
pub fn check_well_formed(x: &str) -> Result<Vec<String>, String> {
    Ok(parse(x)?.into_iter().map(|e| e.name).collect())
}

/// `junit-10.xsd`'s `SUREFIRE_TIME`: `(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?`,
/// i.e. digits (optionally grouped by commas) and an optional fraction.
fn surefire_time(t: &str) -> bool {
    let (int, frac) = match t.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    int.chars().all(|c| c.is_ascii_digit() || c == ',')
        && !matches!(frac, Some(f) if !f.chars().all(|c| c.is_ascii_digit()))
}

/// The rules of Jenkins' `junit-10.xsd` that apply to a `testsuites` document:
/// which element may contain which, which attributes each may carry (and which it
/// must), element-only content where the schema says so, and the time pattern. Also
/// checks that each suite's `tests/failures/errors/skipped` match its test cases (not a
/// schema rule: what a CI server shows). Returns the counts of the first suite.
pub fn check_junit10(x: &str) -> Result<Counts, String> {
    let els = parse(x)?;
    // (element, allowed parents, allowed attributes, required attributes, text allowed)
    type Rule = (&'static str, &'static [&'static str], &'static [&'static str], &'static [&'static str], bool);
    const RULES: &[Rule] = &[
        ("testsuites", &[""], &["name", "time", "tests", "failures", "errors"], &[], false),
        (
            "testsuite",
            &["", "testsuites", "testsuite"],
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "group",
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
            ],
            &["name", "tests", "failures", "errors"],
            false,
        ),
        ("properties", &["testsuite"], &[], &[], false),
        ("property", &["properties"], &["name", "value"], &["name", "value"], false),
        ("testcase", &["testsuite"], &["name", "time", "classname", "group"], &["name"], false),
        ("failure", &["testcase"], &["type", "message"], &[], true),
        ("error", &["testcase"], &["type", "message"], &[], true),
        ("skipped", &["testcase"], &["type", "message"], &[], true),
        ("system-out", &["testsuite", "testcase"], &[], &[], true),
        ("system-err", &["testsuite", "testcase"], &[], &[], true),
    ];
    for (k, e) in els.iter().enumerate() {
        let Some(&(_, parents, allowed, required, text)) = RULES.iter().find(|r| r.0 == e.name) else {
            return Err(format!("element <{}> is not in junit-10.xsd", e.name));
        };
        let parent = e.parent.map(|p| els[p].name.as_str()).unwrap_or("");
        if !parents.contains(&parent) {
            return Err(format!("<{}> may not appear inside <{parent}>", e.name));
        }
        for (a, v) in &e.attrs {
            if !allowed.contains(&a.as_str()) {
                return Err(format!("<{}> may not carry attribute `{a}`", e.name));
            }
            if a == "time" && matches!(e.name.as_str(), "testsuite" | "testsuites") && !surefire_time(v) {
                return Err(format!("<{}> time=\"{v}\" does not match SUREFIRE_TIME", e.name));
            }
        }
        for r in required {
            if !e.attrs.iter().any(|(a, _)| a == r) {
                return Err(format!("<{}> lacks the required attribute `{r}`", e.name));
            }
        }
        if e.text && !text {
            return Err(format!("<{}> has element-only content but contains text", e.name));
        }
        if matches!(e.name.as_str(), "system-out" | "system-err") && els.iter().any(|c| c.parent == Some(k)) {
            return Err(format!("<{}> is a string: no child elements", e.name));
        }
    }
    // Counts, once every element is known to be valid.
    let mut first: Option<Counts> = None;
    for (k, e) in els.iter().enumerate() {
        if e.name == "testsuite" {
            let mut n = Counts::default();
            for (ci, c) in els.iter().enumerate().filter(|(_, c)| c.parent == Some(k) && c.name == "testcase") {
                let has = |what: &str| els.iter().any(|g| g.parent == Some(ci) && g.name == what);
                n.add(&if has("failure") {
                    Outcome::Failure { message: String::new(), body: String::new() }
                } else if has("error") {
                    Outcome::Error { message: String::new(), body: String::new() }
                } else if has("skipped") {
                    Outcome::Skipped { message: String::new() }
                } else {
                    Outcome::Passed
                });
                let _ = c;
            }
            let attr = |a: &str| e.attrs.iter().find(|(x, _)| x == a).map(|(_, v)| v.as_str());
            for (a, want) in
                [("tests", n.tests), ("failures", n.failures), ("errors", n.errors), ("skipped", n.skipped)]
            {
                if let Some(v) = attr(a) {
                    if v != want.to_string() {
                        return Err(format!("<testsuite> {a}=\"{v}\" but it holds {want} such test cases"));
                    }
                }
            }
            first.get_or_insert(n);
        }
    }
    first.ok_or_else(|| "no <testsuite>".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> Suite {
        Suite {
            name: "hsx-regress-shard-1-of-1".into(),
            properties: vec![("seed-start".into(), "0".into()), ("mutant".into(), "add-v (1)".into())],
            time: None,
        }
    }

    fn cases() -> Vec<JunitCase> {
        vec![
            JunitCase {
                classname: "directed".into(),
                name: "hello".into(),
                time: None,
                outcome: Outcome::Passed,
                system_out: Some("finished, 12 checked retires".into()),
            },
            JunitCase {
                classname: "random".into(),
                name: "seed-42".into(),
                time: None,
                outcome: Outcome::Failure {
                    message: "traces/seed-42/report.txt: retire psw expected \"0x1\" <got> 0x3 & more".into(),
                    body: "line one\nR1 <- 'x' & <y>\u{1}".into(),
                },
                system_out: None,
            },
            JunitCase {
                classname: "directed".into(),
                name: "broken".into(),
                time: None,
                outcome: Outcome::Error { message: "x.mvasm:3:1: bad".into(), body: "x.mvasm:3:1: bad".into() },
                system_out: None,
            },
            JunitCase {
                classname: "random".into(),
                name: "seed-43".into(),
                time: None,
                outcome: Outcome::Skipped { message: "not run: interrupted by SIGINT".into() },
                system_out: None,
            },
            JunitCase {
                classname: "random".into(),
                name: "seed-44".into(),
                time: None,
                outcome: Outcome::Passed,
                system_out: None,
            },
        ]
    }

    #[test]
    fn output_is_well_formed_schema_conformant_and_escaped() {
        let x = render(&suite(), &cases());
        let names = check_well_formed(&x).unwrap_or_else(|e| panic!("{e}\n{x}"));
        assert_eq!(
            names,
            vec![
                "testsuites",
                "testsuite",
                "properties",
                "property",
                "property",
                "testcase",
                "system-out",
                "testcase",
                "failure",
                "testcase",
                "error",
                "testcase",
                "skipped",
                "testcase"
            ]
        );
        let n = check_junit10(&x).unwrap_or_else(|e| panic!("{e}\n{x}"));
        assert_eq!(n, Counts { tests: 5, failures: 1, errors: 1, skipped: 1 });
        assert!(
            x.contains(
                "<testsuite name=\"hsx-regress-shard-1-of-1\" tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"1\">"
            ),
            "{x}"
        );
        assert!(x.contains("classname=\"random\" name=\"seed-42\""), "{x}");
        assert!(x.contains("expected &quot;0x1&quot; &lt;got&gt; 0x3 &amp; more"), "{x}");
        assert!(x.contains("R1 &lt;- &apos;x&apos; &amp; &lt;y&gt;\u{FFFD}"), "{x}");
        assert!(!x.contains("time=") && !x.contains("assertions"), "{x}");
    }

    #[test]
    fn times_are_written_only_when_given() {
        let mut cs = cases();
        cs[0].time = Some(0.25);
        let mut s = suite();
        s.time = Some(12.5);
        let x = render(&s, &cs);
        check_junit10(&x).unwrap_or_else(|e| panic!("{e}\n{x}"));
        assert!(x.contains("name=\"hello\" time=\"0.250\""), "{x}");
        assert!(x.contains("skipped=\"1\" time=\"12.500\""), "{x}");
    }

    #[test]
    fn streaming_writer_writes_the_same_bytes_atomically() {
        let dir = std::env::temp_dir().join(format!("hsx-junit-w-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("j.xml");
        let mut w = JunitWriter::create(&dest).unwrap();
        for c in &cases() {
            w.push(c);
        }
        assert!(!dest.exists(), "nothing at the destination before finish");
        assert_eq!(w.counts().tests, 5);
        w.finish(&suite()).unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), render(&suite(), &cases()));
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 1, "temporary files removed: {left:?}");
        // Dropped unfinished (an error path): the old file stays, no temporary is left.
        let mut w = JunitWriter::create(&dest).unwrap();
        w.push(&cases()[0]);
        drop(w);
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), render(&suite(), &cases()));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn schema_check_rejects_what_junit_10_forbids() {
        let good = render(&suite(), &cases());
        for (from, to, why) in [
            (
                "<testcase classname=\"random\" name=\"seed-44\"/>",
                "<testcase name=\"x\" assertions=\"3\"/>",
                "assertions",
            ),
            ("<testcase classname=\"random\" name=\"seed-44\"/>", "<testcase classname=\"random\"/>", "required"),
            (" errors=\"1\" skipped", " skipped", "required attribute `errors`"),
            ("skipped=\"1\">", "skipped=\"1\" time=\"1.5s\">", "SUREFIRE_TIME"),
            ("<property name=\"mutant\"", "<property nom=\"mutant\"", "attribute `nom`"),
            ("<skipped message", "<skip message", "not in junit-10.xsd"),
            (
                "tests=\"5\" failures=\"1\" errors=\"1\" skipped",
                "tests=\"6\" failures=\"1\" errors=\"1\" skipped",
                "holds 5",
            ),
            ("name=\"seed-44\"/>\n  </testsuite>", "name=\"seed-44\"/>\n  stray text</testsuite>", "element-only"),
        ] {
            assert!(good.contains(from), "{from}");
            let bad = good.replacen(from, to, 1);
            let e = check_junit10(&bad).expect_err(to);
            assert!(e.contains(why), "{to}: {e}");
        }
    }

    #[test]
    fn checker_rejects_broken_xml() {
        for bad in [
            "<a><b></a></b>",
            "<a x=\"1\" x=\"2\"/>",
            "<a x=1/>",
            "<a>1 < 2</a>",
            "<a>fish & chips</a>",
            "<a title=\"<\"/>",
            "<a>",
            "<a/><b/>",
            "text",
        ] {
            assert!(check_well_formed(bad).is_err(), "accepted {bad}");
        }
        assert!(check_well_formed("<a x='1'>&amp;&#38;&#x26;<b/></a>").is_ok());
    }

    #[test]
    fn escape_covers_the_specials() {
        assert_eq!(escape("<&\"'>"), "&lt;&amp;&quot;&apos;&gt;");
        assert_eq!(escape("plain"), "plain");
        assert_eq!(format_time(1.0 / 3.0), "0.333");
        assert!(surefire_time("12.345") && surefire_time("1,234.5") && !surefire_time("1e3"));
    }
}
