"""Checks a profile must pass before anything is generated: references and derived counts.

The schema validates each field; these rules need the catalog and the generator's own arithmetic:
every entity's parents must be seeded too, ``states`` must name states the entity has, the
installments the loans need must fit their cap, and there cannot be more credit limits than
accounts (one per account). ``seedlib.rules.validation`` reports them with the schema's violations.
"""

from __future__ import annotations

from collections.abc import Mapping

from seedlib.contract.entities import Entity
from seedlib.contract.profile import SeedProfileSpec, StatefulVolumeEntry, VolumeEntry
from seedlib.contract.violations import Violation
from seedlib.generator._context import entity_counts
from seedlib.generator.catalog import table_of

__all__ = ["profile_violations"]


def profile_violations(spec: SeedProfileSpec) -> list[Violation]:
    """Reference violations first; the derived counts are checked only once references hold."""
    entries = spec.volumetry.entries()
    violations: list[Violation] = []
    for entity in entries:
        violations += _missing_parents(entity, entries)
        violations += _unknown_states(entity, entries[entity])
    if violations:
        return violations
    counts = entity_counts(spec)
    return _installment_shortfall(entries, counts) + _credit_limit_excess(counts)


def _missing_parents(entity: Entity, entries: Mapping[Entity, VolumeEntry]) -> list[Violation]:
    missing = [p for p in table_of(entity).parents if p not in entries]
    if not missing:
        return []
    names = " and ".join(p.value for p in missing)
    return [
        Violation(
            f"spec.volumetry.{entity.value}",
            f"{entity.value} needs {names} in volumetry: its rows reference them",
            "add " + ", ".join(f"`{p.value}: {{cap: N}}`" for p in missing) + " to volumetry",
        )
    ]


def _unknown_states(entity: Entity, entry: VolumeEntry) -> list[Violation]:
    if not isinstance(entry, StatefulVolumeEntry) or entry.states is None:
        return []
    allowed = {s.value for s in table_of(entity).states}
    return [
        Violation(
            f"spec.volumetry.{entity.value}.states.{state.value}",
            f"{entity.value} have no state {state.value}",
            f"use the states of {entity.value}: {', '.join(sorted(allowed))}",
        )
        for state in entry.states.shares()
        if state.value not in allowed
    ]


def _installment_shortfall(
    entries: Mapping[Entity, VolumeEntry], counts: Mapping[str, int]
) -> list[Violation]:
    """Every loan carries its whole schedule, so installments must be seeded and fit their cap."""
    if Entity.LOANS not in entries:
        return []
    installments = entries.get(Entity.INSTALLMENTS)
    if installments is None:
        return [
            Violation(
                "spec.volumetry.loans",
                "loans need installments in volumetry: every loan carries its schedule",
                "add `installments: {cap: N}` with N at least the loans' total term",
            )
        ]
    needed = counts["installments"]
    if needed <= installments.cap:
        return []
    return [
        Violation(
            "spec.volumetry.installments.cap",
            f"the {counts['loans']} loans need {needed} installments, more than the cap "
            f"of {installments.cap}",
            f"raise installments.cap to at least {needed}, or lower loans.cap",
        )
    ]


def _credit_limit_excess(counts: Mapping[str, int]) -> list[Violation]:
    limits, accounts = counts["credit_limits"], counts["bank_accounts"]
    if limits <= accounts:
        return []
    return [
        Violation(
            "spec.volumetry.creditLimits.cap",
            f"{limits} credit limits for {accounts} accounts: at most one per account",
            f"lower creditLimits.cap to at most {accounts}",
        )
    ]
