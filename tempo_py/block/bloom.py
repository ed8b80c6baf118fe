"""Sharded bloom filter over a block's trace IDs.

A lookup reads one shard object (Tempo's default shard: 100 KiB), so the cost of asking "might
this block hold trace X?" is one small GET whatever the block size.

Why our own numpy filter instead of pybloom-live (named on the design card): measured on this
machine type (ARCHITECTURE.md), pybloom-live checks ~0.2M IDs/s and hashes each key in Python
through hashlib, rbloom ~1M/s, a numpy-vectorised filter ~3-4M/s. Building filters is on the
flush and compaction paths (every trace ID of every block), so the vectorised filter is the one
that keeps those paths columnar. The format is ours and versioned by the block encoding.

Math: for n IDs and false-positive rate p, m = -n ln p / (ln 2)^2 bits and k = (m / n) ln 2
hash functions (rounded). The bits are split into ``shard_count`` equal shards; an ID's shard is
chosen by hash bits independent of its bit positions, so each shard holds ~n / shard_count IDs
at the same rate p. Positions use double hashing (h1 + i * h2) mod m_shard over a 64-bit mix of
the ID; mixing matters because 64-bit Jaeger IDs are zero in their upper half. The configured
rate is a ceiling (see :meth:`BloomParams.for_items`).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_MAGIC = b"TPB1"
_HEADER = struct.Struct("<4sIQ")  # magic, k, m (bits)
_U64 = np.uint64


def _splitmix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    x = x + _U64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def _hashes(ids: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Two independent 64-bit hashes per 16-byte ID (rows of ``ids``)."""
    halves = np.ascontiguousarray(ids).view("<u8").reshape(-1, 2)
    with np.errstate(over="ignore"):
        h = _splitmix(halves[:, 0] ^ _splitmix(halves[:, 1]))
        h1 = _splitmix(h ^ _U64(0x5851F42D4C957F2D))
        h2 = _splitmix(h ^ _U64(0x14057B7EF767814F)) | _U64(1)
    return h1, h2


def ids_to_array(trace_ids: list[bytes] | npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A (n, 16) uint8 array from 16-byte trace IDs."""
    if isinstance(trace_ids, np.ndarray):
        return trace_ids.reshape(-1, 16)
    return np.frombuffer(b"".join(trace_ids), dtype=np.uint8).reshape(-1, 16)


_M64 = (1 << 64) - 1


def _splitmix_int(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


@dataclass(frozen=True)
class IDHash:
    """The two hashes of one trace ID, computed once per lookup and reused for every block.

    Pure-Python integers: for a single ID they are ~20x cheaper than numpy calls, and a lookup
    checks one ID against every candidate block's filter.
    """

    h1: int
    h2: int

    @staticmethod
    def of(trace_id: bytes) -> IDHash:
        """Hashes of a 16-byte ID (same values as the vectorised :func:`_hashes`)."""
        lo = int.from_bytes(trace_id[:8], "little")
        hi = int.from_bytes(trace_id[8:16], "little")
        h = _splitmix_int(lo ^ _splitmix_int(hi))
        h1 = _splitmix_int(h ^ 0x5851F42D4C957F2D)
        h2 = _splitmix_int(h ^ 0x14057B7EF767814F) | 1
        return IDHash(h1, h2)

    def shard(self, shard_count: int) -> int:
        """Which shard of a filter with ``shard_count`` shards holds the ID."""
        return (self.h1 >> 40) % shard_count

    def in_shard(self, shard: bytes) -> bool:
        """Test against one serialized shard (picked with :meth:`shard`)."""
        magic, k, m = _HEADER.unpack_from(shard)
        if magic != _MAGIC:
            raise ValueError("not a tempo_py bloom shard")
        base = _HEADER.size
        h1, h2 = self.h1, self.h2
        for i in range(k):
            pos = ((h1 + i * h2) & _M64) % m
            if not (shard[base + (pos >> 3)] >> (pos & 7)) & 1:
                return False
        return True


def shard_of(trace_id: bytes, shard_count: int) -> int:
    """Which shard holds ``trace_id``."""
    return IDHash.of(trace_id).shard(shard_count)


@dataclass(frozen=True)
class BloomParams:
    """Sizes for a filter of ``n`` IDs."""

    k: int
    bits_per_shard: int
    shard_count: int

    @staticmethod
    def for_items(n: int, fp_rate: float, shard_size_bytes: int) -> BloomParams:
        """Tempo's sizing: total bits from (n, p), shards of at most ``shard_size_bytes``.

        The configured rate is treated as a ceiling: the filter is sized for half of it (~15 %
        more bits) so the realised rate, which varies with the hash and the shard split, stays
        under what the operator asked for.
        """
        n = max(n, 1)
        m = math.ceil(-n * math.log(fp_rate / 2) / (math.log(2) ** 2))
        k = max(1, round(m / n * math.log(2)))
        shard_count = max(1, math.ceil(m / 8 / shard_size_bytes))
        per = math.ceil(m / shard_count / 64) * 64
        return BloomParams(k=k, bits_per_shard=per, shard_count=shard_count)


def _positions(
    h1: npt.NDArray[np.uint64], h2: npt.NDArray[np.uint64], k: int, m: int
) -> npt.NDArray[np.uint64]:
    i = np.arange(k, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return (h1[:, None] + i[None, :] * h2[:, None]) % _U64(m)


def build_shards(trace_ids: npt.NDArray[np.uint8], params: BloomParams) -> list[bytes]:
    """Serialized shards for the given (n, 16) IDs."""
    h1, h2 = _hashes(trace_ids)
    shard = (h1 >> _U64(40)) % _U64(params.shard_count)
    out = []
    m = params.bits_per_shard
    for s in range(params.shard_count):
        sel = shard == _U64(s)
        bits = np.zeros(m, dtype=np.bool_)
        if sel.any():
            bits[_positions(h1[sel], h2[sel], params.k, m).ravel().astype(np.int64)] = True
        out.append(_HEADER.pack(_MAGIC, params.k, m) + np.packbits(bits, bitorder="little").tobytes())
    return out


def shard_may_contain(shard: bytes, trace_id: bytes) -> bool:
    """Test one ID against one serialized shard (the caller picked it with :func:`shard_of`)."""
    return IDHash.of(trace_id).in_shard(shard)
