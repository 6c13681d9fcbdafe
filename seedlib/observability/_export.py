"""Where a command's spans and metrics go: OTLP/HTTP, the dev-isolated console files, or nowhere.

The SDK's batch processor and metric reader swallow export results, but a run's telemetry is
evidence (fail-closed): every exporter is wrapped so that a failed export is remembered in
``ExportFailures``, which ``Telemetry.flush`` turns into ``TelemetryUnavailable``.

This module builds exporters only; it owns no provider and reads no environment.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter, SpanExportResult
from opentelemetry.trace import format_span_id, format_trace_id

__all__ = ["ExportFailures", "Exporters", "console_exporters", "otlp_exporters"]


class ExportFailures:
    """The signals (``traces``, ``metrics``) that failed to export in this process."""

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
    def __init__(self, inner: SpanExporter, failures: ExportFailures) -> None:
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
    def __init__(self, inner: MetricExporter, failures: ExportFailures) -> None:
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


@dataclass
class Exporters:
    """A command's exporters (both ``None``: it exports nothing) and the files they write."""

    spans: SpanExporter | None = None
    metrics: MetricExporter | None = None
    console_path: Path | None = None
    """The spans file of a dev-isolated run without an endpoint."""
    files: list[IO[str]] = field(default_factory=list)
    failures: ExportFailures = field(default_factory=ExportFailures)

    def watched_spans(self) -> SpanExporter | None:
        return None if self.spans is None else _WatchedSpanExporter(self.spans, self.failures)

    def watched_metrics(self) -> MetricExporter | None:
        if self.metrics is None:
            return None
        return _WatchedMetricExporter(self.metrics, self.failures)

    def close_files(self) -> None:
        for handle in self.files:
            handle.close()


def otlp_exporters(endpoint: str, timeout_seconds: float) -> Exporters:
    """OTLP over HTTP/protobuf to ``<endpoint>/v1/traces`` and ``<endpoint>/v1/metrics``."""
    return Exporters(
        spans=OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=timeout_seconds),
        metrics=OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", timeout=timeout_seconds),
    )


def _span_line(span: ReadableSpan) -> str:
    """One compact JSON line per span for the dev-isolated console file."""
    context = span.get_span_context()
    parent = span.parent
    line = {
        "name": span.name,
        "trace_id": format_trace_id(context.trace_id) if context else None,
        "span_id": format_span_id(context.span_id) if context else None,
        "parent_span_id": format_span_id(parent.span_id) if parent else None,
        "ms": round(((span.end_time or 0) - (span.start_time or 0)) / 1e6, 3),
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
    }
    return json.dumps(line, separators=(",", ":"), default=str) + "\n"


def console_exporters(local_dir: Path) -> Exporters:
    """JSON lines appended to ``<local_dir>/telemetry/spans.jsonl`` and ``metrics.jsonl``."""
    folder = local_dir / "telemetry"
    folder.mkdir(parents=True, exist_ok=True)
    spans_path = folder / "spans.jsonl"
    spans_file = spans_path.open("a", encoding="utf-8")
    metrics_file = (folder / "metrics.jsonl").open("a", encoding="utf-8")
    return Exporters(
        spans=ConsoleSpanExporter(out=spans_file, formatter=_span_line),
        metrics=ConsoleMetricExporter(
            out=metrics_file, formatter=lambda data: data.to_json(indent=None) + "\n"
        ),
        console_path=spans_path,
        files=[spans_file, metrics_file],
    )
