"""Before sending and after: a snapshot's report says what sending it would change to what is
published and whether the data team will look at it first (then sending asks a word for them);
*Mes dépôts* is the whole dated history, refused files included, searchable; a sent file can
be withdrawn until it is published. Through Starlette's test client on a real published
package."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from opendata.contracts import registry
from opendata.portal import history, jobs
from opendata.portal.accounts import Accounts
from opendata.portal.app import Settings, create_app
from opendata.publish import guard, steps
from tests.conftest import FIXTURES, RAW
from tests.helpers import header_of
from tests.portal.test_app import PASSWORD, _csrf, _text, signed_in, upload

pytest.importorskip("multipart")
from starlette.testclient import TestClient

KNOWN = sorted(registry.sources())
SAMPLE_EPN = RAW / "epn-places" / "epn-2008-01-15.xlsx"


def published_root(base: Path, datasets: tuple[str, ...]) -> Path:
    """A project folder with the sample deliveries, ``datasets`` published, two stewards."""
    shutil.copytree(RAW, base / "raw")
    for name in datasets:
        assert steps.publish(name, base / "raw", base / "published") is not None
    accounts = Accounts(base)
    accounts.add("marie", PASSWORD, ["epn-places", "wifi-sites"], False, KNOWN)
    accounts.add("lea", PASSWORD, ["trainees"], False, KNOWN)
    return base


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_root(
        tmp_path_factory.mktemp("before-after"), ("digital-public-spaces", "digital-training")
    )


def portal_on(root: Path) -> TestClient:
    settings = Settings.from_env(root)
    settings.workers = 1
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def started(root: Path) -> Iterator[Any]:
    with portal_on(root) as client:
        yield client


@pytest.fixture
def alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """A portal on a folder of its own, as the sample release left it: for a test whose
    figures are those of the sample files, whatever the module's other tests sent before."""
    own = published_root(tmp_path_factory.mktemp("alone"), ("digital-public-spaces",))
    with portal_on(own) as client:
        yield client, own


def renumbered(folder: Path, places: int, name: str) -> Path:
    """The sample EPN workbook with the phone number of its first ``places`` places changed."""
    book = openpyxl.load_workbook(SAMPLE_EPN)
    sheet = book["EPN"]
    top, column = header_of(sheet, "Identifiant")
    for row in range(top + 1, top + 1 + places):
        sheet.cell(row, column["Téléphone"]).value = "01 44 55 66 77"
    target = folder / name
    book.save(target)
    return target


