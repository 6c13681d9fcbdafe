"""``spec.cancel: true``: stop a SeedRun that has not finished. Pure.

The running Jobs are deleted; a run that already started (its preflight registered it in
PostgreSQL) is closed as cancelled by a cancel-report Job, so the WORM evidence says what was
written before the cancel (the run keeps its Leases while that Job runs); then ``Cancelled``,
Leases released.
"""

from __future__ import annotations

from seed_operator.conditions import Progress, timestamp
from seed_operator.jobs import JobState, JobView, job_name
from seed_operator.reconcile.admission import renew
from seed_operator.reconcile.state import FALSE, Decision, Plan, failure_of, read_report, run_ref
from seedlib.contract.job import JobRole, ReportResult
from seedlib.contract.seedrun import ConditionType, Phase
from seedlib.errors import Reason

__all__ = ["cancel"]


def cancel(d: Decision) -> Plan:
    seen, profile = d.seen, d.seen.profile
    run = run_ref(seen, profile) if profile is not None else None
    report_job = job_name(run, JobRole.CANCEL_REPORT) if run is not None else None
    d.plan.delete_jobs.extend(
        n for n, j in seen.jobs.items() if j.state is JobState.ACTIVE and n != report_job
    )
    preflight = d.job(run, JobRole.PREFLIGHT) if run is not None else None
    started = (
        preflight is not None and preflight.state is JobState.SUCCEEDED and not seen.spec.dry_run
    )
    note = ""
    if started and run is not None and profile is not None:
        view = d.job(run, JobRole.CANCEL_REPORT)
        if view is None or view.state is JobState.ACTIVE:
            if view is None:
                d.create_job(run, JobRole.CANCEL_REPORT)
            renew(d, profile)
            d.condition(
                ConditionType.READY, FALSE, Progress.CANCELLING, "publishing the cancel report"
            )
            d.phase(
                Phase.RUNNING,
                "cancelling: running Jobs deleted; publishing the report (outcome cancelled)",
                reason=Progress.CANCELLING,
            )
            return d.finish()
        note = _cancel_report(d, view)
    d.release_leases()
    d.status["finishedAt"] = timestamp(d.now)
    d.condition(ConditionType.READY, FALSE, Progress.CANCELLED, "cancelled by spec.cancel")
    d.phase(
        Phase.CANCELLED,
        f"cancelled: running Jobs deleted, Leases released{note}",
        event="Warning" if note.startswith("; the cancel") else "Normal",
    )
    return d.finish()


def _cancel_report(d: Decision, view: JobView) -> str:
    """The finished cancel-report Job into the status; the note the Cancelled message ends with."""
    if view.state is JobState.SUCCEEDED:
        report = read_report(view, JobRole.CANCEL_REPORT)
        if isinstance(report, ReportResult):
            d.record_report(report)
            return f"; report {report.uri}"
        reason, message = Reason.JOB_RESULT_UNREADABLE, report
    else:
        why = failure_of(view, JobRole.CANCEL_REPORT)
        reason, message = why.reason, why.message
    d.condition(ConditionType.REPORT_PUBLISHED, FALSE, reason.value, message)
    return f"; the cancel report failed: {message}"
