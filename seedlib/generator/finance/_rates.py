"""Rates of return: the IRR of equally spaced flows and the CET (Resolução CMN 3.517/2007)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from seedlib.generator.finance._money import (
    CTX,
    ONE,
    ZERO,
    require_cents,
    require_date,
    require_decimal,
)
from seedlib.generator.finance._schedules import Installment, days_to_due
from seedlib.generator.finance._solver import MIN_TOLERANCE, solve_rate

RATE_QUANTUM = Decimal("0.000001")
"""Quantum of the CET rates (fractions with 6 decimal places)."""

_DAYS_PER_YEAR = 365
"""Day-count basis of the CET (Resolução CMN 3.517/2007): calendar days / 365."""


@dataclass(frozen=True, slots=True)
class Cet:
    """Custo Efetivo Total as fractions (``Decimal("0.268242")`` is 26.8242 %)."""

    monthly: Decimal
    """``(1 + annual) ** (1/12) - 1``, 6 decimal places."""
    annual: Decimal
    """Rate solving the Resolução CMN 3.517/2007 equation, 6 decimal places."""


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
    tol = require_decimal(tolerance, "tolerance")
    if not MIN_TOLERANCE <= tol < 1:
        raise ValueError(f"tolerance must be in [{MIN_TOLERANCE}, 1), got {tol}")
    if len(cash_flows) < 2:
        raise ValueError("cash_flows must have at least two flows")
    flows = [(t, require_decimal(f, f"cash_flows[{t}]")) for t, f in enumerate(cash_flows)]
    with localcontext(CTX):
        try:
            rate = solve_rate(flows, 1, tol)
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
    amount = require_cents(principal, "principal", positive=True)
    tax = require_cents(iof_amount, "iof_amount", positive=False)
    charges = require_cents(fees, "fees", positive=False)
    contracted = require_date(contract_date, "contract_date")
    if not installments:
        raise ValueError("installments must not be empty")
    with localcontext(CTX):
        flows = _borrower_flows(amount, tax, charges, installments, contracted)
        try:
            annual = solve_rate(flows, _DAYS_PER_YEAR, Decimal("1e-12"))
        except ValueError as exc:
            raise ValueError(f"installments: {exc}") from None
        monthly = (ONE + annual) ** (ONE / 12) - ONE
        return Cet(
            monthly=monthly.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP),
            annual=annual.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP),
        )


def _borrower_flows(
    amount: Decimal,
    tax: Decimal,
    charges: Decimal,
    installments: Sequence[Installment],
    contracted: date,
) -> list[tuple[int, Decimal]]:
    """The CET's cash flows by day: ``-FC_0`` on day 0, then each payment on its due day.

    Checks that something is left to release and that the principal parts repay ``amount``
    exactly. Runs inside the private context.
    """
    released = amount - tax - charges
    if released <= 0:
        raise ValueError(
            f"principal - iof_amount - fees must be > 0, got {amount} - {tax} - {charges}"
        )
    flows: list[tuple[int, Decimal]] = [(0, -released)]
    amortized = ZERO
    for item in installments:
        days = days_to_due(item, contracted)
        flows.append((days, require_cents(item.payment, "installments[].payment", positive=False)))
        amortized += require_cents(item.principal, "installments[].principal", positive=False)
    if amortized != amount:
        raise ValueError(
            f"principal {amount} differs from the installments' principal parts {amortized}"
        )
    return flows
