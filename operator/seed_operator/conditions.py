"""Condition bookkeeping in the metav1.Condition shape, and the reasons the operator reports.

Failures use ``seedlib.errors.Reason`` (the same words seedctl prints and exits with); the progress
reasons below say what a run is waiting for or doing. ``set_condition`` is pure and returns the
same list object when nothing changed, so callers can skip a write (cnpg's habit); the transition
time moves only when the status flips.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from seedlib.contract.seedrun import ConditionStatus, ConditionType

__all__ = ["Progress", "parse_timestamp", "set_condition", "timestamp"]

Condition = dict[str, Any]


class Progress(StrEnum):
    """Non-failure reasons of conditions and Events."""

    VALIDATED = "Validated"
    OUTSIDE_WINDOW = "OutsideWindow"
    INSIDE_WINDOW = "InsideWindow"
    WAITING_FOR_TENANT_LEASE = "WaitingForTenantLease"
    WAITING_FOR_SLOT = "WaitingForSlot"
    LEASES_ACQUIRED = "LeasesAcquired"
    PREFLIGHT_RUNNING = "PreflightRunning"
    PREFLIGHT_SUCCEEDED = "PreflightSucceeded"
    BATCHES_RUNNING = "BatchesRunning"
    BATCHES_SUCCEEDED = "BatchesSucceeded"
    REPORT_RUNNING = "ReportRunning"
    REPORT_VERIFIED = "ReportVerified"
    SUCCEEDED = "Succeeded"
    CANCELLING = "Cancelling"
    CANCELLED = "Cancelled"
    DRY_RUN_SUCCEEDED = "DryRunSucceeded"


def timestamp(instant: dt.datetime) -> str:
    """RFC 3339 in UTC, to the second, as Kubernetes writes condition times."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: object) -> dt.datetime | None:
    """An RFC 3339 time as the API server writes it (``Z`` or an offset), a datetime as the
    client library hands it over, or None for an empty value."""
    if isinstance(value, dt.datetime):
        return value
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def set_condition(
    conditions: Sequence[Condition],
    kind: ConditionType,
    status: ConditionStatus,
    reason: str,
    message: str,
    *,
    generation: int | None,
    now: dt.datetime,
) -> list[Condition]:
    """``conditions`` with ``kind`` set; the same list when nothing would change."""
    current = next((c for c in conditions if c.get("type") == kind.value), None)
    wanted: Condition = {
        "type": kind.value,
        "status": status.value,
        "reason": reason,
        "message": message[:32768],
        "lastTransitionTime": timestamp(now),
    }
    if generation is not None:
        wanted["observedGeneration"] = generation
    if current is not None:
        if current.get("status") == status.value:
            wanted["lastTransitionTime"] = current.get(
                "lastTransitionTime", wanted["lastTransitionTime"]
            )
        if all(current.get(k) == v for k, v in wanted.items()):
            return conditions if isinstance(conditions, list) else list(conditions)
    others = [c for c in conditions if c.get("type") != kind.value]
    order = [t.value for t in ConditionType]
    merged = [*others, wanted]
    return sorted(
        merged, key=lambda c: order.index(c["type"]) if c["type"] in order else len(order)
    )
