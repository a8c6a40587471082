//! MVASM lexer: one source line into tokens with 1-based columns.

use super::AsmErrorKind;

/// A token kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Identifier: mnemonic, directive (leading `.`), register, label, `MOD`/`FN`.
    Ident(String),
    /// A number or character literal (always non-negative here; `-` is its own token).
    Num(i64),
    /// A string literal, escapes already applied.
    Str(Vec<u8>),
    Comma,
    Colon,
    LBrack,
    RBrack,
    Plus,
    Minus,
    Eq,
    /// `(` and `)`: only in the address operators `lo16(x)`, `hi16(x)`, `off16(x)`.
    LParen,
    RParen,
}

/// A token with its column (1-based, in characters) and source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub col: usize,
    pub text: String,
}

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '.' || c == '$'
}
fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$'
}

/// Parse a number literal's text: decimal, `0x` hex or `0b` binary, at most 32 bits.
fn parse_number(text: &str) -> Result<i64, AsmErrorKind> {
    let (digits, radix) = if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = text.strip_prefix("0b").or_else(|| text.strip_prefix("0B")) {
        (b, 2)
    } else {
        (text, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(AsmErrorKind::BadNumber(text.to_string()));
    }
    // All digits valid: the only possible failure is overflow.
    match u64::from_str_radix(digits, radix) {
        Ok(v) if v <= u32::MAX as u64 => Ok(v as i64),
        _ => Err(AsmErrorKind::NumberTooLarge(text.to_string())),
    }
}

/// Read one (possibly escaped) character of a string or char literal starting at `i`
/// (which is inside the literal). Returns the bytes it stands for and the next index.
fn read_char(chars: &[char], i: usize) -> Result<(Vec<u8>, usize), (usize, AsmErrorKind)> {
    let c = chars[i];
    if c != '\\' {
        let mut buf = [0u8; 4];
        return Ok((c.encode_utf8(&mut buf).as_bytes().to_vec(), i + 1));
    }
    let Some(&e) = chars.get(i + 1) else {
        return Err((i + 1, AsmErrorKind::BadEscape("\\".into())));
    };
    let b = match e {
        'n' => b'\n',
        'r' => b'\r',
        't' => b'\t',
        '\\' => b'\\',
        '0' => 0,
        '"' => b'"',
        '\'' => b'\'',
        'x' | 'X' => {
            let hex: String = chars.iter().skip(i + 2).take(2).collect();
            if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                return Err((i + 1, AsmErrorKind::BadEscape(format!("\\x{hex}"))));
            }
            let v = u8::from_str_radix(&hex, 16).map_err(|_| (i + 1, AsmErrorKind::BadEscape(format!("\\x{hex}"))))?;
            return Ok((vec![v], i + 4));
        }
        other => return Err((i + 1, AsmErrorKind::BadEscape(format!("\\{other}")))),
    };
    Ok((vec![b], i + 2))
}

