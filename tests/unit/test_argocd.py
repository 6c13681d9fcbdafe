"""Argo CD pieces without Argo CD: the SeedRun health check runs in a real Lua 5.1 (lupa, the
dialect of Argo CD's gopher-lua) against SeedRuns of every phase; the argocd-cm snippet carries the
same Lua; the Applications use the promised sync waves; seed-verify's pure decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from lupa import lua51

from seed_operator.verify import (
    VERIFY_OF_LABEL,
    Verdict,
    build_verify_run,
    exit_code_of,
    outcome_of,
    runs_to_prune,
    verdict_of,
)
from seedlib.contract.seedrun import Phase

ARGOCD = Path(__file__).resolve().parents[2] / "manifests" / "argocd"
SEEDRUN_LUA = ARGOCD / "health" / "seedrun.lua"
APPLICATION_LUA = ARGOCD / "health" / "application.lua"


def health(script: Path | str, obj: dict[str, Any]) -> dict[str, str]:
    """Runs a health script the way Argo CD does: `obj` is a global, the script returns hs."""
    lua = lua51.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    source = script.read_text(encoding="utf-8") if isinstance(script, Path) else script
    result = lua.execute(source)
    return {"status": result["status"], "message": result["message"]}


def seedrun(phase: str | None, **status: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "seeding.iabank.io/v1alpha1",
        "kind": "SeedRun",
        "metadata": {"name": "tenant-a-staging", "namespace": "seeding", "generation": 1},
        "spec": {"profileRef": {"name": "tenant-a-staging"}, "requestedBy": "ci"},
    }
    if phase is not None:
        body["status"] = {"phase": phase, "observedGeneration": 1, **status}
    return body


EXPECTED = {
    "Pending": "Progressing",
    "Waiting": "Suspended",
    "Queued": "Progressing",
    "Running": "Progressing",
    "Succeeded": "Healthy",
    "Failed": "Degraded",
    "Cancelled": "Degraded",
}


def test_every_phase_of_the_crd_has_an_expected_health():
    assert set(EXPECTED) == {p.value for p in Phase}


@pytest.mark.parametrize(("phase", "status"), sorted(EXPECTED.items()))
def test_health_of_each_phase(phase, status):
    assert health(SEEDRUN_LUA, seedrun(phase))["status"] == status


def test_a_run_without_status_is_progressing():
    result = health(SEEDRUN_LUA, seedrun(None))
    assert result == {
        "status": "Progressing",
        "message": "waiting for seed-operator to pick up the run",
    }


def test_failed_names_reason_and_exit_code():
    run = seedrun(
        "Failed",
        exitCode=4,
        message="Vault at https://vault:8200 is sealed",
        conditions=[
            {"type": "ProfileValid", "status": "True", "reason": "Validated"},
            {"type": "Ready", "status": "False", "reason": "VaultUnavailable"},
        ],
    )
    assert health(SEEDRUN_LUA, run) == {
        "status": "Degraded",
        "message": "Failed (VaultUnavailable, exit 4): Vault at https://vault:8200 is sealed",
    }


def test_waiting_says_when_the_window_opens():
    run = seedrun(
        "Waiting", message="outside the window 00:00-06:00 UTC; opens 2025-01-02T00:00:00Z"
    )
    assert health(SEEDRUN_LUA, run) == {
        "status": "Suspended",
        "message": "outside the window 00:00-06:00 UTC; opens 2025-01-02T00:00:00Z",
    }


def test_progress_messages_show_queue_position_and_batches():
    queued = seedrun("Queued", queue={"enqueuedAt": "2025-01-01T00:00:00Z", "position": 2})
    assert health(SEEDRUN_LUA, queued)["message"] == "Queued at position 2"
    running = seedrun(
        "Running",
        batches={"total": 12, "pending": 4, "running": 1, "succeeded": 7, "failed": 0},
    )
    assert health(SEEDRUN_LUA, running)["message"] == "Running: 7/12 batches"


def test_succeeded_points_at_the_report():
    run = seedrun(
        "Succeeded",
        report={
            "uri": "s3://worm/seeds/staging/tenant-a/x.json",
            "sha256": "0" * 64,
            "verified": True,
        },
    )
    assert health(SEEDRUN_LUA, run) == {
        "status": "Healthy",
        "message": "report s3://worm/seeds/staging/tenant-a/x.json",
    }


def test_application_health_follows_its_resources():
    assert health(APPLICATION_LUA, {"status": {"health": {"status": "Degraded"}}})["status"] == (
        "Degraded"
    )
    assert health(APPLICATION_LUA, {"metadata": {"name": "new"}})["status"] == "Progressing"


def test_argocd_cm_snippet_installs_exactly_these_scripts():
    config = yaml.safe_load((ARGOCD / "argocd-cm.yaml").read_text(encoding="utf-8"))
    assert config["metadata"] == {
        "name": "argocd-cm",
        "namespace": "argocd",
        "labels": {
            "app.kubernetes.io/name": "argocd-cm",
            "app.kubernetes.io/part-of": "argocd",
        },
    }
    data = config["data"]
    assert data["resource.customizations.health.seeding.iabank.io_SeedRun"] == (
        SEEDRUN_LUA.read_text(encoding="utf-8")
    )
    assert data["resource.customizations.health.argoproj.io_Application"] == (
        APPLICATION_LUA.read_text(encoding="utf-8")
    )
    # and the snippet's copy runs as well as the file
    assert (
        health(data["resource.customizations.health.seeding.iabank.io_SeedRun"], seedrun("Failed"))[
            "status"
        ]
        == "Degraded"
    )


def test_applications_sync_in_the_promised_waves():
    waves: dict[str, tuple[int, list[str]]] = {}
    for path in sorted((ARGOCD / "apps").glob("*.yaml")):
        app = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert app["kind"] == "Application"
        sources = app["spec"].get("sources") or [app["spec"]["source"]]
        wave = int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        waves[app["metadata"]["name"]] = (wave, [s["path"] for s in sources])
    assert waves == {
        "seed-operator-crds": (-2, ["crds"]),
        "seed-operator": (-1, ["helm/seed-operator"]),
        "seed-profiles-staging": (0, ["manifests/profiles/staging", "manifests/argocd/verify"]),
        "seed-runs-staging": (1, ["manifests/runs/staging"]),
    }
    root = yaml.safe_load((ARGOCD / "root.yaml").read_text(encoding="utf-8"))
    assert root["spec"]["source"]["path"] == "manifests/argocd/apps"
    operator = yaml.safe_load((ARGOCD / "apps" / "operator.yaml").read_text(encoding="utf-8"))
    assert operator["spec"]["source"]["helm"]["skipCrds"] is True  # wave -2 owns the CRDs


def test_verify_hook_is_a_postsync_job_running_seed_verify():
    docs = list(yaml.safe_load_all((ARGOCD / "verify" / "verify-hook.yaml").read_text("utf-8")))
    (job,) = [d for d in docs if d["kind"] == "Job"]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostSync"
    assert job["spec"]["backoffLimit"] == 0
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"][0] == "seed-verify"
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "seed-verify"


# --- seed-verify's pure decisions ------------------------------------------------------------


PROFILE = {
    "metadata": {"name": "tenant-a-staging", "namespace": "seeding"},
    "spec": {"tenant": "tenant-a", "integrity": {"manifestHash": "ab" * 32}},
}


def test_the_verification_run_is_a_dry_run_pinned_to_the_synced_hash():
    run = build_verify_run("seeding", PROFILE, "argocd-postsync")
    assert run["spec"] == {
        "profileRef": {"name": "tenant-a-staging"},
        "dryRun": True,
        "requestedBy": "argocd-postsync",
        "profileHash": "ab" * 32,
    }
    assert run["metadata"]["generateName"] == "tenant-a-staging-verify-"
    assert run["metadata"]["labels"] == {VERIFY_OF_LABEL: "tenant-a-staging"}
    long = {"metadata": {"name": "x" * 60 + "-y"}, "spec": {}}
    made = build_verify_run("seeding", long, "ci")
    assert len(made["metadata"]["generateName"]) <= 58 and "profileHash" not in made["spec"]


def _run(name: str, phase: str | None, created: str = "2025-01-01T00:00:00Z", **status: Any):
    body: dict[str, Any] = {"metadata": {"name": name, "creationTimestamp": created}}
    if phase:
        body["status"] = {"phase": phase, **status}
    return body


def test_verdicts():
    assert [verdict_of(_run("r", p)) for p in (None, "Pending", "Queued", "Running")] == [
        Verdict.PENDING
    ] * 4
    assert verdict_of(_run("r", "Waiting")) is Verdict.WAITING
    assert verdict_of(_run("r", "Succeeded")) is Verdict.SUCCEEDED
    assert verdict_of(_run("r", "Failed")) is verdict_of(_run("r", "Cancelled")) is Verdict.FAILED


def test_exit_code_is_the_failed_runs_own():
    ok = outcome_of("a", _run("a-1", "Succeeded", exitCode=0))
    failed = outcome_of(
        "b",
        _run(
            "b-1",
            "Failed",
            exitCode=4,
            message="salt unreadable",
            conditions=[{"type": "Ready", "reason": "VaultUnavailable"}],
        ),
    )
    cancelled = outcome_of("c", _run("c-1", "Cancelled"))
    waiting = outcome_of("d", _run("d-1", "Waiting"))
    pending = outcome_of("e", _run("e-1", "Running"))
    assert failed.reason == "VaultUnavailable" and failed.message == "salt unreadable"
    assert exit_code_of([ok], "wait") == 0
    assert exit_code_of([ok, failed], "wait") == 4
    assert exit_code_of([ok, cancelled], "pass") == 1
    assert exit_code_of([ok, waiting], "pass") == 0
    assert exit_code_of([ok, waiting], "fail") == 1
    assert exit_code_of([ok, waiting], "wait") == 1  # still waiting at the timeout
    assert exit_code_of([ok, pending], "pass") == 1


def test_prunes_only_finished_runs_beyond_the_newest():
    runs = [
        _run("r1", "Succeeded", "2025-01-01T00:00:00Z"),
        _run("r2", "Failed", "2025-01-02T00:00:00Z"),
        _run("r3", "Running", "2025-01-03T00:00:00Z"),
        _run("r4", "Succeeded", "2025-01-04T00:00:00Z"),
        _run("r5", "Succeeded", "2025-01-05T00:00:00Z"),
    ]
    assert runs_to_prune(runs, keep=2) == ["r2", "r1"]
    assert runs_to_prune(runs, keep=5) == []
