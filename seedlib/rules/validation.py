"""Validation that explains itself: every violation of a document, each with a path, a message and a
hint that says how to fix it.

``validate_document`` takes one parsed YAML/JSON document (a SeedProfile or a SeedRun) and never
raises, whatever it is given: schema errors, cross-field rules and the integrity hash all come back as
``Violation``s. ``load_profile_spec`` is the fail-closed entry point for code that needs a profile:
it returns a model only when the spec, including its hash, is valid, and raises
``InvalidInputError(ProfileInvalid)`` otherwise. ``problem_details`` renders results as RFC 9457
Problem Details.

Pure module: no files, no network.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from seedlib.contract._model import CROSS_FIELD_ERROR
from seedlib.contract.canonical import CanonicalizationError, manifest_hash
from seedlib.contract.problems import PROBLEMS, problem
from seedlib.contract.profile import (
    API_GROUP,
    API_VERSION,
    SHA256_HEX,
    SeedProfile,
    SeedProfileSpec,
)
from seedlib.contract.seedrun import SeedRun
from seedlib.contract.violations import Violation
from seedlib.errors import InvalidInputError, Reason
from seedlib.generator._plan import profile_violations

__all__ = [
    "DocumentResult",
    "Violation",
    "load_profile_spec",
    "problem_details",
    "validate_document",
    "validate_profile_spec",
]

HASH_PATH: Final = "spec.integrity.manifestHash"
HASH_HINT: Final = (
    "run `seedctl hash --write {file}` after every change to spec: the hash is the sha256 of "
    "the RFC 8785 canonical JSON of spec without integrity"
)
PROBLEM_TYPE: Final = PROBLEMS + "invalid-manifest"
KINDS: Final[dict[str, type[SeedProfile] | type[SeedRun]]] = {
    "SeedProfile": SeedProfile,
    "SeedRun": SeedRun,
}
_SEXAGESIMAL_HINT: Final = (
    'quote the time, e.g. "22:00": unquoted, YAML 1.1 reads 22:00 as the base-60 number 1320'
)


@dataclass(frozen=True, slots=True)
class DocumentResult:
    source: str
    """Where the document came from: a file, with ``#N`` (1-based) when the file holds several."""
    kind: str | None = None
    name: str | None = None
    violations: tuple[Violation, ...] = ()
    computed_hash: str | None = None
    """sha256 of the spec as written (SeedProfiles whose spec is a mapping of JSON values)."""
    skipped: str | None = None
    """Why a document of another API group was not validated (directory scans only)."""
    model: SeedProfile | SeedRun | None = field(default=None, compare=False, repr=False)

    @property
    def valid(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "kind": self.kind, "name": self.name}
        if self.skipped:
            out["skipped"] = self.skipped
        else:
            out["valid"] = self.valid
            out["violations"] = [v.as_dict() for v in self.violations]
        if self.computed_hash:
            out["manifestHash"] = self.computed_hash
        return out


def validate_document(
    document: object, *, source: str, skip_foreign: bool = False
) -> DocumentResult:
    """Validate one parsed document. Never raises.

    With ``skip_foreign``, a document of another API group (an Argo CD Application beside the
    profiles, say) is reported as skipped instead of invalid.
    """
    if not isinstance(document, Mapping):
        return DocumentResult(
            source,
            violations=(
                Violation(
                    "",
                    f"expected a Kubernetes object (a mapping), got {_json_type(document)}",
                    f"start the document with `apiVersion: {API_VERSION}` and `kind: SeedProfile`",
                ),
            ),
        )
    kind, api_version = document.get("kind"), document.get("apiVersion")
    name = _name_of(document)
    model_type = KINDS.get(kind) if isinstance(kind, str) else None
    if skip_foreign and not _in_group(api_version) and model_type is None:
        return DocumentResult(
            source, str(kind), name, skipped=f"{api_version}/{kind} is not a seeding resource"
        )
    if model_type is None:
        return DocumentResult(
            source,
            str(kind) if kind is not None else None,
            name,
            violations=(
                Violation(
                    "kind",
                    f"kind {kind!r} is not a seeding resource",
                    f"use kind SeedProfile or SeedRun with apiVersion {API_VERSION}",
                ),
            ),
        )
    body = {k: v for k, v in document.items() if k != "status"}  # status is the server's to write
    violations = _violations(model_type, body, prefix="")
    if not violations and model_type is SeedProfile:
        violations = profile_violations(SeedProfile.model_validate(body).spec)
    computed = None
    model: SeedProfile | SeedRun | None = None
    if model_type is SeedProfile:
        spec = document.get("spec")
        file = source.rsplit("#", 1)[0] if "#" in source else source
        violations, computed = _with_hash_check(spec, violations, "spec.", file)
    if not violations:
        model = model_type.model_validate(body)
    return DocumentResult(source, kind, name, tuple(violations), computed, model=model)


def validate_profile_spec(spec: object) -> tuple[SeedProfileSpec | None, tuple[Violation, ...]]:
    """Validate a SeedProfile ``spec`` (as read from the API server), including its hash."""
    schema_violations = _violations(SeedProfileSpec, spec, prefix="spec.")
    if not schema_violations:
        schema_violations = profile_violations(SeedProfileSpec.model_validate(spec))
    violations, _ = _with_hash_check(spec, schema_violations, "spec.", "FILE")
    if violations:
        return None, tuple(violations)
    return SeedProfileSpec.model_validate(spec), ()


