"""The operator's pure core: conditions, Leases, the queue, Job manifests, settings."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seed_operator.conditions import Progress, set_condition
from seed_operator.jobs import (
    JobState,
    RunRef,
    batch_outcome,
    build_job,
    job_name,
    job_state,
    job_views,
    labels_of,
)
from seed_operator.leases import (
    LeaseState,
    classify_lease,
    lease_body,
    pick_slot,
    run_lease_names,
    slot_lease_names,
    tenant_lease_name,
)
from seed_operator.queue import QueueEntry, queue_entry_of, queue_expired, queue_position
from seed_operator.settings import OperatorSettings
from seedlib.contract.job import JobEnv, JobRole, RunId, TenantSlug
from seedlib.contract.seedrun import ConditionStatus, ConditionType
from seedlib.rules.batches import BatchSpec

T0 = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)


def test_condition_transition_time_moves_only_when_status_flips():
    first = set_condition(
        [],
        ConditionType.WINDOW_OPEN,
        ConditionStatus.FALSE,
        Progress.OUTSIDE_WINDOW,
        "opens 22:00",
        generation=1,
        now=T0,
    )
    assert first[0]["lastTransitionTime"] == "2025-01-01T03:00:00Z"
    same = set_condition(
        first,
        ConditionType.WINDOW_OPEN,
        ConditionStatus.FALSE,
        Progress.OUTSIDE_WINDOW,
        "opens 22:00",
        generation=1,
        now=T0 + dt.timedelta(hours=1),
    )
    assert same is first  # nothing changed: no write needed
    reworded = set_condition(
        first,
        ConditionType.WINDOW_OPEN,
        ConditionStatus.FALSE,
        Progress.OUTSIDE_WINDOW,
        "opens at 22:00",
        generation=1,
        now=T0 + dt.timedelta(hours=1),
    )
    assert reworded[0]["lastTransitionTime"] == "2025-01-01T03:00:00Z"
    flipped = set_condition(
        reworded,
        ConditionType.WINDOW_OPEN,
        ConditionStatus.TRUE,
        Progress.INSIDE_WINDOW,
        "",
        generation=1,
        now=T0 + dt.timedelta(hours=19),
    )
    assert flipped[0]["lastTransitionTime"] == "2025-01-01T22:00:00Z"


def test_conditions_keep_their_documented_order():
    conditions: list[dict[str, object]] = []
    for kind in reversed(list(ConditionType)):
        conditions = set_condition(
            conditions, kind, ConditionStatus.UNKNOWN, "Pending", "", generation=1, now=T0
        )
    assert [c["type"] for c in conditions] == [k.value for k in ConditionType]


def lease(holder: str | None, renewed: dt.datetime | None, duration: int = 60) -> dict[str, object]:
    spec: dict[str, object] = {"leaseDurationSeconds": duration}
    if holder:
        spec["holderIdentity"] = holder
    if renewed:
        spec["renewTime"] = renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"metadata": {"name": "x", "resourceVersion": "7"}, "spec": spec}


@pytest.mark.parametrize(
    ("body", "state"),
    [
        (None, LeaseState.FREE),
        (lease(None, None), LeaseState.FREE),
        (lease("me", T0), LeaseState.OURS),
        (lease("other", T0 - dt.timedelta(seconds=59)), LeaseState.HELD),
        (lease("other", T0 - dt.timedelta(seconds=60)), LeaseState.EXPIRED),
        (lease("other", None), LeaseState.EXPIRED),
    ],
)
def test_classify_lease(body, state):
    assert classify_lease(body, "me", T0) is state


def test_lease_body_acquires_renews_takes_over_and_releases():
    taken = lease_body(
        "l",
        "seeding",
        holder="me",
        duration_seconds=60,
        now=T0,
        previous=lease("old", T0 - dt.timedelta(hours=1)),
    )
    assert taken["spec"]["holderIdentity"] == "me" and taken["spec"]["leaseTransitions"] == 1
    assert taken["metadata"]["resourceVersion"] == "7"  # compare-and-swap
    renewed = lease_body(
        "l",
        "seeding",
        holder="me",
        duration_seconds=60,
        now=T0 + dt.timedelta(seconds=20),
        previous=taken,
    )
    assert renewed["spec"]["acquireTime"] == taken["spec"]["acquireTime"]
    assert renewed["spec"]["renewTime"] > taken["spec"]["renewTime"]
    assert renewed["spec"]["leaseTransitions"] == 1
    released = lease_body(
        "l", "seeding", holder=None, duration_seconds=60, now=T0, previous=renewed
    )
    assert "holderIdentity" not in released["spec"]
    assert classify_lease(released, "anyone", T0) is LeaseState.FREE


def test_pick_slot_prefers_ours_then_free_then_expired():
    names = slot_lease_names("perf", 3)
    assert names == ["seed-slot-perf-0", "seed-slot-perf-1", "seed-slot-perf-2"]
    busy = lease("a", T0)
    assert (
        pick_slot({names[0]: busy, names[1]: lease("b", T0), names[2]: None}, "me", T0) == names[2]
    )
    assert (
        pick_slot({names[0]: busy, names[1]: lease("me", T0), names[2]: None}, "me", T0) == names[1]
    )
    stale = lease("b", T0 - dt.timedelta(minutes=5))
    assert pick_slot({names[0]: busy, names[1]: stale}, "me", T0) == names[1]
    assert pick_slot({names[0]: busy, names[1]: lease("b", T0)}, "me", T0) is None


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=80))
def test_lease_names_are_dns_labels(tenant):
    tenant = tenant.strip("-") or "t"
    name = tenant_lease_name(TenantSlug(tenant), "staging")
    assert len(name) <= 63
    assert name == tenant_lease_name(TenantSlug(tenant), "staging")


def test_a_runs_lease_list_is_its_tenant_lease_then_the_slots():
    assert run_lease_names(TenantSlug("tenant-a"), "perf", 2) == [
        "seed-tenant-perf-tenant-a",
        "seed-slot-perf-0",
        "seed-slot-perf-1",
    ]


def entry(uid: str, minutes: int, env: str = "perf") -> QueueEntry:
    at = T0 + dt.timedelta(minutes=minutes)
    return QueueEntry(at, at, uid, env)


def test_queue_is_fifo_per_environment():
    a, b, c, d = entry("a", 0), entry("b", 1), entry("c", 2), entry("d", 0, "dr")
    queued = [c, a, d, b]
    assert [queue_position(x, queued) for x in (a, b, c, d)] == [1, 2, 3, 1]
    tie = QueueEntry(a.enqueued_at, a.created_at, "0", "perf")  # same instant: the uid decides
    assert queue_position(tie, [*queued, tie]) == 1


def test_a_queued_runs_entry_is_read_from_its_body():
    def run(reason: str, queue: dict[str, str] | None) -> dict[str, object]:
        lock = {"type": "LockAcquired", "status": "False", "reason": reason}
        status = {"environment": "perf", "conditions": [lock], "queue": queue}
        meta = {"uid": "u1", "creationTimestamp": "2025-01-01T02:59:00Z"}
        return {"metadata": meta, "status": status}

    entry = queue_entry_of(run("WaitingForSlot", {"enqueuedAt": "2025-01-01T03:00:00Z"}))
    assert entry == QueueEntry(T0, T0 - dt.timedelta(minutes=1), "u1", "perf")
    assert entry is not None and entry.wants_slot
    tenant = queue_entry_of(run("WaitingForTenantLease", {"enqueuedAt": "2025-01-01T03:00:00Z"}))
    assert tenant is not None and not tenant.wants_slot
    assert queue_entry_of(run("WaitingForSlot", None)) is None


def test_queue_ttl():
    assert not queue_expired(T0, T0 + dt.timedelta(seconds=299), 300)
    assert queue_expired(T0, T0 + dt.timedelta(seconds=300), 300)


RUN = RunRef(
    name="tenant-a-perf-nightly-load-run-with-a-rather-long-name",
    namespace="seeding",
    uid=RunId(uuid.UUID("0f6c7a1e-2b1d-4c3e-9a8b-7c6d5e4f3a2b")),
    tenant=TenantSlug("tenant-a"),
    environment="perf",
    mode="carga",
    requested_by="ci@pipeline",
    profile_json='{"tenant":"tenant-a"}',
    backoff_limit=5,
)


def test_job_names_are_deterministic_dns_labels():
    names = {job_name(RUN, role, 7) for role in JobRole}
    assert len(names) == len(JobRole)
    for name in names:
        assert len(name) <= 63 and name.endswith("-0f6c7")
    assert job_name(RUN, JobRole.BATCH, 7) == job_name(RUN, JobRole.BATCH, 7)
    assert job_name(RUN, JobRole.BATCH, 7) != job_name(RUN, JobRole.BATCH, 8)


def test_batch_job_manifest():
    settings = OperatorSettings(image="registry.example/seed:1.0")
    batch = BatchSpec(2, "customers", 0, 50000)
    job = build_job(
        RUN, JobRole.BATCH, settings, batch=batch, batch_number=3, traceparent="00-abc-def-01"
    )
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    assert job["metadata"]["ownerReferences"][0]["uid"] == str(RUN.uid)
    assert job["metadata"]["ownerReferences"][0]["controller"] is True
    assert spec["backoffLimit"] == 5
    rule = spec["podFailurePolicy"]["rules"][0]
    assert rule == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "seed", "operator": "In", "values": [2, 6]},
    }
    assert pod["restartPolicy"] == "Never" and pod["serviceAccountName"] == "seed-runner"
    container = pod["containers"][0]
    assert container["command"] == ["seedctl", "job", "batch", "--batch-id", "customers:0-50000"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        JobEnv.RUN_ID: str(RUN.uid),
        JobEnv.RUN_NAME: RUN.name,
        JobEnv.PROFILE_JSON: RUN.profile_json,
        JobEnv.REQUESTED_BY: "ci@pipeline",
        JobEnv.BATCH_ROWS: "50000",
        JobEnv.LOCAL_DIR: "/tmp/seed",
        JobEnv.TERMINATION_MESSAGE_PATH: container["terminationMessagePath"],
        JobEnv.TRACEPARENT: "00-abc-def-01",
    }
    assert job["metadata"]["labels"]["seeding.iabank.io/batch"] == "customers.0-50000"
    assert labels_of(RUN, JobRole.BATCH, batch)["seeding.iabank.io/table"] == "customers"


def test_every_role_runs_its_seedctl_job_command():
    for role in JobRole:
        batch = BatchSpec(0, "tenants", 0, 1) if role is JobRole.BATCH else None
        job = build_job(RUN, role, OperatorSettings(), batch=batch, batch_number=1)
        command = job["spec"]["template"]["spec"]["containers"][0]["command"]
        assert command[:3] == ["seedctl", "job", role.value]


def _job(conditions: dict[str, str], role: str = "batch") -> dict[str, object]:
    return {
        "metadata": {"name": "j", "labels": {"seeding.iabank.io/role": role}},
        "status": {"conditions": [{"type": t, "status": s} for t, s in conditions.items()]},
    }


def test_a_jobs_state_is_read_from_its_conditions_once():
    assert job_state(_job({})) is JobState.ACTIVE
    assert job_state(_job({"Complete": "True"})) is JobState.SUCCEEDED
    assert job_state(_job({"Failed": "True"})) is JobState.FAILED
    assert job_state(_job({"Failed": "False", "Suspended": "True"})) is JobState.ACTIVE
    assert batch_outcome(_job({"Complete": "True"})) == "succeeded"
    assert batch_outcome(_job({"Failed": "True"})) == "failed"
    assert batch_outcome(_job({"Complete": "True"}, role="report")) is None


def test_a_finished_jobs_message_is_its_latest_pods_termination_message():
    def pod(created: str, message: str) -> dict[str, object]:
        terminated = {"exitCode": 0, "message": message}
        return {
            "metadata": {"labels": {"job-name": "j"}, "creationTimestamp": created},
            "status": {"containerStatuses": [{"state": {"terminated": terminated}}]},
        }

    pods = [pod("2025-01-01T03:00:02Z", "second"), pod("2025-01-01T03:00:01Z", "first")]
    (view,) = job_views([_job({"Complete": "True"})], pods).values()
    assert (view.name, view.state, view.message) == ("j", JobState.SUCCEEDED, "second")
    (running,) = job_views([_job({})], pods).values()
    assert running.message is None  # a running Job has no verdict yet


def test_only_batch_jobs_take_a_batch():
    with pytest.raises(ValueError, match="batch"):
        build_job(RUN, JobRole.REPORT, OperatorSettings(), batch=BatchSpec(0, "tenants", 0, 1))
    with pytest.raises(ValueError, match="batch"):
        build_job(RUN, JobRole.BATCH, OperatorSettings())


def test_settings_from_environment():
    settings = OperatorSettings.from_env(
        {
            "SEED_GLOBAL_CAP": "3",
            "SEED_GLOBAL_CAP_PERF": "1",
            "SEED_WATCH_NAMESPACES": "a, b",
            "SEED_QUEUE_TTL_SECONDS": "120",
        }
    )
    assert settings.cap_for("perf") == 1 and settings.cap_for("staging") == 3
    assert settings.namespaces == ("a", "b") and settings.queue_ttl_seconds == 120
    with pytest.raises(ValueError, match="SEED_GLOBAL_CAP"):
        OperatorSettings.from_env({"SEED_GLOBAL_CAP": "zero"})


def test_job_views_read_the_adapters_plain_objects():
    """kube.Kube hands Jobs and Pods over as the client's sanitize_for_serialization dicts."""
    from kubernetes import client

    api = client.ApiClient()
    created = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)
    job = client.V1Job(
        metadata=client.V1ObjectMeta(name="run-1-pre-1f6c7"),
        status=client.V1JobStatus(
            conditions=[client.V1JobCondition(type="Complete", status="True")]
        ),
    )
    terminated = client.V1ContainerStateTerminated(exit_code=0, message='{"role":"preflight"}')
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(
            name="run-1-pre-1f6c7-abcde",
            labels={"job-name": "run-1-pre-1f6c7"},
            creation_timestamp=created,
        ),
        status=client.V1PodStatus(
            container_statuses=[
                client.V1ContainerStatus(
                    name="seed",
                    image="i",
                    image_id="",
                    ready=False,
                    restart_count=0,
                    state=client.V1ContainerState(terminated=terminated),
                )
            ]
        ),
    )
    plain = [api.sanitize_for_serialization(o) for o in (job, pod)]
    (view,) = job_views([plain[0]], [plain[1]]).values()
    assert view.state is JobState.SUCCEEDED and view.message == '{"role":"preflight"}'


def test_an_event_names_its_seedrun_and_keeps_within_the_message_limit():
    from seed_operator.kube import event_body

    run = {"metadata": {"name": "run-1", "namespace": "seeding", "uid": "u1"}}
    event = event_body(run, "Warning", "QueueTimeout", "x" * 5000, T0)
    assert event["involvedObject"] == {
        "apiVersion": "seeding.iabank.io/v1alpha1",
        "kind": "SeedRun",
        "name": "run-1",
        "namespace": "seeding",
        "uid": "u1",
    }
    assert event["metadata"] == {"generateName": "run-1.", "namespace": "seeding"}
    assert (event["type"], event["reason"], len(event["message"])) == (
        "Warning",
        "QueueTimeout",
        1024,
    )
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2025-01-01T03:00:00Z"
