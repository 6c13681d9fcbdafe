"""Vault salts, signed WORM reports and preflight against real servers: OpenBao, moto S3, PostgreSQL.

Every outage must end with its exit code and zero rows written anywhere; every tampering with a
stored report must be detected by ``seedctl report verify``.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import os
from pathlib import Path
from typing import Any

import botocore.exceptions
import psycopg
import pytest
import yaml

from seedlib.cli import main
from seedlib.contract.canonical import manifest_hash
from tests.services import AWS_ENV, Bao, free_port, openbao, s3_client
from tests.support import PROFILES, load_yaml, table_counts

DEV_A = PROFILES / "dev" / "tenant-a.yaml"
_mounts = itertools.count()


@pytest.fixture
def vault_env(
    monkeypatch: pytest.MonkeyPatch,
    bao: Bao,
    s3_endpoint: str,
    bucket: str,
    tmp_path: Path,
    otlp: Any,
) -> Bao:
    """Environment of a clustered run: its own KV mount (so salt versions start at 1), the bucket."""
    mount = f"kv{next(_mounts)}"
    bao.client().sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})
    for key, value in {
        **AWS_ENV,
        "SEED_VAULT_ADDR": bao.address,
        "SEED_VAULT_TOKEN": bao.token,
        "SEED_VAULT_KV_MOUNT": mount,
        "SEED_S3_ENDPOINT": s3_endpoint,
        "SEED_WORM_BUCKET": bucket,
        "SEED_LOCAL_DIR": str(tmp_path / "local"),
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    bao.client().secrets.kv.v2.create_or_update_secret(
        "seeding/dev/tenant-a/salt",
        secret={"salt": "c2VlZC1vcGVyYXRvci10ZXN0LXNhbHQtdjE="},
        mount_point=mount,
    )
    return bao


def profile_file(tmp_path: Path, **changes: Any) -> Path:
    document = copy.deepcopy(load_yaml(DEV_A))
    document["spec"].update(changes)
    document["spec"]["integrity"] = {"manifestHash": manifest_hash(document["spec"])}
    path = tmp_path / f"profile-{next(_mounts)}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def run(url: str, profile: Path = DEV_A, *extra: str) -> int:
    return main(["run", str(profile), "--database-url", url, *extra])


def public_key(bao: Bao, tmp_path: Path) -> Path:
    key = bao.client().secrets.transit.read_key("seeding-reports", mount_point="transit")["data"]
    path = tmp_path / "trusted.pem"
    path.write_text(key["keys"][str(key["latest_version"])]["public_key"])
    return path


def report_of(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("report: "))
    assert "(verified," in line
    return line.split()[1]


def test_run_ends_with_a_verified_report_in_object_lock(
    vault_env, database_url, tmp_path, capsys, s3_endpoint, bucket
):
    assert run(database_url) == 0
    uri = report_of(capsys)
    assert uri.startswith(f"s3://{bucket}/worm/seeds/dev/tenant-a/") and "?versionId=" in uri
    head = s3_client(s3_endpoint).head_object(Bucket=bucket, Key=uri.split("/", 3)[3].split("?")[0])  # type: ignore[attr-defined]
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] - head["LastModified"] >= dt.timedelta(
        days=364, hours=23
    )
    assert (
        main(["report", "verify", uri, "--public-key", str(public_key(vault_env, tmp_path))]) == 0
    )
    with psycopg.connect(database_url) as conn:
        indexed = conn.execute("SELECT uri, verified FROM seeding.reports_index").fetchall()
    assert indexed == [(uri, True)]
    body = json.loads(
        s3_client(s3_endpoint)
        .get_object(Bucket=bucket, Key=uri.split("/", 3)[3].split("?")[0])["Body"]
        .read()
    )  # type: ignore[attr-defined]
    for field in (
        "run_id",
        "tenant",
        "environment",
        "manifest_path",
        "manifest_hash_sha256",
        "schema_version",
        "mode",
        "reference_datetime",
        "caps",
        "rate_limit_usage",
        "budget_usage",
        "batches",
        "checkpoints",
        "errors",
        "otel_trace_id",
        "otel_span_id",
        "started_at",
        "finished_at",
        "outcome",
        "generator_version",
        "salt_version",
        "dataset_digest",
        "pii_check",
        "signature_hash",
        "signature",
    ):
        assert field in body, field
    assert body["outcome"] == "succeeded"
    assert body["pii_check"]["unmasked"] == 0 and body["pii_check"]["values"] > 0
    assert body["key_id"].startswith("vault:transit/seeding-reports")


@pytest.mark.parametrize(
    "outage", ["vault-stopped", "worm-stopped", "no-object-lock", "rls-off", "salt-version"]
)
def test_each_outage_fails_closed_with_zero_rows(
    outage, vault_env, database_url, monkeypatch, tmp_path, s3_endpoint, capsys
):
    profile = DEV_A
    expected = {
        "vault-stopped": (4, "VaultUnavailable"),
        "worm-stopped": (4, "WormUnavailable"),
        "no-object-lock": (4, "WormUnavailable"),
        "rls-off": (6, "RlsDisabled"),
        "salt-version": (2, "SaltDrift"),
    }
    if outage == "vault-stopped":
        monkeypatch.setenv("SEED_VAULT_ADDR", f"http://127.0.0.1:{free_port()}")
    elif outage == "worm-stopped":
        monkeypatch.setenv("SEED_S3_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    elif outage == "no-object-lock":
        plain = f"plain-{next(_mounts)}"
        s3_client(s3_endpoint).create_bucket(Bucket=plain)  # type: ignore[attr-defined]
        monkeypatch.setenv("SEED_WORM_BUCKET", plain)
    elif outage == "rls-off":
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("ALTER TABLE bank.loans DISABLE ROW LEVEL SECURITY")
    else:
        profile = profile_file(tmp_path, saltVersion="v2")
    code, reason = expected[outage]
    assert run(database_url, profile) == code
    assert f"[{reason}]" in capsys.readouterr().err
    assert all(count == 0 for count in table_counts(database_url).values())


def test_preflight_lists_every_check_and_writes_nothing(vault_env, database_url, capsys):
    assert main(["preflight", str(DEV_A), "--database-url", database_url, "-o", "json"]) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert [c["check"] for c in checks] == ["salt", "worm", "telemetry", "database", "budget"]
    assert all(c["ok"] for c in checks)
    assert all(count == 0 for count in table_counts(database_url).values())


def _key_of(uri: str) -> tuple[str, str]:
    bucket, rest = uri.removeprefix("s3://").split("/", 1)
    return bucket, rest.split("?")[0]


def test_tampering_with_a_stored_report_is_detected(
    vault_env, database_url, tmp_path, capsys, s3_endpoint
):
    assert run(database_url) == 0
    uri = report_of(capsys)
    bucket, key = _key_of(uri)
    s3: Any = s3_client(s3_endpoint)
    trusted = str(public_key(vault_env, tmp_path))
    original = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    with pytest.raises(botocore.exceptions.ClientError):  # COMPLIANCE: the locked version cannot go
        s3.delete_object(Bucket=bucket, Key=key, VersionId=uri.split("versionId=")[1])

    edited = {**original, "outcome": "succeeded", "tenant": "tenant-z"}
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(edited).encode())  # re-uploaded, edited
    latest = f"s3://{bucket}/{key}"
    assert main(["report", "verify", latest, "--public-key", trusted]) == 2
    out = capsys.readouterr().out
    assert "2 versions" in out and "edited" in out
    assert main(["report", "verify", uri, "--public-key", trusted]) == 2  # the key was overwritten
    assert "2 versions" in capsys.readouterr().out

    other = tmp_path / "other.pem"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    fresh_key = f"worm/seeds/dev/tenant-a/copy-{next(_mounts)}.json"
    body = s3.get_object(Bucket=bucket, Key=key, VersionId=uri.split("versionId=")[1])[
        "Body"
    ].read()
    short = s3.put_object(
        Bucket=bucket,
        Key=fresh_key,
        Body=body,
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=dt.datetime.now(dt.UTC) + dt.timedelta(days=10),
    )
    copy_uri = f"s3://{bucket}/{fresh_key}?versionId={short['VersionId']}"
    assert main(["report", "verify", copy_uri, "--public-key", trusted]) == 2
    assert "shorter than 365" in capsys.readouterr().out
    assert main(["report", "verify", copy_uri, "--public-key", str(other)]) == 2
    assert "does not verify with the trusted key" in capsys.readouterr().out


def test_rotating_the_salt_blocks_runs_until_purge_and_reseed(
    vault_env, database_url, tmp_path, capsys
):
    assert run(database_url) == 0
    mount = os.environ["SEED_VAULT_KV_MOUNT"]
    vault_env.client().secrets.kv.v2.create_or_update_secret(
        "seeding/dev/tenant-a/salt",
        secret={"salt": "cm90YXRlZC1zYWx0LWZvci10ZW5hbnQtYS12Mg=="},
        mount_point=mount,
    )
    capsys.readouterr()
    before = table_counts(database_url)
    assert run(database_url, DEV_A, "--idempotency-key", "after-rotation") == 2
    assert "[SaltDrift]" in capsys.readouterr().err
    assert table_counts(database_url) == before
    rotated = profile_file(tmp_path, saltVersion="v2")
    assert run(database_url, rotated) == 2  # Vault says v2 now, but the stored dataset is v1
    assert "[SaltDrift]" in capsys.readouterr().err
    assert (
        main(
            [
                "purge",
                "--tenant",
                "tenant-a",
                "--environment",
                "dev",
                "--database-url",
                database_url,
            ]
        )
        == 0
    )
    assert run(database_url, rotated) == 0
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT DISTINCT salt_version FROM seeding.batches").fetchall() == [
            ("v2",)
        ]


def test_dev_isolated_mode_is_refused_outside_dev(database_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEED_LOCAL_DIR", str(tmp_path))
    staging = PROFILES / "staging" / "tenant-a.yaml"
    assert main(["run", str(staging), "--dev-isolated", "--database-url", database_url]) == 2
    assert "[DevIsolatedForbidden]" in capsys.readouterr().err
    assert all(count == 0 for count in table_counts(database_url).values())


def test_report_command_publishes_once_and_exports_the_public_key(
    vault_env, database_url, tmp_path, capsys
):
    assert run(database_url) == 0
    uri = report_of(capsys)
    with psycopg.connect(database_url) as conn:
        (run_id,) = conn.execute("SELECT run_id FROM seeding.runs").fetchone()  # type: ignore[misc]
    args = ["report", str(run_id), "--profile", str(DEV_A), "--database-url", database_url]
    assert main(args) == 0
    assert (
        json.loads(capsys.readouterr().out)["uri"] == uri
    )  # already published: not a second version
    assert main(["report", "verify", uri]) == 0
    capsys.readouterr()
    assert main(["report", "public-key"]) == 0
    assert capsys.readouterr().out == public_key(vault_env, tmp_path).read_text()


@pytest.mark.parametrize("failure", ["forbidden", "missing", "sealed"])
def test_vault_forbidden_missing_or_sealed_is_exit_4_with_zero_rows(
    failure, vault_env, database_url, monkeypatch, capsys
):
    client = vault_env.client()
    if failure == "forbidden":
        client.sys.create_or_update_policy("no-salts", 'path "sys/*" { capabilities = ["deny"] }')
        token = client.auth.token.create(policies=["no-salts"], no_default_policy=True)["auth"][
            "client_token"
        ]
        monkeypatch.setenv("SEED_VAULT_TOKEN", token)
        expected = "permission denied"
    elif failure == "missing":
        mount = f"empty{next(_mounts)}"
        client.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})
        monkeypatch.setenv("SEED_VAULT_KV_MOUNT", mount)
        expected = "not found"
    else:
        expected = "sealed"
    if failure == "sealed":
        with openbao() as sealed:
            sealed.client().sys.seal()
            monkeypatch.setenv("SEED_VAULT_ADDR", sealed.address)
            assert run(database_url) == 4
    else:
        assert run(database_url) == 4
    err = capsys.readouterr().err
    assert "[VaultUnavailable]" in err and expected in err, err
    assert all(count == 0 for count in table_counts(database_url).values())
