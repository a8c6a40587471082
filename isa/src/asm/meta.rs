//! The v2 metadata directives `.value`, `.cmd` and `.mailbox` (one JSON object, or a
//! non-empty array of objects, on the rest of the line) and their encoding into HXE
//! metadata entries of type 1 (values), 2 (commands) and 3 (mailboxes).
//!
//! The accepted keys, their aliases and the binary layouts are those of the HSX prototype's
//! tools (docs/asm.md lists them): a value entry is 20 bytes `{u8 group, u8 value, u8
//! flags, u8 auth, u16 init (binary16), u16 name, u16 unit, u16 epsilon, u16 min, u16 max,
//! u16 persist_key, u16 group_name}`, a command entry 16 bytes `{u8 group, u8 cmd, u8
//! flags, u8 auth, u32 handler, u16 name, u16 help, u32 (reserved << 16 | group_name)}`
//! (big-endian), each table sorted by (group, id) and followed by its NUL-terminated,
//! de-duplicated strings (offsets count from the start of the payload, 0 = none); the
//! mailbox payload is the compact JSON `{"mailboxes":[…],"version":1}` with sorted keys.

use super::AsmErrorKind;
use crate::meta::{CmdDecl, ValueDecl};
use serde_json::{Map, Value};

/// Which directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetaKind {
    Value,
    Cmd,
    Mailbox,
}

impl MetaKind {
    pub(crate) fn from_directive(name: &str) -> Option<MetaKind> {
        match name.to_ascii_lowercase().as_str() {
            ".value" => Some(MetaKind::Value),
            ".cmd" => Some(MetaKind::Cmd),
            ".mailbox" => Some(MetaKind::Mailbox),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            MetaKind::Value => ".value",
            MetaKind::Cmd => ".cmd",
            MetaKind::Mailbox => ".mailbox",
        }
    }
}

/// A command handler: a number or a `.text` symbol resolved at link time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Handler {
    Offset(u32),
    Symbol(String),
}

/// One entry of a metadata directive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MetaEntry {
    /// A `.value` entry, validated: exactly what the image's reader gives back.
    Value(ValueDecl),
    /// A `.cmd` entry, validated; `decl.handler` is 0 until the linker resolves `handler`.
    Cmd { decl: CmdDecl, handler: Handler },
    /// The object as written, `target` trimmed (taken from `name` when absent).
    Mailbox { target: String, object: Map<String, Value> },
}

type R<T> = Result<T, String>;

/// Python's `str()` of a JSON scalar (the prototype stores names with `str(x)`).
fn py_str(v: &Value, what: &str) -> R<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(if *b { "True" } else { "False" }.into()),
        Value::Number(n) => Ok(match n.as_i64().map(|i| i.to_string()).or_else(|| n.as_u64().map(|u| u.to_string())) {
            Some(s) => s,
            None => py_float_repr(n.as_f64().unwrap_or(0.0)),
        }),
        _ => Err(format!("{what} must be a string, found {v}")),
    }
}

/// `int(x, 0)` of Python for a string: optional sign, `0x`/`0o`/`0b` prefixes, `_`
/// separators; a decimal with a leading zero is refused.
fn py_int_literal(s: &str) -> Option<i128> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = t.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h.to_string(), 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (o.to_string(), 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (b.to_string(), 2)
    } else {
        if lower.len() > 1 && lower.starts_with('0') && lower.chars().any(|c| c != '0' && c != '_') {
            return None;
        }
        (lower.clone(), 10)
    };
    let digits = digits.strip_prefix('_').unwrap_or(&digits);
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let v = i128::from_str_radix(&digits.replace('_', ""), radix).ok()?;
    Some(if neg { -v } else { v })
}

/// The prototype's integer coercion: bool, number (truncated) or integer literal string.
fn coerce_uint(what: &str, v: &Value, bits: u32) -> R<u64> {
    let n: i128 = match v {
        Value::Bool(b) => *b as i128,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i as i128,
            (_, Some(u)) => u as i128,
            _ => n.as_f64().unwrap_or(0.0).trunc() as i128,
        },
        Value::String(s) if !s.is_empty() => {
            py_int_literal(s).ok_or_else(|| format!("{what} expects an integer literal, got '{s}'"))?
        }
        _ => return Err(format!("{what} expects an integer, got {v}")),
    };
    let max = (1u128 << bits) - 1;
    if n < 0 || n as u128 > max {
        return Err(format!("{what} must be within 0..{max}"));
    }
    Ok(n as u64)
}

