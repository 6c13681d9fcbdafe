"""Amortisation schedules: the Tabela Price and SAC installments of a loan, and the Price payment.

Rounding follows the rules of the package docstring (:mod:`seedlib.generator.finance`): the
constant payment or amortisation is rounded once, each month's interest is rounded, and the last
installment amortises whatever balance remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from seedlib.generator.finance._money import (
    CENT,
    CTX,
    ONE,
    TWO,
    require_cents,
    require_date,
    require_decimal,
    require_int,
    round_cents,
)

MAX_TERM_MONTHS = 600
"""Longest accepted term (50 years)."""


class AmortizationSystem(StrEnum):
    """How the principal is repaid."""

    PRICE = "price"
    """Tabela Price (French system): constant payment, growing amortisation."""
    SAC = "sac"
    """Sistema de Amortização Constante: constant amortisation, decreasing payment."""


@dataclass(frozen=True, slots=True)
class Installment:
    """One installment of a loan schedule (all amounts in cents)."""

    number: int
    """1..n."""
    due_date: date
    payment: Decimal
    """``principal + interest``."""
    principal: Decimal
    """Amortisation of the outstanding balance."""
    interest: Decimal
    balance: Decimal
    """Outstanding principal after this installment; ``0.00`` after the last one."""


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _last_day_of_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, the day clamped to the month's last day."""
    years, month_index = divmod(start.month - 1 + months, 12)
    year = start.year + years
    month = month_index + 1
    return date(year, month, min(start.day, _last_day_of_month(year, month)))


def _price_payment(principal: Decimal, rate: Decimal, term: int) -> Decimal:
    """Exact (50-digit) Price payment ``P*i / (1 - (1+i)**-n)``; ``P/n`` when ``i == 0``."""
    if rate == 0:
        return principal / term
    return principal * rate / (ONE - (ONE + rate) ** -term)


_Row = tuple[Decimal, Decimal, Decimal]  # principal part, interest, balance after
_Loan = tuple[Decimal, Decimal, int]  # principal, monthly rate, term


