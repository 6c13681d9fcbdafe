"""SeedProfile v1: the versioned manifest of one tenant's dataset in one environment.

These models are the single source of the contract: the CRD ``openAPIV3Schema``, the JSON Schema
2020-12 file and ``seedctl validate`` are all derived from them. Every field is required unless it is
marked optional here; nothing has an implicit default (reference issue-003, "fail-close"). Parsing
is strict: ``"100"`` is not ``100``, ``null`` is not "absent", unknown fields are errors.

This package is pure: no file, network or cluster access. Reading YAML is ``seedlib.documents``'s
job, the integrity check that ties ``spec.integrity.manifestHash`` to the content is
``seedlib.rules.validation``'s.

The models live in private modules and are re-exported here: ``_formats`` (patterns, enums,
number types), ``_volumetry`` (rows per entity and lifecycle-state shares), ``_policies`` (window,
rate limit, backoff, budget, TTL, SLO, canary) and ``_document`` (the spec and the document).
"""

from __future__ import annotations

from seedlib.contract.profile._document import (
    API_GROUP,
    API_VERSION,
    SCHEMA_VERSION,
    Integrity,
    ObjectMeta,
    SeedProfile,
    SeedProfileSpec,
    SeedProfileStatus,
)
from seedlib.contract.profile._formats import (
    DNS_LABEL,
    DNS_SUBDOMAIN,
    SHA256_HEX,
    Environment,
    Mode,
)
from seedlib.contract.profile._policies import Backoff, Budget, Canary, RateLimit, Slo, Ttl, Window
from seedlib.contract.profile._volumetry import StatefulVolumeEntry, States, VolumeEntry, Volumetry

__all__ = [
    "API_GROUP",
    "API_VERSION",
    "DNS_LABEL",
    "DNS_SUBDOMAIN",
    "SCHEMA_VERSION",
    "SHA256_HEX",
    "Backoff",
    "Budget",
    "Canary",
    "Environment",
    "Integrity",
    "Mode",
    "ObjectMeta",
    "RateLimit",
    "SeedProfile",
    "SeedProfileSpec",
    "SeedProfileStatus",
    "Slo",
    "StatefulVolumeEntry",
    "States",
    "Ttl",
    "VolumeEntry",
    "Volumetry",
    "Window",
]
