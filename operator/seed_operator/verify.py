"""Post-sync verification: one dry-run SeedRun per synced SeedProfile, waited for (``seed-verify``).

Argo CD runs this as the PostSync hook Job of manifests/argocd/verify/: it exits 0 only when every
dry run Succeeded, so a profile that cannot be seeded fails the sync (FR-006). Each dry run pins the
profile's ``manifestHash`` (a profile changed after the sync fails with ProfileDrift) and is
labelled ``seeding.iabank.io/verify-of=<profile>``; older verification runs beyond ``--keep`` are
deleted. It lives in the operator package, not in seedctl, because seedlib never imports a
Kubernetes client.

A dry run still honours the profile's window (there is no override): outside it the run stays
``Waiting``. ``--if-waiting`` says what that means for the verification: ``wait`` (until the window
opens or ``--timeout``), ``pass`` (the operator has validated the profile; the dry run executes when
the window opens) or ``fail``.

Exit codes: 0 every dry run Succeeded (or Waiting with ``--if-waiting pass``); the run's own exit
code (2-6, see seedlib/errors.py) for the first that Failed; 1 for a Cancelled run, a timeout or a
Waiting run with ``--if-waiting fail``; 2 when there is no profile to verify.

The pure parts (``build_verify_run``, ``verdict_of``, ``runs_to_prune``, ``exit_code_of``) are
unit-tested; ``main`` does the API calls, through ``seed_operator.kube``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from seed_operator import consts
from seed_operator.kube import Kube, default_namespace, load_config

__all__ = [
    "VERIFY_OF_LABEL",
    "Outcome",
    "Verdict",
    "build_verify_run",
    "exit_code_of",
    "main",
    "outcome_of",
    "runs_to_prune",
    "verdict_of",
]

VERIFY_OF_LABEL: Final = consts.LABEL_VERIFY_OF
NAME_HEAD: Final = 45  # generateName adds 5 characters; Job names add their own suffix later


class Verdict(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    WAITING = "waiting"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    profile: str
    run: str
    verdict: Verdict
    phase: str
    exit_code: int | None
    reason: str
    message: str


def build_verify_run(namespace: str, profile: dict[str, Any], requested_by: str) -> dict[str, Any]:
    """The dry-run SeedRun that verifies ``profile`` (a SeedProfile object as the API returns it)."""
    name = profile["metadata"]["name"]
    spec: dict[str, Any] = {
        "profileRef": {"name": name},
        "dryRun": True,
        "requestedBy": requested_by,
    }
    pinned = ((profile.get("spec") or {}).get("integrity") or {}).get("manifestHash")
    if isinstance(pinned, str) and len(pinned) == 64:
        spec["profileHash"] = pinned
    return {
        "apiVersion": consts.API_VERSION,
        "kind": consts.RUN_KIND,
        "metadata": {
            "generateName": f"{name[:NAME_HEAD].rstrip('-.')}-verify-",
            "namespace": namespace,
            "labels": {VERIFY_OF_LABEL: name[:63].rstrip("-_.")},
        },
        "spec": spec,
    }


def _ready_condition(status: dict[str, Any]) -> dict[str, Any]:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            return dict(condition)
    return {}


def verdict_of(run: dict[str, Any]) -> Verdict:
    phase = (run.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return Verdict.SUCCEEDED
    if phase in ("Failed", "Cancelled"):
        return Verdict.FAILED
    if phase == "Waiting":
        return Verdict.WAITING
    return Verdict.PENDING


def outcome_of(profile: str, run: dict[str, Any]) -> Outcome:
    status = run.get("status") or {}
    ready = _ready_condition(status)
    code = status.get("exitCode")
    return Outcome(
        profile=profile,
        run=run["metadata"]["name"],
        verdict=verdict_of(run),
        phase=str(status.get("phase") or "Pending"),
        exit_code=code if isinstance(code, int) else None,
        reason=str(ready.get("reason") or ""),
        message=str(status.get("message") or ready.get("message") or ""),
    )


def exit_code_of(outcomes: Sequence[Outcome], if_waiting: str) -> int:
    """0 when every run passed; else the first failure's exit code (1 when it has none)."""
    for outcome in outcomes:
        if outcome.verdict is Verdict.FAILED:
            return outcome.exit_code if outcome.exit_code else 1
    unfinished = [
        o
        for o in outcomes
        if o.verdict is Verdict.PENDING or (o.verdict is Verdict.WAITING and if_waiting != "pass")
    ]
    return 1 if unfinished else 0


def runs_to_prune(runs: Sequence[dict[str, Any]], keep: int) -> list[str]:
    """Names of finished verification runs of one profile beyond the newest ``keep``."""
    finished = [r for r in runs if verdict_of(r) in (Verdict.SUCCEEDED, Verdict.FAILED)]
    finished.sort(
        key=lambda r: (r["metadata"].get("creationTimestamp", ""), r["metadata"]["name"]),
        reverse=True,
    )
    return [r["metadata"]["name"] for r in finished[keep:]]


