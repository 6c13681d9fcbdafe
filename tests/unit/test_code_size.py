"""No module over 450 lines, no function over 60 (issue 12, "Layers you can see", item 1).

Measured with ``ast`` over every ``.py`` file of ``seedlib/`` and ``operator/seed_operator/``: a
module by its physical lines, a function (or method) from its ``def`` line to its last line,
docstring included, decorators excluded. SQL migrations and generated artefacts are not Python
and are not scanned. A module that outgrows the limit is split along its seams (a package whose
``__init__`` re-exports the public names); a long function is shortened by extracting named
helpers.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (ROOT / "seedlib", ROOT / "operator" / "seed_operator")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60

# Entries are "path" for a module and "path::qualified.name" for a function.
DECLARATIVE_BUILDERS = {
    # One manifest literal each: the Job and the CRD read best whole, in the shape the API server
    # receives them; splitting them would scatter one object across helpers.
    "operator/seed_operator/jobs.py::build_job",
    "operator/seed_operator/crds.py::_crd",
}
ALLOWED = DECLARATIVE_BUILDERS


def _functions(
    node: ast.AST, prefix: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function below ``node`` with its dotted name (``Class.method``, ``outer.inner``)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{child.name}", child
            yield from _functions(child, f"{prefix}{child.name}.")
        elif isinstance(child, ast.ClassDef):
            yield from _functions(child, f"{prefix}{child.name}.")
        else:
            yield from _functions(child, prefix)


def oversized(path: str, source: str) -> dict[str, int]:
    """The module (``path``) and its functions (``path::name``) over the limits, with their lines."""
    found: dict[str, int] = {}
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found[path] = lines
    for name, function in _functions(ast.parse(source, filename=path)):
        length = (function.end_lineno or function.lineno) - function.lineno + 1
        if length > MAX_FUNCTION_LINES:
            found[f"{path}::{name}"] = length
    return found


def _measure_the_code() -> dict[str, int]:
    found: dict[str, int] = {}
    for package in PACKAGES:
        for file in sorted(package.rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            found |= oversized(path, file.read_text(encoding="utf-8"))
    return found


def test_no_module_or_function_outgrows_the_limits() -> None:
    over = {name: lines for name, lines in _measure_the_code().items() if name not in ALLOWED}
    assert over == {}, (
        f"modules over {MAX_MODULE_LINES} lines or functions over {MAX_FUNCTION_LINES} "
        "(name: lines); split them along their seams"
    )


def test_allow_list_has_no_stale_entries() -> None:
    stale = ALLOWED - _measure_the_code().keys()
    assert stale == set(), "these are within the limits now: remove them from the allow-list"


def _function(name: str, lines: int) -> str:
    """Source of a function ``lines`` long, its ``def`` line included."""
    return f"def {name}():\n" + "".join(f"    x = {i}\n" for i in range(lines - 1))


def test_the_counter_measures_from_def_to_last_line() -> None:
    assert oversized("m.py", _function("fits", MAX_FUNCTION_LINES)) == {}
    method = "class C:\n" + textwrap.indent(_function("too_long", MAX_FUNCTION_LINES + 1), "    ")
    assert oversized("m.py", method) == {"m.py::C.too_long": MAX_FUNCTION_LINES + 1}
    assert oversized("m.py", "x = 0\n" * MAX_MODULE_LINES) == {}
    assert oversized("m.py", "x = 0\n" * (MAX_MODULE_LINES + 1)) == {"m.py": MAX_MODULE_LINES + 1}
