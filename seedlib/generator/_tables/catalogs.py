"""Per-tenant catalogs other rows refer to: account categories and suppliers."""

from __future__ import annotations

from typing import Final

import numpy as np

from seedlib.generator import masking
from seedlib.generator._context import Context
from seedlib.generator._tables.draws import Columns, key_columns, seconds_before

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


def account_categories(ctx: Context, start: int, stop: int) -> Columns:
    s = ctx.stream("account_categories")
    index = np.arange(start, stop, dtype=np.int64)
    products = [ACCOUNT_PRODUCTS[i % len(ACCOUNT_PRODUCTS)] for i in index.tolist()]
    editions = [i // len(ACCOUNT_PRODUCTS) for i in index.tolist()]
    fee_bump = s.below("fee", start, stop, 500)
    return {
        **key_columns(ctx, "account_categories", start, stop),
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
        **key_columns(ctx, "suppliers", start, stop),
        "document": masking.cnpjs(p, "document", start, stop),
        "legal_name": masking.company_names(p, "legal_name", start, stop),
        "segment": masking.pick(SUPPLIER_SEGMENTS, s.word("segment", start, stop)),
        "created_at": seconds_before(ctx, s, "created_at", start, stop, 3 * 365),
    }
