"""A run's evidence: build its report from the database, seal it, store it write-once, read it back.

``publish_run_report`` is what ``seedctl run`` does after the last batch and what ``seedctl report
RUN_ID`` (the report Job) does on its own: the payload comes from ``seeding.runs`` and the
dataset's checkpoints, plus a PII check that reads a sample of every table back from PostgreSQL and
recomputes its PII columns from the salt (any value the masker did not produce fails the run). The
report is only recorded as verified in ``seeding.reports_index`` after it was fetched back and its
lock, retention, hash and signature checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from seedlib.contract.job import RunOutcome
from seedlib.contract.problems import problem, status_of_exit_code
from seedlib.db import store
from seedlib.db.session import Connection, scope
from seedlib.errors import DependencyUnavailableError, InvalidInputError, Reason
from seedlib.evidence.report import REPORT_VERSION, dataset_digest, report_key, seal
from seedlib.evidence.signing import Signer
from seedlib.evidence.worm import WormStore, verify_report
from seedlib.generator import GENERATOR_VERSION, Context, pii_check
from seedlib.generator import dataset_id as dataset_id_of
from seedlib.generator.catalog import TABLES
from seedlib.observability import telemetry
from seedlib.rules.budget import DEFAULT_COST_PER_MILLION_ROWS, budget_usage, rate_limit_usage
from seedlib.runs.records import RUNNING

__all__ = ["Evidence", "ReportRef", "publish_run_report", "sample_pii"]

PII_SAMPLE = 25
"""Rows per table read back for the PII check (evenly spread, first and last included)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    worm: WormStore
    signer: Signer
    cost_per_million_rows: Decimal = DEFAULT_COST_PER_MILLION_ROWS


@dataclass(frozen=True, slots=True)
class ReportRef:
    uri: str
    sha256: str
    version_id: str | None
    retain_until: dt.datetime | None
    verified: bool

    def as_status(self) -> dict[str, Any]:
        """The SeedRun's ``status.report``."""
        out: dict[str, Any] = {"uri": self.uri, "sha256": self.sha256, "verified": self.verified}
        if self.version_id:
            out["versionId"] = self.version_id
        if self.retain_until:
            out["retainUntil"] = self.retain_until.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return out


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


def sample_pii(conn: Connection, ctx: Context, dataset_id: uuid.UUID) -> dict[str, Any]:
    """Read a sample of every table back and recompute its PII columns from the salt."""
    spec = ctx.spec
    summary: dict[str, Any] = {"tables": {}, "rows": 0, "values": 0, "unmasked": 0}
    with conn.transaction():
        scope(conn, spec.tenant, spec.environment, dataset_id)
        for table in TABLES:
            count = ctx.count(table.name)
            if not table.pii_columns or count == 0:
                continue
            indices = np.unique(np.linspace(0, count - 1, min(PII_SAMPLE, count)).astype(np.int64))
            ids = ctx.ids_of(table.name, indices)
            columns = ", ".join(["id", *(c.name for c in table.pii_columns)])
            rows = conn.execute(
                f"SELECT {columns} FROM bank.{table.name} WHERE id = ANY(%s::uuid[])", (ids,)
            ).fetchall()
            by_id = {str(row[0]): row for row in rows}
            pairs = []
            for index, row_id in zip(indices.tolist(), ids, strict=True):
                row = by_id.get(row_id)
                values = {
                    c.name: (row[k + 1] if row else "<missing row>")
                    for k, c in enumerate(table.pii_columns)
                }
                pairs.append((index, values))
            result = pii_check(table.name, pairs, ctx)
            summary["tables"][table.name] = {
                "rows": result.rows,
                "values": result.values,
                "unmasked": len(result.unmasked),
            }
            summary["rows"] += result.rows
            summary["values"] += result.values
            summary["unmasked"] += len(result.unmasked)
    return summary


def publish_run_report(
    conn: Connection,
    ctx: Context,
    run_id: uuid.UUID,
    evidence: Evidence,
    *,
    clock: Callable[[], dt.datetime],
) -> ReportRef:
    """Build, seal, store, read back and verify the report of a finished run; index it."""
    with telemetry.span("seed.report.publish") as span:
        ref = _publish(conn, ctx, run_id, evidence, clock=clock)
        span.set_attribute("verified", ref.verified)
    return ref


def _publish(
    conn: Connection,
    ctx: Context,
    run_id: uuid.UUID,
    evidence: Evidence,
    *,
    clock: Callable[[], dt.datetime],
) -> ReportRef:
    spec = ctx.spec
    run = _finished_run(conn, spec.tenant, spec.environment, run_id)
    published = store.report_of(conn, spec.tenant, spec.environment, run_id)
    if published is not None and published["verified"]:  # write-once: never a second version
        return ReportRef(
            published["uri"],
            published["sha256"],
            published["version_id"],
            published["retain_until"],
            True,
        )
    dataset_id = dataset_id_of(spec)
    pii = sample_pii(conn, ctx, dataset_id) if run["status"] == RunOutcome.SUCCEEDED else None
    payload = _payload(conn, ctx, run_id, run, pii, evidence)
    ref = _store_and_verify(conn, ctx, run_id, seal(payload, evidence.signer), evidence, clock())
    if pii and pii["unmasked"]:
        raise InvalidInputError(
            Reason.PII_UNMASKED,
            f"{pii['unmasked']} PII values in the database were not produced by the masker",
            hint="something other than seedctl wrote these rows; purge the tenant and reseed",
        )
    return ref


