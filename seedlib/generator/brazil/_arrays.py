"""The integer-array inputs of every Brazilian format, and their decimal digits as ASCII codes.

Checks raise ValueError/TypeError naming the argument; digits are computed column by column over
digit positions, never row by row.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

I64 = np.int64
U64 = np.uint64


def checked_ints(values: ArrayLike, name: str, low: int, high: int) -> NDArray[np.int64]:
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
    return array.astype(I64, copy=False)


def checked_words(values: ArrayLike, name: str) -> NDArray[np.uint64]:
    """``values`` as a 1-D uint64 array (non-negative integers only)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.size and array.dtype.kind == "i" and int(array.min()) < 0:
        raise ValueError(f"{name} must be non-negative")
    return array.astype(U64, copy=False)


def same_length(*arrays: NDArray[np.int64] | NDArray[np.uint64]) -> None:
    sizes = {a.shape[0] for a in arrays}
    if len(sizes) > 1:
        raise ValueError(f"arrays must have the same length, got {sorted(sizes)}")


def digit_matrix(values: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """``(n, width)`` decimal digits of non-negative ``values``, most significant first."""
    out = np.empty((values.shape[0], width), dtype=I64)
    rest = values.copy()
    for column in range(width - 1, -1, -1):
        rest, out[:, column] = np.divmod(rest, 10)
    return out


def ascii_digits(digits: NDArray[np.int64]) -> NDArray[np.uint8]:
    return (digits + ord("0")).astype(np.uint8)
