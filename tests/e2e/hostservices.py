"""PostgreSQL on the node's bridge address, for the e2e tier.

The other host services (OpenBao, moto S3, the OTLP receiver) take a `host` argument in
tests/services.py and tests/otlp.py; PostgreSQL needs more than pgserver's defaults (a Unix socket
only), so it is started here from pgserver's binaries: TCP on `host` with scram-sha-256 passwords
for the Pods, the Unix socket (trust) for the tests' administrator connections. As root it runs as
pgserver's unprivileged `pgserver` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.services import free_port, stop_process


@dataclass(frozen=True)
class HostPostgres:
    host: str
    port: int
    socket_dir: Path

    def admin_url(self, database: str = "postgres") -> str:
        """The superuser over the Unix socket (trust)."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def url(self, user: str, password: str, database: str) -> str:
        """A login over TCP on `host`, as the Pods connect."""
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{database}"


@contextmanager
def postgres_on(host: str, cidr: str) -> Iterator[HostPostgres]:
    """PostgreSQL listening on `host`, accepting password logins from `cidr`."""
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import ensure_user_exists

    root = Path(tempfile.mkdtemp(prefix="seed-e2e-pg-"))
    run_as: str | None = None
    if os.geteuid() == 0:
        run_as = "pgserver"
        ensure_user_exists(run_as)
        shutil.chown(root, run_as)
    root.chmod(0o755)
    data, log = root / "data", root / "postgres.log"
    port = free_port(host)
    init = subprocess.run(
        [
            str(POSTGRES_BIN_PATH / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=utf8",
        ],
        user=run_as,
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr}")
    with (data / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {cidr} scram-sha-256\n")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(data),
                "-h",
                host,
                "-p",
                str(port),
                "-k",
                str(root),
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ],
            user=run_as,
            stdout=out,
            stderr=out,
        )
    server = HostPostgres(host, port, root)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"postgres exited {process.returncode}: {log.read_text()}")
            try:
                psycopg.connect(server.admin_url(), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"postgres did not answer in 30 s: {log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        stop_process(process)
        shutil.rmtree(root, ignore_errors=True)
