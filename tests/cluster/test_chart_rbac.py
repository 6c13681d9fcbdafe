"""The operator with nothing but the chart's RBAC: its ServiceAccount's token (TokenRequest, served
by the apiserver itself), its settings from the chart's ConfigMap, the chart's runner ConfigMap
for the Jobs. The happy path must pass and the operator must never be refused anything. Then the
Argo CD verification hook's seed-verify, with its own ServiceAccount's token, gets a dry run
verified by that operator, and fails (with the run's exit code) for a profile that cannot seed.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from tests.chart.helm import render, template_text
from tests.cluster.test_operator import (  # the happy path's fixtures and helpers
    apply_profile_and_run,
    kubelet,  # noqa: F401 (a fixture)
    runner_env,  # noqa: F401 (a fixture)
    wait_for_end,
)
from tests.services import free_port, stop_process
from tests.support import PROFILES, REPO, table_counts

VERIFY_HOOK = REPO / "manifests" / "argocd" / "verify" / "verify-hook.yaml"
# A 403 status, not the milliseconds of a log timestamp ("12:15,403") or a port.
REFUSALS = re.compile(r"(?<![\d,.:])403(?!\d)|Forbidden|forbidden|Not enough permissions")


def token_kubeconfig(control_plane: Any, namespace: str, account: str, path: Path) -> Path:
    """A kubeconfig that authenticates with a TokenRequest token of namespace/account."""
    token = control_plane.kubectl(
        "create", "token", account, "-n", namespace, "--duration=1h"
    ).stdout.strip()
    admin = yaml.safe_load(control_plane.kubeconfig.read_text(encoding="utf-8"))
    cluster = admin["clusters"][0]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [
            {
                "name": account,
                "context": {"cluster": cluster["name"], "user": account, "namespace": namespace},
            }
        ],
        "current-context": account,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def chart(control_plane: Any, namespace: str, runner_env: dict[str, str]) -> Iterator[str]:  # noqa: F811
    """The chart installed (rendered and applied) with the test's endpoints as values."""
    sets = (
        "operator.batchRows=500",
        f"operator.healthPort={free_port()}",
        "runner.vault.auth=token",
        f"runner.vault.address={runner_env['SEED_VAULT_ADDR']}",
        f"runner.vault.kvMount={runner_env['SEED_VAULT_KV_MOUNT']}",
        f"runner.s3.endpoint={runner_env['SEED_S3_ENDPOINT']}",
        f"runner.s3.wormBucket={runner_env['SEED_WORM_BUCKET']}",
        f"runner.otlp.endpoint={runner_env['OTEL_EXPORTER_OTLP_ENDPOINT']}",
    )
    text = template_text(namespace, sets=sets)
    control_plane.kubectl("apply", "-f", "-", input=text)
    yield text
    for doc in render(namespace, sets=sets):
        if doc["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            control_plane.kubectl("delete", doc["kind"], doc["metadata"]["name"], check=False)


@pytest.fixture
def chart_operator(
    control_plane: Any, namespace: str, chart: str, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`python -m seed_operator` as the chart's Deployment would run it: the ConfigMap's settings
    as its environment, the operator ServiceAccount's token as its only credential."""
    (config,) = [
        d
        for d in yaml.safe_load_all(chart)
        if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == "seed-operator"
    ]
    kubeconfig = token_kubeconfig(
        control_plane, namespace, "seed-operator", tmp_path / "operator.kubeconfig"
    )
    log_path = tmp_path / "operator.log"
    log = log_path.open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEED_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "seed_operator"],
        env={
            **env,
            **config["data"],
            "KUBECONFIG": str(kubeconfig),
            # the chart's ports are fixed; on a shared test machine, free ones
            "SEED_LIVENESS_PORT": str(free_port()),
            "SEED_METRICS_PORT": str(free_port()),
        },
        cwd=REPO,
        stdout=log,
        stderr=log,
    )
    yield process, log_path
    stop_process(process, timeout=15)
    log.close()