def test_a_held_snapshot_is_announced_before_sending_and_sent_with_a_word(
    alone: tuple[Any, Path], tmp_path: Path
) -> None:
    started, root = alone
    client, csrf = signed_in(started, "marie")
    package = root / "published" / "digital-public-spaces" / "datapackage.json"
    version = json.loads(package.read_text())["version"]
    report = upload(client, csrf, renumbered(tmp_path, 12, "EPN standard.xlsx"), "epn-places")
    page = _text(report.text).replace("&#39;", "'")
    assert "Ce que cet envoi changera" in page
    assert (
        f"digital-public-spaces {version}, d'après le fichier epn-2008-01-15.xlsx, 19 lignes"
        in page
    )
    assert "12 ligne(s) modifiée(s)" in page and "0 ligne(s) retirée(s)" in page
    assert "Cette livraison sera examinée par l'équipe données avant publication" in page
    assert "elle modifie 12 des 19 lignes de epn-2008-01-15.xlsx" in page
    assert "« Téléphone » " in page and "→ 01 44 55 66 77" in page  # before → after, shown
    # The same comparison in the JSON report, with the contract that checked the file.
    body = client.get(report.url.path + "/rapport.json").json()
    assert body["contract"] == registry.source("epn-places").stamp
    assert body["contract"]["version"] == "1.0.0"
    compared = body["comparison"]
    assert compared["against"] == f"digital-public-spaces {version}"
    assert (compared["added"], compared["removed"], compared["changed"]) == (0, 0, 12)
    assert compared["wouldHold"] is True and len(compared["examples"]["changed"]) == 5
    # Sending it needs a word to the data team; without one nothing is stored.
    refused = client.post(report.url.path + "/envoyer", data={"csrf": _csrf(report.text)})
    assert refused.status_code == 422 and "écrivez un mot pour" in refused.text
    assert not list((root / "raw" / "epn-places").glob("*standard*"))
    sent = client.post(
        report.url.path + "/envoyer",
        data={
            "csrf": _csrf(report.text),
            "note": "Nouveau standard\ndes EPN\x1b[2J au 1er janvier",
        },
    )
    assert sent.url.path == "/depots" and "retenu" not in sent.text
    # Held at publication, the word is shown to whoever decides.
    assert steps.publish("digital-public-spaces", root / "raw", root / "published") is None
    dataset = registry.dataset("digital-public-spaces")
    [hold] = steps.holds(steps.collect(dataset, root / "raw"), root / "raw")
    assert hold.note == "Nouveau standard des EPN [2J au 1er janvier"  # one printable line
    assert "Mot de l'expéditeur : « Nouveau standard des EPN [2J au 1er janvier »" in (
        hold.sentence()
    )
    # A file checked now is weighed against that held delivery, and the report says so.
    again = upload(client, csrf, SAMPLE_EPN, "epn-places")
    said = _text(again.text).replace("&#39;", "'")
    assert "Comparé à la dernière livraison reçue, pas encore publiée" in said
    assert (
        client.get(again.url.path + "/rapport.json").json()["comparison"]["filePublished"] is False
    )
    assert body["comparison"]["filePublished"] is True  # the first was against a release
    # Withdrawn before publication: the dataset goes on without it, nothing is lost.
    deposits = client.get("/depots").text
    assert "Retirer" in deposits
    check_id = report.url.path.rsplit("/", 1)[-1]
    gone = client.post(f"/depots/{check_id}/retirer", data={"csrf": _csrf(deposits)})
    assert gone.url.path == "/depots"
    assert "retiré le" in _text(gone.text) and 'data-status="withdrawn"' in gone.text
    assert not list((root / "raw" / "epn-places").glob("*standard*"))
    kept = list((root / "quarantine" / "epn-places").glob("*standard*"))
    assert sorted(p.suffix for p in kept) == [".json", ".xlsx"]
    again = client.post(f"/depots/{check_id}/retirer", data={"csrf": _csrf(gone.text)})
    assert again.status_code == 404  # once
    assert steps.publish("digital-public-spaces", root / "raw", root / "published") is not None


def test_a_small_change_goes_without_a_word_and_cannot_be_withdrawn_once_published(
    started: Any, root: Path, tmp_path: Path
) -> None:
    client, csrf = signed_in(started, "marie")
    report = upload(client, csrf, renumbered(tmp_path, 1, "EPN un numéro.xlsx"), "epn-places")
    page = _text(report.text).replace("&#39;", "'")
    assert "1 ligne(s) modifiée(s)" in page
    assert "Rien ne la retiendra : elle sera publiée à la prochaine publication." in page
    assert 'name="note"' not in report.text
    sent = client.post(report.url.path + "/envoyer", data={"csrf": _csrf(report.text)})
    assert 'data-status="accepted"' in sent.text
    assert steps.publish("digital-public-spaces", root / "raw", root / "published") is not None
    deposits = client.get("/depots").text
    assert "publié dans la version" in deposits
    check_id = report.url.path.rsplit("/", 1)[-1]
    late = client.post(f"/depots/{check_id}/retirer", data={"csrf": _csrf(deposits)})
    assert late.status_code == 409 and "déjà publié" in late.text
    assert list((root / "raw" / "epn-places").glob("*EPN-un-num*"))  # still there


