"""A test kubelet for the cluster tier: runs ``batch/v1`` Jobs' containers as local processes.

The test control plane has no kubelet, no Job controller and no garbage collector. ``TestKubelet``
plays all three for the Jobs of one namespace, writing what the real ones write, in the order they
write it, so that kube-apiserver 1.34's Job status validation accepts every update and a client
(the operator, ``kubectl``) cannot tell the difference from the API::

    with TestKubelet(k8s, namespace, env={"PATH": ...}, cwd=REPO) as kubelet:
        ...create Jobs...
        job = kubelet.wait_for_job("my-job")     # Complete=True or Failed=True, as a dict
        kubelet.wait_idle()                      # its last writes and events are done
        assert kubelet.runs[0].termination_message == "..."
    assert kubelet.errors == []

What it does for each Job (not suspended, not finished, not ``spec.managedBy`` another controller):

* **Job controller.** Creates one Pod at a time (``generateName: <job>-``, so ``<job>-xxxxx``) with
  the template's labels and annotations, ``ownerReferences`` to the Job (controller, block owner
  deletion), the ``batch.kubernetes.io/job-tracking`` finalizer and ``spec.nodeName`` (there is no
  scheduler). Job status (subresource, PUT with resourceVersion): ``startTime``, ``active``,
  ``ready``, ``terminating`` and ``uncountedTerminatedPods`` as pods come and go. A finished Pod is
  first recorded in ``uncountedTerminatedPods`` (together with the interim ``SuccessCriteriaMet`` or
  ``FailureTarget`` condition when it decides the Job), then its finalizer is removed, then it is
  moved to ``succeeded``/``failed`` (with ``Complete`` + ``completionTime`` or ``Failed``), exactly
  the controller's flush order. Retries: ``podFailurePolicy`` (``FailJob``, ``Ignore``, ``Count`` on
  ``onExitCodes``/``onPodConditions``; FailJob fails the Job with reason ``PodFailurePolicy``),
  ``backoffLimit`` (reason ``BackoffLimitExceeded``) and ``activeDeadlineSeconds`` from
  ``startTime`` (reason ``DeadlineExceeded``: the running Pod is deleted, then the Job fails once it
  is gone). Attempts are sequential and have no back-off delay; ``parallelism`` is treated as 1.
  Events like the controller's: ``SuccessfulCreate``, ``SuccessfulDelete``, ``Completed`` and a
  Warning with the failure reason.
* **kubelet** (node ``test-kubelet``). Runs the Pod's only container: ``command`` + ``args`` with
  ``$(VAR)`` expansion, as a subprocess in its own process group, cwd = ``cwd``, environment =
  ``os.environ`` + ``env`` + ``HOSTNAME`` + the container's ``envFrom`` and ``env`` (literal values
  with ``$(VAR)`` expansion; ``fieldRef`` metadata.name/namespace/uid, labels/annotations, node,
  service account, pod/host IP; ``secretKeyRef``/``configMapKeyRef`` read from the API, ``optional``
  honoured) + ``env_overrides``. A missing Secret/ConfigMap/key leaves the Pod Pending with
  ``CreateContainerConfigError`` and is retried every second, as a kubelet does. Pod status like a
  kubelet's: Pending/ContainerCreating, Running (Ready), then Succeeded/Failed with
  ``containerStatuses[0].state.terminated`` {exitCode, reason Completed/Error/StartError, message,
  startedAt, finishedAt, containerID}; the Pod template's own ``activeDeadlineSeconds`` fails the
  Pod with reason ``DeadlineExceeded``. A Pod being deleted gets SIGTERM to its process group, then
  SIGKILL after ``terminationGracePeriodSeconds`` (capped at ``max_grace_seconds`` to keep tests
  fast); a killed process exits 128+signal. stdout/stderr go to ``<log_dir>/<pod>/stdout.log`` and
  ``stderr.log``, and both to ``container.log`` (what ``kubectl logs`` would show).
* **Termination message.** The container cannot write ``/dev/termination-log`` here, so the kubelet
  gives every attempt a file ``<log_dir>/<pod>/termination-log`` and exports its path as
  ``TERMINATION_MESSAGE_PATH``; env values and args equal to the container's
  ``terminationMessagePath`` (or ``--flag=<that path>``) are rewritten to it too. The message is
  then the kubelet's: the last 4096 bytes of that file; if it is empty or missing and the policy is
  ``FallbackToLogsOnError`` and the exit code is not 0, the last 80 lines of the container log,
  capped to their last 2048 bytes (kubelet's MaxContainerTerminationMessageLogLength).
* **Garbage collector.** A Job deleted with ``propagationPolicy=Background``: its Pods lose the
  tracking finalizer and are deleted (a running one gracefully, so its process is killed).
  Foreground: the same, then the ``foregroundDeletion`` finalizer is removed once the Pods are gone.
  Orphan -- which is what a DELETE of a ``batch/v1`` Job *without* a propagationPolicy means (the
  server adds the ``orphan`` finalizer), ``kubectl delete`` sends Background: the Pods lose the
  finalizer and the ownerReference, the ``orphan`` finalizer is removed, and a running Pod keeps
  running to its end, as on a real cluster.

Not emulated: Indexed Jobs, restartPolicy OnFailure, init/sidecar or extra containers (such a Job
is left alone and reported in ``errors``), suspending a running Job, TTL-after-finished, images,
volumes, resources, security contexts (the process runs as the test's user), ``workingDir``.

Every failure inside the kubelet (an API call the server rejected, an exception in a thread) is
logged and appended to ``kubelet.errors``: tests assert it is empty. ``kubelet.runs`` records each
attempt (:class:`ContainerRun`).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import copy
import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, Self

import urllib3
from kubernetes.client import ApiClient, BatchV1Api, CoreV1Api
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

__all__ = [
    "NODE_NAME",
    "TRACKING_FINALIZER",
    "ContainerRun",
    "TestKubelet",
    "expand",
    "job_condition",
    "match_pod_failure_policy",
    "wait_for_job",
]

log = logging.getLogger(__name__)

NODE_NAME: Final = "test-kubelet"
JOB_CONTROLLER: Final = "kubernetes.io/job-controller"
TRACKING_FINALIZER: Final = "batch.kubernetes.io/job-tracking"
DEFAULT_TERMINATION_MESSAGE_PATH: Final = "/dev/termination-log"
TERMINATION_MESSAGE_ENV: Final = "TERMINATION_MESSAGE_PATH"
# pkg/kubelet/container/runtime.go
MAX_TERMINATION_MESSAGE_BYTES: Final = 4096
MAX_TERMINATION_MESSAGE_LOG_BYTES: Final = 2048
MAX_TERMINATION_MESSAGE_LOG_LINES: Final = 80
# pkg/controller/job/job_controller.go (1.34)
SUCCESS_REASON: Final = "CompletionsReached"
SUCCESS_MESSAGE: Final = "Reached expected number of succeeded pods"
BACKOFF_REASON: Final = "BackoffLimitExceeded"
BACKOFF_MESSAGE: Final = "Job has reached the specified backoff limit"
DEADLINE_REASON: Final = "DeadlineExceeded"
DEADLINE_MESSAGE: Final = "Job was active longer than specified deadline"
POLICY_REASON: Final = "PodFailurePolicy"
POD_DEADLINE_MESSAGE: Final = "Pod was active on the node longer than the specified deadline"
UNKNOWN_CONTAINER_MESSAGE: Final = "The container could not be located when the pod was terminated"

_POLL: Final = 0.05
_WATCH_SECONDS: Final = 30
_CONFIG_RETRY_SECONDS: Final = 1.0
_POD_CONDITIONS: Final = (
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
)


# --- small helpers ------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _ts(moment: dt.datetime) -> str:
    """metav1.Time: RFC 3339, whole seconds, UTC."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _json(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.data)
    return data


