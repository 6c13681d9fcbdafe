"""Log lines that never carry PII: one JSON object per line on stderr, redacted at the root handler.

Every record that reaches the root logger goes through ``RedactingFormatter``; nothing a caller
passes can reach the output unless it is known to be safe:

- the message *template* (``record.msg``) is code, so it is kept; a message that is not a string
  (``logger.info(row)``, ``logger.info(row_dict)``) becomes ``"[redacted]"``;
- ``%`` arguments are substituted only when they are numbers, booleans, ``None``, UUIDs, enum
  members (reasons, modes) or datetimes; any string, tuple, dict or object becomes
  ``[redacted]`` (put identifiers in ``extra=`` under an allow-listed key instead);
- ``extra=`` fields are emitted only under the allow-listed keys of ``FIELDS``, with scalar values;
  any other key is emitted with the value ``"[redacted]"``;
- the rendered text (template, allow-listed strings) is scanned last for CPF/CNPJ, e-mail and
  +55 phone shapes (the net under an f-string that already interpolated a value);
- an exception contributes its type and its frames (file:line in function), never its message,
  which may quote a row (psycopg's ``DETAIL: Key (...)=(...)``).

Each line: ts, level, event, logger, tenant_id, seed_run_id, trace_id, span_id,
``pii_redacted: true``, then the allowed extra fields. ``SEED_LOG_FORMAT=text`` renders the same
redacted record as one human line instead (interactive use).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import enum
import json
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Mapping
from typing import IO, Any, Final

from seedlib.observability import telemetry

__all__ = [
    "FIELDS",
    "REDACTED",
    "RedactingFormatter",
    "bind_log_context",
    "configure_json_logging",
    "configure_logging",
    "redact_text",
]

REDACTED: Final = "[redacted]"
FORMAT_ENV: Final = "SEED_LOG_FORMAT"

FIELDS: Final = frozenset(
    {
        "tenant_id",
        "environment",
        "seed_run_id",
        "seed_run_name",
        "namespace",
        "manifest_version",
        "mode",
        "dry_run",
        "table",
        "batch_id",
        "rows",
        "written",
        "batches",
        "exit_code",
        "reason",
        "check",
        "ok",
        "phase",
        "job",
        "duration_ms",
        "seconds",
        "signal",
        "endpoint",
        "uri",
        "verified",
        "count",
        "command",
    }
)
"""extra= keys emitted verbatim (scalars only; strings still pass the PII scan)."""

_SAFE_TYPES = (bool, int, float, decimal.Decimal, uuid.UUID, enum.Enum, dt.datetime, dt.date)

_EDGE = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
_PII_PATTERNS: Final = (
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # e-mail
    re.compile(_EDGE + r"\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}" + _END),  # CNPJ
    re.compile(_EDGE + r"\d{3}\.?\d{3}\.?\d{3}-?\d{2}" + _END),  # CPF
    re.compile(r"\+55\s?\(?\d{2}\)?\s?9?\d{4}-?\d{4}" + _END),  # +55 phone (E.164)
    re.compile(_EDGE + r"\(?\d{2}\)?\s?9\d{4}-?\d{4}" + _END),  # a mobile without +55
)
"""Shapes of the PII the generator produces, matched with digit boundaries so that ids (UUIDs,
hashes, counts) are not mistaken for documents."""

_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}

_context: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "seed_log_context", default=None
)


def bind_log_context(**fields: str | None) -> None:
    """tenant_id / seed_run_id (etc.) for every line logged from this context from now on."""
    merged = dict(_context.get() or {})
    merged.update({k: v for k, v in fields.items() if v is not None})
    _context.set(merged)


def redact_text(text: str) -> str:
    """``text`` with anything shaped like a CPF, CNPJ, e-mail or Brazilian phone replaced."""
    for pattern in _PII_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def _safe(value: object) -> bool:
    return value is None or isinstance(value, _SAFE_TYPES)


def _scalar(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, (str, int)) else str(value)
    if isinstance(value, (uuid.UUID, decimal.Decimal, dt.datetime, dt.date)):
        return str(value)
    return value


def _event(record: logging.LogRecord) -> str:
    if not isinstance(record.msg, str):
        return REDACTED
    template = record.msg
    args = record.args
    if not args:
        return redact_text(template)
    if isinstance(args, Mapping):
        safe_map = {k: (_scalar(v) if _safe(v) else REDACTED) for k, v in args.items()}
        try:
            return redact_text(template % safe_map)
        except (TypeError, ValueError, KeyError):
            return redact_text(template)
    safe_args = tuple(_scalar(a) if _safe(a) else REDACTED for a in args)
    try:
        return redact_text(template % safe_args)
    except (TypeError, ValueError):
        # a %d given "[redacted]": render every placeholder as text
        try:
            return redact_text(
                re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgG]", "%s", template) % safe_args
            )
        except (TypeError, ValueError):
            return redact_text(template)


def _field(value: object) -> object:
    if isinstance(value, str):
        return redact_text(value)
    if _safe(value):
        return _scalar(value)
    return REDACTED


_IDS: Final = frozenset({"tenant_id", "seed_run_id", "trace_id", "span_id"})
"""Taken from a record's ``extra=`` when the context has none (the operator passes them per run)."""


def redacted_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record as the dict a log line carries (shared by the JSON and text renderings)."""
    out: dict[str, Any] = {
        "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "event": _event(record),
        "logger": record.name,
    }
    context = _context.get() or {}
    out["tenant_id"] = context.get("tenant_id")
    out["seed_run_id"] = context.get("seed_run_id")
    ids = telemetry.current_ids()
    out["trace_id"], out["span_id"] = ids if ids else (None, None)
    out["pii_redacted"] = True
    for key, value in record.__dict__.items():
        if key in _STANDARD or key.startswith(("_", "k8s_")):  # k8s_*: kopf's own bookkeeping
            continue
        if key in out and (out[key] is not None or key not in _IDS):
            continue
        out[key] = _field(value) if key in FIELDS or key in _IDS else REDACTED
    if record.exc_info and record.exc_info[0] is not None:
        out["exc_type"] = record.exc_info[0].__name__
        frames = traceback.extract_tb(record.exc_info[2])[-8:]
        out["exc_frames"] = [
            f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames
        ]
    return out


class RedactingFormatter(logging.Formatter):
    """One JSON object per record (``json=True``) or one redacted human line."""

    def __init__(self, *, as_json: bool = True) -> None:
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        fields = redacted_fields(record)
        if self.as_json:
            return json.dumps(fields, separators=(",", ":"), default=str, ensure_ascii=False)
        extra = " ".join(
            f"{k}={v}"
            for k, v in fields.items()
            if k not in ("ts", "level", "event", "logger", "pii_redacted") and v is not None
        )
        return f"{fields['level'].lower()} {fields['logger']}: {fields['event']} {extra}".rstrip()


class _StderrHandler(logging.StreamHandler[IO[str]]):
    """Writes to whatever ``sys.stderr`` is at emit time (pytest's capture swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


_MARK: Final = "_seed_redacting_handler"


def configure_logging(
    level: str = "INFO", stream: IO[str] | None = None, *, as_json: bool = True
) -> None:
    """Install the redacting handler on the root logger (replacing an earlier one of ours)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    ours: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    setattr(ours, _MARK, True)
    ours.setFormatter(RedactingFormatter(as_json=as_json))
    root.addHandler(ours)
    root.setLevel(level.upper())


def configure_json_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """JSON lines on ``stream`` (default: stderr), redacted: what seedctl and the operator use."""
    configure_logging(level, stream, as_json=True)
