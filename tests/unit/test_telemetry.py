"""seedlib.observability.telemetry without a collector: traceparent parsing (seedlib.contract's,
held to agreement with OpenTelemetry's propagator), parentage, fail-closed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from seedlib.errors import DependencyUnavailableError, Reason
from seedlib.observability import telemetry
from seedlib.observability.telemetry import TraceParent, format_traceparent, parse_traceparent

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
HEADERS = [
    (f"00-{TRACE}-{SPAN}-01", TraceParent(TRACE, SPAN, sampled=True)),
    (f"00-{TRACE}-{SPAN}-00", TraceParent(TRACE, SPAN, sampled=False)),
    (f" 00-{TRACE}-{SPAN}-01 ", TraceParent(TRACE, SPAN, sampled=True)),
    (f"01-{TRACE}-{SPAN}-03-future", TraceParent(TRACE, SPAN, sampled=True)),
    (f"00-{TRACE}-{SPAN}-01-extra", None),  # version 00 has exactly four fields
    (f"ff-{TRACE}-{SPAN}-01", None),
    (f"00-{'0' * 32}-{SPAN}-01", None),
    (f"00-{TRACE}-{'0' * 16}-01", None),
    (f"00-{TRACE.upper()}-{SPAN}-01", None),  # lowercase hex only
    (f"00-{TRACE[:-1]}-{SPAN}-01", None),
    ("", None),
    (None, None),
    ("garbage", None),
]


@pytest.mark.parametrize(("header", "expected"), HEADERS)
def test_parse_traceparent(header, expected):
    assert parse_traceparent(header) == expected


def _otel(header: str) -> TraceParent | None:
    """What OpenTelemetry's own W3C propagator makes of ``header``."""
    context = trace.get_current_span(
        TraceContextTextMapPropagator().extract({"traceparent": header})
    ).get_span_context()
    if not context.is_valid:
        return None
    sampled = context.trace_flags.sampled
    return TraceParent(f"{context.trace_id:032x}", f"{context.span_id:016x}", sampled)


_HEX = "0123456789abcdef"


@given(
    st.sampled_from(["00", "01", "cc", "ff", "0g"]),
    st.text(_HEX, min_size=31, max_size=33) | st.just("0" * 32),
    st.text(_HEX, min_size=15, max_size=17) | st.just("0" * 16),
    st.text(_HEX, min_size=2, max_size=2),
    st.sampled_from(["", "-", "-future", "-x-y"]),
)
def test_the_contract_parser_agrees_with_opentelemetrys_propagator(
    version, trace_id, span_id, flags, rest
):
    """The pure parser exists because the contract layer and the operator's pure core may not
    import OpenTelemetry; it must not drift from the maintained implementation."""
    header = f"{version}-{trace_id}-{span_id}-{flags}{rest}"
    assert parse_traceparent(header) == _otel(header), header


@pytest.mark.parametrize(("header", "expected"), [h for h in HEADERS if h[0]])
def test_the_listed_headers_agree_with_opentelemetry_too(header, expected):
    assert _otel(header) == expected


@given(
    st.integers(min_value=1, max_value=2**128 - 1),
    st.integers(min_value=1, max_value=2**64 - 1),
    st.booleans(),
)
def test_format_then_parse_round_trips(trace_id, span_id, sampled):
    parsed = parse_traceparent(format_traceparent(trace_id, span_id, sampled=sampled))
    assert parsed == TraceParent(f"{trace_id:032x}", f"{span_id:016x}", sampled)


def test_format_refuses_an_invalid_context():
    with pytest.raises(ValueError, match="not a valid trace context"):
        format_traceparent(0, 1)


def test_traceparent_becomes_the_parent_and_the_run_ids(tmp_path: Path):
    env = {"TRACEPARENT": f"00-{TRACE}-{SPAN}-01"}
    current = telemetry.configure(dev_isolated=True, console_dir=tmp_path, env=env)
    try:
        telemetry.bind(tenant_id="tenant-a", dry_run=True)
        with telemetry.span("seed.batch", table="customers") as span:
            context = span.get_span_context()
            assert f"{context.trace_id:032x}" == TRACE
            assert telemetry.current_ids() == (TRACE, f"{context.span_id:016x}")
        assert telemetry.run_ids() == (TRACE, SPAN)  # the operator's seed.run span
        assert current.console_path is not None
    finally:
        telemetry.shutdown()
    (line,) = current.console_path.read_text().splitlines()
    assert f'"parent_span_id":"{SPAN}"' in line and '"dry_run":true' in line


def test_without_an_endpoint_only_dev_isolated_mode_may_run(tmp_path: Path):
    telemetry.configure(dev_isolated=False, env={})
    try:
        with pytest.raises(DependencyUnavailableError) as refused:
            telemetry.check_export()
        assert refused.value.reason is Reason.TELEMETRY_UNAVAILABLE
        assert "OTEL_EXPORTER_OTLP_ENDPOINT" in (refused.value.hint or "")
    finally:
        with pytest.raises(DependencyUnavailableError):
            telemetry.shutdown()
    telemetry.configure(dev_isolated=True, console_dir=tmp_path, env={})
    assert "console export" in telemetry.check_export()
    telemetry.shutdown()


def test_run_attributes_are_a_closed_set():
    current = telemetry.configure(dev_isolated=True, env={})
    try:
        with pytest.raises(ValueError, match="not a run attribute"):
            current.bind(customer_name="x")
    finally:
        telemetry.shutdown()


def test_before_configure_everything_is_a_no_op():
    assert telemetry.active() is None
    with telemetry.span("seed.batch") as span:
        assert not span.is_recording()
    assert telemetry.run_ids() is None
    telemetry.flush()
    telemetry.shutdown()
