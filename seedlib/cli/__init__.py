"""``seedctl``: validate, hash and inspect seeding manifests, seed them, publish their reports.

One module per command family: ``_manifests`` (validate, hash, window), ``_seed`` (run),
``_preflight``, ``_report`` (report RUN_ID, verify, public-key), ``_admin`` (purge, db migrate) for
people, and ``_jobs`` (``seedctl job ROLE``) for the operator's Jobs; ``_compose`` is the
composition root they all build their dependencies with, from ``seedlib.settings``.

Exit codes follow ``seedlib.errors.ExitCode``: 0 success, 2 invalid input, 3 lock or queue,
4 dependency unavailable, 5 limit exceeded, 6 isolation. Usage errors also exit 2.

Results and progress are for people (stdout, and progress lines on stderr); logs are redacted JSON
lines on stderr, rendered as text when stderr is a terminal (``seedlib.observability.logs``;
``SEED_LOG_FORMAT=json|text`` to choose, ``SEED_LOG_LEVEL`` for the level).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import psycopg

from seedlib.cli import _admin, _jobs, _manifests, _preflight, _report, _seed
from seedlib.contract.job import JobResult, JobRole
from seedlib.errors import ExitCode, InvalidInputError, Reason, SeedError
from seedlib.observability.logs import configure_logging, redact_text
from seedlib.settings import Settings

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
    for family in (_manifests, _seed, _preflight, _report, _admin, _jobs):
        family.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.settings = Settings.from_env()
    except ValueError as exc:  # a malformed variable: said by name, before anything runs
        error = InvalidInputError(Reason.USAGE_ERROR, str(exc), hint="fix the environment")
        if args.command == "job":
            _jobs.answer(JobResult.failed(JobRole(args.role), error))
        print(f"seedctl: error [{error.reason}]: {error}", file=sys.stderr)
        return int(error.exit_code)
    log_format = args.settings.log_format
    configure_logging(
        args.settings.log_level, as_json=None if log_format is None else log_format == "json"
    )
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # the embedded server's chatter
    try:
        code: int = args.handler(args)
    except SeedError as exc:
        log.error(
            "seedctl failed",
            extra={"command": args.command, "reason": exc.reason, "exit_code": int(exc.exit_code)},
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
        if args.settings.debug:
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
