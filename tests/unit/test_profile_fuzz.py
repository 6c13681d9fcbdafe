"""Hypothesis fuzzing of the contract: every mutation of a valid profile is caught at its path, and
validation never raises, whatever it is fed."""

from __future__ import annotations

import copy
import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedlib.contract.profile import SeedProfileSpec
from seedlib.contract.schemagen import structural_schema
from seedlib.documents import read_documents
from seedlib.rules.validation import HASH_PATH, validate_document
from tests.support import PROFILE_FILES, load_yaml, rehash

EXAMPLES = [load_yaml(p) for p in PROFILE_FILES]
SPEC_SCHEMA = structural_schema(SeedProfileSpec)


def _nodes(value: Any, schema: dict[str, Any], path: tuple[str, ...]):
    """(path, value, schema, required) for every member below spec, integrity excluded."""
    if not isinstance(value, dict):
        return
    required = set(schema.get("required", []))
    for key, child in value.items():
        if not path and key == "integrity":
            continue
        sub = schema.get("properties", {}).get(key, {})
        yield (*path, key), child, sub, key in required
        yield from _nodes(child, sub, (*path, key))


def _dotted(path: tuple[str, ...]) -> str:
    return "spec." + ".".join(path)


def _set(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = doc["spec"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _other_type(value: Any) -> list[Any]:
    """Values of a JSON type different from ``value``'s."""
    candidates: list[Any] = ["text", 7, 2.5, True, ["x"], {"k": "v"}, None]
    if isinstance(value, bool):
        return [c for c in candidates if not isinstance(c, bool)]
    if isinstance(value, int | float):
        return [c for c in candidates if isinstance(c, bool) or not isinstance(c, int | float)]
    return [c for c in candidates if type(c) is not type(value)]


def _out_of_range(value: Any, schema: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema:
            out.append(schema["minimum"] - 1)
        if "maximum" in schema:
            out.append(schema["maximum"] + 1)
    if isinstance(value, str):
        if "enum" in schema:
            out.append("not-a-member")
        if "pattern" in schema:
            out.append("!! not the format !!")
    return out


@st.composite
def mutations(draw: st.DrawFn) -> tuple[dict[str, Any], str, str]:
    """A mutated example, the kind of mutation and the path a violation must name."""
    doc = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    nodes = list(_nodes(doc["spec"], SPEC_SCHEMA, ()))
    kind = draw(st.sampled_from(["drop", "wrong-type", "out-of-range", "unknown-key", "unhashed"]))
    if kind == "drop":
        path, _, _, _ = draw(st.sampled_from([n for n in nodes if n[3]]))
        node = doc["spec"]
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        return rehash(doc), kind, _dotted(path)
    if kind == "wrong-type":
        path, value, _, _ = draw(st.sampled_from(nodes))
        _set(doc, path, draw(st.sampled_from(_other_type(value))))
        return rehash(doc), kind, _dotted(path)
    if kind == "out-of-range":
        candidates = [(p, v, s) for p, v, s, _ in nodes if _out_of_range(v, s)]
        path, value, schema = draw(st.sampled_from(candidates))
        _set(doc, path, draw(st.sampled_from(_out_of_range(value, schema))))
        return rehash(doc), kind, _dotted(path)
    if kind == "unknown-key":
        mappings = [()] + [p for p, v, _, _ in nodes if isinstance(v, dict)]
        path = draw(st.sampled_from(mappings))
        key = draw(st.text(string.ascii_letters, min_size=1, max_size=12).map(lambda s: "zz" + s))
        _set(doc, (*path, key), 1)
        return rehash(doc), kind, _dotted((*path, key))
    path, value, _, _ = draw(st.sampled_from([n for n in nodes if not isinstance(n[1], dict)]))
    _set(doc, path, draw(st.sampled_from(_other_type(value))))  # any change, left unhashed
    return doc, kind, HASH_PATH


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_every_mutation_is_rejected_naming_its_path(case):
    doc, kind, path = case
    result = validate_document(doc, source="fuzz.yaml")
    assert not result.valid, (kind, path)
    assert path in [v.path for v in result.violations], (kind, path, result.violations)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300)
@given(JSON)
def test_validate_never_raises_on_any_json_value(value):
    validate_document(value, source="fuzz")
    validate_document(
        {"apiVersion": "seeding.iabank.io/v1alpha1", "kind": "SeedProfile", "spec": value},
        source="fuzz",
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048) | st.text(max_size=500).map(str.encode))
def test_validate_never_raises_on_any_bytes(tmp_path: Path, data: bytes):
    file = tmp_path / "fuzz.yaml"
    file.write_bytes(data)
    for doc in read_documents([file]):
        if doc.error is None:
            validate_document(doc.data, source=doc.source)
