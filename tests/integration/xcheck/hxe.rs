//! Hand-built HXE files (executive.md "Images (HXE)"), written byte by byte from the
//! spec's header table with a CRC-32 computed here — not with `isa::hxe`'s writer — so
//! that the reader (`isa::hxe::Image::parse`) is checked against an independent writer.

/// The zlib CRC-32 (reflected polynomial 0xEDB88320), table driven.
pub struct Crc32 {
    table: [u32; 256],
}

impl Crc32 {
    pub fn new() -> Crc32 {
        let mut table = [0u32; 256];
        for (i, t) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *t = c;
        }
        Crc32 { table }
    }

    /// CRC of the concatenation of `parts`.
    pub fn of(&self, parts: &[&[u8]]) -> u32 {
        let mut crc = !0u32;
        for part in parts {
            for &b in *part {
                crc = self.table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
            }
        }
        !crc
    }
}

/// What goes into a hand-built file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HxeSpec {
    /// 1 or 2.
    pub version: u16,
    pub flags: u16,
    pub entry: u32,
    /// Code words (stored big-endian).
    pub code: Vec<u32>,
    pub data: Vec<u8>,
    pub bss: u32,
    pub caps: u32,
    /// v2 only: app name (ASCII, at most 32 bytes).
    pub name: String,
    /// v2 only: data load address; written as a type-0x10 metadata entry when not 0x4000.
    pub data_addr: u32,
    /// v2 only: extra metadata entries `(type, count, payload)` a loader must skip.
    pub extra_meta: Vec<(u32, u32, Vec<u8>)>,
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// The file bytes.
pub fn build(spec: &HxeSpec, crc: &Crc32) -> Vec<u8> {
    let header_len = if spec.version == 1 { 0x20 } else { 0x60 };
    let mut body = Vec::new();
    for w in &spec.code {
        put32(&mut body, *w);
    }
    body.extend_from_slice(&spec.data);
    let mut meta: Vec<(u32, u32, Vec<u8>)> = Vec::new();
    if spec.version == 2 {
        if spec.data_addr != 0x4000 {
            meta.push((0x10, 1, spec.data_addr.to_be_bytes().to_vec()));
        }
        meta.extend(spec.extra_meta.iter().cloned());
    } else {
        assert_eq!(spec.data_addr, 0x4000, "a v1 file cannot move its data");
    }
    let meta_off = if meta.is_empty() { 0 } else { (header_len + body.len()) as u32 };
    if !meta.is_empty() {
        let mut payload_off = meta_off + 16 * meta.len() as u32;
        let mut payloads = Vec::new();
        for (kind, count, p) in &meta {
            put32(&mut body, *kind);
            put32(&mut body, payload_off);
            put32(&mut body, p.len() as u32);
            put32(&mut body, *count);
            payload_off += p.len() as u32;
            payloads.extend_from_slice(p);
        }
        body.extend_from_slice(&payloads);
    }
    let mut h = Vec::with_capacity(header_len);
    put32(&mut h, 0x4853_5845);
    h.extend_from_slice(&spec.version.to_be_bytes());
    h.extend_from_slice(&spec.flags.to_be_bytes());
    put32(&mut h, spec.entry);
    put32(&mut h, 4 * spec.code.len() as u32);
    put32(&mut h, spec.data.len() as u32);
    put32(&mut h, spec.bss);
    put32(&mut h, spec.caps);
    put32(&mut h, 0); // CRC, patched below
    if spec.version == 2 {
        let mut name = [0u8; 32];
        name[..spec.name.len()].copy_from_slice(spec.name.as_bytes());
        h.extend_from_slice(&name);
        put32(&mut h, meta_off);
        put32(&mut h, meta.len() as u32);
        h.extend_from_slice(&[0u8; 24]);
    }
    assert_eq!(h.len(), header_len);
    let c = crc.of(&[&h[..0x1C], &body]);
    h[0x1C..0x20].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(&body);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32/ISO-HDLC (zlib).
        let c = Crc32::new();
        assert_eq!(c.of(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(c.of(&[b"1234", b"56789"]), 0xCBF4_3926);
        assert_eq!(c.of(&[b""]), 0);
    }

    #[test]
    fn hand_built_files_parse() {
        let crc = Crc32::new();
        let mut spec = HxeSpec {
            version: 1,
            flags: 0,
            entry: 4,
            code: vec![0x0110_0005, 0x3000_0100],
            data: vec![1, 2, 3],
            bss: 5,
            caps: 0,
            name: String::new(),
            data_addr: 0x4000,
            extra_meta: vec![],
        };
        let img = isa::hxe::Image::parse(&build(&spec, &crc)).expect("v1 parses");
        assert_eq!((img.entry, img.data_addr, img.bss), (4, 0x4000, 5));
        assert_eq!(img.code, vec![0x01, 0x10, 0x00, 0x05, 0x30, 0x00, 0x01, 0x00]);
        assert_eq!(img.data, vec![1, 2, 3]);
        spec.version = 2;
        spec.name = "xcheck".into();
        spec.flags = 2;
        spec.caps = 0xDEAD_BEEF;
        spec.data_addr = 0x2000;
        spec.extra_meta = vec![(0x7F, 3, vec![9, 9, 9])];
        let bytes = build(&spec, &crc);
        let img = isa::hxe::Image::parse(&bytes).expect("v2 parses");
        assert_eq!((img.entry, img.data_addr, img.app_name.as_str()), (4, 0x2000, "xcheck"));
        // A flipped byte anywhere the CRC covers is refused.
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(isa::hxe::Image::parse(&bad).is_err());
    }
}
