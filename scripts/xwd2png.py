#!/usr/bin/env python3
"""Convert an X window dump (XWD, ZPixmap, 24/32 bits per pixel — what `Xvfb -fbdir`
writes) to PNG, with the standard library only. Usage: xwd2png.py IN.xwd OUT.png
[WIDTH HEIGHT] (crop to the top-left WIDTH x HEIGHT)."""
import struct
import sys
import zlib


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    hdr = struct.unpack(">25I", data[:100])
    (header_size, _version, pixmap_format, depth, width, height, _xoffset, byte_order,
     _unit, _bit_order, _pad, bits_per_pixel, bytes_per_line, _visual_class,
     red_mask, green_mask, blue_mask, _bits_rgb, _cmap_entries, ncolors) = hdr[:20]
    if pixmap_format != 2 or bits_per_pixel not in (24, 32):
        sys.exit(f"{src}: unsupported XWD (format {pixmap_format}, {bits_per_pixel} bpp)")
    off = header_size + ncolors * 12
    w, h = width, height
    if len(sys.argv) >= 5:
        w, h = min(w, int(sys.argv[3])), min(h, int(sys.argv[4]))
    bpp = bits_per_pixel // 8
    fmt = "<I" if byte_order == 0 else ">I"

    def shift(mask):
        s = 0
        while mask and not (mask >> s) & 1:
            s += 1
        return s

    rs, gs, bs = shift(red_mask), shift(green_mask), shift(blue_mask)
    rows = []
    for y in range(h):
        line = data[off + y * bytes_per_line: off + y * bytes_per_line + width * bpp]
        out = bytearray(b"\0")
        for x in range(w):
            px = line[x * bpp: x * bpp + bpp]
            if bpp == 3:
                px = px + b"\0" if byte_order == 0 else b"\0" + px
            v = struct.unpack(fmt, px)[0]
            out += bytes(((v & red_mask) >> rs, (v & green_mask) >> gs, (v & blue_mask) >> bs))
        rows.append(bytes(out))

    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
    open(dst, "wb").write(png)


if __name__ == "__main__":
    main()
