"""``pip install .`` (not editable) gives a working ``opendata``: the wheel is built from this
checkout, installed in a fresh environment, and used in a project folder that holds only the
contracts and the deliveries (no source code beside them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def _run(command: list[str], cwd: Path, env: dict[str, str], ok: int = 0) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    said = done.stdout + done.stderr
    assert done.returncode == ok, f"{command} exited {done.returncode}:\n{said[-3000:]}"
    assert "Traceback" not in said, said[-3000:]
    return said


def test_the_wheel_validates_and_publishes_from_a_project_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENDATA_", "PREFECT_API"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    # The wheel, built from a copy of the checkout (the build must not write into it).
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv*", ".git", "published", "build", "__pycache__", "*.egg-info", ".opendata-*"
        ),
    )
    wheels = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), "."],
        source,
        env,
    )
    (wheel,) = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "opendata/datasets/wifi_hotspots/transform.py",  # discovered, not listed
        "opendata/validate/rules/places.py",
        "opendata/portal/templates/report.html",
        "flows/publish.py",
    ):
        assert needed in names, needed
    # A fresh environment: the wheel in it, its dependencies seen from this one's packages
    # (a path, not a site folder: this checkout's editable install is not loaded there).
    venv = tmp_path / "env"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    site = (
        venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    _run([*pip, "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp_path, env)
    project = tmp_path / "project"
    shutil.copytree(ROOT / "schemas", project / "schemas")
    shutil.copytree(ROOT / "raw", project / "raw")
    opendata = str(venv / "bin" / "opendata")
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import opendata, flows; print(opendata.__file__)"],
        project,
        env,
    )
    assert where.startswith(str(site)), where  # the installed package, not this checkout
    # In the project folder, as a department's script would run it.
    said = _run(
        [opendata, "validate", "raw/wifi-sites/sites-2008-01-15.csv", "--source", "wifi-sites"],
        project,
        env,
    )
    assert "VALIDE" in said and "NON VALIDE" not in said, said
    # From elsewhere, naming the project.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    said = _run(
        [
            opendata,
            "--root",
            str(project),
            "validate",
            str(project / "raw/startups/startups-2008-09-30.xlsx"),
            "--source",
            "startups",
        ],
        elsewhere,
        env,
    )
    assert "VALIDE" in said and "NON VALIDE" not in said, said
    # No project at all: said, not a traceback.
    said = _run([opendata, "validate", "x.csv", "--source", "wifi-sites"], elsewhere, env, ok=2)
    assert "wifi-sites" in said
    # A publication from the installed package (Prefect's embedded server included).
    _run([opendata, "publish", "--dataset", "startup-support"], project, env)
    package = project / "published" / "startup-support" / "datapackage.json"
    assert package.exists()
    assert not (elsewhere / "published").exists()
