"""The evidence tier: PostgreSQL (tests/conftest.py), OpenBao and moto S3 (tests/services.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.postgres)
            item.add_marker(pytest.mark.evidence)
