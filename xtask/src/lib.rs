//! Project chores behind `cargo xtask` (see `main.rs`), as a library so that the
//! integration tests check exactly what the chores generate.

pub mod blocks;
pub mod isa_doc;
