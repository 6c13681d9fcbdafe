"""Every Kubernetes API call of the operator, in one adapter (STYLE.md: "keep every API call in
one adapter so the decisions stay pure").

The handlers observe and apply through ``Kube``; the reconcile package never sees a client. Objects
come back as plain dicts (the API's JSON), the shape the pure core reads, whatever the client
library's model classes look like. Writes state what a conflict means: creating a Job that exists
is a no-op (a previous pass created it), deleting one that is gone too, and a Lease write that
loses its compare-and-swap answers False so the pass can stop and decide again.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import kubernetes
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from seed_operator import consts
from seedlib.contract.job import RunId

__all__ = ["Kube", "default_namespace", "load_config"]

IN_CLUSTER_NAMESPACE: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")

EVENT_MESSAGE_LIMIT: Final = 1024
log = logging.getLogger("seed_operator.kube")

_CONFLICTS = (409, 422)
"""A Lease write whose resourceVersion is stale (409), or that raced a create (422)."""


def load_config() -> None:
    """In-cluster credentials in a Pod, the kubeconfig elsewhere."""
    try:
        kubernetes.config.load_incluster_config()  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config()  # type: ignore[no-untyped-call]


def default_namespace() -> str | None:
    """The Pod's namespace in a cluster, else the kubeconfig context's."""
    if IN_CLUSTER_NAMESPACE.exists():
        return IN_CLUSTER_NAMESPACE.read_text(encoding="utf-8").strip() or None
    try:
        _, context = kubernetes.config.list_kube_config_contexts()  # type: ignore[no-untyped-call]
    except (kubernetes.config.ConfigException, OSError):
        return None
    namespace = (context or {}).get("context", {}).get("namespace")
    return str(namespace) if namespace else None


def _run_selector(uid: RunId) -> str:
    return f"{consts.LABEL_RUN_UID}={uid}"


class Kube:
    """The operator's API calls over one connection pool (a client per call would re-handshake
    TLS)."""

    def __init__(self, api_client: client.ApiClient | None = None) -> None:
        self._client = api_client or client.ApiClient()

    @functools.cached_property
    def _custom(self) -> Any:
        return client.CustomObjectsApi(self._client)

    @functools.cached_property
    def _core(self) -> Any:
        return client.CoreV1Api(self._client)

    @functools.cached_property
    def _batch(self) -> Any:
        return client.BatchV1Api(self._client)

    @functools.cached_property
    def _coordination(self) -> Any:
        return client.CoordinationV1Api(self._client)

    def _plain(self, obj: Any) -> dict[str, Any]:
        plain: dict[str, Any] = self._client.sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]
        return plain

    # -- SeedProfiles, SeedRuns, namespaces -----------------------------------------------------

    def get_profile(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The SeedProfile, or None when it does not exist."""
        try:
            body: dict[str, Any] = self._custom.get_namespaced_custom_object(
                consts.API_GROUP, consts.VERSION, namespace, consts.PROFILE_PLURAL, name
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return body

    def list_profiles(self, namespace: str, selector: str = "") -> list[dict[str, Any]]:
        found = self._custom.list_namespaced_custom_object(
            consts.API_GROUP,
            consts.VERSION,
            namespace,
            consts.PROFILE_PLURAL,
            label_selector=selector or None,
        )
        return list(found.get("items", []))

    def get_run(self, namespace: str, name: str) -> dict[str, Any]:
        run: dict[str, Any] = self._custom.get_namespaced_custom_object(
            consts.API_GROUP, consts.VERSION, namespace, consts.RUN_PLURAL, name
        )
        return run

    def list_runs(self, namespace: str, selector: str = "") -> list[dict[str, Any]]:
        found = self._custom.list_namespaced_custom_object(
            consts.API_GROUP,
            consts.VERSION,
            namespace,
            consts.RUN_PLURAL,
            label_selector=selector or None,
        )
        return list(found.get("items", []))

    def create_run(self, namespace: str, body: Mapping[str, Any]) -> dict[str, Any]:
        run: dict[str, Any] = self._custom.create_namespaced_custom_object(
            consts.API_GROUP, consts.VERSION, namespace, consts.RUN_PLURAL, dict(body)
        )
        return run

    def delete_run(self, namespace: str, name: str) -> None:
        self._custom.delete_namespaced_custom_object(
            consts.API_GROUP, consts.VERSION, namespace, consts.RUN_PLURAL, name
        )

    def patch_run_status(self, namespace: str, name: str, changes: Mapping[str, Any]) -> None:
        """Merge-patch the SeedRun's status subresource; a field the CRD does not know fails."""
        self._custom.patch_namespaced_custom_object_status(
            consts.API_GROUP,
            consts.VERSION,
            namespace,
            consts.RUN_PLURAL,
            name,
            {"status": dict(changes)},
            field_validation="Strict",  # a field the CRD does not know is a bug: fail loudly
        )

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        return dict(self._core.read_namespace(namespace).metadata.labels or {})

    # -- Jobs and their Pods --------------------------------------------------------------------

    def list_jobs(self, namespace: str, uid: RunId) -> list[dict[str, Any]]:
        found = self._batch.list_namespaced_job(namespace, label_selector=_run_selector(uid))
        return [self._plain(job) for job in found.items]

    def list_pods(self, namespace: str, uid: RunId) -> list[dict[str, Any]]:
        found = self._core.list_namespaced_pod(namespace, label_selector=_run_selector(uid))
        return [self._plain(pod) for pod in found.items]

    def create_job(self, namespace: str, body: Mapping[str, Any]) -> None:
        try:
            self._batch.create_namespaced_job(namespace, dict(body))
        except ApiException as exc:
            if exc.status != 409:  # already exists: a previous pass (or operator) created it
                raise

    def delete_job(self, namespace: str, name: str) -> None:
        try:
            self._batch.delete_namespaced_job(name, namespace, propagation_policy="Background")
        except ApiException as exc:
            if exc.status != 404:
                raise

    def delete_pod(self, namespace: str, name: str) -> None:
        try:
            self._core.delete_namespaced_pod(name, namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise

    # -- Leases ---------------------------------------------------------------------------------

    def read_lease(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            lease = self._coordination.read_namespaced_lease(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self._plain(lease)

    def write_lease(self, body: Mapping[str, Any]) -> bool:
        """Create or replace (compare-and-swap on its resourceVersion) a Lease; False when
        another writer got there first."""
        meta = body["metadata"]
        try:
            if meta.get("resourceVersion"):
                self._coordination.replace_namespaced_lease(
                    meta["name"], meta["namespace"], dict(body)
                )
            else:
                self._coordination.create_namespaced_lease(meta["namespace"], dict(body))
        except ApiException as exc:
            if exc.status in _CONFLICTS:
                return False
            raise
        return True

    # -- Events ---------------------------------------------------------------------------------

    def post_event(self, obj: Mapping[str, Any], kind: str, reason: str, message: str) -> None:
        """An Event on ``obj`` (the SeedRun) for ``kubectl describe``. Events are auxiliary: one
        that cannot be posted is logged, never a reason to fail the pass."""
        body = event_body(obj, kind, reason, message, dt.datetime.now(dt.UTC))
        try:
            self._core.create_namespaced_event(body["metadata"]["namespace"], body)
        except ApiException as exc:
            log.warning(
                "an Event could not be posted (HTTP %s)",
                exc.status,
                extra={"status_code": exc.status, "reason": reason},
            )


def event_body(
    obj: Mapping[str, Any], kind: str, reason: str, message: str, now: dt.datetime
) -> dict[str, Any]:
    """A core/v1 Event (the legacy shape ``kubectl describe`` lists) about ``obj``."""
    meta = obj["metadata"]
    at = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
        "involvedObject": {
            "apiVersion": obj.get("apiVersion", consts.API_VERSION),
            "kind": obj.get("kind", consts.RUN_KIND),
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
        },
        "type": kind,
        "reason": reason,
        "message": message[:EVENT_MESSAGE_LIMIT],
        "source": {"component": consts.OPERATOR_NAME},
        "firstTimestamp": at,
        "lastTimestamp": at,
        "count": 1,
    }
