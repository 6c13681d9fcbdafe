"""The reconcile decision of one SeedRun: observed state in, actions and status out. Pure.

The kopf handlers (``seed_operator.handlers``) read the SeedRun, its profile, its Jobs and the
Leases, call ``decide`` and carry out what it returns; everything that matters (window gate, Lease
acquisition and takeover, queue position and timeout, Job ordering and parallelism, failures and
their exit codes, cancellation, status and conditions) is decided here, where unit tests reach it
without an API server. Reconciliation is level-based: ``decide`` is called again and again with
fresh observations, and it is idempotent (same observation, same decision).

Flow (shared/DESIGN.md "Reconcile flow"): validate the profile and the pin -> wait for the window
-> take the tenant Lease and a slot Lease (or queue, FIFO, until the TTL) -> preflight Job ->
batch Jobs level by level -> report Job -> Succeeded, Leases released. ``dryRun`` replaces the
three Job stages with one dry-run Job. ``cancel`` deletes the Jobs and releases the Leases.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from seed_operator.conditions import Progress, set_condition, timestamp
from seed_operator.jobs import JobRole, RunRef, build_job, job_name
from seed_operator.leases import (
    LeaseState,
    classify_lease,
    lease_body,
    pick_slot,
    slot_lease_names,
    tenant_lease_name,
)
from seed_operator.queue import QueueEntry, queue_expired, queue_position, slot_claims_ahead
from seed_operator.settings import OperatorSettings
from seed_operator.tracecontext import run_traceparent
from seedlib.contract.profile import Mode, SeedProfileSpec
from seedlib.contract.seedrun import ConditionStatus, ConditionType, Phase, SeedRunSpec
from seedlib.contract.violations import Violation
from seedlib.errors import REASON_EXIT_CODES, ExitCode, Reason
from seedlib.generator import entity_counts
from seedlib.rules.batches import BatchSpec, plan_batches
from seedlib.rules.window import next_opening, window_contains

__all__ = ["JobState", "JobView", "Observed", "Plan", "decide", "leases_held_after"]

Lease = Mapping[str, Any]
TRUE, FALSE, UNKNOWN = ConditionStatus.TRUE, ConditionStatus.FALSE, ConditionStatus.UNKNOWN


class JobState(StrEnum):
    ACTIVE = "Active"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@dataclass(frozen=True, slots=True)
class JobView:
    name: str
    state: JobState
    message: str | None = None
    """The termination message of its last Pod (seedctl prints one JSON line)."""


@dataclass(frozen=True, slots=True)
class Observed:
    name: str
    namespace: str
    uid: str
    generation: int
    created_at: dt.datetime
    spec: SeedRunSpec
    status: Mapping[str, Any]
    profile: SeedProfileSpec | None
    """The validated profile, or None (missing or invalid: see ``profile_problem``)."""
    profile_problem: tuple[Reason, str, str] | None = None
    """(reason, message, hint) when the profile is missing or invalid."""
    namespace_tenant: str | None = None
    """The tenant the namespace is labelled for (``seeding.iabank.io/tenant``), if any."""
    jobs: Mapping[str, JobView] = field(default_factory=dict)
    tenant_lease: Lease | None = None
    slot_leases: Mapping[str, Lease | None] = field(default_factory=dict)
    queued: Sequence[QueueEntry] = ()
    """Other runs of any environment currently Queued."""


@dataclass(slots=True)
class Plan:
    status: dict[str, Any]
    write_leases: list[dict[str, Any]] = field(default_factory=list)
    create_jobs: list[dict[str, Any]] = field(default_factory=list)
    delete_jobs: list[str] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)
    """(type Normal|Warning, reason, message), one per transition or wait."""
    requeue_after: float | None = None


class _Decision:
    """Accumulates the plan while ``decide`` walks the flow."""

    def __init__(self, seen: Observed, settings: OperatorSettings, now: dt.datetime) -> None:
        self.seen, self.settings, self.now = seen, settings, now
        status = dict(seen.status)
        self.plan = Plan(status=status)
        self.conditions: list[dict[str, Any]] = list(status.get("conditions") or [])

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

    def release_leases(self) -> None:
        self.plan.write_leases.clear()  # a renewal planned earlier in this decision is moot
        seen, uid = self.seen, self.seen.uid
        held = [
            (n, lease)
            for n, lease in self.seen.slot_leases.items()
            if classify_lease(lease, uid, self.now) is LeaseState.OURS
        ]
        if (
            self.seen.profile is not None
            and classify_lease(seen.tenant_lease, uid, self.now) is LeaseState.OURS
        ):
            held.append(
                (
                    tenant_lease_name(self.seen.profile.tenant, self.seen.profile.environment),
                    seen.tenant_lease,
                )
            )
        for name, lease in held:
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

    def record_report(self, published: Mapping[str, Any]) -> None:
        """A report Job's verified reference into ``status.report`` and ReportPublished=True."""
        self.plan.status["report"] = {
            k: published[k]
            for k in ("uri", "sha256", "versionId", "retainUntil", "verified")
            if k in published
        }
        self.condition(
            ConditionType.REPORT_PUBLISHED, TRUE, Progress.REPORT_VERIFIED, str(published["uri"])
        )

    def finish(self) -> Plan:
        self.plan.status["conditions"] = self.conditions
        self.plan.status["observedGeneration"] = self.seen.generation
        return self.plan


