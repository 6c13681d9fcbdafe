"""Short retries with jittered exponential backoff, for calls to Vault and S3. Pure but for sleeping.

``sleep = min(cap, base * 2**attempt) * uniform(1 - jitter, 1 + jitter)``, the same formula the
profiles use for batches. Both the sleep and the random source are injectable for tests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["retry"]

T = TypeVar("T")


def retry(
    call: Callable[[], T],
    *,
    retryable: tuple[type[BaseException], ...],
    attempts: int = 3,
    base: float = 0.2,
    cap: float = 2.0,
    jitter: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """``call()``, retried on ``retryable`` errors up to ``attempts`` times in total."""
    source = rng or random.Random()
    for attempt in range(attempts):
        try:
            return call()
        except retryable:
            if attempt == attempts - 1:
                raise
            sleep(min(cap, base * 2**attempt) * source.uniform(1 - jitter, 1 + jitter))
    raise AssertionError("unreachable")  # pragma: no cover
