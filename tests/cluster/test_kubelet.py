"""The test kubelet: Jobs run as local processes, and kube-apiserver 1.34 accepts every status the
kubelet, Job controller and garbage collector stand-ins write. Everything is read back from the
server (and through kubectl), not from the kubelet's own records only."""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient, BatchV1Api, CoreV1Api
from kubernetes.client.exceptions import ApiException

from tests.cluster.controlplane import ControlPlane
from tests.cluster.kubelet import (
    NODE_NAME,
    TRACKING_FINALIZER,
    ContainerRun,
    TestKubelet,
    expand,
    job_condition,
)

CONTAINER = "main"


def _json(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.data)
    return data


def make_job(
    name: str,
    script: str,
    *,
    backoff_limit: int = 0,
    deadline: int | None = None,
    failure_policy: list[dict[str, Any]] | None = None,
    env: list[dict[str, Any]] | None = None,
    env_from: list[dict[str, Any]] | None = None,
    args: list[str] | None = None,
    message_policy: str = "FallbackToLogsOnError",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": "registry.example/seed/seedctl:1.0",
        "imagePullPolicy": "IfNotPresent",
        "command": [sys.executable, "-c", textwrap.dedent(script)],
        "terminationMessagePolicy": message_policy,
    }
    if args:
        container["args"] = args
    if env:
        container["env"] = env
    if env_from:
        container["envFrom"] = env_from
    spec: dict[str, Any] = {
        "backoffLimit": backoff_limit,
        "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
    }
    if deadline is not None:
        spec["activeDeadlineSeconds"] = deadline
    if failure_policy is not None:
        spec["podFailurePolicy"] = {"rules": failure_policy}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
    }


@pytest.fixture
def kubelet(k8s: ApiClient, namespace: str, tmp_path: Path) -> Iterator[TestKubelet]:
    (tmp_path / "work").mkdir()
    with TestKubelet(
        k8s,
        namespace,
        cwd=tmp_path / "work",
        log_dir=tmp_path / "logs",
        env={"FROM_KUBELET": "yes"},
    ) as running:
        yield running
    assert running.errors == []


def create_job(k8s: ApiClient, namespace: str, job: dict[str, Any]) -> dict[str, Any]:
    return _json(BatchV1Api(k8s).create_namespaced_job(namespace, job, _preload_content=False))


def pods_of(
    k8s: ApiClient, namespace: str, job: str, kubelet: TestKubelet | None = None
) -> list[dict[str, Any]]:
    """The Job's Pods, in the order the kubelet ran them (creationTimestamp has whole seconds)."""
    listing = _json(
        CoreV1Api(k8s).list_namespaced_pod(
            namespace, label_selector=f"job-name={job}", _preload_content=False
        )
    )
    pods: list[dict[str, Any]] = listing["items"]
    if kubelet is not None:
        order = [run.pod for run in kubelet.runs]
        pods.sort(key=lambda pod: order.index(pod["metadata"]["name"]))
    return pods


def events_of(k8s: ApiClient, namespace: str, name: str) -> list[tuple[str, str, str]]:
    listing = _json(
        CoreV1Api(k8s).list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={name}", _preload_content=False
        )
    )
    return [(e["type"], e["reason"], e["message"]) for e in listing["items"]]


