"""The SeedProfile v1 contract: every example is valid, every rule rejects with the right path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from seedlib.contract.profile import Mode, SeedProfileSpec
from seedlib.errors import ExitCode, InvalidInputError, Reason
from seedlib.rules.validation import (
    HASH_PATH,
    load_profile_spec,
    validate_document,
    validate_profile_spec,
)
from tests.support import PROFILE_FILES, PROFILES, REPO, load_yaml, rehash

Doc = dict[str, Any]


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: str(p.relative_to(PROFILES)))
def test_every_example_profile_is_valid(path):
    result = validate_document(load_yaml(path), source=str(path))
    assert result.violations == ()
    assert result.kind == "SeedProfile"
    spec = load_yaml(path)["spec"]
    assert result.computed_hash == spec["integrity"]["manifestHash"]
    # the env folder and the file name are the profile's environment and tenant
    assert (spec["environment"], spec["tenant"]) == (path.parent.name, path.stem)


def test_examples_cover_every_mode_and_the_required_environments():
    specs = [load_yaml(p)["spec"] for p in PROFILE_FILES]
    assert {s["mode"] for s in specs} == {m.value for m in Mode}
    tenant_a_envs = {s["environment"] for s in specs if s["tenant"] == "tenant-a"}
    assert tenant_a_envs == {"dev", "homolog", "staging", "perf", "dr"}
    assert (PROFILES / "dev" / "tenant-b.yaml").exists()


def test_sample_runs_pin_the_current_profile_hash():
    for path in sorted((REPO / "manifests" / "runs").rglob("*.yaml")):
        run = load_yaml(path)
        assert validate_document(run, source=str(path)).valid, path
        pin = run["spec"].get("profileHash")
        if pin:
            env = path.parent.name
            profile = load_yaml(
                PROFILES / env / f"{run['spec']['profileRef']['name'][: -len(env) - 1]}.yaml"
            )
            assert pin == profile["spec"]["integrity"]["manifestHash"], path


def set_in(doc: Doc, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = doc
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def drop(doc: Doc, dotted: str) -> None:
    *parents, leaf = dotted.split(".")
    node = doc
    for key in parents:
        node = node[key]
    del node[leaf]


def setting(dotted: str, value: Any) -> Callable[[Doc], None]:
    return lambda doc: set_in(doc, dotted, value)


def dropping(dotted: str) -> Callable[[Doc], None]:
    return lambda doc: drop(doc, dotted)


def both(*mutations: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for mutation in mutations:
            mutation(doc)

    return apply


# (example, mutation, the path a violation must name)
RULES: list[tuple[str, Callable[[Doc], None], str]] = [
    ("dev/tenant-a", dropping("spec.referenceDatetime"), "spec.referenceDatetime"),
    (
        "dev/tenant-a",
        setting("spec.referenceDatetime", "2025-01-01T00:00:00+00:00"),
        "spec.referenceDatetime",
    ),
    (
        "dev/tenant-a",
        setting("spec.referenceDatetime", "2025-02-30T00:00:00Z"),
        "spec.referenceDatetime",
    ),
    ("dev/tenant-a", setting("spec.referenceDatetime", "2025-01-01"), "spec.referenceDatetime"),
    ("dev/tenant-a", setting("spec.environment", "production"), "spec.environment"),
    ("dev/tenant-a", setting("spec.mode", "bulk"), "spec.mode"),
    ("dev/tenant-a", setting("spec.version", "1.0"), "spec.version"),
    ("dev/tenant-a", setting("spec.version", "01.0.0"), "spec.version"),
    ("dev/tenant-a", setting("spec.schemaVersion", "v2"), "spec.schemaVersion"),
    ("dev/tenant-a", setting("spec.saltVersion", "1"), "spec.saltVersion"),
    ("dev/tenant-a", setting("spec.tenant", "Tenant_A"), "spec.tenant"),
    ("dev/tenant-a", setting("spec.profile", ""), "spec.profile"),
    ("dev/tenant-a", setting("spec.window.startUtc", "24:00"), "spec.window.startUtc"),
    ("dev/tenant-a", setting("spec.window.startUtc", 1320), "spec.window.startUtc"),
    ("dev/tenant-a", setting("spec.window.endUtc", "00:00"), "spec.window.endUtc"),
    ("dev/tenant-a", setting("spec.volumetry.accounts", {"cap": 1}), "spec.volumetry.accounts"),
    ("dev/tenant-a", setting("spec.volumetry.customers.cap", 0), "spec.volumetry.customers.cap"),
    (
        "dev/tenant-a",
        setting("spec.volumetry.customers.cap", 50_001),
        "spec.volumetry.customers.cap",
    ),
    (
        "dev/tenant-a",
        setting("spec.volumetry.customers.cap", "100"),
        "spec.volumetry.customers.cap",
    ),
    ("dev/tenant-a", setting("spec.volumetry.customers.cap", True), "spec.volumetry.customers.cap"),
    (
        "dev/tenant-a",
        setting("spec.volumetry.customers.cap", 100.5),
        "spec.volumetry.customers.cap",
    ),
    (
        "dev/tenant-a",
        setting("spec.volumetry.financialTransactions.cap", 1_000_001),
        "spec.volumetry.financialTransactions.cap",
    ),
    (
        "dev/tenant-a",
        setting("spec.volumetry.contracts.cap", 200_001),
        "spec.volumetry.contracts.cap",
    ),
    (
        "dev/tenant-a",
        setting("spec.volumetry.customers.targetPct", 101),
        "spec.volumetry.customers.targetPct",
    ),
    ("dev/tenant-a", setting("spec.volumetry", {}), "spec.volumetry"),
    (
        "dev/tenant-a",
        setting("spec.volumetry.customers.states", {"active": 90, "blocked": 10}),
        "spec.volumetry.customers.states",
    ),
    (
        "perf/tenant-a",
        setting("spec.volumetry.loans.states.active", 91),
        "spec.volumetry.loans.states",
    ),
    (
        "perf/tenant-a",
        setting("spec.volumetry.loans.states.active", 101),
        "spec.volumetry.loans.states.active",
    ),
    (
        "perf/tenant-a",
        setting("spec.volumetry.loans.states.frozen", 0),
        "spec.volumetry.loans.states.frozen",
    ),
    (
        "perf/tenant-a",
        setting("spec.volumetry.users.states", {"active": 100}),
        "spec.volumetry.users.states",
    ),
    ("dev/tenant-a", setting("spec.rateLimit.limit", 0), "spec.rateLimit.limit"),
    ("dev/tenant-a", setting("spec.rateLimit.windowSeconds", 0), "spec.rateLimit.windowSeconds"),
    ("dev/tenant-a", setting("spec.rateLimit.burst", 10), "spec.rateLimit.burst"),
    ("dev/tenant-a", setting("spec.backoff.jitterFactor", 1.5), "spec.backoff.jitterFactor"),
    ("dev/tenant-a", setting("spec.backoff.jitterFactor", -0.1), "spec.backoff.jitterFactor"),
    ("dev/tenant-a", setting("spec.backoff.baseSeconds", 0), "spec.backoff.baseSeconds"),
    ("dev/tenant-a", setting("spec.backoff.maxRetries", -1), "spec.backoff.maxRetries"),
    (
        "dev/tenant-a",
        setting("spec.backoff.maxIntervalSeconds", 0),
        "spec.backoff.maxIntervalSeconds",
    ),
    (
        "dev/tenant-a",
        both(
            setting("spec.backoff.baseSeconds", 10), setting("spec.backoff.maxIntervalSeconds", 5)
        ),
        "spec.backoff.maxIntervalSeconds",
    ),
    ("dev/tenant-a", setting("spec.budget.costCapBrl", "5.0"), "spec.budget.costCapBrl"),
    ("dev/tenant-a", setting("spec.budget.costCapBrl", 5.0), "spec.budget.costCapBrl"),
    ("dev/tenant-a", setting("spec.budget.costCapBrl", "-1.00"), "spec.budget.costCapBrl"),
    ("dev/tenant-a", setting("spec.budget.errorBudgetPct", 100.1), "spec.budget.errorBudgetPct"),
    ("dev/tenant-a", dropping("spec.ttl.drDays"), "spec.ttl.drDays"),
    ("dev/tenant-a", setting("spec.ttl.cargaDays", -1), "spec.ttl.cargaDays"),
    ("dev/tenant-a", setting("spec.slo.p99TargetMs", 100), "spec.slo.p99TargetMs"),
    ("dev/tenant-a", setting("spec.slo.p95TargetMs", 0), "spec.slo.p95TargetMs"),
    ("dev/tenant-a", setting("spec.slo.throughputTargetRps", 0.05), "spec.slo.throughputTargetRps"),
    ("dev/tenant-a", setting("spec.canary", {"percentage": 10}), "spec.canary"),
    ("dev/tenant-a", setting("spec.canary", None), "spec.canary"),
    ("homolog/tenant-a", dropping("spec.canary"), "spec.canary"),
    ("homolog/tenant-a", setting("spec.canary.tenants", ["tenant-a"]), "spec.canary"),
    ("homolog/tenant-a", setting("spec.canary", {}), "spec.canary"),
    ("homolog/tenant-a", setting("spec.canary.percentage", 0), "spec.canary.percentage"),
    ("homolog/tenant-a", setting("spec.canary", {"tenants": []}), "spec.canary.tenants"),
    ("homolog/tenant-a", setting("spec.canary", {"tenants": ["a", "a"]}), "spec.canary.tenants"),
    ("dev/tenant-a", setting("spec.extra", 1), "spec.extra"),
    ("dev/tenant-a", setting("spec.window.timezone", "UTC"), "spec.window.timezone"),
    ("dev/tenant-a", dropping("spec.window"), "spec.window"),
    ("dev/tenant-a", dropping("spec.rateLimit"), "spec.rateLimit"),
    ("dev/tenant-a", dropping("spec.slo"), "spec.slo"),
    ("dev/tenant-a", setting("apiVersion", "seeding.iabank.io/v1"), "apiVersion"),
    ("dev/tenant-a", setting("metadata.name", "Not_A_Name"), "metadata.name"),
]


@pytest.mark.parametrize(
    ("example", "mutate", "path"), RULES, ids=[r[2] + f"#{i}" for i, r in enumerate(RULES)]
)
def test_each_rule_rejects_naming_the_path(example, mutate, path):
    doc = load_yaml(PROFILES / f"{example}.yaml")
    mutate(doc)
    rehash(doc)
    result = validate_document(doc, source="mutated.yaml")
    paths = [v.path for v in result.violations]
    assert path in paths, result.violations
    assert HASH_PATH not in paths  # re-hashed: only the intended rule may fire
    assert all(v.hint for v in result.violations)


def test_window_may_cross_midnight(profile):
    set_in(profile, "spec.window", {"startUtc": "22:00", "endUtc": "06:00"})
    assert validate_document(rehash(profile), source="x").valid


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: None, "missing"),
        (lambda d: set_in(d, "spec.integrity.manifestHash", ""), "empty"),
        (lambda d: set_in(d, "spec.integrity.manifestHash", "ABC"), "64 lowercase hex"),
        (lambda d: set_in(d, "spec.volumetry.customers.cap", 101), "does not match"),
    ],
    ids=["missing", "empty", "malformed", "stale"],
)
def test_integrity_violations_name_the_hash_and_the_fix(profile, mutate, message):
    if message == "missing":
        del profile["spec"]["integrity"]
    mutate(profile)
    result = validate_document(profile, source="manifests/profiles/dev/tenant-a.yaml")
    [violation] = result.violations
    assert violation.path == HASH_PATH
    assert message in violation.message
    assert "seedctl hash --write manifests/profiles/dev/tenant-a.yaml" in violation.hint


def test_stale_hash_reports_the_expected_digest(profile):
    set_in(profile, "spec.window.endUtc", "23:58")
    expected = rehash(copy.deepcopy(profile))["spec"]["integrity"]["manifestHash"]
    [violation] = validate_document(profile, source="f.yaml").violations
    assert expected in violation.message


def test_every_violation_is_listed_at_once(profile):
    set_in(profile, "spec.window.startUtc", "7am")
    set_in(profile, "spec.slo.p95TargetMs", 0)
    set_in(profile, "spec.unknown", True)
    del profile["spec"]["ttl"]
    paths = {v.path for v in validate_document(profile, source="f").violations}
    assert {
        "spec.window.startUtc",
        "spec.slo.p95TargetMs",
        "spec.unknown",
        "spec.ttl",
        HASH_PATH,
    } <= paths


def test_unknown_field_hint_suggests_the_close_name(profile):
    profile["spec"]["refrenceDatetime"] = profile["spec"].pop("referenceDatetime")
    violations = validate_document(rehash(profile), source="f").violations
    typo = next(v for v in violations if v.path == "spec.refrenceDatetime")
    assert "did you mean `referenceDatetime`" in typo.hint


def test_unquoted_sexagesimal_time_gets_a_quoting_hint(profile):
    set_in(profile, "spec.window.startUtc", 1320)  # what YAML 1.1 makes of an unquoted 22:00
    [violation] = validate_document(rehash(profile), source="f").violations
    assert 'quote the time, e.g. "22:00"' in violation.hint


@pytest.mark.parametrize(
    "document",
    [None, [], "text", 42, {"kind": "ConfigMap", "apiVersion": "v1"}, {"kind": "SeedProfile"}],
    ids=["null", "list", "string", "number", "configmap", "bare-kind"],
)
def test_non_profile_documents_are_invalid_not_errors(document):
    result = validate_document(document, source="f")
    assert not result.valid
    assert result.violations[0].hint


def test_foreign_documents_are_skipped_only_when_asked():
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "x"}}
    assert validate_document(app, source="f", skip_foreign=True).skipped
    assert not validate_document(app, source="f").valid


def test_status_of_an_exported_resource_is_ignored(profile):
    profile["status"] = {"whatever": "the server wrote"}
    assert validate_document(profile, source="f").valid


def test_load_profile_spec_is_fail_closed(profile):
    spec = load_profile_spec(profile["spec"])
    assert isinstance(spec, SeedProfileSpec)
    assert spec.manifest_hash == profile["spec"]["integrity"]["manifestHash"]
    profile["spec"]["volumetry"]["customers"]["cap"] = 7
    with pytest.raises(InvalidInputError) as caught:
        load_profile_spec(profile["spec"])
    assert caught.value.reason is Reason.PROFILE_INVALID
    assert caught.value.exit_code is ExitCode.INVALID
    assert HASH_PATH in str(caught.value)


def test_model_dump_hashes_like_the_raw_document():
    for path in PROFILE_FILES:
        raw = load_yaml(path)["spec"]
        model, violations = validate_profile_spec(raw)
        assert model is not None, violations
        dumped = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
        assert dumped == raw


def test_typed_accessors(profile):
    spec = load_profile_spec(profile["spec"])
    assert spec.reference_instant.isoformat() == "2025-01-01T00:00:00+00:00"
    assert str(spec.budget.cost_cap) == "5.00"
    assert spec.ttl.days_for(spec.mode) == 1
    assert spec.volumetry.entries()
