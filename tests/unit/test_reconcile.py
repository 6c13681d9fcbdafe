"""The SeedRun reconcile decision, walked through its flow without an API server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from seed_operator.jobs import JobRole, RunRef, job_name
from seed_operator.leases import lease_body, slot_lease_names, tenant_lease_name
from seed_operator.queue import QueueEntry
from seed_operator.reconcile import JobState, JobView, Observed, Plan, decide
from seed_operator.settings import OperatorSettings
from seedlib.contract.seedrun import SeedRunSpec
from seedlib.errors import Reason
from seedlib.generator import entity_counts
from seedlib.rules.batches import plan_batches
from tests.support import spec_of

SETTINGS = OperatorSettings(batch_rows=500, global_cap=2)
DEV = spec_of("dev/tenant-a")
STAGING = spec_of("staging/tenant-a")
T0 = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)
UID = "1f6c7a1e-2b1d-4c3e-9a8b-7c6d5e4f3a2b"


def observed(profile=DEV, status: dict[str, Any] | None = None, **changes: Any) -> Observed:
    spec = SeedRunSpec.model_validate(
        {"profileRef": {"name": "tenant-a-dev"}, "requestedBy": "qa", **changes.pop("run_spec", {})}
    )
    base = Observed(
        name="run-1",
        namespace="seeding",
        uid=UID,
        generation=1,
        created_at=T0,
        spec=spec,
        status=status or {},
        profile=profile,
    )
    return dataclasses.replace(base, **changes)


def ref(profile=DEV) -> RunRef:
    return RunRef(
        "run-1",
        "seeding",
        UID,
        profile.tenant,
        profile.environment.value,
        profile.mode.value,
        "qa",
        "{}",
        3,
    )


def apply(seen: Observed, plan: Plan, jobs: dict[str, JobView] | None = None) -> Observed:
    """The next observation after the handler carried the plan out."""
    leases = {body["metadata"]["name"]: body for body in plan.write_leases}
    tenant = tenant_lease_name(DEV.tenant, DEV.environment.value)
    slots = dict(seen.slot_leases)
    for name, body in leases.items():
        if name != tenant:
            slots[name] = body
    return dataclasses.replace(
        seen,
        status=plan.status,
        tenant_lease=leases.get(tenant, seen.tenant_lease),
        slot_leases=slots,
        jobs={**seen.jobs, **(jobs or {})},
    )


def conditions(plan: Plan) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in plan.status["conditions"]}


def done(name: str, message: dict[str, Any] | None = None) -> JobView:
    return JobView(name, JobState.SUCCEEDED, json.dumps(message or {"exitCode": 0}))


def test_happy_path_from_leases_to_a_verified_report():
    seen = observed()
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Running" and plan.status["startedAt"] == "2025-01-01T03:00:00Z"
    assert {body["metadata"]["name"] for body in plan.write_leases} == {
        "seed-tenant-dev-tenant-a",
        "seed-slot-dev-0",
    }
    assert [j["metadata"]["name"] for j in plan.create_jobs] == [job_name(ref(), JobRole.PREFLIGHT)]
    seen = apply(seen, plan, {job_name(ref(), JobRole.PREFLIGHT): JobView("pre", JobState.ACTIVE)})
    plan = decide(seen, SETTINGS, T0)
    assert plan.create_jobs == [] and conditions(plan)["PreflightPassed"] == (
        "Unknown",
        "PreflightRunning",
    )

    seen = apply(seen, plan, {job_name(ref(), JobRole.PREFLIGHT): done("pre")})
    batches = plan_batches(entity_counts(DEV), SETTINGS.batch_rows)
    created: list[str] = []
    for _ in range(len(batches) + 1):  # one Job at a time (baseline), level by level
        plan = decide(seen, SETTINGS, T0)
        if (
            not plan.create_jobs
            or plan.create_jobs[0]["metadata"]["labels"]["seeding.iabank.io/role"] != "batch"
        ):
            break
        assert len(plan.create_jobs) == 1
        name = plan.create_jobs[0]["metadata"]["name"]
        created.append(plan.create_jobs[0]["metadata"]["labels"]["seeding.iabank.io/table"])
        seen = apply(seen, plan, {name: done(name)})
    assert len(created) == len(batches)
    assert (
        created.index("tenants")
        < created.index("customers")
        < created.index("bank_accounts")
        < created.index("loans")
        < created.index("installments")
    )
    assert plan.status["batches"] == {
        "total": len(batches),
        "pending": 0,
        "running": 0,
        "succeeded": len(batches),
        "failed": 0,
    }
    assert [j["metadata"]["name"] for j in plan.create_jobs] == [job_name(ref(), JobRole.REPORT)]

    report = {
        "uri": "s3://worm/worm/seeds/dev/tenant-a/x.json?versionId=1",
        "sha256": "ab" * 32,
        "verified": True,
    }
    seen = apply(seen, plan, {job_name(ref(), JobRole.REPORT): done("rep", report)})
    plan = decide(seen, SETTINGS, T0 + dt.timedelta(minutes=5))
    assert plan.status["phase"] == "Succeeded" and plan.status["exitCode"] == 0
    assert plan.status["report"] == report
    assert conditions(plan)["Ready"] == ("True", "Succeeded")
    assert all(
        "holderIdentity" not in body["spec"] for body in plan.write_leases
    )  # both Leases released
    assert len(plan.write_leases) == 2


def test_outside_the_window_waits_until_the_opening():
    plan = decide(observed(STAGING), SETTINGS, dt.datetime(2025, 1, 1, 7, 30, tzinfo=dt.UTC))
    assert plan.status["phase"] == "Waiting"
    assert conditions(plan)["WindowOpen"] == ("False", "OutsideWindow")
    assert "opens 2025-01-02T00:00:00Z" in plan.status["message"]
    assert plan.requeue_after == 16.5 * 3600
    assert plan.write_leases == [] and plan.create_jobs == []
    assert plan.events[0][1] == "OutsideWindow"


def busy_lease(name: str, holder: str = "other-run") -> dict[str, Any]:
    return lease_body(name, "seeding", holder=holder, duration_seconds=60, now=T0, previous=None)


def test_a_held_tenant_lease_queues_the_run_with_its_position_then_times_out():
    tenant = busy_lease(tenant_lease_name("tenant-a", "dev"))
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
        dataclasses.replace(apply(seen, plan), tenant_lease=still_held), SETTINGS, T0 + ttl
    )
    assert later.status["phase"] == "Failed" and later.status["exitCode"] == 3
    assert conditions(later)["Ready"][1] == "QueueTimeout"


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


def test_a_failed_batch_fails_the_run_with_its_exit_code_and_releases():
    seen = apply(
        observed(),
        decide(observed(), SETTINGS, T0),
        {job_name(ref(), JobRole.PREFLIGHT): done("pre")},
    )
    plan = decide(seen, SETTINGS, T0)
    name = plan.create_jobs[0]["metadata"]["name"]
    failure = {
        "batchId": "tenants:0-1",
        "exitCode": 2,
        "reason": "DeterminismViolation",
        "message": "digest differs",
    }
    seen = apply(seen, plan, {name: JobView(name, JobState.FAILED, json.dumps(failure))})
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Failed" and plan.status["exitCode"] == 2
    assert conditions(plan)["Ready"] == ("False", "DeterminismViolation")
    assert "digest differs" in plan.status["message"]
    assert len(plan.write_leases) == 2 and all(
        "holderIdentity" not in body["spec"] for body in plan.write_leases
    )


def test_preflight_failure_reports_the_failed_check():
    seen = apply(observed(), decide(observed(), SETTINGS, T0))
    checks = {
        "passed": False,
        "checks": [
            {"check": "salt", "ok": True},
            {
                "check": "worm",
                "ok": False,
                "detail": "bucket has no Object Lock",
                "reason": "WormUnavailable",
                "exitCode": 4,
            },
        ],
    }
    seen = dataclasses.replace(
        seen,
        jobs={
            job_name(ref(), JobRole.PREFLIGHT): JobView("pre", JobState.FAILED, json.dumps(checks))
        },
    )
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["exitCode"] == 4 and conditions(plan)["PreflightPassed"] == (
        "False",
        "WormUnavailable",
    )


def test_cancel_deletes_active_jobs_and_releases():
    seen = apply(
        observed(), decide(observed(), SETTINGS, T0), {"pre": JobView("pre", JobState.ACTIVE)}
    )
    seen = dataclasses.replace(seen, spec=seen.spec.model_copy(update={"cancel": True}))
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Cancelled" and plan.delete_jobs == ["pre"]
    assert len(plan.write_leases) == 2


def test_cancel_after_the_preflight_publishes_a_cancel_report_before_releasing():
    seen = observed()
    plan = decide(seen, SETTINGS, T0)
    pre = job_name(ref(), JobRole.PREFLIGHT)
    seen = apply(seen, plan, {pre: done(pre)})
    plan = decide(seen, SETTINGS, T0)
    batch = plan.create_jobs[0]["metadata"]["name"]
    seen = apply(seen, plan, {batch: JobView(batch, JobState.ACTIVE)})
    seen = dataclasses.replace(seen, spec=seen.spec.model_copy(update={"cancel": True}))

    plan = decide(seen, SETTINGS, T0)
    cancel_report = job_name(ref(), JobRole.CANCEL_REPORT)
    assert plan.delete_jobs == [batch]
    assert [j["metadata"]["name"] for j in plan.create_jobs] == [cancel_report]
    assert plan.create_jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"][-1] == (
        "--cancelled"
    )
    assert plan.status["phase"] == "Running" and conditions(plan)["Ready"][1] == "Cancelling"
    assert all(body["spec"]["holderIdentity"] == UID for body in plan.write_leases)

    seen = apply(seen, plan, {cancel_report: JobView(cancel_report, JobState.ACTIVE)})
    seen = dataclasses.replace(seen, jobs={k: v for k, v in seen.jobs.items() if k != batch})
    plan = decide(seen, SETTINGS, T0)
    assert plan.create_jobs == plan.delete_jobs == [] and plan.status["phase"] == "Running"

    report = {"uri": "s3://worm/r.json", "sha256": "ab" * 32, "verified": True}
    seen = apply(seen, plan, {cancel_report: done(cancel_report, report)})
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Cancelled" and plan.status["report"]["verified"] is True
    assert conditions(plan)["ReportPublished"] == ("True", "ReportVerified")
    assert [body["spec"].get("holderIdentity") for body in plan.write_leases] == [None, None]


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
    plan = decide(observed(run_spec={"profileHash": "0" * 64}), SETTINGS, T0)
    assert (
        conditions(plan)["ProfileValid"] == ("False", "ProfileDrift")
        and plan.status["exitCode"] == 2
    )
    plan = decide(observed(namespace_tenant="tenant-b"), SETTINGS, T0)
    assert conditions(plan)["Ready"][1] == "TenantMismatch"


def test_dry_run_is_one_job():
    seen = observed(run_spec={"dryRun": True})
    plan = decide(seen, SETTINGS, T0)
    assert [j["metadata"]["labels"]["seeding.iabank.io/role"] for j in plan.create_jobs] == [
        "dry-run"
    ]
    name = plan.create_jobs[0]["metadata"]["name"]
    plan = decide(apply(seen, plan, {name: done(name)}), SETTINGS, T0)
    assert plan.status["phase"] == "Succeeded" and "report" not in plan.status


def test_carga_runs_up_to_the_load_parallelism():
    perf = spec_of("perf/tenant-a", environment="dev")
    seen = observed(profile=perf)
    seen = apply(
        seen, decide(seen, SETTINGS, T0), {job_name(ref(perf), JobRole.PREFLIGHT): done("pre")}
    )
    plan = decide(seen, SETTINGS, T0)
    assert len(plan.create_jobs) == 1  # level 0 is the single tenants batch
    name = plan.create_jobs[0]["metadata"]["name"]
    plan = decide(apply(seen, plan, {name: done(name)}), SETTINGS, T0)
    assert len(plan.create_jobs) == SETTINGS.parallelism_load == 4


def test_decide_is_idempotent():
    seen = observed()
    assert decide(seen, SETTINGS, T0).status == decide(seen, SETTINGS, T0).status


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


def test_a_report_of_a_failed_run_fails_the_seedrun_with_the_runs_reason():
    seen = observed()
    plan = decide(seen, SETTINGS, T0)
    jobs = {job_name(ref(), JobRole.PREFLIGHT): done("pre")}
    for number, _ in enumerate(plan_batches(entity_counts(DEV), SETTINGS.batch_rows), start=1):
        name = job_name(ref(), JobRole.BATCH, number)
        jobs[name] = done(name)
    report = job_name(ref(), JobRole.REPORT)
    jobs[report] = done(
        report,
        {
            "uri": "s3://worm/r.json",
            "sha256": "ab" * 32,
            "verified": True,
            "outcome": "failed",
            "reason": "TelemetryUnavailable",
        },
    )
    plan = decide(apply(seen, plan, jobs), SETTINGS, T0)
    assert plan.status["phase"] == "Failed" and plan.status["exitCode"] == 4
    assert conditions(plan)["Ready"] == ("False", "TelemetryUnavailable")
    assert plan.status["report"]["uri"] == "s3://worm/r.json"  # the evidence is still linked
