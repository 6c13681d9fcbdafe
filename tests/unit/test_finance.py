"""Tests for seedlib.generator.finance: schedules, IOF, CET and IRR.

Expected values are either worked out by hand (the arithmetic is in the comments), taken from
a published source (named next to the value), or checked against an independent
re-computation written here (plain loops, not the module's helpers).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from seedlib.generator.finance import (
    IOF_ADDITIONAL_RATE,
    IOF_DAILY_RATE_COMPANY,
    IOF_DAILY_RATE_INDIVIDUAL,
    IOF_MAX_DAYS,
    AmortizationSystem,
    Borrower,
    Cet,
    Installment,
    cet,
    iof,
    irr,
    price_payment,
    schedule,
)

D = Decimal
CENT = D("0.01")
PRICE = AmortizationSystem.PRICE
SAC = AmortizationSystem.SAC

# --- strategies ---------------------------------------------------------------------------
principals = st.integers(1, 1_000_000_000).map(lambda cents: D(cents).scaleb(-2))  # 0.01..10M
rates = st.integers(0, 150_000).map(lambda micro: D(micro).scaleb(-6))  # 0 .. 0.15, 6 places
terms = st.integers(1, 420)
systems = st.sampled_from(list(AmortizationSystem))
borrowers = st.sampled_from(list(Borrower))
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))

PROPERTY = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
SLOW_PROPERTY = settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)


# --- independent helpers (deliberately not the module's own) --------------------------------
def round_cents(value: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return value.quantize(CENT, rounding=ROUND_HALF_UP)


def exact_price_payment(principal: Decimal, rate: Decimal, term: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        if rate == 0:
            return principal / term
        return principal * rate / (1 - (1 + rate) ** -term)


def one_month_later(day: date) -> date:
    month = day.month % 12 + 1
    year = day.year + (day.month == 12)
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def price_balances_positive(principal: Decimal, rate: Decimal, term: int, pmt: Decimal) -> bool:
    """Re-simulate a Price loan paying `pmt`: is the balance > 0 before the last month?"""
    balance = principal
    for _ in range(term - 1):
        balance -= pmt - round_cents(balance * rate)
        if balance <= 0:
            return False
    return True


def npv_by_days(rate: Decimal, flows: Sequence[tuple[int, Decimal]]) -> Decimal:
    """sum F / (1 + rate) ** (days / 365), in 40-digit arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 40
        return sum((f / (1 + rate) ** (D(days) / 365) for days, f in flows), D(0))


def npv_periodic(rate: Decimal, flows: Sequence[Decimal]) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return sum((f / (1 + rate) ** t for t, f in enumerate(flows)), D(0))


def two_places(value: Decimal) -> bool:
    return value.as_tuple().exponent == -2


# =============================================================================================
# Schedules
# =============================================================================================


@PROPERTY
@given(principals, rates, terms, systems, dates)
def test_schedule_invariants(
    principal: Decimal, rate: Decimal, term: int, system: AmortizationSystem, first_due: date
) -> None:
    rows = schedule(principal, rate, term, system, first_due)

    assert [r.number for r in rows] == list(range(1, term + 1))
    # Principal parts sum exactly to the principal; the loan ends at 0.00.
    assert sum((r.principal for r in rows), D("0.00")) == principal
    assert rows[-1].balance == D("0.00")
    balance = principal
    for r in rows:
        for amount in (r.payment, r.principal, r.interest, r.balance):
            assert two_places(amount), r
            assert amount >= 0, r
        assert r.payment == r.principal + r.interest
        # interest_k = round_half_up(balance_{k-1} * i), re-computed independently
        assert r.interest == round_cents(balance * rate)
        assert r.balance == balance - r.principal
        # non-increasing balances, positive until the last installment
        assert r.balance <= balance
        if r.number < term:
            assert r.balance > 0
        balance = r.balance
    # Strictly decreasing whenever the first installment amortises anything (the principal
    # parts never shrink before the last one: see the system-specific tests).
    if rows[0].principal > 0:
        assert all(b.balance < a.balance for a, b in pairwise(rows))
    # Due dates: same day of month as first_due, clamped to the month's last day.
    month = first_due.month
    year = first_due.year
    for r in rows:
        last_day = calendar.monthrange(year, month)[1]
        assert r.due_date == date(year, month, min(first_due.day, last_day))
        month, year = (1, year + 1) if month == 12 else (month + 1, year)


