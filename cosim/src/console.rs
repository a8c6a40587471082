//! Printing task consoles as they are written: `hsx run` installs a [`LinePrinter`] as the
//! executive's console sink (`vm_ref::exec::ConsoleSink`), so a task that prints without
//! end streams to the terminal (or file, or pipe) instead of growing the host's memory.
//!
//! Format (cli.md, executive.md "Console"): each line of a task's console is printed as
//! `[pid] line`, in the order lines are completed. Lines are split at `\n` and a `\r`
//! before the `\n` is dropped (Rust's `str::lines`), bytes are decoded as UTF-8 with
//! invalid bytes replaced, and a last line without `\n` is printed when the run ends. A
//! line longer than [`LINE_PIECE`] bytes is printed as several `[pid] ` lines of at most
//! that many bytes (cut before a UTF-8 sequence that would straddle the cut): nothing is
//! dropped, and the printer holds at most one piece per task and stream.

use std::io::Write;
use vm_ref::exec::{ConsoleSink, Stream};

/// Longest line printed in one piece (64 KiB).
pub const LINE_PIECE: usize = 64 * 1024;

/// A console sink printing `[pid] line` lines. Each stream goes to one of the
/// destinations given at construction.
pub struct LinePrinter {
    dests: Vec<Box<dyn Write + Send>>,
    /// Destination index of `Stream::Out`, `Stream::Err`.
    route: [usize; 2],
    /// The unfinished line of each (pid, stream), at most `LINE_PIECE` bytes.
    partial: Vec<Vec<u8>>,
    /// The first write error (printing stops at it: the destination is gone or full).
    error: Option<std::io::Error>,
    /// Bytes of console not printed because of `error`.
    lost: u64,
}

impl LinePrinter {
    /// A printer sending `Stream::Out` to `dests[out]` and `Stream::Err` to `dests[err]`.
    pub fn new(dests: Vec<Box<dyn Write + Send>>, out: usize, err: usize) -> LinePrinter {
        assert!(out < dests.len() && err < dests.len(), "route to a missing destination");
        LinePrinter {
            dests,
            route: [out, err],
            partial: vec![Vec::new(); 2 * (isa::MAX_TASKS + 1)],
            error: None,
            lost: 0,
        }
    }

    /// The human destinations of `hsx run`: the console's `Out` stream on stdout (on
    /// stderr with `--json`, whose stdout is the JSON object alone), `Err` on stderr.
    pub fn stdio(json: bool) -> LinePrinter {
        let err: Box<dyn Write + Send> = Box::new(std::io::BufWriter::with_capacity(1 << 16, std::io::stderr()));
        if json {
            LinePrinter::new(vec![err], 0, 0)
        } else {
            let out: Box<dyn Write + Send> = Box::new(std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()));
            LinePrinter::new(vec![out, err], 0, 1)
        }
    }

    /// Console bytes that could not be printed after a write error.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    fn key(pid: u8, stream: Stream) -> usize {
        2 * (pid as usize).min(isa::MAX_TASKS) + stream.index()
    }

    /// Print `text` as one `[pid] text` line.
    fn emit(&mut self, pid: u8, stream: Stream, text: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let d = &mut self.dests[self.route[stream.index()]];
        let r = write!(d, "[{pid}] ")
            .and_then(|_| d.write_all(String::from_utf8_lossy(text).as_bytes()))
            .and_then(|_| d.write_all(b"\n"));
        if let Err(e) = r {
            self.error = Some(e);
        }
    }

    /// Print the full partial line of `k` as a piece, keeping back a UTF-8 sequence cut
    /// short at its end.
    fn emit_piece(&mut self, pid: u8, stream: Stream, k: usize) {
        let mut buf = std::mem::take(&mut self.partial[k]);
        let cut = utf8_cut(&buf);
        self.emit(pid, stream, &buf[..cut]);
        buf.drain(..cut);
        self.partial[k] = buf;
    }
}

/// Where to cut `buf` so no UTF-8 sequence whose lead byte is among the last 3 bytes is
/// split: `buf.len()` unless it ends with an incomplete sequence.
fn utf8_cut(buf: &[u8]) -> usize {
    let n = buf.len();
    for back in 1..=3.min(n) {
        let b = buf[n - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back for its lead
        }
        let need = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 1,
        };
        return if need > back { n - back } else { n };
    }
    n
}

impl ConsoleSink for LinePrinter {
    fn write(&mut self, pid: u8, stream: Stream, mut bytes: &[u8]) {
        if self.error.is_some() {
            self.lost += bytes.len() as u64;
            return;
        }
        let k = Self::key(pid, stream);
        while !bytes.is_empty() {
            let nl = bytes.iter().position(|&b| b == b'\n');
            let mut seg = &bytes[..nl.unwrap_or(bytes.len())];
            bytes = nl.map_or(&[][..], |i| &bytes[i + 1..]);
            // Fill the partial line, printing a full one as a piece only when more of the
            // line follows (a line of exactly LINE_PIECE bytes stays one line).
            while !seg.is_empty() {
                if self.partial[k].len() >= LINE_PIECE {
                    self.emit_piece(pid, stream, k);
                }
                let take = (LINE_PIECE - self.partial[k].len()).min(seg.len());
                self.partial[k].extend_from_slice(&seg[..take]);
                seg = &seg[take..];
            }
            if nl.is_some() {
                let mut line = std::mem::take(&mut self.partial[k]);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.emit(pid, stream, &line);
                line.clear();
                self.partial[k] = line;
            }
        }
    }

