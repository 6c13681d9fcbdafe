"""Admission of a SeedRun: its profile, the window, the Leases or the queue (CloudNativePG's
``cluster_create.go`` counterpart). Pure.

``check_profile`` fails a run whose profile is missing, invalid, pinned to another hash or meant
for another tenant's namespace. ``admit`` holds a run outside its window (``Waiting``, requeued at
the opening), then takes the tenant Lease and a slot Lease, or queues it (FIFO per environment,
a freed slot going to the earliest run that waits for one) until the queue TTL fails it.
``renew`` keeps the Leases of a running run fresh.
"""

from __future__ import annotations

import datetime as dt

from seed_operator import consts
from seed_operator.conditions import Progress, parse_timestamp, timestamp
from seed_operator.leases import (
    LeaseState,
    classify_lease,
    pick_slot,
    slot_lease_names,
    tenant_lease_name,
)
from seed_operator.queue import QueueEntry, queue_expired, queue_position, slot_claims_ahead
from seed_operator.reconcile.state import FALSE, TRUE, Decision
from seedlib.contract.job import TenantSlug
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.seedrun import ConditionType, Phase
from seedlib.errors import Reason
from seedlib.rules.window import next_opening, window_contains

__all__ = ["admit", "check_profile", "renew"]


def check_profile(d: Decision) -> SeedProfileSpec | None:
    """The run's profile when it may be run; None when the run failed on it (planned in ``d``)."""
    seen, status = d.seen, d.status
    profile = seen.profile
    if profile is None:
        reason, message, hint = seen.profile_problem or (
            Reason.PROFILE_NOT_FOUND,
            "profile missing",
            "",
        )
        d.condition(ConditionType.PROFILE_VALID, FALSE, reason.value, message)
        d.fail(reason, message, hint)
        return None
    status.update(
        tenant=profile.tenant,
        environment=profile.environment.value,
        mode=profile.mode.value,
        profileHash=profile.manifest_hash,
    )
    if seen.spec.profile_hash and seen.spec.profile_hash != profile.manifest_hash:
        message = (
            f"spec.profileHash {seen.spec.profile_hash[:12]}... pins another profile than "
            f"{seen.spec.profile_ref.name} ({profile.manifest_hash[:12]}...)"
        )
        d.condition(ConditionType.PROFILE_VALID, FALSE, Reason.PROFILE_DRIFT.value, message)
        d.fail(
            Reason.PROFILE_DRIFT,
            message,
            "update the pin or the profile; pins never follow silently",
        )
        return None
    if seen.namespace_tenant and seen.namespace_tenant != profile.tenant:
        message = (
            f"namespace {seen.namespace} belongs to tenant {seen.namespace_tenant}, "
            f"the profile seeds {profile.tenant}"
        )
        d.condition(ConditionType.PROFILE_VALID, FALSE, Reason.TENANT_MISMATCH.value, message)
        d.fail(Reason.TENANT_MISMATCH, message, "create the SeedRun in the tenant's namespace")
        return None
    d.condition(
        ConditionType.PROFILE_VALID,
        TRUE,
        Progress.VALIDATED,
        f"manifestHash {profile.manifest_hash[:12]}...",
    )
    return profile


def admit(d: Decision, profile: SeedProfileSpec) -> bool:
    """Window, then Leases (or the queue). True once the run may start its Jobs."""
    if not _window_open(d, profile):
        return False
    seen, now, settings = d.seen, d.now, d.settings
    environment = profile.environment.value
    slot = pick_slot(
        {
            n: seen.slot_leases.get(n)
            for n in slot_lease_names(environment, settings.cap_for(environment))
        },
        seen.holder,
        now,
    )
    queue = dict(d.status.get("queue") or {})
    enqueued = parse_timestamp(queue.get("enqueuedAt")) or now
    me = QueueEntry(enqueued, seen.created_at, seen.holder, environment)
    blocked = _blocked(d, profile, slot, me)
    if blocked is not None:
        _queue(d, profile, me, blocked)
        return False
    assert slot is not None  # not blocked: a slot was free
    tenant = tenant_lease_name(TenantSlug(profile.tenant), environment)
    for name, previous in ((tenant, seen.tenant_lease), (slot, seen.slot_leases.get(slot))):
        d.write_lease(name, previous, holder=seen.holder, labels=consts.MANAGED_BY)
    d.status.pop("queue", None)
    d.status["startedAt"] = timestamp(now)
    d.condition(
        ConditionType.LOCK_ACQUIRED, TRUE, Progress.LEASES_ACQUIRED, f"tenant Lease and {slot}"
    )
    d.phase(Phase.RUNNING, "Leases acquired; starting", reason=Progress.LEASES_ACQUIRED)
    return True


