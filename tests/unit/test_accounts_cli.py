"""``opendata users`` and ``opendata template``: what the data team types."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl

from opendata.portal.accounts import Accounts

PASSWORD = "un-mot-de-passe-long"


def run(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opendata.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_users_add_list_token_remove(tmp_path: Path) -> None:
    root = str(tmp_path)
    done = run(
        "users", "--root", root, "add", "marie", "--sources", "epn-places,wifi-sites",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert done.returncode == 0 and "compte créé : marie" in done.stdout, done.stderr
    stored = tmp_path / "portal" / "users.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    data = json.loads(stored.read_text())
    assert data["marie"]["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored.read_text()
    again = run("users", "--root", root, "add", "marie", "--sources", "epn-places",
                "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert again.returncode == 2 and "existe déjà" in again.stderr
    unknown = run("users", "--root", root, "add", "paul", "--sources", "nulle-part",
                  "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert unknown.returncode == 2 and "source inconnue" in unknown.stderr
    short = run("users", "--root", root, "add", "paul", "--sources", "startups",
                "--password-stdin", stdin="court\n")  # fmt: skip
    assert short.returncode == 2 and "trop court" in short.stderr
    assert "Traceback" not in unknown.stderr + short.stderr + again.stderr
    token = run("users", "--root", root, "token", "marie").stdout.strip()
    assert token.startswith("odp_")
    account = Accounts(tmp_path).by_token(token)
    assert account is not None and account.name == "marie"
    assert token not in stored.read_text()  # only its digest is kept
    listing = run("users", "--root", root, "list").stdout
    assert "marie\tepn-places,wifi-sites\t1 jeton(s)" in listing
    assert run("users", "--root", root, "remove", "marie").returncode == 0
    assert Accounts(tmp_path).by_token(token) is None
    assert run("users", "--root", root, "remove", "marie").returncode == 2


def test_authentication_refuses_wrong_passwords_and_unknown_names(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path)
    accounts.add("lea", PASSWORD, ["trainees"], False, ["trainees"])
    assert accounts.authenticate("lea", PASSWORD) is not None
    assert accounts.authenticate("lea", PASSWORD + "x") is None
    assert accounts.authenticate("personne", PASSWORD) is None


def test_template_written_where_asked_or_in_the_current_folder(tmp_path: Path) -> None:
    done = run("template", "startups", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(io.BytesIO((tmp_path / "startups.xlsx").read_bytes()))
    assert book.sheetnames == ["Entreprises", "Listes", "Notice"]
    target = tmp_path / "ailleurs" / "modele.xlsx"
    assert run("template", "wifi-sites", "-o", str(target)).returncode == 0
    notice = openpyxl.load_workbook(target)["Notice"]
    texts = " ".join(str(c.value) for row in notice.iter_rows() for c in row if c.value)
    assert "CSV UTF-8" in texts and "point-virgule" in texts
    machine = run("template", "wifi-sessions", cwd=tmp_path)
    assert machine.returncode == 2 and "export machine" in machine.stderr
    assert not (tmp_path / "wifi-sessions.xlsx").exists()
    assert run("template", "nulle-part").returncode == 2


def test_a_csv_source_template_filled_and_saved_as_csv_validates(tmp_path: Path) -> None:
    """What a steward does with the wifi-sites template: fill it, "Enregistrer sous CSV UTF-8"
    (semicolons in a French Excel), check it."""
    import csv

    from opendata.contracts import registry
    from opendata.portal import workbooks
    from opendata.validate.file import validate_file
    from tests.conftest import RAW

    source = registry.source("wifi-sites")
    book = openpyxl.load_workbook(io.BytesIO(workbooks.template(source)))
    sheet = book.worksheets[0]
    sample = (RAW / "wifi-sites" / "sites-2008-01-15.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(sample.splitlines(), delimiter=";"))
    assert rows[0] == [c.value for c in sheet[1]]
    for r, row in enumerate(rows[1:], start=2):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value)
    saved = tmp_path / "sites.csv"
    with saved.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        for values in sheet.iter_rows(values_only=True):
            if any(v not in (None, "") for v in values):
                writer.writerow(["" if v is None else v for v in values])
    report = validate_file(saved, source, RAW).report
    assert report.valid, [(p.row, p.label, p.type) for p in report.errors][:5]
    assert report.rows == len(rows) - 1


def test_portal_refuses_a_taken_port_and_a_missing_folder(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = run("portal", "--root", str(tmp_path), "--port", port)
    assert done.returncode == 2 and "déjà pris" in done.stderr and "Traceback" not in done.stderr
    missing = run("portal", "--root", str(tmp_path / "nulle-part"), "--port", "1")
    assert missing.returncode == 2 and "pas un dossier" in missing.stderr


def test_users_email_sets_checks_and_removes_the_address(tmp_path: Path) -> None:
    root = str(tmp_path)
    done = run("users", "--root", root, "add", "lea", "--sources", "trainees", "--email",
               "lea.martin@paris.fr", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    account = Accounts(tmp_path).get("lea")
    assert account is not None and account.email == "lea.martin@paris.fr"
    assert "lea.martin@paris.fr" in run("users", "--root", root, "list").stdout
    refused = run("users", "--root", root, "email", "lea", "pas une adresse")
    assert refused.returncode == 2 and "adresse e-mail refusée" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run("users", "--root", root, "email", "lea", "").returncode == 0
    account = Accounts(tmp_path).get("lea")
    assert account is not None and account.email == ""
    unknown = run("users", "--root", root, "email", "personne", "a@b.fr")
    assert unknown.returncode == 2 and "aucun compte personne" in unknown.stderr
