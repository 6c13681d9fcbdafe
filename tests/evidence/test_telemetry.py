"""Telemetry against a real OTLP/HTTP receiver (tests/otlp.py), with Vault, S3 and PostgreSQL.

The span tree of the operator's Job sequence hangs under the TRACEPARENT it is given; the trace
ids reach the signed report; a collector that is down at preflight stops the run before any row,
and one that is down at the end leaves the run failed with no verified report.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from seedlib.cli import main
from seedlib.contract.job import BatchId, JobEnv, JobResult, JobRole, job_command
from seedlib.errors import DependencyUnavailableError, Reason
from seedlib.evidence.signing import LocalSigner
from seedlib.evidence.vault import VaultSaltProvider
from seedlib.evidence.worm import LocalWorm
from seedlib.observability import telemetry
from seedlib.rules.batches import plan_batches
from seedlib.rules.validation import load_profile_spec
from seedlib.runs.pipeline import run_profile
from seedlib.runs.publishing import Evidence
from seedlib.runs.summary import RunOptions
from seedlib.settings import Settings
from tests.evidence.test_evidence import DEV_A, vault_env  # noqa: F401 (a fixture)
from tests.postgres.test_loader import expected_counts
from tests.services import s3_client
from tests.support import load_yaml, table_counts

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
pytestmark = pytest.mark.usefixtures("vault_env")  # Vault, S3 and the receiver in the environment
RUN_ATTRIBUTES = ("tenant_id", "environment", "seed_run_id", "manifest_version", "mode", "dry_run")


def _report_body(uri: str, s3_endpoint: str) -> dict[str, Any]:
    bucket, rest = uri.removeprefix("s3://").split("/", 1)
    key, version = rest.split("?versionId=")
    body = s3_client(s3_endpoint).get_object(Bucket=bucket, Key=key, VersionId=version)["Body"]  # type: ignore[attr-defined]
    return json.loads(body.read())


def _job(role: JobRole, batch_id: str | None = None) -> int:
    """`seedctl job ROLE` as the operator's Job runs it (Vault and S3 from the environment)."""
    return main(job_command(role, BatchId(batch_id) if batch_id else None)[1:])


