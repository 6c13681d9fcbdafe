"""What a reconcile pass sees (``Observed``), what it plans (``Plan``), and the ``Decision`` that
accumulates the plan while the phases of ``seed_operator.reconcile`` walk the flow. Pure.

Results of Jobs are read here, through the typed contract only (``JobResult.parse``): a Job that
ended without a line the contract can read is ``JobResultUnreadable`` (exit 4), never mistaken
for another verdict.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seed_operator.conditions import Progress, set_condition, timestamp
from seed_operator.jobs import JobState, JobView, RunRef, build_job, job_name
from seed_operator.leases import LeaseState, classify_lease, lease_body, tenant_lease_name
from seed_operator.queue import QueueEntry
from seed_operator.settings import OperatorSettings
from seed_operator.tracecontext import run_traceparent
from seedlib.contract.job import (
    JobResult,
    JobResultUnreadableError,
    JobRole,
    ReportResult,
    RunId,
    TenantSlug,
)
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.seedrun import ConditionStatus, ConditionType, Phase, SeedRunSpec
from seedlib.errors import REASON_EXIT_CODES, Reason
from seedlib.rules.batches import BatchSpec

__all__ = [
    "Decision",
    "JobFailed",
    "Lease",
    "Observed",
    "Plan",
    "failure_of",
    "leases_held_after",
    "read_report",
    "result_of",
    "run_ref",
]

Lease = Mapping[str, Any]
TRUE, FALSE, UNKNOWN = ConditionStatus.TRUE, ConditionStatus.FALSE, ConditionStatus.UNKNOWN


@dataclass(frozen=True, slots=True)
class Observed:
    name: str
    namespace: str
    uid: RunId
    generation: int
    created_at: dt.datetime
    spec: SeedRunSpec
    status: Mapping[str, Any]
    profile: SeedProfileSpec | None
    """The validated profile, or None (missing or invalid: see ``profile_problem``)."""
    profile_problem: tuple[Reason, str, str] | None = None
    """(reason, message, hint) when the profile is missing or invalid."""
    namespace_tenant: TenantSlug | None = None
    """The tenant the namespace is labelled for (``seeding.iabank.io/tenant``), if any."""
    jobs: Mapping[str, JobView] = field(default_factory=dict)
    tenant_lease: Lease | None = None
    slot_leases: Mapping[str, Lease | None] = field(default_factory=dict)
    queued: Sequence[QueueEntry] = ()
    """Other runs of any environment currently Queued."""

    @property
    def holder(self) -> str:
        """The ``holderIdentity`` of the Leases this run holds: its uid."""
        return str(self.uid)


@dataclass(slots=True)
class Plan:
    status: dict[str, Any]
    write_leases: list[dict[str, Any]] = field(default_factory=list)
    create_jobs: list[dict[str, Any]] = field(default_factory=list)
    delete_jobs: list[str] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)
    """(type Normal|Warning, reason, message), one per transition or wait."""
    requeue_after: float | None = None


@dataclass(frozen=True, slots=True)
class JobFailed:
    """Why a Job failed, as its result says (or ``JobResultUnreadable`` when it says nothing)."""

    reason: Reason
    message: str
    hint: str | None = None


def result_of(view: JobView, role: JobRole) -> JobResult:
    """The ``JobResult`` a Job of ``role`` left in its termination message; raises
    ``JobResultUnreadableError`` when there is none, or it is another role's."""
    result = JobResult.parse(view.message or "")
    if result.role is not role:
        raise JobResultUnreadableError(f"a {role} Job answered as a {result.role} Job")
    return result


def failure_of(view: JobView, role: JobRole) -> JobFailed:
    """Why the failed Job ``view`` failed: the failure its result names (for a preflight, else its
    first failed check), or ``JobResultUnreadable`` when its result names none."""
    try:
        result = result_of(view, role)
    except JobResultUnreadableError as exc:
        return JobFailed(
            Reason.JOB_RESULT_UNREADABLE,
            f"Job {view.name} failed without a readable result ({exc})",
            f"kubectl logs job/{view.name}: a crash, an OOM kill, activeDeadlineSeconds or "
            "another image than the operator's",
        )
    if result.failure is not None:
        failure = result.failure
        return JobFailed(failure.reason, failure.message, failure.hint)
    checks = result.preflight.checks if result.preflight is not None else ()
    failed = next((c for c in checks if not c.ok and c.reason is not None), None)
    if failed is not None and failed.reason is not None:
        return JobFailed(failed.reason, f"{failed.check}: {failed.detail}", failed.hint)
    return JobFailed(
        Reason.JOB_RESULT_UNREADABLE,
        f"Job {view.name} failed, but its result (exit code {result.exit_code}) names no failure",
        f"kubectl logs job/{view.name}",
    )


def read_report(view: JobView, role: JobRole) -> ReportResult | str:
    """The report a succeeded report Job of ``role`` published, or why it cannot be read."""
    try:
        report = result_of(view, role).report
    except JobResultUnreadableError as exc:
        return str(exc)
    return report if report is not None else "its result carries no report reference"


def run_ref(seen: Observed, profile: SeedProfileSpec) -> RunRef:
    return RunRef(
        name=seen.name,
        namespace=seen.namespace,
        uid=seen.uid,
        tenant=TenantSlug(profile.tenant),
        environment=profile.environment.value,
        mode=profile.mode.value,
        requested_by=seen.spec.requested_by,
        profile_json=json.dumps(
            profile.model_dump(mode="json", by_alias=True, exclude_unset=True),
            separators=(",", ":"),
        ),
        backoff_limit=profile.backoff.max_retries,
    )


