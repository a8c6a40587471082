//! The manual's generated ISA tables (`docs/manual/isa.md`): one row per row of the ISA
//! table (`isa/src/table.rs`), with the opcode, mnemonic, syntax and encoded fields taken
//! from the table itself and the prose (effect, flags, faults) from [`DESCRIPTIONS`]. A
//! mnemonic added to the table without a description here is an error, so the manual
//! cannot silently miss an instruction.

use isa::{ctrl, fault, FormatKind, TABLE};
use std::fmt::Write;

/// What the manual says about one instruction: `(mnemonic, effect, flags, faults)`.
/// `a`/`b` are the values of Rs1/Rs2; "—" means none.
pub const DESCRIPTIONS: &[(&str, &str, &str, &str)] = &[
    ("LDI", "Rd ← simm", "—", "—"),
    ("LD", "Rd ← the little-endian word at (a + simm) mod 2^16", "—", "MEM_FAULT, ACCESS_VIOLATION"),
    ("ST", "the word at (a + simm) mod 2^16 ← Rs2", "—", "MEM_FAULT, ACCESS_VIOLATION"),
    ("MOV", "Rd ← a", "—", "—"),
    ("LDB", "Rd ← the byte at (a + simm) mod 2^16, zero-extended", "—", "ACCESS_VIOLATION"),
    ("LDH", "Rd ← the halfword at (a + simm) mod 2^16, zero-extended", "—", "MEM_FAULT, ACCESS_VIOLATION"),
    ("STB", "the byte at (a + simm) mod 2^16 ← Rs2[7:0]", "—", "ACCESS_VIOLATION"),
    ("STH", "the halfword at (a + simm) mod 2^16 ← Rs2[15:0]", "—", "MEM_FAULT, ACCESS_VIOLATION"),
    ("ADD", "Rd ← a + b (mod 2^32)", "Z N; C = carry out of bit 31; V = signed overflow", "—"),
    ("SUB", "Rd ← a − b (mod 2^32)", "Z N; C = 1 when a ≥ b unsigned (no borrow); V = signed overflow", "—"),
    ("MUL", "Rd ← low 32 bits of the unsigned product a·b", "Z N; C = V = 1 when the high 32 bits of the product are non-zero", "—"),
    (
        "DIV",
        "Rd ← a ÷ b, signed, truncated toward zero; 0x80000000 ÷ −1 = 0x80000000",
        "Z N; C = 0; V = 0",
        "DIV_ZERO (b = 0)",
    ),
    ("AND", "Rd ← a & b", "Z N; C = 0; V = 0", "—"),
    ("OR", "Rd ← a | b", "Z N; C = 0; V = 0", "—"),
    ("XOR", "Rd ← a ^ b", "Z N; C = 0; V = 0", "—"),
    ("NOT", "Rd ← ~a", "Z N; C = 0; V = 0", "—"),
    ("CMP", "computes a − b for the flags only; no register is written", "as SUB", "—"),
    ("JMP", "PC ← uimm (an offset in the task's own image)", "—", "—"),
    ("JZ", "PC ← uimm when Z = 1", "—", "—"),
    ("JNZ", "PC ← uimm when Z = 0", "—", "—"),
    (
        "CALL",
        "pushes PC + 4 exactly as PUSH does, then PC ← (base + 4·simm) mod 2^16 with base = a when the rs1 field is not 0, else the CALL's own PC",
        "—",
        "STACK_OVERFLOW",
    ),
    (
        "RET",
        "SP = stack_top: the task returns (state RETURNED, exit code R0, PC unchanged); otherwise PC ← low 16 bits of the word at SP, SP ← SP + 4, R15 ← SP",
        "—",
        "STACK_UNDERFLOW",
    ),
    (
        "SVC",
        "system call: the executive services (mod, fn) inside this step ([executive.md](executive.md)); then PC ← PC + 4",
        "—",
        "— (an unknown call returns ENOSYS in R0)",
    ),
    ("LSL", "s = b & 31; Rd ← a << s", "Z N; V = 0; if s ≠ 0, C = bit 32 − s of a (the last bit shifted out)", "—"),
    ("LSR", "s = b & 31; Rd ← a >> s, zero-filled", "Z N; V = 0; if s ≠ 0, C = bit s − 1 of a", "—"),
    ("ASR", "s = b & 31; Rd ← a >> s, sign-filled", "Z N; V = 0; if s ≠ 0, C = bit s − 1 of a", "—"),
    (
        "ADC",
        "Rd ← a + b + C (mod 2^32)",
        "Z N; C = carry out of the exact 33-bit sum; V = bit 31 of ~(a ^ b) & (a ^ Rd)",
        "—",
    ),
    (
        "SBC",
        "Rd ← a − b − (1 − C) (mod 2^32)",
        "Z N; C = 1 when a ≥ b + (1 − C), exactly; V = bit 31 of (a ^ b) & (a ^ Rd)",
        "—",
    ),
    ("PUSH", "SP ← SP − 4; the word at SP ← a (read before SP moves); R15 ← SP", "—", "STACK_OVERFLOW (SP − 4 < stack_limit)"),
    (
        "POP",
        "v ← the word at SP; SP ← SP + 4; R15 ← SP; then Rd ← v (so `POP R15` leaves v in R15)",
        "—",
        "STACK_UNDERFLOW (SP + 4 > stack_top)",
    ),
    ("FADD", "Rd[15:0] ← a[15:0] + b[15:0] in binary16; Rd[31:16] unchanged", "—", "—"),
    ("FSUB", "Rd[15:0] ← a[15:0] − b[15:0] in binary16; Rd[31:16] unchanged", "—", "—"),
    ("FMUL", "Rd[15:0] ← a[15:0] × b[15:0] in binary16; Rd[31:16] unchanged", "—", "—"),
    (
        "FDIV",
        "Rd[15:0] ← a[15:0] ÷ b[15:0] in binary16, a divisor of ±0 taken as +∞; Rd[31:16] unchanged",
        "—",
        "—",
    ),
    ("I2F", "Rd[15:0] ← a (signed 32-bit) rounded to binary16; Rd[31:16] unchanged", "—", "—"),
    (
        "F2I",
        "Rd ← binary16 a[15:0] truncated toward zero to a signed 32-bit integer; NaN → 0, +∞ → 0x7FFFFFFF, −∞ → 0x80000000",
        "—",
        "—",
    ),
    ("LDI32", "Rd ← the next code word (the literal); PC ← PC + 8", "—", "BAD_PC (literal outside the image)"),
    ("BRK", "PC ← PC + 4; the task becomes PAUSED with reason `brk` and code imm[7:0]", "—", "—"),
];

