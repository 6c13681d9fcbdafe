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

Layout
======
The public names are re-exported here; the implementation lives in private modules, one per
format: ``_documents`` (CPF, CNPJ), ``_accounts`` (bank digits), ``_places`` (UFs and cities),
``_ceps``, ``_phones`` and ``_names`` (the name lists), over ``_arrays`` (input checks, digits)
and ``_data`` (reading the data files).
"""

from __future__ import annotations

from seedlib.generator.brazil._accounts import (
    account_check_digit,
    account_number,
    agency_check_digit,
)
from seedlib.generator.brazil._ceps import cep, city_cep
from seedlib.generator.brazil._documents import (
    CNPJ_ROOT_SPACE,
    CPF_BASE_SPACE,
    cnpj,
    cnpj_check_digits,
    cnpj_rank_from_root,
    cnpj_root_from_rank,
    cpf,
    cpf_base_from_rank,
    cpf_check_digits,
    cpf_rank_from_base,
)
from seedlib.generator.brazil._names import (
    COMPANY_SUFFIXES,
    company_words,
    districts,
    first_names,
    street_names,
    surnames,
)
from seedlib.generator.brazil._phones import phone
from seedlib.generator.brazil._places import (
    CITIES,
    UF_INDEX,
    UFS,
    City,
    Uf,
    city_index,
    uf_index_from_word,
)

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
