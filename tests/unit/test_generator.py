"""The bulk generator: determinism, referential integrity, valid formats, PII pseudonyms, finance."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
import uuid
from decimal import Decimal
from functools import cache

import pytest
from validate_docbr import CNPJ, CPF

from seedlib.contract.canonical import manifest_hash
from seedlib.contract.entities import STATEFUL, Entity
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.salt import Salt
from seedlib.errors import ExitCode, InvalidInputError, Reason
from seedlib.evidence.salts import DevIsolatedSaltProvider
from seedlib.generator import (
    GENERATOR_VERSION,
    Context,
    entity_digest,
    finance,
    generate,
    masking,
    pii_check,
    profile_violations,
    tenant_namespace,
)
from seedlib.generator.catalog import CATALOG, TABLES, Kind
from seedlib.generator.streams import Stream
from tests.support import PROFILES, context_of, load_yaml, spec_of


@cache
def dev_context() -> Context:
    return context_of(spec_of("dev/tenant-a"))


@cache
def dev_tables() -> dict[str, list[dict[str, object]]]:
    ctx = dev_context()
    return {t.name: list(generate(t, ctx, 0, ctx.count(t.name)).rows()) for t in TABLES}


# Pinned: a change here means every existing dataset changes. Bump GENERATOR_VERSION with it.
GOLDEN_VERSION = "1"
GOLDEN_FILE = PROFILES.parent.parent / "tests" / "unit" / "golden_digests.json"
GOLDEN = json.loads(GOLDEN_FILE.read_text()) if GOLDEN_FILE.exists() else {}


def test_generator_version_matches_the_golden_digests():
    assert GENERATOR_VERSION == GOLDEN_VERSION == GOLDEN["generatorVersion"]


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_golden_digest_of_the_dev_profile(table):
    assert entity_digest(table, dev_context()) == GOLDEN["dev/tenant-a"][table]


SEGMENTED = """
import json, sys
from tests.support import context_of, spec_of
from seedlib.generator.catalog import TABLES
from seedlib.generator import generate
import hashlib
cuts = json.loads(sys.argv[1])
ctx = context_of(spec_of("dev/tenant-a"))
out = {}
for t in TABLES:
    n = ctx.count(t.name)
    edges = sorted({0, n, *[int(n * c) for c in cuts]})
    h = hashlib.sha256()
    for a, b in zip(edges, edges[1:]):
        h.update(generate(t.name, ctx, a, b).copy_text())
    out[t.name] = h.hexdigest()