@PROPERTY
@given(principals, rates, terms, dates)
def test_price_constant_payment_and_last_payment_bound(
    principal: Decimal, rate: Decimal, term: int, first_due: date
) -> None:
    rows = schedule(principal, rate, term, PRICE, first_due)
    pmt = rows[0].payment
    assert all(r.payment == pmt for r in rows[:-1])

    exact = exact_price_payment(principal, rate, term)
    rounded = round_cents(exact)
    assert price_payment(principal, rate, term) == rounded
    if term > 1:
        if price_balances_positive(principal, rate, term, rounded):
            assert pmt == rounded
        else:
            # Degenerate loans only: the largest cent payment below the rounded one that
            # keeps the balance positive (checked by re-simulation here).
            assert pmt < rounded
            assert price_balances_positive(principal, rate, term, pmt)
            assert not price_balances_positive(principal, rate, term, pmt + CENT)

    # Principal parts never decrease before the last installment (interest falls as the
    # balance falls, the payment is constant).
    assert all(a.principal <= b.principal for a, b in pairwise(rows[:-1]))

    # Bound on the last payment. With c = exact - pmt and r_k the interest rounding error
    # (|r_k| <= 0.005), the balance error obeys d_k = d_{k-1} (1+i) + c + r_k, d_0 = 0, and
    # last payment - pmt = d_n, hence |last - pmt| <= (|c| + 0.005) * sum_{j<n} (1+i)^j.
    with localcontext() as ctx:
        ctx.prec = 60
        growth = sum(((1 + rate) ** j for j in range(term)), D(0))
        bound = (abs(exact - pmt) + D("0.005")) * growth
    assert abs(rows[-1].payment - pmt) <= bound


def test_price_last_payment_differs_by_cents_on_a_typical_loan() -> None:
    # 10,000.00 at 2 %/month over 24 months: |c| <= 0.005 and sum_{j<24} 1.02^j = 30.42, so
    # the bound above is 0.30; the actual difference is 0.03.
    rows = schedule(D("10000.00"), D("0.02"), 24, PRICE, date(2024, 2, 15))
    assert rows[0].payment == D("528.71")
    assert rows[-1].payment - rows[0].payment == D("0.03")


def test_price_mortgage_last_payment_differs_by_cents_to_reais() -> None:
    # 300,000.00 at 0.8 %/month over 360 months (cross-checked with an integer-cent
    # simulation using exact fractions): PMT = 2544.4799 -> 2,544.48; the last payment is
    # 2,544.21. The bound above allows (0.0001 + 0.005) * (1.008**360 - 1) / 0.008 = 10.57.
    rows = schedule(D("300000.00"), D("0.008"), 360, PRICE, date(2024, 1, 10))
    assert (rows[0].payment, rows[0].principal, rows[0].interest) == (
        D("2544.48"),
        D("144.48"),
        D("2400.00"),
    )
    assert (rows[-1].payment, rows[-1].principal, rows[-1].interest) == (
        D("2544.21"),
        D("2524.02"),
        D("20.19"),
    )


def test_price_balloon_when_rounding_swallows_the_amortisation() -> None:
    # 300,000.00 at 4 %/month over 420 months: the exact PMT is 12,000.000842 (amortisation
    # of 0.0008 in month 1), which rounds to 12,000.00 = the monthly interest. Nothing is
    # ever amortised and the last installment repays the whole principal. This is what
    # "round PMT, last installment absorbs the rest" means when (1+i)**n is huge.
    rows = schedule(D("300000.00"), D("0.04"), 420, PRICE, date(2024, 1, 10))
    assert all(r.payment == r.interest == D("12000.00") for r in rows[:-1])
    assert all(r.balance == D("300000.00") for r in rows[:-1])
    assert (rows[-1].payment, rows[-1].principal) == (D("312000.00"), D("300000.00"))


@PROPERTY
@given(principals, rates, terms, dates)
def test_sac_constant_amortisation(
    principal: Decimal, rate: Decimal, term: int, first_due: date
) -> None:
    rows = schedule(principal, rate, term, SAC, first_due)
    amortisation = rows[0].principal
    assert all(r.principal == amortisation for r in rows[:-1])
    assert rows[-1].principal > 0
    # Interest (hence payment) never increases.
    assert all(a.interest >= b.interest for a, b in pairwise(rows))
    assert all(a.payment >= b.payment for a, b in pairwise(rows[:-1]))
    if term > 1:
        rounded = round_cents(principal / term)
        if rounded * (term - 1) < principal:
            assert amortisation == rounded
            # last = P - (n-1) A = A + (P - n A), and |P - n A| <= 0.005 n
            assert abs(rows[-1].principal - amortisation) <= D("0.005") * term
        else:
            # Degenerate (P < 0.005 n (n-1)): largest A with (n-1) A < P.
            assert amortisation * (term - 1) < principal
            assert (amortisation + CENT) * (term - 1) >= principal
    if principal >= CENT * term:  # at least a cent per installment: strictly decreasing
        assert amortisation >= CENT


def test_price_textbook_schedule() -> None:
    # PMT = 10000 * 0.02 / (1 - 1.02**-24) = 528.7110 -> 528.71.
    rows = schedule(D("10000.00"), D("0.02"), 24, PRICE, date(2024, 2, 15))
    assert len(rows) == 24
    assert rows[0] == Installment(
        1, date(2024, 2, 15), D("528.71"), D("328.71"), D("200.00"), D("9671.29")
    )
    # month 2: interest = round(9671.29 * 0.02 = 193.4258) = 193.43; principal 335.28
    assert rows[1] == Installment(
        2, date(2024, 3, 15), D("528.71"), D("335.28"), D("193.43"), D("9336.01")
    )
    # Re-computed independently with integer cents: the last installment amortises 518.37
    # with 10.37 interest (round(518.37 * 0.02 = 10.3674)).
    assert rows[-1] == Installment(
        24, date(2026, 1, 15), D("528.74"), D("518.37"), D("10.37"), D("0.00")
    )
    assert sum((r.interest for r in rows), D(0)) == D("2689.07")


