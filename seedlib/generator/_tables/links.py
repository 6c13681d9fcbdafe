"""Foreign keys computed, not looked up: the parent row of each row, and parent attributes read from
the parent's streams at that row, so a batch never needs another batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray

from seedlib.generator import brazil
from seedlib.generator._context import Context
from seedlib.generator._tables.draws import words_at
from seedlib.generator.streams import below, unit


def customer_ufs(ctx: Context, index: NDArray[np.int64]) -> NDArray[np.int64]:
    """The home state of customers ``index`` (their phones and addresses agree with it)."""
    return brazil.uf_index_from_word(words_at(ctx.pii("customers"), "uf", index))


def is_company(ctx: Context, index: NDArray[np.int64]) -> NDArray[np.bool_]:
    return unit(words_at(ctx.stream("customers"), "person_type", index)) < 0.15


def _drawn(
    table: str, column: str, parent: str
) -> Callable[[Context, NDArray[np.int64]], NDArray[np.int64]]:
    return lambda ctx, index: below(
        words_at(ctx.stream(table), column, index), max(ctx.count(parent), 1)
    )


def _owned(parent: str) -> Callable[[Context, NDArray[np.int64]], NDArray[np.int64]]:
    return lambda ctx, index: index % ctx.count(parent)


_LINKS: Final[dict[tuple[str, str], Callable[[Context, NDArray[np.int64]], NDArray[np.int64]]]] = {
    ("customers", "consultant_id"): _drawn("customers", "consultant", "consultants"),
    ("addresses", "customer_id"): _owned("customers"),
    ("bank_accounts", "customer_id"): _owned("customers"),
    ("bank_accounts", "category_id"): _drawn("bank_accounts", "category", "account_categories"),
    ("loans", "account_id"): _owned("bank_accounts"),
    ("loans", "customer_id"): lambda ctx, i: (
        (i % ctx.count("bank_accounts")) % ctx.count("customers")
    ),
    ("installments", "loan_id"): lambda ctx, i: ctx.loan_plan.loans_of(i),
    ("financial_transactions", "account_id"): _drawn(
        "financial_transactions", "account", "bank_accounts"
    ),
    ("financial_transactions", "supplier_id"): _drawn(
        "financial_transactions", "supplier", "suppliers"
    ),
    ("credit_limits", "account_id"): lambda ctx, i: i.copy(),
    ("contracts", "customer_id"): _owned("customers"),
}


def parent_index(
    ctx: Context, table: str, column: str, index: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Row index, in the referenced table, of foreign key ``table.column`` for rows ``index``."""
    return _LINKS[(table, column)](ctx, index)


def linked_ids(
    ctx: Context, table: str, column: str, parent: str, start: int, stop: int
) -> list[str]:
    index = np.arange(start, stop, dtype=np.int64)
    return ctx.ids_at(parent, parent_index(ctx, table, column, index))
