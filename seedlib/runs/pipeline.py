"""A whole run on one machine (``seedctl run``): admission, idempotency, locks, pipelined batches.

Generation is CPU work in this process; ingestion is PostgreSQL's work in its own. With two cores
the run is only as fast as the slower of the two if they overlap, so batches flow through a bounded
queue: the main thread generates batch *k+1* while writer threads COPY batch *k*. Tables are loaded
level by level (``seedlib.rules.batches``): a batch starts only when every table it references is complete.

Order of checks, all before any write: salt version, database reachable and migrated, the tenant
lock (exit 3), idempotency key (replay or conflict, exit 2), dataset admission (purge overdue,
drift: exit 2). A failed batch stops the run; committed batches stay, and the next run resumes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg

from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.salt import SaltProvider
from seedlib.db import store
from seedlib.db.loader import BatchOutcome, copy_rows, load_batch
from seedlib.db.migrate import require_migrated
from seedlib.db.session import Connection, scope, writer
from seedlib.errors import (
    DependencyUnavailableError,
    InvalidInputError,
    Reason,
    SeedError,
)
from seedlib.generator import GENERATOR_VERSION, Context, dataset_of, generate
from seedlib.generator import dataset_id as dataset_id_of
from seedlib.generator.catalog import TABLES
from seedlib.observability import telemetry
from seedlib.rules.admission import Admission, DatasetFacts, admit
from seedlib.rules.batches import DEFAULT_BATCH_ROWS, BatchSpec, plan_batches
from seedlib.runs.preflight import run_preflight
from seedlib.runs.publishing import Evidence, ReportRef, publish_run_report

__all__ = [
    "RunOptions",
    "RunSummary",
    "TableSummary",
    "fail_run",
    "finish_run",
    "run_batch",
    "run_profile",
    "start_run",
    "utc_now",
]

Clock = Callable[[], dt.datetime]
Progress = Callable[[BatchOutcome, int, int], None]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class RunOptions:
    database_url: str
    requested_by: str
    dry_run: bool = False
    idempotency_key: str | None = None
    batch_rows: int = DEFAULT_BATCH_ROWS
    jobs: int = 1
    run_id: uuid.UUID | None = None
    """The run's id (default: a new one); seedctl sets it first so that every span carries it."""


@dataclass(slots=True)
class TableSummary:
    table: str
    rows: int = 0
    written: int = 0
    seconds: float = 0.0
    sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "written": self.written,
            "seconds": round(self.seconds, 3),
            "rowsPerSecond": round(self.rows / self.seconds) if self.seconds > 0 else None,
            "sha256": self.sha256,
        }


@dataclass(slots=True)
class RunSummary:
    run_id: uuid.UUID
    tenant: str
    environment: str
    mode: str
    manifest_hash: str
    idempotency_key: str
    dry_run: bool
    replay_of: uuid.UUID | None = None
    purged: dict[str, int] = field(default_factory=dict)
    tables: list[TableSummary] = field(default_factory=list)
    batches: list[dict[str, Any]] = field(default_factory=list)
    report: ReportRef | None = None
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def written(self) -> int:
        return sum(t.written for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "runId": str(self.run_id),
            "tenant": self.tenant,
            "environment": self.environment,
            "mode": self.mode,
            "manifestHash": self.manifest_hash,
            "idempotencyKey": self.idempotency_key,
            "dryRun": self.dry_run,
            "replayOf": str(self.replay_of) if self.replay_of else None,
            "generatorVersion": GENERATOR_VERSION,
            "rows": self.rows,
            "written": self.written,
            "purged": self.purged,
            "seconds": round(self.seconds, 3),
            "tables": [t.as_dict() for t in self.tables],
            "report": self.report.as_status() if self.report else None,
        }


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
    checks = run_preflight(
        spec,
        salts=salts,
        worm=None if options.dry_run or evidence is None else evidence.worm,
        database_url=options.database_url,
        cost_per_million_rows=evidence.cost_per_million_rows if evidence else Decimal("0.50"),
        clock=clock,
    )
    checks.raise_for_failure()
    assert checks.context is not None
    ctx = checks.context
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
    # preflight checked the migrations; the advisory lock serialises local runs of this tenant
    with (
        writer(options.database_url) as conn,
        store.advisory_lock(conn, spec.tenant, spec.environment),
    ):
        replay = None if options.dry_run else _recall(conn, spec, key, clock())
        if replay is not None:
            return replay
        existing = store.datasets(conn, spec.tenant, spec.environment)
        admission = admit(spec, [d.facts for d in existing], clock())
        dataset_id = dataset_id_of(ctx.spec)
        stored = next((d for d in existing if d.dataset_id == dataset_id), None)
        batch_rows = stored.batch_rows if stored and admission.resumes else options.batch_rows
        plan = plan_batches(ctx.counts, batch_rows)
        if options.dry_run:
            _dry_run(conn, ctx, plan, dataset_id, admission, summary, progress)
        else:
            _run(
                conn,
                ctx,
                plan,
                dataset_id,
                admission,
                batch_rows,
                options,
                summary,
                clock,
                progress,
                manifest_path,
            )
            assert evidence is not None
            _telemetry_gate(conn, summary, spec, clock)
            _publish(conn, ctx, summary, evidence, clock)
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
        _record_end(conn, summary, spec, clock, exc)
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


