"""make bench-operator: the operator's scheduling under load, on a real kube-apiserver.

200 SeedRuns for 50 tenants (4 each), global cap 2, against the test control plane and the test
kubelet, with *instant* Jobs: ``seedctl`` is replaced by a script that writes the JSON result the
operator expects and exits 0, so what is measured is the operator (watch, decide, Leases, Job
creation, status writes), not PostgreSQL. Printed:

  * p95 of SeedRun creation -> its first Job (queueing included: with cap 2 most runs wait), and of
    the hand-off: a run finishing frees a slot -> the next queued run's first Job (the operator's
    own delay);
  * the maximum number of Running SeedRuns seen at once, from a watch (must not exceed the cap);
  * the total time, and its ratio to a baseline measured in the same run: one run alone, times
    runs / cap (perfect packing of the slots). 1.0 would be no scheduling overhead at all.

    python -m tests.bench.seedruns [--runs 200] [--tenants 50] [--cap 2]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import yaml
from kubernetes import watch
from kubernetes.client import BatchV1Api, CustomObjectsApi

from seedlib.contract.canonical import manifest_hash
from seedlib.contract.job import (
    BatchId,
    BatchResult,
    DryRunResult,
    JobResult,
    JobRole,
    PreflightResult,
    ReportResult,
    RunId,
    RunOutcome,
)
from tests.cluster.controlplane import ControlPlane, install_crds
from tests.cluster.kubelet import TestKubelet
from tests.services import free_port, stop_process
from tests.support import PROFILES, REPO

GROUP, VERSION = "seeding.iabank.io", "v1alpha1"


def _instant_seedctl() -> str:
    """Instant stand-in for `seedctl job ROLE` (make bench-operator): the JobResult line the
    operator reads, exit 0. The batch size it answers is the operator's SEED_BATCH_ROWS below."""
    report = ReportResult(
        uri="s3://bench/report.json", sha256="0" * 64, verified=True, outcome=RunOutcome.SUCCEEDED
    )
    lines = {
        JobRole.PREFLIGHT: JobResult(
            role=JobRole.PREFLIGHT,
            exit_code=0,
            preflight=PreflightResult(checks=(), batch_rows=100_000),
        ),
        JobRole.REPORT: JobResult(role=JobRole.REPORT, exit_code=0, report=report),
        JobRole.CANCEL_REPORT: JobResult(role=JobRole.CANCEL_REPORT, exit_code=0, report=report),
        JobRole.BATCH: JobResult(
            role=JobRole.BATCH,
            exit_code=0,
            batch=BatchResult(
                batch_id=BatchId("tenants:0-1"),
                table="tenants",
                rows=1,
                sha256="0" * 64,
                written=True,
                seconds=0.0,
            ),
        ),
        JobRole.DRY_RUN: JobResult(
            role=JobRole.DRY_RUN,
            exit_code=0,
            dry_run=DryRunResult(run_id=RunId(uuid.UUID(int=0)), rows=0),
        ),
    }
    cases = "\n".join(
        f"  {role.value}) result='{line.to_line()}' ;;" for role, line in lines.items()
    )
    return f"""#!/bin/sh
# Instant stand-in for seedctl job ROLE (make bench-operator): its JobResult line, exit 0.
case "$2" in
{cases}
esac
printf '%s\\n' "$result" > "$TERMINATION_MESSAGE_PATH"
printf '%s\\n' "$result"
"""


INSTANT_SEEDCTL = _instant_seedctl()


def _profile(namespace: str, tenant: str) -> dict[str, Any]:
    document = copy.deepcopy(yaml.safe_load((PROFILES / "dev" / "tenant-a.yaml").read_text()))
    document["metadata"] = {"name": f"{tenant}-dev", "namespace": namespace}
    spec = document["spec"]
    spec["tenant"] = tenant
    spec["integrity"] = {"manifestHash": manifest_hash(spec)}  # the hash leaves integrity out
    return dict(document)


def _run(namespace: str, name: str, tenant: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "SeedRun",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"profileRef": {"name": f"{tenant}-dev"}, "requestedBy": "bench@iabank.example"},
    }


