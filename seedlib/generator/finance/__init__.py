"""Loan finance for the synthetic Brazilian banking datasets.

This module is pure (standard library only, no I/O, no global state). It turns a loan's
contract terms into the figures a Brazilian bank would show for it:

* :func:`schedule` -- amortisation schedule in the *Tabela Price* (French system, constant
  payment) or in the *SAC* (Sistema de Amortização Constante, constant amortisation);
* :func:`price_payment` -- the rounded constant payment of a Price loan;
* :func:`iof` -- the IOF-crédito (tax on credit operations) charged at contracting;
* :func:`cet` -- the Custo Efetivo Total (total effective cost) of the loan;
* :func:`irr` -- the periodic internal rate of return of equally spaced cash flows.

Money and rounding
==================
Money is a :class:`~decimal.Decimal` with exactly two places (cents). Every amount that
appears in a schedule is rounded to cents with ``ROUND_HALF_UP`` (0.005 -> 0.01), the
commercial rule used on Brazilian installments, *not* the banker's ``ROUND_HALF_EVEN``.
Rounding happens at these points and nowhere else:

* Price: the constant payment ``PMT = P*i / (1 - (1+i)**-n)`` is rounded once; each month's
  interest ``round(balance * i)`` is rounded; the principal part is ``PMT - interest``
  (exact, both in cents). The last installment amortises whatever balance remains, so the
  principal parts always sum exactly to ``P``; its payment is its principal plus interest
  and absorbs all rounding drift.
* SAC: the constant amortisation ``round(P / n)`` is rounded once; interest as above; the
  last installment amortises the remaining balance.
* Degenerate inputs (a few cents per installment, or extreme rate x term combinations) could
  make the rounded payment / amortisation extinguish the balance *before* the last
  installment, which would force a negative amortisation later. In that case -- and only
  then -- the payment (Price) or amortisation (SAC) is the largest cent amount below the
  rounded value that keeps the balance positive until the last installment. For any
  realistic loan this rule never triggers; see :func:`schedule`.
* IOF: computed exactly and rounded once, at the end, to cents (``ROUND_HALF_UP``).
* CET: the rates are fractions rounded to 6 decimal places (``ROUND_HALF_UP``);
  :func:`irr` returns a fraction rounded ``ROUND_HALF_UP`` 3 digits beyond ``tolerance``.

Intermediate arithmetic runs in a private 50-digit decimal context (``localcontext``), so
the caller's decimal context is neither used nor modified.

Regulatory sources and rates encoded
====================================
IOF -- Decreto 6.306/2007 (Regulamento do IOF), art. 7, I (daily rates), art. 7, par. 1
(365-day cap) and art. 7, par. 15 (additional rate, added by Decreto 6.339/2008), as amended;
the individuals' 0.0082 % a day is the wording given by Decreto 8.392/2015:

* individuals (pessoa física): 0.0082 % a day on each amortised amount
  (:data:`IOF_DAILY_RATE_INDIVIDUAL`);
* companies (pessoa jurídica): 0.0041 % a day (:data:`IOF_DAILY_RATE_COMPANY`);
* the daily charge on each amortised amount counts at most 365 days (art. 7, par. 1:
  the tax cannot exceed the daily rate times 365 days) (:data:`IOF_MAX_DAYS`);
* plus an additional flat 0.38 % on the financed amount, for both
  (:data:`IOF_ADDITIONAL_RATE`).

Assumption and date basis: these are the rates in force for ordinary loans from January
2015 (Decreto 8.392/2015) until May 2025, apart from the temporary regimes noted next to the
constants. They are applied whatever the contract date; the synthetic data is meant to be
internally consistent, not a tax calculator for a given day. Days are calendar days from
the contract (release) date to each due date.

CET -- Resolução CMN 3.517/2007: the annual CET is the rate that equates the amount the
borrower actually receives with the installments discounted by calendar days on a 365-day
year:

    sum_j FC_j / (1 + CET) ** ((d_j - d_0) / 365) = FC_0

where ``FC_0 = principal - IOF - fees`` (IOF and fees financed, i.e. deducted from the
amount released at ``d_0``) and ``FC_j`` is the payment due on ``d_j``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum
from itertools import pairwise

__all__ = [
    "CENT",
    "IOF_ADDITIONAL_RATE",
    "IOF_DAILY_RATE_COMPANY",
    "IOF_DAILY_RATE_INDIVIDUAL",
    "IOF_MAX_DAYS",
    "MAX_TERM_MONTHS",
    "AmortizationSystem",
    "Borrower",
    "Cet",
    "Installment",
    "cet",
    "iof",
    "irr",
    "price_payment",
    "schedule",
]

CENT = Decimal("0.01")
"""Quantum of money: amounts have exactly two decimal places."""

RATE_QUANTUM = Decimal("0.000001")
"""Quantum of the CET rates (fractions with 6 decimal places)."""

MAX_TERM_MONTHS = 600
"""Longest accepted term (50 years)."""

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

_DAYS_PER_YEAR = 365
"""Day-count basis of the CET (Resolução CMN 3.517/2007): calendar days / 365."""

# Private context for intermediate arithmetic. Every field is explicit so that nothing is
# inherited from the (mutable, process-wide) decimal.DefaultContext.
_CTX = Context(
    prec=50,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

_MAX_AMOUNT = Decimal("999999999999999.99")  # < 1e15: cents stay exact in 50 digits
_ZERO = Decimal(0)
_ONE = Decimal(1)
_TWO = Decimal(2)
# Bracket limits of the root finder, as continuously compounded rates per period:
# e**-64 - 1 ~ -100 % and e**64 - 1 ~ 6e27 per period (still exact to 1e-15 in 50 digits).
_MAX_LOG_RATE = Decimal(64)
_MAX_SOLVER_ITERATIONS = 2_000
_STALL_STEPS = 8  # Newton evaluations allowed without halving the bracket
_MIN_TOLERANCE = Decimal("1e-30")  # well above the 50-digit working precision
_SCAN_LOG_RATES = tuple(
    Decimal(s)
    for s in (
        "-64", "-32", "-16", "-8", "-4", "-2", "-1", "-0.5", "-0.2", "-0.1", "-0.05", "-0.02",
        "-0.01", "0", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "4", "8",
        "16", "32", "64",
    )
)  # fmt: skip


class AmortizationSystem(StrEnum):
    """How the principal is repaid."""

    PRICE = "price"
    """Tabela Price (French system): constant payment, growing amortisation."""
    SAC = "sac"
    """Sistema de Amortização Constante: constant amortisation, decreasing payment."""


class Borrower(StrEnum):
    """Kind of borrower, which selects the IOF daily rate."""

    INDIVIDUAL = "individual"
    COMPANY = "company"


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


@dataclass(frozen=True, slots=True)
class Cet:
    """Custo Efetivo Total as fractions (``Decimal("0.268242")`` is 26.8242 %)."""

    monthly: Decimal
    """``(1 + annual) ** (1/12) - 1``, 6 decimal places."""
    annual: Decimal
    """Rate solving the Resolução CMN 3.517/2007 equation, 6 decimal places."""


# ---------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------


def _require_decimal(value: object, name: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _money(value: object, name: str, *, positive: bool) -> Decimal:
    """Validate an amount of money and return it with exactly two places."""
    amount = _require_decimal(value, name)
    if positive and amount <= 0:
        raise ValueError(f"{name} must be > 0, got {amount}")
    if not positive and amount < 0:
        raise ValueError(f"{name} must be >= 0, got {amount}")
    if amount > _MAX_AMOUNT:
        raise ValueError(f"{name} must be at most {_MAX_AMOUNT}, got {amount}")
    cents = amount.quantize(CENT, context=_CTX)
    if cents != amount:
        raise ValueError(f"{name} must have at most 2 decimal places, got {amount}")
    return cents


def _require_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def _require_date(value: object, name: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------


def _round_cents(value: Decimal) -> Decimal:
    """Round to cents, half up (must run inside the private context)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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
    return principal * rate / (_ONE - (_ONE + rate) ** -term)


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
        middle = ((valid + invalid) / _TWO).quantize(CENT, rounding=ROUND_DOWN)
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
        constant = _round_cents(_price_payment(principal, rate, term))
        # Paying exactly the first month's interest keeps the balance at `principal`,
        # so that payment is always valid (and never above `constant`).
        fallback = _round_cents(principal * rate)
    else:
        constant = _round_cents(principal / term)
        # Largest cent amount A with (n-1)*A < P, i.e. (n-1)*A <= P - 0.01 (any n >= 2).
        fallback = ((principal - CENT) / max(term - 1, 1)).quantize(CENT, rounding=ROUND_DOWN)
    rows = _amortize(principal, rate, term, system, constant)
    if rows is None:
        rows = _largest_valid(principal, rate, term, system, valid=fallback, invalid=constant)
    return rows


