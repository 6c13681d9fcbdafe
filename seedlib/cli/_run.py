"""``seedctl run``, ``seedctl batch``, ``seedctl purge`` and ``seedctl db migrate``."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import json
import logging
import os
import socket
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from seedlib.contract.profile import SeedProfile, SeedProfileSpec
from seedlib.contract.salt import SaltProvider
from seedlib.db import store
from seedlib.db.embedded import DEFAULT_DATA_DIR, embedded_url
from seedlib.db.loader import BatchOutcome
from seedlib.db.migrate import migrate
from seedlib.db.session import writer
from seedlib.documents import read_documents
from seedlib.errors import (
    DependencyUnavailableError,
    ExitCode,
    InvalidInputError,
    Reason,
    SeedError,
)
from seedlib.evidence.salts import DevIsolatedSaltProvider
from seedlib.evidence.signing import LocalSigner
from seedlib.evidence.vault import TransitSigner, VaultSaltProvider
from seedlib.evidence.worm import LocalWorm, S3Worm, verify_report
from seedlib.generator import Context
from seedlib.generator.catalog import CATALOG
from seedlib.observability import telemetry
from seedlib.observability.logs import bind_log_context
from seedlib.rules.batches import DEFAULT_BATCH_ROWS, BatchSpec, level_of, parse_batch_id
from seedlib.rules.validation import load_profile_spec, validate_document
from seedlib.runs.pipeline import (
    RunOptions,
    RunSummary,
    fail_run,
    finish_run,
    run_batch,
    run_profile,
    start_run,
    utc_now,
)
from seedlib.runs.preflight import run_preflight
from seedlib.runs.publishing import Evidence, publish_run_report
from seedlib.settings import Settings

__all__ = ["register", "termination_message"]

URL_ENV = "SEED_DATABASE_URL"
RUN_ID_ENV = "SEED_RUN_ID"
TERMINATION_LIMIT = 4096

log = logging.getLogger("seedctl")


def register(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="seed a profile into PostgreSQL (embedded when no URL is given)",
        description="Validate PROFILE, then seed it batch by batch: each batch is one transaction "
        "with its checkpoint, so an interrupted run resumes where it stopped. Without "
        f"--database-url (or {URL_ENV}) an embedded PostgreSQL under {DEFAULT_DATA_DIR} is used.",
    )
    run.add_argument("profile", type=Path, metavar="PROFILE", help="a SeedProfile manifest file")
    _database_args(run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="run the whole plan in one transaction and roll it back",
    )
    run.add_argument(
        "--dev-isolated", action="store_true", help="use the local dev salt (environment dev only)"
    )
    run.add_argument(
        "--jobs",
        type=_positive,
        default=1,
        metavar="N",
        help="batch writers in parallel (default 1)",
    )
    run.add_argument(
        "--batch-rows",
        type=_positive,
        default=DEFAULT_BATCH_ROWS,
        metavar="N",
        help=f"rows per batch (default {DEFAULT_BATCH_ROWS})",
    )
    run.add_argument("--idempotency-key", metavar="KEY", help="default: seed-data:<manifestHash>")
    run.add_argument(
        "--requested-by",
        metavar="WHO",
        help="recorded with the run (default: $SEED_REQUESTED_BY or user@host)",
    )
    run.add_argument("-o", "--output", choices=("text", "json"), default="text")
    run.set_defaults(handler=_run)

    batch = commands.add_parser(
        "batch",
        help="run exactly one batch and print one JSON line (the batch Job's entrypoint)",
        description="Generate and load one batch (e.g. customers:0-50000) of PROFILE with its "
        "checkpoint, or verify it when already committed. Prints one JSON object on one line.",
    )
    batch.add_argument("--profile", type=Path, required=True, metavar="FILE")
    batch.add_argument("--batch-id", required=True, metavar="ID", help="<table>:<start>-<stop>")
    batch.add_argument("--run-id", type=uuid.UUID, default=None, metavar="UUID")
    batch.add_argument(
        "--dev-isolated", action="store_true", help="use the local dev salt (environment dev only)"
    )
    _database_args(batch)
    batch.set_defaults(handler=_batch)

    purge = commands.add_parser(
        "purge",
        help="delete expired datasets (--expired) or everything of a tenant",
        description="--expired removes every dataset past its TTL (the purge CronJob); --tenant "
        "and --environment remove all datasets of a tenant (right to be forgotten). Run records "
        "and report index entries are kept as the audit trail.",
    )
    target = purge.add_mutually_exclusive_group(required=True)
    target.add_argument("--expired", action="store_true")
    target.add_argument("--tenant", metavar="TENANT")
    purge.add_argument("--environment", metavar="ENV")
    _database_args(purge)
    purge.set_defaults(handler=_purge)

    preflight = commands.add_parser(
        "preflight",
        help="check every dependency of a run without writing anything",
        description="Salt readable (Vault), WORM store write-once, PostgreSQL migrated with RLS "
        "forced and a non-bypass writer, no drift, purge not overdue, budget. Exits with the first "
        "failure's code.",
    )
    preflight.add_argument("profile", type=Path, metavar="PROFILE")
    preflight.add_argument(
        "--dev-isolated", action="store_true", help="local salt and local WORM (dev only)"
    )
    preflight.add_argument("-o", "--output", choices=("text", "json"), default="text")
    preflight.add_argument(
        "--run-id", type=uuid.UUID, metavar="UUID", help="with --start-run: the run to register"
    )
    preflight.add_argument(
        "--start-run",
        action="store_true",
        help="after passing, register the run, purge a carga/dr dataset it replaces and record the "
        "dataset (the operator's preflight Job; batch Jobs follow)",
    )
    _database_args(preflight)
    preflight.set_defaults(handler=_preflight)

    report = commands.add_parser(
        "report",
        help="publish a run's signed report (RUN_ID), or verify a stored one (verify URI)",
        description="`seedctl report RUN_ID --profile FILE` builds, signs, stores write-once and "
        "verifies the report of a finished run. `seedctl report verify URI [--public-key PEM]` "
        "checks a stored report offline: one version, COMPLIANCE lock, retention >= 365 days, "
        "hash and signature. Exit 0 when verified, 2 otherwise. `seedctl report public-key` prints "
        "the Transit public key auditors verify with.",
    )
    report.add_argument("target", metavar="RUN_ID|verify|public-key")
    report.add_argument("uri", nargs="?", metavar="URI")
    report.add_argument("--profile", type=Path, metavar="FILE", help="the profile the run used")
    report.add_argument(
        "--public-key", type=Path, metavar="PEM", help="trusted public key (Vault Transit export)"
    )
    report.add_argument(
        "--dev-isolated", action="store_true", help="local signer and WORM directory (dev only)"
    )
    report.add_argument(
        "--finish-run",
        action="store_true",
        help="first close a run started with preflight --start-run, from its checkpoints "
        "(the operator's report Job)",
    )
    report.add_argument(
        "--cancelled",
        action="store_true",
        help="with --finish-run: close it as cancelled (the SeedRun's spec.cancel); the report's "
        "outcome is 'cancelled' and lists what committed before the cancel",
    )
    _database_args(report)
    report.set_defaults(handler=_report)

    database = commands.add_parser("db", help="database administration")
    db_commands = database.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    migrate_parser = db_commands.add_parser(
        "migrate",
        help="apply pending schema migrations (tables, roles, row-level security)",
        description="Apply pending migrations idempotently. Needs an administrative login "
        "(it creates the seed_owner and seed_writer roles).",
    )
    _database_args(migrate_parser)
    migrate_parser.set_defaults(handler=_migrate)


def _database_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get(URL_ENV),
        metavar="URL",
        help=f"PostgreSQL URL (default: ${URL_ENV}, else the embedded server under {DEFAULT_DATA_DIR})",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _database(url: str | None) -> str:
    """The given URL, or the embedded server (migrated on the way: it is ours)."""
    if url:
        return url
    try:
        local = embedded_url()
    except Exception as exc:
        raise DependencyUnavailableError(
            Reason.DATABASE_UNAVAILABLE,
            f"the embedded PostgreSQL did not start: {exc}",
            hint=f"remove {DEFAULT_DATA_DIR} if it is corrupt, or pass --database-url",
        ) from exc
    migrate(local)
    return local


def _load_profile(path: Path) -> SeedProfileSpec:
    """A SeedProfile from a manifest file, or ``env:NAME``: its spec as JSON in variable NAME (how
    the operator hands the profile it validated to its Jobs)."""
    if str(path).startswith("env:"):
        return _profile_from_env(str(path).removeprefix("env:"))
    documents = list(read_documents([path]))
    profiles = [
        d for d in documents if isinstance(d.data, dict) and d.data.get("kind") == "SeedProfile"
    ]
    if len(documents) == 1 and documents[0].error is not None:
        raise InvalidInputError(
            Reason.PROFILE_NOT_FOUND,
            f"{path}: {documents[0].error}",
            hint="give a SeedProfile manifest file",
        )
    if len(profiles) != 1:
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            f"{path} holds {len(profiles)} SeedProfile documents, not one",
            hint="give a file with exactly one SeedProfile",
        )
    result = validate_document(profiles[0].data, source=profiles[0].source)
    if not isinstance(result.model, SeedProfile):
        for violation in result.violations:
            print(
                f"  {violation.path}: {violation.message}\n    hint: {violation.hint}",
                file=sys.stderr,
            )
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            f"{path} is invalid ({len(result.violations)} violation(s))",
            hint=f"run `seedctl validate {path}`",
        )
    return result.model.spec


def _local_dir() -> Path:
    return Path(os.environ.get("SEED_LOCAL_DIR", ".seed"))


@contextlib.contextmanager
def _observed(dev_isolated: bool) -> Iterator[telemetry.Telemetry]:
    """Telemetry for one command: configured first, flushed last. A command whose telemetry was
    lost fails with TelemetryUnavailable (exit 4); when the command failed anyway, its own error
    wins and the failure's spans are exported if they can be."""
    current = telemetry.configure(dev_isolated=dev_isolated, console_dir=_local_dir())
    try:
        yield current
    except BaseException:
        with contextlib.suppress(SeedError):
            telemetry.shutdown()
        raise
    telemetry.shutdown()


