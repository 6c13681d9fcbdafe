"""Telemetry (OpenTelemetry spans and metrics over OTLP) and logs that never carry PII."""
