//! Executive tests against a [`MockHost`]: a 64 KiB data array, a code array, a slot table
//! that applies scheduler commands, and a log of every command.

use super::mailbox::{mode, status, FLAG_OVERRUN};
use super::*;
use isa::hxe::Image;
use isa::{fault, svc, CommandError, Slot, WaitKind};

/// Host calls of each kind, to keep the per-SVC count small.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Calls {
    pub read: usize,
    pub write: usize,
    pub slot: usize,
    pub other: usize,
}

pub struct MockHost {
    pub dmem: Vec<u8>,
    pub code: Vec<u8>,
    pub slots: Vec<Slot>,
    pub ticks: u64,
    pub protect: bool,
    pub srl: u32,
    pub log: Vec<Command>,
    pub calls: Calls,
}

impl MockHost {
    pub fn new(n_tasks: usize) -> MockHost {
        MockHost {
            dmem: vec![0; 0x10000],
            code: vec![0; 0x10000],
            slots: vec![Slot::default(); n_tasks],
            ticks: 0,
            protect: true,
            srl: 0x10000,
            log: Vec::new(),
            calls: Calls::default(),
        }
    }
    fn s(&mut self, pid: u8) -> &mut Slot {
        &mut self.slots[pid as usize - 1]
    }
    pub fn state(&self, pid: u8) -> TaskState {
        self.slots[pid as usize - 1].state
    }
    pub fn word(&self, a: u32) -> u32 {
        let a = a as usize;
        u32::from_le_bytes(self.dmem[a..a + 4].try_into().unwrap())
    }
    pub fn regs(&self, pid: u8) -> [u32; 16] {
        let b = self.slots[pid as usize - 1].reg_base;
        std::array::from_fn(|n| self.word(b + 4 * n as u32))
    }
    pub fn put(&mut self, a: u32, bytes: &[u8]) {
        self.dmem[a as usize..a as usize + bytes.len()].copy_from_slice(bytes);
    }
    pub fn put_str(&mut self, a: u32, s: &str) {
        self.put(a, s.as_bytes());
        self.dmem[a as usize + s.len()] = 0;
    }
    pub fn get(&self, a: u32, n: usize) -> &[u8] {
        &self.dmem[a as usize..a as usize + n]
    }
    pub fn info(&self, a: u32) -> [u32; 5] {
        std::array::from_fn(|i| self.word(a + 4 * i as u32))
    }
}

impl Host for MockHost {
    fn n_tasks(&self) -> usize {
        self.slots.len()
    }
    fn read_data(&mut self, addr: u32, buf: &mut [u8]) {
        self.calls.read += 1;
        let a = addr as usize;
        assert!(a + buf.len() <= 0x10000, "host read past data memory");
        buf.copy_from_slice(&self.dmem[a..a + buf.len()]);
    }
    fn write_data(&mut self, addr: u32, data: &[u8]) {
        self.calls.write += 1;
        let a = addr as usize;
        assert!(a + data.len() <= 0x10000, "host write past data memory");
        self.dmem[a..a + data.len()].copy_from_slice(data);
    }
    fn write_code(&mut self, addr: u32, data: &[u8]) {
        let a = addr as usize;
        assert!(a + data.len() <= 0x10000, "code write past code memory");
        self.code[a..a + data.len()].copy_from_slice(data);
    }
    fn slot(&mut self, pid: u8) -> Slot {
        self.calls.slot += 1;
        self.slots[pid as usize - 1]
    }
    fn ticks(&mut self) -> u64 {
        self.calls.other += 1;
        self.ticks
    }
    fn protect(&mut self) -> bool {
        self.calls.other += 1;
        self.protect
    }
    fn stack_region_lo(&mut self) -> u32 {
        self.calls.other += 1;
        self.srl
    }
    fn set_stack_region_lo(&mut self, v: u32) {
        self.srl = v;
    }
    fn command(&mut self, cmd: Command) -> Result<(), CommandError> {
        let pid = cmd.pid();
        if pid == 0 || pid as usize > self.slots.len() {
            return Err(CommandError::NoSuchPid(pid));
        }
        let s = self.s(pid);
        match cmd {
            Command::Spawn { ctx, .. } => {
                if s.state != TaskState::Empty {
                    return Err(CommandError::SlotBusy(pid));
                }
                *s = Slot {
                    state: TaskState::Ready,
                    pc: ctx.pc,
                    code_base: ctx.code_base,
                    code_size: ctx.code_size,
                    sp: ctx.sp,
                    reg_base: ctx.reg_base,
                    stack_limit: ctx.stack_limit,
                    stack_top: ctx.stack_top,
                    slice: ctx.slice,
                    ..Slot::default()
                };
            }
            Command::Block { wait, deadline, .. } => {
                s.state = TaskState::Blocked;
                s.wait = wait;
                s.deadline = deadline;
            }
            Command::Wake { .. } => {
                if s.state == TaskState::Blocked {
                    s.state = TaskState::Ready;
                    s.wait = WaitKind::None;
                    s.deadline = None;
                }
            }
            Command::Exit { code, .. } => {
                s.state = TaskState::Returned;
                s.exit_code = Some(code);
            }
            Command::Yield { .. } => s.slice_used = s.slice,
            Command::Pause { .. } => s.state = TaskState::Paused,
            Command::Resume { .. } => s.state = TaskState::Ready,
            Command::Kill { .. } => *s = Slot::default(),
            Command::SetSlice { n, .. } => {
                if n == 0 {
                    return Err(CommandError::ZeroSlice(pid));
                }
                s.slice = n;
            }
        }
        self.log.push(cmd);
        Ok(())
    }
}

/// An image: `code_words` NOPs-worth of code, `.data` at `data_addr`, `bss` zero bytes.
fn image(code_words: usize, data_addr: u32, data: &[u8], bss: u32) -> Image {
    Image {
        entry: 0,
        code: (0..code_words * 4).map(|i| i as u8).collect(),
        data: data.to_vec(),
        data_addr,
        bss,
        ..Image::default()
    }
}

const MB: u8 = svc::MOD_MAILBOX;
const STR: u32 = 0x4100; // target strings
const BUF: u32 = 0x4400; // payloads
const RBUF: u32 = 0x4800; // receive buffers
const INFO: u32 = 0x4C00; // info records

/// Executive + mock machine + one image covering 0x4000..0x5000.
struct T {
    ex: Executive,
    h: MockHost,
    img: ImageId,
}

fn sentinel(n: u8) -> u32 {
    0xC0DE_0000 | u32::from(n)
}

impl T {
    fn new() -> T {
        T::with(ExecConfig::default(), 8)
    }
    fn with(cfg: ExecConfig, n: usize) -> T {
        let mut h = MockHost::new(n);
        let mut ex = Executive::new(cfg);
        let img = ex.load_image(&mut h, "app", &image(8, 0x4000, &[0x11; 0x10], 0xFF0)).unwrap();
        T { ex, h, img }
    }
    fn spawn(&mut self) -> u8 {
        self.ex.spawn(&mut self.h, self.img, 0, SpawnOptions::default()).unwrap()
    }
    /// Fill every register of `pid` with a sentinel, then set `args`.
    fn prime(&mut self, pid: u8, args: &[(u8, u32)]) -> [u32; 16] {
        let base = self.h.slots[pid as usize - 1].reg_base;
        let mut r: [u32; 16] = std::array::from_fn(|n| sentinel(n as u8));
        for &(n, v) in args {
            r[n as usize] = v;
        }
        for (n, v) in r.iter().enumerate() {
            self.h.put(base + 4 * n as u32, &v.to_le_bytes());
        }
        r
    }
    /// Run an SVC with `args` and return the registers before and after.
    fn call(&mut self, pid: u8, m: u8, f: u8, args: &[(u8, u32)]) -> ([u32; 16], [u32; 16]) {
        let before = self.prime(pid, args);
        self.ex.on_svc(&mut self.h, pid, m, f);
        (before, self.h.regs(pid))
    }
    /// Run an SVC and assert that exactly the registers in `results` changed, to those
    /// values.
    #[track_caller]
    fn expect(&mut self, pid: u8, m: u8, f: u8, args: &[(u8, u32)], results: &[(u8, u32)]) {
        let (before, after) = self.call(pid, m, f, args);
        let mut want = before;
        for &(n, v) in results {
            want[n as usize] = v;
        }
        assert_eq!(after, want, "svc ({m:#x},{f:#x}) args {args:x?}");
    }
    fn open(&mut self, pid: u8, target: &str) -> u32 {
        self.h.put_str(STR, target);
        let (_, r) = self.call(pid, MB, svc::FN_MB_OPEN, &[(1, STR)]);
        assert_eq!(r[0], status::OK, "open {target}");
        r[1]
    }
    fn bind(&mut self, pid: u8, target: &str, cap: u32, mode: u16) -> u32 {
        self.h.put_str(STR, target);
        let (_, r) = self.call(pid, MB, svc::FN_MB_BIND, &[(1, STR), (2, cap), (3, u32::from(mode))]);
        assert_eq!(r[0], status::OK, "bind {target}");
        r[1]
    }
    fn send(&mut self, pid: u8, h: u32, payload: &[u8], flags: u32, ch: u32) -> [u32; 16] {
        self.h.put(BUF, payload);
        let args = [(1, h), (2, BUF), (3, payload.len() as u32), (4, flags), (5, ch)];
        self.call(pid, MB, svc::FN_MB_SEND, &args).1
    }
    fn recv(&mut self, pid: u8, h: u32, max: u32, timeout: u32, info: u32) -> [u32; 16] {
        let args = [(1, h), (2, RBUF), (3, max), (4, timeout), (5, info)];
        self.call(pid, MB, svc::FN_MB_RECV, &args).1
    }
    fn wakes(&self) -> Vec<u8> {
        self.h
            .log
            .iter()
            .filter_map(|c| match c {
                Command::Wake { pid } => Some(*pid),
                _ => None,
            })
            .collect()
    }
}

