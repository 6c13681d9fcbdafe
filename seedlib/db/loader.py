"""One batch = one transaction: COPY the rows, write the checkpoint, commit.

The checkpoint (rows, sha256 of the COPY text, referenceDatetime, saltVersion, manifest hash,
generator version) is inserted in the same transaction as the rows, so after a crash either both
exist or neither does. Re-running a committed batch is a no-op when its digest matches the
checkpoint, and a ``DeterminismViolation`` (exit 2) when it does not
(``seedlib.rules.checkpoints.checkpoint_verdict`` decides, under the batch's advisory lock).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass

from seedlib.db.session import Connection, scope
from seedlib.db.store import Checkpoint
from seedlib.generator import GENERATOR_VERSION, Context
from seedlib.generator.catalog import CATALOG
from seedlib.rules.batches import BatchSpec
from seedlib.rules.checkpoints import Verdict, checkpoint_verdict

__all__ = ["BatchOutcome", "copy_rows", "load_batch"]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    batch_id: str
    table: str
    rows: int
    sha256: str
    seconds: float
    written: bool
    """False when the batch was already committed with the same digest (a no-op)."""


def copy_rows(conn: Connection, table: str, payload: bytes) -> None:
    """Load ``payload`` (COPY text format, catalog column order) into ``bank.<table>``.

    PostgreSQL refuses COPY FROM into a table with row-level security for a role subject to it, so
    the rows are COPYed into a session-private staging table and moved with one INSERT ... SELECT,
    which the RLS ``WITH CHECK`` policy then checks row by row: a row of another tenant fails the
    whole batch.
    """
    columns = ", ".join(CATALOG[table].column_names)
    stage = _staging_table(conn, table)
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            copy.write(payload)  # one call: psycopg streams it without going back to the GIL
        cursor.execute(f"INSERT INTO bank.{table} ({columns}) SELECT {columns} FROM {stage}")
        cursor.execute(f"TRUNCATE {stage}")


def _staging_table(conn: Connection, table: str) -> str:
    stage = f"pg_temp.stage_{table}"
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS stage_{table} (LIKE bank.{table}) ON COMMIT DELETE ROWS"
    )
    return stage


def load_batch(
    conn: Connection,
    ctx: Context,
    *,
    dataset_id: uuid.UUID,
    batch: BatchSpec,
    payload: bytes,
    sha256: str,
    run_id: uuid.UUID,
    now: dt.datetime,
) -> BatchOutcome:
    """Write one batch and its checkpoint atomically, or verify it was already written."""
    spec = ctx.spec
    started = time.perf_counter()
    with conn.transaction():
        scope(conn, spec.tenant, spec.environment, dataset_id)
        conn.execute(  # two workers on one batch: the second waits, then finds the checkpoint
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{dataset_id}:{batch.id}",)
        )
        done = conn.execute(
            "SELECT stop_row, rows, sha256 FROM seeding.batches "
            "WHERE dataset_id = %s AND table_name = %s AND first_row = %s",
            (dataset_id, batch.table, batch.start),
        ).fetchone()
        stored = (
            None
            if done is None
            else Checkpoint(batch.table, batch.start, int(done[0]), int(done[1]), str(done[2]))
        )
        if checkpoint_verdict(batch, sha256, stored) is Verdict.SKIP:
            return BatchOutcome(
                batch.id, batch.table, batch.rows, sha256, time.perf_counter() - started, False
            )
        copy_rows(conn, batch.table, payload)
        conn.execute(
            "INSERT INTO seeding.batches (dataset_id, tenant, environment, table_name, first_row, "
            "stop_row, rows, sha256, reference_datetime, salt_version, manifest_hash, "
            "generator_version, run_id, committed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                dataset_id,
                spec.tenant,
                spec.environment,
                batch.table,
                batch.start,
                batch.stop,
                batch.rows,
                sha256,
                spec.reference_instant,
                spec.salt_version,
                spec.manifest_hash,
                GENERATOR_VERSION,
                run_id,
                now,
            ),
        )
    return BatchOutcome(
        batch.id, batch.table, batch.rows, sha256, time.perf_counter() - started, True
    )
