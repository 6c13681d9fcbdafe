"""How many rows of each entity a profile seeds, and how stateful rows spread across lifecycle states."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from seedlib.contract._model import CROSS_FIELD_ERROR, CrossFieldRule, Omittable, SpecModel
from seedlib.contract.entities import HARD_CAPS, Entity, LifecycleState
from seedlib.contract.profile._formats import Percent, Share


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