def _api_message(error: ApiException) -> str:
    try:
        return str(json.loads(error.body or "")["message"])
    except (ValueError, KeyError, TypeError):
        return f"{error.status} {error.reason}: {error.body!r}"


def job_condition(job: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    """The Job's condition of type `kind` whose status is "True", if any."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return dict(condition)
    return None


def _finished(job: Mapping[str, Any]) -> bool:
    return bool(job_condition(job, "Complete") or job_condition(job, "Failed"))


def wait_for_job(
    api_client: ApiClient,
    namespace: str,
    name: str,
    timeout: float = 60.0,
    *,
    kubelet: TestKubelet | None = None,
) -> dict[str, Any]:
    """Polls until the Job has Complete=True or Failed=True and returns it (a plain dict, as the
    API serves it). Raises TimeoutError with the last status seen, or AssertionError as soon as
    `kubelet` reports an error (a Job it failed to drive would otherwise just time out)."""
    batch = BatchV1Api(api_client)
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = _json(batch.read_namespaced_job(name, namespace, _preload_content=False))
        if _finished(job):
            return job
        if kubelet is not None and kubelet.errors:
            raise AssertionError(
                f"test kubelet errors while waiting for Job {name}: {kubelet.errors}"
            )
        time.sleep(0.1)
    raise TimeoutError(
        f"Job {namespace}/{name} not finished after {timeout:.0f} s; status: "
        f"{json.dumps(job.get('status'), sort_keys=True)}"
        + (f"; kubelet errors: {kubelet.errors}" if kubelet is not None else "")
    )


def expand(text: str, variables: Mapping[str, str]) -> str:
    """Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion): `$(NAME)` becomes the
    variable's value, or stays as written when NAME is not defined; `$$` is a literal `$`."""
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            rest = text[cursor + 1 :]
            advance = 1
            if rest[0] == "$":
                out.append("$")
            elif rest[0] == "(":
                close = rest.find(")", 1)
                if close == -1:
                    out.append("$(")
                else:
                    name = rest[1:close]
                    out.append(variables.get(name, f"$({name})"))
                    advance = close + 1
            else:
                out.append("$" + rest[0])
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


def _normalise_image(image: str) -> str:
    """`busybox` -> `docker.io/library/busybox:latest`, as container runtimes report it."""
    name = image
    first, _, rest = name.partition("/")
    if not rest:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if "@" not in last and ":" not in last:
        name += ":latest"
    return name


def _exit_code(returncode: int) -> int:
    """A process killed by signal N exits 128+N in a container."""
    return 128 - returncode if returncode < 0 else returncode


def _tail_lines(data: bytes, lines: int, limit: int) -> bytes:
    kept = b"".join(data.splitlines(keepends=True)[-lines:])
    return kept[-limit:]


def _read_tail(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read()
    except FileNotFoundError:
        return b""


# --- public records -----------------------------------------------------------------------------


@dataclass
class ContainerRun:
    """One attempt: the Pod's container as a local process."""

    job: str
    pod: str
    pod_uid: str
    container: str
    command: list[str]
    """argv after $(VAR) expansion (and the termination-message path rewrite)."""
    env: dict[str, str]
    """The container's own environment (envFrom + env, resolved), not os.environ."""
    stdout: Path
    stderr: Path
    log: Path
    """stdout and stderr interleaved, as `kubectl logs` would show them."""
    termination_message_path: Path
    pid: int | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    exit_code: int | None = None
    reason: str | None = None
    """Completed, Error, StartError or ContainerStatusUnknown (never started)."""
    termination_message: str | None = None
    killed: str | None = None
    """Why the kubelet killed it, if it did: PodDeleted, DeadlineExceeded (the Pod's own), Stopped."""

    @property
    def running(self) -> bool:
        return self.pid is not None and self.exit_code is None


class _Stopped(Exception):
    """The kubelet is stopping: a worker exits without writing anything more."""


class _JobGone(Exception):
    """The Job was deleted (or replaced by another of the same name)."""


class _ConfigError(Exception):
    """CreateContainerConfigError: a Secret, ConfigMap or key the container needs is missing."""


# --- live processes are killed at interpreter exit, whatever happened ----------------------------

_LIVE: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()


def _kill_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_LIVE):
        _kill_group(process, signal.SIGKILL)


# --- the kubelet --------------------------------------------------------------------------------


