//! The RTL opcode package is generated from the ISA table; the committed file must match.

#[test]
fn rtl_isa_pkg_is_not_stale() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let path = root.join(isa::codegen::RTL_PKG_PATH);
    let committed = std::fs::read_to_string(&path).expect("rtl/hsx_isa_pkg.sv is missing: run `cargo xtask codegen`");
    assert!(
        committed == isa::codegen::rtl_isa_pkg(),
        "{} is stale: run `cargo xtask codegen` and commit the result",
        path.display()
    );
}
