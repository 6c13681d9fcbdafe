"""Log lines that never carry PII, on structlog: one JSON object per line on stderr, redacted at the
root handler; structlog's console rendering of the same redacted line for a person at a terminal.

Every record reaches one handler on the root logger whose formatter is structlog's
``ProcessorFormatter``: stdlib records (kopf's, psycopg's, ours through ``logging.getLogger``) and
structlog's own loggers (``structlog.get_logger``) go through the same processors. The redaction
rules are ``seedlib.observability._redaction``; nothing a caller passes reaches the output unless
it is known to be safe (allow-listed keys, shaped values, safe argument types, a PII-shape scan,
an exception's type and frames only).

Each line: ts, level, event, logger, tenant_id, seed_run_id, trace_id, span_id,
``pii_redacted: true``, then the allowed fields. The rendering: ``SEED_LOG_FORMAT=json`` or
``text`` when set; else text when the stream is a terminal and JSON otherwise (Pods, CI, pipes).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import IO, Final

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from seedlib.observability import telemetry
from seedlib.observability._redaction import (
    FIELD_SHAPES,
    REDACTED,
    add_exception_type_and_frames,
    keep_safe_fields,
    redact_event,
    redact_text,
)

__all__ = [
    "FIELDS",
    "FIELD_SHAPES",
    "FORMAT_ENV",
    "REDACTED",
    "bind_log_context",
    "configure_json_logging",
    "configure_logging",
    "formatter",
    "redact_text",
    "wants_json",
]

FORMAT_ENV: Final = "SEED_LOG_FORMAT"
FIELDS: Final = frozenset(FIELD_SHAPES)
"""The keys a line may carry besides the contract keys (values still checked by shape and
scanned for PII)."""


def bind_log_context(**fields: str | None) -> None:
    """tenant_id / seed_run_id (etc.) for every line logged from this context from now on."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in fields.items() if v is not None})


def _add_trace_ids(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The ids of the span active in this thread (they win over ids a record names itself)."""
    ids = telemetry.current_ids()
    if ids is not None:
        event_dict["trace_id"], event_dict["span_id"] = ids
    return event_dict


def _upper_level(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    event_dict["level"] = str(event_dict.get("level", "")).upper()
    return event_dict


def _for_people(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """What a person reads: no empty ids, no marker every line carries."""
    return {k: v for k, v in event_dict.items() if v is not None and k != "pii_redacted"}


REDACTION: Final[tuple[Processor, ...]] = (
    structlog.stdlib.ExtraAdder(),
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
    structlog.contextvars.merge_contextvars,
    redact_event,
    _add_trace_ids,
    add_exception_type_and_frames,
    keep_safe_fields,
)
"""Every line's processors, in order: gather (extra=, level, logger, time, bound context), then
redact (event, ids, exception, fields). The last one builds the line from allowed keys only."""


def _renderers(as_json: bool, colors: bool) -> list[Processor]:
    if as_json:
        return [
            _upper_level,
            structlog.processors.JSONRenderer(
                separators=(",", ":"), default=str, ensure_ascii=False
            ),
        ]
    return [_for_people, structlog.dev.ConsoleRenderer(colors=colors, timestamp_key="ts")]


def formatter(*, as_json: bool, colors: bool = False) -> structlog.stdlib.ProcessorFormatter:
    """The root handler's formatter: the redaction processors, then JSON or console rendering."""
    return structlog.stdlib.ProcessorFormatter(
        processors=[*REDACTION, *_renderers(as_json, colors)],
        use_get_message=False,  # never %-format unsafe arguments: redact_event does it safely
        pass_foreign_args=True,
    )


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


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stream-like object
        return False


def wants_json(stream: IO[str] | None = None, env: Mapping[str, str] | None = None) -> bool:
    """JSON unless ``SEED_LOG_FORMAT=text``, or unset with ``stream`` (stderr) a terminal."""
    env = os.environ if env is None else env
    chosen = env.get(FORMAT_ENV, "").strip().lower()
    if chosen in ("json", "text"):
        return chosen == "json"
    return not _is_terminal(sys.stderr if stream is None else stream)


_MARK: Final = "_seed_redacting_handler"


def configure_logging(
    level: str = "INFO", stream: IO[str] | None = None, *, as_json: bool | None = None
) -> None:
    """Install the redacting handler on the root logger (replacing an earlier one of ours) and
    route structlog's loggers through it. ``as_json=None``: decided by ``wants_json``."""
    if as_json is None:
        as_json = wants_json(stream)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    ours: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    setattr(ours, _MARK, True)
    colors = not as_json and _is_terminal(sys.stderr if stream is None else stream)
    ours.setFormatter(formatter(as_json=as_json, colors=colors))
    root.addHandler(ours)
    root.setLevel(level.upper())
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_json_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """JSON lines on ``stream`` (default: stderr), redacted, whatever the stream is."""
    configure_logging(level, stream, as_json=True)
