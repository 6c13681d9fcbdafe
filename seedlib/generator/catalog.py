"""The banking-core table catalog: every table, column, type, foreign key and PII marker.

One place describes the dataset; the generator produces columns in exactly this order, the PII
check reads the ``pii`` markers, the loader's DDL and COPY column lists come from here, and the
factories expose the same field names. Catalog tables (account categories, suppliers) are rows of
each tenant like any other: nothing is shared between tenants.

Every table has ``id`` (a UUIDv5 of the tenant namespace and ``<table>:<index>``) and ``tenant_id``.
Which volumetry key caps each table is ``Table.entity``; ``Table.parents`` lists the entities a profile
must also name because rows reference them. Pure module: data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from seedlib.contract.entities import Entity, LifecycleState

__all__ = ["CATALOG", "TABLES", "Column", "Kind", "Table", "table_of"]


class Kind(StrEnum):
    """How a column's values are represented in a batch and typed in PostgreSQL."""

    UUID = "uuid"
    TEXT = "text"
    INT = "integer"
    BOOL = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamptz"
    MONEY = "numeric(15,2)"
    """Held as int64 cents in batches."""
    RATE = "numeric(12,8)"
    """Held as int64 units of 1e-8 in batches (a monthly rate of 1.99 % is 1_990_000)."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    about: str
    nullable: bool = False
    pii: bool = False
    """Produced by a salt-keyed pseudonym function and recomputed by ``pii_check``."""
    references: str | None = None
    """Table a foreign key points to."""
    unique: bool = False
    """Unique within the tenant (natural keys), by construction."""


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    entity: Entity | None
    """Volumetry key whose cap sizes the table (``None``: the single tenant row)."""
    about: str
    columns: tuple[Column, ...]
    parents: tuple[Entity, ...] = ()
    states: tuple[LifecycleState, ...] = ()
    """Lifecycle states a carga/dr profile may spread rows across (``status`` column)."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def pii_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.pii)


def _keys(table: str) -> tuple[Column, ...]:
    return (
        Column(
            "id", Kind.UUID, f"UUIDv5 of the tenant namespace and '{table}:<index>'", unique=True
        ),
        Column(
            "tenant_id", Kind.UUID, "owning tenant (row-level security key)", references="tenants"
        ),
    )


A, D, B, C, X = (
    LifecycleState.ACTIVE,
    LifecycleState.DELINQUENT,
    LifecycleState.BLOCKED,
    LifecycleState.CANCELLED,
    LifecycleState.EXPIRED,
)

