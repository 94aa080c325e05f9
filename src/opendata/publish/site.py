"""``published/index.html``: a static catalogue a person can browse offline.

Each dataset with its description, licence, version, last update, resources with download links
in both formats and their sizes, the documentation of every field, a preview of the first rows,
and a chart where people would rather look than read. Charts are inline SVG drawn by
:func:`~opendata.datasets.charts.bar_chart` and
:func:`~opendata.datasets.charts.line_chart`; what each dataset charts is its own (its
``datasets/<dataset>/charts.py``). The page needs no script, no network and no library.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from opendata.datasets.charts import charts_for
from opendata.publish import releasestore
from opendata.publish.words import said

PREVIEW_ROWS = 10
# Sorting and filtering the preview tables: a file beside index.html (no inline script).
SCRIPT = (Path(__file__).resolve().parents[1] / "portal" / "static" / "catalogue.js").read_bytes()
# One stylesheet for the portal and this page (inlined: the page works offline, alone).
_CSS = (Path(__file__).resolve().parents[1] / "portal" / "static" / "opendata.css").read_text(
    encoding="utf-8"
)


def _size(n: int) -> str:
    for unit in ("o", "Ko", "Mo", "Go"):
        if n < 1024 or unit == "Go":
            return f"{n:.0f} {unit}" if unit == "o" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def type_words(ftype: str) -> str:
    """A field's type as a reader says it (the type's own name when it has no words)."""
    try:
        return said(f"type_{ftype}")
    except KeyError:
        return ftype


def constraint_words(constraints: dict[str, Any]) -> str:
    """A field's constraints as a reader says them, in French (escaped HTML)."""
    words = []
    for key, value in constraints.items():
        if key in ("required", "unique"):
            if value:
                words.append(said(key))
        elif key == "enum":
            values = ", ".join(f"<code>{html.escape(str(v))}</code>" for v in value)
            words.append(said("enum", values=values))
        elif key in ("pattern", "minimum", "maximum", "minLength", "maxLength"):
            words.append(said(key, value=html.escape(str(value))))
        elif value not in (False, None):
            escaped = html.escape(str(value))
            words.append(said("other_constraint", name=html.escape(key), value=escaped))
    return " ; ".join(words)


