"""Report signatures: RSA-PSS with SHA-256 over the sha256 of the report's canonical JSON.

Signers are Vault Transit in clusters (``seedlib.evidence.vault.TransitSigner``: the private key never leaves
Vault) and, in dev-isolated mode only, a local key under ``.seed/keys``. Verification needs only the
public key (PEM), so an auditor can check a report offline with any RSA-PSS implementation:
salt length = digest length (32), MGF1 with SHA-256, signature over the 32-byte digest.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Final, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from seedlib.errors import InvalidInputError, Reason

__all__ = ["ALGORITHM", "LocalSigner", "Signer", "verify_signature"]

ALGORITHM: Final = "RSASSA-PSS-SHA256"
_PSS: Final = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


class Signer(Protocol):
    @property
    def key_id(self) -> str: ...

    def sign_digest(self, digest: bytes) -> str:
        """Base64 RSA-PSS signature of a sha256 digest."""
        ...

    def public_key_pem(self) -> str: ...


def verify_signature(digest: bytes, signature_b64: str, public_key_pem: str) -> bool:
    """Whether ``signature_b64`` is a valid RSA-PSS-SHA256 signature of ``digest``."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, rsa.RSAPublicKey):
            return False
        key.verify(
            base64.b64decode(signature_b64, validate=True), digest, _PSS, Prehashed(hashes.SHA256())
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


class LocalSigner:
    """A file-backed RSA key for dev-isolated runs (refused for any environment but dev)."""

    def __init__(self, directory: Path, environment: str) -> None:
        if environment != "dev":
            raise InvalidInputError(
                Reason.DEV_ISOLATED_FORBIDDEN,
                f"the local signing key is refused for environment {environment!r}",
                hint="sign with Vault Transit (SEED_VAULT_ADDR, SEED_VAULT_SIGNING_KEY)",
            )
        self._path = directory / "report-signing.pem"
        if not self._path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            descriptor = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
        loaded = serialization.load_pem_private_key(self._path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise InvalidInputError(
                Reason.PROFILE_INVALID, f"{self._path} is not an RSA key", hint="delete it"
            )
        self._key = loaded

    @property
    def key_id(self) -> str:
        return f"local:{self._path}"

    def sign_digest(self, digest: bytes) -> str:
        return base64.b64encode(self._key.sign(digest, _PSS, Prehashed(hashes.SHA256()))).decode()

    def public_key_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
