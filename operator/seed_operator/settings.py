"""Operator settings: read once at startup from environment variables (the chart's ConfigMap).

Every knob the reconciler uses lives here, with its default and its variable name, so ``kubectl
describe configmap seed-operator`` tells an SRE everything the operator was told.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["OperatorSettings"]


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ValueError(f"{name}={value} must be at least {minimum}")
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


@dataclass(frozen=True, slots=True)
class OperatorSettings:
    namespaces: tuple[str, ...] = ()
    """SEED_WATCH_NAMESPACES (comma-separated); empty: every namespace the RBAC allows."""
    lease_namespace: str = "seeding"
    """SEED_LEASE_NAMESPACE: where the tenant and slot Leases live (the operator's namespace)."""
    global_cap: int = 2
    """SEED_GLOBAL_CAP: concurrent runs per environment (slot Leases per environment)."""
    global_caps: Mapping[str, int] = field(default_factory=dict)
    """SEED_GLOBAL_CAP_<ENV> overrides per environment (e.g. SEED_GLOBAL_CAP_PERF=1)."""
    queue_ttl_seconds: int = 300
    """SEED_QUEUE_TTL_SECONDS: how long a run may wait for its Leases before QueueTimeout (exit 3)."""
    lease_duration_seconds: int = 60
    """SEED_LEASE_DURATION_SECONDS: a Lease not renewed for this long may be taken over."""
    lease_renew_seconds: int = 20
    """SEED_LEASE_RENEW_SECONDS: how often a running run renews its Leases."""
    image: str = "seed-operator:latest"
    """SEED_IMAGE: the image of the preflight, batch and report Jobs."""
    image_pull_policy: str = "IfNotPresent"
    runner_service_account: str = "seed-runner"
    """SEED_RUNNER_SERVICE_ACCOUNT: the ServiceAccount of the Jobs (not the operator's)."""
    parallelism_baseline: int = 1
    """SEED_PARALLELISM_BASELINE: batch Jobs at once for baseline and canary runs."""
    parallelism_load: int = 4
    """SEED_PARALLELISM_LOAD: batch Jobs at once for carga and dr runs."""
    batch_rows: int = 50_000
    """SEED_BATCH_ROWS: rows per batch Job."""
    job_deadline_seconds: int = 3600
    """SEED_JOB_DEADLINE_SECONDS: activeDeadlineSeconds of every Job."""
    env_secret: str = "seed-runner-env"
    """SEED_ENV_SECRET: Secret whose keys become the Jobs' environment (database URL, S3 keys...)."""
    env_configmap: str = "seed-runner-config"
    """SEED_ENV_CONFIGMAP: ConfigMap whose keys become the Jobs' environment (endpoints, paths)."""
    metrics_port: int = 8080
    """SEED_METRICS_PORT: Prometheus ``/metrics`` (the chart's ``metrics.port``)."""
    liveness_port: int = 8081
    """SEED_LIVENESS_PORT: kopf's liveness endpoint ``/healthz`` (the chart's ``operator.healthPort``)."""

    def cap_for(self, environment: str) -> int:
        return self.global_caps.get(environment, self.global_cap)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OperatorSettings:
        env = os.environ if env is None else env
        prefix = "SEED_GLOBAL_CAP_"
        caps = {
            name[len(prefix) :].lower(): _int(env, name, 2, 1)
            for name in env
            if name.startswith(prefix)
        }
        return cls(
            namespaces=_list(env, "SEED_WATCH_NAMESPACES"),
            lease_namespace=env.get("SEED_LEASE_NAMESPACE", "seeding"),
            global_cap=_int(env, "SEED_GLOBAL_CAP", 2, 1),
            global_caps=caps,
            queue_ttl_seconds=_int(env, "SEED_QUEUE_TTL_SECONDS", 300, 1),
            lease_duration_seconds=_int(env, "SEED_LEASE_DURATION_SECONDS", 60, 5),
            lease_renew_seconds=_int(env, "SEED_LEASE_RENEW_SECONDS", 20, 1),
            image=env.get("SEED_IMAGE", "seed-operator:latest"),
            image_pull_policy=env.get("SEED_IMAGE_PULL_POLICY", "IfNotPresent"),
            runner_service_account=env.get("SEED_RUNNER_SERVICE_ACCOUNT", "seed-runner"),
            parallelism_baseline=_int(env, "SEED_PARALLELISM_BASELINE", 1, 1),
            parallelism_load=_int(env, "SEED_PARALLELISM_LOAD", 4, 1),
            batch_rows=_int(env, "SEED_BATCH_ROWS", 50_000, 1),
            job_deadline_seconds=_int(env, "SEED_JOB_DEADLINE_SECONDS", 3600, 60),
            env_secret=env.get("SEED_ENV_SECRET", "seed-runner-env"),
            env_configmap=env.get("SEED_ENV_CONFIGMAP", "seed-runner-config"),
            metrics_port=_int(env, "SEED_METRICS_PORT", 8080, 1),
            liveness_port=_int(env, "SEED_LIVENESS_PORT", 8081, 1),
        )
