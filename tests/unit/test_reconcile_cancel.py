"""``spec.cancel`` without an API server: Jobs deleted, a cancel report once the run started."""

from __future__ import annotations

import dataclasses

from seed_operator.jobs import job_name
from seed_operator.reconcile import decide
from seedlib.contract.job import JobRole, RunOutcome
from seedlib.errors import DependencyUnavailableError, Reason
from tests.operator_support import (
    SETTINGS,
    T0,
    UID,
    active,
    carried_out,
    conditions,
    done,
    failed,
    failed_line,
    observed,
    preflight_done,
    ref,
    report_line,
)

CANCEL_REPORT = job_name(ref(), JobRole.CANCEL_REPORT)


def cancelled(seen):
    return dataclasses.replace(seen, spec=seen.spec.model_copy(update={"cancel": True}))


def batch_running():
    """A run past its preflight with its first batch Job running, then cancelled."""
    seen = observed()
    seen = carried_out(seen, decide(seen, SETTINGS, T0), preflight_done())
    plan = decide(seen, SETTINGS, T0)
    batch = plan.create_jobs[0]["metadata"]["name"]
    return cancelled(carried_out(seen, plan, {batch: active(batch)})), batch


def test_cancel_before_the_preflight_deletes_active_jobs_and_releases():
    seen = carried_out(observed(), decide(observed(), SETTINGS, T0), {"pre": active("pre")})
    plan = decide(cancelled(seen), SETTINGS, T0)
    assert plan.status["phase"] == "Cancelled" and plan.delete_jobs == ["pre"]
    assert plan.create_jobs == [] and len(plan.write_leases) == 2
    assert conditions(plan)["Ready"] == ("False", "Cancelled")


def test_cancel_after_the_preflight_publishes_a_cancel_report_before_releasing():
    seen, batch = batch_running()
    plan = decide(seen, SETTINGS, T0)
    assert plan.delete_jobs == [batch]
    assert [j["metadata"]["name"] for j in plan.create_jobs] == [CANCEL_REPORT]
    command = plan.create_jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command == ["seedctl", "job", "cancel-report"]
    assert plan.status["phase"] == "Running" and conditions(plan)["Ready"][1] == "Cancelling"
    assert all(body["spec"]["holderIdentity"] == UID for body in plan.write_leases)

    seen = carried_out(seen, plan, {CANCEL_REPORT: active(CANCEL_REPORT)})
    seen = dataclasses.replace(seen, jobs={k: v for k, v in seen.jobs.items() if k != batch})
    plan = decide(seen, SETTINGS, T0)
    assert plan.create_jobs == plan.delete_jobs == [] and plan.status["phase"] == "Running"

    line = report_line(JobRole.CANCEL_REPORT, RunOutcome.CANCELLED)
    seen = carried_out(seen, plan, {CANCEL_REPORT: done(CANCEL_REPORT, line)})
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Cancelled" and plan.status["report"]["verified"] is True
    assert conditions(plan)["ReportPublished"] == ("True", "ReportVerified")
    assert [body["spec"].get("holderIdentity") for body in plan.write_leases] == [None, None]
    assert plan.events[-1][0] == "Normal"


def test_a_failed_or_unreadable_cancel_report_still_cancels_and_says_why():
    seen, _ = batch_running()
    error = DependencyUnavailableError(Reason.WORM_UNAVAILABLE, "bucket unreachable")
    for view, reason in (
        (failed(CANCEL_REPORT, failed_line(JobRole.CANCEL_REPORT, error)), "WormUnavailable"),
        (done(CANCEL_REPORT, "not a result"), "JobResultUnreadable"),
    ):
        plan = decide(
            dataclasses.replace(seen, jobs={**seen.jobs, CANCEL_REPORT: view}), SETTINGS, T0
        )
        assert plan.status["phase"] == "Cancelled" and "report" not in plan.status
        assert conditions(plan)["ReportPublished"] == ("False", reason)
        assert "the cancel report failed" in plan.status["message"]
        assert plan.events[-1][0] == "Warning"
        assert len(plan.write_leases) == 2
