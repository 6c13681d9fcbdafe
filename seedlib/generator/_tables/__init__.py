"""Column builders, one per table: ``build(ctx, start, stop) -> {column: values}`` in catalog order.

Every value is a function of (stream key, column, row index): ordinary columns read the table's
stream, PII columns read its salt-keyed PII stream through ``seedlib.generator.masking``. A row that refers to
another table computes the parent's index from its own index (``i mod n`` for ownership, a stream
draw for activity) and the parent's attributes from the parent's streams at that index, so batches
never need each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from seedlib.contract.entities import Entity, LifecycleState
from seedlib.contract.profile import Mode
from seedlib.generator import brazil, masking
from seedlib.generator._context import Context, _weighted, dataset_of
from seedlib.generator._loans import RATE_SCALE, add_months, cet_annual, iof_cents, schedules
from seedlib.generator.streams import Stream, below, unit

__all__ = ["BUILDERS"]

Columns = dict[str, Any]
SECONDS_PER_DAY: Final = 86_400

ACCOUNT_PRODUCTS: Final = (
    ("Conta Corrente Essencial", "checking", 0),
    ("Conta Corrente Plus", "checking", 2990),
    ("Conta Poupança", "savings", 0),
    ("Conta Salário", "salary", 0),
    ("Conta Pagamento Digital", "payment", 0),
    ("Conta Corrente Empresarial", "checking", 5990),
    ("Conta Universitária", "checking", 0),
    ("Conta Corrente Prime", "checking", 8990),
)
SUPPLIER_SEGMENTS: Final = (
    "utilities",
    "telecom",
    "insurance",
    "education",
    "health",
    "retail",
    "logistics",
    "services",
)
MONTHLY_RATES_BP: Final = tuple(range(99, 500, 10))
"""Loan rates offered, in basis points per month (0.99 % .. 4.89 %)."""


def _pick(options: Sequence[Any], index: NDArray[np.int64]) -> list[Any]:
    return [options[i] for i in index.tolist()]


def _choice(
    stream: Stream, column: str, start: int, stop: int, weighted: Sequence[tuple[Any, int]]
) -> list[Any]:
    index = _weighted(stream.unit(column, start, stop), [w for _, w in weighted])
    return _pick([value for value, _ in weighted], index)


def _log_uniform_cents(
    stream: Stream, column: str, start: int, stop: int, low: int, high: int
) -> NDArray[np.int64]:
    """Amounts in cents spread log-uniformly over [low, high) reais."""
    u = stream.unit(column, start, stop)
    reais = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
    return np.asarray(np.floor(reais * 100), dtype=np.int64)


def _seconds_before(
    ctx: Context, stream: Stream, column: str, start: int, stop: int, days: int
) -> NDArray[np.datetime64]:
    back = below(stream.word(column, start, stop), days * SECONDS_PER_DAY)
    return ctx.reference - back.astype("timedelta64[s]")


def _days_before(
    ctx: Context, stream: Stream, column: str, start: int, stop: int, low: int, high: int
) -> NDArray[np.datetime64]:
    back = low + below(stream.word(column, start, stop), high - low)
    return ctx.reference_day - back.astype("timedelta64[D]")


def _status(ctx: Context, entity: Entity, stream: Stream, start: int, stop: int) -> list[str]:
    """Lifecycle states: all active in baseline/canary; spread by the profile's shares in carga/dr."""
    entry = ctx.spec.volumetry.entry(entity)
    states = getattr(entry, "states", None)
    if ctx.spec.mode not in (Mode.CARGA, Mode.DR) or states is None:
        return [LifecycleState.ACTIVE.value] * (stop - start)
    shares = [(state.value, share) for state, share in states.shares().items() if share > 0]
    return _choice(stream, "status", start, stop, shares)


