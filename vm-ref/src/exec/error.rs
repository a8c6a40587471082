//! Errors of the executive's host-side operations (loading, spawning, killing). SVCs never
//! error: their outcomes are register values.

use isa::CommandError;

/// Why a load, spawn or kill was refused. In every case nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("image '{image}': code length {len} is not a multiple of 4")]
    CodeNotAligned { image: String, len: usize },
    #[error(
        "image '{image}': {len} bytes of code do not fit in code space at {base:#06x} \
         (64 KiB in all, {free} bytes left)"
    )]
    CodeSpaceFull { image: String, base: u32, len: usize, free: u32 },
    #[error(
        "image '{image}': data/bss from {lo:#06x} ({len} bytes) runs past the end of data \
         memory (0xffff)"
    )]
    DataOutOfRange { image: String, lo: u32, len: u64 },
    /// `what` and `with` each name an object and its range; `lo..=hi` is the overlap.
    #[error("{what} overlaps {with}: bytes {lo:#06x}-{hi:#06x}")]
    Overlap { what: String, with: String, lo: u32, hi: u32 },
    #[error("no loaded image has id {0}")]
    NoSuchImage(usize),
    #[error(
        "entry {entry:#x} of image '{image}' is not a 4-aligned offset inside its \
         {code_size} bytes of code"
    )]
    BadEntry { image: String, entry: u32, code_size: u32 },
    #[error("stack size {0:#x}: a stack arena is a multiple of 4 bytes, at least 16")]
    BadStackSize(u32),
    #[error("time slice 0: a slice is at least 1 step")]
    ZeroSlice,
    #[error("no EMPTY task slot: all {0} slots are in use")]
    NoFreeSlot(usize),
    #[error(
        "stack arena of {size:#x} bytes for pid {pid} does not fit: no free block is that \
         large and the allocation point is {point:#06x}"
    )]
    NoStackSpace { pid: u8, size: u32, point: u32 },
    #[error(
        "mailbox pool full: pid {pid} needs {need} new descriptors (stdio and pid:), \
         {live} of {max} are live"
    )]
    NoDescriptors { pid: u8, need: usize, live: usize, max: usize },
    #[error("pid {0} is not a task slot of this machine")]
    NoSuchPid(u8),
    #[error("image '{image}': {source}")]
    Metadata { image: String, source: isa::meta::MetaError },
    #[error("image '{image}': declared mailbox `{target}` is not a valid target")]
    BadMailboxTarget { image: String, target: String },
    #[error("pid {pid}: binding the declared mailbox `{target}` failed with mailbox status {status}")]
    MailboxBind { pid: u8, target: String, status: u32 },
    #[error("the scheduler refused the command: {0}")]
    Command(#[from] CommandError),
}
