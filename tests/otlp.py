"""A real OTLP/HTTP receiver for tests: POST /v1/traces and /v1/metrics, protobuf bodies.

It decodes what the OpenTelemetry exporters send with ``opentelemetry.proto`` and keeps the spans
(name, ids in hex, parent, attributes, resource attributes) and metric points. ``stop()`` closes the
listening socket (exporters then see connection refused, as with a dead collector); ``start()``
listens again on the same port.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tests.services import free_port


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if kind is None:
        return None
    return getattr(value, kind)


def _attributes(pairs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs if isinstance(kv, KeyValue)}


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status_code: int
    status_message: str


@dataclass(frozen=True)
class ReceivedPoint:
    metric: str
    kind: str
    attributes: dict[str, Any]
    value: float | None
    count: int | None
    resource: dict[str, Any] = field(default_factory=dict)


class OtlpReceiver:
    """``endpoint`` is the base URL to put in OTEL_EXPORTER_OTLP_ENDPOINT."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        self.endpoint = f"http://{host}:{self.port}"
        self._lock = threading.Lock()
        self._spans: list[ReceivedSpan] = []
        self._points: list[ReceivedPoint] = []
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._server is not None:
            return
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                try:
                    answer = receiver._receive(self.path, body)
                except Exception as exc:
                    self.send_error(400, f"undecodable: {type(exc).__name__}")
                    return
                if answer is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="otlp-receiver")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Close the socket: exports now fail with connection refused."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._server is not None

    # decoding --------------------------------------------------------------------------

    def _receive(self, path: str, body: bytes) -> bytes | None:
        if path == "/v1/traces":
            traces = ExportTraceServiceRequest()
            traces.ParseFromString(body)
            spans = [
                ReceivedSpan(
                    name=s.name,
                    trace_id=s.trace_id.hex(),
                    span_id=s.span_id.hex(),
                    parent_span_id=s.parent_span_id.hex(),
                    attributes=_attributes(s.attributes),
                    resource=_attributes(rs.resource.attributes),
                    status_code=int(s.status.code),
                    status_message=s.status.message,
                )
                for rs in traces.resource_spans
                for ss in rs.scope_spans
                for s in ss.spans
            ]
            with self._lock:
                self.requests.append(path)
                self._spans.extend(spans)
            return ExportTraceServiceResponse().SerializeToString()
        if path == "/v1/metrics":
            metrics = ExportMetricsServiceRequest()
            metrics.ParseFromString(body)
            points: list[ReceivedPoint] = []
            for rm in metrics.resource_metrics:
                resource = _attributes(rm.resource.attributes)
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        kind = metric.WhichOneof("data") or ""
                        data = getattr(metric, kind) if kind else None
                        for point in getattr(data, "data_points", []):
                            if kind == "histogram":
                                value, count = float(point.sum), int(point.count)
                            else:
                                which = point.WhichOneof("value")
                                value, count = float(getattr(point, which)) if which else None, None
                            points.append(
                                ReceivedPoint(
                                    metric.name,
                                    kind,
                                    _attributes(point.attributes),
                                    value,
                                    count,
                                    resource,
                                )
                            )
            with self._lock:
                self.requests.append(path)
                self._points.extend(points)
            return ExportMetricsServiceResponse().SerializeToString()
        return None

    # what tests read -------------------------------------------------------------------

    def spans(self, name: str | None = None) -> list[ReceivedSpan]:
        with self._lock:
            return [s for s in self._spans if name is None or s.name == name]

    def points(self, metric: str | None = None) -> list[ReceivedPoint]:
        with self._lock:
            return [p for p in self._points if metric is None or p.metric == metric]

    def metric_names(self) -> set[str]:
        with self._lock:
            return {p.metric for p in self._points}

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self._points.clear()
            self.requests.clear()
