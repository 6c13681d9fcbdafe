"""The operator end to end: a real kube-apiserver, the test kubelet running the Jobs' seedctl
commands, a real PostgreSQL, OpenBao and moto S3. From `kubectl apply` to a verified report."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml

from tests.cluster.kubelet import TestKubelet
from tests.services import AWS_ENV, free_port, stop_process
from tests.support import PROFILES, REPO, table_counts

DEV_A = PROFILES / "dev" / "tenant-a.yaml"
OPERATOR_LOG: list[Path] = []


@pytest.fixture
def runner_env(
    bao: Any,
    s3_endpoint: str,
    bucket: str,
    database_url: str,
    namespace: str,
    control_plane: Any,
    otlp: Any,
) -> dict[str, str]:
    """What the chart's seed-runner-env Secret would hold, created in the namespace."""
    mount = f"kv-{namespace}"
    client = bao.client()
    client.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})
    client.secrets.kv.v2.create_or_update_secret(
        "seeding/dev/tenant-a/salt",
        secret={"salt": "c2VlZC1vcGVyYXRvci1jbHVzdGVyLXRpZXItc2FsdA=="},
        mount_point=mount,
    )
    env = {
        **AWS_ENV,
        "SEED_DATABASE_URL": database_url,
        "SEED_VAULT_ADDR": bao.address,
        "SEED_VAULT_TOKEN": bao.token,
        "SEED_VAULT_KV_MOUNT": mount,
        "SEED_S3_ENDPOINT": s3_endpoint,
        "SEED_WORM_BUCKET": bucket,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint,
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "seed-runner-env", "namespace": namespace},
        "stringData": env,
    }
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(secret))
    return env


@pytest.fixture
def kubelet(k8s: Any, namespace: str, tmp_path: Path) -> Iterator[TestKubelet]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    with TestKubelet(
        k8s,
        namespace,
        env={"PATH": path},
        cwd=tmp_path,
        env_overrides={"SEED_LOCAL_DIR": str(tmp_path / "local")},
    ) as running:
        yield running
    assert running.errors == []


