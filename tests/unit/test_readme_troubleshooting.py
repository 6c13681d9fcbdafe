"""The README's troubleshooting table covers every failure reason and every reason a run waits
with, so a user who reads a reason in `kubectl describe` always finds what to do."""

from __future__ import annotations

from pathlib import Path

from seed_operator.conditions import Progress
from seedlib.errors import REASON_EXIT_CODES, Reason

README = Path(__file__).resolve().parents[2] / "README.md"
WAITS = {Progress.OUTSIDE_WINDOW, Progress.WAITING_FOR_TENANT_LEASE, Progress.WAITING_FOR_SLOT}


def _table() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Troubleshooting: condition reasons", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            for name in cells[0].split("`")[1::2]:
                rows[name] = cells[1]
    return rows


def test_every_reason_has_a_row_with_its_exit_code():
    rows = _table()
    for reason in Reason:
        assert reason.value in rows, f"{reason.value} is missing from the README table"
        assert rows[reason.value] == str(int(REASON_EXIT_CODES[reason])), reason.value


def test_every_wait_has_a_row():
    rows = _table()
    assert {w.value for w in WAITS} <= set(rows)
