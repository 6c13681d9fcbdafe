"""``seedctl run PROFILE``: a whole run on this machine, for people (and CI)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

from seedlib.cli._compose import load_profile_file, validated
from seedlib.cli._options import add_database, add_dev_isolated, add_output, compose, positive
from seedlib.contract.profile import SeedProfileSpec
from seedlib.db.loader import BatchOutcome
from seedlib.errors import ExitCode
from seedlib.generator import entity_counts
from seedlib.observability import telemetry
from seedlib.rules.batches import DEFAULT_BATCH_ROWS
from seedlib.runs.pipeline import run_profile
from seedlib.runs.summary import RunOptions, RunSummary

__all__ = ["register"]

log = logging.getLogger("seedctl")


def register(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="seed a profile into PostgreSQL (embedded when no URL is given)",
        description="Validate PROFILE, then seed it batch by batch: each batch is one transaction "
        "with its checkpoint, so an interrupted run resumes where it stopped. Without "
        "--database-url (or SEED_DATABASE_URL) an embedded PostgreSQL under .seed/pg is used.",
    )
    run.add_argument("profile", type=Path, metavar="PROFILE", help="a SeedProfile manifest file")
    add_database(run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="run the whole plan in one transaction and roll it back",
    )
    add_dev_isolated(run)
    run.add_argument(
        "--jobs",
        type=positive,
        default=1,
        metavar="N",
        help="batch writers in parallel (default 1)",
    )
    run.add_argument(
        "--batch-rows",
        type=positive,
        default=DEFAULT_BATCH_ROWS,
        metavar="N",
        help=f"rows per batch of a new dataset (default {DEFAULT_BATCH_ROWS}; a dataset being "
        "resumed keeps its own)",
    )
    run.add_argument("--idempotency-key", metavar="KEY", help="default: seed-data:<manifestHash>")
    run.add_argument(
        "--requested-by",
        metavar="WHO",
        help="recorded with the run (default: $SEED_REQUESTED_BY or user@host)",
    )
    add_output(run)
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    composition = compose(args)
    run_id = uuid.uuid4()
    with composition.observed() as observed:
        with telemetry.span(telemetry.RUN_SPAN) as span:
            spec = validated(lambda: load_profile_file(args.profile), run_id, dry_run=args.dry_run)
            span.set_attributes(telemetry.attributes())
            # the row counts come from the profile alone: no salt is read before preflight
            progress = _Progress(spec, entity_counts(spec)) if args.output == "text" else None
            options = RunOptions(
                database_url=composition.database(args.database_url),
                requested_by=composition.requested_by(args.requested_by),
                dry_run=args.dry_run,
                idempotency_key=args.idempotency_key,
                batch_rows=args.batch_rows,
                jobs=args.jobs,
                run_id=run_id,
            )
            summary = run_profile(
                spec,
                composition.salts(),
                options,
                evidence=None if args.dry_run else composition.evidence(spec.environment.value),
                manifest_path=str(args.profile),
                progress=progress,
            )
        log.info(
            "run finished",
            extra={"rows": summary.rows, "written": summary.written, "dry_run": summary.dry_run},
        )
        if args.output == "json":
            print(json.dumps(summary.as_dict(), indent=2))
        else:
            _print_summary(summary)
            if observed.console_path is not None:
                print(f"telemetry: spans in {observed.console_path} (dev-isolated console export)")
    return ExitCode.OK


class _Progress:
    """One line per table when all its rows have landed (stderr, so stdout stays the result).
    Rows, not batches, are counted: the batch size is the run's to decide, not the caller's."""

    def __init__(self, spec: SeedProfileSpec, counts: dict[str, int]) -> None:
        self.counts = counts
        self.seen: dict[str, int] = {}
        self.written: dict[str, int] = {}
        print(f"seeding {spec.tenant}/{spec.environment} ({spec.mode})", file=sys.stderr)

    def __call__(self, outcome: BatchOutcome, done: int, total: int) -> None:
        table = outcome.table
        self.seen[table] = self.seen.get(table, 0) + outcome.rows
        self.written[table] = self.written.get(table, 0) + (outcome.rows if outcome.written else 0)
        if self.seen[table] == self.counts.get(table):
            print(
                f"  [{done:>3}/{total}] {table:<24} {self.written[table]:>9} rows written",
                file=sys.stderr,
            )


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
            f"purged first: {sum(summary.purged.values())} rows of the previous "
            f"{summary.mode} dataset"
        )
    if summary.report:
        state = "verified" if summary.report.verified else "NOT VERIFIED"
        print(f"report: {summary.report.uri} ({state}, sha256 {summary.report.sha256[:16]})")
