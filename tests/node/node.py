"""A real one-node Kubernetes cluster on this machine, for the e2e tier and `make node-up`.

etcd + kube-apiserver (tests/cluster/controlplane.py, in node mode), kube-controller-manager,
kube-scheduler, containerd (+ runc), kubelet and kube-proxy, all started here as plain processes,
recorded in ``<state>/state.json`` and stopped by PID (each checked to still be ours: same binary,
our state dir in its arguments). Nothing is simulated: the real scheduler places Pods, the real
kubelet runs them in containerd, the real Job controller retries them and the real garbage
collector deletes what a deleted owner owned.

Networking: a Linux bridge ``seed0`` at 10.244.0.1/24 made here (the CNI bridge plugin adds the
Pods' veths to it, host-local IPAM, portmap), kube-proxy in iptables mode for Services
(10.0.0.0/24). kube-apiserver listens on the bridge address, so Pods reach it through the
`kubernetes` Service; host services listen on the same address (GATEWAY). There is no CoreDNS.

Root is needed (containers, bridge, iptables). Without CAP_SYS_RESOURCE (these machines)
containerd must run with ``restrict_oom_score_adj``. Binaries: tools/build-binaries.sh; Debian
packages: tools/install-node-deps.sh; images: tests/node/images.py.

    python -m tests.node up [--dir .seed/node]      # prints export KUBECONFIG=...
    python -m tests.node status
    python -m tests.node down

A node that cannot start raises NodeError with the reason and the failing component's log tail.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml

from tests.cluster.controlplane import (
    REPO,
    ControlPlane,
    ControlPlaneError,
    KubectlError,
    Pki,
    _free_ports,
    _kubeconfig,
    _pid_alive,
    _tail,
    _write_kubeconfig,
    install_crds,
    load_versions,
    seed_cache,
)
from tests.node.images import PAUSE_IMAGE, pause_image, project_image

DEFAULT_DIR = REPO / ".seed" / "node"
STATE_FILE = "state.json"
MARKER = ".seed-node"
NODE_NAME = "seed-node"
BRIDGE = "seed0"
POD_CIDR = "10.244.0.0/24"
GATEWAY = "10.244.0.1"  # the bridge's address: kube-apiserver and the host services listen here
SERVICE_CIDR = "10.0.0.0/24"  # as tests/cluster/controlplane.py
_VERSION = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M)
VERSION = _VERSION.group(1) if _VERSION else "0.0.0"
PROJECT_IMAGE = f"seed-operator:{VERSION}"
_LOG_TAIL = 30
# Started in this order, stopped in the reverse one (after the Pods are gone).
_COMPONENTS = ("containerd", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy")


class NodeError(RuntimeError):
    """The node could not be started, reached or stopped; the message says why."""


def _say(message: str) -> None:
    print(f"node: {message}", file=sys.stderr, flush=True)


def _binary(name: str) -> Path:
    versions = load_versions()
    key = "ETCD_VERSION" if name == "etcd" else "KUBERNETES_VERSION"
    path = seed_cache() / "bin" / f"{name}-{versions[key]}"
    if not os.access(path, os.X_OK):
        raise NodeError(f"{path} is missing: run tools/build-binaries.sh {name} (make binaries)")
    return path


def _system_binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else "")
    if not path:
        raise NodeError(f"{name} is not installed: run tools/install-node-deps.sh as root")
    return path


def _run(argv: Sequence[str], *, check: bool = True, timeout: float = 120) -> str:
    result = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise NodeError(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout


@dataclass
class Component:
    """One process of the node: what ran, with which pid, where its log is."""

    name: str
    pid: int
    argv: list[str]
    log: Path

    def alive(self) -> bool:
        return _pid_alive(self.pid)

    def is_ours(self, state_dir: Path) -> bool:
        try:
            argv = Path(f"/proc/{self.pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return (
            bool(argv)
            and os.fsdecode(argv[0]) == self.argv[0]
            and any(os.fsencode(str(state_dir)) in arg for arg in argv[1:])
        )

    def stop(self, state_dir: Path, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        if not self.is_ours(state_dir):
            _say(f"not signalling pid {self.pid}: it is no longer {self.name} of {state_dir}")
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, os.WNOHANG)

    def tail(self, lines: int = _LOG_TAIL) -> str:
        return f"----- last {lines} lines of {self.log} -----\n{_tail(self.log, lines)}"


def _spawn(name: str, argv: Sequence[str], state_dir: Path) -> Component:
    log = state_dir / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives `make node-up`; stopped by pid in `down`
        )
    return Component(name, popen.pid, list(argv), log)


class Node:
    """A running node: its control plane, its components and how to reach it."""

    def __init__(self, state_dir: Path, plane: ControlPlane, components: dict[str, Component]):
        self.state_dir = state_dir
        self.plane = plane
        self.components = components
        self.startup_seconds: float | None = None

    # -- paths --

    @property
    def kubeconfig(self) -> Path:
        return self.plane.kubeconfig

    @property
    def containerd_socket(self) -> Path:
        return self.state_dir / "containerd" / "containerd.sock"

    def kubectl(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return self.plane.kubectl(*args, **kwargs)

    def ctr(self, *args: str, check: bool = True, timeout: float = 300) -> str:
        return _run(
            [
                _system_binary("ctr"),
                "--address",
                str(self.containerd_socket),
                "-n",
                "k8s.io",
                *args,
            ],
            check=check,
            timeout=timeout,
        )

    # -- start --

    @classmethod
    def start(cls, state_dir: Path = DEFAULT_DIR, *, timeout: float = 120.0) -> Node:
        """Brings the node up (about 10 s with cached binaries and images) and waits until it is
        Ready, the controllers made the `default` ServiceAccount and the images are loaded."""
        if os.geteuid() != 0:
            raise NodeError("a node needs root (containers, a bridge, iptables)")
        state_dir = state_dir.resolve()
        if (state_dir / STATE_FILE).exists():
            raise NodeError(f"{state_dir / STATE_FILE} exists: `down` the node first")
        # Build what is missing before anything runs (the images take minutes when cold).
        binaries = {
            name: _binary(name)
            for name in ("kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy")
        }
        for name in ("containerd", "runc", "ctr", "iptables", "ip", "conntrack"):
            _system_binary(name)
        images = [pause_image(), project_image(PROJECT_IMAGE)]
        started = time.monotonic()
        if state_dir.exists():
            _remove_state(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / MARKER).write_text("state dir of tests/node/node.py\n", "utf-8")
        _make_bridge()
        try:
            plane = ControlPlane.start(
                state_dir / "plane",
                keep=True,
                detached=True,
                ready_timeout=timeout,
                address=GATEWAY,
                for_node=True,
            )
        except ControlPlaneError as error:
            _delete_bridge()
            raise NodeError(f"the control plane did not start: {error}") from None
        node = cls(state_dir, plane, {})
        try:
            node._launch(binaries, images, timeout)
        except BaseException:
            node.stop(keep_logs=True)
            _say(f"the logs stay in {state_dir / 'logs'}")
            raise
        node.startup_seconds = time.monotonic() - started
        node._write_state()
        return node

    def _launch(self, binaries: dict[str, Path], images: list[Path], timeout: float) -> None:
        s = self.state_dir
        pki = Pki.load(self.plane.state_dir / "pki")
        ca = pki.ca_cert
        configs = s / "config"
        configs.mkdir(parents=True, exist_ok=True)
        server = self.plane.server

        def kubeconfig(stem: str, user: str, groups: Sequence[str] = ()) -> Path:
            cert, key = Pki(configs, pki._ca_key, pki._ca_cert).issue(stem, user, groups=groups)
            path = configs / f"{stem}.kubeconfig"
            _write_kubeconfig(path, _kubeconfig(server, ca, cert, key, user))
            return path

        # containerd
        containerd_config = configs / "containerd.toml"
        containerd_config.write_text(_containerd_toml(s), "utf-8")
        (s / "cni" / "net.d").mkdir(parents=True, exist_ok=True)
        (s / "cni" / "net.d" / "10-seed.conflist").write_text(_cni_conflist(s), "utf-8")
        self.components["containerd"] = _spawn(
            "containerd", [_system_binary("containerd"), "--config", str(containerd_config)], s
        )
        self._wait("containerd", lambda: self.ctr("version", check=False) != "", 30)
        self._forget_containers()
        began = time.monotonic()
        record = _containerd_root() / "imported.json"
        try:
            imported = set(json.loads(record.read_text("utf-8")))
        except (OSError, ValueError):
            imported = set()
        present = set(self.ctr("images", "ls", "-q").split())
        for image in images:
            if str(image) in imported and present:
                continue
            self.ctr("images", "import", str(image), timeout=600)
            imported.add(str(image))
            record.write_text(json.dumps(sorted(imported)), "utf-8")
        _say(f"images ready in containerd in {time.monotonic() - began:.1f} s")
        loaded = self.ctr("images", "ls", "-q")
        for name in (PAUSE_IMAGE, f"docker.io/library/{PROJECT_IMAGE}"):
            if name not in loaded.split():
                raise NodeError(f"containerd has no {name} after importing {images}: {loaded}")

        # controllers
        kcm_port, scheduler_port, kubelet_port, kubelet_health, proxy_health, proxy_metrics = (
            _free_ports(6)
        )
        self.components["kube-controller-manager"] = _spawn(
            "kube-controller-manager",
            [
                str(binaries["kube-controller-manager"]),
                f"--kubeconfig={kubeconfig('kcm', 'system:kube-controller-manager')}",
                f"--root-ca-file={ca}",
                f"--service-account-private-key-file={self.plane.state_dir / 'pki' / 'sa.key'}",
                "--use-service-account-credentials=true",
                f"--cluster-cidr={POD_CIDR}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={kcm_port}",
                f"--cert-dir={s / 'kcm-certs'}",
                # Seconds, not minutes, for the tests: Jobs' Pods are deleted by their owner.
                "--node-monitor-grace-period=40s",
            ],
            s,
        )
        self.components["kube-scheduler"] = _spawn(
            "kube-scheduler",
            [
                str(binaries["kube-scheduler"]),
                f"--kubeconfig={kubeconfig('scheduler', 'system:kube-scheduler')}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={scheduler_port}",
                f"--cert-dir={s / 'scheduler-certs'}",
            ],
            s,
        )

        # kubelet
        kubelet_config = configs / "kubelet.yaml"
        kubelet_config.write_text(
            yaml.safe_dump(_kubelet_config(s, ca, kubelet_port, kubelet_health)), "utf-8"
        )
        self.components["kubelet"] = _spawn(
            "kubelet",
            [
                str(binaries["kubelet"]),
                f"--config={kubelet_config}",
                f"--kubeconfig={kubeconfig('kubelet', f'system:node:{NODE_NAME}', ['system:nodes'])}",
                f"--root-dir={s / 'kubelet'}",
                f"--cert-dir={s / 'kubelet-certs'}",
                f"--hostname-override={NODE_NAME}",
                f"--node-ip={GATEWAY}",
                "--v=1",
            ],
            s,
        )

        # kube-proxy
        proxy_config = configs / "kube-proxy.yaml"
        proxy_config.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
                    "kind": "KubeProxyConfiguration",
                    "mode": "iptables",
                    "clusterCIDR": POD_CIDR,
                    "hostnameOverride": NODE_NAME,
                    "bindAddress": GATEWAY,
                    "healthzBindAddress": f"127.0.0.1:{proxy_health}",
                    "metricsBindAddress": f"127.0.0.1:{proxy_metrics}",
                    "nodePortAddresses": [f"{GATEWAY}/32"],
                    "clientConnection": {
                        "kubeconfig": str(kubeconfig("kube-proxy", "system:kube-proxy"))
                    },
                    # Leave the host's conntrack sysctls alone (no CAP_SYS_RESOURCE here).
                    "conntrack": {
                        "maxPerCore": 0,
                        "min": 0,
                        "tcpEstablishedTimeout": "0s",
                        "tcpCloseWaitTimeout": "0s",
                    },
                    "iptables": {"localhostNodePorts": False},
                }
            ),
            "utf-8",
        )
        self.components["kube-proxy"] = _spawn(
            "kube-proxy", [str(binaries["kube-proxy"]), f"--config={proxy_config}"], s
        )
        self._write_state()

        def ready() -> bool:
            result = self.kubectl(
                "get",
                "node",
                NODE_NAME,
                "-o",
                'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
                check=False,
            )
            if result.stdout != "True":
                return False
            sa = self.kubectl("-n", "default", "get", "serviceaccount", "default", check=False)
            ca_map = self.kubectl(
                "-n", "default", "get", "configmap", "kube-root-ca.crt", check=False
            )
            return sa.returncode == 0 and ca_map.returncode == 0

        self._wait("node Ready and the default ServiceAccount", ready, timeout)

    def _wait(self, what: str, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            dead = [c for c in self.components.values() if not c.alive()]
            if dead:
                raise NodeError(
                    f"waiting for {what}: "
                    + ", ".join(f"{c.name} (pid {c.pid}) exited" for c in dead)
                    + "\n"
                    + "\n".join(c.tail() for c in dead)
                )
            with contextlib.suppress(subprocess.TimeoutExpired, KubectlError, NodeError):
                if ready():
                    return
            if time.monotonic() > deadline:
                raise NodeError(
                    f"{what}: not reached after {timeout:.0f} s\n"
                    + "\n".join(c.tail() for c in self.components.values())
                )
            time.sleep(0.5)

    # -- state --

    def _write_state(self) -> None:
        state = {
            "plane": str(self.plane.state_dir),
            "server": self.plane.server,
            "kubeconfig": str(self.kubeconfig),
            "components": {
                name: {"pid": c.pid, "argv": c.argv, "log": str(c.log)}
                for name, c in self.components.items()
            },
            "startedAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "startupSeconds": self.startup_seconds,
        }
        (self.state_dir / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", "utf-8")

    @classmethod
    def attach(cls, state_dir: Path = DEFAULT_DIR) -> Node:
        state_dir = state_dir.resolve()
        try:
            state = json.loads((state_dir / STATE_FILE).read_text("utf-8"))
        except FileNotFoundError:
            raise NodeError(f"no node in {state_dir} (no {STATE_FILE})") from None
        plane = ControlPlane.attach(Path(state["plane"]))
        components = {
            name: Component(name, int(c["pid"]), list(c["argv"]), Path(c["log"]))
            for name, c in state["components"].items()
        }
        node = cls(state_dir, plane, components)
        node.startup_seconds = state.get("startupSeconds")
        return node

    def is_healthy(self) -> bool:
        if not self.plane.is_healthy():
            return False
        if any(not (c.alive() and c.is_ours(self.state_dir)) for c in self.components.values()):
            return False
        result = self.kubectl(
            "get",
            "node",
            NODE_NAME,
            "-o",
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
            check=False,
        )
        return result.stdout == "True"

    def logs(self, lines: int = _LOG_TAIL) -> str:
        return "\n".join(c.tail(lines) for c in self.components.values())

    # -- stop --

    def stop(self, *, keep_logs: bool = False) -> None:
        """Stops everything this node started, by pid, and removes its state. Idempotent.

        The controllers go first (nothing recreates Pods), then every Pod is deleted so that the
        kubelet tears its sandbox and network down, then kubelet, kube-proxy (and its iptables
        rules), the containers left, containerd, the plane, the bridge."""
        for name in ("kube-controller-manager", "kube-scheduler"):
            if name in self.components:
                self.components[name].stop(self.state_dir)
        kubelet = self.components.get("kubelet")
        if kubelet and kubelet.alive() and self.plane.is_healthy():
            self.kubectl(
                "delete",
                "pods",
                "--all",
                "--all-namespaces",
                "--grace-period=0",
                "--force",
                "--wait=false",
                check=False,
                timeout=60,
            )
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self._running_tasks():
                time.sleep(0.5)
        for name in ("kubelet", "kube-proxy"):
            if name in self.components:
                self.components[name].stop(self.state_dir)
        if "kube-proxy" in self.components:
            _run([self.components["kube-proxy"].argv[0], "--cleanup"], check=False, timeout=60)
        _remove_kubelet_chains()
        if "containerd" in self.components and self.components["containerd"].alive():
            for task in self._running_tasks():
                self.ctr("tasks", "kill", "--signal", "SIGKILL", task, check=False)
            time.sleep(0.5)
            self._forget_containers()
            self.components["containerd"].stop(self.state_dir)
        self._stop_leftover_shims()
        self.plane.stop(keep_state=True)
        _unmount_below(self.state_dir)
        _delete_bridge()
        _remove_state(self.state_dir, keep_logs=keep_logs)

    def _forget_containers(self) -> None:
        """Removes the containers (and their snapshots) a previous node left in the shared
        containerd root; images stay."""
        for container in self.ctr("containers", "ls", "-q", check=False).split():
            self.ctr("tasks", "delete", "--force", container, check=False)
            self.ctr("containers", "delete", container, check=False)

    def _running_tasks(self) -> list[str]:
        if not self.containerd_socket.exists():
            return []
        out = self.ctr("tasks", "ls", "-q", check=False, timeout=30)
        return [line.strip() for line in out.splitlines() if line.strip()]

    def _stop_leftover_shims(self) -> None:
        """containerd-shim processes outlive containerd; ours name our socket in their argv."""
        marker = os.fsencode(str(self.containerd_socket))
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                argv = (proc / "cmdline").read_bytes().split(b"\0")
                if argv and b"containerd-shim" in argv[0] and any(marker in a for a in argv):
                    os.kill(int(proc.name), signal.SIGKILL)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


# --- host networking ------------------------------------------------------------------------------


def _make_bridge() -> None:
    if _run(["ip", "-br", "link", "show", BRIDGE], check=False):
        _run(["ip", "link", "delete", BRIDGE], check=False)
    _run(["ip", "link", "add", BRIDGE, "type", "bridge"])
    _run(["ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE])
    _run(["ip", "link", "set", BRIDGE, "up"])


def _delete_bridge() -> None:
    _run(["ip", "link", "delete", BRIDGE], check=False)


def _remove_kubelet_chains() -> None:
    """The iptables chains the kubelet makes (kube-proxy --cleanup removes its own)."""
    for tool in ("iptables", "ip6tables"):
        if not shutil.which(tool):
            continue
        for hook in ("INPUT", "OUTPUT"):
            _run([tool, "-t", "filter", "-D", hook, "-j", "KUBE-FIREWALL"], check=False)
        for table, chain in (
            ("filter", "KUBE-FIREWALL"),
            ("filter", "KUBE-KUBELET-CANARY"),
            ("nat", "KUBE-KUBELET-CANARY"),
            ("mangle", "KUBE-KUBELET-CANARY"),
            ("mangle", "KUBE-IPTABLES-HINT"),
        ):
            _run([tool, "-t", table, "-F", chain], check=False)
            _run([tool, "-t", table, "-X", chain], check=False)


def _unmount_below(directory: Path) -> None:
    """Unmounts what containerd and the kubelet left mounted under our state dir, deepest first."""
    prefix = str(directory.resolve()) + "/"
    mounts: list[str] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                mounts.append(point)
    for point in sorted(mounts, key=len, reverse=True):
        _run(["umount", "-l", point], check=False)


def _remove_state(state_dir: Path, *, keep_logs: bool = False) -> None:
    if not (state_dir / MARKER).is_file():
        if state_dir.exists() and any(state_dir.iterdir()):
            raise NodeError(f"{state_dir} is not a node state dir (no {MARKER}): not removing it")
        return
    _unmount_below(state_dir)
    if not keep_logs:
        shutil.rmtree(state_dir, ignore_errors=True)
        return
    (state_dir / "logs").mkdir(exist_ok=True)
    for log in ("etcd.log", "kube-apiserver.log"):  # the plane's, moved beside ours
        with contextlib.suppress(OSError):
            (state_dir / "plane" / log).replace(state_dir / "logs" / log)
    for entry in state_dir.iterdir():
        if entry.name in ("logs", MARKER):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


# --- configuration files ------------------------------------------------------------------------


def _containerd_root() -> Path:
    """containerd's content store and snapshots, kept between nodes so that the images are
    imported (about 40 s) only when their tarball changes; the runtime state is in the node's dir."""
    return seed_cache() / "node" / "containerd-root"


