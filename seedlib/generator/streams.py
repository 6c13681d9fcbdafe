"""Counter-based randomness and keyed permutations: the determinism contract of every generated value.

A value of row *i* of a column is a pure function of (key, column, i). It never depends on which batch
computes the row, on the order of calls, on the process or on the clock, so any batch can be
regenerated alone and every run of the same profile is byte-identical.

- ``Stream``: a Philox4x64-10 counter-based generator (Salmon et al., "Parallel random numbers: as easy
  as 1, 2, 3", SC'11; numpy's ``Philox``, whose raw output is a stable, specified function of key and
  counter). Each column gets its own 128-bit key derived from the stream key; row *i* reads the four
  64-bit words of counter *i*.
- ``permute``: a keyed bijection of ``[0, domain)`` (an 8-round Feistel network over the next even
  power of two, with cycle walking), so natural keys such as CPFs or account numbers are unique *by
  construction*: distinct rows get distinct ranks, no hash-and-hope.

Stream keys are ``sha256(tenant|environment|version|saltVersion|entity)`` for ordinary columns
(``stream_key``) and an HMAC of the tenant salt for PII columns (``seedlib.generator.masking``).
PII is never key material: keys come from identifiers and secrets only.

Pure module: numpy arithmetic only.
"""

from __future__ import annotations

import hashlib
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["WORDS_PER_ROW", "Stream", "permute", "stream_key"]

WORDS_PER_ROW: Final = 4
"""64-bit random words available to each (column, row): one Philox4x64 block."""

_FEISTEL_ROUNDS: Final = 8
_U64 = np.uint64


def stream_key(
    tenant: str, environment: str, version: str, salt_version: str, entity: str
) -> bytes:
    """The 32-byte key of an entity's non-PII stream."""
    material = "|".join((tenant, environment, version, salt_version, entity))
    return hashlib.sha256(material.encode()).digest()


def _derive(key: bytes, label: str) -> bytes:
    return hashlib.sha256(key + b"|" + label.encode()).digest()


class Stream:
    """Random words for the rows of one entity, addressable by (column, row index)."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a stream key needs at least 128 bits")
        self._key = key

    def words(self, column: str, start: int, stop: int) -> NDArray[np.uint64]:
        """Shape ``(stop - start, WORDS_PER_ROW)``: the words of rows ``start..stop-1``."""
        if not 0 <= start <= stop:
            raise ValueError(f"bad row range [{start}, {stop})")
        key = int.from_bytes(_derive(self._key, column)[:16], "little")
        philox = np.random.Philox(key=key, counter=start)
        raw = philox.random_raw((stop - start) * WORDS_PER_ROW)
        return np.asarray(raw, dtype=_U64).reshape(stop - start, WORDS_PER_ROW)

    def word(self, column: str, start: int, stop: int, which: int = 0) -> NDArray[np.uint64]:
        """One word per row."""
        return self.words(column, start, stop)[:, which].copy()

    def below(
        self, column: str, start: int, stop: int, bound: int, which: int = 0
    ) -> NDArray[np.int64]:
        """Integers in ``[0, bound)`` per row (multiply-shift on the high 32 bits; bound < 2**32)."""
        return below(self.word(column, start, stop, which), bound)

    def unit(self, column: str, start: int, stop: int, which: int = 0) -> NDArray[np.float64]:
        """Floats in ``[0, 1)`` per row, 53 random bits each."""
        return unit(self.word(column, start, stop, which))

    def rank(self, column: str, start: int, stop: int, domain: int) -> NDArray[np.int64]:
        """Distinct ranks in ``[0, domain)`` for distinct rows: a keyed permutation of the index."""
        index = np.arange(start, stop, dtype=_U64)
        return permute(_derive(self._key, "rank|" + column), index, domain).astype(np.int64)


def below(word: NDArray[np.uint64], bound: int) -> NDArray[np.int64]:
    """Map random words to integers in ``[0, bound)``."""
    if not 0 < bound < 2**32:
        raise ValueError(f"bound {bound} outside (0, 2**32)")
    return ((word >> _U64(32)) * _U64(bound) >> _U64(32)).astype(np.int64)


def unit(word: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Map random words to floats in ``[0, 1)``."""
    return (word >> _U64(11)).astype(np.float64) * (1.0 / 2**53)


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's finaliser: a strong 64-bit mixing bijection."""
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def permute(key: bytes, index: NDArray[np.uint64], domain: int) -> NDArray[np.uint64]:
    """A keyed bijection of ``[0, domain)`` applied to ``index`` (every value must be < domain)."""
    if domain < 2:
        raise ValueError("a permutation needs a domain of at least 2")
    if index.size and int(index.max()) >= domain:
        raise ValueError(f"index {int(index.max())} outside the permutation domain {domain}")
    bits = max(2, (domain - 1).bit_length())
    bits += bits % 2
    half = _U64(bits // 2)
    mask = _U64((1 << (bits // 2)) - 1)
    round_keys = [
        _U64(int.from_bytes(_derive(key, f"feistel|{r}")[:8], "little"))
        for r in range(_FEISTEL_ROUNDS)
    ]

    def feistel(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
        left, right = x >> half, x & mask
        for round_key in round_keys:
            left, right = right, left ^ (_mix(right ^ round_key) & mask)
        return (left << half) | right

    with np.errstate(over="ignore"):
        out = feistel(index.astype(_U64))
        outside = out >= _U64(domain)
        while outside.any():  # cycle walking: re-encrypt until the value falls inside the domain
            out[outside] = feistel(out[outside])
            outside = out >= _U64(domain)
    return out
