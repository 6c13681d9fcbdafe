"""``Violation``: one thing wrong with a document, where, and how to fix it.

Shared by schema validation (``seedlib.rules.validation``) and the generator's plan checks
(``seedlib.generator``), so both report in the same shape. Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Violation"]


@dataclass(frozen=True, slots=True)
class Violation:
    path: str
    """Where, as a dotted path into the document: ``spec.window.startUtc``, ``spec.canary.tenants[1]``."""
    message: str
    hint: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "hint": self.hint}
