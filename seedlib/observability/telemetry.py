"""OpenTelemetry for seedctl: the module-level face the runs, preflight and publishing use.

Export is OTLP over HTTP/protobuf to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``/v1/traces``,
``/v1/metrics``), service name ``OTEL_SERVICE_NAME`` (default ``seedctl``). A W3C ``TRACEPARENT``
in the environment (the operator's ``seed.run`` span) is the parent of every span of the process.

Fail-closed: a run's telemetry is evidence. ``check_export`` (preflight) probes the collector;
``flush`` pushes what is buffered and raises ``TelemetryUnavailable`` (exit 4) when any export of
this process failed, or when no endpoint is configured outside dev-isolated mode. In dev-isolated
mode without an endpoint, spans and metrics go to ``<local dir>/telemetry/*.jsonl`` instead.

One command configures its telemetry once (``configure``); before that (library use: factories,
benchmarks, tests calling the runner directly) every function here is a cheap no-op.

Span attributes are the run's identity only (tenant_id, environment, seed_run_id,
manifest_version, mode, dry_run) plus counts and table names: never a row value.

The parts: ``seedlib.contract.tracecontext`` (the W3C header, pure), ``_export`` (exporters that
remember a failure), ``_instruments`` (the metrics), ``_command`` (the ``Telemetry`` of one
command). Importable by the operator: no CLI, database or Kubernetes imports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from opentelemetry import trace
from opentelemetry.trace import Span

from seedlib.contract.tracecontext import (
    RUN_ATTRIBUTE_KEYS,
    RUN_SPAN,
    TRACEPARENT_ENV,
    TraceParent,
    format_traceparent,
    parse_traceparent,
)
from seedlib.observability._command import (
    ENDPOINT_ENV,
    SERVICE_ENV,
    Telemetry,
    current_ids,
    mark_failed,
)

__all__ = [
    "ATTRIBUTE_KEYS",
    "ENDPOINT_ENV",
    "RUN_SPAN",
    "SERVICE_ENV",
    "TRACEPARENT_ENV",
    "Span",
    "Telemetry",
    "TraceParent",
    "active",
    "attributes",
    "bind",
    "check_export",
    "configure",
    "current_ids",
    "current_span",
    "flush",
    "format_traceparent",
    "mark_failed",
    "parse_traceparent",
    "record_batch",
    "record_run_duration",
    "run_ids",
    "set_budget_remaining",
    "set_rate_limit_remaining",
    "shutdown",
    "span",
    "span_under",
    "start_span",
]

ATTRIBUTE_KEYS: Final = RUN_ATTRIBUTE_KEYS
"""The identity every span of a run carries (issue #7); nothing else identifies a run."""

_current: Telemetry | None = None
_noop = trace.NoOpTracer()


def configure(
    *,
    dev_isolated: bool,
    console_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Telemetry:
    """Telemetry for one command (replacing an earlier one of this process, which is closed)."""
    global _current  # noqa: PLW0603 (one configured telemetry per process: the command's)
    if _current is not None:
        _current.close()
    _current = Telemetry(dev_isolated=dev_isolated, console_dir=console_dir, env=env)
    return _current


def active() -> Telemetry | None:
    return _current


def bind(**attributes: str | bool | None) -> None:
    if _current is not None:
        _current.bind(**attributes)


def attributes() -> dict[str, str | bool]:
    return _current.attributes() if _current is not None else {}


@contextmanager
def span(name: str, **attrs: str | int | float | bool) -> Iterator[Span]:
    if _current is None:
        with _noop.start_as_current_span(name) as quiet:
            yield quiet
        return
    with _current.span(name, attrs) as current:
        yield current


@contextmanager
def span_under(parent: Span, name: str, **attrs: str | int | float | bool) -> Iterator[Span]:
    """A span whose parent is ``parent`` rather than this thread's current span."""
    if _current is None:
        with _noop.start_as_current_span(name) as quiet:
            yield quiet
        return
    with _current.span(name, attrs, parent) as current:
        yield current


def current_span() -> Span:
    return trace.get_current_span()


def start_span(name: str, parent: Span | None = None, **attrs: str | int | float | bool) -> Span:
    if _current is None:
        return _noop.start_span(name)
    return _current.start_span(name, parent, **attrs)


def run_ids() -> tuple[str, str] | None:
    return _current.run_ids() if _current is not None else None


def check_export() -> str:
    if _current is None:
        return "telemetry not configured (library use)"
    return _current.check_export()


def flush() -> None:
    if _current is not None:
        _current.flush()


def shutdown() -> None:
    """Flush, then close; raises ``TelemetryUnavailable`` like ``flush`` (closed either way)."""
    global _current
    current, _current = _current, None
    if current is None:
        return
    try:
        current.flush()
    finally:
        current.close()


def record_batch(latency_ms: float, table: str, rows: int, written: bool) -> None:
    if _current is None:
        return
    labels = _current.metric_attributes(table=table)
    _current.instruments.batch_latency.record(latency_ms, labels)
    if written:
        _current.instruments.rows_written.add(rows, labels)


def record_run_duration(milliseconds: float) -> None:
    if _current is not None:
        _current.instruments.run_duration.record(milliseconds, _current.metric_attributes())


def set_rate_limit_remaining(remaining: int) -> None:
    if _current is not None:
        _current.instruments.rate_limit_remaining.set(remaining, _current.metric_attributes())


def set_budget_remaining(brl: float) -> None:
    if _current is not None:
        _current.instruments.budget_remaining.set(brl, _current.metric_attributes())
