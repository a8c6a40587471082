//! The disassembler: one line per instruction, output that assembles back to the same
//! word for every canonical word.
