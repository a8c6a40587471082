//! Emitting a case as MVASM text (isa.md "Assembly syntax").
//!
//! Layout: `.text` holds `task1:` … `taskN:`, then the shared subroutines the tasks use
//! (`fn_rec`, `fn_leaf`), then `tail_ldi32` (an LDI32 opcode word with no literal) and
//! `img_end` (the end of the image); `.data` holds `shdata`, the target strings `tgtN`,
//! the messages `msgN`, `never`, and each task's `rxN` / `infoN`.

use super::weights::{MSGS, RX_BYTES};
use super::{Addr, Buf, Ending, Handle, Item, Operand, TestCase, Val};
use isa::{svc, FormatKind, STACK_TOP_INIT, WINDOW_BASE, WINDOW_SIZE};
use std::fmt::Write;

/// Per-task facts the emitter needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    /// pid of the task (1-based).
    pub pid: usize,
    pub stack_size: u32,
}

impl Ctx {
    /// `[stack_limit, stack_top)` of pid `task` when every task gets `stack_size` bytes,
    /// allocated in pid order from 0xFFFC down (context.md).
    pub(crate) fn arena(&self, task: u8) -> (u32, u32) {
        let top = STACK_TOP_INIT.wrapping_sub(self.stack_size.wrapping_mul(task.max(1) as u32 - 1));
        (top.wrapping_sub(self.stack_size), top)
    }
}

/// Emitted text plus what it needs from the shared tail.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub text: String,
    /// Code words emitted.
    pub words: usize,
    labels: usize,
    uses_rec: bool,
    uses_leaf: bool,
    uses_tail: bool,
}

impl Out {
    fn line(&mut self, words: usize, s: &str) {
        self.words += words;
        self.text.push_str("    ");
        self.text.push_str(s);
        self.text.push('\n');
    }
    fn ins(&mut self, s: &str) {
        self.line(1, s);
    }
    fn label(&mut self, name: &str) {
        self.text.push_str(name);
        self.text.push_str(":\n");
    }
    fn fresh(&mut self, pid: usize) -> String {
        self.labels += 1;
        format!("t{pid}_l{}", self.labels)
    }
    /// `LDI` when the value fits 12 bits signed, else `LDI32`.
    fn load(&mut self, reg: u8, v: u32) {
        if fits12(v) {
            self.ins(&format!("LDI R{reg}, {}", v as i32));
        } else {
            self.line(2, &format!("LDI32 R{reg}, 0x{v:X}"));
        }
    }
    fn load32(&mut self, reg: u8, v: u32) {
        self.line(2, &format!("LDI32 R{reg}, 0x{v:X}"));
    }
    fn load_label(&mut self, reg: u8, label: &str) {
        self.line(2, &format!("LDI32 R{reg}, {label}"));
    }
    fn operand(&mut self, o: &Operand) {
        if let Val::Imm(v) = o.val {
            self.load(o.reg, v);
        }
    }
    fn svc(&mut self, module: u8, func: u8) {
        self.ins(&format!("SVC 0x{module:X}, 0x{func:X}"));
    }
}

/// Does `v` fit LDI's 12-bit signed immediate?
pub(crate) fn fits12(v: u32) -> bool {
    (-2048..=2047).contains(&(v as i32))
}

fn mem_operand(base: u8, imm: i16) -> String {
    match imm {
        0 => format!("[R{base}]"),
        i if i > 0 => format!("[R{base} + {i}]"),
        i => format!("[R{base} - {}]", -(i as i32)),
    }
}

/// A buffer pointer into `reg`: the label when `Data`, else the literal.
fn buf(out: &mut Out, reg: u8, b: Buf, label: &str) {
    match b {
        Buf::Data => out.load_label(reg, label),
        Buf::Abs(a) => out.load(reg, a),
    }
}

/// The handle into R1.
fn handle(out: &mut Out, h: Handle) {
    match h {
        Handle::Open(t) => {
            out.load_label(1, &format!("tgt{t}"));
            out.ins("LDI R2, 0");
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_OPEN);
        }
        Handle::Raw(n) => out.load(1, n),
    }
}

