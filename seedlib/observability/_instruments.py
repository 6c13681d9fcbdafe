"""The metric instruments of a seeding command, by the names the dashboards and alerts query.

Labels are the run's tenant, environment and mode (plus the table for batches): never a row value,
and never the run id (one series per run would grow without bound).
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.metrics import Counter, Histogram, Meter, _Gauge

__all__ = ["Instruments"]


@dataclass(frozen=True, slots=True)
class Instruments:
    run_duration: Histogram
    batch_latency: Histogram
    rows_written: Counter
    rate_limit_remaining: _Gauge
    budget_remaining: _Gauge

    @classmethod
    def create(cls, meter: Meter) -> Instruments:
        return cls(
            run_duration=meter.create_histogram(
                "seed_run_duration_ms", unit="ms", description="duration of a seeding run"
            ),
            batch_latency=meter.create_histogram(
                "seed_batch_latency_ms",
                unit="ms",
                description="generate + COPY + checkpoint of a batch",
            ),
            rows_written=meter.create_counter(
                "seed_rows_written_total", unit="1", description="rows written by batches"
            ),
            rate_limit_remaining=meter.create_gauge(
                "seed_rate_limit_remaining",
                unit="1",
                description="batches left in the profile's rate-limit window",
            ),
            budget_remaining=meter.create_gauge(
                "seed_budget_remaining",
                unit="BRL",
                description="cost cap minus the estimated cost",
            ),
        )