def _result(view: JobView | None) -> dict[str, Any]:
    """The JSON line a seedctl Job printed (its termination message), or {}."""
    if view is None or not view.message:
        return {}
    for line in reversed(view.message.strip().splitlines()):
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            return parsed
    return {}


def _failure_of(view: JobView, default: Reason) -> tuple[Reason, str]:
    result = _result(view)
    try:
        reason = Reason(str(result.get("reason")))
    except ValueError:
        reason = default
    if "checks" in result:  # seedctl preflight -o json: the first failed check
        failed: dict[str, Any] = next((c for c in result["checks"] if not c.get("ok")), {})
        with contextlib.suppress(ValueError):
            reason = Reason(str(failed.get("reason")))
        return reason, str(failed.get("detail") or f"Job {view.name} failed")
    return reason, str(result.get("message") or f"Job {view.name} failed")


def _run_ref(seen: Observed, profile: SeedProfileSpec) -> RunRef:
    return RunRef(
        name=seen.name,
        namespace=seen.namespace,
        uid=seen.uid,
        tenant=profile.tenant,
        environment=profile.environment.value,
        mode=profile.mode.value,
        requested_by=seen.spec.requested_by,
        profile_json=json.dumps(
            profile.model_dump(mode="json", by_alias=True, exclude_unset=True),
            separators=(",", ":"),
        ),
        backoff_limit=profile.backoff.max_retries,
    )


def decide(seen: Observed, settings: OperatorSettings, now: dt.datetime) -> Plan:
    d = _Decision(seen, settings, now)
    status = d.plan.status
    phase = Phase(status["phase"]) if status.get("phase") else Phase.PENDING
    if phase.terminal:
        if any(
            classify_lease(body, seen.uid, now) is LeaseState.OURS
            for body in [seen.tenant_lease, *seen.slot_leases.values()]
        ):
            d.release_leases()
        return d.finish()
    if seen.spec.cancel:
        return _cancel(d)
    profile = seen.profile
    if profile is None:
        reason, message, hint = seen.profile_problem or (
            Reason.PROFILE_NOT_FOUND,
            "profile missing",
            "",
        )
        d.condition(ConditionType.PROFILE_VALID, FALSE, reason.value, message)
        return d.fail(reason, message, hint)
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
        return d.fail(
            Reason.PROFILE_DRIFT,
            message,
            "update the pin or the profile; pins never follow silently",
        )
    if seen.namespace_tenant and seen.namespace_tenant != profile.tenant:
        message = (
            f"namespace {seen.namespace} belongs to tenant {seen.namespace_tenant}, "
            f"the profile seeds {profile.tenant}"
        )
        d.condition(ConditionType.PROFILE_VALID, FALSE, Reason.TENANT_MISMATCH.value, message)
        return d.fail(
            Reason.TENANT_MISMATCH, message, "create the SeedRun in the tenant's namespace"
        )
    d.condition(
        ConditionType.PROFILE_VALID,
        TRUE,
        Progress.VALIDATED,
        f"manifestHash {profile.manifest_hash[:12]}...",
    )

    if not status.get("startedAt"):
        if not _admit(d, profile):
            return d.finish()
    else:
        _renew(d, profile)
    if seen.spec.dry_run:
        return _dry_run(d, profile)
    return _stages(d, profile)


