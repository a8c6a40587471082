//! The executive (executive.md): SVCs, mailboxes, arenas, images, consoles.
//!
//! It reaches a machine **only** through [`Host`]: the reference model implements `Host`
//! on its machine, the co-simulation harness over the RTL's host bus, and the same
//! `Executive` code drives both. It keeps no copy of any register or memory byte; what it
//! owns is the executive's own state: loaded images, the arena allocator, the mailbox pool,
//! each task's console, wait record and mailbox counters.
//!
//! Consoles stream: every byte a task writes goes through one call,
//! [`Executive::console_write`], to the tool's [`ConsoleSink`] as it is written; the
//! executive itself keeps only a bounded tail per task (see [`console`]).
//!
//! Choices where the spec is silent are written down in `docs/executive.md`.

mod arena;
pub mod console;
mod error;
mod host;
mod image;
pub mod mailbox;
mod svc;
#[cfg(test)]
mod tests;

pub use console::{ConsoleLog, ConsoleSink, Stream, DEFAULT_CONSOLE_TAIL};
pub use error::ExecError;
pub use host::Host;
pub use image::LoadedImage;
pub use mailbox::{MailboxInfo, Message, Namespace};

use arena::ArenaAllocator;
use image::{overlap, span};
use isa::{Command, SpawnContext, TaskState, CODE_SIZE, EXEC_RESERVED_END, MAX_TASKS};
use mailbox::{Limits, Pool};

/// Executive configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecConfig {
    /// Ticks per millisecond of SLEEP_MS / RECV timeouts (default 1000).
    pub ticks_per_ms: u64,
    /// Default stack arena size in bytes (default 0x1000).
    pub stack_size: u32,
    /// Default time slice of a spawned task (default 1).
    pub slice: u32,
    /// Default mailbox capacity in bytes (default 64).
    pub mailbox_capacity: u32,
    /// Live descriptors in the pool (default 256).
    pub max_descriptors: usize,
    /// Open handles per task (default 64).
    pub max_handles: usize,
    /// Bytes of each task's console the executive keeps (the tail; default
    /// [`DEFAULT_CONSOLE_TAIL`]). Everything written still reaches the console sink.
    pub console_tail: usize,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            ticks_per_ms: isa::DEFAULT_TICKS_PER_MS,
            stack_size: isa::DEFAULT_STACK_SIZE,
            slice: 1,
            mailbox_capacity: 64,
            max_descriptors: 256,
            max_handles: 64,
            console_tail: DEFAULT_CONSOLE_TAIL,
        }
    }
}

/// Index of a loaded image.
pub type ImageId = usize;

/// Per-spawn overrides of [`ExecConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpawnOptions {
    pub stack_size: Option<u32>,
    pub slice: Option<u32>,
}

/// A task's mailbox counters (also shown by `sched stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MailboxCounters {
    /// Messages queued by its SENDs.
    pub sent: u64,
    /// Messages it received (at once, or delivered while it waited).
    pub received: u64,
    /// Mailbox waits that ended in TIMEOUT.
    pub timeouts: u64,
}

/// What a task is blocked on, as far as the executive knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Wait {
    #[default]
    None,
    Sleep,
    /// RECV on this descriptor.
    Mailbox(u32),
}

#[derive(Debug, Clone, Default)]
struct Task {
    /// Live stack arena `[stack_limit, stack_top)`.
    arena: Option<(u32, u32)>,
    image: Option<ImageId>,
    console: ConsoleLog,
    counters: MailboxCounters,
    wait: Wait,
}

/// The executive of one machine.
#[derive(Debug, Clone)]
pub struct Executive {
    cfg: ExecConfig,
    images: Vec<LoadedImage>,
    /// Where the next image's code goes.
    next_code: u32,
    arena: ArenaAllocator,
    /// Index = pid (0 unused).
    tasks: Vec<Task>,
    pool: Pool,
    /// When on, every trap this executive is handed (see [`TrapSeen`]); the
    /// co-simulation harness compares the two executives' logs step by step.
    trap_log: Option<Vec<TrapSeen>>,
    /// Where console bytes go as they are written (none: only the tails are kept).
    sink: console::SinkSlot,
}

/// A trap an executive was handed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapSeen {
    Svc { pid: u8, module: u8, func: u8 },
    Timeout { pid: u8 },
}

/// Task slots of `host`, clamped to what the architecture allows.
fn n_tasks<H: Host>(host: &mut H) -> usize {
    host.n_tasks().min(MAX_TASKS)
}

fn valid_pid<H: Host>(host: &mut H, pid: u8) -> bool {
    pid >= 1 && pid as usize <= n_tasks(host)
}

