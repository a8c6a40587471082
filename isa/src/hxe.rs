//! HXE v1/v2 images (executive.md "Images (HXE)"): reader, writer, validation.
//!
//! * [`Image`] is what the assembler produces and the executive loads.
//! * [`Image::parse`] validates every rule of the spec and returns the first that fails,
//!   as an [`HxeError`] variant whose message names the rule and the values involved.
//! * [`Image::to_bytes`] writes an image with its CRC; [`Image::try_to_bytes`] first checks
//!   that the result will be valid (and expressible in the requested version).
//!
//! The unit tests (one per validation rule, round trips, property tests) are in
//! `hxe/tests.rs`.
//!
//! ## Layout written
//!
//! `header (32 or 96 bytes) | code | data | [v2: metadata table | payloads]`. The metadata
//! table (16-byte entries `{type, offset, size, count}`, big-endian) starts right after the
//! data, the payloads follow the table in entry order. The type-0x10 entry (data load
//! address, 4-byte big-endian payload, count 1) is written first, and only when
//! `data_addr != RODATA_BASE`.
//!
//! ## Choices where the spec is silent (also in docs/asm.md)
//!
//! * Checks run in the order the spec lists its rules; the CRC is checked last, so a
//!   structurally broken file reports its structural problem.
//! * The app name is the bytes before the first NUL; every one of the 32 bytes must be
//!   ASCII. Bytes after the first NUL are not kept.
//! * A metadata table offset of 0 means "no table" whatever the entry count says.
//! * A metadata payload is in bounds when it lies entirely in the file after the header,
//!   code and data (`sections_end <= offset` and `offset + size <= file length`).
//! * A non-empty payload must not overlap the metadata table
//!   ([`HxeError::MetaPayloadInTable`]) nor share a byte with another entry's payload
//!   ([`HxeError::MetaPayloadOverlap`]), whatever the types. An empty payload overlaps
//!   nothing. Every entry passes these checks before any payload is copied, so the copies
//!   sum to at most the file's length: reading any image costs O(file size) (an image
//!   whose 5 000 entries each claim the whole table is rejected, not copied 5 000 times).
//! * A type-0x10 payload is bad when its size is not 4, its address is above 0xFFFF, or a
//!   second type-0x10 entry exists.
//! * v1 bytes after the data (if any) are covered by the CRC and otherwise ignored.

use crate::arch::{DATA_SIZE, RODATA_BASE};

/// `"HSXE"`.
pub const MAGIC: u32 = 0x4853_5845;
/// Header size of a v1 image.
pub const HEADER_V1_LEN: usize = 0x20;
/// Header size of a v2 image.
pub const HEADER_V2_LEN: usize = 0x60;
/// Largest code section (64 KiB).
pub const MAX_CODE_LEN: u32 = 0x1_0000;
/// Size of one v2 metadata table entry.
pub const META_ENTRY_LEN: usize = 16;
/// Metadata type: values.
pub const META_VALUES: u32 = 0x01;
/// Metadata type: commands.
pub const META_COMMANDS: u32 = 0x02;
/// Metadata type: mailboxes.
pub const META_MAILBOXES: u32 = 0x03;
/// Metadata type: data load address (4-byte big-endian payload).
pub const META_DATA_ADDR: u32 = 0x10;
/// Bytes of the v2 app-name field.
pub const APP_NAME_LEN: usize = 32;

const OFF_CRC: usize = 0x1C;
const OFF_NAME: usize = 0x20;
const OFF_META_OFFSET: usize = 0x40;
const OFF_META_COUNT: usize = 0x44;
const OFF_RESERVED: usize = 0x48;

/// HXE format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// 32-byte header, no app name, no metadata.
    V1,
    /// 96-byte header with app name and metadata table (the default).
    #[default]
    V2,
}

impl Version {
    /// The number stored in the header's version field.
    pub const fn number(self) -> u16 {
        match self {
            Version::V1 => 1,
            Version::V2 => 2,
        }
    }
    /// Header length in bytes.
    pub const fn header_len(self) -> usize {
        match self {
            Version::V1 => HEADER_V1_LEN,
            Version::V2 => HEADER_V2_LEN,
        }
    }
}

/// A loaded or assembled program image.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl Default for Image {
    /// An empty image whose data loads at `RODATA_BASE`.
    fn default() -> Self {
        Image {
            entry: 0,
            code: Vec::new(),
            data: Vec::new(),
            data_addr: RODATA_BASE,
            bss: 0,
            flags: 0,
            capabilities: 0,
            app_name: String::new(),
            metadata: Vec::new(),
        }
    }
}

