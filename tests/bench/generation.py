"""make bench (generation): rows/s of the bulk generator per table, against a per-row Faker baseline.

Both sides are measured in this run, on this machine, so the printed ratios hold even when the
machine is slow or noisy; absolute rows/s are for orientation only. The baseline builds the same
columns one row at a time with Faker (pt_BR), as a typical factory-per-row seeder would.

    python -m tests.bench.generation [--rows N] [--faker-rows N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

from faker import Faker

from seedlib.generator import Context, generate
from seedlib.generator.catalog import TABLES
from tests.support import context_of, spec_of


def _best_of(repeats: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _faker_transaction(fake: Faker, reference: dt.datetime) -> tuple[object, ...]:
    channel = fake.random_element(("pix", "card", "boleto", "ted"))
    credit = fake.boolean(40)
    return (
        uuid.uuid4(),
        uuid.uuid4(),
        uuid.uuid4(),
        None,
        channel,
        "credit" if credit else "debit",
        Decimal(fake.pydecimal(left_digits=5, right_digits=2, positive=True)),
        fake.date_time_between(reference - dt.timedelta(days=365), reference),
        f"PIX enviado para {fake.name()}",
        fake.bothify("E###########"),
    )


def _faker_customer(fake: Faker, reference: dt.datetime) -> tuple[object, ...]:
    company = fake.boolean(15)
    return (
        uuid.uuid4(),
        uuid.uuid4(),
        uuid.uuid4(),
        "company" if company else "individual",
        fake.cnpj() if company else fake.cpf(),
        fake.company() if company else fake.name(),
        fake.email(),
        fake.phone_number(),
        None if company else fake.date_of_birth(minimum_age=18, maximum_age=80),
        Decimal(fake.pydecimal(left_digits=5, right_digits=2, positive=True)),
        "active",
        fake.date_time_between(reference - dt.timedelta(days=1825), reference),
    )


FAKER_ROWS = {"financial_transactions": _faker_transaction, "customers": _faker_customer}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=100_000, help="rows per table (at most its count)"
    )
    parser.add_argument("--faker-rows", type=int, default=5_000, help="rows for the Faker baseline")
    args = parser.parse_args(argv)
    ctx: Context = context_of(spec_of("perf/tenant-a"))
    reference = ctx.spec.reference_instant
    fake = Faker("pt_BR")
    Faker.seed(0)

    print(f"generation throughput, perf/tenant-a, up to {args.rows} rows per table (best of 3)")
    print(
        f"{'table':<24}{'rows':>9}{'columnar rows/s':>17}{'+COPY text rows/s':>19}"
        f"{'vs Faker':>10}{'(+COPY)':>9}"
    )
    for table in TABLES:
        rows = min(args.rows, ctx.count(table.name))
        columnar = _best_of(3, lambda t=table, n=rows: generate(t, ctx, 0, n))
        rendered = _best_of(3, lambda t=table, n=rows: generate(t, ctx, 0, n).copy_text())
        ratio = ""
        if table.name in FAKER_ROWS:
            make = FAKER_ROWS[table.name]
            per_row = _best_of(
                3, lambda m=make: [m(fake, reference) for _ in range(args.faker_rows)]
            )
            faker_rate = args.faker_rows / per_row
            ratio = (
                f"{(rows / columnar) / faker_rate:>9.1f}x{(rows / rendered) / faker_rate:>8.1f}x"
            )
        print(f"{table.name:<24}{rows:>9}{rows / columnar:>17,.0f}{rows / rendered:>19,.0f}{ratio}")
    print(
        "vs Faker: our columnar rows/s over Faker's per-row rows/s (both build typed values);\n"
        "(+COPY): the same with our rows also rendered as PostgreSQL COPY text. Same run, same machine."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