class Decision:
    """Accumulates the plan while ``decide`` walks the flow."""

    def __init__(self, seen: Observed, settings: OperatorSettings, now: dt.datetime) -> None:
        self.seen, self.settings, self.now = seen, settings, now
        status = dict(seen.status)
        self.plan = Plan(status=status)
        self.conditions: list[dict[str, Any]] = list(status.get("conditions") or [])

    @property
    def status(self) -> dict[str, Any]:
        return self.plan.status

    def condition(
        self, kind: ConditionType, status: ConditionStatus, reason: str, message: str = ""
    ) -> None:
        self.conditions = set_condition(
            self.conditions,
            kind,
            status,
            reason,
            message,
            generation=self.seen.generation,
            now=self.now,
        )

    def phase(
        self, phase: Phase, message: str, *, event: str = "Normal", reason: str | None = None
    ) -> None:
        before = self.plan.status.get("phase")
        self.plan.status["phase"] = phase.value
        if before != phase.value or self.plan.status.get("message") != message:
            self.plan.events.append((event, reason or phase.value, message))
        self.plan.status["message"] = message

    def fail(self, reason: Reason, message: str, hint: str | None = None) -> Plan:
        self.plan.status["exitCode"] = int(REASON_EXIT_CODES[reason])
        self.plan.status["finishedAt"] = timestamp(self.now)
        self.condition(ConditionType.READY, FALSE, reason.value, message)
        self.phase(
            Phase.FAILED,
            message + (f" (hint: {hint})" if hint else ""),
            event="Warning",
            reason=reason.value,
        )
        self.release_leases()
        self.plan.delete_jobs.extend(
            n for n, j in self.seen.jobs.items() if j.state is JobState.ACTIVE
        )
        return self.finish()

    def held_leases(self) -> list[tuple[str, Lease | None]]:
        """The Leases (name, body) this run holds as observed."""
        seen = self.seen
        held = [
            (name, lease)
            for name, lease in seen.slot_leases.items()
            if classify_lease(lease, seen.holder, self.now) is LeaseState.OURS
        ]
        if (
            seen.profile is not None
            and classify_lease(seen.tenant_lease, seen.holder, self.now) is LeaseState.OURS
        ):
            tenant = TenantSlug(seen.profile.tenant)
            name = tenant_lease_name(tenant, seen.profile.environment.value)
            held.append((name, seen.tenant_lease))
        return held

    def release_leases(self) -> None:
        self.plan.write_leases.clear()  # a renewal planned earlier in this decision is moot
        for name, lease in self.held_leases():
            self.write_lease(name, lease, holder=None)

    def write_lease(
        self,
        name: str,
        previous: Lease | None,
        *,
        holder: str | None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """Plan a compare-and-swap write of one Lease: taken, renewed (holder = this run's uid)
        or released (holder None)."""
        self.plan.write_leases.append(
            lease_body(
                name,
                self.settings.lease_namespace,
                holder=holder,
                duration_seconds=self.settings.lease_duration_seconds,
                now=self.now,
                previous=previous,
                labels=labels,
            )
        )

    def create_job(
        self,
        run: RunRef,
        role: JobRole,
        *,
        batch: BatchSpec | None = None,
        batch_number: int | None = None,
    ) -> None:
        """Plan a Job of the run; every Job carries the run's ``TRACEPARENT``."""
        self.plan.create_jobs.append(
            build_job(
                run,
                role,
                self.settings,
                batch=batch,
                batch_number=batch_number,
                traceparent=run_traceparent(str(run.uid)),
            )
        )

    def job(self, run: RunRef, role: JobRole, batch_number: int | None = None) -> JobView | None:
        return self.seen.jobs.get(job_name(run, role, batch_number))

    def record_report(self, report: ReportResult) -> None:
        """A report Job's verified reference into ``status.report`` and ReportPublished=True."""
        reference: dict[str, Any] = {
            "uri": report.uri,
            "sha256": report.sha256,
            "verified": report.verified,
        }
        if report.version_id is not None:
            reference["versionId"] = report.version_id
        if report.retain_until is not None:
            reference["retainUntil"] = report.retain_until
        self.plan.status["report"] = reference
        self.condition(ConditionType.REPORT_PUBLISHED, TRUE, Progress.REPORT_VERIFIED, report.uri)

    def finish(self) -> Plan:
        self.plan.status["conditions"] = self.conditions
        self.plan.status["observedGeneration"] = self.seen.generation
        return self.plan


def leases_held_after(seen: Observed, plan: Plan | None, now: dt.datetime) -> int:
    """How many Leases (tenant + slot) the run holds once ``plan`` is carried out (``None``: the
    plan was not applied, so what was observed still stands)."""
    leases = {
        str(body["metadata"]["name"]): body
        for body in (seen.tenant_lease, *seen.slot_leases.values())
        if body is not None
    }
    for body in plan.write_leases if plan is not None else ():
        leases[str(body["metadata"]["name"])] = body
    return sum(
        1 for body in leases.values() if classify_lease(body, seen.holder, now) is LeaseState.OURS
    )
