"""The size an image declares, read from its first bytes without decoding it."""

from __future__ import annotations

import struct
import zlib

from strongroom.vault.imagesize import image_size


def png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + struct.pack(
        ">I", zlib.crc32(b"IHDR" + header))


def jpeg(width: int, height: int, exif: int = 100) -> bytes:
    app1 = b"\xff\xe1" + struct.pack(">H", exif + 2) + b"E" * exif
    frame = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8\xff\xff" + app1 + frame + b"\xff\xda"


def test_png_and_jpeg_sizes_are_read_from_their_headers() -> None:
    assert image_size(png(100_000, 100_000)) == (100_000, 100_000)
    assert image_size(jpeg(640, 480)) == (640, 480)


def test_a_size_beyond_the_bytes_given_or_a_damaged_header_is_unknown() -> None:
    assert image_size(jpeg(640, 480, exif=9000)[:8192]) is None
    assert image_size(b"\xff\xd8\x00\x00garbage") is None
    assert image_size(png(1, 1)[:20]) is None
    assert image_size(b"GIF89a\x01\x00\x01\x00") is None