/// Bytes written per host access when zeroing memory.
const ZERO_CHUNK: usize = 1024;

/// Zero data memory `[lo, hi)` through the host, in chunks of [`ZERO_CHUNK`] bytes (one
/// host write each; over the RTL's host bus every word is still one bus write).
fn zero_data<H: Host>(host: &mut H, lo: u32, hi: u32) {
    let zeros = [0u8; ZERO_CHUNK];
    let mut a = lo;
    while a < hi {
        let n = ((hi - a) as usize).min(ZERO_CHUNK);
        host.write_data(a, &zeros[..n]);
        a += n as u32;
    }
}

/// The register-window region of a machine with `n` slots, `[lo, hi)`.
fn window_region(n: usize) -> (u32, u32) {
    (isa::WINDOW_BASE, isa::WINDOW_BASE + isa::WINDOW_SIZE * n as u32)
}

impl Executive {
    pub fn new(cfg: ExecConfig) -> Self {
        Executive {
            cfg,
            images: Vec::new(),
            next_code: 0,
            arena: ArenaAllocator::default(),
            tasks: vec![Task { console: ConsoleLog::new(cfg.console_tail), ..Task::default() }; MAX_TASKS + 1],
            pool: Pool::new(Limits {
                max_descriptors: cfg.max_descriptors,
                max_handles: cfg.max_handles,
                default_capacity: cfg.mailbox_capacity,
            }),
            trap_log: None,
            sink: console::SinkSlot::default(),
        }
    }

    /// Start (or stop) logging the traps this executive is handed.
    pub fn set_trap_log(&mut self, on: bool) {
        self.trap_log = if on { Some(Vec::new()) } else { None };
    }

