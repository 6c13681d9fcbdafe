"""Brazilian formats for the synthetic datasets: CPF, CNPJ, bank account digits, CEP, phones.

Every function here is a pure, vectorised function of integer inputs (numpy arrays): no randomness,
no clock, no global state beyond the read-only tables loaded once from ``seedlib/generator/data``. The
generator supplies the integers (keyed permutations for unique values, uint64 random words for the
rest) and gets back strings. Loops run over digit positions or table rows, never over data rows,
except the final ``tolist()`` that materialises Python strings.

Strings are returned as ``list[str]``: the consumers join them into PostgreSQL COPY text lines, so
Python ``str`` objects are what they need anyway; a ``NDArray[np.str_]`` would be a fixed-width
UCS-4 copy (4 bytes a character) that every caller would convert back. Internally a column of
strings is an ``(n, width)`` uint8 matrix of ASCII codes, viewed as fixed-width bytes and decoded by
numpy in C (see :func:`_render`).

Documents
=========
* **CPF** (11 digits: a 9-digit base + 2 mod-11 check digits). A base whose 9 digits are all equal
  (``000000000``, ``111111111``, ..., ``999999999`` -- ten values, the multiples of 111 111 111)
  always yields an 11-digit string of one repeated digit, which every validator rejects as a
  placeholder. :func:`cpf` refuses them; callers draw a rank from a permutation of
  ``range(CPF_BASE_SPACE)`` and map it with :func:`cpf_base_from_rank`, a monotonic bijection onto
  the other ``10**9 - 10`` bases.
* **CNPJ** (14 digits: 8-digit root, 4-digit branch, 2 check digits). With a branch in
  ``1..9999`` no CNPJ is ever one repeated digit, so every root is formally valid. Still, repdigit
  roots (``11.111.111``...) look like placeholders and ``00.000.000/0001-91`` is a well-known real
  CNPJ, so :func:`cnpj_root_from_rank` skips the ten repdigit roots the same way
  (``CNPJ_ROOT_SPACE = 10**8 - 10``). Only the numeric CNPJ is produced (the alphanumeric CNPJ of
  IN RFB 2.229/2024 keeps numeric ones valid).
* Any valid CPF/CNPJ may coincide with one the Receita Federal has issued -- the spaces are dense.
  The values are synthetic (no attribute of a real person or company is attached) but not
  guaranteed unissued.

Bank account check digits (Banco do Brasil's convention)
========================================================
Module 11 with weights 2, 3, 4, ... from the rightmost digit leftwards (account: 2..8 over 7
digits, the same as BB's 9..2 over an 8-digit account with a leading zero; agency: 2..5 over 4
digits). With ``r = sum % 11`` the digit is ``11 - r``, except: ``r == 1`` (11 - r = 10) gives
``"X"`` and ``r == 0`` (11 - r = 11) gives ``"0"``. Example: account 1234567 -> 1*8 + 2*7 + 3*6 +
4*5 + 5*4 + 6*3 + 7*2 = 112, 112 % 11 = 2, digit 9 -> ``"1234567-9"``.

CEP and phones
==============
CEPs are drawn inside the UF's Correios ranges (``Uf.cep_ranges``, 8-digit inclusive bounds, all
aligned to whole 5-digit prefixes) with a 3-digit suffix in ``000..899``: Correios reserve
suffixes 900-999 for special codes (large customers, promotional codes, post-office units and
community boxes), so street addresses never carry them. Phones are E.164 (``+55``, a two-digit
DDD of the UF, then 9 + 8 digits for mobiles or [2-5] + 7 digits for landlines); the DDD is chosen
uniformly among the UF's DDDs.

Data files (``seedlib/generator/data``)
=============================
``ufs.tsv``: code, name, weight (population share in per-mille, 2022 census, summing to 1000),
CPF fiscal region digit (the 9th base digit the Receita Federal assigns by region), DDDs, CEP ranges.
``cities.tsv``: a few real cities per UF with a conservative sub-range of their own CEPs. The name
lists (``*.txt``) are common generic Brazilian names and words, one per line, sorted by code point,
unique, with no tab, backslash or control character (they go into COPY text format).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from seedlib.generator.ascii import render

__all__ = [
    "CITIES",
    "CNPJ_ROOT_SPACE",
    "COMPANY_SUFFIXES",
    "CPF_BASE_SPACE",
    "UFS",
    "UF_INDEX",
    "City",
    "Uf",
    "account_check_digit",
    "account_number",
    "agency_check_digit",
    "cep",
    "city_cep",
    "city_index",
    "cnpj",
    "cnpj_check_digits",
    "cnpj_rank_from_root",
    "cnpj_root_from_rank",
    "company_words",
    "cpf",
    "cpf_base_from_rank",
    "cpf_check_digits",
    "cpf_rank_from_base",
    "districts",
    "first_names",
    "phone",
    "street_names",
    "surnames",
    "uf_index_from_word",
]

_I64 = np.int64
_U64 = np.uint64

_CPF_REPDIGIT: Final = 111_111_111
_CNPJ_REPDIGIT: Final = 11_111_111

CPF_BASE_SPACE: Final = 10**9 - 10
"""Number of CPF bases that are not repdigits: the domain of :func:`cpf_base_from_rank`."""

CNPJ_ROOT_SPACE: Final = 10**8 - 10
"""Number of CNPJ roots that are not repdigits: the domain of :func:`cnpj_root_from_rank`."""

COMPANY_SUFFIXES: Final = ("Ltda", "S.A.", "ME", "EPP")
"""Legal-form / size suffixes for company names (EIRELI was abolished in 2021)."""

_CEP_SUFFIXES: Final = 900
"""CEP suffixes 000..899 are for streets; 900..999 are Correios' special codes."""

