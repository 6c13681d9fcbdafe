"""Job manifests of a SeedRun: preflight, one per batch, report, or a single dry-run Job (pure).

Names are deterministic (a run's batch 7 is always the same Job, so an operator restarted mid-run
finds it instead of creating a twin), owned by the SeedRun, labelled with run, role, table and
batch. Every Job runs seedctl as the runner ServiceAccount under the restricted Pod Security
profile, retries per the profile's backoff (``maxRetries`` = ``backoffLimit``), and fails at once
on exit codes 2 and 6: invalid input and isolation failures are deterministic, retrying them only
burns the window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from seed_operator import consts
from seed_operator.settings import OperatorSettings
from seedlib.rules.batches import BatchSpec

__all__ = [
    "CONTAINER",
    "JobRole",
    "RunRef",
    "batch_outcome",
    "build_job",
    "job_name",
    "labels_of",
]

CONTAINER: Final = "seed"
LABEL_PREFIX: Final = f"{consts.API_GROUP}/"
DETERMINISTIC_EXIT_CODES: Final = (2, 6)


class JobRole(StrEnum):
    PREFLIGHT = "preflight"
    BATCH = "batch"
    REPORT = "report"
    DRY_RUN = "dry-run"
    CANCEL_REPORT = "cancel-report"


@dataclass(frozen=True, slots=True)
class RunRef:
    """What a Job needs to know about its SeedRun."""

    name: str
    namespace: str
    uid: str
    tenant: str
    environment: str
    mode: str
    requested_by: str
    profile_json: str
    """The profile's spec as canonical JSON: Jobs read it from SEED_PROFILE_JSON."""
    backoff_limit: int


def job_name(run: RunRef, role: JobRole, batch_number: int | None = None) -> str:
    """``<run>-<role>[-NNNN]-<uid5>``, at most 63 characters, stable for a run."""
    suffix = {
        JobRole.PREFLIGHT: "pre",
        JobRole.REPORT: "rep",
        JobRole.DRY_RUN: "dry",
        JobRole.CANCEL_REPORT: "can",
        JobRole.BATCH: f"b{batch_number or 0:04d}",
    }[role]
    tail = f"-{suffix}-{run.uid.replace('-', '')[:5]}"
    head = run.name[: 63 - len(tail)].rstrip("-.")
    return f"{head}{tail}"


def _label_value(text: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "." for c in text)[:63].strip("-_.")
    return cleaned or hashlib.sha256(text.encode()).hexdigest()[:12]


def labels_of(run: RunRef, role: JobRole, batch: BatchSpec | None = None) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/name": "seed-operator",
        "app.kubernetes.io/component": f"seed-{role.value}",
        "app.kubernetes.io/managed-by": "seed-operator",
        f"{LABEL_PREFIX}run": _label_value(run.name),
        f"{LABEL_PREFIX}run-uid": run.uid,
        f"{LABEL_PREFIX}role": role.value,
        f"{LABEL_PREFIX}tenant": run.tenant,
        f"{LABEL_PREFIX}environment": run.environment,
    }
    if batch is not None:
        labels[f"{LABEL_PREFIX}table"] = batch.table
        labels[f"{LABEL_PREFIX}batch"] = _label_value(batch.id)
    return labels


def _command(role: JobRole, batch: BatchSpec | None) -> list[str]:
    profile = "env:SEED_PROFILE_JSON"
    if role is JobRole.PREFLIGHT:
        return [
            "seedctl",
            "preflight",
            profile,
            "--run-id",
            "$(SEED_RUN_ID)",
            "--start-run",
            "--output",
            "json",
        ]
    if role is JobRole.BATCH:
        assert batch is not None
        return [
            "seedctl",
            "batch",
            "--profile",
            profile,
            "--batch-id",
            batch.id,
            "--run-id",
            "$(SEED_RUN_ID)",
        ]
    if role is JobRole.REPORT:
        return ["seedctl", "report", "$(SEED_RUN_ID)", "--profile", profile, "--finish-run"]
    if role is JobRole.CANCEL_REPORT:
        return [
            "seedctl",
            "report",
            "$(SEED_RUN_ID)",
            "--profile",
            profile,
            "--finish-run",
            "--cancelled",
        ]
    return [
        "seedctl",
        "run",
        profile,
        "--dry-run",
        "--output",
        "json",
        "--idempotency-key",
        "$(SEED_RUN_ID)",
    ]


def build_job(
    run: RunRef,
    role: JobRole,
    settings: OperatorSettings,
    *,
    batch: BatchSpec | None = None,
    batch_number: int | None = None,
    traceparent: str | None = None,
) -> dict[str, Any]:
    if (role is JobRole.BATCH) != (batch is not None):
        raise ValueError("a batch Job needs its batch, and only a batch Job has one")
    labels = labels_of(run, role, batch)
    env = [
        {"name": "SEED_PROFILE_JSON", "value": run.profile_json},
        {"name": "SEED_RUN_ID", "value": run.uid},
        {"name": "SEED_RUN_NAME", "value": run.name},
        {"name": "SEED_REQUESTED_BY", "value": run.requested_by},
        {"name": "SEED_BATCH_ROWS", "value": str(settings.batch_rows)},
        {"name": "SEED_LOCAL_DIR", "value": "/tmp/seed"},
    ]
    if traceparent:
        env.append({"name": "TRACEPARENT", "value": traceparent})
    container = {
        "name": CONTAINER,
        "image": settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": _command(role, batch),
        "env": env,
        "envFrom": [
            {"secretRef": {"name": settings.env_secret, "optional": False}},
            {"configMapRef": {"name": settings.env_configmap, "optional": True}},
        ],
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "resources": {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"cpu": "2", "memory": "2Gi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(run, role, batch_number),
            "namespace": run.namespace,
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": consts.API_VERSION,
                    "kind": consts.RUN_KIND,
                    "name": run.name,
                    "uid": run.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "backoffLimit": run.backoff_limit
            if role is JobRole.BATCH
            else min(run.backoff_limit, 2),
            "activeDeadlineSeconds": settings.job_deadline_seconds,
            "ttlSecondsAfterFinished": 86_400,
            "podFailurePolicy": {
                "rules": [
                    {
                        "action": "FailJob",
                        "onExitCodes": {
                            "containerName": CONTAINER,
                            "operator": "In",
                            "values": list(DETERMINISTIC_EXIT_CODES),
                        },
                    },
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
                ]
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": settings.runner_service_account,
                    "restartPolicy": "Never",
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
                },
            },
        },
    }


def batch_outcome(job: Mapping[str, Any]) -> str | None:
    """``succeeded`` or ``failed`` for a finished batch Job (a Job body as the API serves it);
    None for a Job still running or of another role (preflight, report, dry run)."""
    labels = (job.get("metadata") or {}).get("labels") or {}
    if labels.get(f"{LABEL_PREFIX}role") != JobRole.BATCH.value:
        return None
    conditions = {
        c.get("type"): c.get("status") for c in (job.get("status") or {}).get("conditions") or []
    }
    if conditions.get("Complete") == "True":
        return "succeeded"
    if conditions.get("Failed") == "True":
        return "failed"
    return None