def test_sac_textbook_schedule() -> None:
    # 12,000.00 at 1 %/month, 12 months: A = 1,000.00; interest 120.00, 110.00, ..., 10.00.
    rows = schedule(D("12000"), D("0.01"), 12, SAC, date(2023, 5, 10))
    assert [r.principal for r in rows] == [D("1000.00")] * 12
    assert [r.interest for r in rows] == [D(120 - 10 * k).quantize(CENT) for k in range(12)]
    assert [r.payment for r in rows] == [D(1120 - 10 * k).quantize(CENT) for k in range(12)]
    assert sum((r.interest for r in rows), D(0)) == D("780.00")  # 10 * (12 + 11 + ... + 1)
    assert rows[-1].balance == D("0.00")


@pytest.mark.parametrize("system", list(AmortizationSystem))
def test_zero_rate_is_pure_amortisation(system: AmortizationSystem) -> None:
    # 100.00 / 3 = 33.333 -> 33.33, 33.33 and the last absorbs 33.34.
    rows = schedule(D("100.00"), D("0"), 3, system, date(2024, 1, 5))
    assert [r.principal for r in rows] == [D("33.33"), D("33.33"), D("33.34")]
    assert [r.interest for r in rows] == [D("0.00")] * 3
    assert [r.payment for r in rows] == [D("33.33"), D("33.33"), D("33.34")]


def test_interest_rounds_half_up_not_half_even() -> None:
    # 1000.50 * 0.01 = 10.005 exactly: ROUND_HALF_UP gives 10.01 (HALF_EVEN would give 10.00).
    rows = schedule(D("1000.50"), D("0.01"), 2, SAC, date(2024, 1, 5))
    assert rows[0].interest == D("10.01")
    # Price: PMT = 10.005 * 1.0201 / 0.0201 = 507.7662 -> 507.77; interest 10.01 (half up),
    # amortisation 497.76, balance 502.74; then interest round(5.0274) = 5.03 and the last
    # payment is 502.74 + 5.03 = 507.77.
    rows = schedule(D("1000.50"), D("0.01"), 2, PRICE, date(2024, 1, 5))
    assert [(r.payment, r.principal, r.interest) for r in rows] == [
        (D("507.77"), D("497.76"), D("10.01")),
        (D("507.77"), D("502.74"), D("5.03")),
    ]


@pytest.mark.parametrize("system", list(AmortizationSystem))
def test_degenerate_tiny_principal_never_repays_early(system: AmortizationSystem) -> None:
    # 0.07 over 10 months: 0.007 rounds to 0.01, which would repay the loan after 7 months and
    # need negative amortisation afterwards. The constant part drops to 0.00 instead and the
    # last installment repays everything.
    rows = schedule(D("0.07"), D("0"), 10, system, date(2024, 1, 31))
    assert [r.principal for r in rows] == [D("0.00")] * 9 + [D("0.07")]
    assert [r.balance for r in rows] == [D("0.07")] * 9 + [D("0.00")]
    # Over exactly 7 months the rounded 0.01 fits.
    assert [r.principal for r in schedule(D("0.07"), D("0"), 7, system, date(2024, 1, 31))] == [
        CENT
    ] * 7


def test_due_dates_clamp_to_month_end_and_keep_the_day() -> None:
    rows = schedule(D("500.00"), D("0.01"), 5, PRICE, date(2024, 1, 31))
    assert [r.due_date for r in rows] == [
        date(2024, 1, 31),
        date(2024, 2, 29),  # leap year
        date(2024, 3, 31),  # back to the 31st
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    rows = schedule(D("500.00"), D("0.01"), 3, SAC, date(2022, 12, 30))
    assert [r.due_date for r in rows] == [date(2022, 12, 30), date(2023, 1, 30), date(2023, 2, 28)]


def test_longest_term_works() -> None:
    rows = schedule(D("250000.00"), D("0.0085"), 600, PRICE, date(2024, 3, 10))
    assert len(rows) == 600
    assert rows[-1].due_date == date(2074, 2, 10)
    assert sum((r.principal for r in rows), D(0)) == D("250000.00")


def test_single_installment() -> None:
    (only,) = schedule(D("1000.00"), D("0.0199"), 1, PRICE, date(2024, 6, 1))
    assert (only.payment, only.principal, only.interest) == (D("1019.90"), D("1000.00"), D("19.90"))
    (only,) = schedule(D("1000.00"), D("0.0199"), 1, SAC, date(2024, 6, 1))
    assert only.payment == D("1019.90")


def test_principal_given_with_fewer_places_is_normalised() -> None:
    rows = schedule(D("100"), D("0.01"), 2, PRICE, date(2024, 1, 1))
    assert all(two_places(r.balance) and two_places(r.principal) for r in rows)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"principal": D("0")}, ValueError, "principal"),
        ({"principal": D("-10.00")}, ValueError, "principal"),
        ({"principal": D("10.001")}, ValueError, "principal"),
        ({"principal": D("NaN")}, ValueError, "principal"),
        ({"principal": D("1000000000000000.00")}, ValueError, "principal"),  # >= 1e15
        ({"principal": 100.0}, TypeError, "principal"),
        ({"monthly_rate": D("-0.0001")}, ValueError, "monthly_rate"),
        ({"monthly_rate": D("1")}, ValueError, "monthly_rate"),
        ({"monthly_rate": D("Infinity")}, ValueError, "monthly_rate"),
        ({"monthly_rate": 0.02}, TypeError, "monthly_rate"),
        ({"term_months": 0}, ValueError, "term_months"),
        ({"term_months": 601}, ValueError, "term_months"),
        ({"term_months": True}, TypeError, "term_months"),
        ({"system": "german"}, ValueError, "system"),
        ({"first_due": datetime(2024, 1, 1, 12, 0)}, TypeError, "first_due"),
        ({"first_due": date(9999, 6, 1)}, ValueError, "first_due"),  # runs past 9999-12
    ],
)
def test_schedule_validation_names_the_argument(
    kwargs: dict[str, object], error: type[Exception], name: str
) -> None:
    arguments: dict[str, object] = {
        "principal": D("1000.00"),
        "monthly_rate": D("0.02"),
        "term_months": 12,
        "system": PRICE,
        "first_due": date(2024, 1, 1),
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=name):
        schedule(**arguments)  # type: ignore[arg-type]
    if name in {"principal", "monthly_rate", "term_months"}:
        del arguments["system"], arguments["first_due"]
        with pytest.raises(error, match=name):
            price_payment(**arguments)  # type: ignore[arg-type]


