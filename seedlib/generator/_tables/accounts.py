"""Bank accounts and what hangs off them: financial transactions and credit limits."""

from __future__ import annotations

from typing import Final

import numpy as np

from seedlib.contract.entities import Entity
from seedlib.generator import brazil, masking
from seedlib.generator._context import Context
from seedlib.generator._tables.draws import (
    Columns,
    days_before,
    key_columns,
    lifecycle_status,
    log_uniform_cents,
    seconds_before,
    weighted_choice,
)
from seedlib.generator._tables.links import linked_ids
from seedlib.generator.streams import unit


def bank_accounts(ctx: Context, start: int, stop: int) -> Columns:
    s = ctx.stream("bank_accounts")
    numbers = s.rank("account_number", start, stop, 10**7)
    return {
        **key_columns(ctx, "bank_accounts", start, stop),
        "customer_id": linked_ids(ctx, "bank_accounts", "customer_id", "customers", start, stop),
        "category_id": linked_ids(
            ctx, "bank_accounts", "category_id", "account_categories", start, stop
        ),
        "agency": [f"{1001 + 97 * a:04d}" for a in s.below("agency", start, stop, 90).tolist()],
        "account_number": brazil.account_number(numbers),
        "status": lifecycle_status(ctx, Entity.BANK_ACCOUNTS, s, start, stop),
        "balance": log_uniform_cents(s, "balance", start, stop, 1, 250_000),
        "opened_at": seconds_before(ctx, s, "opened_at", start, stop, 5 * 365),
    }


CHANNELS: Final = (("pix", 55), ("card", 25), ("boleto", 12), ("ted", 8))


def financial_transactions(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("financial_transactions"), ctx.pii("financial_transactions")
    n = stop - start
    channel = weighted_choice(s, "channel", start, stop, CHANNELS)
    is_boleto = np.asarray([c == "boleto" for c in channel])
    credit = (s.unit("direction", start, stop) < 0.4) & ~is_boleto
    supplier = (
        linked_ids(ctx, "financial_transactions", "supplier_id", "suppliers", start, stop)
        if ctx.count("suppliers")
        else [None] * n
    )
    counterparty = masking.person_names(
        p, "counterparty", start, stop, unit(p.word("female", start, stop)) < 0.5
    )
    merchants = masking.company_names(p, "merchant", start, stop)
    tokens = masking.base36(p.rank("reference", start, stop, 36**11), 11)
    description = []
    for ch, cr, who, shop in zip(channel, credit.tolist(), counterparty, merchants, strict=True):
        if ch == "pix":
            description.append(f"PIX {'recebido de' if cr else 'enviado para'} {who}")
        elif ch == "ted":
            description.append(f"TED {'recebida de' if cr else 'enviada para'} {who}")
        elif ch == "card":
            description.append(f"{'Estorno' if cr else 'Compra'} cartão {shop}")
        else:
            description.append(f"Pagamento boleto {shop}")
    return {
        **key_columns(ctx, "financial_transactions", start, stop),
        "account_id": linked_ids(
            ctx, "financial_transactions", "account_id", "bank_accounts", start, stop
        ),
        "supplier_id": [
            x if b else None for x, b in zip(supplier, is_boleto.tolist(), strict=True)
        ],
        "channel": channel,
        "direction": ["credit" if c else "debit" for c in credit.tolist()],
        "amount": log_uniform_cents(s, "amount", start, stop, 5, 20_000),
        "occurred_at": seconds_before(ctx, s, "occurred_at", start, stop, 365),
        "description": description,
        "reference": [f"{c[0].upper()}{t}" for c, t in zip(channel, tokens, strict=True)],
    }


def credit_limits(ctx: Context, start: int, stop: int) -> Columns:
    s = ctx.stream("credit_limits")
    limit = (log_uniform_cents(s, "limit", start, stop, 500, 50_000) // 10_000) * 10_000
    status = lifecycle_status(ctx, Entity.CREDIT_LIMITS, s, start, stop)
    expired = np.asarray([x == "expired" for x in status])
    valid_from = np.where(
        expired,
        days_before(ctx, s, "valid_from", start, stop, 400, 700),
        days_before(ctx, s, "valid_from", start, stop, 0, 364),
    )
    return {
        **key_columns(ctx, "credit_limits", start, stop),
        "account_id": linked_ids(ctx, "credit_limits", "account_id", "bank_accounts", start, stop),
        "limit_amount": limit,
        "used_amount": np.floor(limit * s.unit("used", start, stop)).astype(np.int64),
        "status": status,
        "valid_from": valid_from,
        "valid_until": valid_from + np.timedelta64(365, "D"),
    }