// ---------------------------------------------------------------- plain SVCs

#[test]
fn get_steps_returns_low_32_bits_only_in_r0() {
    let mut t = T::new();
    let p = t.spawn();
    t.h.slots[0].accounted_steps = 0x1_2345_6789;
    t.expect(p, svc::MOD_CORE, svc::FN_GET_STEPS, &[], &[(0, 0x2345_6789)]);
}

#[test]
fn exit_ends_the_task_with_r0_and_writes_nothing() {
    let mut t = T::new();
    let p = t.spawn();
    t.expect(p, svc::MOD_TASK, svc::FN_EXIT, &[(0, 0xDEAD_BEEF)], &[]);
    assert_eq!(t.h.log.last(), Some(&Command::Exit { pid: p, code: 0xDEAD_BEEF }));
    assert_eq!(t.h.state(p), TaskState::Returned);
}

#[test]
fn uart_write_appends_and_returns_len() {
    let mut t = T::new();
    let p = t.spawn();
    t.h.put(0x4000, b"hello, world");
    // Only the low 16 bits of pointer and length count.
    t.expect(p, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0xFFFF_4000), (2, 0x7_0005)], &[(0, 5)]);
    t.expect(p, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x4005), (2, 7)], &[(0, 7)]);
    t.expect(p, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x1000), (2, 0)], &[(0, 0)]);
    assert_eq!(t.ex.console(p), b"hello, world");
    assert_eq!(t.ex.console(2), b"");
}

#[test]
fn uart_write_buffer_checks() {
    let mut t = T::new();
    let p1 = t.spawn();
    let p2 = t.spawn();
    let (lim2, top2) = t.ex.arena_of(p2).unwrap();
    let (lim1, _) = t.ex.arena_of(p1).unwrap();
    let bad = fault::ACCESS_VIOLATION;
    for (ptr, len) in [
        (0x1000, 4),    // own window
        (0x11FC, 8),    // straddles the end of the window region
        (0x0FFC, 8),    // straddles the start of it
        (lim2, 4),      // another task's stack
        (lim1 - 2, 4),  // straddles p2's arena and its own
        (0xFFF0, 0x20), // past 0xFFFF
        (0xFFFC, 4),    // above every stack_top, in the stack region
        (0x0000, 1),    // the executive's reserved area: its first byte
        (0x0800, 0x10), // inside it
        (0x0FF0, 0x10), // its last bytes
    ] {
        t.expect(p1, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, ptr), (2, len)], &[(0, bad)]);
    }
    assert_eq!(t.ex.console(p1), b"");
    // Own stack is fine, and so is free memory between the windows and the data.
    t.h.put(lim1, b"stk");
    t.expect(p1, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, lim1), (2, 3)], &[(0, 3)]);
    t.h.put(0x2000, &[b'f'; 0x10]);
    t.expect(p1, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x2000), (2, 0x10)], &[(0, 0x10)]);
    // Protection off: only the end of memory counts.
    t.h.protect = false;
    t.h.put(top2 - 4, b"p2!!");
    t.expect(p1, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, top2 - 4), (2, 4)], &[(0, 4)]);
    t.expect(p1, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x1000), (2, 1)], &[(0, 1)]);
    t.expect(p1, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x0000), (2, 2)], &[(0, 2)]);
    t.expect(p1, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0xFFFF), (2, 2)], &[(0, bad)]);
    t.expect(p1, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0xFFFF), (2, 1)], &[(0, 1)]);
    assert_eq!(t.ex.console(p1).len(), 3 + 16 + 4 + 1 + 2 + 1);
    assert_eq!(&t.ex.console(p1)[..3], b"stk");
}

#[test]
fn sleep_blocks_until_deadline_and_timeout_wakes() {
    let mut t = T::with(ExecConfig { ticks_per_ms: 10, ..ExecConfig::default() }, 8);
    let p = t.spawn();
    t.h.ticks = 100;
    t.expect(p, svc::MOD_TIME, svc::FN_SLEEP_MS, &[(0, 0x3_0005)], &[(0, 0)]);
    assert_eq!(t.h.log.last(), Some(&Command::Block { pid: p, wait: WaitKind::Sleep, deadline: Some(150) }));
    let before = t.h.regs(p);
    t.ex.on_timeout(&mut t.h, p);
    assert_eq!(t.h.log.last(), Some(&Command::Wake { pid: p }));
    assert_eq!(t.h.regs(p), before, "a sleep's end writes no register");
    assert_eq!(t.ex.task_counters(p).timeouts, 0);
    // ms = 0 does nothing but R0 <- 0.
    let n = t.h.log.len();
    t.expect(p, svc::MOD_TIME, svc::FN_SLEEP_MS, &[(0, 0x1_0000)], &[(0, 0)]);
    assert_eq!(t.h.log.len(), n);
}

#[test]
fn yield_getpid_and_enosys() {
    let mut t = T::new();
    t.spawn();
    let p = t.spawn();
    t.expect(p, svc::MOD_TIME, svc::FN_YIELD, &[], &[(0, 0)]);
    assert_eq!(t.h.log.last(), Some(&Command::Yield { pid: p }));
    t.expect(p, svc::MOD_TIME, svc::FN_GETPID, &[], &[(0, 2)]);
    let n = t.h.log.len();
    let unknown = [(0x0, 0x01), (0x1, 0x02), (0x2, 0x00), (0x5, 0x07), (0x5, 0xFF), (0x6, 0x03), (0xF, 0)];
    for (m, f) in unknown {
        t.expect(p, m, f, &[], &[(0, fault::ENOSYS)]);
    }
    assert_eq!(t.h.log.len(), n, "ENOSYS issues no command");
}

#[test]
fn svc_reads_one_slot_and_few_words() {
    let mut t = T::new();
    let p = t.spawn();
    let q = t.spawn();
    let h = t.open(q, "svc:x@1");
    let mine = t.open(p, "svc:x");
    t.recv(p, mine, 16, 0xFFFF, INFO);
    t.h.calls = Calls::default();
    t.send(q, h, b"ping", 0, 0);
    // Slots: the sender's and the waiter's. Reads: R1..R5 in one go, then the payload.
    // Writes: sender R0..R1; waiter buffer, R0..R4, info record. Other: protect, srl.
    let want = Calls { read: 2, write: 4, slot: 2, other: 2 };
    assert_eq!(t.h.calls, want);
}

// ---------------------------------------------------------------- mailboxes

#[test]
fn open_returns_handles_from_4_and_errors_write_only_r0() {
    let mut t = T::new();
    let p = t.spawn();
    t.h.put_str(STR, "svc:a");
    t.expect(p, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, 0), (1, 4)]);
    t.h.put_str(STR, "app:b");
    t.expect(p, MB, svc::FN_MB_OPEN, &[(1, STR), (2, 0xFFFF)], &[(0, 0), (1, 5)]);
    let ie = status::INTERNAL_ERROR;
    for bad in ["", "svc:", "x@", "x@0", "x@9", "x@1x", "pid:12", "shared:@3"] {
        t.h.put_str(STR, bad);
        t.expect(p, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, ie)]);
    }
    // 32 bytes before the NUL is the longest target; 33 is unterminated.
    t.h.put_str(STR, &"n".repeat(32));
    t.expect(p, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, 0), (1, 6)]);
    t.h.put_str(STR, &"n".repeat(33));
    t.expect(p, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, ie)]);
    // A string running into the window region, or off the end of memory.
    t.h.put(0x0FFE, b"ab");
    t.expect(p, MB, svc::FN_MB_OPEN, &[(1, 0x0FFE)], &[(0, ie)]);
    t.h.put(0xFFFE, b"ab");
    t.h.protect = false;
    t.expect(p, MB, svc::FN_MB_OPEN, &[(1, 0xFFFE)], &[(0, ie)]);
    // Handles are never reused while the task lives.
    t.expect(p, MB, svc::FN_MB_CLOSE, &[(1, 6)], &[(0, 0)]);
    t.h.put_str(STR, "svc:a");
    t.expect(p, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, 0), (1, 7)]);
}

