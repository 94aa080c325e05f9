"""The stewards' portal through Starlette's test client: every role boundary tried and refused,
bad files answered with a 4xx and a French sentence, reports that agree with the command line,
downloads opened with openpyxl, a sent file followed until it is published."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from opendata.contracts import registry
from opendata.portal import jobs
from opendata.portal.accounts import Accounts
from opendata.portal.app import Settings, create_app
from opendata.publish import steps
from tests.conftest import FIXTURES, RAW
from tests.helpers import header_of
from tests.hostile import files as hostile

pytest.importorskip("multipart")
from starlette.testclient import TestClient

PASSWORD = "motdepasse-solide"
EVERY_ERROR = FIXTURES / "epn-places" / "every-error.xlsx"
SAMPLE_EPN = RAW / "epn-places" / "epn-2008-01-15.xlsx"
KNOWN = sorted(registry.sources())


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("portal")
    shutil.copytree(RAW, base / "raw")
    accounts = Accounts(base)
    accounts.add("marie", PASSWORD, ["epn-places", "wifi-sites"], False, KNOWN)
    accounts.add("paul", PASSWORD, ["startups"], False, KNOWN)
    accounts.add("lea", PASSWORD, ["trainees"], False, KNOWN)
    accounts.add("equipe", PASSWORD, [], True, KNOWN)
    accounts.add("bruno", PASSWORD, ["startups"], False, KNOWN)
    accounts.add("operateur", PASSWORD, ["wifi-sessions"], False, KNOWN)
    return base


@pytest.fixture(scope="module")
def app(root: Path) -> Iterator[Any]:
    settings = Settings.from_env(root)
    settings.workers = 1
    settings.max_upload_bytes = 5 * 1024 * 1024
    settings.login_attempts = 3
    yield create_app(settings)


@pytest.fixture(scope="module")
def started(app: Any) -> Iterator[Any]:
    """The app with its lifespan (the worker process) running for the whole module."""
    with TestClient(app) as client:
        yield client


def _client(started: Any) -> Any:
    """A fresh browser (its own cookies) on the running app."""
    return TestClient(started.app, base_url="http://testserver")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def signed_in(started: Any, name: str) -> tuple[Any, str]:
    client = _client(started)
    token = _csrf(client.get("/connexion").text)
    answer = client.post("/connexion", data={"csrf": token, "username": name, "password": PASSWORD})
    assert answer.status_code == 200 and answer.url.path == "/", answer.text[:500]
    return client, _csrf(answer.text)


def upload(client: Any, csrf: str, path: Path, source: str = "", name: str | None = None) -> Any:
    with path.open("rb") as handle:
        return client.post(
            "/verifier",
            data={"csrf": csrf, "source": source},
            files={"file": (name or path.name, handle)},
        )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_pages_need_an_account_and_the_api_a_token(started: Any) -> None:
    client = _client(started)
    for path in ("/", "/depots", "/modeles", "/modeles/epn-places.xlsx"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion")
    answer = client.post("/api/v1/validate", files={"file": ("a.csv", b"x")})
    assert answer.status_code == 401 and "Jeton" in answer.json()["error"]
    answer = client.post(
        "/api/v1/validate",
        files={"file": ("a.csv", b"x")},
        headers={"Authorization": "Bearer odp_not-a-token"},
    )
    assert answer.status_code == 401


def test_a_checks_status_address_says_where_it_stands(started: Any, root: Path) -> None:
    """What the progress page's script asks every two seconds: the check's state as JSON, for
    whoever may see the report; a check done answers "done" (the script then loads the
    report); signed out, the sign-in page."""
    marie, marie_csrf = signed_in(started, "marie")
    report = upload(marie, marie_csrf, EVERY_ERROR)
    address = report.url.path
    answer = marie.get(address + "/etat")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.json()["status"] == "done"
    check_id = address.rsplit("/", 1)[-1]
    meta = jobs.read_meta(root, check_id)
    assert meta is not None
    try:
        jobs.write_meta(root, check_id, {**meta, "status": "running", "started_ts": time.time()})
        state = marie.get(address + "/etat").json()
        assert state["status"] == "running" and 0 <= state["seconds"] < 60
        assert state["text"] == "Votre fichier est en cours de vérification."
        english = marie.get(address + "/etat?lang=en").json()
        assert english["text"] == "Your file is being checked."
        page = marie.get(address).text
        assert f'data-status-url="{address}/etat"' in page and 'data-status="running"' in page
    finally:
        jobs.write_meta(root, check_id, meta)
    answer = _client(started).get(address + "/etat", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion")


def test_security_headers_on_every_answer(started: Any) -> None:
    client = _client(started)
    for path in ("/connexion", "/static/opendata.css", "/nulle-part"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
    page = client.get("/connexion").text
    assert "<script>" not in page and "<style>" not in page and ' style="' not in page


def test_wrong_password_is_refused_and_repeated_attempts_are_throttled(started: Any) -> None:
    client = _client(started)
    token = _csrf(client.get("/connexion").text)
    for _ in range(3):
        answer = client.post(
            "/connexion", data={"csrf": token, "username": "bruno", "password": "mauvais-mdp"}
        )
        assert answer.status_code == 401 and "incorrect" in answer.text
    # Even the right password now waits from this address: the pair (account, address) is
    # throttled, not just this browser.
    other = _client(started)
    token = _csrf(other.get("/connexion").text)
    answer = other.post(
        "/connexion", data={"csrf": token, "username": "bruno", "password": PASSWORD}
    )
    assert answer.status_code == 429 and "Trop de tentatives" in answer.text
    # The real steward, from their own address, is not locked out by someone else's guesses.
    elsewhere = TestClient(started.app, client=("192.0.2.7", 40000))
    token = _csrf(elsewhere.get("/connexion").text)
    answer = elsewhere.post(
        "/connexion", data={"csrf": token, "username": "bruno", "password": PASSWORD}
    )
    assert answer.status_code == 200 and answer.url.path == "/"
    # Colleagues behind the attacker's address are not locked out either.
    colleague = _client(started)
    token = _csrf(colleague.get("/connexion").text)
    answer = colleague.post(
        "/connexion", data={"csrf": token, "username": "paul", "password": PASSWORD}
    )
    assert answer.status_code == 200 and answer.url.path == "/"
    # X-Forwarded-For is not trusted (no proxy configured): rotating it changes nothing.
    rotating = _client(started)
    token = _csrf(rotating.get("/connexion").text)
    answer = rotating.post(
        "/connexion",
        data={"csrf": token, "username": "bruno", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert answer.status_code == 429


def test_the_throttle_keeps_bounded_memory_whatever_names_are_sent() -> None:
    from opendata.portal.throttle import Throttle

    throttle = Throttle(attempts=5, window=900, max_pairs=1000)
    for i in range(5000):
        throttle.fail(f"{i:06d}" + "x" * 900_000, "198.51.100.1")  # 900 KB names
    assert len(throttle.failures) == 1000
    assert all(len(k) == 16 and len(v) == 1 for k, v in throttle.failures.items())
    for _ in range(20):
        throttle.fail("bruno", "198.51.100.2")
    assert len(throttle.failures[Throttle._key("bruno", "198.51.100.2")]) == 5
    assert throttle.wait("bruno", "198.51.100.2") > 0 and throttle.wait("bruno", "x") == 0


def test_sign_out_a_new_password_and_a_re_added_account_end_sessions(started: Any) -> None:
    client, csrf = signed_in(started, "paul")
    cookie = dict(client.cookies)
    assert client.post("/deconnexion", data={"csrf": csrf}).status_code == 200
    replay = _client(started)
    replay.cookies.update(cookie)  # the cookie a thief copied before the sign-out
    assert replay.get("/", follow_redirects=False).status_code == 303
    # A new password ends every open session of the account.
    client, _ = signed_in(started, "paul")
    accounts = Accounts(started.app_root)
    accounts.set_password("paul", PASSWORD + "-2")
    assert client.get("/", follow_redirects=False).status_code == 303
    accounts.set_password("paul", PASSWORD)
    # Removing an account and adding it again does not revive its old cookies.
    client, _ = signed_in(started, "paul")
    accounts.remove("paul")
    accounts.add("paul", PASSWORD, ["startups"], False, KNOWN)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_new_token_replaces_the_previous_one_and_tokens_can_be_revoked(started: Any) -> None:
    accounts = Accounts(started.app_root)
    first = accounts.new_token("paul")
    second = accounts.new_token("paul")
    assert accounts.by_token(first) is None and accounts.by_token(second) is not None
    [listed] = accounts.get("paul").tokens  # type: ignore[union-attr]
    from opendata.portal.accounts import token_id_of

    assert accounts.revoke_tokens("paul", "nothing") == 0
    assert accounts.revoke_tokens("paul", token_id_of(listed)) == 1
    assert accounts.by_token(second) is None


def test_forms_without_their_csrf_token_are_refused(started: Any) -> None:
    client = _client(started)
    client.get("/connexion")
    answer = client.post("/connexion", data={"username": "marie", "password": PASSWORD})
    assert answer.status_code == 403 and "formulaire a expiré" in answer.text
    client, _ = signed_in(started, "marie")
    before = set(jobs.checks_dir(started.app_root).glob("*"))
    with EVERY_ERROR.open("rb") as handle:
        answer = client.post("/verifier", data={"csrf": "faux"}, files={"file": handle})
    assert answer.status_code == 403
    assert set(jobs.checks_dir(started.app_root).glob("*")) == before  # nothing stored
    answer = client.post("/deconnexion", data={})
    assert answer.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_an_invalid_workbook_gives_its_report_with_cell_references_and_preview(
    started: Any,
) -> None:
    client, csrf = signed_in(started, "marie")
    answer = upload(client, csrf, EVERY_ERROR)
    assert answer.status_code == 200 and answer.url.path.startswith("/rapports/")
    text = _text(answer.text)
    assert "Non valide" in text and "every-error.xlsx" in text
    assert "Source reconnue d'après l'en-tête" in answer.text.replace("&#39;", "'")
    assert "EPN!L5" in text and "n'est pas un SIRET valide" in text.replace("&#39;", "'")
    assert "9 lignes × 15 colonnes" in text
    assert "effacé avec ce rapport" not in text  # no personal data: kept as announced elsewhere
    # The failing row of the steward's file, the faulty cell highlighted, its message at hand.
    assert re.search(
        r'<td class="fault" id="f\d+" tabindex="0" aria-describedby="tip-5-\d+">', answer.text
    )
    assert "Identifiant de l&#39;EPN" in answer.text  # column description from the contract
    by_kind = client.get(str(answer.url) + "?groupe=type").text
    assert "cellule(s) de la colonne « SIRET du gestionnaire »" in by_kind
    assert "<details" in by_kind
    # Kinds in words, never the engine's codes (issue 24's walk: "constraint-error" on screen).
    assert "SIRET invalide" in by_kind and "Valeur hors des règles de la colonne" in by_kind
    shown = _text(by_kind)
    for code in (
        "constraint-error",
        "row-constraint",
        "primary-key",
        "missing-label",
        "siret-error",
    ):
        assert code not in shown, code


def test_reports_agree_with_the_command_line(started: Any, tmp_path: Path) -> None:
    client, csrf = signed_in(started, "marie")
    answer = upload(client, csrf, EVERY_ERROR, source="epn-places")
    web = client.get(str(answer.url) + "/rapport.json").json()
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "opendata.cli",
            "validate",
            str(EVERY_ERROR),
            "--source",
            "epn-places",
            "--format",
            "json",
            "--raw-dir",
            str(started.app_root / "raw"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 1
    assert web == json.loads(cli.stdout)


def test_downloads_the_annotated_copy_and_the_errors(started: Any) -> None:
    client, csrf = signed_in(started, "marie")
    report = upload(client, csrf, EVERY_ERROR)
    annotated = client.get(str(report.url) + "/annote.xlsx")
    assert annotated.status_code == 200
    assert "every-error-annote.xlsx" in annotated.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(annotated.content))
    assert book.sheetnames[0] == "Erreurs"
    listing = book["Erreurs"]
    assert listing["A2"].value == "EPN!L5"
    assert listing["A2"].hyperlink.location == "EPN!L5"
    cell = book["EPN"]["L5"]
    assert "n'est pas un SIRET valide" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    original = openpyxl.load_workbook(EVERY_ERROR)["EPN"]
    assert [c.value for c in book["EPN"]["A"]] == [c.value for c in original["A"]]  # theirs
    rows = client.get(str(report.url) + "/erreurs.csv").content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("gravité;cellule;ligne;colonne")
    assert any(
        line.startswith("erreur;EPN!L5;5;SIRET du gestionnaire;siret-error") for line in rows
    )


def test_a_csv_file_gets_an_annotated_workbook_too(started: Any) -> None:
    client, csrf = signed_in(started, "marie")
    report = upload(client, csrf, FIXTURES / "wifi-sites" / "every-error.csv")
    assert "wifi-sites" in report.text
    book = openpyxl.load_workbook(io.BytesIO(client.get(str(report.url) + "/annote.xlsx").content))
    first = book["Erreurs"]["A2"].value
    assert re.fullmatch(r"'wifi-sites'![A-Z]+\d+", first)  # quoted as Excel wants it
    ref = first.split("!")[1]
    assert book["wifi-sites"][ref].comment is not None
    # CSV: no sheet in the reference, which leads to the cell of the preview
    assert re.search(
        r"<th scope=\"row\"><a href=\"#f\d+\" class=\"ref\">[A-Z]+\d+</a></th>", report.text
    )


def test_another_source_and_another_stewards_report_are_refused(started: Any) -> None:
    marie, marie_csrf = signed_in(started, "marie")
    paul, paul_csrf = signed_in(started, "paul")
    report = upload(marie, marie_csrf, EVERY_ERROR)
    address = report.url.path
    for path in ("", "/etat", "/rapport.json", "/erreurs.csv", "/annote.xlsx"):
        assert paul.get(address + path).status_code == 404
    assert paul.post(address + "/envoyer", data={"csrf": paul_csrf}).status_code == 404
    # A colleague with the same rights (here the data team) may open the shared address.
    team, _ = signed_in(started, "equipe")
    assert team.get(address).status_code == 200
    # Marie may not check a source she has not been given, named or recognised.
    answer = upload(marie, marie_csrf, FIXTURES / "startups" / "every-error.xlsx", "startups")
    assert answer.status_code == 403
    answer = upload(marie, marie_csrf, FIXTURES / "startups" / "every-error.xlsx")
    assert answer.status_code == 403 and "votre compte ne peut pas vérifier" in answer.text


def test_trainee_reports_are_for_their_stewards_and_mask_identity(started: Any) -> None:
    lea, csrf = signed_in(started, "lea")
    path = FIXTURES / "trainees" / "every-error.xlsx"
    report = upload(lea, csrf, path)
    assert report.status_code == 200 and "Non valide" in report.text
    errors = lea.get(str(report.url) + "/rapport.json").json()["errors"]
    faulty = {(e["rowNumber"], e["fieldName"]) for e in errors}
    quoted = {e["cell"] for e in errors}  # a faulty cell is shown, wherever its value recurs
    book = openpyxl.load_workbook(path, read_only=True)
    sheet = book[book.sheetnames[0]]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(c) for c in rows[0]]
    identity = registry.source("trainees").identity_fields
    shown = report.text
    for number, row in enumerate(rows[1:], start=2):
        for label, value in zip(header, row, strict=False):
            if label in identity and value and (number, label) not in faulty:
                if str(value) in quoted:
                    continue
                assert f">{value}<" not in shown, (label, number)
    assert "•••" in shown and "données personnelles" in shown
    # The report says when it and the file are deleted, not vanishing without warning.
    said = _text(shown).replace("&#39;", "'")
    assert re.search(r"il est effacé avec ce rapport le \d\d/\d\d/\d{4} \d\d:\d\d", said), said[
        :500
    ]
    # Not the data team's role, not another steward: personal data stays with its stewards.
    team, _ = signed_in(started, "equipe")
    assert team.get(report.url.path).status_code == 404
    marie, _ = signed_in(started, "marie")
    assert marie.get(report.url.path + "/rapport.json").status_code == 404
    assert report.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("maker", "source", "status", "words"),
    [
        ("empty", "epn-places", 422, "vide"),
        ("png_renamed", "epn-places", 422, ""),
        ("xlsx_zip_bomb", "epn-places", 422, ""),
        ("xlsx_truncated", "epn-places", 422, ""),
        ("xlsx_entities", "epn-places", 422, ""),
        ("xlsx_huge_cell", "epn-places", 422, ""),
        ("gzip_bomb", "wifi-sites", 422, ""),
        ("one_huge_line", "wifi-sites", 413, "limite"),  # 200 MB; this app takes 5 MB
        ("binary", "wifi-sites", 422, ""),
    ],
)
def test_bad_files_get_a_clear_4xx_and_nothing_is_kept(
    started: Any, tmp_path: Path, maker: str, source: str, status: int, words: str
) -> None:
    client, csrf = signed_in(started, "marie")
    path = getattr(hostile, maker)(tmp_path, source)
    before = set(jobs.checks_dir(started.app_root).glob("*"))
    answer = upload(client, csrf, path)
    assert answer.status_code == status, answer.text[:400]
    assert "Traceback" not in answer.text and words in answer.text
    assert "Impossible de traiter ce fichier" in answer.text
    assert set(jobs.checks_dir(started.app_root).glob("*")) == before


def test_a_file_whose_content_is_not_what_its_name_says(started: Any, tmp_path: Path) -> None:
    client, csrf = signed_in(started, "marie")
    fake = tmp_path / "sites.xlsx"
    fake.write_bytes((RAW / "wifi-sites" / "sites-2008-01-15.csv").read_bytes())
    answer = upload(client, csrf, fake)
    assert answer.status_code == 422 and "ne contient pas ce que son nom annonce" in answer.text


def test_too_large_a_file_is_refused_with_the_limit(started: Any, tmp_path: Path) -> None:
    client, csrf = signed_in(started, "marie")
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (6 * 1024 * 1024))
    assert "50 Mo pour un classeur" in client.get("/").text  # the bounds are said up front
    answer = upload(client, csrf, big)
    assert answer.status_code == 413 and "5 Mo" in answer.text.replace("\u202f", " ")


def test_an_unreadable_file_is_not_asked_to_have_its_cells_fixed(
    started: Any, root: Path, tmp_path: Path
) -> None:
    """A file found unreadable after the page stopped waiting (a month checked by a worker)
    gets a report: it has no cells to point at, and its next step says so."""
    import gzip

    header = ",".join(registry.source("wifi-sessions").labels) + "\n"
    month = tmp_path / "sessions-2008-03.csv.gz"
    month.write_bytes(gzip.compress((header + "x\n" * 100_001).encode()))
    settings = Settings.from_env(root)
    settings.workers, settings.wait_seconds = 1, 0  # the page does not wait: a report follows
    with TestClient(create_app(settings)) as slow:
        client, csrf = signed_in(slow, "operateur")
        address = upload(client, csrf, month, "wifi-sessions").url.path
        assert address.startswith("/rapports/")
        deadline = time.monotonic() + 120  # a loaded machine: the check takes under a second
        while client.get(address + "/etat").json()["status"] != "done":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        page = _text(client.get(address).text).replace("&#39;", "'")
    assert "Ce fichier n'a pas pu être lu" in page and "cellules que l'en-tête" in page
    assert "Corrigez les cellules indiquées" not in page
    marie, marie_csrf = signed_in(started, "marie")
    invalid = _text(upload(marie, marie_csrf, EVERY_ERROR).text)
    assert "Corrigez les cellules indiquées" in invalid


def test_values_from_a_file_are_escaped(started: Any, tmp_path: Path) -> None:
    client, csrf = signed_in(started, "marie")
    source = (RAW / "wifi-sites" / "sites-2008-01-15.csv").read_text(encoding="utf-8-sig")
    lines = source.splitlines()
    cells = lines[1].split(";")
    cells[0] = "<script>alert(1)</script>"
    hostile_csv = tmp_path / "<img src=x onerror=alert(1)>.csv"
    hostile_csv.write_text("\n".join([lines[0], ";".join(cells), *lines[2:]]) + "\n", "utf-8")
    answer = upload(client, csrf, hostile_csv)
    assert answer.status_code == 200
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert "<img src=x" not in answer.text


def test_expired_session_asks_to_sign_in_again(root: Path) -> None:
    settings = Settings.from_env(root)
    settings.workers = 1
    settings.session_hours = 1
    with TestClient(create_app(settings)) as client:
        token = _csrf(client.get("/connexion").text)
        client.post("/connexion", data={"csrf": token, "username": "marie", "password": PASSWORD})
        assert client.get("/", follow_redirects=False).status_code == 200
        # An hour and a second later, by the portal's clock (not by sleeping: a slow machine
        # once took the whole of a one-second session to sign in).
        client.app.state.portal.clock = lambda: time.time() + 3601
        answer = client.get("/depots", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion")


def test_send_a_valid_file_and_follow_it_until_published(
    started: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, csrf = signed_in(started, "marie")
    report = upload(client, csrf, SAMPLE_EPN, name="EPN décembre.xlsx")
    assert "Valide" in report.text and "Envoyer ce fichier" in report.text
    from opendata.intake import store as intake_store

    def again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("sending validated the same bytes a second time")

    with monkeypatch.context() as patched:  # the check's report of these bytes is reused
        patched.setattr(intake_store, "validate_file", again)
        sent = client.post(report.url.path + "/envoyer", data={"csrf": _csrf(report.text)})
    assert sent.url.path == "/depots"
    assert "accepté, en attente de publication" in sent.text
    stored = sorted((started.app_root / "raw" / "epn-places").glob("*EPN-d*"))
    assert len(stored) == 1 and stored[0].read_bytes() == SAMPLE_EPN.read_bytes()
    check = jobs.folder(started.app_root, report.url.path.split("/")[-1])
    assert not list(check.glob("upload*"))  # the upload and its kept cells went with it
    assert not [p for p in check.rglob("*") if p.suffix == ".arrow"]
    root = started.app_root
    from opendata.validate import remembered

    validated: list[str] = []

    def recorded(path: Path, *args: Any, **kwargs: Any) -> Any:
        validated.append(path.name)
        return validate_file(path, *args, **kwargs)

    validate_file = remembered.validate_file
    with monkeypatch.context() as patched:  # nor does the publication: validated once
        patched.setattr(remembered, "validate_file", recorded)
        assert steps.publish("digital-public-spaces", root / "raw", root / "published")
    assert stored[0].name not in validated
    assert any(name.startswith("attendance-") for name in validated)  # their reference changed
    deposits = client.get("/depots").text
    version = json.loads((root / "published/digital-public-spaces/datapackage.json").read_text())[
        "version"
    ]
    assert f"publié dans la version {version} du jeu « digital-public-spaces »" in deposits
    # Another steward sees none of it.
    paul, _ = signed_in(started, "paul")
    assert "EPN décembre" not in paul.get("/depots").text


def test_an_invalid_report_cannot_be_sent(started: Any) -> None:
    client, csrf = signed_in(started, "marie")
    report = upload(client, csrf, EVERY_ERROR)
    answer = client.post(report.url.path + "/envoyer", data={"csrf": csrf})
    assert answer.status_code == 409
    assert not list((started.app_root / "raw" / "epn-places").glob("*every-error*"))


def test_the_api_answers_like_the_command_line(started: Any) -> None:
    token = Accounts(started.app_root).new_token("marie")
    headers = {"Authorization": f"Bearer {token}"}
    client = _client(started)
    with EVERY_ERROR.open("rb") as handle:
        answer = client.post("/api/v1/validate", files={"file": handle}, headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["valid"] is False and body["source"] == "epn-places"
    assert body["errors"][0]["cellRef"] == "EPN!L5"
    with SAMPLE_EPN.open("rb") as handle:
        answer = client.post(
            "/api/v1/validate",
            files={"file": handle},
            data={"source": "epn-places"},
            headers=headers,
        )
    assert answer.status_code == 200 and answer.json()["valid"] is True
    with (FIXTURES / "startups" / "every-error.xlsx").open("rb") as handle:
        answer = client.post(
            "/api/v1/validate", files={"file": handle}, data={"source": "startups"}, headers=headers
        )
    assert answer.status_code == 403 and "ne peut pas" in answer.json()["error"]
    answer = client.post(
        "/api/v1/validate", files={"file": ("gros.csv", b"x" * (6 * 1024 * 1024))}, headers=headers
    )
    assert answer.status_code == 413 and "limite" in answer.json()["error"]
    answer = client.post(
        "/api/v1/validate",
        files={"file": ("sites.csv", b"\x00\x01\x02binaire")},
        data={"source": "wifi-sites"},
        headers=headers,
    )
    assert answer.status_code == 422 and answer.json()["error"]


def test_templates_fill_and_validate(started: Any, tmp_path: Path) -> None:
    client, csrf = signed_in(started, "marie")
    listing = client.get("/modeles").text
    assert "/modeles/epn-places.xlsx" in listing and "wifi-sessions" not in listing
    data = client.get("/modeles/epn-places.xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "EPN" and "Notice" in book.sheetnames
    sheet = book["EPN"]
    header = [c.value for c in sheet[1]]
    assert header == registry.source("epn-places").labels
    rules = {str(r.sqref): r for r in sheet.data_validations.dataValidation}
    postcode = rules[f"{_letter(header, 'Code postal')}2:{_letter(header, 'Code postal')}2000"]
    assert postcode.type == "list" and postcode.prompt
    # The notice's examples are written as the file holds them (a point in a comma field is
    # a type error, as Frictionless reads it).
    notice = {r[0]: r for r in book["Notice"].iter_rows(values_only=True) if r and r[0]}
    assert (notice["Latitude"][4], notice["Longitude"][4]) == ("48,87125", "2,38002")
    empty = tmp_path / "vide.xlsx"
    empty.write_bytes(data)
    answer = upload(client, csrf, empty, "epn-places")
    assert "0 ligne ×" in _text(answer.text) and "aucune ligne" in answer.text
    # Filled with the sample data, it validates.
    sample = openpyxl.load_workbook(SAMPLE_EPN, data_only=True)["EPN"]
    values = list(sample.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(values) if row and row[0] == header[0])
    for r, row in enumerate(values[start + 1 :], start=2):
        for c, value in enumerate(row[: len(header)], start=1):
            sheet.cell(row=r, column=c, value=value)
    filled = tmp_path / "rempli.xlsx"
    book.save(filled)
    answer = upload(client, csrf, filled, "epn-places")
    assert "Valide" in answer.text and "Non valide" not in answer.text, _text(answer.text)[:2000]


def _letter(header: list[Any], label: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(header.index(label) + 1)


def test_uploads_not_sent_are_deleted_after_retention(started: Any) -> None:
    root = started.app_root
    lea, csrf = signed_in(started, "lea")
    report = upload(lea, csrf, FIXTURES / "trainees" / "every-error.xlsx")
    check_id = report.url.path.split("/")[-1]
    marie, marie_csrf = signed_in(started, "marie")
    other = upload(marie, marie_csrf, EVERY_ERROR)
    other_id = other.url.path.split("/")[-1]
    valid = upload(marie, marie_csrf, SAMPLE_EPN)
    valid_id = valid.url.path.split("/")[-1]
    assert list(jobs.kept_dir(root, valid_id).rglob("*.arrow"))  # kept for sending...
    assert not jobs.kept_dir(root, check_id).exists()  # (an invalid file is never sent)
    swept = jobs.sweep(root, clock=time.time() + 3600)  # personal data: after 15 minutes
    assert check_id in swept and other_id not in swept
    assert sorted(p.name for p in jobs.folder(root, check_id).iterdir()) == ["meta.json"]
    assert lea.get(report.url.path).status_code == 410
    jobs.sweep(root, clock=time.time() + 2 * 86400)
    assert not list(jobs.folder(root, other_id).glob("upload*"))
    assert not list(jobs.folder(root, valid_id).rglob("*.arrow"))  # ...and goes with it
    assert marie.get(other.url.path).status_code == 200  # the report itself stays
    assert marie.get(other.url.path + "/annote.xlsx").status_code == 410
    # The trainee file's name (it can hold a person's name) went with the file.
    assert jobs.read_meta(root, check_id)["name"] == ""  # type: ignore[index]
    # Past the report retention (30 days), nothing is left of checks never sent.
    swept = jobs.sweep(root, clock=time.time() + 31 * 86400)
    assert {check_id, other_id, valid_id} <= set(swept)
    assert not jobs.folder(root, check_id).exists() and not jobs.folder(root, other_id).exists()
    assert marie.get(other.url.path).status_code == 404


@pytest.fixture(scope="module", autouse=True)
def _root_on_client(started: Any, root: Path) -> None:
    started.app_root = root


def test_a_workbook_past_the_workbook_bound_is_refused_before_it_is_read_whole(
    started: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload bound is the sessions' (200 MB of gzipped CSV); a workbook is held in memory
    to find its header, so it answers to the workbook sources' own bound first."""
    monkeypatch.setenv("OPENDATA_MAX_FILE_BYTES", "4000")
    client, csrf = signed_in(started, "marie")
    before = set(jobs.checks_dir(started.app_root).glob("*"))
    answer = upload(client, csrf, EVERY_ERROR)  # 5.8 kB
    assert answer.status_code == 413 and "limite" in answer.text
    assert set(jobs.checks_dir(started.app_root).glob("*")) == before