def _cancel(d: _Decision) -> Plan:
    """``spec.cancel``: delete the running Jobs; a run that already started (its preflight
    recorded it in PostgreSQL) is closed as cancelled by a report Job, so the WORM evidence says
    what was written before the cancel; then Cancelled, Leases released."""
    seen, status, profile = d.seen, d.plan.status, d.seen.profile
    run = _run_ref(seen, profile) if profile is not None else None
    report_job = job_name(run, JobRole.CANCEL_REPORT) if run is not None else None
    d.plan.delete_jobs.extend(
        n for n, j in seen.jobs.items() if j.state is JobState.ACTIVE and n != report_job
    )
    preflight = seen.jobs.get(job_name(run, JobRole.PREFLIGHT)) if run is not None else None
    started = (
        preflight is not None and preflight.state is JobState.SUCCEEDED and not seen.spec.dry_run
    )
    note = ""
    if started and run is not None and profile is not None and report_job is not None:
        view = seen.jobs.get(report_job)
        if view is None or view.state is JobState.ACTIVE:
            if view is None:
                d.plan.create_jobs.append(
                    build_job(
                        run,
                        JobRole.CANCEL_REPORT,
                        d.settings,
                        traceparent=run_traceparent(run.uid),
                    )
                )
            _renew(d, profile)
            d.condition(
                ConditionType.READY, FALSE, Progress.CANCELLING, "publishing the cancel report"
            )
            d.phase(
                Phase.RUNNING,
                "cancelling: running Jobs deleted; publishing the report (outcome cancelled)",
                reason=Progress.CANCELLING,
            )
            return d.finish()
        published = _result(view)
        if view.state is JobState.SUCCEEDED and {"uri", "sha256", "verified"} <= published.keys():
            d.record_report(published)
            note = f"; report {published['uri']}"
        else:
            reason, message = _failure_of(view, Reason.WORM_UNAVAILABLE)
            d.condition(ConditionType.REPORT_PUBLISHED, FALSE, reason.value, message)
            note = f"; the cancel report failed: {message}"
    d.release_leases()
    status["finishedAt"] = timestamp(d.now)
    d.condition(ConditionType.READY, FALSE, Progress.CANCELLED, "cancelled by spec.cancel")
    d.phase(
        Phase.CANCELLED,
        f"cancelled: running Jobs deleted, Leases released{note}",
        event="Warning" if note.startswith("; the cancel") else "Normal",
    )
    return d.finish()


