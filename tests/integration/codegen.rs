//! Every number the RTL shares with Rust has one source: the ISA table (`isa/src/table.rs`),
//! `isa/src/arch.rs` and `isa/src/ctrl.rs`. These tests fail when a copy derived from them
//! is stale: the generated files, the docs tables rendered from them, and the one place
//! that still maps opcodes by hand — the RTL decoder, whose arms must agree with the
//! table's class column.

use hsx_tests::root;
use std::collections::BTreeMap;

/// `rtl/hsx_isa_pkg.sv`, `rtl/tb/fpu/fpu_ops.h` and the docs blocks rendered from the
/// `isa` crate (`isa-table`, `fault-table`, `ctrl-map`) match what the sources give now.
#[test]
fn generated_copies_are_not_stale() {
    let root = root();
    let mut stale = Vec::new();
    for (rel, text) in isa::codegen::generated_files() {
        match std::fs::read_to_string(root.join(rel)) {
            Ok(committed) if committed == text => {}
            Ok(_) => stale.push(format!("{rel} is stale: run `cargo xtask codegen` and commit the result")),
            Err(e) => stale.push(format!("{rel}: {e}: run `cargo xtask codegen`")),
        }
    }
    let mut isa_blocks = 0;
    for path in xtask::blocks::doc_files(&root).unwrap() {
        let name = path.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for b in xtask::blocks::parse(&text, &name).unwrap_or_else(|e| panic!("{e}")) {
            if !b.source.is_isa_derived() {
                continue;
            }
            isa_blocks += 1;
            let fresh = xtask::blocks::render(&b.source, std::path::Path::new("hsx"), &root).unwrap();
            if xtask::blocks::compare(&text[b.content.clone()], &fresh).is_err() {
                stale.push(format!("{name}:{}: `{}` is stale: run `cargo xtask docs`", b.line, b.source));
            }
        }
    }
    assert!(isa_blocks >= 3, "only {isa_blocks} isa-derived docs blocks: the manual or docs/rtl-interface.md lost one");
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// What one arm of the decoder's `unique case` assigns: control name → value.
fn decoder_arms() -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(root().join("rtl/hsx_decoder.sv")).unwrap();
    let start = text.find("unique case (insn_i[31:24])").expect("the decoder's opcode case");
    let body = &text[start..start + text[start..].find("endcase").unwrap()];
    let body = &body[..body.find("default:").expect("a default arm")];
    let mut arms = BTreeMap::new();
    let mut rest = body;
    while let Some(i) = rest.find("hsx_isa_pkg::Op") {
        rest = &rest[i + "hsx_isa_pkg::Op".len()..];
        let name_end = rest.find(':').unwrap();
        let name = rest[..name_end].trim().to_string();
        let arm = &rest[name_end..rest.find("hsx_isa_pkg::Op").unwrap_or(rest.len())];
        let mut ctl = BTreeMap::new();
        for stmt in arm.split(';') {
            if let Some((lhs, rhs)) = stmt.split_once('=') {
                let lhs = lhs.split_whitespace().last().unwrap_or("").to_string();
                let rhs = rhs.trim().trim_start_matches("hsx_isa_pkg::").trim_start_matches("hsx_pkg::");
                ctl.insert(lhs, rhs.split_whitespace().next().unwrap_or("").to_string());
            }
        }
        assert!(arms.insert(name.clone(), ctl).is_none(), "two decoder arms for Op{name}");
    }
    arms
}

/// Every row of the table has exactly one decoder arm, and the arm's class, ALU, FPU and
/// jump controls are the ones the table (and so the generated enums) gives the row.
#[test]
fn the_decoder_agrees_with_the_table() {
    let arms = decoder_arms();
    assert_eq!(arms.len(), isa::TABLE.len(), "decoder arms: {:?}", arms.keys().collect::<Vec<_>>());
    for r in isa::TABLE {
        let ctl = arms.get(r.name).unwrap_or_else(|| panic!("no decoder arm for Op{}", r.name));
        let get = |k: &str| ctl.get(k).map(String::as_str);
        assert_eq!(get("cls_o"), Some(format!("Cls{}", r.class.name()).as_str()), "Op{}: class", r.name);
        let alu = r.class.uses_alu().then(|| format!("Alu{}", r.name));
        assert_eq!(get("alu_op_o"), alu.as_deref(), "Op{}: alu_op_o", r.name);
        let fpu = (r.class == isa::InsnClass::Fp).then(|| format!("Fpu{}", r.name));
        assert_eq!(get("fpu_op_o"), fpu.as_deref(), "Op{}: fpu_op_o", r.name);
        let jump = (r.class == isa::InsnClass::Jump).then(|| format!("Jump{}", r.name));
        assert_eq!(get("jump_o"), jump.as_deref(), "Op{}: jump_o", r.name);
        // Only CMP of the ALU classes writes no register (its format has no Rd).
        let we = (r.class.uses_alu() && r.format == isa::FormatKind::RsRs).then_some("1'b0");
        assert_eq!(get("alu_we_o"), we, "Op{}: alu_we_o", r.name);
    }
}

/// Ibex-style decode: only the decoder (and the generated package) name opcodes; every
/// other module works on the decoder's typed controls.
#[test]
fn no_module_but_the_decoder_compares_opcodes() {
    let mut offenders = Vec::new();
    for e in std::fs::read_dir(root().join("rtl")).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".sv") || name == "hsx_decoder.sv" || name == "hsx_isa_pkg.sv" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("hsx_isa_pkg::Op") || code.contains("opcode_e") {
                offenders.push(format!("rtl/{name}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "opcode compared outside hsx_decoder:\n{}", offenders.join("\n"));
}
