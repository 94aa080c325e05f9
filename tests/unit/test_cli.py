"""The ``opendata`` command as a steward uses it: exit codes, one-line reasons, no Prefect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opendata.cli import main
from tests.conftest import FIXTURES, RAW


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "validate",
        str(FIXTURES / "wifi-sites/semicolon-cp1252.csv"),
        "--source",
        "wifi-sites",
    )
    assert code == 0
    assert "— VALIDE" in out and "NON VALIDE" not in out  # "VALIDE" alone is in both


def test_invalid_file_exits_1_with_json_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "validate",
        str(FIXTURES / "epn-attendance/every-error.csv"),
        "--source",
        "epn-attendance",
        "--format",
        "json",
        "--raw-dir",
        str(RAW),
    )
    assert code == 1
    assert json.loads(out)["stats"]["errors"] == 7


@pytest.mark.parametrize(
    "name",
    [
        "empty.csv",
        "garbage.csv",
        "utf16.csv",
        "unclosed-quote.csv",
        "truncated.csv.gz",
        "comma-separated.csv",
        "does-not-exist.csv",
    ],
)
def test_unreadable_file_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out, err = run(
        capsys, "validate", str(FIXTURES / "wifi-sites" / name), "--source", "wifi-sites"
    )
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("opendata: ")
    assert "Traceback" not in err


def test_unreadable_file_still_gives_json_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "validate",
        str(FIXTURES / "wifi-sites/empty.csv"),
        "--source",
        "wifi-sites",
        "--format",
        "json",
    )
    assert code == 2
    data = json.loads(out)
    assert data["valid"] is False
    assert data["errors"] == [
        {
            "type": "empty",
            "rowNumber": None,
            "fieldName": None,
            "cell": None,
            "cellRef": None,
            "message": "Le fichier est vide.",
        }
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "x.csv"],
        ["validate", "x.csv", "--source", "nope"],
        ["frobnicate"],
        ["validate", "x.csv", "--source", "wifi-sites", "--format", "pdf"],
        ["publish", "--dataset", "nope"],
    ],
)
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        code = main(args)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_validate_does_not_import_prefect_or_frictionless() -> None:
    probe = (
        "import sys\nfrom opendata.cli import main\n"
        f"code = main(['validate', {str(FIXTURES / 'wifi-sites/semicolon-cp1252.csv')!r}, "
        "'--source', 'wifi-sites'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'frictionless')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_publish_waits_for_a_slow_embedded_server_and_tries_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import flows.publish

    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", raising=False)
    calls: list[str | None] = []

    def slow(names: list[str], raw: Path, out: Path) -> dict[str, str]:
        calls.append(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"))
        if len(calls) == 1:
            raise RuntimeError(
                "Timed out while attempting to connect to ephemeral Prefect API server."
            )
        return dict.fromkeys(names, "published 1.0.0")

    monkeypatch.setattr(flows.publish, "run_publish", slow)
    assert main(["publish", "--dataset", "startup-support", "--published-dir", str(tmp_path)]) == 0
    assert calls == ["180", "180"]
    assert "startup-support: published 1.0.0" in capsys.readouterr().out

    calls.clear()

    def never(names: list[str], raw: Path, out: Path) -> dict[str, str]:
        calls.append("x")
        raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")

    monkeypatch.setattr(flows.publish, "run_publish", never)
    assert main(["publish", "--dataset", "startup-support", "--published-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(calls) == 2 and "did not start in 180 s, twice" in err and "Traceback" not in err


def test_validate_away_from_the_project_says_the_keys_were_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    month = RAW / "epn-attendance" / "attendance-2007-01.csv"
    code = main(["validate", str(month), "--source", "epn-attendance", "--raw-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0  # valid, but said
    assert "Identifiants non vérifiés" in out and "--raw-dir" in out and str(tmp_path) in out


def test_generated_months_come_from_the_datasets_own_generator(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``generate-months`` names no dataset: it asks the dataset's folder for its generator."""
    code, out, _ = run(
        capsys,
        "generate-months",
        "--dataset",
        "wifi-hotspots",
        "2008-02:2008-03",
        "--rows",
        "500",
        "--raw-dir",
        str(tmp_path),
    )
    assert code == 0
    written = [Path(line) for line in out.splitlines()]
    assert [p.name for p in written] == ["sessions-2008-02.csv.gz", "sessions-2008-03.csv.gz"]
    assert all(p.parent == tmp_path / "wifi-sessions" and p.stat().st_size > 0 for p in written)
    code, _, err = run(capsys, "generate-months", "--dataset", "startup-support", "2008-02")
    assert code == 2 and "no generator of monthly deliveries" in err and "wifi-hotspots" in err
    code, _, err = run(capsys, "generate-months", "--dataset", "nope", "2008-02")
    assert code == 2 and "unknown dataset 'nope'" in err
    code, _, err = run(capsys, "generate-months", "--dataset", "wifi-hotspots", "2008-13")
    assert code == 2 and "AAAA-MM" in err
