"""The stewards' portal for real: ``opendata portal`` (uvicorn) in its own process, driven by
Debian's Chromium through Playwright, every page checked with axe-core (WCAG 2.1 AA)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from opendata.contracts import registry
from opendata.portal import jobs
from opendata.portal.accounts import Accounts
from tests.conftest import FIXTURES, RAW, ROOT, publish_command
from tests.e2e.portal_process import start_portal, stop_portal
from tests.e2e.test_browser import CHROMIUM

pytestmark = pytest.mark.e2e

PASSWORD = "motdepasse-solide"
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("portal-e2e")
    shutil.copytree(RAW, root / "raw")
    known = sorted(registry.sources())
    accounts = Accounts(root)
    accounts.add("marie", PASSWORD, ["epn-places", "wifi-sites", "wifi-sessions"], False, known)
    accounts.add("paul", PASSWORD, ["startups"], False, known)
    env = {**os.environ, "OPENDATA_PORTAL_WAIT_SECONDS": "0", "OPENDATA_PORTAL_WORKERS": "2"}
    log = root / "portal.log"
    process, url = start_portal(root, log, env)
    yield url, root
    from opendata.watchdog import children_of

    workers = children_of(process.pid)
    assert workers, "the portal validates in worker processes"
    stop_portal(process, log)
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    assert not alive, f"worker processes outlived the portal: {alive}"


def test_a_killed_portal_leaves_no_worker_behind(tmp_path: Path) -> None:
    from opendata.watchdog import children_of

    process, _ = start_portal(tmp_path, tmp_path / "portal.log")
    family = set()
    for pid in children_of(process.pid):
        family |= {pid} | children_of(pid)
    process.kill()  # SIGKILL: no shutdown code of ours runs
    process.wait()
    deadline = time.monotonic() + 60
    while any(Path(f"/proc/{pid}").exists() for pid in family) and time.monotonic() < deadline:
        time.sleep(0.3)
    alive = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in family
             if Path(f"/proc/{pid}").exists()}  # fmt: skip
    assert not alive, alive


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _page(browser: Any, width: int = 1280) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return page, problems


def accessible(page: Any) -> None:
    """axe-core finds nothing against WCAG 2.1 A/AA and its best practices on this page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, results.generate_report()


def wait_report(page: Any) -> None:
    """Every upload answers with its report's address at once (the portal runs with no wait):
    the progress page asks where the check stands and loads the report once it is there."""
    page.wait_for_url("**/rapports/*")
    page.wait_for_function(
        "() => !document.body.hasAttribute('data-status-url')", timeout=300_000, polling=500
    )


