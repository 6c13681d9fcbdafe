"""The W3C trace context a SeedRun's Jobs are given, and the ids derived from a SeedRun's uid. Pure.

The operator hands every Job ``TRACEPARENT=00-<trace id>-<span id>-01`` (``JobEnv.TRACEPARENT``);
the Job's spans are children of that span. Both sides parse and format the header here, once:

- ``parse_traceparent`` / ``format_traceparent``: W3C Trace Context level 1 (version ``ff`` and
  all-zero ids are invalid, version ``00`` has exactly four fields, a later version may append
  fields). OpenTelemetry's ``TraceContextTextMapPropagator`` applies the same rules (a unit test
  holds the two to agreement), but it needs the OpenTelemetry API and yields only a ``Context``;
  this layer and the operator's pure core must not import OpenTelemetry (import-linter checks it).
- ``run_trace_context(uid)``: a SeedRun lives across many reconcile passes and operator restarts,
  so its trace context cannot be a random id held in memory. The trace id is the uid itself (a
  UUID is 128 bits, the size of a trace id) and the ``seed.run`` span id the first 64 bits of
  sha256(uid): anyone holding a SeedRun's uid finds its trace.

Nothing here reads the environment or imports OpenTelemetry.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "RUN_ATTRIBUTE_KEYS",
    "RUN_SPAN",
    "TRACEPARENT_ENV",
    "VALIDATE_SPAN",
    "TraceParent",
    "format_traceparent",
    "parse_traceparent",
    "run_span_id",
    "run_trace_context",
    "run_trace_id",
    "run_traceparent",
]

TRACEPARENT_ENV: Final = "TRACEPARENT"
RUN_SPAN: Final = "seed.run"
"""The span of a whole run: the operator's for a SeedRun, seedctl's for ``seedctl run``."""
VALIDATE_SPAN: Final = "seed.manifest.validate"

RUN_ATTRIBUTE_KEYS: Final = (
    "tenant_id",
    "environment",
    "seed_run_id",
    "manifest_version",
    "mode",
    "dry_run",
)
"""The identity every span of a run carries, the operator's and the Jobs' alike; nothing else
identifies a run (never a row value)."""

_TRACEPARENT: Final = re.compile(
    r"^(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-(?P<flags>[0-9a-f]{2})"
    r"(?P<rest>-.*)?$"
)
_HEX: Final = frozenset("0123456789abcdef")
_SAMPLED: Final = 0x01


@dataclass(frozen=True, slots=True)
class TraceParent:
    """A parsed W3C ``traceparent``: a trace id and the id of the span that is the parent."""

    trace_id: str
    """32 lowercase hex digits, not all zero."""
    span_id: str
    """16 lowercase hex digits, not all zero."""
    sampled: bool = True

    def header(self) -> str:
        return format_traceparent(self.trace_id, self.span_id, sampled=self.sampled)


def parse_traceparent(value: str | None) -> TraceParent | None:
    """The ``traceparent`` header, or ``None`` when it is absent or invalid (W3C: a receiver
    that cannot parse it starts a new trace rather than failing)."""
    if not value:
        return None
    match = _TRACEPARENT.match(value.strip())
    if match is None:
        return None
    version, trace_id, span_id = match["version"], match["trace"], match["span"]
    if version == "ff" or (version == "00" and match["rest"]):
        return None
    if int(trace_id, 16) == 0 or int(span_id, 16) == 0:
        return None
    return TraceParent(trace_id, span_id, sampled=bool(int(match["flags"], 16) & _SAMPLED))


def format_traceparent(trace_id: int | str, span_id: int | str, *, sampled: bool = True) -> str:
    """``00-<trace id>-<span id>-<flags>`` from ints (OpenTelemetry's) or hex strings; raises
    ``ValueError`` for ids W3C forbids rather than handing out a header receivers would drop."""
    trace_hex = f"{trace_id:032x}" if isinstance(trace_id, int) else trace_id.lower()
    span_hex = f"{span_id:016x}" if isinstance(span_id, int) else span_id.lower()
    header = f"00-{trace_hex}-{span_hex}-{'01' if sampled else '00'}"
    if parse_traceparent(header) is None:
        raise ValueError(f"not a valid trace context: {header}")
    return header


def run_trace_id(uid: str) -> str:
    """32 lowercase hex digits: the uid without dashes (Kubernetes uids are UUIDs). Anything else
    (never from the API server, but a caller may pass one) is hashed into a valid id instead."""
    digits = uid.replace("-", "").lower()
    if len(digits) == 32 and set(digits) <= _HEX and int(digits, 16) != 0:
        return digits
    return hashlib.sha256(f"trace-id:{uid}".encode()).hexdigest()[:32]


def run_span_id(uid: str) -> str:
    """16 lowercase hex digits: the first 64 bits of sha256(uid) (the next 64 in the 2**-64 case
    where those are all zero, which W3C forbids)."""
    digest = hashlib.sha256(uid.encode()).hexdigest()
    return digest[:16] if int(digest[:16], 16) != 0 else digest[16:32]


def run_trace_context(uid: str) -> TraceParent:
    """The trace context of the SeedRun ``uid``: its ``seed.run`` span, sampled."""
    return TraceParent(run_trace_id(uid), run_span_id(uid), sampled=True)


def run_traceparent(uid: str) -> str:
    """The ``traceparent`` every Job of the run carries: version 00, sampled."""
    return run_trace_context(uid).header()
