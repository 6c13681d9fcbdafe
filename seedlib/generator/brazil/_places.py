"""Federative units (UFs) and their cities, loaded once from ``ufs.tsv`` and ``cities.tsv``; UF and
city draws by random word."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import NDArray

from seedlib.generator.brazil._arrays import I64, U64, checked_ints, checked_words, same_length
from seedlib.generator.brazil._data import read_tsv

CepRange = tuple[int, int]
"""Inclusive bounds of a CEP range as 8-digit integers: ``(1000000, 9999999)`` is 01000-000..09999-999."""


@dataclass(frozen=True, slots=True)
class City:
    """A real city and a sub-range of its own CEPs (conservative: the range is the city's)."""

    name: str
    uf: str
    uf_index: int
    cep_ranges: tuple[CepRange, ...]


@dataclass(frozen=True, slots=True)
class Uf:
    """A federative unit (26 states and the Federal District)."""

    code: str
    name: str
    weight: int
    """Population share in per-mille (2022 census); the 27 weights sum to 1000."""
    cpf_region: int
    """CPF fiscal region: the 9th digit of the bases issued there (0 = RS, 8 = SP, ...)."""
    ddds: tuple[int, ...]
    cep_ranges: tuple[CepRange, ...]
    cities: tuple[str, ...]
    """Names of a few real cities of the UF; ``CITIES[first_city + k]`` is ``cities[k]`` in full."""
    first_city: int


def _cep_ranges(field: str, where: str) -> tuple[CepRange, ...]:
    ranges: list[CepRange] = []
    for part in field.split(","):
        first, last = (int(bound) for bound in part.split("-"))
        if not (first % 1000 == 0 and last % 1000 == 999 and 0 < first <= last < 10**8):
            raise RuntimeError(f"{where}: CEP range {part} must cover whole 5-digit prefixes")
        ranges.append((first, last))
    for (_, last), (first, _) in itertools.pairwise(ranges):
        if first <= last:
            raise RuntimeError(f"{where}: CEP ranges must be sorted and disjoint")
    return tuple(ranges)


def _load() -> tuple[tuple[Uf, ...], tuple[City, ...]]:
    rows = read_tsv("ufs.tsv", ("code", "name", "weight", "cpf_region", "ddds", "cep_ranges"))
    codes = [row[0] for row in rows]
    by_uf: dict[str, list[City]] = {code: [] for code in codes}
    for uf_code, city_name, ranges in read_tsv("cities.tsv", ("uf", "name", "cep_ranges")):
        where = f"cities.tsv {city_name}"
        by_uf[uf_code].append(
            City(city_name, uf_code, codes.index(uf_code), _cep_ranges(ranges, where))
        )
    ufs: list[Uf] = []
    cities: list[City] = []
    for code, name, weight, region, ddds, ranges in rows:
        uf = Uf(
            code=code,
            name=name,
            weight=int(weight),
            cpf_region=int(region),
            ddds=tuple(int(ddd) for ddd in ddds.split(",")),
            cep_ranges=_cep_ranges(ranges, f"ufs.tsv {code}"),
            cities=tuple(city.name for city in by_uf[code]),
            first_city=len(cities),
        )
        if not by_uf[code] or not uf.ddds:
            raise RuntimeError(f"{code}: every UF needs at least one city and one DDD")
        for city in by_uf[code]:
            for first, last in city.cep_ranges:
                if not any(lo <= first and last <= hi for lo, hi in uf.cep_ranges):
                    raise RuntimeError(f"cities.tsv {city.name}: CEPs outside {code}")
        ufs.append(uf)
        cities.extend(by_uf[code])
    if sum(uf.weight for uf in ufs) != 1000:
        raise RuntimeError("ufs.tsv: weights must sum to 1000")
    return tuple(ufs), tuple(cities)


_TABLES: Final = _load()

UFS: Final = _TABLES[0]
"""The 27 federative units, ordered by code (AC, AL, AM, AP, BA, ...); ``uf_index`` indexes this."""

CITIES: Final = _TABLES[1]
"""Every city of every UF, in UF order; ``city_index`` indexes this."""

UF_INDEX: Final[Mapping[str, int]] = MappingProxyType({uf.code: i for i, uf in enumerate(UFS)})

_UF_CUMULATIVE_WEIGHT: Final = np.cumsum([uf.weight for uf in UFS]).astype(U64)


def uf_index_from_word(word: NDArray[np.uint64]) -> NDArray[np.int64]:
    """A UF index per random word, drawn by population weight (``word % 1000`` against the weights)."""
    draws = checked_words(word, "word") % U64(1000)
    return np.searchsorted(_UF_CUMULATIVE_WEIGHT, draws, side="right").astype(I64)


_CITY_COUNT: Final = np.array([len(uf.cities) for uf in UFS], dtype=U64)
_FIRST_CITY: Final = np.array([uf.first_city for uf in UFS], dtype=I64)


def city_index(uf_index: NDArray[np.int64], offset: NDArray[np.uint64]) -> NDArray[np.int64]:
    """An index into ``CITIES`` per row: one of the row's UF's cities, uniformly, picked by ``offset``.

    Pair it with :func:`city_cep` (with another random word) for a city and CEP that agree.
    """
    ufs = checked_ints(uf_index, "uf_index", 0, len(UFS))
    words = checked_words(offset, "offset")
    same_length(ufs, words)
    return _FIRST_CITY[ufs] + (words % _CITY_COUNT[ufs]).astype(I64)