# Check-digit weights, most significant digit first.
_CPF_W1: Final = np.arange(10, 1, -1, dtype=_I64)  # 10..2 over the 9 base digits
_CPF_W2: Final = np.arange(11, 2, -1, dtype=_I64)  # 11..3 over the base; d1 weighs 2
_CNPJ_W1: Final = np.array([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], dtype=_I64)
_CNPJ_W2: Final = np.array([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3], dtype=_I64)  # d1 weighs 2
_ACCOUNT_W: Final = np.arange(8, 1, -1, dtype=_I64)  # 8..2 over 7 digits
_AGENCY_W: Final = np.arange(5, 1, -1, dtype=_I64)  # 5..2 over 4 digits


# --- input checks ----------------------------------------------------------------------------


def _ints(values: ArrayLike, name: str, low: int, high: int) -> NDArray[np.int64]:
    """``values`` as a 1-D int64 array, every element in ``[low, high)``; else ValueError/TypeError."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.size:
        lowest, highest = int(array.min()), int(array.max())
        if lowest < low or highest >= high:
            raise ValueError(f"{name} must lie in [{low}, {high}), got [{lowest}, {highest}]")
    return array.astype(_I64, copy=False)


def _words(values: ArrayLike, name: str) -> NDArray[np.uint64]:
    """``values`` as a 1-D uint64 array (non-negative integers only)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.size and array.dtype.kind == "i" and int(array.min()) < 0:
        raise ValueError(f"{name} must be non-negative")
    return array.astype(_U64, copy=False)


def _same_length(*arrays: NDArray[np.int64] | NDArray[np.uint64]) -> None:
    sizes = {a.shape[0] for a in arrays}
    if len(sizes) > 1:
        raise ValueError(f"arrays must have the same length, got {sorted(sizes)}")


# --- digits and rendering --------------------------------------------------------------------


