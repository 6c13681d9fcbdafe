"""Vault (or OpenBao): the salt provider and the report signer of clustered runs.

Salts: one KV v2 secret per tenant and environment (``SEED_VAULT_SALT_PATH``, default
``seeding/{environment}/{tenant}/salt``) with a field ``salt`` (base64, at least 16 bytes). The
profile's ``saltVersion`` ``vN`` *is* KV version N of that secret, and the *active* salt is the
secret's current version: rotating the salt = writing a new version. A run whose profile names
another version than the active one fails with ``SaltDrift`` (exit 2) until the tenant is purged and
the profile moved to the new version. Vault unreachable, sealed, forbidden, or the secret/version
missing: ``VaultUnavailable`` (exit 4), before anything is written. Nothing is cached.

Signing: Transit ``sign`` with an RSA key (``SEED_VAULT_SIGNING_KEY``), PSS, SHA-256, prehashed;
the public key is read from Transit for the report and for offline verification.

Auth: Kubernetes (``SEED_VAULT_ROLE`` + the ServiceAccount token file) in clusters, a token for
development. Calls time out after 5 s and are retried 3 times with jittered backoff.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Final, TypeVar

import hvac
import hvac.exceptions
import requests

from seedlib.contract.salt import Salt
from seedlib.errors import DependencyUnavailableError, InvalidInputError, Reason
from seedlib.rules.backoff import retry
from seedlib.settings import Settings

__all__ = ["TransitSigner", "VaultSaltProvider", "vault_client"]

T = TypeVar("T")
_TIMEOUT: Final = 5
_TRANSIENT: Final = (requests.ConnectionError, requests.Timeout, hvac.exceptions.VaultDown)


def _unavailable(
    what: str, exc: BaseException | None = None, hint: str | None = None
) -> DependencyUnavailableError:
    detail = f": {' '.join(str(exc).split())[:300]}" if exc else ""
    return DependencyUnavailableError(
        Reason.VAULT_UNAVAILABLE,
        f"Vault: {what}{detail}",
        hint=hint or "check SEED_VAULT_ADDR, that Vault is unsealed and that the role may read it",
    )


def _call(what: str, call: Callable[[], T]) -> T:
    try:
        return retry(call, retryable=_TRANSIENT)
    except hvac.exceptions.VaultDown as exc:
        raise _unavailable(f"{what}: Vault is sealed or down", exc) from exc
    except hvac.exceptions.Forbidden as exc:
        raise _unavailable(f"{what}: permission denied", exc) from exc
    except hvac.exceptions.InvalidPath as exc:
        raise _unavailable(f"{what}: not found", exc) from exc
    except (requests.RequestException, hvac.exceptions.VaultError) as exc:
        raise _unavailable(f"{what} failed", exc) from exc


def vault_client(settings: Settings) -> hvac.Client:
    """An authenticated client (token, or Kubernetes auth with the ServiceAccount token)."""
    if not settings.vault_addr:
        raise _unavailable(
            "no address configured", hint="set SEED_VAULT_ADDR (or use --dev-isolated in dev)"
        )
    client = hvac.Client(url=settings.vault_addr, token=settings.vault_token, timeout=_TIMEOUT)
    if settings.vault_role:
        try:
            with open(settings.vault_jwt_file, encoding="utf-8") as handle:
                jwt = handle.read().strip()
        except OSError as exc:
            raise _unavailable(
                f"cannot read the ServiceAccount token {settings.vault_jwt_file}", exc
            ) from exc
        _call(
            "Kubernetes login",
            lambda: client.auth.kubernetes.login(
                settings.vault_role, jwt, mount_point=settings.vault_auth_mount
            ),
        )
    elif not settings.vault_token:
        raise _unavailable(
            "no credentials", hint="set SEED_VAULT_ROLE (Kubernetes auth) or SEED_VAULT_TOKEN"
        )
    return client


class VaultSaltProvider:
    """Salts from KV v2: ``vN`` is version N of the tenant's salt secret; the active one is current."""

    def __init__(self, settings: Settings, client: hvac.Client | None = None) -> None:
        self._settings = settings
        self._client = client

    def _vault(self) -> hvac.Client:
        if self._client is None:
            self._client = vault_client(self._settings)
        return self._client

    def salt(self, tenant: str, environment: str, version: str) -> Salt:
        settings = self._settings
        path = settings.vault_salt_path.format(tenant=tenant, environment=environment)
        kv = self._vault().secrets.kv.v2
        where = f"{settings.vault_kv_mount}/{path}"
        metadata: dict[str, Any] = _call(
            f"reading {where}",
            lambda: kv.read_secret_metadata(path, mount_point=settings.vault_kv_mount),
        )
        active = f"v{metadata['data']['current_version']}"
        if active != version:
            raise InvalidInputError(
                Reason.SALT_DRIFT,
                f"the profile asks for salt {version} but the active salt of {tenant}/{environment} "
                f"in Vault is {active}",
                hint=f"purge the tenant (seedctl purge --tenant {tenant} --environment {environment}), "
                f"set spec.saltVersion: {active} and reseed",
            )
        number = int(version.removeprefix("v"))
        secret: dict[str, Any] = _call(
            f"reading {where} version {number}",
            lambda: kv.read_secret_version(
                path,
                version=number,
                mount_point=settings.vault_kv_mount,
                raise_on_deleted_version=True,
            ),
        )
        encoded = (secret.get("data", {}).get("data") or {}).get("salt")
        try:
            value = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _unavailable(f"{where} version {number} has no base64 field 'salt'", exc) from exc
        if len(value) < 16:
            raise _unavailable(f"{where} version {number}: the salt is shorter than 16 bytes")
        return Salt(value, version, f"vault:{where}#{number}")


class TransitSigner:
    """RSA-PSS-SHA256 signatures from Vault Transit; the private key never leaves Vault."""

    def __init__(self, settings: Settings, client: hvac.Client | None = None) -> None:
        self._settings = settings
        self._client = client or vault_client(settings)
        key: dict[str, Any] = _call(
            f"reading transit key {settings.vault_signing_key}",
            lambda: self._client.secrets.transit.read_key(
                settings.vault_signing_key, mount_point=settings.vault_transit_mount
            ),
        )
        self._version = int(key["data"]["latest_version"])
        self._public_key = str(key["data"]["keys"][str(self._version)]["public_key"])

    @property
    def key_id(self) -> str:
        s = self._settings
        return f"vault:{s.vault_transit_mount}/{s.vault_signing_key}:v{self._version}"

    def sign_digest(self, digest: bytes) -> str:
        s = self._settings
        answer: dict[str, Any] = _call(
            "signing the report",
            lambda: self._client.secrets.transit.sign_data(
                s.vault_signing_key,
                hash_input=base64.b64encode(digest).decode(),
                key_version=self._version,
                hash_algorithm="sha2-256",
                prehashed=True,
                signature_algorithm="pss",
                salt_length="hash",
                mount_point=s.vault_transit_mount,
            ),
        )
        signature = str(answer["data"]["signature"])  # vault:v<N>:<base64>
        return signature.rsplit(":", 1)[1]

    def public_key_pem(self) -> str:
        return self._public_key
