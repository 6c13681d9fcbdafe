"""What a local run is asked to do (``RunOptions``) and what it reports (``RunSummary``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from seedlib.generator import GENERATOR_VERSION
from seedlib.rules.batches import DEFAULT_BATCH_ROWS
from seedlib.runs.publishing import ReportRef

__all__ = ["RunOptions", "RunSummary", "TableSummary"]


@dataclass(frozen=True, slots=True)
class RunOptions:
    database_url: str
    requested_by: str
    dry_run: bool = False
    idempotency_key: str | None = None
    batch_rows: int = DEFAULT_BATCH_ROWS
    jobs: int = 1
    run_id: uuid.UUID | None = None
    """The run's id (default: a new one); seedctl sets it first so that every span carries it."""


@dataclass(slots=True)
class TableSummary:
    table: str
    rows: int = 0
    written: int = 0
    seconds: float = 0.0
    sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "written": self.written,
            "seconds": round(self.seconds, 3),
            "rowsPerSecond": round(self.rows / self.seconds) if self.seconds > 0 else None,
            "sha256": self.sha256,
        }


@dataclass(slots=True)
class RunSummary:
    run_id: uuid.UUID
    tenant: str
    environment: str
    mode: str
    manifest_hash: str
    idempotency_key: str
    dry_run: bool
    replay_of: uuid.UUID | None = None
    purged: dict[str, int] = field(default_factory=dict)
    tables: list[TableSummary] = field(default_factory=list)
    batches: list[dict[str, Any]] = field(default_factory=list)
    report: ReportRef | None = None
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def written(self) -> int:
        return sum(t.written for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "runId": str(self.run_id),
            "tenant": self.tenant,
            "environment": self.environment,
            "mode": self.mode,
            "manifestHash": self.manifest_hash,
            "idempotencyKey": self.idempotency_key,
            "dryRun": self.dry_run,
            "replayOf": str(self.replay_of) if self.replay_of else None,
            "generatorVersion": GENERATOR_VERSION,
            "rows": self.rows,
            "written": self.written,
            "purged": self.purged,
            "seconds": round(self.seconds, 3),
            "tables": [t.as_dict() for t in self.tables],
            "report": self.report.as_status() if self.report else None,
        }
