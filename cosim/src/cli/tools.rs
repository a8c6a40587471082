//! `hsx asm` (assemble and link MVASM) and `hsx disasm` (listing, and the GTKWave
//! process filter).

use super::*;

#[derive(Args, Debug, Clone)]
pub struct AsmArgs {
    /// The MVASM source(s): several are assembled and linked in this order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output image (default: the first FILE with the extension .hxe).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Also look for `.include` files in DIR (after the including file's directory).
    #[arg(short = 'I', value_name = "DIR")]
    pub include: Vec<PathBuf>,
    /// Write an HXE v1 image (default v2).
    #[arg(long)]
    pub v1: bool,
}

#[derive(Args, Debug, Clone)]
pub struct DisasmArgs {
    /// An HXE image (or an .mvasm source, assembled first).
    #[arg(required_unless_present = "filter")]
    pub file: Option<PathBuf>,
    /// Act as a GTKWave process filter: read one value (hex) per line on stdin, write one
    /// line per value — the instruction word's disassembly (`insn`, the default) or the
    /// PSW as flags (`psw`: `Z C N V`, `-` for a clear flag) — flushing each line.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "insn", conflicts_with = "file")]
    pub filter: Option<crate::harness::vcd::FilterKind>,
}

/// `hsx asm`.
pub fn asm(a: AsmArgs) -> Result<i32, CliError> {
    let out = a.output.clone().unwrap_or_else(|| a.files[0].with_extension("hxe"));
    if a.files.contains(&out) {
        return Err(CliError::Invalid(format!("{}: the output would overwrite the source", out.display())));
    }
    crate::outpath::check_file(if a.output.is_some() { "-o" } else { "the output" }, &out)?;
    let mut texts = Vec::new();
    for f in &a.files {
        let src = std::fs::read(f).map_err(|source| CliError::Io { path: f.display().to_string(), source })?;
        texts.push((f.display().to_string(), String::from_utf8_lossy(&src).into_owned()));
    }
    let modules: Vec<isa::asm::Module> = texts.iter().map(|(name, text)| isa::asm::Module { name, text }).collect();
    let opts = isa::asm::AsmOptions { include_dirs: a.include.clone(), data_addr: None };
    let mut prog = isa::asm::assemble_modules(&modules, &opts, &mut isa::asm::FsLoader)
        .map_err(|e| CliError::Program(ProgramError::Asm(e.to_string())))?;
    // Like the prototype's linker: the app name is the output's stem (ASCII, at most 31
    // characters) and the image allows several instances (header flag bit 1).
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    prog.image.app_name = stem.trim().chars().filter(|c| c.is_ascii()).take(31).collect();
    prog.image.flags |= 0x0002;
    let version = if a.v1 { isa::hxe::Version::V1 } else { isa::hxe::Version::V2 };
    let bytes =
        prog.image.try_to_bytes(version).map_err(|e| CliError::Invalid(format!("{}: {e}", a.files[0].display())))?;
    crate::fsx::write_atomic(&out, &bytes)
        .map_err(|source| CliError::Io { path: out.display().to_string(), source })?;
    Ok(0)
}

/// `hsx disasm`.
pub fn disasm(a: DisasmArgs) -> Result<i32, CliError> {
    if let Some(kind) = a.filter {
        return disasm_filter(kind, std::io::stdin().lock(), std::io::stdout().lock());
    }
    let file = a.file.ok_or_else(|| CliError::Invalid("hsx disasm: a FILE or --filter is needed".into()))?;
    let f = read_program(&file)?;
    let text = isa::disasm::disasm_image(&f.image);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    Ok(0)
}

/// `hsx disasm --filter`: one line out per line in, flushed at once (GTKWave waits for
/// each answer). Ends at end of input or when the reader goes away.
pub fn disasm_filter(
    kind: crate::harness::vcd::FilterKind,
    input: impl std::io::BufRead,
    mut out: impl Write,
) -> Result<i32, CliError> {
    for line in input.lines() {
        let Ok(line) = line else { break };
        if writeln!(out, "{}", crate::harness::vcd::filter_line(kind, &line)).and_then(|_| out.flush()).is_err() {
            break;
        }
    }
    Ok(0)
}
