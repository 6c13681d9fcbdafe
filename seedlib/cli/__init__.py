"""``seedctl``: validate, hash and inspect seeding manifests (and, later, run them).

Exit codes follow ``seedlib.errors.ExitCode``: 0 success, 2 invalid input, 3 lock or queue,
4 dependency unavailable, 5 limit exceeded, 6 isolation. Usage errors also exit 2.

Results and progress are for people (stdout, and progress lines on stderr); logs are redacted JSON
lines on stderr (``seedlib.observability.logs``; ``SEED_LOG_FORMAT=text`` for a human rendering,
``SEED_LOG_LEVEL`` for the level).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import psycopg

from seedlib.cli import _manifests, _run
from seedlib.errors import ExitCode, SeedError
from seedlib.observability.logs import FORMAT_ENV, configure_logging, redact_text

log = logging.getLogger("seedctl")

__all__ = ["build_parser", "main"]

EPILOG = """exit codes:
  0  success
  2  invalid manifest, tenant mismatch, drift, idempotency conflict (or a usage error)
  3  lock held or queue timeout
  4  WORM, Vault or telemetry (OTEL_EXPORTER_OTLP_ENDPOINT) unavailable
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
    configure_logging(
        os.environ.get("SEED_LOG_LEVEL", "INFO"),
        as_json=os.environ.get(FORMAT_ENV, "json").lower() != "text",
    )
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # the embedded server's chatter
    try:
        code: int = args.handler(args)
    except SeedError as exc:
        log.error(
            "seedctl failed",
            extra={"command": args.command, "reason": exc.reason, "exit_code": int(exc.exit_code)},
        )
        _run.termination_message(
            {
                "exitCode": int(exc.exit_code),
                "reason": exc.reason.value,
                "message": exc.message,
                "hint": exc.hint,
            }
        )
        print(f"seedctl: error [{exc.reason}]: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except psycopg.OperationalError as exc:
        log.error(
            "seedctl failed", extra={"command": args.command, "reason": "DatabaseUnavailable"}
        )
        print(
            f"seedctl: error [DatabaseUnavailable]: {redact_text(' '.join(str(exc).split()))}",
            file=sys.stderr,
        )
        return int(ExitCode.UNAVAILABLE)
    except psycopg.Error as exc:
        if os.environ.get("SEEDCTL_DEBUG"):
            raise
        log.error("seedctl failed", extra={"command": args.command, "reason": type(exc).__name__})
        # a database error's DETAIL may quote the row: only the first line, scanned for PII
        first = redact_text(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        print(
            f"seedctl: database error ({type(exc).__name__}): {first}\n"
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
