"""Where evidence and secrets come from and go to: salt providers, signers, WORM stores, the report.

Each role is a small family of interchangeable implementations (Vault or dev-isolated salts, Vault
Transit or a local signing key, S3 Object Lock or a local write-once directory), chosen by the
composition root in ``seedlib.cli``.
"""
