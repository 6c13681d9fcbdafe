"""Fixtures shared by every tier (fixtures only; helpers are in ``tests.support``).

PostgreSQL is a real PostgreSQL 16 (pgserver) started once per session, with a fresh, migrated
database per test. If it cannot start, every test that needs it errors (never skips). Tests inspect
databases as the superuser (which RLS does not restrict); seedctl writes as its writer role.
"""

from __future__ import annotations

import copy
import itertools
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from seedlib.db.migrate import migrate
from tests.support import PROFILES, REPO, load_yaml, with_database


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The e2e tier (a real node, as root, minutes) is collected only when asked for by marker:
    `pytest -m e2e tests/e2e` or `make e2e`."""
    if collection_path == REPO / "tests" / "e2e" and "e2e" not in (config.option.markexpr or ""):
        return True
    return None


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A fresh copy of an example SeedProfile document (default: dev/tenant-a)."""
    name = getattr(request, "param", "dev/tenant-a")
    return copy.deepcopy(load_yaml(PROFILES / f"{name}.yaml"))


# -- PostgreSQL -----------------------------------------------------------------------------

_names = itertools.count()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

        root = Path(tempfile.mkdtemp(prefix="seed-pg-"))
        server = get_server(root, cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture
def new_database(pg_server_url: str) -> Callable[[], str]:
    """Make new, migrated databases (admin URLs: the superuser; seedctl switches to seed_writer)."""

    def make() -> str:
        name = f"seed_test_{next(_names)}"
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        url = with_database(pg_server_url, name)
        migrate(url)
        return url

    return make


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    return new_database()


# -- S3 Object Lock (moto) and Vault (OpenBao) ----------------------------------------------

_buckets = itertools.count()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from tests.services import moto_s3

    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def bao() -> Iterator[Any]:
    from tests.services import openbao

    with openbao() as server:
        yield server


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A new bucket with Object Lock enabled."""
    from tests.services import s3_client

    name = f"worm-{next(_buckets)}-{os.getpid()}"
    s3_client(s3_endpoint).create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)  # type: ignore[attr-defined]
    return name


# -- OpenTelemetry collector (a real OTLP/HTTP receiver) ------------------------------------


@pytest.fixture(scope="session")
def otlp() -> Iterator[Any]:
    """A real OTLP/HTTP receiver for the session: ``.endpoint`` (for OTEL_EXPORTER_OTLP_ENDPOINT),
    ``.spans(name=None)``, ``.points(metric=None)``, ``.metric_names()``, ``.clear()``, and
    ``.stop()``/``.start()`` for outages (a test that stops it starts it again)."""
    from tests.otlp import OtlpReceiver

    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()
