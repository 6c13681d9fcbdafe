"""An envtest-style Kubernetes control plane for the cluster test tier: etcd + kube-apiserver.

There is no kubelet, scheduler or controller-manager: no garbage collection, no namespace
finalisation (deleted namespaces stay Terminating), no default ServiceAccounts and the aggregated
ClusterRoles (admin/edit/view) have no rules. See tools/README.md.

Binaries come from tools/build-binaries.sh (cached under
``${SEED_CACHE:-~/.cache/seed-operator}/bin/<name>-<version>``; ``ETCD_BIN``,
``KUBE_APISERVER_BIN`` and ``KUBECTL_BIN`` override them). Certificates are made with
``cryptography``: a CA, the API server's serving certificate, an admin client certificate in
``system:masters`` and the service-account RSA key pair.

In Python::

    with ControlPlane.start() as plane:
        install_crds(plane)
        plane.kubectl("get", "crds")

From a shell (the processes outlive the command; ``up`` twice reuses a healthy plane)::

    python -m tests.cluster.controlplane up [--dir .seed/cluster]   # prints export KUBECONFIG=...
    python -m tests.cluster.controlplane status [--dir ...]         # exit 0 only when healthy
    python -m tests.cluster.controlplane down [--dir ...]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import datetime as dt
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from kubernetes.client import ApiClient
from kubernetes.config import new_client_from_config_dict

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
CRDS_DIR = REPO / "crds"
DEFAULT_DIR = REPO / ".seed" / "cluster"

STATE_FILE = "state.json"
KUBECONFIG_FILE = "kubeconfig"
ETCD_LOG = "etcd.log"
APISERVER_LOG = "kube-apiserver.log"
# start() writes MARKER first; removing a state dir requires it and deletes only the entries below
# (then the dir, if that left it empty), so `down --dir SOMEWHERE` cannot delete foreign files.
MARKER = ".seed-envtest"
_STATE_ENTRIES = (
    "pki",
    "etcd-data",
    "users",
    "kube-cache",
    "client-tmp",
    KUBECONFIG_FILE,
    STATE_FILE,
    ETCD_LOG,
    APISERVER_LOG,
    MARKER,
)
_CONTEXT = "seed-envtest"
_FIELD_MANAGER = "seed-envtest"
_SERVICE_CIDR = "10.0.0.0/24"
_CERT_DAYS = 365
# Without a controller-manager no ServiceAccount exists and no token could be mounted.
_ENVTEST_APISERVER_ARGS = (
    "--authorization-mode=RBAC",
    "--disable-admission-plugins=ServiceAccount",
)
_NODE_APISERVER_ARGS = (
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    # Reach kubelets (logs, exec) at the address they report, not through DNS.
    "--kubelet-preferred-address-types=InternalIP",
)
_LOG_TAIL = 40

# name -> (versions.env key, override environment variable)
_BINARIES = {
    "etcd": ("ETCD_VERSION", "ETCD_BIN"),
    "kube-apiserver": ("KUBERNETES_VERSION", "KUBE_APISERVER_BIN"),
    "kubectl": ("KUBERNETES_VERSION", "KUBECTL_BIN"),
}


class ControlPlaneError(RuntimeError):
    """The control plane could not be started, reached or stopped."""


class KubectlError(subprocess.CalledProcessError):
    """kubectl exited non-zero; unlike CalledProcessError, str() shows what kubectl said."""

    def __str__(self) -> str:
        return (
            f"{' '.join(map(str, self.cmd))} exited {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


# --- binaries -----------------------------------------------------------------------------------


def load_versions(path: Path = TOOLS / "versions.env") -> dict[str, str]:
    """tools/versions.env: plain KEY=VALUE lines; `#` comments and blank lines are skipped."""
    versions: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Z0-9_]+", key):
            raise ControlPlaneError(f"{path}:{number}: not a KEY=VALUE line: {raw!r}")
        versions[key] = value
    return versions


def seed_cache() -> Path:
    return Path(os.environ.get("SEED_CACHE") or Path.home() / ".cache" / "seed-operator")


@dataclass(frozen=True)
class Binaries:
    etcd: Path
    kube_apiserver: Path
    kubectl: Path


def _binary_paths() -> dict[str, Path]:
    versions = load_versions()
    paths: dict[str, Path] = {}
    for name, (key, override) in _BINARIES.items():
        if os.environ.get(override):
            paths[name] = Path(os.environ[override])
        else:
            paths[name] = seed_cache() / "bin" / f"{name}-{versions[key]}"
    return paths


def locate_binaries(*, build: bool = True) -> Binaries:
    """The pinned etcd, kube-apiserver and kubectl; builds the missing ones with
    tools/build-binaries.sh (cached; a cold build takes about 5 minutes and needs Go >= 1.26)."""
    paths = _binary_paths()
    missing = [name for name, path in paths.items() if not os.access(path, os.X_OK)]
    overridden = [n for n in missing if os.environ.get(_BINARIES[n][1])]
    if overridden:
        raise ControlPlaneError(
            ", ".join(f"{_BINARIES[n][1]}={paths[n]} is not an executable" for n in overridden)
        )
    if missing and build:
        print(
            f"controlplane: building {' '.join(missing)} with tools/build-binaries.sh "
            "(cached afterwards; a cold build takes about 5 minutes)",
            file=sys.stderr,
            flush=True,
        )
        result = subprocess.run([str(TOOLS / "build-binaries.sh"), *missing], check=False)
        if result.returncode != 0:
            raise ControlPlaneError(
                f"tools/build-binaries.sh {' '.join(missing)} failed with exit code "
                f"{result.returncode} (its output is above)"
            )
        missing = [name for name, path in paths.items() if not os.access(path, os.X_OK)]
    if missing:
        raise ControlPlaneError(
            "missing binaries: "
            + ", ".join(f"{paths[n]}" for n in missing)
            + f"; run tools/build-binaries.sh {' '.join(missing)}"
        )
    return Binaries(paths["etcd"], paths["kube-apiserver"], paths["kubectl"])


# --- certificates -------------------------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Pki:
    """The plane's certificate authority and the certificates it issues (ECDSA P-256)."""

    def __init__(
        self, directory: Path, ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate
    ) -> None:
        self.directory = directory
        self._ca_key = ca_key
        self._ca_cert = ca_cert

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @classmethod
    def create(cls, directory: Path, extra_server_names: Sequence[str] = ()) -> Pki:
        """A new CA, the serving and admin certificates and the service-account key pair."""
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seed-envtest-ca")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=_CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_private(directory / "ca.key", _key_pem(key))
        (directory / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        pki = cls(directory, key, cert)
        pki.issue(
            "apiserver",
            "kube-apiserver",
            server_names=(
                "localhost",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
                "127.0.0.1",
                "10.0.0.1",  # the `kubernetes` Service's IP in --service-cluster-ip-range
                *(name for name in extra_server_names if name != "127.0.0.1"),
            ),
        )
        pki.issue("admin", "seed-envtest-admin", groups=("system:masters",))
        sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(directory / "sa.key", _key_pem(sa_key))
        (directory / "sa.pub").write_bytes(
            sa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return pki

    @classmethod
    def load(cls, directory: Path) -> Pki:
        key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ControlPlaneError(f"{directory / 'ca.key'} is not an EC key")
        cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
        return cls(directory, key, cert)

    def issue(
        self,
        stem: str,
        common_name: str,
        *,
        groups: Sequence[str] = (),
        server_names: Sequence[str] = (),
    ) -> tuple[Path, Path]:
        """Writes <stem>.crt and <stem>.key: a client certificate (CN = user, O = groups), or a
        serving certificate when server_names (DNS names or IP addresses) are given."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in groups]
            + [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        )
        now = dt.datetime.now(dt.UTC)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server_names else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=_CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()),
                critical=False,
            )
        )
        if server_names:
            alt: list[x509.GeneralName] = []
            for value in server_names:
                try:
                    alt.append(x509.IPAddress(ipaddress.ip_address(value)))
                except ValueError:
                    alt.append(x509.DNSName(value))
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        cert = builder.sign(self._ca_key, hashes.SHA256())
        cert_path, key_path = self.directory / f"{stem}.crt", self.directory / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_private(key_path, _key_pem(key))
        return cert_path, key_path


def _kubeconfig(server: str, ca_cert: Path, cert: Path, key: Path, user: str) -> dict[str, Any]:
    def b64(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode("ascii")

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": _CONTEXT,
                "cluster": {"server": server, "certificate-authority-data": b64(ca_cert)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
            }
        ],
        "contexts": [{"name": _CONTEXT, "context": {"cluster": _CONTEXT, "user": user}}],
        "current-context": _CONTEXT,
        "preferences": {},
    }


def _write_kubeconfig(path: Path, config: dict[str, Any]) -> None:
    _write_private(path, yaml.safe_dump(config, sort_keys=False).encode("utf-8"))


# --- processes ----------------------------------------------------------------------------------


def _free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (held open together while choosing, so they differ;
    a small race with other processes remains, which start() retries)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent_preexec() -> Any:
    """A preexec_fn giving the child PR_SET_PDEATHSIG=SIGKILL, so that a test run that dies without
    stop() (even by SIGKILL) leaves no etcd or kube-apiserver behind. SIGKILL, not SIGTERM: both
    would get the signal at once and kube-apiserver's graceful shutdown then spends ~20 s retrying
    the vanished etcd. Linux only; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None

    def preexec() -> None:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def _spawn(argv: Sequence[str], log: Path, *, detached: bool) -> subprocess.Popen[bytes]:
    # etcd reads ETCD_* environment variables as flags: keep the caller's out of it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD_")}
    with log.open("ab") as out:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            # Own session: a Ctrl-C in the terminal reaches the test run (whose teardown stops
            # the plane in order), not the servers directly; detached planes survive the shell.
            start_new_session=True,
            preexec_fn=None if detached else _die_with_parent_preexec(),  # noqa: PLW1509
        )


def _pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    # A zombie has exited; only its parent's wait() is missing.
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_ours(pid: int, binary: str, state_dir: Path) -> bool:
    """Whether pid is still the process this plane started: same binary, flags naming our state
    dir (guards against pid reuse before signalling a pid read from state.json)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not argv or os.fsdecode(argv[0]) != binary:
        return False
    marker = os.fsencode(str(state_dir))
    return any(marker in arg for arg in argv[1:])


def _tail(path: Path, lines: int = _LOG_TAIL) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"({path.name}: no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class _Process:
    name: str
    pid: int
    binary: str
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return _pid_alive(self.pid)

    def exit_description(self) -> str:
        if self.popen is not None and self.popen.returncode is not None:
            return f"{self.name} exited with code {self.popen.returncode}"
        return f"{self.name} (pid {self.pid}) is not running"


def _stop_process(process: _Process, state_dir: Path, timeout: float) -> None:
    if process.popen is not None:
        if process.popen.poll() is None:
            process.popen.terminate()
            try:
                process.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(timeout)
        return
    if not _pid_alive(process.pid):
        return
    if not _is_ours(process.pid, process.binary, state_dir):
        print(
            f"controlplane: not signalling pid {process.pid}: it is no longer {process.name} "
            f"of {state_dir}",
            file=sys.stderr,
        )
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while _pid_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def _ssl_context(pki_dir: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki_dir / "ca.crt"))
    context.load_cert_chain(str(pki_dir / "admin.crt"), str(pki_dir / "admin.key"))
    return context


def _get(url: str, context: ssl.SSLContext | None = None, timeout: float = 2.0) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            body: bytes = response.read()
            return body.decode("utf-8", "replace")
    except (OSError, urllib.error.URLError, ssl.SSLError):
        return None


# --- the plane ----------------------------------------------------------------------------------


class ControlPlane:
    """A running etcd + kube-apiserver. Make one with start(), or attach() to one that
    `python -m tests.cluster.controlplane up` left running."""

    def __init__(
        self,
        *,
        state_dir: Path,
        server: str,
        binaries: Binaries,
        etcd: _Process,
        apiserver: _Process,
        ports: dict[str, int],
        owns_dir: bool,
        keep: bool,
        startup_seconds: float | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.server = server
        self.binaries = binaries
        self.ports = ports
        self.startup_seconds = startup_seconds
        self.keep = keep
        self._etcd = etcd
        self._apiserver = apiserver
        self._owns_dir = owns_dir
        self._stopped = False

    # -- construction --

    @classmethod
    def start(
        cls,
        state_dir: Path | None = None,
        *,
        keep: bool = False,
        detached: bool = False,
        ready_timeout: float = 60.0,
        binaries: Binaries | None = None,
        extra_apiserver_args: Sequence[str] = (),
        address: str = "127.0.0.1",
        for_node: bool = False,
    ) -> ControlPlane:
        """Starts etcd and kube-apiserver on free loopback ports and waits for /readyz.

        state_dir: where certificates, etcd data, logs and the kubeconfig go (default: a new temp
        dir, removed by stop() unless keep). detached: the processes are not tied to this
        Python process (the CLI's `up`); otherwise they get SIGKILL when it exits without stop().
        Raises ControlPlaneError, with the last log lines, if the plane is not ready in time.

        address: where kube-apiserver listens and what it advertises (the `kubernetes` Service's
        endpoint). for_node: a plane for real nodes (tests/node): the ServiceAccount and
        NodeRestriction admission plugins, Node,RBAC authorization and a client certificate for
        the kubelets' API (logs, exec); the serving certificate then also names `address`."""
        binaries = binaries or locate_binaries()
        owns_dir = state_dir is None
        if state_dir is None:
            state_dir = Path(tempfile.mkdtemp(prefix="seed-envtest-"))
        state_dir = state_dir.resolve()
        state_dir.mkdir(parents=True, exist_ok=True)
        if (state_dir / STATE_FILE).exists():
            raise ControlPlaneError(
                f"{state_dir / STATE_FILE} exists: a plane may be running there "
                "(attach() to it, or stop it first)"
            )
        started = time.monotonic()
        (state_dir / MARKER).write_text("state dir of tests/cluster/controlplane.py\n", "utf-8")
        try:
            pki = Pki.create(state_dir / "pki", extra_server_names=(address,))
            if for_node:
                pki.issue("apiserver-kubelet-client", "kube-apiserver", groups=("system:masters",))
            mode_args = _NODE_APISERVER_ARGS if for_node else _ENVTEST_APISERVER_ARGS
            if for_node:
                p = pki.directory
                mode_args = (
                    *mode_args,
                    f"--kubelet-client-certificate={p / 'apiserver-kubelet-client.crt'}",
                    f"--kubelet-client-key={p / 'apiserver-kubelet-client.key'}",
                )
            for attempt in range(3):
                try:
                    plane = cls._launch(
                        state_dir,
                        pki,
                        binaries,
                        detached,
                        ready_timeout,
                        (*mode_args, *extra_apiserver_args),
                        address,
                    )
                    break
                except _PortTaken:
                    if attempt == 2:
                        raise ControlPlaneError(
                            "a chosen port was taken three times in a row"
                        ) from None
            plane._owns_dir = owns_dir
            plane.keep = keep
            plane.startup_seconds = time.monotonic() - started
            plane._write_state()
            return plane
        except BaseException:
            if not keep:
                _remove_state(state_dir, owns_dir)
            raise

    @classmethod
    def _launch(
        cls,
        state_dir: Path,
        pki: Pki,
        binaries: Binaries,
        detached: bool,
        ready_timeout: float,
        extra_apiserver_args: Sequence[str],
        address: str = "127.0.0.1",
    ) -> ControlPlane:
        etcd_client, etcd_peer, api_port = _free_ports(3)
        for log in (ETCD_LOG, APISERVER_LOG):
            (state_dir / log).unlink(missing_ok=True)
        shutil.rmtree(state_dir / "etcd-data", ignore_errors=True)
        client_url = f"http://127.0.0.1:{etcd_client}"
        peer_url = f"http://127.0.0.1:{etcd_peer}"
        etcd_argv = [
            str(binaries.etcd),
            "--name=seed-envtest",
            f"--data-dir={state_dir / 'etcd-data'}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=seed-envtest={peer_url}",
            "--unsafe-no-fsync=true",
        ]
        etcd_popen = _spawn(etcd_argv, state_dir / ETCD_LOG, detached=detached)
        etcd = _Process(
            "etcd", etcd_popen.pid, str(binaries.etcd), state_dir / ETCD_LOG, etcd_popen
        )
        processes = [etcd]
        try:
            _wait_for(
                "etcd /health",
                lambda: '"health":"true"' in (_get(f"{client_url}/health") or ""),
                processes,
                ready_timeout,
            )
            p = pki.directory
            api_argv = [
                str(binaries.kube_apiserver),
                f"--etcd-servers={client_url}",
                f"--bind-address={address}",
                f"--advertise-address={address}",
                f"--secure-port={api_port}",
                f"--tls-cert-file={p / 'apiserver.crt'}",
                f"--tls-private-key-file={p / 'apiserver.key'}",
                f"--client-ca-file={p / 'ca.crt'}",
                f"--service-cluster-ip-range={_SERVICE_CIDR}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={p / 'sa.pub'}",
                f"--service-account-signing-key-file={p / 'sa.key'}",
                "--allow-privileged=true",
                *extra_apiserver_args,
            ]
            api_popen = _spawn(api_argv, state_dir / APISERVER_LOG, detached=detached)
            apiserver = _Process(
                "kube-apiserver",
                api_popen.pid,
                str(binaries.kube_apiserver),
                state_dir / APISERVER_LOG,
                api_popen,
            )
            processes.append(apiserver)
            server = f"https://{address}:{api_port}"
            context = _ssl_context(p)
            _wait_for(
                "kube-apiserver /readyz",
                lambda: _get(f"{server}/readyz", context) == "ok",
                processes,
                ready_timeout,
            )
        except BaseException:
            for process in reversed(processes):
                _stop_process(process, state_dir, 15.0)
            raise
        admin_crt, admin_key = p / "admin.crt", p / "admin.key"
        _write_kubeconfig(
            state_dir / KUBECONFIG_FILE,
            _kubeconfig(server, p / "ca.crt", admin_crt, admin_key, "seed-envtest-admin"),
        )
        return cls(
            state_dir=state_dir,
            server=server,
            binaries=binaries,
            etcd=etcd,
            apiserver=apiserver,
            ports={"etcdClient": etcd_client, "etcdPeer": etcd_peer, "apiserver": api_port},
            owns_dir=False,
            keep=True,
        )

    @classmethod
    def attach(cls, state_dir: Path = DEFAULT_DIR) -> ControlPlane:
        """The plane described by <state_dir>/state.json (as written by start()). stop() on it
        stops those processes (after checking they are still ours) and removes the state."""
        state_dir = state_dir.resolve()
        try:
            state = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
            binaries = Binaries(
                Path(state["binaries"]["etcd"]),
                Path(state["binaries"]["kube-apiserver"]),
                Path(state["binaries"]["kubectl"]),
            )
            pids = {name: int(state["pids"][name]) for name in ("etcd", "kube-apiserver")}
        except FileNotFoundError:
            raise ControlPlaneError(f"no control plane in {state_dir} (no {STATE_FILE})") from None
        except (ValueError, KeyError, TypeError) as error:
            raise ControlPlaneError(
                f"{state_dir / STATE_FILE} is not a state file of this module ({error!r}); "
                "stop its processes by hand if any run, then remove it"
            ) from None
        return cls(
            state_dir=state_dir,
            server=state["server"],
            binaries=binaries,
            etcd=_Process("etcd", pids["etcd"], str(binaries.etcd), state_dir / ETCD_LOG),
            apiserver=_Process(
                "kube-apiserver",
                pids["kube-apiserver"],
                str(binaries.kube_apiserver),
                state_dir / APISERVER_LOG,
            ),
            ports=state["ports"],
            owns_dir=bool(state.get("ownsDir", False)),
            keep=False,
        )

    def _write_state(self) -> None:
        state = {
            "server": self.server,
            "kubeconfig": str(self.kubeconfig),
            "pids": {"etcd": self._etcd.pid, "kube-apiserver": self._apiserver.pid},
            "ports": self.ports,
            "binaries": {
                "etcd": str(self.binaries.etcd),
                "kube-apiserver": str(self.binaries.kube_apiserver),
                "kubectl": str(self.binaries.kubectl),
            },
            "ownsDir": self._owns_dir,
            "startedAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "startupSeconds": self.startup_seconds,
        }
        (self.state_dir / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", "utf-8")

    # -- use --

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (system:masters, embedded certificates)."""
        return self.state_dir / KUBECONFIG_FILE

    @property
    def pids(self) -> dict[str, int]:
        return {"etcd": self._etcd.pid, "kube-apiserver": self._apiserver.pid}

    def is_healthy(self) -> bool:
        """Both processes are still ours and alive, and /readyz answers ok."""
        for process in (self._etcd, self._apiserver):
            if not process.alive():
                return False
            if process.popen is None and not _is_ours(process.pid, process.binary, self.state_dir):
                return False
        try:
            context = _ssl_context(self.state_dir / "pki")
        except (OSError, ssl.SSLError):
            return False
        return _get(f"{self.server}/readyz", context) == "ok"

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        kubeconfig: Path | None = None,
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[str]:
        """Runs the pinned kubectl against this plane (as admin, or as the user of `kubeconfig`).
        check=True raises KubectlError (stdout and stderr in its message) on a non-zero exit."""
        config = str(kubeconfig or self.kubeconfig)
        env = dict(os.environ, KUBECONFIG=config, KUBECACHEDIR=str(self.state_dir / "kube-cache"))
        argv = [str(self.binaries.kubectl), f"--kubeconfig={config}", *args]
        result = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise KubectlError(result.returncode, argv, result.stdout, result.stderr)
        return result

    def api_client(self, kubeconfig: Path | None = None) -> ApiClient:
        """A kubernetes.client.ApiClient for this plane, configured from the admin kubeconfig (or
        `kubeconfig`); kubernetes.client.Configuration's global default is left untouched."""
        config = yaml.safe_load((kubeconfig or self.kubeconfig).read_text(encoding="utf-8"))
        temp = self.state_dir / "client-tmp"
        temp.mkdir(exist_ok=True)
        client: ApiClient = new_client_from_config_dict(  # type: ignore[no-untyped-call]
            config_dict=config, persist_config=False, temp_file_path=str(temp)
        )
        return client

    def make_client_credentials(self, user: str, groups: Iterable[str] = ()) -> Path:
        """Issues a client certificate for `user` (CN) in `groups` (O) and returns the path of a
        kubeconfig that authenticates as that user (for RBAC tests; grant nothing by default)."""
        groups = tuple(groups)
        digest = hashlib.sha256(json.dumps([user, groups]).encode()).hexdigest()[:10]
        stem = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', user)[:60]}-{digest}"
        users = self.state_dir / "users"
        users.mkdir(exist_ok=True)
        pki = Pki.load(self.state_dir / "pki")
        cert, key = Pki(users, pki._ca_key, pki._ca_cert).issue(stem, user, groups=groups)
        path = users / f"{stem}.kubeconfig"
        _write_kubeconfig(path, _kubeconfig(self.server, pki.ca_cert, cert, key, user))
        return path

    def logs(self, lines: int = _LOG_TAIL) -> str:
        """The last lines of the etcd and kube-apiserver logs."""
        return _format_logs([self._etcd, self._apiserver], lines)

    def stop(self, *, keep_state: bool | None = None, timeout: float = 15.0) -> None:
        """SIGTERM kube-apiserver then etcd, SIGKILL after `timeout` s; then removes the state
        dir (unless keep_state, which defaults to the `keep` given to start()). Idempotent."""
        if self._stopped:
            return
        for process in (self._apiserver, self._etcd):
            _stop_process(process, self.state_dir, timeout)
        # Processes that are not our children (attach()) stay zombies until init reaps them, and
        # `pgrep` lists them as <defunct>: give init a moment, so `down` leaves a clean table.
        orphans = [p.pid for p in (self._apiserver, self._etcd) if p.popen is None]
        deadline = time.monotonic() + 3.0
        while any(Path(f"/proc/{pid}").exists() for pid in orphans):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self._stopped = True
        if not (self.keep if keep_state is None else keep_state):
            _remove_state(self.state_dir, self._owns_dir)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class _PortTaken(Exception):
    pass


def _format_logs(processes: Sequence[_Process], lines: int = _LOG_TAIL) -> str:
    return "\n".join(
        f"----- last {lines} lines of {process.log} -----\n{_tail(process.log, lines)}"
        for process in processes
    )


def _wait_for(
    what: str,
    ready: Any,
    processes: Sequence[_Process],
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        dead = [process for process in processes if not process.alive()]
        if dead or time.monotonic() > deadline:
            logs = _format_logs(processes)
            if dead and "address already in use" in logs:
                raise _PortTaken(what)
            reason = (
                "; ".join(process.exit_description() for process in dead)
                if dead
                else f"not ready after {timeout:.0f} s"
            )
            raise ControlPlaneError(f"waiting for {what}: {reason}\n{logs}")
        time.sleep(0.2)


def _remove_state(state_dir: Path, owns_dir: bool) -> None:
    if owns_dir:
        shutil.rmtree(state_dir, ignore_errors=True)
        return
    if not (state_dir / MARKER).is_file():
        return
    for name in _STATE_ENTRIES:
        path = state_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        state_dir.rmdir()  # only if empty


# --- CRDs ---------------------------------------------------------------------------------------


def _crd_documents(directory: Path) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                documents.append(document)
    if not documents:
        raise ControlPlaneError(f"no CustomResourceDefinition in {directory}/*.yaml")
    return documents


def install_crds(
    plane: ControlPlane, directory: Path = CRDS_DIR, timeout: float = 60.0
) -> list[str]:
    """`kubectl apply --server-side -f crds/`, then waits until every CRD is Established=True and
    its resources are served (the first request right after Established can still 404 while
    discovery catches up). Returns the CRD names."""
    documents = _crd_documents(directory)
    names = [document["metadata"]["name"] for document in documents]
    plane.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        f"--field-manager={_FIELD_MANAGER}",
        "-f",
        str(directory),
    )
    plane.kubectl(
        "wait",
        "--for=condition=Established",
        *(f"crd/{name}" for name in names),
        f"--timeout={max(1, int(timeout))}s",
        timeout=timeout + 30,
    )
    deadline = time.monotonic() + timeout
    for document in documents:
        spec = document["spec"]
        for version in (v["name"] for v in spec["versions"] if v.get("served")):
            path = f"/apis/{spec['group']}/{version}/{spec['names']['plural']}"
            while True:
                result = plane.kubectl("get", "--raw", path, check=False)
                if result.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    raise ControlPlaneError(f"{path} not served after {timeout:.0f} s: {result}")
                time.sleep(0.2)
    return names


# --- CLI ----------------------------------------------------------------------------------------


def _say(message: str) -> None:
    print(f"controlplane: {message}", file=sys.stderr, flush=True)


def _up(state_dir: Path, timeout: float) -> int:
    if (state_dir / STATE_FILE).exists():
        existing = ControlPlane.attach(state_dir)
        if existing.is_healthy():
            _say(f"reusing the running plane at {existing.server} (pids {existing.pids})")
            install_crds(existing)
            print(f"export KUBECONFIG={existing.kubeconfig}")
            return 0
        _say(f"the plane recorded in {state_dir / STATE_FILE} is not healthy: replacing it")
        existing.stop()
    plane = ControlPlane.start(state_dir, keep=True, detached=True, ready_timeout=timeout)
    try:
        names = install_crds(plane)
    except BaseException:
        plane.stop(keep_state=False)
        raise
    _say(
        f"kube-apiserver {plane.server} ready in {plane.startup_seconds:.1f} s "
        f"(pids {plane.pids}); CRDs established: {', '.join(names)}; "
        f"logs in {state_dir}; stop with: make cluster-down"
    )
    print(f"export KUBECONFIG={plane.kubeconfig}")
    return 0


def _down(state_dir: Path) -> int:
    if not (state_dir / STATE_FILE).exists():
        _say(f"no control plane recorded in {state_dir}: nothing to stop")
        _remove_state(state_dir, owns_dir=False)  # what a failed `up` may have left (logs, certs)
        return 0
    plane = ControlPlane.attach(state_dir)
    plane.stop()
    _say(f"stopped {plane.pids} and removed the state in {state_dir}")
    return 0


def _status(state_dir: Path) -> int:
    if not (state_dir / STATE_FILE).exists():
        print(f"not running (no {state_dir / STATE_FILE})")
        return 1
    plane = ControlPlane.attach(state_dir)
    healthy = plane.is_healthy()
    print(
        json.dumps(
            {
                "healthy": healthy,
                "server": plane.server,
                "kubeconfig": str(plane.kubeconfig),
                "pids": plane.pids,
                "alive": {
                    "etcd": plane._etcd.alive(),
                    "kube-apiserver": plane._apiserver.alive(),
                },
                "ports": plane.ports,
            },
            indent=2,
        )
    )
    return 0 if healthy else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.cluster.controlplane",
        description="An envtest-style control plane (etcd + kube-apiserver) with the CRDs.",
    )
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_DIR,
        help=f"state directory (default: {DEFAULT_DIR.relative_to(REPO)} in the repository)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for each server (up)"
    )
    args = parser.parse_args(argv)
    state_dir: Path = args.dir.resolve()
    try:
        if args.command == "up":
            return _up(state_dir, args.timeout)
        if args.command == "down":
            return _down(state_dir)
        return _status(state_dir)
    except (ControlPlaneError, KubectlError) as error:
        _say(f"ERROR: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
