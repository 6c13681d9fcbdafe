"""The Job stages of an admitted SeedRun: preflight, batches level by level, report; or the one
dry-run Job. Pure.

The preflight Job decides the run's segmentation (``PreflightResult.batch_rows``: a resumed
dataset keeps the size its checkpoints were written with); it is kept in ``status.batchRows`` and
every later pass, on any operator, plans the batch Jobs with it. The report Job's
``ReportResult.outcome`` says whether the evidence is of a run that succeeded or failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from seed_operator.conditions import Progress, timestamp
from seed_operator.jobs import JobState, JobView, RunRef
from seed_operator.reconcile.state import (
    FALSE,
    TRUE,
    UNKNOWN,
    Decision,
    Plan,
    failure_of,
    read_report,
    result_of,
    run_ref,
)
from seedlib.contract.job import JobResultUnreadableError, JobRole, ReportResult, RunOutcome
from seedlib.contract.profile import Mode, SeedProfileSpec
from seedlib.contract.seedrun import ConditionType, Phase
from seedlib.errors import ExitCode, Reason
from seedlib.generator import entity_counts
from seedlib.rules.batches import BatchSpec, plan_batches

__all__ = ["dry_run", "stages"]


@dataclass(frozen=True, slots=True)
class _Stage:
    """A stage of one Job: its role, the condition it drives, and how it reads in the status."""

    role: JobRole
    condition: ConditionType
    running: Progress
    doing: str
    name: str


PREFLIGHT = _Stage(
    JobRole.PREFLIGHT,
    ConditionType.PREFLIGHT_PASSED,
    Progress.PREFLIGHT_RUNNING,
    "checking Vault, WORM, PostgreSQL",
    "preflight",
)
REPORT = _Stage(
    JobRole.REPORT,
    ConditionType.REPORT_PUBLISHED,
    Progress.REPORT_RUNNING,
    "signing and storing the report",
    "report",
)


def stages(d: Decision, profile: SeedProfileSpec) -> Plan:
    run = run_ref(d.seen, profile)
    preflight = _single_job(d, run, PREFLIGHT)
    if isinstance(preflight, Plan):
        return preflight
    d.condition(
        ConditionType.PREFLIGHT_PASSED, TRUE, Progress.PREFLIGHT_SUCCEEDED, "every dependency ready"
    )
    batch_rows = _batch_rows(d, preflight)
    if batch_rows is None:
        return d.plan
    waiting = _batches(d, run, profile, plan_batches(entity_counts(profile), batch_rows))
    if waiting is not None:
        return waiting
    report = _single_job(d, run, REPORT)
    if isinstance(report, Plan):
        return report
    return _report(d, profile, report)


def _batch_rows(d: Decision, preflight: JobView) -> int | None:
    """The run's segmentation: kept in the status once the preflight Job said it; None when the
    run failed because it did not (planned in ``d``)."""
    kept = d.status.get("batchRows")
    if isinstance(kept, int) and kept >= 1:
        return kept
    try:
        said = result_of(preflight, JobRole.PREFLIGHT).preflight
        rows = said.batch_rows if said is not None else None
    except JobResultUnreadableError as exc:
        problem = str(exc)
    else:
        if rows is not None:
            d.status["batchRows"] = rows
            return rows
        problem = "its result does not say the batch size"
    d.fail(
        Reason.JOB_RESULT_UNREADABLE,
        f"the preflight Job {preflight.name} succeeded, but the batches cannot be planned: "
        f"{problem}",
        "run the operator and its Jobs from the same image (SEED_IMAGE)",
    )
    return None


def _batches(
    d: Decision, run: RunRef, profile: SeedProfileSpec, batches: list[BatchSpec]
) -> Plan | None:
    """Count, fail or schedule the batch Jobs; None once every batch succeeded."""
    status = d.status
    views = [
        (number, batch, d.job(run, JobRole.BATCH, number))
        for number, batch in enumerate(batches, start=1)
    ]
    counts = {"total": len(batches), "pending": 0, "running": 0, "succeeded": 0, "failed": 0}
    names = {JobState.ACTIVE: "running", JobState.SUCCEEDED: "succeeded", JobState.FAILED: "failed"}
    for _, _, view in views:
        counts["pending" if view is None else names[view.state]] += 1
    status["batches"] = counts
    status["progress"] = f"{counts['succeeded']}/{counts['total']}"
    failed = next((v for _, _, v in views if v is not None and v.state is JobState.FAILED), None)
    if failed is not None:
        why = failure_of(failed, JobRole.BATCH)
        d.condition(ConditionType.BATCHES_COMPLETE, FALSE, why.reason.value, why.message)
        return d.fail(why.reason, f"batch Job {failed.name} failed: {why.message}", why.hint)
    if counts["succeeded"] < counts["total"]:
        _schedule_batches(d, run, profile, views, counts["running"])
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
    return None


def _schedule_batches(
    d: Decision,
    run: RunRef,
    profile: SeedProfileSpec,
    views: list[tuple[int, BatchSpec, JobView | None]],
    running: int,
) -> None:
    """Create batch Jobs in plan order: a level starts when the levels before it are done, and no
    more than the mode's parallelism run at once."""
    limit = (
        d.settings.parallelism_load
        if profile.mode in (Mode.CARGA, Mode.DR)
        else d.settings.parallelism_baseline
    )
    room = limit - running
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
            d.create_job(run, JobRole.BATCH, batch=batch, batch_number=number)
            room -= 1