fn msg_len(msg: u8, len: Option<u16>) -> u32 {
    match len {
        Some(l) => l as u32,
        None => MSGS.get(msg as usize).map_or(0, |m| m.len() as u32),
    }
}

pub(crate) fn emit_item(out: &mut Out, item: &Item, ctx: Ctx) {
    match item {
        Item::Set { rd, value, wide } => {
            if *wide {
                out.load32(*rd, *value)
            } else {
                out.load(*rd, *value)
            }
        }
        Item::Alu3 { op, rd, a, b } => {
            out.operand(a);
            out.operand(b);
            out.ins(&format!("{} R{rd}, R{}, R{}", op.mnemonic(), a.reg, b.reg));
        }
        Item::Unary { op, rd, a } => {
            out.operand(a);
            out.ins(&format!("{} R{rd}, R{}", op.mnemonic(), a.reg));
        }
        Item::Cmp { a, b } => {
            out.operand(a);
            out.operand(b);
            out.ins(&format!("CMP R{}, R{}", a.reg, b.reg));
        }
        Item::Branch { cmp, jz, body } => {
            if let Some((a, b)) = cmp {
                out.operand(a);
                out.operand(b);
                out.ins(&format!("CMP R{}, R{}", a.reg, b.reg));
            }
            let skip = out.fresh(ctx.pid);
            out.ins(&format!("{} {skip}", if *jz { "JZ" } else { "JNZ" }));
            for it in body {
                emit_item(out, it, ctx);
            }
            out.label(&skip);
        }
        Item::Loop { count, body } => {
            out.load(14, *count);
            let top = out.fresh(ctx.pid);
            out.label(&top);
            for it in body {
                emit_item(out, it, ctx);
            }
            out.ins("LDI R13, 1");
            out.ins("SUB R14, R14, R13");
            out.ins("LDI R13, 15");
            out.ins("AND R14, R14, R13");
            out.ins(&format!("JNZ {top}"));
        }
        Item::Mem { op, reg, base, addr, value } => {
            let store = op.format() == FormatKind::Store;
            if store {
                if let Val::Imm(v) = value {
                    out.load(*reg, *v);
                }
            }
            let imm = match *addr {
                Addr::Shared { off, from_end } => {
                    out.load_label(*base, if from_end { "shdata_end" } else { "shdata" });
                    off
                }
                Addr::Window { pid, off } => {
                    out.load32(*base, WINDOW_BASE + WINDOW_SIZE * (pid.max(1) as u32 - 1));
                    off
                }
                Addr::Arena { task, off, from_top } => {
                    let (limit, top) = ctx.arena(task);
                    out.load32(*base, if from_top { top } else { limit });
                    off
                }
                Addr::Abs { base: b, imm } => {
                    out.load32(*base, b);
                    imm
                }
            };
            let m = mem_operand(*base, imm);
            if store {
                out.ins(&format!("{} {m}, R{reg}", op.mnemonic()));
            } else {
                out.ins(&format!("{} R{reg}, {m}", op.mnemonic()));
            }
        }
        Item::Stack { push, pop, extra_pop } => {
            for r in push {
                out.ins(&format!("PUSH R{r}"));
            }
            for r in pop {
                out.ins(&format!("POP R{r}"));
            }
            if *extra_pop {
                out.ins("POP R0");
            }
        }
        Item::Recurse { depth } => {
            out.uses_rec = true;
            out.load(12, *depth);
            out.ins("CALL fn_rec");
        }
        Item::Leaf { reg_form } => {
            out.uses_leaf = true;
            if *reg_form {
                out.load_label(13, "fn_leaf");
                out.ins("CALL R13, 0");
            } else {
                out.ins("CALL fn_leaf");
            }
        }
        Item::GetSteps => out.svc(svc::MOD_CORE, svc::FN_GET_STEPS),
        Item::GetPid => out.svc(svc::MOD_TIME, svc::FN_GETPID),
        Item::Yield => out.svc(svc::MOD_TIME, svc::FN_YIELD),
        Item::Sleep { ms } => {
            out.load(0, *ms);
            out.svc(svc::MOD_TIME, svc::FN_SLEEP_MS);
        }
        Item::Uart { msg, len, buf: b } => {
            buf(out, 1, *b, &format!("msg{msg}"));
            out.load(2, msg_len(*msg, *len));
            out.svc(svc::MOD_TASK, svc::FN_UART_WRITE);
        }
        Item::UnknownSvc { module, func } => out.svc(*module, *func),
        Item::Open { target } => handle(out, Handle::Open(*target)),
        Item::Bind { target, capacity, mode } => {
            out.load_label(1, &format!("tgt{target}"));
            out.load(2, *capacity);
            out.load(3, *mode);
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_BIND);
        }
        Item::Send { h, msg, len, buf: b, flags, channel } => {
            handle(out, *h);
            buf(out, 2, *b, &format!("msg{msg}"));
            out.load(3, msg_len(*msg, *len));
            out.load(4, *flags);
            out.load(5, *channel);
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_SEND);
        }
        Item::Recv { h, max, timeout, buf: b, info } => {
            handle(out, *h);
            buf(out, 2, *b, &format!("rx{}", ctx.pid));
            out.load(3, *max);
            out.load(4, *timeout);
            match info {
                Some(i) => buf(out, 5, *i, &format!("info{}", ctx.pid)),
                None => out.ins("LDI R5, 0"),
            }
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_RECV);
        }
        Item::Peek { h } => {
            handle(out, *h);
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_PEEK);
        }
        Item::Tap { h, enable } => {
            handle(out, *h);
            out.load(2, *enable as u32);
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_TAP);
        }
        Item::Close { h } => {
            handle(out, *h);
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_CLOSE);
        }
    }
}