def _verify(control_plane: Any, namespace: str, tmp_path: Path, *args: str):
    """seed-verify as the Argo CD hook runs it: the hook's RBAC, its ServiceAccount's token."""
    documents = [d for d in yaml.safe_load_all(VERIFY_HOOK.read_text(encoding="utf-8")) if d]
    rbac = [d for d in documents if d["kind"] != "Job"]
    for doc in rbac:
        doc["metadata"]["namespace"] = namespace
        for subject in doc.get("subjects", []):
            subject["namespace"] = namespace
    control_plane.kubectl(
        "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": rbac})
    )
    kubeconfig = token_kubeconfig(
        control_plane, namespace, "seed-verify", tmp_path / "verify.kubeconfig"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEED_")}
    return subprocess.run(
        [sys.executable, "-m", "seed_operator.verify", "--timeout", "150", *args],
        env={**env, "KUBECONFIG": str(kubeconfig)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_operator_with_the_charts_rbac_seeds_and_verifies(
    control_plane,
    namespace,
    kubelet,  # noqa: F811
    chart_operator,
    database_url,
    tmp_path,
):
    operator, log_path = chart_operator
    apply_profile_and_run(control_plane, namespace)
    body = wait_for_end(control_plane, namespace, kubelet, operator, log_path)
    status = body["status"]
    assert status["phase"] == "Succeeded", json.dumps(status, indent=1)
    assert status["report"]["verified"] is True
    assert status["batches"]["succeeded"] == status["batches"]["total"] > 10
    assert table_counts(database_url)["bank.customers"] == 100
    # The Jobs ran as the runner ServiceAccount with the chart's runner ConfigMap.
    jobs = json.loads(control_plane.kubectl("get", "jobs", "-n", namespace, "-o", "json").stdout)
    specs = [job["spec"]["template"]["spec"] for job in jobs["items"]]
    assert specs and {s["serviceAccountName"] for s in specs} == {"seed-runner"}
    assert all(
        {"configMapRef": {"name": "seed-runner-config", "optional": True}}
        in s["containers"][0]["envFrom"]
        for s in specs
    )
    leases = json.loads(
        control_plane.kubectl("get", "leases", "-n", namespace, "-o", "json").stdout
    )["items"]
    assert leases and all(not lease["spec"].get("holderIdentity") for lease in leases)

    # Argo CD's PostSync verification, as its own ServiceAccount: a dry run of the synced profile.
    verified = _verify(control_plane, namespace, tmp_path, "--profile", "tenant-a-dev")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "1/1 dry run(s) succeeded" in verified.stdout
    runs = json.loads(
        control_plane.kubectl(
            "get", "seedruns", "-n", namespace, "-l", "seeding.iabank.io/verify-of", "-o", "json"
        ).stdout
    )["items"]
    (dry,) = runs
    assert dry["spec"]["dryRun"] is True and dry["status"]["phase"] == "Succeeded"
    assert dry["spec"]["profileHash"] == status["profileHash"]
    with psycopg.connect(database_url) as conn:  # a dry run keeps nothing
        assert conn.execute("SELECT count(*) FROM seeding.runs").fetchone() == (1,)

    # A profile that cannot be seeded (no salt in Vault for tenant-b) fails the verification
    # with the dry run's own exit code: the sync fails.
    profile = copy.deepcopy(yaml.safe_load((PROFILES / "dev" / "tenant-b.yaml").read_text()))
    profile["metadata"]["namespace"] = namespace
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(profile))
    failed = _verify(control_plane, namespace, tmp_path, "--profile", profile["metadata"]["name"])
    assert failed.returncode not in (0, 1), failed.stdout + failed.stderr
    assert f"exit {failed.returncode}" in failed.stdout and "Failed" in failed.stdout

    log = log_path.read_text(encoding="utf-8", errors="replace")
    refused = [line for line in log.splitlines() if REFUSALS.search(line)]
    assert not refused, "\n".join(refused[:20])