#[test]
fn bind_returns_global_ids_and_descriptor_limits() {
    let cfg = ExecConfig { max_descriptors: 10, max_handles: 5, ..ExecConfig::default() };
    let mut t = T::with(cfg, 8);
    let p = t.spawn();
    let q = t.spawn(); // ids 1..8 are the two tasks' stdio + pid:
    assert_eq!(t.ex.live_descriptor_count(), 8);
    t.h.put_str(STR, "app:x");
    t.expect(p, MB, svc::FN_MB_BIND, &[(1, STR), (2, 0), (3, 0)], &[(0, 0), (1, 9)]);
    // BIND of an existing descriptor: same id, from another task too.
    t.expect(q, MB, svc::FN_MB_BIND, &[(1, STR), (2, 100), (3, 0)], &[(0, 0), (1, 9)]);
    t.h.put_str(STR, "y");
    t.expect(q, MB, svc::FN_MB_BIND, &[(1, STR), (2, 0), (3, 0)], &[(0, 0), (1, 10)]);
    t.h.put_str(STR, "z");
    t.expect(q, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, status::NO_DESCRIPTOR)]);
    t.expect(q, MB, svc::FN_MB_BIND, &[(1, STR), (2, 0), (3, 0)], &[(0, status::NO_DESCRIPTOR)]);
    // Handle limit: 3 stdio + 2 more.
    t.h.put_str(STR, "y");
    t.expect(q, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, 0), (1, 4)]);
    t.expect(q, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, 0), (1, 5)]);
    t.expect(q, MB, svc::FN_MB_OPEN, &[(1, STR)], &[(0, status::NO_DESCRIPTOR)]);
    let info = t.ex.mailboxes();
    let x = info.iter().find(|m| m.id == 9).unwrap();
    assert_eq!((x.target.as_str(), x.namespace, x.owner, x.capacity), ("app:x", Namespace::App, None, 100));
}

#[test]
fn send_and_immediate_recv_results() {
    let mut t = T::new();
    let p = t.spawn();
    let q = t.spawn();
    let hq = t.open(q, "svc:in@1");
    let hp = t.open(p, "svc:in");
    t.h.put(BUF, b"0123456789");
    let args = [(1, hq), (2, BUF), (3, 10), (4, 0x1_0042), (5, 0x2_0007)];
    t.expect(q, MB, svc::FN_MB_SEND, &args, &[(0, 0), (1, 10)]);
    assert_eq!(t.ex.task_counters(q).sent, 1);
    // PEEK: 1 message, 18 bytes of capacity, next is 10 long.
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, hp)], &[(0, 0), (1, 1), (2, 18), (3, 10)]);
    // RECV with max 4: the rest is discarded.
    t.h.put(RBUF, &[0xEE; 8]);
    let args = [(1, hp), (2, RBUF), (3, 4), (4, 0), (5, INFO)];
    t.expect(p, MB, svc::FN_MB_RECV, &args, &[(0, 0), (1, 4), (2, 0x42), (3, 7), (4, 2)]);
    assert_eq!(t.h.get(RBUF, 8), b"0123\xEE\xEE\xEE\xEE");
    assert_eq!(t.h.info(INFO), [0, 4, 0x42, 7, 2]);
    assert_eq!(t.ex.task_counters(p).received, 1);
    // Nothing left: NO_DATA writes R0, R1 (and the info record).
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, hp)], &[(0, 0), (1, 0), (2, 0), (3, 0)]);
    let args = [(1, hp), (2, RBUF), (3, 4), (4, 0), (5, INFO)];
    t.expect(p, MB, svc::FN_MB_RECV, &args, &[(0, status::NO_DATA), (1, 0)]);
    assert_eq!(t.h.info(INFO), [3, 0, 0, 0, 0]);
    // Info ptr 0: no record.
    t.h.put(INFO, &[0xAB; 20]);
    let args = [(1, hp), (2, RBUF), (3, 4), (4, 0), (5, 0)];
    t.expect(p, MB, svc::FN_MB_RECV, &args, &[(0, status::NO_DATA), (1, 0)]);
    assert_eq!(t.h.get(INFO, 20), &[0xAB; 20]);
}

#[test]
fn status_codes_of_send_recv_peek_tap_close() {
    let mut t = T::new();
    let p = t.spawn();
    t.bind(p, "q", 40, 0);
    let h = t.open(p, "q");
    let ih = status::INVALID_HANDLE;
    t.h.put(BUF, &[7; 40]);
    for f in [svc::FN_MB_SEND, svc::FN_MB_PEEK, svc::FN_MB_TAP, svc::FN_MB_CLOSE] {
        t.expect(p, MB, f, &[(1, 99), (2, BUF), (3, 4)], &[(0, ih)]);
    }
    let args = [(1, 99), (2, RBUF), (3, 4), (4, 0), (5, INFO)];
    t.expect(p, MB, svc::FN_MB_RECV, &args, &[(0, ih)]);
    assert_eq!(t.h.info(INFO), [2, 0, 0, 0, 0]);
    // len + 8 > capacity.
    t.expect(p, MB, svc::FN_MB_SEND, &[(1, h), (2, BUF), (3, 33)], &[(0, status::MSG_TOO_LARGE)]);
    t.expect(p, MB, svc::FN_MB_SEND, &[(1, h), (2, BUF), (3, 32)], &[(0, 0), (1, 32)]);
    // Not enough free capacity: WOULDBLOCK, never blocks.
    let n = t.h.log.len();
    t.expect(p, MB, svc::FN_MB_SEND, &[(1, h), (2, BUF), (3, 1)], &[(0, status::WOULDBLOCK)]);
    assert_eq!(t.h.log.len(), n);
    // A zero-length send succeeds and queues nothing, even on a full queue.
    t.expect(p, MB, svc::FN_MB_SEND, &[(1, h), (2, 0xFFFF), (3, 0)], &[(0, 0), (1, 0)]);
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, h)], &[(0, 0), (1, 1), (2, 40), (3, 32)]);
    assert_eq!(t.ex.task_counters(p).sent, 1);
    // TAP and CLOSE write only R0.
    t.expect(p, MB, svc::FN_MB_TAP, &[(1, h), (2, 1)], &[(0, 0)]);
    t.expect(p, MB, svc::FN_MB_CLOSE, &[(1, h)], &[(0, 0)]);
    t.expect(p, MB, svc::FN_MB_CLOSE, &[(1, h)], &[(0, ih)]);
    // The descriptor stays after CLOSE, with its message.
    let q = t.ex.mailboxes().into_iter().find(|m| m.target == "svc:q@1").unwrap();
    assert_eq!(q.messages.len(), 1);
}

#[test]
fn blocking_recv_then_send_delivers_into_the_waiter() {
    let mut t = T::with(ExecConfig { ticks_per_ms: 3, ..ExecConfig::default() }, 8);
    let p = t.spawn();
    let q = t.spawn();
    let hp = t.open(p, "svc:rx");
    let hq = t.open(q, "svc:rx@1");
    t.h.ticks = 50;
    t.h.put(RBUF, &[0xEE; 8]);
    let args = [(1, hp), (2, RBUF), (3, 6), (4, 100), (5, INFO)];
    t.expect(p, MB, svc::FN_MB_RECV, &args, &[]);
    assert_eq!(t.h.log.last(), Some(&Command::Block { pid: p, wait: WaitKind::Mailbox, deadline: Some(350) }));
    assert_eq!(t.ex.mailboxes().iter().find(|m| m.target == "svc:rx@1").unwrap().waiters, vec![p]);
    let before = t.h.regs(p);
    let r = t.send(q, hq, b"payload", 0x5, 0x9);
    assert_eq!((r[0], r[1]), (0, 7));
    assert_eq!(t.h.log.last(), Some(&Command::Wake { pid: p }));
    let mut want = before;
    want[..5].copy_from_slice(&[0, 6, 5, 9, u32::from(q)]);
    assert_eq!(t.h.regs(p), want);
    assert_eq!(t.h.get(RBUF, 8), b"payloa\xEE\xEE");
    assert_eq!(t.h.info(INFO), [0, 6, 5, 9, 2]);
    assert_eq!(t.ex.task_counters(p).received, 1);
    assert_eq!(t.ex.task_counters(q).sent, 1);
    assert_eq!(t.h.state(p), TaskState::Ready);
    // Delivered, not queued (PEEK is the owner's).
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, hp)], &[(0, 0), (1, 0), (2, 0), (3, 0)]);
    // Timeout 0xFFFF: no deadline.
    t.recv(p, hp, 4, 0xFFFF, 0);
    assert_eq!(t.h.log.last(), Some(&Command::Block { pid: p, wait: WaitKind::Mailbox, deadline: None }));
}

#[test]
fn three_waiters_are_served_in_the_order_they_started_waiting() {
    let mut t = T::new();
    let pids: Vec<u8> = (0..4).map(|_| t.spawn()).collect();
    let sender = pids[0];
    let hs = t.open(sender, "shared:work");
    let mut hs_of = std::collections::BTreeMap::new();
    for &p in &pids[1..] {
        hs_of.insert(p, t.open(p, "shared:work"));
    }
    // Start waiting in the order 3, 2, 4, each with its own buffer and info record.
    for (i, p) in [3u8, 2, 4].into_iter().enumerate() {
        let args = [(1, hs_of[&p]), (2, RBUF + 0x40 * i as u32), (3, 8), (4, 0xFFFF), (5, INFO + 0x20 * i as u32)];
        t.call(p, MB, svc::FN_MB_RECV, &args);
    }
    let w = t.ex.mailboxes().into_iter().find(|m| m.target == "shared:work").unwrap().waiters;
    assert_eq!(w, vec![3, 2, 4]);
    for (i, msg) in [b"first", b"secnd", b"third"].into_iter().enumerate() {
        t.send(sender, hs, msg, i as u32, 0);
    }
    assert_eq!(t.wakes(), vec![3, 2, 4]);
    for (i, (p, msg)) in [(3u8, b"first"), (2, b"secnd"), (4, b"third")].into_iter().enumerate() {
        assert_eq!(t.h.get(RBUF + 0x40 * i as u32, 5), msg);
        assert_eq!(t.h.info(INFO + 0x20 * i as u32), [0, 5, i as u32, 0, 1]);
        assert_eq!(&t.h.regs(p)[..5], &[0, 5, i as u32, 0, 1]);
    }
    // A fourth message finds no waiter and is queued.
    t.send(sender, hs, b"4th", 0, 0);
    assert_eq!(t.wakes().len(), 3);
    let work = t.ex.mailboxes().into_iter().find(|m| m.target == "shared:work").unwrap();
    assert_eq!(work.messages.len(), 1);
}