def test_a_geojson_export_of_the_portal_is_read_grouped_annotated_and_sent(
    started: Any, tmp_path: Path
) -> None:
    """The City's GeoJSON export, no source given: proposed from its property names, read with
    its delivery profile, 23 sites outside Paris as one group of warnings, sent as .geojson."""
    from tests.fixtures.build import pounds_geojson

    client, csrf = signed_in(started, "marie")
    faulty = upload(client, csrf, FIXTURES / "wifi-sites" / "portal-export.geojson")
    assert faulty.status_code == 200
    text = _text(faulty.text)
    assert "Lu comme Export GeoJSON du portail open data de la Ville" in text
    assert "Non valide" in text
    book = openpyxl.load_workbook(io.BytesIO(client.get(str(faulty.url) + "/annote.xlsx").content))
    assert book["Erreurs"]["A2"].value == "'wifi-sites'!A9"  # idpw of the 8th feature
    assert "obligatoire" in book["wifi-sites"]["A9"].comment.text
    assert book["wifi-sites"]["A1"].value == "idpw"

    export = tmp_path / "sites-fourrieres.geojson"
    export.write_text(pounds_geojson(), encoding="utf-8")
    report = upload(client, csrf, export)
    page = _text(report.text)
    assert "wifi-sites" in page and "Valide, avec avertissements" in page
    assert "Code postal hors de Paris — 23 cellule(s) de la colonne « cp »" in page
    assert page.count("hors de Paris : le site est accepté") == 1  # said once, not a wall
    # Every cell listed, named as the GeoJSON file holds it: its feature and property.
    assert all(f" entité {row - 1}, propriété « cp » « 93500 »" in page for row in range(2, 25))
    sent = client.post(report.url.path + "/envoyer", data={"csrf": _csrf(report.text)})
    assert sent.url.path == "/depots"
    stored = sorted((started.app_root / "raw" / "wifi-sites").glob("*sites-fourrieres*"))
    assert [p.suffix for p in stored] == [".geojson"]
    assert stored[0].read_bytes() == export.read_bytes()


