"""Telemetry of a whole SeedRun on the cluster tier: the operator's ``seed.run`` span and the Jobs'
spans form one trace in a real OTLP/HTTP receiver, and no generated PII value appears in any
captured log line, Event, SeedRun status or span attribute."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

from tests.chart.test_chart_render import DASHBOARD_METRICS
from tests.cluster.test_operator import (  # the happy path's fixtures and helpers
    OPERATOR_LOG,
    apply_profile_and_run,
    kubelet,  # noqa: F401 (a fixture)
    runner_env,  # noqa: F401 (a fixture)
    start_operator,  # noqa: F401 (a fixture)
    wait_for_phase,
)
from tests.postgres.test_telemetry_pii import pii_values

RUN = "tenant-a-dev-run"
ATTRIBUTES = {"tenant_id", "environment", "seed_run_id", "manifest_version", "mode", "dry_run"}


def test_one_trace_from_the_operator_to_every_job_and_no_pii_anywhere(
    control_plane,
    namespace,
    otlp,
    database_url,
    runner_env,  # noqa: F811 (a fixture)
    kubelet,  # noqa: F811 (a fixture)
    start_operator,  # noqa: F811 (a fixture)
):
    otlp.clear()
    operator = start_operator(OTEL_EXPORTER_OTLP_ENDPOINT=otlp.endpoint)
    apply_profile_and_run(control_plane, namespace)
    body = wait_for_phase(control_plane, namespace, RUN, {"Succeeded", "Failed"}, timeout=240)
    assert body["status"]["phase"] == "Succeeded", body["status"]
    uid = body["metadata"]["uid"]
    trace_id = uid.replace("-", "")
    operator.send_signal(signal.SIGTERM)  # its shutdown flushes the spans still batched
    operator.wait(timeout=30)

    deadline = time.monotonic() + 30
    while not otlp.spans("seed.run") and time.monotonic() < deadline:
        time.sleep(0.5)
    (run_span,) = [s for s in otlp.spans("seed.run") if s.trace_id == trace_id]
    assert run_span.resource.get("service.name") == "seed-operator"
    batches = [s for s in otlp.spans("seed.batch") if s.trace_id == trace_id]
    assert len(batches) == body["status"]["batches"]["total"]
    assert {s.parent_span_id for s in batches} == {run_span.span_id}
    by_id = {s.span_id: s for s in otlp.spans() if s.trace_id == trace_id}
    for name in ("seed.preflight", "seed.report.publish"):
        (span,) = [s for s in by_id.values() if s.name == name]
        assert span.parent_span_id == run_span.span_id
    copies = [s for s in by_id.values() if s.name == "seed.copy"]
    assert copies and all(by_id[s.parent_span_id].name == "seed.batch" for s in copies)
    for span in [run_span, *batches]:
        assert span.attributes.keys() >= ATTRIBUTES, span
        assert span.attributes["seed_run_id"] == uid and span.attributes["dry_run"] is False
        assert span.attributes["tenant_id"] == "tenant-a"

    # The Jobs' metrics the Grafana dashboard queries arrived (the operator's are served on
    # /metrics: test_operator_metrics.py).
    job_metrics = {m for m in DASHBOARD_METRICS if not m.startswith("seed_operator_")}
    assert job_metrics <= otlp.metric_names(), (job_metrics, otlp.metric_names())

    # No PII in anything an SRE or an auditor can read: operator and Job logs, Events, the
    # SeedRun's status, every span attribute.
    secrets = pii_values(database_url)
    assert len(secrets) > 500
    haystacks: dict[str, str] = {
        "operator log": OPERATOR_LOG[0].read_text(errors="replace"),
        "events": control_plane.kubectl("get", "events", "-n", namespace, "-o", "json").stdout,
        "seedrun": control_plane.kubectl(
            "get", "seedrun", RUN, "-n", namespace, "-o", "json"
        ).stdout,
        "spans": json.dumps([s.attributes for s in otlp.spans()], default=str),
    }
    for run in kubelet.runs:
        haystacks[f"job {run.pod}"] = run.log.read_text(errors="replace") + (
            run.termination_message or ""
        )
    leaks: dict[str, Any] = {
        where: sorted(v for v in secrets if v in text)[:5] for where, text in haystacks.items()
    }
    assert not any(leaks.values()), leaks
    json_lines = [
        json.loads(line) for line in haystacks["operator log"].splitlines() if line.startswith("{")
    ]
    assert json_lines and all(line["pii_redacted"] is True for line in json_lines)
    assert any(line.get("seed_run_id") == uid for line in json_lines)
