"""E.164 phone numbers with a DDD of each row's UF: mobiles and landlines."""

from __future__ import annotations

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
from seedlib.generator.brazil._places import UFS

_DDD_FLAT: Final = np.array([ddd for uf in UFS for ddd in uf.ddds], dtype=I64)
_DDD_COUNT: Final = np.array([len(uf.ddds) for uf in UFS], dtype=U64)
_DDD_BASE: Final = (np.cumsum(_DDD_COUNT) - _DDD_COUNT).astype(I64)


def phone(
    uf_index: NDArray[np.int64], offset: NDArray[np.uint64], *, mobile: bool = True
) -> list[str]:
    """E.164 numbers ``"+5511987654321"`` with a DDD of each row's UF; ``offset`` picks the rest.

    Mobile: 9 followed by 8 digits (13 characters after the ``+``); landline: a first digit in
    2..5 followed by 7 digits. The DDD is ``offset % len(ddds)``, the subscriber number comes
    from ``offset // len(ddds)``, so both are (almost exactly) uniform and independent.
    """
    ufs = checked_ints(uf_index, "uf_index", 0, len(UFS))
    words = checked_words(offset, "offset")
    same_length(ufs, words)
    count = _DDD_COUNT[ufs]
    rest, which = np.divmod(words, count)
    ddd = _DDD_FLAT[_DDD_BASE[ufs] + which.astype(I64)]
    if mobile:
        number = 900_000_000 + (rest % U64(10**8)).astype(I64)
        digits = digit_matrix(ddd * 10**9 + number, 11)
        return render("+55###########", ascii_digits(digits))
    lead, rest = np.divmod(rest, U64(10**7))
    number = (2 + (lead % U64(4)).astype(I64)) * 10**7 + rest.astype(I64)
    digits = digit_matrix(ddd * 10**8 + number, 10)
    return render("+55##########", ascii_digits(digits))
