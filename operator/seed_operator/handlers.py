"""The kopf handlers: observe a SeedRun's world, call ``reconcile.decide``, carry out the plan.

Thin on purpose (STYLE.md): every decision is in ``seed_operator.reconcile``. A daemon per
unfinished SeedRun re-observes it (reconciliation is level-based, so a restarted operator simply
continues: Job names are deterministic and Leases are held by the run's uid, not by the operator).
It wakes when one of its Jobs changes, when its spec changes (cancel) or when another run of the
operator finishes (a Lease may be free), and otherwise every few seconds as a resync. The daemons
are coroutines and each pass runs in a worker thread, so a thousand queued runs do not need a
thousand threads. Queued runs are known from an in-memory index fed by kopf's watch, not from a
list per pass. Lease writes are compare-and-swap; when one loses a race, nothing else of that pass
is applied and the next pass decides again. Deleting a SeedRun deletes its Jobs and releases its
Leases before the finalizer lets it go.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import time
from collections.abc import Iterable
from typing import Any

import kopf
import kubernetes
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from seed_operator import consts, telemetry
from seed_operator.conditions import Progress
from seed_operator.jobs import LABEL_PREFIX, batch_outcome
from seed_operator.leases import (
    LeaseState,
    classify_lease,
    lease_body,
    slot_lease_names,
    tenant_lease_name,
)
from seed_operator.metrics import METRICS
from seed_operator.queue import QueueEntry
from seed_operator.reconcile import (
    JobState,
    JobView,
    Observed,
    Plan,
    decide,
    leases_held_after,
)
from seed_operator.settings import OperatorSettings
from seed_operator.tracecontext import (
    finished_run_span,
    log_fields,
    run_attributes,
    run_span_id,
    run_trace_id,
)
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.seedrun import Phase, SeedRunSpec
from seedlib.errors import Reason
from seedlib.rules.validation import validate_profile_spec

__all__ = [
    "SETTINGS",
    "configure",
    "job_changed",
    "queued_runs",
    "reconcile_run",
    "release_run",
    "run_changed",
    "run_daemon",
    "stop_telemetry",
]

SETTINGS = OperatorSettings()
RESYNC_SECONDS = 3.0
"""A daemon re-observes its run at least this often, even when nothing woke it."""
WAITING_RESYNC_SECONDS = 15.0
"""...and this often while it waits for its window (the opening time is known)."""
log = logging.getLogger("seed_operator")


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    """Read the operator's settings once; keep kopf's own state in annotations, not in status."""
    global SETTINGS  # noqa: PLW0603 (read once at startup, then only read)
    SETTINGS = OperatorSettings.from_env()
    try:
        kubernetes.config.load_incluster_config()  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config()  # type: ignore[no-untyped-call]
    settings.persistence.finalizer = f"{consts.API_GROUP}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=consts.API_GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=consts.API_GROUP)
    settings.posting.level = logging.INFO
    settings.watching.server_timeout = 60
    log.info("seed-operator settings: %s", SETTINGS)


@functools.cache
def _client() -> client.ApiClient:
    """One connection pool for the whole operator (a client per call would re-handshake TLS)."""
    return client.ApiClient()


def _custom() -> Any:
    return client.CustomObjectsApi(_client())


def _coordination() -> Any:
    return client.CoordinationV1Api(_client())


def _core() -> Any:
    return client.CoreV1Api(_client())


def _batch() -> Any:
    return client.BatchV1Api(_client())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _parse_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _profile(
    namespace: str, name: str, run: kopf.Body | None = None
) -> tuple[SeedProfileSpec | None, tuple[Reason, str, str] | None]:
    """The run's profile, validated; ``run`` (the SeedRun, on its first validation only) puts the
    validation in a ``seed.manifest.validate`` span of the run's trace."""
    try:
        body = _custom().get_namespaced_custom_object(
            consts.API_GROUP, consts.VERSION, namespace, consts.PROFILE_PLURAL, name
        )
    except ApiException as exc:
        if exc.status == 404:
            return None, (
                Reason.PROFILE_NOT_FOUND,
                f"SeedProfile {namespace}/{name} does not exist",
                "apply the profile first (sync wave 0)",
            )
        raise
    if run is None:
        model, violations = validate_profile_spec(body.get("spec"))
    else:
        uid = run["metadata"]["uid"]
        raw = body.get("spec") or {}
        attributes = run_attributes(
            uid,
            tenant=_text(raw.get("tenant")),
            environment=_text(raw.get("environment")),
            manifest_version=_text(raw.get("version")),
            mode=_text(raw.get("mode")),
            dry_run=bool((run.get("spec") or {}).get("dryRun")),
        )
        with telemetry.validation_span(run_trace_id(uid), run_span_id(uid), attributes) as span:
            model, violations = validate_profile_spec(body.get("spec"))
            if span is not None:
                span.set_attribute("seed.manifest.valid", model is not None)
                span.set_attribute("seed.manifest.violations", len(violations))
    if model is None:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return None, (Reason.PROFILE_INVALID, f"{first.path}: {first.message}{more}", first.hint)
    return model, None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _jobs(namespace: str, uid: str) -> dict[str, JobView]:
    """The run's Jobs, with the termination message of each finished Job's latest Pod."""
    selector = f"{LABEL_PREFIX}run-uid={uid}"
    jobs = _batch().list_namespaced_job(namespace, label_selector=selector).items
    latest: dict[str, Any] = {}
    for pod in _core().list_namespaced_pod(namespace, label_selector=selector).items:
        owner = (pod.metadata.labels or {}).get("job-name")
        if owner and (
            owner not in latest
            or pod.metadata.creation_timestamp > latest[owner].metadata.creation_timestamp
        ):
            latest[owner] = pod
    views: dict[str, JobView] = {}
    for job in jobs:
        conditions = {c.type: c.status for c in (job.status.conditions or [])}
        state = JobState.ACTIVE
        if conditions.get("Complete") == "True":
            state = JobState.SUCCEEDED
        elif conditions.get("Failed") == "True":
            state = JobState.FAILED
        message = None
        pod = latest.get(job.metadata.name)
        statuses = (pod.status.container_statuses or []) if pod is not None and pod.status else []
        terminated = statuses[0].state.terminated if statuses and statuses[0].state else None
        if state is not JobState.ACTIVE and terminated is not None:
            message = terminated.message
        views[job.metadata.name] = JobView(job.metadata.name, state, message)
    return views