#[test]
fn recv_timeout_results() {
    let mut t = T::new();
    let p = t.spawn();
    let h = t.open(p, "svc:slow");
    t.h.ticks = 7;
    t.h.put(INFO, &[0xAB; 20]);
    t.h.put(RBUF, &[0xEE; 4]);
    let args = [(1, h), (2, RBUF), (3, 4), (4, 2), (5, INFO)];
    let (before, _) = t.call(p, MB, svc::FN_MB_RECV, &args);
    assert_eq!(t.h.log.last(), Some(&Command::Block { pid: p, wait: WaitKind::Mailbox, deadline: Some(2007) }));
    t.ex.on_timeout(&mut t.h, p);
    assert_eq!(t.h.log.last(), Some(&Command::Wake { pid: p }));
    let mut want = before;
    want[..5].copy_from_slice(&[7, 0, 0, 0, 0]);
    assert_eq!(t.h.regs(p), want);
    assert_eq!(t.h.info(INFO), [7, 0, 0, 0, 0]);
    assert_eq!(t.h.get(RBUF, 4), &[0xEE; 4], "no buffer write on timeout");
    assert_eq!(t.ex.task_counters(p), MailboxCounters { sent: 0, received: 0, timeouts: 1 });
    assert!(t.ex.mailboxes().iter().all(|m| m.waiters.is_empty()));
    // A later send is queued, not delivered to the timed-out task.
    let h2 = t.open(p, "svc:slow");
    t.send(p, h2, b"late", 0, 0);
    assert_eq!(t.wakes(), vec![p]);
}

#[test]
fn fanout_drop_overrun_and_one_send_wakes_every_reader() {
    let mut t = T::new();
    let pub_ = t.spawn();
    let a = t.spawn();
    let b = t.spawn();
    t.bind(pub_, "shared:news", 24, mode::FANOUT); // two 4-byte messages
    let hp = t.open(pub_, "shared:news");
    let ha = t.open(a, "shared:news");
    let hb = t.open(b, "shared:news");
    // Both readers wait; one send wakes both with the same message.
    t.call(a, MB, svc::FN_MB_RECV, &[(1, ha), (2, RBUF), (3, 8), (4, 0xFFFF), (5, 0)]);
    t.call(b, MB, svc::FN_MB_RECV, &[(1, hb), (2, RBUF + 0x40), (3, 8), (4, 0xFFFF), (5, 0)]);
    t.send(pub_, hp, b"m0..", 0, 0);
    assert_eq!(t.wakes(), vec![a, b]);
    assert_eq!(t.h.get(RBUF, 4), b"m0..");
    assert_eq!(t.h.get(RBUF + 0x40, 4), b"m0..");
    assert_eq!(t.ex.mailboxes().iter().find(|m| m.target == "shared:news").unwrap().used, 0);
    // `a` keeps up, `b` falls behind: three sends into room for two drop m1 for b.
    for m in [b"m1..", b"m2..", b"m3.."] {
        let r = t.send(pub_, hp, m, 0x1, 0);
        assert_eq!(r[0], 0, "FANOUT_DROP never refuses");
        let r = t.recv(a, ha, 8, 0, 0);
        assert_eq!((r[0], r[2]), (0, 0x1));
        assert_eq!(t.h.get(RBUF, 4), m);
    }
    let r = t.recv(b, hb, 8, 0, INFO);
    assert_eq!((r[0], r[1], r[2]), (0, 4, 0x1 | u32::from(FLAG_OVERRUN)));
    assert_eq!(t.h.get(RBUF, 4), b"m2..");
    assert_eq!(t.h.info(INFO)[2], 0x9);
    let r = t.recv(b, hb, 8, 0, 0);
    assert_eq!((r[0], r[2]), (0, 0x1), "OVERRUN only on the next message");
    assert_eq!(t.h.get(RBUF, 4), b"m3..");
    let r = t.recv(b, hb, 8, 0, 0);
    assert_eq!((r[0], r[1]), (status::NO_DATA, 0));
    // The publisher only ever sent: it is not a reader and holds nothing.
    let r = t.recv(a, ha, 8, 0, 0);
    assert_eq!(r[0], status::NO_DATA);
    // FANOUT_BLOCK: full queue is WOULDBLOCK.
    t.bind(pub_, "shared:news", 24, mode::FANOUT | mode::FANOUT_BLOCK);
    assert_eq!(t.send(pub_, hp, b"x...", 0, 0)[0], 0);
    assert_eq!(t.send(pub_, hp, b"y...", 0, 0)[0], 0);
    assert_eq!(t.send(pub_, hp, b"z...", 0, 0)[0], status::WOULDBLOCK);
    // A reader opened now sees only later messages.
    let c = t.spawn();
    let hc = t.open(c, "shared:news");
    assert_eq!(t.recv(c, hc, 8, 0, 0)[0], status::NO_DATA);
    assert_eq!(t.recv(a, ha, 8, 0, 0)[0], 0);
}

#[test]
fn tap_sees_every_later_message_without_consuming() {
    let mut t = T::new();
    let p = t.spawn();
    let q = t.spawn();
    let rx = t.open(p, "app:bus");
    let tap = t.open(q, "app:bus");
    let tx = t.open(q, "app:bus");
    t.send(q, tx, b"early", 0, 0);
    t.expect(q, MB, svc::FN_MB_TAP, &[(1, tap), (2, 0xFFFE | 1)], &[(0, 0)]);
    t.send(q, tx, b"late", 3, 4);
    // The tap sees only "late"; the reader still gets both.
    let r = t.recv(q, tap, 16, 0, 0);
    assert_eq!(&r[..5], &[0, 4, 3, 4, 2]);
    assert_eq!(t.h.get(RBUF, 4), b"late");
    assert_eq!(t.recv(q, tap, 16, 0, 0)[0], status::NO_DATA);
    assert_eq!(t.recv(p, rx, 16, 0, 0)[1], 5);
    assert_eq!(t.h.get(RBUF, 5), b"early");
    assert_eq!(t.recv(p, rx, 16, 0, 0)[1], 4);
    // A waiting tap is woken by a send, and the message still goes to the reader queue.
    t.call(q, MB, svc::FN_MB_RECV, &[(1, tap), (2, RBUF), (3, 16), (4, 0xFFFF), (5, 0)]);
    t.send(p, rx, b"again", 0, 0);
    assert_eq!(t.wakes(), vec![q]);
    assert_eq!(&t.h.regs(q)[..2], &[0, 5]);
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, rx)], &[(0, 0), (1, 1), (2, 13), (3, 5)]);
    // TAP off: back to an ordinary handle.
    t.expect(q, MB, svc::FN_MB_TAP, &[(1, tap), (2, 0)], &[(0, 0)]);
    assert_eq!(t.recv(q, tap, 16, 0, 0)[1], 5);
}

#[test]
fn bind_resize_drops_oldest_messages() {
    let mut t = T::new();
    let p = t.spawn();
    let h = t.open(p, "svc:log");
    for m in [b"aaaa", b"bbbb", b"cccc", b"dddd"] {
        assert_eq!(t.send(p, h, m, 0, 0)[0], 0);
    }
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, h)], &[(0, 0), (1, 4), (2, 48), (3, 4)]);
    t.h.put_str(STR, "svc:log");
    t.expect(p, MB, svc::FN_MB_BIND, &[(1, STR), (2, 25), (3, 0)], &[(0, 0), (1, 5)]);
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, h)], &[(0, 0), (1, 2), (2, 24), (3, 4)]);
    t.recv(p, h, 8, 0, 0);
    assert_eq!(t.h.get(RBUF, 4), b"cccc");
    // Capacity 0 = the default.
    t.expect(p, MB, svc::FN_MB_BIND, &[(1, STR), (2, 0x1_0000), (3, 0)], &[(0, 0), (1, 5)]);
    assert_eq!(t.ex.mailboxes().iter().find(|m| m.id == 5).unwrap().capacity, 64);
}

