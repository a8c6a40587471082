//! Task consoles (executive.md "Console": each task's console is an unbounded byte stream;
//! tools print it prefixed per task; nothing written is ever dropped).
//!
//! # The one call that writes a console
//!
//! Everything that appears on a task's console goes through
//! [`Executive::console_write`]`(pid, stream, bytes)`. UART_WRITE calls it with
//! [`Stream::Out`]; anything else that should show on a console (for example what a task
//! SENDs to its own `svc:stdio.out` / `svc:stdio.err` mailbox: `Stream::Out` /
//! [`Stream::Err`]) is one more call of it, with nothing else to change. It
//!
//! 1. hands the bytes to the executive's [`ConsoleSink`], if the tool installed one
//!    ([`Executive::set_console_sink`]), *as they are written*: `hsx run` prints them as
//!    `[pid] line` lines, the lockstep harness feeds them to a comparator of the two sides;
//! 2. counts them and keeps the last [`ExecConfig::console_tail`] bytes in the task's
//!    [`ConsoleLog`] (what [`Executive::console`] returns, and `hsx run --json` reports
//!    with the total and the number of bytes before the tail).
//!
//! So the executive's memory is bounded whatever a task writes (at most twice the tail
//! per task), and the stream itself is never cut: the sink sees every byte, in order.
//!
//! [`Executive::console_write`]: super::Executive::console_write
//! [`Executive::set_console_sink`]: super::Executive::set_console_sink
//! [`Executive::console`]: super::Executive::console
//! [`ExecConfig::console_tail`]: super::ExecConfig::console_tail

/// Which of a task's output streams a console write belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// Normal output (UART_WRITE; `svc:stdio.out`).
    Out,
    /// Error output (`svc:stdio.err`).
    Err,
}

impl Stream {
    /// Both streams, `Out` first.
    pub const ALL: [Stream; 2] = [Stream::Out, Stream::Err];

    /// 0 for `Out`, 1 for `Err`.
    pub const fn index(self) -> usize {
        match self {
            Stream::Out => 0,
            Stream::Err => 1,
        }
    }
}

/// Where console bytes go as they are written (installed with
/// [`Executive::set_console_sink`](super::Executive::set_console_sink)).
///
/// `write` is called inside the SVC that wrote the bytes, in the order they were written,
/// never with an empty slice. A sink must not call back into the executive.
pub trait ConsoleSink: Send {
    /// `bytes` were just written to `pid`'s console on `stream`.
    fn write(&mut self, pid: u8, stream: Stream, bytes: &[u8]);

    /// `pid`'s console ended (a new task was spawned into its slot): anything held back
    /// for it (a partial line) belongs to the old task. Default: nothing.
    fn end_task(&mut self, _pid: u8) {}

    /// The run is over: emit whatever is held back and flush. Returns the first error the
    /// sink met (it keeps running after one, but may not have delivered everything).
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Default bytes of each task's console kept by the executive (1 MiB).
pub const DEFAULT_CONSOLE_TAIL: usize = 1 << 20;

/// What the executive keeps of one task's console: how many bytes were written, and the
/// last `cap` of them. Memory: at most `2 * cap` bytes (the tail is compacted in bulk, so
/// each byte is moved at most once).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsoleLog {
    buf: Vec<u8>,
    total: u64,
    cap: usize,
}

impl ConsoleLog {
    /// An empty console keeping a tail of `cap` bytes.
    pub fn new(cap: usize) -> ConsoleLog {
        ConsoleLog { buf: Vec::new(), total: 0, cap }
    }

    /// Append `bytes`.
    pub fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let bytes = &bytes[bytes.len().saturating_sub(self.cap)..];
        if self.buf.len() + bytes.len() > 2 * self.cap {
            // Keep exactly the last `cap` bytes once `bytes` is appended.
            let keep = (self.cap - bytes.len()).min(self.buf.len());
            self.buf.drain(..self.buf.len() - keep);
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The last `min(total, cap)` bytes written: the whole console when
    /// [`omitted`](Self::omitted) is 0.
    pub fn tail(&self) -> &[u8] {
        &self.buf[self.buf.len() - self.buf.len().min(self.cap)..]
    }

    /// Bytes written in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes written before the tail (not kept).
    pub fn omitted(&self) -> u64 {
        self.total - self.tail().len() as u64
    }

    /// The tail's size limit.
    pub fn cap(&self) -> usize {
        self.cap
    }
}

/// The executive's sink slot. A clone of an executive has no sink (its output would
/// otherwise be delivered twice); it keeps its consoles' counts and tails.
#[derive(Default)]
pub(super) struct SinkSlot(pub(super) Option<Box<dyn ConsoleSink>>);

impl Clone for SinkSlot {
    fn clone(&self) -> Self {
        SinkSlot(None)
    }
}

impl std::fmt::Debug for SinkSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Some(<console sink>)" } else { "None" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_consoles_are_kept_whole() {
        let mut c = ConsoleLog::new(8);
        c.push(b"abc");
        c.push(b"");
        c.push(b"defgh");
        assert_eq!((c.tail(), c.total(), c.omitted()), (&b"abcdefgh"[..], 8, 0));
    }

    #[test]
    fn the_tail_is_the_last_cap_bytes_whatever_the_write_sizes() {
        // Every split of the same stream into writes gives the same tail and count.
        let stream: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for cap in [0, 1, 5, 16, 100, 999, 1000, 2000] {
            for chunk in [1, 3, 16, 17, 250, 1000] {
                let mut c = ConsoleLog::new(cap);
                for w in stream.chunks(chunk) {
                    c.push(w);
                    assert!(c.buf.len() <= 2 * cap, "cap {cap} chunk {chunk}: {}", c.buf.len());
                }
                let want = &stream[stream.len() - cap.min(stream.len())..];
                assert_eq!(c.tail(), want, "cap {cap} chunk {chunk}");
                assert_eq!(c.total(), 1000);
                assert_eq!(c.omitted(), 1000 - want.len() as u64);
            }
        }
    }
}