def _digit_matrix(values: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """``(n, width)`` decimal digits of non-negative ``values``, most significant first."""
    out = np.empty((values.shape[0], width), dtype=_I64)
    rest = values.copy()
    for column in range(width - 1, -1, -1):
        rest, out[:, column] = np.divmod(rest, 10)
    return out


def _mod11(total: NDArray[np.int64]) -> NDArray[np.int64]:
    """The CPF/CNPJ digit of a weighted sum: 0 when ``total % 11 < 2``, else ``11 - total % 11``."""
    rest = total % 11
    return np.where(rest < 2, 0, 11 - rest).astype(_I64)


def _ascii(digits: NDArray[np.int64]) -> NDArray[np.uint8]:
    return (digits + ord("0")).astype(np.uint8)


# --- CPF ---------------------------------------------------------------------------------------


def _cpf_digits(base_digits: NDArray[np.int64]) -> NDArray[np.int64]:
    d1 = _mod11(base_digits @ _CPF_W1)
    d2 = _mod11(base_digits @ _CPF_W2 + 2 * d1)
    return np.stack([d1, d2], axis=1)


def cpf_check_digits(base: NDArray[np.int64]) -> NDArray[np.int64]:
    """The two CPF check digits of each 9-digit ``base`` in ``[0, 10**9)``, as ``d1 * 10 + d2``.

    Official rule (Receita Federal): d1 = mod11(sum of the base digits weighted 10..2), d2 =
    mod11(base digits weighted 11..3 plus d1 weighted 2), where ``mod11(s)`` is 0 if ``s % 11 < 2``
    and ``11 - s % 11`` otherwise. Repdigit bases are accepted here (their digits are computed
    like any other); :func:`cpf` is the one that refuses them.
    """
    checks = _cpf_digits(_digit_matrix(_ints(base, "base", 0, 10**9), 9))
    return checks[:, 0] * 10 + checks[:, 1]


def cpf(base: NDArray[np.int64], *, formatted: bool = False) -> list[str]:
    """CPFs for 9-digit bases: ``"52998224725"`` or, formatted, ``"529.982.247-25"``.

    Raises ValueError for a base outside ``[0, 10**9)`` or a repdigit base (all nine digits
    equal), whose CPF every validator rejects: draw bases with :func:`cpf_base_from_rank`.
    """
    values = _ints(base, "base", 0, 10**9)
    if np.any(values % _CPF_REPDIGIT == 0):
        raise ValueError("repdigit CPF bases (000000000, 111111111, ...) make invalid CPFs")
    digits = _digit_matrix(values, 9)
    codes = _ascii(np.concatenate([digits, _cpf_digits(digits)], axis=1))
    return render("###.###.###-##" if formatted else "#" * 11, codes)


def cpf_base_from_rank(rank: NDArray[np.int64]) -> NDArray[np.int64]:
    """The ``rank``-th (0-based) non-repdigit CPF base, for rank in ``[0, CPF_BASE_SPACE)``.

    Strictly increasing and bijective: the repdigits are the multiples ``k * 111111111``
    (k = 0..9), so the valid bases are the open intervals between consecutive ones, each holding
    111111110 bases. ``0 -> 1``, ``111111109 -> 111111110``, ``111111110 -> 111111112``, ...,
    ``CPF_BASE_SPACE - 1 -> 999999998``.
    """
    ranks = _ints(rank, "rank", 0, CPF_BASE_SPACE)
    block, offset = np.divmod(ranks, _CPF_REPDIGIT - 1)
    return block * _CPF_REPDIGIT + 1 + offset


def cpf_rank_from_base(base: NDArray[np.int64]) -> NDArray[np.int64]:
    """Inverse of :func:`cpf_base_from_rank` (ValueError for a repdigit base)."""
    values = _ints(base, "base", 0, 10**9)
    if np.any(values % _CPF_REPDIGIT == 0):
        raise ValueError("repdigit CPF bases have no rank")
    return values - values // _CPF_REPDIGIT - 1


# --- CNPJ --------------------------------------------------------------------------------------


def _cnpj_digits(digits12: NDArray[np.int64]) -> NDArray[np.int64]:
    d1 = _mod11(digits12 @ _CNPJ_W1)
    d2 = _mod11(digits12 @ _CNPJ_W2 + 2 * d1)
    return np.stack([d1, d2], axis=1)


def cnpj_check_digits(base12: NDArray[np.int64]) -> NDArray[np.int64]:
    """The two CNPJ check digits of each 12-digit ``base12`` (root * 10**4 + branch), ``d1*10+d2``.

    Official rule: d1 = mod11(digits weighted 5,4,3,2,9,8,7,6,5,4,3,2), d2 = mod11(digits
    weighted 6,5,4,3,2,9,8,7,6,5,4,3 plus d1 weighted 2); ``mod11`` as for the CPF.
    """
    checks = _cnpj_digits(_digit_matrix(_ints(base12, "base12", 0, 10**12), 12))
    return checks[:, 0] * 10 + checks[:, 1]


def cnpj(
    root: NDArray[np.int64], branch: NDArray[np.int64] | int = 1, *, formatted: bool = False
) -> list[str]:
    """CNPJs: ``"11222333000181"`` or, formatted, ``"11.222.333/0001-81"``.

    ``root`` is the 8-digit company root in ``[0, 10**8)``; ``branch`` the 4-digit establishment
    number in ``[1, 10**4)`` (0001 is the head office), a scalar or an array of the same length.
    """
    roots = _ints(root, "root", 0, 10**8)
    branches = _ints(np.broadcast_to(np.asarray(branch), roots.shape), "branch", 1, 10**4)
    digits = _digit_matrix(roots * 10**4 + branches, 12)
    codes = _ascii(np.concatenate([digits, _cnpj_digits(digits)], axis=1))
    return render("##.###.###/####-##" if formatted else "#" * 14, codes)


def cnpj_root_from_rank(rank: NDArray[np.int64]) -> NDArray[np.int64]:
    """The ``rank``-th non-repdigit CNPJ root, rank in ``[0, CNPJ_ROOT_SPACE)``; strictly increasing.

    Same construction as :func:`cpf_base_from_rank` with 8 digits: ``0 -> 1``, ...,
    ``CNPJ_ROOT_SPACE - 1 -> 99999998``.
    """
    ranks = _ints(rank, "rank", 0, CNPJ_ROOT_SPACE)
    block, offset = np.divmod(ranks, _CNPJ_REPDIGIT - 1)
    return block * _CNPJ_REPDIGIT + 1 + offset


def cnpj_rank_from_root(root: NDArray[np.int64]) -> NDArray[np.int64]:
    """Inverse of :func:`cnpj_root_from_rank` (ValueError for a repdigit root)."""
    values = _ints(root, "root", 0, 10**8)
    if np.any(values % _CNPJ_REPDIGIT == 0):
        raise ValueError("repdigit CNPJ roots have no rank")
    return values - values // _CNPJ_REPDIGIT - 1


# --- bank accounts -----------------------------------------------------------------------------


def _bb_digit(digits: NDArray[np.int64], weights: NDArray[np.int64]) -> NDArray[np.uint8]:
    """Banco do Brasil's module-11 digit as an ASCII code: 11 - r, with 10 -> X and 11 -> 0."""
    value = 11 - (digits @ weights) % 11
    return np.where(value == 10, ord("X"), np.where(value == 11, 0, value) + ord("0")).astype(
        np.uint8
    )


def account_check_digit(number: NDArray[np.int64]) -> list[str]:
    """7-digit account numbers with their check digit: ``"1234567-9"`` (BB convention, see module doc)."""
    digits = _digit_matrix(_ints(number, "number", 0, 10**7), 7)
    codes = np.concatenate([_ascii(digits), _bb_digit(digits, _ACCOUNT_W)[:, None]], axis=1)
    return render("#######-#", codes)


account_number = account_check_digit
"""Alias of :func:`account_check_digit` (the name the generator uses)."""


def agency_check_digit(agency: NDArray[np.int64]) -> list[str]:
    """4-digit agency numbers with their check digit: ``"0001-9"`` (BB convention, see module doc)."""
    digits = _digit_matrix(_ints(agency, "agency", 0, 10**4), 4)
    codes = np.concatenate([_ascii(digits), _bb_digit(digits, _AGENCY_W)[:, None]], axis=1)
    return render("####-#", codes)


# --- data tables -------------------------------------------------------------------------------


def _read(name: str) -> str:
    return resources.files("seedlib.generator").joinpath("data", name).read_text(encoding="utf-8")


def _check_entry(entry: str, name: str) -> str:
    if not entry or entry != entry.strip() or any(c == "\\" or not c.isprintable() for c in entry):
        raise RuntimeError(f"seedlib/generator/data/{name}: bad entry {entry!r}")
    return entry


@functools.cache
def _lines(name: str) -> tuple[str, ...]:
    entries = tuple(_check_entry(line, name) for line in _read(name).splitlines())
    if list(entries) != sorted(set(entries)):
        raise RuntimeError(f"seedlib/generator/data/{name}: entries must be sorted and unique")
    return entries


def first_names(female: bool) -> tuple[str, ...]:
    """Common Brazilian first names (some compound, like "Maria Eduarda")."""
    return _lines("first_names_female.txt" if female else "first_names_male.txt")


def surnames() -> tuple[str, ...]:
    """Common Brazilian surnames."""
    return _lines("surnames.txt")


def street_names() -> tuple[str, ...]:
    """Generic street names with their type: "Rua das Flores", "Avenida Brasil", ..."""
    return _lines("street_names.txt")


def districts() -> tuple[str, ...]:
    """Generic neighbourhood (bairro) names: "Centro", "Jardim América", ..."""
    return _lines("districts.txt")


def company_words() -> tuple[str, ...]:
    """Words to compose synthetic company names ("Comércio", "Serviços", ...); see COMPANY_SUFFIXES."""
    return _lines("company_words.txt")


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


def _tsv(name: str, header: tuple[str, ...]) -> list[list[str]]:
    lines = _read(name).splitlines()
    if tuple(lines[0].split("\t")) != header:
        raise RuntimeError(f"seedlib/generator/data/{name}: header must be {header}")
    rows = [line.split("\t") for line in lines[1:]]
    if any(len(row) != len(header) for row in rows):
        raise RuntimeError(f"seedlib/generator/data/{name}: every row needs {len(header)} fields")
    return rows


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
    rows = _tsv("ufs.tsv", ("code", "name", "weight", "cpf_region", "ddds", "cep_ranges"))
    codes = [row[0] for row in rows]
    by_uf: dict[str, list[City]] = {code: [] for code in codes}
    for uf_code, city_name, ranges in _tsv("cities.tsv", ("uf", "name", "cep_ranges")):
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

_UF_CUMULATIVE_WEIGHT: Final = np.cumsum([uf.weight for uf in UFS]).astype(_U64)


def uf_index_from_word(word: NDArray[np.uint64]) -> NDArray[np.int64]:
    """A UF index per random word, drawn by population weight (``word % 1000`` against the weights)."""
    draws = _words(word, "word") % _U64(1000)
    return np.searchsorted(_UF_CUMULATIVE_WEIGHT, draws, side="right").astype(_I64)


# --- CEP ---------------------------------------------------------------------------------------


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
            np.array(base, dtype=_I64),
            np.array(size, dtype=_U64),
            np.array(start, dtype=_I64),
            np.array(prefix, dtype=_I64),
        )

    def cep(self, group: NDArray[np.int64], word: NDArray[np.uint64]) -> NDArray[np.int64]:
        """The CEP (8-digit int) at position ``word % size`` of each row's group."""
        slot = self.base[group] + (word % self.size[group]).astype(_I64)
        index = np.searchsorted(self.start, slot, side="right") - 1
        prefix, suffix = np.divmod(slot - self.start[index], _CEP_SUFFIXES)
        return (self.prefix[index] + prefix) * 1000 + suffix


