"""Whether a run may touch a tenant's existing datasets, and what it must purge first. Pure.

The database holds at most one dataset per (tenant, environment, dataset) where dataset is
baseline (baseline and canary runs), carga or dr. Before anything is written:

- an expired carga/dr dataset still present blocks every run (``PurgeOverdue``): the TTL purge did
  not run, and fail-closed means nobody seeds over it;
- a dataset seeded with another ``saltVersion`` blocks every run (``SaltDrift``): its pseudonyms
  belong to a rotated salt and must be purged before the new salt is used;
- re-running carga or dr purges that dataset first and rebuilds it (FR-028);
- re-running a baseline is idempotent: allowed only with the same ``referenceDatetime``
  (``ReferenceDrift``), profile version and generator version (``VersionDrift``); every batch is
  then re-verified against its checkpoint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from seedlib.contract.profile import Mode, SeedProfileSpec
from seedlib.errors import InvalidInputError, Reason
from seedlib.generator import GENERATOR_VERSION, dataset_of

__all__ = ["Admission", "DatasetFacts", "admit"]


@dataclass(frozen=True, slots=True)
class DatasetFacts:
    """What a stored dataset was seeded from (a row of ``seeding.datasets``)."""

    dataset: str
    reference_datetime: dt.datetime
    salt_version: str
    profile_version: str
    generator_version: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Admission:
    purge_first: DatasetFacts | None
    """The dataset this run replaces (carga/dr re-execution)."""
    resumes: DatasetFacts | None
    """The baseline this run re-verifies and completes."""


def admit(spec: SeedProfileSpec, existing: Sequence[DatasetFacts], now: dt.datetime) -> Admission:
    """Decide, or raise ``InvalidInputError`` with the reason and the purge to run."""
    purge_hint = f"run `seedctl purge --tenant {spec.tenant} --environment {spec.environment}`"
    for facts in existing:
        if facts.dataset != Mode.BASELINE.value and facts.expires_at <= now:
            raise InvalidInputError(
                Reason.PURGE_OVERDUE,
                f"the {facts.dataset} dataset of {spec.tenant}/{spec.environment} expired at "
                f"{facts.expires_at:%Y-%m-%dT%H:%M:%SZ} and was not purged",
                hint="run `seedctl purge --expired` (the TTL CronJob), then seed again",
            )
        if facts.salt_version != spec.salt_version:
            raise InvalidInputError(
                Reason.SALT_DRIFT,
                f"the {facts.dataset} dataset was seeded with salt {facts.salt_version}, the "
                f"profile asks for {spec.salt_version}",
                hint=f"{purge_hint}, then reseed with the new salt",
            )
    target = dataset_of(spec.mode)
    current = next((f for f in existing if f.dataset == target), None)
    if current is None:
        return Admission(None, None)
    if target != Mode.BASELINE.value:
        return Admission(purge_first=current, resumes=None)
    if current.reference_datetime != spec.reference_instant:
        raise InvalidInputError(
            Reason.REFERENCE_DRIFT,
            f"the baseline was seeded at referenceDatetime "
            f"{current.reference_datetime:%Y-%m-%dT%H:%M:%SZ}, the profile says "
            f"{spec.reference_datetime}",
            hint=f"changing referenceDatetime is breaking: {purge_hint}, then reseed",
        )
    if (current.profile_version, current.generator_version) != (spec.version, GENERATOR_VERSION):
        raise InvalidInputError(
            Reason.VERSION_DRIFT,
            f"the baseline was seeded from profile {current.profile_version} by generator "
            f"{current.generator_version}; this run is profile {spec.version}, generator "
            f"{GENERATOR_VERSION} and would write different rows",
            hint=f"{purge_hint}, then reseed",
        )
    return Admission(purge_first=None, resumes=current)