TABLES: Final[tuple[Table, ...]] = (
    Table(
        "tenants",
        None,
        "the tenant itself: one row per tenant, environment and dataset",
        (
            Column("id", Kind.UUID, "UUIDv5 of the tenant namespace and 'tenants:0'", unique=True),
            Column("slug", Kind.TEXT, "tenant slug from the profile"),
            Column("environment", Kind.TEXT, "environment from the profile"),
            Column("dataset", Kind.TEXT, "baseline (also canary), carga or dr"),
            Column("display_name", Kind.TEXT, "synthetic bank name"),
            Column("created_at", Kind.TIMESTAMP, "referenceDatetime minus two years"),
        ),
    ),
    Table(
        "users",
        Entity.USERS,
        "back-office users",
        (
            *_keys("users"),
            Column("username", Kind.TEXT, "login, unique per tenant", unique=True),
            Column("full_name", Kind.TEXT, "pseudonymous name", pii=True),
            Column(
                "email",
                Kind.TEXT,
                "pseudonymous e-mail on a reserved domain",
                pii=True,
                unique=True,
            ),
            Column("role", Kind.TEXT, "admin | analyst | operator | auditor"),
            Column("active", Kind.BOOL, "whether the login is enabled"),
            Column("created_at", Kind.TIMESTAMP, "account creation"),
        ),
    ),
    Table(
        "consultants",
        Entity.CONSULTANTS,
        "account managers",
        (
            *_keys("consultants"),
            Column("full_name", Kind.TEXT, "pseudonymous name", pii=True),
            Column(
                "email",
                Kind.TEXT,
                "pseudonymous e-mail on a reserved domain",
                pii=True,
                unique=True,
            ),
            Column("phone", Kind.TEXT, "pseudonymous E.164 mobile number", pii=True),
            Column("branch_code", Kind.TEXT, "4-digit branch"),
            Column("hired_on", Kind.DATE, "hiring date"),
        ),
    ),
    Table(
        "customers",
        Entity.CUSTOMERS,
        "individuals (CPF) and companies (CNPJ)",
        (
            *_keys("customers"),
            Column(
                "consultant_id",
                Kind.UUID,
                "account manager",
                nullable=True,
                references="consultants",
            ),
            Column("person_type", Kind.TEXT, "individual | company"),
            Column(
                "document", Kind.TEXT, "CPF or CNPJ with valid check digits", pii=True, unique=True
            ),
            Column("full_name", Kind.TEXT, "person or company name", pii=True),
            Column("email", Kind.TEXT, "e-mail on a reserved domain", pii=True, unique=True),
            Column("phone", Kind.TEXT, "E.164 number with a real area code", pii=True),
            Column("birth_date", Kind.DATE, "individuals only", nullable=True, pii=True),
            Column("monthly_income", Kind.MONEY, "declared monthly income or revenue"),
            Column("status", Kind.TEXT, "active | delinquent | blocked | cancelled"),
            Column("created_at", Kind.TIMESTAMP, "onboarding"),
        ),
        states=(A, D, B, C),
    ),
    Table(
        "addresses",
        Entity.ADDRESSES,
        "customer addresses, CEP consistent with the state",
        (
            *_keys("addresses"),
            Column("customer_id", Kind.UUID, "owner", references="customers"),
            Column("kind", Kind.TEXT, "residential | commercial | billing"),
            Column("street", Kind.TEXT, "street name", pii=True),
            Column("number", Kind.TEXT, "house number", pii=True),
            Column("complement", Kind.TEXT, "apartment, block", nullable=True, pii=True),
            Column("district", Kind.TEXT, "neighbourhood", pii=True),
            Column("city", Kind.TEXT, "city"),
            Column("uf", Kind.TEXT, "two-letter state code"),
            Column("cep", Kind.TEXT, "postal code inside the state's range", pii=True),
            Column("is_primary", Kind.BOOL, "the customer's first address"),
        ),
        parents=(Entity.CUSTOMERS,),
    ),
    Table(
        "account_categories",
        Entity.ACCOUNT_CATEGORIES,
        "per-tenant catalog of account products",
        (
            *_keys("account_categories"),
            Column("code", Kind.TEXT, "product code", unique=True),
            Column("name", Kind.TEXT, "product name"),
            Column("account_type", Kind.TEXT, "checking | savings | salary | payment"),
            Column("monthly_fee", Kind.MONEY, "package fee"),
        ),
    ),
    Table(
        "suppliers",
        Entity.SUPPLIERS,
        "per-tenant catalog of payees of boletos",
        (
            *_keys("suppliers"),
            Column("document", Kind.TEXT, "CNPJ with valid check digits", pii=True, unique=True),
            Column("legal_name", Kind.TEXT, "company name", pii=True),
            Column("segment", Kind.TEXT, "business segment"),
            Column("created_at", Kind.TIMESTAMP, "registration"),
        ),
    ),
    Table(
        "bank_accounts",
        Entity.BANK_ACCOUNTS,
        "checking and savings accounts",
        (
            *_keys("bank_accounts"),
            Column("customer_id", Kind.UUID, "holder", references="customers"),
            Column("category_id", Kind.UUID, "product", references="account_categories"),
            Column("agency", Kind.TEXT, "4-digit agency"),
            Column("account_number", Kind.TEXT, "7 digits, dash, check digit", unique=True),
            Column("status", Kind.TEXT, "active | blocked | cancelled"),
            Column("balance", Kind.MONEY, "balance at referenceDatetime"),
            Column("opened_at", Kind.TIMESTAMP, "opening"),
        ),
        parents=(Entity.CUSTOMERS, Entity.ACCOUNT_CATEGORIES),
        states=(A, B, C),
    ),
    Table(
        "loans",
        Entity.LOANS,
        "Price or SAC loans with IOF and CET",
        (
            *_keys("loans"),
            Column(
                "customer_id", Kind.UUID, "borrower (the account holder)", references="customers"
            ),
            Column("account_id", Kind.UUID, "disbursement account", references="bank_accounts"),
            Column("amortization", Kind.TEXT, "price | sac"),
            Column("principal", Kind.MONEY, "financed amount"),
            Column("monthly_rate", Kind.RATE, "contract interest rate per month"),
            Column("term_months", Kind.INT, "number of installments"),
            Column("iof", Kind.MONEY, "IOF charged at contracting"),
            Column("cet_monthly", Kind.RATE, "total effective cost per month"),
            Column("cet_annual", Kind.RATE, "total effective cost per year"),
            Column("status", Kind.TEXT, "active | delinquent | blocked | cancelled"),
            Column("contracted_on", Kind.DATE, "contract date"),
            Column("first_due_on", Kind.DATE, "first installment due date"),
        ),
        parents=(Entity.CUSTOMERS, Entity.BANK_ACCOUNTS),
        states=(A, D, B, C),
    ),
    Table(
        "installments",
        Entity.INSTALLMENTS,
        "loan installments; their number derives from the loans (cap is an upper bound)",
        (
            *_keys("installments"),
            Column("loan_id", Kind.UUID, "loan", references="loans"),
            Column("number", Kind.INT, "1..term_months"),
            Column("due_on", Kind.DATE, "due date"),
            Column("principal", Kind.MONEY, "amortisation"),
            Column("interest", Kind.MONEY, "interest"),
            Column("payment", Kind.MONEY, "principal + interest"),
            Column("balance", Kind.MONEY, "outstanding principal after this installment"),
            Column("status", Kind.TEXT, "paid | open | overdue | cancelled"),
        ),
        parents=(Entity.LOANS,),
    ),
    Table(
        "financial_transactions",
        Entity.FINANCIAL_TRANSACTIONS,
        "PIX, TED, boleto and card movements",
        (
            *_keys("financial_transactions"),
            Column("account_id", Kind.UUID, "account moved", references="bank_accounts"),
            Column(
                "supplier_id", Kind.UUID, "payee of a boleto", nullable=True, references="suppliers"
            ),
            Column("channel", Kind.TEXT, "pix | ted | boleto | card"),
            Column("direction", Kind.TEXT, "credit | debit"),
            Column("amount", Kind.MONEY, "amount, always positive"),
            Column("occurred_at", Kind.TIMESTAMP, "before referenceDatetime"),
            Column("description", Kind.TEXT, "statement text (may name a person)", pii=True),
            Column(
                "reference", Kind.TEXT, "end-to-end id or document number", pii=True, unique=True
            ),
        ),
        parents=(Entity.BANK_ACCOUNTS,),
    ),
    Table(
        "credit_limits",
        Entity.CREDIT_LIMITS,
        "one credit limit per account",
        (
            *_keys("credit_limits"),
            Column("account_id", Kind.UUID, "account", references="bank_accounts", unique=True),
            Column("limit_amount", Kind.MONEY, "granted limit"),
            Column("used_amount", Kind.MONEY, "used part, at most the limit"),
            Column("status", Kind.TEXT, "active | blocked | expired"),
            Column("valid_from", Kind.DATE, "start of validity"),
            Column("valid_until", Kind.DATE, "end of validity"),
        ),
        parents=(Entity.BANK_ACCOUNTS,),
        states=(A, B, X),
    ),
    Table(
        "contracts",
        Entity.CONTRACTS,
        "signed contracts",
        (
            *_keys("contracts"),
            Column("customer_id", Kind.UUID, "signatory", references="customers"),
            Column("number", Kind.TEXT, "contract number", unique=True),
            Column("kind", Kind.TEXT, "account_opening | credit_card | loan | investment"),
            Column("status", Kind.TEXT, "active | cancelled"),
            Column("signed_at", Kind.TIMESTAMP, "signature"),
            Column("amount", Kind.MONEY, "contracted amount", nullable=True),
        ),
        parents=(Entity.CUSTOMERS,),
        states=(A, C),
    ),
)

CATALOG: Final = MappingProxyType({table.name: table for table in TABLES})
_BY_ENTITY: Final = MappingProxyType({t.entity: t for t in TABLES if t.entity is not None})


def table_of(entity: Entity) -> Table:
    return _BY_ENTITY[entity]
