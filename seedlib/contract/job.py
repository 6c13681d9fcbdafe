"""The operator <-> Job contract: what a Job is told, and the one line it answers with.

The only process boundary of the product runs operator -> Job (environment variables and argv,
built here) -> Job (``seedctl job ROLE``) -> termination message (one ``JobResult`` line, written
and parsed here) -> operator. Both sides import this module, so mypy checks the boundary:

- **Told**: every Job gets the same environment (``JobEnv``): the SeedRun's uid as the run id, the
  profile the operator admitted as canonical JSON, who asked, the batch size for a *new* dataset,
  a writable directory and the W3C ``TRACEPARENT``. The argv is ``job_command(role, batch_id)``:
  nothing else varies between Jobs, so the run id and the profile travel one way only.
- **Answered**: one ``JobResult`` JSON line on stdout and in the termination message file (4 KiB
  at most, read by the kubelet even for a Job that succeeded). A failure carries its ``Reason`` and
  exit code; each role carries its own typed section. ``JobResult.parse`` refuses anything else
  with ``JobResultUnreadable``, so an unreadable line is never mistaken for a verdict.

Pure: standard library and pydantic only.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Final, NewType, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from seedlib.errors import REASON_EXIT_CODES, ExitCode, Reason, SeedError

__all__ = [
    "TERMINATION_LIMIT",
    "BatchId",
    "BatchResult",
    "CheckResult",
    "DryRunResult",
    "JobEnv",
    "JobFailure",
    "JobResult",
    "JobResultUnreadableError",
    "JobRole",
    "PreflightResult",
    "ReportResult",
    "RunId",
    "RunOutcome",
    "TenantSlug",
    "job_command",
]

RunId = NewType("RunId", uuid.UUID)
"""A run's identity: the SeedRun's uid for operator runs, a fresh uuid4 for ``seedctl run``."""
BatchId = NewType("BatchId", str)
"""``<table>:<start>-<stop>``: one table's row range, the unit of checkpoints and retries."""
TenantSlug = NewType("TenantSlug", str)
"""A tenant's DNS-1123 label, as ``spec.tenant`` spells it."""

TERMINATION_LIMIT: Final = 4096
"""Bytes the kubelet keeps of a container's termination message."""


class JobRole(StrEnum):
    """What a Job of a SeedRun does; ``seedctl job <role>`` runs it."""

    PREFLIGHT = "preflight"
    BATCH = "batch"
    REPORT = "report"
    CANCEL_REPORT = "cancel-report"
    DRY_RUN = "dry-run"


class JobEnv(StrEnum):
    """The environment every Job container gets from the operator (besides the runner Secret)."""

    RUN_ID = "SEED_RUN_ID"
    RUN_NAME = "SEED_RUN_NAME"
    PROFILE_JSON = "SEED_PROFILE_JSON"
    REQUESTED_BY = "SEED_REQUESTED_BY"
    BATCH_ROWS = "SEED_BATCH_ROWS"
    """Rows per batch for a dataset seeded for the first time; a resumed dataset keeps its own."""
    LOCAL_DIR = "SEED_LOCAL_DIR"
    TRACEPARENT = "TRACEPARENT"
    TERMINATION_MESSAGE_PATH = "TERMINATION_MESSAGE_PATH"


def job_command(role: JobRole, batch_id: BatchId | None = None) -> list[str]:
    """The argv of a Job of ``role``; a batch Job also names its batch."""
    if (role is JobRole.BATCH) != (batch_id is not None):
        raise ValueError("a batch Job needs its batch id, and only a batch Job has one")
    argv = ["seedctl", "job", role.value]
    if batch_id is not None:
        argv += ["--batch-id", batch_id]
    return argv