class Observer:
    """Watches SeedRuns (phases) and Jobs (the first Job of each run) and timestamps both."""

    def __init__(self, plane: ControlPlane, namespace: str) -> None:
        self.client = plane.api_client()
        self.namespace = namespace
        self.lock = threading.RLock()
        self.phases: dict[str, str] = {}
        self.timeline: list[tuple[float, str, str]] = []
        self.first_job: dict[str, float] = {}
        self.uids: dict[str, str] = {}
        self.max_running = 0
        self._watches = [watch.Watch(), watch.Watch()]
        self._threads = [
            threading.Thread(target=self._runs, daemon=True),
            threading.Thread(target=self._jobs, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _runs(self) -> None:
        with contextlib.suppress(Exception):  # the stream ends when stop() closes it
            self._watch_runs()

    def _watch_runs(self) -> None:
        api = CustomObjectsApi(self.client)
        for event in self._watches[0].stream(
            api.list_namespaced_custom_object, GROUP, VERSION, self.namespace, "seedruns"
        ):
            body = event["object"]
            name, phase = body["metadata"]["name"], (body.get("status") or {}).get("phase", "")
            with self.lock:
                self.uids[body["metadata"]["uid"]] = name
                if self.phases.get(name) != phase:
                    self.phases[name] = phase
                    self.timeline.append((time.monotonic(), name, phase))
                    running = sum(1 for p in self.phases.values() if p == "Running")
                    self.max_running = max(self.max_running, running)

    def _jobs(self) -> None:
        with contextlib.suppress(Exception):
            self._watch_jobs()

    def _watch_jobs(self) -> None:
        api = BatchV1Api(self.client)
        for event in self._watches[1].stream(api.list_namespaced_job, self.namespace):
            uid = event["object"].metadata.labels.get(f"{GROUP}/run-uid", "")
            with self.lock:
                self.first_job.setdefault(uid, time.monotonic())

    def wait_done(self, names: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(self.phases.get(n) in ("Succeeded", "Failed", "Cancelled") for n in names):
                    return
            time.sleep(0.2)
        with self.lock:
            stuck = {n: self.phases.get(n) for n in names if self.phases.get(n) != "Succeeded"}
        raise SystemExit(f"bench-operator: runs not finished after {timeout:.0f} s: {stuck}")

    def stop(self) -> None:
        for w in self._watches:
            w.stop()


def _apply(plane: ControlPlane, items: list[dict[str, Any]]) -> None:
    plane.kubectl(
        "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    )


def _start_operator(plane: ControlPlane, namespace: str, cap: int, log: Path) -> Any:
    return subprocess.Popen(
        [sys.executable, "-m", "seed_operator"],
        env={
            **os.environ,
            "KUBECONFIG": str(plane.kubeconfig),
            "SEED_WATCH_NAMESPACES": namespace,
            "SEED_LEASE_NAMESPACE": namespace,
            "SEED_GLOBAL_CAP": str(cap),
            "SEED_QUEUE_TTL_SECONDS": "86400",
            "SEED_BATCH_ROWS": "100000",
            "SEED_PARALLELISM_BASELINE": "4",
            "SEED_LIVENESS_PORT": str(free_port()),
            "SEED_METRICS_PORT": str(free_port()),
            "SEED_LOG_LEVEL": os.environ.get("SEED_LOG_LEVEL", "WARNING"),
        },
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _measure(
    plane: ControlPlane, namespace: str, tenants: list[str], args: argparse.Namespace, work: Path
) -> int:
    path = f"{work / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    with TestKubelet(plane.api_client(), namespace, env={"PATH": path}, cwd=work) as kubelet:
        observer = Observer(plane, namespace)
        # Baseline, same run: one SeedRun alone, creation -> Succeeded.
        started = time.monotonic()
        _apply(plane, [_run(namespace, "baseline", tenants[0])])
        observer.wait_done(["baseline"], 300)
        alone = time.monotonic() - started

        names = [f"run-{i:03d}" for i in range(args.runs)]
        created: dict[str, float] = {}
        began = time.monotonic()
        items = [_run(namespace, n, tenants[i % len(tenants)]) for i, n in enumerate(names)]
        for start in range(0, len(items), 50):
            _apply(plane, items[start : start + 50])
            now = time.monotonic()
            for item in items[start : start + 50]:
                created.setdefault(item["metadata"]["name"], now)
        observer.wait_done(names, 3600)
        total = time.monotonic() - began
        observer.stop()
        kubelet.wait_idle()
        errors = list(kubelet.errors)

    with observer.lock:
        by_name = {name: uid for uid, name in observer.uids.items()}
        to_first = [observer.first_job[by_name[n]] - created[n] for n in names]
        # Hand-off: a run finishing frees a slot; how long until the next queued run's first Job.
        starts = sorted(observer.first_job[by_name[n]] for n in names)
        ends = sorted(t for t, n, p in observer.timeline if p == "Succeeded" and n in created)
        handoff = [
            next(s - t for s in starts if s >= t) for t in ends if any(s >= t for s in starts)
        ]
        failed = [n for n in names if observer.phases.get(n) != "Succeeded"]
        max_running = observer.max_running
    ideal = alone * args.runs / args.cap
    print(f"  baseline: one run alone, creation -> Succeeded  {alone:8.2f} s")
    print(f"  p95 creation -> first Job (queueing included)  {_p95(to_first):8.2f} s")
    print(f"  p95 slot freed -> next run's first Job          {_p95(handoff):8.2f} s")
    print(f"  max concurrent Running (from a watch)           {max_running:8d}   (cap {args.cap})")
    print(f"  total time for {args.runs} runs                      {total:8.2f} s")
    print(f"  total / (baseline x runs / cap)                 {total / ideal:8.2f}")
    if failed or errors or max_running > args.cap:
        print(f"  FAILED runs: {failed[:10]}; kubelet errors: {errors[:3]}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--cap", type=int, default=2)
    args = parser.parse_args(argv)
    namespace = "bench"
    work = Path(tempfile.mkdtemp(prefix="bench-operator-"))
    (work / "bin").mkdir()
    (work / "bin" / "seedctl").write_text(INSTANT_SEEDCTL)
    (work / "bin" / "seedctl").chmod(0o755)

    print(f"bench-operator: {args.runs} SeedRuns, {args.tenants} tenants, cap {args.cap}")
    print(f"  (operator log: {work / 'operator.log'})")
    plane = ControlPlane.start()
    operator = None
    try:
        install_crds(plane)
        plane.kubectl("create", "namespace", namespace)
        plane.kubectl(
            "create", "secret", "generic", "seed-runner-env", "-n", namespace,
            "--from-literal=SEED_BENCH=1",
        )  # fmt: skip
        tenants = [f"tenant-{i:02d}" for i in range(args.tenants)]
        _apply(plane, [_profile(namespace, t) for t in tenants])
        operator = _start_operator(plane, namespace, args.cap, work / "operator.log")
        return _measure(plane, namespace, tenants, args, work)
    finally:
        if operator is not None:
            stop_process(operator, timeout=15)
        plane.stop()


if __name__ == "__main__":
    raise SystemExit(main())
