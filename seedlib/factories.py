"""factory_boy factories for every table: the public API other teams use in their own tests.

Each factory builds row *index* of its table with the bulk generator's own value functions, so
``CustomerFactory.build(index=7, context=ctx)`` equals row 7 that ``seedctl run`` loads for the same
profile and salt, field for field. Nothing depends on factory_boy's process-global random generator
or sequence counters: the same arguments give the same row in any order, in any process.

    from seedlib.factories import BankAccountFactory, LoanFactory

    account = BankAccountFactory.build(index=3)             # row 3 of the default context
    loan = LoanFactory.build(index=0, delinquent=True)      # a sad path through a Trait
    mine = BankAccountFactory.build(customer=my_customer)   # foreign keys follow SubFactory overrides
    LoanFactory.rows(0, 10)                                  # rows 0..9, explicitly indexed

``context`` defaults to ``default_context()``: a dev-isolated profile at generous caps (tenant
``factory-tenant``). Pass ``context=Context.build(spec, salt)`` to mirror a real profile.
Rows are frozen dataclasses whose fields are the catalog's columns (``row.as_dict()`` for a dict).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache
from typing import Any

import factory
import numpy as np

from seedlib.contract.canonical import manifest_hash
from seedlib.contract.profile import SeedProfileSpec
from seedlib.evidence.salts import DevIsolatedSaltProvider
from seedlib.generator import Context, generate
from seedlib.generator._tables import parent_index
from seedlib.generator.catalog import CATALOG, Table
from seedlib.rules.validation import load_profile_spec

__all__ = [
    "AccountCategoryFactory",
    "AddressFactory",
    "BankAccountFactory",
    "ConsultantFactory",
    "ContractFactory",
    "CreditLimitFactory",
    "CustomerFactory",
    "FinancialTransactionFactory",
    "InstallmentFactory",
    "LoanFactory",
    "SupplierFactory",
    "TenantFactory",
    "UserFactory",
    "default_context",
    "row_model",
]

_DEFAULT_SPEC: dict[str, Any] = {
    "tenant": "factory-tenant",
    "environment": "dev",
    "profile": "factories",
    "version": "1.0.0",
    "schemaVersion": "v1",
    "saltVersion": "v1",
    "mode": "carga",
    "referenceDatetime": "2025-01-01T00:00:00Z",
    "window": {"startUtc": "00:00", "endUtc": "23:59"},
    "volumetry": {
        "users": {"cap": 1000},
        "customers": {"cap": 10000},
        "addresses": {"cap": 20000},
        "consultants": {"cap": 500},
        "accountCategories": {"cap": 16},
        "suppliers": {"cap": 1000},
        "bankAccounts": {"cap": 20000},
        "loans": {"cap": 10000},
        "installments": {"cap": 250000},
        "financialTransactions": {"cap": 100000},
        "creditLimits": {"cap": 20000},
        "contracts": {"cap": 20000},
    },
    "rateLimit": {"limit": 300, "windowSeconds": 60},
    "backoff": {"baseSeconds": 1, "jitterFactor": 0.1, "maxRetries": 3, "maxIntervalSeconds": 60},
    "budget": {"costCapBrl": "5.00", "errorBudgetPct": 1},
    "ttl": {"baselineDays": 1, "cargaDays": 1, "drDays": 1},
    "slo": {"p95TargetMs": 150, "p99TargetMs": 250, "throughputTargetRps": 1.5},
}


@cache
def default_context() -> Context:
    """The context factories use unless given one: a fixed dev-isolated profile, so stable."""
    spec_data = {**_DEFAULT_SPEC, "integrity": {"manifestHash": manifest_hash(_DEFAULT_SPEC)}}
    spec: SeedProfileSpec = load_profile_spec(spec_data)
    salt = DevIsolatedSaltProvider(dev_isolated=True).salt(spec.tenant, "dev", spec.salt_version)
    return Context.build(spec, salt)


@cache
def row_model(table: str) -> type[Any]:
    """The frozen dataclass of one table's rows (fields in catalog order)."""
    spec = CATALOG[table]
    name = "".join(part.capitalize() for part in spec.name.split("_")) + "Row"
    model = dataclasses.make_dataclass(
        name,
        [(column.name, object) for column in spec.columns],
        frozen=True,
        slots=True,
        namespace={"as_dict": dataclasses.asdict, "__doc__": spec.about},
    )
    model.__module__ = __name__
    return model


def _bulk_row(table: Table, ctx: Context, index: int) -> dict[str, Any]:
    return generate(table, ctx, index, index + 1).row(index)


class _RowFactory(factory.Factory):  # type: ignore[misc]  # factory_boy ships no type hints
    """Abstract base: ``index`` and ``context`` select the bulk row every field defaults to."""

    class Meta:
        abstract = True

    class Params:
        index = 0
        context = factory.LazyFunction(default_context)
        bulk = factory.LazyAttribute(
            lambda o: _bulk_row(CATALOG[o.factory_table], o.context, o.index)
        )
        factory_table = ""

    @classmethod
    def rows(cls, start: int, stop: int, **overrides: Any) -> list[Any]:
        """Rows ``start..stop-1``, each built with its explicit index."""
        return [cls.build(index=i, **overrides) for i in range(start, stop)]


