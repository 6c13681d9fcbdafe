"""The operator's Job manifests, as built by seed_operator.jobs, are accepted by the real API server."""

from __future__ import annotations

import json
import uuid

import pytest

from seed_operator.jobs import RunRef, build_job
from seed_operator.settings import OperatorSettings
from seedlib.contract.job import JobRole, RunId, TenantSlug
from seedlib.rules.batches import BatchSpec


@pytest.mark.parametrize("role", list(JobRole))
def test_every_job_role_passes_server_side_validation(control_plane, namespace, role):
    run = RunRef(
        name="tenant-a-dev-baseline",
        namespace=namespace,
        uid=RunId(uuid.UUID("0f6c7a1e-2b1d-4c3e-9a8b-7c6d5e4f3a2b")),
        tenant=TenantSlug("tenant-a"),
        environment="dev",
        mode="baseline",
        requested_by="qa@iabank.example",
        profile_json=json.dumps({"tenant": "tenant-a"}),
        backoff_limit=3,
    )
    batch = BatchSpec(2, "customers", 0, 100) if role is JobRole.BATCH else None
    job = build_job(
        run, role, OperatorSettings(image="seed-operator:test"), batch=batch, batch_number=1
    )
    result = control_plane.kubectl(
        "apply", "--dry-run=server", "-o", "json", "-f", "-", input=json.dumps(job)
    )
    stored = json.loads(result.stdout)
    assert stored["metadata"]["name"] == job["metadata"]["name"]
    assert stored["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"] == [2, 6]
    assert (
        stored["spec"]["template"]["spec"]["containers"][0]["command"]
        == job["spec"]["template"]["spec"]["containers"][0]["command"]
    )
