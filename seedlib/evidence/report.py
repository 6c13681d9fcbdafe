"""The run report: the evidence a bank keeps for every seeding run, canonical, hashed and signed.

The payload carries the fields of the reference plan ("Relatório WORM"): run_id, tenant,
environment, manifest_path, manifest_hash_sha256, schema_version, mode, reference_datetime, caps,
rate_limit_usage, budget_usage, batches, checkpoints, errors (Problem Details), otel_trace_id,
otel_span_id, started_at, finished_at, outcome; plus generator_version, salt_version, the
dataset_digest over the batch digests and the pii_check summary. ``seal`` adds ``signature_hash`` =
sha256 of the RFC 8785 canonical JSON of the payload and ``signature`` = RSA-PSS-SHA256 of that hash;
``check_sealed`` verifies both. The stored bytes are the canonical JSON of the sealed document.

Pure module (signing goes through the ``Signer`` protocol).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Final

from seedlib.contract.canonical import canonical_json
from seedlib.evidence.signing import ALGORITHM, Signer, verify_signature

__all__ = ["REPORT_VERSION", "SEAL_FIELDS", "check_sealed", "dataset_digest", "report_key", "seal"]

REPORT_VERSION: Final = "seeding.iabank.io/report/v1"
SEAL_FIELDS: Final = (
    "signature_hash",
    "signature",
    "signature_algorithm",
    "key_id",
    "public_key_pem",
)


def report_key(environment: str, tenant: str, run_id: str) -> str:
    """The object key of a run's report: ``worm/seeds/<env>/<tenant>/<run_id>.json``."""
    return f"worm/seeds/{environment}/{tenant}/{run_id}.json"


def dataset_digest(checkpoints: Sequence[Mapping[str, Any]]) -> str:
    """sha256 over ``table:first_row:sha256`` of every checkpoint, in (table, first_row) order."""
    digest = hashlib.sha256()
    for checkpoint in sorted(checkpoints, key=lambda c: (str(c["table"]), int(c["first_row"]))):
        digest.update(
            f"{checkpoint['table']}:{checkpoint['first_row']}:{checkpoint['sha256']}\n".encode()
        )
    return digest.hexdigest()


def seal(payload: Mapping[str, Any], signer: Signer) -> bytes:
    """The canonical bytes of ``payload`` plus its hash and signature."""
    if any(field in payload for field in SEAL_FIELDS):
        raise ValueError("the payload already carries seal fields")
    digest = hashlib.sha256(canonical_json(dict(payload))).digest()
    sealed = {
        **payload,
        "signature_hash": digest.hex(),
        "signature": signer.sign_digest(digest),
        "signature_algorithm": ALGORITHM,
        "key_id": signer.key_id,
        "public_key_pem": signer.public_key_pem(),
    }
    return canonical_json(sealed)


def check_sealed(document: Mapping[str, Any], trusted_public_key: str | None = None) -> list[str]:
    """Problems with a sealed report (empty: the hash and the signature hold)."""
    missing = [field for field in SEAL_FIELDS if field not in document]
    if missing:
        return [f"not a sealed report: missing {', '.join(missing)}"]
    payload = {k: v for k, v in document.items() if k not in SEAL_FIELDS}
    digest = hashlib.sha256(canonical_json(payload)).digest()
    problems = []
    if digest.hex() != document["signature_hash"]:
        problems.append(
            f"signature_hash {str(document['signature_hash'])[:12]}... does not match the content "
            f"(sha256 {digest.hex()[:12]}...): the report was edited"
        )
    key = trusted_public_key or str(document["public_key_pem"])
    if not verify_signature(
        bytes.fromhex(str(document["signature_hash"])), str(document["signature"]), key
    ):
        problems.append(
            "the signature does not verify"
            + (" with the trusted key" if trusted_public_key else "")
        )
    return problems
