"""The pinned helm binary (tools/build-binaries.sh, cached like the control plane) and chart renders.

Missing helm is built; a build that fails is an error, never a skip. helm runs with its config,
cache and data under a temporary HOME and no KUBECONFIG, so `helm template` never reads a cluster.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from tests.cluster.controlplane import load_versions, seed_cache

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "seed-operator"
RELEASE = "seed-operator"

# Values like a production install: two watched namespaces, digest-pinned image, Vault Kubernetes
# auth, every egress destination filled in, ServiceMonitor on, a per-environment cap.
PRODUCTION_VALUES: dict[str, Any] = {
    "image": {
        "repository": "registry.example.com/iabank/seed-operator",
        "digest": "sha256:" + "ab" * 32,
        "pullPolicy": "IfNotPresent",
    },
    "imagePullSecrets": [{"name": "registry-credentials"}],
    "operator": {
        "logLevel": "INFO",
        "globalCap": 2,
        "globalCapByEnvironment": {"perf": 1, "prod": 1},
        "queueTtlSeconds": 600,
        "leaseDurationSeconds": 60,
        "leaseRenewSeconds": 20,
        "batchRows": 50000,
        "jobDeadlineSeconds": 7200,
        "parallelism": {"baseline": 1, "load": 4},
        "healthPort": 8081,
        "resources": {
            "requests": {"cpu": "200m", "memory": "384Mi"},
            "limits": {"cpu": "1", "memory": "768Mi"},
        },
        "priorityClassName": "",
        "nodeSelector": {"kubernetes.io/os": "linux"},
    },
    "runner": {
        "serviceAccount": {
            "name": "seed-runner",
            "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::000000000000:role/seed"},
        },
        "envSecret": "seed-runner-env",
        "configMapName": "seed-runner-config",
        "vault": {"address": "https://vault.vault.svc:8200", "auth": "kubernetes", "role": "seed"},
        "s3": {"region": "sa-east-1", "wormBucket": "iabank-seed-reports", "retentionDays": 400},
        "otlp": {"endpoint": "http://otel-collector.observability.svc:4318"},
    },
    "purge": {"enabled": True, "schedule": "5 */6 * * *"},
    "metrics": {"port": 9090, "serviceMonitor": {"enabled": True, "labels": {"release": "kps"}}},
    "dashboards": {"enabled": True},
    "networkPolicy": {
        "enabled": True,
        "postgres": {
            "to": [
                {"ipBlock": {"cidr": "10.20.0.0/16"}},
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "db"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "postgresql"}},
                },
            ],
            "ports": [{"port": 5432, "protocol": "TCP"}],
        },
        "vault": {
            "to": [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vault"}}}
            ],
            "ports": [{"port": 8200, "protocol": "TCP"}],
        },
        "s3": {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
            "ports": [{"port": 443, "protocol": "TCP"}],
        },
        "otlp": {
            "to": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "observability"}
                    }
                }
            ],
            "ports": [{"port": 4318, "protocol": "TCP"}],
        },
    },
}


@functools.cache
def helm_binary() -> Path:
    version = load_versions()["HELM_VERSION"]
    path = Path(os.environ.get("HELM_BIN") or seed_cache() / "bin" / f"helm-{version}")
    if not os.access(path, os.X_OK):
        subprocess.run([str(REPO / "tools" / "build-binaries.sh"), "helm"], check=True)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is missing after tools/build-binaries.sh helm")
    return path


def helm(
    *args: str, check: bool = True, kubeconfig: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs the pinned helm; with no kubeconfig it cannot reach any cluster."""
    home = Path(tempfile.mkdtemp(prefix="helm-home-"))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    result = subprocess.run(
        [str(helm_binary()), *args], capture_output=True, text=True, env=env, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"helm {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def template_text(
    namespace: str = "seeding",
    values: dict[str, Any] | None = None,
    *,
    sets: tuple[str, ...] = (),
    include_crds: bool = False,
    tmp: Path | None = None,
) -> str:
    args = ["template", RELEASE, str(CHART), "--namespace", namespace]
    if include_crds:
        args.append("--include-crds")
    if values is not None:
        directory = tmp or Path(tempfile.mkdtemp(prefix="values-"))
        file = directory / "values.yaml"
        file.write_text(yaml.safe_dump(values), encoding="utf-8")
        args += ["--values", str(file)]
    for item in sets:
        args += ["--set", item]
    return helm(*args).stdout


def render(
    namespace: str = "seeding",
    values: dict[str, Any] | None = None,
    *,
    sets: tuple[str, ...] = (),
    include_crds: bool = False,
) -> list[dict[str, Any]]:
    text = template_text(namespace, values, sets=sets, include_crds=include_crds)
    return [doc for doc in yaml.safe_load_all(text) if doc]


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