def run_batch(
    ctx: Context, batch: BatchSpec, url: str, run_id: uuid.UUID, clock: Clock = utc_now
) -> BatchOutcome:
    """Load exactly one batch (``seedctl batch``, the batch Job): admit the dataset when it is new,
    then write or verify the batch and its checkpoint."""
    spec = ctx.spec
    dataset_id = dataset_id_of(ctx.spec)
    with (
        writer(url, application="seedctl-batch") as conn,
        telemetry.span("seed.batch", **_batch_attributes(batch)) as span,
    ):
        started = time.perf_counter()
        require_migrated(conn)
        existing = store.datasets(conn, spec.tenant, spec.environment)
        if not any(d.dataset_id == dataset_id for d in existing):
            admit(spec, [d.facts for d in existing], clock())
            _record_dataset(conn, spec, dataset_id, batch.rows, clock())
        payload = generate(batch.table, ctx, batch.start, batch.stop).copy_text()
        with telemetry.span("seed.copy", **_batch_attributes(batch)) as copy:
            outcome = load_batch(
                conn,
                ctx,
                dataset_id=dataset_id,
                batch=batch,
                payload=payload,
                sha256=hashlib.sha256(payload).hexdigest(),
                run_id=run_id,
                now=clock(),
            )
            copy.set_attribute("written", outcome.written)
        span.set_attribute("written", outcome.written)
        telemetry.record_batch(
            (time.perf_counter() - started) * 1000, batch.table, batch.rows, outcome.written
        )
        window = dt.timedelta(seconds=spec.rate_limit.window_seconds)
        recent = store.batches_committed_since(
            conn, spec.tenant, spec.environment, dataset_id, clock() - window
        )
        telemetry.set_rate_limit_remaining(max(spec.rate_limit.limit - recent, 0))
        return outcome


def _batch_attributes(batch: BatchSpec) -> dict[str, str | int]:
    """What a batch span says about its batch: the table and the row range, never a value."""
    return {"batch_id": batch.id, "table": batch.table, "rows": batch.rows}


def _record_dataset(
    conn: Connection, spec: SeedProfileSpec, dataset: uuid.UUID, batch_rows: int, now: dt.datetime
) -> None:
    """Record (or refresh) the dataset this profile writes: what it is seeded from, its TTL."""
    store.upsert_dataset(
        conn,
        dataset_id=dataset,
        tenant=spec.tenant,
        environment=spec.environment,
        facts=_dataset_facts(spec, now),
        manifest_hash=spec.manifest_hash,
        batch_rows=batch_rows,
        now=now,
    )