/// One v2 metadata entry with its payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetaEntry {
    pub kind: u32,
    pub count: u32,
    pub payload: Vec<u8>,
}

/// Why an image is rejected (one variant per rule of executive.md; the payload-layout
/// rules this reader adds, [`HxeError::MetaPayloadOutOfBounds`],
/// [`HxeError::MetaPayloadInTable`] and [`HxeError::MetaPayloadOverlap`]; and the
/// writer-only [`HxeError::V1DataAddr`] and [`HxeError::NameTooLong`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HxeError {
    #[error("file shorter than its header: {len} bytes, the {version} header needs {need}")]
    TooShort { len: usize, need: usize, version: &'static str },
    #[error("bad magic 0x{found:08X} (expected 0x48535845, \"HSXE\")")]
    BadMagic { found: u32 },
    #[error("unknown version {0} (expected 1 or 2)")]
    UnknownVersion(u16),
    #[error("non-zero reserved byte (v2): byte 0x{offset:02X} is 0x{value:02X}")]
    ReservedNonZero { offset: usize, value: u8 },
    #[error("non-ASCII app name (v2): name byte {index} (file offset 0x{offset:02X}) is 0x{value:02X}")]
    NonAsciiName { index: usize, offset: usize, value: u8 },
    #[error("code longer than 64 KiB: code length {len} (0x{len:X}) > 65536")]
    CodeTooLong { len: u32 },
    #[error(
        "data plus bss do not fit in data memory: load address 0x{addr:04X} + data {data} + bss {bss} = 0x{end:X} > 0x10000"
    )]
    DataTooLarge { addr: u32, data: u32, bss: u32, end: u64 },
    #[error("code length not a multiple of 4: {len}")]
    CodeLenUnaligned { len: u32 },
    #[error("entry not a multiple of 4: 0x{entry:X}")]
    EntryUnaligned { entry: u32 },
    #[error("entry outside the code: entry 0x{entry:X}, code length 0x{code_len:X}")]
    EntryOutsideCode { entry: u32, code_len: u32 },
    #[error(
        "sections run past the end of the file: header {header} + code {code} + data {data} = {end} bytes, file is {file_len}"
    )]
    SectionsPastEnd { header: usize, code: u32, data: u32, end: u64, file_len: usize },
    #[error(
        "metadata table overlaps the sections: table offset 0x{offset:X} is below the end of header+code+data 0x{sections_end:X}"
    )]
    MetaTableOverlap { offset: u32, sections_end: u64 },
    #[error(
        "metadata table runs past the end of the file: offset 0x{offset:X} + {count} entries x 16 = 0x{end:X}, file is 0x{file_len:X} bytes"
    )]
    MetaTablePastEnd { offset: u32, count: u32, end: u64, file_len: usize },
    #[error(
        "metadata entry {index} (type 0x{kind:X}) payload out of bounds: offset 0x{offset:X} size 0x{size:X} must lie within 0x{sections_end:X}..0x{file_len:X}"
    )]
    MetaPayloadOutOfBounds { index: u32, kind: u32, offset: u32, size: u32, sections_end: u64, file_len: usize },
    #[error(
        "metadata entry {index} (type 0x{kind:X}) payload overlaps the metadata table: payload 0x{offset:X} size 0x{size:X}, table 0x{table:X}..0x{table_end:X}"
    )]
    MetaPayloadInTable { index: u32, kind: u32, offset: u32, size: u32, table: u32, table_end: u64 },
    #[error(
        "metadata entries {} and {} have overlapping payloads: entry {} at 0x{:X} size 0x{:X}, entry {} at 0x{:X} size 0x{:X} (payloads must not share bytes)",
        first.0, second.0, first.0, first.1, first.2, second.0, second.1, second.2
    )]
    MetaPayloadOverlap {
        /// `(index, offset, size)` of the lower-indexed entry.
        first: (u32, u32, u32),
        /// `(index, offset, size)` of the other.
        second: (u32, u32, u32),
    },
    #[error("bad type-0x10 (data load address) metadata entry {index}: {detail}")]
    BadDataAddr { index: u32, detail: String },
    #[error("CRC mismatch: header says 0x{stored:08X}, computed 0x{computed:08X}")]
    CrcMismatch { stored: u32, computed: u32 },
    #[error("a v1 image cannot record data load address 0x{addr:04X} (only 0x4000); write v2")]
    V1DataAddr { addr: u32 },
    #[error("app name is {len} bytes, at most 32 fit")]
    NameTooLong { len: usize },
}