    /// The traps handed to this executive since the last call (empty when logging is off).
    pub fn take_trap_log(&mut self) -> Vec<TrapSeen> {
        self.trap_log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Drain the trap log into `out` (cleared first), keeping the log's allocation.
    pub fn drain_trap_log_into(&mut self, out: &mut Vec<TrapSeen>) {
        out.clear();
        if let Some(l) = self.trap_log.as_mut() {
            out.append(l);
        }
    }

    pub(crate) fn log_trap(&mut self, t: TrapSeen) {
        if let Some(l) = self.trap_log.as_mut() {
            l.push(t);
        }
    }

    pub fn config(&self) -> &ExecConfig {
        &self.cfg
    }

    /// Place an image: code in code space (images one after another, 4-aligned, from 0),
    /// `.data` at `image.data_addr`, then `.bss` zeroed. Refused — with nothing changed —
    /// when the code does not fit in code space, or the data/bss range leaves data memory,
    /// or overlaps the executive's reserved area, the window region, another image's
    /// data/bss, a live stack arena or the stack region.
    pub fn load_image<H: Host>(
        &mut self,
        host: &mut H,
        name: &str,
        image: &isa::hxe::Image,
    ) -> Result<ImageId, ExecError> {
        let code_len = image.code.len();
        if !code_len.is_multiple_of(4) {
            return Err(ExecError::CodeNotAligned { image: name.to_string(), len: code_len });
        }
        let base = self.next_code;
        if base as usize + code_len > CODE_SIZE {
            return Err(ExecError::CodeSpaceFull {
                image: name.to_string(),
                base,
                len: code_len,
                free: CODE_SIZE as u32 - base,
            });
        }
        let lo = image.data_addr;
        let len = image.data.len() as u64 + u64::from(image.bss);
        if u64::from(lo) + len > isa::DATA_SIZE as u64 {
            return Err(ExecError::DataOutOfRange { image: name.to_string(), lo, len });
        }
        let mailboxes =
            image.mailbox_decls().map_err(|source| ExecError::Metadata { image: name.to_string(), source })?;
        for m in &mailboxes {
            if mailbox::parse_target(m.target.as_bytes(), m.owner.unwrap_or(1), n_tasks(host)).is_none() {
                return Err(ExecError::BadMailboxTarget { image: name.to_string(), target: m.target.clone() });
            }
        }
        let me = LoadedImage {
            mailboxes,
            name: name.to_string(),
            code_base: base,
            code_size: code_len as u32,
            data_lo: lo,
            data_hi: lo + len as u32,
            data_len: image.data.len() as u32,
            entry: image.entry,
        };
        if len > 0 {
            let range = (me.data_lo, me.data_hi);
            let what = me.describe_data();
            let refuse =
                |with: String, o: (u32, u32)| ExecError::Overlap { what: what.clone(), with, lo: o.0, hi: o.1 };
            let mut fixed = vec![
                ((0, EXEC_RESERVED_END), "the executive's reserved area".to_string()),
                (window_region(n_tasks(host)), "the register-window region".to_string()),
            ];
            fixed.extend(self.images.iter().map(|i| ((i.data_lo, i.data_hi), i.describe_data())));
            for (pid, t) in self.tasks.iter().enumerate() {
                if let Some(a) = t.arena {
                    fixed.push((a, format!("the stack arena of pid {pid}")));
                }
            }
            let srl = host.stack_region_lo();
            if srl < isa::DATA_SIZE as u32 {
                fixed.push(((srl, isa::DATA_SIZE as u32), "the stack region".to_string()));
            }
            for (r, desc) in fixed {
                if let Some(o) = overlap(range, r) {
                    let with = if desc.starts_with("image ") { desc } else { format!("{desc} {}", span(r.0, r.1)) };
                    return Err(refuse(with, o));
                }
            }
        }
        if code_len > 0 {
            host.write_code(base, &image.code);
        }
        if !image.data.is_empty() {
            host.write_data(lo, &image.data);
        }
        if image.bss > 0 {
            host.write_data(lo + image.data.len() as u32, &vec![0u8; image.bss as usize]);
        }
        self.next_code = base + code_len as u32;
        self.images.push(me);
        Ok(self.images.len() - 1)
    }

    /// A loaded image. Panics on an id [`load_image`](Self::load_image) did not return.
    pub fn image(&self, id: ImageId) -> &LoadedImage {
        &self.images[id]
    }

    /// Every loaded image, by id.
    pub fn images(&self) -> &[LoadedImage] {
        &self.images
    }

    /// Spawn a task running `image` from `entry` (a byte offset into its code) into the
    /// lowest EMPTY slot: window zeroed with R15 = stack_top, a stack arena (zeroed, all of
    /// it: context.md), the stdio and `pid:` descriptors with handles 1..3, then SPAWN. Returns the pid. Refused — with
    /// nothing changed — on a bad entry / stack size / slice, no EMPTY slot, no room for
    /// the arena or an arena that would overlap something, or a full mailbox pool.
    pub fn spawn<H: Host>(
        &mut self,
        host: &mut H,
        image: ImageId,
        entry: u32,
        opts: SpawnOptions,
    ) -> Result<u8, ExecError> {
        let img = self.images.get(image).ok_or(ExecError::NoSuchImage(image))?.clone();
        if !entry.is_multiple_of(4) || entry >= img.code_size {
            return Err(ExecError::BadEntry { image: img.name, entry, code_size: img.code_size });
        }
        let size = opts.stack_size.unwrap_or(self.cfg.stack_size);
        if !size.is_multiple_of(4) || size < 16 {
            return Err(ExecError::BadStackSize(size));
        }
        let slice = opts.slice.unwrap_or(self.cfg.slice);
        if slice == 0 {
            return Err(ExecError::ZeroSlice);
        }
        let n = n_tasks(host);
        let pid = (1..=n as u8).find(|&p| host.slot(p).state == TaskState::Empty).ok_or(ExecError::NoFreeSlot(n))?;
        // Left-overs of a slot emptied without `kill` (a host KILL issued directly).
        if self.tasks[pid as usize].arena.is_some() || self.pool.open_handles(pid) > 0 {
            self.release(host, pid);
        }
        let p = self.arena.propose(size).ok_or(ExecError::NoStackSpace { pid, size, point: self.arena.point() })?;
        let range = (p.lo, p.hi);
        let mut fixed = vec![
            ((0, EXEC_RESERVED_END), "the executive's reserved area".to_string()),
            (window_region(n), "the register-window region".to_string()),
        ];
        for (other, t) in self.tasks.iter().enumerate() {
            if let Some(a) = t.arena {
                fixed.push((a, format!("the stack arena of pid {other}")));
            }
        }
        for (r, desc) in fixed {
            if let Some(o) = overlap(range, r) {
                return Err(ExecError::Overlap {
                    what: format!("stack arena {} of pid {pid}", span(p.lo, p.hi)),
                    with: format!("{desc} {}", span(r.0, r.1)),
                    lo: o.0,
                    hi: o.1,
                });
            }
        }
        for i in &self.images {
            if let Some(o) = overlap(range, (i.data_lo, i.data_hi)) {
                return Err(ExecError::Overlap {
                    what: format!("stack arena {} of pid {pid}", span(p.lo, p.hi)),
                    with: i.describe_data(),
                    lo: o.0,
                    hi: o.1,
                });
            }
        }
        // Room for the stdio and pid: descriptors and (at most) every declared mailbox.
        let need = self.pool.start_needs(pid) + img.mailboxes.len();
        if self.pool.live_descriptors() + need > self.cfg.max_descriptors {
            return Err(ExecError::NoDescriptors {
                pid,
                need,
                live: self.pool.live_descriptors(),
                max: self.cfg.max_descriptors,
            });
        }
        // The window and the arena first, so the task is never READY with stale registers
        // or with what an earlier task (or a task using free memory) left on its stack.
        let reg_base = isa::window_of(pid);
        let mut window = [0u8; 64];
        window[60..].copy_from_slice(&p.hi.to_le_bytes());
        host.write_data(reg_base, &window);
        zero_data(host, p.lo, p.hi);
        host.command(Command::Spawn {
            pid,
            ctx: SpawnContext {
                pc: entry as u16,
                sp: p.hi,
                reg_base,
                stack_limit: p.lo,
                stack_top: p.hi,
                code_base: img.code_base,
                code_size: img.code_size,
                slice,
            },
        })?;
        self.arena.commit(p);
        if p.lo < host.stack_region_lo() {
            host.set_stack_region_lo(p.lo);
        }
        // Cannot fail: room was checked above.
        let _ = self.pool.start_task(pid);
        if self.tasks[pid as usize].console.total() > 0 {
            if let Some(s) = self.sink.0.as_mut() {
                s.end_task(pid);
            }
        }
        self.tasks[pid as usize] = Task {
            arena: Some(range),
            image: Some(image),
            console: ConsoleLog::new(self.cfg.console_tail),
            counters: MailboxCounters::default(),
            wait: Wait::None,
        };
        // The image's `.mailbox` declarations, bound as the task (or its `owner_pid`)
        // would BIND them. Cannot fail on room (checked above); targets were checked at load.
        for m in &img.mailboxes {
            let caller = m.owner.unwrap_or(pid);
            let key = mailbox::parse_target(m.target.as_bytes(), caller, n)
                .ok_or_else(|| ExecError::BadMailboxTarget { image: img.name.clone(), target: m.target.clone() })?;
            let cap = if m.capacity == 0 { self.cfg.mailbox_capacity } else { m.capacity };
            // The loader binds on the task's behalf (as the host, never refused for ownership).
            let as_pid = key.owner.unwrap_or(caller);
            if let Err(status) = self.pool.bind(as_pid, key, cap, m.mode) {
                return Err(ExecError::MailboxBind { pid, target: m.target.clone(), status });
            }
        }
        Ok(pid)
    }

    /// KILL `pid`: the scheduler empties the slot; the executive frees its arena, its
    /// handles and waits, and destroys the descriptors it owns (`svc:*` of its own,
    /// `pid:<pid>`). Tasks of others waiting on a destroyed descriptor are woken with
    /// INVALID_HANDLE. Global `app:`/`shared:` descriptors persist. The console and counters
    /// stay readable until the slot is spawned into again.
    pub fn kill<H: Host>(&mut self, host: &mut H, pid: u8) -> Result<(), ExecError> {
        if !valid_pid(host, pid) {
            return Err(ExecError::NoSuchPid(pid));
        }
        host.command(Command::Kill { pid })?;
        self.release(host, pid);
        Ok(())
    }

    /// Free everything of `pid` but its console and counters.
    fn release<H: Host>(&mut self, host: &mut H, pid: u8) {
        let t = &mut self.tasks[pid as usize];
        if let Some((lo, hi)) = t.arena.take() {
            self.arena.release(lo, hi);
        }
        t.wait = Wait::None;
        t.image = None;
        for w in self.pool.release_task(pid) {
            self.tasks[w.pid as usize].wait = Wait::None;
            svc::finish_wait(host, &w, mailbox::status::INVALID_HANDLE);
            let _ = host.command(Command::Wake { pid: w.pid });
        }
    }

    /// Post a message from the host (src pid 0) into descriptor `id` — e.g. a task's
    /// `svc:stdio.in` — with SEND's rules (MSG_TOO_LARGE, WOULDBLOCK, fan-out policy,
    /// taps), delivering to waiters as a task's SEND would. Call between steps. `Err` is
    /// the mailbox status code; INVALID_HANDLE when no descriptor has that id.
    pub fn host_send<H: Host>(
        &mut self,
        host: &mut H,
        id: u32,
        bytes: &[u8],
        flags: u16,
        channel: u16,
    ) -> Result<(), u32> {
        if bytes.is_empty() {
            return Ok(());
        }
        if bytes.len() > u16::MAX as usize {
            return Err(mailbox::status::MSG_TOO_LARGE);
        }
        let msg = Message { flags, src: 0, channel, bytes: bytes.to_vec() };
        self.pool.host_send(id, msg)?;
        self.deliver(host, id);
        Ok(())
    }

    /// Write `bytes` to `pid`'s console on `stream`: the one call through which anything
    /// reaches a console (UART_WRITE; anything else meant for a task's console calls it
    /// too). The bytes go to the console sink at once, and into the task's bounded
    /// [`ConsoleLog`]. Nothing happens for an empty slice or a pid out of range.
    pub fn console_write(&mut self, pid: u8, stream: Stream, bytes: &[u8]) {
        let Some(t) = self.tasks.get_mut(pid as usize).filter(|_| pid != 0 && !bytes.is_empty()) else {
            return;
        };
        t.console.push(bytes);
        if let Some(s) = self.sink.0.as_mut() {
            s.write(pid, stream, bytes);
        }
    }

    /// Install (or, with `None`, remove) the sink that receives every console byte as it
    /// is written. Returns the previous one.
    pub fn set_console_sink(&mut self, sink: Option<Box<dyn ConsoleSink>>) -> Option<Box<dyn ConsoleSink>> {
        std::mem::replace(&mut self.sink.0, sink)
    }

    /// The run is over: let the sink emit what it holds back (a partial last line) and
    /// flush; its first error, if it met one. The sink stays installed.
    pub fn finish_console(&mut self) -> std::io::Result<()> {
        self.sink.0.as_mut().map_or(Ok(()), |s| s.finish())
    }

    /// The last [`ExecConfig::console_tail`] bytes `pid` has written to its console since
    /// it was spawned: all of them unless [`console_log`](Self::console_log) says some
    /// were omitted.
    pub fn console(&self, pid: u8) -> &[u8] {
        self.tasks.get(pid as usize).map_or(&[], |t| t.console.tail())
    }

    /// `pid`'s console: total bytes written, the tail, how much precedes it.
    pub fn console_log(&self, pid: u8) -> Option<&ConsoleLog> {
        self.tasks.get(pid as usize).map(|t| &t.console)
    }

    /// Grow descriptor `id` so `extra` more bytes of messages (each costing `len + 8`) fit
    /// after what is queued — what a host BIND to a larger capacity does (the mode and the
    /// queue are kept; a capacity is never reduced). Returns the new capacity; `Err` is
    /// INVALID_HANDLE when no descriptor has that id. `--stdin` uses it on `svc:stdio.in`.
    pub fn host_reserve(&mut self, id: u32, extra: u32) -> Result<u32, u32> {
        self.pool.reserve(id, extra)
    }

    /// The descriptor id of `pid`'s `svc:stdio.in` (what `--stdin` feeds), while it lives.
    pub fn stdin_descriptor(&self, pid: u8) -> Option<u32> {
        self.pool.lookup(&mailbox::Key::svc("stdio.in", pid))
    }

    /// Which console stream a SEND into descriptor `desc` by `pid` is mirrored to, if any.
    pub(crate) fn stdio_stream(&self, pid: u8, desc: u32) -> Option<Stream> {
        if self.pool.lookup(&mailbox::Key::svc("stdio.out", pid)) == Some(desc) {
            Some(Stream::Out)
        } else if self.pool.lookup(&mailbox::Key::svc("stdio.err", pid)) == Some(desc) {
            Some(Stream::Err)
        } else {
            None
        }
    }

    /// Every live descriptor, by id.
    pub fn mailboxes(&self) -> Vec<MailboxInfo> {
        self.pool.info()
    }

    pub fn task_counters(&self, pid: u8) -> MailboxCounters {
        self.tasks.get(pid as usize).map(|t| t.counters).unwrap_or_default()
    }

    /// The stack arena `[stack_limit, stack_top)` the executive gave `pid`, while it lives.
    pub fn arena_of(&self, pid: u8) -> Option<(u32, u32)> {
        self.tasks.get(pid as usize).and_then(|t| t.arena)
    }

    /// The image `pid` runs, while it lives.
    pub fn image_of(&self, pid: u8) -> Option<ImageId> {
        self.tasks.get(pid as usize).and_then(|t| t.image)
    }

    /// Free arena blocks `[lo, hi)` above the allocation point, ascending.
    pub fn arena_free_list(&self) -> Vec<(u32, u32)> {
        self.arena.free_list().to_vec()
    }

    /// The allocation point: everything below it has never been handed out (or was given
    /// back).
    pub fn alloc_point(&self) -> u32 {
        self.arena.point()
    }

    pub fn live_descriptor_count(&self) -> usize {
        self.pool.live_descriptors()
    }
}
