"""The e2e tier: the product on a real node, installed as a user installs it.

- the node (tests/node): etcd, kube-apiserver, controller-manager, scheduler, containerd, kubelet,
  kube-proxy on this machine, the project's image loaded (tools/build-image.sh). A node that cannot
  start errors every test here with the reason and the log tails (never a skip). A healthy node
  left by `make node-up` is reused (and left running); otherwise the session's node is stopped at
  the end. SEED_E2E_KEEP=1 keeps it running for a post-mortem (`make node-down` stops it).
- PostgreSQL, OpenBao (dev), moto's S3 (server mode) and the OTLP receiver run on the host,
  listening on the node's bridge address, which is how Pods reach them (there is no CoreDNS).
- the chart is installed with `helm install` and values only, in namespace `seeding` labelled for
  restricted Pod Security, after the steps of the README's "Install with Helm": the database
  migrated once as an administrator, a login that is a member of `seed_writer`, the runner Secret,
  Vault's Kubernetes auth for the runner ServiceAccount (tools/vault-kubernetes-auth.sh; the
  chart's default runner.vault.auth=kubernetes).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from tests.cluster.controlplane import REPO, load_versions, seed_cache
from tests.e2e.hostservices import HostPostgres, postgres_on
from tests.node.node import DEFAULT_DIR, GATEWAY, POD_CIDR, STATE_FILE, VERSION, Node
from tests.otlp import OtlpReceiver
from tests.services import AWS_ENV, Bao, moto_s3, openbao, s3_client

HERE = Path(__file__).resolve().parent
NAMESPACE = "seeding"
RELEASE = "seed-operator"
WORM_BUCKET = "seed-worm"
DB_NAME = "app"
DB_LOGIN = "seed_login"
DB_PASSWORD = "e2e-only-password"  # a throwaway server on the test bridge


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


# -- the node --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def node() -> Iterator[Node]:
    if (DEFAULT_DIR / STATE_FILE).exists():
        existing = Node.attach(DEFAULT_DIR)
        if existing.is_healthy():
            yield existing
            return
        existing.stop()
    started = Node.start(DEFAULT_DIR)
    print(f"\nnode Ready in {started.startup_seconds:.1f} s")
    try:
        yield started
    finally:
        if os.environ.get("SEED_E2E_KEEP") != "1":
            started.stop()


# -- host services -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def host_postgres(node: Node) -> Iterator[HostPostgres]:
    """The `app` database, migrated as the administrator, with the README's `seed_login`."""
    from seedlib.db.migrate import migrate

    with postgres_on(GATEWAY, POD_CIDR) as server:
        with psycopg.connect(server.admin_url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DB_NAME}")
        migrate(server.admin_url(DB_NAME))
        with psycopg.connect(server.admin_url(DB_NAME), autocommit=True) as conn:
            conn.execute(
                f"CREATE ROLE {DB_LOGIN} LOGIN PASSWORD '{DB_PASSWORD}' IN ROLE seed_writer"
            )
        yield server


@pytest.fixture(scope="session")
def host_bao(node: Node) -> Iterator[Bao]:
    with openbao(GATEWAY) as bao:
        bao.write_salt("tenant-a", "dev", b"e2e tenant-a dev salt, 32 bytes!")
        yield bao


@pytest.fixture(scope="session")
def host_s3(node: Node) -> Iterator[str]:
    with moto_s3(GATEWAY) as endpoint:
        s3_client(endpoint).create_bucket(  # type: ignore[attr-defined]
            Bucket=WORM_BUCKET, ObjectLockEnabledForBucket=True
        )
        yield endpoint


@pytest.fixture(scope="session")
def host_otlp(node: Node) -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver(GATEWAY)
    receiver.start()
    yield receiver
    receiver.stop()


# -- the chart -------------------------------------------------------------------------------------