def load_profile_spec(spec: object) -> SeedProfileSpec:
    """The validated spec, or ``InvalidInputError(ProfileInvalid)`` listing every violation."""
    model, violations = validate_profile_spec(spec)
    if model is None:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        raise InvalidInputError(
            Reason.PROFILE_INVALID, f"{first.path}: {first.message}{more}", hint=first.hint
        )
    return model


def problem_details(results: Sequence[DocumentResult]) -> dict[str, Any]:
    """RFC 9457 Problem Details for the invalid documents among ``results``."""
    invalid = [r for r in results if not r.skipped and not r.valid]
    violations = [{"source": r.source, **v.as_dict()} for r in invalid for v in r.violations]
    return problem(
        "invalid-manifest",
        title="Invalid seeding manifest",
        status=422,
        detail=f"{len(violations)} violation(s) in {len(invalid)} of "
        f"{sum(1 for r in results if not r.skipped)} document(s)",
        violations=violations,
        documents=[r.as_dict() for r in results],
    )


# -- pydantic errors -> violations ------------------------------------------------------------


def _violations(model: type[BaseModel], data: object, prefix: str) -> list[Violation]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [_violation(model, error, prefix) for error in exc.errors(include_url=False)]
    return []


def _violation(model: type[BaseModel], error: ErrorDetails, prefix: str) -> Violation:
    loc = list(error["loc"])
    ctx = error.get("ctx") or {}
    if error["type"] == CROSS_FIELD_ERROR and ctx.get("field"):
        loc.extend(str(ctx["field"]).split("."))
    path = prefix + _dotted(loc)
    path = path.rstrip(".")
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = f"unknown field {loc[-1]!s}"
    elif error["type"] == "string_pattern_mismatch":
        message = f"{error['input']!r} is not in the expected format"
    return Violation(path, message, _hint(model, loc, error))


def _dotted(loc: Iterable[object]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _hint(model: type[BaseModel], loc: Sequence[object], error: ErrorDetails) -> str:
    leaf = str(loc[-1]) if loc else ""
    parent, info = _field_at(model, loc)
    if error["type"] == "extra_forbidden":
        allowed = sorted(f.alias or n for n, f in parent.model_fields.items()) if parent else []
        close = difflib.get_close_matches(leaf, allowed, n=1)
        guess = f"did you mean `{close[0]}`? " if close else ""
        return f"{guess}remove `{leaf}`; allowed here: {', '.join(allowed)}"
    if error["type"] == "null_forbidden":
        return f"omit `{leaf}` instead of writing null"
    if leaf in {"startUtc", "endUtc"} and isinstance(error.get("input"), int):
        return _SEXAGESIMAL_HINT
    about = (info.description or "").replace("\n", " ") if info else ""
    example = _example(info)
    if error["type"] == "missing":
        return f"add `{leaf}`" + (f": {about}" if about else "") + example
    return (about or "see the SeedProfile schema (seedctl validate --output json)") + example


def _example(info: FieldInfo | None) -> str:
    examples = info.examples if info else None
    return f" (e.g. {examples[0]!r})" if examples else ""


def _field_at(
    model: type[BaseModel], loc: Sequence[object]
) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """Walk ``loc`` (aliases) down the model classes: the model holding the last field, and its info."""
    current: type[BaseModel] | None = model
    info: FieldInfo | None = None
    for index, part in enumerate(loc):
        if isinstance(part, int):
            continue
        if current is None:
            return None, None
        by_alias = {f.alias or n: f for n, f in current.model_fields.items()}
        if part not in by_alias:
            return current, None
        info = by_alias[part]
        if index == len(loc) - 1:
            return current, info
        current = _nested_model(info.annotation)
    return current, info


def _nested_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


# -- integrity ------------------------------------------------------------------------------


def _with_hash_check(
    spec: object, violations: list[Violation], prefix: str, file: str
) -> tuple[list[Violation], str | None]:
    """Add the integrity verdict: a missing, malformed or stale manifestHash is one violation."""
    if not isinstance(spec, Mapping):
        return violations, None
    hint = HASH_HINT.format(file=file)
    integrity_paths = {prefix + "integrity", prefix + "integrity.manifestHash"}
    others = [v for v in violations if v.path not in integrity_paths]
    try:
        computed = manifest_hash(spec)
    except CanonicalizationError as exc:
        return [
            *violations,
            Violation(prefix.rstrip("."), f"not canonical JSON: {exc}", hint),
        ], None
    integrity = spec.get("integrity")
    declared = integrity.get("manifestHash") if isinstance(integrity, Mapping) else None
    if integrity is not None and not isinstance(integrity, Mapping):
        return violations, computed  # the schema already says integrity must be an object
    if declared is None or declared == "":
        message = "manifestHash is missing" if declared is None else "manifestHash is empty"
        return [*others, Violation(HASH_PATH, f"{message}; expected {computed}", hint)], computed
    if not isinstance(declared, str) or not _is_sha256(declared):
        return [
            *others,
            Violation(HASH_PATH, "manifestHash must be 64 lowercase hex digits", hint),
        ], computed
    if declared != computed:
        stale = Violation(
            HASH_PATH,
            f"manifestHash {declared[:12]}... does not match the content (sha256 {computed})",
            hint,
        )
        return [*others, stale], computed
    return others, computed


def _is_sha256(value: str) -> bool:
    return re.fullmatch(SHA256_HEX, value) is not None


def _in_group(api_version: object) -> bool:
    return isinstance(api_version, str) and api_version.split("/", 1)[0] == API_GROUP


def _name_of(document: Mapping[Any, Any]) -> str | None:
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return name if isinstance(name, str) else None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
