"""Reading manifest files, and writing ``spec.integrity.manifestHash`` back into them.

YAML is read with a safe loader tuned for manifests whose hash must match what the API server
stores: timestamps stay strings (``2025-01-01T00:00:00Z`` is hashed as written), duplicate keys and
aliases are errors (both make "what the file says" ambiguous), and files over 1 MiB are refused.
Every problem with a file comes back as a ``SourceDocument`` with an ``error``; nothing here raises
for bad input.

``write_manifest_hash`` edits the file as text: only the hash value (or the inserted ``integrity``
block) changes, so comments, key order and formatting survive. It re-reads the result and refuses to
write unless the new file parses to the same data with a valid hash.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from seedlib.contract.canonical import CanonicalizationError, manifest_hash

__all__ = ["ManifestEditError", "SourceDocument", "read_documents", "write_manifest_hash"]

MAX_BYTES: Final = 1024 * 1024
SUFFIXES: Final = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class SourceDocument:
    source: str
    """The file, with ``#N`` (1-based) when it holds several documents."""
    data: object = None
    error: str | None = None
    """Why the file or document could not be read; ``data`` is then meaningless."""


class ManifestEditError(Exception):
    """``seedctl hash --write`` could not update a file safely; the file was left untouched."""


class _ManifestLoader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps, with duplicate keys and aliases refused."""

    yaml_implicit_resolvers = {  # noqa: RUF012  (PyYAML declares it as a plain attribute)
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in manifests", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be scalars", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "duplicate key",
                    seen[key].start_mark,
                    f"key {key!r} appears twice (the second is here)",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _files(path: Path) -> list[Path] | str:
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        return found or f"no {'/'.join(SUFFIXES)} files under {path}"
    if path.is_file():
        return [path]
    return "no such file or directory"


def read_documents(paths: Sequence[Path]) -> Iterator[SourceDocument]:
    """Every document of every file named, directories walked recursively in name order."""
    for path in paths:
        files = _files(path)
        if isinstance(files, str):
            yield SourceDocument(str(path), error=files)
            continue
        for file in files:
            yield from _read_file(file)


def _read_file(file: Path) -> Iterator[SourceDocument]:
    text = _read_text(file)
    if isinstance(text, SourceDocument):
        yield text
        return
    try:
        stream = io.StringIO(text)
        stream.name = str(file)  # PyYAML names the file in its error marks
        documents = [d for d in yaml.load_all(stream, Loader=_ManifestLoader) if d is not None]
    except yaml.YAMLError as exc:
        yield SourceDocument(str(file), error=f"not valid YAML: {_one_line(exc)}")
        return
    except RecursionError:
        yield SourceDocument(str(file), error="not valid YAML: nested too deeply")
        return
    if not documents:
        yield SourceDocument(str(file), error="empty: the file holds no YAML document")
        return
    many = len(documents) > 1
    for index, data in enumerate(documents, start=1):
        yield SourceDocument(f"{file}#{index}" if many else str(file), data=data)


def _read_text(file: Path) -> str | SourceDocument:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        return SourceDocument(str(file), error=f"cannot read: {exc.strerror or exc}")
    if len(raw) > MAX_BYTES:
        return SourceDocument(
            str(file), error=f"too large ({len(raw)} bytes; manifests are under 1 MiB)"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SourceDocument(str(file), error=f"not UTF-8 text (byte {exc.start})")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


# -- hash --write ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    text: str


def write_manifest_hash(file: Path) -> list[str]:
    """Fill ``spec.integrity.manifestHash`` of every SeedProfile in ``file``; return the hashes.

    Raises ``ManifestEditError`` (file untouched) when the file cannot be parsed or edited safely.
    """
    text = _read_text(file)
    if isinstance(text, SourceDocument):
        raise ManifestEditError(f"{file}: {text.error}")
    if file.suffix == ".json":
        new_text, hashes = _hash_json(text, file)
    else:
        new_text, hashes = _hash_yaml(text, file)
    if not hashes:
        raise ManifestEditError(f"{file}: no SeedProfile document with a spec mapping")
    _check_rewrite(text, new_text, file)
    if new_text != text:
        _atomic_write(file, new_text)
    return hashes


def _hash_json(text: str, file: Path) -> tuple[str, list[str]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestEditError(f"{file}: not valid JSON: {exc}") from exc
    spec = document.get("spec") if isinstance(document, dict) else None
    if not _is_profile(document) or not isinstance(spec, dict):
        return text, []
    digest = _digest(spec, file)
    integrity = spec.setdefault("integrity", {})
    if not isinstance(integrity, dict):
        raise ManifestEditError(f"{file}: spec.integrity is not a mapping")
    integrity["manifestHash"] = digest
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n", [digest]


def _hash_yaml(text: str, file: Path) -> tuple[str, list[str]]:
    loader = _ManifestLoader(text)
    edits: list[_Edit] = []
    hashes: list[str] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            data = loader.construct_document(node)
            if not _is_profile(data) or not isinstance(data.get("spec"), dict):
                continue
            digest = _digest(data["spec"], file)
            hashes.append(digest)
            edits.append(_integrity_edit(text, _value_of(node, "spec"), digest, file))
    except yaml.YAMLError as exc:
        raise ManifestEditError(f"{file}: not valid YAML: {_one_line(exc)}") from exc
    finally:
        loader.dispose()
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text, hashes


def _integrity_edit(text: str, spec: yaml.Node | None, digest: str, file: Path) -> _Edit:
    quoted = f'"{digest}"'
    if not isinstance(spec, yaml.MappingNode) or spec.flow_style:
        raise ManifestEditError(f"{file}: spec is not a block mapping; add integrity by hand")
    integrity = _value_of(spec, "integrity")
    if isinstance(integrity, yaml.MappingNode) and integrity.value and not integrity.flow_style:
        current = _value_of(integrity, "manifestHash")
        if current is not None:
            return _Edit(current.start_mark.index, current.end_mark.index, quoted)
        return _insert_after(text, integrity, f"manifestHash: {quoted}")
    if integrity is not None:  # `integrity: {}`, `integrity:` (null) or a flow mapping
        start = integrity.start_mark.index
        space = " " if text[start - 1] == ":" else ""
        return _Edit(start, integrity.end_mark.index, f"{space}{{manifestHash: {quoted}}}")
    return _insert_after(text, spec, f"integrity:\n{' ' * 2}manifestHash: {quoted}")


def _insert_after(text: str, mapping: yaml.MappingNode, block: str) -> _Edit:
    """Insert ``block`` as the last entry of a block mapping, at the indentation of its keys."""
    indent = " " * mapping.value[0][0].start_mark.column
    last_value = mapping.value[-1][1]
    end = last_value.end_mark.index
    while end > 0 and text[end - 1] in " \t\r\n":
        end -= 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    lines = "".join(f"\n{indent}{line}" for line in block.split("\n"))
    return _Edit(line_end, line_end, lines)


def _value_of(mapping: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node  # type: ignore[no-any-return]
    return None


def _is_profile(data: object) -> bool:
    return isinstance(data, dict) and data.get("kind") == "SeedProfile"


def _digest(spec: dict[str, Any], file: Path) -> str:
    try:
        return manifest_hash(spec)
    except CanonicalizationError as exc:
        raise ManifestEditError(f"{file}: spec is not canonical JSON: {exc}") from exc


def _check_rewrite(before: str, after: str, file: Path) -> None:
    """The rewrite must change nothing but the hashes, and every hash must now verify."""

    def without_hashes(text: str) -> list[object]:
        docs = [d for d in yaml.load_all(text, Loader=_ManifestLoader) if d is not None]
        for doc in docs:
            if _is_profile(doc) and isinstance(doc.get("spec"), dict):
                doc["spec"].pop("integrity", None)
        return docs

    try:
        same = without_hashes(before) == without_hashes(after)
        profiles = [d for d in yaml.load_all(after, Loader=_ManifestLoader) if _is_profile(d)]
        verified = all(
            d["spec"]["integrity"]["manifestHash"] == manifest_hash(d["spec"]) for d in profiles
        )
    except (yaml.YAMLError, KeyError, TypeError, CanonicalizationError) as exc:
        raise ManifestEditError(
            f"{file}: the edited file would not parse ({exc}); not written"
        ) from exc
    if not (same and verified):
        raise ManifestEditError(f"{file}: the edit would change more than the hash; not written")


def _atomic_write(file: Path, text: str) -> None:
    mode = file.stat().st_mode & 0o7777
    handle, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temp, mode)
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
