"""The generated CRDs against a real kube-apiserver: installation, printer columns, names, the
example manifests, and what the server's schema and CEL validation accept and reject.

Manifests go through `kubectl apply --server-side --field-manager=test` (what Argo CD and users do)
unless a test is about another path; every assertion is on what the server answered or stored.
The API server does not check manifestHash, so mutated profiles keep their (now stale) hash.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient, CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from tests.cluster.controlplane import CRDS_DIR, REPO, ControlPlane

GROUP = "seeding.iabank.io"
VERSION = "v1alpha1"
PROFILES = REPO / "manifests" / "profiles"
RUNS = REPO / "manifests" / "runs"
EXAMPLES = sorted(PROFILES.rglob("*.yaml")) + sorted(RUNS.rglob("*.yaml"))
CRD_FILES = sorted(CRDS_DIR.glob("*.yaml"))
PLURAL = {"SeedProfile": "seedprofiles", "SeedRun": "seedruns"}
Document = dict[str, Any]


# --- helpers ------------------------------------------------------------------------------------


def load(path: Path) -> Document:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def example_profile(name: str) -> Document:
    return load(PROFILES / f"{name}.yaml")


def example_run(name: str) -> Document:
    return load(RUNS / f"{name}.yaml")


def apply(
    plane: ControlPlane, document: Document, namespace: str
) -> subprocess.CompletedProcess[str]:
    """`kubectl apply --server-side --field-manager=test` of `document` into `namespace`."""
    document = copy.deepcopy(document)
    document["metadata"]["namespace"] = namespace
    return plane.kubectl(
        "apply",
        "--server-side",
        "--field-manager=test",
        "-f",
        "-",
        input=yaml.safe_dump(document),
        check=False,
    )


def applied(plane: ControlPlane, document: Document, namespace: str) -> Document:
    """Applies `document` (which must be accepted) and returns the object the server stored."""
    result = apply(plane, document, namespace)
    assert result.returncode == 0, f"the server rejected the document:\n{result.stderr}"
    stored = stored_object(plane, document["kind"], namespace, document["metadata"]["name"])
    assert stored is not None
    return stored


def stored_object(plane: ControlPlane, kind: str, namespace: str, name: str) -> Document | None:
    result = plane.kubectl(
        "get", f"{PLURAL[kind]}.{GROUP}", name, "-n", namespace, "-o", "json", check=False
    )
    if result.returncode != 0:
        assert "NotFound" in result.stderr, result.stderr
        return None
    stored: Document = json.loads(result.stdout)
    return stored


def assert_rejected(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0, f"the server accepted it:\n{result.stdout}"
    for fragment in fragments:
        assert fragment in result.stderr, (
            f"{fragment!r} not in the server's answer:\n{result.stderr}"
        )


def patch_status(plane: ControlPlane, namespace: str, name: str, status: Document) -> None:
    plane.kubectl(
        "patch",
        f"seedruns.{GROUP}",
        name,
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
    )


def table(output: str) -> tuple[list[str], list[dict[str, str]]]:
    """kubectl's table output: the header, and each row as {column: cell} (cut at the header's
    column offsets, since kubectl prints an empty cell, not <none>, for a missing CRD column)."""
    header_line, *lines = output.rstrip("\n").splitlines()
    cells = list(re.finditer(r"\S+", header_line))
    header = [cell.group() for cell in cells]
    starts = [cell.start() for cell in cells]
    bounds = [*starts[1:], None]
    rows = [
        {
            name: line[start:end].strip()
            for name, start, end in zip(header, starts, bounds, strict=True)
        }
        for line in lines
    ]
    return header, rows


REPORT_SHA = "a" * 64
RUN_STATUS = {
    "phase": "Running",
    "tenant": "tenant-a",
    "environment": "dev",
    "mode": "baseline",
    "progress": "3/10",
    "report": {
        "uri": "s3://worm/seeds/dev/tenant-a/r1.json",
        "sha256": REPORT_SHA,
        "verified": True,
    },
}


# --- installation, columns, names ---------------------------------------------------------------


@pytest.mark.parametrize("path", CRD_FILES, ids=lambda p: p.name)
def test_crd_is_established_and_stored_as_generated(
    control_plane: ControlPlane, path: Path
) -> None:
    generated = load(path)
    result = control_plane.kubectl("get", "crd", generated["metadata"]["name"], "-o", "json")
    served = json.loads(result.stdout)
    conditions = {c["type"]: c for c in served["status"]["conditions"]}
    assert conditions["Established"]["status"] == "True"
    assert conditions["NamesAccepted"]["status"] == "True", conditions["NamesAccepted"]
    assert (
        served["status"]["acceptedNames"]["shortNames"] == generated["spec"]["names"]["shortNames"]
    )
    assert served["status"]["acceptedNames"]["categories"] == ["seeding"]
    # The server kept every schema node, CEL rule and column as generated (nothing dropped).
    assert served["spec"]["versions"] == generated["spec"]["versions"]


def test_seedprofile_printer_columns(control_plane: ControlPlane, namespace: str) -> None:
    applied(control_plane, example_profile("perf/tenant-a"), namespace)
    header, rows = table(control_plane.kubectl("get", "seedprofiles", "-n", namespace).stdout)
    assert header == ["NAME", "TENANT", "ENV", "MODE", "VERSION", "AGE"]
    assert len(rows) == 1
    assert rows[0]["NAME"] == "tenant-a-perf"
    assert rows[0]["TENANT"] == "tenant-a"
    assert rows[0]["ENV"] == "perf"
    assert rows[0]["MODE"] == "carga"
    assert rows[0]["VERSION"] == "1.0.0"
    assert rows[0]["AGE"]
    # Valid (.status.valid) has priority 1: only in -o wide, empty until the operator writes it.
    wide = control_plane.kubectl("get", "seedprofiles", "-n", namespace, "-o", "wide").stdout
    header, rows = table(wide)
    assert header == ["NAME", "TENANT", "ENV", "MODE", "VERSION", "VALID", "AGE"]
    assert rows[0]["VALID"] == ""


def test_seedrun_printer_columns(control_plane: ControlPlane, namespace: str) -> None:
    run = example_run("dev/tenant-a-baseline")
    applied(control_plane, run, namespace)
    columns = ["NAME", "TENANT", "ENV", "MODE", "PHASE", "PROGRESS", "AGE", "REPORT"]
    header, rows = table(control_plane.kubectl("get", "seedruns", "-n", namespace).stdout)
    assert header == columns
    assert rows[0]["NAME"] == "tenant-a-dev-baseline"
    assert rows[0]["AGE"]
    # Every other column reads .status, which only the operator writes.
    assert [rows[0][c] for c in columns if c not in {"NAME", "AGE"}] == [""] * 6

    patch_status(control_plane, namespace, run["metadata"]["name"], RUN_STATUS)
    header, rows = table(control_plane.kubectl("get", "seedruns", "-n", namespace).stdout)
    assert header == columns
    row = rows[0]
    assert row["TENANT"] == "tenant-a"
    assert row["ENV"] == "dev"
    assert row["MODE"] == "baseline"
    assert row["PHASE"] == "Running"
    assert row["PROGRESS"] == "3/10"
    assert row["REPORT"] == "s3://worm/seeds/dev/tenant-a/r1.json"


def test_short_names_and_the_seeding_category(control_plane: ControlPlane, namespace: str) -> None:
    applied(control_plane, example_profile("dev/tenant-a"), namespace)
    applied(control_plane, example_run("dev/tenant-a-baseline"), namespace)

    def names(resource: str) -> list[str]:
        output = control_plane.kubectl("get", resource, "-n", namespace, "-o", "name").stdout
        return sorted(output.split())

    profile = f"seedprofile.{GROUP}/tenant-a-dev"
    run = f"seedrun.{GROUP}/tenant-a-dev-baseline"
    assert names("sprof") == [profile]
    assert names("sr") == [run]
    assert names("seeding") == [profile, run]


def test_kubectl_explain_shows_the_field_reference(control_plane: ControlPlane) -> None:
    # README: "The full field reference is `kubectl explain seedprofile.spec`".
    output = control_plane.kubectl("explain", "seedprofile.spec.window").stdout
    assert "startUtc" in output
    assert "Opening time" in output
    assert "-required-" in output


# --- the examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(REPO / "manifests")))
def test_example_manifest_is_accepted(
    control_plane: ControlPlane, namespace: str, path: Path
) -> None:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    assert documents
    for document in documents:
        stored = applied(control_plane, document, namespace)
        expected = copy.deepcopy(document["spec"])
        if document["kind"] == "SeedRun":
            expected.setdefault("dryRun", False)
            expected.setdefault("cancel", False)
        # Nothing pruned, nothing coerced: the server stored the spec as written.
        assert stored["spec"] == expected


# --- SeedProfile validation ---------------------------------------------------------------------

Mutation = Callable[[Document], None]


def _del(path: str) -> Mutation:
    *parents, leaf = path.split(".")

    def mutate(spec: Document) -> None:
        for key in parents:
            spec = spec[key]
        del spec[leaf]

    return mutate


def _set(path: str, value: Any) -> Mutation:
    *parents, leaf = path.split(".")

    def mutate(spec: Document) -> None:
        for key in parents:
            spec = spec[key]
        spec[leaf] = copy.deepcopy(value)

    return mutate


# (id, example profile, mutation of spec, field the server names, what the server says)
REJECTIONS: list[tuple[str, str, Mutation, str, str]] = [
    (
        "canary-mode-without-canary",
        "homolog/tenant-a",
        _del("canary"),
        "spec.canary",
        "canary is required when mode is canary",
    ),
    (
        "canary-in-a-baseline",
        "dev/tenant-a",
        _set("canary", {"percentage": 10}),
        "spec.canary",
        "canary is only allowed when mode is canary",
    ),
    (
        "zero-length-window",
        "dev/tenant-a",
        _set("window", {"startUtc": "22:00", "endUtc": "22:00"}),
        "spec.window.endUtc",
        "window start and end must differ: a zero-length window never opens",
    ),
    (
        "states-in-a-baseline",
        "dev/tenant-a",
        _set("volumetry.customers.states", {"active": 100}),
        "spec.volumetry",
        "volumetry states are only allowed in carga and dr modes",
    ),
    (
        "states-not-summing-to-100",
        "perf/tenant-a",
        _set("volumetry.customers.states", {"active": 90, "blocked": 4}),
        "spec.volumetry.customers.states",
        "state shares must sum to 100",
    ),
    (
        "customers-above-the-hard-cap",
        "dev/tenant-a",
        _set("volumetry.customers.cap", 50001),
        "spec.volumetry.customers.cap",
        "should be less than or equal to 50000",
    ),
    (
        "burst-below-limit",
        "dev/tenant-a",
        _set("rateLimit.burst", 299),
        "spec.rateLimit.burst",
        "burst must be at least limit",
    ),
    (
        "p99-below-p95",
        "dev/tenant-a",
        _set("slo.p99TargetMs", 149),
        "spec.slo.p99TargetMs",
        "p99TargetMs must be at least p95TargetMs",
    ),
    (
        "max-interval-below-base",
        "perf/tenant-a",
        _set("backoff.maxIntervalSeconds", 1),
        "spec.backoff.maxIntervalSeconds",
        "maxIntervalSeconds must be at least baseSeconds",
    ),
    (
        "null-canary-in-a-baseline",
        "dev/tenant-a",
        _set("canary", None),
        "spec.canary",
        'spec.canary in body must be of type object: "null"',
    ),
    (
        "null-canary-in-canary-mode",
        "homolog/tenant-a",
        _set("canary", None),
        "spec.canary",
        'spec.canary in body must be of type object: "null"',
    ),
    (
        "null-optional-field",
        "perf/tenant-a",
        _set("rateLimit.burst", None),
        "spec.rateLimit.burst",
        'must be of type integer: "null"',
    ),
    (
        "empty-volumetry",
        "dev/tenant-a",
        _set("volumetry", {}),
        "spec.volumetry",
        "volumetry must name at least one entity",
    ),
    (
        "canary-with-percentage-and-tenants",
        "homolog/tenant-a",
        _set("canary", {"percentage": 10, "tenants": ["tenant-a"]}),
        "spec.canary",
        "give exactly one of percentage or tenants",
    ),
    (
        "empty-canary",
        "homolog/tenant-a",
        _set("canary", {}),
        "spec.canary",
        "give exactly one of percentage or tenants",
    ),
    (
        "canary-percentage-zero",
        "homolog/tenant-a",
        _set("canary", {"percentage": 0}),
        "spec.canary.percentage",
        "should be greater than 0",
    ),
    (
        "canary-duplicate-tenants",
        "homolog/tenant-a",
        _set("canary", {"tenants": ["tenant-a", "tenant-a"]}),
        ".spec.canary.tenants",
        "duplicate entries",
    ),
    (
        "string-for-an-integer",
        "dev/tenant-a",
        _set("volumetry.customers.cap", "100"),
        ".spec.volumetry.customers.cap",
        "expected numeric (int or float), got string",
    ),
    (
        "unknown-environment",
        "dev/tenant-a",
        _set("environment", "qa"),
        "spec.environment",
        'Unsupported value: "qa"',
    ),
    (
        "unquoted-time-as-a-number",
        "dev/tenant-a",
        _set("window.startUtc", 1320),
        ".spec.window.startUtc",
        "expected string, got",
    ),
    (
        "missing-integrity",
        "dev/tenant-a",
        _del("integrity"),
        "spec.integrity",
        "Required value",
    ),
    (
        "malformed-manifest-hash",
        "dev/tenant-a",
        _set("integrity.manifestHash", "ABC"),
        "spec.integrity.manifestHash",
        "should match '^[0-9a-f]{64}$'",
    ),
]


@pytest.mark.parametrize(
    ("example", "mutate", "field", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in REJECTIONS],
)
def test_invalid_profile_is_rejected_with_a_readable_message(
    control_plane: ControlPlane,
    namespace: str,
    example: str,
    mutate: Mutation,
    field: str,
    message: str,
) -> None:
    document = example_profile(example)
    mutate(document["spec"])
    result = apply(control_plane, document, namespace)
    assert_rejected(result, f"{field}: ", message)
    assert (
        stored_object(control_plane, "SeedProfile", namespace, document["metadata"]["name"]) is None
    )


def _with_unknown_field() -> Document:
    document = example_profile("dev/tenant-a")
    document["spec"]["surprise"] = 1
    return document


@pytest.mark.parametrize(
    ("verb", "answer"),
    [
        # Server-side apply builds a typed patch from the schema, whatever --validate says.
        (("apply", "--server-side", "--field-manager=test"), ".spec.surprise: field not declared"),
        (
            ("apply", "--server-side", "--field-manager=test", "--validate=ignore"),
            ".spec.surprise: field not declared",
        ),
        # Create and client-side apply: kubectl asks for fieldValidation=Strict by default.
        (("create",), 'strict decoding error: unknown field "spec.surprise"'),
        (("apply",), 'strict decoding error: unknown field "spec.surprise"'),
    ],
    ids=["server-side-apply", "server-side-apply-validate-ignore", "create", "client-side-apply"],
)
def test_unknown_field_is_rejected_by_kubectl(
    control_plane: ControlPlane, namespace: str, verb: tuple[str, ...], answer: str
) -> None:
    document = _with_unknown_field()
    document["metadata"]["namespace"] = namespace
    result = control_plane.kubectl(*verb, "-f", "-", input=yaml.safe_dump(document), check=False)
    assert_rejected(result, answer)
    assert stored_object(control_plane, "SeedProfile", namespace, "tenant-a-dev") is None


def test_unknown_field_is_pruned_silently_without_strict_field_validation(
    k8s: ApiClient, namespace: str
) -> None:
    """What the server does for API clients that do not ask for fieldValidation=Strict (the
    kubernetes client's and kopf's default): it stores the object without the unknown field and
    only sends a Warning header. Code that writes these resources must send Strict."""
    api = CustomObjectsApi(k8s)
    document = _with_unknown_field()
    document["metadata"]["namespace"] = namespace
    with pytest.raises(ApiException) as rejected:
        api.create_namespaced_custom_object(
            GROUP, VERSION, namespace, "seedprofiles", document, field_validation="Strict"
        )
    assert rejected.value.status == 400
    assert 'unknown field "spec.surprise"' in json.loads(str(rejected.value.body))["message"]

    stored: Document = api.create_namespaced_custom_object(  # type: ignore[assignment]
        GROUP, VERSION, namespace, "seedprofiles", document
    )
    assert "surprise" not in stored["spec"]
    del document["spec"]["surprise"]
    assert stored["spec"] == document["spec"]


# --- SeedRun: defaults, immutability, cancel, status ---------------------------------------------


def test_seedrun_defaults_dry_run_and_cancel_to_false(
    control_plane: ControlPlane, namespace: str
) -> None:
    run = example_run("dev/tenant-a-baseline")
    assert "dryRun" not in run["spec"]
    assert "cancel" not in run["spec"]
    spec = applied(control_plane, run, namespace)["spec"]
    assert spec["dryRun"] is False
    assert spec["cancel"] is False


IMMUTABLE_CHANGES = [
    ("profileRef", {"profileRef": {"name": "tenant-a-other"}}, "spec.profileRef"),
    ("dryRun", {"dryRun": False}, "spec.dryRun"),
    ("requestedBy", {"requestedBy": "someone-else@iabank.example"}, "spec.requestedBy"),
    ("profileHash", {"profileHash": "b" * 64}, "spec.profileHash"),
    ("idempotencyKey", {"idempotencyKey": "another-key"}, "spec.idempotencyKey"),
]


@pytest.mark.parametrize(
    ("field", "change", "path"), IMMUTABLE_CHANGES, ids=[c[0] for c in IMMUTABLE_CHANGES]
)
def test_seedrun_spec_field_cannot_change(
    control_plane: ControlPlane, namespace: str, field: str, change: Document, path: str
) -> None:
    # The staging dry run sets dryRun: true and an idempotencyKey; add a profileHash pin.
    run = example_run("staging/tenant-a-dry-run")
    run["spec"]["profileHash"] = "a" * 64
    before = applied(control_plane, run, namespace)
    run["spec"].update(change)
    result = apply(control_plane, run, namespace)
    assert_rejected(result, f"{path}: ", f"{field} is immutable; create a new SeedRun")
    after = stored_object(control_plane, "SeedRun", namespace, run["metadata"]["name"])
    assert after is not None
    assert after["spec"] == before["spec"]


OPTIONAL_PINS = [
    ("profileHash-added", "profileHash", "a" * 64, False),
    ("profileHash-removed", "profileHash", "a" * 64, True),
    ("idempotencyKey-added", "idempotencyKey", "late-key", False),
    ("idempotencyKey-removed", "idempotencyKey", "late-key", True),
]


@pytest.mark.parametrize(
    ("field", "value", "initially_set"),
    [pytest.param(*case[1:], id=case[0]) for case in OPTIONAL_PINS],
)
def test_seedrun_optional_pin_cannot_be_added_or_removed(
    control_plane: ControlPlane, namespace: str, field: str, value: str, initially_set: bool
) -> None:
    """SeedRunSpec: "Every field but cancel is immutable". FAILS today: the CRD's transition rule
    `self == oldSelf` sits on the optional field itself, and Kubernetes evaluates a transition rule
    only when the field exists in both the old and the new object, so adding or removing
    profileHash/idempotencyKey after creation is accepted. Fix (operator/seed_operator/crds.py,
    _SEEDRUN_TRANSITIONS, spec level): `has(self.<f>) == has(oldSelf.<f>)`, message
    "<f> is immutable; create a new SeedRun", fieldPath ".<f>"."""
    run = example_run("dev/tenant-a-baseline")
    run["spec"].pop(field, None)
    if initially_set:
        run["spec"][field] = value
    before = applied(control_plane, run, namespace)
    if initially_set:
        del run["spec"][field]
    else:
        run["spec"][field] = value
    result = apply(control_plane, run, namespace)
    after = stored_object(control_plane, "SeedRun", namespace, run["metadata"]["name"])
    assert after is not None
    assert after["spec"] == before["spec"], "the server let an immutable field be added/removed"
    assert_rejected(result, f"spec.{field}: ", f"{field} is immutable; create a new SeedRun")


def test_seedrun_can_be_cancelled_but_never_resumed(
    control_plane: ControlPlane, namespace: str
) -> None:
    run = example_run("dev/tenant-a-baseline")
    name = run["metadata"]["name"]
    created = applied(control_plane, run, namespace)
    assert created["metadata"]["generation"] == 1

    run["spec"]["cancel"] = True
    cancelled = applied(control_plane, run, namespace)
    assert cancelled["spec"]["cancel"] is True
    assert cancelled["metadata"]["generation"] == 2  # a spec change: the operator will see it

    run["spec"]["cancel"] = False
    resume = "a cancelled SeedRun cannot be resumed; create a new SeedRun"
    assert_rejected(apply(control_plane, run, namespace), "spec.cancel: ", resume)
    # Dropping the field does not help: the default (false) applies and the rule still holds.
    del run["spec"]["cancel"]
    assert_rejected(apply(control_plane, run, namespace), "spec.cancel: ", resume)
    merge = control_plane.kubectl(
        "patch",
        "seedrun",
        name,
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"cancel":false}}',
        check=False,
    )
    assert_rejected(merge, "spec.cancel: ", resume)

    after = stored_object(control_plane, "SeedRun", namespace, name)
    assert after is not None
    assert after["spec"]["cancel"] is True
    assert after["metadata"]["generation"] == 2


def test_seedrun_status_is_written_only_through_the_status_subresource(
    control_plane: ControlPlane, namespace: str
) -> None:
    run = example_run("dev/tenant-a-baseline")
    name = run["metadata"]["name"]
    with_status = copy.deepcopy(run)
    with_status["status"] = {"phase": "Succeeded"}

    # Status in the main resource is dropped on create...
    created = applied(control_plane, with_status, namespace)
    assert "status" not in created

    # ...but is stored through /status, without bumping metadata.generation.
    patch_status(control_plane, namespace, name, RUN_STATUS)
    stored = stored_object(control_plane, "SeedRun", namespace, name)
    assert stored is not None
    assert stored["status"] == RUN_STATUS
    assert stored["metadata"]["generation"] == 1

    # A server-side apply, a merge patch and a full PUT of the main resource leave it untouched.
    assert apply(control_plane, with_status, namespace).returncode == 0
    merge = control_plane.kubectl(
        "patch",
        "seedrun",
        name,
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"status":{"phase":"Failed"}}',
    )
    assert "(no change)" in merge.stdout
    stored["status"] = {"phase": "Cancelled"}
    stored["spec"]["cancel"] = True
    control_plane.kubectl("replace", "-f", "-", input=json.dumps(stored))
    after = stored_object(control_plane, "SeedRun", namespace, name)
    assert after is not None
    assert after["status"] == RUN_STATUS
    assert after["spec"]["cancel"] is True  # the spec part of that PUT did apply

    # And the reverse: a spec change sent to /status is ignored.
    after["spec"]["requestedBy"] = "intruder@iabank.example"
    after["status"]["phase"] = "Failed"
    control_plane.kubectl("replace", "--subresource=status", "-f", "-", input=json.dumps(after))
    final = stored_object(control_plane, "SeedRun", namespace, name)
    assert final is not None
    assert final["spec"]["requestedBy"] == run["spec"]["requestedBy"]
    assert final["status"]["phase"] == "Failed"


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        ({"phase": "Bogus"}, 'status.phase: Unsupported value: "Bogus"'),
        ({"exitCode": 256}, "status.exitCode: Invalid value: 256"),
        (
            {"batches": {"total": 1}},
            "status.batches.pending: Required value",
        ),
    ],
    ids=["unknown-phase", "exit-code-above-255", "incomplete-batches"],
)
def test_seedrun_status_is_validated(
    control_plane: ControlPlane, namespace: str, status: Document, answer: str
) -> None:
    run = example_run("dev/tenant-a-baseline")
    applied(control_plane, run, namespace)
    result = control_plane.kubectl(
        "patch",
        f"seedruns.{GROUP}",
        run["metadata"]["name"],
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
        check=False,
    )
    assert_rejected(result, answer)
