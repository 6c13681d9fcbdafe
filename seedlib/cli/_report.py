"""``seedctl report RUN_ID | verify URI | public-key``: a run's signed report, for people."""

from __future__ import annotations

import argparse
import json
import logging
import uuid
from pathlib import Path
from typing import Any

from seedlib.cli._compose import Composition, load_profile_file, validated
from seedlib.cli._options import add_database, add_dev_isolated, compose
from seedlib.contract.profile import SeedProfileSpec
from seedlib.db import store
from seedlib.db.session import writer
from seedlib.errors import ExitCode, InvalidInputError, Reason, SeedError
from seedlib.evidence.worm import LocalWorm, WormStore, verify_report
from seedlib.generator import Context
from seedlib.observability import telemetry
from seedlib.runs.jobsteps import fail_run
from seedlib.runs.publishing import Evidence, ReportRef, publish_run_report
from seedlib.runs.records import utc_now

__all__ = ["publish", "register", "report_inputs"]

log = logging.getLogger("seedctl")


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="publish a run's signed report (RUN_ID), or verify a stored one (verify URI)",
        description="`seedctl report RUN_ID --profile FILE` builds, signs, stores write-once and "
        "verifies the report of a finished run. `seedctl report verify URI [--public-key PEM]` "
        "checks a stored report offline: one version, COMPLIANCE lock, retention >= 365 days, "
        "hash and signature. Exit 0 when verified, 2 otherwise. `seedctl report public-key` prints "
        "the Transit public key auditors verify with.",
    )
    report.add_argument("target", metavar="RUN_ID|verify|public-key")
    report.add_argument("uri", nargs="?", metavar="URI")
    report.add_argument("--profile", type=Path, metavar="FILE", help="the profile the run used")
    report.add_argument(
        "--public-key", type=Path, metavar="PEM", help="trusted public key (Vault Transit export)"
    )
    add_dev_isolated(report, "the local signer and WORM directory")
    add_database(report)
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.target == "verify":
        return _verify(args)
    composition = compose(args)
    if args.target == "public-key":
        print(composition.signer().public_key_pem(), end="")
        return ExitCode.OK
    try:
        run_id = uuid.UUID(args.target)
    except ValueError:
        raise InvalidInputError(
            Reason.USAGE_ERROR,
            f"{args.target!r} is not a run id",
            hint="seedctl report RUN_ID --profile FILE, or seedctl report verify URI",
        ) from None
    if args.profile is None:
        raise InvalidInputError(
            Reason.USAGE_ERROR,
            "seedctl report RUN_ID needs --profile",
            hint="the profile file the run used",
        )
    with composition.observed():
        spec = validated(lambda: load_profile_file(args.profile), run_id)
        ctx, evidence = report_inputs(composition, spec)
        ref, run = publish(ctx, evidence, run_id, composition.database(args.database_url))
    print(
        json.dumps({**ref.as_status(), "outcome": run.get("status"), "reason": run.get("reason")})
    )
    return ExitCode.OK


def report_inputs(composition: Composition, spec: SeedProfileSpec) -> tuple[Context, Evidence]:
    """What a report needs besides the database: the salt (its PII check recomputes values from
    it) and where the report goes."""
    salt = composition.salts().salt(spec.tenant, spec.environment, spec.salt_version)
    return Context.build(spec, salt), composition.evidence(spec.environment.value)


def publish(
    ctx: Context, evidence: Evidence, run_id: uuid.UUID, url: str
) -> tuple[ReportRef, dict[str, Any]]:
    """Export the run's telemetry (a run whose telemetry is lost is failed first), then publish
    its verified report; the reference and the run record as it ended."""
    spec = ctx.spec
    try:  # the run's telemetry must be out before its report can be verified
        telemetry.flush()
    except SeedError as exc:
        fail_run(spec, url, run_id=run_id, error=exc)
        raise
    with writer(url, application="seedctl-report") as conn:
        ref = publish_run_report(conn, ctx, run_id, evidence, clock=utc_now)
        run = store.run_record(conn, spec.tenant, spec.environment, run_id) or {}
    log.info("report published", extra={"uri": ref.uri, "verified": ref.verified})
    return ref, run


def _verify(args: argparse.Namespace) -> int:
    if not args.uri:
        raise InvalidInputError(
            Reason.USAGE_ERROR,
            "seedctl report verify needs a URI",
            hint="s3://bucket/key?versionId=... or file:///...",
        )
    trusted = args.public_key.read_text() if args.public_key else None
    worm: WormStore
    if args.uri.startswith("file://"):
        worm = LocalWorm(Path(args.uri.removeprefix("file://")).parents[4], "dev")
    else:
        worm = compose(args).s3_worm(args.uri.removeprefix("s3://").split("/", 1)[0])
    result = verify_report(worm, args.uri, trusted_public_key=trusted)
    for problem in result.problems:
        print(f"FAIL {problem}")
    if result.verified:
        key_note = (
            "the trusted key"
            if trusted
            else "the key embedded in the report (pass --public-key to pin it)"
        )
        print(f"verified: {args.uri} (signature checked with {key_note})")
        return ExitCode.OK
    return ExitCode.INVALID
