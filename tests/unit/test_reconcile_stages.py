"""The Job stages of an admitted SeedRun without an API server: preflight, batches, report, dry
run; results read through the typed Job contract only."""

from __future__ import annotations

import dataclasses

import pytest

from seed_operator.jobs import job_name
from seed_operator.reconcile import decide
from seedlib.contract.job import JobRole, RunOutcome
from seedlib.errors import DependencyUnavailableError, InvalidInputError, Reason
from tests.operator_support import (
    DEV,
    PREFLIGHT_ROWS,
    REPORT_URI,
    SETTINGS,
    T0,
    active,
    all_batches_done,
    batch_line,
    carried_out,
    conditions,
    done,
    failed,
    failed_line,
    observed,
    plan_of,
    preflight_done,
    preflight_line,
    ref,
    report_line,
    role_of,
)
from tests.support import spec_of

PREFLIGHT = job_name(ref(), JobRole.PREFLIGHT)
REPORT = job_name(ref(), JobRole.REPORT)


def started():
    """A run that took its Leases and whose preflight Job succeeded."""
    seen = observed()
    return carried_out(seen, decide(seen, SETTINGS, T0), preflight_done())


def test_happy_path_from_leases_to_a_verified_report():
    seen = observed()
    plan = decide(seen, SETTINGS, T0)
    assert [j["metadata"]["name"] for j in plan.create_jobs] == [PREFLIGHT]
    assert plan.create_jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "seedctl",
        "job",
        "preflight",
    ]
    seen = carried_out(seen, plan, {PREFLIGHT: active(PREFLIGHT)})
    plan = decide(seen, SETTINGS, T0)
    assert plan.create_jobs == []
    assert conditions(plan)["PreflightPassed"] == ("Unknown", "PreflightRunning")

    seen = carried_out(seen, plan, preflight_done())
    batches = plan_of()
    created: list[str] = []
    for _ in range(len(batches) + 1):  # one Job at a time (baseline), level by level
        plan = decide(seen, SETTINGS, T0)
        if not plan.create_jobs or role_of(plan.create_jobs[0]) != "batch":
            break
        assert len(plan.create_jobs) == 1
        job = plan.create_jobs[0]
        name = job["metadata"]["name"]
        created.append(job["metadata"]["labels"]["seeding.iabank.io/table"])
        command = job["spec"]["template"]["spec"]["containers"][0]["command"]
        assert command[:4] == ["seedctl", "job", "batch", "--batch-id"]
        seen = carried_out(seen, plan, {name: done(name, batch_line(command[4]))})
    assert len(created) == len(batches)
    order = ["tenants", "customers", "bank_accounts", "loans", "installments"]
    assert [created.index(t) for t in order] == sorted(created.index(t) for t in order)
    assert plan.status["batches"] == {
        "total": len(batches),
        "pending": 0,
        "running": 0,
        "succeeded": len(batches),
        "failed": 0,
    }
    assert [j["metadata"]["name"] for j in plan.create_jobs] == [REPORT]

    seen = carried_out(seen, plan, {REPORT: done(REPORT, report_line(version_id="1"))})
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Succeeded" and plan.status["exitCode"] == 0
    assert plan.status["report"] == {
        "uri": REPORT_URI,
        "sha256": "ab" * 32,
        "verified": True,
        "versionId": "1",
    }
    assert conditions(plan)["Ready"] == ("True", "Succeeded")
    assert len(plan.write_leases) == 2  # both Leases released
    assert all("holderIdentity" not in body["spec"] for body in plan.write_leases)


