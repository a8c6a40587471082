//! SVC service (executive.md "SVC table" and "Mailboxes"): argument registers read from the
//! trapping task's window, results written back there, buffers checked like the task's own
//! accesses. Every call writes only the registers its row names.

use isa::{fault, svc, Command, Slot, WaitKind, DATA_SIZE};

use super::mailbox::{self, parse_target, status, Message, Waiter, TARGET_MAX};
use super::{n_tasks, valid_pid, window_region, Executive, Host, Wait};

/// Size of the RECV info record `{i32 status, i32 length, u32 flags, u32 channel, u32 src}`.
pub const INFO_BYTES: u32 = 20;

/// The low 16 bits of a register argument.
#[inline]
fn arg(v: u32) -> u32 {
    v & 0xFFFF
}

/// Read registers `first..first + out.len()` of the window at `base` (one host access).
fn read_regs<H: Host>(host: &mut H, base: u32, first: u8, out: &mut [u32]) {
    let mut b = [0u8; 64];
    let n = 4 * out.len();
    host.read_data(base + 4 * u32::from(first), &mut b[..n]);
    for (i, v) in out.iter_mut().enumerate() {
        *v = u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    }
}

/// Write registers `first..first + vals.len()` of the window at `base` (one host access).
fn write_regs<H: Host>(host: &mut H, base: u32, first: u8, vals: &[u32]) {
    let mut b = [0u8; 64];
    for (i, v) in vals.iter().enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    host.write_data(base + 4 * u32::from(first), &b[..4 * vals.len()]);
}

/// A window a host access may touch (`reg_base` of a sane slot).
fn window_ok(base: u32) -> bool {
    base <= DATA_SIZE as u32 - 64
}

fn write_info<H: Host>(host: &mut H, addr: u32, rec: [u32; 5]) {
    let mut b = [0u8; INFO_BYTES as usize];
    for (i, v) in rec.iter().enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    host.write_data(addr, &b);
}

/// End the wait of `w` with an error or TIMEOUT `st`: R0 ← st (TIMEOUT also R1..R4 ← 0),
/// info record if it gave one. The caller issues WAKE.
pub(super) fn finish_wait<H: Host>(host: &mut H, w: &Waiter, st: u32) {
    let base = host.slot(w.pid).reg_base;
    end_recv(host, base, w, st);
}

/// A RECV of the task whose window is at `base` ends with error or TIMEOUT `st`.
fn end_recv<H: Host>(host: &mut H, base: u32, w: &Waiter, st: u32) {
    if window_ok(base) {
        if st == status::TIMEOUT {
            write_regs(host, base, 0, &[st, 0, 0, 0, 0]);
        } else {
            write_regs(host, base, 0, &[st]);
        }
    }
    if w.info != 0 {
        write_info(host, w.info, [st, 0, 0, 0, 0]);
    }
}

/// Hand message `m` (with `flags` as the receiver sees them) to a RECV: payload into the
/// buffer, R0..R4, info record.
fn complete_recv<H: Host>(host: &mut H, base: u32, w: &Waiter, m: &Message, flags: u16) {
    let n = w.max.min(m.len());
    if n > 0 {
        host.write_data(w.buf, &m.bytes[..n as usize]);
    }
    let res = [status::OK, n, u32::from(flags), u32::from(m.channel), u32::from(m.src)];
    write_regs(host, base, 0, &res);
    if w.info != 0 {
        write_info(host, w.info, res);
    }
}

/// The buffer-check rule (executive.md): below 0x10000 and, with protection on, the
/// task's own load/store rule (context.md "Memory protection").
pub(super) struct Guard {
    protect: bool,
    stack_region_lo: u32,
    /// One past the window region: with protection on every byte below it — the
    /// executive's reserved area `0x0000..0x0FFF` and the windows — is forbidden.
    low_hi: u32,
    stack_limit: u32,
    stack_top: u32,
}

impl Guard {
    pub(super) fn new<H: Host>(host: &mut H, slot: &Slot) -> Guard {
        let protect = host.protect();
        let stack_region_lo = if protect { host.stack_region_lo() } else { DATA_SIZE as u32 };
        Guard {
            protect,
            stack_region_lo,
            low_hi: window_region(n_tasks(host)).1,
            stack_limit: slot.stack_limit,
            stack_top: slot.stack_top,
        }
    }

