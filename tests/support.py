"""Helpers for tests that need a validated profile and a generation context."""

from __future__ import annotations

import copy

from seedlib.contract.canonical import manifest_hash
from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.salt import Salt
from seedlib.evidence.salts import DevIsolatedSaltProvider
from seedlib.generator import Context
from seedlib.rules.validation import load_profile_spec
from tests.conftest import PROFILES, load_yaml

DEV_SALT = DevIsolatedSaltProvider(dev_isolated=True)


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