def _describe(outcome: Outcome) -> str:
    line = f"{outcome.profile}: dry run {outcome.run} {outcome.phase}"
    if outcome.exit_code is not None and outcome.verdict is Verdict.FAILED:
        line += f" (exit {outcome.exit_code}"
        line += f", {outcome.reason})" if outcome.reason else ")"
    if outcome.message:
        line += f": {outcome.message}"
    return line


# --- I/O -----------------------------------------------------------------------------------------


def _profiles(
    kube: Kube, namespace: str, args: argparse.Namespace, say: Callable[[str], None]
) -> list[Any]:
    """The profiles to verify; a named one that does not exist is left out (and said)."""
    if args.profile:
        found = []
        for name in args.profile:
            profile = kube.get_profile(namespace, name)
            if profile is None:
                say(f"{name}: no such SeedProfile in namespace {namespace}")
            else:
                found.append(profile)
        return found
    selector = args.selector
    return sorted(kube.list_profiles(namespace, selector), key=lambda p: p["metadata"]["name"])


def _prune(kube: Kube, namespace: str, profile: str, keep: int, say: Callable[[str], None]) -> None:
    selector = f"{consts.LABEL_VERIFY_OF}={profile[:63].rstrip('-_.')}"
    for name in runs_to_prune(kube.list_runs(namespace, selector), keep):
        kube.delete_run(namespace, name)
        say(f"{profile}: deleted the old verification run {name}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seed-verify",
        description="Create a dry-run SeedRun for each SeedProfile of a namespace and wait for "
        "them: exit 0 only if every one Succeeded (the Argo CD PostSync verification).",
    )
    parser.add_argument(
        "--namespace", "-n", help="default: the pod's namespace, else the kubeconfig context's"
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME",
        help="verify this SeedProfile (repeatable); default: every profile in the namespace",
    )
    parser.add_argument(
        "--selector", "-l", default="", help="label selector of the profiles to verify"
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds (default 900)")
    parser.add_argument("--poll", type=float, default=2.0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--if-waiting",
        choices=["wait", "pass", "fail"],
        default="wait",
        help="a dry run Waiting for its profile's window: keep waiting (default), pass (the "
        "profile was validated; the run executes when the window opens) or fail",
    )
    parser.add_argument(
        "--requested-by", default="seed-verify", help="spec.requestedBy of the dry runs"
    )
    parser.add_argument(
        "--keep",
        type=int,
        default=3,
        help="finished verification runs kept per profile (older ones are deleted)",
    )
    return parser


def _wait(
    kube: Kube,
    namespace: str,
    created: dict[str, str],
    args: argparse.Namespace,
    say: Callable[[str], None],
) -> dict[str, Outcome]:
    """Poll the dry runs until each is settled or the timeout passes; say each outcome once."""
    deadline = time.monotonic() + args.timeout
    outcomes: dict[str, Outcome] = {}
    settled = {Verdict.SUCCEEDED, Verdict.FAILED}
    if args.if_waiting != "wait":
        settled.add(Verdict.WAITING)
    while True:
        for profile, name in created.items():
            if profile in outcomes and outcomes[profile].verdict in settled:
                continue
            run = kube.get_run(namespace, name)
            outcomes[profile] = outcome_of(profile, run)
            if outcomes[profile].verdict in settled:
                say(_describe(outcomes[profile]))
        if all(o.verdict in settled for o in outcomes.values()):
            break
        if time.monotonic() >= deadline:
            for outcome in outcomes.values():
                if outcome.verdict not in settled:
                    say(f"{_describe(outcome)} (not finished after {args.timeout:g}s)")
            break
        time.sleep(args.poll)
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.keep < 1:
        parser.error("--keep must be at least 1 (the run just made is always kept)")

    def say(line: str) -> None:
        print(line, flush=True)

    namespace = args.namespace or default_namespace()
    if not namespace:
        say("seed-verify: no namespace: pass --namespace")
        return 2
    load_config()
    kube = Kube()
    profiles = _profiles(kube, namespace, args, say)
    if not profiles:
        which = f" matching {args.selector!r}" if args.selector else ""
        say(f"seed-verify: no SeedProfile{which} in namespace {namespace}: nothing to verify")
        return 2
    created: dict[str, str] = {}
    for profile in profiles:
        body = build_verify_run(namespace, profile, args.requested_by)
        run = kube.create_run(namespace, body)
        created[profile["metadata"]["name"]] = run["metadata"]["name"]
        say(f"{profile['metadata']['name']}: created dry run {run['metadata']['name']}")

    outcomes = _wait(kube, namespace, created, args, say)
    for profile in created:
        _prune(kube, namespace, profile, args.keep, say)
    code = exit_code_of(list(outcomes.values()), args.if_waiting)
    passed = sum(o.verdict is Verdict.SUCCEEDED for o in outcomes.values())
    say(f"seed-verify: {passed}/{len(outcomes)} dry run(s) succeeded in {namespace}; exit {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