fn coerce_float(what: &str, v: &Value) -> R<f64> {
    match v {
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0)),
        Value::String(s) if !s.is_empty() => {
            s.trim().replace('_', "").parse::<f64>().map_err(|_| format!("{what} expects a number, got '{s}'"))
        }
        _ => Err(format!("{what} expects a number, got {v}")),
    }
}

/// Flags: a number, or names joined by `|` (case-insensitive).
fn flag_spec(what: &str, v: &Value, aliases: &[(&str, u64)]) -> R<i128> {
    match v {
        Value::Bool(b) => Ok(*b as i128),
        Value::Number(n) => {
            Ok(n.as_i64().map(|i| i as i128).unwrap_or_else(|| n.as_f64().unwrap_or(0.0).trunc() as i128))
        }
        Value::String(s) => {
            let mut mask = 0i128;
            for tok in s.split('|').map(|t| t.trim().to_ascii_uppercase()).filter(|t| !t.is_empty()) {
                let bit = aliases
                    .iter()
                    .find(|(n, _)| *n == tok)
                    .ok_or_else(|| {
                        let known = aliases.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
                        format!("{what} uses unknown flag '{tok}' (known: {known})")
                    })?
                    .1;
                mask |= bit as i128;
            }
            Ok(mask)
        }
        _ => Err(format!("{what} expects an integer or flag names, got {v}")),
    }
}

fn auth_spec(what: &str, v: &Value) -> R<i128> {
    const AUTH: [(&str, i128); 4] = [("PUBLIC", 0), ("USER", 1), ("ADMIN", 2), ("FACTORY", 3)];
    match v {
        Value::String(s) => {
            let t = s.trim().to_ascii_uppercase();
            if t.is_empty() {
                return Ok(0);
            }
            AUTH.iter()
                .find(|(n, _)| *n == t)
                .map(|a| a.1)
                .ok_or_else(|| format!("{what} uses unknown token '{s}' (known: PUBLIC, USER, ADMIN, FACTORY)"))
        }
        _ => flag_spec(what, v, &[]),
    }
}

fn u8_of(what: &str, v: i128) -> R<u8> {
    u8::try_from(v).map_err(|_| format!("{what} must be within 0..255"))
}

/// Remove and return the first present, non-null key (the prototype's alias lookup).
fn pop(m: &mut Map<String, Value>, keys: &[&str]) -> Option<Value> {
    for k in keys {
        if let Some(v) = m.remove(*k) {
            if !v.is_null() {
                return Some(v);
            }
            return None;
        }
    }
    None
}

/// binary16 bits of `x`, rounding to nearest even; overflow gives ±infinity (as the
/// prototype does when Python refuses to pack it).
pub(crate) fn f64_to_f16(x: f64) -> u16 {
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    let a = x.abs();
    if a.is_nan() {
        return sign | 0x7E00;
    }
    if a.is_infinite() || a >= 65520.0 {
        return sign | 0x7C00;
    }
    // Scale into an integer count of the smallest step at this exponent, round half even.
    let (step_exp, biased) = if a < 2f64.powi(-14) {
        (-24, 0u16)
    } else {
        let e = a.log2().floor() as i32;
        // log2 can be off by one near powers of two.
        let e = if 2f64.powi(e) > a {
            e - 1
        } else if 2f64.powi(e + 1) <= a {
            e + 1
        } else {
            e
        };
        (e - 10, (e + 15) as u16)
    };
    let scaled = a / 2f64.powi(step_exp);
    let mut m = scaled.floor();
    let frac = scaled - m;
    if frac > 0.5 || (frac == 0.5 && (m as u64) % 2 == 1) {
        m += 1.0;
    }
    let m = m as u32;
    if biased == 0 {
        // Subnormal (may round up into the smallest normal: the bits carry over).
        return sign | m as u16;
    }
    // m in 1024..=2048; 2048 carries into the exponent.
    let bits = ((biased as u32) << 10) + (m - 1024);
    sign | bits as u16
}

/// Python's `repr(float)`.
pub(crate) fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let e = format!("{:e}", x.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let decpt = exp + 1;
    let n = digits.len() as i32;
    let body = if x == 0.0 {
        "0.0".to_string()
    } else if decpt <= -4 || decpt > 16 {
        let rest = &digits[1..];
        let m = if rest.is_empty() { digits[..1].to_string() } else { format!("{}.{}", &digits[..1], rest) };
        let ex = decpt - 1;
        format!("{m}e{}{:02}", if ex < 0 { '-' } else { '+' }, ex.abs())
    } else if decpt <= 0 {
        format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
    } else if decpt >= n {
        format!("{}{}.0", digits, "0".repeat((decpt - n) as usize))
    } else {
        format!("{}.{}", &digits[..decpt as usize], &digits[decpt as usize..])
    };
    format!("{sign}{body}")
}

