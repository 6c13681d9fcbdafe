"""No PII in telemetry: after a full dev seed, every generated PII value is searched in every byte
seedctl wrote to stderr (JSON logs at DEBUG, progress lines) and in every span attribute the OTLP
receiver got. Zero hits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg

from seedlib.generator.catalog import TABLES, Kind
from tests.support import PROFILES, REPO

DEV_A = PROFILES / "dev" / "tenant-a.yaml"
MIN_LENGTH = 6
"""Shorter values (house numbers, "Apto 3") are digits or words any log line may hold by chance;
every document, name, e-mail, phone, street, CEP and statement text is longer."""


def pii_values(url: str) -> set[str]:
    values: set[str] = set()
    with psycopg.connect(url) as conn:
        for table in TABLES:
            columns = [c.name for c in table.pii_columns if c.kind is Kind.TEXT]
            if not columns:
                continue
            for row in conn.execute(f"SELECT {', '.join(columns)} FROM bank.{table.name}"):
                values.update(str(v) for v in row if v is not None and len(str(v)) >= MIN_LENGTH)
    return values


def test_a_full_dev_seed_leaves_no_pii_in_logs_or_spans(database_url, otlp, tmp_path):
    otlp.clear()
    env = {
        **os.environ,
        "SEED_LOG_LEVEL": "DEBUG",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint,
        "TRACEPARENT": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "seedlib.cli",
            "run",
            str(DEV_A),
            "--dev-isolated",
            "--database-url",
            database_url,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    values = pii_values(database_url)
    assert len(values) > 1000  # documents, names, e-mails, phones, addresses, statements
    logs = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert logs and all(line["pii_redacted"] is True for line in logs)
    assert {"run finished"} <= {line["event"] for line in logs}
    spans = otlp.spans()
    assert {"seed.run", "seed.batch", "seed.copy", "seed.report.publish"} <= {s.name for s in spans}
    attributes = json.dumps([[s.name, s.attributes, s.resource] for s in spans])
    haystacks = {"stderr": run.stderr, "span attributes": attributes, "stdout": run.stdout}
    hits = [(where, v) for v in values for where, text in haystacks.items() if v in text]
    assert hits == []
