"""Name lists: common generic Brazilian first names, surnames, streets, districts, company words."""

from __future__ import annotations

from typing import Final

from seedlib.generator.brazil._data import word_list

COMPANY_SUFFIXES: Final = ("Ltda", "S.A.", "ME", "EPP")
"""Legal-form / size suffixes for company names (EIRELI was abolished in 2021)."""


def first_names(female: bool) -> tuple[str, ...]:
    """Common Brazilian first names (some compound, like "Maria Eduarda")."""
    return word_list("first_names_female.txt" if female else "first_names_male.txt")


def surnames() -> tuple[str, ...]:
    """Common Brazilian surnames."""
    return word_list("surnames.txt")


def street_names() -> tuple[str, ...]:
    """Generic street names with their type: "Rua das Flores", "Avenida Brasil", ..."""
    return word_list("street_names.txt")


def districts() -> tuple[str, ...]:
    """Generic neighbourhood (bairro) names: "Centro", "Jardim América", ..."""
    return word_list("districts.txt")


def company_words() -> tuple[str, ...]:
    """Words to compose synthetic company names ("Comércio", "Serviços", ...); see COMPANY_SUFFIXES."""
    return word_list("company_words.txt")