def _everything(principal: Decimal) -> tuple[object, ...]:
    rows = schedule(principal, D("0.0137"), 48, PRICE, date(2024, 1, 1))
    tax = iof(rows, Borrower.INDIVIDUAL, date(2023, 12, 1))
    result = cet(principal, rows, date(2023, 12, 1), iof_amount=tax, fees=D("50.00"))
    rate = irr([principal.copy_negate()] + [r.payment for r in rows])  # no context rounding
    return rows, tax, result, rate


def test_caller_decimal_context_is_neither_used_nor_changed() -> None:
    reference = _everything(D("123456.78"))
    with localcontext() as ctx:
        ctx.prec = 5
        ctx.rounding = ROUND_FLOOR
        under_odd_context = _everything(D("123456.78"))
        assert (ctx.prec, ctx.rounding) == (5, ROUND_FLOOR)
    assert under_odd_context == reference


# =============================================================================================
# IOF
# =============================================================================================


def test_iof_hand_computed_with_leap_year_and_cap() -> None:
    # SAC 1,200.00 at 0 %, 12 x 100.00, released 2024-01-10, due on the 10th from 2024-02-10.
    # Days: 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366 -> capped 365; sum 2373.
    # Individual: 100 * 0.000082 * 2373 = 19.4586; plus 1200 * 0.0038 = 4.56 -> 24.0186 -> 24.02
    # Company:    100 * 0.000041 * 2373 =  9.7293; plus 4.56                 -> 14.2893 -> 14.29
    rows = schedule(D("1200.00"), D("0"), 12, SAC, date(2024, 2, 10))
    assert [r.principal for r in rows] == [D("100.00")] * 12
    assert iof(rows, Borrower.INDIVIDUAL, date(2024, 1, 10)) == D("24.02")
    assert iof(rows, Borrower.COMPANY, date(2024, 1, 10)) == D("14.29")


def test_iof_24_month_loan_caps_each_installment_at_365_days() -> None:
    # SAC 2,400.00 at 0 %, 24 x 100.00, released 2023-03-15, due on the 15th from 2023-04-15.
    # Days: 31 61 92 122 153 184 214 245 275 306 337 | 366 397 ... 703 731.
    # The first 11 sum to 2020; the last 13 are all >= 365 and count 365 each: 13 * 365 = 4745.
    # Capped sum 6765 (uncapped it would be 9163).
    # Individual: 100 * 0.000082 * 6765 = 55.473 + 2400 * 0.0038 = 9.12 -> 64.593 -> 64.59
    #             (uncapped: 100 * 0.000082 * 9163 + 9.12 = 84.2566 -> 84.26)
    # Company:    100 * 0.000041 * 6765 = 27.7365 + 9.12 -> 36.8565 -> 36.86
    rows = schedule(D("2400.00"), D("0"), 24, SAC, date(2023, 4, 15))
    assert iof(rows, Borrower.INDIVIDUAL, date(2023, 3, 15)) == D("64.59")
    assert iof(rows, Borrower.COMPANY, date(2023, 3, 15)) == D("36.86")
    # Installments 12..24 contribute exactly 365 days each: dropping them from the loan
    # removes 13 * 100 * (0.000082 * 365 + 0.0038) = 13 * 3.3730 = 43.849.
    assert D("64.593") - D("13") * D("100") * (D("0.000082") * 365 + D("0.0038")) == D("20.744")
    assert iof(rows[:11], Borrower.INDIVIDUAL, date(2023, 3, 15)) == D("20.74")


def test_iof_single_installment_beyond_a_year_is_capped() -> None:
    # 1,000.00 due in 400 or 800 days: 1000 * (0.000082 * 365 + 0.0038) = 33.73.
    for days in (365, 400, 800):
        due = date(2021, 1, 1) + timedelta(days=days)
        only = Installment(1, due, D("1000.00"), D("1000.00"), D("0.00"), D("0.00"))
        assert iof([only], Borrower.INDIVIDUAL, date(2021, 1, 1)) == D("33.73")
        # companies: 1000 * (0.000041 * 365 + 0.0038) = 18.765 -> 18.77 (half up)
        assert iof([only], Borrower.COMPANY, date(2021, 1, 1)) == D("18.77")


