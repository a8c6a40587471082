//! The two sides' consoles, compared as they are written.
//!
//! Each side's executive streams its console bytes into a [`ConsoleCompare`] (through a
//! [`CompareSink`]) during the step that writes them. Per task and stream it remembers
//! only what one side has written and the other not yet (in lockstep, at most one step's
//! output), the byte count of each side, and the first difference. The end-of-run check
//! then needs neither console whole, whatever the tasks printed; the executives keep only
//! their bounded tails (for the report's text).
//!
//! A side that runs more than [`PENDING_CAP`] bytes ahead of the other (impossible in
//! lockstep, where the sides are compared every step) counts as a difference at the
//! first byte the other side has not matched.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use vm_ref::exec::{ConsoleLog, ConsoleSink, Stream};

/// Bytes one side may be ahead of the other before it counts as a difference (1 MiB).
pub const PENDING_CAP: usize = 1 << 20;

/// Bytes of each side's tail quoted in a mismatch about a long console.
const QUOTE: usize = 256;

/// Which side of the lockstep wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Ref,
    Rtl,
}

impl Side {
    fn index(self) -> usize {
        self as usize
    }
}

/// One (pid, stream) compared as it is written.
#[derive(Debug, Clone, Default)]
struct StreamCmp {
    /// Bytes written by each side (`Side::index`).
    totals: [u64; 2],
    /// Bytes both sides wrote identically, from the start.
    matched: u64,
    /// What `ahead` has written beyond `matched` and the other side not yet.
    pending: VecDeque<u8>,
    ahead: Option<Side>,
    /// Offset of the first difference (after it only the totals are counted).
    diff: Option<u64>,
}

impl StreamCmp {
    fn write(&mut self, side: Side, mut bytes: &[u8]) {
        self.totals[side.index()] += bytes.len() as u64;
        if self.diff.is_some() {
            return;
        }
        if self.ahead != Some(side) && !self.pending.is_empty() {
            // The other side is ahead: match against what it wrote.
            let n = self.pending.len().min(bytes.len());
            if let Some(i) = self.pending.iter().zip(&bytes[..n]).position(|(a, b)| a != b) {
                self.diff = Some(self.matched + i as u64);
                self.pending = VecDeque::new();
                return;
            }
            self.pending.drain(..n);
            self.matched += n as u64;
            bytes = &bytes[n..];
        }
        if !bytes.is_empty() {
            self.ahead = Some(side);
            self.pending.extend(bytes);
            if self.pending.len() > PENDING_CAP {
                self.diff = Some(self.matched);
                self.pending = VecDeque::new();
            }
        }
    }

    /// The first difference, if the two sides' streams are not (so far) equal.
    fn difference(&self) -> Option<u64> {
        self.diff.or_else(|| (self.totals[0] != self.totals[1]).then_some(self.matched))
    }
}

/// Every task's console streams, both sides, compared as they are written.
#[derive(Debug, Clone)]
pub struct ConsoleCompare {
    /// Index `2 * pid + stream`.
    streams: Vec<StreamCmp>,
}

impl Default for ConsoleCompare {
    fn default() -> Self {
        ConsoleCompare { streams: vec![StreamCmp::default(); 2 * (isa::MAX_TASKS + 1)] }
    }
}

impl ConsoleCompare {
    fn at(&mut self, pid: u8, stream: Stream) -> &mut StreamCmp {
        &mut self.streams[2 * (pid as usize).min(isa::MAX_TASKS) + stream.index()]
    }

    /// `side` wrote `bytes` to `pid`'s console on `stream`.
    pub fn write(&mut self, side: Side, pid: u8, stream: Stream, bytes: &[u8]) {
        self.at(pid, stream).write(side, bytes);
    }

    /// Where the two sides' `pid` streams first differ: `None` when equal so far;
    /// otherwise the byte offset and each side's byte count.
    pub fn difference(&self, pid: u8, stream: Stream) -> Option<(u64, [u64; 2])> {
        let s = &self.streams[2 * (pid as usize).min(isa::MAX_TASKS) + stream.index()];
        s.difference().map(|at| (at, s.totals))
    }
}

/// A console sink feeding one side of a shared [`ConsoleCompare`].
pub struct CompareSink {
    pub cmp: Arc<Mutex<ConsoleCompare>>,
    pub side: Side,
}

