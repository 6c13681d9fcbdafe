"""``seedctl job ROLE [--batch-id ID]``: the Job side of the operator <-> Job contract.

The operator builds every Job's argv with ``seedlib.contract.job.job_command`` and its environment
with ``JobEnv``; this module is what runs in the container. The run id comes from ``SEED_RUN_ID``
and the profile from ``SEED_PROFILE_JSON``, nothing else. Every outcome, success or failure,
ends in exactly one ``JobResult`` line on stdout and in the termination message file (the kubelet
copies a successful container's file, never its stdout), which the operator reads back with
``JobResult.parse``. An error that is not a ``SeedError`` answers exit code 1 without a reason:
the operator retries it.

- ``preflight``: every check, then the run registered and its segmentation decided once
  (``PreflightResult.batch_rows``: a resumed dataset's own, else ``SEED_BATCH_ROWS``).
- ``batch``: one batch of that plan, written or verified against its checkpoint.
- ``report`` / ``cancel-report``: the run closed (succeeded, failed or cancelled) and its signed
  report published; the result carries the run's outcome beside the report's reference.
- ``dry-run``: the whole plan in one rolled-back transaction.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from seedlib.cli._compose import Composition, validated
from seedlib.cli._options import add_dev_isolated, compose
from seedlib.cli._report import publish, report_inputs
from seedlib.contract.job import (
    BatchId,
    BatchResult,
    DryRunResult,
    JobResult,
    JobRole,
    PreflightResult,
    ReportResult,
    RunId,
    RunOutcome,
)
from seedlib.errors import DependencyUnavailableError, InvalidInputError, Reason, SeedError
from seedlib.generator import Context
from seedlib.observability import telemetry
from seedlib.observability.logs import redact_text
from seedlib.rules.batches import DEFAULT_BATCH_ROWS
from seedlib.runs.jobsteps import finish_run, run_batch, start_run
from seedlib.runs.pipeline import run_profile
from seedlib.runs.preflight import run_preflight
from seedlib.runs.records import utc_now
from seedlib.runs.summary import RunOptions
from seedlib.settings import termination_message_path

__all__ = ["answer", "register"]

log = logging.getLogger("seedctl")


def register(commands: Any) -> None:
    job = commands.add_parser(
        "job",
        help="run one Job of a SeedRun (the operator's Jobs run this; one JobResult line out)",
        description="One step of a SeedRun, as the operator's Jobs run it: the run id from "
        "SEED_RUN_ID, the profile from SEED_PROFILE_JSON, the batch size of a new dataset from "
        "SEED_BATCH_ROWS, connections from the runner Secret. Prints exactly one JobResult JSON "
        "line and leaves it in the termination message file.",
    )
    job.add_argument("role", choices=[r.value for r in JobRole], metavar="ROLE")
    job.add_argument("--batch-id", metavar="ID", help="batch Jobs: <table>:<start>-<stop>")
    add_dev_isolated(job, "the local salt, signer and WORM (tests and laptops; never the operator)")
    job.set_defaults(handler=_job)


class _Answered(Exception):
    """A role that fails with more to say than its error (the preflight's checks)."""

    def __init__(self, result: JobResult) -> None:
        super().__init__(result.failure.message if result.failure else "failed")
        self.result = result


def _job(args: argparse.Namespace) -> int:
    role = JobRole(args.role)
    composition = compose(args)
    try:
        if (role is JobRole.BATCH) != (args.batch_id is not None):
            raise InvalidInputError(
                Reason.USAGE_ERROR,
                "a batch Job needs --batch-id, and only a batch Job has one",
                hint="run the command seedlib.contract.job.job_command builds",
            )
        try:
            with composition.observed():
                result = _ROLES[role](composition, args)
        except psycopg.OperationalError as exc:
            raise DependencyUnavailableError(
                Reason.DATABASE_UNAVAILABLE, redact_text(" ".join(str(exc).split()))
            ) from exc
    except _Answered as answered:
        result = answered.result
    except SeedError as exc:
        log.error("job failed", extra={"reason": exc.reason, "exit_code": int(exc.exit_code)})
        result = JobResult.failed(role, exc)
    except psycopg.Error as exc:  # its DETAIL may quote a row: only the type is told
        log.error("job failed", extra={"reason": type(exc).__name__, "exit_code": 1})
        result = JobResult(role=role, exit_code=1)
    answer(result, composition.settings.termination_message_path)
    return result.exit_code


def answer(result: JobResult, path: Path | None = None) -> None:
    """The Job's one line: on stdout, and in the termination message file when in a Pod."""
    line = result.to_line()
    target = path if path is not None else termination_message_path()
    if target is not None:
        with contextlib.suppress(OSError):  # no place for the message must not fail the work
            target.write_text(line, encoding="utf-8")
    print(line, flush=True)


def _preflight(composition: Composition, _: argparse.Namespace) -> JobResult:
    run_id = composition.job_run_id()
    spec = validated(composition.job_profile, run_id)
    evidence = composition.evidence(spec.environment.value)
    with contextlib.ExitStack() as held:
        checks = run_preflight(
            spec,
            salts=composition.salts(),
            worm=evidence.worm,
            database_url=composition.database(),
            cost_per_million_rows=evidence.cost_per_million_rows,
            clock=utc_now,
            keep=held,
        )
        results = tuple(c.as_result() for c in checks.checks)
        if (error := checks.first_error) is not None:
            raise _Answered(
                JobResult.failed(
                    JobRole.PREFLIGHT, error, preflight=PreflightResult(checks=results)
                )
            )
        rows = start_run(
            checks.cleared(),
            run_id=run_id,
            requested_by=composition.requested_by(),
            batch_rows=composition.settings.batch_rows or DEFAULT_BATCH_ROWS,
            manifest_path=composition.job_manifest_path(),
        )
    return JobResult(
        role=JobRole.PREFLIGHT,
        exit_code=0,
        preflight=PreflightResult(checks=results, batch_rows=rows),
    )


def _batch(composition: Composition, args: argparse.Namespace) -> JobResult:
    run_id = composition.job_run_id()
    spec = validated(composition.job_profile, run_id)
    salt = composition.salts().salt(spec.tenant, spec.environment, spec.salt_version)
    outcome = run_batch(
        Context.build(spec, salt), BatchId(args.batch_id), composition.database(), run_id
    )
    log.info(
        "batch loaded",
        extra={"batch_id": outcome.batch_id, "table": outcome.table, "rows": outcome.rows},
    )
    return JobResult(
        role=JobRole.BATCH,
        exit_code=0,
        batch=BatchResult(
            batch_id=BatchId(outcome.batch_id),
            table=outcome.table,
            rows=outcome.rows,
            sha256=outcome.sha256,
            written=outcome.written,
            seconds=round(outcome.seconds, 3),
        ),
    )


def _report(composition: Composition, args: argparse.Namespace) -> JobResult:
    role = JobRole(args.role)
    run_id = composition.job_run_id()
    spec = validated(composition.job_profile, run_id)
    ctx, evidence = report_inputs(composition, spec)
    url = composition.database()
    finish_run(spec, url, run_id=run_id, cancelled=role is JobRole.CANCEL_REPORT)
    ref, run = publish(ctx, evidence, run_id, url)
    # The run's outcome travels with the report's reference: a retried report Job of a run that
    # failed (say, TelemetryUnavailable) publishes its evidence, but the operator must not read
    # that as success.
    status = ref.as_status()
    return JobResult(
        role=role,
        exit_code=0,
        report=ReportResult(
            uri=ref.uri,
            sha256=ref.sha256,
            verified=ref.verified,
            version_id=status.get("versionId"),
            retain_until=status.get("retainUntil"),
            outcome=RunOutcome(run["status"]),
            run_reason=_reason(run.get("reason")),
        ),
    )


def _reason(text: str | None) -> Reason | None:
    """A closed run's reason as the contract types it; an unexpected error's exception type
    (exit 1) has no ``Reason`` and travels as none."""
    try:
        return Reason(text) if text else None
    except ValueError:
        return None


def _dry_run(composition: Composition, _: argparse.Namespace) -> JobResult:
    run_id = composition.job_run_id()
    with telemetry.span(telemetry.RUN_SPAN) as span:
        spec = validated(composition.job_profile, run_id, dry_run=True)
        span.set_attributes(telemetry.attributes())
        options = RunOptions(
            database_url=composition.database(),
            requested_by=composition.requested_by(),
            dry_run=True,
            batch_rows=composition.settings.batch_rows or DEFAULT_BATCH_ROWS,
            run_id=run_id,
        )
        summary = run_profile(spec, composition.salts(), options)
    return JobResult(
        role=JobRole.DRY_RUN,
        exit_code=0,
        dry_run=DryRunResult(run_id=RunId(run_id), rows=summary.rows),
    )


_ROLES: dict[JobRole, Callable[[Composition, argparse.Namespace], JobResult]] = {
    JobRole.PREFLIGHT: _preflight,
    JobRole.BATCH: _batch,
    JobRole.REPORT: _report,
    JobRole.CANCEL_REPORT: _report,
    JobRole.DRY_RUN: _dry_run,
}
