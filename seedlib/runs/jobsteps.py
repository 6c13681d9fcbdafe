"""The operator's Job steps: one process each, in the order the operator runs them.

``start_run`` (the preflight Job, after its checks) registers the run and decides its segmentation
once: the batch size the operator must plan with (``PreflightResult.batch_rows``). ``run_batch``
(one batch Job per planned batch) writes or verifies one batch of that plan. ``finish_run`` (the
report and cancel-report Jobs) closes the run from its dataset's checkpoints; ``fail_run`` marks it
failed when the report Job cannot export its telemetry. The local pipeline
(``seedlib.runs.pipeline``) runs the same steps in one process.
"""

from __future__ import annotations

import datetime as dt
import uuid

from seedlib.contract.job import BatchId
from seedlib.contract.profile import SeedProfileSpec
from seedlib.db import store
from seedlib.db.loader import BatchOutcome, load_batch
from seedlib.db.migrate import require_migrated
from seedlib.db.session import Connection, writer
from seedlib.errors import InvalidInputError, Reason, SeedError
from seedlib.generator import Context, entity_counts
from seedlib.generator import dataset_id as dataset_id_of
from seedlib.observability import telemetry
from seedlib.rules.batches import BatchSpec, parse_batch_id, plan_batches
from seedlib.runs.batchwork import complete_batch, generate_batch
from seedlib.runs.preflight import Cleared
from seedlib.runs.records import (
    RUNNING,
    Clock,
    close_run,
    dataset_of_spec,
    record_dataset,
    register_run,
    segmentation,
    utc_now,
)

__all__ = ["fail_run", "finish_run", "run_batch", "start_run"]


def _no_run(spec: SeedProfileSpec, run_id: uuid.UUID) -> InvalidInputError:
    return InvalidInputError(
        Reason.RUN_NOT_FOUND,
        f"no run {run_id} of {spec.tenant}/{spec.environment} in seeding.runs",
        hint="its preflight Job registers it: create a new SeedRun",
    )


def start_run(
    cleared: Cleared,
    *,
    run_id: uuid.UUID,
    requested_by: str,
    batch_rows: int,
    manifest_path: str,
    clock: Clock = utc_now,
) -> int:
    """Open a run whose batches other processes load; return the rows per batch they must use.

    Idempotent for one run id: a preflight Job retried after it registered the run registers
    nothing more and answers the same batch size. Purges the carga/dr dataset the run replaces
    and records the dataset it writes, with the batch size decided here: a resumed dataset's own,
    else ``batch_rows`` (the operator's ``SEED_BATCH_ROWS``).
    """
    conn, spec = cleared.connection, cleared.context.spec
    if store.run_record(conn, spec.tenant, spec.environment, run_id) is not None:
        registered = dataset_of_spec(spec, cleared.datasets)
        if registered is None:
            raise _no_run(spec, run_id)  # its dataset was purged since: the run cannot go on
        return registered.batch_rows
    rows = segmentation(spec, cleared.datasets, cleared.admission, batch_rows)
    register_run(
        conn,
        spec,
        run_id=run_id,
        idempotency_key=f"seedrun:{run_id}",
        requested_by=requested_by,
        manifest_path=manifest_path,
        now=clock(),
    )
    if cleared.admission.purge_first is not None:
        store.purge_dataset(conn, spec.tenant, spec.environment, dataset_id_of(spec))
    record_dataset(conn, spec, rows, clock())
    return rows


def _planned(conn: Connection, spec: SeedProfileSpec, run_id: uuid.UUID) -> list[BatchSpec]:
    """The plan of a registered run, cut with its dataset's batch size."""
    if store.run_record(conn, spec.tenant, spec.environment, run_id) is None:
        raise _no_run(spec, run_id)
    stored = dataset_of_spec(spec, store.datasets(conn, spec.tenant, spec.environment))
    if stored is None:
        raise _no_run(spec, run_id)
    return plan_batches(entity_counts(spec), stored.batch_rows)


def run_batch(
    ctx: Context, batch_id: BatchId, url: str, run_id: uuid.UUID, clock: Clock = utc_now
) -> BatchOutcome:
    """Write or verify exactly one batch of a registered run (the batch Job)."""
    spec = ctx.spec
    try:
        parse_batch_id(batch_id)
    except ValueError as exc:
        raise InvalidInputError(
            Reason.USAGE_ERROR, str(exc), hint="take batch ids from the plan"
        ) from None
    with writer(url, application="seedctl-batch") as conn:
        require_migrated(conn)
        plan = _planned(conn, spec, run_id)
        batch = next((b for b in plan if b.id == batch_id), None)
        if batch is None:
            raise InvalidInputError(
                Reason.USAGE_ERROR,
                f"batch {batch_id} is not in the plan of run {run_id} "
                f"({plan[0].rows if plan else 0} rows per batch)",
                hint="plan batch Jobs with the batchRows the preflight Job answered",
            )
        work = generate_batch(ctx, batch, telemetry.current_span())
        outcome = complete_batch(
            work,
            lambda: load_batch(
                conn,
                ctx,
                dataset_id=dataset_id_of(spec),
                batch=batch,
                payload=work.payload,
                sha256=work.sha256,
                run_id=run_id,
                now=clock(),
            ),
        )
        window = dt.timedelta(seconds=spec.rate_limit.window_seconds)
        recent = store.batches_committed_since(
            conn, spec.tenant, spec.environment, dataset_id_of(spec), clock() - window
        )
        telemetry.set_rate_limit_remaining(max(spec.rate_limit.limit - recent, 0))
        return outcome


def finish_run(
    spec: SeedProfileSpec,
    url: str,
    *,
    run_id: uuid.UUID,
    cancelled: bool = False,
    clock: Clock = utc_now,
) -> None:
    """Close a run from its dataset's checkpoints: succeeded when every planned batch committed,
    cancelled (whatever committed) when the SeedRun was cancelled, else ``BatchesIncomplete``.
    A run already closed (a retried report Job) stays as it was."""
    with writer(url, application="seedctl-report") as conn:
        run = store.run_record(conn, spec.tenant, spec.environment, run_id)
        if run is None:
            raise _no_run(spec, run_id)
        if run["status"] != RUNNING:
            return
        plan = _planned(conn, spec, run_id)
        done = {
            (c.table, c.first_row): c
            for c in store.checkpoints(conn, spec.tenant, spec.environment, dataset_id_of(spec))
        }
        batches = [
            {
                "id": b.id,
                "table": b.table,
                "rows": b.rows,
                "sha256": done[(b.table, b.start)].sha256,
                "written": True,
            }
            for b in plan
            if (b.table, b.start) in done
        ]
        missing = len(plan) - len(batches)
        close_run(
            conn,
            spec,
            run_id,
            summary={
                "runId": str(run_id),
                "batches": len(plan),
                "missing": missing,
            },
            now=clock(),
            batches=batches,
            incomplete=missing > 0,
            cancelled=cancelled,
        )


def fail_run(
    spec: SeedProfileSpec, url: str, *, run_id: uuid.UUID, error: SeedError, clock: Clock = utc_now
) -> None:
    """Mark a finished run failed with ``error`` (its report Job could not export its telemetry),
    keeping what it recorded; a report published later says ``failed``."""
    with writer(url, application="seedctl-report") as conn:
        run = store.run_record(conn, spec.tenant, spec.environment, run_id)
        if run is None:
            return
        close_run(
            conn,
            spec,
            run_id,
            summary=dict(run.get("summary") or {}),
            now=clock(),
            error=error,
        )
