"""CPF and CNPJ: check digits, formatting, and the rank <-> base bijections that skip repdigits.

The rules and why repdigits are refused are in the package docstring (:mod:`seedlib.generator.brazil`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from seedlib.generator.ascii import render
from seedlib.generator.brazil._arrays import I64, ascii_digits, checked_ints, digit_matrix

_CPF_REPDIGIT: Final = 111_111_111
_CNPJ_REPDIGIT: Final = 11_111_111

CPF_BASE_SPACE: Final = 10**9 - 10
"""Number of CPF bases that are not repdigits: the domain of :func:`cpf_base_from_rank`."""

CNPJ_ROOT_SPACE: Final = 10**8 - 10
"""Number of CNPJ roots that are not repdigits: the domain of :func:`cnpj_root_from_rank`."""

# Check-digit weights, most significant digit first.
_CPF_W1: Final = np.arange(10, 1, -1, dtype=I64)  # 10..2 over the 9 base digits
_CPF_W2: Final = np.arange(11, 2, -1, dtype=I64)  # 11..3 over the base; d1 weighs 2
_CNPJ_W1: Final = np.array([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], dtype=I64)
_CNPJ_W2: Final = np.array([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3], dtype=I64)  # d1 weighs 2


def _mod11(total: NDArray[np.int64]) -> NDArray[np.int64]:
    """The CPF/CNPJ digit of a weighted sum: 0 when ``total % 11 < 2``, else ``11 - total % 11``."""
    rest = total % 11
    return np.where(rest < 2, 0, 11 - rest).astype(I64)


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
    checks = _cpf_digits(digit_matrix(checked_ints(base, "base", 0, 10**9), 9))
    return checks[:, 0] * 10 + checks[:, 1]


def cpf(base: NDArray[np.int64], *, formatted: bool = False) -> list[str]:
    """CPFs for 9-digit bases: ``"52998224725"`` or, formatted, ``"529.982.247-25"``.

    Raises ValueError for a base outside ``[0, 10**9)`` or a repdigit base (all nine digits
    equal), whose CPF every validator rejects: draw bases with :func:`cpf_base_from_rank`.
    """
    values = checked_ints(base, "base", 0, 10**9)
    if np.any(values % _CPF_REPDIGIT == 0):
        raise ValueError("repdigit CPF bases (000000000, 111111111, ...) make invalid CPFs")
    digits = digit_matrix(values, 9)
    codes = ascii_digits(np.concatenate([digits, _cpf_digits(digits)], axis=1))
    return render("###.###.###-##" if formatted else "#" * 11, codes)


def cpf_base_from_rank(rank: NDArray[np.int64]) -> NDArray[np.int64]:
    """The ``rank``-th (0-based) non-repdigit CPF base, for rank in ``[0, CPF_BASE_SPACE)``.

    Strictly increasing and bijective: the repdigits are the multiples ``k * 111111111``
    (k = 0..9), so the valid bases are the open intervals between consecutive ones, each holding
    111111110 bases. ``0 -> 1``, ``111111109 -> 111111110``, ``111111110 -> 111111112``, ...,
    ``CPF_BASE_SPACE - 1 -> 999999998``.
    """
    ranks = checked_ints(rank, "rank", 0, CPF_BASE_SPACE)
    block, offset = np.divmod(ranks, _CPF_REPDIGIT - 1)
    return block * _CPF_REPDIGIT + 1 + offset


def cpf_rank_from_base(base: NDArray[np.int64]) -> NDArray[np.int64]:
    """Inverse of :func:`cpf_base_from_rank` (ValueError for a repdigit base)."""
    values = checked_ints(base, "base", 0, 10**9)
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
    checks = _cnpj_digits(digit_matrix(checked_ints(base12, "base12", 0, 10**12), 12))
    return checks[:, 0] * 10 + checks[:, 1]


def cnpj(
    root: NDArray[np.int64], branch: NDArray[np.int64] | int = 1, *, formatted: bool = False
) -> list[str]:
    """CNPJs: ``"11222333000181"`` or, formatted, ``"11.222.333/0001-81"``.

    ``root`` is the 8-digit company root in ``[0, 10**8)``; ``branch`` the 4-digit establishment
    number in ``[1, 10**4)`` (0001 is the head office), a scalar or an array of the same length.
    """
    roots = checked_ints(root, "root", 0, 10**8)
    branches = checked_ints(np.broadcast_to(np.asarray(branch), roots.shape), "branch", 1, 10**4)
    digits = digit_matrix(roots * 10**4 + branches, 12)
    codes = ascii_digits(np.concatenate([digits, _cnpj_digits(digits)], axis=1))
    return render("##.###.###/####-##" if formatted else "#" * 14, codes)


def cnpj_root_from_rank(rank: NDArray[np.int64]) -> NDArray[np.int64]:
    """The ``rank``-th non-repdigit CNPJ root, rank in ``[0, CNPJ_ROOT_SPACE)``; strictly increasing.

    Same construction as :func:`cpf_base_from_rank` with 8 digits: ``0 -> 1``, ...,
    ``CNPJ_ROOT_SPACE - 1 -> 99999998``.
    """
    ranks = checked_ints(rank, "rank", 0, CNPJ_ROOT_SPACE)
    block, offset = np.divmod(ranks, _CNPJ_REPDIGIT - 1)
    return block * _CNPJ_REPDIGIT + 1 + offset


def cnpj_rank_from_root(root: NDArray[np.int64]) -> NDArray[np.int64]:
    """Inverse of :func:`cnpj_root_from_rank` (ValueError for a repdigit root)."""
    values = checked_ints(root, "root", 0, 10**8)
    if np.any(values % _CNPJ_REPDIGIT == 0):
        raise ValueError("repdigit CNPJ roots have no rank")
    return values - values // _CNPJ_REPDIGIT - 1
