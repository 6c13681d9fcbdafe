"""The cluster tier: a real kube-apiserver + etcd for the session, with the CRDs from crds/ installed.

The plane must start: if it cannot (binaries missing and not buildable, a server that does not come
up), every test here errors, never skips, and the error carries the servers' last log lines.
SEED_CLUSTER_KEEP=1 keeps the plane's state dir (certificates, logs, etcd data) for a post-mortem.

There is no controller-manager: deleted namespaces stay Terminating, so `namespace` never waits for
a deletion, and nothing is garbage-collected.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes.client import ApiClient, CoreV1Api, V1Namespace, V1ObjectMeta
from kubernetes.client.exceptions import ApiException

from tests.cluster.controlplane import ControlPlane, install_crds

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Conftest hooks see every collected item, so only this directory's tests get the marker.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    """etcd + kube-apiserver for the whole session, CRDs Established and served."""
    plane = ControlPlane.start(keep=os.environ.get("SEED_CLUSTER_KEEP") == "1")
    try:
        install_crds(plane)
        yield plane
    finally:
        plane.stop()


@pytest.fixture(scope="session")
def k8s(control_plane: ControlPlane) -> Iterator[ApiClient]:
    """An admin kubernetes.client.ApiClient for the session's plane."""
    client = control_plane.api_client()
    yield client
    client.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def namespace(k8s: ApiClient, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new namespace named after the test. Deleted afterwards without waiting (with no namespace
    controller it stays Terminating, which is harmless: every name is unique)."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{slug}-{secrets.token_hex(3)}"
    core = CoreV1Api(k8s)
    core.create_namespace(
        V1Namespace(metadata=V1ObjectMeta(name=name, labels={"seed-operator.test": "cluster"}))
    )
    yield name
    with contextlib.suppress(ApiException):
        core.delete_namespace(name)
