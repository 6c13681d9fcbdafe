"""Connections that write as ``seed_writer`` inside a tenant scope.

Every write runs as the ``seed_writer`` role (no BYPASSRLS, owns no table): a login that is the
writer uses it directly; an administrative login (the embedded server's superuser) switches with
``SET ROLE``. ``scope`` sets the row-level-security keys for the current transaction only, so a
connection never carries one tenant's scope into another's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import psycopg

from seedlib.errors import DependencyUnavailableError, IsolationError, Reason

__all__ = ["WRITER_ROLE", "Connection", "scope", "writer"]

WRITER_ROLE: Final = "seed_writer"
Connection = psycopg.Connection[tuple[Any, ...]]


@contextmanager
def writer(url: str, *, application: str = "seedctl") -> Iterator[Connection]:
    """A connection acting as the writer role; PostgreSQL unreachable -> exit 4 before anything."""
    try:
        conn = psycopg.connect(url, application_name=application, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DependencyUnavailableError(
            Reason.DATABASE_UNAVAILABLE,
            f"cannot connect to PostgreSQL: {' '.join(str(exc).split())}",
            hint="check --database-url (or SEED_DATABASE_URL) and that the server is up",
        ) from exc
    try:
        _become_writer(conn)
        yield conn
    finally:
        conn.close()


def _become_writer(conn: Connection) -> None:
    row = conn.execute(
        "SELECT current_user, pg_has_role(current_user, %s, 'MEMBER'), "
        "EXISTS (SELECT FROM pg_roles WHERE rolname = %s)",
        (WRITER_ROLE, WRITER_ROLE),
    ).fetchone()
    assert row is not None
    user, member, exists = row
    if not exists:
        conn.rollback()
        raise IsolationError(
            Reason.RLS_DISABLED,
            f"role {WRITER_ROLE} does not exist: the database is not migrated",
            hint="run `seedctl db migrate --database-url URL` as an administrator",
        )
    if user != WRITER_ROLE:
        if not member:
            conn.rollback()
            raise IsolationError(
                Reason.RLS_DISABLED,
                f"login {user} cannot act as {WRITER_ROLE}",
                hint=f"log in as {WRITER_ROLE} or GRANT {WRITER_ROLE} TO {user}",
            )
        conn.execute(f"SET ROLE {WRITER_ROLE}")
    conn.commit()


def scope(conn: Connection, tenant: str, environment: str, dataset_id: uuid.UUID | None) -> None:
    """Set the RLS keys for the current transaction (``set_config(..., is_local => true)``)."""
    conn.execute(
        "SELECT set_config('app.tenant', %s, true), set_config('app.environment', %s, true), "
        "set_config('app.tenant_id', %s, true)",
        (tenant, environment, str(dataset_id) if dataset_id else ""),
    )
