"""Arguments several seedctl commands share, declared once."""

from __future__ import annotations

import argparse

from seedlib.cli._compose import Composition

__all__ = ["add_database", "add_dev_isolated", "add_output", "compose", "positive"]


def add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=None,
        metavar="URL",
        help="PostgreSQL URL (default: $SEED_DATABASE_URL, else the embedded server under "
        "$SEED_LOCAL_DIR/pg, default .seed/pg)",
    )


def add_dev_isolated(parser: argparse.ArgumentParser, what: str = "the local dev salt") -> None:
    parser.add_argument(
        "--dev-isolated", action="store_true", help=f"use {what} (environment dev only)"
    )


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def compose(args: argparse.Namespace) -> Composition:
    """The command's dependencies: the settings ``main`` read, and ``--dev-isolated``."""
    return Composition(args.settings, dev_isolated=bool(getattr(args, "dev_isolated", False)))
