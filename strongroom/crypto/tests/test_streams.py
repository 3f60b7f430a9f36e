"""Tests of the STREAM file encryption: round trips, a known answer, and every way to break a file.

No database is needed: these tests only touch bytes in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto.errors import SealedStreamError
from strongroom.crypto.streams import (
    DEFAULT_CHUNK,
    HEADER_BYTES,
    MAX_CHUNK,
    TAG_BYTES,
    StreamSealer,
    StreamUsageError,
    open_stream,
    open_stream_to,
    seal_stream,
    sealed_size,
    verify_stream,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AAD = b"blob:7f3c|subject:42"
CHUNK = 64

# Known answer: key bytes(range(32)), prefix f0..f6, chunk size 16, aad b"blob:kat".
KAT_PLAINTEXT = b"Strongroom known-answer test: 37 byte"
KAT_PREFIX = bytes.fromhex("f0f1f2f3f4f5f6")
KAT_AAD = b"blob:kat"
KAT_SEALED_HEX = (
    "535253545245414d0100000010f0f1f2f3f4f5f6ed13c0e38839eb0e742319c7"
    "b323deec63cf187387053a2fbbbb86a8d88476645219099ee1f3e0ee420f805e"
    "bc5624b2741dd1b5679798eb716902a51017a53bdeaf806c40a0007e549b210f"
    "fc202cf80db47c6cb3"
)


def seal(
    data: bytes, *, chunk: int = CHUNK, key: bytes = KEY, aad: bytes = AAD, **kw: bytes
) -> bytes:
    out = io.BytesIO()
    assert seal_stream(key, io.BytesIO(data), out, aad, chunk_size=chunk, **kw) == len(data)
    return out.getvalue()


def unseal(sealed: bytes, *, key: bytes = KEY, aad: bytes = AAD) -> bytes:
    return b"".join(open_stream(key, io.BytesIO(sealed), aad))


def open_error(sealed: bytes, *, key: bytes = KEY, aad: bytes = AAD) -> tuple[str, bytes]:
    """Open `sealed`, expecting failure; return the message and the plaintext yielded first."""
    yielded = bytearray()
    with pytest.raises(SealedStreamError) as excinfo:
        for chunk in open_stream(key, io.BytesIO(sealed), aad):
            yielded += chunk
    return str(excinfo.value), bytes(yielded)


def records(sealed: bytes, chunk: int = CHUNK) -> tuple[bytes, list[bytes]]:
    """Split a sealed stream into its header and its chunk records (ciphertext + tag)."""
    size = chunk + TAG_BYTES
    body = sealed[HEADER_BYTES:]
    return sealed[:HEADER_BYTES], [body[i : i + size] for i in range(0, len(body), size)]


def reference_seal(key: bytes, data: bytes, aad: bytes, chunk: int, prefix: bytes) -> bytes:
    """The format rebuilt independently with one-shot AESGCM.encrypt, to check the real one."""
    header = b"SRSTREAM" + b"\x01" + chunk.to_bytes(4, "big") + prefix
    pieces = [data[i : i + chunk] for i in range(0, len(data) - len(data) % chunk, chunk)]
    pieces.append(data[len(data) - len(data) % chunk :])  # the final chunk is short, maybe empty
    aes = AESGCM(key)
    out = header
    for i, piece in enumerate(pieces):
        nonce = prefix + i.to_bytes(4, "big") + bytes([i == len(pieces) - 1])
        out += aes.encrypt(nonce, piece, header + aad)
    return out


def patterned(n: int) -> bytes:
    return bytes(i * 7 % 251 for i in range(n))


# Round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 17])
def test_round_trip(size: int) -> None:
    data = patterned(size)
    sealed = seal(data)
    assert len(sealed) == sealed_size(size, CHUNK)
    assert unseal(sealed) == data
    assert verify_stream(KEY, io.BytesIO(sealed), AAD) == size
    sink = io.BytesIO()
    assert open_stream_to(KEY, io.BytesIO(sealed), sink, AAD) == size
    assert sink.getvalue() == data


def test_round_trip_default_chunk_size() -> None:
    data = patterned(DEFAULT_CHUNK + 1000)
    sealed = seal(data, chunk=DEFAULT_CHUNK)
    assert len(sealed) == sealed_size(len(data))
    assert [len(c) for c in open_stream(KEY, io.BytesIO(sealed), AAD)] == [DEFAULT_CHUNK, 1000]


def test_yields_one_piece_per_chunk() -> None:
    chunks = list(open_stream(KEY, io.BytesIO(seal(patterned(2 * CHUNK + 5))), AAD))
    assert [len(c) for c in chunks] == [CHUNK, CHUNK, 5]


def test_a_multiple_of_the_chunk_size_ends_with_an_empty_final_chunk() -> None:
    _header, recs = records(seal(patterned(2 * CHUNK)))
    assert [len(r) for r in recs] == [CHUNK + TAG_BYTES, CHUNK + TAG_BYTES, TAG_BYTES]


@settings(deadline=None)
@given(data=st.binary(max_size=3000), chunk=st.integers(1, 300), aad=st.binary(max_size=40))
def test_round_trip_any_data_and_chunk_size(data: bytes, chunk: int, aad: bytes) -> None:
    sealed = seal(data, chunk=chunk, aad=aad)
    assert len(sealed) == sealed_size(len(data), chunk)
    assert unseal(sealed, aad=aad) == data


@settings(deadline=None)
@given(
    data=st.binary(max_size=2000),
    chunk=st.integers(1, 200),
    prefix=st.binary(min_size=7, max_size=7),
)
def test_matches_an_independent_rebuild_of_the_format(
    data: bytes, chunk: int, prefix: bytes
) -> None:
    assert seal(data, chunk=chunk, nonce_prefix=prefix) == reference_seal(
        KEY, data, AAD, chunk, prefix
    )


def test_fresh_nonce_prefix_per_stream() -> None:
    assert seal(b"same bytes") != seal(b"same bytes")


# Known answer -------------------------------------------------------------------------------


def test_known_answer() -> None:
    sealed = seal(KAT_PLAINTEXT, chunk=16, aad=KAT_AAD, nonce_prefix=KAT_PREFIX)
    assert sealed.hex() == KAT_SEALED_HEX
    # The constant is not only our own output: rebuild it by hand from one-shot AES-GCM calls.
    header = b"SRSTREAM" + b"\x01" + (16).to_bytes(4, "big") + KAT_PREFIX
    aes = AESGCM(KEY)
    expected = header
    for i, piece in enumerate([KAT_PLAINTEXT[:16], KAT_PLAINTEXT[16:32], KAT_PLAINTEXT[32:]]):
        nonce = KAT_PREFIX + i.to_bytes(4, "big") + (b"\x01" if i == 2 else b"\x00")
        expected += aes.encrypt(nonce, piece, header + KAT_AAD)
    assert expected.hex() == KAT_SEALED_HEX
    assert unseal(sealed, aad=KAT_AAD) == KAT_PLAINTEXT


# StreamSealer -------------------------------------------------------------------------------


def split(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    at, i = 0, 0
    while at < len(data):
        step = sizes[i % len(sizes)] if any(sizes) else len(data)
        yield data[at : at + step]
        at += step
        i += 1


def test_sealer_with_irregular_pieces() -> None:
    data = patterned(10 * CHUNK + 3)
    out = io.BytesIO()
    sealer = StreamSealer(KEY, out, AAD, chunk_size=CHUNK)
    for piece in split(data, [1, 63, 64, 65, 200, 0, 7, 128]):
        sealer.write(piece)
    assert sealer.close() == len(data)
    assert unseal(out.getvalue()) == data


@settings(deadline=None)
@given(
    data=st.binary(max_size=2000),
    sizes=st.lists(st.integers(0, 300), max_size=12),
    chunk=st.integers(1, 150),
)
def test_sealer_output_equals_seal_stream(data: bytes, sizes: list[int], chunk: int) -> None:
    prefix = b"\x01" * 7
    out = io.BytesIO()
    sealer = StreamSealer(KEY, out, AAD, chunk_size=chunk, nonce_prefix=prefix)
    for piece in split(data, sizes):
        sealer.write(memoryview(piece))
    assert sealer.close() == len(data)
    assert out.getvalue() == seal(data, chunk=chunk, nonce_prefix=prefix)


def test_sealer_write_after_close_raises() -> None:
    sealer = StreamSealer(KEY, io.BytesIO(), AAD, chunk_size=CHUNK)
    sealer.write(b"abc")
    sealer.close()
    with pytest.raises(SealedStreamError, match="closed"):
        sealer.write(b"more")
    with pytest.raises(SealedStreamError, match="closed"):
        sealer.close()


def test_sealer_context_manager_closes_on_success() -> None:
    out = io.BytesIO()
    with StreamSealer(KEY, out, AAD, chunk_size=CHUNK) as sealer:
        sealer.write(b"hello")
    assert unseal(out.getvalue()) == b"hello"


def test_sealer_abandoned_on_error_never_opens() -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError), StreamSealer(KEY, out, AAD, chunk_size=CHUNK) as sealer:
        sealer.write(patterned(3 * CHUNK))
        raise RuntimeError("upload interrupted")
    message, _ = open_error(out.getvalue())
    assert "truncated" in message
    with pytest.raises(SealedStreamError, match="closed"):
        sealer.write(b"x")


def test_sealer_unusable_after_sink_failure() -> None:
    class FailingSink(io.BytesIO):
        def write(self, data: object) -> int:
            raise OSError("disk full")

    sealer = StreamSealer(KEY, io.BytesIO(), AAD, chunk_size=CHUNK)
    sealer._sink = FailingSink()
    with pytest.raises(OSError, match="disk full"):
        sealer.write(patterned(CHUNK))
    with pytest.raises(SealedStreamError, match="closed"):  # no retry under a used nonce
        sealer.write(patterned(CHUNK))


# Sources that read short, and bad arguments -------------------------------------------------


class Trickle(io.RawIOBase):
    """A pipe-like source: at most 7 bytes per read."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        piece = self._data.read(min(7, len(buffer)))
        buffer[: len(piece)] = piece
        return len(piece)


