"""The width and height an image declares, read from its header bytes; the image is never decoded.

A PNG or JPEG of a few hundred bytes can declare 100,000 x 100,000 pixels: decoding it takes tens of
gigabytes. Strongroom decodes no image, but a browser showing one does, so pictures that are shown
to everyone (the workspace logo) are checked against a limit from these numbers first.
"""

from __future__ import annotations

import struct
from typing import Final

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (all but DHT C4, JPG C8 and DAC CC), which carry the frame's size.
_JPEG_FRAMES: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, without a length: TEM, RST0-7.
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) declared by a PNG or JPEG whose first bytes are `head`; None if not found there."""
    head = bytes(head)
    if head.startswith(_PNG_SIGNATURE):
        if len(head) < 24 or head[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if head.startswith(b"\xff\xd8"):
        return _jpeg_size(head)
    return None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(head):
        if head[at] != 0xFF:
            return None  # not at a marker: a damaged file
        marker = head[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _JPEG_STANDALONE:
            at += 2
            continue
        if marker in _JPEG_FRAMES:
            if at + 9 > len(head):
                return None
            height, width = struct.unpack(">HH", head[at + 5 : at + 9])
            return int(width), int(height)
        if marker in (0xD9, 0xDA):  # end of image, or the scan began without a frame header
            return None
        at += 2 + struct.unpack(">H", head[at + 2 : at + 4])[0]
    return None