def eventually(check: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"not true after {timeout} s: {what or check}"
        time.sleep(0.05)


def settle(kubelet: TestKubelet) -> None:
    """The kubelet finished everything it was doing, without an error."""
    kubelet.wait_idle()
    assert kubelet.errors == []


def condition_summary(job: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (c["type"], c["status"], c.get("reason", ""), c.get("message", ""))
        for c in job["status"].get("conditions", [])
    ]


def terminated(pod: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = pod["status"]["containerStatuses"][0]["state"]
    return dict(state["terminated"])


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"


# --- success ------------------------------------------------------------------------------------


def test_successful_job_reads_back_like_a_real_clusters(
    control_plane: ControlPlane, k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    script = """
        import json, os
        print("seeding 42 rows", flush=True)
        with open(os.environ["TERMINATION_MESSAGE_PATH"], "w") as out:
            out.write(json.dumps({"rows": 42, "kubelet": os.environ["FROM_KUBELET"]}) + "\\n")
    """
    created = create_job(k8s, namespace, make_job("seed-ok", script, labels={"team": "seed"}))
    job = kubelet.wait_for_job("seed-ok")
    settle(kubelet)

    status = job["status"]
    assert condition_summary(job) == [
        ("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
        ("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
    ]  # fmt: skip
    complete = job_condition(job, "Complete")
    assert complete is not None
    assert status["completionTime"] == complete["lastTransitionTime"]
    assert status["startTime"] <= status["completionTime"]
    assert status["succeeded"] == 1
    assert "failed" not in status and "active" not in status  # zero: omitted by the server
    assert status["ready"] == 0 and status["terminating"] == 0
    assert status["uncountedTerminatedPods"] == {}

    [pod] = pods_of(k8s, namespace, "seed-ok")
    meta = pod["metadata"]
    assert re.fullmatch(r"seed-ok-[a-z0-9]{5}", meta["name"])
    uid = created["metadata"]["uid"]
    assert meta["labels"] == {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "seed-ok",
        "controller-uid": uid,
        "job-name": "seed-ok",
    }
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": "seed-ok",
            "uid": uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert "finalizers" not in meta  # the tracking finalizer was removed once counted
    assert pod["spec"]["nodeName"] == NODE_NAME
    assert pod["status"]["phase"] == "Succeeded"
    end = terminated(pod)
    assert end["exitCode"] == 0 and end["reason"] == "Completed"
    assert end["message"] == '{"rows": 42, "kubelet": "yes"}\n'
    assert end["containerID"].startswith("containerd://")
    ready = {c["type"]: c for c in pod["status"]["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "PodCompleted")

    [run] = kubelet.runs
    assert (run.job, run.pod, run.exit_code) == ("seed-ok", meta["name"], 0)
    assert run.command[0] == sys.executable
    assert run.stdout.read_text() == "seeding 42 rows\n"
    assert run.termination_message == end["message"]

    table = control_plane.kubectl("get", "jobs", "-n", namespace, "--no-headers").stdout.split()
    assert table[:3] == ["seed-ok", "Complete", "1/1"]
    pods_table = control_plane.kubectl("get", "pods", "-n", namespace, "--no-headers").stdout
    assert pods_table.split()[:3] == [meta["name"], "0/1", "Completed"]
    describe = control_plane.kubectl("describe", "job", "seed-ok", "-n", namespace).stdout
    assert re.search(r"Pods Statuses:\s+0 Active \(0 Ready\) / 1 Succeeded / 0 Failed", describe)
    assert re.search(
        rf"SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: {meta['name']}", describe
    )
    assert re.search(r"Completed\s+\S+\s+job-controller\s+Job completed", describe)
    assert ("Normal", "Started", f"Started container {CONTAINER}") in events_of(
        k8s, namespace, meta["name"]
    )


def test_failed_attempt_is_retried_in_a_new_pod(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    script = """
        import pathlib, sys
        marker = pathlib.Path("attempted")
        if not marker.exists():
            marker.touch()
            print("database not ready", file=sys.stderr)
            sys.exit(1)
    """
    create_job(k8s, namespace, make_job("seed-retry", script, backoff_limit=2))
    job = kubelet.wait_for_job("seed-retry")
    settle(kubelet)

    assert [c[0] for c in condition_summary(job)] == ["SuccessCriteriaMet", "Complete"]
    assert (job["status"]["failed"], job["status"]["succeeded"]) == (1, 1)
    first, second = pods_of(k8s, namespace, "seed-retry", kubelet)
    assert first["status"]["phase"] == "Failed"
    assert second["status"]["phase"] == "Succeeded"
    failure = terminated(first)
    assert (failure["exitCode"], failure["reason"]) == (1, "Error")
    assert failure["message"] == "database not ready\n"  # FallbackToLogsOnError: the log tail
    assert "message" not in terminated(second)  # success: no fallback, no file
    assert [run.exit_code for run in kubelet.runs] == [1, 0]


# --- failures -----------------------------------------------------------------------------------


def test_pod_failure_policy_fails_the_job_at_once(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    rules = [
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": CONTAINER, "operator": "In", "values": [2, 6]},
        },
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
    ]
    script = "import sys; print('invalid manifest'); sys.exit(2)"
    create_job(
        k8s, namespace, make_job("seed-invalid", script, backoff_limit=6, failure_policy=rules)
    )
    job = kubelet.wait_for_job("seed-invalid")
    settle(kubelet)

    [pod] = pods_of(k8s, namespace, "seed-invalid")
    message = (
        f"Container {CONTAINER} for pod {namespace}/{pod['metadata']['name']} failed with exit "
        "code 2 matching FailJob rule at index 0"
    )
    assert condition_summary(job) == [
        ("FailureTarget", "True", "PodFailurePolicy", message),
        ("Failed", "True", "PodFailurePolicy", message),
    ]
    assert job["status"]["failed"] == 1
    assert "completionTime" not in job["status"] and "succeeded" not in job["status"]
    assert terminated(pod)["exitCode"] == 2
    assert terminated(pod)["message"] == "invalid manifest\n"
    assert ("Warning", "PodFailurePolicy", message) in events_of(k8s, namespace, "seed-invalid")


def test_ignored_failure_is_not_counted(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    rules = [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]
    script = """
        import pathlib, sys
        marker = pathlib.Path("evicted")
        if not marker.exists():
            marker.touch()
            sys.exit(3)
    """
    create_job(k8s, namespace, make_job("seed-ignore", script, failure_policy=rules))
    job = kubelet.wait_for_job("seed-ignore")
    settle(kubelet)

    assert [c[0] for c in condition_summary(job)] == ["SuccessCriteriaMet", "Complete"]
    assert "failed" not in job["status"]  # backoffLimit 0, yet the ignored failure cost nothing
    assert [p["status"]["phase"] for p in pods_of(k8s, namespace, "seed-ignore", kubelet)] == [
        "Failed",
        "Succeeded",
    ]


def test_backoff_limit_exceeded(
    control_plane: ControlPlane, k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    script = "import sys; print('connection refused', file=sys.stderr); sys.exit(1)"
    create_job(k8s, namespace, make_job("seed-flaky", script, backoff_limit=2))
    job = kubelet.wait_for_job("seed-flaky")
    settle(kubelet)

    reason, message = "BackoffLimitExceeded", "Job has reached the specified backoff limit"
    assert condition_summary(job) == [
        ("FailureTarget", "True", reason, message),
        ("Failed", "True", reason, message),
    ]
    assert job["status"]["failed"] == 3
    pods = pods_of(k8s, namespace, "seed-flaky")
    assert [p["status"]["phase"] for p in pods] == ["Failed"] * 3
    assert len(kubelet.runs) == 3
    table = control_plane.kubectl("get", "jobs", "-n", namespace, "--no-headers").stdout.split()
    assert table[:3] == ["seed-flaky", "Failed", "0/1"]
    describe = control_plane.kubectl("describe", "job", "seed-flaky", "-n", namespace).stdout
    assert re.search(r"Pods Statuses:\s+0 Active \(0 Ready\) / 0 Succeeded / 3 Failed", describe)
    assert re.search(rf"Warning\s+{reason}\s+\S+\s+job-controller\s+{message}", describe)


def test_termination_message_is_capped_like_the_kubelets(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    noisy = """
        import sys
        for line in range(200):
            print(f"line {line:03d} " + "x" * 20)
        sys.exit(1)
    """
    big_file = """
        import os, sys
        with open(os.environ["TERMINATION_MESSAGE_PATH"], "w") as out:
            out.write("a" * 5000 + "END")
        sys.exit(1)
    """
    create_job(k8s, namespace, make_job("logs-tail", noisy))
    create_job(k8s, namespace, make_job("file-tail", big_file))
    create_job(k8s, namespace, make_job("file-policy", noisy, message_policy="File"))
    for name in ("logs-tail", "file-tail", "file-policy"):
        kubelet.wait_for_job(name)
    settle(kubelet)

    [logs_pod] = pods_of(k8s, namespace, "logs-tail")
    all_lines = "".join(f"line {n:03d} {'x' * 20}\n" for n in range(200))
    expected = "".join(all_lines.splitlines(keepends=True)[-80:]).encode()[-2048:].decode()
    assert terminated(logs_pod)["message"] == expected
    assert len(expected) == 2048 and expected.endswith("line 199 " + "x" * 20 + "\n")
    [file_pod] = pods_of(k8s, namespace, "file-tail")
    assert terminated(file_pod)["message"] == ("a" * 5000 + "END")[-4096:]
    [file_policy_pod] = pods_of(k8s, namespace, "file-policy")
    assert "message" not in terminated(file_policy_pod)  # policy File: no log fallback


# --- environment --------------------------------------------------------------------------------


def test_env_from_secret_configmap_and_downward_api(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    core = CoreV1Api(k8s)
    secret_data = {"url": base64.b64encode(b"postgresql://seed_writer@db/app").decode()}
    core.create_namespaced_secret(
        namespace, {"metadata": {"name": "seed-db"}, "data": secret_data}, _preload_content=False
    )
    core.create_namespaced_config_map(
        namespace,
        {"metadata": {"name": "seed-settings"}, "data": {"BATCH_ROWS": "500", "REGION": "br"}},
        _preload_content=False,
    )
    env = [
        {"name": "RUN_ID", "value": "run-7"},
        {"name": "RUN_REF", "value": "$(RUN_ID)/$(UNDEFINED)/$$(RUN_ID)"},
        {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "seed-db", "key": "url"}}},
        {
            "name": "REGION",
            "valueFrom": {"configMapKeyRef": {"name": "seed-settings", "key": "REGION"}},
        },
        {
            "name": "NOT_THERE",
            "valueFrom": {"secretKeyRef": {"name": "nope", "key": "x", "optional": True}},
        },
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "POD_UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
    ]
    env_from = [{"configMapRef": {"name": "seed-settings"}, "prefix": "CFG_"}]
    script = """
        import json, os, sys
        keys = ["RUN_ID", "RUN_REF", "DATABASE_URL", "REGION", "POD_NAME", "POD_NAMESPACE",
                "POD_UID", "CFG_BATCH_ROWS", "CFG_REGION", "FROM_KUBELET", "HOSTNAME"]
        env = {key: os.environ.get(key) for key in keys}
        env["NOT_THERE"] = os.environ.get("NOT_THERE", "<unset>")
        env["ARGV"] = sys.argv[1:]
        with open(os.environ["TERMINATION_MESSAGE_PATH"], "w") as out:
            json.dump(env, out)
    """
    job = make_job("seed-env", script, env=env, env_from=env_from, args=["--run", "$(RUN_ID)"])
    create_job(k8s, namespace, job)
    kubelet.wait_for_job("seed-env")
    settle(kubelet)

    [pod] = pods_of(k8s, namespace, "seed-env")
    seen = json.loads(terminated(pod)["message"])
    meta = pod["metadata"]
    assert seen == {
        "RUN_ID": "run-7",
        "RUN_REF": "run-7/$(UNDEFINED)/$(RUN_ID)",
        "DATABASE_URL": "postgresql://seed_writer@db/app",
        "REGION": "br",
        "POD_NAME": meta["name"],
        "POD_NAMESPACE": namespace,
        "POD_UID": meta["uid"],
        "CFG_BATCH_ROWS": "500",
        "CFG_REGION": "br",
        "FROM_KUBELET": "yes",
        "HOSTNAME": meta["name"],
        "NOT_THERE": "<unset>",
        "ARGV": ["--run", "run-7"],
    }


def test_missing_secret_keeps_the_pod_pending_until_it_exists(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    env = [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "late", "key": "token"}}}]
    script = (
        "import os; open(os.environ['TERMINATION_MESSAGE_PATH'], 'w').write(os.environ['TOKEN'])"
    )
    create_job(k8s, namespace, make_job("seed-late", script, env=env))

    def waiting() -> dict[str, Any] | None:
        pods = pods_of(k8s, namespace, "seed-late")
        statuses = pods[0].get("status", {}).get("containerStatuses") if pods else None
        state = statuses[0]["state"] if statuses else {}
        return state.get("waiting") if "CreateContainerConfigError" in str(state) else None

    assert eventually(waiting) == {
        "reason": "CreateContainerConfigError",
        "message": 'secret "late" not found',
    }
    [pod] = pods_of(k8s, namespace, "seed-late")
    assert pod["status"]["phase"] == "Pending"
    job = _json(BatchV1Api(k8s).read_namespaced_job("seed-late", namespace, _preload_content=False))
    assert (job["status"]["active"], job["status"]["ready"]) == (1, 0)
    assert kubelet.runs == []

    secret = {"metadata": {"name": "late"}, "stringData": {"token": "s3cr3t"}}
    CoreV1Api(k8s).create_namespaced_secret(namespace, secret, _preload_content=False)
    kubelet.wait_for_job("seed-late")
    settle(kubelet)
    [pod] = pods_of(k8s, namespace, "seed-late")
    assert terminated(pod)["message"] == "s3cr3t"


def test_expand_follows_kubernetes() -> None:
    variables = {"A": "1", "B": "$(A)"}
    assert expand("$(A)-$(B)-$(C)", variables) == "1-$(A)-$(C)"
    assert expand("$$(A) $$ $x $( $(A", variables) == "$(A) $ $x $( $(A"
    assert expand("", variables) == ""
    assert expand("tail$", variables) == "tail$"


# --- deadlines and deletion ---------------------------------------------------------------------


def _sleeper(name: str, **options: Any) -> dict[str, Any]:
    script = """
        import time
        print("started", flush=True)
        time.sleep(60)
    """
    return make_job(name, script, **options)


def _running(kubelet: TestKubelet, job: str) -> ContainerRun:
    def find() -> ContainerRun | None:
        runs = [r for r in kubelet.runs_of(job) if r.running and r.stdout.exists()]
        return runs[0] if runs and runs[0].stdout.read_text() == "started\n" else None

    run: ContainerRun = eventually(find, what=f"a running process for {job}")
    return run


def test_active_deadline_kills_the_process_and_fails_the_job(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    started = time.monotonic()
    create_job(k8s, namespace, _sleeper("seed-slow", deadline=2, backoff_limit=3))
    run = _running(kubelet, "seed-slow")
    job = kubelet.wait_for_job("seed-slow", timeout=30)
    settle(kubelet)

    assert time.monotonic() - started < 15
    reason, message = "DeadlineExceeded", "Job was active longer than specified deadline"
    assert condition_summary(job) == [
        ("FailureTarget", "True", reason, message),
        ("Failed", "True", reason, message),
    ]
    assert job["status"]["failed"] == 1
    assert "active" not in job["status"] and job["status"]["terminating"] == 0
    assert run.pid is not None and process_gone(run.pid)
    assert (run.exit_code, run.killed) == (143, "PodDeleted")  # SIGTERM
    assert pods_of(k8s, namespace, "seed-slow") == []  # deleted by the controller, as for real
    assert len(kubelet.runs) == 1
    events = events_of(k8s, namespace, "seed-slow")
    assert ("Normal", "SuccessfulDelete", f"Deleted pod: {run.pod}") in events
    assert ("Warning", reason, message) in events


@pytest.mark.parametrize("propagation", ["Background", "Foreground"])
def test_deleting_a_running_job_kills_its_process(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet, propagation: str
) -> None:
    create_job(k8s, namespace, make_job("seed-done", "print('first batch')"))
    kubelet.wait_for_job("seed-done")
    create_job(k8s, namespace, _sleeper("seed-cancel"))
    run = _running(kubelet, "seed-cancel")
    pid = run.pid
    assert pid is not None and not process_gone(pid)

    batch = BatchV1Api(k8s)
    for name in ("seed-done", "seed-cancel"):
        batch.delete_namespaced_job(
            name, namespace, propagation_policy=propagation, _preload_content=False
        )
    deleted = time.monotonic()
    eventually(lambda: process_gone(pid), timeout=5, what="the process killed")
    assert time.monotonic() - deleted < 5
    for name in ("seed-done", "seed-cancel"):

        def no_pods(name: str = name) -> bool:
            return pods_of(k8s, namespace, name) == []

        eventually(no_pods, what=f"{name} Pods gone")

    def job_gone() -> bool:
        try:
            batch.read_namespaced_job("seed-cancel", namespace, _preload_content=False)
        except ApiException as error:
            return bool(error.status == 404)
        return False

    eventually(job_gone, what="the Job gone (foregroundDeletion finalizer removed)")
    settle(kubelet)
    assert (run.exit_code, run.killed) == (143, "PodDeleted")


@pytest.mark.parametrize("propagation", ["Orphan", None])
def test_orphaned_pod_keeps_running(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet, propagation: str | None
) -> None:
    """None: a DELETE of a batch/v1 Job without propagationPolicy orphans its Pods."""
    script = """
        import time
        print("started", flush=True)
        time.sleep(1.5)
    """
    create_job(k8s, namespace, make_job("seed-orphan", script))
    run = _running(kubelet, "seed-orphan")
    options = {"propagation_policy": propagation} if propagation else {}
    BatchV1Api(k8s).delete_namespaced_job(
        "seed-orphan", namespace, _preload_content=False, **options
    )
    eventually(lambda: run.exit_code is not None, what="the orphan to finish on its own")
    settle(kubelet)
    assert (run.exit_code, run.killed) == (0, None)
    [pod] = pods_of(k8s, namespace, "seed-orphan")
    assert "ownerReferences" not in pod["metadata"]
    assert TRACKING_FINALIZER not in pod["metadata"].get("finalizers", [])
    assert pod["status"]["phase"] == "Succeeded"
    with pytest.raises(ApiException) as gone:
        BatchV1Api(k8s).read_namespaced_job("seed-orphan", namespace, _preload_content=False)
    assert gone.value.status == 404


def test_label_selector_limits_the_jobs_run(k8s: ApiClient, namespace: str, tmp_path: Path) -> None:
    with TestKubelet(k8s, namespace, label_selector="run=mine", log_dir=tmp_path) as kubelet:
        create_job(k8s, namespace, make_job("theirs", "print('no')"))
        create_job(k8s, namespace, make_job("mine", "print('yes')", labels={"run": "mine"}))
        kubelet.wait_for_job("mine")
        settle(kubelet)
        theirs = _json(
            BatchV1Api(k8s).read_namespaced_job("theirs", namespace, _preload_content=False)
        )
    assert [run.job for run in kubelet.runs] == ["mine"]
    assert theirs.get("status") in (None, {})
    assert pods_of(k8s, namespace, "theirs") == []


def test_unsupported_job_is_left_alone_and_reported(
    k8s: ApiClient, namespace: str, kubelet: TestKubelet
) -> None:
    job = make_job("indexed", "print('no')")
    job["spec"].update(completionMode="Indexed", completions=2, parallelism=1)
    create_job(k8s, namespace, job)
    eventually(lambda: kubelet.errors, what="the unsupported Job reported")
    assert kubelet.errors == ["Job indexed not run: unsupported completionMode Indexed"]
    assert pods_of(k8s, namespace, "indexed") == []
    kubelet.errors.clear()
