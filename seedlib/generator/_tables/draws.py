"""Column values drawn from a table's stream: weighted choices, log-uniform amounts, instants and
days before the reference, lifecycle states, and the key columns every table carries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from seedlib.contract.entities import Entity, LifecycleState
from seedlib.contract.profile import Mode
from seedlib.generator._context import Context, _weighted
from seedlib.generator.streams import Stream, below

Columns = dict[str, Any]
SECONDS_PER_DAY: Final = 86_400


def _pick(options: Sequence[Any], index: NDArray[np.int64]) -> list[Any]:
    return [options[i] for i in index.tolist()]


def weighted_choice(
    stream: Stream, column: str, start: int, stop: int, weighted: Sequence[tuple[Any, int]]
) -> list[Any]:
    index = _weighted(stream.unit(column, start, stop), [w for _, w in weighted])
    return _pick([value for value, _ in weighted], index)


def log_uniform_cents(
    stream: Stream, column: str, start: int, stop: int, low: int, high: int
) -> NDArray[np.int64]:
    """Amounts in cents spread log-uniformly over [low, high) reais."""
    u = stream.unit(column, start, stop)
    reais = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
    return np.asarray(np.floor(reais * 100), dtype=np.int64)


def seconds_before(
    ctx: Context, stream: Stream, column: str, start: int, stop: int, days: int
) -> NDArray[np.datetime64]:
    back = below(stream.word(column, start, stop), days * SECONDS_PER_DAY)
    return ctx.reference - back.astype("timedelta64[s]")


def days_before(
    ctx: Context, stream: Stream, column: str, start: int, stop: int, low: int, high: int
) -> NDArray[np.datetime64]:
    back = low + below(stream.word(column, start, stop), high - low)
    return ctx.reference_day - back.astype("timedelta64[D]")


def lifecycle_status(
    ctx: Context, entity: Entity, stream: Stream, start: int, stop: int
) -> list[str]:
    """Lifecycle states: all active in baseline/canary; spread by the profile's shares in carga/dr."""
    entry = ctx.spec.volumetry.entry(entity)
    states = getattr(entry, "states", None)
    if ctx.spec.mode not in (Mode.CARGA, Mode.DR) or states is None:
        return [LifecycleState.ACTIVE.value] * (stop - start)
    shares = [(state.value, share) for state, share in states.shares().items() if share > 0]
    return weighted_choice(stream, "status", start, stop, shares)


def words_at(
    stream: Stream, column: str, index: NDArray[np.int64], which: int = 0
) -> NDArray[np.uint64]:
    """Words of arbitrary rows: computed over their span, then gathered."""
    if index.size == 0:
        return np.zeros(0, dtype=np.uint64)
    low, high = int(index.min()), int(index.max()) + 1
    return np.asarray(stream.words(column, low, high)[index - low, which], dtype=np.uint64)


def key_columns(ctx: Context, table: str, start: int, stop: int) -> Columns:
    ids = ctx.ids(table, start, stop)
    return {"id": ids, "tenant_id": ctx.ids("tenants", 0, 1) * len(ids)}
