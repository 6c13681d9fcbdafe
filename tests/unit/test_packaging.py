"""The installed package (the container image installs it non-editable) carries every data file
the code reads: a file under seedlib/ or operator/seed_operator/ that is not Python must match a
package-data pattern of pyproject.toml, or `pip install .` silently leaves it out."""

from __future__ import annotations

import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_data_file_is_declared_as_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(
        ["git", "ls-files", "seedlib", "operator/seed_operator"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    missing = []
    for name in tracked:
        if name.endswith(".py"):
            continue
        package = "seedlib" if name.startswith("seedlib/") else "seed_operator"
        inside = name.split("/", 1)[1] if package == "seedlib" else name.split("/", 2)[2]
        if not any(fnmatch(inside, p) for p in patterns.get(package, [])):
            missing.append(name)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_console_scripts_of_the_image():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert scripts == {
        "seedctl": "seedlib.cli:entrypoint",
        "seed-verify": "seed_operator.verify:main",
    }
