"""The reconcile decision of one SeedRun, by phase: the flow that calls the others. Pure.

The kopf handlers (``seed_operator.handlers``) observe the SeedRun, its profile, its Jobs and the
Leases, call ``decide`` and carry out the ``Plan`` it returns; everything that matters is decided
in this package, where unit tests reach it without an API server. Reconciliation is level-based:
``decide`` is called again and again with fresh observations, and it is idempotent (same
observation, same decision).

Flow (shared/DESIGN.md "Reconcile flow"): a finished run only lets its Leases go; ``cancel``
(``reconcile.cancel``) ends a run at any point; otherwise ``reconcile.admission`` checks the
profile and the pin, waits for the window and takes the tenant and slot Leases (or queues, FIFO,
until the TTL); then ``reconcile.stages`` runs the preflight Job, the batch Jobs level by level and
the report Job (or the one dry-run Job) and closes the run. ``reconcile.delete`` decides what a
deleted run leaves to undo.
"""

from __future__ import annotations

import datetime as dt

from seed_operator.reconcile.admission import admit, check_profile, renew
from seed_operator.reconcile.cancel import cancel
from seed_operator.reconcile.stages import dry_run, stages
from seed_operator.reconcile.state import Decision, Observed, Plan
from seed_operator.settings import OperatorSettings
from seedlib.contract.seedrun import Phase

__all__ = ["decide"]


def decide(seen: Observed, settings: OperatorSettings, now: dt.datetime) -> Plan:
    d = Decision(seen, settings, now)
    phase = Phase(d.status["phase"]) if d.status.get("phase") else Phase.PENDING
    if phase.terminal:
        if d.held_leases():
            d.release_leases()
        return d.finish()
    if seen.spec.cancel:
        return cancel(d)
    profile = check_profile(d)
    if profile is None:
        return d.plan
    if not d.status.get("startedAt"):
        if not admit(d, profile):
            return d.finish()
    else:
        renew(d, profile)
    if seen.spec.dry_run:
        return dry_run(d, profile)
    return stages(d, profile)
