"""The manifest's scalar vocabulary: string patterns, the Environment and Mode enums, and the
constrained number types the models share."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, Strict

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