def _containerd_toml(s: Path) -> str:
    c = s / "containerd"
    return f"""# Written by tests/node/node.py.
version = 2
root = "{_containerd_root()}"
state = "{c / "state"}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{c / "containerd.sock"}"

[ttrpc]
  address = "{c / "containerd.sock.ttrpc"}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails with
  # "can't get final child's PID from pipe: EOF" (runc cannot lower oom_score_adj).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{s / "cni" / "net.d"}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{c / "opt"}"
"""


def _cni_conflist(s: Path) -> str:
    return json.dumps(
        {
            "cniVersion": "0.4.0",
            "name": "seed",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": BRIDGE,
                    "isGateway": True,
                    # No masquerading: Pods talk to this host and each other, nothing else.
                    "ipMasq": False,
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": POD_CIDR, "gateway": GATEWAY}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        "dataDir": str(s / "cni" / "ipam"),
                    },
                },
                {"type": "portmap", "capabilities": {"portMappings": True}},
            ],
        },
        indent=2,
    )


def _kubelet_config(s: Path, ca: Path, port: int, health_port: int) -> dict[str, Any]:
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": GATEWAY,
        "port": port,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": health_port,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(ca)},
        },
        "authorization": {"mode": "Webhook"},
        "containerRuntimeEndpoint": f"unix://{s / 'containerd' / 'containerd.sock'}",
        "cgroupDriver": "cgroupfs",
        "failSwapOn": False,
        "clusterDomain": "cluster.local",
        "resolvConf": "/etc/resolv.conf",
        # A shared 2-core machine with a busy disk: never evict, never collect our images.
        "evictionHard": {
            "memory.available": "1Mi",
            "nodefs.available": "1%",
            "nodefs.inodesFree": "1%",
            "imagefs.available": "1%",
        },
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "serializeImagePulls": False,
        "maxPods": 60,
        "staticPodPath": "",
    }


