//! HXE v1/v2 images (executive.md "Images (HXE)"): reader, writer, validation.
//!
//! INTERFACE (fixed; the implementation is being filled in):
//! * [`Image`] is what the assembler produces and the executive loads.
//! * `Image::parse(bytes: &[u8]) -> Result<Image, HxeError>` validates every rule.
//! * `Image::to_bytes(&self, version: Version) -> Vec<u8>` writes a valid image with CRC.

/// A loaded or assembled program image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Image {
    /// Entry point: byte offset into `code`.
    pub entry: u32,
    /// Code bytes (instruction words big-endian), length a multiple of 4.
    pub code: Vec<u8>,
    /// `.data` bytes, loaded at `data_addr`.
    pub data: Vec<u8>,
    /// Data load address: `RODATA_BASE` (0x4000) unless a type-0x10 metadata entry
    /// (or `.data ADDRESS`) says otherwise.
    pub data_addr: u32,
    /// `.bss` size in bytes (zeroed after `.data`).
    pub bss: u32,
    /// Header flags (v2: bit 0 manifest present, bit 1 allow multiple instances).
    pub flags: u16,
    /// Required capabilities word (informational).
    pub capabilities: u32,
    /// v2 app name (ASCII, at most 32 bytes).
    pub app_name: String,
    /// v2 metadata entries other than type 0x10, kept so a round trip loses nothing.
    pub metadata: Vec<MetaEntry>,
}

/// One v2 metadata entry with its payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetaEntry {
    pub kind: u32,
    pub count: u32,
    pub payload: Vec<u8>,
}
