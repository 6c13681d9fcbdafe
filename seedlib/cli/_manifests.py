"""``seedctl validate``, ``seedctl hash`` and ``seedctl window``: the manifest commands."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from seedlib.contract.profile import SeedProfile
from seedlib.documents import ManifestEditError, read_documents, write_manifest_hash
from seedlib.errors import ExitCode
from seedlib.rules.validation import DocumentResult, Violation, problem_details, validate_document
from seedlib.rules.window import closes_at, next_opening, window_contains

__all__ = ["register"]


def register(commands: Any) -> None:
    validate = commands.add_parser(
        "validate",
        help="validate SeedProfile/SeedRun manifests (files, multi-document YAML, directories)",
        description="Validate manifests against the v1 contract, including the integrity hash. "
        "Directories are walked recursively; documents of other API groups found there are "
        "skipped. Exits 0 when every document is valid, 2 otherwise.",
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.add_argument(
        "-o",
        "--output",
        choices=("text", "json"),
        default="text",
        help="json prints RFC 9457 Problem Details (status 422) when anything is invalid",
    )
    validate.set_defaults(handler=_validate)

    hash_ = commands.add_parser(
        "hash",
        help="print (or --write) the manifestHash of SeedProfiles",
        description="Print the sha256 of the RFC 8785 canonical JSON of each SeedProfile's spec "
        "without integrity. With --write, fill spec.integrity.manifestHash in place, changing "
        "nothing else in the file.",
    )
    hash_.add_argument("files", nargs="+", type=Path, metavar="FILE")
    hash_.add_argument("-w", "--write", action="store_true", help="update the files in place")
    hash_.set_defaults(handler=_hash)

    window = commands.add_parser(
        "window",
        help="show whether each profile's off-peak window is open, and when it opens next",
        description="Validate the profiles under PATH and print their window state at --at "
        "(default: now).",
    )
    window.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    window.add_argument(
        "--at",
        type=_instant,
        default=None,
        metavar="INSTANT",
        help='UTC instant to evaluate, e.g. "2025-01-01T03:00:00Z" (default: now)',
    )
    window.set_defaults(handler=_window)


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset or Z: {text!r}")
    return value


def _results(paths: list[Path]) -> list[DocumentResult]:
    results = []
    for doc in read_documents(paths):
        if doc.error is not None:
            results.append(_unreadable(doc.source, doc.error))
            continue
        from_directory = not any(Path(doc.source.split("#")[0]) == p for p in paths)
        results.append(validate_document(doc.data, source=doc.source, skip_foreign=from_directory))
    return results


def _unreadable(source: str, error: str) -> DocumentResult:
    return DocumentResult(source, violations=(Violation("", error, _READ_HINT),))


_READ_HINT = "give a UTF-8 YAML or JSON file holding SeedProfile or SeedRun documents"


def _validate(args: argparse.Namespace) -> int:
    results = _results(args.paths)
    checked = [r for r in results if not r.skipped]
    ok = bool(checked) and all(r.valid for r in checked)
    if args.output == "json":
        body: dict[str, Any] = (
            {"valid": True, "documents": [r.as_dict() for r in results]}
            if ok
            else {"valid": False, **problem_details(results)}
        )
        json.dump(body, sys.stdout, indent=2)
        print()
    else:
        _print_results(results)
    return ExitCode.OK if ok else ExitCode.INVALID


def _print_results(results: list[DocumentResult]) -> None:
    for r in results:
        what = " ".join(x for x in (r.kind, r.name) if x) or "document"
        if r.skipped:
            print(f"{r.source}: skipped ({r.skipped})")
        elif r.valid:
            digest = f" (manifestHash {r.computed_hash})" if r.computed_hash else ""
            print(f"{r.source}: {what} valid{digest}")
        else:
            print(f"{r.source}: {what} INVALID, {len(r.violations)} violation(s)")
            for v in r.violations:
                print(f"  {v.path or '<document>'}: {v.message}")
                print(f"    hint: {v.hint}")
    checked = [r for r in results if not r.skipped]
    invalid = sum(1 for r in checked if not r.valid)
    skipped = len(results) - len(checked)
    print(
        f"{len(checked)} document(s) checked: {len(checked) - invalid} valid, {invalid} invalid"
        + (f", {skipped} skipped" if skipped else "")
    )
    if not checked:
        print("nothing to validate: no SeedProfile or SeedRun documents found", file=sys.stderr)


def _hash(args: argparse.Namespace) -> int:
    code = ExitCode.OK
    for file in args.files:
        if args.write:
            try:
                for digest in write_manifest_hash(file):
                    print(f"{digest}  {file}")
            except ManifestEditError as exc:
                print(f"seedctl hash: {exc}", file=sys.stderr)
                code = ExitCode.INVALID
            continue
        found = False
        for doc in read_documents([file]):
            if doc.error is not None:
                print(f"seedctl hash: {doc.source}: {doc.error}", file=sys.stderr)
                code = ExitCode.INVALID
                continue
            result = validate_document(doc.data, source=doc.source)
            if result.kind == "SeedProfile" and result.computed_hash:
                found = True
                print(f"{result.computed_hash}  {doc.source}")
        if not found and code is ExitCode.OK:
            print(f"seedctl hash: {file}: no SeedProfile document with a spec", file=sys.stderr)
            code = ExitCode.INVALID
    return code


def _window(args: argparse.Namespace) -> int:
    now = args.at or dt.datetime.now(dt.UTC)
    results = _results(args.paths)
    code = ExitCode.OK
    print(f"windows at {now.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}")
    for r in results:
        if r.skipped or r.kind == "SeedRun":
            continue
        if not isinstance(r.model, SeedProfile):
            print(f"  {r.source}: invalid, run `seedctl validate {r.source.split('#')[0]}`")
            code = ExitCode.INVALID
            continue
        spec = r.model.spec
        span = f"{spec.window.start_utc}-{spec.window.end_utc} UTC"
        label = f"{spec.tenant}/{spec.environment} ({spec.mode})"
        if window_contains(spec.window, now):
            state = f"OPEN until {_z(closes_at(spec.window, now))}"
        else:
            opening = next_opening(spec.window, now)
            state = f"closed, opens {_z(opening)} (in {_duration(opening - now)})"
        print(f"  {label:<28} {span:<17} {state}")
    return code


def _z(instant: dt.datetime) -> str:
    return f"{instant:%Y-%m-%dT%H:%M:%SZ}"


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"