    fn end_task(&mut self, pid: u8) {
        for stream in Stream::ALL {
            let k = Self::key(pid, stream);
            if !self.partial[k].is_empty() {
                let line = std::mem::take(&mut self.partial[k]);
                self.emit(pid, stream, &line);
            }
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        for pid in 0..=isa::MAX_TASKS as u8 {
            self.end_task(pid);
        }
        if self.error.is_none() {
            for d in &mut self.dests {
                if let Err(e) = d.flush() {
                    self.error = Some(e);
                    break;
                }
            }
        }
        match &self.error {
            Some(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A destination tests can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn print(writes: &[(u8, Stream, &[u8])]) -> (String, String) {
        let (out, err) = (Shared::default(), Shared::default());
        let mut p = LinePrinter::new(vec![Box::new(out.clone()), Box::new(err.clone())], 0, 1);
        for (pid, s, b) in writes {
            p.write(*pid, *s, b);
        }
        p.finish().unwrap();
        let s = |x: &Shared| String::from_utf8(x.0.lock().unwrap().clone()).unwrap();
        (s(&out), s(&err))
    }

    /// What the printer must produce for one task's whole console: `str::lines` of the
    /// lossy decoding (how `hsx run` printed it before it streamed).
    fn reference(pid: u8, console: &[u8]) -> String {
        String::from_utf8_lossy(console).lines().map(|l| format!("[{pid}] {l}\n")).collect()
    }

    #[test]
    fn lines_as_str_lines_would_print_them() {
        for console in [
            &b""[..],
            b"hello from HSX\n",
            b"one\ntwo\nthree",
            b"\n\na\r\nb\rc\r\n\r",
            b"bad \xEE\xFF\xC0\x00 bytes\n\xE2\n\xE2\x82",
        ] {
            let want = reference(3, console);
            // the same stream, written whole, byte by byte and in pairs
            assert_eq!(print(&[(3, Stream::Out, console)]).0, want);
            let bytes: Vec<_> = console.iter().map(|b| (3, Stream::Out, std::slice::from_ref(b))).collect();
            assert_eq!(print(&bytes).0, want, "{console:?} byte by byte");
            let pairs: Vec<_> = console.chunks(2).map(|c| (3, Stream::Out, c)).collect();
            assert_eq!(print(&pairs).0, want, "{console:?} in pairs");
        }
    }

    #[test]
    fn tasks_and_streams_keep_their_own_partial_lines() {
        let (out, err) = print(&[
            (1, Stream::Out, b"a"),
            (2, Stream::Out, b"x\n"),
            (1, Stream::Err, b"oops"),
            (1, Stream::Out, b"b\nc"),
            (1, Stream::Err, b"!\n"),
        ]);
        assert_eq!(out, "[2] x\n[1] ab\n[1] c\n");
        assert_eq!(err, "[1] oops!\n");
    }

    #[test]
    fn long_lines_are_printed_in_pieces_and_nothing_is_lost() {
        // exactly one piece, then one byte more, then a line of 2.5 pieces without '\n'
        let exact = vec![b'a'; LINE_PIECE];
        let (out, _) = print(&[(1, Stream::Out, &exact), (1, Stream::Out, b"\n")]);
        assert_eq!(out.len(), 4 + LINE_PIECE + 1);
        let long = vec![b'b'; LINE_PIECE * 5 / 2];
        for chunk in [LINE_PIECE * 5 / 2, 4096, 999] {
            let writes: Vec<_> = long.chunks(chunk).map(|c| (7, Stream::Out, c)).collect();
            let (out, _) = print(&writes);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), 3, "chunk {chunk}");
            assert!(lines.iter().all(|l| l.starts_with("[7] b")));
            assert_eq!(lines.iter().map(|l| l.len() - 4).sum::<usize>(), long.len());
        }
        // a cut never splits a UTF-8 sequence: "é" (C3 A9) straddling the piece boundary
        let mut s = vec![b'c'; LINE_PIECE - 1];
        s.extend_from_slice("é!".as_bytes());
        let (out, _) = print(&[(1, Stream::Out, &s)]);
        assert!(!out.contains('\u{FFFD}'), "a replacement character: the cut split é");
        assert!(out.ends_with("\n[1] é!\n"), "{}", &out[out.len() - 20..]);
    }

    #[test]
    fn a_slot_reused_ends_the_old_tasks_partial_line() {
        let out = Shared::default();
        let mut p = LinePrinter::new(vec![Box::new(out.clone())], 0, 0);
        p.write(1, Stream::Out, b"old");
        p.end_task(1);
        p.write(1, Stream::Out, b"new\n");
        p.finish().unwrap();
        assert_eq!(String::from_utf8(out.0.lock().unwrap().clone()).unwrap(), "[1] old\n[1] new\n");
    }

    #[test]
    fn a_failing_destination_is_reported_and_counted() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut p = LinePrinter::new(vec![Box::new(Full)], 0, 0);
        p.write(1, Stream::Out, b"a\n");
        p.write(1, Stream::Out, b"more\n");
        assert_eq!(p.lost(), 5);
        assert_eq!(p.finish().unwrap_err().kind(), std::io::ErrorKind::StorageFull);
    }
}
