"""The SeedProfile document: its spec (the manifest v1 of one tenant in one environment), metadata
and status, and the API group and version it is served under."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Literal

from pydantic import Field, field_validator

from seedlib.contract._model import CrossFieldRule, Omittable, SpecModel
from seedlib.contract.entities import STATEFUL, Entity
from seedlib.contract.profile._formats import (
    DNS_LABEL,
    DNS_SUBDOMAIN,
    SEMVER,
    SHA256_HEX,
    UTC_INSTANT,
    EnvironmentField,
    Mode,
    ModeField,
)
from seedlib.contract.profile._policies import Backoff, Budget, Canary, RateLimit, Slo, Ttl, Window
from seedlib.contract.profile._volumetry import StatefulVolumeEntry, Volumetry

API_GROUP: Final = "seeding.iabank.io"
API_VERSION: Final = f"{API_GROUP}/v1alpha1"
SCHEMA_VERSION: Final = "v1"


class Integrity(SpecModel):
    manifest_hash: Annotated[str, Field(pattern=SHA256_HEX)]
    """sha256 (64 lowercase hex) of the RFC 8785 canonical JSON of spec without integrity.
    Fill it with `seedctl hash --write FILE`."""


class SeedProfileSpec(SpecModel):
    """The manifest v1 of one tenant in one environment."""

    tenant: Annotated[str, Field(pattern=DNS_LABEL, max_length=63, examples=["tenant-a"])]
    """Tenant slug, a DNS-1123 label."""
    environment: EnvironmentField
    """Target environment: dev, homolog, staging, perf, dr or prod."""
    profile: Annotated[str, Field(pattern=DNS_LABEL, max_length=63, examples=["default"])]
    """Profile name within the tenant, a DNS-1123 label."""
    version: Annotated[str, Field(pattern=SEMVER, max_length=64, examples=["1.0.0"])]
    """Manifest version, SemVer 2.0.0 (quote it in YAML)."""
    schema_version: Literal["v1"]
    """Schema version of this manifest; only "v1" exists."""
    salt_version: Annotated[str, Field(pattern=r"^v[1-9]\d{0,5}$", examples=["v1"])]
    """Version of the tenant/environment pseudonymisation salt in Vault ("v1", "v2", ...)."""
    mode: ModeField
    """baseline, carga, dr or canary."""
    reference_datetime: Annotated[
        str, Field(pattern=UTC_INSTANT, examples=["2025-01-01T00:00:00Z"])
    ]
    """The instant every generated timestamp derives from: ISO-8601 UTC ending in Z, quoted.
    Changing it is breaking: existing datasets must be purged and reseeded."""
    window: Window
    """The off-peak window in UTC."""
    volumetry: Volumetry
    """Rows per entity, bounded by hard caps."""
    rate_limit: RateLimit
    """Write rate limit."""
    backoff: Backoff
    """Retry policy of failed batches."""
    budget: Budget
    """Cost and error budgets."""
    ttl: Ttl
    """Dataset lifetime per mode."""
    slo: Slo
    """Latency and throughput targets."""
    canary: Omittable[Canary] = None
    """Canary scope: required when mode is canary, forbidden otherwise."""
    integrity: Integrity
    """Integrity of this spec."""

    cross_field_rules = (
        CrossFieldRule(
            cel="self.mode != 'canary' || has(self.canary)",
            message="canary is required when mode is canary",
            field="canary",
            holds=lambda s: s.mode is not Mode.CANARY or s.canary is not None,
        ),
        CrossFieldRule(
            cel="self.mode == 'canary' || !has(self.canary)",
            message="canary is only allowed when mode is canary",
            field="canary",
            holds=lambda s: s.mode is Mode.CANARY or s.canary is None,
        ),
        CrossFieldRule(
            cel="self.mode in ['carga', 'dr'] || !("
            + " || ".join(
                f"(has(self.volumetry.{e.value}) && has(self.volumetry.{e.value}.states))"
                for e in Entity
                if e in STATEFUL
            )
            + ")",
            message="volumetry states are only allowed in carga and dr modes",
            field="volumetry",
            holds=lambda s: s.mode in (Mode.CARGA, Mode.DR) or not _entities_with_states(s),
            locate=lambda s: f"volumetry.{_entities_with_states(s)[0].value}.states",
        ),
    )

    @field_validator("reference_datetime")
    @classmethod
    def _real_instant(cls, value: str) -> str:
        dt.datetime.fromisoformat(value)  # 2025-02-30T00:00:00Z matches the pattern but is no date
        return value

    @property
    def reference_instant(self) -> dt.datetime:
        """``referenceDatetime`` as an aware UTC datetime."""
        return dt.datetime.fromisoformat(self.reference_datetime).astimezone(dt.UTC)

    @property
    def manifest_hash(self) -> str:
        return self.integrity.manifest_hash


def _entities_with_states(spec: SeedProfileSpec) -> list[Entity]:
    return [
        entity
        for entity, entry in spec.volumetry.entries().items()
        if isinstance(entry, StatefulVolumeEntry) and entry.states is not None
    ]


class ObjectMeta(SpecModel):
    """The part of Kubernetes ObjectMeta a manifest file carries; the server's own fields pass."""

    model_config = SpecModel.model_config | {"extra": "allow"}

    name: Annotated[str, Field(pattern=DNS_SUBDOMAIN, max_length=253, examples=["tenant-a-dev"])]
    """Object name, a DNS-1123 subdomain."""
    namespace: Omittable[Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]] = None
    """Namespace of the object."""
    labels: Omittable[dict[str, str]] = None
    annotations: Omittable[dict[str, str]] = None


class SeedProfileStatus(SpecModel):
    """What the operator last concluded about this profile."""

    observed_generation: Omittable[Annotated[int, Field(ge=0)]] = None
    """metadata.generation the status describes."""
    manifest_hash: Omittable[Annotated[str, Field(pattern=SHA256_HEX)]] = None
    """The verified manifestHash of that generation."""
    valid: Omittable[bool] = None
    """Whether the profile passed validation."""
    message: Omittable[str] = None
    """Why the profile is invalid, when it is."""


class SeedProfile(SpecModel):
    """A SeedProfile document (a manifest file or the custom resource)."""

    api_version: Literal["seeding.iabank.io/v1alpha1"]
    kind: Literal["SeedProfile"]
    metadata: ObjectMeta
    spec: SeedProfileSpec
    status: Omittable[SeedProfileStatus] = None
