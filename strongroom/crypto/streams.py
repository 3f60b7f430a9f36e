"""Streaming AES-256-GCM for files of any size, in constant memory (the STREAM construction).

STREAM is from Hoang, Reyhanitabar, Rogaway and Vizár, "Online Authenticated-Encryption and its
Nonce-Reuse Misuse-Resistance" (CRYPTO 2015). Each chunk's nonce holds the chunk's index and a
flag for the last chunk, which makes reordering, dropping and truncation detectable.

Sealed format (all integers big-endian)::

    header = b"SRSTREAM" || version (1 byte, 1) || chunk_size (4 bytes) || nonce_prefix (7 bytes)
    chunk i = AES-256-GCM(key, nonce_i, plaintext_i, associated_data = header || aad) || tag (16)
    nonce_i = nonce_prefix || i (4 bytes) || last flag (0x00, or 0x01 on the final chunk)

Every chunk but the final one carries exactly ``chunk_size`` plaintext bytes; the final chunk
carries fewer: 0 to chunk_size - 1 bytes (it is empty when the plaintext length is a multiple of
chunk_size). So each plaintext has exactly one sealed form, of length ``sealed_size(n)``.

Guarantees, given a key used with a fresh random nonce prefix per stream:
- confidentiality and integrity of every chunk; the header, the order of the chunks, and the end
  of the stream are all authenticated, so altered bytes, a swapped header, reordered, dropped or
  duplicated chunks, truncation and data appended after the final chunk are all rejected;
- the caller's ``aad`` (for example the blob id and subject) is bound to every chunk, so a stream
  moved to another blob fails to open.

Nothing marks where a chunk ends, so bytes appended after the final chunk merge with it and show
up as that chunk failing authentication; the error message lists every cause that fits.

Caveat (inherent to STREAM): `open_stream` yields each chunk as soon as that chunk is verified,
before the later chunks are read. A consumer that needs all-or-nothing must buffer the output, or
call `verify_stream` first and open the stream afterwards.

Key use: the nonce prefix is only 7 random bytes (56 bits), so two streams under one key share a
prefix, and thus reuse GCM nonces (fatal for GCM), with probability about q^2 / 2^57 for q streams:
2^-32 is reached near 6,000 streams. Seal each blob under its own key, e.g.
``primitives.derive_key(subject_key, f"blob:{blob_id}")``, rather than the subject key itself.

Every failure raises `SealedStreamError` (misuse of the API raises its subclass `StreamUsageError`,
which is also a `ValueError`).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Buffer, Iterator
from types import TracebackType
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.crypto.errors import SealedStreamError

MAGIC: Final = b"SRSTREAM"
VERSION: Final = 1
KEY_BYTES: Final = 32
TAG_BYTES: Final = 16
PREFIX_BYTES: Final = 7
HEADER_BYTES: Final = len(MAGIC) + 1 + 4 + PREFIX_BYTES
DEFAULT_CHUNK: Final = 1 << 20
MAX_CHUNK: Final = 1 << 24  # bounds the buffer a hostile header can make us allocate
MAX_CHUNKS: Final = 1 << 32  # the counter in the nonce is 4 bytes
_COUNTER_AT: Final = PREFIX_BYTES


class StreamUsageError(SealedStreamError, ValueError):
    """The API was misused (bad argument or call order): a bug in the caller, not a bad file."""


def sealed_size(plaintext_size: int, chunk_size: int = DEFAULT_CHUNK) -> int:
    """Exact size of the sealed form, so storage quotas and Content-Length are known up front."""
    _check_chunk_size(chunk_size)
    if plaintext_size < 0:
        raise StreamUsageError("plaintext size cannot be negative")
    return HEADER_BYTES + plaintext_size + TAG_BYTES * (plaintext_size // chunk_size + 1)


def _check_chunk_size(chunk_size: int) -> None:
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise StreamUsageError(f"chunk size must be 1 to {MAX_CHUNK} bytes, not {chunk_size}")


def _new_aead(key: bytes) -> AESGCM:
    """AES-256 only: AESGCM would silently accept a 16- or 24-byte key as AES-128/192."""
    if len(key) != KEY_BYTES:
        raise StreamUsageError(f"stream keys are {KEY_BYTES} bytes (AES-256), not {len(key)}")
    return AESGCM(key)


def _set_nonce(nonce: bytearray, index: int, last: bool) -> None:
    """Write chunk `index` and the last flag into the nonce in place (no allocation per chunk)."""
    if index >= MAX_CHUNKS:
        raise SealedStreamError("stream too long: more than 2^32 chunks (use a larger chunk size)")
    struct.pack_into(">IB", nonce, _COUNTER_AT, index, 1 if last else 0)


def _read_full(source: BinaryIO, view: memoryview) -> int:
    """Fill `view` from `source`; return the bytes read, short only at end of input.

    Pipes and sockets may return short reads before the end, so a single read is not enough.
    """
    readinto = getattr(source, "readinto", None)
    got = 0
    while got < len(view):
        if readinto is not None:
            n = readinto(view[got:])
        else:
            data = source.read(len(view) - got)
            n = len(data)
            view[got : got + n] = data
        if not n:  # 0 at end of input; None (non-blocking, no data) fails closed as truncation
            break
        got += n
    return got


def _write_all(sink: BinaryIO, data: Buffer) -> None:
    """Write all of `data`: raw (unbuffered) files may accept only part of a write."""
    view = memoryview(data)
    while view:
        n = sink.write(view)
        if n is None or n >= len(view):  # buffered writers return None or everything
            return
        view = view[n:]


class StreamSealer:
    """Seals a stream that arrives in pieces of any size, e.g. Django's 64 KiB upload chunks.

    The header is written at once; each full chunk is sealed and written as soon as it is
    complete, so memory stays at two chunk buffers. `close()` writes the final chunk, and must
    be called exactly once: without it the output is truncated and will not open. Used as a
    context manager it closes on success and, on an exception, abandons the stream unfinished so
    that a failed upload can never look complete.

    `sink.write` must copy or consume the bytes before returning (every file object does): the
    same output buffer is reused for every chunk.
    """

    def __init__(
        self,
        key: bytes,
        sink: BinaryIO,
        aad: bytes,
        *,
        chunk_size: int = DEFAULT_CHUNK,
        nonce_prefix: bytes | None = None,
    ) -> None:
        _check_chunk_size(chunk_size)
        prefix = os.urandom(PREFIX_BYTES) if nonce_prefix is None else bytes(nonce_prefix)
        if len(prefix) != PREFIX_BYTES:
            raise StreamUsageError(f"nonce prefix must be {PREFIX_BYTES} bytes, not {len(prefix)}")
        self._aead = _new_aead(key)
        header = MAGIC + bytes([VERSION]) + chunk_size.to_bytes(4, "big") + prefix
        self._ad = header + aad
        self._nonce = bytearray(prefix + bytes(5))
        self._chunk = chunk_size
        self._plain = memoryview(bytearray(chunk_size))
        self._out = memoryview(bytearray(chunk_size + TAG_BYTES))
        self._fill = 0
        self._index = 0
        self._total = 0
        self._closed = False
        self._sink = sink
        _write_all(sink, header)

    def write(self, data: Buffer) -> None:
        """Buffer `data`, sealing and writing every chunk it completes."""
        self._check_open()
        view = memoryview(data).cast("B")
        self._total += len(view)
        if self._fill:
            take = min(self._chunk - self._fill, len(view))
            self._plain[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill < self._chunk:
                return
            self._emit(self._plain, last=False)
            self._fill = 0
        while len(view) >= self._chunk:  # seal straight from the caller's bytes: no copy
            self._emit(view[: self._chunk], last=False)
            view = view[self._chunk :]
        self._plain[: len(view)] = view
        self._fill = len(view)

    def close(self) -> int:
        """Seal and write the final chunk; return the plaintext byte count. The sink stays open."""
        self._check_open()
        self._emit(self._plain[: self._fill], last=True)
        self._closed = True
        return self._total

    def _check_open(self) -> None:
        if self._closed:
            raise StreamUsageError("stream sealer is already closed (or was abandoned)")

    def _seal_from(self, source: BinaryIO) -> None:
        """Read `source` to its end straight into the chunk buffer (the copy-free path)."""
        self._check_open()
        while True:
            n = _read_full(source, self._plain[self._fill :])
            self._total += n
            self._fill += n
            if self._fill < self._chunk:
                return
            self._emit(self._plain, last=False)
            self._fill = 0

    def _emit(self, chunk: memoryview, *, last: bool) -> None:
        """Seal one chunk. After any failure the sealer is unusable: a retry could seal other
        bytes under the same nonce, which breaks GCM."""
        try:
            _set_nonce(self._nonce, self._index, last)
            out = self._out[: len(chunk) + TAG_BYTES]
            self._aead.encrypt_into(self._nonce, chunk, self._ad, out)
            self._index += 1
            _write_all(self._sink, out)
        except BaseException:
            self._closed = True
            raise

    def __enter__(self) -> StreamSealer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        elif not self._closed:  # abandon: no final chunk, so the partial output never opens
            self._plain[:] = bytes(len(self._plain))
            self._closed = True


def seal_stream(
    key: bytes,
    source: BinaryIO,
    sink: BinaryIO,
    aad: bytes,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    nonce_prefix: bytes | None = None,
) -> int:
    """Seal everything `source` holds into `sink`; return the plaintext byte count.

    `nonce_prefix` is for known-answer tests only: reusing one with the same key breaks GCM.
    """
    sealer = StreamSealer(key, sink, aad, chunk_size=chunk_size, nonce_prefix=nonce_prefix)
    sealer._seal_from(source)
    return sealer.close()


def _read_header(source: BinaryIO) -> tuple[bytes, int]:
    """Check the header; return it (every chunk authenticates it) and the chunk size."""
    header = bytearray(HEADER_BYTES)
    n = _read_full(source, memoryview(header))
    seen = min(n, len(MAGIC))
    if n == 0:
        raise SealedStreamError("not a sealed stream: the input is empty (truncated to nothing?)")
    if header[:seen] != MAGIC[:seen]:
        raise SealedStreamError("not a sealed stream: bad magic bytes (expected SRSTREAM)")
    if n < HEADER_BYTES:
        raise SealedStreamError(f"sealed stream truncated inside its header ({n} bytes)")
    if header[len(MAGIC)] != VERSION:
        raise SealedStreamError(f"unknown sealed stream version {header[len(MAGIC)]}")
    chunk_size = int.from_bytes(header[len(MAGIC) + 1 : len(MAGIC) + 5], "big")
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise SealedStreamError(f"bad chunk size {chunk_size} in sealed stream header")
    return bytes(header), chunk_size


def open_stream(key: bytes, source: BinaryIO, aad: bytes) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk, each only after its tag has been verified.

    The header is checked at once, so a file that is not a sealed stream fails here; later
    failures are raised while iterating. See the module docstring for the all-or-nothing caveat.
    """
    return (bytes(chunk) for chunk in _open_chunks(key, source, aad))


