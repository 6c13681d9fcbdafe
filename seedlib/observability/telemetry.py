"""OpenTelemetry for seedctl: the ONE place that builds its tracer and meter providers.

Export is OTLP over HTTP/protobuf to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``/v1/traces``,
``/v1/metrics``), service name ``OTEL_SERVICE_NAME`` (default ``seedctl``). A W3C ``TRACEPARENT``
in the environment (the operator's ``seed.run`` span) is the parent of every span of the process.

Fail-closed: a run's telemetry is evidence. ``check_export`` (preflight) probes the collector;
``flush`` pushes what is buffered and raises ``TelemetryUnavailable`` (exit 4) when any export of
this process failed, or when no endpoint is configured outside dev-isolated mode. In dev-isolated
mode without an endpoint, spans and metrics go to ``<local dir>/telemetry/*.jsonl`` instead.

Providers are instances owned by a ``Telemetry`` object, never the OpenTelemetry globals: one
process (a test session) configures telemetry once per command. Before ``configure`` (library use:
factories, benchmarks, tests calling the runner directly) every function here is a cheap no-op.

Span attributes are the run's identity only (tenant_id, environment, seed_run_id,
manifest_version, mode, dry_run) plus counts and table names: never a row value.

Importable by the operator: no CLI, database or Kubernetes imports.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    Status,
    StatusCode,
    TraceFlags,
)

from seedlib.errors import DependencyUnavailableError, Reason, SeedError

__all__ = [
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

ENDPOINT_ENV: Final = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE_ENV: Final = "OTEL_SERVICE_NAME"
TIMEOUT_ENV: Final = "OTEL_EXPORTER_OTLP_TIMEOUT"
TRACEPARENT_ENV: Final = "TRACEPARENT"
DEFAULT_SERVICE: Final = "seedctl"
DEFAULT_TIMEOUT_SECONDS: Final = 5.0
RUN_SPAN: Final = "seed.run"
SCOPE: Final = "seedlib"

ATTRIBUTE_KEYS: Final = (
    "tenant_id",
    "environment",
    "seed_run_id",
    "manifest_version",
    "mode",
    "dry_run",
)
"""The identity every span of a run carries (issue #7); nothing else identifies a run."""


# -- W3C trace context ---------------------------------------------------------------------

_TRACEPARENT = re.compile(
    r"^(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-(?P<flags>[0-9a-f]{2})"
    r"(?P<rest>-.*)?$"
)


@dataclass(frozen=True, slots=True)
class TraceParent:
    """A parsed W3C ``traceparent``: the caller's trace id and the id of its span (our parent)."""

    trace_id: str
    span_id: str
    sampled: bool = True

    def header(self) -> str:
        return format_traceparent(self.trace_id, self.span_id, sampled=self.sampled)


def parse_traceparent(value: str | None) -> TraceParent | None:
    """The W3C Trace Context ``traceparent`` header, or ``None`` when it is absent or invalid.

    Version ``ff`` and all-zero ids are invalid; version ``00`` must have exactly four fields;
    a future version may append fields (W3C: parse what you know).
    """
    if not value:
        return None
    match = _TRACEPARENT.match(value.strip())
    if match is None:
        return None
    version, trace_id, span_id = match["version"], match["trace"], match["span"]
    if version == "ff" or (version == "00" and match["rest"]):
        return None
    if trace_id == "0" * 32 or span_id == "0" * 16:
        return None
    return TraceParent(trace_id, span_id, sampled=bool(int(match["flags"], 16) & 0x01))


def format_traceparent(trace_id: int | str, span_id: int | str, *, sampled: bool = True) -> str:
    """``00-<trace id>-<span id>-<flags>`` from ints (OpenTelemetry) or hex strings."""
    trace_hex = f"{trace_id:032x}" if isinstance(trace_id, int) else trace_id.lower()
    span_hex = f"{span_id:016x}" if isinstance(span_id, int) else span_id.lower()
    header = f"00-{trace_hex}-{span_hex}-{'01' if sampled else '00'}"
    if parse_traceparent(header) is None:
        raise ValueError(f"not a valid trace context: {header}")
    return header


def _ids_of(span: Span) -> tuple[str, str] | None:
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the span active in this thread, if any (for log lines)."""
    return _ids_of(trace.get_current_span())


# -- exporters that remember a failure -----------------------------------------------------


class _Failures:
    """What failed to export in this process: the SDK's processors swallow export results."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signals: list[str] = []

    def add(self, signal: str) -> None:
        with self._lock:
            if signal not in self._signals:
                self._signals.append(signal)

    def any(self) -> list[str]:
        with self._lock:
            return list(self._signals)


class _WatchedSpanExporter(SpanExporter):
    def __init__(self, inner: SpanExporter, failures: _Failures) -> None:
        self._inner, self._failures = inner, failures

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception:
            result = SpanExportResult.FAILURE
        if result is not SpanExportResult.SUCCESS:
            self._failures.add("traces")
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)