def _validate_loan(principal: object, monthly_rate: object, term_months: object) -> _Loan:
    amount = _money(principal, "principal", positive=True)
    rate = _require_decimal(monthly_rate, "monthly_rate")
    if not 0 <= rate < 1:
        raise ValueError(f"monthly_rate must satisfy 0 <= monthly_rate < 1, got {rate}")
    term = _require_int(term_months, "term_months")
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
    with localcontext(_CTX):
        return _round_cents(_price_payment(amount, rate, term))


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
    try:
        system = AmortizationSystem(system)
    except ValueError:
        raise ValueError(f"system must be an AmortizationSystem, got {system!r}") from None
    start = _require_date(first_due, "first_due")
    try:
        due_dates = [_add_months(start, k) for k in range(term)]
    except (ValueError, OverflowError):
        raise ValueError(f"first_due {start} puts installments past year 9999") from None

    with localcontext(_CTX):
        rows = _schedule_rows(amount, rate, term, system)
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


# ---------------------------------------------------------------------------------------
# IOF
# ---------------------------------------------------------------------------------------


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
    contracted = _require_date(contract_date, "contract_date")
    if not installments:
        raise ValueError("installments must not be empty")
    try:
        daily_rate = {
            Borrower.INDIVIDUAL: IOF_DAILY_RATE_INDIVIDUAL,
            Borrower.COMPANY: IOF_DAILY_RATE_COMPANY,
        }[Borrower(borrower)]
    except ValueError:
        raise ValueError(f"borrower must be a Borrower, got {borrower!r}") from None
    with localcontext(_CTX):
        daily = _ZERO
        financed = _ZERO
        for item in installments:
            amortized = _money(item.principal, "installments[].principal", positive=False)
            days = (_require_date(item.due_date, "installments[].due_date") - contracted).days
            if days <= 0:
                raise ValueError(
                    f"contract_date {contracted} must be before every due date "
                    f"(installment {item.number} is due {item.due_date})"
                )
            daily += amortized * daily_rate * min(days, IOF_MAX_DAYS)
            financed += amortized
        return _round_cents(daily + financed * IOF_ADDITIONAL_RATE)


