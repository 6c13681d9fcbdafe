"""``seedctl``: validate, hash and inspect seeding manifests (and, later, run them).

Exit codes follow ``seedlib.errors.ExitCode``: 0 success, 2 invalid input, 3 lock or queue,
4 dependency unavailable, 5 limit exceeded, 6 isolation. Usage errors also exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import psycopg

from seedlib.cli import _manifests, _run
from seedlib.errors import ExitCode, SeedError

__all__ = ["build_parser", "main"]

EPILOG = """exit codes:
  0  success
  2  invalid manifest, tenant mismatch, drift, idempotency conflict (or a usage error)
  3  lock held or queue timeout
  4  WORM, Vault or telemetry unavailable
  5  rate limit or budget exhausted
  6  RLS disabled or tenant missing
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedctl",
        description="Deterministic, synthetic, PII-masked banking datasets from SeedProfile manifests.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _manifests.register(commands)
    _run.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except SeedError as exc:
        print(f"seedctl: error [{exc.reason}]: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except psycopg.OperationalError as exc:
        print(
            f"seedctl: error [DatabaseUnavailable]: {' '.join(str(exc).split())}", file=sys.stderr
        )
        return int(ExitCode.UNAVAILABLE)
    except psycopg.Error as exc:
        if os.environ.get("SEEDCTL_DEBUG"):
            raise
        print(
            f"seedctl: database error ({type(exc).__name__}): {' '.join(str(exc).split())}\n"
            "  nothing of the failed batch was kept; set SEEDCTL_DEBUG=1 for a traceback",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("seedctl: interrupted", file=sys.stderr)
        return 130
    return code


def entrypoint() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entrypoint()