print(json.dumps(out))
"""


def test_two_processes_with_different_segmentations_agree():
    def run(cuts: list[float]) -> dict[str, str]:
        done = subprocess.run(
            [sys.executable, "-c", SEGMENTED, json.dumps(cuts)],
            capture_output=True,
            text=True,
            check=True,
            cwd=PROFILES.parent.parent,
        )
        return json.loads(done.stdout)

    whole = run([])
    uneven = run([0.03, 0.1, 0.11, 0.4, 0.41, 0.77, 0.9])  # 7 cuts: up to 8 uneven ranges
    assert whole == uneven
    assert whole == {t: GOLDEN["dev/tenant-a"][t] for t in whole}


def test_ids_are_uuid5_of_the_tenant_namespace():
    ctx = dev_context()
    namespace = tenant_namespace("tenant-a", "dev")
    assert ctx.ids("customers", 5, 8) == [
        str(uuid.uuid5(namespace, f"customers:{i}")) for i in range(5, 8)
    ]
    assert tenant_namespace("tenant-b", "dev") != namespace


def test_every_table_has_its_catalog_columns_and_count():
    ctx = dev_context()
    assert ctx.count("tenants") == 1
    for table in TABLES:
        rows = dev_tables()[table.name]
        assert len(rows) == ctx.count(table.name)
        assert all(tuple(r) == table.column_names for r in rows[:1])
    volumes = spec_of("dev/tenant-a").volumetry.entries()
    for entity, entry in volumes.items():
        if entity is not Entity.INSTALLMENTS:
            assert ctx.count(CATALOG_BY_ENTITY[entity]) == entry.cap
    assert 0 < ctx.count("installments") <= volumes[Entity.INSTALLMENTS].cap


CATALOG_BY_ENTITY = {t.entity: t.name for t in TABLES if t.entity is not None}


def test_every_foreign_key_points_to_an_existing_row():
    tables = dev_tables()
    ids = {name: {row["id"] for row in rows} for name, rows in tables.items()}
    for table in TABLES:
        for column in table.columns:
            if column.references is None:
                continue
            values = [row[column.name] for row in tables[table.name]]
            assert all(v is not None for v in values) or column.nullable, column
            assert {v for v in values if v is not None} <= ids[column.references], (
                table.name,
                column.name,
            )


def test_unique_columns_are_unique_and_not_null():
    for table in TABLES:
        for column in table.columns:
            if column.unique:
                values = [row[column.name] for row in dev_tables()[table.name]]
                assert None not in values
                assert len(set(values)) == len(values), (table.name, column.name)


def test_natural_keys_are_unique_by_construction_over_a_million_rows():
    stream = Stream(b"k" * 32)
    cpfs = masking.cpfs(stream, "cpf", 0, 1_000_000)
    assert len(set(cpfs)) == 1_000_000
    cnpjs = masking.cnpjs(stream, "cnpj", 0, 1_000_000)
    assert len(set(cnpjs)) == 1_000_000
    names = ["Ana Souza"] * 1_000_000
    emails = masking.emails(stream, "email", 0, 1_000_000, names, "cliente.example")
    assert len(set(emails)) == 1_000_000


def test_a_million_transactions_have_unique_ids_and_references():
    spec = spec_of("perf/tenant-a")
    ctx = context_of(spec)
    assert ctx.count("financial_transactions") == 1_000_000
    ids: set[str] = set()
    references: set[str] = set()
    for start in range(0, 1_000_000, 250_000):
        batch = generate("financial_transactions", ctx, start, start + 250_000)
        ids.update(batch.columns["id"])
        references.update(batch.columns["reference"])
    assert len(ids) == len(references) == 1_000_000


def test_documents_are_valid_under_an_independent_validator():
    cpf, cnpj = CPF(), CNPJ()
    customers = dev_tables()["customers"]
    for row in customers:
        document = row["document"]
        assert (cpf if row["person_type"] == "individual" else cnpj).validate(document), document
    assert all(cnpj.validate(r["document"]) for r in dev_tables()["suppliers"])
    stream = Stream(b"v" * 32)
    assert all(cpf.validate(d) for d in masking.cpfs(stream, "c", 0, 20_000))
    assert all(cnpj.validate(d) for d in masking.cnpjs(stream, "c", 0, 20_000))


def test_emails_use_reserved_domains_only():
    for table in ("users", "consultants", "customers"):
        for row in dev_tables()[table]:
            assert str(row["email"]).rsplit("@", 1)[1] in masking.EMAIL_DOMAINS


def test_timestamps_derive_from_the_reference_never_after_it():
    reference = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for table in TABLES:
        for column in table.columns:
            if column.kind is Kind.TIMESTAMP:
                assert all(r[column.name] <= reference for r in dev_tables()[table.name]), column
    later = context_of(spec_of("dev/tenant-a", referenceDatetime="2026-01-01T00:00:00Z"))
    assert entity_digest("users", later) != GOLDEN["dev/tenant-a"]["users"]


def test_baseline_is_all_active_and_carga_follows_the_shares():
    assert {r["status"] for r in dev_tables()["loans"]} == {"active"}
    spec = spec_of("perf/tenant-a")
    ctx = context_of(spec)
    statuses = generate("loans", ctx, 0, 20_000).columns["status"]
    shares = {s: statuses.count(s) / len(statuses) for s in set(statuses)}
    assert shares.keys() == {"active", "delinquent", "blocked", "cancelled"}
    assert abs(shares["delinquent"] - 0.07) < 0.01
    assert abs(shares["active"] - 0.90) < 0.01


def test_pii_check_passes_on_generated_rows_and_catches_a_planted_value():
    ctx = dev_context()
    rows = list(enumerate(dev_tables()["customers"]))
    assert pii_check("customers", rows, ctx).passed
    planted = copy.deepcopy(rows)
    planted[17][1]["document"] = "52998224725"  # a valid, real-looking CPF the masker did not make
    result = pii_check("customers", planted, ctx)
    assert result.unmasked == ((17, "document"),)
    assert result.values == len(rows) * len(CATALOG["customers"].pii_columns)


def test_rotating_the_salt_changes_pii_and_nothing_else():
    spec = spec_of("dev/tenant-a")
    one, two = context_of(spec, b"1" * 32), context_of(spec, b"2" * 32)
    a, b = generate("customers", one, 0, 50), generate("customers", two, 0, 50)
    for column in CATALOG["customers"].columns:
        same = list(a.columns[column.name]) == list(b.columns[column.name])
        if column.pii and column.name != "birth_date":
            assert not same, column.name
        elif not column.pii:
            assert same, column.name


def test_dev_isolated_salt_is_refused_outside_dev_and_without_the_flag():
    with pytest.raises(InvalidInputError) as caught:
        DevIsolatedSaltProvider(dev_isolated=True).salt("tenant-a", "staging", "v1")
    assert caught.value.reason is Reason.DEV_ISOLATED_FORBIDDEN
    assert caught.value.exit_code is ExitCode.INVALID
    with pytest.raises(InvalidInputError):
        DevIsolatedSaltProvider(dev_isolated=False).salt("tenant-a", "dev", "v1")


def test_salt_version_mismatch_is_salt_drift():
    spec = spec_of("dev/tenant-a")
    with pytest.raises(InvalidInputError) as caught:
        Context.build(spec, Salt(b"x" * 32, "v2", "test"))
    assert caught.value.reason is Reason.SALT_DRIFT


def test_loans_agree_with_the_decimal_reference_implementation():
    ctx = dev_context()
    for loan in dev_tables()["loans"]:
        contracted, first_due = loan["contracted_on"], loan["first_due_on"]
        system = finance.AmortizationSystem(loan["amortization"])
        reference = finance.schedule(
            loan["principal"], loan["monthly_rate"], loan["term_months"], system, first_due
        )
        mine = [i for i in dev_tables()["installments"] if i["loan_id"] == loan["id"]]
        assert [(i["principal"], i["interest"], i["balance"], i["due_on"]) for i in mine] == [
            (r.principal, r.interest, r.balance, r.due_date) for r in reference
        ]
        customer = next(c for c in dev_tables()["customers"] if c["id"] == loan["customer_id"])
        borrower = (
            finance.Borrower.COMPANY
            if customer["person_type"] == "company"
            else finance.Borrower.INDIVIDUAL
        )
        iof = finance.iof(reference, borrower, contracted)
        assert loan["iof"] == iof
        cet = finance.cet(loan["principal"], reference, contracted, iof_amount=iof)
        assert abs(loan["cet_annual"] - cet.annual) <= Decimal("0.000001")
        assert abs(loan["cet_monthly"] - cet.monthly) <= Decimal("0.000001")
    assert ctx.count("loans") == len(dev_tables()["loans"])


def test_installment_statuses_follow_due_dates():
    reference = dt.date(2025, 1, 1)
    for row in dev_tables()["installments"]:
        assert row["status"] == ("paid" if row["due_on"] < reference else "open")


def test_plan_violations_name_the_fix():
    raw = copy.deepcopy(load_yaml(PROFILES / "dev/tenant-a.yaml")["spec"])
    del raw["volumetry"]["customers"]
    raw["volumetry"]["installments"]["cap"] = 10
    raw["volumetry"]["creditLimits"]["cap"] = 500
    raw["integrity"] = {"manifestHash": manifest_hash(raw)}
    spec = SeedProfileSpec.model_validate(raw)
    paths = {v.path for v in profile_violations(spec)}
    assert {
        "spec.volumetry.addresses",
        "spec.volumetry.bankAccounts",
        "spec.volumetry.contracts",
    } <= paths
    del (
        raw["volumetry"]["addresses"],
        raw["volumetry"]["bankAccounts"],
        raw["volumetry"]["contracts"],
    )
    del (
        raw["volumetry"]["loans"],
        raw["volumetry"]["creditLimits"],
        raw["volumetry"]["financialTransactions"],
    )
    raw["volumetry"]["customers"] = {"cap": 10}
    raw["volumetry"]["bankAccounts"] = {"cap": 5}
    raw["volumetry"]["creditLimits"] = {"cap": 6}
    raw["volumetry"]["loans"] = {"cap": 100}
    violations = profile_violations(SeedProfileSpec.model_validate(raw))
    messages = {v.path: v for v in violations}
    assert "more than the cap of 10" in messages["spec.volumetry.installments.cap"].message
    assert "at most 5" in messages["spec.volumetry.creditLimits.cap"].hint


def test_states_must_belong_to_the_entity():
    raw = copy.deepcopy(load_yaml(PROFILES / "perf/tenant-a.yaml")["spec"])
    raw["volumetry"]["contracts"]["states"] = {"active": 90, "delinquent": 10}
    violations = profile_violations(
        SeedProfileSpec.model_validate({**raw, "integrity": {"manifestHash": "0" * 64}})
    )
    assert [v.path for v in violations] == ["spec.volumetry.contracts.states.delinquent"]


def test_catalog_is_consistent_with_the_entities():
    assert {t.entity for t in TABLES if t.states} == set(STATEFUL)
    names = [t.name for t in TABLES]
    for position, table in enumerate(TABLES):  # foreign-key order: parents first
        for column in table.columns:
            if column.references and column.references != table.name:
                assert names.index(column.references) < position
