//! The mailbox pool (executive.md "Mailboxes"): descriptors, per-task handles, queued
//! messages, fan-out cursors, taps and waiters. Pure bookkeeping — the SVC glue that reads
//! and writes task memory lives in `svc.rs`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use isa::MAX_TASKS;

/// Mailbox status codes (R0 of a mailbox SVC, and the info record's `status`).
pub mod status {
    pub const OK: u32 = 0;
    pub const WOULDBLOCK: u32 = 1;
    pub const INVALID_HANDLE: u32 = 2;
    pub const NO_DATA: u32 = 3;
    pub const MSG_TOO_LARGE: u32 = 4;
    pub const NO_DESCRIPTOR: u32 = 5;
    /// RECV, PEEK, TAP or BIND by a task that is not the descriptor's owner.
    pub const PERMISSION: u32 = 6;
    pub const TIMEOUT: u32 = 7;
    pub const INTERNAL_ERROR: u32 = 0xFF;
}

/// BIND mode bits.
pub mod mode {
    /// Every reader handle sees every message.
    pub const FANOUT: u16 = 0x08;
    /// Fan-out policy (the default): a full queue drops its oldest message.
    pub const FANOUT_DROP: u16 = 0x10;
    /// Fan-out policy: a full queue makes SEND return WOULDBLOCK (wins over FANOUT_DROP).
    pub const FANOUT_BLOCK: u16 = 0x20;
}

/// Flag added to the next message of a reader that lost messages to a drop.
pub const FLAG_OVERRUN: u16 = 0x08;
/// Capacity a message costs on top of its payload (its header).
pub const HEADER_BYTES: u32 = 8;
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

/// One queued message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub flags: u16,
    /// Sender pid (0 = the host).
    pub src: u8,
    pub channel: u16,
    pub bytes: Vec<u8>,
}

impl Message {
    pub fn len(&self) -> u32 {
        self.bytes.len() as u32
    }
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
    /// Capacity the message occupies: payload plus header.
    pub fn cost(&self) -> u32 {
        self.len() + HEADER_BYTES
    }
}

/// A task blocked in RECV on a descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiter {
    pub pid: u8,
    pub handle: u16,
    pub buf: u32,
    pub max: u32,
    pub info: u32,
}

#[derive(Debug, Clone, Default)]
struct TapQueue {
    msgs: VecDeque<Message>,
    used: u32,
    overrun: bool,
}

#[derive(Debug, Clone)]
struct Handle {
    desc: u32,
    /// Fan-out: sequence number of the next message this handle reads.
    cursor: u64,
    sent: bool,
    received: bool,
    /// Fan-out: lost messages to a drop since its last message.
    overrun: bool,
    tap: Option<TapQueue>,
}

impl Handle {
    /// A fan-out reader: not a tap, and not a handle that has only ever sent.
    fn is_reader(&self) -> bool {
        self.tap.is_none() && (!self.sent || self.received)
    }
}

#[derive(Debug, Clone)]
struct Descriptor {
    key: Key,
    capacity: u32,
    mode: u16,
    queue: VecDeque<Message>,
    used: u32,
    /// Sequence number the next queued message gets; the queue holds
    /// `next_seq - queue.len() .. next_seq`.
    next_seq: u64,
    waiters: VecDeque<Waiter>,
}

impl Descriptor {
    fn fanout(&self) -> bool {
        self.mode & mode::FANOUT != 0
    }
    fn head_seq(&self) -> u64 {
        self.next_seq - self.queue.len() as u64
    }
}

/// A descriptor as tools see it ([`super::Executive::mailboxes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    pub id: u32,
    pub target: String,
    pub namespace: Namespace,
    pub owner: Option<u8>,
    pub capacity: u32,
    pub mode: u16,
    /// Capacity used: the sum of `len + 8` over the queued messages.
    pub used: u32,
    /// Queued messages, oldest first.
    pub messages: Vec<Message>,
    /// Pids waiting in RECV, in the order they started waiting.
    pub waiters: Vec<u8>,
    /// Open handles `(pid, handle)`, ascending.
    pub handles: Vec<(u8, u16)>,
}

/// What a message taken by a handle looks like to it.
pub type Taken = (Message, u16);

/// Size limits of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_descriptors: usize,
    pub max_handles: usize,
    pub default_capacity: u32,
}

