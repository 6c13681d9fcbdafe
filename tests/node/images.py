"""The two images a node needs and no registry serves here: the pod sandbox (`pause`) and the
project's image. Both are tarballs cached under ``$SEED_CACHE/images`` by content hash, imported into
containerd's ``k8s.io`` namespace by tests/node/node.py.

- pause: tests/node/pause.c, linked statically with the host's gcc, packed as a one-layer OCI
  image archive by this module (a few lines of tar and JSON; no tool needed).
- the project's image: tools/build-image.sh (the unmodified Dockerfile built by a private dockerd);
  warm, it only hashes the build context and prints the cached tarball's path.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from tests.cluster.controlplane import REPO, seed_cache

PAUSE_IMAGE = "seed.local/pause:3.10"
PAUSE_SOURCE = Path(__file__).with_name("pause.c")


class ImageError(RuntimeError):
    """An image could not be built."""


def _blob(data: bytes) -> tuple[str, int]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), len(data)


def _oci_archive(binary: bytes, name: str) -> bytes:
    """A one-layer OCI image archive holding /pause, annotated with its image name."""
    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("pause")
        info.size, info.mode, info.mtime = len(binary), 0o755, 0
        tar.addfile(info, io.BytesIO(binary))
    diff_id, _ = _blob(layer_tar.getvalue())
    layer = gzip.compress(layer_tar.getvalue(), mtime=0)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Entrypoint": ["/pause"], "User": "65535:65535"},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        },
        sort_keys=True,
    ).encode()
    layer_digest, layer_size = _blob(layer)
    config_digest, config_size = _blob(config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": config_size,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest,
                    "size": layer_size,
                }
            ],
        },
        sort_keys=True,
    ).encode()
    manifest_digest, manifest_size = _blob(manifest)
    index = json.dumps(
        {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": manifest_digest,
                    "size": manifest_size,
                    "annotations": {
                        "io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1],
                    },
                }
            ],
        },
        sort_keys=True,
    ).encode()
    files = {
        "oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
        "index.json": index,
        **{
            f"blobs/sha256/{digest.split(':')[1]}": data
            for digest, data in (
                (layer_digest, layer),
                (config_digest, config),
                (manifest_digest, manifest),
            )
        },
    }
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return archive.getvalue()


def pause_image() -> Path:
    """The pause image archive (built once per source hash; about a second)."""
    source = PAUSE_SOURCE.read_bytes()
    key = hashlib.sha256(source + PAUSE_IMAGE.encode()).hexdigest()[:16]
    target = seed_cache() / "images" / f"pause-{key}.tar"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="seed-pause-") as work:
        binary = Path(work) / "pause"
        result = subprocess.run(
            ["gcc", "-Os", "-static", "-s", "-o", str(binary), str(PAUSE_SOURCE)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ImageError(
                f"gcc -static {PAUSE_SOURCE} failed (tools/install-node-deps.sh installs gcc "
                f"and libc6-dev):\n{result.stderr}"
            )
        archive = _oci_archive(binary.read_bytes(), PAUSE_IMAGE)
    partial = target.with_suffix(f".tmp{os.getpid()}")
    partial.write_bytes(archive)
    partial.replace(target)
    return target


def project_image(image: str) -> Path:
    """The project's image archive from tools/build-image.sh (local engine); builds it if the
    build context changed (1.5-2 min cold, seconds warm)."""
    result = subprocess.run(
        [str(REPO / "tools" / "build-image.sh")],
        env={**os.environ, "IMAGE": image, "SEED_IMAGE_ENGINE": "local"},
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or not Path(lines[-1]).is_file():
        raise ImageError(
            f"tools/build-image.sh failed with exit code {result.returncode} (its log is above)"
        )
    return Path(lines[-1])