# ---------------------------------------------------------------------------------------
# Root finding (shared by irr and cet)
# ---------------------------------------------------------------------------------------


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


class _Npv:
    """NPV of cash flows at integer steps, as a function of the log-rate per period.

    A flow at step ``s`` happens at time ``s / steps_per_period`` periods. With
    ``rho = ln(1 + r)`` (``r`` the rate per period), ``NPV(rho) = sum F_s * x**s`` where
    ``x = exp(-rho / steps_per_period)`` is the discount factor of one step, and
    ``dNPV/drho = -sum F_s * s * x**s / steps_per_period``.
    """

    __slots__ = ("_flows", "_steps_per_period")

    def __init__(self, flows: Sequence[tuple[int, Decimal]], steps_per_period: int) -> None:
        merged: dict[int, Decimal] = {}
        for step, amount in flows:
            merged[step] = merged.get(step, _ZERO) + amount
        ordered = sorted((s, a) for s, a in merged.items() if a != 0)
        first = ordered[0][0] if ordered else 0  # shifting all steps does not move the roots
        self._flows = tuple((s - first, a) for s, a in ordered)
        self._steps_per_period = steps_per_period

    def sign_changes(self) -> int:
        signs = [_sign(a) for _, a in self._flows]
        return sum(1 for a, b in pairwise(signs) if a != b)

    def first_sign(self) -> int:
        return _sign(self._flows[0][1])

    def __call__(self, log_rate: Decimal) -> tuple[Decimal, Decimal]:
        """``(NPV, dNPV/drho)`` at ``rho = log_rate``."""
        step_factor = (-log_rate / self._steps_per_period).exp()
        powers: dict[int, Decimal] = {}
        value = _ZERO
        moment = _ZERO
        discount = _ONE
        previous = 0
        for step, amount in self._flows:
            gap = step - previous
            if gap:
                factor = powers.get(gap)
                if factor is None:
                    factor = powers[gap] = step_factor**gap
                discount *= factor
                previous = step
            present = amount * discount
            value += present
            moment += step * present
        return value, -moment / self._steps_per_period


def _rate_from_log(log_rate: Decimal) -> Decimal:
    return log_rate.exp() - _ONE