def _amortize(
    principal: Decimal, rate: Decimal, term: int, system: AmortizationSystem, constant: Decimal
) -> list[_Row] | None:
    """Rows of the schedule for a constant payment (Price) or amortisation (SAC).

    Returns ``None`` if the balance would reach zero (or less) before the last installment,
    i.e. if ``constant`` is too large for the loan. Runs inside the private context.
    """
    rows: list[_Row] = []
    balance = principal
    last = term - 1
    for k in range(term):
        interest = (balance * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        if k == last:
            part = balance
        elif system is AmortizationSystem.PRICE:
            part = constant - interest
        else:
            part = constant
        balance -= part
        if k < last and balance <= 0:
            return None
        rows.append((part, interest, balance))
    return rows


def _largest_valid(
    principal: Decimal,
    rate: Decimal,
    term: int,
    system: AmortizationSystem,
    *,
    valid: Decimal,
    invalid: Decimal,
) -> list[_Row]:
    """Rows for the largest cent amount in ``[valid, invalid)`` that keeps the balance positive.

    Validity is monotone: a larger payment or amortisation never leaves a larger balance
    (``b + round(b*i)`` is non-decreasing in ``b``), so bisection over cents finds it.
    """
    rows = _amortize(principal, rate, term, system, valid)
    assert rows is not None  # the caller guarantees that `valid` is valid
    while invalid - valid > CENT:
        middle = ((valid + invalid) / TWO).quantize(CENT, rounding=ROUND_DOWN)
        attempt = _amortize(principal, rate, term, system, middle)
        if attempt is None:
            invalid = middle
        else:
            valid, rows = middle, attempt
    return rows


def _schedule_rows(
    principal: Decimal, rate: Decimal, term: int, system: AmortizationSystem
) -> list[_Row]:
    if system is AmortizationSystem.PRICE:
        constant = round_cents(_price_payment(principal, rate, term))
        # Paying exactly the first month's interest keeps the balance at `principal`,
        # so that payment is always valid (and never above `constant`).
        fallback = round_cents(principal * rate)
    else:
        constant = round_cents(principal / term)
        # Largest cent amount A with (n-1)*A < P, i.e. (n-1)*A <= P - 0.01 (any n >= 2).
        fallback = ((principal - CENT) / max(term - 1, 1)).quantize(CENT, rounding=ROUND_DOWN)
    rows = _amortize(principal, rate, term, system, constant)
    if rows is None:
        rows = _largest_valid(principal, rate, term, system, valid=fallback, invalid=constant)
    return rows


def _validate_loan(principal: object, monthly_rate: object, term_months: object) -> _Loan:
    amount = require_cents(principal, "principal", positive=True)
    rate = require_decimal(monthly_rate, "monthly_rate")
    if not 0 <= rate < 1:
        raise ValueError(f"monthly_rate must satisfy 0 <= monthly_rate < 1, got {rate}")
    term = require_int(term_months, "term_months")
    if not 1 <= term <= MAX_TERM_MONTHS:
        raise ValueError(f"term_months must be in 1..{MAX_TERM_MONTHS}, got {term}")
    return amount, rate, term


def price_payment(principal: Decimal, monthly_rate: Decimal, term_months: int) -> Decimal:
    """The Price (Tabela Price) payment in cents: ``round_half_up(P*i / (1 - (1+i)**-n))``.

    ``P / n`` when the rate is zero. This is the constant payment of :func:`schedule` for
    every installment but the last, except in the degenerate cases described there (where
    this value would repay the loan early and :func:`schedule` uses a smaller one).

    Raises:
        TypeError, ValueError: as :func:`schedule`, naming the argument.
    """
    amount, rate, term = _validate_loan(principal, monthly_rate, term_months)
    with localcontext(CTX):
        return round_cents(_price_payment(amount, rate, term))


def schedule(
    principal: Decimal,
    monthly_rate: Decimal,
    term_months: int,
    system: AmortizationSystem,
    first_due: date,
) -> tuple[Installment, ...]:
    """Build the monthly amortisation schedule of a loan.

    Args:
        principal: amount financed, > 0, at most 2 decimal places.
        monthly_rate: contract interest rate per month as a fraction, ``0 <= rate < 1``
            (``Decimal("0.0199")`` is 1.99 % a month). Zero gives pure amortisation.
        term_months: number of monthly installments, ``1..600``.
        system: :attr:`AmortizationSystem.PRICE` or :attr:`AmortizationSystem.SAC`.
        first_due: due date of installment 1. Installment ``k`` is due ``k-1`` calendar
            months later, on the same day clamped to the month's last day (a loan due on
            the 31st falls due on Feb 28/29, then on Mar 31 again).

    Returns:
        The installments 1..n. Interest of installment ``k`` is ``round(balance[k-1] * i)``;
        principal parts sum exactly to ``principal`` and the last balance is ``0.00``.

        Price: every payment but the last equals ``PMT = round(P*i / (1 - (1+i)**-n))``; the
        last installment amortises the remaining balance, its payment is principal +
        interest. Rounding errors compound at ``(1+i)``: with ``c`` the rounding of PMT,
        ``|last payment - PMT| <= (|c| + 0.005) * ((1+i)**n - 1) / i``. That is cents on
        consumer loans (0.03 on 10,000.00 at 2 % over 24 months) but reais on 30-year
        mortgages, and a balloon when ``(1+i)**n`` is huge (300,000.00 at 4 % over 420
        months: PMT 12,000.00 is exactly the interest, and the last payment is 312,000.00).
        SAC: every amortisation but the last equals ``A = round(P / n)``; the last amortises
        the remaining balance, ``P - (n-1) A``, within ``0.005 n`` of ``A``.

        If the rounded PMT / A would repay the loan *before* the last installment (a few
        cents per installment, e.g. ``P=0.07`` over 10 months where 0.01 a month repays it
        in 7; or, for Price, extreme rate x term), it is replaced by the largest cent amount
        below it that keeps the balance positive until the last installment -- for Price,
        the valid payment with the smallest final balloon. All rounding is ``ROUND_HALF_UP``.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: an argument is out of range (the message names it).
    """
    amount, rate, term = _validate_loan(principal, monthly_rate, term_months)
    chosen = _as_system(system)
    due_dates = _due_dates(require_date(first_due, "first_due"), term)
    with localcontext(CTX):
        return _installments(due_dates, _schedule_rows(amount, rate, term, chosen))


def _as_system(system: AmortizationSystem) -> AmortizationSystem:
    try:
        return AmortizationSystem(system)
    except ValueError:
        raise ValueError(f"system must be an AmortizationSystem, got {system!r}") from None


def _due_dates(first_due: date, term: int) -> list[date]:
    """Installment ``k`` (0-based) falls due ``k`` calendar months after ``first_due``."""
    try:
        return [_add_months(first_due, k) for k in range(term)]
    except (ValueError, OverflowError):
        raise ValueError(f"first_due {first_due} puts installments past year 9999") from None


def _installments(due_dates: Sequence[date], rows: Sequence[_Row]) -> tuple[Installment, ...]:
    """Number the rows 1..n and date them (runs inside the private context)."""
    return tuple(
        Installment(
            number=number,
            due_date=due,
            payment=part + interest,
            principal=part,
            interest=interest,
            balance=balance,
        )
        for number, (due, (part, interest, balance)) in enumerate(
            zip(due_dates, rows, strict=True), start=1
        )
    )


def days_to_due(item: Installment, contracted: date) -> int:
    """Calendar days from ``contracted`` to the installment's due date, which must come later."""
    days = (require_date(item.due_date, "installments[].due_date") - contracted).days
    if days <= 0:
        raise ValueError(
            f"contract_date {contracted} must be before every due date "
            f"(installment {item.number} is due {item.due_date})"
        )
    return days
