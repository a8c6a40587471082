//! JUnit XML for CI: one `<testsuite name="hsx-regress">`, one `<testcase>` per case.
//! No wall-clock times are written, so the same run gives the same file byte for byte;
//! the checked retires of a case are its `assertions`.

/// One case in the JUnit file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JunitCase {
    /// `directed` or `random`.
    pub classname: String,
    /// e.g. `seed-42` or `hello`.
    pub name: String,
    /// Checked retires.
    pub assertions: u64,
    /// `(message, body)` of a divergence (or a case that could not run).
    pub failure: Option<(String, String)>,
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

/// The whole file.
pub fn render(cases: &[JunitCase]) -> String {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!("<testsuites tests=\"{}\" failures=\"{failures}\">\n", cases.len()));
    s.push_str(&format!(
        "  <testsuite name=\"hsx-regress\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        cases.len()
    ));
    for c in cases {
        let head = format!(
            "    <testcase classname=\"{}\" name=\"{}\" assertions=\"{}\"",
            escape(&c.classname),
            escape(&c.name),
            c.assertions
        );
        match &c.failure {
            None => s.push_str(&format!("{head}/>\n")),
            Some((msg, body)) => {
                s.push_str(&format!("{head}>\n"));
                s.push_str(&format!(
                    "      <failure message=\"{}\" type=\"divergence\">{}</failure>\n",
                    escape(msg),
                    escape(body)
                ));
                s.push_str("    </testcase>\n");
            }
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

/// A small XML well-formedness check (elements nest, attributes are quoted and unique,
/// `&` only starts a known entity or character reference, no raw `<` in text or
/// attributes). Returns the element names in document order. Enough to validate what
/// [`render`] writes; not a general XML parser (no DTDs, CDATA or comments).
pub fn check_well_formed(x: &str) -> Result<Vec<String>, String> {
    let b = x.as_bytes();
    let mut i = 0;
    let mut stack: Vec<String> = vec![];
    let mut seen = vec![];
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
            if stack.is_empty() && !text.trim().is_empty() {
                return Err(format!("text outside the root element: `{}`", text.trim()));
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
            if open != name.trim() {
                return Err(format!("`</{}>` closes `<{open}>`", name.trim()));
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
        let mut attrs: Vec<&str> = vec![];
        while !rest.is_empty() {
            let eq = rest.find('=').ok_or_else(|| format!("attribute without value in <{name}>"))?;
            let an = rest[..eq].trim();
            if an.is_empty() || an.contains(char::is_whitespace) {
                return Err(format!("bad attribute name `{an}` in <{name}>"));
            }
            if attrs.contains(&an) {
                return Err(format!("duplicate attribute `{an}` in <{name}>"));
            }
            attrs.push(an);
            let v = rest[eq + 1..].trim_start();
            let q = v.chars().next().ok_or("missing attribute value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attribute `{an}` in <{name}>"));
            }
            let close = v[1..].find(q).ok_or("unterminated attribute value")?;
            check_refs(&v[1..1 + close])?;
            rest = v[close + 2..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
            if roots > 1 {
                return Err("more than one root element".into());
            }
        }
        seen.push(name.to_string());
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("`<{open}>` is never closed"));
    }
    if roots == 0 {
        return Err("no root element".into());
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases() -> Vec<JunitCase> {
        vec![
            JunitCase { classname: "directed".into(), name: "hello".into(), assertions: 12, failure: None },
            JunitCase {
                classname: "random".into(),
                name: "seed-42".into(),
                assertions: 7,
                failure: Some((
                    "traces/seed-42/report.txt: retire psw expected \"0x1\" <got> 0x3 & more".into(),
                    "line one\nR1 <- 'x' & <y>\u{1}".into(),
                )),
            },
        ]
    }

    #[test]
    fn output_is_well_formed_and_escaped() {
        let x = render(&cases());
        let names = check_well_formed(&x).unwrap_or_else(|e| panic!("{e}\n{x}"));
        assert_eq!(names, vec!["testsuites", "testsuite", "testcase", "testcase", "failure"]);
        assert!(x.contains("<testsuite name=\"hsx-regress\" tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("classname=\"random\" name=\"seed-42\""), "{x}");
        assert!(x.contains("expected &quot;0x1&quot; &lt;got&gt; 0x3 &amp; more"), "{x}");
        assert!(x.contains("R1 &lt;- &apos;x&apos; &amp; &lt;y&gt;\u{FFFD}"), "{x}");
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
    }
}