def test_my_deposits_tell_every_file_refused_ones_included_and_search(
    started: Any, root: Path
) -> None:
    client, csrf = signed_in(started, "marie")
    refused = upload(client, csrf, FIXTURES / "epn-places" / "every-error.xlsx", "epn-places")
    assert "Non valide" in refused.text
    check_id = refused.url.path.rsplit("/", 1)[-1]
    # The check itself is deleted after its retention: the history keeps the line.
    shutil.rmtree(jobs.folder(root, check_id))
    page = client.get("/depots").text
    text = _text(page)
    assert "every-error.xlsx" in text and "refusé à la vérification" in text
    assert f'href="/rapports/{check_id}"' not in page  # no dead link
    assert "every-error" in _text(client.get("/depots", params={"nom": "EVERY"}).text)
    found = client.get("/depots", params={"nom": "every"}).text
    assert found.count('class="deposit"') == 1
    assert 'class="deposit"' not in client.get("/depots", params={"nom": "zzz"}).text
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert 'class="deposit"' not in client.get("/depots", params={"du": tomorrow}).text
    today = dt.date.today().isoformat()
    dated = client.get("/depots", params={"du": "2026-01-01", "au": tomorrow, "nom": "every"})
    assert dated.text.count('class="deposit"') == 1 and today  # inside the period
    # Another steward's history is not shown.
    other, _ = signed_in(started, "lea")
    assert "every-error" not in other.get("/depots").text


