"""Fixed-width ASCII strings from numpy arrays, without a Python loop per character.

The generator's hot paths turn millions of integers into strings (documents, tokens, UUIDs). Building
an ``(n, width)`` byte matrix and viewing it as ``S<width>`` does that in C; only the final
``tolist()`` creates Python strings. Pure module.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["base36", "render", "uuid_strings"]

_BASE36: Final = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_HEX: Final = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UUID_SLOTS: Final = [i for i in range(36) if i not in (8, 13, 18, 23)]


def render(template: str, codes: NDArray[np.uint8]) -> list[str]:
    """Fill each ``#`` of ``template`` with the next column of ``codes`` (ASCII), row by row."""
    slots = [i for i, char in enumerate(template) if char == "#"]
    if codes.shape[1] != len(slots):
        raise ValueError(f"template has {len(slots)} slots for {codes.shape[1]} columns")
    width = len(template)
    out = np.empty((codes.shape[0], width), dtype=np.uint8)
    out[:, slots] = codes
    for i, char in enumerate(template):
        if char != "#":
            out[:, i] = ord(char)
    return _strings(out)


def _strings(matrix: NDArray[np.uint8]) -> list[str]:
    width = matrix.shape[1]
    strings: list[str] = (
        np.ascontiguousarray(matrix).view(f"S{width}").ravel().astype(f"U{width}").tolist()
    )
    return strings


def base36(values: NDArray[np.int64], width: int) -> list[str]:
    """Lower-case base-36, zero-padded to ``width`` (values must be below 36**width)."""
    rest = np.asarray(values, dtype=np.int64).copy()
    digits = np.empty((rest.shape[0], width), dtype=np.uint8)
    for column in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 36)
        digits[:, column] = _BASE36[digit]
    if rest.any():
        raise ValueError(f"values do not fit in {width} base-36 digits")
    return _strings(digits)


def uuid_strings(raw: NDArray[np.uint8]) -> list[str]:
    """Canonical 8-4-4-4-12 strings of ``(n, 16)`` UUID bytes."""
    nibbles = np.empty((raw.shape[0], 32), dtype=np.uint8)
    nibbles[:, 0::2] = _HEX[raw >> 4]
    nibbles[:, 1::2] = _HEX[raw & 0x0F]
    out = np.full((raw.shape[0], 36), ord("-"), dtype=np.uint8)
    out[:, _UUID_SLOTS] = nibbles
    return _strings(out)
