"""The operator's observability without a cluster: the trace context derived from a SeedRun's
uid, the TRACEPARENT of every Job, the ``seed.run`` span emitted at the end (the SDK's in-memory
exporter), and the Prometheus metrics after simulated passes and events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from seed_operator.jobs import JobState, JobView, batch_outcome
from seed_operator.leases import lease_body
from seed_operator.metrics import OperatorMetrics
from seed_operator.reconcile import Observed, Plan, decide, leases_held_after
from seed_operator.settings import OperatorSettings
from seed_operator.telemetry import PinnedIdGenerator, RunTracer
from seed_operator.tracecontext import (
    finished_run_span,
    log_fields,
    run_attributes,
    run_span_id,
    run_trace_id,
    run_traceparent,
)
from seedlib.contract.job import JobRole, RunOutcome
from seedlib.contract.seedrun import SeedRunSpec
from seedlib.contract.tracecontext import RUN_ATTRIBUTE_KEYS
from seedlib.observability.logs import configure_json_logging
from tests.operator_support import RUN_ID, batch_line, preflight_line, report_line
from tests.support import spec_of

SETTINGS = OperatorSettings(batch_rows=500, global_cap=2)
DEV = spec_of("dev/tenant-a")
T0 = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)
UID = "1f6c7a1e-2b1d-4c3e-9a8b-7c6d5e4f3a2b"
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")


# -- the trace context of a run --------------------------------------------------------------


def test_the_trace_id_is_the_uid_and_the_span_id_a_digest_of_it():
    assert run_trace_id(UID) == "1f6c7a1e2b1d4c3e9a8b7c6d5e4f3a2b"
    assert run_span_id(UID) == hashlib.sha256(UID.encode()).hexdigest()[:16]
    assert run_traceparent(UID) == f"00-1f6c7a1e2b1d4c3e9a8b7c6d5e4f3a2b-{run_span_id(UID)}-01"
    # An uppercase rendering of the same uid is the same trace.
    assert run_trace_id(UID.upper()) == run_trace_id(UID)


@given(st.uuids())
def test_every_uid_gives_a_valid_stable_traceparent(uid: uuid.UUID):
    parent = run_traceparent(str(uid))
    match = TRACEPARENT.match(parent)
    assert match is not None
    assert int(match[1], 16) != 0 and int(match[2], 16) != 0  # W3C: all-zero ids are invalid
    assert parent == run_traceparent(str(uid))  # a restarted operator hands out the same parent


@given(st.text(min_size=1, max_size=60))
def test_a_uid_that_is_no_uuid_still_gives_a_valid_trace_id(uid: str):
    match = TRACEPARENT.match(run_traceparent(uid))
    assert match is not None and int(match[1], 16) != 0


def test_the_operators_run_attributes_are_the_contracts_keys():
    """The seed.run span the operator emits and the Jobs' spans carry the same identity."""
    attributes = run_attributes(
        UID, tenant="t", environment="dev", manifest_version="1", mode="baseline", dry_run=False
    )
    assert set(attributes) == set(RUN_ATTRIBUTE_KEYS)


def test_distinct_runs_have_distinct_traces():
    other = str(uuid.uuid4())
    assert run_trace_id(other) != run_trace_id(UID)
    assert run_span_id(other) != run_span_id(UID)


def test_log_fields_name_the_run_and_its_trace():
    assert log_fields(UID, "tenant-a") == {
        "tenant_id": "tenant-a",
        "seed_run_id": UID,
        "trace_id": "1f6c7a1e2b1d4c3e9a8b7c6d5e4f3a2b",
    }


# -- the Jobs of a run carry its traceparent -------------------------------------------------


def observed(**run_spec: Any) -> Observed:
    spec = SeedRunSpec.model_validate(
        {"profileRef": {"name": "tenant-a-dev"}, "requestedBy": "qa", **run_spec}
    )
    return Observed(
        name="run-1",
        namespace="seeding",
        uid=RUN_ID,
        generation=1,
        created_at=T0,
        spec=spec,
        status={},
        profile=DEV,
    )