#[derive(Debug, Clone)]
pub struct Pool {
    limits: Limits,
    descs: BTreeMap<u32, Descriptor>,
    by_key: BTreeMap<Key, u32>,
    handles: BTreeMap<(u8, u16), Handle>,
    next_id: u32,
    /// Next handle number per pid (index = pid).
    next_handle: [u32; MAX_TASKS + 1],
}

/// Drop the oldest message of descriptor `id`; fan-out readers that had not read it are
/// marked OVERRUN.
fn drop_head(d: &mut Descriptor, id: u32, handles: &mut BTreeMap<(u8, u16), Handle>) {
    let seq = d.head_seq();
    let Some(m) = d.queue.pop_front() else { return };
    d.used -= m.cost();
    if d.fanout() {
        for h in handles.values_mut().filter(|h| h.desc == id && h.is_reader()) {
            if h.cursor <= seq {
                h.cursor = seq + 1;
                h.overrun = true;
            }
        }
    }
}

/// Fan-out: free the leading messages every reader has taken (all of them if there is no
/// reader).
fn collect(d: &mut Descriptor, id: u32, handles: &BTreeMap<(u8, u16), Handle>) {
    if !d.fanout() {
        return;
    }
    let min = handles.values().filter(|h| h.desc == id && h.is_reader()).map(|h| h.cursor).min().unwrap_or(u64::MAX);
    while !d.queue.is_empty() && d.head_seq() < min {
        if let Some(m) = d.queue.pop_front() {
            d.used -= m.cost();
        }
    }
}

impl Pool {
    pub fn new(limits: Limits) -> Pool {
        Pool {
            limits,
            descs: BTreeMap::new(),
            by_key: BTreeMap::new(),
            handles: BTreeMap::new(),
            next_id: 1,
            next_handle: [1; MAX_TASKS + 1],
        }
    }

    pub fn live_descriptors(&self) -> usize {
        self.descs.len()
    }

    /// Open handles of `pid`.
    pub fn open_handles(&self, pid: u8) -> usize {
        self.handles.range((pid, 0)..=(pid, u16::MAX)).count()
    }

    pub fn lookup(&self, key: &Key) -> Option<u32> {
        self.by_key.get(key).copied()
    }