def test_iof_rounds_once_half_up() -> None:
    # 100.00 due in 25 days: 100 * 0.000082 * 25 = 0.205; 100 * 0.0038 = 0.38; 0.585 -> 0.59
    # (ROUND_HALF_EVEN would give 0.58).
    rows = schedule(D("100.00"), D("0"), 1, PRICE, date(2024, 3, 31))
    assert iof(rows, Borrower.INDIVIDUAL, date(2024, 3, 6)) == D("0.59")


def test_iof_constants() -> None:
    assert (D("0.000082"), D("0.000041")) == (IOF_DAILY_RATE_INDIVIDUAL, IOF_DAILY_RATE_COMPANY)
    assert IOF_DAILY_RATE_COMPANY * 2 == IOF_DAILY_RATE_INDIVIDUAL
    assert (D("0.0038"), 365) == (IOF_ADDITIONAL_RATE, IOF_MAX_DAYS)  # 0.38 %, 365 days


@PROPERTY
@given(principals, rates, terms, systems, dates)
def test_iof_company_daily_part_is_half_of_individuals(
    principal: Decimal, rate: Decimal, term: int, system: AmortizationSystem, contract: date
) -> None:
    rows = schedule(principal, rate, term, system, one_month_later(contract))
    individual = iof(rows, Borrower.INDIVIDUAL, contract)
    company = iof(rows, Borrower.COMPANY, contract)
    additional = principal * IOF_ADDITIONAL_RATE  # exact
    # individual = X + A + e1, company = X/2 + A + e2 with |e| <= 0.005, so
    # |individual - 2 company + A| = |e1 - 2 e2| <= 0.015.
    assert abs(individual - 2 * company + additional) <= D("0.015")
    # Bounds: at least the additional rate, at most 365 days of daily rate on everything.
    assert round_cents(additional) <= company <= individual
    assert individual <= round_cents(principal * (IOF_DAILY_RATE_INDIVIDUAL * 365 + D("0.0038")))