/// Python's `json.dumps(v, separators=(",", ":"), sort_keys=True)`.
pub(crate) fn py_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => out.push_str(&i.to_string()),
            (_, Some(u)) => out.push_str(&u.to_string()),
            _ => out.push_str(&py_float_repr(n.as_f64().unwrap_or(0.0))),
        },
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7E && (c as u32) != 0x7F => {
                        let mut buf = [0u16; 2];
                        for u in c.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{:04x}", u));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                py_json(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                py_json(&Value::String(k.clone()), out);
                out.push(':');
                py_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

fn opt_str(m: &mut Map<String, Value>, keys: &[&str], what: &str) -> R<Option<String>> {
    pop(m, keys).map(|v| py_str(&v, what)).transpose()
}

fn opt_f16(m: &mut Map<String, Value>, raw: &[&str], float: &[&str], what: &str) -> R<u16> {
    if let Some(v) = pop(m, raw) {
        return Ok(coerce_uint(&format!("{what}_raw"), &v, 16)? as u16);
    }
    Ok(match pop(m, float) {
        Some(v) => f64_to_f16(coerce_float(what, &v)?),
        None => 0,
    })
}

fn value_entry(mut m: Map<String, Value>) -> R<ValueDecl> {
    let group = pop(&mut m, &["group", "group_id", "groupId"]).ok_or(".value entry requires group/group_id")?;
    let group = coerce_uint("value metadata group", &group, 8)? as u8;
    let id = pop(&mut m, &["id", "value", "value_id", "valueId"]).ok_or(".value entry requires id/value")?;
    let id = coerce_uint("value metadata id", &id, 8)? as u8;
    let group_name = opt_str(&mut m, &["group_name", "groupName"], "value metadata group_name")?;
    let name = opt_str(&mut m, &["name"], "value metadata name")?;
    let unit = opt_str(&mut m, &["unit", "unit_name", "unitName"], "value metadata unit")?;
    const FLAGS: [(&str, u64); 7] =
        [("RO", 1), ("READONLY", 1), ("READ_ONLY", 1), ("PERSIST", 2), ("STICKY", 4), ("PIN", 8), ("BOOL", 0x10)];
    let flags = match pop(&mut m, &["flags"]) {
        Some(v) => u8_of("value metadata flags", flag_spec("value metadata flags", &v, &FLAGS)?)?,
        None => 0,
    };
    let auth = match pop(&mut m, &["auth", "auth_level", "authLevel"]) {
        Some(v) => u8_of("value metadata auth", auth_spec("value metadata auth", &v)?)?,
        None => 0,
    };
    let persist_key = match pop(&mut m, &["persist_key", "persist"]) {
        Some(v) => coerce_uint("value metadata persist_key", &v, 16)? as u16,
        None => 0,
    };
    let init = opt_f16(&mut m, &["init_raw"], &["init", "init_value"], "value metadata init")?;
    let epsilon = opt_f16(&mut m, &["epsilon_raw"], &["epsilon"], "value metadata epsilon")?;
    let min = opt_f16(&mut m, &["min_raw"], &["min"], "value metadata min")?;
    let max = opt_f16(&mut m, &["max_raw"], &["max"], "value metadata max")?;
    if let Some(v) = pop(&mut m, &["rate_ms", "rateMs"]) {
        coerce_uint("value metadata rate_ms", &v, 32)?;
    }
    if let Some(v) = pop(&mut m, &["reserved"]) {
        coerce_uint("value metadata reserved", &v, 16)?;
    }
    Ok(ValueDecl { group, id, flags, auth, init, epsilon, min, max, persist_key, name, unit, group_name })
}

fn cmd_entry(mut m: Map<String, Value>) -> R<MetaEntry> {
    let group = pop(&mut m, &["group", "group_id", "groupId"]).ok_or(".cmd entry requires group/group_id")?;
    let group = coerce_uint("command metadata group", &group, 8)? as u8;
    let id = pop(&mut m, &["id", "cmd", "cmd_id", "command_id", "commandId"]).ok_or(".cmd entry requires id/cmd")?;
    let id = coerce_uint("command metadata id", &id, 8)? as u8;
    let group_name = opt_str(&mut m, &["group_name", "groupName"], "command metadata group_name")?;
    let name = opt_str(&mut m, &["name"], "command metadata name")?;
    let help = opt_str(&mut m, &["help"], "command metadata help")?;
    let flags = match pop(&mut m, &["flags"]) {
        Some(v) => {
            u8_of("command metadata flags", flag_spec("command metadata flags", &v, &[("PIN", 1), ("ASYNC", 2)])?)?
        }
        None => 0,
    };
    let auth = match pop(&mut m, &["auth", "auth_level", "authLevel"]) {
        Some(v) => u8_of("command metadata auth", auth_spec("command metadata auth", &v)?)?,
        None => 0,
    };
    let mut handler = Handler::Offset(match pop(&mut m, &["handler_offset"]) {
        Some(v) => coerce_uint("command metadata handler_offset", &v, 32)? as u32,
        None => 0,
    });
    if let Some(v) = pop(&mut m, &["handler"]) {
        handler = match &v {
            Value::Number(_) | Value::Bool(_) => {
                Handler::Offset(coerce_uint("command metadata handler", &v, 32)? as u32)
            }
            Value::String(s) if !s.trim().is_empty() => Handler::Symbol(s.trim().to_string()),
            Value::String(_) => return Err("command metadata handler cannot be empty".into()),
            _ => return Err(format!("command metadata handler must be a .text symbol or a number, found {v}")),
        };
    }
    let reserved = match pop(&mut m, &["reserved"]) {
        Some(v) => coerce_uint("command metadata reserved", &v, 32)? as u32,
        None => 0,
    };
    // Only the low 16 bits of `reserved` are stored (the entry's last word is
    // `reserved << 16 | group_name`).
    let reserved = (reserved & 0xFFFF) as u16;
    let decl = CmdDecl { group, id, flags, auth, handler: 0, reserved, name, help, group_name };
    Ok(MetaEntry::Cmd { decl, handler })
}

fn mailbox_entry(mut m: Map<String, Value>) -> R<MetaEntry> {
    let target = match m.get("target").filter(|v| !is_falsy(v)).or_else(|| m.get("name")) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err(".mailbox entry requires a non-empty 'target'".into()),
    };
    m.insert("target".into(), Value::String(target.clone()));
    Ok(MetaEntry::Mailbox { target, object: m })
}

fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Parse the JSON text of a metadata directive into its entries. Errors are `(column
/// offset within json, message)`.
pub(crate) fn parse(kind: MetaKind, json: &str) -> Result<Vec<MetaEntry>, (usize, AsmErrorKind)> {
    let name = kind.name();
    if json.trim().is_empty() {
        return Err((0, AsmErrorKind::Syntax(format!("{name} expects a JSON object (or an array of objects)"))));
    }
    let v: Value = serde_json::from_str(json).map_err(|e| {
        let col = json.lines().take(e.line().saturating_sub(1)).map(|l| l.chars().count() + 1).sum::<usize>()
            + e.column().saturating_sub(1);
        (col, AsmErrorKind::Metadata(format!("invalid {name} payload: {e}")))
    })?;
    let items = match v {
        Value::Array(a) if a.is_empty() => {
            return Err((0, AsmErrorKind::Metadata(format!("{name} JSON array must contain at least one entry"))))
        }
        Value::Array(a) => a,
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(m) = item else {
            return Err((0, AsmErrorKind::Metadata(format!("{name} entries must be JSON objects, found {item}"))));
        };
        let entry = match kind {
            MetaKind::Value => value_entry(m).map(MetaEntry::Value),
            MetaKind::Cmd => cmd_entry(m),
            MetaKind::Mailbox => mailbox_entry(m),
        };
        out.push(entry.map_err(|e| (0, AsmErrorKind::Metadata(e)))?);
    }
    Ok(out)
}

/// Payload string table: NUL-terminated, de-duplicated, offsets from the payload start.
struct Strings {
    base: usize,
    table: Vec<u8>,
    seen: Vec<(String, u16)>,
}

impl Strings {
    fn new(base: usize) -> Strings {
        Strings { base, table: Vec::new(), seen: Vec::new() }
    }
    fn intern(&mut self, s: &Option<String>) -> u16 {
        let Some(s) = s else { return 0 };
        if let Some((_, off)) = self.seen.iter().find(|(k, _)| k == s) {
            return *off;
        }
        let off = (self.base + self.table.len()) as u16;
        self.table.extend_from_slice(s.as_bytes());
        self.table.push(0);
        self.seen.push((s.clone(), off));
        off
    }
}