def test_a_personal_data_comparison_shows_no_value_and_keeps_no_name(
    started: Any, root: Path, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(RAW / "trainees" / "trainees-2008-12-31.xlsx")
    sheet = book.worksheets[0]
    top, column = header_of(sheet, "Nom")
    name_col, first = column["Nom"], top + 1
    person = str(sheet.cell(first, name_col).value)
    sheet.cell(first, name_col).value = "Nouveaunom"
    changed = tmp_path / "stagiaires Dupont.xlsx"
    book.save(changed)
    client, csrf = signed_in(started, "lea")
    report = upload(client, csrf, changed, "trainees")
    body = client.get(report.url.path + "/rapport.json").json()
    compared = body["comparison"]
    assert compared["changed"] == 1
    [example] = compared["examples"]["changed"]
    assert example == {"key": None, "row": first, "columns": [{"column": "Nom"}]}
    assert compared["examples"]["removed"] == []
    assert "Nouveaunom" not in report.text and person not in report.text
    assert "Données personnelles : seuls les numéros de ligne" in _text(report.text)
    lines = (root / "portal" / "history" / "lea.jsonl").read_text(encoding="utf-8")
    assert "Dupont" not in lines  # an unsent personal file leaves no name
    assert [e.name for e in history.entries(root, "lea")] == [None]


def test_the_api_report_carries_the_comparison_and_keeps_no_history(
    started: Any, root: Path, tmp_path: Path
) -> None:
    token = Accounts(root).new_token("marie")
    before = history.entries(root, "marie")
    client = TestClient(started.app, base_url="http://testserver")
    with renumbered(tmp_path, 3, "api.xlsx").open("rb") as handle:
        answer = client.post(
            "/api/v1/validate",
            files={"file": handle},
            data={"source": "epn-places"},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = answer.json()
    assert body["contract"]["source"] == "epn-places"
    # Compared with the newest delivery (whose first places may already have this number,
    # when the tests before this one sent theirs): 3 places at most, not enough to hold it.
    assert 1 <= body["comparison"]["changed"] <= 3 and body["comparison"]["wouldHold"] is False
    assert history.entries(root, "marie") == before


def test_a_note_is_kept_beside_the_decisions_and_never_read_as_one(tmp_path: Path) -> None:
    guard.write_note(tmp_path, "epn-places", "ab" * 32, "x" * 5000, "marie")
    assert guard.steward_note(tmp_path, "epn-places", "ab" * 32) == "x" * guard.NOTE_LIMIT
    assert guard.state(tmp_path, "epn-places", "abab") is None  # a note is not a decision


def test_the_command_line_says_the_same_before_sending(root: Path, tmp_path: Path) -> None:
    """``opendata validate`` of a snapshot compares it with what is published (text and JSON),
    exit code still that of the file's validity."""
    import subprocess

    from tests.conftest import OPENDATA

    truncated = renumbered(tmp_path, 0, "EPN.xlsx")
    book = openpyxl.load_workbook(truncated)
    book["EPN"].delete_rows(book["EPN"].max_row - 9, 10)  # ten places fewer
    book.save(truncated)
    where = ["--raw-dir", str(root / "raw"), "--published-dir", str(root / "published")]
    command = [OPENDATA, "validate", str(truncated), "--source", "epn-places", *where]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Contrat epn-places version 1.0.0 (empreinte " in done.stdout
    assert "10 retirée(s)" in done.stdout
    assert "Cette livraison sera examinée par l'équipe données avant publication" in done.stdout
    done = subprocess.run(
        [*command, "--format", "json"], capture_output=True, text=True, timeout=120, check=False
    )
    compared = json.loads(done.stdout)["comparison"]
    assert compared["removed"] == 10 and compared["wouldHold"] is True
    assert len(compared["examples"]["removed"]) == 5 and compared["examples"]["removed"][0]["key"]
    # Nothing published: no comparison, and the report says nothing of one.
    empty = tmp_path / "nothing-published"
    empty.mkdir()
    alone = [OPENDATA, "validate", str(truncated), "--source", "epn-places", "--format", "json"]
    done = subprocess.run(
        [*alone, "--raw-dir", str(root / "raw"), "--published-dir", str(empty)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "comparison" not in json.loads(done.stdout)


def test_a_contract_page_says_every_column_in_words_without_an_account(started: Any) -> None:
    client = TestClient(started.app, base_url="http://testserver")
    listing = client.get("/contrats")
    assert listing.status_code == 200
    assert all(f'href="/contrats/{name}"' in listing.text for name in KNOWN)
    page = client.get("/contrats/wifi-sites")
    text = _text(page.text).replace("&#39;", "'")
    source = registry.source("wifi-sites")
    assert f"Source wifi-sites, version {source.version} (empreinte {source.fingerprint})" in text
    assert all(label in text for label in source.labels)
    assert "Type date (JJ/MM/AAAA)" in text
    assert "nombre (virgule décimale : 48,85) Exemple 48,85661" in text  # as it is written
    assert "Valeurs permises Opérationnel Fermé pour travaux En projet" in text
    assert "« Latitude » et « Longitude » : un point dans Paris" in text
    assert "« Date de mise en service » : obligatoire, sauf quand « État » vaut En projet" in text
    assert "1.0.0 — 2026-12-05 Première version numérotée" in text
    assert 'href="/modeles/wifi-sites.xlsx"' in page.text
    # The example files the contract lists, and nothing else of its folder.
    examples = client.get("/contrats/epn-places")
    assert 'href="/contrats/epn-places/exemples/every-error.xlsx"' in examples.text
    assert "exemple non valide" in _text(examples.text)
    got = client.get("/contrats/epn-places/exemples/every-error.xlsx")
    folder, _ = registry.examples("epn-places")
    assert got.status_code == 200 and got.content == (folder / "every-error.xlsx").read_bytes()
    for path in ("/contrats/epn-places/exemples/source.json", "/contrats/nope",
                 "/contrats/epn-places/exemples/..%2F..%2Fsource.json"):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 404 and "n'existe pas" in answer.text.replace("&#39;", "'")
    # The report of a check links to the contract that checked it.
    client, csrf = signed_in(started, "marie")
    report = upload(client, csrf, SAMPLE_EPN, "epn-places")
    assert 'href="/contrats/epn-places"' in report.text
    assert "epn-places version 1.0.0 (empreinte" in _text(report.text)


def test_stewards_and_the_data_team_hear_by_email_through_a_real_smtp_server(
    started: Any, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accepted, held (with the reasons; the data team with the steward's word), rejected
    (with the data team's reason), published (version and address): each e-mail read back
    from aiosmtpd on loopback. Without a server the portal says that no mail is sent."""
    from tests.helpers import smtp_server

    client, csrf = signed_in(started, "marie")
    page = _text(client.get("/depots").text).replace("&#39;", "'")
    assert "Aucun e-mail n'est envoyé par ce portail" in page
    Accounts(root).set_email("marie", "marie.durand@paris.fr")
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("OPENDATA_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("OPENDATA_SMTP_PORT", str(port))
        monkeypatch.setenv("OPENDATA_DATA_TEAM_EMAIL", "equipe.donnees@paris.fr")
        monkeypatch.setenv("OPENDATA_BASE_URL", "https://opendata.example.org/inclusion")
        client, csrf = signed_in(started, "marie")  # the account as it is now
        page = _text(client.get("/depots").text)
        assert "prévenu(e) par e-mail à marie.durand@paris.fr" in page
        report = upload(client, csrf, renumbered(tmp_path, 15, "EPN refaits.xlsx"), "epn-places")
        client.post(
            report.url.path + "/envoyer",
            data={"csrf": _csrf(report.text), "note": "Tous les numéros ont changé"},
        )
        got = inbox.wait_for("Fichier reçu : EPN refaits.xlsx", "marie.durand@paris.fr")
        assert "est valide et a été reçu par la Ville" in got.get_content()
        assert steps.publish("digital-public-spaces", root / "raw", root / "published") is None
        held = inbox.wait_for(
            "Fichier retenu pour examen : EPN refaits.xlsx", "marie.durand@paris.fr"
        )
        assert re.search(r"elle modifie 1[45] des 19 lignes", held.get_content())
        team = inbox.wait_for("Livraison retenue : epn-places/", "equipe.donnees@paris.fr")
        assert "Mot de l'expéditeur : « Tous les numéros ont changé »" in team.get_content()
        # A second run finds the same hold: nobody is told twice.
        assert steps.publish("digital-public-spaces", root / "raw", root / "published") is None
        dataset = registry.dataset("digital-public-spaces")
        [hold] = steps.holds(steps.collect(dataset, root / "raw"), root / "raw")
        decisions = guard.default_decisions_dir(root / "raw")
        guard.reject(root / "raw", root / "quarantine", decisions, hold, "numéros faux", "equipe")
        refused = inbox.wait_for("Fichier refusé : EPN refaits.xlsx", "marie.durand@paris.fr")
        assert "L'équipe données a refusé votre fichier" in refused.get_content()
        assert "numéros faux" in refused.get_content()
        # A plausible file goes out; its steward hears of the version and where it is.
        report = upload(client, csrf, renumbered(tmp_path, 2, "EPN deux.xlsx"), "epn-places")
        client.post(report.url.path + "/envoyer", data={"csrf": _csrf(report.text)})
        assert steps.publish("digital-public-spaces", root / "raw", root / "published") is not None
        version = json.loads(
            (root / "published" / "digital-public-spaces" / "datapackage.json").read_text()
        )["version"]
        online = inbox.wait_for("Fichier publié : EPN deux.xlsx", "marie.durand@paris.fr")
        body = online.get_content()
        assert (
            f"publié dans la version {version} du jeu de données « digital-public-spaces »" in body
        )
        assert "https://opendata.example.org/inclusion/digital-public-spaces/" in body
        subjects = [str(m["Subject"]).strip() for m in inbox.messages]
        assert sum(s.startswith("Fichier retenu") for s in subjects) == 1
        assert sum(s.startswith("Livraison retenue") for s in subjects) == 1


def test_a_mail_server_that_fails_never_stops_anything(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from opendata import notify
    from tests.helpers import free_port

    monkeypatch.setenv("OPENDATA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OPENDATA_SMTP_PORT", str(free_port()))  # nothing listens there
    assert notify.send(["marie@paris.fr"], "Essai", "corps") is False
    assert "e-mail not sent (ConnectionRefusedError)" in caplog.text
    assert "marie@paris.fr" not in caplog.text
    monkeypatch.delenv("OPENDATA_SMTP_HOST")
    assert notify.send(["marie@paris.fr"], "Essai", "corps") is False  # not configured


def test_the_report_offers_a_corrected_copy_of_the_stewards_own_file(
    started: Any, tmp_path: Path
) -> None:
    """The button downloads the steward's file with only the certain corrections, listed;
    checked again, the copy has only the faults left to the steward."""
    from tests.unit.test_repair import _sites_with_faults

    client, csrf = signed_in(started, "marie")
    faulty = _sites_with_faults(tmp_path)
    report = upload(client, csrf, faulty, "wifi-sites")
    page = _text(report.text)
    assert "5 cellule(s) peuvent être corrigées pour vous" in page
    copy = client.get(report.url.path + "/corrige/copie")
    assert copy.status_code == 200
    assert "corrige.csv" in copy.headers["content-disposition"]
    listing = client.get(report.url.path + "/corrige/liste")
    assert listing.text.lstrip("\ufeff").startswith("Cellule;Colonne;Avant;Après;Pourquoi")
    assert listing.text.count("\r\n") == 6
    fixed = tmp_path / "copie.csv"
    fixed.write_bytes(copy.content)
    again = upload(client, csrf, fixed, "wifi-sites")
    text = _text(again.text)
    assert "Non valide" in text and "peuvent être corrigées" not in text
    assert again.text.count('<tr id="e') == 1  # only the code that was not certain
    # A valid file offers nothing; an unknown part is refused.
    valid = upload(client, csrf, SAMPLE_EPN, "epn-places")
    assert 'id="corrected"' not in valid.text
    assert client.get(report.url.path + "/corrige/autre").status_code == 404


def test_a_steward_checks_a_file_against_either_version_in_transition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A contract at 2.0.0 whose 1.0.0 is still accepted: the report says which version
    accepted the file and what to change; the steward checks it against the other one."""
    from tests.unit.test_contract_versions import _in_transition

    monkeypatch.setenv("OPENDATA_SCHEMAS", str(_in_transition(tmp_path, "2099-06-30")))
    root = tmp_path / "portal"
    shutil.copytree(RAW, root / "raw")
    Accounts(root).add("paul", PASSWORD, ["startups"], False, KNOWN)
    settings = Settings.from_env(root)
    settings.workers = 1
    with TestClient(create_app(settings)) as started:
        client, csrf = signed_in(started, "paul")
        report = upload(client, csrf, RAW / "startups" / "startups-2008-09-30.xlsx", "startups")
        page = _text(report.text).replace("&#39;", "'")
        assert "Valide, avec avertissements" in page
        assert "startups version 1.0.0" in page
        assert "nouvelle colonne obligatoire « Incubateur » à ajouter" in page
        assert "version 1.0.0 (acceptée jusqu'au 30/06/2099)" in page
        strict = client.post(
            report.url.path + "/source",
            data={"csrf": _csrf(report.text), "source": "startups", "version": "2.0.0"},
        )
        text = _text(strict.text)
        assert "Non valide" in text and "Incubateur" in text
        assert "startups version 2.0.0" in text
        contract = _text(client.get("/contrats/startups").text).replace("&#39;", "'")
        assert "La version 1.0.0 reste acceptée jusqu'au 30/06/2099" in contract


def test_a_refused_file_keeps_the_chosen_source_beside_the_reason(started: Any) -> None:
    client, csrf = signed_in(started, "marie")
    refused = upload(client, csrf, FIXTURES / "wifi-sites" / "garbage.csv", "wifi-sites")
    assert refused.status_code == 422
    assert 'role="alert" id="refusal"' in refused.text
    assert '<option value="wifi-sites" selected>' in refused.text
    assert '<option value="epn-places" selected>' not in refused.text


def test_a_form_of_megabytes_is_refused_before_it_is_read(started: Any) -> None:
    """Every form of the portal fits in 64 KiB: a larger body (declared or streamed without a
    length) is refused with 413 in French, and the portal answers the next request."""
    client = TestClient(started.app, base_url="http://testserver")
    token = _csrf(client.get("/connexion").text)
    big = {"csrf": token, "username": "marie", "password": "x" * 200_000}
    refused = client.post("/connexion", data=big)
    assert refused.status_code == 413 and "Demande trop volumineuse" in refused.text
    assert "content-security-policy" in refused.headers

    def chunks() -> Any:
        for _ in range(100):
            yield b"a" * 10_000

    streamed = client.post(
        "/connexion",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    signed, _ = signed_in(started, "marie")  # the portal goes on
    assert signed.get("/depots").status_code == 200


def test_a_corrected_copy_of_a_large_file_is_left_to_the_command_line(
    started: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A corrected copy loads the whole workbook: past REPAIR_CELLS it is neither offered nor
    made (413, pointing to opendata fix), and the check itself is not slowed by it."""
    from tests.unit.test_repair import _sites_with_faults

    monkeypatch.setattr(jobs, "REPAIR_CELLS", 100)  # 260 rows x 9 columns is past it
    client, csrf = signed_in(started, "marie")
    report = upload(client, csrf, _sites_with_faults(tmp_path), "wifi-sites")
    assert "Non valide" in _text(report.text) and 'id="corrected"' not in report.text
    refused = client.get(report.url.path + "/corrige/copie")
    assert refused.status_code == 413 and "opendata fix" in refused.text
