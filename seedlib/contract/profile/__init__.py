"""SeedProfile v1: the versioned manifest of one tenant's dataset in one environment.

These models are the single source of the contract: the CRD ``openAPIV3Schema``, the JSON Schema
2020-12 file and ``seedctl validate`` are all derived from them. Every field is required unless it is
marked optional here; nothing has an implicit default (reference issue-003, "fail-close"). Parsing
is strict: ``"100"`` is not ``100``, ``null`` is not "absent", unknown fields are errors.

This module is pure: no file, network or cluster access. Reading YAML is ``seedlib.documents``'s
job, the integrity check that ties ``spec.integrity.manifestHash`` to the content is
``seedlib.rules.validation``'s.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import Field, Strict, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from seedlib.contract._model import CROSS_FIELD_ERROR, CrossFieldRule, Omittable, SpecModel
from seedlib.contract.entities import HARD_CAPS, STATEFUL, Entity, LifecycleState

__all__ = [
    "API_GROUP",
    "API_VERSION",
    "SCHEMA_VERSION",
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
    "States",
    "Ttl",
    "VolumeEntry",
    "Volumetry",
    "Window",
]

API_GROUP: Final = "seeding.iabank.io"
API_VERSION: Final = f"{API_GROUP}/v1alpha1"
SCHEMA_VERSION: Final = "v1"

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
SEMVER = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-((0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(\+([0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*))?$"
)
UTC_INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$"
HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"
SHA256_HEX = r"^[0-9a-f]{64}$"
BRL_AMOUNT = r"^(0|[1-9]\d{0,11})\.\d{2}$"


class Environment(StrEnum):
    DEV = "dev"
    HOMOLOG = "homolog"
    STAGING = "staging"
    PERF = "perf"
    DR = "dr"
    PROD = "prod"


class Mode(StrEnum):
    """baseline: happy paths only, idempotent re-runs; carga/dr: volume with sad-path states, purged
    and rebuilt on every run; canary: a baseline slice for a share of tenants."""

    BASELINE = "baseline"
    CARGA = "carga"
    DR = "dr"
    CANARY = "canary"


# Enums arrive as plain strings from YAML and from the API server; strict mode would demand
# enum instances, so enum fields alone are validated in lax mode (which still accepts only members).
EnvironmentField = Annotated[Environment, Strict(False)]
ModeField = Annotated[Mode, Strict(False)]
Percent = Annotated[float, Field(ge=0, le=100)]
Share = Annotated[int, Field(ge=0, le=100)]


class Window(SpecModel):
    """The single off-peak window, in UTC, in which runs may start and write. It may cross midnight
    (start 22:00, end 06:00). There is no override: outside it, runs wait."""

    start_utc: Annotated[str, Field(pattern=HH_MM, examples=["00:00"])]
    """Opening time, "HH:MM" in UTC (quote it in YAML). Inclusive."""
    end_utc: Annotated[str, Field(pattern=HH_MM, examples=["06:00"])]
    """Closing time, "HH:MM" in UTC (quote it in YAML). Exclusive; earlier than start = crosses midnight."""

    cross_field_rules = (
        CrossFieldRule(
            cel="self.startUtc != self.endUtc",
            message="window start and end must differ: a zero-length window never opens",
            field="endUtc",
            holds=lambda w: w.start_utc != w.end_utc,
        ),
    )

    @property
    def start(self) -> dt.time:
        return dt.time.fromisoformat(self.start_utc)

    @property
    def end(self) -> dt.time:
        return dt.time.fromisoformat(self.end_utc)


class States(SpecModel):
    """How the rows of a stateful entity are spread across lifecycle states, in whole percent
    summing to 100. Only carga and dr datasets carry sad-path states; baseline is all active."""

    active: Omittable[Share] = None
    """Percent of rows in state active."""
    delinquent: Omittable[Share] = None
    """Percent of rows in state delinquent (overdue)."""
    blocked: Omittable[Share] = None
    """Percent of rows in state blocked."""
    cancelled: Omittable[Share] = None
    """Percent of rows in state cancelled."""
    expired: Omittable[Share] = None
    """Percent of rows in state expired."""

    cross_field_rules = (
        CrossFieldRule(
            cel=" + ".join(f"(has(self.{s}) ? self.{s} : 0)" for s in LifecycleState) + " == 100",
            message="state shares must sum to 100",
            field="",
            holds=lambda s: sum(s.shares().values()) == 100,
        ),
    )

    def shares(self) -> dict[LifecycleState, int]:
        """The shares that were given, by state."""
        return {
            state: share
            for state in LifecycleState
            if (share := getattr(self, state.value)) is not None
        }


class VolumeEntry(SpecModel):
    """Volume of one entity. ``cap`` is the number of rows the profile seeds (the upper bound, for
    entities whose count derives from their parents)."""

    cap: Annotated[int, Field(ge=1)]
    """Rows of this entity (at most the entity's hard cap)."""
    target_pct: Omittable[Percent] = None
    """Optional share of ``cap`` this profile seeds, 0-100 (e.g. a canary slice)."""


class StatefulVolumeEntry(VolumeEntry):
    states: Omittable[States] = None
    """Optional spread across lifecycle states (carga and dr only), whole percent summing to 100."""


class Volumetry(SpecModel):
    """Rows per entity. Only entities of the catalog may be named; each ``cap`` is bounded by the
    entity's hard cap (``seedlib.contract.entities.HARD_CAPS``). At least one entity is required."""

    users: Omittable[VolumeEntry] = None
    """Back-office users of the tenant."""
    customers: Omittable[StatefulVolumeEntry] = None
    """Customers, individuals and companies."""
    addresses: Omittable[VolumeEntry] = None
    """Customer addresses."""
    consultants: Omittable[VolumeEntry] = None
    """Account managers."""
    account_categories: Omittable[VolumeEntry] = None
    """Per-tenant catalog of account categories."""
    suppliers: Omittable[VolumeEntry] = None
    """Per-tenant catalog of suppliers."""
    bank_accounts: Omittable[StatefulVolumeEntry] = None
    """Checking and savings accounts."""
    loans: Omittable[StatefulVolumeEntry] = None
    """Price or SAC loans."""
    installments: Omittable[VolumeEntry] = None
    """Loan installments; derived from loans, bounded by this cap."""
    financial_transactions: Omittable[VolumeEntry] = None
    """PIX, TED, boleto and card transactions."""
    credit_limits: Omittable[StatefulVolumeEntry] = None
    """Credit limits per account."""
    contracts: Omittable[StatefulVolumeEntry] = None
    """Signed contracts."""

    cross_field_rules = (
        CrossFieldRule(
            cel=" || ".join(f"has(self.{entity.value})" for entity in Entity),
            message="volumetry must name at least one entity",
            field="",
            holds=lambda v: bool(v.entries()),
        ),
    )

    @field_validator("*")
    @classmethod
    def _within_hard_cap(
        cls, entry: VolumeEntry | None, info: ValidationInfo
    ) -> VolumeEntry | None:
        # The schema generators publish the same bound as `maximum` (seedlib.schema).
        entity = Entity(to_camel(str(info.field_name)))
        if entry is not None and entry.cap > HARD_CAPS[entity]:
            raise PydanticCustomError(
                CROSS_FIELD_ERROR,
                "cap {cap} exceeds the hard cap of {entity}, {hard_cap} rows",
                {
                    "field": "cap",
                    "cap": entry.cap,
                    "entity": entity.value,
                    "hard_cap": HARD_CAPS[entity],
                },
            )
        return entry

    def entry(self, entity: Entity) -> VolumeEntry | None:
        value: VolumeEntry | None = getattr(self, _FIELD_OF_ENTITY[entity])
        return value

    def entries(self) -> dict[Entity, VolumeEntry]:
        """The entities the profile names, in catalog order."""
        return {e: v for e in Entity if (v := self.entry(e)) is not None}


_FIELD_OF_ENTITY: Final = {Entity(to_camel(name)): name for name in Volumetry.model_fields}


class RateLimit(SpecModel):
    """Write budget of the run: ``limit`` batches per ``windowSeconds``, with an optional burst."""

    limit: Annotated[int, Field(ge=1, examples=[120])]
    """Operations allowed per window (>= 1)."""
    window_seconds: Annotated[int, Field(ge=1, examples=[60])]
    """Length of the rate-limit window in seconds (>= 1)."""
    burst: Omittable[Annotated[int, Field(ge=1)]] = None
    """Optional burst allowance; at least ``limit`` when given."""

    cross_field_rules = (
        CrossFieldRule(
            cel="!has(self.burst) || self.burst >= self.limit",
            message="burst must be at least limit",
            field="burst",
            holds=lambda r: r.burst is None or r.burst >= r.limit,
        ),
    )


class Backoff(SpecModel):
    """Retry policy of a failed batch: sleep = min(maxIntervalSeconds, baseSeconds * 2^attempt)
    * uniform(1 - jitterFactor, 1 + jitterFactor). ``maxRetries`` becomes the Job's backoffLimit."""

    base_seconds: Annotated[int, Field(ge=1, examples=[1])]
    """First retry delay in seconds (>= 1)."""
    jitter_factor: Annotated[float, Field(ge=0, le=1, examples=[0.1])]
    """Multiplicative jitter, 0.0-1.0."""
    max_retries: Annotated[int, Field(ge=0, le=20, examples=[3])]
    """Retries of one batch before the run fails (0-20)."""
    max_interval_seconds: Annotated[int, Field(ge=1, examples=[60])]
    """Ceiling of one retry delay in seconds; at least baseSeconds."""

    cross_field_rules = (
        CrossFieldRule(
            cel="self.maxIntervalSeconds >= self.baseSeconds",
            message="maxIntervalSeconds must be at least baseSeconds",
            field="maxIntervalSeconds",
            holds=lambda b: b.max_interval_seconds >= b.base_seconds,
        ),
    )


class Budget(SpecModel):
    """FinOps guard rails: alert at 80 % of either budget, abort at 100 %."""

    cost_cap_brl: Annotated[str, Field(pattern=BRL_AMOUNT, examples=["5.00"])]
    """Cost cap of one run in BRL, a quoted decimal with exactly 2 places ("5.00")."""
    error_budget_pct: Annotated[float, Field(ge=0, le=100, examples=[1])]
    """Share of failed batches tolerated before the run aborts, 0-100."""

    @property
    def cost_cap(self) -> Decimal:
        return Decimal(self.cost_cap_brl)


class Ttl(SpecModel):
    """How long each mode's dataset lives before the purge removes it (days; 0 = purge at the next
    purge run)."""

    baseline_days: Annotated[int, Field(ge=0, le=3650, examples=[1])]
    """Lifetime of baseline (and canary) datasets in days."""
    carga_days: Annotated[int, Field(ge=0, le=3650, examples=[0])]
    """Lifetime of carga datasets in days."""
    dr_days: Annotated[int, Field(ge=0, le=3650, examples=[0])]
    """Lifetime of dr datasets in days."""

    def days_for(self, mode: Mode) -> int:
        if mode is Mode.CARGA:
            return self.carga_days
        if mode is Mode.DR:
            return self.dr_days
        return self.baseline_days


class Slo(SpecModel):
    """Latency and throughput targets the run report measures itself against."""

    p95_target_ms: Annotated[int, Field(ge=1, examples=[150])]
    """95th percentile batch latency target in ms (>= 1)."""
    p99_target_ms: Annotated[int, Field(ge=1, examples=[250])]
    """99th percentile batch latency target in ms; at least p95TargetMs."""
    throughput_target_rps: Annotated[float, Field(ge=0.1, examples=[1.5])]
    """Throughput target in operations per second (>= 0.1)."""

    cross_field_rules = (
        CrossFieldRule(
            cel="self.p99TargetMs >= self.p95TargetMs",
            message="p99TargetMs must be at least p95TargetMs",
            field="p99TargetMs",
            holds=lambda s: s.p99_target_ms >= s.p95_target_ms,
        ),
    )


class Canary(SpecModel):
    """Scope of a canary run: a percentage of tenants, or an explicit list. Exactly one of the two."""

    percentage: Omittable[Annotated[float, Field(gt=0, le=100)]] = None
    """Share of tenants in the canary, more than 0 and at most 100."""
    tenants: Omittable[
        Annotated[
            list[Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]],
            Field(min_length=1, json_schema_extra={"uniqueItems": True}),
        ]
    ] = None
    """Tenants in the canary (DNS-1123 labels, unique, at least one)."""

    cross_field_rules = (
        CrossFieldRule(
            cel="has(self.percentage) != has(self.tenants)",
            message="give exactly one of percentage or tenants",
            field="",
            holds=lambda c: (c.percentage is None) != (c.tenants is None),
        ),
    )

    @field_validator("tenants")
    @classmethod
    def _unique(cls, tenants: list[str] | None) -> list[str] | None:
        if tenants is not None and len(set(tenants)) != len(tenants):
            raise PydanticCustomError("unique_items", "tenants must be unique")
        return tenants


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
