"""Derive published schemas from the pydantic models: JSON Schema 2020-12 and CRD structural schemas.

pydantic's raw output uses ``$defs``/``$ref``, ``anyOf: [X, {type: null}]`` for optional fields and
auto-generated titles. Both targets want it inlined; optional fields here may be omitted but never
``null`` (``seedlib.contract._model.Omittable``), so the ``null`` branch is dropped, not translated.
Kubernetes additionally needs a *structural* schema: no ``additionalProperties`` beside ``properties``, no
``uniqueItems`` (a ``set`` list type instead), OpenAPI 3.0's boolean ``exclusiveMinimum``, ``enum``
instead of ``const``, no ``examples``. Cross-field rules travel as ``x-kubernetes-validations`` (CEL)
to the CRD only.

The entity hard caps, enforced in Python by ``Volumetry``, are published as each ``cap``'s
``maximum`` so that editors and the API server show the same bound.

Pure module: builds dicts; writing files is the generator command's job.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel

from seedlib.contract.entities import HARD_CAPS
from seedlib.contract.profile import API_GROUP, API_VERSION, SeedProfile, SeedProfileSpec

__all__ = ["SCHEMA_ID", "profile_json_schema", "structural_schema"]

SCHEMA_ID: Final = f"https://{API_GROUP}/schemas/seed-profile.v1.schema.json"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

JsonSchema = dict[str, Any]


def structural_schema(model: type[BaseModel]) -> JsonSchema:
    """The CRD ``openAPIV3Schema`` fragment of ``model`` (for ``spec`` or ``status``)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    schema: JsonSchema = _clean(_inline(raw, raw.get("$defs", {})), kubernetes=True)
    if model is SeedProfileSpec:
        _publish_hard_caps(schema)
    return schema


def profile_json_schema(examples: Sequence[Mapping[str, Any]]) -> JsonSchema:
    """JSON Schema 2020-12 of a SeedProfile manifest document, with canonical ``examples``."""
    raw = SeedProfile.model_json_schema(by_alias=True, mode="validation")
    document = _clean(_inline(raw, raw.get("$defs", {})), kubernetes=False)
    document["properties"].pop("status", None)  # manifests describe intent; status is the server's
    _publish_hard_caps(document["properties"]["spec"])
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "SeedProfile v1",
        "description": (
            f"A SeedProfile manifest ({API_VERSION}): one tenant's synthetic banking dataset in one "
            "environment. Every field is required unless marked optional; there are no implicit "
            "defaults. spec.integrity.manifestHash is the sha256 of the RFC 8785 canonical JSON of "
            "spec without integrity (seedctl hash --write FILE)."
        ),
        **{k: v for k, v in document.items() if k not in ("title", "description")},
        "examples": [dict(example) for example in examples],
    }


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            merged = {**_inline(copy.deepcopy(target), defs)}
            merged.update({k: _inline(v, defs) for k, v in node.items() if k != "$ref"})
            return merged
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def _clean(node: Any, *, kubernetes: bool) -> Any:
    if isinstance(node, list):
        return [_clean(item, kubernetes=kubernetes) for item in node]
    if not isinstance(node, dict):
        return node
    node = _drop_null_branch(node)
    out: JsonSchema = {}
    for key, value in node.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: _clean(sub, kubernetes=kubernetes) for name, sub in value.items()}
        elif key.startswith("x-kubernetes-") and not kubernetes:
            continue
        else:
            out[key] = _clean(value, kubernetes=kubernetes)
    return _to_openapi(out) if kubernetes else out


def _drop_null_branch(node: JsonSchema) -> JsonSchema:
    branches = node.get("anyOf")
    if not isinstance(branches, list):
        return node
    kept = [b for b in branches if b != {"type": "null"}]
    if len(kept) != 1:
        return node
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    return {**kept[0], **merged}


def _to_openapi(node: JsonSchema) -> JsonSchema:
    """Rewrite JSON Schema 2020-12 keywords that a Kubernetes structural schema does not accept."""
    node.pop("examples", None)
    if "properties" in node:
        node.pop("additionalProperties", None)  # pruning + kubectl's strict field validation
    if node.pop("uniqueItems", False):
        node["x-kubernetes-list-type"] = "set"
    if "const" in node:
        node["enum"] = [node.pop("const")]
        node.setdefault("type", "string")
    exclusive = node.get("exclusiveMinimum")
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        node["minimum"], node["exclusiveMinimum"] = exclusive, True
    return node


def _publish_hard_caps(spec: JsonSchema) -> None:
    entities = spec["properties"]["volumetry"]["properties"]
    for entity, cap in HARD_CAPS.items():
        entities[entity.value]["properties"]["cap"]["maximum"] = cap
