"""Where seedctl finds its dependencies: environment variables, read once, named in one place.

The Helm chart sets these on the operator and on every Job; on a laptop they are usually unset and
``--dev-isolated`` replaces Vault and S3 with local stand-ins (environment ``dev`` only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Settings"]


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
        )
