"""A generated batch: typed columns of one table's rows ``[start, stop)``, and their canonical bytes.

The canonical form of a batch is its PostgreSQL ``COPY ... FROM STDIN`` text (tab-separated, ``\\N``
for NULL, one line per row, in index order). The batch digest is the sha256 of those bytes, so the
digest of an entity is the same however its rows are cut into batches (hash the batches' bytes in
order), and the loader can stream exactly the bytes that were hashed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from seedlib.generator.catalog import Kind, Table

__all__ = ["Batch", "Column", "render_copy_text"]

Column = Sequence[Any]
"""A column: a numpy array (numbers, dates, times, booleans) or a list (text, uuid, nullable)."""

_NULL = "\\N"


@dataclass(frozen=True, slots=True)
class Batch:
    table: Table
    start: int
    stop: int
    columns: Mapping[str, Column]

    def __post_init__(self) -> None:
        if tuple(self.columns) != self.table.column_names:
            raise ValueError(f"{self.table.name}: columns {tuple(self.columns)} != catalog order")
        for name, values in self.columns.items():
            if len(values) != len(self):
                raise ValueError(
                    f"{self.table.name}.{name}: {len(values)} values for {len(self)} rows"
                )

    def __len__(self) -> int:
        return self.stop - self.start

    def copy_text(self) -> bytes:
        """The rows as PostgreSQL COPY text format, in index order."""
        return render_copy_text(self.table, self.columns)

    def digest(self) -> str:
        return hashlib.sha256(self.copy_text()).hexdigest()

    def row(self, index: int) -> dict[str, Any]:
        """Row ``index`` (absolute) as Python values: UUID, str, int, bool, date, datetime, Decimal."""
        if not self.start <= index < self.stop:
            raise IndexError(f"row {index} outside [{self.start}, {self.stop})")
        offset = index - self.start
        return {
            column.name: _python(column.kind, self.columns[column.name][offset])
            for column in self.table.columns
        }

    def rows(self) -> Iterator[dict[str, Any]]:
        for index in range(self.start, self.stop):
            yield self.row(index)


def _python(kind: Kind, value: Any) -> Any:
    if value is None or (isinstance(value, np.datetime64) and np.isnat(value)):
        return None
    if kind is Kind.UUID:
        return uuid.UUID(value)
    if kind is Kind.MONEY:
        return Decimal(int(value)).scaleb(-2)
    if kind is Kind.RATE:
        return Decimal(int(value)).scaleb(-8)
    if kind is Kind.INT:
        return int(value)
    if kind is Kind.BOOL:
        return bool(value)
    if kind is Kind.DATE:
        return dt.date.fromisoformat(str(np.datetime64(value, "D")))
    if kind is Kind.TIMESTAMP:
        seconds = int(np.datetime64(value, "s").astype(np.int64))
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    return str(value)


def _fixed_point(values: Column, places: int) -> list[str]:
    numbers = np.asarray(values, dtype=np.int64)
    whole, frac = np.divmod(np.abs(numbers), 10**places)
    signs = np.where(numbers < 0, "-", "").tolist()
    return [
        f"{sign}{w}.{f:0{places}d}"
        for sign, w, f in zip(signs, whole.tolist(), frac.tolist(), strict=True)
    ]


def _text(kind: Kind, values: Column) -> list[str]:
    if kind is Kind.MONEY:
        return _fixed_point(values, 2)
    if kind is Kind.RATE:
        return _fixed_point(values, 8)
    if kind is Kind.INT:
        return [str(v) for v in np.asarray(values, dtype=np.int64).tolist()]
    if kind is Kind.BOOL:
        return ["t" if v else "f" for v in np.asarray(values, dtype=bool).tolist()]
    if kind is Kind.DATE:  # NaT is NULL
        days = np.datetime_as_string(np.asarray(values, dtype="datetime64[D]"))
        return [_NULL if d == "NaT" else str(d) for d in days]
    if kind is Kind.TIMESTAMP:
        stamps = np.datetime_as_string(np.asarray(values, dtype="datetime64[s]"), unit="s")
        return [_NULL if s == "NaT" else f"{s}Z" for s in stamps]
    if None not in values:  # the common case: plain strings, scanned once for escapes
        texts = list(values)
        if _NEEDS_ESCAPE.search("".join(texts)):
            return [_escape(t) for t in texts]
        return texts
    return [_NULL if v is None else _escape(str(v)) for v in values]


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def render_copy_text(table: Table, columns: Mapping[str, Column]) -> bytes:
    rendered = []
    for column in table.columns:
        values = columns[column.name]
        if column.nullable and column.kind in (Kind.MONEY, Kind.RATE, Kind.INT, Kind.BOOL):
            text = _text(column.kind, [0 if v is None else v for v in values])
            rendered.append([_NULL if v is None else t for v, t in zip(values, text, strict=True)])
        else:
            rendered.append(_text(column.kind, values))
    if not rendered or not rendered[0]:
        return b""
    return ("\n".join(map("\t".join, zip(*rendered, strict=True))) + "\n").encode()
