"""Versioned SQL migrations, applied idempotently (``seedctl db migrate``).

Each file ``NNNN_name.sql`` in ``seedlib/db/migrations`` runs once, in its own transaction, under an
advisory lock so two migrators never race. Applied migrations are recorded with their sha256; an
applied file that changed since is an error (migrations are append-only: add a new one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Final

import psycopg

from seedlib.db.session import Connection
from seedlib.errors import InvalidInputError, IsolationError, Reason

__all__ = ["MIGRATIONS", "Migration", "applied_versions", "migrate", "pending", "require_migrated"]

_LOCK_KEY: Final = 0x5EED_0001
_LEDGER: Final = "public.seed_operator_migrations"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def _load() -> tuple[Migration, ...]:
    folder = resources.files("seedlib").joinpath("db", "migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append(
                Migration(int(version), rest.removesuffix(".sql"), entry.read_text("utf-8"))
            )
    return tuple(sorted(found, key=lambda m: m.version))


MIGRATIONS: Final = _load()


def _ensure_ledger(conn: Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {_LEDGER} ("
        "version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, "
        "applied_at timestamptz NOT NULL DEFAULT now())"
    )


def applied_versions(conn: Connection) -> dict[int, str]:
    """version -> sha256 of every applied migration (empty when none, or no ledger yet)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (_LEDGER,)).fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute(f"SELECT version, sha256 FROM {_LEDGER}").fetchall()
    return {int(v): str(s) for v, s in rows}


def pending(conn: Connection) -> list[Migration]:
    applied = applied_versions(conn)
    for migration in MIGRATIONS:
        if migration.version in applied and applied[migration.version] != migration.sha256:
            raise InvalidInputError(
                Reason.PROFILE_INVALID,
                f"migration {migration.version:04d}_{migration.name} changed after it was applied",
                hint="never edit an applied migration; add a new one",
            )
    return [m for m in MIGRATIONS if m.version not in applied]


def require_migrated(conn: Connection) -> None:
    """``RlsDisabled`` (exit 6) unless every migration is applied: no tables, no RLS, no run."""
    todo = pending(conn)
    conn.commit()
    if todo:
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in todo)
        raise IsolationError(
            Reason.RLS_DISABLED,
            f"the database lacks migrations {names} (tables and row-level security)",
            hint="run `seedctl db migrate --database-url URL` as an administrator",
        )


def migrate(url: str) -> list[Migration]:
    """Apply every pending migration; return those applied (none when up to date)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            _ensure_ledger(conn)
            todo = pending(conn)
            for migration in todo:
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        f"INSERT INTO {_LEDGER} (version, name, sha256) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.sha256),
                    )
            if applied_versions(conn):  # the writer checks the ledger before every run
                conn.execute(f"GRANT SELECT ON {_LEDGER} TO seed_writer")
            return todo
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