@pytest.fixture
def start_operator(
    control_plane: Any, namespace: str, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``python -m seed_operator`` for the namespace (extra settings as keyword arguments);
    every operator started is stopped at the end. Logs: tmp_path/operator-N.log."""
    started: list[tuple[subprocess.Popen[bytes], Any]] = []

    def start(**settings: str) -> subprocess.Popen[bytes]:
        path = tmp_path / f"operator-{len(started)}.log"
        OPERATOR_LOG[:] = [path]
        log = path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "seed_operator"],
            env={
                **os.environ,
                "KUBECONFIG": str(control_plane.kubeconfig),
                "SEED_WATCH_NAMESPACES": namespace,
                "SEED_LEASE_NAMESPACE": namespace,
                "SEED_BATCH_ROWS": "500",
                "SEED_LIVENESS_PORT": str(free_port()),
                "SEED_METRICS_PORT": str(free_port()),
                **settings,
            },
            cwd=REPO,
            stdout=log,
            stderr=log,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        stop_process(process, timeout=15)
        log.close()


@pytest.fixture
def operator(start_operator: Callable[..., subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    return start_operator()


def apply_profile_and_run(
    control_plane: Any, namespace: str, run_name: str = "tenant-a-dev-run"
) -> None:
    profile = copy.deepcopy(yaml.safe_load(DEV_A.read_text()))
    profile["metadata"]["namespace"] = namespace
    run = {
        "apiVersion": "seeding.iabank.io/v1alpha1",
        "kind": "SeedRun",
        "metadata": {"name": run_name, "namespace": namespace},
        "spec": {
            "profileRef": {"name": profile["metadata"]["name"]},
            "requestedBy": "qa@iabank.example",
        },
    }
    control_plane.kubectl(
        "apply",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [profile, run]}),
    )


def wait_for_phase(
    control_plane: Any, namespace: str, name: str, phases: set[str], timeout: float = 240
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = json.loads(
            control_plane.kubectl("get", "seedrun", name, "-n", namespace, "-o", "json").stdout
        )
        if (body.get("status") or {}).get("phase") in phases:
            return body
        time.sleep(1)
    pytest.fail(
        f"SeedRun {name} never reached {phases}: {json.dumps(body.get('status'), indent=1)}"
    )


def wait_for_end(
    control_plane: Any,
    namespace: str,
    kubelet: TestKubelet,
    operator: subprocess.Popen[bytes],
    log: Path,
    name: str = "tenant-a-dev-run",
) -> dict[str, Any]:
    """The run once Succeeded or Failed; on a timeout, the last Jobs' logs and the operator's
    stacks (SIGUSR1) and log are printed before the failure."""
    try:
        return wait_for_phase(control_plane, namespace, name, {"Succeeded", "Failed"}, timeout=150)
    except BaseException:
        for run in kubelet.runs[-2:]:
            print(run.job, run.exit_code, run.termination_message, run.log.read_text()[-3000:])
        operator.send_signal(signal.SIGUSR1)
        time.sleep(1)
        print(log.read_text()[-12000:])
        raise


def test_a_seedrun_goes_from_apply_to_a_verified_report(
    control_plane, namespace, runner_env, kubelet, operator, database_url
):
    apply_profile_and_run(control_plane, namespace)
    body = wait_for_end(control_plane, namespace, kubelet, operator, OPERATOR_LOG[0])
    status = body["status"]
    assert status["phase"] == "Succeeded", json.dumps(status, indent=1)
    assert status["exitCode"] == 0
    assert status["report"]["verified"] is True and status["report"]["uri"].startswith("s3://")
    assert status["batches"]["succeeded"] == status["batches"]["total"] > 10
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "ProfileValid": "True",
        "WindowOpen": "True",
        "LockAcquired": "True",
        "PreflightPassed": "True",
        "BatchesComplete": "True",
        "ReportPublished": "True",
        "Ready": "True",
    }
    counts = table_counts(database_url)
    assert counts["bank.customers"] == 100 and counts["bank.financial_transactions"] == 1000
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT status FROM seeding.runs").fetchall() == [("succeeded",)]
    table = control_plane.kubectl("get", "seedruns", "-n", namespace).stdout
    assert (
        "Succeeded" in table
        and f"{status['batches']['total']}/{status['batches']['total']}" in table
    )
    leases = json.loads(
        control_plane.kubectl("get", "leases", "-n", namespace, "-o", "json").stdout
    )["items"]
    assert leases and all(not lease["spec"].get("holderIdentity") for lease in leases)


def _profile_doc(namespace: str, name: str, **spec_changes: Any) -> dict[str, Any]:
    from seedlib.contract.canonical import manifest_hash

    profile = copy.deepcopy(yaml.safe_load(DEV_A.read_text()))
    profile["metadata"].update(namespace=namespace, name=name)
    profile["spec"].update(spec_changes)
    profile["spec"]["integrity"] = {"manifestHash": manifest_hash(profile["spec"])}
    return profile


def _run_doc(namespace: str, name: str, profile: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "seeding.iabank.io/v1alpha1",
        "kind": "SeedRun",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"profileRef": {"name": profile}, "requestedBy": "qa@iabank.example", **spec},
    }


def test_waits_for_the_window_and_fails_fast_on_bad_profiles(control_plane, namespace, operator):
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    start, end = now + dt.timedelta(hours=2), now + dt.timedelta(hours=3)
    closed = _profile_doc(
        namespace, "closed-window", window={"startUtc": f"{start:%H:%M}", "endUtc": f"{end:%H:%M}"}
    )
    stale = _profile_doc(namespace, "stale-hash")
    stale["spec"]["volumetry"]["users"]["cap"] = 6  # changed after hashing
    items = [
        closed,
        stale,
        _run_doc(namespace, "waits", "closed-window"),
        _run_doc(namespace, "pinned", "closed-window", profileHash="0" * 64),
        _run_doc(namespace, "stale", "stale-hash"),
        _run_doc(namespace, "orphan", "no-such-profile"),
    ]
    control_plane.kubectl(
        "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    )

    waiting = wait_for_phase(control_plane, namespace, "waits", {"Waiting"}, timeout=60)["status"]
    assert f"opens {start:%Y-%m-%dT%H:%M}:00Z" in waiting["message"]
    window = next(c for c in waiting["conditions"] if c["type"] == "WindowOpen")
    assert (window["status"], window["reason"]) == ("False", "OutsideWindow")
    expectations = {
        "pinned": ("ProfileDrift", "spec.profileHash"),
        "stale": ("ProfileInvalid", "spec.integrity.manifestHash"),
        "orphan": ("ProfileNotFound", "no-such-profile"),
    }
    for name, (reason, words) in expectations.items():
        status = wait_for_phase(control_plane, namespace, name, {"Failed"}, timeout=60)["status"]
        ready = next(c for c in status["conditions"] if c["type"] == "Ready")
        assert ready["reason"] == reason and status["exitCode"] == 2, status
        assert words in status["message"]
    described = control_plane.kubectl("describe", "seedrun", "waits", "-n", namespace).stdout
    assert "OutsideWindow" in described  # the wait is explained in the Events
    assert not json.loads(
        control_plane.kubectl("get", "jobs", "-n", namespace, "-o", "json").stdout
    )["items"]


# -- scenarios: the window opening, the cap, the queue, retries, crashes, cancel and delete ------


def _apply(control_plane: Any, *items: dict[str, Any]) -> None:
    control_plane.kubectl(
        "apply",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(items)}),
    )


def _add_salt(bao: Any, runner_env: dict[str, str], tenant: str) -> None:
    bao.client().secrets.kv.v2.create_or_update_secret(
        f"seeding/dev/{tenant}/salt",
        secret={"salt": "c2VlZC1vcGVyYXRvci1jbHVzdGVyLXRpZXItc2FsdA=="},
        mount_point=runner_env["SEED_VAULT_KV_MOUNT"],
    )


def _status(control_plane: Any, namespace: str, name: str) -> dict[str, Any]:
    body = json.loads(
        control_plane.kubectl("get", "seedrun", name, "-n", namespace, "-o", "json").stdout
    )
    return dict(body.get("status") or {})


def _leases(control_plane: Any, namespace: str) -> dict[str, str | None]:
    items = json.loads(
        control_plane.kubectl("get", "leases", "-n", namespace, "-o", "json").stdout
    )["items"]
    return {lease["metadata"]["name"]: lease["spec"].get("holderIdentity") for lease in items}


def _checkpoints(database_url: str) -> list[tuple[str, int, int]]:
    """(table, first_row, times committed) of every checkpoint."""
    with psycopg.connect(database_url) as conn:
        return [
            (str(table), int(first), int(count))
            for table, first, count in conn.execute(
                "SELECT table_name, first_row, count(*) FROM seeding.batches GROUP BY 1, 2"
            ).fetchall()
        ]


def _runs_per_job(kubelet: TestKubelet) -> dict[str, list[int | None]]:
    attempts: dict[str, list[int | None]] = {}
    for run in kubelet.runs:
        attempts.setdefault(run.job, []).append(run.exit_code)
    return attempts


class PhaseWatch:
    """Every phase change of every SeedRun of a namespace, from a watch (not from polling)."""

    def __init__(self, k8s: Any, namespace: str) -> None:
        import threading

        from kubernetes import watch
        from kubernetes.client import CustomObjectsApi

        self.timeline: list[tuple[float, str, str]] = []
        self._watch = watch.Watch()
        self._api = CustomObjectsApi(k8s)
        self._namespace = namespace
        self._stopped = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last: dict[str, str] = {}
        try:
            for event in self._watch.stream(
                self._api.list_namespaced_custom_object,
                "seeding.iabank.io",
                "v1alpha1",
                self._namespace,
                "seedruns",
                timeout_seconds=900,
            ):
                body = event["object"]
                name = body["metadata"]["name"]
                phase = (body.get("status") or {}).get("phase", "")
                if last.get(name) != phase:
                    last[name] = phase
                    self.timeline.append((time.monotonic(), name, phase))
        except Exception as exc:  # a watch cut short would hide transitions: say so
            if not self._stopped:
                self.timeline.append((time.monotonic(), "<watch>", f"broken: {exc!r}"))

    def stop(self) -> None:
        self._stopped = True
        self._watch.stop()

    def max_running(self) -> int:
        phases: dict[str, str] = {}
        most = 0
        for _, name, phase in self.timeline:
            phases[name] = phase
            most = max(most, sum(1 for p in phases.values() if p == "Running"))
        return most

    def running_intervals(self, name: str) -> list[tuple[float, float]]:
        intervals, started = [], None
        for moment, who, phase in self.timeline:
            if who != name:
                continue
            if phase == "Running" and started is None:
                started = moment
            elif phase != "Running" and started is not None:
                intervals.append((started, moment))
                started = None
        return intervals


def test_a_waiting_run_starts_when_its_window_opens(
    control_plane, namespace, runner_env, kubelet, operator, database_url
):
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    opens = (now + dt.timedelta(minutes=1 if now.second < 45 else 2)).replace(
        second=0, microsecond=0
    )
    profile = _profile_doc(
        namespace,
        "opens-soon",
        window={"startUtc": f"{opens:%H:%M}", "endUtc": f"{opens + dt.timedelta(hours=1):%H:%M}"},
    )
    _apply(control_plane, profile, _run_doc(namespace, "at-opening", "opens-soon"))
    waiting = wait_for_phase(control_plane, namespace, "at-opening", {"Waiting"}, timeout=60)
    assert f"opens {opens:%Y-%m-%dT%H:%M}:00Z" in waiting["status"]["message"]
    assert not kubelet.runs

    status = wait_for_phase(
        control_plane, namespace, "at-opening", {"Succeeded", "Failed"}, timeout=300
    )["status"]
    assert status["phase"] == "Succeeded", status
    assert dt.datetime.fromisoformat(status["startedAt"].replace("Z", "+00:00")) >= opens
    window = next(c for c in status["conditions"] if c["type"] == "WindowOpen")
    assert (window["status"], window["reason"]) == ("True", "InsideWindow")
    assert table_counts(database_url)["bank.customers"] == 100


def test_five_tenants_share_two_slots_and_one_tenant_runs_one_at_a_time(
    control_plane, namespace, runner_env, bao, kubelet, start_operator, database_url, k8s
):
    tenants = ["tenant-a", "tenant-b", "tenant-c", "tenant-d", "tenant-e"]
    for tenant in tenants[1:]:
        _add_salt(bao, runner_env, tenant)
    profiles = [_profile_doc(namespace, f"{t}-dev", tenant=t) for t in tenants]
    runs = [_run_doc(namespace, f"run-{t}", f"{t}-dev") for t in tenants]
    runs.append(_run_doc(namespace, "run-tenant-a-again", "tenant-a-dev"))
    watch = PhaseWatch(k8s, namespace)
    # One Job per table (big batches) and up to 4 at once per level keeps the six runs short.
    start_operator(
        SEED_GLOBAL_CAP="2",
        SEED_BATCH_ROWS="100000",
        SEED_PARALLELISM_BASELINE="4",
        SEED_QUEUE_TTL_SECONDS="1800",  # a loaded CI machine must not turn this into a TTL test
    )
    _apply(control_plane, *profiles, *runs)
    try:
        for run in runs:
            status = wait_for_phase(
                control_plane, namespace, run["metadata"]["name"], {"Succeeded", "Failed"}, 400
            )["status"]
            assert status["phase"] == "Succeeded", status
    except BaseException:
        print(control_plane.kubectl("get", "seedruns,leases", "-n", namespace, "-o", "wide").stdout)
        for run in runs:
            status = _status(control_plane, namespace, run["metadata"]["name"])
            print(
                run["metadata"]["name"],
                status.get("phase"),
                status.get("queue"),
                status.get("message"),
            )
        raise
    finally:
        watch.stop()

    assert not [e for e in watch.timeline if e[1] == "<watch>"], watch.timeline
    assert watch.max_running() == 2, watch.timeline  # the cap was reached, never exceeded
    queued = {name for _, name, phase in watch.timeline if phase == "Queued"}
    assert len(queued) >= 4, watch.timeline  # six runs, two slots: the rest waited their turn
    first, again = (
        watch.running_intervals("run-tenant-a"),
        watch.running_intervals("run-tenant-a-again"),
    )
    assert len(first) == len(again) == 1
    assert first[0][1] <= again[0][0] or again[0][1] <= first[0][0]  # never both Running
    with psycopg.connect(database_url) as conn:
        per_tenant = conn.execute(
            "SELECT tenant_id, count(*) FROM bank.customers GROUP BY 1"
        ).fetchall()
    assert sorted(count for _, count in per_tenant) == [100] * 5
    assert all(holder is None for holder in _leases(control_plane, namespace).values())


def test_a_run_that_cannot_get_its_lease_times_out_of_the_queue(
    control_plane, namespace, start_operator
):
    import datetime as dt

    from seed_operator.leases import lease_body, tenant_lease_name

    held = lease_body(
        tenant_lease_name("tenant-a", "dev"),
        namespace,
        holder="another-run-uid",
        duration_seconds=3600,
        now=dt.datetime.now(dt.UTC),
        previous=None,
    )
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(held))
    start_operator(SEED_QUEUE_TTL_SECONDS="6")
    _apply(
        control_plane,
        _profile_doc(namespace, "tenant-a-dev"),
        _run_doc(namespace, "stuck", "tenant-a-dev"),
    )

    queued = wait_for_phase(control_plane, namespace, "stuck", {"Queued", "Failed"}, 60)["status"]
    assert queued["phase"] == "Queued" and queued["queue"]["position"] == 1, queued
    lock = next(c for c in queued["conditions"] if c["type"] == "LockAcquired")
    assert (lock["status"], lock["reason"]) == ("False", "WaitingForTenantLease")
    failed = wait_for_phase(control_plane, namespace, "stuck", {"Failed"}, 60)["status"]
    ready = next(c for c in failed["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "QueueTimeout" and failed["exitCode"] == 3, failed
    assert "queue" not in failed
    assert _leases(control_plane, namespace) == {"seed-tenant-dev-tenant-a": "another-run-uid"}
    described = control_plane.kubectl("describe", "seedrun", "stuck", "-n", namespace).stdout
    assert "WaitingForTenantLease" in described and "QueueTimeout" in described


def test_a_batch_that_fails_once_is_retried_alone(
    control_plane, namespace, runner_env, kubelet, operator, database_url
):
    # The first checkpoint of `customers` fails inside PostgreSQL (a sequence is not
    # transactional, so the second attempt passes): the attempt dies after its COPY.
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("CREATE SEQUENCE seeding.fault_once")
        admin.execute(
            "CREATE FUNCTION seeding.fail_once() RETURNS trigger LANGUAGE plpgsql "
            "SECURITY DEFINER AS $$ BEGIN "
            "IF NEW.table_name = 'customers' AND nextval('seeding.fault_once') = 1 THEN "
            "RAISE EXCEPTION 'injected fault: first customers checkpoint'; END IF; "
            "RETURN NEW; END $$"
        )
        admin.execute(
            "CREATE TRIGGER fail_once BEFORE INSERT ON seeding.batches "
            "FOR EACH ROW EXECUTE FUNCTION seeding.fail_once()"
        )
    apply_profile_and_run(control_plane, namespace)
    status = wait_for_phase(
        control_plane, namespace, "tenant-a-dev-run", {"Succeeded", "Failed"}, timeout=240
    )["status"]
    assert status["phase"] == "Succeeded", status

    attempts = _runs_per_job(kubelet)
    retried = {job: codes for job, codes in attempts.items() if len(codes) > 1}
    assert len(retried) == 1, attempts
    [(job, codes)] = retried.items()
    assert "-b0" in job and codes[0] not in (0, 2, 6) and codes[-1] == 0, attempts
    failed_run = next(r for r in kubelet.runs if r.job == job)
    # The database error is named by its type; its message stays out of the log (a message can
    # quote row values, and logs never carry PII).
    log = failed_run.log.read_text()
    assert "RaiseException" in log and "injected fault" not in log
    checkpoints = _checkpoints(database_url)
    assert all(count == 1 for _, _, count in checkpoints)  # every batch committed exactly once
    assert len(checkpoints) == status["batches"]["total"]
    counts = table_counts(database_url)
    assert counts["bank.customers"] == 100 and counts["bank.financial_transactions"] == 1000


def test_the_operator_killed_mid_run_resumes_without_twins(
    control_plane, namespace, runner_env, kubelet, start_operator, database_url
):
    first = start_operator()
    apply_profile_and_run(control_plane, namespace)
    deadline = time.monotonic() + 120
    while (_status(control_plane, namespace, "tenant-a-dev-run").get("batches") or {}).get(
        "succeeded", 0
    ) < 3:
        assert time.monotonic() < deadline, "the run never got to its third batch"
        time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(3)  # the Job it started goes on without it
    start_operator()
    status = wait_for_phase(
        control_plane, namespace, "tenant-a-dev-run", {"Succeeded", "Failed"}, timeout=240
    )["status"]
    assert status["phase"] == "Succeeded", status

    attempts = _runs_per_job(kubelet)
    assert all(codes == [0] for codes in attempts.values()), attempts  # no Job ran twice
    assert len(attempts) == status["batches"]["total"] + 2  # + preflight and report
    assert all(count == 1 for _, _, count in _checkpoints(database_url))
    counts = table_counts(database_url)
    assert counts["bank.customers"] == 100 and counts["bank.financial_transactions"] == 1000
    assert all(holder is None for holder in _leases(control_plane, namespace).values())


def test_cancel_and_delete_mid_run(
    control_plane, namespace, runner_env, bao, kubelet, operator, database_url, s3_endpoint
):
    from tests.services import s3_client

    _add_salt(bao, runner_env, "tenant-b")
    _apply(
        control_plane,
        _profile_doc(namespace, "tenant-a-dev"),
        _profile_doc(namespace, "tenant-b-dev", tenant="tenant-b"),
        _run_doc(namespace, "cancel-me", "tenant-a-dev"),
        _run_doc(namespace, "delete-me", "tenant-b-dev"),
    )
    deadline = time.monotonic() + 120
    while not all(
        (_status(control_plane, namespace, name).get("batches") or {}).get("succeeded", 0) >= 2
        for name in ("cancel-me", "delete-me")
    ):
        assert time.monotonic() < deadline, "the runs never got going"
        time.sleep(0.5)
    assert len([h for h in _leases(control_plane, namespace).values() if h]) == 4

    control_plane.kubectl(
        "patch",
        "seedrun",
        "cancel-me",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec": {"cancel": true}}',
    )
    control_plane.kubectl("delete", "seedrun", "delete-me", "-n", namespace, "--timeout=60s")
    status = wait_for_phase(control_plane, namespace, "cancel-me", {"Cancelled"}, 120)["status"]
    assert status["report"]["verified"] is True, status
    where = urlsplit(status["report"]["uri"])
    stored = s3_client(s3_endpoint).get_object(Bucket=where.netloc, Key=where.path.lstrip("/"))
    report = json.loads(stored["Body"].read())
    assert report["outcome"] == "cancelled" and report["errors"] == []
    assert 2 <= len(report["batches"]) < status["batches"]["total"]

    assert all(holder is None for holder in _leases(control_plane, namespace).values())
    jobs = json.loads(control_plane.kubectl("get", "jobs", "-n", namespace, "-o", "json").stdout)
    active = [j["metadata"]["name"] for j in jobs["items"] if (j.get("status") or {}).get("active")]
    assert active == []
    deleted_jobs = [
        j
        for j in jobs["items"]
        if j["metadata"]["labels"]["seeding.iabank.io/tenant"] == "tenant-b"
    ]
    assert deleted_jobs == []  # the finalizer deleted the deleted run's Jobs
    with psycopg.connect(database_url) as conn:
        outcomes = dict(
            conn.execute("SELECT status, count(*) FROM seeding.runs GROUP BY 1").fetchall()
        )
    assert outcomes.get("cancelled") == 1