_UF_CEPS: Final = _Slots.of(tuple(uf.cep_ranges for uf in UFS))
_CITY_CEPS: Final = _Slots.of(tuple(city.cep_ranges for city in CITIES))


def _render_cep(values: NDArray[np.int64]) -> list[str]:
    return render("#####-###", _ascii(_digit_matrix(values, 8)))


def cep(uf_index: NDArray[np.int64], offset: NDArray[np.uint64]) -> list[str]:
    """A CEP ``"01310-100"`` inside the ranges of each row's UF; ``offset`` (a random word) picks it.

    Uniform over the UF's street CEPs (suffix 000..899) up to a bias below 2**-40 from reducing a
    64-bit word modulo the range size.
    """
    ufs = _ints(uf_index, "uf_index", 0, len(UFS))
    words = _words(offset, "offset")
    _same_length(ufs, words)
    return _render_cep(_UF_CEPS.cep(ufs, words))


_CITY_COUNT: Final = np.array([len(uf.cities) for uf in UFS], dtype=_U64)
_FIRST_CITY: Final = np.array([uf.first_city for uf in UFS], dtype=_I64)


def city_index(uf_index: NDArray[np.int64], offset: NDArray[np.uint64]) -> NDArray[np.int64]:
    """An index into ``CITIES`` per row: one of the row's UF's cities, uniformly, picked by ``offset``.

    Pair it with :func:`city_cep` (with another random word) for a city and CEP that agree.
    """
    ufs = _ints(uf_index, "uf_index", 0, len(UFS))
    words = _words(offset, "offset")
    _same_length(ufs, words)
    return _FIRST_CITY[ufs] + (words % _CITY_COUNT[ufs]).astype(_I64)


