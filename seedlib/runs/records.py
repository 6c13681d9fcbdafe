"""What a run writes about itself in ``seeding.*``: its run record, its dataset, how it ended.

Shared by the local pipeline (``seedlib.runs.pipeline``) and the operator's Job steps
(``seedlib.runs.jobsteps``) so that both register a run, record its dataset and close it the same
way. Also where the segmentation of a run is decided, once: a resumed dataset keeps the batch size
it was first cut with, whatever the caller asks for.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Final

import psycopg

from seedlib.contract.job import RunOutcome
from seedlib.contract.profile import SeedProfileSpec
from seedlib.db import store
from seedlib.db.session import Connection
from seedlib.errors import Reason, SeedError
from seedlib.generator import GENERATOR_VERSION, dataset_of
from seedlib.generator import dataset_id as dataset_id_of
from seedlib.observability import telemetry
from seedlib.rules.admission import Admission, DatasetFacts

__all__ = [
    "RUNNING",
    "Clock",
    "close_run",
    "dataset_of_spec",
    "record_dataset",
    "register_run",
    "segmentation",
    "utc_now",
]

Clock = Callable[[], dt.datetime]

RUNNING: Final = "running"
"""``seeding.runs.status`` of a run not yet closed (a closed one has a ``RunOutcome``)."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def dataset_of_spec(
    spec: SeedProfileSpec, datasets: Sequence[store.StoredDataset]
) -> store.StoredDataset | None:
    """The stored dataset this profile writes, if there is one."""
    wanted = dataset_id_of(spec)
    return next((d for d in datasets if d.dataset_id == wanted), None)


def segmentation(
    spec: SeedProfileSpec,
    datasets: Sequence[store.StoredDataset],
    admission: Admission,
    requested: int,
) -> int:
    """Rows per batch of this run: a resumed dataset's own, else ``requested`` (a new dataset, or
    a carga/dr dataset the run purges and rebuilds). Batch ids and checkpoints depend on it."""
    stored = dataset_of_spec(spec, datasets)
    return stored.batch_rows if stored is not None and admission.resumes else requested


def register_run(
    conn: Connection,
    spec: SeedProfileSpec,
    *,
    run_id: uuid.UUID,
    idempotency_key: str,
    requested_by: str,
    manifest_path: str | None,
    now: dt.datetime,
) -> None:
    """Open the run in ``seeding.runs`` (status running) with its trace ids, for the report."""
    ids = telemetry.run_ids()
    store.record_run_start(
        conn,
        run_id=run_id,
        tenant=spec.tenant,
        environment=spec.environment,
        mode=spec.mode.value,
        manifest_hash=spec.manifest_hash,
        idempotency_key=idempotency_key,
        requested_by=requested_by,
        dry_run=False,
        now=now,
        manifest_path=manifest_path,
        profile=spec.model_dump(mode="json", by_alias=True, exclude_unset=True),
        trace_id=ids[0] if ids else None,
        span_id=ids[1] if ids else None,
    )


def record_dataset(
    conn: Connection, spec: SeedProfileSpec, batch_rows: int, now: dt.datetime
) -> None:
    """Record (or refresh) the dataset this profile writes: what it is seeded from, its TTL."""
    store.upsert_dataset(
        conn,
        dataset_id=dataset_id_of(spec),
        tenant=spec.tenant,
        environment=spec.environment,
        facts=DatasetFacts(
            dataset=dataset_of(spec.mode),
            reference_datetime=spec.reference_instant,
            salt_version=spec.salt_version,
            profile_version=spec.version,
            generator_version=GENERATOR_VERSION,
            expires_at=now + dt.timedelta(days=spec.ttl.days_for(spec.mode)),
        ),
        manifest_hash=spec.manifest_hash,
        batch_rows=batch_rows,
        now=now,
    )


def close_run(
    conn: Connection,
    spec: SeedProfileSpec,
    run_id: uuid.UUID,
    *,
    summary: dict[str, Any],
    now: dt.datetime,
    batches: list[dict[str, Any]] | None = None,
    error: BaseException | None = None,
    incomplete: bool = False,
    cancelled: bool = False,
) -> RunOutcome:
    """Close the run: cancelled; failed with the error's exit code and reason (exit 1 and the
    exception's type when it is not a SeedError), or with ``BatchesIncomplete``; else succeeded."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.rollback()
    reason: str | None = None
    exit_code = 0
    if isinstance(error, SeedError):
        reason, exit_code = error.reason.value, int(error.exit_code)
    elif error is not None:
        reason, exit_code = type(error).__name__, 1
    elif incomplete and not cancelled:
        reason, exit_code = Reason.BATCHES_INCOMPLETE.value, 2
    outcome = (
        RunOutcome.CANCELLED
        if cancelled
        else RunOutcome.SUCCEEDED
        if exit_code == 0
        else RunOutcome.FAILED
    )
    store.record_run_end(
        conn,
        run_id=run_id,
        tenant=spec.tenant,
        environment=spec.environment,
        outcome=outcome,
        exit_code=exit_code,
        reason=reason,
        summary=summary,
        now=now,
        batches=batches,
    )
    return outcome
