"""Redaction in seedlib.observability.logs: nothing a caller passes reaches a log line unless safe."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedlib.errors import Reason
from seedlib.observability.logs import (
    REDACTED,
    bind_log_context,
    configure_json_logging,
    redact_text,
)

CPF = "123.456.789-09"
CNPJ = "12.345.678/0001-95"
EMAIL = "maria.silva@example.com.br"
PHONE = "+55 11 91234-5678"
NAME = "Maria Aparecida Silva"
ROW = ("c1a1e1e0-0000-4000-8000-000000000001", NAME, CPF, EMAIL, PHONE)


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_json_logging("DEBUG", stream)
    yield stream
    configure_json_logging("INFO")  # back to stderr for the rest of the session


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def assert_no_pii(stream: io.StringIO) -> None:
    text = stream.getvalue()
    for value in (*ROW[1:], "Maria", "Silva", "91234-5678", "123.456", "example.com"):
        assert value not in text, (value, text)


def test_every_line_is_one_json_object_with_the_contract_keys(lines):
    bind_log_context(tenant_id="tenant-a", seed_run_id="11111111-2222-4333-8444-555555555555")
    logging.getLogger("seedctl").info("batch loaded", extra={"table": "customers", "rows": 100})
    (record,) = records(lines)
    assert set(record) >= {
        "ts",
        "level",
        "event",
        "logger",
        "tenant_id",
        "seed_run_id",
        "trace_id",
        "span_id",
        "pii_redacted",
    }
    assert record["pii_redacted"] is True
    assert record["event"] == "batch loaded"
    assert (record["table"], record["rows"]) == ("customers", 100)
    assert record["tenant_id"] == "tenant-a" and record["level"] == "INFO"


def test_a_stray_row_as_the_message_is_redacted(lines):
    log = logging.getLogger("x")
    log.info(ROW)
    log.info(dict(zip(("id", "name", "cpf", "email", "phone"), ROW, strict=True)))
    log.warning(list(ROW))
    assert [r["event"] for r in records(lines)] == [REDACTED] * 3
    assert_no_pii(lines)


def test_row_arguments_are_redacted_but_numbers_uuids_and_reasons_pass(lines):
    log = logging.getLogger("x")
    run = uuid.UUID("11111111-2222-4333-8444-555555555555")
    log.info("row %s", ROW)
    log.info("customer %s has %d accounts", NAME, 3)
    log.info(
        "run %s failed: %s after %.1f s, cost %s",
        run,
        Reason.TELEMETRY_UNAVAILABLE,
        1.5,
        Decimal("2.50"),
    )
    log.info("%(name)s wrote %(rows)d rows", {"name": NAME, "rows": 7})
    events = [r["event"] for r in records(lines)]
    assert events[0] == f"row {REDACTED}"
    assert events[1] == f"customer {REDACTED} has 3 accounts"
    assert events[2] == f"run {run} failed: TelemetryUnavailable after 1.5 s, cost 2.50"
    assert events[3] == f"{REDACTED} wrote 7 rows"
    assert_no_pii(lines)


def test_an_f_string_that_already_holds_a_document_is_scanned(lines):
    logging.getLogger("x").info(f"loaded {CPF} {CNPJ} {EMAIL} {PHONE}")
    (record,) = records(lines)
    assert record["event"].startswith("loaded ")
    assert_no_pii(lines)


def test_extra_fields_outside_the_allow_list_or_not_scalar_are_redacted(lines):
    logging.getLogger("x").info(
        "batch",
        extra={"customer": NAME, "row": ROW, "table": ROW, "rows": 3, "uri": f"s3://b/{EMAIL}"},
    )
    (record,) = records(lines)
    assert record["customer"] == REDACTED and record["row"] == REDACTED
    assert record["table"] == REDACTED  # allow-listed key, but a tuple is not a scalar
    assert record["rows"] == 3
    assert record["uri"] == f"s3://b/{REDACTED}"
    assert_no_pii(lines)


def test_an_exception_contributes_its_type_and_frames_never_its_message(lines):
    try:
        raise ValueError(f"duplicate key (document)=({CPF}) for {NAME}")
    except ValueError:
        logging.getLogger("x").exception("insert failed")
    (record,) = records(lines)
    assert record["exc_type"] == "ValueError"
    assert any("test_logs.py" in frame for frame in record["exc_frames"])
    assert_no_pii(lines)


def test_logging_from_any_logger_goes_through_the_root_handler(lines):
    logging.getLogger("psycopg.pool").error("connection to %s failed", EMAIL)
    logging.getLogger("opentelemetry.exporter").warning("export of %s failed", ROW)
    assert [r["logger"] for r in records(lines)] == ["psycopg.pool", "opentelemetry.exporter"]
    assert_no_pii(lines)


@given(
    st.from_regex(r"\d{3}\.\d{3}\.\d{3}-\d{2}", fullmatch=True)
    | st.from_regex(r"\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}", fullmatch=True)
    | st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@[a-z]{2,8}\.(com|com\.br|org)", fullmatch=True)
    | st.from_regex(r"\+55 \d{2} 9\d{4}-\d{4}", fullmatch=True)
)
def test_redact_text_removes_every_pii_shape(value):
    assert value not in redact_text(f"before {value} after")
