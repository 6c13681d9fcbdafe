"""Where seedctl finds its dependencies: environment variables, read once, named in one place.

The Helm chart sets these on the operator and on every Job; on a laptop they are usually unset and
``--dev-isolated`` replaces Vault and S3 with local stand-ins (environment ``dev`` only). Every
``SEED_*`` variable seedlib reads is read here (the operator's Job environment, spelled as
``seedlib.contract.job.JobEnv``, included); nothing else in seedlib reads ``os.environ`` except
the OpenTelemetry SDK's own ``OTEL_*`` variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings", "termination_message_path"]


@dataclass(frozen=True, slots=True)
class Settings:
    vault_addr: str | None
    """SEED_VAULT_ADDR (or VAULT_ADDR): Vault/OpenBao URL."""
    vault_token: str | None
    """SEED_VAULT_TOKEN (or VAULT_TOKEN, or the file named by SEED_VAULT_TOKEN_FILE): dev auth."""
    vault_role: str | None
    """SEED_VAULT_ROLE: Kubernetes auth role; the ServiceAccount token file is SEED_VAULT_JWT_FILE."""
    vault_jwt_file: str
    vault_auth_mount: str
    vault_kv_mount: str
    """SEED_VAULT_KV_MOUNT (default secret): KV v2 mount of the salts."""
    vault_salt_path: str
    """SEED_VAULT_SALT_PATH (default seeding/{environment}/{tenant}/salt): the salt secret."""
    vault_transit_mount: str
    vault_signing_key: str
    """SEED_VAULT_SIGNING_KEY (default seeding-reports): Transit RSA key that signs reports."""
    s3_endpoint: str | None
    """SEED_S3_ENDPOINT: S3 API endpoint (unset: AWS)."""
    worm_bucket: str | None
    """SEED_WORM_BUCKET: bucket with Object Lock for the reports."""
    worm_retention_days: int
    """SEED_WORM_RETENTION_DAYS (default 365, never below 365 outside dev)."""
    cost_per_million_rows_brl: str
    """SEED_COST_PER_MILLION_ROWS_BRL (default 0.50): the FinOps estimate of a run's cost."""
    database_url: str | None = None
    """SEED_DATABASE_URL: PostgreSQL (unset: the embedded server under ``local_dir``)."""
    local_dir: Path = Path(".seed")
    """SEED_LOCAL_DIR (default .seed): embedded PostgreSQL, dev-isolated reports, keys, spans."""
    requested_by: str | None = None
    """SEED_REQUESTED_BY: who asked for the run (the SeedRun's creator, in a Job)."""
    log_level: str = "INFO"
    """SEED_LOG_LEVEL (default INFO)."""
    log_format: str | None = None
    """SEED_LOG_FORMAT: ``json`` or ``text``; unset: text when stderr is a terminal, else JSON."""
    debug: bool = False
    """SEEDCTL_DEBUG: let an unexpected database error end in a traceback."""
    run_id: str | None = None
    """SEED_RUN_ID: the SeedRun's uid, the run id of every Job of the run."""
    run_name: str | None = None
    """SEED_RUN_NAME: the SeedRun's name (its report records ``seedrun:<name>`` as manifest path)."""
    profile_json: str | None = None
    """SEED_PROFILE_JSON: the profile spec the operator admitted, as canonical JSON."""
    batch_rows: int | None = None
    """SEED_BATCH_ROWS: rows per batch of a dataset seeded for the first time by a Job."""
    termination_message_path: Path | None = None
    """TERMINATION_MESSAGE_PATH, else ``/dev/termination-log`` when it exists (in a Pod)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        token = env.get("SEED_VAULT_TOKEN") or env.get("VAULT_TOKEN")
        token_file = env.get("SEED_VAULT_TOKEN_FILE")
        if not token and token_file and os.path.exists(token_file):
            with open(token_file, encoding="utf-8") as handle:
                token = handle.read().strip()
        return cls(
            vault_addr=env.get("SEED_VAULT_ADDR") or env.get("VAULT_ADDR"),
            vault_token=token,
            vault_role=env.get("SEED_VAULT_ROLE"),
            vault_jwt_file=env.get(
                "SEED_VAULT_JWT_FILE", "/var/run/secrets/kubernetes.io/serviceaccount/token"
            ),
            vault_auth_mount=env.get("SEED_VAULT_AUTH_MOUNT", "kubernetes"),
            vault_kv_mount=env.get("SEED_VAULT_KV_MOUNT", "secret"),
            vault_salt_path=env.get("SEED_VAULT_SALT_PATH", "seeding/{environment}/{tenant}/salt"),
            vault_transit_mount=env.get("SEED_VAULT_TRANSIT_MOUNT", "transit"),
            vault_signing_key=env.get("SEED_VAULT_SIGNING_KEY", "seeding-reports"),
            s3_endpoint=env.get("SEED_S3_ENDPOINT"),
            worm_bucket=env.get("SEED_WORM_BUCKET"),
            worm_retention_days=int(env.get("SEED_WORM_RETENTION_DAYS", "365")),
            cost_per_million_rows_brl=env.get("SEED_COST_PER_MILLION_ROWS_BRL", "0.50"),
            database_url=env.get("SEED_DATABASE_URL") or None,
            local_dir=Path(env.get("SEED_LOCAL_DIR") or ".seed"),
            requested_by=env.get("SEED_REQUESTED_BY") or None,
            log_level=env.get("SEED_LOG_LEVEL", "INFO"),
            log_format=_choice(env, "SEED_LOG_FORMAT", ("json", "text")),
            debug=bool(env.get("SEEDCTL_DEBUG")),
            run_id=env.get("SEED_RUN_ID") or None,
            run_name=env.get("SEED_RUN_NAME") or None,
            profile_json=env.get("SEED_PROFILE_JSON") or None,
            batch_rows=_positive(env, "SEED_BATCH_ROWS"),
            termination_message_path=termination_message_path(env),
        )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    """An optional value out of ``allowed``; anything else is a configuration error, said by name."""
    text = env.get(name, "").strip().lower()
    if not text:
        return None
    if text not in allowed:
        raise ValueError(f"{name}={text!r} must be one of {', '.join(allowed)}")
    return text


def _positive(env: Mapping[str, str], name: str) -> int | None:
    """An optional positive integer; a malformed value is a configuration error, said by name."""
    text = env.get(name)
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not an integer") from None
    if value < 1:
        raise ValueError(f"{name}={value} must be at least 1")
    return value


def termination_message_path(env: Mapping[str, str] | None = None) -> Path | None:
    """Where a Job leaves its result for the kubelet: the variable, else the kubelet's default
    file when it exists (outside a Pod there is none, and nothing is written). Also read alone,
    so that a Job whose other settings are malformed can still say so."""
    env = os.environ if env is None else env
    if named := env.get("TERMINATION_MESSAGE_PATH"):
        return Path(named)
    default = Path("/dev/termination-log")
    return default if default.exists() else None
