"""Job manifests of a SeedRun, and what a Job's state is (pure).

A run has a preflight Job, one Job per batch, a report Job (a cancel-report Job when cancelled
after its preflight), or a single dry-run Job. Names are deterministic (a run's batch 7 is always
the same Job, so an operator restarted mid-run finds it instead of creating a twin), owned by the
SeedRun, labelled with run, role, table and batch. Every Job runs ``seedctl job <role>`` as the
runner ServiceAccount under the restricted Pod Security profile, told what it needs through the
contract of ``seedlib.contract.job`` (``JobEnv``, ``job_command``) and nothing else; it retries per
the profile's backoff (``maxRetries`` = ``backoffLimit``) and fails at once on exit codes 2 and 6:
invalid input and isolation failures are deterministic, retrying them only burns the window.

A Job's state (active, succeeded, failed) is read from its conditions here, once, for the
reconciler and for the metrics alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from seed_operator import consts
from seed_operator.settings import OperatorSettings
from seedlib.contract.job import BatchId, JobEnv, JobRole, RunId, TenantSlug, job_command
from seedlib.errors import ExitCode
from seedlib.rules.batches import BatchSpec

__all__ = [
    "CONTAINER",
    "JobState",
    "JobView",
    "RunRef",
    "batch_outcome",
    "build_job",
    "job_name",
    "job_state",
    "job_views",
    "labels_of",
]

CONTAINER: Final = "seed"
TERMINATION_MESSAGE_PATH: Final = "/dev/termination-log"
LOCAL_DIR: Final = "/tmp/seed"
DETERMINISTIC_EXIT_CODES: Final = (int(ExitCode.INVALID), int(ExitCode.ISOLATION))


class JobState(StrEnum):
    ACTIVE = "Active"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@dataclass(frozen=True, slots=True)
class JobView:
    """A Job of the run as the reconciler sees it."""

    name: str
    state: JobState
    message: str | None = None
    """The termination message of its latest Pod once finished: the Job's ``JobResult`` line."""


def job_state(job: Mapping[str, Any]) -> JobState:
    """A Job body's state, from its ``Complete`` and ``Failed`` conditions."""
    conditions = {
        c.get("type"): c.get("status") for c in (job.get("status") or {}).get("conditions") or []
    }
    if conditions.get("Complete") == "True":
        return JobState.SUCCEEDED
    if conditions.get("Failed") == "True":
        return JobState.FAILED
    return JobState.ACTIVE


def _created(body: Mapping[str, Any]) -> str:
    return str((body.get("metadata") or {}).get("creationTimestamp") or "")


def job_views(
    jobs: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]
) -> dict[str, JobView]:
    """The run's Jobs (bodies as the API serves them), each finished one with the termination
    message of its latest Pod."""
    latest: dict[str, Mapping[str, Any]] = {}
    for pod in pods:
        owner = ((pod.get("metadata") or {}).get("labels") or {}).get(consts.LABEL_JOB_NAME)
        if owner and (owner not in latest or _created(pod) > _created(latest[owner])):
            latest[owner] = pod
    views: dict[str, JobView] = {}
    for job in jobs:
        name = str(job["metadata"]["name"])
        state = job_state(job)
        message = None
        statuses = ((latest.get(name) or {}).get("status") or {}).get("containerStatuses") or []
        terminated = (statuses[0].get("state") or {}).get("terminated") if statuses else None
        if state is not JobState.ACTIVE and terminated:
            message = terminated.get("message")
        views[name] = JobView(name, state, message)
    return views


def batch_outcome(job: Mapping[str, Any]) -> str | None:
    """``succeeded`` or ``failed`` for a finished batch Job (a Job body as the API serves it);
    None for a Job still running or of another role (preflight, report, dry run)."""
    labels = (job.get("metadata") or {}).get("labels") or {}
    if labels.get(consts.LABEL_ROLE) != JobRole.BATCH.value:
        return None
    state = job_state(job)
    return None if state is JobState.ACTIVE else state.value.lower()


@dataclass(frozen=True, slots=True)
class RunRef:
    """What a Job needs to know about its SeedRun."""

    name: str
    namespace: str
    uid: RunId
    tenant: TenantSlug
    environment: str
    mode: str
    requested_by: str
    profile_json: str
    """The admitted profile's spec as canonical JSON: Jobs read it from ``SEED_PROFILE_JSON``."""
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
    tail = f"-{suffix}-{run.uid.hex[:5]}"
    head = run.name[: 63 - len(tail)].rstrip("-.")
    return f"{head}{tail}"


def _label_value(text: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "." for c in text)[:63].strip("-_.")
    return cleaned or hashlib.sha256(text.encode()).hexdigest()[:12]


def labels_of(run: RunRef, role: JobRole, batch: BatchSpec | None = None) -> dict[str, str]:
    labels = {
        consts.LABEL_APP_NAME: consts.OPERATOR_NAME,
        consts.LABEL_COMPONENT: f"seed-{role.value}",
        **consts.MANAGED_BY,
        consts.LABEL_RUN: _label_value(run.name),
        consts.LABEL_RUN_UID: str(run.uid),
        consts.LABEL_ROLE: role.value,
        consts.LABEL_TENANT: run.tenant,
        consts.LABEL_ENVIRONMENT: run.environment,
    }
    if batch is not None:
        labels[consts.LABEL_TABLE] = batch.table
        labels[consts.LABEL_BATCH] = _label_value(batch.id)
    return labels


def _environment(
    run: RunRef, settings: OperatorSettings, traceparent: str | None
) -> list[dict[str, str]]:
    values = {
        JobEnv.RUN_ID: str(run.uid),
        JobEnv.RUN_NAME: run.name,
        JobEnv.PROFILE_JSON: run.profile_json,
        JobEnv.REQUESTED_BY: run.requested_by,
        JobEnv.BATCH_ROWS: str(settings.batch_rows),
        JobEnv.LOCAL_DIR: LOCAL_DIR,
        JobEnv.TERMINATION_MESSAGE_PATH: TERMINATION_MESSAGE_PATH,
    }
    if traceparent:
        values[JobEnv.TRACEPARENT] = traceparent
    return [{"name": name.value, "value": value} for name, value in values.items()]


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
    container = {
        "name": CONTAINER,
        "image": settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": job_command(role, BatchId(batch.id) if batch is not None else None),
        "env": _environment(run, settings, traceparent),
        "envFrom": [
            {"secretRef": {"name": settings.env_secret, "optional": False}},
            {"configMapRef": {"name": settings.env_configmap, "optional": True}},
        ],
        "terminationMessagePath": TERMINATION_MESSAGE_PATH,
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
        "apiVersion": consts.JOB_API_VERSION,
        "kind": consts.JOB_KIND,
        "metadata": {
            "name": job_name(run, role, batch_number),
            "namespace": run.namespace,
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": consts.API_VERSION,
                    "kind": consts.RUN_KIND,
                    "name": run.name,
                    "uid": str(run.uid),
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
