"""A whole run on one machine (``seedctl run``): preflight, idempotency, pipelined batches, report.

Generation is CPU work in this process; ingestion is PostgreSQL's work in its own. With two cores
the run is only as fast as the slower of the two if they overlap, so batches flow through a bounded
queue: the main thread generates batch *k+1* while writer threads COPY batch *k*. Tables are loaded
level by level (``seedlib.rules.batches``): a batch starts only when every table it references is
complete. A dry run goes through the same loop with one writer inside one transaction that is
rolled back.

Order of checks, all before any write: preflight (salt, WORM, telemetry, database reachable and
migrated, the tenant lock (exit 3), dataset admission (purge overdue, drift: exit 2), budget), then
the idempotency key (replay or conflict, exit 2). A failed batch stops the run; committed batches
stay, and the next run resumes. The operator's Jobs run the same steps one process each
(``seedlib.runs.jobsteps``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid

from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.salt import SaltProvider
from seedlib.db import store
from seedlib.db.session import Connection, scope
from seedlib.errors import DependencyUnavailableError, InvalidInputError, Reason, SeedError
from seedlib.generator import Context
from seedlib.generator import dataset_id as dataset_id_of
from seedlib.observability import telemetry
from seedlib.rules.batches import BatchSpec, plan_batches
from seedlib.rules.budget import DEFAULT_COST_PER_MILLION_ROWS
from seedlib.runs.batchloop import BatchLoop, Checkpointed, Progress, RolledBack
from seedlib.runs.preflight import Cleared, run_preflight
from seedlib.runs.publishing import Evidence, publish_run_report
from seedlib.runs.records import (
    Clock,
    close_run,
    record_dataset,
    register_run,
    segmentation,
    utc_now,
)
from seedlib.runs.summary import RunOptions, RunSummary, TableSummary

__all__ = ["Progress", "run_profile"]


def run_profile(
    spec: SeedProfileSpec,
    salts: SaltProvider,
    options: RunOptions,
    *,
    evidence: Evidence | None = None,
    manifest_path: str | None = None,
    clock: Clock = utc_now,
    progress: Progress | None = None,
) -> RunSummary:
    """Preflight, then seed, then (unless dry-run) publish the verified report."""
    started = time.perf_counter()
    if evidence is None and not options.dry_run:
        raise DependencyUnavailableError(
            Reason.WORM_UNAVAILABLE,
            "no evidence store: a run that writes must publish a signed report",
            hint="configure S3 Object Lock and Vault, or use --dev-isolated in dev",
        )
    key = options.idempotency_key or f"seed-data:{spec.manifest_hash}"
    summary = RunSummary(
        options.run_id or uuid.uuid4(),
        spec.tenant,
        spec.environment,
        spec.mode.value,
        spec.manifest_hash,
        key,
        options.dry_run,
    )
    # the preflight's connection holds the advisory lock that serialises local runs of a tenant
    with contextlib.ExitStack() as held:
        cleared = run_preflight(
            spec,
            salts=salts,
            worm=None if options.dry_run or evidence is None else evidence.worm,
            database_url=options.database_url,
            cost_per_million_rows=evidence.cost_per_million_rows
            if evidence
            else DEFAULT_COST_PER_MILLION_ROWS,
            clock=clock,
            keep=held,
            lock=True,
        ).cleared()
        conn = cleared.connection
        replay = None if options.dry_run else _recall(conn, spec, key, clock())
        if replay is not None:
            return replay
        batch_rows = segmentation(spec, cleared.datasets, cleared.admission, options.batch_rows)
        plan = plan_batches(cleared.context.counts, batch_rows)
        if options.dry_run:
            _dry_run(cleared, plan, summary, clock, progress)
        elif evidence is not None:  # a run that writes has evidence: refused above otherwise
            _seed(cleared, plan, batch_rows, options, summary, clock, progress, manifest_path)
            _telemetry_gate(conn, summary, spec, clock)
            _publish(conn, cleared.context, summary, evidence, clock)
    summary.seconds = time.perf_counter() - started
    return summary


def _telemetry_gate(
    conn: Connection, summary: RunSummary, spec: SeedProfileSpec, clock: Clock
) -> None:
    """Export every span and metric of the run before its report exists: a run whose telemetry
    is lost is failed (TelemetryUnavailable) and gets no verified report."""
    try:
        telemetry.flush()
    except SeedError as exc:
        _close(conn, summary, spec, clock, exc)
        raise


def _recall(
    conn: Connection, spec: SeedProfileSpec, key: str, now: dt.datetime
) -> RunSummary | None:
    earlier = store.recall_idempotent(conn, spec.tenant, spec.environment, key, now)
    if earlier is None:
        return None
    manifest_hash, run_id, result = earlier
    if manifest_hash != spec.manifest_hash:
        raise InvalidInputError(
            Reason.IDEMPOTENCY_CONFLICT,
            f"idempotency key {key!r} was used within 24 h for manifest {manifest_hash[:12]}..., "
            f"not {spec.manifest_hash[:12]}...",
            hint="use a new idempotency key for a changed profile (or omit it)",
        )
    tables = [
        TableSummary(t["table"], t["rows"], 0, 0.0, t["sha256"]) for t in result.get("tables", [])
    ]
    return RunSummary(
        uuid.UUID(str(result["runId"])),
        spec.tenant,
        spec.environment,
        spec.mode.value,
        manifest_hash,
        key,
        dry_run=False,
        replay_of=run_id,
        tables=tables,
    )


def _seed(
    cleared: Cleared,
    plan: list[BatchSpec],
    batch_rows: int,
    options: RunOptions,
    summary: RunSummary,
    clock: Clock,
    progress: Progress | None,
    manifest_path: str | None,
) -> None:
    conn, ctx = cleared.connection, cleared.context
    spec = ctx.spec
    dataset_id = dataset_id_of(spec)
    register_run(
        conn,
        spec,
        run_id=summary.run_id,
        idempotency_key=summary.idempotency_key,
        requested_by=options.requested_by,
        manifest_path=manifest_path,
        now=clock(),
    )
    try:
        if cleared.admission.purge_first is not None:
            summary.purged = store.purge_dataset(conn, spec.tenant, spec.environment, dataset_id)
        record_dataset(conn, spec, batch_rows, clock())
        done = {
            (c.table, c.first_row): c
            for c in store.checkpoints(conn, spec.tenant, spec.environment, dataset_id)
        }
        sink = Checkpointed(ctx, dataset_id, summary.run_id, options.database_url, clock)
        pipeline = BatchLoop(ctx, plan, done, sink, options.jobs, clock, progress)
        summary.tables = pipeline.run()
        summary.batches = pipeline.batches
    except Exception as exc:
        _close(conn, summary, spec, clock, exc)
        raise
    _close(conn, summary, spec, clock)


def _close(
    conn: Connection,
    summary: RunSummary,
    spec: SeedProfileSpec,
    clock: Clock,
    error: Exception | None = None,
) -> None:
    close_run(
        conn,
        spec,
        summary.run_id,
        summary=summary.as_dict(),
        now=clock(),
        batches=summary.batches,
        error=error,
    )


def _publish(
    conn: Connection, ctx: Context, summary: RunSummary, evidence: Evidence, clock: Clock
) -> None:
    """The signed, verified report; then the idempotency record (a replay returns both)."""
    spec = ctx.spec
    try:
        summary.report = publish_run_report(conn, ctx, summary.run_id, evidence, clock=clock)
    except SeedError as exc:
        _close(conn, summary, spec, clock, exc)
        raise
    store.record_idempotent(
        conn,
        spec.tenant,
        spec.environment,
        summary.idempotency_key,
        spec.manifest_hash,
        summary.run_id,
        summary.as_dict(),
        clock(),
    )


def _dry_run(
    cleared: Cleared,
    plan: list[BatchSpec],
    summary: RunSummary,
    clock: Clock,
    progress: Progress | None,
) -> None:
    """The whole plan in one transaction, rolled back: same summary, no checkpoint, no trace."""
    conn, ctx = cleared.connection, cleared.context
    spec = ctx.spec
    dataset_id = dataset_id_of(spec)
    done = {
        (c.table, c.first_row): c
        for c in store.checkpoints(conn, spec.tenant, spec.environment, dataset_id)
    }
    with conn.transaction(force_rollback=True):
        scope(conn, spec.tenant, spec.environment, dataset_id)
        if cleared.admission.purge_first is not None:
            summary.purged = store.delete_rows(conn, dataset_id)
            done = {}
        pipeline = BatchLoop(ctx, plan, done, RolledBack(conn), 1, clock, progress)
        summary.tables = pipeline.run()