def test_a_held_delivery_says_so_in_my_deposits_then_its_decision(
    started: Any, tmp_path: Path
) -> None:
    """A valid but implausible delivery (most places changed at once) is never published
    silently: the steward's page says it waits for the data team, and why; then the decision."""
    from opendata.publish import guard

    book = openpyxl.load_workbook(SAMPLE_EPN)
    sheet = book["EPN"]
    top, column = header_of(sheet, "Identifiant")
    for row in range(top + 1, top + 13):  # 12 of the 19 places
        sheet.cell(row, column["Téléphone"]).value = "01 44 55 66 77"
    changed = tmp_path / "EPN renumérotés.xlsx"
    book.save(changed)
    client, csrf = signed_in(started, "marie")
    report = upload(client, csrf, changed, source="epn-places")
    assert "Envoyer ce fichier" in report.text
    # Once a release is out, the report says so before sending and asks a word for the team.
    word = {"note": "Numéros du standard"} if 'name="note"' in report.text else {}
    client.post(report.url.path + "/envoyer", data={"csrf": _csrf(report.text), **word})
    root = started.app_root
    dataset = registry.dataset("digital-public-spaces")
    assert steps.publish(dataset.name, root / "raw", root / "published") is None  # held
    deposits = _text(client.get("/depots").text).replace("&#39;", "'")
    assert "retenu : l'équipe données doit confirmer avant de le publier" in deposits
    assert "elle modifie 12 des 19 lignes" in deposits
    [hold] = steps.holds(steps.collect(dataset, root / "raw"), root / "raw")
    guard.reject(
        root / "raw",
        root / "quarantine",
        guard.default_decisions_dir(root / "raw"),
        hold,
        "numéros changés par erreur",
        "equipe",
    )
    deposits = _text(client.get("/depots").text).replace("&#39;", "'")
    assert "refusé par l'équipe données (numéros changés par erreur), mis en quarantaine" in (
        deposits
    )
    assert "retenu" not in deposits


