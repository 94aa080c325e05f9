"""The offline catalogue page: every link leads to a published file, every dataset is there."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from opendata.contracts import registry
from opendata.datasets.charts import charts_for


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: list[str] = []
        self.svgs = 0
        self.bars = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if values.get("id"):
            self.ids.append(str(values["id"]))
        self.svgs += tag == "svg"
        self.bars += tag == "rect" and values.get("class") == "bar"


@pytest.fixture(scope="module")
def page(published_sample: Path) -> tuple[Path, _Links, str]:
    out = published_sample
    text = (out / "index.html").read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(text)
    return out, parser, text


def test_every_local_link_leads_to_a_file(page: tuple[Path, _Links, str]) -> None:
    out, parser, _ = page
    local = [link for link in parser.links if not link.startswith(("http", "#"))]
    assert len(local) >= 2 * 6 + 1
    for link in local:
        assert (out / link).is_file(), link
    for anchor in (link[1:] for link in parser.links if link.startswith("#")):
        assert anchor in parser.ids


def test_each_dataset_has_its_documentation_preview_and_chart(
    page: tuple[Path, _Links, str],
) -> None:
    _, parser, text = page
    assert parser.svgs == sum(len(charts_for(name)) for name in registry.datasets())
    assert parser.svgs >= 8  # every dataset's charts are found in its own folder
    assert "Sessions Wi-Fi par jour" in text and 'class="line"' in text
    assert parser.bars >= 10
    for name in registry.datasets():
        descriptor = registry.dataset(name).descriptor
        assert descriptor["title"].replace("'", "&#x27;") in text
        for resource in registry.dataset(name).resource_names:
            for field in registry.dataset(name).resource_schema(resource)["fields"]:
                assert f"<code>{field['name']}</code>" in text
    assert "Open Data Commons Open Database License (ODbL)" in text
    assert "Premières lignes" in text and "Version 1.0.0" in text


def test_the_training_charts_show_each_breakdown_and_what_secrecy_hides(
    page: tuple[Path, _Links, str],
) -> None:
    """One chart per published breakdown, in French labels; its bars (cells in clear, and the
    trainees in suppressed cells, computed from the published totals) add up to everyone."""
    import re

    _, _, text = page
    section = text.split('id="digital-training"', 1)[1].split("</section>", 1)[0]
    charts = re.findall(r"<svg.*?</svg>", section, flags=re.S)
    assert len(charts) == 4
    for svg in charts:
        assert "Masqué (secret statistique)" in svg and "cases masquées" in svg
        values = [
            int(v.replace(" ", "")) for v in re.findall(r'font-size="12">([\d ]+)</text>', svg)
        ]
        assert sum(values) == 150, (svg[:120], values)
    assert "Femmes" in section and "En emploi à six mois" in section
    assert "Demandeur d&#x27;emploi" in section and "job_seeker</text>" not in section


def test_constraints_are_said_in_french_words_and_the_page_has_no_inline_script(
    page: tuple[Path, _Links, str],
) -> None:
    out, _, text = page
    assert "obligatoire" in text and "unique" in text and "suit le motif" in text
    assert "une valeur parmi" in text and "au moins" in text
    for raw in ("required : True", "unique : True", "pattern :", "enum :"):
        assert raw not in text
    assert "entier" in text and "date (AAAA-MM-JJ)" in text  # types in words too
    scripts = [chunk.split(">", 1)[0] for chunk in text.split("<script")[1:]]
    assert scripts == [' src="catalogue.js" defer']  # one script, a file: no inline code
    assert (out / "catalogue.js").read_bytes().startswith(b"// The catalogue page")


def test_the_sites_chart_counts_the_sites_outside_paris_in_their_own_bar(tmp_path: Path) -> None:
    """A car pound in 93 has no arrondissement: its access points are in a "Hors Paris" bar,
    so the bars add up to the total the title gives."""
    import re

    from opendata.datasets.wifi_hotspots import charts

    (tmp_path / "sites.csv").write_text(
        "site_id,arrondissement,access_points,removed_on,status\n"
        "PW0001,4,2,,operational\nPW0002,4,1,,operational\nPW0003,12,3,,operational\n"
        "PW0301,,5,,operational\nPW0004,5,7,2008-01-15,operational\n"
        "PW0005,6,4,,planned\nPW0006,7,9,,closed_for_works\n",
        encoding="utf-8",
    )
    svg = charts._chart_sites(tmp_path)
    # Only what is in service is counted, and the title says what is left out.
    assert "11 bornes des 4 sites en service (non comptés : 2 sites en projet ou fermés, " in svg
    assert "1 sites retirés)" in svg
    assert "Hors Paris" in svg
    values = [int(v) for v in re.findall(r'font-size="12">(\d+)</text>', svg)]
    assert sorted(values) == [3, 3, 5]
