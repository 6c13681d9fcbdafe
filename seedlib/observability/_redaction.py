"""The redaction rules of every log line, as structlog processors: nothing a caller passes reaches
the output unless it is known to be safe.

- the event *template* (``record.msg``, structlog's ``event``) is code, so it is kept; an event
  that is not a string (``logger.info(row)``) becomes ``"[redacted]"``;
- ``%`` arguments are substituted only when they are numbers, booleans, ``None``, UUIDs, enum
  members (reasons, modes) or datetimes; any string, tuple, dict or object becomes ``[redacted]``;
- fields (``extra=``, structlog key-values, bound context) are emitted only under the keys of
  ``FIELD_SHAPES``, with scalar values, and a string only when it has the shape its key promises
  (a phase is a word, a namespace a DNS name, an endpoint a URL); any other key or value is
  emitted as ``"[redacted]"``;
- the rendered text (event, allowed strings) is scanned last for CPF/CNPJ, e-mail and +55 phone
  shapes (the net under an f-string, or a document that happens to fit a key's shape);
- an exception contributes its type and its frames (file:line in function), never its message.

These processors must never raise: a formatter that fails makes ``logging`` print the record,
arguments and all, to stderr.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import sys
import traceback
import uuid
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Final

from structlog.typing import EventDict, WrappedLogger

__all__ = [
    "FIELD_SHAPES",
    "REDACTED",
    "add_exception_type_and_frames",
    "keep_safe_fields",
    "redact_event",
    "redact_text",
]

REDACTED: Final = "[redacted]"

_DNS: Final = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
"""A Kubernetes object name or namespace (DNS-1123 subdomain)."""
_TOKEN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,252}")
"""One word of code or an id: a phase, reason, mode, table, batch id, version, UUID, count."""
_HEX_ID: Final = re.compile(r"[0-9a-f]{32}|[0-9a-f]{16}")
_URL: Final = re.compile(r"[a-z][a-z0-9+.-]*://\S{1,2048}")
_IMAGE: Final = re.compile(r"[a-z0-9][A-Za-z0-9._/:@-]{0,511}")
_DNS_LIST: Final = re.compile(r"[a-z0-9][-a-z0-9.,]{0,2047}")

FIELD_SHAPES: Final[Mapping[str, re.Pattern[str]]] = {
    # the identity of a run
    "tenant_id": _DNS,
    "environment": _TOKEN,
    "seed_run_id": _TOKEN,
    "trace_id": _HEX_ID,
    "span_id": _HEX_ID,
    "manifest_version": _TOKEN,
    "mode": _TOKEN,
    "dry_run": _TOKEN,
    # batches and results
    "table": _TOKEN,
    "batch_id": _TOKEN,
    "rows": _TOKEN,
    "written": _TOKEN,
    "batches": _TOKEN,
    "count": _TOKEN,
    "exit_code": _TOKEN,
    "reason": _TOKEN,
    "check": _TOKEN,
    "ok": _TOKEN,
    "verified": _TOKEN,
    "command": _TOKEN,
    "signal": _TOKEN,
    "duration_ms": _TOKEN,
    "seconds": _TOKEN,
    "uri": _URL,
    "endpoint": _URL,
    # the operator: phases, objects, settings
    "phase": _TOKEN,
    "previous_phase": _TOKEN,
    "seed_run_name": _DNS,
    "namespace": _DNS,
    "job": _DNS,
    "lease": _DNS,
    "k8s_kind": _TOKEN,
    "k8s_name": _DNS,
    "status_code": _TOKEN,
    "service": _DNS,
    "image": _IMAGE,
    "watch_namespaces": _DNS_LIST,
    "lease_namespace": _DNS,
    "global_cap": _TOKEN,
    "batch_rows": _TOKEN,
}
"""The keys a log line may carry, each with the shape its string values must have (numbers,
booleans, UUIDs, enums and dates pass as they are)."""

_SAFE_TYPES: Final = (
    bool,
    int,
    float,
    decimal.Decimal,
    uuid.UUID,
    enum.Enum,
    dt.datetime,
    dt.date,
)

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

_PLACEHOLDER: Final = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgG]")


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


def _substituted(template: str, args: Sequence[object] | Mapping[str, object]) -> str:
    """``template % args`` with every unsafe argument replaced by ``[redacted]``."""
    if isinstance(args, Mapping):
        safe_map = {k: (_scalar(v) if _safe(v) else REDACTED) for k, v in args.items()}
        try:
            return template % safe_map
        except (TypeError, ValueError, KeyError):
            return template
    safe_args = tuple(_scalar(a) if _safe(a) else REDACTED for a in args)
    try:
        return template % safe_args
    except (TypeError, ValueError):
        # a %d given "[redacted]": render every placeholder as text
        try:
            return _PLACEHOLDER.sub("%s", template) % safe_args
        except (TypeError, ValueError):
            return template


def redact_event(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The event from its template and safe arguments (a stdlib record's ``msg``/``args``, or
    structlog's ``event``/``positional_args``), scanned for PII."""
    record = event_dict.get("_record")
    from_stdlib = record is not None and not event_dict.get("_from_structlog", False)
    template = getattr(record, "msg", None) if from_stdlib else event_dict.get("event")
    args = event_dict.pop("positional_args", None)
    if not isinstance(template, str):
        event_dict["event"] = REDACTED
        return event_dict
    if args and isinstance(args, (tuple, list, Mapping)):
        template = _substituted(template, args)
    event_dict["event"] = redact_text(template)
    return event_dict


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _exc_info(value: object) -> ExcInfo | None:
    if isinstance(value, BaseException):
        return type(value), value, value.__traceback__
    if isinstance(value, tuple) and len(value) == 3 and value[0] is not None:
        return value
    if value is True:
        current = sys.exc_info()
        return current if current[0] is not None else None
    return None


