"""Who the data is about: the tenant, its back-office users and consultants, customers and addresses."""

from __future__ import annotations

import numpy as np

from seedlib.contract.entities import Entity
from seedlib.generator import brazil, masking
from seedlib.generator._context import Context, dataset_of
from seedlib.generator._tables.draws import (
    Columns,
    days_before,
    key_columns,
    lifecycle_status,
    log_uniform_cents,
    seconds_before,
    weighted_choice,
)
from seedlib.generator._tables.links import customer_ufs, is_company, linked_ids, parent_index
from seedlib.generator.streams import below, unit


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


def users(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("users"), ctx.pii("users")
    names = masking.person_names(
        p, "full_name", start, stop, unit(p.word("female", start, stop)) < 0.5
    )
    tokens = masking.base36(s.rank("username", start, stop, 36**6), 6)
    return {
        **key_columns(ctx, "users", start, stop),
        "username": [f"op-{t}" for t in tokens],
        "full_name": names,
        "email": masking.emails(p, "email", start, stop, names, "banco.example"),
        "role": weighted_choice(
            s,
            "role",
            start,
            stop,
            [("admin", 5), ("analyst", 35), ("operator", 50), ("auditor", 10)],
        ),
        "active": s.unit("active", start, stop) < 0.95,
        "created_at": seconds_before(ctx, s, "created_at", start, stop, 730),
    }


def consultants(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("consultants"), ctx.pii("consultants")
    names = masking.person_names(
        p, "full_name", start, stop, unit(p.word("female", start, stop)) < 0.5
    )
    return {
        **key_columns(ctx, "consultants", start, stop),
        "full_name": names,
        "email": masking.emails(p, "email", start, stop, names, "banco.example"),
        "phone": masking.phones(p, "phone", start, stop, masking.ufs(p, "uf", start, stop)),
        "branch_code": [f"{1000 + b:04d}" for b in s.below("branch", start, stop, 9000).tolist()],
        "hired_on": days_before(ctx, s, "hired_on", start, stop, 30, 3650),
    }


def customers(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("customers"), ctx.pii("customers")
    index = np.arange(start, stop, dtype=np.int64)
    company = is_company(ctx, index)
    people = masking.person_names(
        p, "full_name", start, stop, unit(p.word("female", start, stop)) < 0.5
    )
    firms = masking.company_names(p, "company_name", start, stop)
    names = [f if c else n for c, n, f in zip(company.tolist(), people, firms, strict=True)]
    cpf, cnpj = masking.cpfs(p, "cpf", start, stop), masking.cnpjs(p, "cnpj", start, stop)
    person_mail = masking.emails(p, "email", start, stop, names, "cliente.example")
    firm_mail = masking.emails(p, "email", start, stop, names, "empresa.example")
    born = days_before(ctx, p, "birth_date", start, stop, 18 * 365, 80 * 365)
    income = np.where(
        company,
        log_uniform_cents(s, "revenue", start, stop, 20_000, 2_000_000),
        log_uniform_cents(s, "income", start, stop, 1_500, 50_000),
    )
    consultant = (
        linked_ids(ctx, "customers", "consultant_id", "consultants", start, stop)
        if ctx.count("consultants")
        else [None] * (stop - start)
    )
    return {
        **key_columns(ctx, "customers", start, stop),
        "consultant_id": consultant,
        "person_type": ["company" if c else "individual" for c in company.tolist()],
        "document": [b if c else a for c, a, b in zip(company.tolist(), cpf, cnpj, strict=True)],
        "full_name": names,
        "email": [
            b if c else a for c, a, b in zip(company.tolist(), person_mail, firm_mail, strict=True)
        ],
        "phone": masking.phones(p, "phone", start, stop, customer_ufs(ctx, index)),
        "birth_date": np.where(company, np.datetime64("NaT"), born).astype("datetime64[D]"),
        "monthly_income": income,
        "status": lifecycle_status(ctx, Entity.CUSTOMERS, s, start, stop),
        "created_at": seconds_before(ctx, s, "created_at", start, stop, 5 * 365),
    }


def addresses(ctx: Context, start: int, stop: int) -> Columns:
    s, p = ctx.stream("addresses"), ctx.pii("addresses")
    index = np.arange(start, stop, dtype=np.int64)
    owner = parent_index(ctx, "addresses", "customer_id", index)
    uf = customer_ufs(ctx, owner)
    company = is_company(ctx, owner)
    words = p.words("street", start, stop)
    city = brazil.city_index(uf, s.word("city", start, stop))
    complement_kind = below(words[:, 2], 4).tolist()
    complement_number = (below(words[:, 3], 300) + 1).tolist()
    return {
        **key_columns(ctx, "addresses", start, stop),
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