    /// May the executive touch `len` bytes at `addr` for this task? A zero-length buffer
    /// passes wherever it points.
    pub(super) fn ok(&self, addr: u32, len: u32) -> bool {
        if len == 0 {
            return true;
        }
        let end = u64::from(addr) + u64::from(len);
        if end > DATA_SIZE as u64 {
            return false;
        }
        if !self.protect {
            return true;
        }
        let end = end as u32;
        // The reserved area 0x0000..0x0FFF and the window region above it: one low block.
        if addr < self.low_hi {
            return false;
        }
        if end > self.stack_region_lo {
            let lo = addr.max(self.stack_region_lo);
            if lo < self.stack_limit || end > self.stack_top {
                return false;
            }
        }
        true
    }
}

impl Executive {
    /// Service an SVC trap of `pid` (called inside the SVC's step; the core has already
    /// advanced pc). Never fails: architectural outcomes are register values.
    pub fn on_svc<H: Host>(&mut self, host: &mut H, pid: u8, module: u8, func: u8) {
        self.log_trap(super::TrapSeen::Svc { pid, module, func });
        if !valid_pid(host, pid) {
            return;
        }
        let slot = host.slot(pid);
        let base = slot.reg_base;
        if !window_ok(base) {
            return;
        }
        match (module, func) {
            (svc::MOD_CORE, svc::FN_GET_STEPS) => {
                write_regs(host, base, 0, &[slot.accounted_steps as u32]);
            }
            (svc::MOD_TASK, svc::FN_EXIT) => {
                let mut r = [0u32; 1];
                read_regs(host, base, 0, &mut r);
                command(host, Command::Exit { pid, code: r[0] });
            }
            (svc::MOD_TASK, svc::FN_UART_WRITE) => {
                let mut r = [0u32; 2];
                read_regs(host, base, 1, &mut r);
                let (ptr, len) = (arg(r[0]), arg(r[1]));
                if !Guard::new(host, &slot).ok(ptr, len) {
                    write_regs(host, base, 0, &[fault::ACCESS_VIOLATION]);
                    return;
                }
                let mut bytes = vec![0u8; len as usize];
                if len > 0 {
                    host.read_data(ptr, &mut bytes);
                }
                self.console_write(pid, super::Stream::Out, &bytes);
                write_regs(host, base, 0, &[len]);
            }
            (svc::MOD_MAILBOX, svc::FN_MB_OPEN..=svc::FN_MB_CLOSE) => {
                self.svc_mailbox(host, pid, &slot, func);
            }
            (svc::MOD_TIME, svc::FN_SLEEP_MS) => {
                let mut r = [0u32; 1];
                read_regs(host, base, 0, &mut r);
                let ms = u64::from(arg(r[0]));
                write_regs(host, base, 0, &[0]);
                if ms != 0 {
                    let deadline = host.ticks() + ms * self.cfg.ticks_per_ms;
                    self.tasks[pid as usize].wait = Wait::Sleep;
                    command(host, Command::Block { pid, wait: WaitKind::Sleep, deadline: Some(deadline) });
                }
            }
            (svc::MOD_TIME, svc::FN_YIELD) => {
                write_regs(host, base, 0, &[0]);
                command(host, Command::Yield { pid });
            }
            (svc::MOD_TIME, svc::FN_GETPID) => {
                write_regs(host, base, 0, &[u32::from(pid)]);
            }
            _ => write_regs(host, base, 0, &[fault::ENOSYS]),
        }
    }

    /// A BLOCKED task's deadline passed (called at the start of a step): a sleep simply
    /// ends; a mailbox wait gets R0 ← TIMEOUT, R1..R4 ← 0 and its info record. Then WAKE.
    pub fn on_timeout<H: Host>(&mut self, host: &mut H, pid: u8) {
        self.log_trap(super::TrapSeen::Timeout { pid });
        if !valid_pid(host, pid) {
            return;
        }
        let wait = std::mem::take(&mut self.tasks[pid as usize].wait);
        match wait {
            Wait::Mailbox(desc) => {
                if let Some(w) = self.pool.remove_waiter(desc, pid) {
                    finish_wait(host, &w, status::TIMEOUT);
                    self.tasks[pid as usize].counters.timeouts += 1;
                }
            }
            Wait::Sleep | Wait::None => {}
        }
        command(host, Command::Wake { pid });
    }

