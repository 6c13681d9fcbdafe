"""Off-peak window arithmetic: properties over every window and instant, and the midnight cases."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedlib.contract.profile import Window
from seedlib.rules.window import closes_at, next_opening, window_contains

TICK = dt.timedelta(microseconds=1)
DAY = dt.timedelta(days=1)


def window(start: str, end: str) -> Window:
    return Window.model_validate({"startUtc": start, "endUtc": end})


clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
windows = st.tuples(clock, clock).filter(lambda se: se[0] != se[1]).map(lambda se: window(*se))
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
instants = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(2100, 1, 1)),
    offsets,
)


@given(windows, instants)
def test_next_opening_is_the_first_open_instant_at_or_after(w, t):
    opening = next_opening(w, t)
    assert t <= opening < t + DAY
    assert opening.tzinfo is dt.UTC
    assert (opening.hour, opening.minute, opening.second) == (w.start.hour, w.start.minute, 0)
    assert window_contains(w, opening)
    if not window_contains(w, t):  # closed all the way until the opening
        for probe in (t, t + (opening - t) / 2, opening - TICK):
            assert not window_contains(w, probe)


@given(windows, instants)
def test_closes_at_is_the_first_closing_after(w, t):
    closing = closes_at(w, t)
    assert t < closing <= t + DAY
    assert not window_contains(w, closing)
    assert window_contains(w, closing - TICK)
    if window_contains(w, t):  # open all the way until the closing
        assert window_contains(w, t + (closing - t) / 2)


@given(windows, instants)
def test_containment_ignores_the_instants_offset(w, t):
    assert window_contains(w, t) == window_contains(w, t.astimezone(dt.UTC))


@given(windows)
def test_open_minutes_per_day_equal_the_window_length(w):
    day = dt.datetime(2025, 3, 30, tzinfo=dt.UTC)  # a DST change elsewhere; UTC does not care
    open_minutes = sum(window_contains(w, day + dt.timedelta(minutes=m)) for m in range(24 * 60))
    start = w.start.hour * 60 + w.start.minute
    end = w.end.hour * 60 + w.end.minute
    assert open_minutes == (end - start) % (24 * 60)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        ("21:59", False),
        ("22:00", True),
        ("23:59", True),
        ("00:00", True),
        ("05:59", True),
        ("06:00", False),
    ],
)
def test_window_crossing_midnight(at, is_open):
    w = window("22:00", "06:00")
    instant = dt.datetime.fromisoformat(f"2025-01-01T{at}:00+00:00")
    assert window_contains(w, instant) is is_open


def test_next_opening_and_closing_around_midnight():
    w = window("22:00", "06:00")
    morning = dt.datetime(2025, 1, 1, 6, 0, tzinfo=dt.UTC)
    assert next_opening(w, morning) == dt.datetime(2025, 1, 1, 22, 0, tzinfo=dt.UTC)
    late = dt.datetime(2025, 1, 1, 23, 0, tzinfo=dt.UTC)
    assert closes_at(w, late) == dt.datetime(2025, 1, 2, 6, 0, tzinfo=dt.UTC)
    assert next_opening(w, dt.datetime(2025, 1, 1, 22, 0, tzinfo=dt.UTC)).day == 1


def test_offset_instants_are_converted_to_utc():
    w = window("00:00", "06:00")
    sao_paulo = dt.timezone(dt.timedelta(hours=-3))
    assert window_contains(w, dt.datetime(2025, 1, 1, 1, 0, tzinfo=sao_paulo))  # 04:00Z
    assert not window_contains(w, dt.datetime(2025, 1, 1, 4, 0, tzinfo=sao_paulo))  # 07:00Z


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        window_contains(window("00:00", "06:00"), dt.datetime(2025, 1, 1))