def _validated(path: Path, run_id: uuid.UUID | None, dry_run: bool) -> SeedProfileSpec:
    """The profile, validated under ``seed.manifest.validate``; then the run identity that every
    later span and log line carries."""
    with telemetry.span("seed.manifest.validate") as span:
        spec = _load_profile(path)
        telemetry.bind(
            tenant_id=spec.tenant,
            environment=spec.environment.value,
            seed_run_id=str(run_id) if run_id else None,
            manifest_version=spec.version,
            mode=spec.mode.value,
            dry_run=dry_run,
        )
        bind_log_context(tenant_id=spec.tenant, seed_run_id=str(run_id) if run_id else None)
        span.set_attributes(telemetry.attributes())
    return spec


def _env_run_id() -> uuid.UUID | None:
    with contextlib.suppress(ValueError):
        return uuid.UUID(os.environ.get(RUN_ID_ENV, ""))
    return None


def _salts(dev_isolated: bool) -> SaltProvider:
    if dev_isolated:
        return DevIsolatedSaltProvider(dev_isolated=True)
    return VaultSaltProvider(Settings.from_env())


def _evidence(dev_isolated: bool, environment: str) -> Evidence:
    """Where reports go: local write-once files in dev-isolated mode, else S3 Object Lock + Vault."""
    settings = Settings.from_env()
    cost = Decimal(settings.cost_per_million_rows_brl)
    if dev_isolated:
        local = _local_dir()
        return Evidence(
            LocalWorm(local, environment), LocalSigner(local / "keys", environment), cost
        )
    worm = S3Worm(
        settings.worm_bucket,
        endpoint=settings.s3_endpoint,
        retention_days=settings.worm_retention_days,
        environment=environment,
    )
    return Evidence(worm, TransitSigner(settings), cost)