#[test]
fn namespaces_and_ownership() {
    let mut t = T::new();
    let p = t.spawn();
    let q = t.spawn();
    // svc: is private per task.
    let p_x = t.open(p, "svc:x");
    let q_x = t.open(q, "x");
    t.send(p, p_x, b"for p", 0, 0);
    assert_eq!(t.recv(q, q_x, 8, 0, 0)[0], status::NO_DATA);
    // Naming the owner reaches it, to send to it; reading it is the owner's alone.
    let q_px = t.open(q, "x@1");
    assert_eq!(t.recv(q, q_px, 8, 0, 0)[0], status::PERMISSION);
    assert_eq!(t.send(q, q_px, b"from q", 0, 0)[0], status::OK);
    assert_eq!(t.recv(p, p_x, 8, 0, 0)[1], 5);
    assert_eq!(t.recv(p, p_x, 8, 0, 0)[4], u32::from(q));
    // app: and shared: are global.
    let pa = t.open(p, "app:g");
    let qa = t.open(q, "app:g");
    t.send(p, pa, b"app", 0, 0);
    assert_eq!(t.recv(q, qa, 8, 0, 0)[1], 3);
    let ps = t.open(p, "shared:s@1");
    let qs = t.open(q, "shared:s");
    t.send(p, ps, b"sh", 0, 0);
    assert_eq!(t.recv(q, qs, 8, 0, 0)[1], 2);
    // app:name@P is a different descriptor from app:name (and P's to read).
    let pa2 = t.open(p, "app:g@1");
    t.send(p, pa, b"app", 0, 0);
    assert_eq!(t.recv(p, pa2, 8, 0, 0)[0], status::NO_DATA);
    // pid: alone is the caller; pid:N is task N's.
    let p_self = t.open(p, "pid:");
    let q_p1 = t.open(q, "pid:1");
    t.send(q, q_p1, b"hi p", 0, 0);
    assert_eq!(t.recv(p, p_self, 8, 0, 0)[1], 4);
    let ids: Vec<(String, Option<u8>)> = t.ex.mailboxes().into_iter().map(|m| (m.target, m.owner)).collect();
    for want in [
        ("svc:stdio.in@1", Some(1)),
        ("svc:stdio.err@2", Some(2)),
        ("pid:1", Some(1)),
        ("pid:2", Some(2)),
        ("svc:x@1", Some(1)),
        ("svc:x@2", Some(2)),
        ("app:g", None),
        ("app:g@1", Some(1)),
        ("shared:s", None),
    ] {
        assert!(ids.contains(&(want.0.to_string(), want.1)), "{want:?} in {ids:?}");
    }
    assert_eq!(ids.len(), 4 + 4 + 2 + 2 + 1);
}

#[test]
fn stdio_handles_and_descriptors_at_spawn() {
    let mut t = T::new();
    let p = t.spawn();
    let m = t.ex.mailboxes();
    let names: Vec<(u32, &str)> = m.iter().map(|m| (m.id, m.target.as_str())).collect();
    assert_eq!(names, vec![(1, "svc:stdio.in@1"), (2, "svc:stdio.out@1"), (3, "svc:stdio.err@1"), (4, "pid:1")]);
    assert_eq!(m[0].handles, vec![(1, 1)]);
    assert_eq!(m[1].handles, vec![(1, 2)]);
    assert_eq!(m[2].handles, vec![(1, 3)]);
    assert!(m[3].handles.is_empty());
    t.send(p, 2, b"out", 0, 0);
    let m = t.ex.mailboxes();
    assert_eq!(m[1].messages[0].bytes, b"out");
    assert_eq!(m[1].messages[0].src, 1);
}

#[test]
fn recv_buffer_checks_do_nothing_on_failure() {
    let mut t = T::new();
    let p = t.spawn();
    let q = t.spawn();
    let h = t.open(p, "svc:m");
    t.send(p, h, b"keep me", 0, 0);
    let (lim_q, _) = t.ex.arena_of(q).unwrap();
    let ie = status::INTERNAL_ERROR;
    for (buf, max, info) in [
        (0x1010, 8, 0),       // buffer in the window region
        (lim_q, 8, 0),        // buffer in another task's stack
        (0xFFFC, 8, 0),       // buffer past 0xFFFF
        (RBUF, 8, 0x1100),    // info record in the window region
        (RBUF, 8, 0xFFF0),    // info record past 0xFFFF
        (RBUF, 8, lim_q + 8), // info record in another task's stack
    ] {
        let mem = t.h.dmem.clone();
        let args = [(1, h), (2, buf), (3, max), (4, 0xFFFF), (5, info)];
        let (before, after) = t.call(p, MB, svc::FN_MB_RECV, &args);
        let mut want = before;
        want[0] = ie;
        assert_eq!(after, want, "buf {buf:#x} info {info:#x}");
        // Only R0 of the window changed.
        let mut mem_want = mem.clone();
        let base = isa::window_of(p) as usize;
        mem_want[base..base + 64].copy_from_slice(&t.h.dmem[base..base + 64]);
        assert_eq!(t.h.dmem, mem_want, "no other write");
    }
    // The message is still queued and nothing blocked.
    assert!(!t.h.log.iter().any(|c| matches!(c, Command::Block { .. })));
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, h)], &[(0, 0), (1, 1), (2, 15), (3, 7)]);
    // A zero-length buffer passes anywhere.
    let r = t.recv(p, h, 0, 0, 0);
    assert_eq!((r[0], r[1]), (0, 0));
    // SEND from a forbidden buffer.
    let args = [(1, h), (2, 0x1000), (3, 4), (4, 0), (5, 0)];
    t.expect(p, MB, svc::FN_MB_SEND, &args, &[(0, ie)]);
    // Protection off: another task's stack is a buffer like any other.
    t.h.protect = false;
    t.send(p, h, b"xyz", 0, 0);
    let r = t.recv(p, h, 8, 0, 0);
    let _ = r;
    t.send(p, h, b"xyz", 0, 0);
    let args = [(1, h), (2, lim_q), (3, 8), (4, 0), (5, 0)];
    let (_, r) = t.call(p, MB, svc::FN_MB_RECV, &args);
    assert_eq!((r[0], r[1]), (0, 3));
    assert_eq!(t.h.get(lim_q, 3), b"xyz");
}

#[test]
fn kill_destroys_owned_descriptors_and_frees_waiters_of_others() {
    let mut t = T::new();
    let p = t.spawn();
    let q = t.spawn();
    t.open(p, "svc:priv");
    t.open(p, "app:keep@1");
    t.open(p, "shared:keep");
    let qh = t.open(q, "svc:priv@1");
    // q cannot wait on p's private mailbox (only its owner reads it) ...
    assert_eq!(t.recv(q, qh, 8, 0xFFFF, 0)[0], status::PERMISSION);
    // ... so q waits on a shared one p has open, and p waits on its own private one.
    let qs = t.open(q, "shared:keep");
    t.call(q, MB, svc::FN_MB_RECV, &[(1, qs), (2, RBUF), (3, 8), (4, 0xFFFF), (5, INFO)]);
    let ph = t.open(p, "svc:priv");
    t.call(p, MB, svc::FN_MB_RECV, &[(1, ph), (2, RBUF), (3, 8), (4, 0xFFFF), (5, 0)]);
    let before_q = t.h.regs(q);
    t.ex.kill(&mut t.h, p).unwrap();
    assert_eq!(t.h.state(p), TaskState::Empty);
    let names: Vec<String> = t.ex.mailboxes().into_iter().map(|m| m.target).collect();
    assert_eq!(
        names,
        vec!["svc:stdio.in@2", "svc:stdio.out@2", "svc:stdio.err@2", "pid:2", "app:keep@1", "shared:keep"]
    );
    let m = t.ex.mailboxes();
    assert!(m.iter().all(|m| m.handles.iter().all(|h| h.0 != p)));
    // p's own wait is dropped; q still waits on the global descriptor, untouched.
    let keep = m.iter().find(|m| m.target == "shared:keep").unwrap();
    assert_eq!(keep.waiters, vec![q]);
    assert!(t.wakes().is_empty());
    assert_eq!(t.h.regs(q), before_q);
    // q's handle on the destroyed descriptor is gone.
    assert_eq!(t.recv(q, qh, 8, 0, 0)[0], status::INVALID_HANDLE);
    assert_eq!(t.ex.kill(&mut t.h, 9), Err(ExecError::NoSuchPid(9)));
    assert_eq!(t.ex.kill(&mut t.h, 0), Err(ExecError::NoSuchPid(0)));
}

