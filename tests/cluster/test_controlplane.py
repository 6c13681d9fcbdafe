"""The test control plane itself: client helpers, extra credentials for RBAC tests, the loud failure
when kube-apiserver cannot start, and the detached `up`/`status`/`down` CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client import ApiClient

from tests.cluster.controlplane import (
    REPO,
    ControlPlane,
    ControlPlaneError,
    KubectlError,
    load_versions,
)


def test_server_runs_the_pinned_kubernetes(control_plane: ControlPlane, k8s: ApiClient) -> None:
    pinned = f"v{load_versions()['KUBERNETES_VERSION']}"
    assert client.VersionApi(k8s).get_code().git_version == pinned
    server = json.loads(control_plane.kubectl("version", "-o", "json").stdout)["serverVersion"]
    assert server["gitVersion"] == pinned
    assert control_plane.server.startswith("https://127.0.0.1:")


def test_api_client_leaves_the_global_configuration_alone(control_plane: ControlPlane) -> None:
    before = client.Configuration.get_default_copy().host
    api = control_plane.api_client()
    try:
        assert api.configuration.host == control_plane.server
        assert client.Configuration.get_default_copy().host == before
        namespaces = client.CoreV1Api(api).list_namespace().items
        assert "default" in {ns.metadata.name for ns in namespaces if ns.metadata}
    finally:
        api.close()  # type: ignore[no-untyped-call]


def test_kubectl_failure_raises_with_what_kubectl_said(control_plane: ControlPlane) -> None:
    with pytest.raises(KubectlError) as failure:
        control_plane.kubectl("get", "configmap", "does-not-exist", "-n", "default")
    assert failure.value.returncode == 1
    assert 'configmaps "does-not-exist" not found' in str(failure.value)
    unchecked = control_plane.kubectl("get", "configmap", "nope", "-n", "default", check=False)
    assert unchecked.returncode == 1


def test_client_credentials_authenticate_a_user_with_no_rights(
    control_plane: ControlPlane, namespace: str
) -> None:
    kubeconfig = control_plane.make_client_credentials("alice", ["seed-testers"])
    who = json.loads(
        control_plane.kubectl("auth", "whoami", "-o", "json", kubeconfig=kubeconfig).stdout
    )["status"]["userInfo"]
    assert who["username"] == "alice"
    assert "seed-testers" in who["groups"]

    listing = ("get", "seedprofiles", "-n", namespace)
    denied = control_plane.kubectl(*listing, kubeconfig=kubeconfig, check=False)
    assert denied.returncode != 0
    assert 'User "alice" cannot list resource "seedprofiles"' in denied.stderr

    control_plane.kubectl(
        "create", "role", "reader", "-n", namespace, "--verb=get,list",
        "--resource=seedprofiles.seeding.iabank.io",
    )  # fmt: skip
    control_plane.kubectl(
        "create", "rolebinding", "reader", "-n", namespace, "--role=reader", "--group=seed-testers"
    )
    deadline = time.monotonic() + 10  # the RBAC authorizer's informer needs a moment
    while (
        result := control_plane.kubectl(*listing, kubeconfig=kubeconfig, check=False)
    ).returncode:
        assert time.monotonic() < deadline, result.stderr
        time.sleep(0.2)


def test_a_plane_that_cannot_start_fails_loudly_with_its_logs(tmp_path: Path) -> None:
    state = tmp_path / "plane"
    with pytest.raises(ControlPlaneError) as failure:
        ControlPlane.start(state, extra_apiserver_args=["--no-such-flag"], ready_timeout=30)
    message = str(failure.value)
    assert "kube-apiserver /readyz" in message
    assert "kube-apiserver exited with code" in message
    assert "unknown flag: --no-such-flag" in message  # from the log tail in the message
    assert not state.exists()  # etcd stopped, state removed


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.cluster.controlplane", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def test_cli_up_is_idempotent_and_down_leaves_nothing_running(tmp_path: Path) -> None:
    state = tmp_path / "cluster"
    pids: dict[str, int] = {}
    try:
        up = _cli("up", "--dir", str(state))
        assert up.returncode == 0, up.stderr
        assert up.stdout.strip() == f"export KUBECONFIG={state / 'kubeconfig'}"
        recorded = json.loads((state / "state.json").read_text())
        pids = recorded["pids"]
        assert all(_running(pid) for pid in pids.values())  # they outlived the command

        again = _cli("up", "--dir", str(state))
        assert again.returncode == 0, again.stderr
        assert "reusing" in again.stderr
        assert json.loads((state / "state.json").read_text())["pids"] == pids

        status = _cli("status", "--dir", str(state))
        assert status.returncode == 0, status.stdout
        assert json.loads(status.stdout)["healthy"] is True

        crds = ControlPlane.attach(state).kubectl("get", "crds", "-o", "name").stdout.split()
        assert sorted(crds) == [
            "customresourcedefinition.apiextensions.k8s.io/seedprofiles.seeding.iabank.io",
            "customresourcedefinition.apiextensions.k8s.io/seedruns.seeding.iabank.io",
        ]
    finally:
        down = _cli("down", "--dir", str(state))
    assert down.returncode == 0, down.stderr
    assert not any(_running(pid) for pid in pids.values())
    assert not state.exists()
    assert _cli("status", "--dir", str(state)).returncode == 1
