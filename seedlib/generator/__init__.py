"""The bulk generator: given a validated SeedProfile and a salt, the banking core of one tenant.

    ctx = Context.build(spec, salt)
    batch = generate("customers", ctx, 0, 1000)      # rows 0..999 of customers
    batch.copy_text(), batch.digest(), batch.row(5)

Output is a pure function of (profile, salt, table, row range): identical bytes on every run, machine
and batch segmentation (``GENERATOR_VERSION`` is bumped whenever that output changes). Pure package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from seedlib.generator._batch import Batch
from seedlib.generator._context import (
    GENERATOR_VERSION,
    Context,
    dataset_id,
    dataset_of,
    entity_counts,
    tenant_namespace,
)
from seedlib.generator._plan import profile_violations
from seedlib.generator._tables import BUILDERS
from seedlib.generator.catalog import CATALOG, Table

__all__ = [
    "GENERATOR_VERSION",
    "Batch",
    "Context",
    "PiiCheck",
    "dataset_id",
    "dataset_of",
    "entity_counts",
    "entity_digest",
    "generate",
    "pii_check",
    "profile_violations",
    "tenant_namespace",
]


def generate(table: str | Table, ctx: Context, start: int, stop: int) -> Batch:
    """Rows ``start..stop-1`` of ``table``."""
    spec = CATALOG[table] if isinstance(table, str) else table
    count = ctx.count(spec.name)
    if not 0 <= start <= stop <= count:
        raise ValueError(f"{spec.name}: rows [{start}, {stop}) outside [0, {count})")
    if start == stop:
        return Batch(spec, start, stop, {c: [] for c in spec.column_names})
    return Batch(spec, start, stop, BUILDERS[spec.name](ctx, start, stop))


def entity_digest(table: str, ctx: Context, *, batch_rows: int = 50_000) -> str:
    """sha256 of the table's canonical COPY text, whatever the batch size used to compute it."""
    digest = hashlib.sha256()
    for start in range(0, ctx.count(table), batch_rows):
        digest.update(
            generate(table, ctx, start, min(start + batch_rows, ctx.count(table))).copy_text()
        )
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class PiiCheck:
    """Result of recomputing every PII value of some rows from the salt."""

    table: str
    rows: int
    values: int
    unmasked: tuple[tuple[int, str], ...]
    """(row index, column) of values the masker did not produce; never the values themselves."""

    @property
    def passed(self) -> bool:
        return not self.unmasked


def pii_check(table: str, rows: Iterable[tuple[int, dict[str, object]]], ctx: Context) -> PiiCheck:
    """Recompute the PII columns of ``(index, row)`` pairs and report every value that differs.

    ``row`` maps column names to values as stored (strings, or Python values from ``Batch.row``).
    """
    spec = CATALOG[table]
    pii = spec.pii_columns
    pairs = sorted(rows, key=lambda pair: pair[0])
    unmasked: list[tuple[int, str]] = []
    checked = 0
    for run in _contiguous_runs(pairs):
        expected = generate(spec, ctx, run[0][0], run[-1][0] + 1)
        for index, row in run:
            truth = expected.row(index)
            for column in pii:
                checked += 1
                if _as_text(row.get(column.name)) != _as_text(truth[column.name]):
                    unmasked.append((index, column.name))
    return PiiCheck(table, len(pairs), checked, tuple(unmasked))


def _contiguous_runs(
    pairs: list[tuple[int, dict[str, object]]],
) -> list[list[tuple[int, dict[str, object]]]]:
    runs: list[list[tuple[int, dict[str, object]]]] = []
    for pair in pairs:
        if runs and pair[0] == runs[-1][-1][0] + 1:
            runs[-1].append(pair)
        else:
            runs.append([pair])
    return runs


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)
