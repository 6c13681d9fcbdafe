"""The base every API model derives from, and the cross-field rules they declare.

Fail-closed parsing lives here: strict types (no "100" for 100), unknown fields rejected, camelCase
aliases only, no NaN or infinity, and optional fields that may be *omitted* but never written as
``null`` (a ``null`` would silently mean "absent" and would still change the canonical hash).

A cross-field rule is written once and used twice: pydantic checks it in Python, and the CRD
generator attaches its CEL twin as ``x-kubernetes-validations`` so the API server rejects the same
object at admission. Keep the two expressions equivalent; the rule's tests exercise both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

__all__ = ["CROSS_FIELD_ERROR", "CrossFieldRule", "Omittable", "SpecModel"]

T = TypeVar("T")

CROSS_FIELD_ERROR = "cross_field"
"""pydantic error type of a broken cross-field rule; its ``ctx['field']`` names the offending field."""


def _reject_null(value: object) -> object:
    if value is None:
        raise PydanticCustomError("null_forbidden", "null is not allowed; omit the field instead")
    return value


Omittable = Annotated[T | None, BeforeValidator(_reject_null)]
"""An optional field: it may be left out (then it is ``None``), but an explicit ``null`` is refused."""


@dataclass(frozen=True, slots=True)
class CrossFieldRule:
    """A rule over several fields of one model, in Python and in CEL.

    ``field`` is the camelCase path, relative to the model, where a violation is reported (and the
    CEL ``fieldPath``); ``locate`` may refine it for one instance (e.g. which entity broke it).
    """

    cel: str
    message: str
    field: str
    holds: Callable[[Any], bool]
    locate: Callable[[Any], str] | None = None


def _publish_cel_rules(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Attach the model's cross-field rules to its JSON schema as ``x-kubernetes-validations``."""
    rules: tuple[CrossFieldRule, ...] = getattr(model, "cross_field_rules", ())
    if rules:
        schema["x-kubernetes-validations"] = [
            {"rule": r.cel, "message": r.message}
            | ({"fieldPath": f".{r.field}"} if r.field else {})
            for r in rules
        ]


class SpecModel(BaseModel):
    """Strict, frozen, camelCase, unknown-field-rejecting base of every API model."""

    model_config = ConfigDict(
        json_schema_extra=_publish_cel_rules,
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )

    cross_field_rules: ClassVar[tuple[CrossFieldRule, ...]] = ()

    @model_validator(mode="after")
    def _check_cross_field_rules(self) -> Self:
        for rule in self.cross_field_rules:
            if not rule.holds(self):
                field = rule.locate(self) if rule.locate else rule.field
                raise PydanticCustomError(CROSS_FIELD_ERROR, rule.message, {"field": field})
        return self
