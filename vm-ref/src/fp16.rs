//! binary16 arithmetic (isa.md "Binary16 arithmetic").