/// Split one line (without its newline) into tokens, stopping at a `;` comment.
/// Errors carry the 1-based column of the offending character.
pub(crate) fn lex(line: &str) -> Result<Vec<Token>, (usize, AsmErrorKind)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let punct = match c {
            ';' => break,
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            ',' => Some(Tok::Comma),
            ':' => Some(Tok::Colon),
            '[' => Some(Tok::LBrack),
            ']' => Some(Tok::RBrack),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '=' => Some(Tok::Eq),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '{' | '}' => return Err((start + 1, AsmErrorKind::BraceBody)),
            _ => None,
        };
        if let Some(tok) = punct {
            out.push(Token { tok, col: start + 1, text: c.to_string() });
            i += 1;
            continue;
        }
        let tok = if ident_start(c) {
            while i < chars.len() && ident_char(chars[i]) {
                i += 1;
            }
            Tok::Ident(chars[start..i].iter().collect())
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            Tok::Num(parse_number(&text).map_err(|e| (start + 1, e))?)
        } else if c == '"' {
            i += 1;
            let mut bytes = Vec::new();
            loop {
                match chars.get(i) {
                    None => return Err((start + 1, AsmErrorKind::Unterminated("string"))),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        let (b, next) = read_char(&chars, i)?;
                        bytes.extend(b);
                        i = next;
                    }
                }
            }
            Tok::Str(bytes)
        } else if c == '\'' {
            i += 1;
            let mut bytes = Vec::new();
            loop {
                match chars.get(i) {
                    None => return Err((start + 1, AsmErrorKind::Unterminated("character literal"))),
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        let (b, next) = read_char(&chars, i)?;
                        bytes.extend(b);
                        i = next;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            match bytes.as_slice() {
                [b] => Tok::Num(*b as i64),
                _ => return Err((start + 1, AsmErrorKind::BadCharLiteral(text))),
            }
        } else {
            return Err((start + 1, AsmErrorKind::UnexpectedChar(c)));
        };
        out.push(Token { tok, col: start + 1, text: chars[start..i].iter().collect() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_and_columns() {
        let t = lex("  loop: LD R1, [R2 - 0x10] ; comment, [ignored'").unwrap();
        let kinds: Vec<_> = t.iter().map(|t| (t.col, t.tok.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (3, Tok::Ident("loop".into())),
                (7, Tok::Colon),
                (9, Tok::Ident("LD".into())),
                (12, Tok::Ident("R1".into())),
                (14, Tok::Comma),
                (16, Tok::LBrack),
                (17, Tok::Ident("R2".into())),
                (20, Tok::Minus),
                (22, Tok::Num(16)),
                (26, Tok::RBrack),
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            toks("0 42 0x2A 0XfF 4294967295"),
            vec![Tok::Num(0), Tok::Num(42), Tok::Num(42), Tok::Num(255), Tok::Num(0xFFFF_FFFF)]
        );
        assert_eq!(lex("LDI R1, 4294967296"), Err((9, AsmErrorKind::NumberTooLarge("4294967296".into()))));
        assert_eq!(lex("x 0x"), Err((3, AsmErrorKind::BadNumber("0x".into()))));
        assert_eq!(lex("12ab"), Err((1, AsmErrorKind::BadNumber("12ab".into()))));
        assert_eq!(lex("0x1_0"), Err((1, AsmErrorKind::BadNumber("0x1_0".into()))));
        assert_eq!(toks("0b101 0B1"), vec![Tok::Num(5), Tok::Num(1)]);
        assert_eq!(lex("0b102"), Err((1, AsmErrorKind::BadNumber("0b102".into()))));
    }

    #[test]
    fn char_literals_and_escapes() {
        assert_eq!(
            toks(r#"'a' '\n' '\r' '\t' '\\' '\0' '\x7f' '\'' '\"' ';'"#),
            vec![
                Tok::Num(97),
                Tok::Num(10),
                Tok::Num(13),
                Tok::Num(9),
                Tok::Num(92),
                Tok::Num(0),
                Tok::Num(127),
                Tok::Num(39),
                Tok::Num(34),
                Tok::Num(59)
            ]
        );
        assert!(matches!(lex("''"), Err((1, AsmErrorKind::BadCharLiteral(_)))));
        assert!(matches!(lex("'ab'"), Err((1, AsmErrorKind::BadCharLiteral(_)))));
        assert!(matches!(lex("'é'"), Err((1, AsmErrorKind::BadCharLiteral(_)))));
        assert!(matches!(lex("'a"), Err((1, AsmErrorKind::Unterminated(_)))));
        assert!(matches!(lex(r"'\q'"), Err((2, AsmErrorKind::BadEscape(_)))));
        assert!(matches!(lex(r"'\x4'"), Err((2, AsmErrorKind::BadEscape(_)))));
    }

    #[test]
    fn strings() {
        assert_eq!(toks(r#""hi\n\x00;é""#), vec![Tok::Str(vec![b'h', b'i', 10, 0, b';', 0xC3, 0xA9])]);
        assert!(matches!(lex(r#"  "abc"#), Err((3, AsmErrorKind::Unterminated("string")))));
        assert!(matches!(lex(r#""abc\"#), Err((5, AsmErrorKind::BadEscape(_)))));
    }

    #[test]
    fn unexpected_characters() {
        assert_eq!(lex("ADD R1 # 2"), Err((8, AsmErrorKind::UnexpectedChar('#'))));
        assert_eq!(lex("é"), Err((1, AsmErrorKind::UnexpectedChar('é'))));
        assert_eq!(lex(".foo {\"a\":1}"), Err((6, AsmErrorKind::BraceBody)));
    }
}