def _lease(name: str) -> dict[str, Any] | None:
    try:
        lease = _coordination().read_namespaced_lease(name, SETTINGS.lease_namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    result: dict[str, Any] = _client().sanitize_for_serialization(lease)  # type: ignore[no-untyped-call]
    return result


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
    status = body.get("status") or {}
    queue = status.get("queue") or {}
    environment = str(status.get("environment", ""))
    lock: dict[str, Any] = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "LockAcquired"), {}
    )
    return {
        environment: QueueEntry(
            _parse_time(queue["enqueuedAt"]),
            _parse_time(body["metadata"]["creationTimestamp"]),
            body["metadata"]["uid"],
            environment,
            wants_slot=lock.get("reason") != Progress.WAITING_FOR_TENANT_LEASE.value,
        )
    }


def observe(body: kopf.Body, queued: Iterable[QueueEntry] = ()) -> Observed:
    meta, spec = body["metadata"], SeedRunSpec.model_validate(dict(body["spec"]))
    namespace, uid = meta["namespace"], meta["uid"]
    conditions = (body.get("status") or {}).get("conditions") or []
    first_validation = not any(c.get("type") == "ProfileValid" for c in conditions)
    profile, problem = _profile(
        namespace, spec.profile_ref.name, body if first_validation else None
    )
    labels = _core().read_namespace(namespace).metadata.labels or {}
    tenant_lease = slots = None
    if profile is not None:
        environment = profile.environment.value
        tenant_lease = _lease(tenant_lease_name(profile.tenant, environment))
        slots = {
            name: _lease(name)
            for name in slot_lease_names(environment, SETTINGS.cap_for(environment))
        }
    return Observed(
        name=meta["name"],
        namespace=namespace,
        uid=uid,
        generation=int(meta.get("generation", 1)),
        created_at=_parse_time(meta["creationTimestamp"]),
        spec=spec,
        status=dict(body.get("status") or {}),
        profile=profile,
        profile_problem=problem,
        namespace_tenant=labels.get(f"{LABEL_PREFIX}tenant"),
        # A run that never started has no Jobs: queued runs skip two list calls per pass (should a
        # crash have left a Job behind, creating it again answers 409 and the next pass sees it).
        jobs=_jobs(namespace, uid) if (body.get("status") or {}).get("startedAt") else {},
        tenant_lease=tenant_lease,
        slot_leases=slots or {},
        queued=tuple(queued),
    )


