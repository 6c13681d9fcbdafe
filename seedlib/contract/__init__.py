"""The contract layer: the shapes every other layer agrees on, pure and I/O-free.

The SeedProfile and SeedRun models (the single source of the CRDs and the JSON Schema), the
canonical manifest hash, violations, the salt type and the typed operator<->Job contract. Nothing
here imports psycopg, boto3, hvac, opentelemetry or yaml (import-linter checks it); everything
above builds on these types.
"""
