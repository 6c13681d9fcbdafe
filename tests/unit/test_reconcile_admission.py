"""Admission of a SeedRun without an API server: profile, window, Leases, queue."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from seed_operator.leases import lease_body, slot_lease_names, tenant_lease_name
from seed_operator.queue import QueueEntry
from seed_operator.reconcile import decide
from seedlib.contract.job import TenantSlug
from seedlib.errors import Reason
from tests.operator_support import (
    SETTINGS,
    STAGING,
    T0,
    UID,
    carried_out,
    conditions,
    observed,
)


def busy_lease(name: str, holder: str = "other-run") -> dict[str, Any]:
    return lease_body(name, "seeding", holder=holder, duration_seconds=60, now=T0, previous=None)


def test_a_run_inside_its_window_with_free_leases_takes_both_and_starts():
    plan = decide(observed(), SETTINGS, T0)
    assert plan.status["phase"] == "Running" and plan.status["startedAt"] == "2025-01-01T03:00:00Z"
    assert {body["metadata"]["name"] for body in plan.write_leases} == {
        "seed-tenant-dev-tenant-a",
        "seed-slot-dev-0",
    }
    assert all(body["spec"]["holderIdentity"] == UID for body in plan.write_leases)
    assert all(
        body["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "seed-operator"}
        for body in plan.write_leases
    )
    assert conditions(plan)["LockAcquired"] == ("True", "LeasesAcquired")


def test_outside_the_window_waits_until_the_opening():
    plan = decide(observed(STAGING), SETTINGS, dt.datetime(2025, 1, 1, 7, 30, tzinfo=dt.UTC))
    assert plan.status["phase"] == "Waiting"
    assert conditions(plan)["WindowOpen"] == ("False", "OutsideWindow")
    assert "opens 2025-01-02T00:00:00Z" in plan.status["message"]
    assert plan.requeue_after == 16.5 * 3600
    assert plan.write_leases == [] and plan.create_jobs == []
    assert plan.events[0][1] == "OutsideWindow"


def test_a_held_tenant_lease_queues_the_run_with_its_position_then_times_out():
    tenant = busy_lease(tenant_lease_name(TenantSlug("tenant-a"), "dev"))
    ahead = QueueEntry(T0 - dt.timedelta(minutes=1), T0, "aaa", "dev")
    seen = observed(tenant_lease=tenant, queued=[ahead])
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Queued"
    assert plan.status["queue"] == {"enqueuedAt": "2025-01-01T03:00:00Z", "position": 2}
    assert conditions(plan)["LockAcquired"] == ("False", "WaitingForTenantLease")
    ttl = dt.timedelta(seconds=SETTINGS.queue_ttl_seconds)
    still_held = lease_body(
        tenant["metadata"]["name"],
        "seeding",
        holder="other-run",
        duration_seconds=60,
        now=T0 + ttl,
        previous=tenant,
    )
    later = decide(
        dataclasses.replace(carried_out(seen, plan), tenant_lease=still_held), SETTINGS, T0 + ttl
    )
    assert later.status["phase"] == "Failed" and later.status["exitCode"] == 3
    assert conditions(later)["Ready"][1] == "QueueTimeout"
    assert "queue" not in later.status


def test_all_slots_busy_queues_and_an_expired_slot_is_taken_over():
    slots = {
        name: busy_lease(name, f"run-{k}") for k, name in enumerate(slot_lease_names("dev", 2))
    }
    plan = decide(observed(slot_leases=slots), SETTINGS, T0 + dt.timedelta(seconds=30))
    assert (
        plan.status["phase"] == "Queued" and conditions(plan)["LockAcquired"][1] == "WaitingForSlot"
    )
    plan = decide(observed(slot_leases=slots), SETTINGS, T0 + dt.timedelta(seconds=61))
    assert plan.status["phase"] == "Running"
    taken = next(
        body for body in plan.write_leases if body["metadata"]["name"].startswith("seed-slot")
    )
    assert taken["spec"]["holderIdentity"] == UID and taken["spec"]["leaseTransitions"] == 1


def test_a_free_slot_goes_to_the_earliest_run_waiting_for_one():
    earlier = QueueEntry(T0 - dt.timedelta(minutes=1), T0, "aaa", "dev")
    plan = decide(observed(queued=[earlier]), SETTINGS, T0)
    assert plan.status["phase"] == "Queued" and plan.write_leases == []
    assert conditions(plan)["LockAcquired"] == ("False", "WaitingForSlot")
    assert plan.status["queue"]["position"] == 2
    # ...but a run that waits for its own tenant's Lease does not hold the others up.
    blocked_by_tenant = dataclasses.replace(earlier, wants_slot=False)
    plan = decide(observed(queued=[blocked_by_tenant]), SETTINGS, T0)
    assert plan.status["phase"] == "Running" and len(plan.write_leases) == 2
    # A run queued after this one never holds it up either.
    later = QueueEntry(T0 + dt.timedelta(minutes=1), T0, "zzz", "dev")
    assert decide(observed(queued=[later]), SETTINGS, T0).status["phase"] == "Running"


def test_a_running_run_renews_its_leases_only_when_due():
    seen = observed()
    seen = carried_out(seen, decide(seen, SETTINGS, T0))
    assert decide(seen, SETTINGS, T0 + dt.timedelta(seconds=5)).write_leases == []
    due = T0 + dt.timedelta(seconds=SETTINGS.lease_renew_seconds)
    renewed = decide(seen, SETTINGS, due).write_leases
    assert len(renewed) == 2 and all(b["spec"]["holderIdentity"] == UID for b in renewed)


def test_profile_problems_fail_at_once_with_their_reason():
    plan = decide(
        observed(
            profile=None,
            profile_problem=(Reason.PROFILE_INVALID, "spec.window.endUtc: differs", "fix it"),
        ),
        SETTINGS,
        T0,
    )
    assert plan.status["phase"] == "Failed" and plan.status["exitCode"] == 2
    assert conditions(plan)["ProfileValid"] == ("False", "ProfileInvalid")
    assert plan.status["message"] == "spec.window.endUtc: differs (hint: fix it)"
    plan = decide(observed(run_spec={"profileHash": "0" * 64}), SETTINGS, T0)
    assert (
        conditions(plan)["ProfileValid"] == ("False", "ProfileDrift")
        and plan.status["exitCode"] == 2
    )
    plan = decide(observed(namespace_tenant=TenantSlug("tenant-b")), SETTINGS, T0)
    assert conditions(plan)["Ready"][1] == "TenantMismatch"


def test_decide_is_idempotent():
    seen = observed()
    assert decide(seen, SETTINGS, T0).status == decide(seen, SETTINGS, T0).status
