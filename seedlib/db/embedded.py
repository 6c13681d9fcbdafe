"""The embedded PostgreSQL 16 (the ``pgserver`` package) that ``seedctl run`` uses without a URL.

Data lives under ``$SEED_LOCAL_DIR/pg`` (default ``.seed/pg``), so a second run reuses the dataset; the
server itself is started on demand, listens on a Unix socket only, and stops when the last process
using it exits.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Final

__all__ = ["DATA_SUBDIR", "embedded_url"]

DATA_SUBDIR: Final = "pg"
"""The server's data directory inside the local directory (``Settings.local_dir``)."""
_RUNNING: dict[Path, object] = {}  # keeps each server handle alive for the life of the process


def embedded_url(data_dir: Path) -> str:
    """Start (or join) the embedded server and return a connection URL to its ``postgres`` db."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR in containers
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server  # noqa: PLC0415 (import warns too)

        server = get_server(data_dir.resolve(), cleanup_mode="stop")
    _RUNNING[data_dir.resolve()] = server
    url: str = server.get_uri()
    return url