class ReadOnly:
    """A source with read() but no readinto()."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._data.read(min(n, 5))


def test_short_reads_and_sources_without_readinto() -> None:
    data = patterned(4 * CHUNK + 9)
    out = io.BytesIO()
    seal_stream(KEY, Trickle(data), out, AAD, chunk_size=CHUNK)  # type: ignore[arg-type]
    sealed = out.getvalue()
    assert sealed == seal(data, nonce_prefix=sealed[13:20])
    assert b"".join(open_stream(KEY, Trickle(sealed), AAD)) == data  # type: ignore[arg-type]
    assert b"".join(open_stream(KEY, ReadOnly(sealed), AAD)) == data  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"chunk_size": 0}, "chunk size"),
        ({"chunk_size": MAX_CHUNK + 1}, "chunk size"),
        ({"nonce_prefix": b"short"}, "nonce prefix"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(StreamUsageError, match=words):
        StreamSealer(KEY, io.BytesIO(), AAD, **kwargs)  # type: ignore[arg-type]


def test_aes_128_keys_are_refused() -> None:
    with pytest.raises(StreamUsageError, match="AES-256"):
        seal(b"x", key=bytes(16))
    with pytest.raises(ValueError, match="AES-256"):
        open_stream(bytes(16), io.BytesIO(seal(b"x")), AAD)


def test_sealed_size() -> None:
    assert sealed_size(0, 16) == HEADER_BYTES + TAG_BYTES
    assert sealed_size(16, 16) == HEADER_BYTES + 16 + 2 * TAG_BYTES
    assert sealed_size(17, 16) == HEADER_BYTES + 17 + 2 * TAG_BYTES
    with pytest.raises(StreamUsageError):
        sealed_size(-1)


# Header problems ----------------------------------------------------------------------------


def test_not_a_sealed_file() -> None:
    with pytest.raises(SealedStreamError, match="not a sealed stream: bad magic"):
        open_stream(KEY, io.BytesIO(b"%PDF-1.7 this is a plain file" * 3), AAD)
    with pytest.raises(SealedStreamError, match="not a sealed stream: the input is empty"):
        open_stream(KEY, io.BytesIO(b""), AAD)


def test_unknown_version() -> None:
    sealed = bytearray(seal(b"data"))
    sealed[8] = 2
    with pytest.raises(SealedStreamError, match="unknown sealed stream version 2"):
        open_stream(KEY, io.BytesIO(bytes(sealed)), AAD)


@pytest.mark.parametrize("chunk_size", [0, MAX_CHUNK + 1, 2**32 - 1])
def test_bad_chunk_size_in_header(chunk_size: int) -> None:
    sealed = bytearray(seal(b"data"))
    sealed[9:13] = chunk_size.to_bytes(4, "big")
    with pytest.raises(SealedStreamError, match=f"bad chunk size {chunk_size}"):
        open_stream(KEY, io.BytesIO(bytes(sealed)), AAD)


def test_header_only_file_is_truncated() -> None:
    message, _ = open_error(seal(b"")[:HEADER_BYTES])
    assert "truncated" in message and "without a final chunk" in message


# Tampering, truncation, reordering ----------------------------------------------------------

SMALL = patterned(3 * CHUNK + 10)  # three full chunks and a short final one


def test_tampered_chunk_yields_nothing_from_that_chunk() -> None:
    sealed = bytearray(seal(SMALL))
    sealed[HEADER_BYTES + 2 * (CHUNK + TAG_BYTES) + 5] ^= 0x01  # inside chunk 2's ciphertext
    message, yielded = open_error(bytes(sealed))
    assert "chunk 2 failed authentication" in message and "altered" in message
    assert yielded == SMALL[: 2 * CHUNK]  # chunks 0 and 1 only: they verified before chunk 2


def test_tampered_final_chunk_yields_only_earlier_chunks() -> None:
    sealed = bytearray(seal(SMALL))
    sealed[-1] ^= 0x80  # the final chunk's tag
    message, yielded = open_error(bytes(sealed))
    assert "chunk 3 failed authentication" in message
    assert yielded == SMALL[: 3 * CHUNK]


def test_tampered_stream_fails_verification_and_writes_nothing_via_verify() -> None:
    sealed = bytearray(seal(SMALL))
    sealed[-20] ^= 0x04
    with pytest.raises(SealedStreamError, match="failed authentication"):
        verify_stream(KEY, io.BytesIO(bytes(sealed)), AAD)


@settings(deadline=None, max_examples=300)
@given(bit=st.integers(0, 8 * len(seal(SMALL)) - 1))
def test_any_bit_flip_is_detected(bit: int) -> None:
    sealed = bytearray(seal(SMALL))
    sealed[bit // 8] ^= 1 << (bit % 8)
    _, yielded = open_error(bytes(sealed))
    assert SMALL.startswith(yielded)  # only genuine plaintext, from chunks before the flip


def test_every_bit_flip_of_a_tiny_stream_is_detected() -> None:
    data = b"a tiny stream of 40 bytes, 3 chunks...."
    sealed = seal(data, chunk=16)
    for bit in range(8 * len(sealed)):
        flipped = bytearray(sealed)
        flipped[bit // 8] ^= 1 << (bit % 8)
        yielded = bytearray()
        with pytest.raises(SealedStreamError):
            for chunk in open_stream(KEY, io.BytesIO(bytes(flipped)), AAD):
                yielded += chunk
        chunk_index = max(0, (bit // 8 - HEADER_BYTES) // (16 + TAG_BYTES))
        assert bytes(yielded) == data[: 16 * chunk_index], f"bit {bit}"


def test_truncation_at_every_byte_is_detected() -> None:
    sealed = seal(SMALL)
    for cut in range(len(sealed)):
        message, yielded = open_error(sealed[:cut])
        assert "truncated" in message, f"cut at {cut}: {message}"
        assert SMALL.startswith(yielded)


def test_cut_mid_chunk() -> None:
    message, _ = open_error(seal(SMALL)[: HEADER_BYTES + CHUNK // 2])
    assert "chunk 0 failed authentication" in message and "truncated (cut mid-chunk)" in message


def test_cut_at_a_chunk_boundary() -> None:
    message, yielded = open_error(seal(SMALL)[: HEADER_BYTES + 2 * (CHUNK + TAG_BYTES)])
    assert "truncated" in message and "after 2 chunk(s) without a final chunk" in message
    assert yielded == SMALL[: 2 * CHUNK]


def test_dropped_middle_chunk() -> None:
    header, recs = records(seal(SMALL))
    message, yielded = open_error(header + recs[0] + b"".join(recs[2:]))
    assert "chunk 1 failed authentication" in message and "dropped" in message
    assert yielded == SMALL[:CHUNK]


def test_dropped_final_chunk() -> None:
    header, recs = records(seal(SMALL))
    message, _ = open_error(header + b"".join(recs[:-1]))
    assert "truncated" in message and "without a final chunk" in message


def test_swapped_chunks() -> None:
    header, recs = records(seal(SMALL))
    recs[0], recs[1] = recs[1], recs[0]
    message, yielded = open_error(header + b"".join(recs))
    assert "chunk 0 failed authentication" in message and "reordered" in message
    assert yielded == b""


def test_duplicated_chunk() -> None:
    header, recs = records(seal(SMALL))
    message, _ = open_error(header + recs[0] + recs[0] + b"".join(recs[2:]))
    assert "chunk 1 failed authentication" in message


def test_junk_after_the_final_chunk() -> None:
    sealed = seal(SMALL)
    for junk in [b"\x00", b"junk" * 100, sealed[HEADER_BYTES:]]:
        message, yielded = open_error(sealed + junk)
        # Appended bytes merge with the final chunk (chunk ends are not marked), so it fails.
        assert "chunk 3 failed authentication" in message
        assert "data was appended after the final chunk" in message
        assert yielded == SMALL[: 3 * CHUNK]


def test_data_after_a_verified_final_chunk() -> None:
    """A source that reports its end and then goes on (a pipe's writer resuming) is refused."""

    class Resumes(io.BytesIO):
        def __init__(self, first: bytes, then: bytes) -> None:
            super().__init__(first)
            self._then = then

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = super().readinto(buffer)
            if n == 0 and self._then:
                self.write(self._then)
                self.seek(-len(self._then), io.SEEK_CUR)
                self._then = b""
            return n

    sealed = seal(SMALL)
    with pytest.raises(SealedStreamError, match="data after the final chunk"):
        verify_stream(KEY, Resumes(sealed, b"junk"), AAD)


def test_header_of_another_stream() -> None:
    mine, other = seal(SMALL), seal(SMALL)
    message, yielded = open_error(other[:HEADER_BYTES] + mine[HEADER_BYTES:])
    assert "chunk 0 failed authentication" in message and "header" in message
    assert yielded == b""


def test_chunk_from_another_stream_under_the_same_key() -> None:
    mine, other = records(seal(SMALL)), records(seal(SMALL))
    message, _ = open_error(mine[0] + mine[1][0] + other[1][1] + b"".join(mine[1][2:]))
    assert "chunk 1 failed authentication" in message


def test_wrong_aad_means_another_blob() -> None:
    message, yielded = open_error(seal(SMALL), aad=b"blob:other|subject:42")
    assert "chunk 0 failed authentication" in message and "another blob" in message
    assert yielded == b""


def test_wrong_key() -> None:
    message, yielded = open_error(seal(SMALL), key=OTHER_KEY)
    assert "chunk 0 failed authentication" in message and "key is wrong" in message
    assert yielded == b""
