"""RFC 9457 Problem Details, built in one place: ``seedctl validate``'s and the run report's.

A problem's ``type`` is ``https://seeding.iabank.io/problems/<name>``, where the name is a
``Reason`` (``PiiUnmasked``) or a document problem (``invalid-manifest``). Pure.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["PROBLEMS", "problem", "status_of_exit_code"]

PROBLEMS: Final = "https://seeding.iabank.io/problems/"


def status_of_exit_code(exit_code: int) -> int:
    """The HTTP status a failed run's problem carries: 422 for invalid input (exit 2), 503 else."""
    return 422 if exit_code == 2 else 503


def problem(name: str, *, title: str, status: int, detail: str, **members: Any) -> dict[str, Any]:
    """One Problem Details object; ``members`` are its extension members."""
    return {"type": PROBLEMS + name, "title": title, "status": status, "detail": detail} | members
