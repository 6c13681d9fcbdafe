"""Orchestration: preflight, the single-machine pipeline, the operator's Job steps, publishing.

This layer wires the pure rules to the I/O layers (``seedlib.db``, ``seedlib.evidence``); the
commands in ``seedlib.cli`` call it.
"""
