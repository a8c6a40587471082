//! sim: the Verilated RTL model driven from Rust. (filled in by the RTL issue)