def test_batches_are_planned_with_the_segmentation_the_preflight_decided():
    plan = decide(started(), SETTINGS, T0)
    assert plan.status["batchRows"] == PREFLIGHT_ROWS != SETTINGS.batch_rows
    assert plan.status["batches"]["total"] == len(plan_of(DEV, PREFLIGHT_ROWS))
    assert len(plan_of(DEV, PREFLIGHT_ROWS)) != len(plan_of(DEV, SETTINGS.batch_rows))
    job = plan.create_jobs[0]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "tenants:0-1"
    env = {e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SEED_BATCH_ROWS"] == "500"  # only the default for a dataset seeded first


def test_the_kept_segmentation_outlives_the_preflight_job():
    seen = started()
    plan = decide(seen, SETTINGS, T0)
    gone = dataclasses.replace(
        carried_out(seen, plan),
        jobs={PREFLIGHT: done(PREFLIGHT, "")},  # its Pod (and termination message) is gone
    )
    later = decide(gone, SETTINGS, T0)
    assert later.status["phase"] == "Running"
    assert later.status["batches"]["total"] == len(plan_of(DEV, PREFLIGHT_ROWS))


@pytest.mark.parametrize("line", ["", "Traceback: boom", preflight_line(batch_rows=None)])
def test_a_preflight_that_does_not_say_the_batch_size_fails_the_run_honestly(line):
    seen = dataclasses.replace(started(), jobs={PREFLIGHT: done(PREFLIGHT, line)})
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Failed" and plan.status["exitCode"] == 4
    assert conditions(plan)["Ready"][1] == "JobResultUnreadable"
    assert plan.create_jobs == [] and "batchRows" not in plan.status


def test_a_failed_batch_fails_the_run_with_its_reason_and_releases():
    seen = started()
    plan = decide(seen, SETTINGS, T0)
    name = plan.create_jobs[0]["metadata"]["name"]
    error = InvalidInputError(Reason.DETERMINISM_VIOLATION, "digest differs", hint="purge")
    seen = carried_out(seen, plan, {name: failed(name, failed_line(JobRole.BATCH, error))})
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["phase"] == "Failed" and plan.status["exitCode"] == 2
    assert conditions(plan)["Ready"] == ("False", "DeterminismViolation")
    assert "digest differs" in plan.status["message"] and "(hint: purge)" in plan.status["message"]
    assert len(plan.write_leases) == 2
    assert all("holderIdentity" not in body["spec"] for body in plan.write_leases)


@pytest.mark.parametrize(
    "line",
    [
        None,  # killed before it wrote anything
        "Traceback (most recent call last):\n  MemoryError",
        preflight_line(),  # another role's answer
        batch_line(),  # says it succeeded: no failure named
    ],
)
def test_a_failed_batch_without_a_readable_failure_is_job_result_unreadable(line):
    seen = started()
    plan = decide(seen, SETTINGS, T0)
    name = plan.create_jobs[0]["metadata"]["name"]
    plan = decide(carried_out(seen, plan, {name: failed(name, line)}), SETTINGS, T0)
    assert plan.status["phase"] == "Failed" and plan.status["exitCode"] == 4
    assert conditions(plan)["Ready"] == ("False", "JobResultUnreadable")
    assert conditions(plan)["BatchesComplete"] == ("False", "JobResultUnreadable")
    assert f"kubectl logs job/{name}" in plan.status["message"]


def test_preflight_failure_reports_its_reason():
    seen = carried_out(observed(), decide(observed(), SETTINGS, T0))
    error = DependencyUnavailableError(Reason.WORM_UNAVAILABLE, "bucket has no Object Lock")
    seen = dataclasses.replace(
        seen, jobs={PREFLIGHT: failed(PREFLIGHT, failed_line(JobRole.PREFLIGHT, error))}
    )
    plan = decide(seen, SETTINGS, T0)
    assert plan.status["exitCode"] == 4
    assert conditions(plan)["PreflightPassed"] == ("False", "WormUnavailable")
    assert "bucket has no Object Lock" in plan.status["message"]


def test_a_report_of_a_failed_run_fails_the_seedrun_with_the_runs_reason():
    seen = carried_out(observed(), decide(observed(), SETTINGS, T0))
    line = report_line(outcome=RunOutcome.FAILED, run_reason=Reason.TELEMETRY_UNAVAILABLE)
    jobs = {**preflight_done(), **all_batches_done(), REPORT: done(REPORT, line)}
    plan = decide(dataclasses.replace(seen, jobs=jobs), SETTINGS, T0)
    assert plan.status["phase"] == "Failed" and plan.status["exitCode"] == 4
    assert conditions(plan)["Ready"] == ("False", "TelemetryUnavailable")
    assert plan.status["report"]["uri"] == REPORT_URI  # the evidence is still linked


def test_a_report_job_without_a_report_reference_fails_the_run():
    seen = carried_out(observed(), decide(observed(), SETTINGS, T0))
    jobs = {**preflight_done(), **all_batches_done(), REPORT: done(REPORT, batch_line())}
    plan = decide(dataclasses.replace(seen, jobs=jobs), SETTINGS, T0)
    assert plan.status["phase"] == "Failed" and "report" not in plan.status
    assert conditions(plan)["ReportPublished"] == ("False", "JobResultUnreadable")


def test_dry_run_is_one_job():
    seen = observed(run_spec={"dryRun": True})
    plan = decide(seen, SETTINGS, T0)
    assert [role_of(j) for j in plan.create_jobs] == ["dry-run"]
    job = plan.create_jobs[0]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "seedctl",
        "job",
        "dry-run",
    ]
    name = job["metadata"]["name"]
    plan = decide(carried_out(seen, plan, {name: done(name, "")}), SETTINGS, T0)
    assert plan.status["phase"] == "Succeeded" and "report" not in plan.status


def test_a_failed_dry_run_fails_with_its_reason():
    seen = observed(run_spec={"dryRun": True})
    plan = decide(seen, SETTINGS, T0)
    name = plan.create_jobs[0]["metadata"]["name"]
    error = InvalidInputError(Reason.SALT_DRIFT, "v2 != v1")
    line = failed_line(JobRole.DRY_RUN, error)
    plan = decide(carried_out(seen, plan, {name: failed(name, line)}), SETTINGS, T0)
    assert plan.status["exitCode"] == 2 and conditions(plan)["Ready"][1] == "SaltDrift"


def test_carga_runs_up_to_the_load_parallelism():
    perf = spec_of("perf/tenant-a", environment="dev")
    seen = observed(profile=perf)
    seen = carried_out(seen, decide(seen, SETTINGS, T0), preflight_done(perf))
    plan = decide(seen, SETTINGS, T0)
    assert len(plan.create_jobs) == 1  # level 0 is the single tenants batch
    name = plan.create_jobs[0]["metadata"]["name"]
    plan = decide(carried_out(seen, plan, {name: done(name, batch_line())}), SETTINGS, T0)
    assert len(plan.create_jobs) == SETTINGS.parallelism_load == 4