def _write_leases(plan: Plan) -> bool:
    """Write every Lease of the plan (CAS); False as soon as one loses a race."""
    api = _coordination()
    for body in plan.write_leases:
        name = body["metadata"]["name"]
        try:
            if body["metadata"].get("resourceVersion"):
                api.replace_namespaced_lease(name, SETTINGS.lease_namespace, body)
            else:
                api.create_namespaced_lease(SETTINGS.lease_namespace, body)
        except ApiException as exc:
            if exc.status in (409, 422):
                log.info("lease %s changed under us (%s); deciding again", name, exc.status)
                return False
            raise
    return True


def apply(body: kopf.Body, plan: Plan) -> bool:
    """Carry the plan out; False when a Lease write lost a race (nothing else was applied)."""
    meta = body["metadata"]
    namespace = meta["namespace"]
    if not _write_leases(plan):
        return False
    batch = _batch()
    for job in plan.create_jobs:
        try:
            batch.create_namespaced_job(namespace, job)
        except ApiException as exc:
            if exc.status != 409:  # already exists: a previous tick (or operator) created it
                raise
    for name in plan.delete_jobs:
        try:
            batch.delete_namespaced_job(name, namespace, propagation_policy="Background")
        except ApiException as exc:
            if exc.status != 404:
                raise
    old = dict(body.get("status") or {})
    changes: dict[str, Any] = {k: v for k, v in plan.status.items() if old.get(k) != v}
    changes.update({k: None for k in old if k not in plan.status})
    if changes:
        _custom().patch_namespaced_custom_object_status(
            consts.API_GROUP,
            consts.VERSION,
            namespace,
            consts.RUN_PLURAL,
            meta["name"],
            {"status": changes},
            field_validation="Strict",  # a field the CRD does not know is a bug: fail loudly
        )
    for kind, reason, message in plan.events:
        kopf.event(body, type=kind, reason=reason, message=message[:1024])
    return True


TERMINAL = frozenset(p.value for p in Phase if p.terminal)


def reconcile_run(body: kopf.Body, queued: Iterable[QueueEntry] = ()) -> str | None:
    """One level-based pass: observe, decide, apply. Returns the phase it left the run in.

    Also what the pass tells the metrics (its duration, the Leases the run holds after it) and,
    when the pass finished the run, its ``seed.run`` span."""
    status = body.get("status") or {}
    phase, uid = status.get("phase"), body["metadata"]["uid"]
    if phase in TERMINAL and not _holds_leases(body):
        METRICS.leases_held(uid, status.get("environment"), 0)
        return str(phase)
    started = time.perf_counter()
    try:
        seen = observe(body, queued)
        now = _now()
        plan = decide(seen, SETTINGS, now)
        applied = apply(body, plan)
    finally:
        METRICS.reconcile_seconds.observe(time.perf_counter() - started)
    after = plan.status.get("phase")
    METRICS.leases_held(
        uid, plan.status.get("environment"), leases_held_after(seen, plan if applied else None, now)
    )
    if applied and after != phase:
        fields = log_fields(uid, plan.status.get("tenant"))
        log.info("SeedRun phase %s -> %s", phase or "-", after, extra=fields)
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


_WAKE: dict[str, asyncio.Event] = {}
"""One event per running daemon (by SeedRun uid): set to make it pass again now."""
_SEEN: dict[str, tuple[Any, Any]] = {}
"""(spec.cancel, status.phase) per SeedRun uid, as last seen by ``run_changed``."""


def _wake(uids: Iterable[str]) -> None:
    for uid in uids:
        if (event := _WAKE.get(uid)) is not None:
            event.set()