class RunOutcome(StrEnum):
    """How a run ended, as ``seeding.runs.status`` and the report's ``outcome`` record it."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class _Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=False,
    )


class JobFailure(_Wire):
    reason: Reason
    message: str
    hint: str | None = None

    @classmethod
    def of(cls, error: SeedError) -> Self:
        return cls(reason=error.reason, message=error.message, hint=error.hint)


class CheckResult(_Wire):
    """One preflight check: ``vault``, ``worm``, ``database``, ``telemetry``, ``budget``..."""

    check: str
    ok: bool
    detail: str
    reason: Reason | None = None
    hint: str | None = None


class PreflightResult(_Wire):
    checks: tuple[CheckResult, ...]
    batch_rows: int | None = Field(default=None, ge=1)
    """The segmentation of the run's dataset, decided by the preflight Job that registered the
    run: the stored size of a resumed dataset, else the operator's ``SEED_BATCH_ROWS``. The operator
    plans batch Jobs with it, so their ids match the stored checkpoints."""


class BatchResult(_Wire):
    batch_id: BatchId
    table: str
    rows: int = Field(ge=0)
    sha256: str
    written: bool
    seconds: float = Field(ge=0)


class ReportResult(_Wire):
    """The reference the SeedRun's ``status.report`` gets, and how the run it reports ended."""

    uri: str
    sha256: str
    verified: bool
    version_id: str | None = None
    retain_until: str | None = None
    outcome: RunOutcome
    run_reason: Reason | None = None


class DryRunResult(_Wire):
    run_id: RunId
    rows: int = Field(ge=0)


class JobResult(_Wire):
    """The one line a Job answers with."""

    role: JobRole
    exit_code: int
    failure: JobFailure | None = None
    preflight: PreflightResult | None = None
    batch: BatchResult | None = None
    report: ReportResult | None = None
    dry_run: DryRunResult | None = None

    @classmethod
    def failed(cls, role: JobRole, error: SeedError, **sections: object) -> Self:
        return cls.model_validate(
            {"role": role, "exit_code": int(error.exit_code), "failure": JobFailure.of(error)}
            | sections
        )

    @property
    def ok(self) -> bool:
        return self.exit_code == ExitCode.OK and self.failure is None

    def to_line(self) -> str:
        """Compact JSON within ``TERMINATION_LIMIT`` bytes: the failure's message and hint are
        shortened first, then the preflight check details, never the verdict fields."""
        line = self.model_dump_json(by_alias=True, exclude_none=True)
        if len(line.encode()) <= TERMINATION_LIMIT:
            return line
        slim = self
        if slim.failure is not None:
            slim = slim.model_copy(
                update={
                    "failure": slim.failure.model_copy(
                        update={"message": slim.failure.message[:512], "hint": None}
                    )
                }
            )
        if slim.preflight is not None:
            checks = tuple(
                c.model_copy(update={"detail": c.detail[:120], "hint": None})
                for c in slim.preflight.checks
            )
            slim = slim.model_copy(
                update={"preflight": slim.preflight.model_copy(update={"checks": checks})}
            )
        line = slim.model_dump_json(by_alias=True, exclude_none=True)
        if len(line.encode()) > TERMINATION_LIMIT:
            raise ValueError(f"a {self.role} result does not fit {TERMINATION_LIMIT} bytes")
        return line

    @classmethod
    def parse(cls, text: str) -> Self:
        """The result in a termination message or a log's last line; ``JobResultUnreadableError``
        when there is none or it is not a ``JobResult``."""
        lines = [line for line in text.strip().splitlines() if line.startswith("{")]
        if not lines:
            raise JobResultUnreadableError("the Job left no result line")
        try:
            result = cls.model_validate_json(lines[-1])
        except ValidationError as exc:
            raise JobResultUnreadableError(
                f"the Job's result line is not a JobResult: {exc}"
            ) from exc
        if result.failure is not None and int(REASON_EXIT_CODES[result.failure.reason]) != (
            result.exit_code
        ):
            raise JobResultUnreadableError(
                f"the Job reported {result.failure.reason} with exit code {result.exit_code}"
            )
        return result


class JobResultUnreadableError(ValueError):
    """A Job ended without a line this contract can read (crashed, killed, or another image)."""
