//! # hsx-isa — the one ISA table and everything derived from it
//!
//! * [`table`]: a row per instruction (mnemonic, opcode, operand format, class, base
//!   cycles) that generates
//!   [`Insn`], [`Opcode`], the decoder and the encoder;
//! * [`format`]: the operand formats;
//! * [`asm`]: the MVASM assembler; [`disasm`]: the disassembler;
//! * [`hxe`]: HXE v1/v2 image reader and writer;
//! * [`arch`]: architectural constants and the plain data types both models and the
//!   harness share (task states, fault codes, the retire record);
//! * [`ctrl`]: the RTL's control-register map and scheduler command codes;
//! * [`codegen`]: the generated RTL package (`rtl/hsx_isa_pkg.sv`) and FPU test-bench header.
//!
//! This crate depends on nothing else in the workspace.

pub mod arch;
pub mod asm;
pub mod codegen;
pub mod ctrl;
pub mod disasm;
pub mod format;
pub mod hxe;
pub mod meta;
pub mod table;
#[cfg(test)]
mod test_alloc;

pub use arch::*;
pub use format::*;
pub use table::*;
