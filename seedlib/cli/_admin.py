"""``seedctl purge`` and ``seedctl db migrate``: administration of the database."""

from __future__ import annotations

import argparse
from typing import Any

from seedlib.cli._options import add_database, compose
from seedlib.db import store
from seedlib.db.migrate import migrate
from seedlib.db.session import writer
from seedlib.errors import ExitCode, InvalidInputError, Reason
from seedlib.runs.records import utc_now

__all__ = ["register"]


def register(commands: Any) -> None:
    _register_purge(commands)
    _register_db(commands)


def _register_purge(commands: Any) -> None:
    purge = commands.add_parser(
        "purge",
        help="delete expired datasets (--expired) or everything of a tenant",
        description="--expired removes every dataset past its TTL (the purge CronJob); --tenant "
        "and --environment remove all datasets of a tenant (right to be forgotten). Run records "
        "and report index entries are kept as the audit trail.",
    )
    target = purge.add_mutually_exclusive_group(required=True)
    target.add_argument("--expired", action="store_true")
    target.add_argument("--tenant", metavar="TENANT")
    purge.add_argument("--environment", metavar="ENV")
    add_database(purge)
    purge.set_defaults(handler=_purge)


def _register_db(commands: Any) -> None:
    database = commands.add_parser("db", help="database administration")
    db_commands = database.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    migrate_parser = db_commands.add_parser(
        "migrate",
        help="apply pending schema migrations (tables, roles, row-level security)",
        description="Apply pending migrations idempotently. Needs an administrative login "
        "(it creates the seed_owner and seed_writer roles).",
    )
    add_database(migrate_parser)
    migrate_parser.set_defaults(handler=_migrate)


def _purge(args: argparse.Namespace) -> int:
    if args.tenant and not args.environment:
        raise InvalidInputError(
            Reason.USAGE_ERROR,
            "--tenant needs --environment",
            hint="seedctl purge --tenant T --environment E",
        )
    url = compose(args).database(args.database_url)
    removed = 0
    with writer(url, application="seedctl-purge") as conn:
        if args.expired:
            targets = [
                (d, t, e, name) for d, t, e, name, _ in store.expired_datasets(conn, utc_now())
            ]
        else:
            targets = [
                (d.dataset_id, d.tenant, d.environment, d.facts.dataset)
                for d in store.datasets(conn, args.tenant, args.environment)
            ]
        for dataset_id, tenant, environment, name in targets:
            deleted = store.purge_dataset(conn, tenant, environment, dataset_id)
            removed += sum(deleted.values())
            print(f"purged {tenant}/{environment} {name}: {sum(deleted.values())} rows")
    print(f"{len(targets)} dataset(s), {removed} rows removed")
    return ExitCode.OK


def _migrate(args: argparse.Namespace) -> int:
    composition = compose(args)
    url = args.database_url or composition.settings.database_url
    if url is None:
        composition.database()  # the embedded server is migrated on start
        print("embedded database is up to date")
        return ExitCode.OK
    applied = migrate(url)
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    if not applied:
        print("database is up to date")
    return ExitCode.OK