    /// Read a target string at `addr` (at most 32 bytes before its NUL, every byte up to
    /// the NUL passing the buffer check) and parse it for `pid`.
    fn read_target<H: Host>(&self, host: &mut H, g: &Guard, pid: u8, addr: u32) -> Option<mailbox::Key> {
        let n = (TARGET_MAX + 1).min(DATA_SIZE - addr as usize);
        let mut b = [0u8; TARGET_MAX + 1];
        host.read_data(addr, &mut b[..n]);
        let nul = b[..n].iter().position(|&c| c == 0)?;
        if !g.ok(addr, nul as u32 + 1) {
            return None;
        }
        parse_target(&b[..nul], pid, n_tasks(host))
    }

    fn svc_mailbox<H: Host>(&mut self, host: &mut H, pid: u8, slot: &Slot, func: u8) {
        let base = slot.reg_base;
        let r0 = |host: &mut H, st: u32| write_regs(host, base, 0, &[st]);
        match func {
            svc::FN_MB_OPEN => {
                let mut r = [0u32; 1];
                read_regs(host, base, 1, &mut r);
                let g = Guard::new(host, slot);
                let Some(key) = self.read_target(host, &g, pid, arg(r[0])) else {
                    return r0(host, status::INTERNAL_ERROR);
                };
                match self.pool.open(pid, key) {
                    Ok(h) => write_regs(host, base, 0, &[status::OK, u32::from(h)]),
                    Err(st) => r0(host, st),
                }
            }
            svc::FN_MB_BIND => {
                let mut r = [0u32; 3];
                read_regs(host, base, 1, &mut r);
                let g = Guard::new(host, slot);
                let Some(key) = self.read_target(host, &g, pid, arg(r[0])) else {
                    return r0(host, status::INTERNAL_ERROR);
                };
                let cap = match arg(r[1]) {
                    0 => self.cfg.mailbox_capacity,
                    c => c,
                };
                match self.pool.bind(pid, key, cap, arg(r[2]) as u16) {
                    Ok(id) => write_regs(host, base, 0, &[status::OK, id]),
                    Err(st) => r0(host, st),
                }
            }
            svc::FN_MB_SEND => {
                let mut r = [0u32; 5];
                read_regs(host, base, 1, &mut r);
                let (h, ptr, len, flags, channel) =
                    (arg(r[0]) as u16, arg(r[1]), arg(r[2]), arg(r[3]) as u16, arg(r[4]) as u16);
                // The handle first, then the buffer (anyone may SEND: no ownership check).
                if let Err(st) = self.pool.desc_of(pid, h) {
                    return r0(host, st);
                }
                if !Guard::new(host, slot).ok(ptr, len) {
                    return r0(host, status::INTERNAL_ERROR);
                }
                if len == 0 {
                    return write_regs(host, base, 0, &[status::OK, 0]);
                }
                // What a task sends to its own stdio.out/err is also shown on its console
                // (docs/executive.md): everything it asks to write, whether or not the
                // mailbox has room for it — the mailbox itself follows SEND's rules below.
                let mirror = self.pool.desc_of(pid, h).ok().and_then(|d| self.stdio_stream(pid, d));
                if let Some(stream) = mirror {
                    let mut bytes = vec![0u8; len as usize];
                    host.read_data(ptr, &mut bytes);
                    self.console_write(pid, stream, &bytes);
                }
                // Refuse before reading a payload that would not be queued.
                if let Err(st) = self.pool.send_check(pid, h, len) {
                    return r0(host, st);
                }
                let mut bytes = vec![0u8; len as usize];
                host.read_data(ptr, &mut bytes);
                let msg = Message { flags, src: pid, channel, bytes };
                match self.pool.send(pid, h, msg) {
                    Ok(desc) => {
                        self.tasks[pid as usize].counters.sent += 1;
                        write_regs(host, base, 0, &[status::OK, len]);
                        self.deliver(host, desc);
                    }
                    Err(st) => r0(host, st),
                }
            }
            svc::FN_MB_RECV => {
                let mut r = [0u32; 5];
                read_regs(host, base, 1, &mut r);
                let w = Waiter { pid, handle: arg(r[0]) as u16, buf: arg(r[1]), max: arg(r[2]), info: arg(r[4]) };
                let timeout = u64::from(arg(r[3]));
                // The handle first, then ownership, then the buffers (executive.md).
                let desc = match self.pool.reader_desc(pid, w.handle) {
                    Ok(d) => d,
                    Err(status::PERMISSION) => return r0(host, status::PERMISSION),
                    Err(st) => {
                        // INVALID_HANDLE: R0, and the info record only where the task
                        // itself could write it.
                        let info_ok = w.info != 0 && Guard::new(host, slot).ok(w.info, INFO_BYTES);
                        let w = Waiter { info: if info_ok { w.info } else { 0 }, ..w };
                        return end_recv(host, base, &w, st);
                    }
                };
                let g = Guard::new(host, slot);
                if !g.ok(w.buf, w.max) || (w.info != 0 && !g.ok(w.info, INFO_BYTES)) {
                    return r0(host, status::INTERNAL_ERROR);
                }
                match self.pool.take(pid, w.handle) {
                    Ok(Some((m, flags))) => {
                        self.tasks[pid as usize].counters.received += 1;
                        complete_recv(host, base, &w, &m, flags);
                    }
                    Ok(None) if timeout == 0 => {
                        write_regs(host, base, 0, &[status::NO_DATA, 0]);
                        if w.info != 0 {
                            write_info(host, w.info, [status::NO_DATA, 0, 0, 0, 0]);
                        }
                    }
                    Ok(None) => {
                        let deadline = (timeout != 0xFFFF).then(|| host.ticks() + timeout * self.cfg.ticks_per_ms);
                        self.pool.add_waiter(desc, w);
                        self.tasks[pid as usize].wait = Wait::Mailbox(desc);
                        command(host, Command::Block { pid, wait: WaitKind::Mailbox, deadline });
                    }
                    Err(st) => end_recv(host, base, &w, st),
                }
            }
            svc::FN_MB_PEEK => {
                let mut r = [0u32; 1];
                read_regs(host, base, 1, &mut r);
                match self.pool.peek(pid, arg(r[0]) as u16) {
                    Ok((n, used, next)) => write_regs(host, base, 0, &[status::OK, n, used, next]),
                    Err(st) => r0(host, st),
                }
            }
            svc::FN_MB_TAP => {
                let mut r = [0u32; 2];
                read_regs(host, base, 1, &mut r);
                let st = match self.pool.tap(pid, arg(r[0]) as u16, r[1] & 1 != 0) {
                    Ok(()) => status::OK,
                    Err(st) => st,
                };
                r0(host, st);
            }
            svc::FN_MB_CLOSE => {
                let mut r = [0u32; 1];
                read_regs(host, base, 1, &mut r);
                let st = match self.pool.close(pid, arg(r[0]) as u16) {
                    Ok(()) => status::OK,
                    Err(st) => st,
                };
                r0(host, st);
            }
            _ => r0(host, fault::ENOSYS),
        }
    }

    /// After a SEND to `desc`: deliver queued messages to its waiters (in the order they
    /// started waiting, one each) and wake them.
    pub(super) fn deliver<H: Host>(&mut self, host: &mut H, desc: u32) {
        for (w, (m, flags)) in self.pool.deliveries(desc) {
            let base = host.slot(w.pid).reg_base;
            if window_ok(base) {
                complete_recv(host, base, &w, &m, flags);
            }
            let t = &mut self.tasks[w.pid as usize];
            t.counters.received += 1;
            t.wait = Wait::None;
            command(host, Command::Wake { pid: w.pid });
        }
    }
}

/// Issue a scheduler command from inside a step. The executive only issues commands that
/// are valid for the task's state, so a refusal is a bug of the model, not an outcome.
fn command<H: Host>(host: &mut H, cmd: Command) {
    let r = host.command(cmd);
    debug_assert!(r.is_ok(), "scheduler refused {cmd:?}: {r:?}");
}
