"""A carga run on a real node: its batch Jobs of one level run as concurrent Pods."""

from __future__ import annotations

import time

from tests.e2e.conftest import Install
from tests.e2e.test_failures import _apply_profile, _apply_run, _items


def test_a_carga_run_runs_batch_pods_concurrently(install: Install) -> None:
    install.bao.write_salt("tenant-e", "dev", b"e2e tenant-e dev salt v1 32bytes")
    profile = _apply_profile(install, "tenant-e", mode="carga")
    _apply_run(install, "tenant-e-carga", profile)
    most_running = 0
    deadline = time.monotonic() + 600
    while True:
        pods = _items(install, "pods", "tenant-e-carga")
        running = [
            p
            for p in pods
            if p["metadata"]["labels"].get("seeding.iabank.io/role") == "batch"
            and p["status"].get("phase") == "Running"
        ]
        most_running = max(most_running, len(running))
        phase = install.seedrun("tenant-e-carga").get("status", {}).get("phase")
        if phase in {"Succeeded", "Failed", "Cancelled"}:
            break
        assert time.monotonic() < deadline, install.diagnostics()
        time.sleep(0.5)
    assert phase == "Succeeded", install.diagnostics()
    # operator.parallelism.load is 4: levels with several tables run them side by side.
    assert 2 <= most_running <= 4, most_running
    print(f"\ncarga: at most {most_running} batch Pods Running at once")
