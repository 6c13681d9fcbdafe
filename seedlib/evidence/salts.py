"""The dev-isolated salt provider (``Salt`` and ``SaltProvider`` are in ``seedlib.contract.salt``).

A salt is a secret per tenant and environment, versioned (``v1``, ``v2``...); the profile names the
version it was seeded with (``spec.saltVersion``) and every PII value is a function of it. In clusters
the salt lives in Vault (``seedlib.evidence.vault``); nothing may fall back to a cached or ephemeral
salt when Vault is unavailable.

The one exception is *dev-isolated* mode: on a laptop, for environment ``dev`` only and only when the
caller asks for it explicitly, ``DevIsolatedSaltProvider`` derives a public, deterministic salt. Its
values are not secret (the data is synthetic anyway) but it is refused everywhere else with
``DevIsolatedForbidden`` (exit 2), so a misconfigured staging run can never use it.
"""

from __future__ import annotations

import hashlib

from seedlib.contract.profile import Environment
from seedlib.contract.salt import Salt
from seedlib.errors import InvalidInputError, Reason

__all__ = ["DevIsolatedSaltProvider"]


class DevIsolatedSaltProvider:
    """A deterministic, public salt for ``dev`` only, when dev-isolated mode is explicitly requested."""

    def __init__(self, *, dev_isolated: bool) -> None:
        self._dev_isolated = dev_isolated

    def salt(self, tenant: str, environment: str, version: str) -> Salt:
        if environment != Environment.DEV.value or not self._dev_isolated:
            raise InvalidInputError(
                Reason.DEV_ISOLATED_FORBIDDEN,
                f"the local dev-isolated salt is refused for environment {environment!r}"
                + ("" if self._dev_isolated else " without --dev-isolated"),
                hint="use the Vault salt provider; the local salt exists only for "
                "environment dev with --dev-isolated",
            )
        material = f"seed-operator dev-isolated salt|{tenant}|{environment}|{version}"
        return Salt(hashlib.sha256(material.encode()).digest(), version, "dev-isolated")