#[test]
fn only_the_owner_may_recv_peek_tap_or_bind() {
    let mut t = T::new();
    let p = t.spawn();
    let q = t.spawn();
    let mine = t.open(p, "svc:priv");
    t.send(p, mine, b"secret", 0, 0);
    let perm = status::PERMISSION;
    // q opens p's private descriptor, its pid: descriptor, its stdio.in and an app: one
    // p owns; it may send to each (that is how a task feeds another's stdin) ...
    for target in ["svc:priv@1", "pid:1", "svc:stdio.in@1", "app:inbox@1"] {
        let h = t.open(q, target);
        assert_eq!(t.send(q, h, b"hi", 0, 0)[0], status::OK, "{target}");
        // ... but every read is PERMISSION in R0 alone: no copy, no info record, no block,
        // the queue untouched, the handle not made a reader.
        let queued = |t: &T| t.ex.mailboxes().into_iter().find(|m| m.handles.contains(&(q, h as u16))).unwrap();
        let before = queued(&t);
        let mem = t.h.dmem.clone();
        let log = t.h.log.len();
        for timeout in [0, 3, 0xFFFF] {
            let args = [(1, h), (2, RBUF), (3, 16), (4, timeout), (5, INFO)];
            t.expect(q, MB, svc::FN_MB_RECV, &args, &[(0, perm)]);
        }
        t.expect(q, MB, svc::FN_MB_PEEK, &[(1, h)], &[(0, perm)]);
        t.expect(q, MB, svc::FN_MB_TAP, &[(1, h), (2, 1)], &[(0, perm)]);
        t.h.put_str(STR, target);
        t.expect(q, MB, svc::FN_MB_BIND, &[(1, STR), (2, 9), (3, u32::from(mode::FANOUT))], &[(0, perm)]);
        let base = isa::window_of(q) as usize;
        let mut want = mem.clone();
        want[base..base + 64].copy_from_slice(&t.h.dmem[base..base + 64]);
        want[STR as usize..STR as usize + 33].copy_from_slice(&t.h.dmem[STR as usize..STR as usize + 33]);
        assert_eq!(t.h.dmem, want, "{target}: only R0 of q changed");
        assert_eq!(t.h.log.len(), log, "{target}: no command (no block)");
        assert_eq!(queued(&t), before, "{target}: descriptor untouched");
        assert_eq!(t.h.state(q), TaskState::Ready);
    }
    // BIND by a non-owner creates nothing either.
    let n = t.ex.live_descriptor_count();
    t.h.put_str(STR, "app:later@1");
    t.expect(q, MB, svc::FN_MB_BIND, &[(1, STR), (2, 0), (3, 0)], &[(0, perm)]);
    t.h.put_str(STR, "svc:other@1");
    t.expect(q, MB, svc::FN_MB_BIND, &[(1, STR), (2, 0), (3, 0)], &[(0, perm)]);
    assert_eq!(t.ex.live_descriptor_count(), n);
    // The owner reads everything that was sent, sender pid 2 included.
    let r = t.recv(p, mine, 16, 0, INFO);
    assert_eq!((r[0], r[1]), (status::OK, 6));
    assert_eq!(t.h.get(RBUF, 6), b"secret");
    let r = t.recv(p, mine, 16, 0, 0);
    assert_eq!((r[0], r[1], r[4]), (status::OK, 2, u32::from(q)));
    let own_pid = t.open(p, "pid:");
    t.expect(p, MB, svc::FN_MB_PEEK, &[(1, own_pid)], &[(0, 0), (1, 1), (2, 10), (3, 2)]);
    t.h.put_str(STR, "svc:priv");
    t.expect(p, MB, svc::FN_MB_BIND, &[(1, STR), (2, 32), (3, 0)], &[(0, 0), (1, 9)]);
    t.expect(p, MB, svc::FN_MB_TAP, &[(1, own_pid), (2, 1)], &[(0, 0)]);
    // CLOSE of one's own handle is always allowed.
    let h = t.open(q, "svc:priv@1");
    t.expect(q, MB, svc::FN_MB_CLOSE, &[(1, h)], &[(0, 0)]);
    // Ownerless descriptors are open to all.
    for target in ["app:open", "shared:open"] {
        let hp = t.open(p, target);
        let hq = t.open(q, target);
        t.send(p, hp, b"all", 0, 0);
        t.expect(q, MB, svc::FN_MB_PEEK, &[(1, hq)], &[(0, 0), (1, 1), (2, 11), (3, 3)]);
        assert_eq!(t.recv(q, hq, 8, 0, 0)[1], 3);
        t.h.put_str(STR, target);
        let (_, r) = t.call(q, MB, svc::FN_MB_BIND, &[(1, STR), (2, 32), (3, 0)]);
        assert_eq!(r[0], status::OK, "{target}");
    }
    // The host is not checked: it posts into p's private descriptor.
    let id = t.ex.mailboxes().into_iter().find(|m| m.target == "svc:priv@1").unwrap().id;
    assert_eq!(t.ex.host_send(&mut t.h, id, b"from host", 0, 0), Ok(()));
}

#[test]
fn mailbox_checks_go_handle_then_ownership_then_buffers() {
    let mut t = T::new();
    let p = t.spawn();
    let q = t.spawn();
    let (lim_p, _) = t.ex.arena_of(p).unwrap();
    let theirs = t.open(q, "svc:box@1");
    let own = t.open(q, "svc:box");
    t.send(q, own, b"queued", 0, 0);
    let (ih, perm, ie) = (status::INVALID_HANDLE, status::PERMISSION, status::INTERNAL_ERROR);
    // Bad buffers everywhere: the reserved area, a window, another task's stack.
    for (buf, info) in [(0x0100, 0x0200), (0x1010, 0x1100), (lim_p, lim_p + 0x40), (0xFFFC, 0x0FF0)] {
        let mem = t.h.dmem.clone();
        // RECV: an invalid handle wins over the buffers; its info record is not written
        // through a pointer the task could not write itself.
        t.expect(q, MB, svc::FN_MB_RECV, &[(1, 99), (2, buf), (3, 8), (4, 0), (5, info)], &[(0, ih)]);
        // A handle on another task's descriptor: PERMISSION wins over the buffers.
        t.expect(q, MB, svc::FN_MB_RECV, &[(1, theirs), (2, buf), (3, 8), (4, 0xFFFF), (5, info)], &[(0, perm)]);
        // Its own handle: now the buffers count.
        t.expect(q, MB, svc::FN_MB_RECV, &[(1, own), (2, buf), (3, 8), (4, 0xFFFF), (5, info)], &[(0, ie)]);
        // SEND: handle, then the payload buffer.
        t.expect(q, MB, svc::FN_MB_SEND, &[(1, 99), (2, buf), (3, 4)], &[(0, ih)]);
        t.expect(q, MB, svc::FN_MB_SEND, &[(1, theirs), (2, buf), (3, 4)], &[(0, ie)]);
        let base = isa::window_of(q) as usize;
        let mut want = mem.clone();
        want[base..base + 64].copy_from_slice(&t.h.dmem[base..base + 64]);
        assert_eq!(t.h.dmem, want, "buf {buf:#x} info {info:#x}: only q's R0 written");
    }
    // The info record of an INVALID_HANDLE RECV is written where the task may write.
    t.h.put(INFO, &[0xAB; 20]);
    t.expect(q, MB, svc::FN_MB_RECV, &[(1, 99), (2, 0x0100), (3, 8), (4, 0), (5, INFO)], &[(0, ih)]);
    assert_eq!(t.h.info(INFO), [ih, 0, 0, 0, 0]);
    // OPEN / BIND: the target string first (in the reserved area: INTERNAL_ERROR), then
    // ownership.
    t.h.put_str(0x0800, "svc:box@1");
    t.expect(q, MB, svc::FN_MB_OPEN, &[(1, 0x0800)], &[(0, ie)]);
    t.expect(q, MB, svc::FN_MB_BIND, &[(1, 0x0800), (2, 0), (3, 0)], &[(0, ie)]);
    assert!(!t.h.log.iter().any(|c| matches!(c, Command::Block { .. })));
    assert_eq!(t.ex.mailboxes().into_iter().find(|m| m.target == "svc:box@2").unwrap().messages.len(), 1);
    // With protection off only the end of memory counts: the reserved area is a buffer.
    t.h.protect = false;
    t.h.put(0x0100, b"low!");
    t.expect(q, MB, svc::FN_MB_SEND, &[(1, theirs), (2, 0x0100), (3, 4)], &[(0, 0), (1, 4)]);
    t.expect(
        q,
        MB,
        svc::FN_MB_RECV,
        &[(1, own), (2, 0x0200), (3, 8), (4, 0), (5, 0)],
        &[(0, 0), (1, 6), (2, 0), (3, 0), (4, 2)],
    );
    assert_eq!(t.h.get(0x0200, 6), b"queued");
    t.expect(q, MB, svc::FN_MB_RECV, &[(1, theirs), (2, 0x0200), (3, 8), (4, 0), (5, 0)], &[(0, perm)]);
}

#[test]
fn a_spawn_zeroes_its_whole_arena() {
    let mut t = T::new();
    let img = t.img;
    let sz = |s| SpawnOptions { stack_size: Some(s), slice: None };
    let a = t.ex.spawn(&mut t.h, img, 0, sz(0x400)).unwrap();
    let b = t.ex.spawn(&mut t.h, img, 0, sz(0x400)).unwrap();
    let (lo_a, hi_a) = t.ex.arena_of(a).unwrap();
    let (lo_b, hi_b) = t.ex.arena_of(b).unwrap();
    // a fills its arena; free memory below the allocation point is dirty too (tasks may
    // write there: it is shared).
    t.h.dmem[lo_a as usize..hi_a as usize].fill(0xA5);
    t.h.dmem[lo_b as usize..hi_b as usize].fill(0xB6);
    t.h.dmem[0x8000..lo_b as usize].fill(0xC7);
    t.ex.kill(&mut t.h, a).unwrap();
    // The reused arena (carved from the top of a's freed block) is all zero, and only it
    // was written: the rest of a's old block and b's arena keep their bytes.
    let c = t.ex.spawn(&mut t.h, img, 0, sz(0x100)).unwrap();
    let (lo_c, hi_c) = t.ex.arena_of(c).unwrap();
    assert_eq!((lo_c, hi_c), (hi_a - 0x100, hi_a));
    assert!(t.h.get(lo_c, 0x100).iter().all(|&x| x == 0), "reused arena zeroed");
    assert!(t.h.get(lo_a, 0x300).iter().all(|&x| x == 0xA5), "the rest of the free block untouched");
    assert!(t.h.get(lo_b, 0x400).iter().all(|&x| x == 0xB6), "b's arena untouched");
    assert_eq!(t.h.regs(c)[15], hi_c);
    // A fresh arena below the point, over dirty free memory, is zeroed too.
    let d = t.ex.spawn(&mut t.h, img, 0, sz(0x1000)).unwrap();
    let (lo_d, hi_d) = t.ex.arena_of(d).unwrap();
    assert_eq!(hi_d, lo_b);
    assert!(t.h.get(lo_d, 0x1000).iter().all(|&x| x == 0), "fresh arena zeroed");
    assert_eq!(t.h.dmem[lo_d as usize - 1], 0xC7, "nothing below it");
    // A refused spawn writes no arena byte.
    t.h.dmem[0x7000..0x7010].fill(0xEE);
    let huge = SpawnOptions { stack_size: Some(0xA000), slice: None };
    assert!(t.ex.spawn(&mut t.h, img, 0, huge).is_err());
    assert_eq!(t.h.get(0x7000, 0x10), &[0xEE; 0x10]);
}