#[inline]
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
#[inline]
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The CRC-32 (zlib) of an HXE file: header bytes 0x00..0x1B, then everything after the
/// header. `bytes` must be at least `header_len` long.
fn crc_of(bytes: &[u8], header_len: usize) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&bytes[..OFF_CRC]);
    h.update(&bytes[header_len..]);
    h.finalize()
}

fn check_data_fit(addr: u32, data: u32, bss: u32) -> Result<(), HxeError> {
    let end = addr as u64 + data as u64 + bss as u64;
    if end > DATA_SIZE as u64 {
        return Err(HxeError::DataTooLarge { addr, data, bss, end });
    }
    Ok(())
}

fn check_code(code_len: u32, entry: u32) -> Result<(), HxeError> {
    if code_len > MAX_CODE_LEN {
        return Err(HxeError::CodeTooLong { len: code_len });
    }
    if code_len & 3 != 0 {
        return Err(HxeError::CodeLenUnaligned { len: code_len });
    }
    if entry & 3 != 0 {
        return Err(HxeError::EntryUnaligned { entry });
    }
    if entry >= code_len {
        return Err(HxeError::EntryOutsideCode { entry, code_len });
    }
    Ok(())
}

/// Reject two metadata payloads that share a byte. `spans` holds `(offset, size, index)`
/// of every non-empty payload (already known to lie inside the file); it is sorted here.
/// The pair reported is the first found sweeping by offset (then index): the entry whose
/// payload starts inside an earlier-starting one, and that earlier one (the one reaching
/// furthest, on a tie the lowest index).
fn check_payloads_disjoint(spans: &mut [(u32, u32, u32)]) -> Result<(), HxeError> {
    spans.sort_unstable();
    // (end, index, offset, size) of the payload reaching furthest so far.
    let mut reach: Option<(u64, u32, u32, u32)> = None;
    for &(offset, size, index) in spans.iter() {
        let end = offset as u64 + size as u64;
        if let Some((r_end, r_index, r_offset, r_size)) = reach {
            if (offset as u64) < r_end {
                let (first, second) = if r_index < index {
                    ((r_index, r_offset, r_size), (index, offset, size))
                } else {
                    ((index, offset, size), (r_index, r_offset, r_size))
                };
                return Err(HxeError::MetaPayloadOverlap { first, second });
            }
        }
        if reach.is_none_or(|r| end > r.0) {
            reach = Some((end, index, offset, size));
        }
    }
    Ok(())
}

