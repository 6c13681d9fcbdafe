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

Layout
======
The public names are re-exported here; the implementation lives in private modules:
``_money`` (cents, the private context, argument checks), ``_schedules`` (Price and SAC),
``_iof`` (the tax and its rates), ``_solver`` (the NPV root finder) and ``_rates`` (IRR, CET).
"""

from __future__ import annotations

from seedlib.generator.finance._iof import (
    IOF_ADDITIONAL_RATE,
    IOF_DAILY_RATE_COMPANY,
    IOF_DAILY_RATE_INDIVIDUAL,
    IOF_MAX_DAYS,
    Borrower,
    iof,
)
from seedlib.generator.finance._money import CENT
from seedlib.generator.finance._rates import Cet, cet, irr
from seedlib.generator.finance._schedules import (
    MAX_TERM_MONTHS,
    AmortizationSystem,
    Installment,
    price_payment,
    schedule,
)

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