#[test]
fn console_survives_kill_until_the_slot_is_reused() {
    let mut t = T::new();
    let p = t.spawn();
    t.h.put(0x4000, b"bye");
    t.call(p, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x4000), (2, 3)]);
    t.ex.kill(&mut t.h, p).unwrap();
    assert_eq!(t.ex.console(p), b"bye");
    assert_eq!(t.spawn(), p);
    assert_eq!(t.ex.console(p), b"");
}

/// A console sink recording every call (shared with the test).
#[derive(Clone, Default)]
struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl ConsoleSink for Recorder {
    fn write(&mut self, pid: u8, stream: Stream, bytes: &[u8]) {
        self.0.lock().unwrap().push(format!("{pid} {stream:?} {}", String::from_utf8_lossy(bytes)));
    }
    fn end_task(&mut self, pid: u8) {
        self.0.lock().unwrap().push(format!("{pid} ended"));
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap().push("finish".into());
        Ok(())
    }
}

#[test]
fn console_bytes_reach_the_sink_as_they_are_written() {
    let mut t = T::new();
    let rec = Recorder::default();
    assert!(t.ex.set_console_sink(Some(Box::new(rec.clone()))).is_none());
    let (p, q) = (t.spawn(), t.spawn());
    t.h.put(0x4000, b"hi\nthere");
    t.call(p, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x4000), (2, 3)]);
    t.call(q, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x4003), (2, 5)]);
    t.call(p, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x4000), (2, 0)]); // nothing to hand on
                                                                          // the one call anything else that prints uses (e.g. svc:stdio.err)
    t.ex.console_write(q, Stream::Err, b"oops");
    t.ex.console_write(0, Stream::Out, b"no such task");
    t.ex.console_write(200, Stream::Out, b"nor this");
    assert_eq!(*rec.0.lock().unwrap(), ["1 Out hi\n", "2 Out there", "2 Err oops"]);
    // both streams are the task's console
    assert_eq!(t.ex.console(q), b"thereoops");
    // a clone does not deliver twice, but keeps the consoles
    let mut copy = t.ex.clone();
    copy.console_write(p, Stream::Out, b"x");
    assert_eq!(rec.0.lock().unwrap().len(), 3);
    assert_eq!(copy.console(p), b"hi\nx");
    // respawning a slot that printed ends its console; one that did not, silently
    t.ex.kill(&mut t.h, p).unwrap();
    assert_eq!(t.spawn(), p);
    t.ex.finish_console().unwrap();
    assert_eq!(rec.0.lock().unwrap()[3..], ["1 ended", "finish"]);
    assert!(t.ex.set_console_sink(None).is_some());
}

#[test]
fn the_executive_keeps_a_bounded_tail_and_counts_everything() {
    let mut t = T::with(ExecConfig { console_tail: 10, ..ExecConfig::default() }, 8);
    let p = t.spawn();
    let rec = Recorder::default();
    t.ex.set_console_sink(Some(Box::new(rec.clone())));
    t.h.put(0x4000, b"0123456789abcdef");
    for _ in 0..1000 {
        t.call(p, svc::MOD_TASK, svc::FN_UART_WRITE, &[(1, 0x4000), (2, 16)]);
    }
    let log = t.ex.console_log(p).unwrap();
    assert_eq!((log.total(), log.omitted(), log.tail()), (16_000, 15_990, &b"6789abcdef"[..]));
    assert_eq!(t.ex.console(p), b"6789abcdef");
    // the sink saw every byte
    assert_eq!(rec.0.lock().unwrap().len(), 1000);
}

// ---------------------------------------------------------------- spawn, arenas, images

#[test]
fn spawn_sets_up_window_arena_and_context() {
    let mut t = T::new();
    t.h.put(0x1000, &[0x55; 128]);
    let o = SpawnOptions { stack_size: Some(0x100), slice: Some(3) };
    let p = t.ex.spawn(&mut t.h, t.img, 8, o).unwrap();
    assert_eq!(p, 1);
    let mut want = [0u32; 16];
    want[15] = 0xFFFC;
    assert_eq!(t.h.regs(1), want);
    assert_eq!(t.h.get(0x1040, 4), &[0x55; 4], "only its own window is touched");
    assert_eq!(
        t.h.log[0],
        Command::Spawn {
            pid: 1,
            ctx: SpawnContext {
                pc: 8,
                sp: 0xFFFC,
                reg_base: 0x1000,
                stack_limit: 0xFEFC,
                stack_top: 0xFFFC,
                code_base: 0,
                code_size: 32,
                slice: 3,
            }
        }
    );
    assert_eq!(t.h.srl, 0xFEFC);
    let q = t.spawn();
    assert_eq!((q, t.h.slots[1].reg_base, t.h.slots[1].stack_top), (2, 0x1040, 0xFEFC));
    assert_eq!(t.h.srl, 0xEEFC);
    assert_eq!(t.h.regs(2)[15], 0xFEFC);
    // Killing the lower one does not raise stack_region_lo (the lowest ever handed out).
    t.ex.kill(&mut t.h, q).unwrap();
    assert_eq!(t.h.srl, 0xEEFC);
}

#[test]
fn spawn_refusals_change_nothing() {
    let mut t = T::with(ExecConfig::default(), 2);
    let img = t.img;
    let e = |r: Result<u8, ExecError>| r.unwrap_err();
    let o = SpawnOptions::default();
    assert!(matches!(e(t.ex.spawn(&mut t.h, img, 2, o)), ExecError::BadEntry { .. }));
    assert!(matches!(e(t.ex.spawn(&mut t.h, img, 32, o)), ExecError::BadEntry { .. }));
    assert_eq!(e(t.ex.spawn(&mut t.h, 5, 0, o)), ExecError::NoSuchImage(5));
    for s in [0, 12, 18, 0x1002] {
        let o = SpawnOptions { stack_size: Some(s), ..o };
        assert_eq!(e(t.ex.spawn(&mut t.h, img, 0, o)), ExecError::BadStackSize(s));
    }
    let o0 = SpawnOptions { slice: Some(0), ..o };
    assert_eq!(e(t.ex.spawn(&mut t.h, img, 0, o0)), ExecError::ZeroSlice);
    // An arena that would reach into the image's data.
    let big = SpawnOptions { stack_size: Some(0xB000), ..o };
    let msg = e(t.ex.spawn(&mut t.h, img, 0, big)).to_string();
    assert!(msg.contains("stack arena 0x4ffc-0xfffb of pid 1"), "{msg}");
    assert!(msg.contains("image 'app' data/bss 0x4000-0x4fff"), "{msg}");
    assert!(msg.contains("0x4ffc-0x4fff"), "{msg}");
    // Too large for what is left below the point.
    let huge = SpawnOptions { stack_size: Some(0x10000), ..o };
    assert!(matches!(e(t.ex.spawn(&mut t.h, img, 0, huge)), ExecError::NoStackSpace { .. }));
    assert!(t.h.log.is_empty());
    assert_eq!(t.h.srl, 0x10000);
    assert_eq!((t.ex.alloc_point(), t.ex.live_descriptor_count()), (0xFFFC, 0));
    t.spawn();
    t.spawn();
    assert_eq!(e(t.ex.spawn(&mut t.h, img, 0, o)), ExecError::NoFreeSlot(2));
}

#[test]
fn arena_overlapping_the_window_region_is_refused() {
    let mut h = MockHost::new(8);
    let mut ex = Executive::new(ExecConfig::default());
    let img = ex.load_image(&mut h, "tiny", &image(1, 0x1200, &[], 0)).unwrap();
    let o = SpawnOptions { stack_size: Some(0xEE00), slice: None };
    let msg = ex.spawn(&mut h, img, 0, o).unwrap_err().to_string();
    assert!(msg.contains("the register-window region 0x1000-0x11ff"), "{msg}");
    let o = SpawnOptions { stack_size: Some(0xF000), slice: None };
    let msg = ex.spawn(&mut h, img, 0, o).unwrap_err().to_string();
    assert!(msg.contains("reserved area 0x0000-0x0fff"), "{msg}");
    let o = SpawnOptions { stack_size: Some(0xEDFC), slice: None };
    assert_eq!(ex.spawn(&mut h, img, 0, o), Ok(1));
}