@dataclass
class Install:
    node: Node
    postgres: HostPostgres
    bao: Bao
    s3_endpoint: str
    otlp: OtlpReceiver
    values: dict[str, Any]

    def kubectl(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        return self.node.kubectl(*args, check=check, timeout=timeout).stdout

    def seedrun(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(
            self.kubectl("-n", NAMESPACE, "get", "seedrun", name, "-o", "json")
        )
        return result

    def wait_phase(self, name: str, phases: set[str], timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.seedrun(name)
            if run.get("status", {}).get("phase") in phases:
                return run
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"SeedRun {name} not in {phases} after {timeout:.0f} s: "
                    f"{json.dumps(run.get('status'), indent=1)}\n{self.diagnostics()}"
                )
            time.sleep(1)

    def diagnostics(self) -> str:
        parts = [
            self.kubectl("-n", NAMESPACE, "get", "seedruns,jobs,pods", "-o", "wide", check=False),
            self.kubectl(
                "-n", NAMESPACE, "logs", f"deployment/{RELEASE}", "--tail=60", check=False
            ),
            self.kubectl("-n", NAMESPACE, "get", "events", "--sort-by=.lastTimestamp", check=False),
        ]
        return "\n".join(parts)


def helm(node: Node, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    binary = seed_cache() / "bin" / f"helm-{load_versions()['HELM_VERSION']}"
    home = Path(tempfile.gettempdir()) / "seed-e2e-helm"
    env = {
        **os.environ,
        "KUBECONFIG": str(node.kubeconfig),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def vault_kubernetes_auth(node: Node, bao: Bao, *namespaces: str) -> None:
    """The README's step: tools/vault-kubernetes-auth.sh, with OpenBao's CLI."""
    home = Path(tempfile.mkdtemp(prefix="seed-e2e-bao-"))
    env = {
        **os.environ,
        "HOME": str(home),
        "VAULT_CLI": str(seed_cache() / "bin" / f"bao-{load_versions()['OPENBAO_VERSION']}"),
        "VAULT_ADDR": bao.address,
        "BAO_ADDR": bao.address,
        "VAULT_TOKEN": bao.token,
        "BAO_TOKEN": bao.token,
        "KUBECTL": str(node.plane.binaries.kubectl),
        "KUBECONFIG": str(node.kubeconfig),
        "KUBECACHEDIR": str(home / "kube-cache"),
    }
    result = subprocess.run(
        [str(REPO / "tools" / "vault-kubernetes-auth.sh"), *namespaces],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"tools/vault-kubernetes-auth.sh exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )


def _peer(port: int) -> dict[str, Any]:
    return {
        "to": [{"ipBlock": {"cidr": f"{GATEWAY}/32"}}],
        "ports": [{"port": port, "protocol": "TCP"}],
    }


@pytest.fixture(scope="session")
def install(
    node: Node,
    host_postgres: HostPostgres,
    host_bao: Bao,
    host_s3: str,
    host_otlp: OtlpReceiver,
) -> Install:
    """README "Install with Helm", steps 2-4, with this machine's endpoints."""
    # A reused node may hold an earlier session's install.
    helm(node, "uninstall", RELEASE, "--namespace", NAMESPACE, "--wait")
    node.kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--timeout=120s")
    node.kubectl("create", "namespace", NAMESPACE)
    node.kubectl(
        "label",
        "namespace",
        NAMESPACE,
        "pod-security.kubernetes.io/enforce=restricted",
        "pod-security.kubernetes.io/warn=restricted",
        "pod-security.kubernetes.io/audit=restricted",
    )
    node.kubectl(
        "-n",
        NAMESPACE,
        "create",
        "secret",
        "generic",
        "seed-runner-env",
        "--from-literal=SEED_DATABASE_URL=" + host_postgres.url(DB_LOGIN, DB_PASSWORD, DB_NAME),
        f"--from-literal=AWS_ACCESS_KEY_ID={AWS_ENV['AWS_ACCESS_KEY_ID']}",
        f"--from-literal=AWS_SECRET_ACCESS_KEY={AWS_ENV['AWS_SECRET_ACCESS_KEY']}",
    )
    vault_kubernetes_auth(node, host_bao, NAMESPACE)
    s3_port = int(host_s3.rsplit(":", 1)[1])
    bao_port = int(host_bao.address.rsplit(":", 1)[1])
    values: dict[str, Any] = {
        "image": {"repository": "seed-operator", "tag": VERSION, "pullPolicy": "Never"},
        "runner": {
            "vault": {"address": host_bao.address},  # auth: kubernetes (the default)
            "s3": {"endpoint": host_s3, "region": "us-east-1", "wormBucket": WORM_BUCKET},
            "otlp": {"endpoint": host_otlp.endpoint},
        },
        "networkPolicy": {
            "postgres": _peer(host_postgres.port),
            "vault": _peer(bao_port),
            "s3": _peer(s3_port),
            "otlp": _peer(host_otlp.port),
        },
    }
    values_file = node.state_dir / "e2e-values.yaml"
    values_file.write_text(yaml.safe_dump(values), "utf-8")
    result = helm(
        node,
        "install",
        RELEASE,
        str(REPO / "helm" / "seed-operator"),
        "--namespace",
        NAMESPACE,
        "--values",
        str(values_file),
        "--wait",
        "--timeout",
        "180s",
    )
    installed = Install(node, host_postgres, host_bao, host_s3, host_otlp, values)
    if result.returncode != 0 or "PodSecurity" in result.stderr:
        raise RuntimeError(
            f"helm install failed ({result.returncode}) or warned about restricted Pod "
            f"Security:\n{result.stdout}\n{result.stderr}\n" + installed.diagnostics()
        )
    return installed


def decode_termination(pod: dict[str, Any]) -> str:
    """The termination message of a Pod's first container (seedctl's JSON result line)."""
    statuses = pod.get("status", {}).get("containerStatuses") or [{}]
    terminated = statuses[0].get("state", {}).get("terminated") or {}
    return str(terminated.get("message", ""))
