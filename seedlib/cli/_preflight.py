"""``seedctl preflight PROFILE``: every dependency of a run checked, nothing written."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from seedlib.cli._compose import load_profile_file, validated
from seedlib.cli._options import add_database, add_dev_isolated, add_output, compose
from seedlib.errors import ExitCode
from seedlib.runs.preflight import Preflight, run_preflight
from seedlib.runs.records import utc_now

__all__ = ["print_checks", "register"]


def register(commands: Any) -> None:
    preflight = commands.add_parser(
        "preflight",
        help="check every dependency of a run without writing anything",
        description="Salt readable (Vault), WORM store write-once, PostgreSQL migrated with RLS "
        "forced and a non-bypass writer, no drift, purge not overdue, budget. Exits with the first "
        "failure's code.",
    )
    preflight.add_argument(
        "profile", type=Path, metavar="PROFILE", help="a SeedProfile manifest file"
    )
    add_dev_isolated(preflight, "the local salt and local WORM")
    add_output(preflight)
    add_database(preflight)
    preflight.set_defaults(handler=_preflight)


def _preflight(args: argparse.Namespace) -> int:
    composition = compose(args)
    with composition.observed():
        spec = validated(lambda: load_profile_file(args.profile), None)
        evidence = composition.evidence(spec.environment.value)
        result = run_preflight(
            spec,
            salts=composition.salts(),
            worm=evidence.worm,
            database_url=composition.database(args.database_url),
            cost_per_million_rows=evidence.cost_per_million_rows,
            clock=utc_now,
        )
        print_checks(result, args.output)
    error = result.first_error
    return int(error.exit_code) if error else ExitCode.OK


def print_checks(result: Preflight, output: str) -> None:
    if output == "json":
        verdict = {"passed": result.passed, "checks": [c.as_dict() for c in result.checks]}
        print(json.dumps(verdict, indent=2))
        return
    for check in result.checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} {check.name:<9} {check.detail}")
        if check.error is not None and check.error.hint:
            print(f"     hint: {check.error.hint}")
