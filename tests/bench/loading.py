"""make bench (loading): seedctl's end-to-end path against the limit and against a per-row seeder.

On one embedded PostgreSQL 16, for 1M financial_transactions in a table with a primary key, foreign
keys and a tenant index, measured in this run:

  (a) the limit: binary COPY of the very same rows, pre-built in memory, into an identical empty
      table (no RLS, no checkpoint, no generation);
  (b) our path: generate + mask + COPY (via the RLS-checked stage) + checkpoint, batch by batch;
  (c) factory_boy + one INSERT per row, on a 20 000-row sample.

(b) and (a) are measured back to back, three rounds per stream count (``--repeat``); the printed
rates are medians and b/a is the median of the per-round ratios (each round's two figures share
the machine's conditions), with every round's ratio shown.

Then the whole perf profile (every table at its hard cap). Ratios b/a and b/c are what to compare
across machines; absolute rows/s depend on this one.

    python -m tests.bench.loading [--transactions N] [--sample N] [--repeat N] [--skip-perf]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import statistics
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import psycopg
import yaml

from seedlib.contract.canonical import manifest_hash
from seedlib.contract.salt import Salt
from seedlib.db.migrate import migrate
from seedlib.evidence.signing import LocalSigner
from seedlib.evidence.worm import LocalWorm
from seedlib.factories import FinancialTransactionFactory
from seedlib.generator import Context
from seedlib.rules.validation import load_profile_spec
from seedlib.runs.pipeline import run_profile
from seedlib.runs.publishing import Evidence
from seedlib.runs.summary import RunOptions
from tests.support import PROFILES


class BenchSalt:
    """A fixed salt for benchmarks (stands in for Vault; never used outside this module)."""

    def salt(self, tenant: str, environment: str, version: str) -> Salt:
        return Salt(
            hashlib.sha256(f"bench|{tenant}|{environment}".encode()).digest(), version, "bench"
        )


def _spec(name: str, **changes: Any) -> Any:
    raw = copy.deepcopy(yaml.safe_load((PROFILES / f"{name}.yaml").read_text())["spec"])
    raw.update(changes)
    raw["integrity"] = {"manifestHash": manifest_hash(raw)}
    return load_profile_spec(raw)


def _server() -> tuple[Any, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

        server = get_server(Path(tempfile.mkdtemp(prefix="seed-bench-")), cleanup_mode="delete")
    return server, server.get_uri()


def _twin(conn: psycopg.Connection[Any], name: str) -> None:
    """An empty table shaped like bank.financial_transactions: same PK, FKs and indexes, no RLS."""
    conn.execute(f"DROP TABLE IF EXISTS bank.{name}")
    conn.execute(f"CREATE TABLE bank.{name} (LIKE bank.financial_transactions INCLUDING ALL)")
    for column, parent in (
        ("tenant_id", "tenants"),
        ("account_id", "bank_accounts"),
        ("supplier_id", "suppliers"),
    ):
        conn.execute(
            f"ALTER TABLE bank.{name} ADD FOREIGN KEY ({column}) REFERENCES bank.{parent} (id)"
        )


def _fresh_database(url: str, name: str) -> str:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base, query = url.split("?", 1)
    fresh = f"{base.rsplit('/', 1)[0]}/{name}?{query}"
    migrate(fresh)
    return fresh


def _export(conn: psycopg.Connection[Any], where: str) -> bytes:
    payload = bytearray()
    query = f"COPY (SELECT * FROM bank.financial_transactions {where}) TO STDOUT (FORMAT BINARY)"
    with conn.cursor().copy(query) as out:
        for chunk in out:
            payload += chunk
    return bytes(payload)


def _copy_in(url: str, table: str, payload: bytes) -> None:
    copy = f"COPY bank.{table} FROM STDIN (FORMAT BINARY)"
    with (
        psycopg.connect(url, autocommit=True) as conn,
        conn.transaction(),
        conn.cursor().copy(copy) as into,
    ):
        into.write(payload)


def _limit(url: str, rows: int, streams: int) -> float:
    """rows/s of ``streams`` parallel binary COPYs of the stored rows into an empty twin table."""
    with psycopg.connect(url, autocommit=True) as admin:
        parts = [
            _export(admin, f"WHERE abs(hashtext(id::text)) % {streams} = {k}")
            for k in range(streams)
        ]
        _twin(admin, f"ft_limit{streams}")
    threads = [
        threading.Thread(target=_copy_in, args=(url, f"ft_limit{streams}", part)) for part in parts
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return rows / (time.perf_counter() - began)


def _per_row(url: str, spec: Any, sample: int) -> float:
    ctx = Context.build(spec, BenchSalt().salt(spec.tenant, spec.environment, spec.salt_version))
    fields = list(FinancialTransactionFactory._meta.model.__dataclass_fields__)
    sql = (
        f"INSERT INTO bank.ft_rows ({', '.join(fields)}) VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with psycopg.connect(url, autocommit=True) as admin:
        _twin(admin, "ft_rows")
        began = time.perf_counter()
        with admin.transaction():
            for index in range(sample):
                row = FinancialTransactionFactory.build(index=index, context=ctx)
                admin.execute(sql, tuple(row.as_dict().values()))
        return sample / (time.perf_counter() - began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the per-row baseline")
    parser.add_argument("--skip-perf", action="store_true", help="skip the whole perf profile")
    parser.add_argument(
        "--repeat", type=int, default=3, help="(b)-then-(a) rounds per stream count; medians"
    )
    args = parser.parse_args(argv)
    server, url = _server()
    try:
        volumes = {
            "customers": {"cap": 2000},
            "accountCategories": {"cap": 8},
            "suppliers": {"cap": 200},
            "bankAccounts": {"cap": 2000},
            "financialTransactions": {"cap": args.transactions},
        }
        spec = _spec("perf/tenant-a", volumetry=volumes, mode="baseline", environment="dev")
        local = Path(tempfile.mkdtemp(prefix="seed-bench-evidence-"))
        evidence = Evidence(LocalWorm(local, "dev"), LocalSigner(local / "keys", "dev"))
        ours: dict[int, float] = {}
        limit: dict[int, float] = {}
        ratios: dict[int, list[float]] = {}
        for jobs in (1, 2):
            # (b) then (a), back to back, --repeat times: each ratio pairs two measurements taken
            # under the same conditions, and the medians damp a noisy neighbour or a checkpoint.
            rounds = []
            for attempt in range(args.repeat):
                fresh = _fresh_database(url, f"load{jobs}_{attempt}")
                summary = run_profile(
                    spec,
                    BenchSalt(),
                    RunOptions(database_url=fresh, requested_by="bench", jobs=jobs),
                    evidence=evidence,
                )
                tx = next(t for t in summary.tables if t.table == "financial_transactions")
                rounds.append((tx.rows / tx.seconds, _limit(fresh, tx.rows, jobs)))
            ours[jobs] = statistics.median(b for b, _ in rounds)
            limit[jobs] = statistics.median(a for _, a in rounds)
            ratios[jobs] = [b / a for b, a in rounds]
        per_row = _per_row(fresh, spec, args.sample)

        print(
            f"loading {args.transactions:,} financial_transactions (primary key, 3 foreign keys, indexes)"
        )
        for jobs in (1, 2):
            print(
                f"  (a) limit: {jobs} binary COPY stream(s), same rows pre-built  "
                f"{limit[jobs]:>8,.0f} rows/s"
            )
            print(
                f"  (b) seedctl --jobs {jobs}: generate+mask+COPY+checkpoint  "
                f"{ours[jobs]:>8,.0f} rows/s"
                f"  b/a = {statistics.median(ratios[jobs]):.2f}"
                f"  (rounds: {', '.join(f'{r:.2f}' for r in ratios[jobs])})"
            )
        print(
            f"  (c) factory_boy + INSERT per row ({args.sample:,} rows)     "
            f"{per_row:>8,.0f} rows/s"
            f"  b/c = {ours[2] / per_row:.0f} (b with --jobs 2)"
        )

        if not args.skip_perf:
            perf = _spec("perf/tenant-a", environment="dev")  # dev: the local evidence store
            fresh = _fresh_database(url, "perf")
            began = time.perf_counter()
            result = run_profile(
                perf,
                BenchSalt(),
                RunOptions(database_url=fresh, requested_by="bench", jobs=2),
                evidence=evidence,
            )
            seconds = time.perf_counter() - began
            print(
                f"whole perf profile at hard caps, --jobs 2: {result.rows:,} rows in {seconds:.1f} s"
            )
            for table in result.tables:
                print(f"    {table.table:<24}{table.rows:>10,}{table.seconds:>8.1f} s")
    finally:
        server.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
