//! Pass 2: resolving values (labels, address operators) and encoding each instruction
//! through the ISA table ([`Insn::from_parts`], [`Insn::encode`]) with every field
//! range-checked.

use super::*;

impl Asm {
    pub(super) fn eval(&self, e: &Expr) -> Result<Val, Err> {
        let mut val = match &e.kind {
            ExprKind::Num(v) => Val { v: *v, label: None },
            ExprKind::Label(name, op) => {
                let local = self.labels.get(name);
                if local.is_none() && !self.externs.contains_key(name) && !self.imports.contains_key(name) {
                    return Err((e.col, AsmErrorKind::UndefinedLabel(name.clone())));
                }
                if let (AddrOp::Off16, Some(LabelDef { section: Section::Text, .. })) = (op, local) {
                    return Err((e.col, AsmErrorKind::Off16NotData(name.clone())));
                }
                // The prototype's linker resolves a name through the exported symbols
                // first, then the module's own labels.
                let sym = match (self.globals.get(name), local) {
                    (Some(g), _) => *g,
                    (None, Some(d)) => GSym { value: self.label_value(d), offset: d.offset, section: d.section },
                    (None, None) => return Err((e.col, AsmErrorKind::UnresolvedExtern(name.clone()))),
                };
                match op {
                    AddrOp::None => Val { v: sym.value as i64, label: Some((name.clone(), sym.section)) },
                    AddrOp::Lo16 => Val { v: (sym.value & 0xFFFF) as i64, label: None },
                    AddrOp::Hi16 => Val { v: (sym.value >> 16) as i64, label: None },
                    AddrOp::Off16 => Val { v: (sym.offset & 0xFFFF) as i64, label: None },
                }
            }
        };
        if e.neg {
            val.v = -val.v;
        }
        Ok(val)
    }

    /// A code target (JMP/JZ/JNZ/CALL/.entry): a `.text` label or a number.
    pub(super) fn code_target(&self, e: &Expr, what: &str) -> Result<Val, Err> {
        let v = self.eval(e)?;
        if let Some((name, Section::Data)) = &v.label {
            return Err((e.col, AsmErrorKind::DataLabel { name: name.clone(), what: what.to_string() }));
        }
        Ok(v)
    }

    pub(super) fn simm12(&self, e: &Expr, what: &str, hint: &str) -> Result<i16, Err> {
        let v = self.eval(e)?;
        let range = format!("{}{hint}", SIMM12.2);
        Ok(range_check(what, &v, SIMM12.0, SIMM12.1, &range, e.col)? as i16)
    }

