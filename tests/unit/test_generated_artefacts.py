"""Generated CRDs and JSON Schema: committed copies match a fresh generation, CRD schemas are
structural, and an independent JSON Schema validator agrees with seedctl."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
import yaml

from seed_operator import consts
from seed_operator.crds import build_crds
from seed_operator.generate import artefacts
from seedlib.contract.entities import HARD_CAPS
from tests.support import PROFILE_FILES, REPO, load_yaml, rehash

CRDS = build_crds()
JSON_SCHEMA_FILE = REPO / "seedlib/schema/seed-profile.v1.schema.json"


@pytest.mark.parametrize("relative", sorted(artefacts()), ids=str)
def test_committed_artefact_matches_a_fresh_generation(relative):
    committed = (REPO / relative).read_text(encoding="utf-8")
    assert committed == artefacts()[relative], f"{relative} is stale: run `make generate`"


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _schemas(crd: dict[str, Any]):
    """Every schema node of the CRD (skipping the values of properties maps themselves)."""
    root = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]

    def visit(schema: dict[str, Any], path: str):
        yield path, schema
        for name, sub in schema.get("properties", {}).items():
            yield from visit(sub, f"{path}.{name}")
        if isinstance(schema.get("items"), dict):
            yield from visit(schema["items"], f"{path}[]")
        if isinstance(schema.get("additionalProperties"), dict):
            yield from visit(schema["additionalProperties"], f"{path}{{}}")

    yield from visit(root, "")


@pytest.mark.parametrize("name", sorted(CRDS))
def test_crd_schemas_are_structural(name):
    crd = CRDS[name]
    for path, node in _walk(crd):
        assert "$ref" not in node, path
        assert "$defs" not in node, path
        assert "anyOf" not in node and "oneOf" not in node, path
        assert "const" not in node and "uniqueItems" not in node, path
    for path, schema in _schemas(crd):
        assert "type" in schema, f"{path} has no type"
        if "properties" in schema:
            assert schema["type"] == "object", path
            assert "additionalProperties" not in schema, path
        if schema["type"] == "array":
            assert isinstance(schema.get("items"), dict), path
        assert not isinstance(schema.get("exclusiveMinimum"), int | float) or isinstance(
            schema["exclusiveMinimum"], bool
        ), path


def test_crd_names_columns_and_subresources():
    profile = CRDS[f"{consts.PROFILE_PLURAL}.{consts.API_GROUP}.yaml"]["spec"]
    run = CRDS[f"{consts.RUN_PLURAL}.{consts.API_GROUP}.yaml"]["spec"]
    assert profile["names"]["shortNames"] == ["sprof"]
    assert run["names"]["shortNames"] == ["sr"]
    assert profile["names"]["categories"] == run["names"]["categories"] == ["seeding"]
    for crd in (profile, run):
        [version] = crd["versions"]
        assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
    columns = [c["name"] for c in run["versions"][0]["additionalPrinterColumns"]]
    assert columns == ["Tenant", "Env", "Mode", "Phase", "Progress", "Age", "Report"]
    columns = [c["name"] for c in profile["versions"][0]["additionalPrinterColumns"]]
    assert columns[:4] == ["Tenant", "Env", "Mode", "Version"]


def test_crd_carries_cel_rules_and_hard_caps():
    spec = CRDS[f"{consts.PROFILE_PLURAL}.{consts.API_GROUP}.yaml"]["spec"]["versions"][0]
    spec = spec["schema"]["openAPIV3Schema"]["properties"]["spec"]
    rules = [r["rule"] for r in spec["x-kubernetes-validations"]]
    assert "self.mode != 'canary' || has(self.canary)" in rules
    assert spec["properties"]["window"]["x-kubernetes-validations"][0]["fieldPath"] == ".endUtc"
    volumes = spec["properties"]["volumetry"]["properties"]
    assert {name: v["properties"]["cap"]["maximum"] for name, v in volumes.items()} == {
        e.value: cap for e, cap in HARD_CAPS.items()
    }
    assert spec["properties"]["canary"]["properties"]["tenants"]["x-kubernetes-list-type"] == "set"
    run = CRDS[f"{consts.RUN_PLURAL}.{consts.API_GROUP}.yaml"]["spec"]["versions"][0]
    run_spec = run["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert (
        run_spec["properties"]["profileRef"]["x-kubernetes-validations"][0]["rule"]
        == "self == oldSelf"
    )
    conditions = run["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"][
        "conditions"
    ]
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]


def test_helm_chart_ships_the_same_crds():
    for name in CRDS:
        assert (REPO / "crds" / name).read_text() == (
            REPO / "helm/seed-operator/crds" / name
        ).read_text()
        assert yaml.safe_load((REPO / "crds" / name).read_text()) == CRDS[name]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = load_yaml(JSON_SCHEMA_FILE)  # JSON is YAML
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_json_schema_header_and_examples(validator):
    schema = validator.schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("seed-profile.v1.schema.json")
    assert {e["spec"]["mode"] for e in schema["examples"]} == {"baseline", "carga", "dr", "canary"}
    for example in schema["examples"]:
        validator.validate(example)


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.parent.name + "/" + p.name)
def test_independent_validator_accepts_every_example(validator, path):
    validator.validate(load_yaml(path))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "environment"), "production"),
        (("spec", "volumetry", "customers", "cap"), 50_001),
        (("spec", "volumetry", "accounts"), {"cap": 1}),
        (("spec", "window", "startUtc"), "24:00"),
        (("spec", "budget", "costCapBrl"), "5"),
        (("spec", "canary"), None),
        (("spec", "schemaVersion"), "v2"),
    ],
)
def test_independent_validator_rejects_what_seedctl_rejects(validator, path, value):
    doc = copy.deepcopy(load_yaml(PROFILE_FILES[0]))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert list(validator.iter_errors(rehash(doc)))
