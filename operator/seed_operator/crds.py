"""CustomResourceDefinitions of SeedProfile and SeedRun, built from the seedlib models.

``build_crds()`` is pure: the committed YAML under ``crds/`` (and its copy in the Helm chart) is its
output, written by ``python -m seed_operator.generate`` and compared by a test, so the API server
validates exactly what ``seedctl validate`` validates.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from seed_operator import consts
from seedlib.contract.profile import SeedProfileSpec, SeedProfileStatus
from seedlib.contract.schemagen import structural_schema
from seedlib.contract.seedrun import SeedRunSpec, SeedRunStatus

__all__ = ["build_crds"]

Manifest = dict[str, Any]

_SEEDRUN_TRANSITIONS = [
    {
        "rule": "!has(oldSelf.cancel) || !oldSelf.cancel || self.cancel",
        "message": "a cancelled SeedRun cannot be resumed; create a new SeedRun",
        "fieldPath": ".cancel",
    },
    # A field-level `self == oldSelf` only runs when the field exists on both sides; these catch an
    # optional pin being added or removed after creation.
    *(
        {
            "rule": f"has(self.{name}) == has(oldSelf.{name})",
            "message": f"{name} is immutable; create a new SeedRun",
            "fieldPath": f".{name}",
        }
        for name in ("profileHash", "idempotencyKey")
    ),
]


def _column(
    name: str, path: str, *, kind: str = "string", priority: int = 0, about: str = ""
) -> Manifest:
    column: Manifest = {"name": name, "type": kind, "jsonPath": path}
    if priority:
        column["priority"] = priority
    if about:
        column["description"] = about
    return column


def _crd(
    *,
    kind: str,
    plural: str,
    singular: str,
    short_name: str,
    spec: type[BaseModel],
    status: type[BaseModel],
    columns: list[Manifest],
    about: str,
    spec_extra: Manifest | None = None,
) -> Manifest:
    spec_schema = structural_schema(spec)
    if spec_extra:
        for key, rules in spec_extra.items():
            spec_schema[key] = [*spec_schema.get(key, []), *rules]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{consts.API_GROUP}",
            "labels": {
                consts.LABEL_APP_NAME: consts.OPERATOR_NAME,
                consts.LABEL_PART_OF: consts.OPERATOR_NAME,
            },
        },
        "spec": {
            "group": consts.API_GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": singular,
                "shortNames": [short_name],
                "categories": [consts.CATEGORY],
            },
            "versions": [
                {
                    "name": consts.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "description": about,
                            "type": "object",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec_schema,
                                "status": structural_schema(status),
                            },
                        }
                    },
                }
            ],
        },
    }


def build_crds() -> dict[str, Manifest]:
    """CRD manifests by file name (``<plural>.<group>.yaml``)."""
    profile = _crd(
        kind=consts.PROFILE_KIND,
        plural=consts.PROFILE_PLURAL,
        singular=consts.PROFILE_SINGULAR,
        short_name=consts.PROFILE_SHORT_NAME,
        spec=SeedProfileSpec,
        status=SeedProfileStatus,
        about="The versioned manifest (v1) of one tenant's synthetic banking dataset in one environment.",
        columns=[
            _column("Tenant", ".spec.tenant"),
            _column("Env", ".spec.environment"),
            _column("Mode", ".spec.mode"),
            _column("Version", ".spec.version"),
            _column("Valid", ".status.valid", kind="boolean", priority=1),
            _column("Age", ".metadata.creationTimestamp", kind="date"),
        ],
    )
    run = _crd(
        kind=consts.RUN_KIND,
        plural=consts.RUN_PLURAL,
        singular=consts.RUN_SINGULAR,
        short_name=consts.RUN_SHORT_NAME,
        spec=SeedRunSpec,
        status=SeedRunStatus,
        about="A request to seed one SeedProfile, and the operator's account of it.",
        spec_extra={"x-kubernetes-validations": _SEEDRUN_TRANSITIONS},
        columns=[
            _column("Tenant", ".status.tenant"),
            _column("Env", ".status.environment"),
            _column("Mode", ".status.mode"),
            _column("Phase", ".status.phase"),
            _column("Progress", ".status.progress", about="succeeded/total batches"),
            _column("Age", ".metadata.creationTimestamp", kind="date"),
            _column("Report", ".status.report.uri"),
        ],
    )
    return {
        f"{consts.PROFILE_PLURAL}.{consts.API_GROUP}.yaml": profile,
        f"{consts.RUN_PLURAL}.{consts.API_GROUP}.yaml": run,
    }
