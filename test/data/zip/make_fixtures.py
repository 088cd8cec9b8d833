#!/usr/bin/python3
# test/data/zip/make_fixtures.py
#	Generates the ZIP fixtures read by test/core/zip_reader_test.c.
#
#	Most archives are written byte by byte by zip_build() so every field
#	(flags, sizes, offsets, extra fields, descriptors) is under control;
#	a few come from Python's zipfile as "written by a real tool" checks.
#	The generated files are committed: tests never need Python.
#
#	Run: /usr/bin/python3 test/data/zip/make_fixtures.py

import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def deflate_raw(data, level=9):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


class Member:
    def __init__(self, name, data, method=8, flags=None, descriptor=False,
                 zip64=False, crc=None, usize=None, extra=b"", raw_name=None,
                 payload=None):
        self.name = raw_name if raw_name is not None else name.encode("utf-8")
        self.data = data
        self.method = method
        if flags is None:
            flags = 0
            try:
                name.encode("ascii")
            except UnicodeEncodeError:
                flags |= 0x800
        if descriptor:
            flags |= 0x08
        self.flags = flags
        self.descriptor = descriptor
        self.zip64 = zip64
        self.crc = zlib.crc32(data) if crc is None else crc
        self.usize = len(data) if usize is None else usize
        self.extra = extra
        if payload is not None:
            self.payload = payload
        elif method == 8:
            self.payload = deflate_raw(data)
        else:
            self.payload = data


def zip_build(members, comment=b"", zip64_end=False, overlap_last=False,
              trailing=b""):
    """Writes members; returns the archive bytes."""
    out = bytearray()
    central = bytearray()
    offsets = []
    for m in members:
        off = len(out)
        offsets.append(off)
        csize = len(m.payload)
        if m.descriptor:
            l_crc, l_cs, l_us = 0, 0, 0
        else:
            l_crc, l_cs, l_us = m.crc, csize, m.usize
        lextra = b""
        if m.zip64:
            lextra = struct.pack("<HHQQ", 1, 16, l_us, l_cs)
            l_cs = l_us = 0xFFFFFFFF
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45 if m.zip64 else 20,
                           m.flags, m.method, 0, 0x21, l_crc, l_cs, l_us,
                           len(m.name), len(lextra))
        out += m.name + lextra + m.payload
        if m.descriptor:
            out += struct.pack("<IIII", 0x08074b50, m.crc, csize, m.usize)
        cextra = b""
        c_cs, c_us, c_off = csize, m.usize, off
        if m.zip64:
            cextra = struct.pack("<HHQQQ", 1, 24, m.usize, csize, off)
            c_cs = c_us = c_off = 0xFFFFFFFF
        cextra += m.extra
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x031e,
                               45 if m.zip64 else 20, m.flags, m.method, 0,
                               0x21, m.crc, c_cs, c_us, len(m.name),
                               len(cextra), 0, 0, 0, 0, c_off)
        central += m.name + cextra
    if overlap_last:
        # one more central entry reusing the first member's local header
        m = members[0]
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x031e, 20,
                               m.flags, m.method, 0, 0x21, m.crc,
                               len(m.payload), m.usize, len(b"copy.txt"), 0,
                               0, 0, 0, 0, offsets[0])
        central += b"copy.txt"
    count = len(members) + (1 if overlap_last else 0)
    cd_off = len(out)
    out += central
    if zip64_end:
        e64 = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, count,
                           count, len(central), cd_off)
        out += struct.pack("<IIQI", 0x07064b50, 0, e64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0xFFFF, 0xFFFF, 0xFFFF,
                           0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, len(comment))
    else:
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, count, count,
                           len(central), cd_off, len(comment))
    out += comment + trailing
    return bytes(out)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


CSV = b"id,name\n" + b"".join(b"%d,name %d\n" % (i, i) for i in range(1, 501))


