"""Off-peak window arithmetic in UTC.

A window is ``[start, end)`` on the UTC clock, every day; ``end`` earlier than ``start`` means it
crosses midnight (22:00-06:00 is open at 23:59 and at 05:59, closed at 06:00). UTC has no daylight
saving, so every day has the same window. The operator uses these functions to decide whether a
SeedRun may start now and when to look again; there is deliberately no override.

Pure module: callers pass the instant, nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt

from seedlib.contract.profile import Window

__all__ = ["closes_at", "next_opening", "window_contains"]


def _utc(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant {instant.isoformat()} must be timezone-aware")
    return instant.astimezone(dt.UTC)


def _on(day: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=dt.UTC)


def window_contains(window: Window, instant: dt.datetime) -> bool:
    """Whether ``instant`` falls inside the window (start inclusive, end exclusive)."""
    clock = _utc(instant).timetz().replace(tzinfo=None)
    start, end = window.start, window.end
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def next_opening(window: Window, instant: dt.datetime) -> dt.datetime:
    """The first opening at or after ``instant`` (``instant`` itself if it is exactly an opening)."""
    utc = _utc(instant)
    today = _on(utc.date(), window.start)
    return today if today >= utc else _on(utc.date() + dt.timedelta(days=1), window.start)


def closes_at(window: Window, instant: dt.datetime) -> dt.datetime:
    """The first closing strictly after ``instant``: the end of the current opening when the window
    is open at ``instant``, else the end of the next one."""
    utc = _utc(instant)
    today = _on(utc.date(), window.end)
    return today if today > utc else _on(utc.date() + dt.timedelta(days=1), window.end)
