"""The seeding control tables: datasets, checkpoints, runs, idempotency keys, locks, purges.

Every function expects a writer connection (``seedlib.db.session.writer``) and sets its own RLS
scope inside the transaction it runs in; none commits on behalf of its caller unless it says so.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from seedlib.contract.job import RunOutcome
from seedlib.db.session import Connection, scope
from seedlib.errors import LockUnavailableError, Reason
from seedlib.generator.catalog import TABLES
from seedlib.rules.admission import DatasetFacts

__all__ = [
    "Checkpoint",
    "StoredDataset",
    "advisory_lock",
    "batches_committed_since",
    "checkpoints",
    "datasets",
    "delete_rows",
    "expired_datasets",
    "purge_dataset",
    "recall_idempotent",
    "record_idempotent",
    "record_report",
    "record_run_end",
    "record_run_start",
    "report_of",
    "run_record",
    "upsert_dataset",
]

IDEMPOTENCY_TTL = dt.timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class StoredDataset:
    dataset_id: uuid.UUID
    tenant: str
    environment: str
    facts: DatasetFacts
    manifest_hash: str
    batch_rows: int


@dataclass(frozen=True, slots=True)
class Checkpoint:
    table: str
    first_row: int
    stop_row: int
    rows: int
    sha256: str


def datasets(conn: Connection, tenant: str, environment: str) -> list[StoredDataset]:
    with conn.transaction():
        scope(conn, tenant, environment, None)
        rows = conn.execute(
            "SELECT dataset_id, dataset, reference_datetime, salt_version, profile_version, "
            "generator_version, expires_at, manifest_hash, batch_rows "
            "FROM seeding.datasets ORDER BY dataset"
        ).fetchall()
    return [
        StoredDataset(
            dataset_id=row[0],
            tenant=tenant,
            environment=environment,
            facts=DatasetFacts(
                dataset=str(row[1]),
                reference_datetime=row[2],
                salt_version=str(row[3]),
                profile_version=str(row[4]),
                generator_version=str(row[5]),
                expires_at=row[6],
            ),
            manifest_hash=str(row[7]),
            batch_rows=int(row[8]),
        )
        for row in rows
    ]


def upsert_dataset(
    conn: Connection,
    *,
    dataset_id: uuid.UUID,
    tenant: str,
    environment: str,
    facts: DatasetFacts,
    manifest_hash: str,
    batch_rows: int,
    now: dt.datetime,
) -> None:
    """Record (or refresh) the dataset a run is writing; commits."""
    with conn.transaction():
        scope(conn, tenant, environment, dataset_id)
        conn.execute(
            "INSERT INTO seeding.datasets (dataset_id, tenant, environment, dataset, manifest_hash, "
            "profile_version, reference_datetime, salt_version, generator_version, batch_rows, "
            "created_at, updated_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (dataset_id) DO UPDATE SET manifest_hash = EXCLUDED.manifest_hash, "
            "updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at",
            (
                dataset_id,
                tenant,
                environment,
                facts.dataset,
                manifest_hash,
                facts.profile_version,
                facts.reference_datetime,
                facts.salt_version,
                facts.generator_version,
                batch_rows,
                now,
                now,
                facts.expires_at,
            ),
        )


def checkpoints(
    conn: Connection, tenant: str, environment: str, dataset_id: uuid.UUID
) -> list[Checkpoint]:
    with conn.transaction():
        scope(conn, tenant, environment, dataset_id)
        rows = conn.execute(
            "SELECT table_name, first_row, stop_row, rows, sha256 FROM seeding.batches "
            "WHERE dataset_id = %s ORDER BY table_name, first_row",
            (dataset_id,),
        ).fetchall()
    return [Checkpoint(str(r[0]), int(r[1]), int(r[2]), int(r[3]), str(r[4])) for r in rows]


def delete_rows(conn: Connection, dataset_id: uuid.UUID) -> dict[str, int]:
    """Delete the bank rows of one dataset, children first, in the caller's scoped transaction."""
    deleted: dict[str, int] = {}
    for table in reversed(TABLES):
        key = "id" if table.name == "tenants" else "tenant_id"
        cursor = conn.execute(f"DELETE FROM bank.{table.name} WHERE {key} = %s", (dataset_id,))
        deleted[table.name] = cursor.rowcount
    return deleted


