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

Its database check is where a run learns the tenant's datasets and their admission, once: a caller
that goes on to write (``seedctl run``, the preflight Job) passes an ``ExitStack`` that keeps the
check's connection open (and, with ``lock``, the tenant's advisory lock held: ``LockHeld``, 3) and
takes them from ``Preflight.cleared()``. The row counts (for the budget) come from the profile
alone, so a Vault outage fails the salt check and still leaves every other check reported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from seedlib.contract.job import CheckResult
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.salt import Salt, SaltProvider
from seedlib.db import store
from seedlib.db.migrate import require_migrated
from seedlib.db.session import Connection, writer
from seedlib.errors import IsolationError, Reason, SeedError
from seedlib.evidence.worm import WormStore
from seedlib.generator import Context, entity_counts
from seedlib.observability import telemetry
from seedlib.rules.admission import Admission, admit
from seedlib.rules.budget import check_budget, estimated_cost

__all__ = ["Check", "Cleared", "Preflight", "run_preflight"]


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

    def as_result(self) -> CheckResult:
        """The check as the preflight Job reports it (``seedlib.contract.job``)."""
        error = self.error
        return CheckResult(
            check=self.name,
            ok=self.ok,
            detail=self.detail,
            reason=error.reason if error else None,
            hint=error.hint if error else None,
        )


@dataclass(frozen=True, slots=True)
class Cleared:
    """What a passed preflight hands the run: the generation context, the tenant's datasets and
    their admission (decided once), and the connection kept open for it (locked when asked)."""

    context: Context
    datasets: list[store.StoredDataset]
    admission: Admission
    connection: Connection


@dataclass(slots=True)
class Preflight:
    checks: list[Check] = field(default_factory=list)
    salt: Salt | None = None
    context: Context | None = None
    datasets: list[store.StoredDataset] | None = None
    admission: Admission | None = None
    connection: Connection | None = None

    @property
    def passed(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def first_error(self) -> SeedError | None:
        return next((c.error for c in self.checks if c.error is not None), None)

    def raise_for_failure(self) -> None:
        if (error := self.first_error) is not None:
            raise error

    def cleared(self) -> Cleared:
        """The first failure raised; else what the run goes on with (run with ``keep``)."""
        self.raise_for_failure()
        if (
            self.context is None
            or self.datasets is None
            or self.admission is None
            or self.connection is None
        ):
            raise RuntimeError("preflight passed without keeping its connection (no `keep`)")
        return Cleared(self.context, self.datasets, self.admission, self.connection)


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
    keep: contextlib.ExitStack | None = None,
    lock: bool = False,
) -> Preflight:
    """Run every check and report them all (raise with ``raise_for_failure``). With ``keep``, the
    database check's connection stays open in it (``lock``: holding the tenant's advisory lock)."""
    with telemetry.span("seed.preflight") as span:
        report = _run_checks(
            spec,
            salts=salts,
            worm=worm,
            database_url=database_url,
            cost_per_million_rows=cost_per_million_rows,
            clock=clock,
            keep=keep,
            lock=lock,
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
    keep: contextlib.ExitStack | None,
    lock: bool,
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
        with contextlib.ExitStack() as own:
            conn = (keep or own).enter_context(
                writer(database_url, application="seedctl-preflight")
            )
            detail = _database_checks(conn)
            if lock:
                (keep or own).enter_context(
                    store.advisory_lock(conn, spec.tenant, spec.environment)
                )
            existing = store.datasets(conn, spec.tenant, spec.environment)
            report.admission = admit(spec, [d.facts for d in existing], clock())
            report.datasets = existing
            report.connection = conn if keep is not None else None
        return detail + f"; {len(existing)} existing dataset(s) admit the run"

    _attempt(report, "database", database_check)

    def budget_check() -> str:
        rows = sum(entity_counts(spec).values())
        remaining = check_budget(spec, rows, cost_per_million_rows)
        telemetry.set_budget_remaining(float(remaining))
        cap = spec.budget.cost_cap
        cost = estimated_cost(rows, cost_per_million_rows)
        return f"estimated R$ {cost} of R$ {cap} ({(cost / cap * 100 if cap else 0):.0f} %)"

    _attempt(report, "budget", budget_check)
    return report