pub(crate) fn emit_ending(out: &mut Out, e: &Ending, ctx: Ctx) {
    match e {
        Ending::Ret { code } => {
            if let Val::Imm(v) = code {
                out.load(0, *v);
            }
            out.ins("RET");
            return;
        }
        Ending::Exit { code } => {
            if let Val::Imm(v) = code {
                out.load(0, *v);
            }
            out.svc(svc::MOD_TASK, svc::FN_EXIT);
            return;
        }
        Ending::Brk { code } => out.ins(&format!("BRK {code}")),
        Ending::Illegal { opcode } => out.ins(&format!(".word 0x{:08X}", (*opcode as u32) << 24)),
        Ending::DivZero => {
            out.ins("LDI R1, 0");
            out.ins("DIV R2, R3, R1");
        }
        Ending::Underflow => out.ins("POP R1"),
        Ending::Overflow => {
            out.uses_rec = true;
            out.load32(12, 0xFFFF_FFFF);
            out.ins("CALL fn_rec");
        }
        Ending::MemFault => {
            out.load32(1, 0xFFFE);
            out.ins("LD R2, [R1]");
        }
        Ending::Protected => {
            out.load32(1, WINDOW_BASE + WINDOW_SIZE * (ctx.pid as u32 - 1));
            out.ins("LD R2, [R1]");
        }
        Ending::BlockForever => {
            out.load_label(1, "never");
            out.ins("LDI R2, 0");
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_OPEN);
            out.load_label(2, &format!("rx{}", ctx.pid));
            out.ins("LDI R3, 4");
            out.load32(4, 0xFFFF);
            out.ins("LDI R5, 0");
            out.svc(svc::MOD_MAILBOX, svc::FN_MB_RECV);
        }
        Ending::JmpEnd => out.ins("JMP img_end"),
        Ending::TruncLdi32 => {
            out.uses_tail = true;
            out.ins("JMP tail_ldi32");
        }
    }
    // Guard: reached only if the ending did not stop the task.
    out.svc(svc::MOD_TASK, svc::FN_EXIT);
}

fn escape(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            c if c.is_ascii_graphic() || c == ' ' => o.push(c),
            c => {
                let mut b = [0u8; 4];
                for byte in c.encode_utf8(&mut b).bytes() {
                    let _ = write!(o, "\\x{byte:02X}");
                }
            }
        }
    }
    o
}

