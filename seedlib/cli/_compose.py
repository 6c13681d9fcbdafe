"""The composition root of seedctl: every command builds its dependencies here, from ``Settings``.

Salt providers (Vault, or the public dev salt), evidence stores (S3 Object Lock and Vault Transit,
or local write-once files and a local key), the database URL (given, ``SEED_DATABASE_URL``, or the
embedded server), telemetry for one command, and the profile a command runs (a manifest file for
people, ``SEED_PROFILE_JSON`` for Jobs). Nothing below ``seedlib.cli`` reads the environment or
chooses an implementation; nothing here decides anything about a run.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import socket
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from seedlib.contract.profile import SeedProfile, SeedProfileSpec
from seedlib.contract.salt import SaltProvider
from seedlib.db.embedded import DATA_SUBDIR, embedded_url
from seedlib.db.migrate import migrate
from seedlib.documents import read_documents
from seedlib.errors import DependencyUnavailableError, InvalidInputError, Reason, SeedError
from seedlib.evidence.salts import DevIsolatedSaltProvider
from seedlib.evidence.signing import LocalSigner
from seedlib.evidence.vault import TransitSigner, VaultSaltProvider
from seedlib.evidence.worm import LocalWorm, S3Worm
from seedlib.observability import telemetry
from seedlib.observability.logs import bind_log_context
from seedlib.rules.validation import load_profile_spec, validate_document
from seedlib.runs.publishing import Evidence
from seedlib.settings import Settings

__all__ = ["Composition", "load_profile_file", "validated"]


@dataclass(frozen=True, slots=True)
class Composition:
    """What one command runs against: the settings read once, and whether it is dev-isolated."""

    settings: Settings
    dev_isolated: bool = False

    def salts(self) -> SaltProvider:
        if self.dev_isolated:
            return DevIsolatedSaltProvider(dev_isolated=True)
        return VaultSaltProvider(self.settings)

    def evidence(self, environment: str) -> Evidence:
        """Where reports go: local write-once files in dev-isolated mode, else S3 Object Lock
        and Vault Transit."""
        settings = self.settings
        cost = Decimal(settings.cost_per_million_rows_brl)
        if self.dev_isolated:
            local = settings.local_dir
            return Evidence(
                LocalWorm(local, environment), LocalSigner(local / "keys", environment), cost
            )
        worm = S3Worm(
            settings.worm_bucket,
            endpoint=settings.s3_endpoint,
            retention_days=settings.worm_retention_days,
            environment=environment,
        )
        return Evidence(worm, TransitSigner(settings), cost)

    def s3_worm(self, bucket: str) -> S3Worm:
        """A store to read reports from (``seedctl report verify``)."""
        return S3Worm(
            bucket, endpoint=self.settings.s3_endpoint, retention_days=365, environment="verify"
        )

    def signer(self) -> TransitSigner:
        return TransitSigner(self.settings)

    def database(self, given: str | None = None) -> str:
        """``--database-url``, else ``SEED_DATABASE_URL``, else the embedded server (migrated on
        the way: it is ours)."""
        if url := given or self.settings.database_url:
            return url
        data_dir = self.settings.local_dir / DATA_SUBDIR
        try:
            local = embedded_url(data_dir)
        except Exception as exc:
            raise DependencyUnavailableError(
                Reason.DATABASE_UNAVAILABLE,
                f"the embedded PostgreSQL did not start: {exc}",
                hint=f"remove {data_dir} if it is corrupt, or pass --database-url",
            ) from exc
        migrate(local)
        return local

    def requested_by(self, given: str | None = None) -> str:
        return given or self.settings.requested_by or f"{getpass.getuser()}@{socket.gethostname()}"

    @contextlib.contextmanager
    def observed(self) -> Iterator[telemetry.Telemetry]:
        """Telemetry for one command: configured first, flushed last. A command whose telemetry
        was lost fails with TelemetryUnavailable (exit 4); when the command failed anyway, its own
        error wins and the failure's spans are exported if they can be."""
        current = telemetry.configure(
            dev_isolated=self.dev_isolated, console_dir=self.settings.local_dir
        )
        try:
            yield current
        except BaseException:
            with contextlib.suppress(SeedError):
                telemetry.shutdown()
            raise
        telemetry.shutdown()

    # -- what a Job is told (seedlib.contract.job.JobEnv) ------------------------------------

    def job_run_id(self) -> uuid.UUID:
        """The SeedRun's uid, from ``SEED_RUN_ID`` only."""
        text = self.settings.run_id
        try:
            return uuid.UUID(text or "")
        except ValueError:
            raise InvalidInputError(
                Reason.USAGE_ERROR,
                f"SEED_RUN_ID is {'not a uuid: ' + repr(text) if text else 'not set'}",
                hint="a Job's run id is its SeedRun's uid: run it from the operator's Job spec",
            ) from None

    def job_profile(self) -> SeedProfileSpec:
        """The profile the operator admitted, from ``SEED_PROFILE_JSON`` only."""
        raw = self.settings.profile_json
        if not raw:
            raise InvalidInputError(
                Reason.PROFILE_NOT_FOUND,
                "SEED_PROFILE_JSON is empty",
                hint="set SEED_PROFILE_JSON to the profile spec as JSON",
            )
        try:
            spec = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                Reason.PROFILE_INVALID,
                f"SEED_PROFILE_JSON is not JSON: {exc}",
                hint="pass the profile spec as JSON",
            ) from exc
        return load_profile_spec(spec)

    def job_manifest_path(self) -> str:
        """What a Job's report records as its manifest: the SeedRun it ran for."""
        name = self.settings.run_name
        return f"seedrun:{name}" if name else "SEED_PROFILE_JSON"


def load_profile_file(path: Path) -> SeedProfileSpec:
    """The one SeedProfile of a manifest file, validated (violations listed on stderr)."""
    documents = list(read_documents([path]))
    profiles = [
        d for d in documents if isinstance(d.data, dict) and d.data.get("kind") == "SeedProfile"
    ]
    if len(documents) == 1 and documents[0].error is not None:
        raise InvalidInputError(
            Reason.PROFILE_NOT_FOUND,
            f"{path}: {documents[0].error}",
            hint="give a SeedProfile manifest file",
        )
    if len(profiles) != 1:
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            f"{path} holds {len(profiles)} SeedProfile documents, not one",
            hint="give a file with exactly one SeedProfile",
        )
    result = validate_document(profiles[0].data, source=profiles[0].source)
    if not isinstance(result.model, SeedProfile):
        for violation in result.violations:
            print(
                f"  {violation.path}: {violation.message}\n    hint: {violation.hint}",
                file=sys.stderr,
            )
        raise InvalidInputError(
            Reason.PROFILE_INVALID,
            f"{path} is invalid ({len(result.violations)} violation(s))",
            hint=f"run `seedctl validate {path}`",
        )
    return result.model.spec


def validated(
    load: Callable[[], SeedProfileSpec], run_id: uuid.UUID | None, *, dry_run: bool = False
) -> SeedProfileSpec:
    """The profile, loaded under ``seed.manifest.validate``; then the run identity that every
    later span and log line carries."""
    with telemetry.span("seed.manifest.validate") as span:
        spec = load()
        telemetry.bind(
            tenant_id=spec.tenant,
            environment=spec.environment.value,
            seed_run_id=str(run_id) if run_id else None,
            manifest_version=spec.version,
            mode=spec.mode.value,
            dry_run=dry_run,
        )
        bind_log_context(tenant_id=spec.tenant, seed_run_id=str(run_id) if run_id else None)
        span.set_attributes(telemetry.attributes())
    return spec