def _fields(schema: dict[str, Any]) -> str:
    """The documentation of every field; on a phone each field is a labelled card."""
    labels = said("field_headers").split("|")
    rows = "".join(
        '<tr><th scope="row" data-label="{}"><code>{}</code></th><td data-label="{}">{}</td>'
        '<td data-label="{}">{}</td><td data-label="{}"><code>{}</code></td>'
        '<td data-label="{}">{}</td></tr>'.format(
            labels[0],
            html.escape(f["name"]),
            labels[1],
            html.escape(type_words(f.get("type", "string"))),
            labels[2],
            html.escape(f.get("description", "")),
            labels[3],
            html.escape(str(f.get("example", ""))),
            labels[4],
            constraint_words(f.get("constraints", {})),
        )
        for f in schema["fields"]
    )
    head = "".join(f'<th scope="col">{label}</th>' for label in labels)
    return (
        f'<table class="fields cards"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _preview(path: Path, caption: str) -> str:
    """The first rows, sortable and filterable in the page by ``catalogue.js`` (without it, a
    plain table); on a phone each row is a labelled card."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=PREVIEW_ROWS)
    names = [html.escape(c) for c in rows.columns]
    head = "".join(f'<th scope="col">{n}</th>' for n in names)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td data-label="{n}">{html.escape(v)}</td>' for n, v in zip(names, row, strict=True)
        )
        + "</tr>"
        for row in rows.itertuples(index=False)
    )
    return (
        f'<div class="scroll" role="region" tabindex="0" aria-label="{html.escape(caption)}">'
        f'<table class="data cards sortable"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _dataset(folder: Path) -> str:
    d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    name = d["name"]
    licence = d["licenses"][0]
    parts = [
        f'<section class="dataset" id="{html.escape(name)}"><h2>{html.escape(d["title"])}</h2>',
        f"<p>{html.escape(d['description'])}</p>",
        '<p class="meta">'
        + said(
            "dataset_meta",
            version=html.escape(d.get("version", "")),
            date=html.escape(d.get("created", "")[:10]),
        )
        + f'<a href="{html.escape(licence["path"])}">'
        f"{html.escape(licence.get('title', licence['name']))}</a> · "
        f'<a href="{name}/datapackage.json">datapackage.json</a> · '
        f'<a href="{name}/{releasestore.CHANGELOG}">{said("changelog_link")}</a> · '
        f'<a href="{name}/{releasestore.RELEASES_INDEX}">{said("releases_link")}</a></p>',
    ]
    for chart, inputs in charts_for(name):
        if not all((folder / f"{r}.csv").exists() for r in inputs):
            continue
        svg = chart(folder)
        caption = svg.split("<title>", 1)[1].split("</title>", 1)[0]
        parts.append(f"<figure>{svg}<figcaption>{caption}</figcaption></figure>")
    for res in d["resources"]:
        if res["format"] != "csv":
            continue
        twin = next(r for r in d["resources"] if r["name"] == res["name"] + "-parquet")
        excel = next((r for r in d["resources"] if r["name"] == res["name"] + "-xlsx"), None)
        geo = next((r for r in d["resources"] if r["name"] == res["name"] + "-geojson"), None)
        first = said("first_rows", title=res.get("title", res["name"]))
        parts.append(
            f"<h3>{html.escape(res.get('title', res['name']))}</h3>"
            f"<p>{html.escape(res.get('description', ''))}</p>"
            f"{_downloads(name, res, twin, excel, geo)}"
            f"{_fields(res['schema'])}"
            f"{_preview(folder / _first_path(res), first)}"
        )
    parts.append("</section>")
    return "".join(parts)


def _first_path(resource: dict[str, Any]) -> str:
    path = resource["path"]
    return str(path[0] if isinstance(path, list) else path)


def _downloads(
    name: str,
    res: dict[str, Any],
    twin: dict[str, Any],
    excel: dict[str, Any] | None,
    geo: dict[str, Any] | None,
) -> str:
    """Download links of a resource; one line per period for a partitioned one."""
    if not isinstance(res["path"], list):
        spreadsheet = "".join(
            f' · <a href="{name}/{other["path"]}">{label}</a> ({_size(other["x-bytes"])})'
            for other, label in ((excel, said("excel")), (geo, said("map")))
            if other
        )
        return (
            f"<p>{said('download')}"
            f'<a href="{name}/{res["path"]}">CSV</a> ({_size(res["bytes"])}) · '
            f'<a href="{name}/{twin["path"]}">Parquet</a> ({_size(twin["x-bytes"])})'
            f"{spreadsheet}</p>"
        )
    items = []
    for csv_part, parquet_part in zip(res["x-parts"], twin["x-parts"], strict=True):
        period = csv_part["path"].rsplit("-", 2)[-2:]
        label = "-".join(period).rsplit(".", 1)[0]
        items.append(
            "<li>"
            + said(
                "month_rows",
                label=html.escape(label),
                rows=f"{csv_part['rows']:,}".replace(",", " "),  # 99 200: French grouping
            )
            + f'<a href="{name}/{csv_part["path"]}">CSV</a> ({_size(csv_part["bytes"])}) · '
            f'<a href="{name}/{parquet_part["path"]}">Parquet</a> '
            f"({_size(parquet_part['bytes'])})</li>"
        )
    return f"<p>{said('download_by_month')}</p><ul>{''.join(items)}</ul>"


def render(published_dir: Path) -> str:
    """The whole page."""
    folders = sorted(p for p in published_dir.iterdir() if (p / "datapackage.json").exists())
    toc = "".join(f'<li><a href="#{p.name}">{p.name}</a></li>' for p in folders)
    body = "".join(_dataset(p) for p in folders)
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{said('page_title')}</title>"
        f"<style>{_CSS}</style></head><body><main><h1>{said('page_heading')}</h1>"
        f'<p class="meta">{said("page_meta")}'
        '<a href="catalog.jsonld">catalog.jsonld</a></p>'
        f'<ul>{toc}</ul>{body}</main><script src="catalogue.js" defer></script></body></html>\n'
    )
