//! Assembler tests. Expected encodings are built with `Insn::encode` from the table, not
//! hard-coded, except where a test pins the bit layout on purpose.

use super::*;
use crate::hxe::Version;
use proptest::prelude::*;

fn asm(src: &str) -> Program {
    assemble(src, "t.mvasm").unwrap_or_else(|e| panic!("{e}"))
}

fn words(src: &str) -> Vec<u32> {
    asm(src).image.code_words()
}

fn enc(i: Insn) -> Vec<u32> {
    i.encode().as_slice().to_vec()
}

fn errs(src: &str) -> Vec<Diagnostic> {
    match assemble(src, "t.mvasm") {
        Ok(_) => panic!("expected an error for {src:?}"),
        Err(e) => e.diagnostics,
    }
}

/// The single error of `src`, as (line, col, kind).
fn err1(src: &str) -> (usize, usize, AsmErrorKind) {
    let d = errs(src);
    assert_eq!(d.len(), 1, "{d:?}");
    (d[0].line, d[0].col, d[0].kind.clone())
}

#[test]
fn small_program_with_forward_labels() {
    let p = asm("; demo\n\
                 .text\n\
                 start:  LDI R1, 5\n\
                 \tJMP end\n\
                 loop: ADD R1, R1, R2 ; comment\n\
                 end:    RET\n");
    assert_eq!(
        p.image.code_words(),
        [
            enc(Insn::Ldi(RdImm { rd: 1, imm: 5 })),
            enc(Insn::Jmp(Target { target: 12 })),
            enc(Insn::Add(RdRsRs { rd: 1, rs1: 1, rs2: 2 })),
            enc(Insn::Ret(NoOperands {})),
        ]
        .concat()
    );
    // the bit layout, once, by hand
    assert_eq!(p.image.code_words()[0], 0x0110_0005);
    assert_eq!(p.image.entry, 0);
    assert_eq!(p.labels["loop"], Label { section: Section::Text, value: 8, line: 5 });
    assert_eq!(p.labels["end"].value, 12);
    assert_eq!(p.entry_label("end"), Some(12));
    assert_eq!(p.entry_label("nope"), None);
    assert_eq!(p.image.data_addr, RODATA_BASE);
    assert!(p.image.data.is_empty());
    // the result is a valid HXE file
    let img = Image::parse(&p.image.try_to_bytes(Version::V2).unwrap()).unwrap();
    assert_eq!(img, p.image);
}

#[test]
fn case_insensitive_mnemonics_registers_directives() {
    let a = words(".Entry\n.TEXT\nadd r1, R2, r15\nLdI32 r3, 7\nmov R4, r0");
    let b = words("ADD R1, R2, R15\nLDI32 R3, 7\nMOV R4, R0");
    assert_eq!(a, b);
    assert_eq!(a[0], enc(Insn::Add(RdRsRs { rd: 1, rs1: 2, rs2: 15 }))[0]);
}

#[test]
fn numbers_and_char_literals() {
    let w = words("LDI R1, 'A'\nLDI R2, -0x10\nLDI R3, '\\n'\nLDI R4, 2047\nLDI R5, -2048\nLDI32 R6, -1\nLDI32 R7, 0xFFFFFFFF\nLDI32 R8, '\\xFF'");
    assert_eq!(
        w,
        [
            enc(Insn::Ldi(RdImm { rd: 1, imm: 65 })),
            enc(Insn::Ldi(RdImm { rd: 2, imm: -16 })),
            enc(Insn::Ldi(RdImm { rd: 3, imm: 10 })),
            enc(Insn::Ldi(RdImm { rd: 4, imm: 2047 })),
            enc(Insn::Ldi(RdImm { rd: 5, imm: -2048 })),
            enc(Insn::Ldi32(Imm32 { rd: 6, value: u32::MAX })),
            enc(Insn::Ldi32(Imm32 { rd: 7, value: u32::MAX })),
            enc(Insn::Ldi32(Imm32 { rd: 8, value: 255 })),
        ]
        .concat()
    );
}