    pub(super) fn encode(&self, row: &'static Row, ops: &Ops, pc: u32) -> Result<Vec<u32>, Err> {
        let m = row.mnemonic;
        let any = match ops {
            Ops::RdImm { rd, imm } => {
                AnyOperands::RdImm(RdImm { rd: *rd, imm: self.simm12(imm, &format!("{m} value"), "; use LDI32")? })
            }
            Ops::Load { rd, rs1, off } => {
                AnyOperands::Load(Load { rd: *rd, rs1: *rs1, imm: self.simm12(off, &format!("{m} offset"), "")? })
            }
            Ops::Store { rs1, off, rs2 } => {
                AnyOperands::Store(Store { rs1: *rs1, imm: self.simm12(off, &format!("{m} offset"), "")?, rs2: *rs2 })
            }
            Ops::RdRs { rd, rs1 } => AnyOperands::RdRs(RdRs { rd: *rd, rs1: *rs1 }),
            Ops::RdRsRs { rd, rs1, rs2 } => AnyOperands::RdRsRs(RdRsRs { rd: *rd, rs1: *rs1, rs2: *rs2 }),
            Ops::RsRs { rs1, rs2 } => AnyOperands::RsRs(RsRs { rs1: *rs1, rs2: *rs2 }),
            Ops::Target(e) => {
                let what = format!("{m} target");
                let v = self.code_target(e, &what)?;
                let t = range_check(&what, &v, 0, 0xFFF, "0..0xFFC (12 bits unsigned, absolute)", e.col)?;
                if t % 4 != 0 {
                    return Err((e.col, AsmErrorKind::Misaligned { what, value: t }));
                }
                AnyOperands::Target(Target { target: t as u16 })
            }
            Ops::CallTarget(e) => {
                let what = format!("{m} target");
                let v = self.code_target(e, &what)?;
                let t = range_check(&what, &v, 0, 0xFFFF, "0..0xFFFC (a code offset)", e.col)?;
                if t % 4 != 0 {
                    return Err((e.col, AsmErrorKind::Misaligned { what, value: t }));
                }
                // PC arithmetic is modulo 2^16, so the distance is too.
                let delta = (t as u32).wrapping_sub(pc) as u16 as i16 as i64;
                let dist = Val { v: delta, label: None };
                let range = format!("-8192..8188 bytes from the {m} at 0x{pc:04X} (12-bit signed word offset)");
                range_check(&format!("{m} target 0x{t:04X}: distance"), &dist, -8192, 8188, &range, e.col)?;
                AnyOperands::CallOp(CallOp { rs1: 0, imm: (delta / 4) as i16 })
            }
            Ops::CallReg { rs1, imm } => {
                AnyOperands::CallOp(CallOp { rs1: *rs1, imm: self.simm12(imm, &format!("{m} word offset"), "")? })
            }
            Ops::NoOperands => AnyOperands::NoOperands(NoOperands {}),
            Ops::Svc { module, func } => {
                let mv = self.eval(module)?;
                let module = range_check(&format!("{m} module"), &mv, 0, 15, "0..15 (4 bits)", module.col)? as u8;
                let fv = self.eval(func)?;
                let func = range_check(&format!("{m} function"), &fv, 0, 255, "0..255 (8 bits)", func.col)? as u8;
                AnyOperands::SvcOp(SvcOp { module, func })
            }
            Ops::SvcImm(e) => {
                let v = self.eval(e)?;
                let imm =
                    range_check(&format!("{m} immediate"), &v, 0, 0xFFF, "0..0xFFF (module << 8 | function)", e.col)?;
                AnyOperands::SvcOp(SvcOp { module: (imm >> 8) as u8, func: (imm & 0xFF) as u8 })
            }
            Ops::Rs(r) => AnyOperands::Rs(Rs { rs1: *r }),
            Ops::Rd(r) => AnyOperands::Rd(Rd { rd: *r }),
            Ops::Brk(code) => {
                let code = match code {
                    None => 0,
                    Some(e) => {
                        let v = self.eval(e)?;
                        range_check(&format!("{m} code"), &v, 0, 255, "0..255 (8 bits)", e.col)? as u8
                    }
                };
                AnyOperands::BrkOp(BrkOp { code })
            }
            Ops::Imm32 { rd, value } => {
                let v = self.eval(value)?;
                let v = range_check(
                    &format!("{m} value"),
                    &v,
                    -(1 << 31),
                    u32::MAX as i64,
                    "-2147483648..4294967295 (32 bits)",
                    value.col,
                )?;
                AnyOperands::Imm32(Imm32 { rd: *rd, value: v as u32 })
            }
        };
        let insn = Insn::from_parts(row.opcode, any)
            .ok_or((0, AsmErrorKind::Syntax(format!("internal error: operands do not match the format of {m}"))))?;
        Ok(insn.encode().as_slice().to_vec())
    }

    pub(super) fn value_bytes(&self, e: &Expr, width: u8, big_endian: bool) -> Result<Vec<u8>, Err> {
        let v = self.eval(e)?;
        let (what, lo, hi, range): (&str, i64, i64, &str) = match width {
            1 => (".byte value", -128, 255, "-128..255"),
            2 => (".half value", -32768, 65535, "-32768..65535"),
            _ => (".word value", -(1 << 31), u32::MAX as i64, "-2147483648..4294967295"),
        };
        let v = range_check(what, &v, lo, hi, range, e.col)? as u32;
        let bytes = if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        Ok(match width {
            1 => vec![bytes[if big_endian { 3 } else { 0 }]],
            2 => {
                if big_endian {
                    bytes[2..].to_vec()
                } else {
                    bytes[..2].to_vec()
                }
            }
            _ => bytes.to_vec(),
        })
    }
}
