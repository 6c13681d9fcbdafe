"""Redaction in seedlib.observability.logs (structlog processors on the root handler): nothing a
caller passes reaches a log line unless safe, whether it logs through ``logging`` or structlog."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from seedlib.errors import Reason
from seedlib.observability.logs import (
    FIELDS,
    FORMAT_ENV,
    REDACTED,
    bind_log_context,
    configure_json_logging,
    configure_logging,
    formatter,
    redact_text,
    wants_json,
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


PII_SHAPES = (
    st.from_regex(r"\d{3}\.\d{3}\.\d{3}-\d{2}", fullmatch=True)
    | st.from_regex(r"\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}", fullmatch=True)
    | st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@[a-z]{2,8}\.(com|com\.br|org)", fullmatch=True)
    | st.from_regex(r"\+55 \d{2} 9\d{4}-\d{4}", fullmatch=True)
)


@given(PII_SHAPES)
def test_redact_text_removes_every_pii_shape(value):
    assert value not in redact_text(f"before {value} after")


def test_extra_fields_cannot_stand_in_for_the_event_or_the_exception(lines):
    logging.getLogger("x").info(
        "batch", extra={"event": NAME, "level": EMAIL, "exc_type": NAME, "exc_frames": [CPF]}
    )
    (record,) = records(lines)
    assert (record["event"], record["level"]) == ("batch", "INFO")
    assert "exc_type" not in record and "exc_frames" not in record
    assert_no_pii(lines)


# -- the operator's lines: phases, names, namespaces, reasons and endpoints stay readable ------


def test_operator_fields_are_kept_when_they_have_their_shape(lines):
    logging.getLogger("seed_operator").info(
        "SeedRun phase changed",
        extra={
            "previous_phase": "Queued",
            "phase": "Running",
            "seed_run_name": "tenant-a-baseline-1",
            "namespace": "seeding",
            "reason": Reason.QUEUE_TIMEOUT,
            "endpoint": "http://otel-collector.observability:4318",
            "image": "registry.example/seed-operator:1.4.0",
            "watch_namespaces": "seeding,perf",
        },
    )
    (record,) = records(lines)
    assert (record["previous_phase"], record["phase"]) == ("Queued", "Running")
    assert (record["seed_run_name"], record["namespace"]) == ("tenant-a-baseline-1", "seeding")
    assert record["reason"] == "QueueTimeout"
    assert record["endpoint"] == "http://otel-collector.observability:4318"
    assert record["image"] == "registry.example/seed-operator:1.4.0"
    assert record["watch_namespaces"] == "seeding,perf"


def test_pii_in_an_operator_field_is_still_redacted(lines):
    logging.getLogger("seed_operator").info(
        "SeedRun phase changed",
        extra={
            "seed_run_name": CPF,  # a DNS name's shape, but a document
            "namespace": EMAIL,  # not a DNS name at all
            "phase": NAME,  # a phase is one word
            "reason": f"{CPF} bad",
            "endpoint": f"https://{EMAIL}:443",
            "k8s_name": PHONE,
        },
    )
    (record,) = records(lines)
    for key in ("seed_run_name", "namespace", "phase", "reason", "k8s_name"):
        assert record[key] == REDACTED, key
    assert REDACTED in record["endpoint"]
    assert_no_pii(lines)


def test_kopfs_object_reference_becomes_kind_name_and_namespace(lines):
    ref = {"kind": "SeedRun", "name": "run-1", "namespace": "seeding", "uid": "u"}
    kopf_logger = logging.LoggerAdapter(
        logging.getLogger("kopf.objects"), {"k8s_ref": ref, "k8s_skip": False, "settings": object()}
    )
    kopf_logger.info("Handler %r succeeded.", "on_run")
    (record,) = records(lines)
    assert (record["k8s_kind"], record["k8s_name"], record["namespace"]) == (
        "SeedRun",
        "run-1",
        "seeding",
    )
    assert not {"k8s_ref", "k8s_skip", "settings"} & set(record)  # kopf's bookkeeping


# -- structlog's own loggers and the rendering for people ---------------------------------------


def test_structlogs_own_loggers_go_through_the_same_redaction(lines):
    log = structlog.get_logger("seedctl")
    log.info("customer %s has %d accounts", NAME, 3, table="customers", customer=NAME, rows=3)
    try:
        raise ValueError(CPF)
    except ValueError:
        log.exception("insert failed", row=ROW)
    first, second = records(lines)
    assert first["event"] == f"customer {REDACTED} has 3 accounts"
    assert (first["logger"], first["level"], first["pii_redacted"]) == ("seedctl", "INFO", True)
    assert (first["table"], first["rows"], first["customer"]) == ("customers", 3, REDACTED)
    assert second["exc_type"] == "ValueError" and second["row"] == REDACTED
    assert_no_pii(lines)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "variable", "expect_json"),
    [
        (io.StringIO(), None, True),  # a Pod, CI, a pipe
        (Terminal(), None, False),  # a person at a terminal
        (Terminal(), "json", True),  # asked for explicitly
        (io.StringIO(), "text", False),
    ],
)
def test_json_unless_a_terminal_or_the_variable_says_otherwise(
    stream, variable, expect_json, monkeypatch
):
    if variable is None:
        monkeypatch.delenv(FORMAT_ENV, raising=False)
    else:
        monkeypatch.setenv(FORMAT_ENV, variable)
    assert wants_json(stream) is expect_json
    configure_logging("INFO", stream)
    try:
        logging.getLogger("seedctl").info("run finished %s", NAME, extra={"rows": 7})
    finally:
        configure_json_logging("INFO")
    (line,) = stream.getvalue().splitlines()
    assert line.startswith("{") is expect_json
    assert "run finished [redacted]" in line and "rows" in line and NAME not in line


@given(
    st.sampled_from(sorted(FIELDS)),
    PII_SHAPES,
    st.sampled_from(["{}", "http://host/{}", "a-{}", "{}.svc"]),
)
def test_no_allowed_field_lets_a_pii_shape_through(key, value, framing):
    record = logging.makeLogRecord(
        {"name": "x", "msg": "line", "levelno": 20, "levelname": "INFO", key: framing.format(value)}
    )
    line = json.loads(formatter(as_json=True).format(record))
    assert value not in json.dumps(line)
    assert REDACTED in str(line[key])
