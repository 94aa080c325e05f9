"""The offline catalogue page in a real browser (Debian's Chromium driven by Playwright), served
by a real static server as a portal would serve it."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.test_consumers import served  # noqa: F401  (the same served root)

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = ROOT / "build" / "screenshots" / "index.png"


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        "Debian's chromium is needed for the browser tests: apt-get install chromium "
        "(make test installs it when run as root)"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_the_catalogue_page_renders_without_errors_with_working_links_and_charts(
    browser: Any,
    served: str,  # noqa: F811
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    response = page.goto(f"{served}/index.html", wait_until="load")
    assert response is not None and response.ok
    assert page.title() == "Inclusion numérique à Paris — données ouvertes"

    # Every link of the page: local files answer 200, anchors lead to a section of the page.
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    local = sorted({h for h in links if not h.startswith(("http://", "https://", "#"))})
    assert len(local) >= 20 and any(h.endswith("sessions-2007-10.parquet") for h in local)
    for href in local:
        answer = page.request.get(f"{served}/{href}")
        assert answer.status == 200, href
        assert len(answer.body()) > 0, href
    for anchor in {h[1:] for h in links if h.startswith("#")}:
        assert page.locator(f"[id='{anchor}']").count() == 1, anchor

    # Charts are drawn: each SVG has a size on screen, bars have lengths, the line has points.
    charts = page.locator("figure svg")
    assert charts.count() == 8  # four datasets' charts; digital-training draws each breakdown
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 50
    widths = page.eval_on_selector_all("rect.bar", "els => els.map(e => e.getBBox().width)")
    assert len(widths) >= 10 and all(w >= 0 for w in widths) and max(widths) > 100
    points = page.eval_on_selector("polyline.line", "e => e.points.numberOfItems")
    assert points == 31  # one point per day of October 2007
    line_box = page.locator("polyline.line").bounding_box()
    assert line_box is not None and line_box["height"] > 20

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    header = SCREENSHOT.read_bytes()[:24]
    width, height = struct.unpack(">II", header[16:24])
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and width == 1280 and height > 2000
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    axe = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    assert axe.violations_count == 0, axe.generate_report()
    assert problems == []


def test_the_validation_report_page_reads_on_a_phone(browser: Any, tmp_path: Path) -> None:
    """The report the intake leaves beside a quarantined file, as a steward opens it."""
    from opendata.contracts import registry
    from opendata.report.render import as_html
    from opendata.validate.file import validate_file
    from tests.conftest import FIXTURES, RAW

    report = validate_file(
        FIXTURES / "wifi-sites" / "every-error.csv", registry.source("wifi-sites"), RAW
    ).report
    page_file = tmp_path / "report.html"
    page_file.write_text(as_html(report), encoding="utf-8")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(page_file.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        assert page.locator("tbody tr").count() == len(report.errors) + len(report.warnings)
        # Each header and each row number on one line: no word cut ("Li/gn/e" at 390 px).
        lines = page.evaluate(
            """[...document.querySelectorAll('th, td:first-child')].map(cell => {
                const range = document.createRange(); range.selectNodeContents(cell);
                return range.getClientRects().length; })"""
        )
        assert lines and max(lines) == 1, lines
        page.screenshot(path=str(SCREENSHOT.parent / f"report-{width}.png"))
        from axe_playwright_python.sync_playwright import Axe

        # Best practices too: the page had no main landmark (its text outside every region).
        tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
        axe = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
        assert axe.violations_count == 0, axe.generate_report()
        page.close()


def test_the_catalogue_page_reads_on_a_phone_and_its_tables_sort_and_filter(
    browser: Any,
    served: str,  # noqa: F811
) -> None:
    """At 390 px nothing scrolls sideways (the 32 fields of the national standard become
    cards); the preview tables sort by a column and filter their rows, offline, from the
    page's own script; without JavaScript every row is still there."""
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    phone = browser.new_page(viewport={"width": 390, "height": 800})
    phone.goto(f"{served}/index.html", wait_until="load")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    fields = phone.locator("#digital-public-spaces table.fields").first
    assert fields.locator("tbody tr").count() == 32
    card = fields.locator("tbody tr").first.bounding_box()
    assert card is not None and card["width"] <= 390 and card["height"] > 100  # a card
    axe = Axe().run(phone, options={"runOnly": {"type": "tag", "values": tags}})
    assert axe.violations_count == 0, axe.generate_report()
    phone.screenshot(path=str(SCREENSHOT.parent / "index-390.png"), full_page=False)
    phone.close()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{served}/index.html", wait_until="load")
    table = page.locator("#startup-support table.data").first
    names = table.locator("tbody tr td:nth-child(2)")
    before = names.all_inner_texts()
    header = table.locator("th").nth(1)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = names.all_inner_texts()
    assert ascending == sorted(before, key=str.casefold) and ascending != before
    header.locator("button").press("Enter")  # by keyboard too
    assert header.get_attribute("aria-sort") == "descending"
    assert names.all_inner_texts() == ascending[::-1]
    staff = table.locator("th").nth(9)  # staff_at_entry: numbers sort as numbers
    staff.locator("button").click()
    values = [int(v) for v in table.locator("tbody tr td:nth-child(10)").all_inner_texts()]
    assert values == sorted(values)

    search = page.get_by_label("Filtrer ces lignes").nth(
        page.locator("table.sortable").evaluate_all(
            "(ts, t) => ts.indexOf(t)", table.element_handle()
        )
    )
    search.fill("logiciel")
    visible = [r for r in table.locator("tbody tr").all() if r.is_visible()]
    assert visible and all("logiciel" in r.inner_text().lower() for r in visible)
    status = page.locator(f"#{search.get_attribute('id')}-etat")
    assert status.inner_text() == f"{len(visible)} ligne(s) sur {len(before)}"
    search.fill("")
    assert table.locator("tbody tr:visible").count() == len(before)
    axe = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    assert axe.violations_count == 0, axe.generate_report()
    page.close()

    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(f"{served}/index.html", wait_until="load")
    assert plain.locator("input[type=search]").count() == 0
    assert plain.locator("#startup-support table.data tbody tr").first.is_visible()
    assert plain.locator("#startup-support table.data").first.locator("tbody tr").count() == 10
    context.close()
