//! Reading the v2 metadata entries the assembler writes for `.value` (type 1), `.cmd`
//! (type 2) and `.mailbox` (type 3) — the layouts of docs/asm.md "Metadata directives".
//! [`ValueDecl`] and [`CmdDecl`] are also what the assembler builds (`asm/meta.rs`), so a
//! declaration has one type from source to image and back.
//! The executive creates the declared mailboxes when it spawns a task; values and
//! commands are only listed (the shell's `meta`).

use crate::hxe::Image;
use serde_json::Value;

/// A declared value (type-1 entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueDecl {
    pub group: u8,
    pub id: u8,
    pub flags: u8,
    pub auth: u8,
    /// binary16 bits.
    pub init: u16,
    pub epsilon: u16,
    pub min: u16,
    pub max: u16,
    pub persist_key: u16,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub group_name: Option<String>,
}

/// A declared command (type-2 entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdDecl {
    pub group: u8,
    pub id: u8,
    pub flags: u8,
    pub auth: u8,
    /// Code offset of the handler.
    pub handler: u32,
    /// The reserved upper half of the entry's last word (carried through unchanged).
    pub reserved: u16,
    pub name: Option<String>,
    pub help: Option<String>,
    pub group_name: Option<String>,
}

/// A declared mailbox (type-3 entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxDecl {
    /// The target string (`svc:log`, `app:telemetry`, …).
    pub target: String,
    /// Capacity in bytes; 0 = the executive's default.
    pub capacity: u32,
    /// BIND mode bits (low 16 bits of `mode_mask` / `mode` / `flags`).
    pub mode: u16,
    /// `owner_pid`: bind as this task instead of the spawned one.
    pub owner: Option<u8>,
}

/// A malformed metadata entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metadata type {kind} ({what}): {reason}")]
pub struct MetaError {
    pub kind: u32,
    pub what: &'static str,
    pub reason: String,
}

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}

/// The NUL-terminated string at `off` of a payload (0 = none).
fn string_at(kind: u32, what: &'static str, p: &[u8], off: u16) -> Result<Option<String>, MetaError> {
    if off == 0 {
        return Ok(None);
    }
    let off = off as usize;
    let end = p.get(off..).and_then(|s| s.iter().position(|&c| c == 0)).ok_or_else(|| MetaError {
        kind,
        what,
        reason: format!("string offset {off} is outside the payload or unterminated"),
    })?;
    Ok(Some(String::from_utf8_lossy(&p[off..off + end]).into_owned()))
}

/// One fixed-size entry and the whole payload it points into (for its strings).
type Entry<'a> = (&'a [u8], &'a [u8]);

fn entries<'a>(image: &'a Image, kind: u32, what: &'static str, size: usize) -> Result<Vec<Entry<'a>>, MetaError> {
    let mut out = Vec::new();
    for m in image.metadata.iter().filter(|m| m.kind == kind) {
        let n = m.count as usize;
        if n.checked_mul(size).is_none_or(|need| need > m.payload.len()) {
            let reason = format!("{n} entries of {size} bytes do not fit in a {}-byte payload", m.payload.len());
            return Err(MetaError { kind, what, reason });
        }
        for i in 0..n {
            out.push((&m.payload[i * size..(i + 1) * size], m.payload.as_slice()));
        }
    }
    Ok(out)
}

impl Image {
    /// The `.value` declarations, in table order.
    pub fn value_decls(&self) -> Result<Vec<ValueDecl>, MetaError> {
        const W: &str = "values";
        entries(self, 1, W, 20)?
            .into_iter()
            .map(|(e, p)| {
                Ok(ValueDecl {
                    group: e[0],
                    id: e[1],
                    flags: e[2],
                    auth: e[3],
                    init: be16(e, 4),
                    name: string_at(1, W, p, be16(e, 6))?,
                    unit: string_at(1, W, p, be16(e, 8))?,
                    epsilon: be16(e, 10),
                    min: be16(e, 12),
                    max: be16(e, 14),
                    persist_key: be16(e, 16),
                    group_name: string_at(1, W, p, be16(e, 18))?,
                })
            })
            .collect()
    }

    /// The `.cmd` declarations, in table order.
    pub fn cmd_decls(&self) -> Result<Vec<CmdDecl>, MetaError> {
        const W: &str = "commands";
        entries(self, 2, W, 16)?
            .into_iter()
            .map(|(e, p)| {
                Ok(CmdDecl {
                    group: e[0],
                    id: e[1],
                    flags: e[2],
                    auth: e[3],
                    handler: u32::from_be_bytes([e[4], e[5], e[6], e[7]]),
                    reserved: be16(e, 12),
                    name: string_at(2, W, p, be16(e, 8))?,
                    help: string_at(2, W, p, be16(e, 10))?,
                    group_name: string_at(2, W, p, be16(e, 14))?,
                })
            })
            .collect()
    }