impl Image {
    /// Parse and validate an HXE v1 or v2 file. Never panics, whatever the bytes.
    pub fn parse(bytes: &[u8]) -> Result<Image, HxeError> {
        let len = bytes.len();
        if len < HEADER_V1_LEN {
            return Err(HxeError::TooShort { len, need: HEADER_V1_LEN, version: "v1/v2 common" });
        }
        let magic = be32(bytes, 0x00);
        if magic != MAGIC {
            return Err(HxeError::BadMagic { found: magic });
        }
        let version = match be16(bytes, 0x04) {
            1 => Version::V1,
            2 => Version::V2,
            v => return Err(HxeError::UnknownVersion(v)),
        };
        let header_len = version.header_len();
        if len < header_len {
            return Err(HxeError::TooShort { len, need: header_len, version: "v2" });
        }
        let flags = be16(bytes, 0x06);
        let entry = be32(bytes, 0x08);
        let code_len = be32(bytes, 0x0C);
        let data_len = be32(bytes, 0x10);
        let bss = be32(bytes, 0x14);
        let capabilities = be32(bytes, 0x18);
        let stored_crc = be32(bytes, OFF_CRC);

        let mut app_name = String::new();
        if version == Version::V2 {
            if let Some(i) = (OFF_RESERVED..HEADER_V2_LEN).find(|&i| bytes[i] != 0) {
                return Err(HxeError::ReservedNonZero { offset: i, value: bytes[i] });
            }
            let name = &bytes[OFF_NAME..OFF_NAME + APP_NAME_LEN];
            if let Some(i) = name.iter().position(|b| !b.is_ascii()) {
                return Err(HxeError::NonAsciiName { index: i, offset: OFF_NAME + i, value: name[i] });
            }
            let end = name.iter().position(|&b| b == 0).unwrap_or(APP_NAME_LEN);
            app_name = name[..end].iter().map(|&b| b as char).collect();
        }

        check_code(code_len, entry)?;

        let sections_end = header_len as u64 + code_len as u64 + data_len as u64;
        if sections_end > len as u64 {
            return Err(HxeError::SectionsPastEnd {
                header: header_len,
                code: code_len,
                data: data_len,
                end: sections_end,
                file_len: len,
            });
        }
        // sections_end <= len, so these slices are in bounds.
        let code_start = header_len;
        let data_start = code_start + code_len as usize;
        let code = bytes[code_start..data_start].to_vec();
        let data = bytes[data_start..data_start + data_len as usize].to_vec();

        let mut data_addr = RODATA_BASE;
        let mut metadata = Vec::new();
        if version == Version::V2 {
            let table = be32(bytes, OFF_META_OFFSET);
            let count = be32(bytes, OFF_META_COUNT);
            if table != 0 {
                if (table as u64) < sections_end {
                    return Err(HxeError::MetaTableOverlap { offset: table, sections_end });
                }
                let table_end = table as u64 + count as u64 * META_ENTRY_LEN as u64;
                if table_end > len as u64 {
                    return Err(HxeError::MetaTablePastEnd { offset: table, count, end: table_end, file_len: len });
                }
                // Every entry's payload is checked before any is copied: in bounds, clear
                // of the table, and clear of every other payload. So the payloads copied
                // below sum to at most the file's length (reading costs O(file size),
                // however the entries are laid out).
                let entry_at = |index: u32| table as usize + index as usize * META_ENTRY_LEN;
                let mut spans: Vec<(u32, u32, u32)> = Vec::new();
                for index in 0..count {
                    // table_end <= len, so every entry is in bounds.
                    let at = entry_at(index);
                    let (kind, offset, size) = (be32(bytes, at), be32(bytes, at + 4), be32(bytes, at + 8));
                    let end = offset as u64 + size as u64;
                    if (offset as u64) < sections_end || end > len as u64 {
                        return Err(HxeError::MetaPayloadOutOfBounds {
                            index,
                            kind,
                            offset,
                            size,
                            sections_end,
                            file_len: len,
                        });
                    }
                    if size > 0 && (offset as u64) < table_end && end > table as u64 {
                        return Err(HxeError::MetaPayloadInTable { index, kind, offset, size, table, table_end });
                    }
                    if size > 0 {
                        spans.push((offset, size, index));
                    }
                }
                check_payloads_disjoint(&mut spans)?;
                let mut seen_addr: Option<u32> = None;
                for index in 0..count {
                    let at = entry_at(index);
                    let kind = be32(bytes, at);
                    let offset = be32(bytes, at + 4) as usize;
                    let size = be32(bytes, at + 8);
                    let ecount = be32(bytes, at + 12);
                    let payload = &bytes[offset..offset + size as usize];
                    if kind == META_DATA_ADDR {
                        if let Some(first) = seen_addr {
                            return Err(HxeError::BadDataAddr {
                                index,
                                detail: format!("a second type-0x10 entry (the first is entry {first})"),
                            });
                        }
                        seen_addr = Some(index);
                        if size != 4 {
                            return Err(HxeError::BadDataAddr {
                                index,
                                detail: format!("payload is {size} bytes, must be 4"),
                            });
                        }
                        let addr = be32(payload, 0);
                        if addr > 0xFFFF {
                            return Err(HxeError::BadDataAddr {
                                index,
                                detail: format!("address 0x{addr:08X} is outside data memory (0..0xFFFF)"),
                            });
                        }
                        data_addr = addr;
                    } else {
                        metadata.push(MetaEntry { kind, count: ecount, payload: payload.to_vec() });
                    }
                }
            }
        }

        check_data_fit(data_addr, data_len, bss)?;

        let computed = crc_of(bytes, header_len);
        if computed != stored_crc {
            return Err(HxeError::CrcMismatch { stored: stored_crc, computed });
        }

        Ok(Image { entry, code, data, data_addr, bss, flags, capabilities, app_name, metadata })
    }