def open_stream_to(key: bytes, source: BinaryIO, sink: BinaryIO, aad: bytes) -> int:
    """Open `source` into `sink` without per-chunk copies; return the plaintext byte count.

    On failure `sink` holds the chunks verified so far; discard it (the STREAM caveat).
    """
    total = 0
    for chunk in _open_chunks(key, source, aad):
        _write_all(sink, chunk)
        total += len(chunk)
    return total


def verify_stream(key: bytes, source: BinaryIO, aad: bytes) -> int:
    """Authenticate a whole stream, writing nothing; return its plaintext size.

    Use it before `open_stream` when a consumer must not see any of a stream that turns out bad.
    """
    return sum(len(chunk) for chunk in _open_chunks(key, source, aad))


def _open_chunks(key: bytes, source: BinaryIO, aad: bytes) -> Iterator[memoryview]:
    """Check the header now, then return the chunk iterator.

    The views it yields point into one reused buffer: valid only until the next chunk is read.
    """
    aead = _new_aead(key)
    header, chunk_size = _read_header(source)
    return _chunks(aead, source, header + aad, header, chunk_size)


def _chunks(
    aead: AESGCM, source: BinaryIO, ad: bytes, header: bytes, chunk_size: int
) -> Iterator[memoryview]:
    """Yield verified plaintext views; a full record is a middle chunk, a short one the final."""
    record = memoryview(bytearray(chunk_size + TAG_BYTES))
    plain = memoryview(bytearray(chunk_size))
    nonce = bytearray(header[len(MAGIC) + 5 :] + bytes(5))
    index = 0
    while True:
        n = _read_full(source, record)
        if n == 0:
            raise SealedStreamError(
                f"sealed stream truncated: it ends after {index} chunk(s) without a final chunk"
            )
        if n < TAG_BYTES:
            raise SealedStreamError(
                f"sealed stream truncated: chunk {index} is cut short ({n} bytes, under a tag)"
            )
        last = n < len(record)
        _set_nonce(nonce, index, last)
        out = plain[: n - TAG_BYTES]
        try:
            aead.decrypt_into(nonce, record[:n], ad, out)
        except InvalidTag:
            out[:] = bytes(len(out))  # drop whatever unverified plaintext was written
            raise SealedStreamError(_auth_failure(index, last)) from None
        if last:
            if source.read(1):  # a source that paused (read 0 or None) and then went on
                raise SealedStreamError(f"data after the final chunk (chunk {index})")
            yield out
            return
        yield out
        index += 1


def _auth_failure(index: int, last: bool) -> str:
    """GCM cannot tell the causes apart, so the message lists every one that fits."""
    if last:
        causes = "the stream was truncated (cut mid-chunk) or altered"
    else:
        causes = "the chunk was altered, reordered or dropped"
    # Chunk boundaries are not marked, so bytes appended after the final chunk merge with it.
    causes += ", data was appended after the final chunk"
    return (
        f"chunk {index} failed authentication: {causes}, the header was altered or swapped, "
        "the stream belongs to another blob (wrong aad), or the key is wrong"
    )