/// Bit ranges of the instruction word's fields.
const FIELDS: &[(&str, u32)] =
    &[("rd", 0x00F0_0000), ("rs1", 0x000F_0000), ("rs2", 0x0000_F000), ("imm12", 0x0000_0FFF)];

/// Assembly syntax of a format (MVASM, as `hsx asm` accepts and `hsx disasm` prints it;
/// alternatives separated by `|`) and the fields it uses, as `name = meaning` pairs.
fn format_doc(f: FormatKind) -> (&'static str, &'static str) {
    match f {
        FormatKind::RdImm => ("Rd, imm", "rd; imm12 = simm"),
        FormatKind::Load => ("Rd, [Rs1 + imm]", "rd, rs1; imm12 = simm"),
        FormatKind::Store => ("[Rs1 + imm], Rs2", "rs1, rs2; imm12 = simm"),
        FormatKind::RdRs => ("Rd, Rs1", "rd, rs1"),
        FormatKind::RdRsRs => ("Rd, Rs1, Rs2", "rd, rs1, rs2"),
        FormatKind::RsRs => ("Rs1, Rs2", "rs1, rs2"),
        FormatKind::Target => ("target", "imm12 = uimm (target)"),
        FormatKind::CallOp => ("target|Rs1, imm", "rs1 (0 = PC-relative); imm12 = simm (words)"),
        FormatKind::NoOperands => ("", "—"),
        FormatKind::SvcOp => ("mod, fn", "imm12: mod = [11:8], fn = [7:0]"),
        FormatKind::Rs => ("Rs1", "rs1"),
        FormatKind::Rd => ("Rd", "rd"),
        FormatKind::BrkOp => ("[code]", "imm12: code = [7:0]"),
        FormatKind::Imm32 => ("Rd, imm32", "rd; second word = imm32"),
    }
}

/// Which of the word's fields a format uses, from the ISA crate's own mask of used bits.
fn used_fields(f: FormatKind) -> Vec<&'static str> {
    let used = f.used_bits();
    FIELDS.iter().filter(|(_, m)| used & m != 0).map(|(n, _)| *n).collect()
}

