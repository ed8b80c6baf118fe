"""Tempo's bloom filter shards (``bloom-<n>``): how Tempo itself tests a trace ID against them.

Format (learned from Tempo's ``tempodb/encoding/common`` and the bits-and-blooms/bloom v3 library
it uses): each shard object is one serialized filter, big-endian throughout:
``m`` (bits, uint64), ``k`` (hash functions, uint64), the bit set's length in bits (uint64), then
``ceil(length / 64)`` uint64 words; bit ``i`` is bit ``i % 64`` of word ``i // 64``.

An ID's shard is FNV-1 (32-bit) of its 16 bytes modulo the shard count (10 when meta.json says
0: old blocks). Bit positions come from four 64-bit base hashes: MurmurHash3 x64-128 of the
ID (h0, h1), and of the ID followed by one 0x01 byte (h2, h3); position ``i`` is
``(h[i % 2] + i * h[2 + ((i + i % 2) % 4) // 2]) mod m``. This implementation is written from
that description; it is checked against the filters of real Tempo blocks in the tests.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_M64 = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F
_HEADER = struct.Struct(">QQQ")  # m, k, bit-set length
_LEGACY_SHARDS = 10


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _M64
    return k ^ (k >> 33)


def _mix_block(h1: int, h2: int, k1: int, k2: int) -> tuple[int, int]:
    k1 = (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
    h1 ^= k1
    h1 = (((_rotl(h1, 27) + h2) & _M64) * 5 + 0x52DCE729) & _M64
    k2 = (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
    h2 ^= k2
    h2 = (((_rotl(h2, 31) + h1) & _M64) * 5 + 0x38495AB5) & _M64
    return h1, h2


def _tail_words(tail: bytes) -> tuple[int, int]:
    k1 = int.from_bytes(tail[:8], "little")
    k2 = int.from_bytes(tail[8:16], "little")
    return k1, k2


def _finish(h1: int, h2: int, tail: bytes, length: int) -> tuple[int, int]:
    """MurmurHash3 x64-128's tail and finalisation over state (h1, h2)."""
    k1, k2 = _tail_words(tail)
    if len(tail) > 8:
        h2 ^= (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
    if tail:
        h1 ^= (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    return h1, h2


def murmur3_128(data: bytes) -> tuple[int, int]:
    """MurmurHash3 x64-128 with seed 0, as two 64-bit halves."""
    h1 = h2 = 0
    n = len(data) // 16 * 16
    for off in range(0, n, 16):
        k1, k2 = _tail_words(data[off : off + 16])
        h1, h2 = _mix_block(h1, h2, k1, k2)
    return _finish(h1, h2, data[n:], len(data))


def base_hashes(data: bytes) -> tuple[int, int, int, int]:
    """The four base hashes of the bloom library: murmur3 of ``data`` and of ``data + b"\\x01"``."""
    a, b = murmur3_128(data)
    c, d = murmur3_128(data + b"\x01")
    return a, b, c, d


def fnv1_32(data: bytes) -> int:
    """FNV-1 32-bit (multiply, then xor), Go's ``hash/fnv.New32``."""
    h = 0x811C9DC5
    for byte in data:
        h = ((h * 0x01000193) & 0xFFFFFFFF) ^ byte
    return h


def shard_for(trace_id: bytes, shard_count: int) -> int:
    """Which ``bloom-<n>`` holds ``trace_id`` in a block with ``shard_count`` shards."""
    return fnv1_32(trace_id) % (shard_count or _LEGACY_SHARDS)


def shard_count(meta_shards: int) -> int:
    """Shards a block has (meta.json's bloomShards; 0 in old blocks means 10)."""
    return meta_shards or _LEGACY_SHARDS


@dataclass(frozen=True)
class TempoBloomShard:
    """One parsed shard: its sizes and bit words."""

    m: int
    k: int
    data: bytes  # the whole serialized shard; words start after the header

    @staticmethod
    def parse(data: bytes) -> TempoBloomShard:
        """Parse a serialized shard (no copy). Raises ValueError when it is not one."""
        if len(data) < _HEADER.size:
            raise ValueError("Tempo bloom shard too short")
        m, k, length = _HEADER.unpack_from(data)
        if m == 0 or k == 0 or len(data) - _HEADER.size < (length + 63) // 64 * 8 or length < m:
            raise ValueError("malformed Tempo bloom shard")
        return TempoBloomShard(m, k, data)

    def _bit(self, i: int) -> bool:
        off = _HEADER.size + (i >> 6) * 8
        value = int.from_bytes(self.data[off : off + 8], "big")
        return bool((value >> (i & 63)) & 1)

    def may_contain(self, trace_id: bytes) -> bool:
        """False when the shard certainly lacks ``trace_id``."""
        h = base_hashes(trace_id)
        for i in range(self.k):
            loc = (h[i % 2] + i * h[2 + ((i + i % 2) % 4) // 2]) & _M64
            if not self._bit(loc % self.m):
                return False
        return True


def shard_may_contain(data: bytes, trace_id: bytes) -> bool:
    """Test ``trace_id`` against one serialized shard (picked with :func:`shard_for`)."""
    return TempoBloomShard.parse(data).may_contain(trace_id)