def add_exception_type_and_frames(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """``exc_type`` and the last eight ``exc_frames`` instead of the exception (whose message may
    quote a row: psycopg's ``DETAIL: Key (...)=(...)``); a stack is dropped."""
    info = _exc_info(event_dict.pop("exc_info", None))
    for key in ("exception", "stack_info", "exc_type", "exc_frames"):  # never a caller's
        event_dict.pop(key, None)
    if info is not None:
        event_dict["exc_type"] = info[0].__name__
        frames = traceback.extract_tb(info[2])[-8:]
        event_dict["exc_frames"] = [
            f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames
        ]
    return event_dict


def _field(key: str, value: object) -> object:
    if isinstance(value, str):
        if value and not FIELD_SHAPES[key].fullmatch(value):
            return REDACTED
        return redact_text(value)
    if _safe(value):
        return _scalar(value)
    return REDACTED


_LINE_KEYS: Final = (
    "ts",
    "level",
    "event",
    "logger",
    "tenant_id",
    "seed_run_id",
    "trace_id",
    "span_id",
)
_DROPPED: Final = frozenset({"message", "asctime", "exc_type", "exc_frames"})
"""``message``/``asctime``: what another handler's formatter left on the record (the rendered,
unredacted message); the exception keys are this module's own, already safe."""
_KOPF: Final = frozenset({"k8s_ref", "k8s_skip", "settings"})
"""What kopf's per-object logger adds to every record: the object (rendered by ``_object_fields``),
its event-posting flag and its OperatorSettings."""


def _object_fields(ref: object) -> dict[str, object]:
    """kopf's ``k8s_ref`` (the object a handler's logger is about) as kind, name and namespace."""
    if not isinstance(ref, Mapping):
        return {}
    fields = {"k8s_kind": ref.get("kind"), "k8s_name": ref.get("name")}
    if ref.get("namespace"):
        fields["namespace"] = ref.get("namespace")
    return fields


def keep_safe_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The line: the contract keys first (ids may be None), ``pii_redacted: true``, then every
    other field redacted by key and shape; bookkeeping (``_record``, kopf's ``k8s_*``) dropped."""
    out: EventDict = {key: event_dict.get(key) for key in _LINE_KEYS}
    for key in ("tenant_id", "seed_run_id", "trace_id", "span_id"):
        out[key] = _field(key, out[key])
    out["pii_redacted"] = True
    rest = {**_object_fields(event_dict.get("k8s_ref")), **event_dict}
    skipped = _DROPPED | (_KOPF if "k8s_ref" in event_dict else frozenset())
    for key, value in rest.items():
        if key in out or key in skipped or key.startswith("_"):
            continue
        out[key] = _field(key, value) if key in FIELD_SHAPES else REDACTED
    for key in ("exc_type", "exc_frames"):
        if key in event_dict:
            out[key] = event_dict[key]
    return out
