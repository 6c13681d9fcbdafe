"""Money in cents, the private decimal context, and the checks every finance argument passes.

Every finance function validates its arguments here and computes inside :data:`CTX`, a private
50-digit context, so the caller's decimal context is neither used nor modified.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

CENT = Decimal("0.01")
"""Quantum of money: amounts have exactly two decimal places."""

# Private context for intermediate arithmetic. Every field is explicit so that nothing is
# inherited from the (mutable, process-wide) decimal.DefaultContext.
CTX = Context(
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
ZERO = Decimal(0)
ONE = Decimal(1)
TWO = Decimal(2)


def require_decimal(value: object, name: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def require_cents(value: object, name: str, *, positive: bool) -> Decimal:
    """Validate an amount of money and return it with exactly two places."""
    amount = require_decimal(value, name)
    if positive and amount <= 0:
        raise ValueError(f"{name} must be > 0, got {amount}")
    if not positive and amount < 0:
        raise ValueError(f"{name} must be >= 0, got {amount}")
    if amount > _MAX_AMOUNT:
        raise ValueError(f"{name} must be at most {_MAX_AMOUNT}, got {amount}")
    cents = amount.quantize(CENT, context=CTX)
    if cents != amount:
        raise ValueError(f"{name} must have at most 2 decimal places, got {amount}")
    return cents


def require_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def require_date(value: object, name: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    return value


def round_cents(value: Decimal) -> Decimal:
    """Round to cents, half up (must run inside the private context)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