def _admit(d: _Decision, profile: SeedProfileSpec) -> bool:
    """Window, then Leases (or the queue). True once the run may start its Jobs."""
    seen, now, status, settings = d.seen, d.now, d.plan.status, d.settings
    if not window_contains(profile.window, now):
        opening = next_opening(profile.window, now)
        window = f"{profile.window.start_utc}-{profile.window.end_utc} UTC"
        message = f"outside the window {window}; opens {timestamp(opening)}"
        d.condition(ConditionType.WINDOW_OPEN, FALSE, Progress.OUTSIDE_WINDOW, message)
        d.phase(Phase.WAITING, message, reason=Progress.OUTSIDE_WINDOW)
        d.plan.requeue_after = max(1.0, (opening - now).total_seconds())
        return False
    d.condition(
        ConditionType.WINDOW_OPEN, TRUE, Progress.INSIDE_WINDOW, "inside the off-peak window"
    )
    environment = profile.environment.value
    tenant_state = classify_lease(seen.tenant_lease, seen.uid, now)
    slot = pick_slot(
        {
            n: seen.slot_leases.get(n)
            for n in slot_lease_names(environment, settings.cap_for(environment))
        },
        seen.uid,
        now,
    )
    queue = dict(status.get("queue") or {})
    enqueued = dt.datetime.fromisoformat(
        str(queue.get("enqueuedAt", timestamp(now))).replace("Z", "+00:00")
    )
    me = QueueEntry(enqueued, seen.created_at, seen.uid, environment)
    blocked = None
    if tenant_state is LeaseState.HELD:
        blocked = (
            Progress.WAITING_FOR_TENANT_LEASE,
            f"another run of {profile.tenant}/{environment} holds its Lease",
        )
    elif slot is None:
        blocked = (
            Progress.WAITING_FOR_SLOT,
            f"{settings.cap_for(environment)} runs of {environment} already hold every slot",
        )
    elif ahead := slot_claims_ahead(me, seen.queued):
        blocked = (
            Progress.WAITING_FOR_SLOT,
            f"a slot of {environment} is free, and {ahead} earlier run(s) waiting for one go first",
        )
    if blocked is not None:
        if queue_expired(enqueued, now, settings.queue_ttl_seconds):
            status.pop("queue", None)
            d.fail(
                Reason.QUEUE_TIMEOUT,
                f"waited {settings.queue_ttl_seconds} s for the Leases of "
                f"{profile.tenant}/{environment}: {blocked[1]}",
                "retry later, or raise SEED_GLOBAL_CAP / SEED_QUEUE_TTL_SECONDS",
            )
            return False
        position = queue_position(me, [*seen.queued, me])
        status["queue"] = {"enqueuedAt": timestamp(enqueued), "position": position}
        d.condition(ConditionType.LOCK_ACQUIRED, FALSE, blocked[0], blocked[1])
        d.phase(Phase.QUEUED, f"queued at position {position}: {blocked[1]}", reason=blocked[0])
        d.plan.requeue_after = 5.0
        return False
    assert slot is not None
    for name, previous in (
        (tenant_lease_name(profile.tenant, environment), seen.tenant_lease),
        (slot, seen.slot_leases.get(slot)),
    ):
        d.write_lease(
            name,
            previous,
            holder=seen.uid,
            labels={"app.kubernetes.io/managed-by": "seed-operator"},
        )
    status.pop("queue", None)
    status["startedAt"] = timestamp(now)
    d.condition(
        ConditionType.LOCK_ACQUIRED, TRUE, Progress.LEASES_ACQUIRED, f"tenant Lease and {slot}"
    )
    d.phase(Phase.RUNNING, "Leases acquired; starting", reason=Progress.LEASES_ACQUIRED)
    return True


def _renew(d: _Decision, profile: SeedProfileSpec) -> None:
    seen, now, settings = d.seen, d.now, d.settings
    leases = [
        (tenant_lease_name(profile.tenant, profile.environment.value), seen.tenant_lease),
        *seen.slot_leases.items(),
    ]
    for name, lease in leases:
        if classify_lease(lease, seen.uid, now) is not LeaseState.OURS:
            continue
        renewed = str(((lease or {}).get("spec") or {}).get("renewTime", ""))
        last = dt.datetime.fromisoformat(renewed.replace("Z", "+00:00")) if renewed else None
        if last is None or now - last >= dt.timedelta(seconds=settings.lease_renew_seconds):
            d.write_lease(name, lease, holder=seen.uid)
    d.plan.requeue_after = float(min(settings.lease_renew_seconds, 5))


