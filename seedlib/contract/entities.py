"""The entity catalog as the SeedProfile sees it: which volumetry keys exist and their hard caps.

A profile may only name entities listed here (``spec.volumetry.<key>``), and no ``cap`` may exceed
the entity's hard cap. The hard caps for customers, contracts and financial transactions come from
the reference specification ("Assumptions & Defaults"); the others are sized so that a profile at
every hard cap stays a dataset one PostgreSQL can load inside an off-peak window:

========================  =========  =====================================================
entity                    hard cap   why this number
========================  =========  =====================================================
users                        5 000   back-office users of one tenant
customers                   50 000   reference spec
addresses                  100 000   two per customer
consultants                  5 000   one per ten customers at the hard cap
accountCategories              500   a per-tenant catalog, not a volume
suppliers                   10 000   a per-tenant catalog with a long tail
bankAccounts               100 000   two per customer
loans                      100 000   two per customer
installments             1 200 000   one year of monthly installments per loan
financialTransactions    1 000 000   reference spec
creditLimits               100 000   one per account
contracts                  200 000   reference spec
========================  =========  =====================================================

``STATEFUL`` lists the entities with a lifecycle status, the only ones whose ``states`` shares
(carga/dr datasets) mean something.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

__all__ = ["HARD_CAPS", "STATEFUL", "Entity", "LifecycleState"]


class Entity(StrEnum):
    """Volumetry keys of a SeedProfile (camelCase, as written in the manifest)."""

    USERS = "users"
    CUSTOMERS = "customers"
    ADDRESSES = "addresses"
    CONSULTANTS = "consultants"
    ACCOUNT_CATEGORIES = "accountCategories"
    SUPPLIERS = "suppliers"
    BANK_ACCOUNTS = "bankAccounts"
    LOANS = "loans"
    INSTALLMENTS = "installments"
    FINANCIAL_TRANSACTIONS = "financialTransactions"
    CREDIT_LIMITS = "creditLimits"
    CONTRACTS = "contracts"


class LifecycleState(StrEnum):
    """States a carga/dr dataset may spread rows across (``volumetry.<entity>.states``)."""

    ACTIVE = "active"
    DELINQUENT = "delinquent"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


HARD_CAPS: Mapping[Entity, int] = MappingProxyType(
    {
        Entity.USERS: 5_000,
        Entity.CUSTOMERS: 50_000,
        Entity.ADDRESSES: 100_000,
        Entity.CONSULTANTS: 5_000,
        Entity.ACCOUNT_CATEGORIES: 500,
        Entity.SUPPLIERS: 10_000,
        Entity.BANK_ACCOUNTS: 100_000,
        Entity.LOANS: 100_000,
        Entity.INSTALLMENTS: 1_200_000,
        Entity.FINANCIAL_TRANSACTIONS: 1_000_000,
        Entity.CREDIT_LIMITS: 100_000,
        Entity.CONTRACTS: 200_000,
    }
)

STATEFUL: frozenset[Entity] = frozenset(
    {
        Entity.CUSTOMERS,
        Entity.BANK_ACCOUNTS,
        Entity.LOANS,
        Entity.CREDIT_LIMITS,
        Entity.CONTRACTS,
    }
)