def _dataset_facts(spec: SeedProfileSpec, now: dt.datetime) -> DatasetFacts:
    return DatasetFacts(
        dataset=dataset_of(spec.mode),
        reference_datetime=spec.reference_instant,
        salt_version=spec.salt_version,
        profile_version=spec.version,
        generator_version=GENERATOR_VERSION,
        expires_at=now + dt.timedelta(days=spec.ttl.days_for(spec.mode)),
    )


def _run(
    conn: Connection,
    ctx: Context,
    plan: list[BatchSpec],
    dataset_id: uuid.UUID,
    admission: Admission,
    batch_rows: int,
    options: RunOptions,
    summary: RunSummary,
    clock: Clock,
    progress: Progress | None,
    manifest_path: str | None,
) -> None:
    spec = ctx.spec
    ids = telemetry.run_ids()
    store.record_run_start(
        conn,
        run_id=summary.run_id,
        tenant=spec.tenant,
        environment=spec.environment,
        mode=spec.mode.value,
        manifest_hash=spec.manifest_hash,
        idempotency_key=summary.idempotency_key,
        requested_by=options.requested_by,
        dry_run=False,
        now=clock(),
        manifest_path=manifest_path,
        profile=spec.model_dump(mode="json", by_alias=True, exclude_unset=True),
        trace_id=ids[0] if ids else None,
        span_id=ids[1] if ids else None,
    )
    try:
        if admission.purge_first is not None:
            summary.purged = store.purge_dataset(conn, spec.tenant, spec.environment, dataset_id)
        _record_dataset(conn, spec, dataset_id, batch_rows, clock())
        done = {
            (c.table, c.first_row): c
            for c in store.checkpoints(conn, spec.tenant, spec.environment, dataset_id)
        }
        pipeline = _Pipeline(ctx, plan, dataset_id, options, summary.run_id, clock, progress)
        summary.tables = pipeline.run(done)
        summary.batches = pipeline.batches
    except Exception as exc:
        _record_end(conn, summary, spec, clock, exc)
        raise
    _record_end(conn, summary, spec, clock)


