"""The operator's side of a SeedRun's trace: its ``seed.run`` span and the fields of its log lines.
Pure.

The ids come from ``seedlib.contract.tracecontext`` (derived from the SeedRun's uid alone, and the
W3C header every Job gets as ``TRACEPARENT``), so the Jobs' ``seed.batch`` spans are children of a
span the operator emits only when the run finishes (with those same ids), and an operator
restarted mid-run hands out the same parent.

This module computes the span's attributes and timing; ``seed_operator.telemetry`` exports it.
It must not import OpenTelemetry, kopf or a Kubernetes client (import-linter checks it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seed_operator.conditions import parse_timestamp
from seedlib.contract.tracecontext import (
    RUN_SPAN,
    VALIDATE_SPAN,
    run_span_id,
    run_trace_id,
    run_traceparent,
)

__all__ = [
    "RUN_SPAN",
    "VALIDATE_SPAN",
    "RunSpan",
    "finished_run_span",
    "log_fields",
    "run_attributes",
    "run_span_id",
    "run_trace_id",
    "run_traceparent",
]

AttributeValue = str | bool | int


def run_attributes(
    uid: str,
    *,
    tenant: str | None,
    environment: str | None,
    manifest_version: str | None,
    mode: str | None,
    dry_run: bool,
) -> dict[str, AttributeValue]:
    """The attributes every span of a run carries (shared/DESIGN.md "Telemetry"); unknown ones
    (a run whose profile never resolved) are left out rather than sent empty."""
    attributes: dict[str, AttributeValue] = {"seed_run_id": uid, "dry_run": dry_run}
    for key, value in (
        ("tenant_id", tenant),
        ("environment", environment),
        ("manifest_version", manifest_version),
        ("mode", mode),
    ):
        if value:
            attributes[key] = value
    return attributes


@dataclass(frozen=True, slots=True)
class RunSpan:
    """The ``seed.run`` span of a finished run, ready to export."""

    trace_id: str
    span_id: str
    start: dt.datetime
    end: dt.datetime
    attributes: Mapping[str, AttributeValue]
    error: str | None
    """None when the run succeeded; else the span's error description (phase and reason)."""


def finished_run_span(
    uid: str,
    created_at: dt.datetime,
    status: Mapping[str, Any],
    *,
    dry_run: bool,
    manifest_version: str | None,
    now: dt.datetime,
) -> RunSpan:
    """The span of a run whose ``status`` is final: from ``startedAt`` (its creation when it
    never started: a run failed at validation or in the queue) to ``finishedAt``."""
    start = parse_timestamp(status.get("startedAt")) or created_at
    end = max(parse_timestamp(status.get("finishedAt")) or now, start)
    attributes = run_attributes(
        uid,
        tenant=status.get("tenant"),
        environment=status.get("environment"),
        manifest_version=manifest_version,
        mode=status.get("mode"),
        dry_run=dry_run,
    )
    phase = str(status.get("phase", ""))
    attributes["seed.run.phase"] = phase
    if status.get("exitCode") is not None:
        attributes["seed.run.exit_code"] = int(status["exitCode"])
    error = None
    if phase != "Succeeded":
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
        reason = (ready or {}).get("reason", "")
        error = f"{phase}: {reason}" if reason else phase
    return RunSpan(run_trace_id(uid), run_span_id(uid), start, end, attributes, error)


def log_fields(
    uid: str,
    tenant: str | None = None,
    *,
    name: str | None = None,
    namespace: str | None = None,
) -> dict[str, str]:
    """The ``extra=`` of an operator log record about a run: ids (tenant_id, seed_run_id,
    trace_id) and, when given, the SeedRun's name and namespace. The log pipeline emits each under
    its allow-listed key once its value has the shape of such an id or name (no PII: a value
    shaped like a document or an e-mail is still redacted)."""
    fields = {"tenant_id": tenant or "", "seed_run_id": uid, "trace_id": run_trace_id(uid)}
    if name:
        fields["seed_run_name"] = name
    if namespace:
        fields["namespace"] = namespace
    return fields
