"""The Helm chart without a cluster: `helm lint`, what `helm template` renders for default and
production-like values, and that values.schema.json turns bad values into a failed render.
The server-side dry-run and the RBAC probes are in tests/cluster/test_chart.py."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from seed_operator.jobs import JobRole, RunRef, labels_of
from seed_operator.settings import OperatorSettings
from tests.chart.helm import CHART, PRODUCTION_VALUES, find, helm, render

# The metrics the dashboard charts; #7 (observability) implements them under these names.
# tests that the operator exports them belong there; here: the dashboard names no other metric.
DASHBOARD_METRICS = frozenset(
    {
        "seed_operator_seedruns",
        "seed_operator_reconcile_seconds",
        "seed_operator_leases_held",
        "seed_operator_queue_depth",
        "seed_operator_batch_outcomes_total",
        "seed_rows_written_total",
        "seed_batch_latency_ms",
    }
)


def test_helm_lint_strict_passes():
    result = helm("lint", "--strict", str(CHART))
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_helm_lint_strict_passes_with_production_values(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(json.dumps(PRODUCTION_VALUES), encoding="utf-8")
    helm("lint", "--strict", str(CHART), "--values", str(values))


def test_default_render_has_every_piece_of_the_product():
    docs = render()
    kinds = sorted({d["kind"] for d in docs})
    assert kinds == [
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "CronJob",
        "Deployment",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
    ]
    assert {d["metadata"]["name"] for d in find(docs, "ServiceAccount")} == {
        "seed-operator",
        "seed-runner",
    }
    assert not find(docs, "Secret"), "the chart references existing Secrets, it never makes one"


def test_deployment_is_one_recreated_restricted_replica_with_probes():
    (deployment,) = find(render(), "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "seed_operator"]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "health"}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"health": 8081, "metrics": 8080}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["resources"]["limits"] and container["resources"]["requests"]
    assert pod["serviceAccountName"] == "seed-operator"


def test_the_settings_configmap_is_what_the_operator_reads():
    docs = render("seeding", PRODUCTION_VALUES, sets=("watchNamespaces={team-a,team-b}",))
    (config,) = find(docs, "ConfigMap", "seed-operator")
    env = config["data"]
    settings = OperatorSettings.from_env(env)
    assert settings.namespaces == ("team-a", "team-b")
    assert settings.lease_namespace == "seeding"
    assert settings.cap_for("perf") == 1 and settings.cap_for("staging") == 2
    assert settings.image == f"registry.example.com/iabank/seed-operator@sha256:{'ab' * 32}"
    assert settings.runner_service_account == "seed-runner"
    assert settings.env_secret == "seed-runner-env"
    assert settings.env_configmap == "seed-runner-config"
    assert settings.job_deadline_seconds == 7200 and settings.queue_ttl_seconds == 600
    assert env["SEED_LIVENESS_PORT"] == "8081" and env["SEED_METRICS_PORT"] == "9090"
    # Every SEED_* key is one the operator knows (a typo would be silently ignored).
    known = {
        "SEED_WATCH_NAMESPACES",
        "SEED_LEASE_NAMESPACE",
        "SEED_GLOBAL_CAP",
        "SEED_QUEUE_TTL_SECONDS",
        "SEED_LEASE_DURATION_SECONDS",
        "SEED_LEASE_RENEW_SECONDS",
        "SEED_IMAGE",
        "SEED_IMAGE_PULL_POLICY",
        "SEED_RUNNER_SERVICE_ACCOUNT",
        "SEED_PARALLELISM_BASELINE",
        "SEED_PARALLELISM_LOAD",
        "SEED_BATCH_ROWS",
        "SEED_JOB_DEADLINE_SECONDS",
        "SEED_ENV_SECRET",
        "SEED_ENV_CONFIGMAP",
        "SEED_LIVENESS_PORT",
        "SEED_METRICS_PORT",
        "SEED_LOG_LEVEL",
        "OTEL_EXPORTER_OTLP_ENDPOINT",  # runner.otlp.endpoint: the operator's spans go there too
    }
    assert {k for k in env if not k.startswith("SEED_GLOBAL_CAP_")} == known
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability.svc:4318"
    assert (
        "OTEL_EXPORTER_OTLP_ENDPOINT" not in find(render(), "ConfigMap", "seed-operator")[0]["data"]
    )
    # And the chart's defaults equal the operator's own defaults where both have one.
    defaults = OperatorSettings.from_env(find(render(), "ConfigMap", "seed-operator")[0]["data"])
    builtin = OperatorSettings()
    for field in (
        "global_cap",
        "queue_ttl_seconds",
        "lease_duration_seconds",
        "lease_renew_seconds",
        "parallelism_baseline",
        "parallelism_load",
        "batch_rows",
        "job_deadline_seconds",
        "runner_service_account",
        "env_secret",
        "env_configmap",
    ):
        assert getattr(defaults, field) == getattr(builtin, field), field


def test_cluster_wide_watches_every_namespace_with_a_cluster_role_binding():
    docs = render("seeding", sets=("clusterWide=true",))
    (config,) = find(docs, "ConfigMap", "seed-operator")
    assert config["data"]["SEED_WATCH_NAMESPACES"] == ""
    assert OperatorSettings.from_env(config["data"]).namespaces == ()
    bindings = {d["metadata"]["name"] for d in find(docs, "ClusterRoleBinding")}
    assert bindings == {"seeding-seed-operator-cluster", "seeding-seed-operator-runs"}
    assert [d["metadata"]["name"] for d in find(docs, "RoleBinding")] == ["seed-operator-leases"]


def test_per_namespace_objects_exist_in_every_runner_namespace():
    docs = render("seed-system", sets=("watchNamespaces={team-a,team-b}",))
    where = {
        kind: sorted(
            d["metadata"]["namespace"]
            for d in find(docs, kind)
            if d["metadata"]["name"] in {"seed-runner", "seed-runner-config"}
            or kind == "NetworkPolicy"
        )
        for kind in ("ServiceAccount", "ConfigMap", "NetworkPolicy")
    }
    everywhere = ["seed-system", "team-a", "team-b"]
    assert where == {
        "ServiceAccount": everywhere,
        "ConfigMap": everywhere,
        "NetworkPolicy": everywhere,
    }
    runs = [d["metadata"]["namespace"] for d in find(docs, "RoleBinding", "seed-operator-runs")]
    assert sorted(runs) == ["team-a", "team-b"]  # the operator gets no run rights in its own ns
    (leases,) = find(docs, "Role", "seed-operator-leases")
    assert leases["metadata"]["namespace"] == "seed-system"


@pytest.mark.parametrize("role", list(JobRole))
def test_network_policy_selects_every_operator_job_and_the_purge(role):
    (policy,) = find(render(), "NetworkPolicy")
    (expression,) = policy["spec"]["podSelector"]["matchExpressions"]
    run = RunRef("r", "seeding", "uid-1", "tenant-a", "dev", "baseline", "qa", "{}", 3)
    labels = labels_of(run, role)
    assert expression["operator"] == "In"
    assert labels[expression["key"]] in expression["values"]
    assert "purge" in expression["values"]
    (cron,) = find(render(), "CronJob")
    pod_labels = cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert pod_labels[expression["key"]] == "purge"


def test_network_policy_allows_only_the_listed_destinations():
    docs = render("seeding", PRODUCTION_VALUES)
    (policy,) = find(docs, "NetworkPolicy")
    spec = policy["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"] and spec["ingress"] == []
    ports = sorted(p["port"] for rule in spec["egress"] for p in rule["ports"])
    assert ports == [53, 53, 443, 4318, 5432, 8200]
    assert all(rule.get("to") for rule in spec["egress"]), "a rule without `to` allows any host"
    # Defaults: only DNS is filled in, the rest is unreachable until configured (fail closed).
    (default,) = find(render(), "NetworkPolicy")
    assert [p["port"] for r in default["spec"]["egress"] for p in r["ports"]] == [53, 53]


def test_purge_cronjob_runs_seedctl_purge_expired_as_the_runner():
    (cron,) = find(render(), "CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["seedctl", "purge", "--expired"]
    assert pod["serviceAccountName"] == "seed-runner"
    assert {"secretRef": {"name": "seed-runner-env", "optional": False}} in container["envFrom"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert not find(render("seeding", sets=("purge.enabled=false",)), "CronJob")


def test_runner_token_is_mounted_only_for_vault_kubernetes_auth():
    def runner(*sets):
        docs = render("seeding", sets=sets)
        (account,) = find(docs, "ServiceAccount", "seed-runner")
        (config,) = find(docs, "ConfigMap", "seed-runner-config")
        return account["automountServiceAccountToken"], config["data"]

    mounted, data = runner("runner.vault.auth=kubernetes", "runner.vault.role=seed")
    assert mounted is True and data["SEED_VAULT_ROLE"] == "seed"
    mounted, data = runner("runner.vault.auth=token")
    assert mounted is False and "SEED_VAULT_ROLE" not in data


def test_no_secret_value_can_be_put_in_values():
    def keys(node, path=()):
        if isinstance(node, dict):
            for key, value in node.items():
                yield (*path, key)
                yield from keys(value, (*path, key))

    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    secretive = re.compile(r"(?i)password|secretkey|accesskey|token|credential|databaseurl")
    assert not [".".join(k) for k in keys(values) if secretive.search(k[-1])]
    # ... and the schema refuses any key it does not list, so none can be added either.
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    result = helm(
        "template", "x", str(CHART), "--set", "runner.databaseUrl=pg://u:p@h", check=False
    )
    assert result.returncode != 0


def test_service_monitor_is_optional():
    assert not find(render(), "ServiceMonitor")
    (monitor,) = find(render("seeding", PRODUCTION_VALUES), "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["metadata"]["labels"]["release"] == "kps"
    (service,) = find(render("seeding", PRODUCTION_VALUES), "Service")
    assert service["spec"]["ports"][0]["port"] == 9090


def test_dashboard_is_valid_json_charting_only_the_known_metrics():
    (config,) = find(render(), "ConfigMap", "seed-operator-dashboard")
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config["data"]["seed-operator.json"])
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    named = {
        re.sub(r"_(bucket|sum|count)$", "", name)
        for expr in exprs
        for name in re.findall(r"\bseed_[a-z_]+\b", expr)
    }
    assert named == DASHBOARD_METRICS
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("operator.globalCap=0", "globalCap"),
        ("image.pullPolicy=Sometimes", "pullPolicy"),
        ("runner.vault.auth=approle", "auth"),
        ("operatr.globalCap=2", "operatr"),
        ("watchNamespaces={Not_A_Namespace}", "watchNamespaces"),
        ("networkPolicy.postgres.to[0].ipBlock.cidr=everywhere", "cidr"),
        ("image.digest=latest", "digest"),
    ],
)
def test_schema_rejects_bad_values(setting, complaint):
    result = helm("template", "seed-operator", str(CHART), "--set", setting, check=False)
    assert result.returncode != 0, result.stdout[:500]
    assert "values don't meet the specifications of the schema" in result.stderr
    assert complaint in result.stderr


def test_two_releases_in_two_namespaces_share_no_cluster_object():
    def cluster_names(namespace):
        kinds = ("ClusterRole", "ClusterRoleBinding")
        return {(d["kind"], d["metadata"]["name"]) for d in render(namespace) if d["kind"] in kinds}

    first, second = cluster_names("ns-one"), cluster_names("ns-two")
    assert len(first) == 3 and not first & second