def _find_bracket(npv: _Npv) -> tuple[Decimal, Decimal]:
    """Log-rates ``(a, b)``, ``a <= b``, with the NPV changing sign (or zero) between them.

    With one sign change in the flows the root is unique (Descartes' rule of signs on the
    polynomial in the discount factor): the NPV has the sign of the first flow as the rate
    goes to +inf and of the last flow as it goes to -100 %, so NPV(0) tells on which side
    of zero the root lies, and the bracket is grown by doubling from there. Otherwise a
    fixed grid is scanned and the bracket nearest to a zero rate is taken.
    """
    if npv.sign_changes() == 1:
        at_zero = _sign(npv(_ZERO)[0])
        if at_zero == 0:
            return _ZERO, _ZERO
        step = -_ONE if at_zero == npv.first_sign() else _ONE
        previous, current = _ZERO, step
        while abs(current) <= _MAX_LOG_RATE:
            if _sign(npv(current)[0]) != at_zero:
                return min(previous, current), max(previous, current)
            previous, current = current, current * 2
        raise ValueError("no rate between -100 % and e**64 - 1 per period zeroes the NPV")
    signs = [(g, _sign(npv(g)[0])) for g in _SCAN_LOG_RATES]
    brackets = [(g0, g1) for (g0, s0), (g1, s1) in pairwise(signs) if s0 != s1]
    brackets += [(g, g) for g, s in signs if s == 0]
    if not brackets:
        raise ValueError("cash flows change sign but no rate zeroing the NPV was found")
    return min(brackets, key=lambda ab: min(abs(ab[0]), abs(ab[1])))


def _solve_rate(
    flows: Sequence[tuple[int, Decimal]], steps_per_period: int, tolerance: Decimal
) -> Decimal:
    """Rate ``r > -1`` per period with ``sum F * (1 + r) ** -(s / steps_per_period) = 0``.

    Safeguarded Newton on ``rho = ln(1 + r)`` inside a sign-change bracket ``[a, b]``:
    a Newton step that would leave the bracket, or a bracket that has not halved in
    :data:`_STALL_STEPS` evaluations, is replaced by bisection. Once a Newton step moves
    the rate by less than ``tolerance / 4``, the next point is pushed ``tolerance / 4``
    further so that it lands across the root and closes the bracket. The loop ends when
    the bracket is narrower than ``tolerance`` *in rate* and returns its midpoint, so the
    error is at most ``tolerance / 2`` (plus 50-digit arithmetic noise).
    """
    npv = _Npv(flows, steps_per_period)
    if npv.sign_changes() == 0:
        raise ValueError("cash flows must change sign (some positive, some negative)")
    a, b = _find_bracket(npv)
    if a == b:
        return _rate_from_log(a)
    # NPV(rho) = sum F e^(-rho t) is convex in rho for conventional flows (one outflow
    # then inflows, or the mirror image), so Newton started at the low end approaches the
    # root monotonically from below without overshooting.
    x = a
    fx, slope = npv(x)
    if fx == 0:
        return _rate_from_log(x)
    sign_a = _sign(fx)
    checkpoint_width, since_checkpoint = b - a, 0
    for _ in range(_MAX_SOLVER_ITERATIONS):
        rate_a, rate_b = _rate_from_log(a), _rate_from_log(b)
        if rate_b - rate_a <= tolerance:
            return (rate_a + rate_b) / 2
        candidate = (a + b) / 2
        if since_checkpoint < _STALL_STEPS and slope != 0:
            step = -fx / slope
            newton = x + step
            if a < newton < b:
                candidate = newton
                nudge = tolerance / (4 * (_ONE + _rate_from_log(newton)))
                if abs(step) < nudge:
                    pushed = newton + (nudge if step > 0 else -nudge)
                    candidate = pushed if a < pushed < b else (a + b) / 2
        x = candidate
        fx, slope = npv(x)
        if fx == 0:
            return _rate_from_log(x)
        if _sign(fx) == sign_a:
            a = x
        else:
            b = x
        since_checkpoint += 1
        # Reset the stall counter on progress, or right after the forced bisection.
        if b - a <= checkpoint_width / 2 or since_checkpoint > _STALL_STEPS:
            checkpoint_width, since_checkpoint = b - a, 0
    raise ArithmeticError("rate solver did not converge")  # pragma: no cover


# ---------------------------------------------------------------------------------------
# IRR and CET
# ---------------------------------------------------------------------------------------


