"""A pseudonymisation salt and the protocol every salt provider implements.

A salt is a secret per tenant and environment, versioned (``v1``, ``v2``...); the profile names the
version it was seeded with (``spec.saltVersion``) and every PII value is a function of it. The
providers live in ``seedlib.evidence`` (Vault in clusters, a public dev-isolated salt on a laptop);
the generator needs only this type, so it sits in the contract layer below both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Salt", "SaltProvider"]


@dataclass(frozen=True, slots=True)
class Salt:
    value: bytes
    version: str
    source: str
    """Where it came from, for the run report: ``vault:<path>#<version>`` or ``dev-isolated``."""

    def __repr__(self) -> str:  # never print the secret
        return f"Salt(version={self.version!r}, source={self.source!r})"


class SaltProvider(Protocol):
    def salt(self, tenant: str, environment: str, version: str) -> Salt:
        """The salt of ``version`` for the tenant/environment, or a ``SeedError`` (exit 2 or 4)."""
        ...
