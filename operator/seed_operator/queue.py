"""The run queue: FIFO per environment, with a time to live (pure).

A run that cannot get its Leases is ``Queued``. Its position counts the queued runs of the same
environment that arrived before it (enqueue time, then creation time, then uid, so the order is
total and stable across operator restarts). A freed slot goes to the earliest run that waits for a
slot: a later run that finds it free first yields to it (a run that waits for its tenant's Lease
does not hold up the others). A run queued longer than the TTL fails with ``QueueTimeout``
(exit 3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seed_operator.conditions import Progress, parse_timestamp
from seedlib.contract.seedrun import ConditionType

__all__ = ["QueueEntry", "queue_entry_of", "queue_expired", "queue_position", "slot_claims_ahead"]


@dataclass(frozen=True, slots=True, order=True)
class QueueEntry:
    enqueued_at: dt.datetime
    created_at: dt.datetime
    uid: str
    environment: str
    wants_slot: bool = field(default=True, compare=False)
    """It waits for a slot (not for its tenant's Lease): a freed slot is its before any later run's."""


def queue_position(entry: QueueEntry, queued: Iterable[QueueEntry]) -> int:
    """1-based position of ``entry`` among the queued runs of its environment."""
    ahead = {
        other.uid
        for other in queued
        if other.environment == entry.environment and other.uid != entry.uid and other < entry
    }
    return len(ahead) + 1


def queue_expired(enqueued_at: dt.datetime, now: dt.datetime, ttl_seconds: int) -> bool:
    return now - enqueued_at >= dt.timedelta(seconds=ttl_seconds)


def slot_claims_ahead(entry: QueueEntry, queued: Iterable[QueueEntry]) -> int:
    """Runs of ``entry``'s environment queued before it that are waiting for a slot."""
    return len(
        {
            other.uid
            for other in queued
            if other.environment == entry.environment
            and other.uid != entry.uid
            and other.wants_slot
            and other < entry
        }
    )


def queue_entry_of(run: Mapping[str, Any]) -> QueueEntry | None:
    """The queue entry of a SeedRun (its body as the API serves it); None unless it is queued."""
    status = run.get("status") or {}
    enqueued = parse_timestamp((status.get("queue") or {}).get("enqueuedAt"))
    created = parse_timestamp(run["metadata"]["creationTimestamp"])
    if enqueued is None or created is None:
        return None
    lock: Mapping[str, Any] = next(
        (
            c
            for c in status.get("conditions") or []
            if c.get("type") == ConditionType.LOCK_ACQUIRED.value
        ),
        {},
    )
    return QueueEntry(
        enqueued,
        created,
        str(run["metadata"]["uid"]),
        str(status.get("environment", "")),
        wants_slot=lock.get("reason") != Progress.WAITING_FOR_TENANT_LEASE.value,
    )