def _field(column: str) -> factory.LazyAttribute:
    return factory.LazyAttribute(lambda o: o.bulk[column])


def _parent(factory_path: str, table: str, column: str) -> factory.SubFactory:
    """The referenced row, built at the index the bulk generator links to."""
    return factory.SubFactory(
        factory_path,
        index=factory.LazyAttribute(
            lambda o: _link(o.factory_parent.context, table, column, o.factory_parent.index)
        ),
        context=factory.SelfAttribute("..context"),
    )


def _link(ctx: Context, table: str, column: str, index: int) -> int:
    return int(parent_index(ctx, table, column, np.asarray([index], dtype=np.int64))[0])


def _declarations(table: str, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.name: _field(c.name) for c in CATALOG[table].columns if c.name not in skip}


def _factory(
    name: str, table: str, extra: dict[str, Any] | None = None, traits: dict[str, Any] | None = None
) -> type[_RowFactory]:
    """Declare a factory for ``table``: a field per column, plus SubFactories and Traits."""
    params: dict[str, Any] = {"factory_table": table, **(traits or {})}
    attributes: dict[str, Any] = {
        "Meta": type("Meta", (), {"model": row_model(table)}),
        "Params": type("Params", (), params),
        "__module__": __name__,
        "__doc__": f"Rows of {table}: {CATALOG[table].about}.",
        **_declarations(table, skip=tuple((extra or {}).keys())),
        **(extra or {}),
    }
    return type(name, (_RowFactory,), attributes)


def _fk(params_name: str, column: str) -> factory.SelfAttribute:
    return factory.SelfAttribute(f"{params_name}.id")


def _expired_until(o: Any) -> dt.date:
    """An expired limit ended before the reference instant (its bulk date, when already expired)."""
    if o.bulk["status"] == "expired":
        until: dt.date = o.bulk["valid_until"]
        return until
    reference: dt.datetime = o.context.spec.reference_instant
    return reference.date() - dt.timedelta(days=30)


TenantFactory = _factory("TenantFactory", "tenants")
UserFactory = _factory("UserFactory", "users")
ConsultantFactory = _factory("ConsultantFactory", "consultants")
CustomerFactory = _factory(
    "CustomerFactory",
    "customers",
    traits={
        "blocked": factory.Trait(status="blocked"),
        "delinquent": factory.Trait(status="delinquent"),
    },
)
AddressFactory = _factory("AddressFactory", "addresses")
AccountCategoryFactory = _factory("AccountCategoryFactory", "account_categories")
SupplierFactory = _factory("SupplierFactory", "suppliers")
BankAccountFactory = _factory(
    "BankAccountFactory",
    "bank_accounts",
    traits={
        "customer": _parent(f"{__name__}.CustomerFactory", "bank_accounts", "customer_id"),
        "blocked": factory.Trait(status="blocked"),
        "cancelled": factory.Trait(status="cancelled"),
    },
    extra={"customer_id": _fk("customer", "customer_id")},
)
LoanFactory = _factory(
    "LoanFactory",
    "loans",
    traits={
        "account": _parent(f"{__name__}.BankAccountFactory", "loans", "account_id"),
        "delinquent": factory.Trait(status="delinquent"),
        "cancelled": factory.Trait(status="cancelled"),
    },
    extra={"account_id": _fk("account", "account_id")},
)
InstallmentFactory = _factory(
    "InstallmentFactory",
    "installments",
    traits={
        "loan": _parent(f"{__name__}.LoanFactory", "installments", "loan_id"),
        "overdue": factory.Trait(status="overdue"),
    },
    extra={"loan_id": _fk("loan", "loan_id")},
)
FinancialTransactionFactory = _factory(
    "FinancialTransactionFactory",
    "financial_transactions",
    traits={
        "account": _parent(f"{__name__}.BankAccountFactory", "financial_transactions", "account_id")
    },
    extra={"account_id": _fk("account", "account_id")},
)
CreditLimitFactory = _factory(
    "CreditLimitFactory",
    "credit_limits",
    traits={
        "account": _parent(f"{__name__}.BankAccountFactory", "credit_limits", "account_id"),
        "expired": factory.Trait(
            status="expired",
            valid_until=factory.LazyAttribute(_expired_until),
            valid_from=factory.LazyAttribute(lambda o: o.valid_until - dt.timedelta(days=365)),
        ),
    },
    extra={"account_id": _fk("account", "account_id")},
)
ContractFactory = _factory(
    "ContractFactory",
    "contracts",
    traits={
        "customer": _parent(f"{__name__}.CustomerFactory", "contracts", "customer_id"),
        "cancelled": factory.Trait(status="cancelled"),
    },
    extra={"customer_id": _fk("customer", "customer_id")},
)
