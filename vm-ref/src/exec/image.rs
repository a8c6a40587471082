//! Loaded images (context.md "Loading images") and the data-memory ranges the loader and
//! the arena allocator keep apart.

/// An image placed in the machine by [`super::Executive::load_image`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedImage {
    pub name: String,
    /// Where its code sits in code space (4-aligned).
    pub code_base: u32,
    /// Code length in bytes.
    pub code_size: u32,
    /// `.data` + `.bss`: `[data_lo, data_hi)`; empty when both are empty.
    pub data_lo: u32,
    pub data_hi: u32,
    /// `.data` length (the rest of the range up to `data_hi` is `.bss`).
    pub data_len: u32,
    /// Default entry: byte offset into the code.
    pub entry: u32,
    /// Mailboxes its `.mailbox` metadata declares (bound for each task spawned from it).
    pub mailboxes: Vec<isa::meta::MailboxDecl>,
}

impl LoadedImage {
    /// `"image 'NAME' data/bss 0xLLLL-0xHHHH"` (inclusive).
    pub(crate) fn describe_data(&self) -> String {
        format!("image '{}' data/bss {}", self.name, span(self.data_lo, self.data_hi))
    }
}

/// `[lo, hi)` as `0xLLLL-0xHHHH`, inclusive.
pub(crate) fn span(lo: u32, hi: u32) -> String {
    format!("{:#06x}-{:#06x}", lo, hi.saturating_sub(1))
}

/// The overlap of two half-open ranges, as `(lo, hi_inclusive)`.
pub(crate) fn overlap(a: (u32, u32), b: (u32, u32)) -> Option<(u32, u32)> {
    let lo = a.0.max(b.0);
    let hi = a.1.min(b.1);
    (lo < hi).then(|| (lo, hi - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_of_ranges() {
        assert_eq!(overlap((0x4000, 0x4100), (0x40F0, 0x5000)), Some((0x40F0, 0x40FF)));
        assert_eq!(overlap((0x4000, 0x4100), (0x4100, 0x5000)), None);
        assert_eq!(overlap((0x4000, 0x4000), (0x3000, 0x5000)), None);
        assert_eq!(span(0x1000, 0x1200), "0x1000-0x11ff");
    }
}
