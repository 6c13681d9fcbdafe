"""The batch plan: which batches a profile is cut into, in foreign-key order. Pure.

A batch is one table's row range. The plan is a pure function of the profile (through the row
counts) and the batch size, so the operator that schedules one Job per batch and the Job that runs
one batch compute the same plan, and a batch id names the same rows everywhere.

Tables are grouped into *levels*: a table's level is one more than the deepest table it references,
so all batches of one level may run at the same time once the levels before it are complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from seedlib.generator.catalog import CATALOG, TABLES, Table

__all__ = ["DEFAULT_BATCH_ROWS", "BatchSpec", "level_of", "parse_batch_id", "plan_batches"]

DEFAULT_BATCH_ROWS: Final = 50_000
"""Rows per batch unless configured: a few seconds of COPY, and one retry loses little."""


@dataclass(frozen=True, slots=True, order=True)
class BatchSpec:
    level: int
    table: str
    start: int
    stop: int

    @property
    def id(self) -> str:
        """``<table>:<start>-<stop>``, e.g. ``customers:0-50000``."""
        return f"{self.table}:{self.start}-{self.stop}"

    @property
    def rows(self) -> int:
        return self.stop - self.start


def level_of(table: Table) -> int:
    parents = {c.references for c in table.columns if c.references and c.references != table.name}
    return 1 + max((level_of(CATALOG[p]) for p in parents if p), default=-1)


def plan_batches(
    counts: Mapping[str, int], batch_rows: int = DEFAULT_BATCH_ROWS
) -> list[BatchSpec]:
    """Every batch of every table with rows, ordered by level, table and range."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    batches = [
        BatchSpec(level_of(table), table.name, start, min(start + batch_rows, counts[table.name]))
        for table in TABLES
        for start in range(0, counts[table.name], batch_rows)
    ]
    return sorted(batches)


def parse_batch_id(batch_id: str) -> tuple[str, int, int]:
    """``customers:0-50000`` -> ("customers", 0, 50000); ValueError naming what is wrong."""
    table, _, span = batch_id.partition(":")
    first, _, stop = span.partition("-")
    if table not in CATALOG or not first.isdigit() or not stop.isdigit():
        raise ValueError(
            f"batch id {batch_id!r} is not <table>:<start>-<stop> with a catalog table"
        )
    return table, int(first), int(stop)