def _words_at(
    stream: Stream, column: str, index: NDArray[np.int64], which: int = 0
) -> NDArray[np.uint64]:
    """Words of arbitrary rows: computed over their span, then gathered."""
    if index.size == 0:
        return np.zeros(0, dtype=np.uint64)
    low, high = int(index.min()), int(index.max()) + 1
    return np.asarray(stream.words(column, low, high)[index - low, which], dtype=np.uint64)


def _customer_ufs(ctx: Context, index: NDArray[np.int64]) -> NDArray[np.int64]:
    """The home state of customers ``index`` (their phones and addresses agree with it)."""
    return brazil.uf_index_from_word(_words_at(ctx.pii("customers"), "uf", index))


def _is_company(ctx: Context, index: NDArray[np.int64]) -> NDArray[np.bool_]:
    return unit(_words_at(ctx.stream("customers"), "person_type", index)) < 0.15


def _drawn(
    table: str, column: str, parent: str
) -> Callable[[Context, NDArray[np.int64]], NDArray[np.int64]]:
    return lambda ctx, index: below(
        _words_at(ctx.stream(table), column, index), max(ctx.count(parent), 1)
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


def _link(ctx: Context, table: str, column: str, parent: str, start: int, stop: int) -> list[str]:
    index = np.arange(start, stop, dtype=np.int64)
    return ctx.ids_at(parent, parent_index(ctx, table, column, index))


# -- tables --------------------------------------------------------------------------------------


def tenants(ctx: Context, start: int, stop: int) -> Columns:
    spec = ctx.spec
    return {
        "id": ctx.ids("tenants", start, stop),
        "slug": [spec.tenant],
        "environment": [spec.environment.value],
        "dataset": [dataset_of(spec.mode)],
        "display_name": [f"Banco Sintético {spec.tenant}"],
        "created_at": np.asarray([ctx.reference - np.timedelta64(730, "D")], dtype="datetime64[s]"),
    }


def _keys(ctx: Context, table: str, start: int, stop: int) -> Columns:
    ids = ctx.ids(table, start, stop)
    return {"id": ids, "tenant_id": ctx.ids("tenants", 0, 1) * len(ids)}


def users(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("users"), ctx.pii("users")
    names = masking.person_names(
        p, "full_name", start, stop, unit(p.word("female", start, stop)) < 0.5
    )
    tokens = masking.base36(s.rank("username", start, stop, 36**6), 6)
    return {
        **_keys(ctx, "users", start, stop),
        "username": [f"op-{t}" for t in tokens],
        "full_name": names,
        "email": masking.emails(p, "email", start, stop, names, "banco.example"),
        "role": _choice(
            s,
            "role",
            start,
            stop,
            [("admin", 5), ("analyst", 35), ("operator", 50), ("auditor", 10)],
        ),
        "active": s.unit("active", start, stop) < 0.95,
        "created_at": _seconds_before(ctx, s, "created_at", start, stop, 730),
    }


def consultants(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("consultants"), ctx.pii("consultants")
    names = masking.person_names(
        p, "full_name", start, stop, unit(p.word("female", start, stop)) < 0.5
    )
    return {
        **_keys(ctx, "consultants", start, stop),
        "full_name": names,
        "email": masking.emails(p, "email", start, stop, names, "banco.example"),
        "phone": masking.phones(p, "phone", start, stop, masking.ufs(p, "uf", start, stop)),
        "branch_code": [f"{1000 + b:04d}" for b in s.below("branch", start, stop, 9000).tolist()],
        "hired_on": _days_before(ctx, s, "hired_on", start, stop, 30, 3650),
    }


def customers(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("customers"), ctx.pii("customers")
    index = np.arange(start, stop, dtype=np.int64)
    company = _is_company(ctx, index)
    people = masking.person_names(
        p, "full_name", start, stop, unit(p.word("female", start, stop)) < 0.5
    )
    firms = masking.company_names(p, "company_name", start, stop)
    names = [f if c else n for c, n, f in zip(company.tolist(), people, firms, strict=True)]
    cpf, cnpj = masking.cpfs(p, "cpf", start, stop), masking.cnpjs(p, "cnpj", start, stop)
    person_mail = masking.emails(p, "email", start, stop, names, "cliente.example")
    firm_mail = masking.emails(p, "email", start, stop, names, "empresa.example")
    born = _days_before(ctx, p, "birth_date", start, stop, 18 * 365, 80 * 365)
    income = np.where(
        company,
        _log_uniform_cents(s, "revenue", start, stop, 20_000, 2_000_000),
        _log_uniform_cents(s, "income", start, stop, 1_500, 50_000),
    )
    consultant = (
        _link(ctx, "customers", "consultant_id", "consultants", start, stop)
        if ctx.count("consultants")
        else [None] * (stop - start)
    )
    return {
        **_keys(ctx, "customers", start, stop),
        "consultant_id": consultant,
        "person_type": ["company" if c else "individual" for c in company.tolist()],
        "document": [b if c else a for c, a, b in zip(company.tolist(), cpf, cnpj, strict=True)],
        "full_name": names,
        "email": [
            b if c else a for c, a, b in zip(company.tolist(), person_mail, firm_mail, strict=True)
        ],
        "phone": masking.phones(p, "phone", start, stop, _customer_ufs(ctx, index)),
        "birth_date": np.where(company, np.datetime64("NaT"), born).astype("datetime64[D]"),
        "monthly_income": income,
        "status": _status(ctx, Entity.CUSTOMERS, s, start, stop),
        "created_at": _seconds_before(ctx, s, "created_at", start, stop, 5 * 365),
    }


def addresses(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("addresses"), ctx.pii("addresses")
    index = np.arange(start, stop, dtype=np.int64)
    owner = parent_index(ctx, "addresses", "customer_id", index)
    uf = _customer_ufs(ctx, owner)
    company = _is_company(ctx, owner)
    words = p.words("street", start, stop)
    city = brazil.city_index(uf, s.word("city", start, stop))
    complement_kind = below(words[:, 2], 4).tolist()
    complement_number = (below(words[:, 3], 300) + 1).tolist()
    return {
        **_keys(ctx, "addresses", start, stop),
        "customer_id": ctx.ids_of("customers", owner),
        "kind": [
            ("commercial" if c else "residential") if primary else "billing"
            for c, primary in zip(
                company.tolist(), (index < ctx.count("customers")).tolist(), strict=True
            )
        ],
        "street": masking.pick(brazil.street_names(), words[:, 0]),
        "number": [str(n + 1) for n in below(words[:, 1], 3000).tolist()],
        "complement": [
            None if k >= 2 else (f"Apto {n}" if k == 0 else f"Sala {n}")
            for k, n in zip(complement_kind, complement_number, strict=True)
        ],
        "district": masking.pick(brazil.districts(), p.word("district", start, stop)),
        "city": [brazil.CITIES[c].name for c in city.tolist()],
        "uf": [brazil.UFS[u].code for u in uf.tolist()],
        "cep": brazil.city_cep(city, p.word("cep", start, stop)),
        "is_primary": index < ctx.count("customers"),
    }


def account_categories(ctx: Context, start: int, stop: int) -> Columns:
    s = ctx.stream("account_categories")
    index = np.arange(start, stop, dtype=np.int64)
    products = [ACCOUNT_PRODUCTS[i % len(ACCOUNT_PRODUCTS)] for i in index.tolist()]
    editions = [i // len(ACCOUNT_PRODUCTS) for i in index.tolist()]
    fee_bump = s.below("fee", start, stop, 500)
    return {
        **_keys(ctx, "account_categories", start, stop),
        "code": [f"CAT-{i + 1:03d}" for i in index.tolist()],
        "name": [
            name + (f" {e + 1}" if e else "")
            for (name, _, _), e in zip(products, editions, strict=True)
        ],
        "account_type": [kind for _, kind, _ in products],
        "monthly_fee": np.asarray([fee for _, _, fee in products], dtype=np.int64)
        + np.where(np.asarray([fee for _, _, fee in products]) > 0, fee_bump, 0),
    }


def suppliers(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("suppliers"), ctx.pii("suppliers")
    return {
        **_keys(ctx, "suppliers", start, stop),
        "document": masking.cnpjs(p, "document", start, stop),
        "legal_name": masking.company_names(p, "legal_name", start, stop),
        "segment": masking.pick(SUPPLIER_SEGMENTS, s.word("segment", start, stop)),
        "created_at": _seconds_before(ctx, s, "created_at", start, stop, 3 * 365),
    }


def bank_accounts(ctx: Context, start: int, stop: int) -> Columns:
    s = ctx.stream("bank_accounts")
    numbers = s.rank("account_number", start, stop, 10**7)
    return {
        **_keys(ctx, "bank_accounts", start, stop),
        "customer_id": _link(ctx, "bank_accounts", "customer_id", "customers", start, stop),
        "category_id": _link(
            ctx, "bank_accounts", "category_id", "account_categories", start, stop
        ),
        "agency": [f"{1001 + 97 * a:04d}" for a in s.below("agency", start, stop, 90).tolist()],
        "account_number": brazil.account_number(numbers),
        "status": _status(ctx, Entity.BANK_ACCOUNTS, s, start, stop),
        "balance": _log_uniform_cents(s, "balance", start, stop, 1, 250_000),
        "opened_at": _seconds_before(ctx, s, "opened_at", start, stop, 5 * 365),
    }


def _loan_terms(ctx: Context, index: NDArray[np.int64]) -> dict[str, Any]:
    """Contract terms of loans ``index``: amounts, rate, term, dates, schedule, IOF and CET."""
    s = ctx.stream("loans")
    words = _words_at(s, "amounts", index, 0), _words_at(s, "amounts", index, 1)
    low, high = np.log(1_000), np.log(100_000)
    principal = np.floor(np.exp(low + unit(words[0]) * (high - low))).astype(np.int64) * 100
    rate = np.asarray(MONTHLY_RATES_BP, dtype=np.int64)[below(words[1], len(MONTHLY_RATES_BP))] * (
        RATE_SCALE // 10_000
    )
    sac = unit(_words_at(s, "amortization", index)) < 0.3
    term = ctx.loan_plan.terms[index]
    back = below(_words_at(s, "contracted_on", index), 720)
    contracted = ctx.reference_day - back.astype("timedelta64[D]")
    first_due = add_months(contracted, np.ones(len(index), dtype=np.int64))
    table = schedules(principal, rate, term, sac)
    width = table.principal.shape[1]
    due = add_months(
        np.repeat(first_due[:, None], width, axis=1).ravel(), np.tile(np.arange(width), len(index))
    ).reshape(len(index), width)
    days = (due - contracted[:, None]).astype(np.int64)
    account = parent_index(ctx, "loans", "account_id", index)
    company = _is_company(ctx, parent_index(ctx, "loans", "customer_id", index))
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
        **_keys(ctx, "loans", start, stop),
        "customer_id": _link(ctx, "loans", "customer_id", "customers", start, stop),
        "account_id": ctx.ids_of("bank_accounts", terms["account"]),
        "amortization": ["sac" if x else "price" for x in terms["sac"].tolist()],
        "principal": terms["principal"],
        "monthly_rate": terms["rate"],
        "term_months": terms["term"],
        "iof": terms["iof"],
        "cet_monthly": _rate_units(terms["cet_monthly"]),
        "cet_annual": _rate_units(terms["cet_annual"]),
        "status": _status(ctx, Entity.LOANS, ctx.stream("loans"), start, stop),
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
        **_keys(ctx, "installments", start, stop),
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
    statuses = _status(ctx, Entity.LOANS, ctx.stream("loans"), low, high)
    return [statuses[i - low] for i in index.tolist()]


CHANNELS: Final = (("pix", 55), ("card", 25), ("boleto", 12), ("ted", 8))


def financial_transactions(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("financial_transactions"), ctx.pii("financial_transactions")
    n = stop - start
    channel = _choice(s, "channel", start, stop, CHANNELS)
    is_boleto = np.asarray([c == "boleto" for c in channel])
    credit = (s.unit("direction", start, stop) < 0.4) & ~is_boleto
    supplier = (
        _link(ctx, "financial_transactions", "supplier_id", "suppliers", start, stop)
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
        **_keys(ctx, "financial_transactions", start, stop),
        "account_id": _link(
            ctx, "financial_transactions", "account_id", "bank_accounts", start, stop
        ),
        "supplier_id": [
            x if b else None for x, b in zip(supplier, is_boleto.tolist(), strict=True)
        ],
        "channel": channel,
        "direction": ["credit" if c else "debit" for c in credit.tolist()],
        "amount": _log_uniform_cents(s, "amount", start, stop, 5, 20_000),
        "occurred_at": _seconds_before(ctx, s, "occurred_at", start, stop, 365),
        "description": description,
        "reference": [f"{c[0].upper()}{t}" for c, t in zip(channel, tokens, strict=True)],
    }


def credit_limits(ctx: Context, start: int, stop: int) -> Columns:
    s = ctx.stream("credit_limits")
    limit = (_log_uniform_cents(s, "limit", start, stop, 500, 50_000) // 10_000) * 10_000
    status = _status(ctx, Entity.CREDIT_LIMITS, s, start, stop)
    expired = np.asarray([x == "expired" for x in status])
    valid_from = np.where(
        expired,
        _days_before(ctx, s, "valid_from", start, stop, 400, 700),
        _days_before(ctx, s, "valid_from", start, stop, 0, 364),
    )
    return {
        **_keys(ctx, "credit_limits", start, stop),
        "account_id": _link(ctx, "credit_limits", "account_id", "bank_accounts", start, stop),
        "limit_amount": limit,
        "used_amount": np.floor(limit * s.unit("used", start, stop)).astype(np.int64),
        "status": status,
        "valid_from": valid_from,
        "valid_until": valid_from + np.timedelta64(365, "D"),
    }


CONTRACT_KINDS: Final = (
    ("account_opening", 50),
    ("credit_card", 25),
    ("loan", 20),
    ("investment", 5),
)


def contracts(ctx: Context, start: int, stop: int) -> Columns:
    s = ctx.stream("contracts")
    kind = _choice(s, "kind", start, stop, CONTRACT_KINDS)
    amount = _log_uniform_cents(s, "amount", start, stop, 500, 200_000)
    signed = _seconds_before(ctx, s, "signed_at", start, stop, 5 * 365)
    numbers = s.rank("number", start, stop, 10**10)
    status = _status(ctx, Entity.CONTRACTS, s, start, stop)
    return {
        **_keys(ctx, "contracts", start, stop),
        "customer_id": _link(ctx, "contracts", "customer_id", "customers", start, stop),
        "number": [f"CT-{n:010d}" for n in numbers.tolist()],
        "kind": kind,
        "status": status,
        "signed_at": signed,
        "amount": [
            int(a) if k in ("loan", "investment") else None
            for k, a in zip(kind, amount.tolist(), strict=True)
        ],
    }


BUILDERS: Final[dict[str, Callable[[Context, int, int], Columns]]] = {
    "tenants": tenants,
    "users": users,
    "consultants": consultants,
    "customers": customers,
    "addresses": addresses,
    "account_categories": account_categories,
    "suppliers": suppliers,
    "bank_accounts": bank_accounts,
    "loans": loans,
    "installments": installments,
    "financial_transactions": financial_transactions,
    "credit_limits": credit_limits,
    "contracts": contracts,
}