def _dry_run(d: _Decision, profile: SeedProfileSpec) -> Plan:
    seen, run = d.seen, _run_ref(d.seen, profile)
    name = job_name(run, JobRole.DRY_RUN)
    view = seen.jobs.get(name)
    if view is None:
        d.plan.create_jobs.append(
            build_job(run, JobRole.DRY_RUN, d.settings, traceparent=run_traceparent(run.uid))
        )
        d.condition(
            ConditionType.BATCHES_COMPLETE, UNKNOWN, Progress.BATCHES_RUNNING, "dry run Job created"
        )
        d.phase(Phase.RUNNING, "dry run: the whole plan in one transaction, rolled back")
        return d.finish()
    if view.state is JobState.ACTIVE:
        return d.finish()
    if view.state is JobState.FAILED:
        reason, message = _failure_of(view, Reason.PROFILE_INVALID)
        return d.fail(reason, f"dry run failed: {message}")
    d.plan.status.update(exitCode=0, finishedAt=timestamp(d.now), progress="dry-run")
    d.condition(ConditionType.BATCHES_COMPLETE, TRUE, Progress.DRY_RUN_SUCCEEDED, "rolled back")
    d.condition(
        ConditionType.READY, TRUE, Progress.DRY_RUN_SUCCEEDED, "dry run passed; nothing kept"
    )
    d.phase(Phase.SUCCEEDED, "dry run passed: the plan ran in one transaction and was rolled back")
    d.release_leases()
    return d.finish()


def _stages(d: _Decision, profile: SeedProfileSpec) -> Plan:
    seen, settings, status = d.seen, d.settings, d.plan.status
    run = _run_ref(seen, profile)
    preflight = _single_job(
        d,
        run,
        JobRole.PREFLIGHT,
        ConditionType.PREFLIGHT_PASSED,
        Progress.PREFLIGHT_RUNNING,
        "checking Vault, WORM, PostgreSQL",
        "preflight",
        Reason.PROFILE_INVALID,
    )
    if isinstance(preflight, Plan):
        return preflight
    d.condition(
        ConditionType.PREFLIGHT_PASSED, TRUE, Progress.PREFLIGHT_SUCCEEDED, "every dependency ready"
    )

    plan = plan_batches(entity_counts(profile), settings.batch_rows)
    views = [
        (number, batch, seen.jobs.get(job_name(run, JobRole.BATCH, number)))
        for number, batch in enumerate(plan, start=1)
    ]
    counts = {"total": len(plan), "pending": 0, "running": 0, "succeeded": 0, "failed": 0}
    for _, _, view in views:
        key = (
            "pending"
            if view is None
            else {
                JobState.ACTIVE: "running",
                JobState.SUCCEEDED: "succeeded",
                JobState.FAILED: "failed",
            }[view.state]
        )
        counts[key] += 1
    status["batches"] = counts
    status["progress"] = f"{counts['succeeded']}/{counts['total']}"
    failed = next(
        (view for _, _, view in views if view is not None and view.state is JobState.FAILED), None
    )
    if failed is not None:
        reason, message = _failure_of(failed, Reason.DETERMINISM_VIOLATION)
        d.condition(ConditionType.BATCHES_COMPLETE, FALSE, reason.value, message)
        return d.fail(reason, f"batch Job {failed.name} failed: {message}")
    if counts["succeeded"] < counts["total"]:
        _schedule_batches(d, run, profile, views, counts)
        d.condition(
            ConditionType.BATCHES_COMPLETE, UNKNOWN, Progress.BATCHES_RUNNING, status["progress"]
        )
        d.phase(Phase.RUNNING, f"batches {status['progress']}", reason=Progress.BATCHES_RUNNING)
        return d.finish()
    d.condition(
        ConditionType.BATCHES_COMPLETE,
        TRUE,
        Progress.BATCHES_SUCCEEDED,
        f"{counts['total']} batches",
    )

    report = _single_job(
        d,
        run,
        JobRole.REPORT,
        ConditionType.REPORT_PUBLISHED,
        Progress.REPORT_RUNNING,
        "signing and storing the report",
        "report",
        Reason.WORM_UNAVAILABLE,
    )
    if isinstance(report, Plan):
        return report
    published = _result(report)
    if not {"uri", "sha256", "verified"} <= published.keys():
        return d.fail(
            Reason.WORM_UNAVAILABLE,
            f"the report Job {report.name} ended without a report reference: {report.message!r}",
        )
    d.record_report(published)
    outcome = published.get("outcome", "succeeded")
    if outcome != "succeeded":  # evidence of a run that failed (e.g. a retried report Job)
        try:
            reason = Reason(str(published.get("reason")))
        except ValueError:
            reason = Reason.DETERMINISM_VIOLATION
        return d.fail(
            reason,
            f"the run ended {outcome} ({published.get('reason')}); its report is "
            f"{published.get('uri', '?')}",
        )
    d.condition(
        ConditionType.READY,
        TRUE,
        Progress.SUCCEEDED,
        f"{profile.tenant}/{profile.environment.value} seeded",
    )
    status.update(exitCode=int(ExitCode.OK), finishedAt=timestamp(d.now))
    d.phase(Phase.SUCCEEDED, f"seeded; report {published.get('uri', '?')}")
    d.release_leases()
    return d.finish()


