"""Entry point: ``python -m seed_operator`` (or ``kopf run -m seed_operator.main``).

Watches SeedRuns in SEED_WATCH_NAMESPACES (all namespaces when empty), serves the liveness probe on
SEED_LIVENESS_PORT (default 8080, ``/healthz``).
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal

import kopf

from seed_operator import handlers
from seed_operator.settings import OperatorSettings

__all__ = ["handlers", "main"]


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("SEED_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 <pid>: every thread's stack, to stderr
    settings = OperatorSettings.from_env()
    port = int(os.environ.get("SEED_LIVENESS_PORT", "8080"))
    kopf.run(
        clusterwide=not settings.namespaces,
        namespaces=list(settings.namespaces),
        liveness_endpoint=f"http://0.0.0.0:{port}/healthz",
        standalone=True,
    )