def test_an_error_escaping_a_request_is_logged_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """uvicorn prints the whole traceback of an exception that escapes a request; a message of
    ours may quote a cell (a trainee's name): the portal's logger keeps the type and place."""
    import logging

    from opendata.cli.serving import quiet_tracebacks

    logger = logging.getLogger("uvicorn.error.test")
    quiet_tracebacks(logger)
    quiet_tracebacks(logger)  # once is enough
    assert len(logger.filters) == 1
    try:
        raise ValueError("cellule « Dupont » ligne 4")
    except ValueError:
        logger.exception("Exception in ASGI application")
    assert "Dupont" not in caplog.text
    assert "Exception in ASGI application — ValueError (test_app.py:" in caplog.text


def test_starlettes_own_refusals_are_said_in_french(started: Any) -> None:
    client = _client(started)
    token = _csrf(client.get("/connexion").text)
    fields = {f"f{i}": "x" for i in range(20)}  # the sign-in form takes 5 fields at most
    answer = client.post("/connexion", data={"csrf": token, **fields})
    assert answer.status_code == 400
    assert "Requête refusée" in answer.text and "Too many fields" not in answer.text
    assert "<h1>Demande refusée</h1>" in answer.text
    missing = client.get("/nulle-part")
    assert missing.status_code == 404 and "<h1>Page introuvable</h1>" in missing.text
    assert "Impossible de traiter ce fichier" not in missing.text  # no file was sent