def _report(d: Decision, profile: SeedProfileSpec, view: JobView) -> Plan:
    """The report Job succeeded: its reference into the status; the run's outcome decides."""
    report = published_report(d, view, JobRole.REPORT)
    if report is None:
        return d.plan
    if report.outcome is not RunOutcome.SUCCEEDED:  # evidence of a run that failed
        reason = report.run_reason or Reason.JOB_RESULT_UNREADABLE
        return d.fail(
            reason, f"the run ended {report.outcome} ({reason}); its report is {report.uri}"
        )
    d.condition(
        ConditionType.READY,
        TRUE,
        Progress.SUCCEEDED,
        f"{profile.tenant}/{profile.environment.value} seeded",
    )
    d.status.update(exitCode=int(ExitCode.OK), finishedAt=timestamp(d.now))
    d.phase(Phase.SUCCEEDED, f"seeded; report {report.uri}")
    d.release_leases()
    return d.finish()


def published_report(d: Decision, view: JobView, role: JobRole) -> ReportResult | None:
    """The reference a succeeded report Job of ``role`` published, recorded in the status; None
    when its result is unreadable (the run failed: planned in ``d``)."""
    report = read_report(view, role)
    if isinstance(report, ReportResult):
        d.record_report(report)
        return report
    d.condition(ConditionType.REPORT_PUBLISHED, FALSE, Reason.JOB_RESULT_UNREADABLE.value, report)
    d.fail(
        Reason.JOB_RESULT_UNREADABLE,
        f"the {role} Job {view.name} ended without a report reference: {report}",
        f"kubectl logs job/{view.name}",
    )
    return None


def _single_job(d: Decision, run: RunRef, stage: _Stage) -> JobView | Plan:
    """A one-Job stage: create it, wait for it, fail with its reason, or hand back its view."""
    view = d.job(run, stage.role)
    if view is None or view.state is JobState.ACTIVE:
        if view is None:
            d.create_job(run, stage.role)
        d.condition(stage.condition, UNKNOWN, stage.running, stage.doing)
        d.phase(Phase.RUNNING, f"{stage.name} running", reason=stage.running)
        return d.finish()
    if view.state is JobState.FAILED:
        why = failure_of(view, stage.role)
        d.condition(stage.condition, FALSE, why.reason.value, why.message)
        return d.fail(why.reason, f"{stage.name} failed: {why.message}", why.hint)
    return view


def dry_run(d: Decision, profile: SeedProfileSpec) -> Plan:
    """``spec.dryRun``: one Job runs the whole plan in one transaction and rolls it back."""
    run = run_ref(d.seen, profile)
    view = d.job(run, JobRole.DRY_RUN)
    if view is None:
        d.create_job(run, JobRole.DRY_RUN)
        d.condition(
            ConditionType.BATCHES_COMPLETE, UNKNOWN, Progress.BATCHES_RUNNING, "dry run Job created"
        )
        d.phase(Phase.RUNNING, "dry run: the whole plan in one transaction, rolled back")
        return d.finish()
    if view.state is JobState.ACTIVE:
        return d.finish()
    if view.state is JobState.FAILED:
        why = failure_of(view, JobRole.DRY_RUN)
        return d.fail(why.reason, f"dry run failed: {why.message}", why.hint)
    d.status.update(exitCode=0, finishedAt=timestamp(d.now), progress="dry-run")
    d.condition(ConditionType.BATCHES_COMPLETE, TRUE, Progress.DRY_RUN_SUCCEEDED, "rolled back")
    d.condition(
        ConditionType.READY, TRUE, Progress.DRY_RUN_SUCCEEDED, "dry run passed; nothing kept"
    )
    d.phase(Phase.SUCCEEDED, "dry run passed: the plan ran in one transaction and was rolled back")
    d.release_leases()
    return d.finish()
