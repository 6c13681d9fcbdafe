"""A deleted SeedRun: what its finalizer must undo before kopf lets it go (CloudNativePG's
``cluster_delete.go`` counterpart). Pure.

With no garbage collector to count on, the run's Jobs *and* their Pods are deleted explicitly;
every Lease it still holds is released (the same compare-and-swap write as a finished run's); a
run deleted before it finished still gets its ``seed.run`` span, so its Jobs' spans keep their
parent. The handler observes, calls ``decide_delete`` and applies; it decides nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seed_operator.leases import LeaseState, classify_lease, lease_body, run_lease_names
from seed_operator.reconcile.state import Lease
from seed_operator.settings import OperatorSettings
from seed_operator.tracecontext import RunSpan, finished_run_span
from seedlib.contract.job import RunId, TenantSlug
from seedlib.contract.seedrun import Phase

__all__ = ["DeletePlan", "Deleting", "decide_delete", "lease_names_of"]


def lease_names_of(status: Mapping[str, Any], settings: OperatorSettings) -> list[str]:
    """The Leases a run may hold, from its status (none before its profile resolved)."""
    tenant, environment = status.get("tenant"), status.get("environment")
    if not tenant or not environment:
        return []
    return run_lease_names(TenantSlug(tenant), environment, settings.cap_for(environment))


@dataclass(frozen=True, slots=True)
class Deleting:
    """A SeedRun being deleted, and what it left behind."""

    uid: RunId
    created_at: dt.datetime
    status: Mapping[str, Any]
    dry_run: bool
    jobs: Sequence[str] = ()
    pods: Sequence[str] = ()
    leases: Mapping[str, Lease | None] = field(default_factory=dict)
    """The Leases of ``lease_names_of(status)``, as observed (None: no such Lease)."""


@dataclass(frozen=True, slots=True)
class DeletePlan:
    delete_jobs: list[str]
    delete_pods: list[str]
    write_leases: list[dict[str, Any]]
    """Releases (compare-and-swap) of the Leases the run still holds."""
    run_span: RunSpan | None
    """The ``seed.run`` span of a run deleted before it finished."""


def decide_delete(seen: Deleting, settings: OperatorSettings, now: dt.datetime) -> DeletePlan:
    holder = str(seen.uid)
    releases = [
        lease_body(
            name,
            settings.lease_namespace,
            holder=None,
            duration_seconds=settings.lease_duration_seconds,
            now=now,
            previous=lease,
        )
        for name, lease in seen.leases.items()
        if classify_lease(lease, holder, now) is LeaseState.OURS
    ]
    span = None
    phase = seen.status.get("phase")
    if not (phase and Phase(phase).terminal):
        span = finished_run_span(
            holder,
            seen.created_at,
            {**seen.status, "phase": "Deleted"},
            dry_run=seen.dry_run,
            manifest_version=None,
            now=now,
        )
    return DeletePlan(list(seen.jobs), list(seen.pods), releases, span)