def _single_job(
    d: _Decision,
    run: RunRef,
    role: JobRole,
    condition: ConditionType,
    running: Progress,
    doing: str,
    stage: str,
    default_failure: Reason,
) -> JobView | Plan:
    """A one-Job stage: create it, wait for it, fail with its reason, or hand back its result."""
    view = d.seen.jobs.get(job_name(run, role))
    if view is None or view.state is JobState.ACTIVE:
        if view is None:
            d.plan.create_jobs.append(
                build_job(run, role, d.settings, traceparent=run_traceparent(run.uid))
            )
        d.condition(condition, UNKNOWN, running, doing)
        d.phase(Phase.RUNNING, f"{stage} running", reason=running)
        return d.finish()
    if view.state is JobState.FAILED:
        reason, message = _failure_of(view, default_failure)
        d.condition(condition, FALSE, reason.value, message)
        return d.fail(reason, f"{stage} failed: {message}")
    return view


def _schedule_batches(
    d: _Decision,
    run: RunRef,
    profile: SeedProfileSpec,
    views: list[tuple[int, BatchSpec, JobView | None]],
    counts: dict[str, int],
) -> None:
    """Create batch Jobs in plan order: a level starts when the levels before it are done, and no
    more than the mode's parallelism run at once."""
    limit = (
        d.settings.parallelism_load
        if profile.mode in (Mode.CARGA, Mode.DR)
        else d.settings.parallelism_baseline
    )
    room = limit - counts["running"]
    unfinished = [
        batch.level
        for _, batch, view in views
        if view is None or view.state is not JobState.SUCCEEDED
    ]
    open_level = min(unfinished) if unfinished else 0
    for number, batch, view in views:
        if room <= 0:
            break
        if view is None and batch.level == open_level:
            d.plan.create_jobs.append(
                build_job(
                    run,
                    JobRole.BATCH,
                    d.settings,
                    batch=batch,
                    batch_number=number,
                    traceparent=run_traceparent(run.uid),
                )
            )
            room -= 1


def violations_message(violations: Sequence[Violation]) -> str:
    first = violations[0]
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    return f"{first.path}: {first.message}{more}"


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
        1 for body in leases.values() if classify_lease(body, seen.uid, now) is LeaseState.OURS
    )
