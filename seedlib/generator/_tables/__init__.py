"""Column builders, one per table: ``build(ctx, start, stop) -> {column: values}`` in catalog order.

Every value is a function of (stream key, column, row index): ordinary columns read the table's
stream, PII columns read its salt-keyed PII stream through ``seedlib.generator.masking``. A row that refers to
another table computes the parent's index from its own index (``i mod n`` for ownership, a stream
draw for activity) and the parent's attributes from the parent's streams at that index, so batches
never need each other.

Builders are grouped by entity family (``parties``, ``catalogs``, ``accounts``, ``lending``,
``contracts``) over ``draws`` (column values from a stream) and ``links`` (foreign keys).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from seedlib.generator._context import Context
from seedlib.generator._tables.accounts import bank_accounts, credit_limits, financial_transactions
from seedlib.generator._tables.catalogs import account_categories, suppliers
from seedlib.generator._tables.contracts import contracts
from seedlib.generator._tables.draws import Columns
from seedlib.generator._tables.lending import installments, loans
from seedlib.generator._tables.links import parent_index
from seedlib.generator._tables.parties import addresses, consultants, customers, tenants, users

__all__ = ["BUILDERS", "parent_index"]

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
