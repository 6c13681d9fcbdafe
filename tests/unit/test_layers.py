"""The import-linter layers contracts cover every top-level module of seedlib and seed_operator.

A module inside a layer's subpackage is covered by the contract automatically; a new module or
subpackage directly under ``seedlib/`` is not, so this test names the gap before it grows.
"""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import seed_operator
import seedlib

ROOT = Path(__file__).resolve().parents[2]


def _layers_contract(container: str = "seedlib") -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers" and c["containers"] == [container]]
    return layers


def test_every_top_level_module_of_seedlib_is_in_a_layer() -> None:
    named = {name.strip() for layer in _layers_contract()["layers"] for name in layer.split("|")}
    present = {info.name for info in pkgutil.iter_modules(seedlib.__path__)}
    assert present - named == set(), "add these to the layers contract in pyproject.toml"
    assert named - present == set(), "the layers contract names modules that do not exist"


def test_every_top_level_module_of_seed_operator_is_in_a_layer() -> None:
    layers = _layers_contract("seed_operator")["layers"]
    named = {name.strip() for layer in layers for name in layer.split("|")}
    present = {info.name for info in pkgutil.iter_modules(seed_operator.__path__)}
    assert present - named == set(), "add these to the operator's layers contract"
    assert named - present == set(), (
        "the operator's layers contract names modules that do not exist"
    )


def test_seedlib_keeps_at_most_eight_modules_at_its_top() -> None:
    modules = [info for info in pkgutil.iter_modules(seedlib.__path__) if not info.ispkg]
    assert len(modules) + 1 <= 8, sorted(m.name for m in modules)  # + __init__
