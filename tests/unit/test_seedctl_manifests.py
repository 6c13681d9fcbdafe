"""seedctl validate / hash / window, driven as a user drives them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seedlib.cli import main
from tests.support import PROFILES, REPO

DEV = PROFILES / "dev" / "tenant-a.yaml"
HASH_LINE = '    manifestHash: "'


@pytest.fixture
def dev_copy(tmp_path: Path) -> Path:
    target = tmp_path / "tenant-a.yaml"
    shutil.copy(DEV, target)
    return target


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))


def test_validate_the_whole_manifests_tree(capsys):
    assert main(["validate", str(REPO / "manifests")]) == 0
    out = capsys.readouterr().out
    assert "8 document(s) checked: 8 valid, 0 invalid" in out


def test_console_script_is_installed():
    seedctl = Path(sys.executable).parent / "seedctl"
    done = subprocess.run(
        [seedctl, "validate", str(DEV)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


def test_changed_value_without_rehash_exits_2_naming_the_hash(dev_copy, capsys):
    edit(dev_copy, "customers: {cap: 100}", "customers: {cap: 101}")
    assert main(["validate", str(dev_copy)]) == 2
    out = capsys.readouterr().out
    assert "spec.integrity.manifestHash" in out
    assert f"seedctl hash --write {dev_copy}" in out


def test_missing_reference_datetime_exits_2_naming_it(dev_copy, capsys):
    edit(dev_copy, '  referenceDatetime: "2025-01-01T00:00:00Z"\n', "")
    main(["hash", "--write", str(dev_copy)])
    capsys.readouterr()
    assert main(["validate", str(dev_copy)]) == 2
    assert "spec.referenceDatetime: Field required" in capsys.readouterr().out


def test_json_output_is_problem_details(dev_copy, capsys):
    edit(dev_copy, 'startUtc: "00:00"', 'startUtc: "0:00"')
    assert main(["validate", "--output", "json", str(dev_copy)]) == 2
    problem = json.loads(capsys.readouterr().out)
    assert problem["status"] == 422
    assert {"type", "title", "detail", "violations"} <= problem.keys()
    paths = {v["path"] for v in problem["violations"]}
    assert paths == {"spec.window.startUtc", "spec.integrity.manifestHash"}
    assert all(v["hint"] and v["message"] and v["source"] for v in problem["violations"])


def test_json_output_when_valid(capsys):
    assert main(["validate", "-o", "json", str(DEV)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["valid"] is True
    assert body["documents"][0]["manifestHash"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"a: [1,\n", "not valid YAML"),
        (b"a: 1\na: 2\n", "appears twice"),
        (b"base: &b {x: 1}\nother: *b\n", "aliases"),
        (b"\xff\xfe", "not UTF-8"),
        (b"- 1\n- 2\n", "got a list"),
        (b"apiVersion: v1\nkind: ConfigMap\n", "not a seeding resource"),
    ],
)
def test_bad_files_exit_2_with_a_message_not_a_traceback(tmp_path, capsys, content, expected):
    file = tmp_path / "bad.yaml"
    file.write_bytes(content)
    assert main(["validate", str(file)]) == 2
    assert expected in capsys.readouterr().out


def test_missing_path_and_empty_directory_exit_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().out
    assert main(["validate", str(tmp_path)]) == 2
    assert "no .yaml/.yml/.json files" in capsys.readouterr().out


def test_multi_document_files_are_validated_per_document(tmp_path, capsys):
    file = tmp_path / "both.yaml"
    run = (REPO / "manifests/runs/dev/tenant-a-baseline.yaml").read_text()
    file.write_text(DEV.read_text() + "---\n" + run + "---\nkind: Nonsense\n")
    assert main(["validate", str(file)]) == 2
    out = capsys.readouterr().out
    assert f"{file}#1: SeedProfile tenant-a-dev valid" in out
    assert f"{file}#2: SeedRun tenant-a-dev-baseline valid" in out
    assert f"{file}#3" in out and "INVALID" in out


def test_directories_skip_foreign_documents(tmp_path, capsys):
    shutil.copy(DEV, tmp_path / "p.yaml")
    (tmp_path / "app.yaml").write_text("apiVersion: argoproj.io/v1alpha1\nkind: Application\n")
    assert main(["validate", str(tmp_path)]) == 0
    assert "1 skipped" in capsys.readouterr().out


def test_hash_prints_the_digest(capsys):
    assert main(["hash", str(DEV)]) == 0
    digest, source = capsys.readouterr().out.split()
    assert source == str(DEV)
    assert digest in DEV.read_text()


def test_hash_write_changes_only_the_hash_line(dev_copy, capsys):
    before = dev_copy.read_text().splitlines()
    edit(dev_copy, "suppliers: {cap: 20}", "suppliers: {cap: 21}  # tuned")
    assert main(["hash", "--write", str(dev_copy)]) == 0
    after = dev_copy.read_text().splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert len(changed) == 2  # the edited volume and the hash, nothing else
    assert changed[1][1].startswith(HASH_LINE)
    assert main(["validate", str(dev_copy)]) == 0


@pytest.mark.parametrize(
    "integrity",
    [
        "",
        "  integrity: {}\n",
        "  integrity:\n",
        '  integrity: {manifestHash: ""}\n',
        "  integrity:\n    other: 1\n",
    ],
    ids=["absent", "flow-empty", "null", "flow-empty-hash", "block-without-hash"],
)
def test_hash_write_fills_any_shape_of_integrity(tmp_path, capsys, integrity):
    text = DEV.read_text()
    head = text[: text.index("  integrity:")]
    file = tmp_path / "p.yaml"
    file.write_text(head + integrity + "# trailing comment\n")
    code = main(["hash", "--write", str(file)])
    if "other" in integrity:  # an unknown member stays, so the result is still invalid
        assert code == 0
        assert main(["validate", str(file)]) == 2
        return
    assert code == 0
    assert main(["validate", str(file)]) == 0, capsys.readouterr().out
    assert file.read_text().startswith(head.split("# After")[0])
    assert file.read_text().rstrip().endswith("# trailing comment")


def test_hash_write_json_and_multi_document(tmp_path, capsys):
    import yaml

    doc = yaml.safe_load(DEV.read_text())
    del doc["spec"]["integrity"]
    file = tmp_path / "p.json"
    file.write_text(json.dumps(doc))
    assert main(["hash", "--write", str(file)]) == 0
    assert main(["validate", str(file)]) == 0
    multi = tmp_path / "multi.yaml"
    multi.write_text(DEV.read_text() + "---\n" + (PROFILES / "dev/tenant-b.yaml").read_text())
    edit(multi, "customers: {cap: 60}", "customers: {cap: 61}")
    assert main(["hash", "--write", str(multi)]) == 0
    assert main(["validate", str(multi)]) == 0


def test_hash_write_refuses_files_without_profiles(tmp_path, capsys):
    file = tmp_path / "run.yaml"
    shutil.copy(REPO / "manifests/runs/dev/tenant-a-baseline.yaml", file)
    before = file.read_text()
    assert main(["hash", "--write", str(file)]) == 2
    assert "no SeedProfile" in capsys.readouterr().err
    assert file.read_text() == before


def test_window_reports_open_and_next_opening(capsys):
    assert main(["window", str(PROFILES), "--at", "2025-01-01T23:30:00Z"]) == 0
    out = capsys.readouterr().out
    assert "tenant-a/perf (carga)" in out and "OPEN until 2025-01-02T06:00:00Z" in out
    assert "tenant-a/staging (baseline)" in out
    assert "closed, opens 2025-01-02T00:00:00Z (in 0h30m)" in out


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["window", str(PROFILES), "--at", "yesterday"])
    assert caught.value.code == 2
    assert "not an ISO-8601 instant" in capsys.readouterr().err
