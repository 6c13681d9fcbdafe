"""The rate solver shared by :func:`~seedlib.generator.finance.irr` and
:func:`~seedlib.generator.finance.cet`: the rate that zeroes the NPV of dated cash flows.

Safeguarded Newton on the log-rate inside a sign-change bracket, in the private 50-digit context
of the caller (every function here must run inside it).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

from seedlib.generator.finance._money import ONE, ZERO

# Bracket limits of the root finder, as continuously compounded rates per period:
# e**-64 - 1 ~ -100 % and e**64 - 1 ~ 6e27 per period (still exact to 1e-15 in 50 digits).
_MAX_LOG_RATE = Decimal(64)
_MAX_SOLVER_ITERATIONS = 2_000
_STALL_STEPS = 8  # Newton evaluations allowed without halving the bracket
MIN_TOLERANCE = Decimal("1e-30")  # well above the 50-digit working precision
_SCAN_LOG_RATES = tuple(
    Decimal(s)
    for s in (
        "-64", "-32", "-16", "-8", "-4", "-2", "-1", "-0.5", "-0.2", "-0.1", "-0.05", "-0.02",
        "-0.01", "0", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "4", "8",
        "16", "32", "64",
    )
)  # fmt: skip


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
            merged[step] = merged.get(step, ZERO) + amount
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
        value = ZERO
        moment = ZERO
        discount = ONE
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
    return log_rate.exp() - ONE


def _find_bracket(npv: _Npv) -> tuple[Decimal, Decimal]:
    """Log-rates ``(a, b)``, ``a <= b``, with the NPV changing sign (or zero) between them.

    With one sign change in the flows the root is unique (Descartes' rule of signs on the
    polynomial in the discount factor): the NPV has the sign of the first flow as the rate
    goes to +inf and of the last flow as it goes to -100 %, so NPV(0) tells on which side
    of zero the root lies, and the bracket is grown by doubling from there. Otherwise a
    fixed grid is scanned and the bracket nearest to a zero rate is taken.
    """
    if npv.sign_changes() == 1:
        at_zero = _sign(npv(ZERO)[0])
        if at_zero == 0:
            return ZERO, ZERO
        step = -ONE if at_zero == npv.first_sign() else ONE
        previous, current = ZERO, step
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


def solve_rate(
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
                nudge = tolerance / (4 * (ONE + _rate_from_log(newton)))
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