    fn create(&mut self, key: Key, capacity: u32, mode: u16) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.by_key.insert(key.clone(), id);
        self.descs.insert(
            id,
            Descriptor { key, capacity, mode, queue: VecDeque::new(), used: 0, next_seq: 0, waiters: VecDeque::new() },
        );
        id
    }

    fn get_or_create(&mut self, key: Key) -> Result<u32, u32> {
        if let Some(id) = self.lookup(&key) {
            return Ok(id);
        }
        if self.descs.len() >= self.limits.max_descriptors {
            return Err(status::NO_DESCRIPTOR);
        }
        Ok(self.create(key, self.limits.default_capacity, 0))
    }

    fn new_handle(&mut self, pid: u8, desc: u32) -> u16 {
        let h = self.next_handle[pid as usize] as u16;
        self.next_handle[pid as usize] += 1;
        let cursor = self.descs.get(&desc).map_or(0, |d| d.next_seq);
        self.handles.insert((pid, h), Handle { desc, cursor, sent: false, received: false, overrun: false, tap: None });
        h
    }

    fn task_keys(pid: u8) -> [Key; 4] {
        [Key::svc("stdio.in", pid), Key::svc("stdio.out", pid), Key::svc("stdio.err", pid), Key::pid(pid)]
    }

    /// How many descriptors [`start_task`](Self::start_task) would create.
    pub fn start_needs(&self, pid: u8) -> usize {
        Self::task_keys(pid).iter().filter(|k| self.lookup(k).is_none()).count()
    }

    /// A new task `pid`: descriptors `svc:stdio.in/out/err@pid` and `pid:pid` (created
    /// unless they exist), handles 1, 2, 3 on the stdio ones. `Err(need)` when the pool
    /// cannot hold the `need` missing descriptors (nothing changed).
    pub fn start_task(&mut self, pid: u8) -> Result<(), usize> {
        let keys = Self::task_keys(pid);
        let need = self.start_needs(pid);
        if self.descs.len() + need > self.limits.max_descriptors {
            return Err(need);
        }
        self.next_handle[pid as usize] = 1;
        let ids: Vec<u32> = keys.into_iter().map(|k| self.get_or_create(k).unwrap_or_default()).collect();
        for &id in &ids[..3] {
            self.new_handle(pid, id);
        }
        Ok(())
    }

    /// OPEN: a new handle of `pid` on the descriptor `key` (created if needed).
    pub fn open(&mut self, pid: u8, key: Key) -> Result<u16, u32> {
        if self.open_handles(pid) >= self.limits.max_handles || self.next_handle[pid as usize] > u32::from(u16::MAX) {
            return Err(status::NO_DESCRIPTOR);
        }
        let id = self.get_or_create(key)?;
        Ok(self.new_handle(pid, id))
    }

    /// BIND by task `pid`: create the descriptor with `capacity` and `mode`, or set both on
    /// an existing one, dropping its oldest messages that no longer fit. PERMISSION (nothing
    /// created or changed) when the key has an owner other than `pid`.
    pub fn bind(&mut self, pid: u8, key: Key, capacity: u32, mode: u16) -> Result<u32, u32> {
        if !key.owned_by(pid) {
            return Err(status::PERMISSION);
        }
        let Some(id) = self.lookup(&key) else {
            if self.descs.len() >= self.limits.max_descriptors {
                return Err(status::NO_DESCRIPTOR);
            }
            return Ok(self.create(key, capacity, mode));
        };
        let Some(d) = self.descs.get_mut(&id) else { return Err(status::INTERNAL_ERROR) };
        let was_fanout = d.fanout();
        d.capacity = capacity;
        d.mode = mode;
        if d.fanout() && !was_fanout {
            // Everything queued becomes visible to every handle.
            let head = d.head_seq();
            for h in self.handles.values_mut().filter(|h| h.desc == id) {
                h.cursor = head;
                h.overrun = false;
            }
        }
        while d.used > d.capacity {
            drop_head(d, id, &mut self.handles);
        }
        collect(d, id, &self.handles);
        Ok(id)
    }

    fn handle(&self, pid: u8, h: u16) -> Result<&Handle, u32> {
        self.handles.get(&(pid, h)).ok_or(status::INVALID_HANDLE)
    }

    /// The descriptor a handle of `pid` is open on.
    pub fn desc_of(&self, pid: u8, h: u16) -> Result<u32, u32> {
        self.handle(pid, h).map(|h| h.desc)
    }

    /// The descriptor handle `h` of `pid` may read from (RECV, PEEK, TAP): INVALID_HANDLE
    /// when there is no such handle, then PERMISSION when the descriptor has an owner
    /// other than `pid` (executive.md "Ownership": handle first, then ownership).
    pub fn reader_desc(&self, pid: u8, h: u16) -> Result<u32, u32> {
        let id = self.handle(pid, h)?.desc;
        let d = self.descs.get(&id).ok_or(status::INVALID_HANDLE)?;
        if !d.key.owned_by(pid) {
            return Err(status::PERMISSION);
        }
        Ok(id)
    }

    /// SEND (`msg` non-empty): queue it, copy it to every tap. Returns the descriptor id
    /// (for delivery to waiters).
    /// Would a SEND of `len` payload bytes on handle `h` of `pid` be refused? Returns the
    /// descriptor id when it would be queued.
    pub fn send_check(&self, pid: u8, h: u16, len: u32) -> Result<u32, u32> {
        let id = self.handle(pid, h)?.desc;
        self.room(id, len)?;
        Ok(id)
    }

    /// MSG_TOO_LARGE / WOULDBLOCK for `len` payload bytes into descriptor `id`.
    fn room(&self, id: u32, len: u32) -> Result<(), u32> {
        let d = self.descs.get(&id).ok_or(status::INVALID_HANDLE)?;
        let cost = len + HEADER_BYTES;
        if cost > d.capacity {
            return Err(status::MSG_TOO_LARGE);
        }
        if d.used + cost > d.capacity && (!d.fanout() || d.mode & mode::FANOUT_BLOCK != 0) {
            return Err(status::WOULDBLOCK);
        }
        Ok(())
    }

    /// SEND (`msg` non-empty) on handle `h` of `pid`: queue it, copy it to every tap.
    /// Returns the descriptor id (for delivery to waiters).
    pub fn send(&mut self, pid: u8, h: u16, msg: Message) -> Result<u32, u32> {
        let id = self.send_check(pid, h, msg.len())?;
        self.enqueue(id, msg);
        if let Some(hd) = self.handles.get_mut(&(pid, h)) {
            hd.sent = true;
        }
        if let Some(d) = self.descs.get_mut(&id) {
            collect(d, id, &self.handles);
        }
        Ok(id)
    }

    /// Grow descriptor `id`'s capacity (never shrink it) so `extra` more bytes of
    /// messages fit after what is queued. INVALID_HANDLE when no descriptor has that id.
    pub fn reserve(&mut self, id: u32, extra: u32) -> Result<u32, u32> {
        let d = self.descs.get_mut(&id).ok_or(status::INVALID_HANDLE)?;
        d.capacity = d.capacity.max(d.used.saturating_add(extra));
        Ok(d.capacity)
    }

    /// A message from the host (`src` 0) into descriptor `id`, with SEND's rules.
    pub fn host_send(&mut self, id: u32, msg: Message) -> Result<(), u32> {
        self.room(id, msg.len())?;
        self.enqueue(id, msg);
        if let Some(d) = self.descs.get_mut(&id) {
            collect(d, id, &self.handles);
        }
        Ok(())
    }

    /// Queue `msg` (room checked), dropping the oldest under FANOUT_DROP, and copy it to
    /// every tap of the descriptor.
    fn enqueue(&mut self, id: u32, msg: Message) {
        let Some(d) = self.descs.get_mut(&id) else { return };
        let cost = msg.cost();
        while d.used + cost > d.capacity && !d.queue.is_empty() {
            drop_head(d, id, &mut self.handles);
        }
        let capacity = d.capacity;
        for t in self.handles.values_mut().filter(|x| x.desc == id).filter_map(|x| x.tap.as_mut()) {
            while t.used + cost > capacity {
                let Some(old) = t.msgs.pop_front() else { break };
                t.used -= old.cost();
                t.overrun = true;
            }
            t.used += cost;
            t.msgs.push_back(msg.clone());
        }
        d.used += cost;
        d.next_seq += 1;
        d.queue.push_back(msg);
    }

    /// Take the next message visible to handle `h` of `pid` (RECV); marks the handle a
    /// receiver. `Ok(None)` when there is none; INVALID_HANDLE / PERMISSION as
    /// [`reader_desc`](Self::reader_desc).
    pub fn take(&mut self, pid: u8, h: u16) -> Result<Option<Taken>, u32> {
        self.reader_desc(pid, h)?;
        let hd = self.handles.get_mut(&(pid, h)).ok_or(status::INVALID_HANDLE)?;
        let id = hd.desc;
        let Some(d) = self.descs.get_mut(&id) else { return Err(status::INVALID_HANDLE) };
        if let Some(t) = hd.tap.as_mut() {
            hd.received = true;
            let Some(m) = t.msgs.pop_front() else { return Ok(None) };
            t.used -= m.cost();
            let flags = m.flags | if t.overrun { FLAG_OVERRUN } else { 0 };
            t.overrun = false;
            return Ok(Some((m, flags)));
        }
        if !d.fanout() {
            hd.received = true;
            let Some(m) = d.queue.pop_front() else { return Ok(None) };
            d.used -= m.cost();
            let flags = m.flags;
            return Ok(Some((m, flags)));
        }
        hd.received = true;
        let head = d.head_seq();
        if hd.cursor < head {
            hd.cursor = head;
        }
        if hd.cursor >= d.next_seq {
            return Ok(None);
        }
        let m = d.queue[(hd.cursor - head) as usize].clone();
        hd.cursor += 1;
        let flags = m.flags | if hd.overrun { FLAG_OVERRUN } else { 0 };
        hd.overrun = false;
        collect(d, id, &self.handles);
        Ok(Some((m, flags)))
    }

    /// PEEK: (messages visible to the handle, capacity bytes used, length of its next).
    pub fn peek(&self, pid: u8, h: u16) -> Result<(u32, u32, u32), u32> {
        self.reader_desc(pid, h)?;
        let hd = self.handle(pid, h)?;
        let d = self.descs.get(&hd.desc).ok_or(status::INVALID_HANDLE)?;
        if let Some(t) = &hd.tap {
            return Ok((t.msgs.len() as u32, t.used, t.msgs.front().map_or(0, Message::len)));
        }
        if !d.fanout() {
            return Ok((d.queue.len() as u32, d.used, d.queue.front().map_or(0, Message::len)));
        }
        let head = d.head_seq();
        let first = if hd.is_reader() { hd.cursor.max(head) } else { d.next_seq };
        let n = d.next_seq - first;
        let next = if n > 0 { d.queue[(first - head) as usize].len() } else { 0 };
        Ok((n as u32, d.used, next))
    }

    /// TAP: turn handle `h` into a tap (its own copy of every later message) or back.
    pub fn tap(&mut self, pid: u8, h: u16, enable: bool) -> Result<(), u32> {
        self.reader_desc(pid, h)?;
        let hd = self.handles.get_mut(&(pid, h)).ok_or(status::INVALID_HANDLE)?;
        let id = hd.desc;
        match (enable, hd.tap.is_some()) {
            (true, false) => hd.tap = Some(TapQueue::default()),
            (false, true) => {
                hd.tap = None;
                // Back to an ordinary handle: a fan-out reader from now on.
                hd.cursor = self.descs.get(&id).map_or(0, |d| d.next_seq);
                hd.overrun = false;
            }
            (true, true) | (false, false) => {}
        }
        if let Some(d) = self.descs.get_mut(&id) {
            collect(d, id, &self.handles);
        }
        Ok(())
    }

    /// CLOSE: the handle is gone; the descriptor stays.
    pub fn close(&mut self, pid: u8, h: u16) -> Result<(), u32> {
        let hd = self.handles.remove(&(pid, h)).ok_or(status::INVALID_HANDLE)?;
        if let Some(d) = self.descs.get_mut(&hd.desc) {
            collect(d, hd.desc, &self.handles);
        }
        Ok(())
    }

    pub fn add_waiter(&mut self, desc: u32, w: Waiter) {
        if let Some(d) = self.descs.get_mut(&desc) {
            d.waiters.push_back(w);
        }
    }

    /// Remove the waiter of `pid` on `desc` (a timeout).
    pub fn remove_waiter(&mut self, desc: u32, pid: u8) -> Option<Waiter> {
        let d = self.descs.get_mut(&desc)?;
        let i = d.waiters.iter().position(|w| w.pid == pid)?;
        d.waiters.remove(i)
    }

    /// After a SEND: hand queued messages to the waiters of `desc`, in the order they
    /// started waiting, one message each, while there are messages for them.
    pub fn deliveries(&mut self, desc: u32) -> Vec<(Waiter, Taken)> {
        let Some(d) = self.descs.get_mut(&desc) else { return Vec::new() };
        let waiters = std::mem::take(&mut d.waiters);
        let mut keep = VecDeque::new();
        let mut out = Vec::new();
        for w in waiters {
            match self.take(w.pid, w.handle) {
                Ok(Some(t)) => out.push((w, t)),
                Ok(None) => keep.push_back(w),
                // The handle is gone (cannot happen while its task waits): drop the wait.
                Err(_) => {}
            }
        }
        if let Some(d) = self.descs.get_mut(&desc) {
            d.waiters = keep;
        }
        out
    }

    /// KILL of `pid`: drop its waits and handles, destroy the descriptors it owns
    /// (`svc:*@pid`, `pid:pid`). Returns the waiters of *other* tasks on the destroyed
    /// descriptors (the executive wakes them with INVALID_HANDLE).
    pub fn release_task(&mut self, pid: u8) -> Vec<Waiter> {
        for d in self.descs.values_mut() {
            d.waiters.retain(|w| w.pid != pid);
        }
        let mine: Vec<(u8, u16)> = self.handles.range((pid, 0)..=(pid, u16::MAX)).map(|(k, _)| *k).collect();
        let mut touched = BTreeSet::new();
        for k in mine {
            if let Some(h) = self.handles.remove(&k) {
                touched.insert(h.desc);
            }
        }
        for id in touched {
            if let Some(d) = self.descs.get_mut(&id) {
                collect(d, id, &self.handles);
            }
        }
        let owned: Vec<u32> = self
            .descs
            .iter()
            .filter(|(_, d)| matches!(d.key.ns, Namespace::Svc | Namespace::Pid) && d.key.owner == Some(pid))
            .map(|(id, _)| *id)
            .collect();
        let mut orphans = Vec::new();
        for id in owned {
            if let Some(d) = self.descs.remove(&id) {
                self.by_key.remove(&d.key);
                orphans.extend(d.waiters);
            }
            self.handles.retain(|_, h| h.desc != id);
        }
        self.next_handle[pid as usize] = 1;
        orphans
    }

    pub fn info(&self) -> Vec<MailboxInfo> {
        self.descs
            .iter()
            .map(|(&id, d)| MailboxInfo {
                id,
                target: d.key.target(),
                namespace: d.key.ns,
                owner: d.key.owner,
                capacity: d.capacity,
                mode: d.mode,
                used: d.used,
                messages: d.queue.iter().cloned().collect(),
                waiters: d.waiters.iter().map(|w| w.pid).collect(),
                handles: self.handles.iter().filter(|(_, h)| h.desc == id).map(|(k, _)| *k).collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Pool {
        Pool::new(Limits { max_descriptors: 256, max_handles: 64, default_capacity: 64 })
    }
    fn msg(b: &[u8]) -> Message {
        Message { flags: 0, src: 1, channel: 0, bytes: b.to_vec() }
    }
    fn key(s: &str, caller: u8) -> Key {
        parse_target(s.as_bytes(), caller, 8).expect("valid target")
    }

    #[test]
    fn targets_parse_into_namespaces() {
        assert_eq!(key("pid:3", 1), Key::pid(3));
        assert_eq!(key("pid:", 5), Key::pid(5));
        assert_eq!(key("svc:log", 2), Key::svc("log", 2));
        assert_eq!(key("log", 2), Key::svc("log", 2));
        assert_eq!(key("log@4", 2), Key::svc("log", 4));
        assert_eq!(key("svc:a@b@4", 2), Key::svc("a@b", 4));
        let app = key("app:x", 2);
        assert_eq!((app.ns, app.owner, app.name.as_slice()), (Namespace::App, None, &b"x"[..]));
        assert_eq!(key("app:x@3", 2).owner, Some(3));
        let sh = key("shared:bus@whatever", 2);
        assert_eq!((sh.ns, sh.owner, sh.name.as_slice()), (Namespace::Shared, None, &b"bus"[..]));
        assert_eq!(key("shared:bus", 7), sh);
        for bad in [
            "", "svc:", "app:", "shared:", "@3", "x@", "x@0", "x@9", "x@a", "pid:0", "pid:9", "pid:x", "svc:x@-1",
            "app:@2",
        ] {
            assert_eq!(parse_target(bad.as_bytes(), 1, 8), None, "{bad:?}");
        }
        assert!(parse_target(&[b'a'; 32], 1, 8).is_some());
        assert!(parse_target(&[b'a'; 33], 1, 8).is_none());
        assert_eq!(parse_target(b"x@16", 1, 16).and_then(|k| k.owner), Some(16));
        assert_eq!(parse_target(b"x@17", 1, 16), None);
        assert_eq!(Key::svc("stdio.out", 3).target(), "svc:stdio.out@3");
        assert_eq!(key("app:x", 1).target(), "app:x");
        assert_eq!(key("shared:y@2", 1).target(), "shared:y");
        assert_eq!(Key::pid(4).target(), "pid:4");
    }

    #[test]
    fn fifo_capacity_and_wouldblock() {
        let mut p = pool();
        let a = p.open(1, key("q", 1)).unwrap();
        let b = p.open(2, key("q@1", 2)).unwrap();
        p.send(2, b, msg(&[1; 20])).unwrap(); // 28
        p.send(2, b, msg(&[2; 20])).unwrap(); // 56
        assert_eq!(p.send(2, b, msg(&[3; 1])), Err(status::WOULDBLOCK)); // 65 > 64
        assert_eq!(p.send(2, b, msg(&[3; 57])), Err(status::MSG_TOO_LARGE));
        assert_eq!(p.peek(1, a), Ok((2, 56, 20)));
        assert_eq!(p.take(1, a).unwrap().unwrap().0.bytes, vec![1; 20]);
        assert_eq!(p.take(1, a).unwrap().unwrap().0.bytes, vec![2; 20]);
        assert_eq!(p.take(1, a), Ok(None));
        assert_eq!(p.take(1, 99), Err(status::INVALID_HANDLE));
    }

    #[test]
    fn fanout_every_reader_sees_every_message_and_frees_after_all() {
        let mut p = pool();
        let id = p.bind(1, key("shared:t", 1), 64, mode::FANOUT).unwrap();
        let s = p.open(1, key("shared:t", 1)).unwrap();
        let r1 = p.open(2, key("shared:t", 2)).unwrap();
        let r2 = p.open(3, key("shared:t", 3)).unwrap();
        p.send(1, s, msg(b"a")).unwrap();
        // The sender only ever sent: not a reader.
        assert_eq!(p.peek(1, s).unwrap().0, 0);
        assert_eq!(p.take(2, r1).unwrap().unwrap().0.bytes, b"a");
        assert_eq!(p.info()[0].messages.len(), 1, "r2 has not taken it yet");
        assert_eq!(p.take(3, r2).unwrap().unwrap().0.bytes, b"a");
        assert_eq!(p.info()[0].messages.len(), 0);
        assert_eq!(p.info()[0].used, 0);
        // A handle opened later does not see earlier messages.
        p.send(1, s, msg(b"b")).unwrap();
        let r3 = p.open(4, key("shared:t", 4)).unwrap();
        assert_eq!(p.take(4, r3), Ok(None));
        assert_eq!(p.take(2, r1).unwrap().unwrap().0.bytes, b"b");
        p.close(3, r2).unwrap();
        assert_eq!(p.info()[0].used, 0, "closing the last holder frees the message");
        assert_eq!(id, p.info()[0].id);
    }

    #[test]
    fn fanout_drop_marks_overrun_and_block_policy_refuses() {
        let mut p = pool();
        p.bind(1, key("shared:t", 1), 24, mode::FANOUT).unwrap(); // room for 2 x (4+8)
        let s = p.open(1, key("shared:t", 1)).unwrap();
        let fast = p.open(2, key("shared:t", 2)).unwrap();
        let slow = p.open(3, key("shared:t", 3)).unwrap();
        for b in [b"m1..", b"m2..", b"m3.."] {
            p.send(1, s, msg(b)).unwrap();
            let (m, f) = p.take(2, fast).unwrap().unwrap();
            assert_eq!((m.bytes.as_slice(), f), (&b[..], 0));
        }
        let (m, f) = p.take(3, slow).unwrap().unwrap();
        assert_eq!((m.bytes.as_slice(), f), (&b"m2.."[..], FLAG_OVERRUN));
        let (m, f) = p.take(3, slow).unwrap().unwrap();
        assert_eq!((m.bytes.as_slice(), f), (&b"m3.."[..], 0));
        // FANOUT_BLOCK: a full queue refuses instead.
        p.bind(2, key("shared:t", 1), 24, mode::FANOUT | mode::FANOUT_BLOCK).unwrap();
        p.send(1, s, msg(b"x...")).unwrap();
        p.send(1, s, msg(b"y...")).unwrap();
        assert_eq!(p.send(1, s, msg(b"z...")), Err(status::WOULDBLOCK));
    }

    #[test]
    fn tap_copies_without_consuming() {
        let mut p = pool();
        let r = p.open(1, key("shared:q", 1)).unwrap();
        let t = p.open(2, key("shared:q", 2)).unwrap();
        let s = p.open(3, key("shared:q", 3)).unwrap();
        p.send(3, s, msg(b"before")).unwrap();
        p.tap(2, t, true).unwrap();
        p.send(3, s, msg(b"after")).unwrap();
        assert_eq!(p.peek(2, t), Ok((1, 13, 5)));
        assert_eq!(p.take(2, t).unwrap().unwrap().0.bytes, b"after");
        assert_eq!(p.take(2, t), Ok(None));
        assert_eq!(p.take(1, r).unwrap().unwrap().0.bytes, b"before");
        assert_eq!(p.take(1, r).unwrap().unwrap().0.bytes, b"after");
    }

    #[test]
    fn bind_resize_drops_oldest() {
        let mut p = pool();
        let h = p.open(1, key("q", 1)).unwrap();
        for b in [b"aaaa", b"bbbb", b"cccc", b"dddd"] {
            p.send(1, h, msg(b)).unwrap();
        }
        assert_eq!(p.peek(1, h), Ok((4, 48, 4)));
        p.bind(1, key("q", 1), 30, 0).unwrap();
        assert_eq!(p.peek(1, h), Ok((2, 24, 4)));
        assert_eq!(p.take(1, h).unwrap().unwrap().0.bytes, b"cccc");
    }

    #[test]
    fn only_the_owner_reads_or_binds_an_owned_descriptor() {
        let mut p = pool();
        p.start_task(1).unwrap();
        // pid 2 may open pid 1's private descriptor and send to it ...
        let inbox = p.open(2, key("svc:priv@1", 2)).unwrap();
        p.send(2, inbox, msg(b"secret")).unwrap();
        // ... but not read, peek, tap or re-size it; nothing changes.
        assert_eq!(p.take(2, inbox), Err(status::PERMISSION));
        assert_eq!(p.peek(2, inbox), Err(status::PERMISSION));
        assert_eq!(p.tap(2, inbox, true), Err(status::PERMISSION));
        assert_eq!(p.bind(2, key("svc:priv@1", 2), 9, mode::FANOUT), Err(status::PERMISSION));
        let d = p.info().into_iter().find(|d| d.target == "svc:priv@1").unwrap();
        assert_eq!((d.capacity, d.mode, d.messages.len()), (64, 0, 1));
        // A non-owner BIND does not create the descriptor either.
        assert_eq!(p.bind(2, key("app:later@1", 2), 0, 0), Err(status::PERMISSION));
        assert_eq!(p.lookup(&key("app:later@1", 1)), None);
        // Handle first: a bad handle is INVALID_HANDLE, whoever owns what.
        assert_eq!(p.reader_desc(2, 99), Err(status::INVALID_HANDLE));
        assert_eq!(p.reader_desc(2, inbox), Err(status::PERMISSION));
        // The same holds for pid:N and app:name@P; the owner reads.
        for t in ["pid:1", "app:x@1"] {
            let h2 = p.open(2, key(t, 2)).unwrap();
            p.send(2, h2, msg(b"m")).unwrap();
            assert_eq!(p.take(2, h2), Err(status::PERMISSION), "{t}");
            let h1 = p.open(1, key(t, 1)).unwrap();
            assert_eq!(p.take(1, h1).unwrap().unwrap().0.bytes, b"m", "{t}");
        }
        let own = p.open(1, key("svc:priv", 1)).unwrap();
        assert_eq!(p.peek(1, own), Ok((1, 14, 6)));
        assert_eq!(p.take(1, own).unwrap().unwrap().0.bytes, b"secret");
        assert_eq!(p.bind(1, key("svc:priv", 1), 16, 0).map(|_| ()), Ok(()));
        // Ownerless descriptors are open to all.
        for t in ["app:x", "shared:y"] {
            let h = p.open(3, key(t, 3)).unwrap();
            assert_eq!(p.take(3, h), Ok(None), "{t}");
            assert_eq!(p.peek(3, h), Ok((0, 0, 0)), "{t}");
            assert_eq!(p.tap(3, h, true), Ok(()), "{t}");
            assert!(p.bind(4, key(t, 4), 0, 0).is_ok(), "{t}");
        }
        // The host (host_send) is not checked.
        let id = p.lookup(&key("svc:priv@1", 2)).unwrap();
        assert_eq!(p.host_send(id, msg(b"host")), Ok(()));
    }

    #[test]
    fn limits_give_no_descriptor() {
        let mut p = Pool::new(Limits { max_descriptors: 3, max_handles: 2, default_capacity: 64 });
        p.open(1, key("a", 1)).unwrap();
        p.open(1, key("a", 1)).unwrap();
        assert_eq!(p.open(1, key("a", 1)), Err(status::NO_DESCRIPTOR));
        p.open(2, key("b", 2)).unwrap();
        p.open(2, key("c", 2)).unwrap();
        assert_eq!(p.open(3, key("d", 3)), Err(status::NO_DESCRIPTOR));
        assert_eq!(p.bind(3, key("d", 3), 0, 0), Err(status::NO_DESCRIPTOR));
        assert_eq!(p.live_descriptors(), 3);
    }

    #[test]
    fn release_destroys_owned_and_returns_orphan_waiters() {
        let mut p = pool();
        p.start_task(1).unwrap();
        p.start_task(2).unwrap();
        assert_eq!(p.live_descriptors(), 8);
        let h = p.open(2, key("svc:stdio.in@1", 2)).unwrap();
        let app = p.open(1, key("app:keep@1", 1)).unwrap();
        let id = p.desc_of(2, h).unwrap();
        p.add_waiter(id, Waiter { pid: 2, handle: h, buf: 0, max: 0, info: 0 });
        // Only the owner could RECV there: a stale wait is set up directly.
        let orphans = p.release_task(1);
        assert_eq!(orphans.iter().map(|w| w.pid).collect::<Vec<_>>(), vec![2]);
        assert_eq!(p.take(2, h), Err(status::INVALID_HANDLE));
        assert_eq!(p.live_descriptors(), 5, "pid 2's four + app:keep@1");
        assert_eq!(p.open_handles(1), 0);
        assert!(p.lookup(&key("app:keep@1", 1)).is_some());
        let _ = app;
    }
}
