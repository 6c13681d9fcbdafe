"""Real servers for the evidence tier: moto's S3 (Object Lock) and OpenBao in dev mode.

Both run on loopback ports, as separate processes speaking their real HTTP APIs. A server that does
not come up fails the test run (never a skip). OpenBao comes from tools/build-binaries.sh (cached).
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import hvac

from tests.support import REPO

CACHE = Path(os.environ.get("SEED_CACHE", Path.home() / ".cache" / "seed-operator"))
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_http(
    url: str, process: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{what} exited with {process.returncode}: {log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError as exc:
            if getattr(exc, "code", None) is not None:  # any HTTP answer means it is up
                return
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(
        f"{what} did not answer {url} within {timeout:.0f} s: {log.read_text()[-2000:]}"
    )


def stop_process(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; reaped either way."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def moto_s3(host: str = "127.0.0.1") -> Iterator[str]:
    """moto in server mode on `host`; yields its endpoint URL."""
    port = free_port(host)
    log = Path(tempfile.mkdtemp(prefix="moto-")) / "moto.log"
    server = Path(sys.executable).parent / "moto_server"
    with log.open("wb") as out:
        process = subprocess.Popen([server, "-H", host, "-p", str(port)], stdout=out, stderr=out)
    endpoint = f"http://{host}:{port}"
    try:
        _wait_http(f"{endpoint}/moto-api/", process, "moto_server", log)
        yield endpoint
    finally:
        stop_process(process)


def s3_client(endpoint: str) -> object:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        **{k.lower(): v for k, v in AWS_ENV.items() if k != "AWS_DEFAULT_REGION"},
        region_name="us-east-1",
    )


def bao_binary() -> Path:
    versions = dict(
        line.split("=", 1)
        for line in (REPO / "tools" / "versions.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    binary = CACHE / "bin" / f"bao-{versions['OPENBAO_VERSION']}"
    if not binary.exists():
        subprocess.run([REPO / "tools" / "build-binaries.sh", "bao"], check=True)
    return binary


@dataclass
class Bao:
    address: str
    token: str
    process: subprocess.Popen[bytes]

    def client(self) -> hvac.Client:
        return hvac.Client(url=self.address, token=self.token, timeout=5)

    def write_salt(self, tenant: str, environment: str, salt: bytes) -> int:
        """Write a new version of the tenant's salt; return its KV version number."""
        answer = self.client().secrets.kv.v2.create_or_update_secret(
            f"seeding/{environment}/{tenant}/salt",
            secret={"salt": base64.b64encode(salt).decode()},
            mount_point="secret",
        )
        return int(answer["data"]["version"])


@contextmanager
def openbao(host: str = "127.0.0.1") -> Iterator[Bao]:
    """``bao server -dev`` on `host` with KV v2 at secret/ and a Transit RSA key
    ``seeding-reports``."""
    port = free_port(host)
    home = Path(tempfile.mkdtemp(prefix="bao-"))
    log = home / "bao.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                bao_binary(),
                "server",
                "-dev",
                "-dev-root-token-id=root",
                f"-dev-listen-address={host}:{port}",
                "-dev-no-store-token",
            ],
            stdout=out,
            stderr=out,
            env={**os.environ, "HOME": str(home)},
        )
    bao = Bao(f"http://{host}:{port}", "root", process)
    try:
        _wait_http(f"{bao.address}/v1/sys/health", process, "bao server -dev", log)
        client = bao.client()
        client.sys.enable_secrets_engine("transit", path="transit")
        client.secrets.transit.create_key(
            "seeding-reports", key_type="rsa-3072", mount_point="transit"
        )
        yield bao
    finally:
        stop_process(process)
