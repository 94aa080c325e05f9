"""What each finding means, in French (default) and English: what is wrong and how to fix it.

The messages are a catalogue, data keyed by problem type (:mod:`opendata.report.catalogue`):
each entry is a French and an English template of the finding's parameters. A few types have
variants keyed ``type:variant`` (the constraint a cell breaks, the rule of a row, the severity
of a blank row...), and a few values are computed (:func:`expected` says what a cell should
look like, quoting, the bounds of an age). Adding a problem type means adding its entry there;
the sweep tests render every type the library emits in both languages and every report format.
"""

from __future__ import annotations

from typing import Any

from opendata.report.catalogue import CATALOGUE
from opendata.report.pieces import PIECES
from opendata.report.problems import Problem

_DATE_FORMATS = {
    "fr": {"%d": "JJ", "%m": "MM", "%Y": "AAAA", "%H": "HH", "%M": "MM", "%S": "SS"},
    "en": {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%H": "HH", "%M": "MM", "%S": "SS"},
}


def _date_format(fmt: str, lang: str) -> str:
    if fmt in ("default", "any"):
        fmt = "%Y-%m-%d"
    for code, word in _DATE_FORMATS[lang].items():
        fmt = fmt.replace(code, word)
    return fmt


def _localised_number(example: str, field: dict[str, Any]) -> str:
    """Write a schema example (``1200000``, ``48.85661``) the way the steward's file does
    (``1 200 000``, ``48,85661``). Examples stay in plain notation in the schemas because
    frictionless-py checks them without the field's decimalChar and groupChar."""
    whole, _, decimals = example.partition(".")
    group = field.get("groupChar")
    if group and whole.lstrip("-").isdigit():
        whole = f"{int(whole):,}".replace(",", group)
    return whole + (field.get("decimalChar", ".") + decimals if decimals else "")


def example_cell(field: dict[str, Any]) -> str:
    """A field's example as a cell of the steward's file holds it ("" when it has none)."""
    example = field.get("example")
    if example is None:
        return ""
    if field.get("type") == "number":
        return _localised_number(str(example), field)
    return str(example)


def piece(key: str, lang: str, **params: Any) -> str:
    """A piece of a message (:data:`~opendata.report.pieces.PIECES`) in ``lang``."""
    fr_text, en_text = PIECES[key]
    return (fr_text if lang == "fr" else en_text).format(**params)


def expected(field: dict[str, Any], lang: str) -> str:
    """What a cell of ``field`` should look like, in words, with the contract's example."""
    ftype = field.get("type", "string")
    if ftype in ("integer", "year"):
        text = piece("integer", lang)
    elif ftype == "number":
        comma = field.get("decimalChar", ".") == ","
        text = piece("number", lang) + (piece("decimal_comma", lang) if comma else "")
    elif ftype in ("date", "datetime"):
        text = piece("date", lang, format=_date_format(field.get("format", "default"), lang))
    elif ftype == "boolean":
        words = " / ".join(field.get("trueValues", ["true"]) + field.get("falseValues", ["false"]))
        text = piece("boolean", lang, words=words)
    else:
        text = piece("text", lang)
    example = field.get("example")
    if example is not None and ftype == "number":
        example = _localised_number(str(example), field)
    if example is not None:
        text += piece("example", lang, example=example)
    return text


def _q(value: Any, lang: str) -> str:
    return piece("quoted", lang, value=value)


def _key(p: Problem) -> str:
    """The catalogue entry of a finding: its type, or its type and variant."""
    t, prm = p.type, p.params
    if t == "constraint-error":
        key = f"{t}:{prm.get('constraint')}"
        return key if key in CATALOGUE else f"{t}:*"
    if t == "row-constraint":
        key = f"{t}:{prm.get('rule')}"
        return key if key in CATALOGUE else f"{t}:*"
    if t in ("primary-key", "unique-error"):
        return "primary-key:" + ("repeated" if "first_row" in prm else "empty")
    if t == "foreign-key" and prm.get("scope") == "all":
        return "foreign-key:all"
    if t == "coordinates-outside-paris" and prm.get("area") == "near":
        return f"{t}:near"
    if t == "blank-row":
        return f"{t}:{'error' if p.severity == 'error' else 'warning'}"
    return t


def _ages(p: Problem, lang: str) -> str:
    low, high = p.params.get("minimum"), p.params.get("maximum")
    if low is not None and high is not None:
        return piece("ages_between", lang, low=low, high=high)
    if high is not None:
        return piece("ages_at_most", lang, high=high)
    return piece("ages_at_least", lang, low=low)


def _computed(p: Problem, lang: str) -> dict[str, Any]:
    """What the templates take beyond the finding's own params."""
    prm = p.params
    field: dict[str, Any] = prm.get("field", {})
    values: dict[str, Any] = {
        "cell": _q(p.cell, lang),
        "label": _q(p.label, lang),
        "bound": prm.get("bound"),
    }
    if "field" in prm:
        values["expected"] = expected(field, lang)
        values["hint"] = field.get("description", "")
        values["example"] = _q(field.get("example"), lang)
        identifies = field.get("constraints", {}).get("unique")
        values["identifies"] = piece("identifies", lang) if identifies else ""
    if prm.get("constraint") == "enum":
        values["permitted"] = ", ".join(_q(v, lang) for v in prm.get("bound") or [])
    if "other" in prm:
        values["other"] = _q(prm["other"], lang)
        values["other_file"] = prm["other"]
    if "values" in prm:
        values["listed"] = ", ".join(_q(v, lang) for v in prm["values"])
    if prm.get("rule") == "age-between":
        values["ages"] = _ages(p, lang)
        when = ""
        if prm.get("condition"):
            listed = ", ".join(_q(v, lang) for v in prm.get("values", []))
            when = piece("for_status", lang, listed=listed)
        values["when"] = when
        values.setdefault("other", _q(None, lang))
    if p.type.startswith("row-constraint"):
        values.setdefault("other", _q(None, lang))
        values.setdefault("rule", prm.get("rule"))
    if "axis" in prm:
        values["low"], values["high"] = prm[prm["axis"]]
    if "unknown" in prm:
        values["unknown_labels"] = ", ".join(_q(u, lang) for u in prm["unknown"])
    if "allowed" in prm:
        values["national"] = " ; ".join(prm["allowed"])
    for param in ("what", "nature", "detail"):  # a word the reader named: said in ``lang``
        if f"{param}_{prm.get(param)}" in PIECES:
            values[param] = piece(f"{param}_{prm[param]}", lang)
    if p.type == "broken-json" and "line" in prm:
        values["detail"] = piece("json_at", lang, line=prm["line"], column=prm.get("column"))
    values.setdefault("constraint", prm.get("constraint"))
    values["same"] = ""
    if prm.get("compared"):  # written otherwise, the same value once read ("03/2008")
        values["same"] = piece("same_once_read", lang, value=_q(prm["compared"], lang))
    return values


class MessageError(Exception):
    """A finding's message could not be written (a parameter missing): a bug of ours."""


def message(p: Problem, lang: str = "fr", strict: bool = False) -> str:
    """The sentence a steward reads for one finding.

    Never raises for a steward (a report with one clumsy sentence beats no report): a finding
    whose parameters do not fit its template gets a plain sentence naming its kind.
    ``strict`` raises :class:`MessageError` instead, which the sweep tests use."""
    try:
        fr_text, en_text = CATALOGUE[_key(p)]
        return (fr_text if lang == "fr" else en_text).format(
            **{"kind": p.type, **p.params, **_computed(p, lang)}
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if strict:
            raise MessageError(f"{p.type}: {type(exc).__name__} {exc}") from exc
        where = f" ({_q(p.cell, lang)})" if p.cell else ""
        return piece("no_template", lang, kind=p.type, where=where)


def known_types() -> set[str]:
    """Every problem type the catalogue has a message for."""
    return {key.split(":")[0] for key in CATALOGUE} | {"unique-error"}