#[test]
fn arena_reuse_is_highest_fit_from_the_top() {
    let mut t = T::new();
    let sz = |s| SpawnOptions { stack_size: Some(s), slice: None };
    let img = t.img;
    let sp = |t: &mut T, s| t.ex.spawn(&mut t.h, img, 0, sz(s)).unwrap();
    let a = sp(&mut t, 0x1000); // EFFC..FFFC
    let b = sp(&mut t, 0x1000); // DFFC..EFFC
    let c = sp(&mut t, 0x2000); // BFFC..DFFC
    let d = sp(&mut t, 0x100); // BEFC..BFFC
    t.ex.kill(&mut t.h, a).unwrap();
    t.ex.kill(&mut t.h, c).unwrap();
    assert_eq!(t.ex.arena_free_list(), vec![(0xBFFC, 0xDFFC), (0xEFFC, 0xFFFC)]);
    let e = sp(&mut t, 0x800);
    assert_eq!(e, a, "lowest EMPTY pid");
    assert_eq!(t.ex.arena_of(e), Some((0xF7FC, 0xFFFC)));
    assert_eq!(t.h.slots[e as usize - 1].stack_top, 0xFFFC);
    let f = sp(&mut t, 0x1000);
    assert_eq!(t.ex.arena_of(f), Some((0xCFFC, 0xDFFC)));
    let g = sp(&mut t, 0x1800);
    assert_eq!(t.ex.arena_of(g), Some((0xA6FC, 0xBEFC)));
    assert_eq!(t.ex.alloc_point(), 0xA6FC);
    assert_eq!(t.h.srl, 0xA6FC);
    // Kill everything: the free list coalesces back to nothing.
    for p in [b, d, e, f, g] {
        t.ex.kill(&mut t.h, p).unwrap();
    }
    assert_eq!(t.ex.arena_free_list(), vec![]);
    assert_eq!(t.ex.alloc_point(), 0xFFFC);
}

#[test]
fn ten_thousand_spawn_kill_cycles_leak_nothing() {
    let mut t = T::new();
    let img = t.img;
    let keep = t.spawn();
    let base_desc = t.ex.live_descriptor_count();
    let mut live: Vec<u8> = Vec::new();
    for i in 0..10_000u32 {
        let size = 0x100 + 0x40 * (i % 7);
        let o = SpawnOptions { stack_size: Some(size), slice: None };
        let p = t.ex.spawn(&mut t.h, img, 0, o).unwrap();
        let h = t.open(p, "svc:tmp");
        t.open(p, "app:global");
        t.send(p, h, b"junk", 0, 0);
        live.push(p);
        if live.len() == 3 || i % 5 == 0 {
            // Kill in a scrambled order.
            while !live.is_empty() {
                let q = if i % 2 == 0 { live.pop().unwrap() } else { live.remove(0) };
                t.ex.kill(&mut t.h, q).unwrap();
            }
        }
    }
    for q in live {
        t.ex.kill(&mut t.h, q).unwrap();
    }
    assert_eq!(t.ex.arena_free_list(), vec![]);
    assert_eq!(t.ex.alloc_point(), 0xEFFC, "only `keep`'s arena remains");
    assert_eq!(t.ex.live_descriptor_count(), base_desc + 1, "plus app:global");
    let m = t.ex.mailboxes();
    assert!(m.iter().all(|m| m.handles.iter().all(|h| h.0 == keep)));
    // Descriptor ids are never reused: 10 000 tasks created 5 each.
    assert!(t.bind(keep, "app:fresh", 0, 0) > 50_000);
}

#[test]
fn load_image_places_code_data_and_bss() {
    let mut h = MockHost::new(8);
    let mut ex = Executive::new(ExecConfig::default());
    h.dmem[0x5000..0x5100].fill(0x77);
    let a = ex.load_image(&mut h, "a", &image(3, 0x5000, b"DATA", 0x10)).unwrap();
    let b = ex.load_image(&mut h, "b", &image(2, 0x6000, b"", 0)).unwrap();
    assert_eq!((a, b), (0, 1));
    let ia = ex.image(a).clone();
    let got = (ia.code_base, ia.code_size, ia.data_lo, ia.data_hi, ia.data_len);
    assert_eq!(got, (0, 12, 0x5000, 0x5014, 4));
    assert_eq!((ex.image(b).code_base, ex.image(b).code_size), (12, 8));
    assert_eq!(&h.code[..12], &image(3, 0, b"", 0).code[..]);
    assert_eq!(&h.code[12..20], &image(2, 0, b"", 0).code[..]);
    assert_eq!(&h.dmem[0x5000..0x5004], b"DATA");
    assert_eq!(&h.dmem[0x5004..0x5014], &[0; 16]);
    assert_eq!(h.dmem[0x5014], 0x77, "nothing past .bss");
    // An image with no data/bss overlaps nothing.
    ex.load_image(&mut h, "c", &image(1, 0x0000, b"", 0)).unwrap();
}

#[test]
fn load_image_refusals_name_both_sides_and_change_nothing() {
    let mut h = MockHost::new(8);
    let mut ex = Executive::new(ExecConfig::default());
    ex.load_image(&mut h, "first.hxe", &image(4, 0x4000, &[1; 0x80], 0x80)).unwrap();
    let snapshot = (h.dmem.clone(), h.code.clone());
    let err = |ex: &mut Executive, h: &mut MockHost, img: Image| {
        ex.load_image(h, "second.hxe", &img).unwrap_err().to_string()
    };
    let m = err(&mut ex, &mut h, image(4, 0x40F0, &[2; 0x20], 0));
    assert_eq!(
        m,
        "image 'second.hxe' data/bss 0x40f0-0x410f overlaps image 'first.hxe' data/bss \
         0x4000-0x40ff: bytes 0x40f0-0x40ff"
    );
    let m = err(&mut ex, &mut h, image(4, 0x0F00, &[2; 0x20], 0x100));
    assert!(m.contains("reserved area 0x0000-0x0fff: bytes 0x0f00-0x0fff"), "{m}");
    let m = err(&mut ex, &mut h, image(4, 0x11F0, &[2; 0x20], 0));
    assert!(m.contains("register-window region 0x1000-0x11ff: bytes 0x11f0-0x11ff"), "{m}");
    let m = err(&mut ex, &mut h, image(4, 0xFFF0, &[2; 0x20], 0));
    assert!(m.contains("runs past the end of data memory"), "{m}");
    let m = err(&mut ex, &mut h, image(0x4000, 0x8000, &[], 0));
    assert!(m.contains("do not fit in code space"), "{m}");
    let mut odd = image(1, 0x8000, &[], 0);
    odd.code.push(0);
    assert!(err(&mut ex, &mut h, odd).contains("not a multiple of 4"));
    // A live arena and the stack region.
    let p = ex.spawn(&mut h, 0, 0, SpawnOptions::default()).unwrap();
    let m = err(&mut ex, &mut h, image(1, 0xEFF0, &[], 0x20));
    assert!(m.contains(&format!("the stack arena of pid {p} 0xeffc-0xfffb")), "{m}");
    ex.kill(&mut h, p).unwrap();
    let m = err(&mut ex, &mut h, image(1, 0xEFF0, &[], 0x20));
    assert!(m.contains("the stack region 0xeffc-0xffff"), "{m}");
    assert_eq!(ex.images().len(), 1);
    h.dmem[0x1000..0x1040].fill(0); // the spawn wrote a window; nothing else changed
    assert!(h.dmem == snapshot.0 && h.code == snapshot.1);
    // Code space fills exactly.
    let last = ex.load_image(&mut h, "fill", &image(0x4000 - 4, 0x8000, &[], 0)).unwrap();
    assert_eq!(ex.image(last).code_base + ex.image(last).code_size, 0x10000);
}

#[test]
fn timeouts_and_kills_of_unrelated_pids_are_harmless() {
    let mut t = T::new();
    let p = t.spawn();
    // A timeout event for a task the executive knows no wait of: just WAKE.
    t.ex.on_timeout(&mut t.h, p);
    assert_eq!(t.h.log.last(), Some(&Command::Wake { pid: p }));
    let n = t.h.log.len();
    t.ex.on_timeout(&mut t.h, 0);
    t.ex.on_timeout(&mut t.h, 200);
    t.ex.on_svc(&mut t.h, 0, 0, 0);
    t.ex.on_svc(&mut t.h, 9, 0, 0);
    assert_eq!(t.h.log.len(), n);
    assert_eq!(t.ex.console(200), b"");
    assert_eq!(t.ex.task_counters(200), MailboxCounters::default());
}

#[test]
fn host_send_into_stdio_in_wakes_a_waiting_task() {
    let mut t = T::new();
    let p = t.spawn();
    // Handle 1 is svc:stdio.in (descriptor 1).
    t.call(p, MB, svc::FN_MB_RECV, &[(1, 1), (2, RBUF), (3, 16), (4, 0xFFFF), (5, 0)]);
    assert_eq!(t.ex.host_send(&mut t.h, 1, b"typed\n", 0, 0), Ok(()));
    assert_eq!(t.wakes(), vec![p]);
    assert_eq!(&t.h.regs(p)[..5], &[0, 6, 0, 0, 0]);
    assert_eq!(t.h.get(RBUF, 6), b"typed\n");
    assert_eq!(t.ex.host_send(&mut t.h, 1, &[0; 57], 0, 0), Err(status::MSG_TOO_LARGE));
    assert_eq!(t.ex.host_send(&mut t.h, 99, b"x", 0, 0), Err(status::INVALID_HANDLE));
    assert_eq!(t.ex.host_send(&mut t.h, 1, &[0; 56], 0, 0), Ok(()));
    assert_eq!(t.ex.host_send(&mut t.h, 1, b"x", 0, 0), Err(status::WOULDBLOCK));
    assert_eq!(t.ex.mailboxes()[0].messages[0].src, 0);
}