def _requested_by(value: str | None) -> str:
    return (
        value
        or os.environ.get("SEED_REQUESTED_BY")
        or f"{getpass.getuser()}@{socket.gethostname()}"
    )


class _Progress:
    """One line per table when its last batch lands (stderr, so stdout stays the result)."""

    def __init__(self, spec: SeedProfileSpec, ctx_counts: dict[str, int], batch_rows: int) -> None:
        self.expected = {t: -(-n // batch_rows) for t, n in ctx_counts.items() if n}
        self.seen: dict[str, int] = {}
        self.written: dict[str, int] = {}
        print(
            f"seeding {spec.tenant}/{spec.environment} ({spec.mode}), {sum(self.expected.values())} batches",
            file=sys.stderr,
        )

    def __call__(self, outcome: BatchOutcome, done: int, total: int) -> None:
        self.seen[outcome.table] = self.seen.get(outcome.table, 0) + 1
        self.written[outcome.table] = self.written.get(outcome.table, 0) + (
            outcome.rows if outcome.written else 0
        )
        if self.seen[outcome.table] == self.expected.get(outcome.table):
            print(
                f"  [{done:>3}/{total}] {outcome.table:<24} {self.written[outcome.table]:>9} rows written",
                file=sys.stderr,
            )


def _run(args: argparse.Namespace) -> int:
    # a dry-run Job of the operator is the SeedRun itself: it carries the SeedRun's uid
    run_id = (_env_run_id() if args.dry_run else None) or uuid.uuid4()
    with _observed(args.dev_isolated) as observed:
        with telemetry.span(telemetry.RUN_SPAN) as span:
            spec = _validated(args.profile, run_id, args.dry_run)
            span.set_attributes(telemetry.attributes())
            _seed(args, spec, run_id)
        if args.output == "text" and observed.console_path is not None:
            print(f"telemetry: spans in {observed.console_path} (dev-isolated console export)")
    return ExitCode.OK


def _seed(args: argparse.Namespace, spec: SeedProfileSpec, run_id: uuid.UUID) -> RunSummary:
    salts = _salts(args.dev_isolated)
    url = _database(args.database_url)
    counts = Context.build(
        spec, salts.salt(spec.tenant, spec.environment, spec.salt_version)
    ).counts
    options = RunOptions(
        database_url=url,
        requested_by=_requested_by(args.requested_by),
        dry_run=args.dry_run,
        idempotency_key=args.idempotency_key,
        batch_rows=args.batch_rows,
        jobs=args.jobs,
        run_id=run_id,
    )
    progress = _Progress(spec, dict(counts), args.batch_rows) if args.output == "text" else None
    evidence = None if args.dry_run else _evidence(args.dev_isolated, spec.environment.value)
    summary = run_profile(
        spec, salts, options, evidence=evidence, manifest_path=str(args.profile), progress=progress
    )
    outcome = summary.as_dict()
    termination_message(
        {k: outcome[k] for k in ("runId", "dryRun", "rows", "written", "report")} | {"exitCode": 0}
    )
    log.info(
        "run finished",
        extra={"rows": summary.rows, "written": summary.written, "dry_run": summary.dry_run},
    )
    if args.output == "json":
        print(json.dumps(outcome, indent=2))
    else:
        _print_summary(summary)
    return summary


def _print_summary(summary: RunSummary) -> None:
    if summary.replay_of:
        print(
            f"idempotent replay: key {summary.idempotency_key!r} already ran as {summary.replay_of} "
            "with this manifest; nothing was rewritten"
        )
    print(f"{'table':<24}{'rows':>10}{'written':>10}{'seconds':>9}{'rows/s':>10}  sha256")
    for t in summary.tables:
        rate = f"{t.rows / t.seconds:,.0f}" if t.seconds > 0 else "-"
        print(
            f"{t.table:<24}{t.rows:>10}{t.written:>10}{t.seconds:>9.2f}{rate:>10}  {t.sha256[:16]}"
        )
    what = "dry run rolled back" if summary.dry_run else "committed"
    if summary.replay_of:
        what = "idempotent replay: nothing rewritten"
    elif summary.written == 0 and not summary.dry_run:
        what = "nothing rewritten: every batch matched its checkpoint"
    print(
        f"{summary.tenant}/{summary.environment} {summary.mode}: {summary.rows} rows, "
        f"{summary.written} written, {summary.seconds:.1f}s, run {summary.run_id} ({what})"
    )
    if summary.purged:
        print(
            f"purged first: {sum(summary.purged.values())} rows of the previous {summary.mode} dataset"
        )
    if summary.report:
        state = "verified" if summary.report.verified else "NOT VERIFIED"
        print(f"report: {summary.report.uri} ({state}, sha256 {summary.report.sha256[:16]})")


def _batch(args: argparse.Namespace) -> int:
    batch_id = args.batch_id
    run_id = args.run_id or uuid.uuid4()
    try:
        with _observed(args.dev_isolated):
            table, start, stop = parse_batch_id(batch_id)
            spec = _validated(args.profile, run_id, False)
            salts = _salts(args.dev_isolated)
            ctx = Context.build(spec, salts.salt(spec.tenant, spec.environment, spec.salt_version))
            if not 0 <= start < stop <= ctx.count(table):
                raise InvalidInputError(
                    Reason.PROFILE_INVALID,
                    f"batch {batch_id} is outside {table}'s {ctx.count(table)} rows",
                    hint="take batch ids from the plan",
                )
            batch = BatchSpec(level_of(CATALOG[table]), table, start, stop)
            outcome = run_batch(ctx, batch, _database(args.database_url), run_id)
            log.info(
                "batch loaded",
                extra={
                    "batch_id": outcome.batch_id,
                    "table": outcome.table,
                    "rows": outcome.rows,
                    "written": outcome.written,
                },
            )
    except SeedError as exc:
        log.error(
            "batch failed",
            extra={"batch_id": batch_id, "reason": exc.reason, "exit_code": int(exc.exit_code)},
        )
        _print_line(
            {
                "batchId": batch_id,
                "exitCode": int(exc.exit_code),
                "reason": exc.reason.value,
                "message": exc.message,
                "hint": exc.hint,
            }
        )
        return int(exc.exit_code)
    _print_line(
        {
            "batchId": outcome.batch_id,
            "table": outcome.table,
            "rows": outcome.rows,
            "sha256": outcome.sha256,
            "written": outcome.written,
            "seconds": round(outcome.seconds, 3),
            "exitCode": 0,
        }
    )
    return ExitCode.OK


def termination_message(body: dict[str, Any]) -> None:
    """In a Pod, also leave the result where the kubelet reads the termination message: a
    successful container's stdout is not copied there (FallbackToLogsOnError only covers
    failures), and the operator reads every Job's outcome from it."""
    path = os.environ.get("TERMINATION_MESSAGE_PATH") or "/dev/termination-log"
    if "TERMINATION_MESSAGE_PATH" not in os.environ and not os.path.exists(path):
        return  # not in a Pod
    line = json.dumps(body, separators=(",", ":"))
    if len(line.encode()) > TERMINATION_LIMIT:
        line = json.dumps(
            {k: body[k] for k in ("exitCode", "reason", "batchId", "uri") if k in body}
        )
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(line[:TERMINATION_LIMIT])
    except OSError:
        pass  # not being able to leave a message must not fail the work that succeeded


def _print_line(body: dict[str, Any]) -> None:
    termination_message(body)
    line = json.dumps(body, separators=(",", ":"))
    if len(line.encode()) > TERMINATION_LIMIT:  # the termination message is capped at 4 KiB
        body["message"] = str(body.get("message", ""))[:512]
        body.pop("hint", None)
        line = json.dumps(body, separators=(",", ":"))[:TERMINATION_LIMIT]
    print(line)


def _purge(args: argparse.Namespace) -> int:
    if args.tenant and not args.environment:
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            "--tenant needs --environment",
            hint="seedctl purge --tenant T --environment E",
        )
    url = _database(args.database_url)
    now = dt.datetime.now(dt.UTC)
    removed = 0
    with writer(url, application="seedctl-purge") as conn:
        if args.expired:
            targets = [(d, t, e, name) for d, t, e, name, _ in store.expired_datasets(conn, now)]
        else:
            targets = [
                (d.dataset_id, d.tenant, d.environment, d.facts.dataset)
                for d in store.datasets(conn, args.tenant, args.environment)
            ]
        for dataset_id, tenant, environment, name in targets:
            deleted = store.purge_dataset(conn, tenant, environment, dataset_id)
            removed += sum(deleted.values())
            print(f"purged {tenant}/{environment} {name}: {sum(deleted.values())} rows")
    print(f"{len(targets)} dataset(s), {removed} rows removed")
    return ExitCode.OK


def _migrate(args: argparse.Namespace) -> int:
    applied = migrate(args.database_url) if args.database_url else None
    if applied is None:
        _database(None)  # the embedded server is migrated on start
        print("embedded database is up to date")
        return ExitCode.OK
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    if not applied:
        print("database is up to date")
    return ExitCode.OK


def _profile_from_env(name: str) -> SeedProfileSpec:
    raw = os.environ.get(name)
    if not raw:
        raise InvalidInputError(
            Reason.PROFILE_NOT_FOUND,
            f"environment variable {name} is empty",
            hint=f"set {name} to the profile spec as JSON",
        )
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            f"{name} is not JSON: {exc}",
            hint="pass the profile spec as JSON",
        ) from exc
    return load_profile_spec(spec)


