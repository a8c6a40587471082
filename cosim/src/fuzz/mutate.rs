//! The deterministic mutators: byte-level (bit flips, interesting values, splices) and
//! text-level (numbers replaced, interesting texts inserted, lines deleted, duplicated,
//! swapped or spliced), and the HXE re-seal that lets a mutation reach past the CRC.

use super::Rng;

/// Texts the text mutator inserts or puts in place of a number: signs, limits, the
/// characters the parsers split on, non-ASCII.
const INTERESTING: &[&str] = &[
    "0",
    "1",
    "-1",
    "-5",
    "2",
    "16",
    "0x",
    "0x0",
    "0xFFFF",
    "0x10000",
    "65535",
    "65536",
    "0xFFFFFFFF",
    "4294967296",
    "0x7FFFFFFF",
    "2147483648",
    "0xFFFFFFFFFFFFFFFF",
    "18446744073709551616",
    "99999999999999999999999",
    "1e400",
    "-0",
    "é",
    "١",
    "\u{0}",
    "\u{FFFD}",
    "@",
    ";",
    "-p",
    ",",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "\\",
    ":",
    "null",
    "true",
    " ",
    "\t",
    "R16",
    "R0",
    ".word",
    ".data",
    ".entry",
    ".align 0x10000",
    "LDI32",
];

/// Big-endian 32-bit values the byte mutator writes over four bytes (lengths, offsets,
/// counts at and around their limits).
const INTERESTING_U32: &[u32] = &[
    0,
    1,
    2,
    3,
    4,
    0x10,
    0x20,
    0x60,
    0xFFF,
    0x1000,
    0x4000,
    0xFFFC,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
];

/// 1 to 4 byte-level mutations of `input` (`donor` is another seed to splice from).
pub fn mutate_bytes(rng: &mut Rng, input: &[u8], donor: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let n = b.len();
        match rng.below(8) {
            0 if n > 0 => {
                let i = rng.below(n);
                b[i] ^= 1 << rng.below(8);
            }
            1 if n > 0 => {
                let i = rng.below(n);
                b[i] = rng.next_u64() as u8;
            }
            2 => {
                let i = rng.below(n + 1);
                let v = [0u8, 0xFF, 0x7F, 0x80, b'0', b'\n'][rng.below(6)];
                b.insert(i, v);
            }
            3 if n > 0 => {
                let i = rng.below(n);
                let len = 1 + rng.below((n - i).min(64));
                b.drain(i..i + len);
            }
            4 if n > 0 => {
                let i = rng.below(n);
                let len = 1 + rng.below((n - i).min(64));
                let chunk = b[i..i + len].to_vec();
                let at = rng.below(n + 1);
                b.splice(at..at, chunk);
            }
            5 if !donor.is_empty() => {
                let i = rng.below(donor.len());
                let len = 1 + rng.below((donor.len() - i).min(64));
                let at = rng.below(n + 1);
                let end = (at + len).min(n);
                b.splice(at..end, donor[i..i + len].iter().copied());
            }
            6 if n >= 4 => {
                let i = rng.below(n - 3) & !3;
                let v = INTERESTING_U32[rng.below(INTERESTING_U32.len())];
                b[i..i + 4].copy_from_slice(&v.to_be_bytes());
            }
            7 if n > 0 => b.truncate(rng.below(n)),
            _ => {}
        }
    }
    b
}

/// Byte offsets of the starts of the number-like tokens of `s` (a digit, or `-` before
/// one, not inside a word).
pub(crate) fn number_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut spans = vec![];
    let mut i = 0;
    while i < b.len() {
        let starts = (b[i].is_ascii_digit() || (b[i] == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'));
        if starts {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric()) {
                j += 1;
            }
            spans.push((i, j));
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

/// The char boundary at or before `i`.
fn boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// 1 to 4 text mutations of `input`: numbers replaced by `INTERESTING` ones, interesting
/// texts inserted, lines deleted, duplicated, swapped or spliced from `donor`; sometimes a
/// byte-level mutation on top (read back as UTF-8, invalid bytes replaced).
pub fn mutate_text(rng: &mut Rng, input: &str, donor: &str) -> String {
    let mut s = input.to_string();
    for _ in 0..1 + rng.below(4) {
        match rng.below(7) {
            0 | 1 => {
                let spans = number_spans(&s);
                if !spans.is_empty() {
                    let (a, b) = spans[rng.below(spans.len())];
                    s.replace_range(a..b, INTERESTING[rng.below(20)]);
                }
            }
            2 => {
                let at = boundary(&s, rng.below(s.len() + 1));
                s.insert_str(at, INTERESTING[rng.below(INTERESTING.len())]);
            }
            3..=5 => {
                let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
                let n = lines.len();
                match rng.below(4) {
                    0 if n > 0 => {
                        lines.remove(rng.below(n));
                    }
                    1 if n > 0 => {
                        let l = lines[rng.below(n)].clone();
                        lines.insert(rng.below(n + 1), l);
                    }
                    2 if n > 1 => {
                        let (i, j) = (rng.below(n), rng.below(n));
                        lines.swap(i, j);
                    }
                    _ => {
                        let d: Vec<&str> = donor.lines().collect();
                        if !d.is_empty() {
                            lines.insert(rng.below(n + 1), d[rng.below(d.len())].to_string());
                        }
                    }
                }
                s = lines.join("\n");
                s.push('\n');
            }
            _ => {
                let b = mutate_bytes(rng, s.as_bytes(), donor.as_bytes());
                s = String::from_utf8_lossy(&b).into_owned();
            }
        }
    }
    s
}

/// Recompute the CRC of HXE bytes whose header is long enough (so a mutation reaches the
/// checks behind the CRC).
pub fn reseal_hxe(b: &mut [u8]) {
    const OFF_CRC: usize = 0x1C;
    if b.len() < 6 {
        return;
    }
    let hl = if u16::from_be_bytes([b[4], b[5]]) == 1 { isa::hxe::HEADER_V1_LEN } else { isa::hxe::HEADER_V2_LEN };
    if b.len() < hl {
        return;
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&b[..OFF_CRC]);
    h.update(&b[hl..]);
    let crc = h.finalize();
    b[OFF_CRC..OFF_CRC + 4].copy_from_slice(&crc.to_be_bytes());
}