    /// The `.mailbox` declarations (`{"version":1,"mailboxes":[…]}` or a bare array).
    pub fn mailbox_decls(&self) -> Result<Vec<MailboxDecl>, MetaError> {
        const W: &str = "mailboxes";
        let err = |reason: String| MetaError { kind: 3, what: W, reason };
        let mut out = Vec::new();
        for m in self.metadata.iter().filter(|m| m.kind == 3) {
            let text = std::str::from_utf8(&m.payload).map_err(|_| err("the JSON is not UTF-8".into()))?;
            let text = text.trim_end_matches('\0').trim();
            if text.is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(text).map_err(|e| err(format!("invalid JSON: {e}")))?;
            let list = match &v {
                Value::Object(o) => {
                    if !matches!(o.get("version"), None | Some(Value::Null))
                        && o.get("version") != Some(&Value::from(1))
                    {
                        return Err(err(format!("unsupported version {}", o["version"])));
                    }
                    match o.get("mailboxes").or_else(|| o.get("entries")) {
                        Some(Value::Array(a)) => a.clone(),
                        None | Some(Value::Null) => Vec::new(),
                        Some(x) => return Err(err(format!("`mailboxes` must be a list, found {x}"))),
                    }
                }
                Value::Array(a) => a.clone(),
                _ => return Err(err("the JSON must be an object or an array".into())),
            };
            for (i, e) in list.iter().enumerate() {
                let Value::Object(o) = e else { return Err(err(format!("entry {i} is not an object"))) };
                let target = match o.get("target").filter(|t| !matches!(t, Value::Null) && *t != "").or(o.get("name")) {
                    Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
                    _ => return Err(err(format!("entry {i} has no target"))),
                };
                let int = |keys: &[&str], field: &str| -> Result<Option<i64>, MetaError> {
                    let Some(v) = keys.iter().find_map(|k| o.get(*k).filter(|v| !v.is_null())) else {
                        return Ok(None);
                    };
                    match v {
                        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)).map(Some),
                        Value::String(s) if s.is_empty() => Some(None),
                        Value::String(s) => s.trim().parse::<i64>().ok().map(Some),
                        Value::Bool(b) => Some(Some(*b as i64)),
                        _ => None,
                    }
                    .ok_or_else(|| err(format!("entry {i} ({target}): {field} must be an integer, found {v}")))
                };
                let capacity = int(&["capacity", "queue_depth"], "capacity")?.unwrap_or(0);
                if !(0..=u16::MAX as i64).contains(&capacity) {
                    return Err(err(format!("entry {i} ({target}): capacity {capacity} is not in 0..65535")));
                }
                let mode = int(&["mode_mask", "mode", "flags"], "mode_mask")?.unwrap_or(0);
                let owner = match int(&["owner_pid"], "owner_pid")? {
                    None => None,
                    Some(p) if (1..=crate::MAX_TASKS as i64).contains(&p) => Some(p as u8),
                    Some(p) => return Err(err(format!("entry {i} ({target}): owner_pid {p} is not a task slot"))),
                };
                out.push(MailboxDecl {
                    target,
                    capacity: capacity as u32,
                    mode: if mode <= 0 { 0 } else { (mode & 0xFFFF) as u16 },
                    owner,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::asm::assemble;

    #[test]
    fn round_trip_through_the_assembler() {
        let src = r#"
.value {"group":2,"value":1,"name":"temp","unit":"C","init":20.5,"flags":"RO"}
.value [{"group":1,"value":9,"name":"temp","min":-1}]
.cmd {"group":1,"cmd":3,"name":"reset","help":"restart","handler":"on_reset","auth":"USER"}
.mailbox {"target":"app:telemetry","capacity":96,"mode_mask":3}
.mailbox [{"name":"svc:log"},{"target":"shared:x","owner_pid":2}]
main: RET
on_reset: RET
"#;
        let img = assemble(src, "m.mvasm").unwrap().image;
        let v = img.value_decls().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].group, v[0].id, v[0].min, v[0].name.as_deref()), (1, 9, 0xBC00, Some("temp")));
        assert_eq!((v[1].group, v[1].flags, v[1].init, v[1].unit.as_deref()), (2, 1, 0x4D20, Some("C")));
        let c = img.cmd_decls().unwrap();
        assert_eq!((c[0].handler, c[0].auth, c[0].help.as_deref()), (4, 1, Some("restart")));
        let m = img.mailbox_decls().unwrap();
        let targets: Vec<_> = m.iter().map(|d| (d.target.as_str(), d.capacity, d.mode, d.owner)).collect();
        assert_eq!(targets, vec![("app:telemetry", 96, 3, None), ("shared:x", 0, 0, Some(2)), ("svc:log", 0, 0, None)]);
    }

    /// The assembler and the reader share `CmdDecl`: what a `.cmd` says comes back whole,
    /// including the reserved half-word (only its low 16 bits are stored).
    #[test]
    fn a_command_round_trips_with_its_reserved_bits() {
        let src = r#"
.cmd {"group":4,"cmd":2,"name":"go","handler":8,"reserved":74565,"flags":"ASYNC"}
main: RET
"#;
        let c = assemble(src, "c.mvasm").unwrap().image.cmd_decls().unwrap();
        let want = super::CmdDecl {
            group: 4,
            id: 2,
            flags: 2,
            auth: 0,
            handler: 8,
            reserved: 0x2345,
            name: Some("go".into()),
            help: None,
            group_name: None,
        };
        assert_eq!(c, vec![want]);
    }
}
