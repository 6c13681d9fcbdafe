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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from tests.cluster.kubelet import TestKubelet
from tests.conftest import PROFILES, REPO, table_counts
from tests.services import AWS_ENV, free_port

DEV_A = PROFILES / "dev" / "tenant-a.yaml"
OPERATOR_LOG: list[Path] = []


@pytest.fixture
def runner_env(
    bao: Any, s3_endpoint: str, bucket: str, database_url: str, namespace: str, control_plane: Any
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
def operator(
    control_plane: Any, namespace: str, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    OPERATOR_LOG[:] = [tmp_path / "operator.log"]
    log = (tmp_path / "operator.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "seed_operator"],
        env={
            **os.environ,
            "KUBECONFIG": str(control_plane.kubeconfig),
            "SEED_WATCH_NAMESPACES": namespace,
            "SEED_LEASE_NAMESPACE": namespace,
            "SEED_BATCH_ROWS": "500",
            "SEED_LIVENESS_PORT": str(free_port()),
        },
        cwd=REPO,
        stdout=log,
        stderr=log,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


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


def test_a_seedrun_goes_from_apply_to_a_verified_report(
    control_plane, namespace, runner_env, kubelet, operator, database_url
):
    apply_profile_and_run(control_plane, namespace)
    try:
        body = wait_for_phase(
            control_plane, namespace, "tenant-a-dev-run", {"Succeeded", "Failed"}, timeout=150
        )
    except BaseException:
        for run in kubelet.runs[-2:]:
            print(run.job, run.exit_code, run.termination_message, run.log.read_text()[-3000:])
        operator.send_signal(signal.SIGUSR1)
        time.sleep(1)
        print(OPERATOR_LOG[0].read_text()[-12000:])
        raise
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
    from seedlib.canonical import manifest_hash

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
