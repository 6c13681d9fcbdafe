"""The configured telemetry of one seedctl command: its providers, its run identity, its spans and
its fail-closed export.

Providers are instances owned by a ``Telemetry`` object, never the OpenTelemetry globals: one
process (a test session) configures telemetry once per command. The W3C ``TRACEPARENT`` the
operator gives a Job is parsed by ``seedlib.contract.tracecontext`` and becomes the parent of
every span of the process.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.environment_variables import (
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TIMEOUT,
    OTEL_SERVICE_NAME,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.trace import Span, Status, StatusCode, format_span_id, format_trace_id
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from seedlib.contract.tracecontext import (
    RUN_ATTRIBUTE_KEYS,
    RUN_SPAN,
    TRACEPARENT_ENV,
    parse_traceparent,
)
from seedlib.errors import DependencyUnavailableError, Reason, SeedError
from seedlib.observability._export import Exporters, console_exporters, otlp_exporters
from seedlib.observability._instruments import Instruments

__all__ = [
    "ENDPOINT_ENV",
    "SERVICE_ENV",
    "TIMEOUT_ENV",
    "Telemetry",
    "current_ids",
    "ids_of",
    "mark_failed",
]

ENDPOINT_ENV: Final = OTEL_EXPORTER_OTLP_ENDPOINT
SERVICE_ENV: Final = OTEL_SERVICE_NAME
TIMEOUT_ENV: Final = OTEL_EXPORTER_OTLP_TIMEOUT
DEFAULT_SERVICE: Final = "seedctl"
DEFAULT_TIMEOUT_SECONDS: Final = 5.0
SCOPE: Final = "seedlib"
_METRIC_LABELS: Final = ("tenant_id", "environment", "mode")

Attribute = str | int | float | bool


def ids_of(span: Span) -> tuple[str, str] | None:
    """(trace id, span id) in hex, or None for an invalid (no-op) span."""
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return format_trace_id(context.trace_id), format_span_id(context.span_id)


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the span active in this thread, if any (for log lines)."""
    return ids_of(trace.get_current_span())


def mark_failed(span: Span, exc: BaseException) -> None:
    """Error status with the reason only: an exception message may quote a row."""
    if isinstance(exc, SeedError):
        span.set_status(Status(StatusCode.ERROR, exc.reason.value))
        span.set_attribute("reason", exc.reason.value)
        span.set_attribute("exit_code", int(exc.exit_code))
    else:
        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        span.set_attribute("error_type", type(exc).__name__)


def _exporters(
    endpoint: str | None, dev_isolated: bool, console_dir: Path | None, timeout: float
) -> Exporters:
    if endpoint:
        return otlp_exporters(endpoint, timeout)
    if dev_isolated and console_dir is not None:
        return console_exporters(console_dir)
    return Exporters()


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
        timeout = float(env.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_SECONDS)  # seconds, as the SDK
        self._exporters = _exporters(self.endpoint, dev_isolated, console_dir, timeout)
        self.console_path = self._exporters.console_path
        self._attributes: dict[str, str | bool] = {}
        self._run_span: Span | None = None
        resource = Resource.create({"service.name": self.service})
        self.tracer_provider = TracerProvider(resource=resource)
        spans = self._exporters.watched_spans()
        if spans is not None:
            self.tracer_provider.add_span_processor(BatchSpanProcessor(spans))
        readers: list[MetricReader] = []
        metrics = self._exporters.watched_metrics()
        if metrics is not None:
            # math.inf: no background thread; metrics leave at flush() (end of the command)
            readers.append(PeriodicExportingMetricReader(metrics, export_interval_millis=math.inf))
        self.meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        self.tracer = self.tracer_provider.get_tracer(SCOPE)
        self.instruments = Instruments.create(self.meter_provider.get_meter(SCOPE))
        # The operator's span (TRACEPARENT) is the parent of every span of this process; the
        # header was validated above, the SDK's own propagator turns it into a remote context.
        root = otel_context.get_current()
        if self.parent is not None:
            carrier = {"traceparent": self.parent.header()}
            root = TraceContextTextMapPropagator().extract(carrier, context=root)
        self._token = otel_context.attach(root)

    # identity --------------------------------------------------------------------------

    def bind(self, **attributes: str | bool | None) -> None:
        for key, value in attributes.items():
            if key not in RUN_ATTRIBUTE_KEYS:
                raise ValueError(f"{key} is not a run attribute ({', '.join(RUN_ATTRIBUTE_KEYS)})")
            if value is not None:
                self._attributes[key] = value

    def attributes(self) -> dict[str, str | bool]:
        return dict(self._attributes)

    def metric_attributes(self, **more: str) -> dict[str, str]:
        base = {k: str(self._attributes[k]) for k in _METRIC_LABELS if k in self._attributes}
        return base | more

    # spans -----------------------------------------------------------------------------

    def start_span(self, name: str, parent: Span | None = None, **attributes: Attribute) -> Span:
        """A span that the caller ends (a batch generated in one thread and loaded in another)."""
        context = trace.set_span_in_context(parent) if parent is not None else None
        return self.tracer.start_span(
            name, context=context, attributes={**self._attributes, **attributes}
        )

    @contextmanager
    def span(
        self,
        name: str,
        attributes: Mapping[str, Attribute] | None = None,
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
                    self.instruments.run_duration.record(
                        (time.perf_counter() - started) * 1000, self.metric_attributes()
                    )

    def run_ids(self) -> tuple[str, str] | None:
        """The ids a run's report carries: its ``seed.run`` span here, else the caller's
        (TRACEPARENT: the operator's ``seed.run``), else the span active now."""
        if self._run_span is not None:
            return ids_of(self._run_span)
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
        # the unwatched exporter: a refused probe raises here rather than failing the run later
        probe = self._exporters.spans
        if self.endpoint is None or probe is None:
            if self.dev_isolated:
                where = self.console_path or "nowhere"
                return f"no {ENDPOINT_ENV}: console export to {where} (dev-isolated)"
            raise self._unavailable(f"no OTLP endpoint configured ({ENDPOINT_ENV} is unset)")
        if probe.export([]) is not SpanExportResult.SUCCESS:
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
        failed = self._exporters.failures.any()
        if failed:
            raise self._unavailable(
                f"{' and '.join(failed)} could not be exported to {self.endpoint}"
            )

    def close(self) -> None:
        """Stop the providers without exporting more (after flush, or on an earlier failure)."""
        otel_context.detach(self._token)
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        self._exporters.close_files()