def main():
    # stored members, a directory entry, an empty member
    write("stored.zip", zip_build([
        Member("a.txt", b"hello\n", method=0),
        Member("dir/", b"", method=0),
        Member("dir/b.csv", b"x,y\n1,2\n", method=0),
        Member("empty.txt", b"", method=0),
    ]))
    # deflated members
    write("deflated.zip", zip_build([
        Member("data.csv", CSV),
        Member("empty.txt", b""),
        Member("notes/readme.txt", b"readme " * 100),
    ], comment=b"an archive comment"))
    # data descriptors (bit 3): local header sizes and CRC are zero
    write("descriptor.zip", zip_build([
        Member("data.csv", CSV, descriptor=True),
        Member("s.txt", b"stored with descriptor\n", method=0, descriptor=True),
    ]))
    # hand-made ZIP64: EOCD64 + locator + central ZIP64 extra fields
    write("zip64.zip", zip_build([
        Member("data.csv", CSV, zip64=True),
        Member("s.txt", b"small\n", method=0, zip64=True),
    ], zip64_end=True))
    # Python's force_zip64 (ZIP64 extra in the local header only)
    path = os.path.join(HERE, "zip64_python.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("data.csv", "w", force_zip64=True) as f:
            f.write(CSV)
        z.writestr("b.txt", b"bee\n")
    # encryption flag set (the payload is just bytes)
    write("encrypted.zip", zip_build([
        Member("plain.txt", b"plain\n"),
        Member("secret.csv", b"a,b\n", flags=0x01, method=0),
    ]))
    # unsupported method (bzip2 via Python)
    path = os.path.join(HERE, "bzip2.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as z:
        z.writestr("data.csv", CSV)
    # zip bomb: 50 MB of zeros, declared honestly
    zeros = bytes(50 * 1024 * 1024)
    write("bomb.zip", zip_build([Member("zeros.bin", zeros)]))
    # zip bomb lying about its size: the header says 1000 bytes
    write("bomb_lying.zip", zip_build([
        Member("zeros.bin", zeros, usize=1000, crc=0)]))
    # a member larger than it declares (under the ratio grace)
    write("size_mismatch.zip", zip_build([
        Member("data.csv", CSV, usize=100)]))
    # bad CRC
    write("badcrc.zip", zip_build([
        Member("ok.txt", b"fine\n"),
        Member("data.csv", CSV, crc=0x12345678)]))
    # truncated archive: the first 60% of deflated.zip
    whole = zip_build([Member("data.csv", CSV)])
    write("truncated.zip", whole[:len(whole) * 6 // 10])
    # corrupt deflate stream: flip bytes inside the compressed data
    bad = bytearray(deflate_raw(CSV))
    for i in range(10, 40):
        bad[i] ^= 0xA5
    write("baddeflate.zip", zip_build([Member("data.csv", CSV,
                                              payload=bytes(bad))]))
    # compressed data cut short while the central directory is intact
    write("shortdeflate.zip", zip_build([Member("data.csv", CSV,
                                                payload=deflate_raw(CSV)[:50])]))
    # local header offset past the end of the archive
    a = bytearray(zip_build([Member("a.txt", b"hello\n", method=0)]))
    cd = a.rfind(b"PK\x01\x02")
    struct.pack_into("<I", a, cd + 42, 0x7FFFFFF0)
    write("badoffset.zip", bytes(a))
    # central directory offset past the end
    a = bytearray(zip_build([Member("a.txt", b"hello\n", method=0)]))
    eo = a.rfind(b"PK\x05\x06")
    struct.pack_into("<I", a, eo + 16, 0x7FFFFFF0)
    write("badcdoffset.zip", bytes(a))
    # member count larger than the central directory can hold
    a = bytearray(zip_build([Member("a.txt", b"hello\n", method=0)]))
    eo = a.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", a, eo + 8, 0xFFF0, 0xFFF0)
    write("badcount.zip", bytes(a))
    # path traversal names are only names
    write("traversal.zip", zip_build([
        Member("../../etc/passwd", b"root:x:0:0\n"),
        Member("/abs/path.txt", b"abs\n", method=0),
    ]))
    # names: CP437 (no flag) and UTF-8 (flag bit 11), and a Unicode Path extra
    upath = "ñandú.txt".encode("utf-8")
    raw = b"nandu.txt"
    uextra = struct.pack("<HHBI", 0x7075, 5 + len(upath), 1,
                         zlib.crc32(raw)) + upath
    write("names.zip", zip_build([
        Member(None, b"cp437\n", raw_name=b"caf\x82 \x9b.txt", flags=0),
        Member("año/ü.csv", b"utf8\n"),
        Member(None, b"upath\n", raw_name=raw, flags=0, extra=uextra),
        Member(None, b"bad\n", raw_name=b"bad\xff.txt", flags=0x800),
    ]))
    # overlapping members (two central entries share one local header)
    write("overlap.zip", zip_build([Member("a.txt", b"hello\n"),
                                    Member("b.txt", b"world\n")],
                                   overlap_last=True))
    # no end of central directory at all
    write("noeocd.zip", b"PK\x03\x04" + b"\x00" * 200)
    # EOCD followed by junk that is not a comment
    write("trailing.zip", zip_build([Member("a.txt", b"hello\n", method=0)],
                                    trailing=b"JUNK"))


if __name__ == "__main__":
    main()
