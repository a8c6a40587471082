//! The workspace's one integration-test binary. Each module is one area.

mod cli;
mod cluster;
mod codegen;
mod console;
mod context;
mod coverage;
mod docs;
mod engines;
mod examples;
mod exec_matrix;
mod fuzz;
mod harness_ext;
mod interop;
mod isa_vectors;
mod isolation;
mod mutants;
mod mutate;
mod robust;
mod run_burst;
mod sched;
mod waves;
mod xcheck;
