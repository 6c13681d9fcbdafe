"""The PostgreSQL tier: fixtures live in tests/conftest.py (shared with the evidence tier)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def local_evidence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, otlp: Any) -> Path:
    """Dev-isolated runs keep their write-once reports and signing key in the test's own folder,
    and export their telemetry to the session's OTLP receiver."""
    monkeypatch.setenv("SEED_LOCAL_DIR", str(tmp_path / "local"))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint)
    return tmp_path / "local"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.postgres)