/// Why the instruction table cannot be generated.
#[derive(Debug, PartialEq, Eq)]
pub enum TableError {
    /// A mnemonic of `isa/src/table.rs` has no row in [`DESCRIPTIONS`].
    Undescribed(&'static str),
    /// A row of [`DESCRIPTIONS`] names no instruction of the table.
    Unknown(&'static str),
    /// The documented fields of a format disagree with the format's used bits.
    Fields(&'static str),
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableError::Undescribed(m) => {
                write!(f, "xtask/src/isa_doc.rs: instruction {m} (isa/src/table.rs) has no description in DESCRIPTIONS")
            }
            TableError::Unknown(m) => {
                write!(
                    f,
                    "xtask/src/isa_doc.rs: DESCRIPTIONS has a row for {m}, which isa/src/table.rs does not define"
                )
            }
            TableError::Fields(m) => {
                write!(
                    f,
                    "xtask/src/isa_doc.rs: the documented fields of {m}'s format disagree with FormatKind::used_bits"
                )
            }
        }
    }
}

impl std::error::Error for TableError {}

/// The instruction table of the manual, in opcode order (Markdown, ending in a newline).
pub fn instruction_table() -> Result<String, TableError> {
    for (m, ..) in DESCRIPTIONS {
        if !TABLE.iter().any(|r| r.mnemonic == *m) {
            return Err(TableError::Unknown(m));
        }
    }
    let mut rows: Vec<_> = TABLE.iter().collect();
    rows.sort_by_key(|r| r.opcode as u8);
    let mut s = String::from(
        "| opcode | mnemonic | syntax | fields used | words | effect | flags | faults it raises |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let (_, effect, flags, faults) =
            DESCRIPTIONS.iter().find(|d| d.0 == r.mnemonic).ok_or(TableError::Undescribed(r.mnemonic))?;
        let (syntax, fields) = format_doc(r.format);
        // The documented fields must be exactly the ones the encoder uses.
        for (name, _) in FIELDS {
            let documented = fields.split([';', ',', ' ', ':']).any(|w| w == *name);
            if documented != used_fields(r.format).contains(name) {
                return Err(TableError::Fields(r.mnemonic));
            }
        }
        let syntax = syntax
            .split('|')
            .map(|alt| if alt.is_empty() { format!("`{}`", r.mnemonic) } else { format!("`{} {alt}`", r.mnemonic) })
            .collect::<Vec<_>>()
            .join(" or ");
        let _ = writeln!(
            s,
            "| 0x{:02X} | {} | {} | {} | {} | {} | {} | {} |",
            r.opcode as u8,
            r.mnemonic,
            syntax,
            fields,
            r.format.words(),
            effect.replace('|', "\\|"),
            flags,
            faults
        );
    }
    Ok(s)
}

/// The fault-code table of the manual (Markdown), from `isa::fault`.
pub fn fault_table() -> String {
    let mut s = String::from("| code | name |\n|---|---|\n");
    let _ = writeln!(s, "| 0x{:08X} | ENOSYS (not a fault: what R0 gets from an unknown SVC) |", fault::ENOSYS);
    for (name, code) in fault::ALL {
        let _ = writeln!(s, "| 0x{code:08X} | {name} |");
    }
    s
}

/// docs/rtl-interface.md's control-register tables (`isa::ctrl`, the numbers the RTL
/// package's `CtrlField*`, `CtrlGlobal*` and `cmd_e` are generated from).
pub fn ctrl_map() -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Per slot, pid `p` in 1..NTasks, at `0x0000 + p*0x{:X} + 4*f`:\n", ctrl::SLOT_STRIDE);
    s.push_str("| f | field | access |\n|---|---|---|\n");
    for (_, f, what) in ctrl::field::ALL {
        let _ = writeln!(s, "| {f} | {what} | R |");
    }
    let _ = writeln!(s, "\nGlobals at `0x{:X} + 4*g`:\n", ctrl::GLOBALS_BASE);
    s.push_str("| g | register | access |\n|---|---|---|\n");
    let args = ctrl::global::ARG0;
    let mut args_done = false;
    for (_, g, access, what) in ctrl::global::ALL {
        if *g > args && !args_done {
            let last = args + ctrl::global::N_ARGS - 1;
            let _ = writeln!(s, "| {args}..{last} | command arguments A0..A{} | RW |", ctrl::global::N_ARGS - 1);
            args_done = true;
        }
        let _ = writeln!(s, "| {g} | {what} | {access} |");
    }
    s.push_str("\nCommands (the `op` of CMD):\n\n| op | command | arguments |\n|---|---|---|\n");
    for (name, code, a) in ctrl::op::ALL {
        let _ = writeln!(s, "| {code} | {name} | {a} |");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_is_described_once() {
        let t = instruction_table().unwrap();
        for r in TABLE {
            let n = t.lines().filter(|l| l.contains(&format!("| {} |", r.mnemonic))).count();
            assert_eq!(n, 1, "{} appears {n} times", r.mnemonic);
            assert!(t.contains(&format!("| 0x{:02X} | {} |", r.opcode as u8, r.mnemonic)));
        }
        assert_eq!(DESCRIPTIONS.len(), TABLE.len());
    }

    #[test]
    fn documented_fields_follow_the_encoder() {
        // CMP uses rs1 and rs2 but not rd; LDI32's second word is not a field of the first.
        assert_eq!(used_fields(FormatKind::RsRs), ["rs1", "rs2"]);
        assert_eq!(used_fields(FormatKind::Imm32), ["rd"]);
        assert_eq!(used_fields(FormatKind::NoOperands), Vec::<&str>::new());
    }

    #[test]
    fn fault_table_lists_every_code() {
        let t = fault_table();
        for (name, code) in fault::ALL {
            assert!(t.contains(&format!("0x{code:08X} | {name}")), "{name}");
        }
    }
}
