"""How and when a run may write: the UTC window, the rate limit, retries, budgets, dataset
lifetimes, SLO targets and the canary scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from seedlib.contract._model import CrossFieldRule, Omittable, SpecModel
from seedlib.contract.profile._formats import BRL_AMOUNT, DNS_LABEL, HH_MM, Mode


class Window(SpecModel):
    """The single off-peak window, in UTC, in which runs may start and write. It may cross midnight
    (start 22:00, end 06:00). There is no override: outside it, runs wait."""

    start_utc: Annotated[str, Field(pattern=HH_MM, examples=["00:00"])]
    """Opening time, "HH:MM" in UTC (quote it in YAML). Inclusive."""
    end_utc: Annotated[str, Field(pattern=HH_MM, examples=["06:00"])]
    """Closing time, "HH:MM" in UTC (quote it in YAML). Exclusive; earlier than start = crosses midnight."""

    cross_field_rules = (
        CrossFieldRule(
            cel="self.startUtc != self.endUtc",
            message="window start and end must differ: a zero-length window never opens",
            field="endUtc",
            holds=lambda w: w.start_utc != w.end_utc,
        ),
    )

    @property
    def start(self) -> dt.time:
        return dt.time.fromisoformat(self.start_utc)

    @property
    def end(self) -> dt.time:
        return dt.time.fromisoformat(self.end_utc)


class RateLimit(SpecModel):
    """Write budget of the run: ``limit`` batches per ``windowSeconds``, with an optional burst."""

    limit: Annotated[int, Field(ge=1, examples=[120])]
    """Operations allowed per window (>= 1)."""
    window_seconds: Annotated[int, Field(ge=1, examples=[60])]
    """Length of the rate-limit window in seconds (>= 1)."""
    burst: Omittable[Annotated[int, Field(ge=1)]] = None
    """Optional burst allowance; at least ``limit`` when given."""

    cross_field_rules = (
        CrossFieldRule(
            cel="!has(self.burst) || self.burst >= self.limit",
            message="burst must be at least limit",
            field="burst",
            holds=lambda r: r.burst is None or r.burst >= r.limit,
        ),
    )


class Backoff(SpecModel):
    """Retry policy of a failed batch: sleep = min(maxIntervalSeconds, baseSeconds * 2^attempt)
    * uniform(1 - jitterFactor, 1 + jitterFactor). ``maxRetries`` becomes the Job's backoffLimit."""

    base_seconds: Annotated[int, Field(ge=1, examples=[1])]
    """First retry delay in seconds (>= 1)."""
    jitter_factor: Annotated[float, Field(ge=0, le=1, examples=[0.1])]
    """Multiplicative jitter, 0.0-1.0."""
    max_retries: Annotated[int, Field(ge=0, le=20, examples=[3])]
    """Retries of one batch before the run fails (0-20)."""
    max_interval_seconds: Annotated[int, Field(ge=1, examples=[60])]
    """Ceiling of one retry delay in seconds; at least baseSeconds."""

    cross_field_rules = (
        CrossFieldRule(
            cel="self.maxIntervalSeconds >= self.baseSeconds",
            message="maxIntervalSeconds must be at least baseSeconds",
            field="maxIntervalSeconds",
            holds=lambda b: b.max_interval_seconds >= b.base_seconds,
        ),
    )


class Budget(SpecModel):
    """FinOps guard rails: alert at 80 % of either budget, abort at 100 %."""

    cost_cap_brl: Annotated[str, Field(pattern=BRL_AMOUNT, examples=["5.00"])]
    """Cost cap of one run in BRL, a quoted decimal with exactly 2 places ("5.00")."""
    error_budget_pct: Annotated[float, Field(ge=0, le=100, examples=[1])]
    """Share of failed batches tolerated before the run aborts, 0-100."""

    @property
    def cost_cap(self) -> Decimal:
        return Decimal(self.cost_cap_brl)


class Ttl(SpecModel):
    """How long each mode's dataset lives before the purge removes it (days; 0 = purge at the next
    purge run)."""

    baseline_days: Annotated[int, Field(ge=0, le=3650, examples=[1])]
    """Lifetime of baseline (and canary) datasets in days."""
    carga_days: Annotated[int, Field(ge=0, le=3650, examples=[0])]
    """Lifetime of carga datasets in days."""
    dr_days: Annotated[int, Field(ge=0, le=3650, examples=[0])]
    """Lifetime of dr datasets in days."""

    def days_for(self, mode: Mode) -> int:
        if mode is Mode.CARGA:
            return self.carga_days
        if mode is Mode.DR:
            return self.dr_days
        return self.baseline_days


class Slo(SpecModel):
    """Latency and throughput targets the run report measures itself against."""

    p95_target_ms: Annotated[int, Field(ge=1, examples=[150])]
    """95th percentile batch latency target in ms (>= 1)."""
    p99_target_ms: Annotated[int, Field(ge=1, examples=[250])]
    """99th percentile batch latency target in ms; at least p95TargetMs."""
    throughput_target_rps: Annotated[float, Field(ge=0.1, examples=[1.5])]
    """Throughput target in operations per second (>= 0.1)."""

    cross_field_rules = (
        CrossFieldRule(
            cel="self.p99TargetMs >= self.p95TargetMs",
            message="p99TargetMs must be at least p95TargetMs",
            field="p99TargetMs",
            holds=lambda s: s.p99_target_ms >= s.p95_target_ms,
        ),
    )


class Canary(SpecModel):
    """Scope of a canary run: a percentage of tenants, or an explicit list. Exactly one of the two."""

    percentage: Omittable[Annotated[float, Field(gt=0, le=100)]] = None
    """Share of tenants in the canary, more than 0 and at most 100."""
    tenants: Omittable[
        Annotated[
            list[Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]],
            Field(min_length=1, json_schema_extra={"uniqueItems": True}),
        ]
    ] = None
    """Tenants in the canary (DNS-1123 labels, unique, at least one)."""

    cross_field_rules = (
        CrossFieldRule(
            cel="has(self.percentage) != has(self.tenants)",
            message="give exactly one of percentage or tenants",
            field="",
            holds=lambda c: (c.percentage is None) != (c.tenants is None),
        ),
    )

    @field_validator("tenants")
    @classmethod
    def _unique(cls, tenants: list[str] | None) -> list[str] | None:
        if tenants is not None and len(set(tenants)) != len(tenants):
            raise PydanticCustomError("unique_items", "tenants must be unique")
        return tenants
