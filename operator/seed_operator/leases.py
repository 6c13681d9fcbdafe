"""coordination.k8s.io/v1 Leases: who may run, decided without an API server (pure).

Two kinds of Lease per run, both held by the SeedRun's uid: one per tenant and environment (runs of
one tenant are serialised) and one of N slot Leases per environment (at most N runs at once). A
Lease whose holder stopped renewing for ``leaseDurationSeconds`` is expired and may be taken over,
so a crashed operator or a deleted run never blocks the queue for longer than that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from seed_operator import consts
from seed_operator.conditions import parse_timestamp
from seedlib.contract.job import TenantSlug

__all__ = [
    "LeaseState",
    "classify_lease",
    "lease_body",
    "pick_slot",
    "run_lease_names",
    "slot_lease_names",
    "tenant_lease_name",
]

Lease = Mapping[str, Any]


class LeaseState(StrEnum):
    FREE = "Free"
    """No Lease object, or one with no holder (released)."""
    OURS = "Ours"
    HELD = "Held"
    """Held by another run and still renewed."""
    EXPIRED = "Expired"
    """Held by another run that stopped renewing: may be taken over."""


def _dns_name(prefix: str, *parts: str) -> str:
    name = "-".join((prefix, *parts))
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:54]}-{digest}"


def tenant_lease_name(tenant: TenantSlug, environment: str) -> str:
    return _dns_name("seed-tenant", environment, tenant)


def slot_lease_names(environment: str, cap: int) -> list[str]:
    return [_dns_name("seed-slot", environment, str(k)) for k in range(cap)]


def run_lease_names(tenant: TenantSlug, environment: str, cap: int) -> list[str]:
    """Every Lease a run of ``tenant``/``environment`` may hold: its tenant Lease first, then the
    ``cap`` slot Leases of the environment. Observing, holding and releasing all use this list."""
    return [tenant_lease_name(tenant, environment), *slot_lease_names(environment, cap)]


def classify_lease(lease: Lease | None, holder: str, now: dt.datetime) -> LeaseState:
    spec = (lease or {}).get("spec") or {}
    current = spec.get("holderIdentity")
    if not current:
        return LeaseState.FREE
    if current == holder:
        return LeaseState.OURS
    renewed = parse_timestamp(spec.get("renewTime")) or parse_timestamp(spec.get("acquireTime"))
    duration = int(spec.get("leaseDurationSeconds") or 0)
    if renewed is None or renewed + dt.timedelta(seconds=duration) <= now:
        return LeaseState.EXPIRED
    return LeaseState.HELD


def _micro(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lease_body(
    name: str,
    namespace: str,
    *,
    holder: str | None,
    duration_seconds: int,
    now: dt.datetime,
    previous: Lease | None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Lease to write to acquire, renew (same holder) or release (``holder=None``) it.

    ``previous``'s resourceVersion is kept so the write is a compare-and-swap: two operators (or two
    runs) racing for the same Lease cannot both win.
    """
    old = (previous or {}).get("spec") or {}
    same = holder is not None and old.get("holderIdentity") == holder
    taken_over = holder is not None and bool(old.get("holderIdentity")) and not same
    transitions = int(old.get("leaseTransitions") or 0) + (1 if taken_over else 0)
    spec: dict[str, Any] = {
        "leaseDurationSeconds": duration_seconds,
        "leaseTransitions": transitions,
    }
    if holder is not None:
        spec["holderIdentity"] = holder
        spec["acquireTime"] = old.get("acquireTime") if same else _micro(now)
        spec["renewTime"] = _micro(now)
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(labels or {})}
    version = ((previous or {}).get("metadata") or {}).get("resourceVersion")
    if version:
        metadata["resourceVersion"] = version
    return {
        "apiVersion": consts.LEASE_API_VERSION,
        "kind": consts.LEASE_KIND,
        "metadata": metadata,
        "spec": spec,
    }


def pick_slot(slots: Mapping[str, Lease | None], holder: str, now: dt.datetime) -> str | None:
    """The slot to hold: ours if we have one, else a free one, else an expired one, else none."""
    states = {name: classify_lease(lease, holder, now) for name, lease in slots.items()}
    for wanted in (LeaseState.OURS, LeaseState.FREE, LeaseState.EXPIRED):
        for name in sorted(states):
            if states[name] is wanted:
                return name
    return None
