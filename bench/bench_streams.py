"""Benchmark of streaming encryption (strongroom.crypto.streams) against raw AES-256-GCM.

Why: sealing every upload must not be the bottleneck, and memory must not grow with file size.
Run: .venv/bin/python bench/bench_streams.py [--size-mib 1024]. Not part of the test suite.

Seal reads from a generator that hands out the same random 1 MiB block over and over and writes
to a sink that discards, so only the crypto pipeline is measured. Open reads a sealed temporary
file (page-cached after sealing) and discards the plaintext. The baselines are one-shot
AESGCM.encrypt / decrypt calls over the same number of bytes in 1 MiB chunks, in the same run.
Throughput is in MB/s with 1 MB = 10^6 bytes; memory is in MB of 2^20 bytes.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Buffer, Callable
from pathlib import Path
from typing import BinaryIO, cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from strongroom.crypto.streams import (
    DEFAULT_CHUNK,
    StreamSealer,
    open_stream,
    open_stream_to,
    seal_stream,
    sealed_size,
)

MIB = 1 << 20
UPLOAD_PIECE = 64 * 1024  # Django's upload chunk size
AAD = b"blob:bench|subject:bench"
SEAL_TARGET = 0.50
RSS_TARGET_MB = 64


class RepeatingReader:
    """A source of `total` bytes that reuses one preallocated block: constant memory."""

    def __init__(self, block: bytes, total: int) -> None:
        self._block = memoryview(block)
        self._left = total
        self._pos = 0

    def readinto(self, buffer: Buffer) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self._left)
        done = 0
        while done < n:
            take = min(n - done, len(self._block) - self._pos)
            view[done : done + take] = self._block[self._pos : self._pos + take]
            self._pos = (self._pos + take) % len(self._block)
            done += take
        self._left -= n
        return n

    def read(self, size: int = -1) -> bytes:
        buffer = bytearray(self._left if size < 0 else min(size, self._left))
        return bytes(buffer[: self.readinto(buffer)])


class DiscardSink:
    """A sink that only counts, so no storage cost is measured."""

    def __init__(self) -> None:
        self.count = 0

    def write(self, data: Buffer) -> int:
        n = len(memoryview(data))
        self.count += n
        return n


def as_io(obj: object) -> BinaryIO:
    return cast(BinaryIO, obj)


def best_times(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Best wall time of each run over `repeat` rounds. Rounds interleave the runs, so a burst
    of other work on the machine cannot favour the baseline over the stream or the reverse."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def traced_peak_mb(run: Callable[[], object]) -> float:
    """Peak of Python-level allocations during `run` (a separate, untimed run)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def raw_encrypt(aes: AESGCM, block: bytes, total: int) -> None:
    nonce = bytearray(12)
    for i in range(total // len(block)):
        nonce[:4] = i.to_bytes(4, "big")
        aes.encrypt(nonce, block, AAD)


def raw_decrypt(aes: AESGCM, block: bytes, total: int) -> None:
    nonce = bytes(12)
    sealed = aes.encrypt(nonce, block, AAD)
    for _ in range(total // len(block)):
        aes.decrypt(nonce, sealed, AAD)


def seal_discard(key: bytes, block: bytes, total: int) -> None:
    sink = DiscardSink()
    seal_stream(key, as_io(RepeatingReader(block, total)), as_io(sink), AAD)
    assert sink.count == sealed_size(total)


def seal_upload_pieces(key: bytes, block: bytes, total: int) -> None:
    """The upload path: Django hands over 64 KiB pieces, copied into the chunk buffer."""
    sealer = StreamSealer(key, as_io(DiscardSink()), AAD)
    piece = memoryview(block)[:UPLOAD_PIECE]
    for _ in range(total // UPLOAD_PIECE):
        sealer.write(piece)
    sealer.close()


def open_discard(key: bytes, path: Path, total: int) -> None:
    with path.open("rb") as source:
        assert open_stream_to(key, source, as_io(DiscardSink()), AAD) == total


def open_iterate(key: bytes, path: Path, total: int) -> None:
    with path.open("rb") as source:
        assert sum(len(chunk) for chunk in open_stream(key, source, AAD)) == total


def read_only(path: Path) -> None:
    """Reading the sealed file alone: the share of the open time that is I/O, not crypto."""
    buffer = memoryview(bytearray(DEFAULT_CHUNK + 16))
    with path.open("rb") as source:
        while source.readinto(buffer):
            pass


def rate(total: int, seconds: float) -> float:
    return total / seconds / 1e6


def report(total: int, t: dict[str, float], traced: tuple[float, float], rss: float) -> bool:
    """Print the table and the verdict line; return whether the targets were met."""
    seal_ratio, open_ratio = t["raw_enc"] / t["seal"], t["raw_dec"] / t["open"]
    rows = [
        ("raw AESGCM.encrypt, 1 MiB one-shot", "raw_enc", ""),
        ("seal_stream -> discard", "seal", f"{seal_ratio:.2f} of raw encrypt"),
        ("StreamSealer, 64 KiB pieces -> discard", "upload", f"{t['raw_enc'] / t['upload']:.2f}"),
        ("seal_stream -> temp file", "seal_file", "includes disk writes, one run"),
        ("raw AESGCM.decrypt, 1 MiB one-shot", "raw_dec", ""),
        ("read temp file only (no crypto)", "read", "the I/O share of opening"),
        ("open_stream_to temp file -> discard", "open", f"{open_ratio:.2f} of raw decrypt"),
        ("open_stream (yields bytes) temp file", "iter", f"{t['raw_dec'] / t['iter']:.2f}"),
    ]
    for label, name, note in rows:
        print(f"  {label:<40} {rate(total, t[name]):8.0f} MB/s  {note}")
    print(f"  tracemalloc peak: seal {traced[0]:.1f} MB, open {traced[1]:.1f} MB")
    ok = seal_ratio >= SEAL_TARGET and rss < RSS_TARGET_MB
    print(
        f"seal: {seal_ratio:.2f} of raw AES-256-GCM (target >= {SEAL_TARGET:.2f}); "
        f"open: {open_ratio:.2f} of raw; peak RSS {rss:.0f} MB (target < {RSS_TARGET_MB} MB)"
        f"{'' if ok else '  MISSED'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, default=1024, help="stream size (default 1024)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds, best kept")
    args = parser.parse_args()
    total = args.size_mib * MIB
    key, block = AESGCM.generate_key(256), os.urandom(DEFAULT_CHUNK)
    aes = AESGCM(key)
    print(f"stream size {args.size_mib} MiB, chunk 1 MiB, best of {args.repeat} interleaved rounds")
    print(f"  RSS after start-up {rss_mb():.0f} MB")
    seal_discard(key, block, 8 * MIB)  # warm up
    with tempfile.TemporaryDirectory(prefix="bench-streams-") as tmp:
        path = Path(tmp) / "sealed.bin"
        start = time.perf_counter()
        with path.open("wb") as sink:
            seal_stream(key, as_io(RepeatingReader(block, total)), sink, AAD)
        seal_file = time.perf_counter() - start
        runs: dict[str, Callable[[], object]] = {
            "raw_enc": lambda: raw_encrypt(aes, block, total),
            "seal": lambda: seal_discard(key, block, total),
            "upload": lambda: seal_upload_pieces(key, block, total),
            "raw_dec": lambda: raw_decrypt(aes, block, total),
            "read": lambda: read_only(path),
            "open": lambda: open_discard(key, path, total),
            "iter": lambda: open_iterate(key, path, total),
        }
        times = best_times(runs, args.repeat) | {"seal_file": seal_file}
        traced = (
            traced_peak_mb(lambda: seal_discard(key, block, total)),
            traced_peak_mb(lambda: open_discard(key, path, total)),
        )
    print(f"  peak RSS (ru_maxrss) at end: {rss_mb():.0f} MB")
    return 0 if report(total, times, traced, rss_mb()) else 1


if __name__ == "__main__":
    sys.exit(main())
