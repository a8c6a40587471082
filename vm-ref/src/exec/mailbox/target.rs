//! Mailbox targets (executive.md "Targets and descriptors"): the descriptor namespaces, a
//! descriptor's identity [`Key`] (namespace, name, owner) and [`parse_target`], which
//! turns a task's target string (`pid:3`, `svc:stdio.out`, `app:x@2`, `shared:bus`) into
//! one. Re-exported by `exec::mailbox`, whose pool looks descriptors up by key.

use isa::MAX_TASKS;

/// Longest target string, not counting its NUL.
pub const TARGET_MAX: usize = 32;

/// Descriptor namespaces (the discriminant is the namespace number of executive.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Namespace {
    Pid = 0,
    Svc = 1,
    App = 2,
    Shared = 3,
}

impl Namespace {
    pub const fn name(self) -> &'static str {
        match self {
            Namespace::Pid => "pid",
            Namespace::Svc => "svc",
            Namespace::App => "app",
            Namespace::Shared => "shared",
        }
    }
}

/// A descriptor's identity: namespace, name and owner. For `pid:N` the name is empty and
/// the owner is N; for `svc:` the owner is always set (private per task); for `app:` it is
/// set only when the target named one; for `shared:` it is never set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub ns: Namespace,
    pub name: Vec<u8>,
    pub owner: Option<u8>,
}

impl Key {
    pub fn svc(name: &str, owner: u8) -> Key {
        Key { ns: Namespace::Svc, name: name.as_bytes().to_vec(), owner: Some(owner) }
    }
    pub fn pid(pid: u8) -> Key {
        Key { ns: Namespace::Pid, name: Vec::new(), owner: Some(pid) }
    }
    /// May task `pid` RECV, PEEK, TAP or BIND this descriptor (executive.md
    /// "Ownership")? Only its owner may; an ownerless one (`app:name`, `shared:name`) is
    /// open to every task.
    pub fn owned_by(&self, pid: u8) -> bool {
        self.owner.is_none_or(|o| o == pid)
    }
    /// The canonical target string (`pid:3`, `svc:stdio.out@3`, `app:x`, `app:x@2`,
    /// `shared:y`).
    pub fn target(&self) -> String {
        let name = String::from_utf8_lossy(&self.name);
        match (self.ns, self.owner) {
            (Namespace::Pid, Some(p)) => format!("pid:{p}"),
            (Namespace::Pid, None) => "pid:".to_string(),
            (Namespace::Svc | Namespace::App, Some(p)) => {
                format!("{}:{name}@{p}", self.ns.name())
            }
            (Namespace::Svc | Namespace::App | Namespace::Shared, _) => {
                format!("{}:{name}", self.ns.name())
            }
        }
    }
}

/// A pid written in a target: decimal digits, 1..=n_tasks.
fn parse_pid(s: &[u8], n_tasks: usize) -> Option<u8> {
    if s.is_empty() || s.len() > 5 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = s.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
    (v >= 1 && v as usize <= n_tasks.min(MAX_TASKS)).then_some(v as u8)
}

/// `name[@suffix]`, split at the last `@`.
fn split_suffix(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().rposition(|&b| b == b'@') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// Parse a target string (without its NUL) for task `caller`. `None` for an empty target,
/// an empty name, or a malformed pid / `@P` (not decimal, 0, or beyond the task table).
pub fn parse_target(s: &[u8], caller: u8, n_tasks: usize) -> Option<Key> {
    if s.is_empty() || s.len() > TARGET_MAX {
        return None;
    }
    if let Some(rest) = s.strip_prefix(b"pid:") {
        let pid = if rest.is_empty() { caller } else { parse_pid(rest, n_tasks)? };
        return Some(Key::pid(pid));
    }
    if let Some(rest) = s.strip_prefix(b"shared:") {
        let (name, _) = split_suffix(rest);
        if name.is_empty() {
            return None;
        }
        return Some(Key { ns: Namespace::Shared, name: name.to_vec(), owner: None });
    }
    let (ns, rest) = if let Some(rest) = s.strip_prefix(b"app:") {
        (Namespace::App, rest)
    } else if let Some(rest) = s.strip_prefix(b"svc:") {
        (Namespace::Svc, rest)
    } else {
        (Namespace::Svc, s)
    };
    let (name, suffix) = split_suffix(rest);
    if name.is_empty() {
        return None;
    }
    let owner = match suffix {
        Some(p) => Some(parse_pid(p, n_tasks)?),
        None if ns == Namespace::Svc => Some(caller),
        None => None,
    };
    Some(Key { ns, name: name.to_vec(), owner })
}
