//! The workspace's one integration-test binary. Each module is one area.

mod codegen;
