"""Write-once evidence storage: S3 Object Lock (COMPLIANCE) in clusters, a local directory in dev.

``S3Worm.publish`` writes the report with Object Lock mode COMPLIANCE, a retain-until date at least
``SEED_WORM_RETENTION_DAYS`` (>= 365) away and an S3 SHA-256 checksum; ``fetch`` reads it back with
its lock (from HeadObject: GetObjectRetention is not needed) and how many versions the key has.
``verify_report`` is the auditor's check: exactly one version, lock COMPLIANCE, retention long
enough, the body's hash and signature valid. A bucket without Object Lock is refused up front.

``LocalWorm`` (dev-isolated only) writes read-only files under ``.seed/worm`` that are never
overwritten, and appends each file's sha256 to a hash chain (``chain.jsonl``) so edits show.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.exceptions
from botocore.config import Config

from seedlib.errors import DependencyUnavailableError, InvalidInputError, Reason
from seedlib.evidence.report import check_sealed

__all__ = [
    "MIN_RETENTION_DAYS",
    "LocalWorm",
    "S3Worm",
    "StoredReport",
    "Verification",
    "WormStore",
    "verify_report",
]

MIN_RETENTION_DAYS: Final = 365
_SLACK: Final = dt.timedelta(hours=1)  # clock difference between our retain-until and S3's stamp


@dataclass(frozen=True, slots=True)
class StoredReport:
    uri: str
    body: bytes
    version_id: str | None
    lock_mode: str | None
    retain_until: dt.datetime | None
    stored_at: dt.datetime | None
    versions: int


@dataclass(slots=True)
class Verification:
    uri: str
    problems: list[str] = field(default_factory=list)
    stored: StoredReport | None = None

    @property
    def verified(self) -> bool:
        return not self.problems


class WormStore(Protocol):
    def check(self) -> None:
        """Reachable and write-once (Object Lock); otherwise ``WormUnavailable`` (exit 4)."""
        ...

    def publish(self, key: str, body: bytes, now: dt.datetime) -> str:
        """Store ``body`` under ``key`` write-once; return its URI (with the version)."""
        ...

    def fetch(self, uri: str) -> StoredReport: ...


def _unavailable(
    what: str, exc: BaseException | None = None, hint: str | None = None
) -> DependencyUnavailableError:
    detail = f": {' '.join(str(exc).split())[:300]}" if exc else ""
    return DependencyUnavailableError(
        Reason.WORM_UNAVAILABLE,
        f"WORM storage: {what}{detail}",
        hint=hint or "check SEED_S3_ENDPOINT, SEED_WORM_BUCKET and the credentials",
    )


class S3Worm:
    def __init__(
        self, bucket: str | None, *, endpoint: str | None, retention_days: int, environment: str
    ) -> None:
        if not bucket:
            raise _unavailable(
                "no bucket configured", hint="set SEED_WORM_BUCKET (or use --dev-isolated in dev)"
            )
        if retention_days < MIN_RETENTION_DAYS and environment != "dev":
            raise InvalidInputError(
                Reason.PROFILE_INVALID,
                f"WORM retention of {retention_days} days is below the minimum of {MIN_RETENTION_DAYS}",
                hint=f"set SEED_WORM_RETENTION_DAYS to at least {MIN_RETENTION_DAYS}",
            )
        self.bucket = bucket
        self.retention_days = retention_days
        self._s3: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            config=Config(
                connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}
            ),
        )

    def check(self) -> None:
        try:
            answer = self._s3.get_object_lock_configuration(Bucket=self.bucket)
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("ObjectLockConfigurationNotFoundError", "InvalidRequest"):
                raise _unavailable(
                    f"bucket {self.bucket} has no Object Lock",
                    hint="create the bucket with Object Lock enabled (it cannot be added later on AWS)",
                ) from exc
            raise _unavailable(f"bucket {self.bucket} is not usable", exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise _unavailable("S3 is unreachable", exc) from exc
        if answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            raise _unavailable(
                f"bucket {self.bucket} has no Object Lock", hint="enable Object Lock on the bucket"
            )

    def publish(self, key: str, body: bytes, now: dt.datetime) -> str:
        retain_until = now + dt.timedelta(days=self.retention_days)
        try:
            answer = self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=retain_until,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise _unavailable(f"writing s3://{self.bucket}/{key} failed", exc) from exc
        version = answer.get("VersionId")
        return f"s3://{self.bucket}/{key}" + (f"?versionId={version}" if version else "")

    def fetch(self, uri: str) -> StoredReport:
        parts = urlsplit(uri)
        if parts.scheme != "s3":
            raise InvalidInputError(
                Reason.PROFILE_INVALID,
                f"not an s3:// URI: {uri}",
                hint="s3://bucket/key[?versionId=...]",
            )
        bucket, key = parts.netloc, parts.path.lstrip("/")
        version = parse_qs(parts.query).get("versionId", [None])[0]
        extra = {"VersionId": version} if version else {}
        try:
            head = self._s3.head_object(Bucket=bucket, Key=key, **extra)
            body = self._s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
            listing = self._s3.list_object_versions(Bucket=bucket, Prefix=key)
        except botocore.exceptions.ClientError as exc:
            raise _unavailable(f"reading {uri} failed", exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise _unavailable("S3 is unreachable", exc) from exc
        versions = [v for v in listing.get("Versions", []) if v.get("Key") == key]
        markers = [m for m in listing.get("DeleteMarkers", []) if m.get("Key") == key]
        return StoredReport(
            uri=uri,
            body=body,
            version_id=head.get("VersionId"),
            lock_mode=head.get("ObjectLockMode"),
            retain_until=head.get("ObjectLockRetainUntilDate"),
            stored_at=head.get("LastModified"),
            versions=len(versions) + len(markers),
        )


class LocalWorm:
    """Dev-isolated stand-in: read-only files, never overwritten, chained by their hashes."""

    LOCK_MODE: Final = "LOCAL-WRITE-ONCE"

    def __init__(self, root: Path, environment: str) -> None:
        if environment != "dev":
            raise InvalidInputError(
                Reason.DEV_ISOLATED_FORBIDDEN,
                f"the local write-once directory is refused for environment {environment!r}",
                hint="publish to S3 Object Lock (SEED_WORM_BUCKET)",
            )
        self.root = root

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise _unavailable(f"{self.root} is not writable")

    def _chain(self) -> list[dict[str, str]]:
        chain = self.root / "chain.jsonl"
        if not chain.exists():
            return []
        return [json.loads(line) for line in chain.read_text().splitlines() if line]

    def publish(self, key: str, body: bytes, now: dt.datetime) -> str:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError as exc:
            raise _unavailable(f"{path} exists: write-once storage never overwrites", exc) from exc
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(body)
        chain = self._chain()
        previous = chain[-1]["link"] if chain else "0" * 64
        digest = hashlib.sha256(body).hexdigest()
        link = hashlib.sha256(f"{previous}:{key}:{digest}".encode()).hexdigest()
        entry = {
            "key": key,
            "sha256": digest,
            "previous": previous,
            "link": link,
            "at": now.isoformat(),
        }
        with (self.root / "chain.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
        return path.resolve().as_uri()

    def fetch(self, uri: str) -> StoredReport:
        path = Path(urlsplit(uri).path)
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise _unavailable(f"reading {uri} failed", exc) from exc
        key = str(path.resolve().relative_to(self.root.resolve()))
        entries = [e for e in self._chain() if e["key"] == key]
        writable = bool(path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        chained = len(entries) == 1 and entries[0]["sha256"] == hashlib.sha256(body).hexdigest()
        return StoredReport(
            uri=uri,
            body=body,
            version_id=None,
            lock_mode=self.LOCK_MODE if chained and not writable else None,
            retain_until=None,
            stored_at=None,
            versions=len(entries),
        )


def verify_report(
    store: WormStore,
    uri: str,
    *,
    trusted_public_key: str | None = None,
    min_days: int = MIN_RETENTION_DAYS,
) -> Verification:
    """Everything an auditor checks about a stored report; ``problems`` lists what failed."""
    result = Verification(uri)
    stored = store.fetch(uri)
    result.stored = stored
    if stored.versions != 1:
        result.problems.append(
            f"the key holds {stored.versions} versions: the report was overwritten or deleted"
        )
    if isinstance(store, LocalWorm):
        if stored.lock_mode != LocalWorm.LOCK_MODE:
            result.problems.append("the file is writable or its hash is not the one in the chain")
    else:
        if stored.lock_mode != "COMPLIANCE":
            result.problems.append(
                f"Object Lock mode is {stored.lock_mode or 'none'}, not COMPLIANCE"
            )
        if stored.retain_until is None or stored.stored_at is None:
            result.problems.append("no retain-until date: the object is not locked")
        elif stored.retain_until + _SLACK < stored.stored_at + dt.timedelta(days=min_days):
            days = (stored.retain_until - stored.stored_at).days
            result.problems.append(f"retention of {days} days is shorter than {min_days}")
    try:
        document = json.loads(stored.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        result.problems.append("the body is not JSON")
        return result
    if not isinstance(document, dict):
        result.problems.append("the body is not a report object")
        return result
    result.problems.extend(check_sealed(document, trusted_public_key))
    return result