class TestKubelet:
    """The kubelet, Job controller and garbage collector of one namespace (see the module doc).

    api_client: used for its configuration only (the kubelet makes its own connection pool).
    env: added to os.environ for every process (before the container's own env).
    cwd: the processes' working directory (default: the current one).
    label_selector: only Jobs matching it are run and collected.
    log_dir: where each attempt's logs and termination-log go (default: a new temp dir, kept).
    env_overrides: applied after the container's env (e.g. to redirect a path the Job sets).
    max_grace_seconds: cap on terminationGracePeriodSeconds between SIGTERM and SIGKILL.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        api_client: ApiClient,
        namespace: str,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        label_selector: str | None = None,
        log_dir: Path | None = None,
        env_overrides: Mapping[str, str] | None = None,
        node_name: str = NODE_NAME,
        max_grace_seconds: float = 5.0,
    ) -> None:
        self.namespace = namespace
        self.env = dict(env or {})
        self.env_overrides = dict(env_overrides or {})
        self.cwd = cwd
        self.label_selector = label_selector
        self.node_name = node_name
        self.max_grace_seconds = max_grace_seconds
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="test-kubelet-"))
        self.runs: list[ContainerRun] = []
        self.errors: list[str] = []
        self._api = ApiClient(configuration=api_client.configuration)
        self.core = CoreV1Api(self._api)
        self.batch = BatchV1Api(self._api)
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._started = False
        self._stopped = False
        self._workers: dict[str, _JobWorker] = {}
        self._handled_jobs: set[str] = set()
        self._known_jobs: dict[str, dict[str, Any]] = {}
        self._gc_started: set[tuple[str, str]] = set()
        self._pods: dict[str, _PodRuntime] = {}
        self._deleting_pods: dict[str, float | None] = {}
        self._threads: list[threading.Thread] = []
        self._responses: set[Any] = set()
        self._next_ip = 0

    # -- lifecycle --

    def start(self, timeout: float = 30.0) -> Self:
        """Starts watching Jobs and Pods; returns once both initial lists are done."""
        if self._started:
            raise RuntimeError("TestKubelet.start() called twice")
        self._started = True
        self.log_dir.mkdir(parents=True, exist_ok=True)
        pod_selector = "batch.kubernetes.io/controller-uid"
        synced = [threading.Event(), threading.Event()]
        self._spawn(
            "watch-jobs",
            self._watch_loop,
            self.batch.list_namespaced_job,
            self.label_selector,
            self._on_job,
            self._on_job_list,
            synced[0],
        )
        self._spawn(
            "watch-pods",
            self._watch_loop,
            self.core.list_namespaced_pod,
            pod_selector,
            self._on_pod,
            self._on_pod_list,
            synced[1],
        )
        deadline = time.monotonic() + timeout
        for event in synced:
            if not event.wait(max(0.0, deadline - time.monotonic())):
                self.stop()
                raise RuntimeError(
                    f"TestKubelet: no initial list after {timeout:.0f} s: {self.errors}"
                )
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stops watching, kills every running process (SIGTERM, then SIGKILL after 1 s) and joins
        the threads. Nothing more is written to the API. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        with self._lock:
            responses = list(self._responses)
            runtimes = list(self._pods.values())
        for response in responses:
            _shutdown(response)
        for runtime in runtimes:
            runtime.kill(grace=1.0, reason="Stopped")
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                threads = [t for t in self._threads if t.is_alive()]
                threads += [w.thread for w in self._workers.values() if w.thread.is_alive()]
            if not threads:
                break
            if time.monotonic() > deadline:
                self._error(f"threads still running after stop(): {[t.name for t in threads]}")
                break
            threads[0].join(max(0.0, deadline - time.monotonic()))
        self._api.close()  # type: ignore[no-untyped-call]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Waits until no Job is being worked on and no garbage collection is running."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                busy = [w.name for w in self._workers.values()]
                busy += [t.name for t in self._threads if t.name.startswith("gc") and t.is_alive()]
            if not busy:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"TestKubelet still busy after {timeout:.0f} s: {busy}")
            time.sleep(_POLL)

    def wait_for_job(self, name: str, timeout: float = 60.0) -> dict[str, Any]:
        """wait_for_job() in this kubelet's namespace, failing fast on a kubelet error."""
        return wait_for_job(self._api, self.namespace, name, timeout, kubelet=self)

    def runs_of(self, job: str) -> list[ContainerRun]:
        with self._lock:
            return [run for run in self.runs if run.job == job]

    # -- plumbing --

    def _error(self, message: str, exc: BaseException | None = None) -> None:
        if exc is not None:
            detail = "".join(traceback.format_exception(exc)).rstrip()
            message = f"{message}: {exc!r}\n{detail}"
        log.error("test-kubelet: %s", message)
        with self._lock:
            self.errors.append(message)

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> threading.Thread:
        def guarded() -> None:
            try:
                target(*args)
            except _Stopped:
                pass
            except Exception as exc:
                self._error(f"thread {name} crashed", exc)

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        with self._lock:  # started under the lock: stop() and wait_idle() never miss it
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            thread.start()
        return thread

    def _allocate_pod_ip(self) -> str:
        with self._lock:
            self._next_ip += 1
            number = self._next_ip
        return f"10.244.{number // 250}.{number % 250 + 2}"

    # -- watching --

    def _watch_loop(
        self,
        list_fn: Callable[..., Any],
        selector: str | None,
        on_event: Callable[[str, dict[str, Any]], None],
        on_list: Callable[[list[dict[str, Any]]], None],
        synced: threading.Event,
    ) -> None:
        version: str | None = None
        while not self._stopping.is_set():
            try:
                if version is None:
                    listing = _json(
                        list_fn(self.namespace, label_selector=selector, _preload_content=False)
                    )
                    version = str(listing["metadata"]["resourceVersion"])
                    self._dispatch(on_list, listing.get("items") or [])
                    synced.set()
                version = self._watch_once(list_fn, selector, version, on_event)
            except ApiException as exc:
                if exc.status == 410:
                    version = None
                elif not self._stopping.is_set():
                    self._error(f"watch {_name(list_fn)}: {_api_message(exc)}")
                    self._stopping.wait(0.5)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if not self._stopping.is_set():  # a dropped stream: resume from `version`
                    log.debug("test-kubelet: watch %s dropped: %r", _name(list_fn), exc)
                    self._stopping.wait(0.1)

    def _watch_once(
        self,
        list_fn: Callable[..., Any],
        selector: str | None,
        version: str,
        on_event: Callable[[str, dict[str, Any]], None],
    ) -> str | None:
        """One watch request from `version`; returns the version to resume from (None: relist)."""
        response = list_fn(
            self.namespace,
            label_selector=selector,
            watch=True,
            resource_version=version,
            allow_watch_bookmarks=True,
            timeout_seconds=_WATCH_SECONDS,
            _preload_content=False,
            _request_timeout=(10, _WATCH_SECONDS + 30),
        )
        with self._lock:
            self._responses.add(response)
        try:
            if self._stopping.is_set():
                return version
            for line in iter_resp_lines(response):
                if self._stopping.is_set():
                    break
                if not line:
                    continue
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        return None
                    raise ApiException(status=obj.get("code"), reason=obj.get("message"))
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    self._dispatch(on_event, kind, obj)
            return version
        finally:
            with self._lock:
                self._responses.discard(response)
            response.close()
            response.release_conn()

    def _dispatch(self, handler: Callable[..., None], *args: Any) -> None:
        try:
            handler(*args)
        except Exception as exc:
            self._error(f"handling {getattr(handler, '__name__', handler)}", exc)

    def _on_job_list(self, jobs: list[dict[str, Any]]) -> None:
        present = {job["metadata"]["uid"] for job in jobs}
        with self._lock:
            vanished = [job for uid, job in self._known_jobs.items() if uid not in present]
        for job in vanished:
            self._on_job("DELETED", job)
        for job in jobs:
            self._on_job("ADDED", job)

    def _on_job(self, kind: str, job: dict[str, Any]) -> None:
        meta = job["metadata"]
        uid = meta["uid"]
        if kind == "DELETED":
            with self._lock:
                self._known_jobs.pop(uid, None)
            self._collect(job, "Background")
            return
        with self._lock:
            self._known_jobs[uid] = job
        if meta.get("deletionTimestamp"):
            finalizers = meta.get("finalizers") or []
            if "orphan" in finalizers:
                self._collect(job, "Orphan")
            elif "foregroundDeletion" in finalizers:
                self._collect(job, "Foreground")
            return
        managed_by = (job.get("spec") or {}).get("managedBy")
        if _finished(job) or job["spec"].get("suspend") or managed_by not in (None, JOB_CONTROLLER):
            return
        with self._lock:
            if uid in self._handled_jobs or self._stopping.is_set():
                return
            self._handled_jobs.add(uid)
            worker = _JobWorker(self, job)
            self._workers[uid] = worker
            worker.thread.start()

    def _on_pod_list(self, pods: list[dict[str, Any]]) -> None:
        for pod in pods:
            self._on_pod("ADDED", pod)

    def _on_pod(self, kind: str, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        if kind == "DELETED" or meta.get("deletionTimestamp"):
            self._mark_deleting(meta["uid"], meta.get("deletionGracePeriodSeconds"))

    def _mark_deleting(self, pod_uid: str, grace: float | None) -> None:
        with self._lock:
            self._deleting_pods.setdefault(pod_uid, grace)

    def _deletion_grace(self, pod_uid: str) -> float | None:
        with self._lock:
            return self._deleting_pods.get(pod_uid)

    def _is_deleting(self, pod_uid: str) -> bool:
        with self._lock:
            return pod_uid in self._deleting_pods

    # -- garbage collector --

    def _collect(self, job: dict[str, Any], policy: str) -> None:
        key = (job["metadata"]["uid"], policy)
        with self._lock:
            if key in self._gc_started or self._stopping.is_set():
                return
            self._gc_started.add(key)
        self._spawn(f"gc-{policy.lower()}-{job['metadata']['name']}", self._gc, job, policy)

    def _owned_pods(self, job_uid: str) -> list[dict[str, Any]]:
        listing = _json(
            self.core.list_namespaced_pod(
                self.namespace,
                label_selector=f"batch.kubernetes.io/controller-uid={job_uid}",
                _preload_content=False,
            )
        )
        return [
            pod
            for pod in listing.get("items") or []
            if any(
                ref.get("uid") == job_uid for ref in pod["metadata"].get("ownerReferences") or []
            )
        ]

    def _gc(self, job: dict[str, Any], policy: str) -> None:
        """What the garbage collector (and the Job controller's finalizer clean-up) do when a Job is
        deleted with `policy` (Background also covers a Job already gone)."""
        job_uid, job_name = job["metadata"]["uid"], job["metadata"]["name"]
        pods = self._owned_pods(job_uid)
        with self._lock:
            live = set(self._pods)
        for pod in pods:
            if pod["metadata"]["uid"] not in live:  # a live Pod's worker removes it itself
                self._remove_tracking_finalizer(pod["metadata"]["name"])
        if policy == "Orphan":
            for pod in pods:
                self._remove_tracking_finalizer(pod["metadata"]["name"])
                patch = {
                    "metadata": {
                        "uid": pod["metadata"]["uid"],
                        "ownerReferences": [{"$patch": "delete", "uid": job_uid}],
                    }
                }
                self._patch_pod(pod["metadata"]["name"], patch)
                with self._lock:
                    runtime = self._pods.get(pod["metadata"]["uid"])
                if runtime is not None:
                    runtime.worker.orphaned = True
            self._remove_job_finalizer(job_name, job_uid, "orphan")
            return
        for pod in pods:
            meta = pod["metadata"]
            if not meta.get("deletionTimestamp"):
                self._delete_pod(meta["name"], meta["uid"])
        if policy == "Foreground":
            deadline = time.monotonic() + self.max_grace_seconds + 30
            while self._owned_pods(job_uid):
                if time.monotonic() > deadline:
                    self._error(f"gc: Pods of Job {job_name} still present; finalizer kept")
                    return
                if self._stopping.wait(0.1):
                    return
            self._remove_job_finalizer(job_name, job_uid, "foregroundDeletion")

    # -- API writes shared by the roles --

    def _delete_pod(self, name: str, uid: str, grace: int | None = None) -> None:
        body: dict[str, Any] = {"preconditions": {"uid": uid}}
        if grace is not None:
            body["gracePeriodSeconds"] = grace
        try:
            deleted = _json(
                self.core.delete_namespaced_pod(
                    name, self.namespace, body=body, _preload_content=False
                )
            )
        except ApiException as exc:
            if exc.status not in (404, 409):
                self._error(f"deleting Pod {name}: {_api_message(exc)}")
            self._mark_deleting(uid, 0)
            return
        meta = deleted.get("metadata") or {}
        self._mark_deleting(uid, meta.get("deletionGracePeriodSeconds", 0))

    def _patch_pod(self, name: str, patch: dict[str, Any]) -> None:
        try:
            self.core.patch_namespaced_pod(
                name,
                self.namespace,
                patch,
                _content_type="application/strategic-merge-patch+json",
                _preload_content=False,
            )
        except ApiException as exc:
            if exc.status != 404:
                self._error(f"patching Pod {name} with {patch}: {_api_message(exc)}")

    def _remove_tracking_finalizer(self, pod_name: str) -> None:
        """The Job controller's removeTrackingFinalizerPatch."""
        patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING_FINALIZER]}}
        self._patch_pod(pod_name, patch)

    def _remove_job_finalizer(self, name: str, uid: str, finalizer: str) -> None:
        patch = {"metadata": {"uid": uid, "$deleteFromPrimitiveList/finalizers": [finalizer]}}
        try:
            self.batch.patch_namespaced_job(
                name,
                self.namespace,
                patch,
                _content_type="application/strategic-merge-patch+json",
                _preload_content=False,
            )
        except ApiException as exc:
            if exc.status not in (404, 409):
                self._error(f"removing finalizer {finalizer} of Job {name}: {_api_message(exc)}")

    def _event(
        self,
        obj: Mapping[str, Any],
        kind: str,
        event_type: str,
        reason: str,
        message: str,
        *,
        kubelet: bool = False,
        field_path: str | None = None,
    ) -> None:
        """A core/v1 Event like the legacy recorders of job-controller and kubelet write."""
        meta = obj["metadata"]
        now = _ts(_now())
        involved: dict[str, Any] = {
            "apiVersion": "batch/v1" if kind == "Job" else "v1",
            "kind": kind,
            "namespace": self.namespace,
            "name": meta["name"],
            "uid": meta["uid"],
            "resourceVersion": meta.get("resourceVersion"),
        }
        if field_path:
            involved["fieldPath"] = field_path
        component = "kubelet" if kubelet else "job-controller"
        source = (
            {"component": component, "host": self.node_name}
            if kubelet
            else {"component": component}
        )
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{time.time_ns():x}", "namespace": self.namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "reportingComponent": component,
            "reportingInstance": self.node_name if kubelet else "",
        }
        try:
            self.core.create_namespaced_event(self.namespace, body, _preload_content=False)
        except ApiException as exc:
            self._error(f"event {reason} for {kind} {meta['name']}: {_api_message(exc)}")

    # -- the container's environment (kubelet_pods.go makeEnvironmentVariables) --

    def _read_data(self, kind: str, name: str, optional: bool) -> dict[str, str] | None:
        try:
            if kind == "Secret":
                obj = _json(
                    self.core.read_namespaced_secret(name, self.namespace, _preload_content=False)
                )
                return {
                    key: base64.b64decode(value).decode("utf-8", "replace")
                    for key, value in (obj.get("data") or {}).items()
                }
            obj = _json(
                self.core.read_namespaced_config_map(name, self.namespace, _preload_content=False)
            )
            return dict(obj.get("data") or {})
        except ApiException as exc:
            if exc.status != 404:
                raise
            if optional:
                return None
            raise _ConfigError(f'{kind.lower()} "{name}" not found') from None

    def _key_ref(self, kind: str, ref: Mapping[str, Any]) -> str | None:
        optional = bool(ref.get("optional"))
        data = self._read_data(kind, ref["name"], optional)
        if data is None:
            return None
        if ref["key"] not in data:
            if optional:
                return None
            raise _ConfigError(
                f"couldn't find key {ref['key']} in {kind} {self.namespace}/{ref['name']}"
            )
        return data[ref["key"]]

    def container_env(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], pod_ip: str
    ) -> dict[str, str]:
        """envFrom then env, resolved as the kubelet does. Raises _ConfigError."""
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            prefix = source.get("prefix") or ""
            for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                ref = source.get(key)
                if ref:
                    data = self._read_data(kind, ref["name"], bool(ref.get("optional")))
                    env.update({prefix + k: v for k, v in (data or {}).items()})
        for var in container.get("env") or []:
            source = var.get("valueFrom")
            if not source:
                env[var["name"]] = expand(var.get("value") or "", env)
                continue
            value: str | None
            if "fieldRef" in source:
                value = self._field_ref(pod, source["fieldRef"]["fieldPath"], pod_ip)
            elif "secretKeyRef" in source:
                value = self._key_ref("Secret", source["secretKeyRef"])
            elif "configMapKeyRef" in source:
                value = self._key_ref("ConfigMap", source["configMapKeyRef"])
            else:
                self._error(f"env {var['name']}: unsupported valueFrom {source}")
                value = None
            if value is not None:
                env[var["name"]] = value
        return env

    def _field_ref(self, pod: Mapping[str, Any], path: str, pod_ip: str) -> str:
        meta, spec = pod["metadata"], pod["spec"]
        simple = {
            "metadata.name": meta["name"],
            "metadata.namespace": meta["namespace"],
            "metadata.uid": meta["uid"],
            "spec.nodeName": self.node_name,
            "spec.serviceAccountName": spec.get("serviceAccountName") or "",
            "status.hostIP": "127.0.0.1",
            "status.hostIPs": "127.0.0.1",
            "status.podIP": pod_ip,
            "status.podIPs": pod_ip,
        }
        if path in simple:
            return str(simple[path])
        match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
        if match:
            return str((meta.get(match[1]) or {}).get(match[2], ""))
        if path in ("metadata.labels", "metadata.annotations"):
            items = sorted((meta.get(path.split(".")[1]) or {}).items())
            return "\n".join(f"{k}={json.dumps(v)}" for k, v in items)
        raise _ConfigError(f"unsupported fieldPath {path!r}")