/// Type-1 payload of `values` (already sorted by (group, id), no duplicates).
pub(crate) fn encode_values(values: &[ValueDecl]) -> Vec<u8> {
    let mut strings = Strings::new(values.len() * 20);
    let mut out = Vec::with_capacity(values.len() * 20);
    for v in values {
        let name = strings.intern(&v.name);
        let unit = strings.intern(&v.unit);
        let group_name = strings.intern(&v.group_name);
        out.extend([v.group, v.id, v.flags, v.auth]);
        for h in [v.init, name, unit, v.epsilon, v.min, v.max, v.persist_key, group_name] {
            out.extend(h.to_be_bytes());
        }
    }
    out.extend(strings.table);
    out
}

/// Type-2 payload of `cmds` (sorted, duplicates refused, handlers resolved).
pub(crate) fn encode_cmds(cmds: &[CmdDecl]) -> Vec<u8> {
    let mut strings = Strings::new(cmds.len() * 16);
    let mut out = Vec::with_capacity(cmds.len() * 16);
    for c in cmds {
        let name = strings.intern(&c.name);
        let help = strings.intern(&c.help);
        let group_name = strings.intern(&c.group_name);
        out.extend([c.group, c.id, c.flags, c.auth]);
        out.extend(c.handler.to_be_bytes());
        out.extend(name.to_be_bytes());
        out.extend(help.to_be_bytes());
        out.extend(((u32::from(c.reserved) << 16) | group_name as u32).to_be_bytes());
    }
    out.extend(strings.table);
    out
}

/// Type-3 payload: `{"mailboxes":[…],"version":1}`.
pub(crate) fn encode_mailboxes(objects: &[Map<String, Value>]) -> Vec<u8> {
    let mut root = Map::new();
    root.insert("version".into(), Value::from(1));
    root.insert("mailboxes".into(), Value::Array(objects.iter().cloned().map(Value::Object).collect()));
    let mut s = String::new();
    py_json(&Value::Object(root), &mut s);
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_rounding() {
        for (x, bits) in [
            (0.0, 0x0000),
            (-0.0, 0x8000),
            (1.0, 0x3C00),
            (0.5, 0x3800),
            (65504.0, 0x7BFF),
            (65519.0, 0x7BFF),
            (65520.0, 0x7C00),
            (1e9, 0x7C00),
            (-1e9, 0xFC00),
            (5.960464477539063e-08, 0x0001),
            (2.98e-08, 0x0000),
            (3.0e-08, 0x0001),
            (0.1, 0x2E66),
            (1.0009765625, 0x3C01),
            (1.00048828125, 0x3C00), // a tie rounds to even
            (1.00146484375, 0x3C02), // a tie rounds to even (up)
            (6.097555160522461e-05, 0x03FF),
        ] {
            assert_eq!(f64_to_f16(x), bits, "{x}");
        }
    }

    #[test]
    fn python_float_repr() {
        for (x, s) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e-7, "1.5e-07"),
            (100.0, "100.0"),
            (0.0, "0.0"),
        ] {
            assert_eq!(py_float_repr(x), s);
        }
    }

    #[test]
    fn json_like_python() {
        let v: Value = serde_json::from_str(r#"{"b":[1,2.0,"é\n"],"a":true,"c":null}"#).unwrap();
        let mut s = String::new();
        py_json(&v, &mut s);
        assert_eq!(s, r#"{"a":true,"b":[1,2.0,"\u00e9\n"],"c":null}"#);
    }

    #[test]
    fn value_aliases_and_errors() {
        let e = parse(MetaKind::Value, r#"{"group_id":"0x10","valueId":3,"flags":"ro|pin","auth":"admin","init":1.5}"#)
            .unwrap();
        let MetaEntry::Value(v) = &e[0] else { panic!() };
        assert_eq!((v.group, v.id, v.flags, v.auth, v.init), (16, 3, 9, 2, 0x3E00));
        let err = |j| parse(MetaKind::Value, j).unwrap_err().1.to_string();
        assert_eq!(err(r#"{"value":1}"#), ".value entry requires group/group_id");
        assert_eq!(err(r#"{"group":256,"value":1}"#), "value metadata group must be within 0..255");
        assert!(err(r#"{"group":1,"value":1,"flags":"FAST"}"#).contains("unknown flag 'FAST'"));
        assert!(err(r#"{"group":1,"#).starts_with("invalid .value payload"));
        assert!(err("[]").contains("at least one entry"));
    }
}
