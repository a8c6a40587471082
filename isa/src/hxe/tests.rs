//! Unit tests of the HXE reader and writer (`super`): v1/v2 round trips, the CRC, the
//! data-address metadata entry, one rejection test per validation rule of executive.md
//! "Images (HXE)" (each expecting the error that names it), the O(file size) bound on
//! adversarial metadata tables, and property tests (round trip; arbitrary or mutated bytes
//! never make `Image::parse` panic).

use super::*;
use proptest::prelude::*;

fn sample() -> Image {
    Image {
        entry: 4,
        code: vec![0x01, 0x10, 0x00, 0x05, 0x25, 0, 0, 0, 0x7F, 0, 0, 0x03],
        data: b"hello\0".to_vec(),
        data_addr: RODATA_BASE,
        bss: 16,
        flags: 0x0002,
        capabilities: 0xA5A5_0001,
        app_name: "demo".into(),
        metadata: vec![],
    }
}

/// Recompute the CRC of a (possibly hand-edited) file so that the only thing wrong
/// with it is what the test broke.
fn fix_crc(bytes: &mut [u8]) {
    let hl = if be16(bytes, 4) == 1 { HEADER_V1_LEN } else { HEADER_V2_LEN };
    let crc = crc_of(bytes, hl);
    bytes[OFF_CRC..OFF_CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

#[test]
fn v2_round_trip() {
    let img = sample();
    let bytes = img.try_to_bytes(Version::V2).unwrap();
    assert_eq!(bytes.len(), HEADER_V2_LEN + 12 + 6);
    assert_eq!(&bytes[..4], b"HSXE");
    assert_eq!(be16(&bytes, 4), 2);
    assert_eq!(Image::parse(&bytes).unwrap(), img);
}

#[test]
fn v1_round_trip_drops_v2_fields() {
    let img = sample();
    let bytes = img.try_to_bytes(Version::V1).unwrap();
    assert_eq!(bytes.len(), HEADER_V1_LEN + 12 + 6);
    assert_eq!(be16(&bytes, 4), 1);
    let back = Image::parse(&bytes).unwrap();
    assert_eq!(back, Image { app_name: String::new(), ..img });
}

#[test]
fn crc_matches_zlib_definition() {
    let bytes = sample().to_bytes(Version::V2);
    // header 0x00..0x1B then everything after the 96-byte header
    let mut covered = bytes[..0x1C].to_vec();
    covered.extend_from_slice(&bytes[HEADER_V2_LEN..]);
    assert_eq!(be32(&bytes, 0x1C), crc32fast::hash(&covered));
    // the v2-only header bytes are not covered: changing the name keeps the CRC valid
    let mut renamed = bytes.clone();
    renamed[0x20] = b'X';
    assert_eq!(Image::parse(&renamed).unwrap().app_name, "Xemo");
}

#[test]
fn data_addr_metadata_round_trip() {
    let img = Image { data_addr: 0x8000, ..sample() };
    let bytes = img.to_bytes(Version::V2);
    let table = be32(&bytes, OFF_META_OFFSET) as usize;
    assert_eq!(table, HEADER_V2_LEN + 12 + 6);
    assert_eq!(be32(&bytes, OFF_META_COUNT), 1);
    assert_eq!(be32(&bytes, table), META_DATA_ADDR);
    let payload = be32(&bytes, table + 4) as usize;
    assert_eq!(be32(&bytes, table + 8), 4);
    assert_eq!(be32(&bytes, payload), 0x8000);
    assert_eq!(Image::parse(&bytes).unwrap(), img);
    // default address: no entry at all
    let bytes = sample().to_bytes(Version::V2);
    assert_eq!(be32(&bytes, OFF_META_OFFSET), 0);
    assert_eq!(be32(&bytes, OFF_META_COUNT), 0);
}

#[test]
fn v1_cannot_express_data_addr() {
    let img = Image { data_addr: 0x8000, ..sample() };
    assert_eq!(img.try_to_bytes(Version::V1), Err(HxeError::V1DataAddr { addr: 0x8000 }));
    // to_bytes writes v2 rather than a program whose data would load elsewhere
    let bytes = img.to_bytes(Version::V1);
    assert_eq!(be16(&bytes, 4), 2);
    assert_eq!(Image::parse(&bytes).unwrap().data_addr, 0x8000);
}

#[test]
fn unknown_metadata_kept_and_round_trips() {
    let img = Image {
        data_addr: 0x6000,
        metadata: vec![
            MetaEntry { kind: META_MAILBOXES, count: 2, payload: b"{\"m\":1}".to_vec() },
            MetaEntry { kind: 0x77, count: 0, payload: vec![] },
            MetaEntry { kind: META_VALUES, count: 1, payload: vec![1, 2, 3] },
        ],
        ..sample()
    };
    let bytes = img.try_to_bytes(Version::V2).unwrap();
    assert_eq!(be32(&bytes, OFF_META_COUNT), 4);
    assert_eq!(Image::parse(&bytes).unwrap(), img);
}

#[test]
fn data_addr_entry_anywhere_in_table() {
    // 0x10 as the second entry (as another writer might lay it out)
    let img = Image { metadata: vec![MetaEntry { kind: 0x55, count: 3, payload: vec![9; 5] }], ..sample() };
    let mut bytes = img.to_bytes(Version::V2);
    let table = be32(&bytes, OFF_META_OFFSET) as usize;
    // append a new table with two entries after the old payload
    let new_table = bytes.len();
    let p_addr = new_table + 32;
    bytes.extend_from_slice(&[0; 32]);
    bytes.extend_from_slice(&0x5000u32.to_be_bytes());
    let old_entry: Vec<u8> = bytes[table..table + 16].to_vec();
    bytes[new_table..new_table + 16].copy_from_slice(&old_entry);
    put32(&mut bytes, new_table + 16, META_DATA_ADDR);
    put32(&mut bytes, new_table + 20, p_addr as u32);
    put32(&mut bytes, new_table + 24, 4);
    put32(&mut bytes, new_table + 28, 1);
    put32(&mut bytes, OFF_META_OFFSET, new_table as u32);
    put32(&mut bytes, OFF_META_COUNT, 2);
    fix_crc(&mut bytes);
    let back = Image::parse(&bytes).unwrap();
    assert_eq!(back.data_addr, 0x5000);
    assert_eq!(back.metadata, img.metadata);
}

// ---- one test per rejection rule ----

#[test]
fn reject_too_short() {
    let bytes = sample().to_bytes(Version::V2);
    for n in [0, 5, 31] {
        assert!(matches!(Image::parse(&bytes[..n]), Err(HxeError::TooShort { need: 32, .. })));
    }
    assert!(matches!(Image::parse(&bytes[..95]), Err(HxeError::TooShort { len: 95, need: 96, .. })));
    let e = Image::parse(&bytes[..40]).unwrap_err().to_string();
    assert!(e.contains("shorter than its header") && e.contains("40") && e.contains("96"), "{e}");
}

#[test]
fn reject_bad_magic() {
    let mut bytes = sample().to_bytes(Version::V2);
    bytes[3] = b'F';
    fix_crc(&mut bytes);
    assert_eq!(Image::parse(&bytes), Err(HxeError::BadMagic { found: 0x4853_5846 }));
    assert!(Image::parse(&bytes).unwrap_err().to_string().contains("0x48535846"));
}

#[test]
fn reject_unknown_version() {
    let mut bytes = sample().to_bytes(Version::V2);
    bytes[5] = 3;
    fix_crc(&mut bytes);
    assert_eq!(Image::parse(&bytes), Err(HxeError::UnknownVersion(3)));
}

#[test]
fn reject_reserved_nonzero() {
    for off in [0x48, 0x5F] {
        let mut bytes = sample().to_bytes(Version::V2);
        bytes[off] = 0x11;
        assert_eq!(Image::parse(&bytes), Err(HxeError::ReservedNonZero { offset: off, value: 0x11 }));
    }
}

#[test]
fn reject_non_ascii_name() {
    let mut bytes = sample().to_bytes(Version::V2);
    bytes[0x22] = 0xC3;
    assert_eq!(Image::parse(&bytes), Err(HxeError::NonAsciiName { index: 2, offset: 0x22, value: 0xC3 }));
    let img = Image { app_name: "näme".into(), ..sample() };
    assert!(matches!(img.try_to_bytes(Version::V2), Err(HxeError::NonAsciiName { index: 1, .. })));
    let img = Image { app_name: "x".repeat(33), ..sample() };
    assert_eq!(img.try_to_bytes(Version::V2), Err(HxeError::NameTooLong { len: 33 }));
}

#[test]
fn reject_code_too_long() {
    let img = Image { code: vec![0; 0x1_0004], ..sample() };
    assert_eq!(img.try_to_bytes(Version::V2), Err(HxeError::CodeTooLong { len: 0x1_0004 }));
    let bytes = img.to_bytes(Version::V2);
    assert_eq!(Image::parse(&bytes), Err(HxeError::CodeTooLong { len: 0x1_0004 }));
    // exactly 64 KiB is fine
    let img = Image { code: vec![0; 0x1_0000], ..sample() };
    assert_eq!(Image::parse(&img.to_bytes(Version::V2)).unwrap(), img);
}

#[test]
fn reject_data_too_large() {
    let img = Image { data_addr: 0xFFF0, data: vec![1; 8], bss: 9, ..sample() };
    let err = HxeError::DataTooLarge { addr: 0xFFF0, data: 8, bss: 9, end: 0x10001 };
    assert_eq!(img.try_to_bytes(Version::V2), Err(err.clone()));
    assert_eq!(Image::parse(&img.to_bytes(Version::V2)), Err(err));
    // default load address, bss alone too big
    let img = Image { bss: 0xC001, data: vec![], ..sample() };
    assert!(matches!(Image::parse(&img.to_bytes(Version::V1)), Err(HxeError::DataTooLarge { addr: 0x4000, .. })));
    // exactly up to the end is fine
    let img = Image { data_addr: 0xFFF0, data: vec![1; 8], bss: 8, ..sample() };
    assert_eq!(Image::parse(&img.to_bytes(Version::V2)).unwrap(), img);
}

#[test]
fn reject_code_len_unaligned() {
    let img = Image { code: vec![0; 10], entry: 0, ..sample() };
    assert_eq!(Image::parse(&img.to_bytes(Version::V1)), Err(HxeError::CodeLenUnaligned { len: 10 }));
}

#[test]
fn reject_entry_unaligned() {
    let img = Image { entry: 2, ..sample() };
    assert_eq!(Image::parse(&img.to_bytes(Version::V2)), Err(HxeError::EntryUnaligned { entry: 2 }));
}

#[test]
fn reject_entry_outside_code() {
    let img = Image { entry: 12, ..sample() };
    assert_eq!(Image::parse(&img.to_bytes(Version::V2)), Err(HxeError::EntryOutsideCode { entry: 12, code_len: 12 }));
    let img = Image { entry: 0, code: vec![], ..sample() };
    assert_eq!(img.try_to_bytes(Version::V2), Err(HxeError::EntryOutsideCode { entry: 0, code_len: 0 }));
}

#[test]
fn reject_sections_past_end() {
    let mut bytes = sample().to_bytes(Version::V1);
    bytes.pop();
    fix_crc(&mut bytes);
    let e = Image::parse(&bytes).unwrap_err();
    assert_eq!(e, HxeError::SectionsPastEnd { header: 32, code: 12, data: 6, end: 50, file_len: 49 });
    // a huge data length does not overflow
    let mut bytes = sample().to_bytes(Version::V2);
    put32(&mut bytes, 0x10, u32::MAX);
    fix_crc(&mut bytes);
    assert!(matches!(Image::parse(&bytes), Err(HxeError::SectionsPastEnd { .. })));
}

fn with_meta() -> Vec<u8> {
    let img = Image { metadata: vec![MetaEntry { kind: 0x2, count: 1, payload: vec![7; 8] }], ..sample() };
    img.to_bytes(Version::V2)
}

#[test]
fn reject_meta_table_overlap() {
    let mut bytes = with_meta();
    let sections_end = (HEADER_V2_LEN + 12 + 6) as u64;
    put32(&mut bytes, OFF_META_OFFSET, sections_end as u32 - 4);
    fix_crc(&mut bytes);
    assert_eq!(Image::parse(&bytes), Err(HxeError::MetaTableOverlap { offset: sections_end as u32 - 4, sections_end }));
    put32(&mut bytes, OFF_META_OFFSET, 8); // inside the header
    fix_crc(&mut bytes);
    assert!(matches!(Image::parse(&bytes), Err(HxeError::MetaTableOverlap { offset: 8, .. })));
}

#[test]
fn reject_meta_table_past_end() {
    let mut bytes = with_meta();
    put32(&mut bytes, OFF_META_COUNT, 3);
    fix_crc(&mut bytes);
    assert!(matches!(Image::parse(&bytes), Err(HxeError::MetaTablePastEnd { count: 3, .. })));
    put32(&mut bytes, OFF_META_COUNT, u32::MAX);
    fix_crc(&mut bytes);
    assert!(matches!(Image::parse(&bytes), Err(HxeError::MetaTablePastEnd { .. })));
    let len = bytes.len() as u32;
    put32(&mut bytes, OFF_META_OFFSET, len - 8);
    put32(&mut bytes, OFF_META_COUNT, 1);
    fix_crc(&mut bytes);
    assert!(matches!(Image::parse(&bytes), Err(HxeError::MetaTablePastEnd { .. })));
}

#[test]
fn reject_meta_payload_out_of_bounds_any_kind() {
    for kind in [0x2u32, 0x10, 0xDEAD] {
        let base = with_meta();
        let table = be32(&base, OFF_META_OFFSET) as usize;
        // past the file
        let mut bytes = base.clone();
        put32(&mut bytes, table, kind);
        put32(&mut bytes, table + 8, 9);
        fix_crc(&mut bytes);
        assert!(
            matches!(Image::parse(&bytes), Err(HxeError::MetaPayloadOutOfBounds { index: 0, kind: k, size: 9, .. }) if k == kind)
        );
        // offset + size overflowing 32 bits
        put32(&mut bytes, table + 4, u32::MAX);
        fix_crc(&mut bytes);
        assert!(matches!(Image::parse(&bytes), Err(HxeError::MetaPayloadOutOfBounds { .. })));
        // inside the code
        let mut bytes = base.clone();
        put32(&mut bytes, table, kind);
        put32(&mut bytes, table + 4, HEADER_V2_LEN as u32);
        put32(&mut bytes, table + 8, 4);
        fix_crc(&mut bytes);
        assert!(matches!(Image::parse(&bytes), Err(HxeError::MetaPayloadOutOfBounds { .. })));
    }
}

/// A v2 file of `sample()` with a metadata table of `entries` `(type, offset, size)`
/// at `table` and the file padded to `len` bytes (CRC fixed).
fn with_table(table: usize, entries: &[(u32, u32, u32)], len: usize) -> Vec<u8> {
    let mut bytes = sample().to_bytes(Version::V2);
    assert!(bytes.len() <= table && table + entries.len() * META_ENTRY_LEN <= len);
    bytes.resize(len, 0x5A);
    for (i, &(kind, offset, size)) in entries.iter().enumerate() {
        let at = table + i * META_ENTRY_LEN;
        put32(&mut bytes, at, kind);
        put32(&mut bytes, at + 4, offset);
        put32(&mut bytes, at + 8, size);
        put32(&mut bytes, at + 12, 1);
    }
    put32(&mut bytes, OFF_META_OFFSET, table as u32);
    put32(&mut bytes, OFF_META_COUNT, entries.len() as u32);
    fix_crc(&mut bytes);
    bytes
}

#[test]
fn reject_meta_payload_in_table() {
    let end = HEADER_V2_LEN + 12 + 6;
    let table = end + 8;
    // payload = the table's second entry, and one straddling the table's start
    for (offset, size) in [(table as u32 + 16, 16), (end as u32, 9)] {
        let bytes = with_table(table, &[(0x2, end as u32, 4), (0x3, offset, size)], table + 64);
        assert_eq!(
            Image::parse(&bytes),
            Err(HxeError::MetaPayloadInTable {
                index: 1,
                kind: 3,
                offset,
                size,
                table: table as u32,
                table_end: table as u64 + 32
            })
        );
    }
    let e = Image::parse(&with_table(table, &[(0x2, table as u32, 32)], table + 64)).unwrap_err();
    assert!(e.to_string().contains("overlaps the metadata table"), "{e}");
    // touching the table on either side, or empty inside it, is fine
    let ok =
        with_table(table, &[(0x2, end as u32, 8), (0x3, table as u32 + 48, 4), (0x4, table as u32 + 4, 0)], table + 64);
    let img = Image::parse(&ok).unwrap();
    assert_eq!(img.metadata.iter().map(|m| m.payload.len()).collect::<Vec<_>>(), vec![8, 4, 0]);
}

#[test]
fn reject_meta_payload_overlap() {
    let table = HEADER_V2_LEN + 12 + 6;
    let p = (table + 64) as u32;
    let file = table + 128;
    // a later entry starting inside an earlier one
    let bytes = with_table(table, &[(0x2, p, 10), (0x3, p + 9, 4)], file);
    assert_eq!(Image::parse(&bytes), Err(HxeError::MetaPayloadOverlap { first: (0, p, 10), second: (1, p + 9, 4) }));
    // an earlier entry inside a later one (sorted by offset, reported by index)
    let bytes = with_table(table, &[(0x2, p + 4, 2), (0x3, p, 10)], file);
    assert_eq!(Image::parse(&bytes), Err(HxeError::MetaPayloadOverlap { first: (0, p + 4, 2), second: (1, p, 10) }));
    // the same payload named twice (type 0x10 too: overlap is checked for every type)
    let bytes = with_table(table, &[(0x1, p, 4), (META_DATA_ADDR, p, 4)], file);
    let e = Image::parse(&bytes).unwrap_err();
    assert_eq!(e, HxeError::MetaPayloadOverlap { first: (0, p, 4), second: (1, p, 4) });
    assert!(e.to_string().contains("entries 0 and 1 have overlapping payloads"), "{e}");
    // an overlap hidden behind a long payload: the sweep remembers the furthest reach
    let bytes = with_table(table, &[(0x2, p, 40), (0x3, p + 2, 2), (0x4, p + 30, 2)], file);
    assert_eq!(Image::parse(&bytes), Err(HxeError::MetaPayloadOverlap { first: (0, p, 40), second: (1, p + 2, 2) }));
    // adjacent payloads, and empty ones anywhere, do not overlap
    let bytes = with_table(table, &[(0x2, p, 4), (0x3, p + 4, 4), (0x4, p + 2, 0), (0x5, p + 2, 0)], file);
    assert_eq!(Image::parse(&bytes).unwrap().metadata.len(), 4);
}

/// The adversarial image of issue 9: `n` 16-byte entries, each claiming the same
/// `payload` bytes (`None`: all of the file after the sections, table included).
fn claim_all(n: usize, table_last: bool) -> Vec<u8> {
    let end = HEADER_V2_LEN + 12 + 6;
    let len = end + n * META_ENTRY_LEN + if table_last { 4096 } else { 0 };
    let (table, offset, size) = if table_last { (len - n * META_ENTRY_LEN, end, 4096) } else { (end, end, len - end) };
    with_table(table, &vec![(0x1, offset as u32, size as u32); n], len)
}

#[test]
fn adversarial_tables_cost_o_file_size() {
    use crate::test_alloc::allocated_by;
    // 5 000 entries each spanning the whole ~80 KB table: rejected (the payload overlaps
    // the table) without copying anything.
    let bytes = claim_all(5000, false);
    assert!(bytes.len() > 80_000);
    let (r, spent) = allocated_by(|| Image::parse(&bytes));
    assert!(matches!(r, Err(HxeError::MetaPayloadInTable { index: 0, .. })), "{r:?}");
    assert!(spent < 4096, "{spent} bytes allocated to reject");
    // the same entries all naming one 4 KiB payload before the table: rejected by the
    // overlap rule, with one small record per entry allocated
    let bytes = claim_all(5000, true);
    let (r, spent) = allocated_by(|| Image::parse(&bytes));
    assert_eq!(r, Err(HxeError::MetaPayloadOverlap { first: (0, 114, 4096), second: (1, 114, 4096) }));
    assert!(spent <= 2 * bytes.len() as u64, "{spent} bytes allocated for a {}-byte file", bytes.len());
    // and a valid image with 5 000 distinct payloads is read in O(file size) too
    let img = Image {
        metadata: (0..5000u32).map(|i| MetaEntry { kind: 0x1, count: i, payload: vec![i as u8; 3] }).collect(),
        ..sample()
    };
    let bytes = img.to_bytes(Version::V2);
    let (r, spent) = allocated_by(|| Image::parse(&bytes));
    assert_eq!(r.as_ref(), Ok(&img));
    assert!(spent <= 8 * bytes.len() as u64, "{spent} bytes allocated for a {}-byte file", bytes.len());
}

#[test]
fn reject_bad_data_addr_payload() {
    let base = Image { data_addr: 0x5000, ..sample() }.to_bytes(Version::V2);
    let table = be32(&base, OFF_META_OFFSET) as usize;
    let payload = be32(&base, table + 4) as usize;
    // wrong size
    let mut bytes = base.clone();
    put32(&mut bytes, table + 8, 2);
    fix_crc(&mut bytes);
    let e = Image::parse(&bytes).unwrap_err();
    assert!(matches!(e, HxeError::BadDataAddr { index: 0, .. }) && e.to_string().contains("2 bytes"), "{e}");
    // address out of data memory
    let mut bytes = base.clone();
    put32(&mut bytes, payload, 0x1_0000);
    fix_crc(&mut bytes);
    assert!(matches!(Image::parse(&bytes), Err(HxeError::BadDataAddr { .. })));
    // duplicated entry
    let img =
        Image { data_addr: 0x5000, metadata: vec![MetaEntry { kind: 9, count: 0, payload: vec![0; 4] }], ..sample() };
    let mut bytes = img.to_bytes(Version::V2);
    let table = be32(&bytes, OFF_META_OFFSET) as usize;
    put32(&mut bytes, table + 16, META_DATA_ADDR);
    fix_crc(&mut bytes);
    let e = Image::parse(&bytes).unwrap_err();
    assert!(matches!(e, HxeError::BadDataAddr { index: 1, .. }) && e.to_string().contains("second"), "{e}");
    // the writer refuses a 0x10 entry in `metadata`
    let img = Image { metadata: vec![MetaEntry { kind: META_DATA_ADDR, count: 1, payload: vec![0; 4] }], ..sample() };
    assert!(matches!(img.try_to_bytes(Version::V2), Err(HxeError::BadDataAddr { .. })));
}

#[test]
fn reject_crc_mismatch() {
    for v in [Version::V1, Version::V2] {
        let mut bytes = sample().to_bytes(v);
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(matches!(Image::parse(&bytes), Err(HxeError::CrcMismatch { .. })));
        let mut bytes = sample().to_bytes(v);
        bytes[0x1C] ^= 0x80;
        let e = Image::parse(&bytes).unwrap_err();
        assert!(e.to_string().starts_with("CRC mismatch"), "{e}");
        // a header field covered by the CRC
        let mut bytes = sample().to_bytes(v);
        bytes[0x18] ^= 1;
        assert!(matches!(Image::parse(&bytes), Err(HxeError::CrcMismatch { .. })));
    }
}

#[test]
fn v1_trailing_bytes_are_crc_covered() {
    let mut bytes = sample().to_bytes(Version::V1);
    bytes.extend_from_slice(b"junk");
    assert!(matches!(Image::parse(&bytes), Err(HxeError::CrcMismatch { .. })));
    fix_crc(&mut bytes);
    assert_eq!(Image::parse(&bytes).unwrap().code, sample().code);
}

fn arb_image() -> impl Strategy<Value = Image> {
    (
        1usize..16,
        proptest::collection::vec(any::<u8>(), 0..40),
        prop_oneof![Just(RODATA_BASE), 0x1000u32..0x8000],
        0u32..0x100,
        any::<u16>(),
        any::<u32>(),
        "[ -~]{0,32}",
        proptest::collection::vec(
            (
                any::<u32>().prop_filter("not 0x10", |k| *k != META_DATA_ADDR),
                any::<u32>(),
                proptest::collection::vec(any::<u8>(), 0..20),
            ),
            0..4,
        ),
    )
        .prop_flat_map(|(words, data, data_addr, bss, flags, caps, name, meta)| {
            (proptest::collection::vec(any::<u8>(), words * 4), 0..words).prop_map(move |(code, e)| Image {
                entry: e as u32 * 4,
                code,
                data: data.clone(),
                data_addr,
                bss,
                flags,
                capabilities: caps,
                app_name: name.clone(),
                metadata: meta.iter().map(|(k, c, p)| MetaEntry { kind: *k, count: *c, payload: p.clone() }).collect(),
            })
        })
}

proptest! {
    #[test]
    fn prop_round_trip(img in arb_image()) {
        let bytes = img.try_to_bytes(Version::V2).unwrap();
        prop_assert_eq!(Image::parse(&bytes).unwrap(), img.clone());
        if img.data_addr == RODATA_BASE {
            let bytes = img.try_to_bytes(Version::V1).unwrap();
            let back = Image::parse(&bytes).unwrap();
            prop_assert_eq!(back, Image { app_name: String::new(), metadata: vec![], ..img });
        }
    }

    #[test]
    fn prop_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Image::parse(&bytes);
        let mut hsxe = bytes.clone();
        if hsxe.len() >= 6 {
            hsxe[..4].copy_from_slice(b"HSXE");
            hsxe[4] = 0;
            hsxe[5] = 1 + (hsxe[5] & 1);
        }
        let _ = Image::parse(&hsxe);
    }

    #[test]
    fn prop_mutated_images_never_panic(img in arb_image(), muts in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6), fix in any::<bool>(), cut in any::<usize>()) {
        let mut bytes = img.to_bytes(Version::V2);
        for (at, v) in muts {
            let n = bytes.len();
            bytes[at % n] = v;
        }
        if fix && bytes.len() >= HEADER_V2_LEN && be16(&bytes, 4) <= 2 {
            fix_crc(&mut bytes);
        }
        if let Ok(back) = Image::parse(&bytes) {
            // whatever parses must write back to something that parses to the same image
            prop_assert_eq!(Image::parse(&back.to_bytes(Version::V2)).unwrap(), back);
        }
        let n = bytes.len();
        let _ = Image::parse(&bytes[..cut % (n + 1)]);
    }
}
