//! cosim library
