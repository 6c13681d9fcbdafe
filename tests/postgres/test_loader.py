"""seedctl run / batch / purge against a real PostgreSQL: RLS, crashes, determinism, the rules."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from seedlib.cli import main
from seedlib.contract.canonical import manifest_hash
from seedlib.contract.job import BatchId, JobEnv, JobResult, JobRole, RunOutcome, job_command
from seedlib.db.session import WRITER_ROLE, scope, writer
from seedlib.errors import Reason
from seedlib.evidence.salts import DevIsolatedSaltProvider
from seedlib.evidence.signing import LocalSigner
from seedlib.evidence.worm import LocalWorm
from seedlib.generator import Context
from seedlib.generator.catalog import TABLES
from seedlib.rules.batches import plan_batches
from seedlib.runs.pipeline import run_profile
from seedlib.runs.publishing import Evidence
from seedlib.runs.summary import RunOptions
from tests.support import PROFILES, REPO, load_yaml, spec_of, table_counts

DEV_A = PROFILES / "dev" / "tenant-a.yaml"
DEV_B = PROFILES / "dev" / "tenant-b.yaml"
SALTS = DevIsolatedSaltProvider(dev_isolated=True)


def write_profile(directory: Path, name: str, **spec_changes: Any) -> Path:
    """A copy of dev/tenant-a with ``spec`` members replaced, re-hashed."""
    document = copy.deepcopy(load_yaml(DEV_A))
    document["spec"].update(spec_changes)
    document["spec"]["integrity"] = {"manifestHash": manifest_hash(document["spec"])}
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def seed(url: str, profile: Path, *extra: str) -> int:
    return main(["run", str(profile), "--dev-isolated", "--database-url", url, *extra])


def dump(url: str, table: str) -> bytes:
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        out = bytearray()
        with cursor.copy(f"COPY (SELECT * FROM bank.{table} ORDER BY id) TO STDOUT") as copy_out:
            for chunk in copy_out:
                out += chunk
    return bytes(out)


def expected_counts(profile: Path) -> dict[str, int]:
    spec = (
        spec_of(f"{profile.parent.name}/{profile.stem}")
        if profile.is_relative_to(PROFILES)
        else None
    )
    assert spec is not None
    return dict(Context.build(spec, SALTS.salt(spec.tenant, "dev", spec.salt_version)).counts)


def test_seed_writes_every_table_and_a_rerun_rewrites_nothing(database_url, capsys):
    assert seed(database_url, DEV_A) == 0
    counts = table_counts(database_url)
    for table, rows in expected_counts(DEV_A).items():
        assert counts[f"bank.{table}"] == rows, table
    batches = counts["seeding.batches"]
    assert batches == len(plan_batches(expected_counts(DEV_A)))
    out = capsys.readouterr().out
    assert "2311 rows, 2311 written" in out

    assert seed(database_url, DEV_A) == 0  # same idempotency key: the earlier result
    assert "idempotent replay" in capsys.readouterr().out
    assert seed(database_url, DEV_A, "--idempotency-key", "second") == 0  # checkpoints: no-op
    assert "nothing rewritten: every batch matched its checkpoint" in capsys.readouterr().out
    after = table_counts(database_url)
    unchanged = {k: v for k, v in counts.items() if k.startswith("bank.") or k == "seeding.batches"}
    assert {k: v for k, v in after.items() if k in unchanged} == unchanged
    assert after["seeding.idempotency_keys"] == after["seeding.reports_index"] == 2  # two real runs


FOREIGN_USER = (
    "INSERT INTO bank.users (id, tenant_id, username, full_name, email, role, active, created_at) "
    "VALUES (gen_random_uuid(), %s, 'x', 'x', 'x@banco.example', 'admin', true, now())"
)


def test_rls_isolates_tenants_and_the_writer_cannot_escape_it(database_url):
    assert seed(database_url, DEV_A) == 0
    assert seed(database_url, DEV_B) == 0
    a = Context.build(spec_of("dev/tenant-a"), SALTS.salt("tenant-a", "dev", "v1"))
    b = Context.build(spec_of("dev/tenant-b"), SALTS.salt("tenant-b", "dev", "v1"))
    a_id, b_id = uuid.UUID(a.ids("tenants", 0, 1)[0]), uuid.UUID(b.ids("tenants", 0, 1)[0])
    with writer(database_url) as conn:
        with conn.transaction():
            scope(conn, "tenant-a", "dev", a_id)
            assert conn.execute("SELECT current_user").fetchone() == (WRITER_ROLE,)
            assert conn.execute("SELECT count(*) FROM bank.customers").fetchone() == (100,)
            assert conn.execute(
                "SELECT count(*) FROM bank.customers WHERE tenant_id = %s", (b_id,)
            ).fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM seeding.batches").fetchone()[0] > 0
        with conn.transaction():
            scope(conn, "tenant-b", "dev", b_id)
            assert conn.execute("SELECT count(*) FROM bank.customers").fetchone() == (60,)
        with conn.transaction():  # no scope at all: nothing is visible
            assert conn.execute("SELECT count(*) FROM bank.customers").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM seeding.datasets").fetchone() == (0,)
        scope(conn, "tenant-a", "dev", a_id)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(FOREIGN_USER, (b_id,))
        conn.rollback()
        for statement in (
            "ALTER TABLE bank.customers DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE bank.customers NO FORCE ROW LEVEL SECURITY",
            "DROP POLICY dataset_isolation ON bank.customers",
            "SET row_security = off; SELECT count(*) FROM bank.customers",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(statement)
        role = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (WRITER_ROLE,)
        ).fetchone()
        assert role == (False, False)
        owned = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tableowner = %s", (WRITER_ROLE,)
        ).fetchone()
        assert owned == (0,)


def test_every_seeded_table_has_rls_enabled_and_forced_and_matches_the_catalog(database_url):
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('bank', 'seeding') AND c.relkind = 'r'"
        ).fetchall()
        assert len(rows) == len(TABLES) + 5
        assert all(enabled and forced for _, enabled, forced in rows), rows
        for table in TABLES:
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'bank' AND table_name = %s ORDER BY ordinal_position",
                (table.name,),
            ).fetchall()
            assert tuple(c for (c,) in columns) == table.column_names


def test_two_fresh_databases_hold_identical_data(new_database):
    first, second, third = new_database(), new_database(), new_database()
    assert seed(first, DEV_A) == 0
    assert seed(second, DEV_A, "--batch-rows", "37", "--jobs", "2") == 0
    for table in TABLES:
        assert dump(first, table.name) == dump(second, table.name), table.name
    # the stored dataset keeps its batch size: every batch is re-verified, none rewritten
    assert seed(second, DEV_A, "--batch-rows", "50000", "--idempotency-key", "x") == 0
    assert seed(third, DEV_A) == 0
    assert batch_digests(third) == batch_digests(first)


def batch_digests(url: str) -> dict[tuple[str, int], str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_name, first_row, sha256 FROM seeding.batches").fetchall()
    return {(t, f): s for t, f, s in rows}


def run_and_expect(url: str, profile: Path, code: int, reason: str, capsys, *extra: str) -> None:
    before = table_counts(url)
    assert seed(url, profile, *extra) == code
    assert f"[{reason}]" in capsys.readouterr().err
    assert table_counts(url) == before


def test_reference_and_salt_drift_exit_2_and_write_nothing(database_url, tmp_path, capsys):
    assert seed(database_url, DEV_A) == 0
    moved = write_profile(tmp_path, "moved", referenceDatetime="2026-01-01T00:00:00Z")
    run_and_expect(database_url, moved, 2, "ReferenceDrift", capsys)
    rotated = write_profile(tmp_path, "rotated", saltVersion="v2")
    run_and_expect(database_url, rotated, 2, "SaltDrift", capsys)
    bumped = write_profile(tmp_path, "bumped", version="1.1.0")
    run_and_expect(database_url, bumped, 2, "VersionDrift", capsys)
    assert (
        main(
            [
                "purge",
                "--tenant",
                "tenant-a",
                "--environment",
                "dev",
                "--database-url",
                database_url,
            ]
        )
        == 0
    )
    assert seed(database_url, rotated) == 0  # after the purge, the new salt seeds


def test_idempotency_conflict_exit_2(database_url, tmp_path, capsys):
    assert seed(database_url, DEV_A, "--idempotency-key", "ci-42") == 0
    changed = write_profile(
        tmp_path,
        "changed",
        volumetry={**load_yaml(DEV_A)["spec"]["volumetry"], "users": {"cap": 6}},
    )
    run_and_expect(
        database_url, changed, 2, "IdempotencyConflict", capsys, "--idempotency-key", "ci-42"
    )


def test_lock_held_exit_3(database_url, capsys):
    with psycopg.connect(database_url) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtext('seed_data:tenant-a:dev'))")
        run_and_expect(database_url, DEV_A, 3, "LockHeld", capsys)


def test_dry_run_reports_everything_and_leaves_nothing(database_url, capsys):
    before = table_counts(database_url)
    assert seed(database_url, DEV_A, "--dry-run", "--output", "json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dryRun"] is True
    assert summary["rows"] == summary["written"] == sum(expected_counts(DEV_A).values())
    assert table_counts(database_url) == before


CARGA_VOLUMES = {
    "customers": {"cap": 50, "states": {"active": 90, "blocked": 10}},
    "accountCategories": {"cap": 4},
    "bankAccounts": {"cap": 60},
    "financialTransactions": {"cap": 300},
}


def test_carga_rerun_purges_first_and_expiry_blocks_until_purged(database_url, tmp_path, capsys):
    carga = write_profile(
        tmp_path,
        "carga",
        mode="carga",
        volumetry=CARGA_VOLUMES,
        ttl={"baselineDays": 1, "cargaDays": 2, "drDays": 0},
    )
    assert seed(database_url, carga) == 0
    assert seed(database_url, DEV_A) == 0  # a baseline lives beside the carga dataset
    first = table_counts(database_url)
    assert seed(database_url, carga, "--idempotency-key", "again") == 0
    out = capsys.readouterr().out
    assert "purged first: 415 rows" in out
    assert (
        table_counts(database_url)["bank.financial_transactions"]
        == first["bank.financial_transactions"]
    )

    spec = yaml.safe_load(carga.read_text())["spec"]
    from seedlib.rules.validation import load_profile_spec

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    options = RunOptions(database_url=database_url, requested_by="test", idempotency_key="later")
    evidence = Evidence(LocalWorm(tmp_path / "worm", "dev"), LocalSigner(tmp_path / "keys", "dev"))
    before = table_counts(database_url)
    with pytest.raises(Exception, match="expired") as caught:
        run_profile(load_profile_spec(spec), SALTS, options, evidence=evidence, clock=lambda: later)
    assert getattr(caught.value, "reason", None) == "PurgeOverdue"
    assert table_counts(database_url) == before


def test_purge_expired_removes_only_expired_datasets(database_url, tmp_path, capsys):
    carga = write_profile(
        tmp_path,
        "carga",
        mode="carga",
        volumetry=CARGA_VOLUMES,
        ttl={"baselineDays": 30, "cargaDays": 0, "drDays": 0},
    )
    assert seed(database_url, DEV_A) == 0
    assert seed(database_url, carga) == 0  # cargaDays 0: expired the moment it is written
    capsys.readouterr()
    time.sleep(0.01)
    assert main(["purge", "--expired", "--database-url", database_url]) == 0
    assert "1 dataset(s), 415 rows removed" in capsys.readouterr().out
    counts = table_counts(database_url)
    assert counts["bank.customers"] == 100  # the baseline is not expired
    assert counts["seeding.datasets"] == 1


def jobs_of(monkeypatch, database_url: str, profile: Path, batch_rows: int):
    """`seedctl job ROLE` as the operator's Jobs run it: run id, profile and batch size in the
    environment (JobEnv), dev-isolated evidence; returns a runner giving (exit code, JobResult)."""
    monkeypatch.setenv(JobEnv.PROFILE_JSON, json.dumps(load_yaml(profile)["spec"]))
    monkeypatch.setenv(JobEnv.RUN_ID, str(uuid.uuid4()))
    monkeypatch.setenv(JobEnv.RUN_NAME, "tenant-a-dev-1")
    monkeypatch.setenv(JobEnv.BATCH_ROWS, str(batch_rows))
    monkeypatch.setenv("SEED_DATABASE_URL", database_url)

    def job(capsys, role: JobRole, batch_id: str | None = None) -> tuple[int, JobResult]:
        argv = job_command(role, BatchId(batch_id) if batch_id else None)[1:]
        code = main([*argv, "--dev-isolated"])
        out = capsys.readouterr().out
        assert len(out.strip().splitlines()) == 1, out  # exactly one line, whatever the outcome
        return code, JobResult.parse(out)

    return job


def test_a_batch_job_answers_one_line_and_is_idempotent(database_url, monkeypatch, capsys):
    job = jobs_of(monkeypatch, database_url, DEV_A, 400)
    code, result = job(capsys, JobRole.BATCH, "tenants:0-1")
    assert code == 2 and result.failure is not None
    assert result.failure.reason is Reason.RUN_NOT_FOUND  # no preflight registered the run
    code, result = job(capsys, JobRole.PREFLIGHT)
    assert code == 0 and result.preflight is not None and result.preflight.batch_rows == 400
    code, result = job(capsys, JobRole.BATCH, "tenants:0-1")
    assert code == 0 and result.batch is not None
    assert result.batch.written is True and result.batch.rows == 1
    code, result = job(capsys, JobRole.BATCH, "tenants:0-1")
    assert code == 0 and result.batch is not None and result.batch.written is False
    for wrong in ("customers:0-999", "nonsense"):
        code, result = job(capsys, JobRole.BATCH, wrong)
        assert code == 2 and result.failure is not None, wrong
        assert result.failure.reason is Reason.USAGE_ERROR, wrong


def test_a_job_without_its_run_id_is_a_usage_error(database_url, monkeypatch, capsys, tmp_path):
    job = jobs_of(monkeypatch, database_url, DEV_A, 400)
    monkeypatch.setenv(JobEnv.RUN_ID, "not-a-uuid")
    monkeypatch.setenv(JobEnv.TERMINATION_MESSAGE_PATH, str(tmp_path / "termination-log"))
    code, result = job(capsys, JobRole.REPORT)
    assert code == 2 and result.failure is not None
    assert result.failure.reason is Reason.USAGE_ERROR
    assert JobResult.parse((tmp_path / "termination-log").read_text()) == result


CRASH_VOLUMES = {
    "customers": {"cap": 100},
    "accountCategories": {"cap": 4},
    "bankAccounts": {"cap": 100},
    "financialTransactions": {"cap": 400_000},
}


def test_sigkill_mid_copy_leaves_nothing_and_the_rerun_is_exact(database_url, tmp_path):
    profile = write_profile(tmp_path, "crash", volumetry=CRASH_VOLUMES)
    command = [
        sys.executable,
        "-m",
        "seedlib.cli",
        "run",
        str(profile),
        "--dev-isolated",
        "--database-url",
        database_url,
        "--batch-rows",
        "400000",
    ]
    victim = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    with psycopg.connect(database_url, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            busy = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query ILIKE '%financial_transactions%' AND pid <> pg_backend_pid()"
            ).fetchone()
            if busy and busy[0]:
                break
            assert victim.poll() is None, "the run ended before its big batch started"
            time.sleep(0.02)
        else:
            pytest.fail("the big batch never started")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    time.sleep(0.5)  # the server notices the dead client and aborts its transaction
    killed = table_counts(database_url)
    assert killed["bank.financial_transactions"] == 0
    with psycopg.connect(database_url) as conn:
        tables = {t for (t,) in conn.execute("SELECT table_name FROM seeding.batches").fetchall()}
    assert "financial_transactions" not in tables

    rerun = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    counts = table_counts(database_url)
    assert counts["bank.financial_transactions"] == 400_000
    with psycopg.connect(database_url) as conn:
        per_batch = conn.execute(
            "SELECT table_name, first_row, count(*) FROM seeding.batches GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        assert per_batch == []
        total = conn.execute("SELECT sum(rows) FROM seeding.batches").fetchone()
    assert total == (sum(v for k, v in counts.items() if k.startswith("bank.")),)


def test_a_failing_checkpoint_takes_its_rows_with_it(database_url, capsys):
    """Fault injection in the server: the checkpoint insert of one table fails."""
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(
            "CREATE FUNCTION seeding.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.table_name = 'financial_transactions' THEN RAISE EXCEPTION 'injected fault'; END IF; "
            "RETURN NEW; END $$"
        )
        admin.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON seeding.batches "
            "FOR EACH ROW EXECUTE FUNCTION seeding.refuse()"
        )
    assert seed(database_url, DEV_A) == 1
    assert "injected fault" in capsys.readouterr().err
    counts = table_counts(database_url)
    assert counts["bank.financial_transactions"] == 0
    assert counts["bank.customers"] == 100  # earlier batches stay committed with their checkpoints
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("DROP TRIGGER refuse ON seeding.batches")
    assert seed(database_url, DEV_A) == 0
    assert table_counts(database_url)["bank.financial_transactions"] == 1000


def test_the_operator_job_sequence_seeds_and_reports(database_url, monkeypatch, capsys):
    """`seedctl job preflight`, one `seedctl job batch` per batch of the plan cut with the
    preflight's batchRows, `seedctl job report`: what the operator's Jobs run."""
    job = jobs_of(monkeypatch, database_url, DEV_A, 400)
    code, first = job(capsys, JobRole.PREFLIGHT)
    assert code == 0 and first.preflight is not None and first.preflight.batch_rows == 400
    assert {c.check for c in first.preflight.checks} >= {"salt", "worm", "database", "budget"}
    code, retried = job(capsys, JobRole.PREFLIGHT)  # a retried Job registers nothing more
    assert code == 0 and retried.preflight is not None and retried.preflight.batch_rows == 400
    plan = plan_batches(expected_counts(DEV_A), first.preflight.batch_rows)
    results = [job(capsys, JobRole.BATCH, batch.id) for batch in plan]
    assert [(code, r.batch.batch_id if r.batch else None) for code, r in results] == [
        (0, b.id) for b in plan
    ]
    code, report = job(capsys, JobRole.REPORT)
    assert code == 0 and report.report is not None
    assert report.report.verified is True and report.report.outcome is RunOutcome.SUCCEEDED
    with psycopg.connect(database_url) as conn:
        status, manifest_path = conn.execute(
            "SELECT status, manifest_path FROM seeding.runs"
        ).fetchone()  # type: ignore[misc]
    assert (status, manifest_path) == ("succeeded", "seedrun:tenant-a-dev-1")
    assert table_counts(database_url)["bank.financial_transactions"] == 1000


def test_a_job_rerun_of_a_baseline_seeded_with_other_batch_rows_writes_nothing(
    database_url, monkeypatch, capsys
):
    """Issue 12: a baseline seeded with `seedctl run --batch-rows 300`, re-run idempotently
    through the operator's Jobs with SEED_BATCH_ROWS=400. The preflight Job answers the dataset's
    own segmentation; batch Jobs planned with it match every checkpoint and write nothing."""
    assert seed(database_url, DEV_A, "--batch-rows", "300") == 0
    before = table_counts(database_url)
    job = jobs_of(monkeypatch, database_url, DEV_A, 400)
    capsys.readouterr()
    code, preflight = job(capsys, JobRole.PREFLIGHT)
    assert code == 0 and preflight.preflight is not None
    assert preflight.preflight.batch_rows == 300  # the dataset's, not SEED_BATCH_ROWS
    plan = plan_batches(expected_counts(DEV_A), preflight.preflight.batch_rows)
    results = [job(capsys, JobRole.BATCH, b.id) for b in plan]
    assert all(code == 0 for code, _ in results), [r.failure for _, r in results if r.failure]
    assert not any(r.batch and r.batch.written for _, r in results)
    code, report = job(capsys, JobRole.REPORT)
    assert code == 0 and report.report is not None
    assert report.report.outcome is RunOutcome.SUCCEEDED
    after = table_counts(database_url)
    assert {k: v for k, v in after.items() if k.startswith("bank.")} == {
        k: v for k, v in before.items() if k.startswith("bank.")
    }
    assert after["seeding.batches"] == before["seeding.batches"]
    # a batch Job planned with the operator's SEED_BATCH_ROWS is refused as such, not as a
    # DeterminismViolation
    code, wrong = job(capsys, JobRole.BATCH, "financial_transactions:0-400")
    assert code == 2 and wrong.failure is not None
    assert wrong.failure.reason is Reason.USAGE_ERROR