def carried_out(seen: Observed, plan: Plan, finished: JobState | None) -> Observed:
    """The next observation: the plan's Leases written, its new Jobs created (and, when
    ``finished`` is given, already finished that way)."""
    leases = {body["metadata"]["name"]: body for body in plan.write_leases}
    tenant = next((n for n in leases if n.startswith("seed-tenant-")), None)
    jobs = dict(seen.jobs)
    for job in plan.create_jobs:
        name = job["metadata"]["name"]
        role = job["metadata"]["labels"]["seeding.iabank.io/role"]
        lines = {
            "preflight": preflight_line(),
            "report": report_line(),
            "cancel-report": report_line(JobRole.CANCEL_REPORT, RunOutcome.CANCELLED),
        }
        jobs[name] = JobView(name, finished or JobState.ACTIVE, lines.get(role, batch_line()))
    return dataclasses.replace(
        seen,
        status=plan.status,
        tenant_lease=leases.get(tenant, seen.tenant_lease) if tenant else seen.tenant_lease,
        slot_leases={
            **seen.slot_leases,
            **{n: b for n, b in leases.items() if n.startswith("seed-slot-")},
        },
        jobs=jobs,
    )


def run_to_the_end(seen: Observed) -> tuple[list[dict[str, Any]], list[tuple[Plan, Observed]]]:
    """Every Job a run creates until it is finished, and each (plan, observation it came from)."""
    created: list[dict[str, Any]] = []
    passes: list[tuple[Plan, Observed]] = []
    for _ in range(100):
        plan = decide(seen, SETTINGS, T0)
        passes.append((plan, seen))
        created.extend(plan.create_jobs)
        if plan.status["phase"] in ("Succeeded", "Failed", "Cancelled"):
            return created, passes
        seen = carried_out(seen, plan, JobState.SUCCEEDED)
    pytest.fail("the run never finished")


def _traceparent(job: dict[str, Any]) -> str | None:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return next((e["value"] for e in container["env"] if e["name"] == "TRACEPARENT"), None)


def test_every_job_of_a_run_carries_the_runs_traceparent():
    created, passes = run_to_the_end(observed())
    assert passes[-1][0].status["phase"] == "Succeeded"
    roles = {j["metadata"]["labels"]["seeding.iabank.io/role"] for j in created}
    assert roles == {"preflight", "batch", "report"}
    assert {_traceparent(job) for job in created} == {run_traceparent(UID)}

    dry, _ = run_to_the_end(observed(dryRun=True))
    assert [_traceparent(job) for job in dry] == [run_traceparent(UID)]


def test_the_cancel_report_job_carries_it_too():
    seen = observed()
    plan = decide(seen, SETTINGS, T0)  # Leases + preflight
    seen = carried_out(seen, plan, JobState.SUCCEEDED)
    cancelled = dataclasses.replace(seen, spec=seen.spec.model_copy(update={"cancel": True}))
    plan = decide(cancelled, SETTINGS, T0)
    assert [j["metadata"]["labels"]["seeding.iabank.io/role"] for j in plan.create_jobs] == [
        "cancel-report"
    ]
    assert _traceparent(plan.create_jobs[0]) == run_traceparent(UID)


