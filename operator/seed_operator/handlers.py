"""The kopf handlers: observe a SeedRun's world, call the pure ``reconcile`` core, apply its plan.

Thin on purpose (STYLE.md): every decision is in ``seed_operator.reconcile``, every API call in
``seed_operator.kube``. A daemon per unfinished SeedRun re-observes it; reconciliation is
level-based, so a restarted operator simply continues (Job names are deterministic, Leases are
held by the run's uid, the segmentation is in the run's status). It wakes when one of its Jobs
changes, when its spec changes (cancel) or when another run finishes (a Lease may be free), else
every few seconds. Each pass runs in a worker thread; queued runs come from kopf's in-memory index,
not from a list per pass. A Lease write that loses its compare-and-swap stops the pass; the next
one decides again. A deleted SeedRun's Jobs, Pods and Leases are undone before the finalizer
lets it go. The settings are read once, at start-up, and travel in kopf's ``memo``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import kopf
from kubernetes.client.exceptions import ApiException

from seed_operator import consts, telemetry
from seed_operator.conditions import parse_timestamp
from seed_operator.jobs import batch_outcome, job_views
from seed_operator.kube import Kube, load_config
from seed_operator.leases import LeaseState, classify_lease, run_lease_names
from seed_operator.logs import log_phase_change, run_fields
from seed_operator.metrics import METRICS
from seed_operator.queue import QueueEntry, queue_entry_of
from seed_operator.reconcile import (
    Deleting,
    Observed,
    Plan,
    decide,
    decide_delete,
    lease_names_of,
    leases_held_after,
)
from seed_operator.settings import OperatorSettings
from seed_operator.tracecontext import (
    finished_run_span,
)
from seedlib.contract.job import RunId, TenantSlug
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.seedrun import ConditionType, Phase, SeedRunSpec
from seedlib.errors import Reason
from seedlib.rules.validation import validate_profile_spec

__all__ = [
    "Runtime",
    "apply",
    "configure",
    "job_changed",
    "observe",
    "queued_runs",
    "reconcile_run",
    "release_run",
    "run_changed",
    "run_daemon",
    "stop_telemetry",
]

RESYNC_SECONDS = 3.0
"""A daemon re-observes its run at least this often, even when nothing woke it."""
WAITING_RESYNC_SECONDS = 15.0
"""...and this often while it waits for its window (the opening time is known)."""
MEMO_KEY = "seed_operator"
log = logging.getLogger("seed_operator")


@dataclass(frozen=True, slots=True)
class Runtime:
    """What every handler needs: the settings read at start-up and the API adapter."""

    settings: OperatorSettings
    kube: Kube


def runtime(memo: kopf.Memo) -> Runtime:
    found = memo.get(MEMO_KEY)
    if not isinstance(found, Runtime):
        raise kopf.TemporaryError("the operator has not finished starting", delay=1)
    return found


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Read the operator's settings once (``main`` hands over the ones it read; ``kopf run`` has
    none yet) and connect; keep kopf's own state in annotations, not in status."""
    given = memo.get("settings")
    ours = given if isinstance(given, OperatorSettings) else OperatorSettings.from_env()
    load_config()
    memo[MEMO_KEY] = Runtime(ours, Kube())
    settings.persistence.finalizer = consts.FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=consts.API_GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=consts.API_GROUP)
    settings.posting.level = logging.INFO
    settings.watching.server_timeout = 60
    log.info(
        "seed-operator settings read",
        extra={
            "lease_namespace": ours.lease_namespace,
            "watch_namespaces": ",".join(ours.namespaces),
            "global_cap": ours.global_cap,
            "batch_rows": ours.batch_rows,
            "image": ours.image,
        },
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _created(body: kopf.Body) -> dt.datetime:
    created = parse_timestamp(body["metadata"]["creationTimestamp"])
    if created is None:
        raise kopf.PermanentError("a SeedRun without a creationTimestamp")
    return created


def _run_id(body: kopf.Body) -> RunId:
    return RunId(uuid.UUID(str(body["metadata"]["uid"])))


def _profile(
    kube: Kube, namespace: str, name: str, run: kopf.Body | None = None
) -> tuple[SeedProfileSpec | None, tuple[Reason, str, str] | None]:
    """The run's profile, validated; ``run`` (the SeedRun, on its first validation only) puts the
    validation in a ``seed.manifest.validate`` span of the run's trace."""
    body = kube.get_profile(namespace, name)
    if body is None:
        return None, (
            Reason.PROFILE_NOT_FOUND,
            f"SeedProfile {namespace}/{name} does not exist",
            "apply the profile first (sync wave 0)",
        )
    if run is None:
        model, violations = validate_profile_spec(body.get("spec"))
    else:
        dry_run = bool((run.get("spec") or {}).get("dryRun"))
        uid = str(run["metadata"]["uid"])
        model, violations = telemetry.validate_in_span(body.get("spec"), uid, dry_run=dry_run)
    if model is None:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return None, (Reason.PROFILE_INVALID, f"{first.path}: {first.message}{more}", first.hint)
    return model, None


def _is_queued(body: kopf.Body, **_: Any) -> bool:
    status = body.get("status") or {}
    return status.get("phase") == Phase.QUEUED.value and bool(
        (status.get("queue") or {}).get("enqueuedAt")
    )


# kopf keeps an object's last indexed value until the object stops matching the filter (returning
# None does not remove it), so "is it queued" must be the filter, not the indexing function.
@kopf.index(consts.API_GROUP, consts.VERSION, consts.RUN_PLURAL, when=_is_queued)
def queued_runs(body: kopf.Body, **_: Any) -> dict[str, QueueEntry]:
    """The Queued runs by environment, kept current by kopf's watch (no list per pass)."""
    entry = queue_entry_of(body)
    return {entry.environment: entry} if entry is not None else {}


def observe(body: kopf.Body, queued: Iterable[QueueEntry], rt: Runtime) -> Observed:
    kube, settings = rt.kube, rt.settings
    meta, spec = body["metadata"], SeedRunSpec.model_validate(dict(body["spec"]))
    namespace, uid = meta["namespace"], _run_id(body)
    status = body.get("status") or {}
    first_validation = not any(
        c.get("type") == ConditionType.PROFILE_VALID.value for c in status.get("conditions") or []
    )
    profile, problem = _profile(
        kube, namespace, spec.profile_ref.name, body if first_validation else None
    )
    labels = kube.namespace_labels(namespace)
    tenant_lease, slots = None, {}
    if profile is not None:
        environment = profile.environment.value
        tenant, *slot_names = run_lease_names(
            TenantSlug(profile.tenant), environment, settings.cap_for(environment)
        )
        tenant_lease = kube.read_lease(settings.lease_namespace, tenant)
        slots = {name: kube.read_lease(settings.lease_namespace, name) for name in slot_names}
    # A run that never started has no Jobs: queued runs skip two list calls per pass (should a
    # crash have left a Job behind, creating it again answers 409 and the next pass sees it).
    jobs = (
        job_views(kube.list_jobs(namespace, uid), kube.list_pods(namespace, uid))
        if status.get("startedAt")
        else {}
    )
    namespace_tenant = labels.get(consts.LABEL_TENANT)
    return Observed(
        name=meta["name"],
        namespace=namespace,
        uid=uid,
        generation=int(meta.get("generation", 1)),
        created_at=_created(body),
        spec=spec,
        status=dict(status),
        profile=profile,
        profile_problem=problem,
        namespace_tenant=TenantSlug(namespace_tenant) if namespace_tenant else None,
        jobs=jobs,
        tenant_lease=tenant_lease,
        slot_leases=slots,
        queued=tuple(queued),
    )


def apply(body: kopf.Body, plan: Plan, rt: Runtime) -> bool:
    """Carry the plan out; False when a Lease write lost a race (nothing else was applied)."""
    kube, meta = rt.kube, body["metadata"]
    namespace = meta["namespace"]
    for lease in plan.write_leases:
        if not kube.write_lease(lease):
            log.info(
                "a Lease changed under this pass; deciding again",
                extra={**run_fields(body), "lease": lease["metadata"]["name"]},
            )
            return False
    for job in plan.create_jobs:
        kube.create_job(namespace, job)
    for name in plan.delete_jobs:
        kube.delete_job(namespace, name)
    old = dict(body.get("status") or {})
    changes: dict[str, Any] = {k: v for k, v in plan.status.items() if old.get(k) != v}
    changes.update({k: None for k in old if k not in plan.status})
    if changes:
        kube.patch_run_status(namespace, meta["name"], changes)
    for kind, reason, message in plan.events:
        kube.post_event(body, kind, reason, message)
    return True


TERMINAL = frozenset(p.value for p in Phase if p.terminal)


def reconcile_run(body: kopf.Body, queued: Iterable[QueueEntry], rt: Runtime) -> str | None:
    """One level-based pass: observe, decide, apply. Returns the phase it left the run in.

    Also what the pass tells the metrics (its duration, the Leases the run holds after it) and,
    when the pass finished the run, its ``seed.run`` span."""
    status = body.get("status") or {}
    phase, uid = status.get("phase"), str(body["metadata"]["uid"])
    if phase in TERMINAL and not _holds_leases(body, rt):
        METRICS.leases_held(uid, status.get("environment"), 0)
        return str(phase)
    started = time.perf_counter()
    try:
        seen = observe(body, queued, rt)
        now = _now()
        plan = decide(seen, rt.settings, now)
        applied = apply(body, plan, rt)
    finally:
        METRICS.reconcile_seconds.observe(time.perf_counter() - started)
    after = plan.status.get("phase")
    METRICS.leases_held(
        uid, plan.status.get("environment"), leases_held_after(seen, plan if applied else None, now)
    )
    if applied and after != phase:
        log_phase_change(body, phase, str(after), _ready_reason(plan))
        if after in TERMINAL:
            finished = finished_run_span(
                uid,
                seen.created_at,
                plan.status,
                dry_run=seen.spec.dry_run,
                manifest_version=seen.profile.version if seen.profile is not None else None,
                now=now,
            )
            telemetry.emit_run_span(finished)
    return str(after)


def _ready_reason(plan: Plan) -> str | None:
    ready = next(
        (c for c in plan.status.get("conditions") or [] if c["type"] == ConditionType.READY.value),
        None,
    )
    return str(ready["reason"]) if ready is not None else None


_WAKE: dict[str, asyncio.Event] = {}
"""One event per running daemon (by SeedRun uid): set to make it pass again now."""
_SEEN: dict[str, tuple[Any, Any]] = {}
"""(spec.cancel, status.phase) per SeedRun uid, as last seen by ``run_changed``."""


def _wake(uids: Iterable[str]) -> None:
    for uid in uids:
        if (event := _WAKE.get(uid)) is not None:
            event.set()


@kopf.on.event(
    consts.JOB_GROUP, consts.JOB_VERSION, consts.JOB_PLURAL, labels=dict(consts.MANAGED_BY)
)
async def job_changed(type: str, body: kopf.Body, **_: Any) -> None:
    """A Job of ours changed (started, finished, deleted): its run decides again at once. A
    batch Job seen finished for the first time counts in ``seed_operator_batch_outcomes_total``."""
    meta = body.get("metadata", {})
    key = str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
    METRICS.batch_job_seen(key, batch_outcome(body), deleted=type == "DELETED")
    _wake([meta.get("labels", {}).get(consts.LABEL_RUN_UID, "")])


@kopf.on.event(consts.API_GROUP, consts.VERSION, consts.RUN_PLURAL)
async def run_changed(type: str, body: kopf.Body, **kwargs: Any) -> None:
    """A cancel wakes its own run; a run that finished or went away may have freed its Leases, so
    the queued runs of its environment decide again at once."""
    uid = body.get("metadata", {}).get("uid", "")
    status = body.get("status") or {}
    now = ((body.get("spec") or {}).get("cancel"), status.get("phase"))
    before = _SEEN.get(uid)
    _SEEN[uid] = now
    index: kopf.Index[str, QueueEntry] = kwargs["queued_runs"]
    waiting = [entry.uid for entry in index.get(str(status.get("environment", "")), ())]
    METRICS.run_seen(uid, status.get("phase"), status.get("environment"))
    if type == "DELETED":
        _SEEN.pop(uid, None)
        METRICS.run_gone(uid)
        _wake(waiting)
    elif before is not None and before[0] != now[0]:
        _wake([uid])
    elif now[1] in TERMINAL and (before is None or before[1] != now[1]):
        _wake(waiting)


@kopf.daemon(consts.API_GROUP, consts.VERSION, consts.RUN_PLURAL, cancellation_timeout=10.0)
async def run_daemon(body: kopf.Body, logger: kopf.Logger, memo: kopf.Memo, **kwargs: Any) -> None:
    """Reconcile this SeedRun until it is finished (and holds no Lease) or deleted.

    ``body`` is kopf's live view of the object, refreshed by the watch stream; ``queued_runs`` is
    the live index. kopf cancels this coroutine when the run is deleted or the operator stops.
    """
    rt = runtime(memo)
    index: kopf.Index[str, QueueEntry] = kwargs["queued_runs"]
    uid = str(body["metadata"]["uid"])
    wake = _WAKE.setdefault(uid, asyncio.Event())
    try:
        while True:
            wake.clear()
            environment = str((body.get("status") or {}).get("environment", ""))
            queued = list(index.get(environment, ()))
            try:
                phase = await asyncio.to_thread(reconcile_run, body, queued, rt)
            except ApiException as exc:  # transient API trouble: say so and try again
                logger.warning(
                    "reconcile failed (HTTP %s); retrying",
                    exc.status,
                    extra=run_fields(body, status_code=exc.status, reason=exc.reason),
                )
                phase = None
            if phase in TERMINAL and not await asyncio.to_thread(_holds_leases, body, rt):
                return
            pause = WAITING_RESYNC_SECONDS if phase == Phase.WAITING.value else RESYNC_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=pause)
    finally:
        if _WAKE.get(uid) is wake:
            del _WAKE[uid]