fn words_line(out: &mut String, label: &str, words: &[u32]) {
    let _ = writeln!(out, "{label}:");
    for chunk in words.chunks(8) {
        let list: Vec<String> = chunk.iter().map(|w| format!("0x{w:08X}")).collect();
        let _ = writeln!(out, "    .word {}", list.join(", "));
    }
}

/// The whole program.
pub(crate) fn emit(case: &TestCase) -> Out {
    let mut out = Out::default();
    let s = case.settings();
    let _ = writeln!(out.text, "; hsx-cosim generated case, seed {}", case.seed);
    let _ = writeln!(out.text, "; run with: {}", s.cli_args().join(" "));
    let _ = writeln!(out.text, "; tasks: {}", case.specs("THIS_FILE").join(" "));
    out.text.push_str(".text\n.entry task1\n");
    for (i, t) in case.tasks.iter().enumerate() {
        let ctx = Ctx { pid: i + 1, stack_size: case.stack_size };
        out.label(&format!("task{}", i + 1));
        for it in &t.items {
            emit_item(&mut out, it, ctx);
        }
        emit_ending(&mut out, &t.ending, ctx);
    }
    if out.uses_rec {
        // R12 = depth; 8 bytes of stack per level.
        out.label("fn_rec");
        for l in [
            "PUSH R12",
            "LDI R11, 0",
            "CMP R12, R11",
            "JZ fn_rec_done",
            "LDI R11, 1",
            "SUB R12, R12, R11",
            "CALL fn_rec",
        ] {
            out.ins(l);
        }
        out.label("fn_rec_done");
        out.ins("POP R12");
        out.ins("RET");
    }
    if out.uses_leaf {
        // A frame pointer through the R15 alias; reads its own stack (always allowed).
        out.label("fn_leaf");
        for l in ["PUSH R7", "MOV R7, R15", "LD R6, [R7 + 4]", "ADD R6, R6, R7", "POP R7", "RET"] {
            out.ins(l);
        }
    }
    if out.uses_tail {
        out.label("tail_ldi32");
        out.ins(".word 0x60100000");
    }
    out.label("img_end");

    // Data.
    let t = &mut out.text;
    t.push_str(".data\n");
    words_line(t, "shdata", &case.shared_init);
    let _ = writeln!(t, "shdata_end:");
    for (i, tg) in case.targets.iter().enumerate() {
        let _ = writeln!(t, "tgt{i}:\n    .asciz \"{}\"", escape(tg));
    }
    for (i, m) in MSGS.iter().enumerate() {
        let _ = writeln!(t, "msg{i}:\n    .asciz \"{}\"", escape(m));
    }
    let _ = writeln!(t, "never:\n    .asciz \"never\"");
    t.push_str(".align 4\n");
    for pid in 1..=case.tasks.len() {
        words_line(t, &format!("rx{pid}"), &[0; RX_BYTES / 4]);
        words_line(t, &format!("info{pid}"), &[0; 5]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldi_or_ldi32_by_range() {
        let mut o = Out::default();
        o.load(3, 2047);
        o.load(3, 0xFFFF_F800);
        assert_eq!(o.words, 2);
        o.load(3, 2048);
        o.load(3, 0x8000_0000);
        assert_eq!(o.words, 6);
        assert!(o.text.contains("LDI R3, -2048"));
        assert!(o.text.contains("LDI32 R3, 0x800\n"));
    }

    #[test]
    fn memory_operands_and_arenas() {
        assert_eq!(mem_operand(2, 0), "[R2]");
        assert_eq!(mem_operand(2, 5), "[R2 + 5]");
        assert_eq!(mem_operand(2, -1), "[R2 - 1]");
        let ctx = Ctx { pid: 2, stack_size: 0x1000 };
        assert_eq!(ctx.arena(1), (0xEFFC, 0xFFFC));
        assert_eq!(ctx.arena(2), (0xDFFC, 0xEFFC));
    }

    #[test]
    fn escapes_strings() {
        assert_eq!(escape("a\n\"b\\"), "a\\n\\\"b\\\\");
    }
}
