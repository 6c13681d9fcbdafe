"""Failures on a real node: what the real Job controller and garbage collector do with them."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import yaml

from tests.e2e.conftest import NAMESPACE, Install
from tests.e2e.test_seedrun import PROFILE, RUN_LABEL
from tests.support import load_yaml, rehash


def _apply_profile(install: Install, tenant: str, mode: str = "baseline") -> str:
    """The dev profile for another tenant (its own Leases and dataset); returns its name."""
    document: dict[str, Any] = copy.deepcopy(load_yaml(PROFILE))
    name = f"{tenant}-dev"
    document["metadata"] = {"name": name, "namespace": NAMESPACE}
    document["spec"]["tenant"] = tenant
    document["spec"]["mode"] = mode
    if mode == "carga":  # kept a day: an expired carga dataset would block the tenant's runs
        document["spec"]["ttl"]["cargaDays"] = 1
    rehash(document)
    install.node.kubectl("-n", NAMESPACE, "apply", "-f", "-", input=yaml.safe_dump(document))
    return name


def _apply_run(install: Install, name: str, profile: str) -> None:
    run = {
        "apiVersion": "seeding.iabank.io/v1alpha1",
        "kind": "SeedRun",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"profileRef": {"name": profile}, "requestedBy": "e2e@iabank.example"},
    }
    install.node.kubectl("-n", NAMESPACE, "apply", "-f", "-", input=json.dumps(run))


def _items(install: Install, kind: str, run: str) -> list[dict[str, Any]]:
    answer = install.kubectl("-n", NAMESPACE, "get", kind, "-l", f"{RUN_LABEL}={run}", "-o", "json")
    items: list[dict[str, Any]] = json.loads(answer)["items"]
    return items


def test_a_deterministic_failure_fails_its_job_at_once(install: Install) -> None:
    """Salt drift (exit 2) in preflight: the pod failure policy fails the Job on its first Pod,
    although backoffLimit allows retries; the SeedRun is Failed with exit code 2."""
    install.bao.write_salt("tenant-c", "dev", b"e2e tenant-c dev salt v1 32bytes")
    install.bao.write_salt("tenant-c", "dev", b"e2e tenant-c dev salt v2 32bytes")  # active: v2
    profile = _apply_profile(install, "tenant-c")  # asks for saltVersion v1
    _apply_run(install, "tenant-c-drift", profile)
    run = install.wait_phase("tenant-c-drift", {"Succeeded", "Failed", "Cancelled"}, timeout=300)
    status = run["status"]
    assert status["phase"] == "Failed", install.diagnostics()
    assert status["exitCode"] == 2
    assert "salt" in status["message"].lower()

    (job,) = _items(install, "jobs", "tenant-c-drift")
    assert job["spec"]["backoffLimit"] > 0  # retries were allowed ...
    assert job["status"].get("failed") == 1  # ... and not used
    reasons = {c["type"]: c.get("reason") for c in job["status"].get("conditions", [])}
    assert reasons.get("Failed") == "PodFailurePolicy", job["status"]
    pods = _items(install, "pods", "tenant-c-drift")
    assert len(pods) == 1
    terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 2


def test_a_deleted_seedrun_takes_its_jobs_and_pods_with_it(install: Install) -> None:
    """SeedRun deleted mid-run: its Jobs go, the garbage collector deletes their Pods, and the
    Leases are released."""
    install.bao.write_salt("tenant-d", "dev", b"e2e tenant-d dev salt v1 32bytes")
    profile = _apply_profile(install, "tenant-d")
    _apply_run(install, "tenant-d-deleted", profile)
    deadline = time.monotonic() + 300
    while not any(
        p["metadata"]["labels"].get("seeding.iabank.io/role") == "batch"
        for p in _items(install, "pods", "tenant-d-deleted")
    ):
        assert time.monotonic() < deadline, install.diagnostics()
        time.sleep(0.5)
    uid = install.seedrun("tenant-d-deleted")["metadata"]["uid"]
    install.kubectl("-n", NAMESPACE, "delete", "seedrun", "tenant-d-deleted", "--timeout=120s")
    deadline = time.monotonic() + 120
    while _items(install, "jobs", "tenant-d-deleted") or _items(
        install, "pods", "tenant-d-deleted"
    ):
        assert time.monotonic() < deadline, install.diagnostics()
        time.sleep(1)
    leases = json.loads(install.kubectl("-n", NAMESPACE, "get", "leases", "-o", "json"))["items"]
    held = [
        lease["metadata"]["name"] for lease in leases if lease["spec"].get("holderIdentity") == uid
    ]
    assert held == [], leases