def purge_dataset(
    conn: Connection, tenant: str, environment: str, dataset_id: uuid.UUID
) -> dict[str, int]:
    """Delete every row of one dataset and its record and checkpoints; commits. Rows per table."""
    with conn.transaction():
        scope(conn, tenant, environment, dataset_id)
        deleted = delete_rows(conn, dataset_id)
        conn.execute("DELETE FROM seeding.datasets WHERE dataset_id = %s", (dataset_id,))
    return deleted


def expired_datasets(
    conn: Connection, now: dt.datetime
) -> list[tuple[uuid.UUID, str, str, str, dt.datetime]]:
    """(dataset_id, tenant, environment, dataset, expires_at) of every expired dataset."""
    with conn.transaction():
        rows = conn.execute("SELECT * FROM seeding.expired_datasets(%s)", (now,)).fetchall()
    return [(r[0], str(r[1]), str(r[2]), str(r[3]), r[4]) for r in rows]


@contextmanager
def advisory_lock(conn: Connection, tenant: str, environment: str) -> Iterator[None]:
    """The per tenant/environment session lock of local runs; held elsewhere -> exit 3."""
    key = f"seed_data:{tenant}:{environment}"
    row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()
    conn.commit()
    if not row or not row[0]:
        raise LockUnavailableError(
            Reason.LOCK_HELD,
            f"another run holds the lock of {tenant}/{environment}",
            hint="wait for it to finish (runs of one tenant and environment are serialised)",
        )
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
        conn.commit()


def recall_idempotent(
    conn: Connection, tenant: str, environment: str, key: str, now: dt.datetime
) -> tuple[str, uuid.UUID, dict[str, Any]] | None:
    """(manifest_hash, run_id, result) stored under ``key`` and not yet expired."""
    with conn.transaction():
        scope(conn, tenant, environment, None)
        row = conn.execute(
            "SELECT manifest_hash, run_id, result FROM seeding.idempotency_keys "
            "WHERE tenant = %s AND environment = %s AND key = %s AND expires_at > %s",
            (tenant, environment, key, now),
        ).fetchone()
    if row is None:
        return None
    result = row[2] if isinstance(row[2], dict) else json.loads(str(row[2]))
    return str(row[0]), row[1], result


def record_idempotent(
    conn: Connection,
    tenant: str,
    environment: str,
    key: str,
    manifest_hash: str,
    run_id: uuid.UUID,
    result: dict[str, Any],
    now: dt.datetime,
) -> None:
    with conn.transaction():
        scope(conn, tenant, environment, None)
        conn.execute(
            "INSERT INTO seeding.idempotency_keys "
            "(tenant, environment, key, manifest_hash, run_id, result, created_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (tenant, environment, key) DO UPDATE SET manifest_hash = EXCLUDED.manifest_hash, "
            "run_id = EXCLUDED.run_id, result = EXCLUDED.result, created_at = EXCLUDED.created_at, "
            "expires_at = EXCLUDED.expires_at",
            (
                tenant,
                environment,
                key,
                manifest_hash,
                run_id,
                Jsonb(result),
                now,
                now + IDEMPOTENCY_TTL,
            ),
        )


