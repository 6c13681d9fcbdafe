"""A SeedRun on a real node, installed from the README with the chart: the scenarios a user meets."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests.cluster.controlplane import REPO
from tests.e2e.conftest import DB_NAME, NAMESPACE, Install

PROFILE = REPO / "manifests" / "profiles" / "dev" / "tenant-a.yaml"
BASELINE_RUN = REPO / "manifests" / "runs" / "dev" / "tenant-a-baseline.yaml"
RUN_LABEL = "seeding.iabank.io/run"


@dataclass(frozen=True)
class Finished:
    run: dict[str, Any]
    seconds: float


@pytest.fixture(scope="module")
def baseline(install: Install) -> Finished:
    """The README's first SeedRun: the dev profile and manifests/runs/dev, applied and finished."""
    install.kubectl("-n", NAMESPACE, "apply", "-f", str(PROFILE))
    applied = time.monotonic()
    install.kubectl("-n", NAMESPACE, "apply", "-f", str(BASELINE_RUN))
    run = install.wait_phase("tenant-a-dev-baseline", {"Succeeded", "Failed", "Cancelled"})
    return Finished(run, time.monotonic() - applied)


def _pods(install: Install, run: str) -> list[dict[str, Any]]:
    answer = install.kubectl(
        "-n", NAMESPACE, "get", "pods", "-l", f"{RUN_LABEL}={run}", "-o", "json"
    )
    items: list[dict[str, Any]] = json.loads(answer)["items"]
    return items


def test_dev_baseline_succeeds_with_a_verified_report(install: Install, baseline: Finished) -> None:
    run, elapsed = baseline.run, baseline.seconds
    status = run["status"]
    assert status["phase"] == "Succeeded", install.diagnostics()
    assert status["exitCode"] == 0
    report = status["report"]
    assert report["verified"] is True
    assert report["uri"].startswith("s3://seed-worm/worm/seeds/dev/tenant-a/")
    assert re.fullmatch(r"[0-9a-f]{64}", report["sha256"])
    batches = status["batches"]
    assert batches["succeeded"] == batches["total"] > 0
    assert batches["failed"] == 0

    # The README's columns, and the progress it shows.
    table = install.kubectl("-n", NAMESPACE, "get", "seedruns")
    header, row = table.splitlines()[:2]
    assert header.split() == [
        "NAME", "TENANT", "ENV", "MODE", "PHASE", "PROGRESS", "AGE", "REPORT",
    ]  # fmt: skip
    assert row.split()[:6] == [
        "tenant-a-dev-baseline", "tenant-a", "dev", "baseline", "Succeeded",
        f"{batches['total']}/{batches['total']}",
    ]  # fmt: skip

    # Real Pods ran every Job: one preflight, one per batch, one report.
    pods = _pods(install, "tenant-a-dev-baseline")
    roles = Counter(p["metadata"]["labels"]["seeding.iabank.io/role"] for p in pods)
    assert roles["preflight"] == 1 and roles["report"] == 1
    assert roles["batch"] == batches["total"]
    assert all(p["status"]["phase"] == "Succeeded" for p in pods)
    assert all(p["spec"]["nodeName"] == "seed-node" for p in pods)

    # The rows are in the host's PostgreSQL, written by the Pods.
    with psycopg.connect(install.postgres.admin_url(DB_NAME)) as conn:
        customers = conn.execute("SELECT count(*) FROM bank.customers").fetchone()
        indexed = conn.execute(
            "SELECT sha256, verified FROM seeding.reports_index WHERE uri = %s", (report["uri"],)
        ).fetchall()
    assert customers is not None and customers[0] > 0
    assert indexed == [(report["sha256"], True)]

    # One trace for the run (its id is the SeedRun's uid), in the host's OTLP receiver.
    trace = run["metadata"]["uid"].replace("-", "")
    names = Counter(s.name for s in install.otlp.spans() if s.trace_id == trace)
    assert names["seed.preflight"] == 1, names
    assert names["seed.batch"] == batches["total"], names
    print(
        f"\napply -> Succeeded: {elapsed:.1f} s; Pods started: {len(pods)} ({dict(roles)}); "
        f"batches {batches['total']}"
    )


def test_a_batch_pods_log_is_redacted_json(install: Install, baseline: Finished) -> None:
    """`kubectl logs` of a batch Pod: one JSON object per line, marked redacted, no row value."""
    batch = next(
        p
        for p in _pods(install, "tenant-a-dev-baseline")
        if p["metadata"]["labels"]["seeding.iabank.io/role"] == "batch"
    )
    logs = install.kubectl("-n", NAMESPACE, "logs", batch["metadata"]["name"])
    lines = [line for line in logs.splitlines() if line.strip()]
    assert lines, "the batch Pod logged nothing"
    # stderr: log records; stdout: the batch's result line (the typed Job contract).
    parsed = [json.loads(line) for line in lines]
    records = [r for r in parsed if "level" in r]
    assert records, f"no JSON log record in:\n{logs}"
    for record in records:
        assert record["pii_redacted"] is True
        assert {"ts", "level", "event", "logger"} <= record.keys()
    assert any(record.get("seed_run_id") for record in records), records
    # No e-mail or CPF shape leaks (the generated PII lives in the database only).
    assert not re.search(r"[\w.+-]+@[\w-]+\.example", logs)
    assert not re.search(r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b", logs)
