"""Preflight: everything a run needs, checked before a single row is written.

In order: the salt of the profile's ``saltVersion`` is readable (Vault; ``VaultUnavailable`` 4,
``SaltDrift`` 2); the WORM store is reachable and write-once (``WormUnavailable`` 4); the OTLP
collector accepts an export when seedctl configured telemetry (``TelemetryUnavailable`` 4; a
dev-isolated run without an endpoint exports to a local file); PostgreSQL is reachable (4),
migrated, with row-level security enabled and forced on every seeded table and a writer role that
neither bypasses RLS nor owns a table (``RlsDisabled`` 6); the tenant's datasets admit the run (no
referenceDatetime/saltVersion/version drift, purge not overdue: 2); the estimated cost fits the
budget (``BudgetExhausted`` 5). Every check is reported; the first failure decides the exit code.
Preflight only reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.salt import Salt, SaltProvider
from seedlib.db import store
from seedlib.db.migrate import require_migrated
from seedlib.db.session import Connection, writer
from seedlib.errors import IsolationError, LimitExceededError, Reason, SeedError
from seedlib.evidence.worm import WormStore
from seedlib.generator import Context
from seedlib.observability import telemetry
from seedlib.rules.admission import admit

__all__ = ["Check", "Preflight", "estimated_cost", "run_preflight"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    error: SeedError | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.name, "ok": self.ok, "detail": self.detail}
        if self.error is not None:
            out.update(
                reason=self.error.reason.value,
                exitCode=int(self.error.exit_code),
                hint=self.error.hint,
            )
        return out


@dataclass(slots=True)
class Preflight:
    checks: list[Check] = field(default_factory=list)
    salt: Salt | None = None
    context: Context | None = None

    @property
    def passed(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def first_error(self) -> SeedError | None:
        return next((c.error for c in self.checks if c.error is not None), None)

    def raise_for_failure(self) -> None:
        if (error := self.first_error) is not None:
            raise error


def estimated_cost(rows: int, cost_per_million_rows: Decimal) -> Decimal:
    return (Decimal(rows) * cost_per_million_rows / Decimal(1_000_000)).quantize(Decimal("0.01"))


def _attempt(report: Preflight, name: str, check: Callable[[], str]) -> bool:
    try:
        detail = check()
    except SeedError as exc:
        report.checks.append(Check(name, False, exc.message, exc))
        return False
    report.checks.append(Check(name, True, detail))
    return True


def _database_checks(conn: Connection) -> str:
    require_migrated(conn)
    unprotected = conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('bank', 'seeding') AND c.relkind IN ('r', 'p') "
        "AND NOT (c.relrowsecurity AND c.relforcerowsecurity) ORDER BY 1"
    ).fetchall()
    if unprotected:
        raise IsolationError(
            Reason.RLS_DISABLED,
            f"row-level security is not enabled and forced on {', '.join(t for (t,) in unprotected)}",
            hint="ALTER TABLE ... ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY (as the owner)",
        )
    role = conn.execute(
        "SELECT r.rolsuper, r.rolbypassrls, (SELECT count(*) FROM pg_tables t "
        "WHERE t.tableowner = r.rolname AND t.schemaname IN ('bank', 'seeding')) "
        "FROM pg_roles r WHERE r.rolname = current_user"
    ).fetchone()
    conn.commit()
    if role is None or role[0] or role[1] or role[2]:
        raise IsolationError(
            Reason.RLS_DISABLED,
            "the writer role is a superuser, bypasses RLS or owns seeded tables",
            hint="write as seed_writer (NOSUPERUSER NOBYPASSRLS, owning nothing)",
        )
    return "migrated; RLS enabled and forced on every table; seed_writer has no bypass"


def run_preflight(
    spec: SeedProfileSpec,
    *,
    salts: SaltProvider,
    worm: WormStore | None,
    database_url: str,
    cost_per_million_rows: Decimal,
    clock: Callable[[], dt.datetime],
) -> Preflight:
    """Run every check and report them all (raise with ``raise_for_failure``)."""
    with telemetry.span("seed.preflight") as span:
        report = _run_checks(
            spec,
            salts=salts,
            worm=worm,
            database_url=database_url,
            cost_per_million_rows=cost_per_million_rows,
            clock=clock,
        )
        span.set_attribute("passed", report.passed)
        if (error := report.first_error) is not None:
            telemetry.mark_failed(span, error)
    return report


def _run_checks(
    spec: SeedProfileSpec,
    *,
    salts: SaltProvider,
    worm: WormStore | None,
    database_url: str,
    cost_per_million_rows: Decimal,
    clock: Callable[[], dt.datetime],
) -> Preflight:
    report = Preflight()

    def salt_check() -> str:
        report.salt = salts.salt(spec.tenant, spec.environment, spec.salt_version)
        report.context = Context.build(spec, report.salt)
        return f"salt {report.salt.version} from {report.salt.source}"

    _attempt(report, "salt", salt_check)
    if worm is not None:

        def worm_check() -> str:
            worm.check()
            return "write-once storage reachable"

        _attempt(report, "worm", worm_check)
    if telemetry.active() is not None:  # seedctl configured it; library callers did not
        _attempt(report, "telemetry", telemetry.check_export)

    def database_check() -> str:
        with writer(database_url, application="seedctl-preflight") as conn:
            detail = _database_checks(conn)
            existing = store.datasets(conn, spec.tenant, spec.environment)
        admit(spec, [d.facts for d in existing], clock())
        return detail + f"; {len(existing)} existing dataset(s) admit the run"

    _attempt(report, "database", database_check)

    def budget_check() -> str:
        rows = sum(report.context.counts.values()) if report.context else 0
        cost = estimated_cost(rows, cost_per_million_rows)
        cap = spec.budget.cost_cap
        if cost > cap:
            raise LimitExceededError(
                Reason.BUDGET_EXHAUSTED,
                f"estimated cost R$ {cost} for {rows} rows exceeds the cap R$ {cap}",
                hint="raise spec.budget.costCapBrl or lower the volumetry",
            )
        telemetry.set_budget_remaining(float(cap - cost))
        return f"estimated R$ {cost} of R$ {cap} ({(cost / cap * 100 if cap else 0):.0f} %)"

    if report.context is not None:
        _attempt(report, "budget", budget_check)
    return report
