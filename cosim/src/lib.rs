//! # hsx-cosim — the `hsx` command line and the lockstep co-simulation harness
//!
//! * [`program`]: SPECs (`FILE[@ENTRY]`), reading `.mvasm`/`.hxe`, loading tasks into
//!   any machine through the executive;
//! * [`report`]: the stable `hsx run --json` object; [`console`]: consoles printed as
//!   they are written;
//! * [`cli`]: the subcommands; [`shell`]: `hsx shell`;
//! * [`rtl`]: the executive over the RTL's host bus, `hsx run --engine rtl`;
//! * [`gen`]: seeded random programs and the shrinker;
//! * [`interrupt`]: SIGINT/SIGTERM for the long-running commands; [`outpath`]: output
//!   paths checked before work starts; [`fsx`]: atomic writes.
//!
//! This is the only crate where the reference model and the RTL meet.

pub mod campaign;
pub mod cli;
pub mod console;
pub mod fsx;
pub mod fuzz;
pub mod gen;
pub mod harness;
pub mod interrupt;
pub mod mutants;
pub mod outpath;
pub mod program;
pub mod regress;
pub mod report;
pub mod rtl;
pub mod shell;
