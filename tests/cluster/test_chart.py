"""The Helm chart against the real kube-apiserver: every rendered object accepted by a server-side
dry-run (default and production-like values, restricted Pod Security enforced), and the RBAC it
grants, probed with `kubectl auth can-i` as the chart's own ServiceAccounts.

The production-like render includes a ServiceMonitor; the test plane has no Prometheus Operator,
so a minimal monitoring.coreos.com/v1 ServiceMonitor CRD (schema: preserve unknown fields) is
installed first. It proves the object is well-formed for the API machinery, not that the Prometheus
Operator's own schema accepts it; `helm lint --strict` checks it too (tests/chart).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helm import CHART, PRODUCTION_VALUES, helm, render, template_text

REPO = Path(__file__).resolve().parents[2]
VERIFY_HOOK = REPO / "manifests" / "argocd" / "verify" / "verify-hook.yaml"
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
}
SERVICE_MONITOR_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "servicemonitors.monitoring.coreos.com"},
    "spec": {
        "group": "monitoring.coreos.com",
        "scope": "Namespaced",
        "names": {
            "plural": "servicemonitors",
            "singular": "servicemonitor",
            "kind": "ServiceMonitor",
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}


def _label(control_plane: Any, namespace: str, labels: dict[str, str]) -> None:
    control_plane.kubectl(
        "label", "namespace", namespace, "--overwrite", *(f"{k}={v}" for k, v in labels.items())
    )


@pytest.fixture
def extra_namespaces(control_plane: Any, namespace: str) -> Iterator[list[str]]:
    names = [f"{namespace[:50]}-{suffix}" for suffix in ("a", "b")]
    for name in names:
        control_plane.kubectl("create", "namespace", name)
        _label(control_plane, name, RESTRICTED)
    yield names
    for name in names:
        control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)


def _dry_run(control_plane: Any, namespace: str, text: str) -> None:
    documents = [d for d in yaml.safe_load_all(text) if d]
    result = control_plane.kubectl("apply", "--dry-run=server", "-f", "-", input=text, check=False)
    assert result.returncode == 0, result.stderr
    accepted = [line for line in result.stdout.splitlines() if line.endswith("(server dry run)")]
    assert len(accepted) == len(documents), result.stdout
    # Restricted Pod Security is enforced in these namespaces: a workload whose pods would be
    # refused shows up as a warning on the Deployment/CronJob.
    assert "would violate PodSecurity" not in result.stderr, result.stderr


def test_default_values_are_accepted_by_a_server_side_dry_run(control_plane, namespace):
    _label(control_plane, namespace, RESTRICTED)
    text = template_text(namespace, include_crds=True)
    _dry_run(control_plane, namespace, text)
    assert "kind: CustomResourceDefinition" in text


def test_the_pod_security_check_catches_a_privileged_pod(control_plane, namespace):
    # The negative control of _dry_run: the same Deployment without its security context is
    # accepted by the dry run (workloads are only warned about) but the warning names it.
    _label(control_plane, namespace, RESTRICTED)
    (deployment,) = [d for d in render(namespace) if d["kind"] == "Deployment"]
    del deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    result = control_plane.kubectl(
        "apply", "--dry-run=server", "-f", "-", input=json.dumps(deployment)
    )
    assert "would violate PodSecurity" in result.stderr


def test_production_values_are_accepted_by_a_server_side_dry_run(
    control_plane, namespace, extra_namespaces, tmp_path
):
    _label(control_plane, namespace, RESTRICTED)
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(SERVICE_MONITOR_CRD))
    control_plane.kubectl(
        "wait", "--for=condition=Established", "crd/servicemonitors.monitoring.coreos.com"
    )
    values = {**PRODUCTION_VALUES, "watchNamespaces": extra_namespaces}
    text = template_text(namespace, values, include_crds=True, tmp=tmp_path)
    kinds = {d["kind"] for d in yaml.safe_load_all(text) if d}
    assert "ServiceMonitor" in kinds
    _dry_run(control_plane, namespace, text)
    # and the same with the operator watching every namespace
    text = template_text(namespace, {**values, "clusterWide": True}, tmp=tmp_path)
    _dry_run(control_plane, namespace, text)


def test_helm_install_dry_run_prints_the_first_seedrun_notes(control_plane, namespace):
    result = helm(
        "install",
        "seed-operator",
        str(CHART),
        "--namespace",
        namespace,
        "--dry-run=server",
        kubeconfig=control_plane.kubeconfig,
    )
    notes = result.stdout.split("NOTES:", 1)[1]
    assert "kind: SeedRun" in notes
    assert f"kubectl -n {namespace} get seedruns -w" in notes
    assert "create secret generic seed-runner-env" in notes
    assert "networkPolicy.postgres" in notes  # the default egress allows DNS only: say so


# --- RBAC ---------------------------------------------------------------------------------------

SELF_REVIEWS = {
    "selfsubjectreviews.authentication.k8s.io",
    "selfsubjectaccessreviews.authorization.k8s.io",
    "selfsubjectrulesreviews.authorization.k8s.io",
}
OPERATOR_RULES = {
    "seedruns.seeding.iabank.io": {"list", "watch", "patch"},
    "seedruns.seeding.iabank.io/status": {"patch"},
    "seedprofiles.seeding.iabank.io": {"get"},
    "jobs.batch": {"create", "list", "watch", "delete"},
    "pods": {"list", "delete"},
    "events": {"create"},
    "leases.coordination.k8s.io": {"get", "create", "update"},
    "namespaces": {"get", "list", "watch"},
    "customresourcedefinitions.apiextensions.k8s.io": {"list", "watch"},
}


def _sa(namespace: str, name: str) -> str:
    return f"--as=system:serviceaccount:{namespace}:{name}"


def _rules(control_plane: Any, namespace: str, account: str, where: str) -> dict[str, set[str]]:
    """`kubectl auth can-i --list` as a ServiceAccount: resource -> verbs (self-reviews left out)."""
    out = control_plane.kubectl("auth", "can-i", "--list", _sa(namespace, account), "-n", where)
    rules: dict[str, set[str]] = {}
    for line in out.stdout.splitlines()[1:]:
        match = re.match(r"^(\S+)\s+\[\]\s+\[(.*?)\]\s+\[(.*)\]$", line)
        if match and match.group(1) not in SELF_REVIEWS:
            assert match.group(2) == "", f"a rule limited to resource names: {line}"
            rules.setdefault(match.group(1), set()).update(match.group(3).split())
    return rules


def _can(control_plane: Any, who: str, *args: str) -> bool:
    result = control_plane.kubectl("auth", "can-i", who, *args, check=False)
    assert result.stdout.strip() in ("yes", "no"), result.stderr
    return result.stdout.strip() == "yes"


@pytest.fixture
def installed(control_plane: Any, namespace: str) -> Iterator[str]:
    """The chart rendered for `namespace` (the release and only watched namespace), applied."""
    text = template_text(namespace)
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=text)
    yield namespace
    for doc in render(namespace):
        if doc["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            control_plane.kubectl("delete", doc["kind"], doc["metadata"]["name"], check=False)


def test_operator_rbac_is_exactly_what_the_operator_needs(control_plane, installed):
    namespace = installed
    assert _rules(control_plane, namespace, "seed-operator", namespace) == OPERATOR_RULES
    # Elsewhere: only the cluster-wide reads (namespaces, CRDs, SeedRun list/watch for the queue).
    assert _rules(control_plane, namespace, "seed-operator", "default") == {
        "seedruns.seeding.iabank.io": {"list", "watch"},
        "namespaces": {"get", "list", "watch"},
        "customresourcedefinitions.apiextensions.k8s.io": {"list", "watch"},
    }


@pytest.mark.parametrize(
    "probe",
    [
        "get secrets",
        "list secrets",
        "watch secrets",
        "create pods",
        "create pods/exec",
        "get configmaps",
        "create seedruns.seeding.iabank.io",
        "delete seedruns.seeding.iabank.io",
        "update seedruns.seeding.iabank.io",
        "patch seedprofiles.seeding.iabank.io",
        "delete leases.coordination.k8s.io",
        "update jobs.batch",
        "create deployments.apps",
        "create rolebindings.rbac.authorization.k8s.io",
        "escalate clusterroles.rbac.authorization.k8s.io",
    ],
)
def test_operator_cannot(control_plane, installed, probe):
    namespace = installed
    who = _sa(namespace, "seed-operator")
    assert not _can(control_plane, who, *probe.split(), "-n", namespace)
    assert not _can(control_plane, who, *probe.split(), "--all-namespaces")


def test_operator_works_only_in_watched_namespaces(control_plane, installed):
    who = _sa(installed, "seed-operator")
    for probe in ("create jobs.batch", "patch seedruns.seeding.iabank.io", "get leases"):
        assert _can(control_plane, who, *probe.split(), "-n", installed)
        assert not _can(control_plane, who, *probe.split(), "-n", "kube-system")
    assert _can(control_plane, who, "list", "seedruns.seeding.iabank.io", "--all-namespaces")
    assert not _can(control_plane, who, "get", "secrets", "-n", installed)


def test_runner_has_no_kubernetes_api_rights(control_plane, installed):
    namespace = installed
    assert _rules(control_plane, namespace, "seed-runner", namespace) == {}
    who = _sa(namespace, "seed-runner")
    for verb in ("get", "list", "watch", "create", "patch", "update", "delete"):
        assert not _can(control_plane, who, verb, "seedruns.seeding.iabank.io", "-n", namespace)
        assert not _can(
            control_plane, who, verb, "seedruns.seeding.iabank.io", "--subresource=status"
        )
    assert not _can(control_plane, who, "get", "secrets", "-n", namespace)


def test_verify_hook_account_can_make_dry_runs_and_nothing_else(control_plane, namespace):
    documents = [d for d in yaml.safe_load_all(VERIFY_HOOK.read_text(encoding="utf-8")) if d]
    rbac = [d for d in documents if d["kind"] != "Job"]
    for doc in rbac:
        for subject in doc.get("subjects", []):
            subject["namespace"] = namespace
    control_plane.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": rbac}),
    )
    assert _rules(control_plane, namespace, "seed-verify", namespace) == {
        "seedprofiles.seeding.iabank.io": {"get", "list"},
        "seedruns.seeding.iabank.io": {"create", "get", "list", "delete"},
    }
    who = _sa(namespace, "seed-verify")
    assert not _can(
        control_plane, who, "patch", "seedruns", "--subresource=status", "-n", namespace
    )
    assert not _can(control_plane, who, "get", "secrets", "-n", namespace)
    assert not _can(control_plane, who, "create", "seedruns", "-n", "default")


def test_a_token_for_the_operator_account_is_issued_by_the_apiserver(control_plane, installed):
    # TokenRequest is served by the apiserver itself (no controller-manager here).
    token = control_plane.kubectl(
        "create", "token", "seed-operator", "-n", installed, "--duration=10m"
    ).stdout.strip()
    claims = json.loads(_b64url(token.split(".")[1]))
    assert claims["sub"] == f"system:serviceaccount:{installed}:seed-operator"


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
