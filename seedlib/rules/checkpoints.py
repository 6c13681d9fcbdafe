"""The checkpoint verdict: what to do with a batch given the checkpoint stored for it. Pure.

A checkpoint (stop row and sha256 of the COPY text) is committed with its batch's rows. A batch
regenerated later either matches it (skip: nothing is rewritten), has none (write it with its
checkpoint), or differs from it (``DeterminismViolation``, exit 2: the generator or the profile
changed under an existing dataset, or the batch was cut at another size). Every path that writes
batches asks this one function: the local pipeline, its dry run and the batch Job.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from seedlib.errors import InvalidInputError, Reason
from seedlib.rules.batches import BatchSpec

__all__ = ["StoredCheckpoint", "Verdict", "checkpoint_verdict"]


class StoredCheckpoint(Protocol):
    """What a committed batch left behind (``seedlib.db.store.Checkpoint`` is one)."""

    @property
    def stop_row(self) -> int: ...

    @property
    def sha256(self) -> str: ...


class Verdict(StrEnum):
    WRITE = "write"
    """No checkpoint: write the rows and their checkpoint in one transaction."""
    SKIP = "skip"
    """Committed with the same rows and digest: nothing to rewrite."""


def checkpoint_verdict(batch: BatchSpec, sha256: str, stored: StoredCheckpoint | None) -> Verdict:
    """``WRITE`` or ``SKIP``; a checkpoint that differs raises ``DeterminismViolation``."""
    if stored is None:
        return Verdict.WRITE
    if (stored.stop_row, stored.sha256) == (batch.stop, sha256):
        return Verdict.SKIP
    raise InvalidInputError(
        Reason.DETERMINISM_VIOLATION,
        f"batch {batch.id} was committed with rows up to {stored.stop_row} and sha256 "
        f"{stored.sha256[:12]}...; regenerating it gives {batch.stop} and {sha256[:12]}...",
        hint="the generator or profile changed under an existing dataset (or the batch was cut "
        "at another size than the dataset's): purge the tenant and reseed",
    )