def record_run_start(
    conn: Connection,
    *,
    run_id: uuid.UUID,
    tenant: str,
    environment: str,
    mode: str,
    manifest_hash: str,
    idempotency_key: str,
    requested_by: str,
    dry_run: bool,
    now: dt.datetime,
    manifest_path: str | None = None,
    profile: dict[str, Any] | None = None,
    trace_id: str | None = None,
    span_id: str | None = None,
) -> None:
    """Open a run; ``trace_id``/``span_id`` (hex) are its seed.run span's, for the report."""
    with conn.transaction():
        scope(conn, tenant, environment, None)
        conn.execute(
            "INSERT INTO seeding.runs (run_id, tenant, environment, mode, manifest_hash, "
            "idempotency_key, requested_by, dry_run, status, started_at, manifest_path, profile, "
            "trace_id, span_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'running', %s, %s, %s, %s, %s)",
            (
                run_id,
                tenant,
                environment,
                mode,
                manifest_hash,
                idempotency_key,
                requested_by,
                dry_run,
                now,
                manifest_path,
                Jsonb(profile) if profile is not None else None,
                trace_id,
                span_id,
            ),
        )


def record_run_end(
    conn: Connection,
    *,
    run_id: uuid.UUID,
    tenant: str,
    environment: str,
    outcome: RunOutcome,
    exit_code: int,
    reason: str | None,
    summary: dict[str, Any],
    now: dt.datetime,
    batches: list[dict[str, Any]] | None = None,
) -> None:
    """Close a run with its outcome (``seeding.runs.status``), exit code and reason."""
    with conn.transaction():
        scope(conn, tenant, environment, None)
        conn.execute(
            "UPDATE seeding.runs SET status = %s, exit_code = %s, reason = %s, finished_at = %s, "
            "summary = %s, batches = COALESCE(%s, batches) WHERE run_id = %s",
            (
                outcome.value,
                exit_code,
                reason,
                now,
                Jsonb(summary),
                Jsonb(batches) if batches is not None else None,
                run_id,
            ),
        )


def batches_committed_since(
    conn: Connection, tenant: str, environment: str, dataset_id: uuid.UUID, since: dt.datetime
) -> int:
    """Batches of the dataset committed at or after ``since`` (the rate-limit window's usage)."""
    with conn.transaction():
        scope(conn, tenant, environment, dataset_id)
        row = conn.execute(
            "SELECT count(*) FROM seeding.batches WHERE dataset_id = %s AND committed_at >= %s",
            (dataset_id, since),
        ).fetchone()
    return int(row[0]) if row else 0


def run_record(
    conn: Connection, tenant: str, environment: str, run_id: uuid.UUID
) -> dict[str, Any] | None:
    """A run row as a dict (``None`` when no such run of this tenant/environment)."""
    with conn.transaction():
        scope(conn, tenant, environment, None)
        cursor = conn.execute("SELECT * FROM seeding.runs WHERE run_id = %s", (run_id,))
        row = cursor.fetchone()
        names = [d.name for d in cursor.description or []]
    return dict(zip(names, row, strict=True)) if row else None


def record_report(
    conn: Connection,
    tenant: str,
    environment: str,
    run_id: uuid.UUID,
    uri: str,
    sha256: str,
    version_id: str | None,
    retain_until: dt.datetime | None,
    verified: bool,
    now: dt.datetime,
) -> None:
    with conn.transaction():
        scope(conn, tenant, environment, None)
        conn.execute(
            "INSERT INTO seeding.reports_index (run_id, tenant, environment, uri, sha256, version_id, "
            "retain_until, verified, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (run_id) DO UPDATE SET uri = EXCLUDED.uri, sha256 = EXCLUDED.sha256, "
            "version_id = EXCLUDED.version_id, retain_until = EXCLUDED.retain_until, "
            "verified = EXCLUDED.verified, created_at = EXCLUDED.created_at",
            (run_id, tenant, environment, uri, sha256, version_id, retain_until, verified, now),
        )


def report_of(
    conn: Connection, tenant: str, environment: str, run_id: uuid.UUID
) -> dict[str, Any] | None:
    """The indexed report of a run, if any."""
    with conn.transaction():
        scope(conn, tenant, environment, None)
        cursor = conn.execute("SELECT * FROM seeding.reports_index WHERE run_id = %s", (run_id,))
        row = cursor.fetchone()
        names = [d.name for d in cursor.description or []]
    return dict(zip(names, row, strict=True)) if row else None
