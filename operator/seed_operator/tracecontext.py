"""The W3C trace context of a SeedRun, derived from its uid alone, and its ``seed.run`` span. Pure.

A SeedRun lives across many reconcile passes and across operator restarts, so its trace context
cannot be a random id held in memory: the trace id is the SeedRun's uid (a UUID is 128 bits, the
size of a trace id) and the ``seed.run`` span id is the first 64 bits of sha256(uid). Every Job of
the run gets ``TRACEPARENT=00-<trace id>-<seed.run span id>-01``, so the Jobs' ``seed.batch`` spans
are children of a span the operator emits only when the run finishes (with those same ids), and an
operator restarted mid-run hands out the same parent.

This module computes ids, attributes and the span's timing; ``seed_operator.telemetry`` exports it.
It must not import OpenTelemetry, kopf or a Kubernetes client (import-linter checks it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from seed_operator.conditions import parse_timestamp

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

RUN_SPAN: Final = "seed.run"
VALIDATE_SPAN: Final = "seed.manifest.validate"
_HEX: Final = frozenset("0123456789abcdef")

AttributeValue = str | bool | int


def run_trace_id(uid: str) -> str:
    """32 lowercase hex digits: the uid without dashes (Kubernetes uids are UUIDs). Anything else
    (never from the API server, but a caller may pass one) is hashed into a valid id instead."""
    digits = uid.replace("-", "").lower()
    if len(digits) == 32 and set(digits) <= _HEX and int(digits, 16) != 0:
        return digits
    return hashlib.sha256(f"trace-id:{uid}".encode()).hexdigest()[:32]


def run_span_id(uid: str) -> str:
    """16 lowercase hex digits: the first 64 bits of sha256(uid) (the next 64 in the 2**-64 case
    where those are all zero, which W3C forbids)."""
    digest = hashlib.sha256(uid.encode()).hexdigest()
    return digest[:16] if int(digest[:16], 16) != 0 else digest[16:32]


def run_traceparent(uid: str) -> str:
    """The ``traceparent`` every Job of the run carries: version 00, sampled."""
    return f"00-{run_trace_id(uid)}-{run_span_id(uid)}-01"


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


def log_fields(uid: str, tenant: str | None = None) -> dict[str, str]:
    """The ``extra=`` of an operator log record about a run: the JSON log formatter turns these
    into the tenant_id, seed_run_id and trace_id fields (no PII: ids only)."""
    return {"tenant_id": tenant or "", "seed_run_id": uid, "trace_id": run_trace_id(uid)}
