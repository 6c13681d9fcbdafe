"""The operator <-> Job contract: argv per role, one result line both sides read the same way."""

from __future__ import annotations

import json
import uuid

import pytest

from seedlib.contract.job import (
    TERMINATION_LIMIT,
    BatchId,
    BatchResult,
    CheckResult,
    JobResult,
    JobResultUnreadableError,
    JobRole,
    PreflightResult,
    ReportResult,
    RunOutcome,
    job_command,
)
from seedlib.errors import InvalidInputError, Reason


def test_every_role_runs_seedctl_job_and_only_batches_name_a_batch():
    assert job_command(JobRole.BATCH, BatchId("customers:0-500")) == [
        "seedctl", "job", "batch", "--batch-id", "customers:0-500",
    ]  # fmt: skip
    for role in JobRole:
        if role is not JobRole.BATCH:
            assert job_command(role) == ["seedctl", "job", role.value]
            with pytest.raises(ValueError, match="batch"):
                job_command(role, BatchId("customers:0-1"))
    with pytest.raises(ValueError, match="batch"):
        job_command(JobRole.BATCH)


def test_results_round_trip_through_one_line():
    results = [
        JobResult(
            role=JobRole.BATCH,
            exit_code=0,
            batch=BatchResult(
                batch_id=BatchId("loans:0-10"),
                table="loans",
                rows=10,
                sha256="ab" * 32,
                written=True,
                seconds=0.25,
            ),
        ),
        JobResult(
            role=JobRole.PREFLIGHT,
            exit_code=0,
            preflight=PreflightResult(
                checks=(CheckResult(check="vault", ok=True, detail="salt v1"),), batch_rows=500
            ),
        ),
        JobResult(
            role=JobRole.REPORT,
            exit_code=0,
            report=ReportResult(
                uri="s3://b/k",
                sha256="cd" * 32,
                verified=True,
                outcome=RunOutcome.FAILED,
                run_reason=Reason.TELEMETRY_UNAVAILABLE,
            ),
        ),
        JobResult.failed(JobRole.BATCH, InvalidInputError(Reason.SALT_DRIFT, "v2 != v1", hint="h")),
    ]
    for result in results:
        line = result.to_line()
        assert "\n" not in line
        assert JobResult.parse(f"some log\n{line}\n") == result
    assert json.loads(results[0].to_line())["batch"]["batchId"] == "loans:0-10"  # camelCase


def test_a_long_failure_is_shortened_to_fit_the_termination_message():
    error = InvalidInputError(Reason.PROFILE_INVALID, "x" * 10_000, hint="y" * 5_000)
    line = JobResult.failed(JobRole.PREFLIGHT, error).to_line()
    assert len(line.encode()) <= TERMINATION_LIMIT
    parsed = JobResult.parse(line)
    assert parsed.failure is not None
    assert parsed.failure.reason is Reason.PROFILE_INVALID
    assert parsed.exit_code == 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Traceback (most recent call last):\n  boom",
        '{"role": "batch"}',
        '{"role": "batch", "exitCode": 0, "surprise": 1}',
        '{"role": "nope", "exitCode": 0}',
        '{"role": "batch", "exitCode": 4, "failure": {"reason": "SaltDrift", "message": "m"}}',
    ],
)
def test_anything_else_is_unreadable_never_a_verdict(text):
    with pytest.raises(JobResultUnreadableError):
        JobResult.parse(text)


def test_run_ids_are_uuids():
    result = JobResult.model_validate_json(
        json.dumps(
            {
                "role": "dry-run",
                "exitCode": 0,
                "dryRun": {"runId": str(uuid.UUID(int=7)), "rows": 3},
            }
        )
    )
    assert result.dry_run is not None
    assert result.dry_run.run_id == uuid.UUID(int=7)


def test_settings_read_every_variable_the_operator_gives_a_job(tmp_path):
    from seedlib.contract.job import JobEnv
    from seedlib.settings import Settings

    env = {
        JobEnv.RUN_ID: str(uuid.UUID(int=7)),
        JobEnv.RUN_NAME: "run-1",
        JobEnv.PROFILE_JSON: "{}",
        JobEnv.REQUESTED_BY: "someone",
        JobEnv.BATCH_ROWS: "400",
        JobEnv.LOCAL_DIR: str(tmp_path),
        JobEnv.TERMINATION_MESSAGE_PATH: str(tmp_path / "log"),
    }
    settings = Settings.from_env({str(k): v for k, v in env.items()})
    assert (settings.run_id, settings.run_name, settings.profile_json) == (
        str(uuid.UUID(int=7)), "run-1", "{}",
    )  # fmt: skip
    assert (settings.requested_by, settings.batch_rows) == ("someone", 400)
    assert settings.local_dir == tmp_path
    assert settings.termination_message_path == tmp_path / "log"
    with pytest.raises(ValueError, match="SEED_BATCH_ROWS"):
        Settings.from_env({JobEnv.BATCH_ROWS.value: "0"})
