"""Loans and their installments: contract terms, Price/SAC schedules, IOF and CET (``_loans``)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from seedlib.contract.entities import Entity
from seedlib.generator._context import Context
from seedlib.generator._loans import RATE_SCALE, add_months, cet_annual, iof_cents, schedules
from seedlib.generator._tables.draws import Columns, key_columns, lifecycle_status, words_at
from seedlib.generator._tables.links import is_company, linked_ids, parent_index
from seedlib.generator.streams import below, unit

MONTHLY_RATES_BP: Final = tuple(range(99, 500, 10))
"""Loan rates offered, in basis points per month (0.99 % .. 4.89 %)."""


def _loan_terms(ctx: Context, index: NDArray[np.int64]) -> dict[str, Any]:
    """Contract terms of loans ``index``: amounts, rate, term, dates, schedule, IOF and CET."""
    s = ctx.stream("loans")
    words = words_at(s, "amounts", index, 0), words_at(s, "amounts", index, 1)
    low, high = np.log(1_000), np.log(100_000)
    principal = np.floor(np.exp(low + unit(words[0]) * (high - low))).astype(np.int64) * 100
    rate = np.asarray(MONTHLY_RATES_BP, dtype=np.int64)[below(words[1], len(MONTHLY_RATES_BP))] * (
        RATE_SCALE // 10_000
    )
    sac = unit(words_at(s, "amortization", index)) < 0.3
    term = ctx.loan_plan.terms[index]
    back = below(words_at(s, "contracted_on", index), 720)
    contracted = ctx.reference_day - back.astype("timedelta64[D]")
    first_due = add_months(contracted, np.ones(len(index), dtype=np.int64))
    table = schedules(principal, rate, term, sac)
    width = table.principal.shape[1]
    due = add_months(
        np.repeat(first_due[:, None], width, axis=1).ravel(), np.tile(np.arange(width), len(index))
    ).reshape(len(index), width)
    days = (due - contracted[:, None]).astype(np.int64)
    account = parent_index(ctx, "loans", "account_id", index)
    company = is_company(ctx, parent_index(ctx, "loans", "customer_id", index))
    iof = iof_cents(table.principal, days, principal, company)
    payments = np.where(np.arange(width)[None, :] < term[:, None], table.payment, 0)
    annual = cet_annual(principal - iof, payments, days)
    return {
        "principal": principal,
        "rate": rate,
        "sac": sac,
        "term": term,
        "contracted": contracted,
        "first_due": first_due,
        "schedule": table,
        "due": due,
        "iof": iof,
        "account": account,
        "cet_annual": annual,
        "cet_monthly": (1.0 + annual) ** (1 / 12) - 1.0,
    }


def _rate_units(fraction: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.round(fraction * RATE_SCALE).astype(np.int64)


def loans(ctx: Context, start: int, stop: int) -> Columns:
    index = np.arange(start, stop, dtype=np.int64)
    terms = _loan_terms(ctx, index)
    return {
        **key_columns(ctx, "loans", start, stop),
        "customer_id": linked_ids(ctx, "loans", "customer_id", "customers", start, stop),
        "account_id": ctx.ids_of("bank_accounts", terms["account"]),
        "amortization": ["sac" if x else "price" for x in terms["sac"].tolist()],
        "principal": terms["principal"],
        "monthly_rate": terms["rate"],
        "term_months": terms["term"],
        "iof": terms["iof"],
        "cet_monthly": _rate_units(terms["cet_monthly"]),
        "cet_annual": _rate_units(terms["cet_annual"]),
        "status": lifecycle_status(ctx, Entity.LOANS, ctx.stream("loans"), start, stop),
        "contracted_on": terms["contracted"],
        "first_due_on": terms["first_due"],
    }


def installments(ctx: Context, start: int, stop: int) -> Columns:
    plan = ctx.loan_plan
    loan = parent_index(ctx, "installments", "loan_id", np.arange(start, stop, dtype=np.int64))
    number = np.arange(start, stop, dtype=np.int64) - plan.first_installment[loan]
    owners = np.unique(loan)
    terms = _loan_terms(ctx, owners)
    row = np.searchsorted(owners, loan)
    table = terms["schedule"]
    due = terms["due"][row, number]
    status_of_loan = np.asarray(loans_status(ctx, owners), dtype=object)[row]
    past = due < ctx.reference_day
    recent = due >= ctx.reference_day - np.timedelta64(90, "D")
    status = np.where(
        status_of_loan == "cancelled",
        "cancelled",
        np.where(
            past, np.where((status_of_loan == "delinquent") & recent, "overdue", "paid"), "open"
        ),
    )
    return {
        **key_columns(ctx, "installments", start, stop),
        "loan_id": ctx.ids_of("loans", loan),
        "number": number + 1,
        "due_on": due,
        "principal": table.principal[row, number],
        "interest": table.interest[row, number],
        "payment": table.payment[row, number],
        "balance": table.balance[row, number],
        "status": status.tolist(),
    }


def loans_status(ctx: Context, index: NDArray[np.int64]) -> list[str]:
    if index.size == 0:
        return []
    low, high = int(index.min()), int(index.max()) + 1
    statuses = lifecycle_status(ctx, Entity.LOANS, ctx.stream("loans"), low, high)
    return [statuses[i - low] for i in index.tolist()]
