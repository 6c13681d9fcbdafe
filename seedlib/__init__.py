"""seedlib: deterministic, synthetic, PII-masked banking datasets from SeedProfile manifests.

Everything a batch Job or a laptop needs, with no Kubernetes dependency: the SeedProfile/SeedRun
contract, validation, window arithmetic and (as they land) the generator, the loader and the
evidence writers. The operator depends on seedlib, never the reverse.
"""

from seedlib.contract.canonical import manifest_hash
from seedlib.contract.profile import Environment, Mode, SeedProfile, SeedProfileSpec, Window
from seedlib.contract.seedrun import Phase, SeedRun, SeedRunSpec, SeedRunStatus
from seedlib.errors import (
    DependencyUnavailableError,
    ExitCode,
    InvalidInputError,
    IsolationError,
    LimitExceededError,
    LockUnavailableError,
    Reason,
    SeedError,
)
from seedlib.rules.validation import (
    DocumentResult,
    Violation,
    load_profile_spec,
    validate_document,
    validate_profile_spec,
)
from seedlib.rules.window import closes_at, next_opening, window_contains

__all__ = [
    "DependencyUnavailableError",
    "DocumentResult",
    "Environment",
    "ExitCode",
    "InvalidInputError",
    "IsolationError",
    "LimitExceededError",
    "LockUnavailableError",
    "Mode",
    "Phase",
    "Reason",
    "SeedError",
    "SeedProfile",
    "SeedProfileSpec",
    "SeedRun",
    "SeedRunSpec",
    "SeedRunStatus",
    "Violation",
    "Window",
    "closes_at",
    "load_profile_spec",
    "manifest_hash",
    "next_opening",
    "validate_document",
    "validate_profile_spec",
    "window_contains",
]
