"""Budget arithmetic: a run's estimated cost against its cap, and its usage in the report. Pure.

The cost model is linear in rows (``SEED_COST_PER_MILLION_ROWS_BRL``, default R$ 0.50 per million
rows), rounded to centavos. Preflight refuses a run whose estimate exceeds ``spec.budget``'s cap
(``BudgetExhausted``, exit 5); the report records the estimate, its share of the cap, the failed
batches against the error budget, and the peak of batches per rate-limit window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from seedlib.contract.profile import SeedProfileSpec
from seedlib.errors import LimitExceededError, Reason

__all__ = [
    "DEFAULT_COST_PER_MILLION_ROWS",
    "budget_usage",
    "check_budget",
    "estimated_cost",
    "rate_limit_usage",
]

DEFAULT_COST_PER_MILLION_ROWS = Decimal("0.50")


def estimated_cost(rows: int, cost_per_million_rows: Decimal) -> Decimal:
    """R$ for ``rows`` rows, to the centavo."""
    return (Decimal(rows) * cost_per_million_rows / Decimal(1_000_000)).quantize(Decimal("0.01"))


def check_budget(spec: SeedProfileSpec, rows: int, cost_per_million_rows: Decimal) -> Decimal:
    """What remains of the cap after this run's estimate; ``BudgetExhausted`` above the cap."""
    cost = estimated_cost(rows, cost_per_million_rows)
    cap = spec.budget.cost_cap
    if cost > cap:
        raise LimitExceededError(
            Reason.BUDGET_EXHAUSTED,
            f"estimated cost R$ {cost} for {rows} rows exceeds the cap R$ {cap}",
            hint="raise spec.budget.costCapBrl or lower the volumetry",
        )
    return cap - cost


def budget_usage(
    spec: SeedProfileSpec, rows: int, cost_per_million_rows: Decimal, failed: int, total: int
) -> dict[str, Any]:
    """The report's ``budget_usage``: cost against the cap, failed batches against the total."""
    budget = spec.budget
    cost = estimated_cost(rows, cost_per_million_rows)
    return {
        "costCapBrl": budget.cost_cap_brl,
        "estimatedCostBrl": str(cost),
        "costUsedPct": float(round(cost / budget.cost_cap * 100, 2)) if budget.cost_cap else 0.0,
        "errorBudgetPct": budget.error_budget_pct,
        "failedBatches": failed,
        "failedBatchesPct": round(100 * failed / total, 2) if total else 0.0,
    }


def rate_limit_usage(
    spec: SeedProfileSpec, batches: int, stamps: Sequence[dt.datetime]
) -> dict[str, Any]:
    """The report's ``rate_limit_usage`` of ``batches`` batches: the most commits (``stamps``)
    in any window of the limit (a window starts at each commit), against the limit."""
    limit = spec.rate_limit
    window = dt.timedelta(seconds=limit.window_seconds)
    ordered = sorted(stamps)
    peak = max(
        (sum(1 for s in ordered if first <= s < first + window) for first in ordered), default=0
    )
    return {
        "limit": limit.limit,
        "windowSeconds": limit.window_seconds,
        "batches": batches,
        "peakPerWindow": peak,
        "utilisationPct": round(100 * peak / limit.limit, 2),
    }