def test_iof_validation() -> None:
    rows = schedule(D("1000.00"), D("0.02"), 3, PRICE, date(2024, 2, 1))
    with pytest.raises(ValueError, match="installments"):
        iof([], Borrower.INDIVIDUAL, date(2024, 1, 1))
    with pytest.raises(ValueError, match="contract_date"):
        iof(rows, Borrower.INDIVIDUAL, date(2024, 2, 1))  # first due on the contract date
    with pytest.raises(ValueError, match="borrower"):
        iof(rows, "government", date(2024, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="contract_date"):
        iof(rows, Borrower.COMPANY, "2024-01-01")  # type: ignore[arg-type]


# =============================================================================================
# CET
# =============================================================================================


def _single(principal: str, payment: str, due: date) -> list[Installment]:
    interest = D(payment) - D(principal)
    return [Installment(1, due, D(payment), D(principal), interest, D("0.00"))]


def test_cet_with_exact_365_day_periods_is_exact() -> None:
    # 1,000.00 released, 1,100.00 paid 365 days later: CET = 10 % a year exactly;
    # monthly = 1.1 ** (1/12) - 1 = 0.0079741404 -> 0.007974.
    result = cet(
        D("1000.00"), _single("1000.00", "1100.00", date(2022, 1, 1)), date(2021, 1, 1),
        iof_amount=D("0.00"),
    )  # fmt: skip
    assert result == Cet(monthly=D("0.007974"), annual=D("0.100000"))
    # 1,210.00 after 730 days (2021-01-01 -> 2023-01-01, no Feb 29): 1.1 ** 2 -> 10 %.
    result = cet(
        D("1000.00"), _single("1000.00", "1210.00", date(2023, 1, 1)), date(2021, 1, 1),
        iof_amount=D("0.00"),
    )  # fmt: skip
    assert result.annual == D("0.100000")
    # Fees are deducted from what is released: 1,100.00 / 900.00 - 1 = 0.2222...
    result = cet(
        D("1000.00"), _single("1000.00", "1100.00", date(2022, 1, 1)), date(2021, 1, 1),
        iof_amount=D("60.00"), fees=D("40.00"),
    )  # fmt: skip
    assert result.annual == D("0.222222")


def test_cet_equals_periodic_irr_when_periods_are_365_days() -> None:
    # Annual Price loan of 1,000.00 at 10 % a year over 3 years, built by hand:
    # PMT = 1000 * 0.1 / (1 - 1.1**-3) = 402.1148 -> 402.11
    # y1: interest 100.00, amortisation 302.11, balance 697.89
    # y2: interest round(69.789) = 69.79, amortisation 332.32, balance 365.57
    # y3: interest round(36.557) = 36.56, amortisation 365.57, payment 402.13
    # Due 2022-01-01, 2023-01-01, 2024-01-01: 365, 730 and 1095 days after 2021-01-01.
    rows = [
        Installment(1, date(2022, 1, 1), D("402.11"), D("302.11"), D("100.00"), D("697.89")),
        Installment(2, date(2023, 1, 1), D("402.11"), D("332.32"), D("69.79"), D("365.57")),
        Installment(3, date(2024, 1, 1), D("402.13"), D("365.57"), D("36.56"), D("0.00")),
    ]
    annual = cet(D("1000.00"), rows, date(2021, 1, 1), iof_amount=D("0.00")).annual
    periodic = irr([D("-1000.00"), D("402.11"), D("402.11"), D("402.13")])
    assert annual == periodic.quantize(D("0.000001"), rounding=ROUND_HALF_UP) == D("0.100002")


def test_cet_textbook_price_loan() -> None:
    # 10,000.00 at 2 %/month, 24 months, released 2024-01-15; IOF for an individual.
    rows = schedule(D("10000.00"), D("0.02"), 24, PRICE, date(2024, 2, 15))
    tax = iof(rows, Borrower.INDIVIDUAL, date(2024, 1, 15))
    assert tax == D("279.44")
    result = cet(D("10000.00"), rows, date(2024, 1, 15), iof_amount=tax)
    assert result == Cet(monthly=D("0.022509"), annual=D("0.306183"))
    # Re-verify independently: the annual rate zeroes the Res. 3.517 equation (the root lies
    # within half a unit of the 6th place of the rounded value).
    flows = [(0, -(D("10000.00") - tax))] + [
        ((r.due_date - date(2024, 1, 15)).days, r.payment) for r in rows
    ]
    assert npv_by_days(result.annual - D("0.000001"), flows) > 0
    assert npv_by_days(result.annual + D("0.000001"), flows) < 0
    # Without IOF the CET is close to, but not exactly, 1.02**12 - 1 = 0.268242: the loan
    # spans Feb 29 2024, so its periods average more than 365/12 days.
    no_tax = cet(D("10000.00"), rows, date(2024, 1, 15), iof_amount=D("0.00"))
    assert no_tax == Cet(monthly=D("0.019992"), annual=D("0.268121"))


@SLOW_PROPERTY
@given(principals, rates, st.integers(1, 240), systems, borrowers, dates, st.integers(0, 200))
def test_cet_solves_its_equation_and_grows_with_iof(
    principal: Decimal,
    rate: Decimal,
    term: int,
    system: AmortizationSystem,
    borrower: Borrower,
    contract: date,
    fee_per_mille: int,
) -> None:
    rows = schedule(principal, rate, term, system, one_month_later(contract))
    tax = iof(rows, borrower, contract)
    fees = round_cents(principal * fee_per_mille / 1000)  # up to 20 % of the principal
    assume(principal - tax - fees > 0)
    result = cet(principal, rows, contract, iof_amount=tax, fees=fees)
    assert result.annual.as_tuple().exponent == -6
    assert result.monthly.as_tuple().exponent == -6
    flows = [(0, -(principal - tax - fees))] + [
        ((r.due_date - contract).days, r.payment) for r in rows
    ]
    assert npv_by_days(result.annual - D("0.000001"), flows) > 0
    assert npv_by_days(result.annual + D("0.000001"), flows) < 0
    with localcontext() as ctx:
        ctx.prec = 40
        monthly = (1 + result.annual) ** (D(1) / 12) - 1
    assert abs(monthly - result.monthly) <= D("0.000001")
    # Costs deducted at t0 strictly raise the CET above that of the bare cash flows.
    if tax + fees > 0:
        bare = cet(principal, rows, contract, iof_amount=D("0.00"))
        assert result.annual > bare.annual
        assert result.monthly >= bare.monthly


@SLOW_PROPERTY
@given(
    st.integers(100_000, 1_000_000_000).map(lambda cents: D(cents).scaleb(-2)),
    rates,
    terms,
    systems,
    borrowers,
    dates,
)
def test_cet_is_at_least_the_contract_rate_when_iof_is_charged(
    principal: Decimal,
    rate: Decimal,
    term: int,
    system: AmortizationSystem,
    borrower: Borrower,
    contract: date,
) -> None:
    # Domain: principal >= 1,000.00 and the first due date one month after the contract.
    # Why 1,000.00: cent rounding of interest moves the present value of the installments at
    # the contract rate by at most 0.005 per installment (<= 2.10 over 420 months), while
    # IOF >= 0.38 % of the principal (>= 3.80 here). Below that the property can fail, see
    # test_cet_below_contract_rate_for_a_few_cents_loan. The calendar-day count can lower
    # the CET slightly (months longer than 365/12 days); IOF outweighs it in this domain.
    rows = schedule(principal, rate, term, system, one_month_later(contract))
    tax = iof(rows, borrower, contract)
    assert tax > 0
    result = cet(principal, rows, contract, iof_amount=tax)
    with localcontext() as ctx:
        ctx.prec = 40
        annualised = ((1 + rate) ** 12 - 1).quantize(D("0.000001"), rounding=ROUND_HALF_UP)
    assert result.annual >= annualised
    assert result.monthly >= rate  # rate has 6 places, and rounding is monotone


def test_cet_below_contract_rate_for_a_few_cents_loan() -> None:
    # Counterexample outside the domain above: 0.15 over 34 months at 1.05 %/month. Interest
    # on balances below 0.48 rounds to 0.00, so the borrower pays almost no interest and the
    # CET (2.47 %/year) is far below 1.0105**12 - 1 = 13.35 % although IOF (0.01) is charged.
    rows = schedule(D("0.15"), D("0.0105"), 34, SAC, date(2000, 7, 9))
    tax = iof(rows, Borrower.INDIVIDUAL, date(2000, 6, 9))
    assert tax == D("0.01")
    assert cet(D("0.15"), rows, date(2000, 6, 9), iof_amount=tax).annual == D("0.024653")


@SLOW_PROPERTY
@given(principals, rates, terms, systems, dates)
def test_cet_without_costs_is_the_contract_rate_up_to_the_day_count(
    principal: Decimal, rate: Decimal, term: int, system: AmortizationSystem, contract: date
) -> None:
    # With IOF = fees = 0 the CET is the IRR of the loan's own flows on a calendar-day/365
    # basis. Let m be their periodic (monthly) IRR. Every period lasts 28..31 days, so
    # 28 j <= days_j <= 31 j, and since all installments are positive:
    #   at R = (1+m)**(365/28) - 1:  sum pay_j (1+R)**(-days_j/365) <= sum pay_j (1+m)**-j = P
    #   at R = (1+m)**(365/31) - 1:  ... >= P
    # so (1+m)**(365/31) - 1 <= CET <= (1+m)**(365/28) - 1. CET == (1+m)**12 - 1 only when
    # every due date is exactly k * 365/12 days out, which calendar months never are.
    rows = schedule(principal, rate, term, system, one_month_later(contract))
    result = cet(principal, rows, contract, iof_amount=D("0.00"))
    monthly_irr = irr([-principal] + [r.payment for r in rows])
    with localcontext() as ctx:
        ctx.prec = 40
        low = (1 + monthly_irr) ** (D(365) / 31) - 1
        high = (1 + monthly_irr) ** (D(365) / 28) - 1
    slack = D("0.000001")  # 6-place rounding of the CET
    assert low - slack <= result.annual <= high + slack
    # And the flows' periodic IRR is the contract rate up to interest rounding: the present
    # value at the contract rate is P + sum r_j (1+i)**-j with |r_j| <= 0.005 (identity
    # pay_j = B_{j-1} (1+i) + r_j - B_j, telescoped).
    flows = [-principal] + [r.payment for r in rows]
    with localcontext() as ctx:
        ctx.prec = 40
        annuity = sum(((1 + rate) ** -j for j in range(1, term + 1)), D(0))
    assert abs(npv_periodic(rate, flows)) <= D("0.005") * annuity + D("1e-20")


def test_cet_extreme_but_finite_and_out_of_range() -> None:
    # 0.30 borrowed, 0.29 of fees: 0.01 released and 0.30 repaid 31 days later. Closed form:
    # (0.30 / 0.01) ** (365 / 31) - 1 = 30 ** 11.774 - 1 = 2.41e17 a year.
    result = cet(
        D("0.30"), _single("0.30", "0.30", date(2000, 2, 1)), date(2000, 1, 1),
        iof_amount=D("0.00"), fees=D("0.29"),
    )  # fmt: skip
    with localcontext() as ctx:
        ctx.prec = 40
        closed_form = D(30) ** (D(365) / 31) - 1
    assert abs(result.annual / closed_form - 1) < D("1e-12")
    # 10.00 borrowed, 9.99 of fees, repaid after 28 days: 1000 ** (365/28) ~ 1e39 a year is
    # beyond e**64 - 1 ~ 6e27 and is refused rather than returned.
    with pytest.raises(ValueError, match="installments"):
        cet(
            D("10.00"), _single("10.00", "10.00", date(2021, 3, 1)), date(2021, 2, 1),
            iof_amount=D("0.00"), fees=D("9.99"),
        )  # fmt: skip


def test_cet_validation() -> None:
    rows = schedule(D("1000.00"), D("0.02"), 3, PRICE, date(2024, 2, 1))
    contract = date(2024, 1, 1)
    with pytest.raises(ValueError, match="principal"):
        cet(D("999.99"), rows, contract, iof_amount=D("0.00"))  # != sum of principal parts
    with pytest.raises(ValueError, match="iof_amount"):
        cet(D("1000.00"), rows, contract, iof_amount=D("-1.00"))
    with pytest.raises(ValueError, match="fees"):
        cet(D("1000.00"), rows, contract, iof_amount=D("1.00"), fees=D("0.001"))
    with pytest.raises(ValueError, match="iof_amount - fees"):
        cet(D("1000.00"), rows, contract, iof_amount=D("600.00"), fees=D("400.00"))
    with pytest.raises(ValueError, match="contract_date"):
        cet(D("1000.00"), rows, date(2024, 3, 1), iof_amount=D("0.00"))
    with pytest.raises(ValueError, match="installments"):
        cet(D("1000.00"), [], contract, iof_amount=D("0.00"))


# =============================================================================================
# IRR
# =============================================================================================


def test_irr_loan_of_1000_in_12_payments_of_88_85() -> None:
    # PV 1,000.00 received, 12 monthly payments of 88.85 (HP-12C: 1000 CHS PV, 88.85 PMT,
    # 12 n, i). At exactly 1 % the payment would be 88.8488, so 88.85 means slightly MORE
    # than 1 %: at 1 %, -1000 + 88.85 * 11.255077 = +0.0136 > 0. The HP-12C shows 1.00 (2
    # places); to 10 places the rate is 1.0002157785 %.
    flows = [D("-1000.00")] + [D("88.85")] * 12
    rate = irr(flows)
    assert abs(rate - D("0.010002157785")) < D("1e-12")
    assert npv_periodic(D("0.01"), flows) > 0
    # Back to the cent: the Price payment at this rate is 88.85.
    assert round_cents(exact_price_payment(D("1000.00"), rate, 12)) == D("88.85")


def test_irr_of_a_price_loan_is_its_contract_rate() -> None:
    # 10,000.00 at 2 %/month, 24 payments of 528.71 (last 528.74): irr = 0.0200000023.
    rows = schedule(D("10000.00"), D("0.02"), 24, PRICE, date(2024, 2, 15))
    assert rows[0].payment == D("528.71")
    rate = irr([D("-10000.00")] + [r.payment for r in rows])
    assert abs(rate - D("0.02")) < D("1e-6")
    assert abs(rate - D("0.0200000022708")) < D("1e-12")


@pytest.mark.parametrize(
    ("flows", "published", "places", "precise"),
    [
        # Microsoft Excel IRR() documentation example: business start-up costs and five
        # years of net income: 8.66 % after 5 years, -2.12 % after 4, -44.35 % after 2.
        ((-70000, 12000, 15000, 18000, 21000, 26000), "0.0866", 4, "0.086630948037"),
        ((-70000, 12000, 15000, 18000, 21000), "-0.0212", 4, "-0.021244848273"),
        ((-70000, 12000, 15000), "-0.4435", 4, "-0.443506941335"),
        # L. J. Gitman, Principles of Managerial Finance, Brief, 3rd ed., p. 348 (quoted by
        # the numpy-financial irr docs): 0.28095.
        ((-100, 39, 59, 55, 20), "0.28095", 5, "0.280948421160"),
        # Closed form: -100 + 74 / (1+r)**3 = 0  =>  r = 0.74 ** (1/3) - 1 = -0.0954958303.
        ((-100, 0, 0, 74), "-0.0955", 4, "-0.095495830349"),
        # numpy-financial docs: 0.06206.
        ((-100, 100, 0, 7), "0.06206", 5, "0.062058485630"),
        # numpy-financial docs, two sign changes (two roots; the one nearest 0): -0.0833.
        ((-100, 100, 0, -7), "-0.0833", 4, "-0.083299666185"),
        # numpy-financial docs, three sign changes: 0.0886.
        (("-5", "10.5", 1, -8, 1), "0.0886", 4, "0.088598338528"),
    ],
)
def test_irr_published_examples(
    flows: tuple[int | str, ...], published: str, places: int, precise: str
) -> None:
    cash_flows = [D(f) for f in flows]
    rate = irr(cash_flows)
    assert rate.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP) == D(published)
    assert abs(rate - D(precise)) < D("1e-11")
    # independent check: the NPV changes sign across the returned rate
    below = npv_periodic(rate - D("1e-9"), cash_flows)
    above = npv_periodic(rate + D("1e-9"), cash_flows)
    assert below * above < 0