def _holds_leases(body: kopf.Body, rt: Runtime) -> bool:
    names = lease_names_of(body.get("status") or {}, rt.settings)
    holder, now = str(body["metadata"]["uid"]), _now()
    return any(
        classify_lease(rt.kube.read_lease(rt.settings.lease_namespace, n), holder, now)
        is LeaseState.OURS
        for n in names
    )


@kopf.on.delete(consts.API_GROUP, consts.VERSION, consts.RUN_PLURAL)
def release_run(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Deleted: observe what the run left (Jobs, Pods, Leases), let ``decide_delete`` say what to
    undo, undo it; then kopf removes the finalizer."""
    rt = runtime(memo)
    kube, settings = rt.kube, rt.settings
    meta, status = body["metadata"], body.get("status") or {}
    namespace, uid = meta["namespace"], _run_id(body)
    seen = Deleting(
        uid=uid,
        created_at=_created(body),
        status=dict(status),
        dry_run=bool((body.get("spec") or {}).get("dryRun")),
        jobs=[job["metadata"]["name"] for job in kube.list_jobs(namespace, uid)],
        pods=[pod["metadata"]["name"] for pod in kube.list_pods(namespace, uid)],
        leases={
            name: kube.read_lease(settings.lease_namespace, name)
            for name in lease_names_of(status, settings)
        },
    )
    plan = decide_delete(seen, settings, _now())
    for name in plan.delete_jobs:
        kube.delete_job(namespace, name)
    for name in plan.delete_pods:
        kube.delete_pod(namespace, name)
    if plan.run_span is not None:  # its Jobs' spans still get their parent
        telemetry.emit_run_span(plan.run_span)
    METRICS.leases_held(str(uid), status.get("environment"), 0)
    for lease in plan.write_leases:
        if not kube.write_lease(lease):
            raise kopf.TemporaryError("a Lease changed while it was released; again", delay=1)


@kopf.on.cleanup()
def stop_telemetry(**_: Any) -> None:
    """Flush the spans not exported yet before the process exits."""
    telemetry.shutdown_tracing()
