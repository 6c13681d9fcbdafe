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
from seedlib.runs.preflight import estimated_cost

__all__ = ["Evidence", "ReportRef", "publish_run_report", "sample_pii"]

PII_SAMPLE = 25
"""Rows per table read back for the PII check (evenly spread, first and last included)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    worm: WormStore
    signer: Signer
    cost_per_million_rows: Decimal = Decimal("0.50")


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


def _rate_limit_usage(ctx: Context, batches: list[dict[str, Any]]) -> dict[str, Any]:
    limit = ctx.spec.rate_limit
    window = dt.timedelta(seconds=limit.window_seconds)
    stamps = sorted(dt.datetime.fromisoformat(b["at"]) for b in batches if b.get("at"))
    peak = max(
        (sum(1 for s in stamps if first <= s < first + window) for first in stamps), default=0
    )
    return {
        "limit": limit.limit,
        "windowSeconds": limit.window_seconds,
        "batches": len(batches),
        "peakPerWindow": peak,
        "utilisationPct": round(100 * peak / limit.limit, 2),
    }


def _budget_usage(
    ctx: Context, rows: int, evidence: Evidence, failed: int, total: int
) -> dict[str, Any]:
    budget = ctx.spec.budget
    cost = estimated_cost(rows, evidence.cost_per_million_rows)
    return {
        "costCapBrl": budget.cost_cap_brl,
        "estimatedCostBrl": str(cost),
        "costUsedPct": float(round(cost / budget.cost_cap * 100, 2)) if budget.cost_cap else 0.0,
        "errorBudgetPct": budget.error_budget_pct,
        "failedBatches": failed,
        "failedBatchesPct": round(100 * failed / total, 2) if total else 0.0,
    }


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
    run = store.run_record(conn, spec.tenant, spec.environment, run_id)
    if run is None:
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            f"no run {run_id} of {spec.tenant}/{spec.environment}",
            hint="give the run id seedctl run printed, with the profile it ran",
        )
    if run["status"] == "running":
        raise InvalidInputError(
            Reason.PROFILE_INVALID, f"run {run_id} has not finished", hint="wait for it"
        )
    published = store.report_of(conn, spec.tenant, spec.environment, run_id)
    if published is not None and published["verified"]:  # write-once: never a second version
        return ReportRef(
            published["uri"],
            published["sha256"],
            published["version_id"],
            published["retain_until"],
            True,
        )
    dataset_id = dataset_id_of(ctx.spec)
    checkpoints = [
        {
            "table": c.table,
            "first_row": c.first_row,
            "stop_row": c.stop_row,
            "rows": c.rows,
            "sha256": c.sha256,
        }
        for c in store.checkpoints(conn, spec.tenant, spec.environment, dataset_id)
    ]
    batches: list[dict[str, Any]] = run.get("batches") or []
    pii = sample_pii(conn, ctx, dataset_id) if run["status"] == "succeeded" else None
    outcome = run["status"]
    errors = []
    if run.get("reason") and outcome != "cancelled":  # a cancel is an outcome, not an error
        errors.append(
            {
                "type": f"https://seeding.iabank.io/problems/{run['reason']}",
                "title": run["reason"],
                "status": 422 if run["exit_code"] == 2 else 503,
                "detail": f"exit code {run['exit_code']}",
            }
        )
    if pii and pii["unmasked"]:
        outcome = "failed"
        errors.append(
            {
                "type": "https://seeding.iabank.io/problems/PiiUnmasked",
                "title": "PiiUnmasked",
                "status": 422,
                "detail": f"{pii['unmasked']} PII values were not produced by the masker",
            }
        )
    rows = sum(int(b.get("rows", 0)) for b in batches)
    payload: dict[str, Any] = {
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
        "rate_limit_usage": _rate_limit_usage(ctx, batches),
        "budget_usage": _budget_usage(
            ctx, rows, evidence, 0 if outcome == "succeeded" else 1, max(len(batches), 1)
        ),
        "batches": batches,
        "checkpoints": checkpoints,
        "dataset_digest": dataset_digest(checkpoints),
        "pii_check": pii,
        "errors": errors,
        "otel_trace_id": run.get("trace_id"),
        "otel_span_id": run.get("span_id"),
        "started_at": _iso(run["started_at"]),
        "finished_at": _iso(run["finished_at"]),
        "outcome": outcome,
    }
    body = seal(payload, evidence.signer)
    now = clock()
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
    if pii and pii["unmasked"]:
        raise InvalidInputError(
            Reason.PII_UNMASKED,
            f"{pii['unmasked']} PII values in the database were not produced by the masker",
            hint="something other than seedctl wrote these rows; purge the tenant and reseed",
        )
    return ref