@settings(deadline=None, max_examples=200)
@given(
    st.integers(-900_000, 3_000_000).map(lambda micro: D(micro).scaleb(-6)),  # -0.9 .. 3.0
    st.integers(1, 600),
    st.integers(1, 10**9).map(lambda cents: D(cents).scaleb(-2)),
)
def test_irr_recovers_the_rate_of_an_exact_annuity(
    rate: Decimal, periods: int, present_value: Decimal
) -> None:
    payment = exact_price_payment(present_value, rate, periods)
    assume(payment > D("1e-30"))
    result = irr([-present_value] + [payment] * periods)
    assert abs(result - rate) <= D("1e-12")


def test_irr_tolerance_is_honoured() -> None:
    flows = [D("-1000.00")] + [D("88.85")] * 12
    coarse = irr(flows, tolerance=D("1e-4"))
    assert abs(coarse - D("0.010002157785")) <= D("1e-4")
    assert coarse.as_tuple().exponent == -7  # 3 digits beyond the tolerance


def test_irr_extreme_rates() -> None:
    assert abs(irr([D(-1), D(1000)]) - D(999)) < D("1e-9")
    assert abs(irr([D(-1000), D("0.001")]) - D("-0.999999")) < D("1e-12")
    assert irr([D(-100), D(100)]) == 0


@pytest.mark.parametrize(
    ("flows", "tolerance", "match"),
    [
        ([D(100), D(50)], D("1e-12"), "cash_flows"),  # no sign change
        ([D(-100), D(-50)], D("1e-12"), "cash_flows"),
        ([D(0), D(0)], D("1e-12"), "cash_flows"),
        ([D(-100)], D("1e-12"), "cash_flows"),
        ([D(-100), D("NaN")], D("1e-12"), "cash_flows"),
        ([D(-100), D(110)], D("0"), "tolerance"),
    ],
)
def test_irr_validation(flows: list[Decimal], tolerance: Decimal, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        irr(flows, tolerance=tolerance)
