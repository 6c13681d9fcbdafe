"""Exit codes, reasons and the exception hierarchy shared by seedctl, the batch Jobs and the operator.

Every failure the product can report has exactly one CamelCase ``Reason``; every reason maps to
exactly one process exit code (``REASON_EXIT_CODES``). The operator copies both into the SeedRun's
``status`` (``exitCode`` and the condition ``reason``), so a user sees the same word in ``kubectl
describe`` as in a CI log.

The hierarchy, drawn once::

    SeedError                      (any failure; carries reason, exit_code, message, hint)
    ├── InvalidInputError          exit 2: validation, tenant mismatch, drift, idempotency conflict
    ├── LockUnavailableError       exit 3: a lock or a queue slot could not be had in time
    ├── DependencyUnavailableError exit 4: WORM, Vault or telemetry unreachable; a Job's result unreadable
    ├── LimitExceededError         exit 5: rate limit or budget exhausted
    └── IsolationError             exit 6: RLS off or tenant missing

Raise the category class with the precise reason; the constructor refuses a reason that belongs to
another category, so the table below stays the single source of truth.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import ClassVar

__all__ = [
    "REASON_EXIT_CODES",
    "DependencyUnavailableError",
    "ExitCode",
    "InvalidInputError",
    "IsolationError",
    "LimitExceededError",
    "LockUnavailableError",
    "Reason",
    "SeedError",
]


class ExitCode(IntEnum):
    """Process exit codes of ``seedctl`` (and of every Job container it runs in)."""

    OK = 0
    INVALID = 2
    LOCKED = 3
    UNAVAILABLE = 4
    LIMITED = 5
    ISOLATION = 6


class Reason(StrEnum):
    """Why something failed: the ``reason`` of conditions, Events and Problem Details."""

    USAGE_ERROR = "UsageError"
    PROFILE_INVALID = "ProfileInvalid"
    PROFILE_NOT_FOUND = "ProfileNotFound"
    PROFILE_DRIFT = "ProfileDrift"
    RUN_NOT_FOUND = "RunNotFound"
    TENANT_MISMATCH = "TenantMismatch"
    REFERENCE_DRIFT = "ReferenceDrift"
    SALT_DRIFT = "SaltDrift"
    VERSION_DRIFT = "VersionDrift"
    IDEMPOTENCY_CONFLICT = "IdempotencyConflict"
    DETERMINISM_VIOLATION = "DeterminismViolation"
    BATCHES_INCOMPLETE = "BatchesIncomplete"
    PII_UNMASKED = "PiiUnmasked"
    PURGE_OVERDUE = "PurgeOverdue"
    DEV_ISOLATED_FORBIDDEN = "DevIsolatedForbidden"
    LOCK_HELD = "LockHeld"
    QUEUE_TIMEOUT = "QueueTimeout"
    WORM_UNAVAILABLE = "WormUnavailable"
    VAULT_UNAVAILABLE = "VaultUnavailable"
    TELEMETRY_UNAVAILABLE = "TelemetryUnavailable"
    DATABASE_UNAVAILABLE = "DatabaseUnavailable"
    JOB_RESULT_UNREADABLE = "JobResultUnreadable"
    """A Job ended (crashed, killed, out of retries, another image) without a result line the
    operator can read: no verdict of the Job's own, so none is invented for it."""
    RATE_LIMITED = "RateLimited"
    BUDGET_EXHAUSTED = "BudgetExhausted"
    RLS_DISABLED = "RlsDisabled"
    TENANT_MISSING = "TenantMissing"


REASON_EXIT_CODES: dict[Reason, ExitCode] = {
    Reason.USAGE_ERROR: ExitCode.INVALID,
    Reason.PROFILE_INVALID: ExitCode.INVALID,
    Reason.PROFILE_NOT_FOUND: ExitCode.INVALID,
    Reason.PROFILE_DRIFT: ExitCode.INVALID,
    Reason.RUN_NOT_FOUND: ExitCode.INVALID,
    Reason.TENANT_MISMATCH: ExitCode.INVALID,
    Reason.REFERENCE_DRIFT: ExitCode.INVALID,
    Reason.SALT_DRIFT: ExitCode.INVALID,
    Reason.VERSION_DRIFT: ExitCode.INVALID,
    Reason.IDEMPOTENCY_CONFLICT: ExitCode.INVALID,
    Reason.DETERMINISM_VIOLATION: ExitCode.INVALID,
    Reason.BATCHES_INCOMPLETE: ExitCode.INVALID,
    Reason.PII_UNMASKED: ExitCode.INVALID,
    Reason.PURGE_OVERDUE: ExitCode.INVALID,
    Reason.DEV_ISOLATED_FORBIDDEN: ExitCode.INVALID,
    Reason.LOCK_HELD: ExitCode.LOCKED,
    Reason.QUEUE_TIMEOUT: ExitCode.LOCKED,
    Reason.WORM_UNAVAILABLE: ExitCode.UNAVAILABLE,
    Reason.VAULT_UNAVAILABLE: ExitCode.UNAVAILABLE,
    Reason.TELEMETRY_UNAVAILABLE: ExitCode.UNAVAILABLE,
    Reason.DATABASE_UNAVAILABLE: ExitCode.UNAVAILABLE,
    Reason.JOB_RESULT_UNREADABLE: ExitCode.UNAVAILABLE,
    Reason.RATE_LIMITED: ExitCode.LIMITED,
    Reason.BUDGET_EXHAUSTED: ExitCode.LIMITED,
    Reason.RLS_DISABLED: ExitCode.ISOLATION,
    Reason.TENANT_MISSING: ExitCode.ISOLATION,
}


class SeedError(Exception):
    """A failure with a reason a user can act on, the exit code it maps to, and a hint for the fix."""

    exit_code: ClassVar[ExitCode]

    def __init__(self, reason: Reason, message: str, *, hint: str | None = None) -> None:
        expected = REASON_EXIT_CODES[reason]
        if expected is not self.exit_code:
            raise TypeError(
                f"{type(self).__name__} carries exit code {int(self.exit_code)}, "
                f"but reason {reason} maps to {int(expected)}"
            )
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class InvalidInputError(SeedError):
    exit_code = ExitCode.INVALID


class LockUnavailableError(SeedError):
    exit_code = ExitCode.LOCKED


class DependencyUnavailableError(SeedError):
    exit_code = ExitCode.UNAVAILABLE


class LimitExceededError(SeedError):
    exit_code = ExitCode.LIMITED


class IsolationError(SeedError):
    exit_code = ExitCode.ISOLATION
