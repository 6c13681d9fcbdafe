"""The operator's log lines about a SeedRun, readable through seedlib's redacting log handler.

Phases, names, namespaces and reasons are not PII: they travel as enum members in the message and
under allow-listed ``extra=`` keys, so the line says ``SeedRun phase Queued -> Running`` instead of
``[redacted] -> [redacted]``. No kopf here: the unit tier imports it without loading kopf.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from seed_operator.tracecontext import log_fields
from seedlib.contract.seedrun import Phase

__all__ = ["log_phase_change", "run_fields"]

log = logging.getLogger("seed_operator")


def run_fields(run: Mapping[str, Any], **more: Any) -> dict[str, Any]:
    """The ``extra=`` of a log line about a run: ids, its name and namespace (no PII)."""
    meta, status = run["metadata"], run.get("status") or {}
    return {
        **log_fields(str(meta["uid"]), status.get("tenant")),
        "seed_run_name": meta.get("name"),
        "namespace": meta.get("namespace"),
        **more,
    }


def log_phase_change(
    run: Mapping[str, Any], before: str | None, after: str, reason: str | None
) -> None:
    """One line per transition: phases as enum members, the Ready reason when there is one."""
    log.info(
        "SeedRun phase %s -> %s",
        Phase(before) if before else Phase.PENDING,
        Phase(after),
        extra=run_fields(run, phase=after, reason=reason),
    )
