"""Keyed pseudonyms: every PII value the generator writes, as a function of (salt, tenant, column, row).

Each function takes a PII ``Stream`` (keyed by an HMAC of the tenant's secret salt, see
``Context.pii``) and a row range, and returns values in valid Brazilian formats: CPF/CNPJ with check
digits, +55 phones with real area codes, e-mails on reserved domains (RFC 2606 ``.example``), names
from pt-BR name lists, CEPs inside their state's range. Uniqueness (documents, e-mails, references)
comes from keyed permutations of the row index, never from luck. Rotating the salt changes every value;
nothing here ever reads a real person's data, and no PII is used as key material.

Pure module.
"""

from __future__ import annotations

import unicodedata
from typing import Final

import numpy as np
from numpy.typing import NDArray

from seedlib.generator import ascii, brazil
from seedlib.generator.streams import Stream, below

__all__ = [
    "EMAIL_DOMAINS",
    "base36",
    "cnpjs",
    "company_names",
    "cpfs",
    "emails",
    "person_names",
    "phones",
    "pick",
    "ufs",
]

EMAIL_DOMAINS: Final = ("cliente.example", "empresa.example", "banco.example", "fornecedor.example")
"""Reserved by RFC 2606: mail to them can never reach anyone."""


def pick(options: tuple[str, ...], word: NDArray[np.uint64]) -> list[str]:
    return [options[i] for i in below(word, len(options)).tolist()]


def ufs(stream: Stream, column: str, start: int, stop: int) -> NDArray[np.int64]:
    """Index into ``brazil.UFS`` per row, drawn by population weight."""
    return brazil.uf_index_from_word(stream.word(column, start, stop))


def person_names(
    stream: Stream, column: str, start: int, stop: int, female: NDArray[np.bool_]
) -> list[str]:
    words = stream.words(column, start, stop)
    women = pick(brazil.first_names(female=True), words[:, 0])
    men = pick(brazil.first_names(female=False), words[:, 0])
    surnames = brazil.surnames()
    first_surname = pick(surnames, words[:, 1])
    second_surname = pick(surnames, words[:, 2])
    return [
        f"{w if f else m} {a} {b}"
        for f, w, m, a, b in zip(
            female.tolist(), women, men, first_surname, second_surname, strict=True
        )
    ]


def company_names(stream: Stream, column: str, start: int, stop: int) -> list[str]:
    words = stream.words(column, start, stop)
    vocabulary = brazil.company_words()
    n = len(vocabulary)
    first = below(words[:, 0], n)
    second = (first + 1 + below(words[:, 1], n - 1)) % n  # never the first word again
    suffix = pick(brazil.COMPANY_SUFFIXES, words[:, 2])
    return [
        f"{vocabulary[a]} {vocabulary[b]} {s}"
        for a, b, s in zip(first.tolist(), second.tolist(), suffix, strict=True)
    ]


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum())


def base36(values: NDArray[np.int64], width: int) -> list[str]:
    return ascii.base36(values, width)


def emails(
    stream: Stream, column: str, start: int, stop: int, names: list[str], domain: str
) -> list[str]:
    """``first.last.<token>@domain``; the token is a keyed rank of the row, so e-mails are unique."""
    tokens = base36(stream.rank(column, start, stop, 36**6), 6)
    out = []
    for name, token in zip(names, tokens, strict=True):
        parts = name.split()
        out.append(f"{_slug(parts[0])}.{_slug(parts[-1])}.{token}@{domain}")
    return out


def cpfs(stream: Stream, column: str, start: int, stop: int) -> list[str]:
    """Unique CPFs (11 digits, valid check digits)."""
    ranks = stream.rank(column, start, stop, brazil.CPF_BASE_SPACE)
    return brazil.cpf(brazil.cpf_base_from_rank(ranks))


def cnpjs(stream: Stream, column: str, start: int, stop: int) -> list[str]:
    """Unique head-office CNPJs (14 digits, valid check digits)."""
    ranks = stream.rank(column, start, stop, brazil.CNPJ_ROOT_SPACE)
    return brazil.cnpj(brazil.cnpj_root_from_rank(ranks))


def phones(
    stream: Stream, column: str, start: int, stop: int, uf_index: NDArray[np.int64]
) -> list[str]:
    """E.164 mobile numbers whose area code belongs to the row's state."""
    return brazil.phone(uf_index, stream.word(column, start, stop))
