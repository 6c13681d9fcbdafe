"""One batch, the way every path runs it: generated under its ``seed.batch`` span, then written
(under ``seed.copy``) or skipped as its checkpoint verdict says, and the span ended once.

The local pipeline generates a batch in its main thread and writes it in a writer thread, so the
span is started here and ended by ``complete_batch`` wherever the batch ends; the batch Job and
the dry run call the same two functions in one thread.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from seedlib.db.loader import BatchOutcome
from seedlib.generator import Context, generate
from seedlib.observability import telemetry
from seedlib.rules.batches import BatchSpec
from seedlib.rules.checkpoints import StoredCheckpoint, Verdict, checkpoint_verdict

__all__ = ["BatchWork", "batch_attributes", "complete_batch", "generate_batch", "verdict_for"]


@dataclass(slots=True)
class BatchWork:
    batch: BatchSpec
    payload: bytes
    sha256: str
    span: telemetry.Span
    started: float

    def skipped(self) -> BatchOutcome:
        """The outcome of a batch whose checkpoint matched: nothing written."""
        b = self.batch
        return BatchOutcome(b.id, b.table, b.rows, self.sha256, 0.0, False)


def batch_attributes(batch: BatchSpec) -> dict[str, str | int]:
    """What a batch span says about its batch: the table and the row range, never a value."""
    return {"batch_id": batch.id, "table": batch.table, "rows": batch.rows}


def generate_batch(ctx: Context, batch: BatchSpec, parent: telemetry.Span | None) -> BatchWork:
    """Generate the batch's COPY text under a new ``seed.batch`` span (ended on failure)."""
    started = time.perf_counter()
    span = telemetry.start_span("seed.batch", parent, **batch_attributes(batch))
    try:
        payload = generate(batch.table, ctx, batch.start, batch.stop).copy_text()
    except BaseException as exc:
        telemetry.mark_failed(span, exc)
        span.end()
        raise
    return BatchWork(batch, payload, hashlib.sha256(payload).hexdigest(), span, started)


def complete_batch(
    work: BatchWork, write: Callable[[], BatchOutcome] | None, *, counted: bool = True
) -> BatchOutcome:
    """Write the batch under ``seed.copy`` (``write``), or skip it (``None``); end its span and
    record its latency. ``counted=False`` keeps rows that will be rolled back out of the metric
    of rows written (the dry run)."""
    try:
        if write is None:
            outcome = work.skipped()
        else:
            attributes = batch_attributes(work.batch)
            with telemetry.span_under(work.span, "seed.copy", **attributes) as copy:
                outcome = write()
                copy.set_attribute("written", outcome.written)
        work.span.set_attribute("written", outcome.written)
    except BaseException as exc:
        telemetry.mark_failed(work.span, exc)
        raise
    finally:
        work.span.end()
    telemetry.record_batch(
        (time.perf_counter() - work.started) * 1000,
        outcome.table,
        outcome.rows,
        outcome.written and counted,
    )
    return outcome


def verdict_for(work: BatchWork, stored: StoredCheckpoint | None) -> Verdict:
    """The checkpoint verdict of a generated batch; a violation ends its span as failed."""
    try:
        return checkpoint_verdict(work.batch, work.sha256, stored)
    except BaseException as exc:
        telemetry.mark_failed(work.span, exc)
        work.span.end()
        raise
