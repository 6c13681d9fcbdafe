"""The operator's Prometheus metrics, served as text on SEED_METRICS_PORT (``/metrics``).

| metric | type | labels | what |
|---|---|---|---|
| ``seed_operator_seedruns`` | gauge | phase, environment | SeedRuns this operator watches, by phase |
| ``seed_operator_reconcile_seconds`` | histogram | | duration of one reconcile pass |
| ``seed_operator_leases_held`` | gauge | environment | tenant + slot Leases held by its runs |
| ``seed_operator_queue_depth`` | gauge | environment | SeedRuns in phase Queued |
| ``seed_operator_batch_outcomes_total`` | counter | outcome | batch Jobs seen finished |

The gauges are computed at scrape time from what the handlers told this object (SeedRun events,
reconcile passes), so they move the moment a phase changes and never need a reset. Every phase
of every environment seen is exported, zeros included, so ``Running`` drops to 0 instead of
vanishing. Batch outcomes are counted once per Job in memory: an operator restarted sees every
finished Job again in its first listing and counts it again (a counter reset that Prometheus'
``rate`` already tolerates).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from seedlib.contract.seedrun import Phase

__all__ = ["METRICS", "OUTCOMES", "OperatorMetrics"]

OUTCOMES: Final = ("succeeded", "failed")
UNKNOWN_ENVIRONMENT: Final = "unknown"
"""The environment label of a run whose profile was never resolved."""
RECONCILE_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class OperatorMetrics(Collector):
    """The operator's metrics in their own registry (tests make a fresh one each)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reconcile_seconds = Histogram(
            "seed_operator_reconcile_seconds",
            "Duration of one reconcile pass of a SeedRun (observe, decide, apply)",
            buckets=RECONCILE_BUCKETS,
            registry=self.registry,
        )
        self.batch_outcomes = Counter(
            "seed_operator_batch_outcomes",
            "Batch Jobs seen finished, by outcome (each Job once per operator process)",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.batch_outcomes.labels(outcome=outcome)
        self._lock = threading.Lock()
        self._runs: dict[str, tuple[str, str]] = {}
        """SeedRun uid -> (phase, environment)."""
        self._leases: dict[str, tuple[str, int]] = {}
        """SeedRun uid -> (environment, Leases it holds)."""
        self._counted: set[str] = set()
        """Jobs whose outcome is counted."""
        self._environments: set[str] = set()
        self.registry.register(self)

    # -- what the handlers report ----------------------------------------------------------------

    def run_seen(self, uid: str, phase: str | None, environment: str | None) -> None:
        environment = environment or UNKNOWN_ENVIRONMENT
        with self._lock:
            self._runs[uid] = (phase or Phase.PENDING.value, environment)
            self._environments.add(environment)

    def run_gone(self, uid: str) -> None:
        with self._lock:
            self._runs.pop(uid, None)
            self._leases.pop(uid, None)

    def leases_held(self, uid: str, environment: str | None, count: int) -> None:
        environment = environment or UNKNOWN_ENVIRONMENT
        with self._lock:
            if count:
                self._leases[uid] = (environment, count)
                self._environments.add(environment)
            else:
                self._leases.pop(uid, None)

    def batch_job_seen(self, key: str, outcome: str | None, *, deleted: bool = False) -> bool:
        """Count a finished batch Job (``outcome`` in OUTCOMES) the first time it is seen
        finished; True when counted now. A deleted Job is forgotten (it will not come back)."""
        counted = False
        with self._lock:
            if outcome is not None and key not in self._counted:
                if outcome not in OUTCOMES:
                    raise ValueError(f"unknown batch outcome {outcome!r}")
                self.batch_outcomes.labels(outcome=outcome).inc()
                self._counted.add(key)
                counted = True
            if deleted:
                self._counted.discard(key)
        return counted

    # -- scrape ----------------------------------------------------------------------------------

    def describe(self) -> Iterator[Metric]:
        return iter(())  # computed at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            runs = list(self._runs.values())
            leases = list(self._leases.values())
            environments = sorted(self._environments)
        seedruns = GaugeMetricFamily(
            "seed_operator_seedruns",
            "SeedRuns watched by this operator, by phase and environment",
            labels=["phase", "environment"],
        )
        held = GaugeMetricFamily(
            "seed_operator_leases_held",
            "Tenant and slot Leases held by the SeedRuns of this operator",
            labels=["environment"],
        )
        queued = GaugeMetricFamily(
            "seed_operator_queue_depth",
            "SeedRuns waiting in the queue (phase Queued) for their Leases",
            labels=["environment"],
        )
        for environment in environments:
            for phase in Phase:
                count = sum(1 for p, e in runs if p == phase.value and e == environment)
                seedruns.add_metric([phase.value, environment], count)
            held.add_metric([environment], sum(n for e, n in leases if e == environment))
            queued.add_metric(
                [environment],
                sum(1 for p, e in runs if p == Phase.QUEUED.value and e == environment),
            )
        yield seedruns
        yield held
        yield queued

    def serve(self, port: int, address: str = "0.0.0.0") -> None:
        """Serve ``/metrics`` from a daemon thread."""
        start_http_server(port, addr=address, registry=self.registry)


METRICS = OperatorMetrics()
"""The operator process's metrics."""
