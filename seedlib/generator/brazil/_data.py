"""Reading the read-only data files of ``seedlib/generator/data`` and checking their format.

A malformed file is a packaging bug, not bad input: it raises RuntimeError naming the file.
"""

from __future__ import annotations

import functools
from importlib import resources


def read_text(name: str) -> str:
    return resources.files("seedlib.generator").joinpath("data", name).read_text(encoding="utf-8")


def _check_entry(entry: str, name: str) -> str:
    if not entry or entry != entry.strip() or any(c == "\\" or not c.isprintable() for c in entry):
        raise RuntimeError(f"seedlib/generator/data/{name}: bad entry {entry!r}")
    return entry


@functools.cache
def word_list(name: str) -> tuple[str, ...]:
    entries = tuple(_check_entry(line, name) for line in read_text(name).splitlines())
    if list(entries) != sorted(set(entries)):
        raise RuntimeError(f"seedlib/generator/data/{name}: entries must be sorted and unique")
    return entries


def read_tsv(name: str, header: tuple[str, ...]) -> list[list[str]]:
    lines = read_text(name).splitlines()
    if tuple(lines[0].split("\t")) != header:
        raise RuntimeError(f"seedlib/generator/data/{name}: header must be {header}")
    rows = [line.split("\t") for line in lines[1:]]
    if any(len(row) != len(header) for row in rows):
        raise RuntimeError(f"seedlib/generator/data/{name}: every row needs {len(header)} fields")
    return rows