def _window_open(d: Decision, profile: SeedProfileSpec) -> bool:
    now = d.now
    if window_contains(profile.window, now):
        d.condition(
            ConditionType.WINDOW_OPEN, TRUE, Progress.INSIDE_WINDOW, "inside the off-peak window"
        )
        return True
    opening = next_opening(profile.window, now)
    window = f"{profile.window.start_utc}-{profile.window.end_utc} UTC"
    message = f"outside the window {window}; opens {timestamp(opening)}"
    d.condition(ConditionType.WINDOW_OPEN, FALSE, Progress.OUTSIDE_WINDOW, message)
    d.phase(Phase.WAITING, message, reason=Progress.OUTSIDE_WINDOW)
    d.plan.requeue_after = max(1.0, (opening - now).total_seconds())
    return False


def _blocked(
    d: Decision, profile: SeedProfileSpec, slot: str | None, me: QueueEntry
) -> tuple[Progress, str] | None:
    """Why the run cannot take its Leases now (the wait's reason and message), or None."""
    environment = profile.environment.value
    if classify_lease(d.seen.tenant_lease, d.seen.holder, d.now) is LeaseState.HELD:
        return (
            Progress.WAITING_FOR_TENANT_LEASE,
            f"another run of {profile.tenant}/{environment} holds its Lease",
        )
    if slot is None:
        return (
            Progress.WAITING_FOR_SLOT,
            f"{d.settings.cap_for(environment)} runs of {environment} already hold every slot",
        )
    if ahead := slot_claims_ahead(me, d.seen.queued):
        return (
            Progress.WAITING_FOR_SLOT,
            f"a slot of {environment} is free, and {ahead} earlier run(s) waiting for one go first",
        )
    return None


def _queue(
    d: Decision, profile: SeedProfileSpec, me: QueueEntry, blocked: tuple[Progress, str]
) -> None:
    """Queued at its FIFO position, or failed with QueueTimeout past the queue TTL."""
    settings, (reason, why) = d.settings, blocked
    if queue_expired(me.enqueued_at, d.now, settings.queue_ttl_seconds):
        d.status.pop("queue", None)
        d.fail(
            Reason.QUEUE_TIMEOUT,
            f"waited {settings.queue_ttl_seconds} s for the Leases of "
            f"{profile.tenant}/{profile.environment.value}: {why}",
            "retry later, or raise SEED_GLOBAL_CAP / SEED_QUEUE_TTL_SECONDS",
        )
        return
    position = queue_position(me, [*d.seen.queued, me])
    d.status["queue"] = {"enqueuedAt": timestamp(me.enqueued_at), "position": position}
    d.condition(ConditionType.LOCK_ACQUIRED, FALSE, reason, why)
    d.phase(Phase.QUEUED, f"queued at position {position}: {why}", reason=reason)
    d.plan.requeue_after = 5.0


def renew(d: Decision, profile: SeedProfileSpec) -> None:
    """Renew the Leases the run holds once ``lease_renew_seconds`` passed since the last renewal."""
    seen, now, settings = d.seen, d.now, d.settings
    tenant = tenant_lease_name(TenantSlug(profile.tenant), profile.environment.value)
    for name, lease in [(tenant, seen.tenant_lease), *seen.slot_leases.items()]:
        if classify_lease(lease, seen.holder, now) is not LeaseState.OURS:
            continue
        last = parse_timestamp(((lease or {}).get("spec") or {}).get("renewTime"))
        if last is None or now - last >= dt.timedelta(seconds=settings.lease_renew_seconds):
            d.write_lease(name, lease, holder=seen.holder)
    d.plan.requeue_after = float(min(settings.lease_renew_seconds, 5))