class _WatchedMetricExporter(MetricExporter):
    def __init__(self, inner: MetricExporter, failures: _Failures) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self._inner, self._failures = inner, failures

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        try:
            result = self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        except Exception:
            result = MetricExportResult.FAILURE
        if result is not MetricExportResult.SUCCESS:
            self._failures.add("metrics")
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis, **kwargs)


def _span_line(span: ReadableSpan) -> str:
    """One compact JSON line per span for the dev-isolated console file."""
    context = span.get_span_context()
    parent = span.parent
    return (
        json.dumps(
            {
                "name": span.name,
                "trace_id": f"{context.trace_id:032x}" if context else None,
                "span_id": f"{context.span_id:016x}" if context else None,
                "parent_span_id": f"{parent.span_id:016x}" if parent else None,
                "ms": round(((span.end_time or 0) - (span.start_time or 0)) / 1e6, 3),
                "status": span.status.status_code.name,
                "attributes": dict(span.attributes or {}),
            },
            separators=(",", ":"),
            default=str,
        )
        + "\n"
    )


# -- the configured telemetry of one command -----------------------------------------------


class Telemetry:
    """Providers, exporters, instruments and the run identity of one seedctl command."""

    def __init__(
        self,
        *,
        dev_isolated: bool,
        console_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.endpoint = (env.get(ENDPOINT_ENV) or "").strip().rstrip("/") or None
        self.dev_isolated = dev_isolated
        self.parent = parse_traceparent(env.get(TRACEPARENT_ENV))
        self.service = env.get(SERVICE_ENV) or DEFAULT_SERVICE
        self._failures = _Failures()
        self._attributes: dict[str, str | bool] = {}
        self._run_span: Span | None = None
        self._files: list[IO[str]] = []
        self.console_path: Path | None = None
        timeout = float(env.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_SECONDS)  # seconds, as the SDK
        resource = Resource.create({"service.name": self.service})
        span_exporter: SpanExporter | None = None
        metric_exporter: MetricExporter | None = None
        if self.endpoint:
            span_exporter = OTLPSpanExporter(endpoint=f"{self.endpoint}/v1/traces", timeout=timeout)
            metric_exporter = OTLPMetricExporter(
                endpoint=f"{self.endpoint}/v1/metrics", timeout=timeout
            )
        elif dev_isolated and console_dir is not None:
            folder = console_dir / "telemetry"
            folder.mkdir(parents=True, exist_ok=True)
            self.console_path = folder / "spans.jsonl"
            spans_file = self.console_path.open("a", encoding="utf-8")
            metrics_file = (folder / "metrics.jsonl").open("a", encoding="utf-8")
            self._files = [spans_file, metrics_file]
            span_exporter = ConsoleSpanExporter(out=spans_file, formatter=_span_line)
            metric_exporter = ConsoleMetricExporter(
                out=metrics_file, formatter=lambda data: data.to_json(indent=None) + "\n"
            )
        self._probe: SpanExporter | None = span_exporter
        self.tracer_provider = TracerProvider(resource=resource)
        if span_exporter is not None:
            self.tracer_provider.add_span_processor(
                BatchSpanProcessor(_WatchedSpanExporter(span_exporter, self._failures))
            )
        readers = []
        if metric_exporter is not None:
            # math.inf: no background thread; metrics leave at flush() (end of the command)
            readers.append(
                PeriodicExportingMetricReader(
                    _WatchedMetricExporter(metric_exporter, self._failures),
                    export_interval_millis=math.inf,
                )
            )
        self.meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        self.tracer = self.tracer_provider.get_tracer(SCOPE)
        meter = self.meter_provider.get_meter(SCOPE)
        self.run_duration = meter.create_histogram(
            "seed_run_duration_ms", unit="ms", description="duration of a seeding run"
        )
        self.batch_latency = meter.create_histogram(
            "seed_batch_latency_ms",
            unit="ms",
            description="generate + COPY + checkpoint of a batch",
        )
        self.rows_written = meter.create_counter(
            "seed_rows_written_total", unit="1", description="rows written by batches"
        )
        self.rate_limit_remaining = meter.create_gauge(
            "seed_rate_limit_remaining",
            unit="1",
            description="batches left in the profile's rate-limit window",
        )
        self.budget_remaining = meter.create_gauge(
            "seed_budget_remaining", unit="BRL", description="cost cap minus the estimated cost"
        )
        self._root_context = otel_context.get_current()
        if self.parent is not None:
            remote = SpanContext(
                trace_id=int(self.parent.trace_id, 16),
                span_id=int(self.parent.span_id, 16),
                is_remote=True,
                trace_flags=TraceFlags(0x01 if self.parent.sampled else 0x00),
            )
            self._root_context = trace.set_span_in_context(NonRecordingSpan(remote))
        self._token = otel_context.attach(self._root_context)

    # identity --------------------------------------------------------------------------

    def bind(self, **attributes: str | bool | None) -> None:
        for key, value in attributes.items():
            if key not in ATTRIBUTE_KEYS:
                raise ValueError(f"{key} is not a run attribute ({', '.join(ATTRIBUTE_KEYS)})")
            if value is not None:
                self._attributes[key] = value

    def attributes(self) -> dict[str, str | bool]:
        return dict(self._attributes)

    def metric_attributes(self, **more: str) -> dict[str, str]:
        base = {
            k: str(self._attributes[k])
            for k in ("tenant_id", "environment", "mode")
            if k in self._attributes
        }
        return base | more

    # spans -----------------------------------------------------------------------------

    def start_span(
        self, name: str, parent: Span | None = None, **attributes: str | int | float | bool
    ) -> Span:
        """A span that the caller ends (a batch generated in one thread and loaded in another)."""
        context = trace.set_span_in_context(parent) if parent is not None else None
        return self.tracer.start_span(
            name, context=context, attributes={**self._attributes, **attributes}
        )

    @contextmanager
    def span(
        self,
        name: str,
        attributes: Mapping[str, str | int | float | bool] | None = None,
        parent: Span | None = None,
    ) -> Iterator[Span]:
        started = time.perf_counter()
        with self.tracer.start_as_current_span(
            name,
            context=trace.set_span_in_context(parent) if parent is not None else None,
            attributes={**self._attributes, **(attributes or {})},
            record_exception=False,
            set_status_on_exception=False,
        ) as current:
            if name == RUN_SPAN:
                self._run_span = current
            try:
                yield current
            except BaseException as exc:
                mark_failed(current, exc)
                raise
            finally:
                if name == RUN_SPAN:
                    self.run_duration.record(
                        (time.perf_counter() - started) * 1000, self.metric_attributes()
                    )

    def run_ids(self) -> tuple[str, str] | None:
        """The ids a run's report carries: its ``seed.run`` span here, else the caller's
        (TRACEPARENT: the operator's ``seed.run``), else the span active now."""
        if self._run_span is not None:
            return _ids_of(self._run_span)
        if self.parent is not None:
            return self.parent.trace_id, self.parent.span_id
        return current_ids()

    # export ----------------------------------------------------------------------------

    def _unavailable(self, message: str) -> DependencyUnavailableError:
        return DependencyUnavailableError(
            Reason.TELEMETRY_UNAVAILABLE,
            message,
            hint=f"set {ENDPOINT_ENV} to a reachable OTLP/HTTP collector (e.g. http://otel-collector:4318)"
            + ("" if self.dev_isolated else "; only --dev-isolated runs may go without one"),
        )

    def check_export(self) -> str:
        """Probe the collector with an empty export (preflight); raise when it does not answer."""
        if self.endpoint is None:
            if self.dev_isolated:
                where = self.console_path or "nowhere"
                return f"no {ENDPOINT_ENV}: console export to {where} (dev-isolated)"
            raise self._unavailable(f"no OTLP endpoint configured ({ENDPOINT_ENV} is unset)")
        assert self._probe is not None
        if self._probe.export([]) is not SpanExportResult.SUCCESS:
            raise self._unavailable(
                f"the OTLP collector at {self.endpoint} did not accept an export"
            )
        return f"OTLP/HTTP collector at {self.endpoint} accepts exports"

    def flush(self) -> None:
        """Export everything buffered; raise ``TelemetryUnavailable`` if anything failed."""
        self.tracer_provider.force_flush()
        self.meter_provider.force_flush()
        if self.endpoint is None and not self.dev_isolated:
            raise self._unavailable(f"no OTLP endpoint configured ({ENDPOINT_ENV} is unset)")
        failed = self._failures.any()
        if failed:
            raise self._unavailable(
                f"{' and '.join(failed)} could not be exported to {self.endpoint}"
            )

    def close(self) -> None:
        """Stop the providers without exporting more (after flush, or on an earlier failure)."""
        otel_context.detach(self._token)
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        for handle in self._files:
            handle.close()


def mark_failed(span: Span, exc: BaseException) -> None:
    """Error status with the reason only: an exception message may quote a row."""
    if isinstance(exc, SeedError):
        span.set_status(Status(StatusCode.ERROR, exc.reason.value))
        span.set_attribute("reason", exc.reason.value)
        span.set_attribute("exit_code", int(exc.exit_code))
    else:
        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        span.set_attribute("error_type", type(exc).__name__)


# -- the module-level face seedlib uses ----------------------------------------------------

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
    _current.batch_latency.record(latency_ms, labels)
    if written:
        _current.rows_written.add(rows, labels)


def record_run_duration(milliseconds: float) -> None:
    if _current is not None:
        _current.run_duration.record(milliseconds, _current.metric_attributes())


def set_rate_limit_remaining(remaining: int) -> None:
    if _current is not None:
        _current.rate_limit_remaining.set(remaining, _current.metric_attributes())


def set_budget_remaining(brl: float) -> None:
    if _current is not None:
        _current.budget_remaining.set(brl, _current.metric_attributes())
