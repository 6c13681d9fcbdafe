"""IOF-crédito, the tax on credit operations charged when a loan is contracted.

Decreto 6.306/2007 art. 7; the rates encoded and their history are in the package docstring
(:mod:`seedlib.generator.finance`) and next to the constants.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum

from seedlib.generator.finance._money import CTX, ZERO, require_cents, require_date, round_cents
from seedlib.generator.finance._schedules import Installment, days_to_due

# --- IOF-crédito, Decreto 6.306/2007 art. 7 -------------------------------------------
# History (not encoded): Decreto 6.339/2008 created the 0.38 % additional rate; the
# individuals' daily rate has moved between 0.0041 % and 0.0082 % since then (e.g. Decreto
# 7.458/2011 raised it, later decrees lowered it) and is 0.0082 % since Decreto 8.392/2015
# (January 2015); the companies' rate stayed at 0.0041 %. Both were zeroed temporarily in
# 2020 (Decreto 10.305/2020 and extensions, COVID-19) and raised temporarily from
# 2021-09-20 to 2021-12-31 (Decreto 10.797/2021: 0.01118 %/day for individuals, 0.00559 %/day
# for companies). In 2025 Decretos 12.466/2025 and 12.499/2025
# raised the company rates (to the individuals' 0.0082 %/day and an additional rate of
# 0.95 %, with a reduced rate for Simples Nacional companies); that change was litigated
# (PDL in Congress, STF decision) and is deliberately NOT encoded here -- verify the
# current text before using these numbers for anything but synthetic data.
IOF_DAILY_RATE_INDIVIDUAL = Decimal("0.000082")
"""IOF daily rate for individuals: 0.0082 % a day (Decreto 6.306/2007 art. 7, I, b)."""

IOF_DAILY_RATE_COMPANY = Decimal("0.000041")
"""IOF daily rate for companies: 0.0041 % a day (Decreto 6.306/2007 art. 7, I, a)."""

IOF_ADDITIONAL_RATE = Decimal("0.0038")
"""Additional flat IOF rate, 0.38 % of the financed amount (Decreto 6.306/2007 art. 7 §15)."""

IOF_MAX_DAYS = 365
"""Days after which the IOF daily rate stops accruing on an amortised amount (art. 7 §1)."""


class Borrower(StrEnum):
    """Kind of borrower, which selects the IOF daily rate."""

    INDIVIDUAL = "individual"
    COMPANY = "company"


def iof(installments: Sequence[Installment], borrower: Borrower, contract_date: date) -> Decimal:
    """IOF-crédito due on a loan released on ``contract_date`` (Decreto 6.306/2007 art. 7).

    ``sum_k principal_k * daily_rate * min(days_k, 365) + 0.0038 * sum_k principal_k``,
    where ``days_k`` are the calendar days from ``contract_date`` to installment ``k``'s due
    date and ``daily_rate`` is 0.0082 % (individuals) or 0.0041 % (companies). The sum is
    exact and rounded once, at the end, to cents with ``ROUND_HALF_UP``.

    Raises:
        ValueError: no installments, a principal part that is not a non-negative amount in
            cents, or a due date not after ``contract_date``.
    """
    contracted = require_date(contract_date, "contract_date")
    if not installments:
        raise ValueError("installments must not be empty")
    try:
        daily_rate = {
            Borrower.INDIVIDUAL: IOF_DAILY_RATE_INDIVIDUAL,
            Borrower.COMPANY: IOF_DAILY_RATE_COMPANY,
        }[Borrower(borrower)]
    except ValueError:
        raise ValueError(f"borrower must be a Borrower, got {borrower!r}") from None
    with localcontext(CTX):
        daily = ZERO
        financed = ZERO
        for item in installments:
            amortized = require_cents(item.principal, "installments[].principal", positive=False)
            days = days_to_due(item, contracted)
            daily += amortized * daily_rate * min(days, IOF_MAX_DAYS)
            financed += amortized
        return round_cents(daily + financed * IOF_ADDITIONAL_RATE)