impl ConsoleSink for CompareSink {
    fn write(&mut self, pid: u8, stream: Stream, bytes: &[u8]) {
        // A poisoned lock only means another thread panicked mid-write; the data is
        // still this run's.
        self.cmp.lock().unwrap_or_else(|p| p.into_inner()).write(self.side, pid, stream, bytes);
    }
}

/// The text of one side's console in a mismatch: the whole console when the executive
/// kept all of it (as before consoles were streamed); else its size, the first
/// difference and the last [`QUOTE`] bytes.
pub fn describe(log: Option<&ConsoleLog>, total: u64, at: u64) -> String {
    match log {
        Some(l) if l.omitted() == 0 && l.total() == total => String::from_utf8_lossy(l.tail()).into_owned(),
        Some(l) => {
            let tail = l.tail();
            let quote = &tail[tail.len().saturating_sub(QUOTE)..];
            format!(
                "{total} bytes, differing from byte {at}; the console's last {} bytes: {}",
                quote.len(),
                String::from_utf8_lossy(quote)
            )
        }
        None => format!("{total} bytes, differing from byte {at}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(writes: &[(Side, &[u8])]) -> Option<(u64, [u64; 2])> {
        let mut c = ConsoleCompare::default();
        for (side, b) in writes {
            c.write(*side, 1, Stream::Out, b);
        }
        c.difference(1, Stream::Out)
    }

    #[test]
    fn equal_streams_agree_however_they_are_cut() {
        use Side::*;
        assert_eq!(run(&[]), None);
        assert_eq!(run(&[(Ref, b"hello"), (Rtl, b"hello")]), None);
        assert_eq!(run(&[(Ref, b"he"), (Rtl, b"hel"), (Ref, b"llo"), (Rtl, b"lo")]), None);
        assert_eq!(run(&[(Rtl, b"hello"), (Ref, b"h"), (Ref, b"ello")]), None);
    }

    #[test]
    fn the_first_difference_is_found_and_counts_go_on() {
        use Side::*;
        assert_eq!(run(&[(Ref, b"hello"), (Rtl, b"help!")]), Some((3, [5, 5])));
        assert_eq!(run(&[(Ref, b"ab"), (Rtl, b"a"), (Rtl, b"c"), (Ref, b"more"), (Rtl, b"x")]), Some((1, [6, 3])));
        // one a prefix of the other: the difference is where the shorter one ends
        assert_eq!(run(&[(Ref, b"hello"), (Rtl, b"hell")]), Some((4, [5, 4])));
        assert_eq!(run(&[(Rtl, b"hello!")]), Some((0, [0, 6])));
    }

    #[test]
    fn memory_stays_bounded_for_any_volume() {
        // 64 MiB per side, in 56 KiB writes, each side one write ahead: nothing but one
        // write is ever pending.
        let chunk: Vec<u8> = (0..56 * 1024).map(|i| (i % 251) as u8).collect();
        let mut c = ConsoleCompare::default();
        for _ in 0..(64 << 20) / chunk.len() {
            c.write(Side::Ref, 2, Stream::Out, &chunk);
            assert!(c.at(2, Stream::Out).pending.len() <= chunk.len());
            c.write(Side::Rtl, 2, Stream::Out, &chunk);
        }
        assert_eq!(c.difference(2, Stream::Out), None);
        // a side running away is a difference, and then nothing more is kept
        let mut c = ConsoleCompare::default();
        c.write(Side::Ref, 2, Stream::Out, b"ab");
        c.write(Side::Rtl, 2, Stream::Out, b"ab");
        for _ in 0..=PENDING_CAP / chunk.len() {
            c.write(Side::Ref, 2, Stream::Out, &chunk);
        }
        assert_eq!(c.at(2, Stream::Out).pending.len(), 0);
        let (at, totals) = c.difference(2, Stream::Out).unwrap();
        assert_eq!((at, totals[1]), (2, 2));
    }

    #[test]
    fn streams_and_tasks_are_separate() {
        let mut c = ConsoleCompare::default();
        c.write(Side::Ref, 1, Stream::Out, b"a");
        c.write(Side::Rtl, 1, Stream::Err, b"a");
        assert_eq!(c.difference(1, Stream::Out), Some((0, [1, 0])));
        assert_eq!(c.difference(1, Stream::Err), Some((0, [0, 1])));
        assert_eq!(c.difference(2, Stream::Out), None);
    }
}
