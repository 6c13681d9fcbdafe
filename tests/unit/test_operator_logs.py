"""The operator's log lines keep phases, names and endpoints readable through the redacting
handler (they are not PII), while anything else stays redacted."""

from __future__ import annotations

import contextvars
import io
import json
import logging

import pytest

from seed_operator import telemetry
from seed_operator.logs import log_phase_change
from seedlib.observability.logs import configure_logging

UID = "1f6c7a1e-2b1d-4c3e-9a8b-7c6d5e4f3a2b"
BODY = {
    "metadata": {"name": "tenant-a-dev-nightly", "namespace": "seeding", "uid": UID},
    "status": {"tenant": "tenant-a", "phase": "Queued"},
}


@pytest.fixture
def lines():
    stream = io.StringIO()
    configure_logging("INFO", stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    configure_logging("INFO")  # back to stderr
    logging.getLogger().setLevel(logging.WARNING)


def test_a_phase_change_names_the_phases_the_run_and_its_namespace(lines):
    # a fresh context, as the operator's worker threads have: no ids bound by an earlier test
    contextvars.Context().run(log_phase_change, BODY, "Queued", "Failed", "QueueTimeout")
    (line,) = [entry for entry in lines() if entry["logger"] == "seed_operator"]
    assert line["event"] == "SeedRun phase Queued -> Failed"
    assert line["seed_run_name"] == "tenant-a-dev-nightly"
    assert line["namespace"] == "seeding"
    assert (line["phase"], line["reason"]) == ("Failed", "QueueTimeout")
    assert (line["seed_run_id"], line["tenant_id"]) == (UID, "tenant-a")
    assert "[redacted]" not in json.dumps(line)


def test_a_first_phase_reads_from_pending(lines):
    log_phase_change(BODY, None, "Running", None)
    (line,) = [entry for entry in lines() if entry["logger"] == "seed_operator"]
    assert line["event"] == "SeedRun phase Pending -> Running"


def test_the_otlp_endpoint_is_readable(lines):
    try:
        telemetry.configure_tracing({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel.monitoring:4318"})
    finally:
        telemetry.shutdown_tracing()
    (line,) = [entry for entry in lines() if entry["logger"] == "seed_operator.telemetry"]
    assert line["endpoint"] == "http://otel.monitoring:4318"
