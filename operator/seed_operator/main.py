"""Entry point: ``python -m seed_operator`` (or ``kopf run -m seed_operator.main``).

Watches SeedRuns in SEED_WATCH_NAMESPACES (all namespaces when empty), serves the liveness probe on
SEED_LIVENESS_PORT (default 8081, ``/healthz``) and Prometheus metrics on SEED_METRICS_PORT
(default 8080, ``/metrics``), and exports its spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT
is set.
"""

from __future__ import annotations

import faulthandler
import os
import signal

import kopf

from seed_operator import handlers, telemetry
from seed_operator.metrics import METRICS
from seed_operator.settings import OperatorSettings
from seedlib.observability.logs import configure_logging as configure_logging_

__all__ = ["handlers", "main"]


def configure_logging(level: str) -> None:
    """seedlib's redacting structlog pipeline on the root handler (the same as seedctl's), kopf's
    records included: JSON lines on stderr in a Pod, text at a terminal (``SEED_LOG_FORMAT``
    decides when set). The operator's records name their run in ``extra=``
    (``seed_operator.tracecontext.log_fields``: ids, SeedRun name, namespace) and their phases,
    reasons and endpoints under allow-listed keys, never in the message text."""
    configure_logging_(level)


def main() -> None:
    configure_logging(os.environ.get("SEED_LOG_LEVEL", "INFO"))
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 <pid>: every thread's stack, to stderr
    settings = OperatorSettings.from_env()
    telemetry.configure_tracing()
    METRICS.serve(settings.metrics_port)
    try:
        kopf.run(
            clusterwide=not settings.namespaces,
            namespaces=list(settings.namespaces),
            liveness_endpoint=f"http://0.0.0.0:{settings.liveness_port}/healthz",
            standalone=True,
            memo=kopf.Memo(settings=settings),  # read once: the startup handler takes these
        )
    finally:
        telemetry.shutdown_tracing()
