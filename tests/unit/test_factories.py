"""factory_boy factories agree with the bulk generator, row for row, in any call order."""

from __future__ import annotations

import dataclasses
import datetime as dt

import factory.random
import pytest

from seedlib import factories
from seedlib.generator import generate
from seedlib.generator.catalog import TABLES
from tests.support import context_of, spec_of

FACTORIES = {
    "tenants": factories.TenantFactory,
    "users": factories.UserFactory,
    "consultants": factories.ConsultantFactory,
    "customers": factories.CustomerFactory,
    "addresses": factories.AddressFactory,
    "account_categories": factories.AccountCategoryFactory,
    "suppliers": factories.SupplierFactory,
    "bank_accounts": factories.BankAccountFactory,
    "loans": factories.LoanFactory,
    "installments": factories.InstallmentFactory,
    "financial_transactions": factories.FinancialTransactionFactory,
    "credit_limits": factories.CreditLimitFactory,
    "contracts": factories.ContractFactory,
}


def test_every_table_has_a_factory():
    assert set(FACTORIES) == {t.name for t in TABLES}


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_factory_row_equals_bulk_row(table):
    ctx = context_of(spec_of("dev/tenant-a"))
    count = ctx.count(table)
    bulk = generate(table, ctx, 0, count)
    for index in sorted({0, min(1, count - 1), count // 2, count - 1}):
        built = FACTORIES[table].build(index=index, context=ctx)
        assert dataclasses.asdict(built) == bulk.row(index), (table, index)


def test_default_context_rows_equal_bulk_rows():
    ctx = factories.default_context()
    for table, made in FACTORIES.items():
        index = min(7, ctx.count(table) - 1)
        assert made.build(index=index).as_dict() == generate(table, ctx, index, index + 1).row(
            index
        )


def test_call_order_and_global_rng_do_not_matter():
    factory.random.reseed_random(1)
    forward = [factories.LoanFactory.build(index=i) for i in (3, 1, 2)]
    factory.random.reseed_random(99)
    backward = [factories.LoanFactory.build(index=i) for i in (2, 1, 3)]
    assert forward == [backward[2], backward[1], backward[0]]
    assert factories.LoanFactory.rows(1, 4) == [backward[1], backward[0], backward[2]]


def test_foreign_keys_are_subfactories_and_follow_overrides():
    account = factories.BankAccountFactory.build(index=5)
    mine = factories.CustomerFactory.build(index=42)
    assert factories.BankAccountFactory.build(index=5, customer=mine).customer_id == mine.id
    assert account.customer_id == factories.CustomerFactory.build(index=5).id
    loan = factories.LoanFactory.build(index=9)
    installment = factories.InstallmentFactory.build(index=0)
    assert installment.loan_id == factories.LoanFactory.build(index=0).id
    assert (
        loan.account_id
        == generate("loans", factories.default_context(), 9, 10).row(9)["account_id"]
    )


@pytest.mark.parametrize(
    ("made", "trait", "status"),
    [
        (factories.LoanFactory, "delinquent", "delinquent"),
        (factories.LoanFactory, "cancelled", "cancelled"),
        (factories.BankAccountFactory, "blocked", "blocked"),
        (factories.ContractFactory, "cancelled", "cancelled"),
        (factories.CustomerFactory, "blocked", "blocked"),
        (factories.InstallmentFactory, "overdue", "overdue"),
    ],
)
def test_traits_produce_the_promised_states(made, trait, status):
    assert made.build(index=0, **{trait: True}).status == status
    assert made.build(index=0).status != status or status == "active"


def test_expired_credit_limit_trait_ends_before_the_reference():
    limit = factories.CreditLimitFactory.build(index=0, expired=True)
    reference = factories.default_context().spec.reference_instant.date()
    assert limit.status == "expired"
    assert limit.valid_until < reference
    assert limit.valid_until - limit.valid_from == dt.timedelta(days=365)
