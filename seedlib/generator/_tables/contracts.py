"""Signed contracts of customers: account openings, cards, loans and investments."""

from __future__ import annotations

from typing import Final

from seedlib.contract.entities import Entity
from seedlib.generator._context import Context
from seedlib.generator._tables.draws import (
    Columns,
    key_columns,
    lifecycle_status,
    log_uniform_cents,
    seconds_before,
    weighted_choice,
)
from seedlib.generator._tables.links import linked_ids

CONTRACT_KINDS: Final = (
    ("account_opening", 50),
    ("credit_card", 25),
    ("loan", 20),
    ("investment", 5),
)


def contracts(ctx: Context, start: int, stop: int) -> Columns:
    s = ctx.stream("contracts")
    kind = weighted_choice(s, "kind", start, stop, CONTRACT_KINDS)
    amount = log_uniform_cents(s, "amount", start, stop, 500, 200_000)
    signed = seconds_before(ctx, s, "signed_at", start, stop, 5 * 365)
    numbers = s.rank("number", start, stop, 10**10)
    status = lifecycle_status(ctx, Entity.CONTRACTS, s, start, stop)
    return {
        **key_columns(ctx, "contracts", start, stop),
        "customer_id": linked_ids(ctx, "contracts", "customer_id", "customers", start, stop),
        "number": [f"CT-{n:010d}" for n in numbers.tolist()],
        "kind": kind,
        "status": status,
        "signed_at": signed,
        "amount": [
            int(a) if k in ("loan", "investment") else None
            for k, a in zip(kind, amount.tolist(), strict=True)
        ],
    }
