"""Helpers shared by the tiers: the repository's paths, example manifests, profiles and contexts,
and database inspection. Fixtures live in ``tests/conftest.py``; this module has none."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import yaml

from seedlib.contract.canonical import manifest_hash
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.salt import Salt
from seedlib.evidence.salts import DevIsolatedSaltProvider
from seedlib.generator import Context
from seedlib.generator.catalog import TABLES
from seedlib.rules.validation import load_profile_spec

REPO = Path(__file__).resolve().parents[1]
PROFILES = REPO / "manifests" / "profiles"
PROFILE_FILES = sorted(PROFILES.rglob("*.yaml"))


DEV_SALT = DevIsolatedSaltProvider(dev_isolated=True)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rehash(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its manifestHash recomputed (so only the intended mutation is wrong)."""
    spec = document["spec"]
    spec.setdefault("integrity", {})["manifestHash"] = manifest_hash(spec)
    return document


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def table_counts(url: str) -> dict[str, int]:
    """Rows of every bank and seeding table, as the superuser (RLS does not hide anything)."""
    with psycopg.connect(url) as conn:
        counts = {
            f"bank.{t.name}": conn.execute(f"SELECT count(*) FROM bank.{t.name}").fetchone()[0]  # type: ignore[index]
            for t in TABLES
        }
        for name in ("datasets", "batches", "runs", "idempotency_keys", "reports_index"):
            counts[f"seeding.{name}"] = conn.execute(
                f"SELECT count(*) FROM seeding.{name}"
            ).fetchone()[0]  # type: ignore[index]
    return counts


def spec_of(name: str, **changes: object) -> SeedProfileSpec:
    raw = copy.deepcopy(load_yaml(PROFILES / f"{name}.yaml")["spec"])
    raw.update(changes)
    raw["integrity"] = {"manifestHash": manifest_hash(raw)}
    return load_profile_spec(raw)


def context_of(spec: SeedProfileSpec, salt: bytes | None = None) -> Context:
    if salt is not None:
        return Context.build(spec, Salt(salt, spec.salt_version, "test"))
    dev = spec if spec.environment == "dev" else spec.model_copy(update={"environment": "dev"})
    value = DEV_SALT.salt(dev.tenant, "dev", spec.salt_version).value
    return Context.build(spec, Salt(value, spec.salt_version, "test"))
