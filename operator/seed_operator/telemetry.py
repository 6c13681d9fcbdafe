"""The operator's OpenTelemetry traces: one ``seed.run`` span per SeedRun, emitted when it finishes,
and a ``seed.manifest.validate`` span the first time its profile is validated.

The ids come from ``seedlib.contract.tracecontext`` (pure, derived from the SeedRun's uid), so the
``seed.run`` span emitted at the end has the span id the Jobs were given as their parent in
``TRACEPARENT`` long before. The SDK picks a span's ids through its provider's ``IdGenerator``;
``PinnedIdGenerator`` hands out the run's ids while a ``seed.run`` span is being started and
random ids otherwise.

Export: OTLP/HTTP, configured by the standard variables (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, headers, timeout), service name ``seed-operator``. Without
an endpoint the operator exports nothing and says so once at startup: the operator's spans are
best effort; failing closed on telemetry is the Jobs' preflight's job, where rows are at stake.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from seed_operator.tracecontext import (
    RUN_SPAN,
    VALIDATE_SPAN,
    AttributeValue,
    RunSpan,
    run_attributes,
    run_span_id,
    run_trace_id,
)
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.tracecontext import format_traceparent
from seedlib.contract.violations import Violation
from seedlib.rules.validation import validate_profile_spec

__all__ = [
    "SERVICE_NAME",
    "PinnedIdGenerator",
    "RunTracer",
    "configure_tracing",
    "emit_run_span",
    "pinned",
    "shutdown_tracing",
    "validate_in_span",
    "validation_span",
]

SERVICE_NAME: Final = "seed-operator"
ENDPOINT_VARIABLES: Final = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
log = logging.getLogger("seed_operator.telemetry")

_PINNED: ContextVar[tuple[int, int] | None] = ContextVar("seed_operator_pinned_ids", default=None)


class PinnedIdGenerator(IdGenerator):
    """Random ids, except for the span started inside ``pinned(trace_id, span_id)``."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()

    def generate_trace_id(self) -> int:
        pinned = _PINNED.get()
        return pinned[0] if pinned is not None else self._random.generate_trace_id()

    def generate_span_id(self) -> int:
        pinned = _PINNED.get()
        return pinned[1] if pinned is not None else self._random.generate_span_id()


@contextlib.contextmanager
def pinned(trace_id: str, span_id: str) -> Iterator[None]:
    token = _PINNED.set((int(trace_id, 16), int(span_id, 16)))
    try:
        yield
    finally:
        _PINNED.reset(token)


def _nanos(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1_000_000_000)


def _run_context(trace_id: str, span_id: str) -> Context:
    """A context whose current span is the run's ``seed.run`` (not emitted yet): its children
    are parented to it exactly as the Jobs' spans are, through the very header they get."""
    carrier = {"traceparent": format_traceparent(trace_id, span_id)}
    return TraceContextTextMapPropagator().extract(carrier, context=Context())


class RunTracer:
    """Emits the operator's spans through one TracerProvider (whose IdGenerator must be a
    ``PinnedIdGenerator``). A run's ``seed.run`` span is emitted once per process."""

    def __init__(self, provider: TracerProvider) -> None:
        if not isinstance(provider.id_generator, PinnedIdGenerator):
            raise TypeError("the provider's id_generator must be a PinnedIdGenerator")
        self.provider = provider
        self._tracer = provider.get_tracer("seed_operator")
        self._emitted: set[str] = set()
        self._lock = threading.Lock()

    def emit_run_span(self, run: RunSpan) -> bool:
        """Export the run's ``seed.run`` span; False when this process already did."""
        with self._lock:
            if run.span_id in self._emitted:
                return False
            self._emitted.add(run.span_id)
        with pinned(run.trace_id, run.span_id):
            span = self._tracer.start_span(
                RUN_SPAN,
                context=Context(),  # a root span: the trace is the run's own
                kind=trace.SpanKind.INTERNAL,
                attributes=dict(run.attributes),
                start_time=_nanos(run.start),
            )
        if run.error is None:
            span.set_status(Status(StatusCode.OK))
        else:
            span.set_status(Status(StatusCode.ERROR, run.error))
        span.end(end_time=_nanos(run.end))
        return True

    @contextlib.contextmanager
    def validation_span(
        self, trace_id: str, run_span_id: str, attributes: Mapping[str, AttributeValue]
    ) -> Iterator[trace.Span]:
        """A ``seed.manifest.validate`` span, child of the run's ``seed.run``."""
        with self._tracer.start_as_current_span(
            VALIDATE_SPAN,
            context=_run_context(trace_id, run_span_id),
            attributes=dict(attributes),
        ) as span:
            yield span

    def shutdown(self) -> None:
        self.provider.shutdown()


_TRACER: RunTracer | None = None


def configure_tracing(env: Mapping[str, str] | None = None) -> RunTracer | None:
    """Set up OTLP/HTTP export when an endpoint is configured; else log once and export nothing."""
    global _TRACER  # noqa: PLW0603 (set once at startup, read by the handlers)
    env = os.environ if env is None else env
    endpoint = next((env[name] for name in ENDPOINT_VARIABLES if env.get(name)), None)
    if endpoint is None:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is not set: the operator exports no spans "
            "(the Jobs' preflight still requires their own exporter)",
            extra={"service": SERVICE_NAME},
        )
        _TRACER = None
        return None
    provider = TracerProvider(
        sampler=ALWAYS_ON,  # one span per run: the Jobs' spans are sampled, so is their parent
        resource=Resource.create({"service.name": SERVICE_NAME}),
        id_generator=PinnedIdGenerator(),
        shutdown_on_exit=False,  # shutdown_tracing() flushes, from kopf's cleanup and main()
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _TRACER = RunTracer(provider)
    log.info(
        "exporting spans over OTLP/HTTP", extra={"endpoint": endpoint, "service": SERVICE_NAME}
    )
    return _TRACER


def emit_run_span(run: RunSpan) -> bool:
    return _TRACER.emit_run_span(run) if _TRACER is not None else False


@contextlib.contextmanager
def validation_span(
    trace_id: str, run_span_id: str, attributes: Mapping[str, AttributeValue]
) -> Iterator[trace.Span | None]:
    if _TRACER is None:
        yield None
        return
    with _TRACER.validation_span(trace_id, run_span_id, attributes) as span:
        yield span


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def validate_in_span(
    spec: Any, uid: str, *, dry_run: bool
) -> tuple[SeedProfileSpec | None, tuple[Violation, ...]]:
    """``validate_profile_spec(spec)`` in a ``seed.manifest.validate`` span of run ``uid``'s
    trace (the first validation of a run's profile)."""
    raw = spec if isinstance(spec, Mapping) else {}
    attributes = run_attributes(
        uid,
        tenant=_text(raw.get("tenant")),
        environment=_text(raw.get("environment")),
        manifest_version=_text(raw.get("version")),
        mode=_text(raw.get("mode")),
        dry_run=dry_run,
    )
    with validation_span(run_trace_id(uid), run_span_id(uid), attributes) as span:
        model, violations = validate_profile_spec(spec)
        if span is not None:
            span.set_attribute("seed.manifest.valid", model is not None)
            span.set_attribute("seed.manifest.violations", len(violations))
    return model, violations


def shutdown_tracing(**_: Any) -> None:
    """Flush and stop the exporter (at operator shutdown); a second call does nothing."""
    global _TRACER
    tracer, _TRACER = _TRACER, None
    if tracer is not None:
        tracer.shutdown()