def _finished_run(
    conn: Connection, tenant: str, environment: str, run_id: uuid.UUID
) -> dict[str, Any]:
    run = store.run_record(conn, tenant, environment, run_id)
    if run is None:
        raise InvalidInputError(
            Reason.RUN_NOT_FOUND,
            f"no run {run_id} of {tenant}/{environment}",
            hint="give the run id seedctl run printed, with the profile it ran",
        )
    if run["status"] == RUNNING:
        raise InvalidInputError(
            Reason.USAGE_ERROR, f"run {run_id} has not finished", hint="wait for it"
        )
    return run


def _errors(run: dict[str, Any], pii: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The report's ``errors``: the run's own failure, and unmasked PII found by the check."""
    errors = []
    if run.get("reason") and run["status"] != RunOutcome.CANCELLED:  # a cancel is an outcome
        errors.append(
            problem(
                run["reason"],
                title=run["reason"],
                status=status_of_exit_code(run["exit_code"]),
                detail=f"exit code {run['exit_code']}",
            )
        )
    if pii and pii["unmasked"]:
        errors.append(
            problem(
                Reason.PII_UNMASKED.value,
                title=Reason.PII_UNMASKED.value,
                status=422,
                detail=f"{pii['unmasked']} PII values were not produced by the masker",
            )
        )
    return errors


def _payload(
    conn: Connection,
    ctx: Context,
    run_id: uuid.UUID,
    run: dict[str, Any],
    pii: dict[str, Any] | None,
    evidence: Evidence,
) -> dict[str, Any]:
    """The report's fields (``seedlib.evidence.report``), from the run record and checkpoints."""
    spec = ctx.spec
    checkpoints = [
        {
            "table": c.table,
            "first_row": c.first_row,
            "stop_row": c.stop_row,
            "rows": c.rows,
            "sha256": c.sha256,
        }
        for c in store.checkpoints(conn, spec.tenant, spec.environment, dataset_id_of(spec))
    ]
    batches: list[dict[str, Any]] = run.get("batches") or []
    outcome = RunOutcome.FAILED.value if pii and pii["unmasked"] else run["status"]
    rows = sum(int(b.get("rows", 0)) for b in batches)
    stamps = [dt.datetime.fromisoformat(b["at"]) for b in batches if b.get("at")]
    return {
        "report_version": REPORT_VERSION,
        "run_id": str(run_id),
        "tenant": spec.tenant,
        "environment": spec.environment.value,
        "manifest_path": run.get("manifest_path"),
        "manifest_hash_sha256": run["manifest_hash"],
        "schema_version": spec.schema_version,
        "profile_version": spec.version,
        "mode": spec.mode.value,
        "dry_run": bool(run["dry_run"]),
        "reference_datetime": spec.reference_datetime,
        "salt_version": spec.salt_version,
        "generator_version": GENERATOR_VERSION,
        "requested_by": run["requested_by"],
        "idempotency_key": run["idempotency_key"],
        "caps": {entity.value: entry.cap for entity, entry in spec.volumetry.entries().items()},
        "rate_limit_usage": rate_limit_usage(spec, len(batches), stamps),
        "budget_usage": budget_usage(
            spec,
            rows,
            evidence.cost_per_million_rows,
            0 if outcome == RunOutcome.SUCCEEDED else 1,
            max(len(batches), 1),
        ),
        "batches": batches,
        "checkpoints": checkpoints,
        "dataset_digest": dataset_digest(checkpoints),
        "pii_check": pii,
        "errors": _errors(run, pii),
        "otel_trace_id": run.get("trace_id"),
        "otel_span_id": run.get("span_id"),
        "started_at": _iso(run["started_at"]),
        "finished_at": _iso(run["finished_at"]),
        "outcome": outcome,
    }


def _store_and_verify(
    conn: Connection,
    ctx: Context,
    run_id: uuid.UUID,
    body: bytes,
    evidence: Evidence,
    now: dt.datetime,
) -> ReportRef:
    """Store the sealed report write-once, read it back, verify it, and index it; a report that
    does not verify is indexed as such and fails the command (``WormUnavailable``)."""
    spec = ctx.spec
    uri = evidence.worm.publish(
        report_key(spec.environment.value, spec.tenant, str(run_id)), body, now
    )
    check = verify_report(evidence.worm, uri, trusted_public_key=evidence.signer.public_key_pem())
    stored = check.stored
    ref = ReportRef(
        uri=uri,
        sha256=hashlib.sha256(body).hexdigest(),
        version_id=stored.version_id if stored else None,
        retain_until=stored.retain_until if stored else None,
        verified=check.verified,
    )
    store.record_report(
        conn,
        spec.tenant,
        spec.environment,
        run_id,
        ref.uri,
        ref.sha256,
        ref.version_id,
        ref.retain_until,
        ref.verified,
        now,
    )
    if not check.verified:
        raise DependencyUnavailableError(
            Reason.WORM_UNAVAILABLE,
            f"the stored report {uri} did not verify: {'; '.join(check.problems)}",
            hint="check the bucket's Object Lock configuration and the signing key",
        )
    return ref