def _preflight(args: argparse.Namespace) -> int:
    with _observed(args.dev_isolated):
        return _checks(args)


def _checks(args: argparse.Namespace) -> int:
    spec = _validated(args.profile, args.run_id, False)
    evidence = _evidence(args.dev_isolated, spec.environment.value)
    result = run_preflight(
        spec,
        salts=_salts(args.dev_isolated),
        worm=evidence.worm,
        database_url=_database(args.database_url),
        cost_per_million_rows=evidence.cost_per_million_rows,
        clock=utc_now,
    )
    verdict = {"passed": result.passed, "checks": [c.as_dict() for c in result.checks]}
    termination_message(verdict)
    if args.output == "json":
        print(json.dumps(verdict, indent=2))
    else:
        for check in result.checks:
            print(f"{'ok  ' if check.ok else 'FAIL'} {check.name:<9} {check.detail}")
            if check.error is not None and check.error.hint:
                print(f"     hint: {check.error.hint}")
    error = result.first_error
    if error is None and args.start_run:
        if args.run_id is None:
            raise InvalidInputError(
                Reason.PROFILE_INVALID, "--start-run needs --run-id", hint="the SeedRun's uid"
            )
        start_run(
            spec,
            _database(args.database_url),
            run_id=args.run_id,
            requested_by=_requested_by(None),
            batch_rows=int(os.environ.get("SEED_BATCH_ROWS", DEFAULT_BATCH_ROWS)),
            manifest_path=os.environ.get("SEED_MANIFEST_PATH", str(args.profile)),
        )
    return int(error.exit_code) if error else ExitCode.OK


