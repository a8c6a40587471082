//! The directives of pass 1 (`.text`, `.data`, `.org`, `.align`, `.byte`/`.half`/`.word`,
//! `.ascii`/`.asciz`, `.space`, `.entry`, `.extern`/`.import`/`.export`, …): docs/asm.md.

use super::*;

impl Asm {
    pub(super) fn directive(&mut self, no: usize, head: &Token, name: &str, ops: &[&[Token]]) {
        let lower = name.to_ascii_lowercase();
        let n = ops.len();
        let count_err = |max: &str| {
            (head.col, AsmErrorKind::OperandCount { mnemonic: name.to_string(), expected: max.to_string(), found: n })
        };
        match lower.as_str() {
            ".text" => {
                if n != 0 {
                    return self.err(no, count_err("no operands"));
                }
                self.section = Section::Text;
            }
            ".data" => {
                if n > 1 {
                    return self.err(no, count_err("0 or 1 operand (.data [address])"));
                }
                self.section = Section::Data;
                let Some(op) = ops.first() else { return };
                let Some((v, col)) = self.const_operand(no, ".data address", op) else { return };
                if !(0..=0xFFFF).contains(&v) {
                    let kind =
                        AsmErrorKind::OutOfRange { what: ".data address".into(), value: v, range: "0..0xFFFF".into() };
                    return self.err(no, (col, kind));
                }
                match self.data_addr {
                    Some((first, line)) if first != v as u32 => {
                        let line = self.line_no(line);
                        self.err(no, (col, AsmErrorKind::DataAddrTwice { first, line }));
                    }
                    Some(_) => {}
                    None => self.data_addr = Some((v as u32, no)),
                }
            }
            ".entry" => {
                if n > 1 {
                    return self.err(no, count_err("0 or 1 operand (.entry [label])"));
                }
                if let Some((line, _, _)) = self.entry {
                    let line = self.line_no(line);
                    return self.err(no, (head.col, AsmErrorKind::EntryTwice(line)));
                }
                let spec = match ops.first() {
                    None => EntrySpec::Here(self.text_len),
                    Some(op) => match expr(op) {
                        Ok(e) => EntrySpec::At(e),
                        Err(e) => return self.err(no, e),
                    },
                };
                self.entry = Some((no, head.col, spec));
            }
            ".align" => {
                if n != 1 {
                    return self.err(no, count_err("1 operand (.align n)"));
                }
                let Some((v, col)) = self.const_operand(no, ".align", ops[0]) else { return };
                if !(1..=0x1_0000).contains(&v) || (v & (v - 1)) != 0 {
                    return self.err(no, (col, AsmErrorKind::BadAlign(v)));
                }
                let cur = self.cur_offset() as u64;
                let pad = (v as u64 - cur % v as u64) % v as u64;
                if pad > 0 {
                    self.push(no, head.col, pad, ItemKind::Zeros(pad as usize));
                }
            }
            ".byte" | ".half" | ".hword" | ".word" => {
                let width: u8 = match lower.as_str() {
                    ".byte" => 1,
                    ".word" => 4,
                    _ => 2,
                };
                if width != 4 && self.section == Section::Text {
                    return self.err(
                        no,
                        (head.col, AsmErrorKind::NotInText(format!("`{name}` (use .word for raw code words)"))),
                    );
                }
                if n == 0 {
                    return self.err(no, count_err("at least 1 value"));
                }
                let mut vals = Vec::with_capacity(n);
                for op in ops {
                    if let (1, [Token { tok: Tok::Str(bytes), col, .. }]) = (width, op) {
                        // `.byte "text"`: the string's bytes (no NUL).
                        vals.extend(bytes.iter().map(|&b| Expr {
                            col: *col,
                            neg: false,
                            kind: ExprKind::Num(b as i64),
                        }));
                        continue;
                    }
                    match expr(op) {
                        Ok(e) => vals.push(e),
                        Err(e) => {
                            self.err(no, e);
                            vals.push(Expr::zero(op[0].col));
                        }
                    }
                }
                let len = width as u64 * vals.len() as u64;
                let kind = match self.section {
                    Section::Text => ItemKind::CodeWords(vals),
                    Section::Data => ItemKind::Values { width, vals },
                };
                self.push(no, head.col, len, kind);
            }
            ".asciz" | ".string" => {
                if self.section == Section::Text {
                    return self.err(no, (head.col, AsmErrorKind::NotInText(format!("`{name}`"))));
                }
                if n == 0 {
                    return self.err(no, count_err("at least 1 string"));
                }
                let mut bytes = Vec::new();
                for op in ops {
                    match op {
                        [Token { tok: Tok::Str(s), .. }] => {
                            bytes.extend_from_slice(s);
                            bytes.push(0);
                        }
                        _ => {
                            let kind =
                                AsmErrorKind::Syntax(format!("expected a string literal, found `{}`", describe(op)));
                            self.err(no, (op[0].col, kind));
                        }
                    }
                }
                let len = bytes.len() as u64;
                self.push(no, head.col, len, ItemKind::Bytes(bytes));
            }
            ".extern" | ".import" | ".export" => {
                if n == 0 {
                    return self.err(no, count_err("at least 1 symbol"));
                }
                for op in ops {
                    match op {
                        [Token { tok: Tok::Ident(sym), col, .. }] if !is_register_like(sym) => {
                            let map = match lower.as_str() {
                                ".extern" => &mut self.externs,
                                ".import" => &mut self.imports,
                                _ => &mut self.exports,
                            };
                            map.entry(sym.clone()).or_insert((no, *col));
                        }
                        _ => {
                            let kind =
                                AsmErrorKind::Syntax(format!("expected a symbol name, found `{}`", describe(op)));
                            self.err(no, (op[0].col, kind));
                        }
                    }
                }
            }
            ".org" => {
                if self.section != Section::Text {
                    return self.err(no, (head.col, AsmErrorKind::NotInData("`.org`".into())));
                }
                if n != 1 {
                    return self.err(no, count_err("1 operand (.org offset)"));
                }
                let Some((v, col)) = self.const_operand(no, ".org", ops[0]) else { return };
                if !(0..=0xFFFF).contains(&v) || v % 4 != 0 {
                    return self.err(no, (col, AsmErrorKind::BadOrigin(v as u32)));
                }
                if v < self.text_len as i64 {
                    return self.err(no, (col, AsmErrorKind::OrgBackwards { target: v, cur: self.text_len }));
                }
                let pad = v as u64 - self.text_len as u64;
                if pad > 0 {
                    self.push(no, head.col, pad, ItemKind::Zeros(pad as usize));
                }
            }
            ".zero" | ".ascii" => {
                if self.section == Section::Text {
                    return self.err(no, (head.col, AsmErrorKind::NotInText(format!("`{name}`"))));
                }
                if lower == ".zero" {
                    if n != 1 {
                        return self.err(no, count_err("1 operand (.zero count)"));
                    }
                    let Some((v, col)) = self.const_operand(no, ".zero", ops[0]) else { return };
                    if !(0..=0x1_0000).contains(&v) {
                        let range = "0..65536".to_string();
                        return self
                            .err(no, (col, AsmErrorKind::OutOfRange { what: ".zero count".into(), value: v, range }));
                    }
                    return self.push(no, head.col, v as u64, ItemKind::Zeros(v as usize));
                }
                if n == 0 {
                    return self.err(no, count_err("at least 1 string"));
                }
                let mut bytes = Vec::new();
                for op in ops {
                    match op {
                        [Token { tok: Tok::Str(s), .. }] => bytes.extend_from_slice(s),
                        _ => {
                            let kind =
                                AsmErrorKind::Syntax(format!("expected a string literal, found `{}`", describe(op)));
                            self.err(no, (op[0].col, kind));
                        }
                    }
                }
                let len = bytes.len() as u64;
                self.push(no, head.col, len, ItemKind::Bytes(bytes));
            }
            _ => self.err(no, (head.col, AsmErrorKind::UnknownDirective(name.to_string()))),
        }
    }
}