@kopf.on.event("batch", "v1", "jobs", labels={"app.kubernetes.io/managed-by": "seed-operator"})
async def job_changed(type: str, body: kopf.Body, **_: Any) -> None:
    """A Job of ours changed (started, finished, deleted): its run decides again at once. A
    batch Job seen finished for the first time counts in ``seed_operator_batch_outcomes_total``."""
    meta = body.get("metadata", {})
    key = str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
    METRICS.batch_job_seen(key, batch_outcome(body), deleted=type == "DELETED")
    _wake([meta.get("labels", {}).get(f"{LABEL_PREFIX}run-uid", "")])


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
async def run_daemon(body: kopf.Body, logger: kopf.Logger, **kwargs: Any) -> None:
    """Reconcile this SeedRun until it is finished (and holds no Lease) or deleted.

    ``body`` is kopf's live view of the object, refreshed by the watch stream; ``queued_runs`` is
    the live index. kopf cancels this coroutine when the run is deleted or the operator stops.
    """
    index: kopf.Index[str, QueueEntry] = kwargs["queued_runs"]
    uid = body["metadata"]["uid"]
    wake = _WAKE.setdefault(uid, asyncio.Event())
    try:
        while True:
            wake.clear()
            environment = str((body.get("status") or {}).get("environment", ""))
            queued = list(index.get(environment, ()))
            try:
                phase = await asyncio.to_thread(reconcile_run, body, queued)
            except ApiException as exc:  # transient API trouble: say so and try again
                logger.warning(
                    "reconcile failed (%s %s): %s; retrying",
                    exc.status,
                    exc.reason,
                    exc.body,
                    extra=log_fields(uid, (body.get("status") or {}).get("tenant")),
                )
                phase = None
            if phase in TERMINAL and not await asyncio.to_thread(_holds_leases, body):
                return
            pause = WAITING_RESYNC_SECONDS if phase == Phase.WAITING.value else RESYNC_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=pause)
    finally:
        if _WAKE.get(uid) is wake:
            del _WAKE[uid]


def _holds_leases(body: kopf.Body) -> bool:
    status = body.get("status") or {}
    environment, tenant = status.get("environment"), status.get("tenant")
    if not environment or not tenant:
        return False
    names = [
        tenant_lease_name(tenant, environment),
        *slot_lease_names(environment, SETTINGS.cap_for(environment)),
    ]
    return any(
        classify_lease(_lease(n), body["metadata"]["uid"], _now()) is LeaseState.OURS for n in names
    )


@kopf.on.delete(consts.API_GROUP, consts.VERSION, consts.RUN_PLURAL)
def release_run(body: kopf.Body, **_: Any) -> None:
    """Deleted: delete its Jobs (and their Pods, with no garbage collector to count on) and release
    every Lease it holds, then let kopf remove the finalizer."""
    namespace, uid = body["metadata"]["namespace"], body["metadata"]["uid"]
    batch, core = _batch(), _core()
    selector = f"{LABEL_PREFIX}run-uid={uid}"
    for job in batch.list_namespaced_job(namespace, label_selector=selector).items:
        try:
            batch.delete_namespaced_job(
                job.metadata.name, namespace, propagation_policy="Background"
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
    for pod in core.list_namespaced_pod(namespace, label_selector=selector).items:
        try:
            core.delete_namespaced_pod(pod.metadata.name, namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
    status = body.get("status") or {}
    environment, tenant = status.get("environment"), status.get("tenant")
    if status.get("phase") not in TERMINAL:  # its Jobs' spans still get their parent
        deleted = finished_run_span(
            uid,
            _parse_time(body["metadata"]["creationTimestamp"]),
            {**status, "phase": "Deleted"},
            dry_run=bool((body.get("spec") or {}).get("dryRun")),
            manifest_version=None,
            now=_now(),
        )
        telemetry.emit_run_span(deleted)
    METRICS.leases_held(uid, environment, 0)
    if environment and tenant:
        names = [
            tenant_lease_name(tenant, environment),
            *slot_lease_names(environment, SETTINGS.cap_for(environment)),
        ]
        for name in names:
            lease = _lease(name)
            if classify_lease(lease, uid, _now()) is LeaseState.OURS:
                released = lease_body(
                    name,
                    SETTINGS.lease_namespace,
                    holder=None,
                    duration_seconds=SETTINGS.lease_duration_seconds,
                    now=_now(),
                    previous=lease,
                )
                _coordination().replace_namespaced_lease(name, SETTINGS.lease_namespace, released)


@kopf.on.cleanup()
def stop_telemetry(**_: Any) -> None:
    """Flush the spans not exported yet before the process exits."""
    telemetry.shutdown_tracing()
