"""Helpers for the operator's pure-core tests: an observed SeedRun, the next observation once a
plan was carried out, and the result lines Jobs answer with (``seedlib.contract.job``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from seed_operator.jobs import JobState, JobView, RunRef, job_name
from seed_operator.reconcile import Observed, Plan
from seed_operator.settings import OperatorSettings
from seedlib.contract.job import (
    BatchId,
    BatchResult,
    CheckResult,
    JobResult,
    JobRole,
    PreflightResult,
    ReportResult,
    RunId,
    RunOutcome,
    TenantSlug,
)
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.seedrun import SeedRunSpec
from seedlib.errors import SeedError
from seedlib.generator import entity_counts
from seedlib.rules.batches import BatchSpec, plan_batches
from tests.support import spec_of

SETTINGS = OperatorSettings(batch_rows=500, global_cap=2)
"""The operator's default batch size is 500 here; preflights answer ``PREFLIGHT_ROWS``."""
PREFLIGHT_ROWS = 400
"""The segmentation the preflight Jobs of these tests decide (not the operator's default)."""
DEV = spec_of("dev/tenant-a")
STAGING = spec_of("staging/tenant-a")
T0 = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)
UID = "1f6c7a1e-2b1d-4c3e-9a8b-7c6d5e4f3a2b"
RUN_ID = RunId(uuid.UUID(UID))
REPORT_URI = "s3://worm/worm/seeds/dev/tenant-a/x.json?versionId=1"


def observed(profile: SeedProfileSpec | None = DEV, **changes: Any) -> Observed:
    spec = SeedRunSpec.model_validate(
        {"profileRef": {"name": "tenant-a-dev"}, "requestedBy": "qa", **changes.pop("run_spec", {})}
    )
    base = Observed(
        name="run-1",
        namespace="seeding",
        uid=RUN_ID,
        generation=1,
        created_at=T0,
        spec=spec,
        status=changes.pop("status", None) or {},
        profile=profile,
    )
    return dataclasses.replace(base, **changes)


def ref(profile: SeedProfileSpec = DEV) -> RunRef:
    return RunRef(
        "run-1",
        "seeding",
        RUN_ID,
        TenantSlug(profile.tenant),
        profile.environment.value,
        profile.mode.value,
        "qa",
        "{}",
        3,
    )


def carried_out(seen: Observed, plan: Plan, jobs: dict[str, JobView] | None = None) -> Observed:
    """The next observation after the handler carried the plan out (Jobs as given)."""
    leases = {body["metadata"]["name"]: body for body in plan.write_leases}
    tenant = next((n for n in leases if n.startswith("seed-tenant-")), None)
    return dataclasses.replace(
        seen,
        status=plan.status,
        tenant_lease=leases[tenant] if tenant else seen.tenant_lease,
        slot_leases={
            **seen.slot_leases,
            **{n: b for n, b in leases.items() if n.startswith("seed-slot-")},
        },
        jobs={**seen.jobs, **(jobs or {})},
    )


def conditions(plan: Plan) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in plan.status["conditions"]}


def preflight_line(batch_rows: int | None = PREFLIGHT_ROWS) -> str:
    checks = (CheckResult(check="vault", ok=True, detail="salt v1"),)
    return JobResult(
        role=JobRole.PREFLIGHT,
        exit_code=0,
        preflight=PreflightResult(checks=checks, batch_rows=batch_rows),
    ).to_line()


def batch_line(batch_id: str = "tenants:0-1") -> str:
    table = batch_id.split(":", 1)[0]
    result = BatchResult(
        batch_id=BatchId(batch_id), table=table, rows=1, sha256="ab" * 32, written=True, seconds=0
    )
    return JobResult(role=JobRole.BATCH, exit_code=0, batch=result).to_line()


def report_line(
    role: JobRole = JobRole.REPORT, outcome: RunOutcome = RunOutcome.SUCCEEDED, **more: Any
) -> str:
    report = ReportResult(uri=REPORT_URI, sha256="ab" * 32, verified=True, outcome=outcome, **more)
    return JobResult(role=role, exit_code=0, report=report).to_line()


def failed_line(role: JobRole, error: SeedError) -> str:
    return JobResult.failed(role, error).to_line()


def done(name: str, line: str) -> JobView:
    return JobView(name, JobState.SUCCEEDED, line)


def failed(name: str, line: str | None) -> JobView:
    return JobView(name, JobState.FAILED, line)


def active(name: str) -> JobView:
    return JobView(name, JobState.ACTIVE)


def preflight_done(profile: SeedProfileSpec = DEV) -> dict[str, JobView]:
    name = job_name(ref(profile), JobRole.PREFLIGHT)
    return {name: done(name, preflight_line())}


def plan_of(profile: SeedProfileSpec = DEV, batch_rows: int = PREFLIGHT_ROWS) -> list[BatchSpec]:
    return plan_batches(entity_counts(profile), batch_rows)


def all_batches_done(profile: SeedProfileSpec = DEV) -> dict[str, JobView]:
    jobs = {}
    for number, batch in enumerate(plan_of(profile), start=1):
        name = job_name(ref(profile), JobRole.BATCH, number)
        jobs[name] = done(name, batch_line(batch.id))
    return jobs


def role_of(job: dict[str, Any]) -> str:
    return str(job["metadata"]["labels"]["seeding.iabank.io/role"])