def _job_sequence(database_url: str, run_id: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the operator's preflight and batch Jobs run; returns the batch ids."""
    monkeypatch.setenv(JobEnv.PROFILE_JSON, json.dumps(load_yaml(DEV_A)["spec"]))
    monkeypatch.setenv(JobEnv.BATCH_ROWS, "400")
    monkeypatch.setenv(JobEnv.RUN_ID, run_id)
    monkeypatch.setenv("SEED_DATABASE_URL", database_url)
    assert _job(JobRole.PREFLIGHT) == 0
    batches = [b.id for b in plan_batches(expected_counts(DEV_A), 400)]
    for batch in batches:
        assert _job(JobRole.BATCH, batch) == 0
    return batches


def test_job_spans_hang_under_the_traceparent_and_the_ids_reach_the_report(
    database_url, otlp, monkeypatch, capsys, s3_endpoint
):
    otlp.clear()
    monkeypatch.setenv("TRACEPARENT", f"00-{TRACE}-{PARENT}-01")
    run_id = str(uuid.uuid4())
    batches = _job_sequence(database_url, run_id, monkeypatch)
    capsys.readouterr()
    assert _job(JobRole.REPORT) == 0
    result = JobResult.parse(capsys.readouterr().out)
    assert result.report is not None and result.report.verified is True
    ref = {"uri": result.report.uri}

    spans = otlp.spans()
    assert {s.trace_id for s in spans} == {TRACE}
    batch_spans = otlp.spans("seed.batch")
    assert sorted(s.attributes["batch_id"] for s in batch_spans) == sorted(batches)
    assert {s.parent_span_id for s in batch_spans} == {
        PARENT
    }  # children of the operator's seed.run
    copies = otlp.spans("seed.copy")
    assert len(copies) == len(batches)
    assert {c.parent_span_id for c in copies} == {s.span_id for s in batch_spans}
    for name in ("seed.manifest.validate", "seed.preflight", "seed.report.publish"):
        assert otlp.spans(name), name
    for span in spans:
        assert {k: span.attributes.get(k) for k in RUN_ATTRIBUTES} == {
            "tenant_id": "tenant-a",
            "environment": "dev",
            "seed_run_id": run_id,
            "manifest_version": "1.0.0",
            "mode": "baseline",
            "dry_run": False,
        }, span.name
        assert span.resource["service.name"] == "seedctl"
    assert {
        "seed_batch_latency_ms",
        "seed_rows_written_total",
        "seed_rate_limit_remaining",
        "seed_budget_remaining",
    } <= otlp.metric_names()
    written = sum(p.value or 0 for p in otlp.points("seed_rows_written_total"))
    assert written == sum(expected_counts(DEV_A).values())

    body = _report_body(ref["uri"], s3_endpoint)
    assert (body["otel_trace_id"], body["otel_span_id"]) == (TRACE, PARENT)


def test_seedctl_run_is_one_trace_under_seed_run(
    database_url, otlp, monkeypatch, capsys, s3_endpoint
):
    otlp.clear()
    monkeypatch.delenv("TRACEPARENT", raising=False)
    assert main(["run", str(DEV_A), "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    uri = next(line.split()[1] for line in out.splitlines() if line.startswith("report: "))
    (run,) = otlp.spans("seed.run")
    assert run.parent_span_id == ""
    assert {s.trace_id for s in otlp.spans()} == {run.trace_id}
    batch_spans = otlp.spans("seed.batch")
    assert batch_spans and {s.parent_span_id for s in batch_spans} == {run.span_id}
    assert {c.parent_span_id for c in otlp.spans("seed.copy")} <= {s.span_id for s in batch_spans}
    assert all(s.attributes["seed_run_id"] == run.attributes["seed_run_id"] for s in otlp.spans())
    assert "seed_run_duration_ms" in otlp.metric_names()
    body = _report_body(uri, s3_endpoint)
    assert (body["otel_trace_id"], body["otel_span_id"]) == (run.trace_id, run.span_id)
    assert body["run_id"] == run.attributes["seed_run_id"]


def test_a_dry_run_says_so_in_every_span(database_url, otlp, capsys):
    otlp.clear()
    assert main(["run", str(DEV_A), "--database-url", database_url, "--dry-run"]) == 0
    spans = otlp.spans()
    assert {s.name for s in spans} >= {"seed.run", "seed.preflight", "seed.batch", "seed.copy"}
    assert all(s.attributes["dry_run"] is True for s in spans)
    assert all(count == 0 for count in table_counts(database_url).values())


def test_collector_down_at_preflight_is_exit_4_with_zero_rows(database_url, otlp, capsys):
    otlp.stop()
    try:
        assert main(["run", str(DEV_A), "--database-url", database_url]) == 4
        assert "[TelemetryUnavailable]" in capsys.readouterr().err
        assert all(count == 0 for count in table_counts(database_url).values())
        args = ["preflight", str(DEV_A), "--database-url", database_url, "-o", "json"]
        assert main(args) == 4
        verdict = json.loads(capsys.readouterr().out)
        (check,) = [c for c in verdict["checks"] if c["check"] == "telemetry"]
        assert (check["ok"], check["reason"], check["exitCode"]) == (
            False,
            "TelemetryUnavailable",
            4,
        )
    finally:
        otlp.start()
    assert all(count == 0 for count in table_counts(database_url).values())


def test_no_endpoint_outside_dev_isolated_mode_fails_closed(database_url, monkeypatch, capsys):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    assert main(["run", str(DEV_A), "--database-url", database_url]) == 4
    err = capsys.readouterr().err
    assert "[TelemetryUnavailable]" in err and "OTEL_EXPORTER_OTLP_ENDPOINT" in err
    assert all(count == 0 for count in table_counts(database_url).values())


def test_collector_down_before_the_report_job_fails_the_run_without_a_verified_report(
    database_url, otlp, monkeypatch, capsys
):
    run_id = str(uuid.uuid4())
    _job_sequence(database_url, run_id, monkeypatch)
    capsys.readouterr()
    otlp.stop()
    try:
        assert _job(JobRole.REPORT) == 4
        failed = JobResult.parse(capsys.readouterr().out)
        assert failed.failure is not None
        assert failed.failure.reason is Reason.TELEMETRY_UNAVAILABLE
    finally:
        otlp.start()
    with psycopg.connect(database_url) as conn:
        status, reason, code = conn.execute(
            "SELECT status, reason, exit_code FROM seeding.runs"
        ).fetchone()  # type: ignore[misc]
        reports = conn.execute(
            "SELECT count(*) FROM seeding.reports_index WHERE verified"
        ).fetchone()
    assert (status, reason, code) == ("failed", "TelemetryUnavailable", 4)
    assert reports == (0,)


def test_collector_down_after_the_last_batch_of_a_run_leaves_no_verified_report(
    database_url, otlp, tmp_path: Path
):
    """The in-process run: the receiver stops as the last batch lands, before the report."""
    spec = load_profile_spec(load_yaml(DEV_A)["spec"])
    settings = Settings.from_env()
    evidence = Evidence(LocalWorm(tmp_path, "dev"), LocalSigner(tmp_path / "keys", "dev"))

    def stop_at_the_end(outcome: Any, done: int, total: int) -> None:
        if done == total:
            otlp.stop()

    telemetry.configure(dev_isolated=False, env={"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint})
    try:
        with pytest.raises(DependencyUnavailableError) as failed:
            run_profile(
                spec,
                VaultSaltProvider(settings),
                RunOptions(database_url=database_url, requested_by="test"),
                evidence=evidence,
                progress=stop_at_the_end,
            )
        assert failed.value.reason is Reason.TELEMETRY_UNAVAILABLE
    finally:
        otlp.start()
        with contextlib.suppress(DependencyUnavailableError):  # it did lose spans
            telemetry.shutdown()
    with psycopg.connect(database_url) as conn:
        status, reason = conn.execute("SELECT status, reason FROM seeding.runs").fetchone()  # type: ignore[misc]
        reports = conn.execute("SELECT count(*) FROM seeding.reports_index").fetchone()
    assert (status, reason) == ("failed", "TelemetryUnavailable")
    assert reports == (0,)
    assert table_counts(database_url)["bank.customers"] == 100  # the batches themselves stay
