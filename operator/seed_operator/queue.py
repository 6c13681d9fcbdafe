"""The run queue: FIFO per environment, with a time to live (pure).

A run that cannot get its Leases is ``Queued``. Its position counts the queued runs of the same
environment that arrived before it (enqueue time, then creation time, then uid, so the order is
total and stable across operator restarts). A run queued longer than the TTL fails with
``QueueTimeout`` (exit 3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["QueueEntry", "queue_expired", "queue_position"]


@dataclass(frozen=True, slots=True, order=True)
class QueueEntry:
    enqueued_at: dt.datetime
    created_at: dt.datetime
    uid: str
    environment: str


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
