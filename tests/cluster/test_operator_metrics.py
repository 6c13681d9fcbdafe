"""The operator's Prometheus endpoint during a real run: scraped over HTTP while a SeedRun goes
from apply to Succeeded (the happy path of test_operator.py), the phase gauge moves, every pass is
in the reconcile histogram, every batch Job is counted once, and every Job carries the run's
traceparent."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.chart.test_chart_render import DASHBOARD_METRICS
from tests.cluster.test_operator import (  # the happy path's fixtures and helpers
    apply_profile_and_run,
    kubelet,  # noqa: F401 (a fixture)
    runner_env,  # noqa: F401 (a fixture)
    start_operator,  # noqa: F401 (a fixture)
    wait_for_phase,
)
from tests.services import free_port

RUN = "tenant-a-dev-run"


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics: (name, labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def assert_dashboard_metrics_served(samples: dict[Any, float]) -> None:
    """Every operator metric the Grafana dashboard queries is served; every pass is timed."""
    assert (value(samples, "seed_operator_reconcile_seconds_count") or 0) > 0
    served = {name for name, _ in samples}
    for metric in (m for m in DASHBOARD_METRICS if m.startswith("seed_operator_")):
        assert any(name.startswith(metric) for name in served), metric


def test_metrics_move_with_a_run_and_its_jobs_carry_its_traceparent(
    control_plane,
    namespace,
    runner_env,  # noqa: F811 (a fixture)
    kubelet,  # noqa: F811 (a fixture)
    start_operator,  # noqa: F811 (a fixture)
):
    port, health = free_port(), free_port()
    start_operator(SEED_METRICS_PORT=str(port), SEED_LIVENESS_PORT=str(health))
    deadline = time.monotonic() + 60
    while True:  # the endpoint is up before kopf has seen anything: no run, no series yet
        try:
            before = scrape(port)
            break
        except OSError:
            assert time.monotonic() < deadline, "the operator never served /metrics"
            time.sleep(0.3)
    assert value(before, "seed_operator_batch_outcomes_total", outcome="succeeded") == 0

    apply_profile_and_run(control_plane, namespace)
    running_seen = leases_seen = 0.0
    samples: dict[Any, float] = {}
    deadline = time.monotonic() + 240
    while True:
        samples = scrape(port)
        running = value(samples, "seed_operator_seedruns", phase="Running", environment="dev")
        if running:
            running_seen = max(running_seen, running)
            leases = value(samples, "seed_operator_leases_held", environment="dev") or 0
            leases_seen = max(leases_seen, leases)
        finished = sum(
            value(samples, "seed_operator_seedruns", phase=phase, environment="dev") or 0
            for phase in ("Succeeded", "Failed", "Cancelled")
        )
        if finished:
            break
        assert time.monotonic() < deadline, "the run never finished"
        time.sleep(0.3)
    status = wait_for_phase(control_plane, namespace, RUN, {"Succeeded", "Failed"})["status"]
    assert status["phase"] == "Succeeded", status
    assert running_seen == 1
    assert leases_seen == 2  # while Running: the tenant Lease and one slot Lease

    assert value(samples, "seed_operator_seedruns", phase="Succeeded", environment="dev") == 1
    assert value(samples, "seed_operator_seedruns", phase="Running", environment="dev") == 0
    assert value(samples, "seed_operator_queue_depth", environment="dev") == 0
    total = status["batches"]["total"]
    deadline = time.monotonic() + 30
    while (
        value(samples, "seed_operator_batch_outcomes_total", outcome="succeeded") != total
        or value(samples, "seed_operator_leases_held", environment="dev") != 0
    ):
        # The last pass's Lease release and the Jobs' events may trail the run's status event.
        assert time.monotonic() < deadline, (total, samples)
        time.sleep(0.3)
        samples = scrape(port)
    assert value(samples, "seed_operator_batch_outcomes_total", outcome="failed") == 0
    assert_dashboard_metrics_served(samples)
    # The liveness endpoint is kopf's, on its own port.
    with urllib.request.urlopen(f"http://127.0.0.1:{health}/healthz", timeout=10) as response:
        assert response.status == 200

    uid = json.loads(
        control_plane.kubectl("get", "seedrun", RUN, "-n", namespace, "-o", "json").stdout
    )["metadata"]["uid"]
    expected = f"00-{uid.replace('-', '')}-{hashlib.sha256(uid.encode()).hexdigest()[:16]}-01"
    jobs = json.loads(control_plane.kubectl("get", "jobs", "-n", namespace, "-o", "json").stdout)
    parents = {
        job["metadata"]["name"]: {
            e["name"]: e.get("value")
            for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
        }.get("TRACEPARENT")
        for job in jobs["items"]
    }
    assert len(parents) == total + 2, parents  # the batches, the preflight and the report
    assert set(parents.values()) == {expected}, parents
