"""Fixtures shared by every tier: the repository root and the canonical example manifests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from seedlib.canonical import manifest_hash

REPO = Path(__file__).resolve().parents[1]
PROFILES = REPO / "manifests" / "profiles"
PROFILE_FILES = sorted(PROFILES.rglob("*.yaml"))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rehash(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its manifestHash recomputed (so only the intended mutation is wrong)."""
    spec = document["spec"]
    spec.setdefault("integrity", {})["manifestHash"] = manifest_hash(spec)
    return document


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A fresh copy of an example SeedProfile document (default: dev/tenant-a)."""
    name = getattr(request, "param", "dev/tenant-a")
    return copy.deepcopy(load_yaml(PROFILES / f"{name}.yaml"))
