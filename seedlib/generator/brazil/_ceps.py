"""CEPs drawn inside the Correios ranges of a UF or of a city, street suffixes only (000..899)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from seedlib.generator.ascii import render
from seedlib.generator.brazil._arrays import (
    I64,
    U64,
    ascii_digits,
    checked_ints,
    checked_words,
    digit_matrix,
    same_length,
)
from seedlib.generator.brazil._places import CITIES, UFS, CepRange

_CEP_SUFFIXES: Final = 900
"""CEP suffixes 000..899 are for streets; 900..999 are Correios' special codes."""


@dataclass(frozen=True, slots=True)
class _Slots:
    """Groups of CEP ranges flattened into one numbered space of (5-digit prefix, suffix) slots."""

    base: NDArray[np.int64]  # per group: first global slot
    size: NDArray[np.uint64]  # per group: number of slots
    start: NDArray[np.int64]  # per range, all groups concatenated: first global slot
    prefix: NDArray[np.int64]  # per range: first 5-digit prefix

    @classmethod
    def of(cls, groups: tuple[tuple[CepRange, ...], ...]) -> _Slots:
        base, size, start, prefix = [], [], [], []
        cursor = 0
        for ranges in groups:
            base.append(cursor)
            for first, last in ranges:
                start.append(cursor)
                prefix.append(first // 1000)
                cursor += (last // 1000 - first // 1000 + 1) * _CEP_SUFFIXES
            size.append(cursor - base[-1])
        return cls(
            np.array(base, dtype=I64),
            np.array(size, dtype=U64),
            np.array(start, dtype=I64),
            np.array(prefix, dtype=I64),
        )

    def cep(self, group: NDArray[np.int64], word: NDArray[np.uint64]) -> NDArray[np.int64]:
        """The CEP (8-digit int) at position ``word % size`` of each row's group."""
        slot = self.base[group] + (word % self.size[group]).astype(I64)
        index = np.searchsorted(self.start, slot, side="right") - 1
        prefix, suffix = np.divmod(slot - self.start[index], _CEP_SUFFIXES)
        return (self.prefix[index] + prefix) * 1000 + suffix


_UF_CEPS: Final = _Slots.of(tuple(uf.cep_ranges for uf in UFS))
_CITY_CEPS: Final = _Slots.of(tuple(city.cep_ranges for city in CITIES))


def _render_cep(values: NDArray[np.int64]) -> list[str]:
    return render("#####-###", ascii_digits(digit_matrix(values, 8)))


def cep(uf_index: NDArray[np.int64], offset: NDArray[np.uint64]) -> list[str]:
    """A CEP ``"01310-100"`` inside the ranges of each row's UF; ``offset`` (a random word) picks it.

    Uniform over the UF's street CEPs (suffix 000..899) up to a bias below 2**-40 from reducing a
    64-bit word modulo the range size.
    """
    ufs = checked_ints(uf_index, "uf_index", 0, len(UFS))
    words = checked_words(offset, "offset")
    same_length(ufs, words)
    return _render_cep(_UF_CEPS.cep(ufs, words))


def city_cep(city_index: NDArray[np.int64], offset: NDArray[np.uint64]) -> list[str]:
    """Like :func:`cep`, inside each row's city (``CITIES[city_index]``) instead of its UF."""
    cities = checked_ints(city_index, "city_index", 0, len(CITIES))
    words = checked_words(offset, "offset")
    same_length(cities, words)
    return _render_cep(_CITY_CEPS.cep(cities, words))