def test_an_account_past_its_hourly_quota_is_refused_before_its_upload_is_read(
    root: Path,
) -> None:
    settings = Settings.from_env(root)
    settings.workers = 1
    settings.checks_per_hour = 2
    with TestClient(create_app(settings)) as client:
        token = _csrf(client.get("/connexion").text)
        home = client.post(
            "/connexion", data={"csrf": token, "username": "marie", "password": PASSWORD}
        )
        csrf = _csrf(home.text)
        before = set(jobs.checks_dir(root).glob("*"))
        answers = [upload(client, csrf, SAMPLE_EPN, "epn-places") for _ in range(3)]
        assert [a.status_code for a in answers[:2]] == [200, 200]
        assert answers[2].status_code == 429 and "la limite du portail" in answers[2].text
        assert len(set(jobs.checks_dir(root).glob("*")) - before) == 2  # the third: nothing


def test_a_double_click_on_send_reads_accepted_not_duplicate(started: Any) -> None:
    import threading

    client, csrf = signed_in(started, "marie")
    fresh = started.app_root / "sites-double-clic.csv"  # bytes never sent before
    fresh.write_bytes((RAW / "wifi-sites" / "sites-2008-01-15.csv").read_bytes() + b"\r\n")
    report = upload(client, csrf, fresh, "wifi-sites")
    assert "Envoyer ce fichier" in report.text
    token = _csrf(report.text)
    answers: list[Any] = []

    def click() -> None:
        other = _client(started)
        other.cookies.update(client.cookies)
        answers.append(other.post(report.url.path + "/envoyer", data={"csrf": token}))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=120)
    assert [a.url.path for a in answers] == ["/depots", "/depots"]
    check_id = report.url.path.split("/")[-1]
    meta = jobs.read_meta(started.app_root, check_id)
    assert meta is not None and meta["sent"]["status"] == "accepted", meta["sent"]