# --- CLI ----------------------------------------------------------------------------------------


def _up(state_dir: Path, timeout: float) -> int:
    if (state_dir / STATE_FILE).exists():
        existing = Node.attach(state_dir)
        if existing.is_healthy():
            _say(f"reusing the running node (state in {state_dir})")
            print(f"export KUBECONFIG={existing.kubeconfig}")
            return 0
        _say(f"the node recorded in {state_dir / STATE_FILE} is not healthy: replacing it")
        existing.stop()
    node = Node.start(state_dir, timeout=timeout)
    install_crds(node.plane)
    pids = {name: c.pid for name, c in node.components.items()} | node.plane.pids
    _say(
        f"node {NODE_NAME} Ready in {node.startup_seconds:.1f} s; API {node.plane.server}; "
        f"pids {pids}; logs in {state_dir}/logs and {node.plane.state_dir}; "
        "stop with: make node-down"
    )
    print(f"export KUBECONFIG={node.kubeconfig}")
    return 0


def _down(state_dir: Path) -> int:
    if not (state_dir / STATE_FILE).exists():
        _say(f"no node recorded in {state_dir}: nothing to stop")
        if (state_dir / MARKER).exists():
            _remove_state(state_dir)
        return 0
    node = Node.attach(state_dir)
    node.stop()
    _say(f"stopped the node and removed {state_dir}")
    return 0


def _status(state_dir: Path) -> int:
    if not (state_dir / STATE_FILE).exists():
        print(f"not running (no {state_dir / STATE_FILE})")
        return 1
    node = Node.attach(state_dir)
    healthy = node.is_healthy()
    print(
        json.dumps(
            {
                "healthy": healthy,
                "server": node.plane.server,
                "kubeconfig": str(node.kubeconfig),
                "alive": {name: c.alive() for name, c in node.components.items()}
                | {
                    "etcd": node.plane._etcd.alive(),
                    "kube-apiserver": node.plane._apiserver.alive(),
                },
            },
            indent=2,
        )
    )
    return 0 if healthy else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.node", description="A real one-node Kubernetes cluster."
    )
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="state directory")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to become Ready")
    args = parser.parse_args(argv)
    state_dir: Path = args.dir.resolve()
    try:
        if args.command == "up":
            return _up(state_dir, args.timeout)
        if args.command == "down":
            return _down(state_dir)
        return _status(state_dir)
    except (NodeError, ControlPlaneError, KubectlError) as error:
        _say(f"ERROR: {error}")
        return 1
