"""Bank account and agency check digits, Banco do Brasil's module-11 convention (see the package
docstring, :mod:`seedlib.generator.brazil`)."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from seedlib.generator.ascii import render
from seedlib.generator.brazil._arrays import I64, ascii_digits, checked_ints, digit_matrix

# Check-digit weights, most significant digit first.
_ACCOUNT_W: Final = np.arange(8, 1, -1, dtype=I64)  # 8..2 over 7 digits
_AGENCY_W: Final = np.arange(5, 1, -1, dtype=I64)  # 5..2 over 4 digits


def _bb_digit(digits: NDArray[np.int64], weights: NDArray[np.int64]) -> NDArray[np.uint8]:
    """Banco do Brasil's module-11 digit as an ASCII code: 11 - r, with 10 -> X and 11 -> 0."""
    value = 11 - (digits @ weights) % 11
    return np.where(value == 10, ord("X"), np.where(value == 11, 0, value) + ord("0")).astype(
        np.uint8
    )


def account_check_digit(number: NDArray[np.int64]) -> list[str]:
    """7-digit account numbers with their check digit: ``"1234567-9"`` (BB convention, see module doc)."""
    digits = digit_matrix(checked_ints(number, "number", 0, 10**7), 7)
    codes = np.concatenate([ascii_digits(digits), _bb_digit(digits, _ACCOUNT_W)[:, None]], axis=1)
    return render("#######-#", codes)


account_number = account_check_digit
"""Alias of :func:`account_check_digit` (the name the generator uses)."""


def agency_check_digit(agency: NDArray[np.int64]) -> list[str]:
    """4-digit agency numbers with their check digit: ``"0001-9"`` (BB convention, see module doc)."""
    digits = digit_matrix(checked_ints(agency, "agency", 0, 10**4), 4)
    codes = np.concatenate([ascii_digits(digits), _bb_digit(digits, _AGENCY_W)[:, None]], axis=1)
    return render("####-#", codes)