def _record_end(
    conn: Connection,
    summary: RunSummary,
    spec: SeedProfileSpec,
    clock: Clock,
    error: Exception | None = None,
) -> None:
    """Close the run: succeeded, or failed with the error's exit code and reason (1 when the
    error is not a SeedError)."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.rollback()
    seed_error = error if isinstance(error, SeedError) else None
    failed = error is not None
    store.record_run_end(
        conn,
        run_id=summary.run_id,
        tenant=spec.tenant,
        environment=spec.environment,
        exit_code=(int(seed_error.exit_code) if seed_error else 1) if failed else 0,
        reason=(seed_error.reason.value if seed_error else type(error).__name__)
        if failed
        else None,
        summary=summary.as_dict(),
        now=clock(),
        batches=summary.batches,
    )


def _publish(
    conn: Connection, ctx: Context, summary: RunSummary, evidence: Evidence, clock: Clock
) -> None:
    """The signed, verified report; then the idempotency record (a replay returns both)."""
    spec = ctx.spec
    try:
        summary.report = publish_run_report(conn, ctx, summary.run_id, evidence, clock=clock)
    except SeedError as exc:
        _record_end(conn, summary, spec, clock, exc)
        raise
    result = summary.as_dict()
    store.record_idempotent(
        conn,
        spec.tenant,
        spec.environment,
        summary.idempotency_key,
        spec.manifest_hash,
        summary.run_id,
        result,
        clock(),
    )


@dataclass(slots=True)
class _Work:
    batch: BatchSpec
    payload: bytes
    sha256: str
    span: telemetry.Span
    started: float


class _Levels:
    """Lets a batch start only when every batch of the levels before it has completed."""

    def __init__(self, plan: list[BatchSpec]) -> None:
        self._remaining: dict[int, int] = {}
        for batch in plan:
            self._remaining[batch.level] = self._remaining.get(batch.level, 0) + 1
        self._ready = threading.Condition()
        self.failed = False

    def wait_for(self, level: int) -> bool:
        with self._ready:
            self._ready.wait_for(
                lambda: (
                    self.failed or all(n == 0 for lv, n in self._remaining.items() if lv < level)
                )
            )
            return not self.failed

    def complete(self, level: int) -> None:
        with self._ready:
            self._remaining[level] -= 1
            self._ready.notify_all()

    def fail(self) -> None:
        with self._ready:
            self.failed = True
            self._ready.notify_all()


class _Pipeline:
    """The main thread generates batches in plan order; ``jobs`` writer threads load them."""

    def __init__(
        self,
        ctx: Context,
        plan: list[BatchSpec],
        dataset_id: uuid.UUID,
        options: RunOptions,
        run_id: uuid.UUID,
        clock: Clock,
        progress: Progress | None,
    ) -> None:
        self.ctx, self.plan, self.dataset_id = ctx, plan, dataset_id
        self.options, self.run_id, self.clock, self.progress = options, run_id, clock, progress
        self.tables = {t.name: TableSummary(t.name) for t in TABLES}
        self.digests = {t.name: hashlib.sha256() for t in TABLES}
        self.first_seen: dict[str, float] = {}
        self.last_done: dict[str, float] = {}
        self.levels = _Levels(plan)
        self.work: queue.Queue[_Work | None] = queue.Queue(maxsize=options.jobs + 1)
        self.errors: list[BaseException] = []
        self.finished = 0
        self.lock = threading.Lock()
        self.batches: list[dict[str, Any]] = []
        self.parent = telemetry.current_span()  # seed.run: writer threads do not inherit it
        self.recent: deque[float] = deque()

    def record(self, outcome: BatchOutcome, level: int, started: float) -> None:
        window = self.ctx.spec.rate_limit.window_seconds
        telemetry.record_batch(
            (time.perf_counter() - started) * 1000, outcome.table, outcome.rows, outcome.written
        )
        with self.lock:
            now = time.monotonic()
            self.recent.append(now)
            while self.recent and self.recent[0] <= now - window:
                self.recent.popleft()
            telemetry.set_rate_limit_remaining(
                max(self.ctx.spec.rate_limit.limit - len(self.recent), 0)
            )
            self.batches.append(
                {
                    "id": outcome.batch_id,
                    "table": outcome.table,
                    "rows": outcome.rows,
                    "sha256": outcome.sha256,
                    "written": outcome.written,
                    "seconds": round(outcome.seconds, 3),
                    "at": self.clock().isoformat(),
                }
            )
            self.tables[outcome.table].written += outcome.rows if outcome.written else 0
            self.last_done[outcome.table] = time.perf_counter()
            self.finished += 1
            count = self.finished
        self.levels.complete(level)
        if self.progress:
            self.progress(outcome, count, len(self.plan))

    def consume(self) -> None:
        try:
            with writer(self.options.database_url, application="seedctl-batch") as conn:
                while (item := self.work.get()) is not None:
                    if not self.levels.wait_for(item.batch.level):
                        item.span.end()
                        continue
                    try:
                        outcome = self.load(conn, item)
                    except BaseException as exc:
                        telemetry.mark_failed(item.span, exc)
                        raise
                    finally:
                        item.span.end()
                    self.record(outcome, item.batch.level, item.started)
        except BaseException as exc:  # handed to the main thread, which re-raises it
            self.errors.append(exc)
            self.levels.fail()
            while (item := self.work.get()) is not None:  # drain: the producer must never block
                item.span.end()

    def load(self, conn: Connection, item: _Work) -> BatchOutcome:
        with telemetry.span_under(item.span, "seed.copy", **_batch_attributes(item.batch)) as copy:
            outcome = load_batch(
                conn,
                self.ctx,
                dataset_id=self.dataset_id,
                batch=item.batch,
                payload=item.payload,
                sha256=item.sha256,
                run_id=self.run_id,
                now=self.clock(),
            )
            copy.set_attribute("written", outcome.written)
        item.span.set_attribute("written", outcome.written)
        return outcome

    def produce(self, done: dict[tuple[str, int], store.Checkpoint]) -> None:
        for batch in self.plan:
            if self.levels.failed:
                return
            self.first_seen.setdefault(batch.table, time.perf_counter())
            started = time.perf_counter()
            span = telemetry.start_span("seed.batch", self.parent, **_batch_attributes(batch))
            try:
                payload = generate(batch.table, self.ctx, batch.start, batch.stop).copy_text()
            except BaseException as exc:
                telemetry.mark_failed(span, exc)
                span.end()
                raise
            sha256 = hashlib.sha256(payload).hexdigest()
            self.digests[batch.table].update(payload)
            self.tables[batch.table].rows += batch.rows
            checkpoint = done.get((batch.table, batch.start))
            if checkpoint is not None and (checkpoint.stop_row, checkpoint.sha256) == (
                batch.stop,
                sha256,
            ):
                span.set_attribute("written", False)
                span.end()
                self.record(
                    BatchOutcome(batch.id, batch.table, batch.rows, sha256, 0.0, False),
                    batch.level,
                    started,
                )
                continue
            self.work.put(_Work(batch, payload, sha256, span, started))

    def run(self, done: dict[tuple[str, int], store.Checkpoint]) -> list[TableSummary]:
        workers = [
            threading.Thread(target=self.consume, name=f"batch-writer-{i}", daemon=True)
            for i in range(self.options.jobs)
        ]
        for worker in workers:
            worker.start()
        try:
            self.produce(done)
        finally:
            for _ in workers:
                self.work.put(None)
            for worker in workers:
                worker.join()
        if self.errors:
            raise self.errors[0]
        for name, summary in self.tables.items():
            summary.sha256 = self.digests[name].hexdigest()
            if name in self.first_seen:
                summary.seconds = (
                    self.last_done.get(name, self.first_seen[name]) - self.first_seen[name]
                )
        return [t for t in self.tables.values() if t.rows]


def _dry_run(
    conn: Connection,
    ctx: Context,
    plan: list[BatchSpec],
    dataset_id: uuid.UUID,
    admission: Admission,
    summary: RunSummary,
    progress: Progress | None,
) -> None:
    """The whole plan in one transaction, rolled back: same summary, no checkpoint, no trace."""
    spec = ctx.spec
    tables = {t.name: TableSummary(t.name) for t in TABLES}
    digests = {t.name: hashlib.sha256() for t in TABLES}
    done = {
        (c.table, c.first_row): c
        for c in store.checkpoints(conn, spec.tenant, spec.environment, dataset_id)
    }
    transaction = conn.transaction(force_rollback=True)
    with transaction:
        scope(conn, spec.tenant, spec.environment, dataset_id)
        if admission.purge_first is not None:
            summary.purged = store.delete_rows(conn, dataset_id)
            done = {}
        for count, batch in enumerate(plan, start=1):
            started = time.perf_counter()
            with telemetry.span("seed.batch", **_batch_attributes(batch)) as span:
                payload = generate(batch.table, ctx, batch.start, batch.stop).copy_text()
                sha256 = hashlib.sha256(payload).hexdigest()
                checkpoint = done.get((batch.table, batch.start))
                if checkpoint is not None and (checkpoint.stop_row, checkpoint.sha256) != (
                    batch.stop,
                    sha256,
                ):
                    raise InvalidInputError(
                        Reason.DETERMINISM_VIOLATION,
                        f"batch {batch.id} differs from its checkpoint",
                        hint="purge the tenant and reseed",
                    )
                if checkpoint is None:
                    with telemetry.span("seed.copy", **_batch_attributes(batch)):
                        copy_rows(conn, batch.table, payload)
                span.set_attribute("written", checkpoint is None)
            telemetry.record_batch(
                (time.perf_counter() - started) * 1000, batch.table, batch.rows, False
            )
            digests[batch.table].update(payload)
            table = tables[batch.table]
            table.rows += batch.rows
            table.written += batch.rows if checkpoint is None else 0
            table.seconds += time.perf_counter() - started
            if progress:
                outcome = BatchOutcome(
                    batch.id, batch.table, batch.rows, sha256, 0.0, checkpoint is None
                )
                progress(outcome, count, len(plan))
    for name, table in tables.items():
        table.sha256 = digests[name].hexdigest()
    summary.tables = [t for t in tables.values() if t.rows]


def start_run(
    spec: SeedProfileSpec,
    url: str,
    *,
    run_id: uuid.UUID,
    requested_by: str,
    batch_rows: int,
    manifest_path: str,
    clock: Clock = utc_now,
) -> None:
    """Open a run whose batches other processes load (the operator's preflight Job).

    Idempotent for one run id: a preflight Job retried after it registered the run does nothing
    more. Purges the carga/dr dataset the run replaces and records the dataset it writes.
    """
    dataset = dataset_id_of(spec)
    ids = telemetry.run_ids()
    with writer(url, application="seedctl-preflight") as conn:
        if store.run_record(conn, spec.tenant, spec.environment, run_id) is not None:
            return
        existing = store.datasets(conn, spec.tenant, spec.environment)
        admission = admit(spec, [d.facts for d in existing], clock())
        store.record_run_start(
            conn,
            run_id=run_id,
            tenant=spec.tenant,
            environment=spec.environment,
            mode=spec.mode.value,
            manifest_hash=spec.manifest_hash,
            idempotency_key=f"seedrun:{run_id}",
            requested_by=requested_by,
            dry_run=False,
            now=clock(),
            manifest_path=manifest_path,
            profile=spec.model_dump(mode="json", by_alias=True, exclude_unset=True),
            trace_id=ids[0] if ids else None,
            span_id=ids[1] if ids else None,
        )
        if admission.purge_first is not None:
            store.purge_dataset(conn, spec.tenant, spec.environment, dataset)
        stored = next((d for d in existing if d.dataset_id == dataset), None)
        rows = stored.batch_rows if stored and admission.resumes else batch_rows
        _record_dataset(conn, spec, dataset, rows, clock())


def finish_run(
    ctx: Context,
    url: str,
    *,
    run_id: uuid.UUID,
    batch_rows: int,
    cancelled: bool = False,
    clock: Clock = utc_now,
) -> None:
    """Close a run from its dataset's checkpoints: succeeded when every planned batch committed,
    cancelled (whatever committed) when the SeedRun was cancelled."""
    spec = ctx.spec
    dataset = dataset_id_of(spec)
    with writer(url, application="seedctl-report") as conn:
        run = store.run_record(conn, spec.tenant, spec.environment, run_id)
        if run is None:
            raise InvalidInputError(
                Reason.PROFILE_INVALID,
                f"no run {run_id} of {spec.tenant}/{spec.environment}",
                hint="start it with seedctl preflight --start-run",
            )
        if run["status"] != "running":
            return
        datasets = store.datasets(conn, spec.tenant, spec.environment)
        stored = next((d for d in datasets if d.dataset_id == dataset), None)
        plan = plan_batches(ctx.counts, stored.batch_rows if stored else batch_rows)
        done = {
            (c.table, c.first_row): c
            for c in store.checkpoints(conn, spec.tenant, spec.environment, dataset)
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
        store.record_run_end(
            conn,
            run_id=run_id,
            tenant=spec.tenant,
            environment=spec.environment,
            exit_code=0 if missing == 0 or cancelled else 2,
            reason="Cancelled" if cancelled else None if missing == 0 else "BatchesIncomplete",
            summary={"runId": str(run_id), "batches": len(plan), "missing": missing},
            now=clock(),
            batches=batches,
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
        store.record_run_end(
            conn,
            run_id=run_id,
            tenant=spec.tenant,
            environment=spec.environment,
            exit_code=int(error.exit_code),
            reason=error.reason.value,
            summary=dict(run.get("summary") or {}),
            now=clock(),
        )