    /// Check that this image would be written as a valid file of version `v`: the same
    /// rules [`Image::parse`] applies, plus what the writer cannot express (a v1 image
    /// with `data_addr != 0x4000`, a name longer than 32 bytes, a type-0x10 entry in
    /// `metadata`). For v1 the app name and the metadata are simply not written.
    pub fn validate(&self, v: Version) -> Result<(), HxeError> {
        if v == Version::V2 {
            let name = self.app_name.as_bytes();
            if let Some(i) = name.iter().position(|b| !b.is_ascii()) {
                return Err(HxeError::NonAsciiName { index: i, offset: OFF_NAME + i, value: name[i] });
            }
            if name.len() > APP_NAME_LEN {
                return Err(HxeError::NameTooLong { len: name.len() });
            }
        }
        let code_len = u32::try_from(self.code.len()).unwrap_or(u32::MAX);
        check_code(code_len, self.entry)?;
        if v == Version::V1 && self.data_addr != RODATA_BASE {
            return Err(HxeError::V1DataAddr { addr: self.data_addr });
        }
        if v == Version::V2 {
            if self.data_addr > 0xFFFF {
                return Err(HxeError::BadDataAddr {
                    index: 0,
                    detail: format!("address 0x{:08X} is outside data memory (0..0xFFFF)", self.data_addr),
                });
            }
            if let Some(i) = self.metadata.iter().position(|m| m.kind == META_DATA_ADDR) {
                return Err(HxeError::BadDataAddr {
                    index: i as u32,
                    detail: "type 0x10 must not be in Image::metadata: it is written from data_addr".into(),
                });
            }
        }
        let data_len = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
        check_data_fit(self.data_addr, data_len, self.bss)
    }

    /// Validate ([`Image::validate`]) then write.
    pub fn try_to_bytes(&self, v: Version) -> Result<Vec<u8>, HxeError> {
        self.validate(v)?;
        Ok(self.write(v))
    }

    /// Write the image as HXE version `v`, CRC included.
    ///
    /// This never fails: it writes what the image holds (use [`Image::try_to_bytes`] to be
    /// told when that would not be a valid file). One exception keeps it from writing a
    /// wrong program: a v1 file cannot say where the data loads, so when `data_addr` is
    /// not `RODATA_BASE` a v2 file is written instead. For v1 the app name and metadata
    /// are dropped; an app name longer than 32 bytes is cut to 32.
    pub fn to_bytes(&self, v: Version) -> Vec<u8> {
        let v = if v == Version::V1 && self.data_addr != RODATA_BASE { Version::V2 } else { v };
        self.write(v)
    }

    fn write(&self, v: Version) -> Vec<u8> {
        let header_len = v.header_len();
        let mut out = Vec::with_capacity(header_len + self.code.len() + self.data.len());
        out.extend_from_slice(&MAGIC.to_be_bytes());
        out.extend_from_slice(&v.number().to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        out.extend_from_slice(&self.entry.to_be_bytes());
        out.extend_from_slice(&(self.code.len() as u32).to_be_bytes());
        out.extend_from_slice(&(self.data.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.bss.to_be_bytes());
        out.extend_from_slice(&self.capabilities.to_be_bytes());
        out.extend_from_slice(&[0; 4]); // CRC, filled in below
        let mut entries: Vec<(u32, u32, &[u8])> = Vec::new();
        let addr_payload = self.data_addr.to_be_bytes();
        if v == Version::V2 {
            let mut name = [0u8; APP_NAME_LEN];
            let raw = self.app_name.as_bytes();
            let n = raw.len().min(APP_NAME_LEN);
            name[..n].copy_from_slice(&raw[..n]);
            out.extend_from_slice(&name);
            if self.data_addr != RODATA_BASE {
                entries.push((META_DATA_ADDR, 1, &addr_payload));
            }
            entries.extend(self.metadata.iter().map(|m| (m.kind, m.count, m.payload.as_slice())));
            let sections_end = header_len + self.code.len() + self.data.len();
            let table = if entries.is_empty() { 0 } else { sections_end as u32 };
            out.extend_from_slice(&table.to_be_bytes());
            out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
            out.extend_from_slice(&[0; HEADER_V2_LEN - OFF_RESERVED]);
        }
        debug_assert_eq!(out.len(), header_len);
        out.extend_from_slice(&self.code);
        out.extend_from_slice(&self.data);
        if !entries.is_empty() {
            let mut payload_at = out.len() + entries.len() * META_ENTRY_LEN;
            for (kind, count, payload) in &entries {
                out.extend_from_slice(&kind.to_be_bytes());
                out.extend_from_slice(&(payload_at as u32).to_be_bytes());
                out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                out.extend_from_slice(&count.to_be_bytes());
                payload_at += payload.len();
            }
            for (_, _, payload) in &entries {
                out.extend_from_slice(payload);
            }
        }
        let crc = crc_of(&out, header_len);
        out[OFF_CRC..OFF_CRC + 4].copy_from_slice(&crc.to_be_bytes());
        out
    }

    /// The code as big-endian words (a trailing partial word, which a valid image never
    /// has, is ignored).
    pub fn code_words(&self) -> Vec<u32> {
        self.code.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect()
    }
}

#[cfg(test)]
mod tests;
