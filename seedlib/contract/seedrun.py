"""SeedRun: a request to execute one SeedProfile, and the status the operator reports back.

The spec is what a user (or Argo CD, or ``seedctl verify``) writes; every field but ``cancel`` is
immutable once created, which the CRD enforces with CEL transition rules. The status is written only
by the operator; its shape follows Kubernetes conventions (``metav1.Condition``, phases as CamelCase
words) so ``kubectl get/describe`` and Argo CD's health checks read it without a custom client.

Pure module: models and constants only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import Field, Strict

from seedlib.contract._model import Omittable, SpecModel
from seedlib.contract.profile import DNS_SUBDOMAIN, SHA256_HEX, ObjectMeta

__all__ = [
    "BatchCounts",
    "Condition",
    "ConditionStatus",
    "ConditionType",
    "Phase",
    "ProfileRef",
    "QueueStatus",
    "ReportRef",
    "SeedRun",
    "SeedRunSpec",
    "SeedRunStatus",
]

TERMINAL_PHASES: Final = frozenset({"Succeeded", "Failed", "Cancelled"})


def _immutable(what: str) -> dict[str, Any]:
    return {
        "x-kubernetes-validations": [
            {"rule": "self == oldSelf", "message": f"{what} is immutable; create a new SeedRun"}
        ]
    }


class Phase(StrEnum):
    PENDING = "Pending"
    WAITING = "Waiting"
    QUEUED = "Queued"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @property
    def terminal(self) -> bool:
        return self.value in TERMINAL_PHASES


class ConditionType(StrEnum):
    PROFILE_VALID = "ProfileValid"
    WINDOW_OPEN = "WindowOpen"
    LOCK_ACQUIRED = "LockAcquired"
    PREFLIGHT_PASSED = "PreflightPassed"
    BATCHES_COMPLETE = "BatchesComplete"
    REPORT_PUBLISHED = "ReportPublished"
    READY = "Ready"


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Count = Annotated[int, Field(ge=0)]


class ProfileRef(SpecModel):
    name: Annotated[str, Field(pattern=DNS_SUBDOMAIN, max_length=253, examples=["tenant-a-dev"])]
    """Name of the SeedProfile in the SeedRun's namespace."""


class SeedRunSpec(SpecModel):
    """What to run. Every field but ``cancel`` is immutable."""

    profile_ref: Annotated[ProfileRef, Field(json_schema_extra=_immutable("profileRef"))]
    """The SeedProfile to execute (same namespace)."""
    profile_hash: Omittable[
        Annotated[str, Field(pattern=SHA256_HEX, json_schema_extra=_immutable("profileHash"))]
    ] = None
    """Optional pin: the run fails with ProfileDrift unless the profile's manifestHash equals it."""
    dry_run: Annotated[bool, Field(json_schema_extra=_immutable("dryRun"))] = False
    """Run the whole plan in one transaction and roll it back: no checkpoints, no WORM report."""
    idempotency_key: Omittable[
        Annotated[
            str, Field(min_length=1, max_length=253, json_schema_extra=_immutable("idempotencyKey"))
        ]
    ] = None
    """Deduplication key kept 24 h; defaults to seed-data:<manifestHash>."""
    requested_by: Annotated[
        str, Field(min_length=1, max_length=253, json_schema_extra=_immutable("requestedBy"))
    ]
    """Who asked for the run (a person or a pipeline); recorded in the WORM report."""
    cancel: bool = False
    """Set to true to cancel: running Jobs are deleted and the run ends Cancelled."""


class Condition(SpecModel):
    """metav1.Condition."""

    type: Annotated[str, Field(max_length=316, pattern=r"^([A-Z][a-zA-Z0-9]*)$")]
    status: Annotated[ConditionStatus, Strict(False)]
    reason: Annotated[
        str,
        Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"),
    ]
    message: Annotated[str, Field(max_length=32768)]
    last_transition_time: Timestamp
    observed_generation: Omittable[Annotated[int, Field(ge=0)]] = None


class BatchCounts(SpecModel):
    total: Count
    pending: Count
    running: Count
    succeeded: Count
    failed: Count


class QueueStatus(SpecModel):
    enqueued_at: Timestamp
    """When the run started waiting for its Leases."""
    position: Annotated[int, Field(ge=1)]
    """1 = next to run in its environment."""


class ReportRef(SpecModel):
    uri: str
    """s3://bucket/worm/seeds/<env>/<tenant>/<run>.json (or a file:// URI in dev-isolated mode)."""
    sha256: Annotated[str, Field(pattern=SHA256_HEX)]
    version_id: Omittable[str] = None
    retain_until: Omittable[Timestamp] = None
    verified: bool
    """True once the stored object was read back: lock, retention, hash and signature checked."""


class SeedRunStatus(SpecModel):
    phase: Omittable[Annotated[Phase, Strict(False)]] = None
    observed_generation: Omittable[Annotated[int, Field(ge=0)]] = None
    tenant: Omittable[str] = None
    environment: Omittable[str] = None
    mode: Omittable[str] = None
    profile_hash: Omittable[Annotated[str, Field(pattern=SHA256_HEX)]] = None
    exit_code: Omittable[Annotated[int, Field(ge=0, le=255)]] = None
    message: Omittable[str] = None
    progress: Omittable[str] = None
    """Succeeded/total batches, for `kubectl get`."""
    conditions: Omittable[
        Annotated[
            list[Condition],
            Field(
                json_schema_extra={
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["type"],
                }
            ),
        ]
    ] = None
    batches: Omittable[BatchCounts] = None
    batch_rows: Omittable[Annotated[int, Field(ge=1)]] = None
    """Rows per batch Job: the segmentation the preflight Job decided for the run's dataset
    (a resumed dataset keeps its own), kept here so every later pass plans the same batches."""
    queue: Omittable[QueueStatus] = None
    started_at: Omittable[Timestamp] = None
    finished_at: Omittable[Timestamp] = None
    report: Omittable[ReportRef] = None


class SeedRun(SpecModel):
    """A SeedRun document (a manifest file or the custom resource)."""

    api_version: Literal["seeding.iabank.io/v1alpha1"]
    kind: Literal["SeedRun"]
    metadata: ObjectMeta
    spec: SeedRunSpec
    status: Omittable[SeedRunStatus] = None
