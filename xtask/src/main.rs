//! Project chores: `cargo xtask codegen` regenerates files derived from the ISA table.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => {
            let path = root().join(isa::codegen::RTL_PKG_PATH);
            std::fs::write(&path, isa::codegen::rtl_isa_pkg())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
        _ => bail!("usage: cargo xtask codegen   (regenerates {} from the ISA table)", isa::codegen::RTL_PKG_PATH),
    }
}