def test_the_help_page_is_open_to_all_and_names_the_contact(
    started: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    anonymous = _client(started)
    page = anonymous.get("/aide")
    assert page.status_code == 200
    text = _text(page.text).replace("&#39;", "'")
    assert "Livrer un fichier, pas à pas" in text and "Envoyer ce fichier" in text
    assert "qui vous a créé votre compte" in text  # no contact set: the team, in words
    monkeypatch.setenv("OPENDATA_PORTAL_CONTACT", "donnees-inclusion@paris.example")
    page = anonymous.get("/aide")
    assert 'href="mailto:donnees-inclusion@paris.example"' in page.text
    # Every page leads there, signed in or not.
    assert 'href="/aide"' in anonymous.get("/connexion").text
    client, _ = signed_in(started, "marie")
    home = client.get("/").text
    assert 'href="/aide"' in home


def test_every_template_filled_with_its_examples_comes_back_as_its_source(
    started: Any, tmp_path: Path
) -> None:
    """Each Excel template of the portal (CSV sources' included), filled with the contract's
    examples and sent without naming a source, is recognised as its source and valid: the
    portal never refuses its own templates (issue 24's walk: "Feuille « EPN » introuvable")."""
    from opendata.report.messages import example_cell

    client, csrf = signed_in(started, "equipe")
    listing = client.get("/modeles").text
    sources = [s for s in registry.sources().values() if f"/modeles/{s.name}.xlsx" in listing]
    assert {"wifi-sites", "epn-attendance"} <= {s.name for s in sources}  # CSV sources too
    for source in sources:
        if source.personal_data:
            continue  # the data team's account does not see trainee reports (tested apart)
        book = openpyxl.load_workbook(
            io.BytesIO(client.get(f"/modeles/{source.name}.xlsx").content)
        )
        sheet = book.worksheets[0]
        for column, field in enumerate(source.schema["fields"], start=1):
            sheet.cell(row=2, column=column, value=example_cell(field))
        filled = tmp_path / f"{source.name}-rempli.xlsx"
        book.save(filled)
        answer = upload(client, csrf, filled)
        assert answer.status_code == 200, (source.name, _text(answer.text)[:300])
        text = _text(answer.text)
        assert source.title in text and "Valide" in text and "Non valide" not in text, (
            source.name,
            text[:600],
        )


def test_another_source_is_proposed_only_when_the_file_looks_like_it(started: Any) -> None:
    """A source chosen by hand that the file is not: the refusal names the source the header
    looks like. On a report, 'check with another source' preselects only a look-alike, never
    an unrelated source (issue 24's walk)."""
    client, csrf = signed_in(started, "equipe")
    sites = RAW / "wifi-sites" / "sites-2008-01-15.csv"
    answer = upload(client, csrf, sites, "epn-attendance")
    assert answer.status_code == 422
    said = _text(answer.text).replace("&#39;", "'")
    assert "ressemble à une livraison de « Sites Wi-Fi (DSIN) »" in said, said[:400]
    # An EPN workbook with errors: its report offers other sources, none preselected (the
    # Wi-Fi sites share only its address columns).
    report = upload(client, csrf, EVERY_ERROR)
    assert report.status_code == 200 and "Non valide" in report.text
    options = re.findall(r"<option value=\"([^\"]*)\"( selected)?>", report.text)
    assert options and options[0] == ("", " selected"), options
    assert all(not chosen for _, chosen in options[1:])
    # The form's empty choice (the placeholder) is refused with what to do.
    again = client.post(
        report.url.path + "/source", data={"csrf": _csrf(report.text), "source": ""}
    )
    assert again.status_code == 422 and "Choisissez une source" in again.text
