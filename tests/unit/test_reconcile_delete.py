"""A deleted or finished SeedRun lets go of what it holds, decided without an API server."""

from __future__ import annotations

import dataclasses
import datetime as dt

from seed_operator.leases import lease_body
from seed_operator.reconcile import Deleting, decide, decide_delete, lease_names_of
from seed_operator.settings import OperatorSettings
from seed_operator.tracecontext import run_span_id
from tests.operator_support import RUN_ID, SETTINGS, T0, UID, carried_out, observed


def lease(name: str, holder: str) -> dict[str, object]:
    return lease_body(name, "seeding", holder=holder, duration_seconds=60, now=T0, previous=None)


def test_the_leases_of_a_run_are_named_from_its_status_once():
    status = {"tenant": "tenant-a", "environment": "perf"}
    settings = OperatorSettings(global_caps={"perf": 3})
    assert lease_names_of(status, settings) == [
        "seed-tenant-perf-tenant-a",
        "seed-slot-perf-0",
        "seed-slot-perf-1",
        "seed-slot-perf-2",
    ]
    assert lease_names_of({"phase": "Failed"}, settings) == []  # its profile never resolved


def test_deleting_a_running_run_deletes_its_jobs_and_pods_and_releases_only_its_leases():
    seen = Deleting(
        uid=RUN_ID,
        created_at=T0,
        status={"phase": "Running", "tenant": "tenant-a", "environment": "dev"},
        dry_run=False,
        jobs=["run-1-pre-1f6c7"],
        pods=["run-1-pre-1f6c7-x"],
        leases={
            "seed-tenant-dev-tenant-a": lease("seed-tenant-dev-tenant-a", UID),
            "seed-slot-dev-0": lease("seed-slot-dev-0", "another-run"),
            "seed-slot-dev-1": lease("seed-slot-dev-1", UID),
        },
    )
    plan = decide_delete(seen, SETTINGS, T0 + dt.timedelta(seconds=1))
    assert plan.delete_jobs == ["run-1-pre-1f6c7"] and plan.delete_pods == ["run-1-pre-1f6c7-x"]
    assert [b["metadata"]["name"] for b in plan.write_leases] == [
        "seed-tenant-dev-tenant-a",
        "seed-slot-dev-1",
    ]
    assert all("holderIdentity" not in b["spec"] for b in plan.write_leases)
    assert plan.run_span is not None and plan.run_span.span_id == run_span_id(UID)
    assert plan.run_span.attributes["seed.run.phase"] == "Deleted"


def test_deleting_a_finished_run_emits_no_second_span():
    seen = Deleting(uid=RUN_ID, created_at=T0, status={"phase": "Succeeded"}, dry_run=False)
    plan = decide_delete(seen, SETTINGS, T0)
    assert plan.run_span is None and plan.write_leases == [] and plan.delete_jobs == []


def test_a_finished_run_still_holding_its_leases_releases_them():
    seen = observed()
    seen = carried_out(seen, decide(seen, SETTINGS, T0))
    finished = dataclasses.replace(seen, status={**seen.status, "phase": "Failed"})
    plan = decide(finished, SETTINGS, T0)
    assert len(plan.write_leases) == 2
    assert all("holderIdentity" not in b["spec"] for b in plan.write_leases)
    assert plan.status["phase"] == "Failed" and plan.create_jobs == []
