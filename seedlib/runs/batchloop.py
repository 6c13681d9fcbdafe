"""The batch loop of a local run: the main thread generates batches in plan order, writer
threads load them, level by level; the run's dry run goes through it too, with one writer.

Each batch is generated under its span, judged against the checkpoint read once at the start of
the run (``seedlib.rules.checkpoints``), then skipped, or queued for a writer that loads it with
its checkpoint (``Checkpointed``: one transaction per batch, which decides again under the batch's
lock) or COPYs it into the dry run's transaction (``RolledBack``). The first writer error stops the
loop and is raised; the other writers' errors are logged and noted on it, never dropped.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from seedlib.db.loader import BatchOutcome, copy_rows, load_batch
from seedlib.db.session import Connection, writer
from seedlib.generator import Context
from seedlib.generator.catalog import TABLES
from seedlib.observability import telemetry
from seedlib.rules.batches import BatchSpec
from seedlib.rules.checkpoints import StoredCheckpoint, Verdict
from seedlib.runs.batchwork import BatchWork, complete_batch, generate_batch, verdict_for
from seedlib.runs.records import Clock
from seedlib.runs.summary import TableSummary

__all__ = ["BatchLoop", "Checkpointed", "Progress", "RolledBack", "first_error"]

Progress = Callable[[BatchOutcome, int, int], None]

log = logging.getLogger("seedctl")


class Sink(Protocol):
    """Where a writer thread puts batches: its connection, and how one batch is written."""

    counted: bool

    def connection(self) -> contextlib.AbstractContextManager[Connection]: ...

    def write(self, conn: Connection, work: BatchWork) -> BatchOutcome: ...


class Checkpointed:
    """Each writer its own connection; each batch one transaction with its checkpoint."""

    counted = True

    def __init__(
        self, ctx: Context, dataset_id: uuid.UUID, run_id: uuid.UUID, url: str, clock: Clock
    ) -> None:
        self.ctx, self.dataset_id, self.run_id, self.url, self.clock = (
            ctx,
            dataset_id,
            run_id,
            url,
            clock,
        )

    def connection(self) -> contextlib.AbstractContextManager[Connection]:
        return writer(self.url, application="seedctl-batch")

    def write(self, conn: Connection, work: BatchWork) -> BatchOutcome:
        return load_batch(
            conn,
            self.ctx,
            dataset_id=self.dataset_id,
            batch=work.batch,
            payload=work.payload,
            sha256=work.sha256,
            run_id=self.run_id,
            now=self.clock(),
        )


class RolledBack:
    """The dry run's one writer: rows COPYed into the caller's transaction, no checkpoint."""

    counted = False

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        yield self.conn

    def write(self, conn: Connection, work: BatchWork) -> BatchOutcome:
        started = time.perf_counter()
        copy_rows(conn, work.batch.table, work.payload)
        b = work.batch
        return BatchOutcome(b.id, b.table, b.rows, work.sha256, time.perf_counter() - started, True)


class Levels:
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


def first_error(errors: list[BaseException]) -> BaseException:
    """The error a failed run raises: the first writer's. The others are not dropped: each is
    logged and named in a note on the one raised."""
    first = errors[0]
    for other in errors[1:]:
        log.error("another batch writer failed", exc_info=other)
        first.add_note(f"another batch writer failed too: {type(other).__name__}: {other}")
    return first


class BatchLoop:
    """The main thread generates batches in plan order; ``jobs`` writer threads load them."""

    def __init__(
        self,
        ctx: Context,
        plan: list[BatchSpec],
        done: Mapping[tuple[str, int], StoredCheckpoint],
        sink: Sink,
        jobs: int,
        clock: Clock,
        progress: Progress | None,
    ) -> None:
        self.ctx, self.plan, self.done, self.sink = ctx, plan, done, sink
        self.jobs, self.clock, self.progress = jobs, clock, progress
        self.tables = {t.name: TableSummary(t.name) for t in TABLES}
        self.digests = {t.name: hashlib.sha256() for t in TABLES}
        self.first_seen: dict[str, float] = {}
        self.last_done: dict[str, float] = {}
        self.levels = Levels(plan)
        self.work: queue.Queue[BatchWork | None] = queue.Queue(maxsize=jobs + 1)
        self.errors: list[BaseException] = []
        self.finished = 0
        self.lock = threading.Lock()
        self.batches: list[dict[str, Any]] = []
        self.parent = telemetry.current_span()  # seed.run: writer threads do not inherit it
        self.recent: deque[float] = deque()

    def record(self, outcome: BatchOutcome, level: int) -> None:
        limit = self.ctx.spec.rate_limit
        with self.lock:
            now = time.monotonic()
            self.recent.append(now)
            while self.recent and self.recent[0] <= now - limit.window_seconds:
                self.recent.popleft()
            telemetry.set_rate_limit_remaining(max(limit.limit - len(self.recent), 0))
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
            with self.sink.connection() as conn:
                while (item := self.work.get()) is not None:
                    if not self.levels.wait_for(item.batch.level):
                        item.span.end()
                        continue
                    outcome = complete_batch(
                        item,
                        functools.partial(self.sink.write, conn, item),
                        counted=self.sink.counted,
                    )
                    self.record(outcome, item.batch.level)
        except BaseException as exc:  # handed to the main thread, which raises it
            self.errors.append(exc)
            self.levels.fail()
            while (item := self.work.get()) is not None:  # drain: the producer must never block
                item.span.end()

    def produce(self) -> None:
        for batch in self.plan:
            if self.levels.failed:
                return
            self.first_seen.setdefault(batch.table, time.perf_counter())
            work = generate_batch(self.ctx, batch, self.parent)
            self.digests[batch.table].update(work.payload)
            self.tables[batch.table].rows += batch.rows
            stored = self.done.get((batch.table, batch.start))
            if verdict_for(work, stored) is Verdict.SKIP:
                self.record(complete_batch(work, None), batch.level)
            else:
                self.work.put(work)

    def run(self) -> list[TableSummary]:
        workers = [
            threading.Thread(target=self.consume, name=f"batch-writer-{i}", daemon=True)
            for i in range(self.jobs)
        ]
        for worker in workers:
            worker.start()
        try:
            self.produce()
        finally:
            for _ in workers:
                self.work.put(None)
            for worker in workers:
                worker.join()
        if self.errors:
            raise first_error(self.errors)
        for name, summary in self.tables.items():
            summary.sha256 = self.digests[name].hexdigest()
            if name in self.first_seen:
                summary.seconds = (
                    self.last_done.get(name, self.first_seen[name]) - self.first_seen[name]
                )
        return [t for t in self.tables.values() if t.rows]
