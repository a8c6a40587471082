//! The control-register map of the host bus (`hb_space_i = 2`), docs/rtl-interface.md.
//! Its one source is `isa::ctrl` (the RTL package is generated from it too).

pub use isa::ctrl::*;