def irr(cash_flows: Sequence[Decimal], *, tolerance: Decimal = Decimal("1e-12")) -> Decimal:
    """Periodic internal rate of return of equally spaced cash flows.

    ``cash_flows[t]`` happens at the end of period ``t`` (``cash_flows[0]`` at t=0, usually
    negative). Returns the rate ``r > -1`` with ``sum_t cash_flows[t] / (1+r)**t == 0`` to
    within ``tolerance`` (absolute, on ``r``), rounded ``ROUND_HALF_UP`` to 3 more decimal
    digits than ``tolerance``. If the flows change sign more than once and several rates
    solve the equation, the one nearest to zero on a coarse grid is returned.

    Raises:
        ValueError: fewer than two flows, a non-finite flow, ``tolerance`` outside
            ``[1e-30, 1)``, flows that never change sign, or no rate in
            ``(-100 %, e**64 - 1]`` per period (messages name ``cash_flows``).
    """
    tol = _require_decimal(tolerance, "tolerance")
    if not _MIN_TOLERANCE <= tol < 1:
        raise ValueError(f"tolerance must be in [{_MIN_TOLERANCE}, 1), got {tol}")
    if len(cash_flows) < 2:
        raise ValueError("cash_flows must have at least two flows")
    flows = [(t, _require_decimal(f, f"cash_flows[{t}]")) for t, f in enumerate(cash_flows)]
    with localcontext(_CTX):
        try:
            rate = _solve_rate(flows, 1, tol)
        except ValueError as exc:
            raise ValueError(f"cash_flows: {exc}") from None
        quantum = Decimal(1).scaleb(tol.adjusted() - 3)
        return rate.quantize(quantum, rounding=ROUND_HALF_UP)


def cet(
    principal: Decimal,
    installments: Sequence[Installment],
    contract_date: date,
    *,
    iof_amount: Decimal,
    fees: Decimal = Decimal("0.00"),
) -> Cet:
    """Custo Efetivo Total of a loan (Resolução CMN 3.517/2007).

    The annual CET solves ``sum_j FC_j / (1 + CET) ** ((d_j - d_0) / 365) = FC_0`` with
    ``FC_0 = principal - iof_amount - fees`` released on ``d_0 = contract_date`` (IOF and
    fees are financed: deducted from what the borrower receives) and ``FC_j`` the payment
    of each installment on its due date ``d_j``. The monthly CET is the equivalent rate
    ``(1 + annual) ** (1/12) - 1``. Both are fractions rounded ``ROUND_HALF_UP`` to 6
    places; the root is found to 1e-12.

    Note the day count: with monthly installments on calendar dates the CET of a loan
    without IOF or fees is close to, but not exactly, ``(1 + i) ** 12 - 1`` (months have
    28..31 days, not 365/12).

    Raises:
        ValueError: ``principal`` invalid or different from the sum of the installments'
            principal parts; ``iof_amount``/``fees`` negative or not in cents; nothing
            left to release; no installments; a due date not after ``contract_date``;
            a CET beyond ``e**64 - 1`` a year (only for absurd fees on a few cents).
    """
    amount = _money(principal, "principal", positive=True)
    tax = _money(iof_amount, "iof_amount", positive=False)
    charges = _money(fees, "fees", positive=False)
    contracted = _require_date(contract_date, "contract_date")
    if not installments:
        raise ValueError("installments must not be empty")
    with localcontext(_CTX):
        released = amount - tax - charges
        if released <= 0:
            raise ValueError(
                f"principal - iof_amount - fees must be > 0, got {amount} - {tax} - {charges}"
            )
        flows: list[tuple[int, Decimal]] = [(0, -released)]
        amortized = _ZERO
        for item in installments:
            days = (_require_date(item.due_date, "installments[].due_date") - contracted).days
            if days <= 0:
                raise ValueError(
                    f"contract_date {contracted} must be before every due date "
                    f"(installment {item.number} is due {item.due_date})"
                )
            flows.append((days, _money(item.payment, "installments[].payment", positive=False)))
            amortized += _money(item.principal, "installments[].principal", positive=False)
        if amortized != amount:
            raise ValueError(
                f"principal {amount} differs from the installments' principal parts {amortized}"
            )
        try:
            annual = _solve_rate(flows, _DAYS_PER_YEAR, Decimal("1e-12"))
        except ValueError as exc:
            raise ValueError(f"installments: {exc}") from None
        monthly = (_ONE + annual) ** (_ONE / 12) - _ONE
        return Cet(
            monthly=monthly.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP),
            annual=annual.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP),
        )
