"""Pure decisions: validation, admission, batch planning, the window, back-off. No I/O.

Each function here is a decision made once and called by whoever needs it (``seedctl``, the batch
Jobs and the operator), so the three cannot disagree. Nothing here imports a database, Vault, S3,
telemetry or YAML client (import-linter checks it); clocks and randomness are passed in.
"""