def test_leases_held_after_each_pass():
    seen = observed()
    first = decide(seen, SETTINGS, T0)
    assert leases_held_after(seen, first, T0) == 2  # tenant Lease + one slot
    assert leases_held_after(seen, None, T0) == 0  # the writes lost a race: nothing changed
    _, passes = run_to_the_end(observed())
    middle_plan, middle_seen = passes[len(passes) // 2]
    assert leases_held_after(middle_seen, middle_plan, T0) == 2
    last_plan, last_seen = passes[-1]
    assert leases_held_after(last_seen, None, T0) == 2  # held until the last pass...
    assert leases_held_after(last_seen, last_plan, T0) == 0  # ...which releases them
    someone_else = lease_body(
        "seed-slot-dev-1", "seeding", holder="other", duration_seconds=60, now=T0, previous=None
    )
    with_other = dataclasses.replace(
        last_seen, slot_leases={**last_seen.slot_leases, "seed-slot-dev-1": someone_else}
    )
    assert leases_held_after(with_other, None, T0) == 2  # another run's Lease is not ours


# -- the seed.run span -------------------------------------------------------------------------


@pytest.fixture
def spans() -> tuple[RunTracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=PinnedIdGenerator(), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return RunTracer(provider), exporter


def finished_status(phase: str = "Succeeded", reason: str = "Succeeded") -> dict[str, Any]:
    return {
        "phase": phase,
        "tenant": "tenant-a",
        "environment": "dev",
        "mode": "baseline",
        "startedAt": "2025-01-01T03:00:05Z",
        "finishedAt": "2025-01-01T03:02:00Z",
        "exitCode": 0 if phase == "Succeeded" else 3,
        "conditions": [{"type": "Ready", "status": "True", "reason": reason}],
    }


def test_the_run_span_is_emitted_at_the_end_with_the_ids_the_jobs_were_given(spans):
    tracer, exporter = spans
    run = finished_run_span(
        UID, T0, finished_status(), dry_run=False, manifest_version="1.0.0", now=T0
    )
    assert tracer.emit_run_span(run) is True
    assert tracer.emit_run_span(run) is False  # a second pass that saw the end emits nothing
    (span,) = exporter.get_finished_spans()
    assert span.name == "seed.run" and span.parent is None
    context = span.get_span_context()
    assert f"{context.trace_id:032x}" == run_trace_id(UID)
    assert f"{context.span_id:016x}" == run_span_id(UID)
    assert dict(span.attributes or {}) == {
        "tenant_id": "tenant-a",
        "environment": "dev",
        "seed_run_id": UID,
        "manifest_version": "1.0.0",
        "mode": "baseline",
        "dry_run": False,
        "seed.run.phase": "Succeeded",
        "seed.run.exit_code": 0,
    }
    assert span.status.status_code is StatusCode.OK
    started = dt.datetime(2025, 1, 1, 3, 0, 5, tzinfo=dt.UTC)
    assert span.start_time == int(started.timestamp()) * 1_000_000_000
    assert span.end_time - span.start_time == 115 * 1_000_000_000

    # What a Job does with its TRACEPARENT: its spans are children of this very span.
    parent = TraceContextTextMapPropagator().extract({"traceparent": run_traceparent(UID)})
    child_tracer = TracerProvider(shutdown_on_exit=False).get_tracer("job")
    with child_tracer.start_as_current_span("seed.batch", context=parent) as child:
        assert child.parent is not None
        assert child.parent.span_id == context.span_id
        assert child.get_span_context().trace_id == context.trace_id


def test_a_failed_run_span_is_an_error_with_its_reason_and_the_ids_are_random_otherwise(spans):
    tracer, exporter = spans
    status = finished_status("Failed", "QueueTimeout")
    del status["startedAt"]  # never left the queue: the span starts at the run's creation
    run = finished_run_span(UID, T0, status, dry_run=True, manifest_version=None, now=T0)
    tracer.emit_run_span(run)
    with tracer.validation_span(run_trace_id(UID), run_span_id(UID), {"seed_run_id": UID}):
        pass
    with tracer.provider.get_tracer("other").start_as_current_span("unrelated"):
        pass
    failed, validate, unrelated = exporter.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "Failed: QueueTimeout"
    assert failed.start_time == int(T0.timestamp()) * 1_000_000_000
    assert failed.attributes is not None and failed.attributes["dry_run"] is True
    assert "manifest_version" not in failed.attributes
    # seed.manifest.validate is a child of seed.run (emitted later, same ids).
    assert validate.name == "seed.manifest.validate"
    assert validate.parent is not None and validate.parent.span_id == int(run_span_id(UID), 16)
    assert validate.get_span_context().trace_id == int(run_trace_id(UID), 16)
    # Outside a run's span the ids are the SDK's random ones.
    assert unrelated.get_span_context().trace_id != int(run_trace_id(UID), 16)
    assert unrelated.get_span_context().span_id != int(run_span_id(UID), 16)


def test_the_tracer_needs_the_pinning_id_generator():
    with pytest.raises(TypeError):
        RunTracer(TracerProvider(shutdown_on_exit=False))


# -- Prometheus metrics ----------------------------------------------------------------------


def sample(metrics: OperatorMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_the_phase_gauge_moves_with_the_runs():
    metrics = OperatorMetrics()
    metrics.run_seen("a", None, None)  # just created: Pending, environment not known yet
    assert sample(metrics, "seed_operator_seedruns", phase="Pending", environment="unknown") == 1
    metrics.run_seen("a", "Running", "dev")
    metrics.run_seen("b", "Queued", "dev")
    metrics.run_seen("c", "Queued", "perf")
    assert sample(metrics, "seed_operator_seedruns", phase="Running", environment="dev") == 1
    assert sample(metrics, "seed_operator_seedruns", phase="Pending", environment="unknown") == 0
    assert sample(metrics, "seed_operator_queue_depth", environment="dev") == 1
    assert sample(metrics, "seed_operator_queue_depth", environment="perf") == 1
    metrics.run_seen("a", "Succeeded", "dev")
    metrics.run_seen("b", "Running", "dev")
    assert sample(metrics, "seed_operator_seedruns", phase="Succeeded", environment="dev") == 1
    assert sample(metrics, "seed_operator_seedruns", phase="Running", environment="dev") == 1
    assert sample(metrics, "seed_operator_queue_depth", environment="dev") == 0
    metrics.run_gone("b")
    # Zeros stay exported: a dashboard sees Running drop to 0, not a series vanish.
    assert sample(metrics, "seed_operator_seedruns", phase="Running", environment="dev") == 0
    assert sample(metrics, "seed_operator_seedruns", phase="Cancelled", environment="perf") == 0


def test_leases_held_by_environment():
    metrics = OperatorMetrics()
    metrics.leases_held("a", "dev", 2)
    metrics.leases_held("b", "dev", 2)
    metrics.leases_held("c", "perf", 1)
    assert sample(metrics, "seed_operator_leases_held", environment="dev") == 4
    metrics.leases_held("a", "dev", 0)
    metrics.run_gone("c")
    assert sample(metrics, "seed_operator_leases_held", environment="dev") == 2
    assert sample(metrics, "seed_operator_leases_held", environment="perf") == 0


def job(name: str, role: str = "batch", condition: str | None = None) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "labels": {"seeding.iabank.io/role": role},
        },
        "status": {"conditions": [{"type": condition, "status": "True"}] if condition else []},
    }


def test_batch_outcomes_count_each_job_once():
    metrics = OperatorMetrics()
    assert sample(metrics, "seed_operator_batch_outcomes_total", outcome="succeeded") == 0
    events = [
        ("ADDED", job("b1")),
        ("MODIFIED", job("b1", condition="Complete")),
        ("MODIFIED", job("b1", condition="Complete")),  # a later update of the finished Job
        ("MODIFIED", job("b2", condition="Failed")),
        ("MODIFIED", job("pre", role="preflight", condition="Complete")),  # not a batch
        ("DELETED", job("b1", condition="Complete")),
    ]
    for kind, body in events:
        metrics.batch_job_seen(
            body["metadata"]["uid"], batch_outcome(body), deleted=kind == "DELETED"
        )
    assert sample(metrics, "seed_operator_batch_outcomes_total", outcome="succeeded") == 1
    assert sample(metrics, "seed_operator_batch_outcomes_total", outcome="failed") == 1


def test_batch_outcome_of_a_job():
    assert batch_outcome(job("b")) is None
    assert batch_outcome(job("b", condition="Complete")) == "succeeded"
    assert batch_outcome(job("b", condition="Failed")) == "failed"
    assert batch_outcome(job("r", role="report", condition="Complete")) is None


def test_reconcile_histogram_and_the_exposition_text():
    from prometheus_client import generate_latest

    metrics = OperatorMetrics()
    for seconds in (0.02, 0.3, 4.0):
        metrics.reconcile_seconds.observe(seconds)
    assert sample(metrics, "seed_operator_reconcile_seconds_count") == 3
    assert sample(metrics, "seed_operator_reconcile_seconds_bucket", le="0.5") == 2
    metrics.run_seen("a", "Running", "dev")
    text = generate_latest(metrics.registry).decode()
    assert 'seed_operator_seedruns{environment="dev",phase="Running"} 1.0' in text
    assert "# TYPE seed_operator_batch_outcomes_total counter" in text


def test_without_an_endpoint_the_operator_exports_nothing_and_says_so(caplog):
    from seed_operator import telemetry

    with caplog.at_level("WARNING", logger="seed_operator.telemetry"):
        assert telemetry.configure_tracing({}) is None
    assert [
        r.getMessage() for r in caplog.records if "OTEL_EXPORTER_OTLP_ENDPOINT" in r.getMessage()
    ]
    run = finished_run_span(
        UID, T0, finished_status(), dry_run=False, manifest_version=None, now=T0
    )
    assert telemetry.emit_run_span(run) is False
    with telemetry.validation_span(run_trace_id(UID), run_span_id(UID), {}) as span:
        assert span is None


def test_with_an_endpoint_the_operator_exports_over_otlp_http():
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from seed_operator import telemetry

    tracer = telemetry.configure_tracing({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    try:
        assert tracer is not None
        assert tracer.provider.resource.attributes["service.name"] == "seed-operator"
        (processor,) = tracer.provider._active_span_processor._span_processors
        assert isinstance(processor._batch_processor._exporter, OTLPSpanExporter)
    finally:
        telemetry.shutdown_tracing()
        telemetry.shutdown_tracing()  # idempotent: kopf's cleanup and main() both call it
    assert (
        telemetry.emit_run_span(
            finished_run_span(
                UID, T0, finished_status(), dry_run=False, manifest_version=None, now=T0
            )
        )
        is False
    )


# -- the operator's log lines are readable and still redacted ----------------------------------


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_json_logging("INFO", stream)
    yield stream
    configure_json_logging("INFO")


def test_the_operator_logs_its_endpoint_and_a_runs_name_as_fields(json_lines):
    from seed_operator import telemetry

    telemetry.configure_tracing({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    telemetry.shutdown_tracing()
    fields = log_fields(UID, "tenant-a", name="run-1", namespace="seeding")
    logging.getLogger("seed_operator").info(
        "SeedRun phase changed", extra={**fields, "previous_phase": "Queued", "phase": "Running"}
    )
    exporting, phase = (json.loads(line) for line in json_lines.getvalue().splitlines())
    assert exporting["event"] == "exporting spans over OTLP/HTTP"
    assert (exporting["endpoint"], exporting["service"]) == ("http://127.0.0.1:9", "seed-operator")
    assert (phase["seed_run_name"], phase["namespace"]) == ("run-1", "seeding")
    assert (phase["previous_phase"], phase["phase"]) == ("Queued", "Running")
    assert (phase["seed_run_id"], phase["trace_id"]) == (UID, run_trace_id(UID))
    assert phase["tenant_id"] == "tenant-a"


def test_a_name_shaped_like_pii_is_redacted_in_the_operators_lines(json_lines):
    fields = log_fields(UID, "tenant-a", name="123.456.789-09", namespace="ana@example.com")
    logging.getLogger("seed_operator").info("SeedRun phase changed", extra=fields)
    (line,) = (json.loads(line) for line in json_lines.getvalue().splitlines())
    assert (line["seed_run_name"], line["namespace"]) == ("[redacted]", "[redacted]")
    assert "123.456" not in json_lines.getvalue() and "example.com" not in json_lines.getvalue()