def sign_in(page: Any, url: str, name: str = "marie") -> None:
    page.goto(f"{url}/")
    assert page.url.startswith(f"{url}/connexion")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_sign_in_upload_an_invalid_workbook_and_download_its_annotated_copy(
    browser: Any, portal: tuple[str, Path]
) -> None:
    url, _ = portal
    page, problems = _page(browser)
    page.goto(f"{url}/connexion")
    assert page.locator("html").get_attribute("lang") == "fr"
    accessible(page)
    sign_in(page, url)
    accessible(page)
    page.set_input_files("#file", str(FIXTURES / "epn-places" / "every-error.xlsx"))
    page.click("form#upload button[type=submit]")
    wait_report(page)
    assert page.locator(".badge.bad").first.inner_text() == "Non valide"
    assert page.locator("th[scope=row]", has_text="EPN!L5").count() == 1
    # No word or date of the errors table is cut mid-way ("Colon ne", "31/0 2/20 08"): a cell
    # of one word is drawn on one line.
    cut = page.eval_on_selector_all(
        "table.errors td, table.errors th",
        """cells => cells.filter(c => {
            const text = c.textContent.trim();
            if (!text || /\\s/.test(text)) return false;
            const range = document.createRange();
            range.selectNodeContents(c);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return tops.size > 1;
        }).map(c => c.textContent.trim())""",
    )
    assert cut == []
    assert page.locator("table.errors td").count() > 5
    report_url = page.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "portal-report.png"), full_page=False)
    fault = page.locator("td.fault").first
    assert fault.count() == 1
    assert not fault.locator(".tip").is_visible()
    fault.hover()
    assert fault.locator(".tip").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "portal-preview.png"), full_page=False)
    accessible(page)
    with page.expect_download() as download:
        page.click("text=Copie annotée de votre fichier (.xlsx)")
    assert download.value.suggested_filename == "every-error-annote.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames[0] == "Erreurs"
    assert "SIRET" in book["EPN"]["L5"].comment.text
    # Printed: no navigation, no forms, every error row kept.
    page.emulate_media(media="print")
    assert not page.locator("header.banner").is_visible()
    assert not page.locator("form").first.is_visible()
    assert page.locator("table.errors tbody tr").first.is_visible()
    page.emulate_media(media="screen")
    page.click("text=Grouper par type")
    assert page.locator("details.kind").count() >= 5
    accessible(page)
    for path_ in ("/modeles", "/depots"):
        page.goto(f"{url}{path_}")
        accessible(page)
    answer = page.goto(f"{url}/rapports/{'x' * 24}")
    assert answer is not None and answer.status == 404
    assert "n'existe pas" in page.content().replace("&#39;", "'")
    accessible(page)
    assert problems.pop().endswith("404 (Not Found)")  # the one asked for
    # The English switch, and back.
    page.goto(f"{url}/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Check a file"
    accessible(page)
    page.goto(f"{url}/?lang=fr")
    # A phone: nothing wider than the screen but the tables' own scrolling regions.
    phone, phone_problems = _page(browser, 390)
    sign_in(phone, url)
    for address, shot in (
        (f"{url}/", "portal-check-390.png"),
        (report_url, "portal-report-390.png"),
    ):
        phone.goto(address)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (address, width)
        phone.screenshot(path=str(SCREENSHOTS / shot), full_page=True)
        accessible(phone)
    assert phone.locator("th[scope=row]", has_text="EPN!L5").count() == 1  # the report it is
    first = phone.locator("table.errors tbody tr").first
    assert first.bounding_box()["width"] <= 390  # a card, not four crushed columns
    phone.set_viewport_size({"width": 390, "height": 844})
    first.scroll_into_view_if_needed()
    phone.screenshot(path=str(SCREENSHOTS / "portal-errors-390.png"))
    assert problems == [] and phone_problems == []


def tab_to(page: Any, selector: str, presses: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the keyboard focus")


def choose_by_keyboard(page: Any, path: Path) -> None:
    """Reach the file field with Tab and open its chooser with Space, as a keyboard user does.
    On a loaded machine Chromium can drop the first activation: the key is pressed again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    tab_to(page, "#file")
    for _ in range(3):
        try:
            with page.expect_file_chooser(timeout=20_000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeout:
            page.focus("#file")  # the focus stays where Tab put it; only the key is retried
            continue
        chooser.value.set_files(str(path))
        break
    else:
        raise AssertionError("the file field never opened its chooser from the keyboard")
    assert page.evaluate("document.getElementById('file').files.length") == 1


def test_the_whole_journey_with_the_keyboard_only(browser: Any, portal: tuple[str, Path]) -> None:
    url, root = portal
    page, problems = _page(browser)
    page.goto(f"{url}/connexion")
    tab_to(page, "#username")
    page.keyboard.type("marie")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/")
    # Choose the file from the keyboard (the file chooser opens on Space), then send the form.
    choose_by_keyboard(page, FIXTURES / "epn-places" / "every-error.xlsx")
    tab_to(page, "form#upload button[type=submit]")
    page.keyboard.press("Enter")
    wait_report(page)
    # A faulty cell reached with Tab shows its message.
    tab_to(page, "td.fault")
    assert page.locator("td.fault:focus .tip").is_visible()
    # Then a valid file, sent with the keyboard, listed under "Mes dépôts".
    page.goto(f"{url}/")
    choose_by_keyboard(page, RAW / "epn-places" / "epn-2008-01-15.xlsx")
    tab_to(page, "form#upload button[type=submit]")
    page.keyboard.press("Enter")
    wait_report(page)
    assert page.locator(".badge.good").first.inner_text() == "Valide"
    tab_to(page, "form[action$='/envoyer'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/depots")
    row = page.locator("tr.deposit").first
    assert row.get_attribute("data-status") == "accepted"
    accessible(page)
    # The publication (what the deployment triggered by the intake event runs) puts it online.
    done = subprocess.run(
        publish_command("digital-public-spaces", root / "raw", root / "published"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    page.reload()
    assert row.get_attribute("data-status") == "published"
    version = json.loads((root / "published/digital-public-spaces/datapackage.json").read_text())
    assert f"version {version['version']}" in row.inner_text()
    assert problems == []


def test_a_sessions_month_is_checked_in_the_background_with_a_progress_page(
    browser: Any, portal: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = portal
    subprocess.run(
        [
            sys.executable,
            "-m",
            "opendata.cli",
            "generate-months",
            "--dataset",
            "wifi-hotspots",
            "2008-03",
            "--raw-dir",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    month = next((tmp_path / "wifi-sessions").glob("*.csv.gz"))
    assert month.stat().st_size > 10 * 1024 * 1024  # a real month: about a million rows
    page, problems = _page(browser)
    sign_in(page, url)
    page.set_input_files("#file", str(month))
    page.click("form#upload button[type=submit]")
    page.wait_for_url(f"{url}/rapports/*")
    check_id = page.url.rsplit("/", 1)[-1]
    seen_progress = page.locator("h1").inner_text() == "Vérification en cours"
    # Another steward's page answers while the month is being checked.
    meta = jobs.read_meta(root, check_id)
    other, _ = _page(browser)
    answered = other.goto(f"{url}/connexion")
    still = jobs.read_meta(root, check_id)
    assert answered is not None and answered.ok
    assert seen_progress
    assert meta is not None and meta["status"] in ("queued", "running")
    # The page asks where the check stands (portal.js) and loads once, when it is done; the
    # answer is held at "running" while axe-core reads the page, which must not move under it.
    page.route(f"**/rapports/{check_id}/etat", held_running)
    page.evaluate("() => { window.sameDocument = true; }")
    page.wait_for_function(
        "() => document.getElementById('progress-seconds').textContent === '7'",
        timeout=30_000,
        polling=200,
    )
    accessible(page)
    assert page.evaluate("() => window.sameDocument === true")  # asked, never reloaded
    assert (
        page.locator("#progress-text").inner_text() == "Votre fichier est en cours de vérification."
    )
    page.unroute(f"**/rapports/{check_id}/etat")
    wait_report(page)
    assert page.locator("h1").inner_text() == "Rapport de validation"
    report = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                f"{url}/rapports/{check_id}/rapport.json",
                headers={"cookie": _cookies(page)},
            )
        ).read()
    )
    assert report["stats"]["rows"] > 500_000
    # It answered before the month was done: validation does not hold the web process.
    assert still is not None and still["status"] in ("queued", "running")
    assert problems == []


def held_running(route: Any) -> None:
    """The status address's answer while a check runs (7 s in), for a page under audit."""
    state = {
        "status": "running",
        "text": "Votre fichier est en cours de vérification.",
        "seconds": 7,
    }
    route.fulfill(status=200, content_type="application/json", body=json.dumps(state))


def _cookies(page: Any) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())


def test_a_cell_reference_leads_to_the_very_cell_highlighted_in_view(
    browser: Any, portal: tuple[str, Path]
) -> None:
    """From the list of errors (by row or by kind), a reference leads to the faulty cell of
    the preview, outlined and scrolled into view, on a screen and on a phone (where the
    preview scrolls sideways inside its box)."""
    url, _ = portal
    for width in (1280, 390):
        page, problems = _page(browser, width)
        sign_in(page, url)
        page.set_input_files("#file", str(FIXTURES / "epn-places" / "every-error.xlsx"))
        page.click("form#upload button[type=submit]")
        wait_report(page)
        # On arrival, the preview is scrolled so that its first faulty cell is in sight,
        # beside the row number that stays on the left.
        first = page.locator("table.preview td.fault").first
        region = page.locator("table.preview").locator("xpath=..").bounding_box()
        shown = first.bounding_box()
        assert region is not None and shown is not None
        assert region["x"] <= shown["x"] < region["x"] + region["width"], (width, region, shown)
        row_number = page.locator("table.preview tbody th").first.bounding_box()
        assert row_number is not None and row_number["x"] >= region["x"] - 1
        for view in ("ligne", "type"):
            if view == "type":
                page.click("text=Grouper par type")
                page.locator("details.kind summary").last.click()
            link = page.locator(
                "table.errors a.ref" if view == "ligne" else "details.kind[open] a.ref"
            ).last
            target = link.get_attribute("href")
            assert target and target.startswith("#f"), target
            link.click()
            cell = page.locator(f"td{target}")
            assert page.evaluate("location.hash") == target
            assert cell.evaluate("c => getComputedStyle(c).outlineStyle") == "solid"
            box = cell.bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + min(box["width"], 100) <= width, (view, box)
        accessible(page)
        assert problems == []
        page.close()


def test_the_help_page_reads_on_a_phone_and_on_a_screen(
    browser: Any, portal: tuple[str, Path]
) -> None:
    url, _ = portal
    for width in (1280, 390):
        page, problems = _page(browser, width)
        page.goto(f"{url}/connexion")
        page.click("a[href='/aide']")
        page.wait_for_url(f"{url}/aide")
        assert page.locator("h1").inner_text() == "Aide"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        accessible(page)
        assert problems == []
        page.close()


def test_the_template_downloads_from_the_portal(browser: Any, portal: tuple[str, Path]) -> None:
    url, _ = portal
    page, _ = _page(browser)
    sign_in(page, url, "paul")
    page.goto(f"{url}/modeles")
    with page.expect_download() as download:
        page.click("a[href='/modeles/startups.xlsx']")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames[0] == "Entreprises"
    assert [c.value for c in book["Entreprises"][1]] == registry.source("startups").labels


def test_a_geojson_export_reads_as_grouped_warnings_in_the_browser(
    browser: Any, portal: tuple[str, Path], tmp_path: Path
) -> None:
    """The City's GeoJSON export with 23 sites outside Paris: one collapsed group of warnings,
    opened by the steward, accessible, readable on a phone."""
    from tests.fixtures.build import pounds_geojson

    url, _ = portal
    export = tmp_path / "export-portail.geojson"
    export.write_text(pounds_geojson(), encoding="utf-8")
    for width in (1280, 390):
        page, problems = _page(browser, width)
        sign_in(page, url)
        page.set_input_files("#file", str(export))
        page.click("form#upload button[type=submit]")
        wait_report(page)
        assert page.locator(".badge.warn").first.inner_text() == "Valide, avec avertissements"
        assert "Export GeoJSON du portail" in page.locator(".facts").inner_text()
        group = page.locator("details.kind")
        assert group.count() == 1
        assert not group.locator("li").first.is_visible()  # collapsed: a line, not a wall
        group.locator("summary").click()
        assert group.locator("li").count() == 23 and group.locator("li").first.is_visible()
        accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert problems == []


def test_before_sending_a_word_then_withdraw_and_the_contract_page(
    browser: Any, portal: tuple[str, Path], tmp_path: Path
) -> None:
    """Last of the module (it publishes): a file that would be held says so before it is
    sent, the word for the data team is written and sent with the keyboard, the file is found
    again in Mes dépôts by its name and withdrawn; the contract's page reads on a phone. Every
    page axe-clean at 1280 and 390 px."""
    from tests.portal.test_before_and_after import renumbered

    url, root = portal
    done = subprocess.run(
        publish_command("digital-public-spaces", root / "raw", root / "published"),
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    changed = renumbered(tmp_path, 12, "EPN standard.xlsx")
    for width in (390, 1280):  # withdrawn each time: the second is weighed as the first was
        page, problems = _page(browser, width)
        sign_in(page, url)
        page.select_option("#source", "epn-places")
        page.set_input_files("#file", str(changed))
        page.click("form#upload button[type=submit]")
        wait_report(page)
        said = page.locator("#would-hold").inner_text()
        assert "examinée par l'équipe données avant publication" in said and "12 des 19" in said
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        accessible(page)
        tab_to(page, "#note")
        page.keyboard.type("Nouveau standard téléphonique des EPN")
        tab_to(page, "form[action$='/envoyer'] button")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/depots")
        page.fill("#q-name", "standard")
        page.click("form.search button")
        page.wait_for_url("**/depots?*")
        row = page.locator("tr.deposit[data-status=accepted]")
        assert row.count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        accessible(page)
        note = next((root / "decisions" / "epn-places").glob("*.note.json"))
        assert json.loads(note.read_text())["note"] == "Nouveau standard téléphonique des EPN"
        row.locator("button", has_text="Retirer").click()
        page.wait_for_url(f"{url}/depots")
        assert page.locator("tr.deposit").first.get_attribute("data-status") == "withdrawn"
        assert not list((root / "raw" / "epn-places").glob("*standard*"))
        assert problems == []
        page.close()
    # On a screen: a file with certain faults offers its corrected copy; a refused file
    # answers with the form, the reason above it and the chosen source still chosen.
    from tests.unit.test_repair import _sites_with_faults

    page, problems = _page(browser, 1280)
    sign_in(page, url)
    page.select_option("#source", "wifi-sites")
    page.set_input_files("#file", str(_sites_with_faults(tmp_path)))
    page.click("form#upload button[type=submit]")
    wait_report(page)
    assert "5 cellule(s) peuvent être corrigées" in page.locator("main").inner_text()
    assert "Ce que cet envoi changera" not in page.locator("main").inner_text()  # not valid
    accessible(page)
    with page.expect_download() as download:
        page.click("#corrected")
    assert download.value.suggested_filename.endswith("-corrige.csv")
    copy = Path(download.value.path()).read_bytes()
    assert copy.startswith(b"\xef\xbb\xbf") and "Opérationnel".encode() in copy
    page.goto(f"{url}/")
    page.select_option("#source", "wifi-sites")
    empty = tmp_path / "sites vides.csv"
    empty.write_bytes(b"")
    page.set_input_files("#file", str(empty))
    page.click("form#upload button[type=submit]")
    page.wait_for_selector("#refusal")
    assert "sites vides.csv" in page.locator("#refusal").inner_text()
    assert page.locator("#source").input_value() == "wifi-sites"
    accessible(page)
    assert [p for p in problems if "status of 422" not in p] == []  # the refusal's own status
    page.close()
    for width in (1280, 390):
        page, problems = _page(browser, width)
        page.goto(f"{url}/connexion")
        page.click("footer a[href='/contrats']")
        page.click("a[href='/contrats/epn-places']")
        page.wait_for_url(f"{url}/contrats/epn-places")
        assert "version 1.0.0" in page.locator("main").inner_text()
        assert page.locator("section.column").count() == len(registry.source("epn-places").labels)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        accessible(page)
        assert problems == []
        page.close()