#[test]
fn memory_operands() {
    let w = words("LD R1, [R2]\nLD R1, [R2 + 8]\nLDB R1, [r2 - 8]\nLDH R1,[R2+-3]\nST [R3 + 4], R4\nSTB [R3-2048], R4\nSTH [R3 + 2047], R4\nLD R1, [R2 - -5]");
    assert_eq!(
        w,
        [
            enc(Insn::Ld(Load { rd: 1, rs1: 2, imm: 0 })),
            enc(Insn::Ld(Load { rd: 1, rs1: 2, imm: 8 })),
            enc(Insn::Ldb(Load { rd: 1, rs1: 2, imm: -8 })),
            enc(Insn::Ldh(Load { rd: 1, rs1: 2, imm: -3 })),
            enc(Insn::St(Store { rs1: 3, imm: 4, rs2: 4 })),
            enc(Insn::Stb(Store { rs1: 3, imm: -2048, rs2: 4 })),
            enc(Insn::Sth(Store { rs1: 3, imm: 2047, rs2: 4 })),
            enc(Insn::Ld(Load { rd: 1, rs1: 2, imm: 5 })),
        ]
        .concat()
    );
    assert!(matches!(err1("LD R1, [R2 + 2048]").2, AsmErrorKind::OutOfRange { value: 2048, .. }));
    assert!(matches!(err1("ST [R2 - 2049], R1").2, AsmErrorKind::OutOfRange { value: -2049, .. }));
    assert!(matches!(err1("LD R1, [R2 + 4"), (1, 14, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("LD R1, R2"), (1, 8, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("LD R1, [R2 * 4]"), (1, 12, AsmErrorKind::UnexpectedChar('*'))));
    assert!(matches!(err1("LD R1, [5]"), (1, 9, AsmErrorKind::BadRegister(_))));
    assert!(matches!(err1("LD R1, []"), (1, 8, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("LD R1, [R2 +]"), (1, 12, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("ST R1, [R2]"), (1, 4, AsmErrorKind::Syntax(_))));
}

#[test]
fn every_format_syntax() {
    let w =
        words("MOV R1, R2\nNOT R3, R4\nCMP R5, R6\nPUSH R7\nPOP R8\nRET\nBRK\nBRK 255\nI2F R1, R2\nFADD R1, R2, R3");
    assert_eq!(
        w,
        [
            enc(Insn::Mov(RdRs { rd: 1, rs1: 2 })),
            enc(Insn::Not(RdRs { rd: 3, rs1: 4 })),
            enc(Insn::Cmp(RsRs { rs1: 5, rs2: 6 })),
            enc(Insn::Push(Rs { rs1: 7 })),
            enc(Insn::Pop(Rd { rd: 8 })),
            enc(Insn::Ret(NoOperands {})),
            enc(Insn::Brk(BrkOp { code: 0 })),
            enc(Insn::Brk(BrkOp { code: 255 })),
            enc(Insn::I2f(RdRs { rd: 1, rs1: 2 })),
            enc(Insn::Fadd(RdRsRs { rd: 1, rs1: 2, rs2: 3 })),
        ]
        .concat()
    );
    assert!(matches!(err1("BRK 256").2, AsmErrorKind::OutOfRange { value: 256, .. }));
    assert!(matches!(err1("BRK -1").2, AsmErrorKind::OutOfRange { value: -1, .. }));
}

#[test]
fn svc_both_forms() {
    let expect = enc(Insn::Svc(SvcOp { module: 5, func: 2 }));
    assert_eq!(words("SVC 0x5, 0x2"), expect);
    assert_eq!(words("SVC MOD=0x5, FN=0x2"), expect);
    assert_eq!(words("svc mod = 5 , fn = 2"), expect);
    assert_eq!(words("SVC 15, 255"), enc(Insn::Svc(SvcOp { module: 15, func: 255 })));
    assert!(matches!(err1("SVC 16, 0"), (1, 5, AsmErrorKind::OutOfRange { value: 16, .. })));
    assert!(matches!(err1("SVC 1, 256"), (1, 8, AsmErrorKind::OutOfRange { value: 256, .. })));
    assert!(matches!(err1("SVC FN=1, MOD=2"), (1, 5, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("SVC MOD=, 2"), (1, 5, AsmErrorKind::Syntax(_))));
    // One operand: the 12-bit immediate, module in bits 11..8 (the prototype's form).
    assert_eq!(words("SVC 0x500"), words("SVC 5, 0"));
    assert_eq!(words("SVC 0x1FF"), words("SVC MOD=1, FN=0xFF"));
    assert!(matches!(err1("SVC 0x1000"), (1, 5, AsmErrorKind::OutOfRange { value: 0x1000, .. })));
    assert!(matches!(err1("SVC 1, 2, 3"), (1, 1, AsmErrorKind::OperandCount { found: 3, .. })));
}

#[test]
fn call_forms() {
    let p = asm("f: RET\nmain: CALL f\nCALL g\nCALL R3, -5\nCALL R1, 2047\ng: RET");
    assert_eq!(
        p.image.code_words(),
        [
            enc(Insn::Ret(NoOperands {})),
            enc(Insn::Call(CallOp { rs1: 0, imm: -1 })),
            enc(Insn::Call(CallOp { rs1: 0, imm: 3 })),
            enc(Insn::Call(CallOp { rs1: 3, imm: -5 })),
            enc(Insn::Call(CallOp { rs1: 1, imm: 2047 })),
            enc(Insn::Ret(NoOperands {})),
        ]
        .concat()
    );
    // numeric targets are absolute code offsets
    assert_eq!(assemble_insn("CALL 0x20", 0x10).unwrap(), enc(Insn::Call(CallOp { rs1: 0, imm: 4 })));
    assert_eq!(assemble_insn("CALL 0", 0).unwrap(), enc(Insn::Call(CallOp { rs1: 0, imm: 0 })));
    // the distance is taken modulo 2^16, like PC arithmetic
    assert_eq!(assemble_insn("CALL 0xFFFC", 0).unwrap(), enc(Insn::Call(CallOp { rs1: 0, imm: -1 })));
    assert_eq!(assemble_insn("CALL 0xF000", 0x1000).unwrap(), enc(Insn::Call(CallOp { rs1: 0, imm: -2048 })));
    assert_eq!(assemble_insn("CALL 0x1FFC", 0).unwrap(), enc(Insn::Call(CallOp { rs1: 0, imm: 2047 })));
    let e = assemble_insn("CALL 0x2000", 0).unwrap_err();
    assert!(matches!(e.diagnostics[0].kind, AsmErrorKind::OutOfRange { value: 8192, .. }), "{e}");
    assert!(e.to_string().starts_with("<insn>:1:6: CALL target 0x2000"), "{e}");
    assert!(matches!(
        assemble_insn("CALL 0x10000", 0).unwrap_err().diagnostics[0].kind,
        AsmErrorKind::OutOfRange { .. }
    ));
    assert!(matches!(
        assemble_insn("CALL 6", 0).unwrap_err().diagnostics[0].kind,
        AsmErrorKind::Misaligned { value: 6, .. }
    ));
    assert!(matches!(err1("CALL R0, 4"), (1, 6, AsmErrorKind::CallR0)));
    assert!(matches!(err1("CALL R3"), (1, 6, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("CALL R3, 2048").2, AsmErrorKind::OutOfRange { value: 2048, .. }));
    assert!(matches!(err1("CALL"), (1, 1, AsmErrorKind::OperandCount { found: 0, .. })));
    assert!(matches!(err1(".data\nd: .byte 0\n.text\nCALL d"), (4, 6, AsmErrorKind::DataLabel { .. })));
    // a label too far away
    let far = format!("CALL far\n{}far: RET\n", ".word 0\n".repeat(2048));
    assert!(matches!(err1(&far), (1, 6, AsmErrorKind::OutOfRange { value: 8196, .. })));
    let near = format!("CALL far\n{}far: RET\n", ".word 0\n".repeat(2046));
    assert_eq!(words(&near)[0], enc(Insn::Call(CallOp { rs1: 0, imm: 2047 }))[0]);
}

#[test]
fn jumps_are_absolute_12_bit() {
    let p = asm("JMP 0\nJZ t\nJNZ 0xFFC\nt: RET");
    assert_eq!(
        p.image.code_words(),
        [
            enc(Insn::Jmp(Target { target: 0 })),
            enc(Insn::Jz(Target { target: 12 })),
            enc(Insn::Jnz(Target { target: 0xFFC })),
            enc(Insn::Ret(NoOperands {})),
        ]
        .concat()
    );
    assert!(matches!(err1("JMP 0x1000"), (1, 5, AsmErrorKind::OutOfRange { value: 0x1000, .. })));
    assert!(matches!(err1("JMP -4").2, AsmErrorKind::OutOfRange { value: -4, .. }));
    assert!(matches!(err1("JZ 2"), (1, 4, AsmErrorKind::Misaligned { value: 2, .. })));
    let far = format!("JMP far\n{}far: RET\n", ".word 0\n".repeat(1023));
    let d = err1(&far);
    assert!(matches!(d, (1, 5, AsmErrorKind::OutOfRange { value: 0x1000, .. })), "{d:?}");
    let msg = errs(&far)[0].to_string();
    assert_eq!(msg, "t.mvasm:1:5: JMP target 4096 out of range: 0..0xFFC (12 bits unsigned, absolute)");
    assert!(matches!(err1(".data\nd: .word 0\n.text\nJMP d").2, AsmErrorKind::DataLabel { .. }));
}

#[test]
fn ldi_range() {
    let d = errs("LDI R1, 2048");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].to_string(), "t.mvasm:1:9: LDI value 2048 out of range: -2048..2047 (12 bits signed); use LDI32");
    assert!(matches!(err1("LDI R1, -2049").2, AsmErrorKind::OutOfRange { value: -2049, .. }));
    // a label likewise: data labels are 0x4000 and up
    assert!(matches!(err1(".data\nd: .byte 1\n.text\nLDI R1, d").2, AsmErrorKind::OutOfRange { value: 0x4000, .. }));
    // text labels fit
    assert_eq!(words("x: LDI R1, x\nLDI R2, y\ny: RET")[1], enc(Insn::Ldi(RdImm { rd: 2, imm: 8 }))[0]);
    // LDI32 takes any 32-bit value or label
    let p = asm(".data 0x8000\nbuf: .byte 0\n.text\nLDI32 R1, buf\nLDI32 R2, -2147483648");
    assert_eq!(
        p.image.code_words(),
        [enc(Insn::Ldi32(Imm32 { rd: 1, value: 0x8000 })), enc(Insn::Ldi32(Imm32 { rd: 2, value: 0x8000_0000 }))]
            .concat()
    );
    assert!(matches!(err1("LDI32 R1, -2147483649").2, AsmErrorKind::OutOfRange { .. }));
}

#[test]
fn data_directives_little_endian() {
    let p = asm(".data\n\
                 a: .byte 1, -1, 255, 'z'\n\
                 b: .half 0x1234, -2\n\
                 c: .hword 65535\n\
                 d: .word 0x11223344, a, -1\n\
                 e: .asciz \"hi\\n\"\n\
                 f: .string \"\", \"q\\\"\\x41\"\n.text\nRET");
    let mut expect = vec![1u8, 0xFF, 0xFF, b'z', 0x34, 0x12, 0xFE, 0xFF, 0xFF, 0xFF];
    expect.extend([0x44, 0x33, 0x22, 0x11, 0x00, 0x40, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
    expect.extend(b"hi\n\0\0q\"A\0");
    assert_eq!(p.image.data, expect);
    let v = |n: &str| p.labels[n].value;
    assert_eq!((v("a"), v("b"), v("c"), v("d"), v("e"), v("f")), (0x4000, 0x4004, 0x4008, 0x400A, 0x4016, 0x401A));
    assert_eq!(p.labels["a"].section, Section::Data);
    assert_eq!(p.entry_label("a"), None);
    // ranges
    assert!(matches!(err1(".data\n.byte 256"), (2, 7, AsmErrorKind::OutOfRange { value: 256, .. })));
    assert!(matches!(err1(".data\n.byte -129").2, AsmErrorKind::OutOfRange { value: -129, .. }));
    assert!(matches!(err1(".data\n.half 65536").2, AsmErrorKind::OutOfRange { .. }));
    assert!(matches!(err1(".data\n.half -32769").2, AsmErrorKind::OutOfRange { .. }));
    assert!(matches!(err1(".data\n.word -2147483649").2, AsmErrorKind::OutOfRange { .. }));
    assert!(matches!(err1(".data\n.byte"), (2, 1, AsmErrorKind::OperandCount { found: 0, .. })));
    assert!(matches!(err1(".data\n.asciz 5"), (2, 8, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1(".data\n.byte 1,,2"), (2, 9, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1(".data\n.byte 1,"), (2, 8, AsmErrorKind::Syntax(_))));
}

#[test]
fn text_section_rules() {
    // .word in .text: raw big-endian code words, labels allowed
    let p = asm("x: .word 0xFF000001, x, -1\nRET");
    assert_eq!(p.image.code_words(), vec![0xFF00_0001, 0, 0xFFFF_FFFF, enc(Insn::Ret(NoOperands {}))[0]]);
    assert_eq!(&p.image.code[..4], &[0xFF, 0, 0, 1]);
    assert!(matches!(err1("RET\n.byte 1"), (2, 1, AsmErrorKind::NotInText(_))));
    assert!(matches!(err1("RET\n.half 1"), (2, 1, AsmErrorKind::NotInText(_))));
    assert!(matches!(err1("RET\n.hword 1"), (2, 1, AsmErrorKind::NotInText(_))));
    assert!(matches!(err1("RET\n.asciz \"a\""), (2, 1, AsmErrorKind::NotInText(_))));
    assert!(matches!(err1("RET\n.data\nRET"), (3, 1, AsmErrorKind::NotInData(_))));
}

#[test]
fn align() {
    let p = asm(".data\n.byte 1\n.align 4\nw: .word 2\n.byte 3\n.align 2\nh: .half 4\n.align 1\n.text\nRET\n.align 16\nt: RET\n.align 4\nu: RET");
    assert_eq!(p.image.data, vec![1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 4, 0]);
    assert_eq!(p.labels["w"].value, 0x4004);
    assert_eq!(p.labels["h"].value, 0x400A);
    assert_eq!(p.labels["t"].value, 16);
    assert_eq!(p.labels["u"].value, 20);
    assert_eq!(p.image.code.len(), 24);
    assert_eq!(&p.image.code_words()[1..4], &[0, 0, 0]);
    for bad in ["3", "0", "-4", "0x20000"] {
        assert!(matches!(err1(&format!("RET\n.align {bad}")), (2, 8, AsmErrorKind::BadAlign(_))), "{bad}");
    }
    assert!(matches!(err1("RET\n.align x"), (2, 8, AsmErrorKind::Syntax(_))));
}

#[test]
fn data_address() {
    let p = asm(".data 0x8000\nx: .word 1\n.text\nLDI32 R1, x\n.data\ny: .byte 2\n.data 0x8000\nz: .byte 3");
    assert_eq!(p.image.data_addr, 0x8000);
    assert_eq!((p.labels["x"].value, p.labels["y"].value, p.labels["z"].value), (0x8000, 0x8004, 0x8005));
    assert_eq!(p.image.code_words()[1], 0x8000);
    // written as a type-0x10 entry; v1 refuses
    let bytes = p.image.try_to_bytes(Version::V2).unwrap();
    assert_eq!(Image::parse(&bytes).unwrap().data_addr, 0x8000);
    assert!(p.image.try_to_bytes(Version::V1).is_err());
    // the address applies to labels defined before it
    let p = asm(".data\na: .byte 1\n.data 0x5000\nb: .byte 2\n.text\nRET");
    assert_eq!((p.labels["a"].value, p.labels["b"].value), (0x5000, 0x5001));
    // given twice, differently
    assert_eq!(
        err1(".data 0x5000\n.data 0x6000\n.text\nRET"),
        (2, 7, AsmErrorKind::DataAddrTwice { first: 0x5000, line: 1 })
    );
    assert!(matches!(err1(".data 0x10000\n.text\nRET").2, AsmErrorKind::OutOfRange { .. }));
    assert!(matches!(err1("x: RET\n.data x").2, AsmErrorKind::Syntax(_)));
    // data must fit from the load address
    let d = err1(".data 0xFFF0\n.byte 0\n.align 16\n.byte 1\n.text\nRET");
    assert!(matches!(d, (4, 1, AsmErrorKind::DataTooLarge { addr: 0xFFF0, len: 17 })), "{d:?}");
    assert_eq!(asm(".data 0xFFF0\n.byte 0\n.align 16\n.text\nRET").image.data.len(), 16);
}

#[test]
fn entry() {
    assert_eq!(asm("RET\nmain: RET\n.entry main").image.entry, 4);
    assert_eq!(asm(".entry main\nRET\nmain: RET").image.entry, 4);
    assert_eq!(asm("RET\n.entry\nRET").image.entry, 4);
    assert_eq!(asm("RET\nRET\n.entry 4").image.entry, 4);
    assert_eq!(asm("RET\nRET").image.entry, 0);
    assert_eq!(err1(".entry a\na: RET\n.entry a").0, 3);
    assert!(matches!(err1(".entry a\na: RET\n.entry a").2, AsmErrorKind::EntryTwice(1)));
    assert!(matches!(err1("RET\nend:\n.entry end"), (3, 1, AsmErrorKind::EntryOutsideCode { entry: 4, code_len: 4 })));
    assert!(matches!(err1("RET\n.entry 2"), (2, 8, AsmErrorKind::Misaligned { .. })));
    assert!(matches!(err1("RET\n.entry nowhere"), (2, 8, AsmErrorKind::UndefinedLabel(_))));
    assert!(matches!(err1(".data\nd: .byte 1\n.text\nRET\n.entry d"), (5, 8, AsmErrorKind::DataLabel { .. })));
    assert!(matches!(err1(""), (1, 1, AsmErrorKind::NoCode)));
    assert!(matches!(err1("; nothing\n.data\n.byte 1\n"), (1, 1, AsmErrorKind::NoCode)));
    // a label after the last instruction is fine by itself
    let p = asm("RET\nend:");
    assert_eq!(p.labels["end"].value, 4);
}

#[test]
fn labels() {
    let p = asm("a: b: RET\n.L1: RET\n_x$.y: RET");
    assert_eq!(
        (p.labels["a"].value, p.labels["b"].value, p.labels[".L1"].value, p.labels["_x$.y"].value),
        (0, 0, 4, 8)
    );
    assert_eq!(
        err1("a: RET\na: RET"),
        (2, 1, AsmErrorKind::DuplicateLabel { name: "a".into(), first_line: 1, first_file: String::new() })
    );
    assert_eq!(err1("JMP nowhere"), (1, 5, AsmErrorKind::UndefinedLabel("nowhere".into())));
    assert_eq!(err1("r3: RET"), (1, 1, AsmErrorKind::LabelIsRegister("r3".into())));
    assert_eq!(err1("R16: RET"), (1, 1, AsmErrorKind::LabelIsRegister("R16".into())));
    // labels are case-sensitive
    assert_eq!(err1("Loop: JMP loop"), (1, 11, AsmErrorKind::UndefinedLabel("loop".into())));
}

#[test]
fn general_errors_and_positions() {
    assert_eq!(err1("  FOO R1"), (1, 3, AsmErrorKind::UnknownMnemonic("FOO".into())));
    assert_eq!(err1(".bss 4\nRET"), (1, 1, AsmErrorKind::UnknownDirective(".bss".into())));
    assert_eq!(err1("ADD R1, R2, R16"), (1, 13, AsmErrorKind::BadRegister("R16".into())));
    assert_eq!(err1("ADD R1, R2, 5"), (1, 13, AsmErrorKind::BadRegister("5".into())));
    assert!(matches!(err1("ADD R1, R2"), (1, 1, AsmErrorKind::OperandCount { found: 2, .. })));
    assert!(matches!(err1("RET R1"), (1, 1, AsmErrorKind::OperandCount { found: 1, .. })));
    assert!(matches!(err1("PUSH R1 R2"), (1, 9, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("LDI R1, R2"), (1, 9, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("LDI R1, x + 1"), (1, 11, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("LDI R1, -"), (1, 9, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("5: RET"), (1, 1, AsmErrorKind::Syntax(_))));
    assert!(matches!(err1("RET\n.text 1"), (2, 1, AsmErrorKind::OperandCount { .. })));
    assert!(matches!(err1("LDI R1, 99999999999"), (1, 9, AsmErrorKind::NumberTooLarge(_))));
    // Display
    let e = assemble("RET\n  ADD R1, R2\n", "prog.mvasm").unwrap_err();
    assert_eq!(e.to_string(), "prog.mvasm:2:3: `ADD` takes 3 operands (ADD Rd, Rs1, Rs2), found 2 operand(s)");
    let e = assemble("RET R0", "p").unwrap_err();
    assert_eq!(e.to_string(), "p:1:1: `RET` takes no operands, found 1 operand(s)");
}

#[test]
fn all_errors_collected_in_order() {
    let e = assemble("JMP nowhere\nBAD\nLDI R1, 5000\nx: RET\nx: RET\n", "f.s").unwrap_err();
    let lines: Vec<String> = e.to_string().lines().map(String::from).collect();
    assert_eq!(lines.len(), 4, "{e}");
    assert!(lines[0].starts_with("f.s:1:5: undefined label `nowhere`"));
    assert!(lines[1].starts_with("f.s:2:1: unknown mnemonic `BAD`"));
    assert!(lines[2].starts_with("f.s:3:9: LDI value 5000"));
    assert!(lines[3].starts_with("f.s:5:1: duplicate label `x` (first defined on line 4)"));
    assert_eq!(e.first().map(|d| d.line), Some(1));
    // statements with errors keep their size, so later labels stay right
    let e = assemble("LDI R1, 99999\nLDI32 R1, q\nt: JMP t\n", "f").unwrap_err();
    assert_eq!(e.diagnostics.len(), 2, "{e}");
}

#[test]
fn code_size_limit() {
    let ok = "RET\n".repeat(0x4000);
    assert_eq!(asm(&ok).image.code.len(), 0x1_0000);
    let d = errs(&"RET\n".repeat(0x4001));
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].line, d[0].kind.clone()), (0x4001, AsmErrorKind::CodeTooLong));
    assert!(matches!(err1(&format!("{}LDI32 R1, 0", "RET\n".repeat(0x3FFF))), (0x4000, 1, AsmErrorKind::CodeTooLong)));
}

#[test]
fn crlf_bom_and_tabs() {
    let a = words("\u{feff}start:\tLDI\tR1,\t1\r\n\tRET\r\n");
    assert_eq!(a, words("start: LDI R1, 1\nRET"));
    let d = errs("RET\r\n\tFOO\r\n");
    assert_eq!((d[0].line, d[0].col), (2, 2));
}

#[test]
fn assemble_insn_origin() {
    assert_eq!(assemble_insn("RET", 0xFFFC).unwrap(), enc(Insn::Ret(NoOperands {})));
    assert!(matches!(assemble_insn("RET", 2).unwrap_err().diagnostics[0].kind, AsmErrorKind::BadOrigin(2)));
    assert!(matches!(assemble_insn("RET", 0x10000).unwrap_err().diagnostics[0].kind, AsmErrorKind::BadOrigin(_)));
    assert!(matches!(assemble_insn("LDI32 R1, 0", 0xFFFC).unwrap_err().diagnostics[0].kind, AsmErrorKind::CodeTooLong));
    // labels are relative to the origin
    assert_eq!(assemble_insn("x: JMP x", 0x100).unwrap(), enc(Insn::Jmp(Target { target: 0x100 })));
    assert!(assemble_insn("", 0).unwrap().is_empty());
}

// ---- robustness ----

fn token_soup() -> impl Strategy<Value = String> {
    let tok = prop_oneof![
        Just("LDI".to_string()),
        Just("LDI32".to_string()),
        Just("CALL".to_string()),
        Just("JMP".to_string()),
        Just("SVC".to_string()),
        Just("LD".to_string()),
        Just("ST".to_string()),
        Just("ADD".to_string()),
        Just("BRK".to_string()),
        Just("RET".to_string()),
        Just(".data".to_string()),
        Just(".text".to_string()),
        Just(".entry".to_string()),
        Just(".align".to_string()),
        Just(".byte".to_string()),
        Just(".half".to_string()),
        Just(".word".to_string()),
        Just(".asciz".to_string()),
        Just("MOD".to_string()),
        Just("FN".to_string()),
        Just("=".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("+".to_string()),
        Just("-".to_string()),
        Just(";".to_string()),
        Just("\n".to_string()),
        Just("\"s\\n\"".to_string()),
        Just("'c'".to_string()),
        Just("'\\x41'".to_string()),
        Just("0xFFFF".to_string()),
        Just("0x10000".to_string()),
        Just("4294967295".to_string()),
        Just("2048".to_string()),
        (0u8..20).prop_map(|r| format!("R{r}")),
        "[a-c]{1,2}".prop_map(|s| s),
        "[a-c]{1,2}:".prop_map(|s| s),
        any::<i32>().prop_map(|v| v.to_string()),
        (0u32..0x2_0000).prop_map(|v| format!("0x{v:X}")),
    ];
    proptest::collection::vec(tok, 0..60).prop_map(|v| v.join(" "))
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        let _ = assemble(&src, "f");
        let _ = assemble_insn(&src, 0);
    }

    #[test]
    fn ascii_noise_never_panics(src in "[ -~\t\n]{0,200}") {
        match assemble(&src, "f") {
            Ok(p) => { prop_assert!(Image::parse(&p.image.to_bytes(Version::V2)).is_ok()); }
            Err(e) => {
                prop_assert!(!e.diagnostics.is_empty());
                for d in &e.diagnostics {
                    prop_assert!(d.line >= 1 && d.col >= 1);
                }
            }
        }
    }

    #[test]
    fn token_soup_never_panics(src in token_soup()) {
        match assemble(&src, "f") {
            // whatever assembles is a valid image
            Ok(p) => {
                let img = Image::parse(&p.image.try_to_bytes(Version::V2).unwrap()).unwrap();
                prop_assert_eq!(img, p.image);
            }
            Err(e) => {
                prop_assert!(!e.diagnostics.is_empty());
                let text = e.to_string();
                for line in text.lines() {
                    prop_assert!(line.starts_with("f:"), "{}", line);
                }
            }
        }
    }
}