def _report(args: argparse.Namespace) -> int:
    if args.target == "verify":
        return _verify(args)
    if args.target == "public-key":
        print(TransitSigner(Settings.from_env()).public_key_pem(), end="")
        return ExitCode.OK
    if args.profile is None:
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            "seedctl report RUN_ID needs --profile",
            hint="the profile file the run used",
        )
    try:
        run_id = uuid.UUID(args.target)
    except ValueError:
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            f"{args.target!r} is not a run id",
            hint="seedctl report RUN_ID --profile FILE, or seedctl report verify URI",
        ) from None
    with _observed(args.dev_isolated):
        spec = _validated(args.profile, run_id, False)
        salts = _salts(args.dev_isolated)
        ctx = Context.build(spec, salts.salt(spec.tenant, spec.environment, spec.salt_version))
        evidence = _evidence(args.dev_isolated, spec.environment.value)
        url = _database(args.database_url)
        if args.finish_run:
            rows = int(os.environ.get("SEED_BATCH_ROWS", DEFAULT_BATCH_ROWS))
            finish_run(ctx, url, run_id=run_id, batch_rows=rows, cancelled=args.cancelled)
        try:  # the run's telemetry must be out before its report can be verified
            telemetry.flush()
        except SeedError as exc:
            fail_run(spec, url, run_id=run_id, error=exc)
            raise
        with writer(url, application="seedctl-report") as conn:
            ref = publish_run_report(conn, ctx, run_id, evidence, clock=utc_now)
            run = store.run_record(conn, spec.tenant, spec.environment, run_id) or {}
        log.info("report published", extra={"uri": ref.uri, "verified": ref.verified})
    # The run's outcome travels with the report's reference: a retried report Job of a run that
    # failed (say, TelemetryUnavailable) publishes its evidence, but the operator must not read
    # that as success.
    result = {**ref.as_status(), "outcome": run.get("status"), "reason": run.get("reason")}
    termination_message(result)
    print(json.dumps(result))
    return ExitCode.OK


def _verify(args: argparse.Namespace) -> int:
    if not args.uri:
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            "seedctl report verify needs a URI",
            hint="s3://bucket/key?versionId=... or file:///...",
        )
    trusted = args.public_key.read_text() if args.public_key else None
    if args.uri.startswith("file://"):
        root = Path(args.uri.removeprefix("file://")).parents[4]
        store: Any = LocalWorm(root, "dev")
    else:
        settings = Settings.from_env()
        store = S3Worm(
            urlsplit_bucket(args.uri),
            endpoint=settings.s3_endpoint,
            retention_days=365,
            environment="verify",
        )
    result = verify_report(store, args.uri, trusted_public_key=trusted)
    for problem in result.problems:
        print(f"FAIL {problem}")
    if result.verified:
        key_note = (
            "the trusted key"
            if trusted
            else "the key embedded in the report (pass --public-key to pin it)"
        )
        print(f"verified: {args.uri} (signature checked with {key_note})")
        return ExitCode.OK
    return ExitCode.INVALID


def urlsplit_bucket(uri: str) -> str:
    return uri.removeprefix("s3://").split("/", 1)[0]
