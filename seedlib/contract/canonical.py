"""The canonical hash of a SeedProfile spec: sha256 over its RFC 8785 (JCS) serialisation.

The hash covers ``spec`` without ``integrity``, exactly as the document states it (after YAML or
JSON parsing, before any model coercion), so ``seedctl``, the operator reading the custom resource
from the API server and an auditor with any JCS implementation all compute the same 64 hex digits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import rfc8785

__all__ = ["CanonicalizationError", "canonical_json", "manifest_hash"]

INTEGRITY_KEY = "integrity"


class CanonicalizationError(ValueError):
    """The value cannot be expressed as canonical JSON (NaN, a huge integer, a non-string key...)."""


def canonical_json(value: object) -> bytes:
    """RFC 8785 bytes of a JSON-compatible value."""
    try:
        return rfc8785.dumps(value)  # type: ignore[arg-type]  # checked at run time, raises
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalizationError(str(exc) or type(exc).__name__) from exc


def manifest_hash(spec: Mapping[str, object]) -> str:
    """sha256 hex of the canonical JSON of ``spec`` without its ``integrity`` member."""
    unsigned = {key: value for key, value in spec.items() if key != INTEGRITY_KEY}
    return hashlib.sha256(canonical_json(unsigned)).hexdigest()