def _name(function: Any) -> str:
    return str(getattr(function, "__name__", function))


def _shutdown(response: Any) -> None:
    """Unblocks a thread reading a watch stream (as kubernetes.watch.Watch.stop does)."""
    with contextlib.suppress(Exception):
        sock = getattr(getattr(response, "connection", None), "sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)


def _unsupported(job: Mapping[str, Any]) -> str | None:
    spec = job["spec"]
    pod_spec = spec["template"]["spec"]
    if spec.get("completionMode", "NonIndexed") != "NonIndexed":
        return f"completionMode {spec['completionMode']}"
    if pod_spec.get("restartPolicy") != "Never":
        return f"restartPolicy {pod_spec.get('restartPolicy')}"
    if pod_spec.get("initContainers"):
        return "initContainers"
    if len(pod_spec.get("containers") or []) != 1:
        return f"{len(pod_spec.get('containers') or [])} containers (exactly one is supported)"
    return None


def match_pod_failure_policy(
    policy: Mapping[str, Any] | None, pod: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """The first rule of `policy` matching the failed `pod`: (action, message), as the Job
    controller's matchPodFailurePolicy (exit code 0 never matches onExitCodes)."""
    if not policy:
        return None, None
    meta, status = pod["metadata"], pod.get("status") or {}
    where = f"{meta['namespace']}/{meta['name']}"
    statuses = list(status.get("initContainerStatuses") or []) + list(
        status.get("containerStatuses") or []
    )
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule["action"]
        on_exit = rule.get("onExitCodes")
        if on_exit:
            for container in statuses:
                terminated = (container.get("state") or {}).get("terminated")
                if not terminated or terminated.get("exitCode", 0) == 0:
                    continue
                if on_exit.get("containerName") not in (None, container["name"]):
                    continue
                code = terminated["exitCode"]
                if (code in on_exit.get("values") or []) == (on_exit.get("operator") == "In"):
                    return action, (
                        f"Container {container['name']} for pod {where} failed with exit code "
                        f"{code} matching {action} rule at index {index}"
                    )
        for pattern in rule.get("onPodConditions") or []:
            for condition in status.get("conditions") or []:
                if condition.get("type") == pattern.get("type") and condition.get(
                    "status"
                ) == pattern.get("status", "True"):
                    return action, (
                        f"Pod {where} has condition {pattern['type']} matching {action} rule at "
                        f"index {index}"
                    )
    return None, None


# --- the kubelet's side of one Pod --------------------------------------------------------------


class _PodRuntime:
    """One Pod on this node: its only container as a local process, and the status it reports."""

    def __init__(self, kubelet: TestKubelet, worker: _JobWorker, pod: dict[str, Any]) -> None:
        self.kubelet = kubelet
        self.worker = worker
        self.pod = pod
        self.name: str = pod["metadata"]["name"]
        self.uid: str = pod["metadata"]["uid"]
        self.spec: dict[str, Any] = pod["spec"]
        self.container: dict[str, Any] = pod["spec"]["containers"][0]
        self.generation = pod["metadata"].get("generation", 1)
        self.pod_ip = kubelet._allocate_pod_ip()
        self.image = _normalise_image(self.container.get("image") or "")
        digest = hashlib.sha256(self.image.encode()).hexdigest()
        self.image_id = f"{self.image.rsplit(':', 1)[0]}@sha256:{digest}"
        self.container_id = f"containerd://{secrets.token_hex(32)}"
        self.directory = kubelet.log_dir / self.name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.started = _now()
        self.process: subprocess.Popen[bytes] | None = None
        self.readers: list[threading.Thread] = []
        self.run: ContainerRun | None = None
        self.start_error: str | None = None
        self.status: dict[str, Any] = {}
        self._combined: IO[bytes] | None = None
        self._conditions: dict[str, dict[str, Any]] = {}
        self._kill_lock = threading.Lock()

    # -- status --

    def _condition(self, kind: str, status: str, reason: str | None = None, msg: str = "") -> None:
        old = self._conditions.get(kind)
        since = old["lastTransitionTime"] if old and old["status"] == status else _ts(_now())
        condition: dict[str, Any] = {
            "type": kind,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": since,
            "observedGeneration": self.generation,
        }
        if reason:
            condition["reason"] = reason
        if msg:
            condition["message"] = msg
        self._conditions[kind] = condition

    def _write_status(self, phase: str, container_status: dict[str, Any], **extra: Any) -> None:
        base = {
            "name": self.container["name"],
            "image": self.image,
            "imageID": self.image_id if self.process is not None else "",
            "restartCount": 0,
            "lastState": {},
        }
        if self.process is not None or self.start_error:
            base["containerID"] = self.container_id
        self.status = {
            "observedGeneration": self.generation,
            "phase": phase,
            "conditions": [self._conditions[k] for k in _POD_CONDITIONS if k in self._conditions],
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": self.pod_ip,
            "podIPs": [{"ip": self.pod_ip}],
            "startTime": _ts(self.started),
            "containerStatuses": [base | container_status],
            **extra,
        }
        try:
            self.kubelet.core.patch_namespaced_pod_status(
                self.name,
                self.kubelet.namespace,
                {"status": self.status},
                _content_type="application/merge-patch+json",
                _preload_content=False,
            )
        except ApiException as exc:
            if exc.status != 404:  # a Pod already gone has no status to write
                self.kubelet._error(f"Pod {self.name} status {phase}: {_api_message(exc)}")

    def _waiting(self, reason: str, message: str = "") -> None:
        unready = f"containers with unready status: [{self.container['name']}]"
        self._condition("PodReadyToStartContainers", "True")
        self._condition("Initialized", "True")
        self._condition("Ready", "False", "ContainersNotReady", unready)
        self._condition("ContainersReady", "False", "ContainersNotReady", unready)
        self._condition("PodScheduled", "True")
        waiting = {"reason": reason} | ({"message": message} if message else {})
        self._write_status(
            "Pending", {"ready": False, "started": False, "state": {"waiting": waiting}}
        )

    def _event(self, event_type: str, reason: str, message: str) -> None:
        self.kubelet._event(
            self.pod,
            "Pod",
            event_type,
            reason,
            message,
            kubelet=True,
            field_path=f"spec.containers{{{self.container['name']}}}",
        )

    # -- running --

    def interrupted(self) -> str | None:
        """Why the container must stop now, if it must: PodDeleted, JobDeadline or PodDeadline."""
        if self.kubelet._stopping.is_set():
            self.kill(grace=1.0, reason="Stopped")
            raise _Stopped
        if self.kubelet._is_deleting(self.uid):
            return "PodDeleted"
        now = time.time()
        if (
            self.worker.deadline is not None
            and not self.worker.orphaned
            and now >= self.worker.deadline
        ):
            return "JobDeadline"
        pod_deadline = self.spec.get("activeDeadlineSeconds")
        if pod_deadline is not None and now >= self.started.timestamp() + pod_deadline:
            return "PodDeadline"
        return None

    def start(self) -> str | None:
        """Pending, then the process started and Running. Returns why it did not start, if it was
        interrupted while waiting for its configuration."""
        self._waiting("ContainerCreating")
        env: dict[str, str] | None = None
        reported: str | None = None
        while env is None:
            try:
                env = self.kubelet.container_env(self.pod, self.container, self.pod_ip)
            except _ConfigError as exc:
                if str(exc) != reported:
                    reported = str(exc)
                    self._waiting("CreateContainerConfigError", reported)
                    self._event("Warning", "Failed", f"Error: {reported}")
                deadline = time.monotonic() + _CONFIG_RETRY_SECONDS
                while time.monotonic() < deadline:
                    reason = self.interrupted()
                    if reason:
                        return reason
                    time.sleep(_POLL)
        self._spawn(env)
        return None

    def _spawn(self, container_env: dict[str, str]) -> None:
        kubelet, container = self.kubelet, self.container
        declared = container.get("terminationMessagePath") or DEFAULT_TERMINATION_MESSAGE_PATH
        term_file = self.directory / "termination-log"
        term_file.unlink(missing_ok=True)

        def mapped(value: str) -> str:
            if value == declared:
                return str(term_file)
            if value.endswith(f"={declared}"):
                return value[: -len(declared)] + str(term_file)
            return value

        container_env = {k: mapped(v) for k, v in container_env.items()}
        argv = [
            mapped(expand(part, container_env))
            for part in [*(container.get("command") or []), *(container.get("args") or [])]
        ]
        process_env = {**os.environ, **kubelet.env, "HOSTNAME": self.name, **container_env}
        process_env.update(kubelet.env_overrides)
        process_env[TERMINATION_MESSAGE_ENV] = str(term_file)
        self.run = ContainerRun(
            job=self.worker.name,
            pod=self.name,
            pod_uid=self.uid,
            container=container["name"],
            command=argv,
            env=container_env,
            stdout=self.directory / "stdout.log",
            stderr=self.directory / "stderr.log",
            log=self.directory / "container.log",
            termination_message_path=term_file,
        )
        with kubelet._lock:
            kubelet.runs.append(self.run)
        policy = container.get("imagePullPolicy")
        pulled = f'Container image "{container.get("image")}" already present on machine'
        if policy == "Always":
            self._event("Normal", "Pulling", f'Pulling image "{container.get("image")}"')
            pulled = (
                f'Successfully pulled image "{container.get("image")}" in 0s (0s including waiting)'
            )
        self._event("Normal", "Pulled", pulled)
        self._event("Normal", "Created", f"Created container: {container['name']}")
        self.run.started_at = _now()
        if not argv:
            self.start_error = "no command: the test kubelet cannot run an image's entrypoint"
        else:
            try:
                self.process = subprocess.Popen(
                    argv,
                    cwd=kubelet.cwd,
                    env=process_env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
            except OSError as exc:
                self.start_error = (
                    "failed to create containerd task: failed to start container process: "
                    f'exec: "{argv[0]}": {exc.strerror}'
                )
        if self.process is None:
            self.run.exit_code = 128
            self.run.reason = "StartError"
            self._event("Warning", "Failed", f"Error: {self.start_error}")
            return
        _LIVE.add(self.process)
        self.run.pid = self.process.pid
        combined = self.run.log.open("ab")
        lock = threading.Lock()
        assert self.process.stdout is not None and self.process.stderr is not None
        for stream, path in (
            (self.process.stdout, self.run.stdout),
            (self.process.stderr, self.run.stderr),
        ):
            reader = threading.Thread(
                target=_pump,
                args=(stream, path, combined, lock),
                name=f"log-{self.name}-{path.stem}",
                daemon=True,
            )
            reader.start()
            self.readers.append(reader)
        self._combined = combined
        self._event("Normal", "Started", f"Started container {container['name']}")
        self._condition("Ready", "True")
        self._condition("ContainersReady", "True")
        self._write_status(
            "Running",
            {
                "ready": True,
                "started": True,
                "state": {"running": {"startedAt": _ts(self.run.started_at)}},
            },
        )

    def wait(self) -> str:
        """Until the process exits (Exited) or must be stopped (see interrupted())."""
        if self.process is None:
            return "Exited"
        while self.process.poll() is None:
            reason = self.interrupted()
            if reason:
                return reason
            time.sleep(_POLL)
        return "Exited"

    def kill(self, grace: float | None, reason: str) -> None:
        """SIGTERM to the process group, SIGKILL after `grace` s (capped by max_grace_seconds)."""
        with self._kill_lock:
            process = self.process
            if process is None or process.poll() is not None:
                return
            if self.run is not None and self.run.killed is None:
                self.run.killed = reason
            if reason != "Stopped":
                self._event("Normal", "Killing", f"Stopping container {self.container['name']}")
            grace = self.spec.get("terminationGracePeriodSeconds", 30) if grace is None else grace
            _kill_group(process, signal.SIGTERM)
            try:
                process.wait(min(float(grace), self.kubelet.max_grace_seconds))
            except subprocess.TimeoutExpired:
                _kill_group(process, signal.SIGKILL)
                process.wait(10)

    def deletion_grace(self) -> float | None:
        return self.kubelet._deletion_grace(self.uid)

    def finish(self, *, reason: str | None = None, message: str | None = None) -> dict[str, Any]:
        """Writes the terminal status (Succeeded or Failed) and completes the run record. `reason`
        and `message` are the Pod's own (e.g. DeadlineExceeded)."""
        run = self.run
        finished = _now()
        self.reap()
        if run is None or (self.process is None and not self.start_error):  # never started
            terminated: dict[str, Any] = {
                "exitCode": 137,
                "reason": "ContainerStatusUnknown",
                "message": UNKNOWN_CONTAINER_MESSAGE,
                "startedAt": None,
                "finishedAt": _ts(finished),
            }
        else:
            assert run.started_at is not None
            if self.process is not None:
                run.exit_code = _exit_code(self.process.returncode)
                run.reason = "Completed" if run.exit_code == 0 else "Error"
                run.termination_message = self._termination_message(run)
            else:
                run.termination_message = self.start_error or ""
            run.finished_at = finished
            terminated = {
                "exitCode": run.exit_code,
                "reason": run.reason,
                "startedAt": _ts(run.started_at),
                "finishedAt": _ts(finished),
                "containerID": self.container_id,
            }
            if run.termination_message:
                terminated["message"] = run.termination_message
        succeeded = terminated["exitCode"] == 0 and reason is None
        phase = "Succeeded" if succeeded else "Failed"
        done = "PodCompleted" if succeeded else "PodFailed"
        self._condition("PodReadyToStartContainers", "False")
        self._condition("Initialized", "True", "PodCompleted" if succeeded else None)
        self._condition("Ready", "False", done)
        self._condition("ContainersReady", "False", done)
        extra = {"reason": reason, "message": message} if reason else {}
        state = {"ready": False, "started": False, "state": {"terminated": terminated}}
        self._write_status(phase, state, **extra)
        with self.kubelet._lock:
            self.kubelet._pods.pop(self.uid, None)
        return {"metadata": self.pod["metadata"], "status": self.status}

    def reap(self) -> None:
        """Kills what is left of the container (its whole process group, as a runtime does when
        PID 1 exits) and closes its logs. Idempotent."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.kill(grace=0, reason="Stopped")
        _kill_group(self.process, signal.SIGKILL)
        for reader in self.readers:
            reader.join(5)
        if self._combined is not None:
            self._combined.close()
        _LIVE.discard(self.process)

    def _termination_message(self, run: ContainerRun) -> str:
        """kuberuntime's getTerminationMessage + readLastStringFromContainerLogs."""
        data = _read_tail(run.termination_message_path, MAX_TERMINATION_MESSAGE_BYTES)
        fallback = (
            self.container.get("terminationMessagePolicy") == "FallbackToLogsOnError"
            and run.exit_code != 0
        )
        if not data and fallback:
            data = _tail_lines(
                run.log.read_bytes() if run.log.exists() else b"",
                MAX_TERMINATION_MESSAGE_LOG_LINES,
                MAX_TERMINATION_MESSAGE_LOG_BYTES,
            )
        return data.decode("utf-8", "replace")

    def delete_now(self) -> None:
        """The kubelet's final DELETE (grace period 0) of a Pod being deleted, once terminated."""
        self.kubelet._delete_pod(self.name, self.uid, grace=0)


def _pump(stream: IO[bytes], path: Path, combined: IO[bytes], lock: threading.Lock) -> None:
    with stream, path.open("ab") as own:
        for chunk in iter(stream.readline, b""):
            own.write(chunk)
            own.flush()
            with lock:
                combined.write(chunk)
                combined.flush()


# --- the Job controller's side of one Job -------------------------------------------------------


class _JobWorker:
    """The Job controller for one Job: its Pods one after the other, and the Job's status."""

    def __init__(self, kubelet: TestKubelet, job: dict[str, Any]) -> None:
        self.kubelet = kubelet
        self.name: str = job["metadata"]["name"]
        self.uid: str = job["metadata"]["uid"]
        self.job = job
        self.spec: dict[str, Any] = job["spec"]
        self.status: dict[str, Any] = {}
        self.deadline: float | None = None
        self.orphaned = False
        self.thread = threading.Thread(target=self._main, name=f"job-{self.name}", daemon=True)

    def _main(self) -> None:
        try:
            self._run()
        except (_Stopped, _JobGone):
            pass
        except Exception as exc:
            self.kubelet._error(f"Job {self.name}", exc)
        finally:
            with self.kubelet._lock:
                self.kubelet._workers.pop(self.uid, None)

    # -- API --

    def _get(self) -> dict[str, Any]:
        if self.kubelet._stopping.is_set():
            raise _Stopped
        try:
            job = _json(
                self.kubelet.batch.read_namespaced_job(
                    self.name, self.kubelet.namespace, _preload_content=False
                )
            )
        except ApiException as exc:
            if exc.status == 404:
                raise _JobGone from None
            raise
        if job["metadata"]["uid"] != self.uid:
            raise _JobGone
        self.job = job
        return job

    def _write(self) -> None:
        """PUT the controller's view of the status (status subresource, optimistic locking)."""
        for _ in range(20):
            if self.kubelet._stopping.is_set():
                raise _Stopped
            body = dict(self.job, status=copy.deepcopy(self.status))
            try:
                self.job = _json(
                    self.kubelet.batch.replace_namespaced_job_status(
                        self.name, self.kubelet.namespace, body, _preload_content=False
                    )
                )
                return
            except ApiException as exc:
                if exc.status == 409:
                    self._get()
                    continue
                if exc.status == 404:
                    raise _JobGone from None
                raise RuntimeError(
                    f"kube-apiserver rejected the status of Job {self.name}: {_api_message(exc)}\n"
                    f"status sent: {json.dumps(self.status, sort_keys=True)}"
                ) from None
        raise RuntimeError(f"Job {self.name}: status update conflicted 20 times")

    def _condition(self, kind: str, reason: str, message: str) -> dict[str, Any]:
        now = _ts(_now())
        condition = {
            "type": kind,
            "status": "True",
            "lastProbeTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }
        self.status.setdefault("conditions", []).append(condition)
        return condition

    def _event(self, event_type: str, reason: str, message: str) -> None:
        self.kubelet._event(self.job, "Job", event_type, reason, message)

    # -- the sync loop --

    def _run(self) -> None:
        job = self._get()
        problem = _unsupported(job)
        if problem:
            self.kubelet._error(f"Job {self.name} not run: unsupported {problem}")
            return
        self.status = copy.deepcopy(job.get("status") or {})
        self.status.setdefault("uncountedTerminatedPods", {})
        self.status.setdefault("startTime", _ts(_now()))
        deadline_seconds = self.spec.get("activeDeadlineSeconds")
        if deadline_seconds is not None:
            self.deadline = _parse_ts(self.status["startTime"]).timestamp() + deadline_seconds
        while True:
            job = self._get()
            if job["metadata"].get("deletionTimestamp"):
                return  # no new Pods for a Job being deleted
            if self.deadline is not None and time.time() >= self.deadline:
                self._fail_now(DEADLINE_REASON, DEADLINE_MESSAGE)
                return
            pod = self._create_pod(job)
            self.status.update(active=1, ready=0, terminating=0)
            try:
                self._write()
            except _JobGone:  # deleted meanwhile, maybe before the GC could see this Pod
                meta = pod["metadata"]
                self.kubelet._remove_tracking_finalizer(meta["name"])
                self.kubelet._delete_pod(meta["name"], meta["uid"], grace=0)
                raise
            self._event("Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
            if self._attempt(pod) == "done":
                return

    def _create_pod(self, job: dict[str, Any]) -> dict[str, Any]:
        template = job["spec"]["template"]
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        for key, value in (
            ("batch.kubernetes.io/controller-uid", self.uid),
            ("batch.kubernetes.io/job-name", self.name),
            ("controller-uid", self.uid),
            ("job-name", self.name),
        ):
            labels.setdefault(key, value)
        metadata: dict[str, Any] = {
            "generateName": f"{self.name}-",
            "namespace": self.kubelet.namespace,
            "labels": labels,
            "finalizers": [TRACKING_FINALIZER],
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "name": self.name,
                    "uid": self.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        }
        annotations = (template.get("metadata") or {}).get("annotations")
        if annotations:
            metadata["annotations"] = dict(annotations)
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": metadata,
            "spec": dict(copy.deepcopy(template["spec"]), nodeName=self.kubelet.node_name),
        }
        return _json(
            self.kubelet.core.create_namespaced_pod(
                self.kubelet.namespace, body, _preload_content=False
            )
        )

    def _attempt(self, pod: dict[str, Any]) -> str:
        """One Pod from start to accounting: "done" (the Job is finished, deleted, or orphaned)
        or "retry"."""
        runtime = _PodRuntime(self.kubelet, self, pod)
        with self.kubelet._lock:
            self.kubelet._pods[runtime.uid] = runtime
        try:
            reason = runtime.start()
            if reason is None and runtime.process is not None:
                self.status["ready"] = 1
                self._write_unless_gone()
            if reason is None:
                reason = runtime.wait()
            if reason == "JobDeadline":
                self._deadline_exceeded(runtime)
                return "done"
            if reason == "PodDeleted":
                # the controller sees a terminating Pod (deleted by the GC or by someone else)
                self.status.update(active=0, ready=0, terminating=1)
                self._write_unless_gone()
                runtime.kill(grace=runtime.deletion_grace(), reason="PodDeleted")
                final = runtime.finish()
                runtime.delete_now()
            elif reason == "PodDeadline":
                runtime.kill(grace=None, reason="DeadlineExceeded")
                final = runtime.finish(reason="DeadlineExceeded", message=POD_DEADLINE_MESSAGE)
            else:
                final = runtime.finish()
            return self._account(runtime, final)
        finally:
            runtime.reap()
            with self.kubelet._lock:
                self.kubelet._pods.pop(runtime.uid, None)

    def _write_unless_gone(self) -> None:
        if self.orphaned:
            return
        with contextlib.suppress(_JobGone):
            self._write()

    def _account(self, runtime: _PodRuntime, pod: dict[str, Any]) -> str:
        """The controller's sync after a Pod terminated: uncounted first, then the finalizer, then
        the counters (and the terminal conditions, if this Pod decided the Job)."""
        try:
            if self.orphaned:
                raise _JobGone
            job = self._get()
        except _JobGone:
            self.kubelet._remove_tracking_finalizer(runtime.name)
            return "done"
        deleting = bool(job["metadata"].get("deletionTimestamp"))
        self.status.update(active=0, ready=0, terminating=0)
        if pod["status"]["phase"] == "Succeeded":
            return self._count_success(runtime, deleting)
        action, message = match_pod_failure_policy(self.spec.get("podFailurePolicy"), pod)
        if action == "Ignore":
            self._write()
            self.kubelet._remove_tracking_finalizer(runtime.name)
            return "done" if deleting else "retry"
        failed = self.status.get("failed", 0) + 1
        target: tuple[str, str] | None = None
        if deleting:
            pass
        elif action == "FailJob":
            target = (POLICY_REASON, message or "")
        elif failed > self.spec.get("backoffLimit", 6):
            target = (BACKOFF_REASON, BACKOFF_MESSAGE)
        elif self.deadline is not None and time.time() >= self.deadline:
            target = (DEADLINE_REASON, DEADLINE_MESSAGE)
        self.status["uncountedTerminatedPods"] = {"failed": [runtime.uid]}
        if target:
            self._condition("FailureTarget", *target)
        self._write()
        self.kubelet._remove_tracking_finalizer(runtime.name)
        self.status["failed"] = failed
        self.status["uncountedTerminatedPods"] = {}
        if target:
            self._condition("Failed", *target)
        self._write()
        if target:
            self._event("Warning", target[0], target[1])
            return "done"
        return "done" if deleting else "retry"

    def _count_success(self, runtime: _PodRuntime, deleting: bool) -> str:
        succeeded = self.status.get("succeeded", 0) + 1
        complete = not deleting and succeeded >= (self.spec.get("completions") or 1)
        self.status["uncountedTerminatedPods"] = {"succeeded": [runtime.uid]}
        if complete:
            self._condition("SuccessCriteriaMet", SUCCESS_REASON, SUCCESS_MESSAGE)
        self._write()
        self.kubelet._remove_tracking_finalizer(runtime.name)
        self.status["succeeded"] = succeeded
        self.status["uncountedTerminatedPods"] = {}
        if complete:
            condition = self._condition("Complete", SUCCESS_REASON, SUCCESS_MESSAGE)
            self.status["completionTime"] = condition["lastTransitionTime"]
        self._write()
        if complete:
            self._event("Normal", "Completed", "Job completed")
            return "done"
        return "done" if deleting else "retry"

    def _fail_now(self, reason: str, message: str) -> None:
        """A failure decided with no Pod running: FailureTarget, then Failed."""
        self.status.update(active=0, ready=0, terminating=0)
        self._condition("FailureTarget", reason, message)
        self._write()
        self._condition("Failed", reason, message)
        self._write()
        self._event("Warning", reason, message)

    def _deadline_exceeded(self, runtime: _PodRuntime) -> None:
        """activeDeadlineSeconds passed with a Pod running: the controller deletes it and records
        FailureTarget (the Pod counted as failed, terminating); the kubelet kills it; once it is
        gone, the controller adds Failed."""
        gone = False
        try:
            self._get()
            self.kubelet._delete_pod(runtime.name, runtime.uid)
            self._event("Normal", "SuccessfulDelete", f"Deleted pod: {runtime.name}")
            self.status.update(active=0, ready=0, terminating=1)
            self.status["uncountedTerminatedPods"] = {"failed": [runtime.uid]}
            self._condition("FailureTarget", DEADLINE_REASON, DEADLINE_MESSAGE)
            self._write()
            self.kubelet._remove_tracking_finalizer(runtime.name)
            self.status["failed"] = self.status.get("failed", 0) + 1
            self.status["uncountedTerminatedPods"] = {}
            self._write()
        except _JobGone:
            gone = True
            self.kubelet._remove_tracking_finalizer(runtime.name)
            self.kubelet._delete_pod(runtime.name, runtime.uid)
        runtime.kill(grace=runtime.deletion_grace(), reason="PodDeleted")
        runtime.finish()
        runtime.delete_now()
        if gone:
            return
        self.status["terminating"] = 0
        self._condition("Failed", DEADLINE_REASON, DEADLINE_MESSAGE)
        self._write()
        self._event("Warning", DEADLINE_REASON, DEADLINE_MESSAGE)
