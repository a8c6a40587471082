//! The executive (executive.md): SVCs, mailboxes, arenas, images, consoles.
mod host;
pub use host::Host;
