"""Checks a profile must pass before anything is generated: references and derived counts.

The schema validates each field; these rules need the catalog and the generator's own arithmetic:
every entity's parents must be seeded too, ``states`` must name states the entity has, the
installments the loans need must fit their cap, and there cannot be more credit limits than
accounts (one per account). ``seedlib.rules.validation`` reports them with the schema's violations.
"""

from __future__ import annotations

from seedlib.contract.entities import Entity
from seedlib.contract.profile import SeedProfileSpec, StatefulVolumeEntry
from seedlib.contract.violations import Violation
from seedlib.generator._context import entity_counts
from seedlib.generator.catalog import table_of

__all__ = ["profile_violations"]


def profile_violations(spec: SeedProfileSpec) -> list[Violation]:
    violations: list[Violation] = []
    entries = spec.volumetry.entries()
    for entity in entries:
        table = table_of(entity)
        missing = [p for p in table.parents if p not in entries]
        if missing:
            names = " and ".join(p.value for p in missing)
            violations.append(
                Violation(
                    f"spec.volumetry.{entity.value}",
                    f"{entity.value} needs {names} in volumetry: its rows reference them",
                    "add "
                    + ", ".join(f"`{p.value}: {{cap: N}}`" for p in missing)
                    + " to volumetry",
                )
            )
        entry = entries[entity]
        if isinstance(entry, StatefulVolumeEntry) and entry.states is not None:
            allowed = {s.value for s in table.states}
            for state in entry.states.shares():
                if state.value not in allowed:
                    violations.append(
                        Violation(
                            f"spec.volumetry.{entity.value}.states.{state.value}",
                            f"{entity.value} have no state {state.value}",
                            f"use the states of {entity.value}: {', '.join(sorted(allowed))}",
                        )
                    )
    if violations:
        return violations
    counts = entity_counts(spec)
    loans = entries.get(Entity.LOANS)
    installments = entries.get(Entity.INSTALLMENTS)
    if loans is not None:
        needed = counts["installments"] if installments is not None else None
        if installments is None:
            violations.append(
                Violation(
                    "spec.volumetry.loans",
                    "loans need installments in volumetry: every loan carries its schedule",
                    "add `installments: {cap: N}` with N at least the loans' total term",
                )
            )
        elif needed is not None and needed > installments.cap:
            violations.append(
                Violation(
                    "spec.volumetry.installments.cap",
                    f"the {counts['loans']} loans need {needed} installments, more than the cap "
                    f"of {installments.cap}",
                    f"raise installments.cap to at least {needed}, or lower loans.cap",
                )
            )
    limits = counts["credit_limits"]
    if limits > counts["bank_accounts"]:
        violations.append(
            Violation(
                "spec.volumetry.creditLimits.cap",
                f"{limits} credit limits for {counts['bank_accounts']} accounts: at most one per "
                "account",
                f"lower creditLimits.cap to at most {counts['bank_accounts']}",
            )
        )
    return violations