def city_cep(city_index: NDArray[np.int64], offset: NDArray[np.uint64]) -> list[str]:
    """Like :func:`cep`, inside each row's city (``CITIES[city_index]``) instead of its UF."""
    cities = _ints(city_index, "city_index", 0, len(CITIES))
    words = _words(offset, "offset")
    _same_length(cities, words)
    return _render_cep(_CITY_CEPS.cep(cities, words))


# --- phones ------------------------------------------------------------------------------------

_DDD_FLAT: Final = np.array([ddd for uf in UFS for ddd in uf.ddds], dtype=_I64)
_DDD_COUNT: Final = np.array([len(uf.ddds) for uf in UFS], dtype=_U64)
_DDD_BASE: Final = (np.cumsum(_DDD_COUNT) - _DDD_COUNT).astype(_I64)


def phone(
    uf_index: NDArray[np.int64], offset: NDArray[np.uint64], *, mobile: bool = True
) -> list[str]:
    """E.164 numbers ``"+5511987654321"`` with a DDD of each row's UF; ``offset`` picks the rest.

    Mobile: 9 followed by 8 digits (13 characters after the ``+``); landline: a first digit in
    2..5 followed by 7 digits. The DDD is ``offset % len(ddds)``, the subscriber number comes
    from ``offset // len(ddds)``, so both are (almost exactly) uniform and independent.
    """
    ufs = _ints(uf_index, "uf_index", 0, len(UFS))
    words = _words(offset, "offset")
    _same_length(ufs, words)
    count = _DDD_COUNT[ufs]
    rest, which = np.divmod(words, count)
    ddd = _DDD_FLAT[_DDD_BASE[ufs] + which.astype(_I64)]
    if mobile:
        number = 900_000_000 + (rest % _U64(10**8)).astype(_I64)
        digits = _digit_matrix(ddd * 10**9 + number, 11)
        return render("+55###########", _ascii(digits))
    lead, rest = np.divmod(rest, _U64(10**7))
    number = (2 + (lead % _U64(4)).astype(_I64)) * 10**7 + rest.astype(_I64)
    digits = _digit_matrix(ddd * 10**8 + number, 10)
    return render("+55##########", _ascii(digits))
