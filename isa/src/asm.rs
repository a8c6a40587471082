//! The MVASM assembler (isa.md "Assembly syntax").
//!
//! INTERFACE (fixed; the implementation is being filled in):
//! `assemble(source: &str, file: &str) -> Result<Program, AsmError>`.
