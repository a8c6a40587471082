//! A small SystemVerilog tokenizer: enough to find statements, expressions, operators and
//! literals in `rtl/` (comments and directives are skipped, spans are byte offsets).

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ident,
    /// A number: `12`, `4'd3`, `'0`, `32'hFFFF_0000`.
    Number,
    /// An operator or punctuation.
    Punct,
    Str,
    /// A compiler directive (`` `ifdef `` …).
    Directive,
}

/// One token of the source: `text` is `src[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

const PUNCTS: &[&str] = &[
    "<<<=", ">>>=", "<<<", ">>>", "===", "!==", "<<=", ">>=", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "::",
    "+:", "-:", "++", "--", "+=", "-=", "&=", "|=", "^=", "->", "~&", "~|", "~^", "^~", "**",
];

/// Tokenize `src`. Never fails: an unknown byte becomes a one-character punctuation token.
pub fn lex(src: &str) -> Vec<Tok<'_>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if src[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if src[i..].starts_with("/*") {
            i = src[i + 2..].find("*/").map(|p| i + 2 + p + 2).unwrap_or(b.len());
            continue;
        }
        let start = i;
        let kind;
        if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            kind = Kind::Str;
        } else if c == b'`' {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            kind = Kind::Directive;
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            kind = Kind::Ident;
        } else if c.is_ascii_digit() || (c == b'\'' && i + 1 < b.len() && is_base_or_fill(b[i + 1])) {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
                i += 1;
            }
            // A based literal (`4'd3`, `'hFF`, `'0`), unless it is a cast (`17'(x)`).
            if i < b.len() && b[i] == b'\'' && i + 1 < b.len() && is_base_or_fill(b[i + 1]) {
                i += 1;
                if b[i] == b's' || b[i] == b'S' {
                    i += 1;
                }
                if i < b.len() && matches!(b[i], b'0' | b'1' | b'x' | b'X' | b'z' | b'Z') && start + 1 == i {
                    i += 1; // '0 '1 'x 'z
                } else {
                    i += 1; // base letter
                    while i < b.len()
                        && (b[i].is_ascii_hexdigit() || matches!(b[i], b'_' | b'x' | b'X' | b'z' | b'Z' | b'?'))
                    {
                        i += 1;
                    }
                }
            }
            kind = Kind::Number;
        } else {
            let p = PUNCTS.iter().find(|p| src[i..].starts_with(**p));
            i += p.map(|p| p.len()).unwrap_or_else(|| src[i..].chars().next().map(char::len_utf8).unwrap_or(1));
            kind = Kind::Punct;
        }
        out.push(Tok { kind, text: &src[start..i], start, end: i });
    }
    out
}

fn is_base_or_fill(c: u8) -> bool {
    matches!(
        c,
        b'b' | b'B' | b'o' | b'O' | b'd' | b'D' | b'h' | b'H' | b's' | b'S' | b'0' | b'1' | b'x' | b'X' | b'z' | b'Z'
    )
}

/// 1-based line of byte offset `at`.
pub fn line_of(src: &str, at: usize) -> usize {
    src[..at.min(src.len())].bytes().filter(|&c| c == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        lex(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn literals_casts_and_operators() {
        assert_eq!(texts("a = 17'h10000 + 4'd3;"), ["a", "=", "17'h10000", "+", "4'd3", ";"]);
        assert_eq!(
            texts("x = '0; y <= Iw'(j) - 17'(len);"),
            ["x", "=", "'0", ";", "y", "<=", "Iw", "'", "(", "j", ")", "-", "17", "'", "(", "len", ")", ";"]
        );
        assert_eq!(texts("b = a >>> 2 // c\n /* d */ ;"), ["b", "=", "a", ">>>", "2", ";"]);
        assert_eq!(texts("hsx_pkg::X"), ["hsx_pkg", "::", "X"]);
        assert_eq!(lex("a\n\nb")[1].start, 3);
        assert_eq!(line_of("a\n\nb", 3), 3);
    }
}
