"""A page per contract, readable by a steward: every column in words (label, description, type,
allowed values, example), the rules beyond the columns, what changed in each version, and the
files to start from. Open without an account: the rules a file is held to are public."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opendata.contracts import registry, versions
from opendata.portal import workbooks
from opendata.portal.context import Portal, Refusal, lang_of, open_page
from opendata.portal.pages.report import attachment, earlier_versions
from opendata.portal.words import WORDS
from opendata.validate.rules import describe

_TYPES = {
    "fr": {
        "string": "texte",
        "integer": "nombre entier",
        "number": "nombre",
        "date": "date",
        "datetime": "date et heure",
        "boolean": "oui ou non",
    },
    "en": {
        "string": "text",
        "integer": "whole number",
        "number": "number",
        "date": "date",
        "datetime": "date and time",
        "boolean": "yes or no",
    },
}
# strftime codes as a steward reads them
_FORMAT = {"%d": "JJ", "%m": "MM", "%Y": "AAAA", "%H": "hh", "%M": "mm", "%S": "ss"}
_MEDIA = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".gz": "application/gzip",
    ".geojson": "application/geo+json",
    ".json": "application/json",
}


def type_in_words(spec: dict[str, Any], lang: str) -> str:
    """``{"type": "date", "format": "%d/%m/%Y"}`` → ``date (JJ/MM/AAAA)``."""
    kind = spec.get("type", "string")
    said = _TYPES[lang].get(kind, kind)
    form = spec.get("format")
    if isinstance(form, str) and "%" in form:
        for code, shown in _FORMAT.items():
            form = form.replace(code, shown)
        said += f" ({form})"
    if kind == "number":
        comma = spec.get("decimalChar", ".") == ","
        said += _DECIMAL[lang][comma]
    return said


_DECIMAL = {
    "fr": {True: " (virgule décimale : 48,85)", False: " (point décimal : 48.85)"},
    "en": {True: " (decimal comma: 48,85)", False: " (decimal point: 48.85)"},
}


def _columns(source: registry.Source, lang: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Each column in words, and the rules that are not about one column."""
    t = WORDS[lang]
    rules: dict[str, list[str]] = {}
    for spec in source.checks:
        target = spec.get("field") or spec.get("latitude")
        rules.setdefault(str(target), []).append(describe(spec, lang))
    found = []
    for spec in source.schema["fields"]:
        constraints = spec.get("constraints", {})
        notes = []
        if "minimum" in constraints:
            notes.append(t["contract_minimum"].format(value=constraints["minimum"]))
        if constraints.get("unique"):
            notes.append(t["contract_unique"])
        found.append(
            {
                "label": spec["name"],
                "description": spec.get("description", ""),
                "type": type_in_words(spec, lang),
                "required": bool(constraints.get("required")),
                "allowed": [str(v) for v in constraints.get("enum", [])],
                "example": _as_written(spec),
                "notes": notes + rules.pop(spec["name"], []),
            }
        )
    return found, [r for more in rules.values() for r in more]


def _as_written(spec: dict[str, Any]) -> str | None:
    """The column's example as a steward writes it (a decimal comma where the contract wants
    one)."""
    example = spec.get("example")
    if example is None:
        return None
    text = str(example)
    if spec.get("type") == "number" and spec.get("decimalChar") == ",":
        text = text.replace(".", ",")
    return text


@open_page
async def contract_list(request: Request, portal: Portal) -> Response:
    sources = sorted(registry.sources().values(), key=lambda s: s.title)
    return portal.page(request, "contracts.html", sources=sources)


@open_page
async def contract_page(request: Request, portal: Portal) -> Response:
    lang = lang_of(request)
    source = _source(request)
    folder, pins = registry.examples(source.name)
    examples = [
        {"name": name, "valid": bool(pin.get("valid")), "errors": len(pin.get("errors", []))}
        for name, pin in sorted(pins.items())
        if (folder / name).is_file()
    ]
    templated = {s.name for s in workbooks.template_sources(registry.sources())}
    columns, other_rules = _columns(source, lang)
    return portal.page(
        request,
        "contract.html",
        source=source,
        columns=columns,
        other_rules=other_rules,
        key=source.schema.get("primaryKey"),
        history=versions.changelog(source.changelog),
        examples=examples,
        template=source.name in templated,
        earlier=earlier_versions(source),
    )


@open_page
async def example_file(request: Request, portal: Portal) -> Response:
    source = _source(request)
    folder, pins = registry.examples(source.name)
    name = request.path_params["name"]
    if name not in pins or not (folder / name).is_file():  # only the files the contract lists
        raise Refusal(404, WORDS[lang_of(request)]["not_found"])
    suffix = "." + name.rsplit(".", 1)[-1]
    data = (folder / name).read_bytes()
    return attachment(data, _MEDIA.get(suffix, "application/octet-stream"), name)


def _source(request: Request) -> registry.Source:
    name = request.path_params["source"]
    known = registry.sources()
    if name not in known:
        raise Refusal(404, WORDS[lang_of(request)]["not_found"])
    return known[name]
