//! The mailbox pool (executive.md "Mailboxes"): descriptors, per-task handles, queued
//! messages, fan-out cursors, taps and waiters. Pure bookkeeping — the SVC glue that reads
//! and writes task memory lives in `svc.rs`.
//!
//! * this file: status codes, BIND modes, messages, waiters and the [`Pool`];
//! * `mailbox/target.rs`: namespaces, descriptor keys and target strings
//!   ([`parse_target`]), re-exported here;
//! * `mailbox/tests.rs`: the pool's unit tests.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use isa::MAX_TASKS;

mod target;
pub use target::{parse_target, Key, Namespace, TARGET_MAX};

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
mod tests;
