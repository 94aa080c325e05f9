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


def expected(field: dict[str, Any], lang: str) -> str:
    """What a cell of ``field`` should look like, in words, with the contract's example."""
    ftype = field.get("type", "string")
    fr = lang == "fr"
    if ftype in ("integer", "year"):
        text = "un nombre entier" if fr else "a whole number"
    elif ftype == "number":
        decimal = field.get("decimalChar", ".")
        if fr:
            text = "un nombre" + (" avec une virgule décimale" if decimal == "," else "")
        else:
            text = "a number" + (" with a decimal comma" if decimal == "," else "")
    elif ftype in ("date", "datetime"):
        fmt = _date_format(field.get("format", "default"), lang)
        text = f"une date au format {fmt}" if fr else f"a date written {fmt}"
    elif ftype == "boolean":
        words = " / ".join(field.get("trueValues", ["true"]) + field.get("falseValues", ["false"]))
        text = f"l'une des valeurs {words}" if fr else f"one of {words}"
    else:
        text = "un texte" if fr else "a text"
    example = field.get("example")
    if example is not None and ftype == "number":
        example = _localised_number(str(example), field)
    if example is not None:
        text += f" (par exemple « {example} »)" if fr else f" (for example “{example}”)"
    return text


def _q(value: Any, lang: str) -> str:
    return f"« {value} »" if lang == "fr" else f"“{value}”"


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
    if lang == "fr":
        if low is not None and high is not None:
            return f"entre {low} et {high} ans"
        return f"au plus {high} ans" if high is not None else f"au moins {low} ans"
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at most {high}" if high is not None else f"at least {low}"


def _computed(p: Problem, lang: str) -> dict[str, Any]:
    """What the templates take beyond the finding's own params."""
    fr = lang == "fr"
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
        values["identifies"] = (
            ""
            if not identifies
            else " Cette colonne identifie chaque ligne : sans elle, la ligne ne peut pas être "
            "publiée."
            if fr
            else " This column identifies each row: without it, the row cannot be published."
        )
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
            when = f" pour le statut {listed}" if fr else f" for status {listed}"
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
    values.setdefault("constraint", prm.get("constraint"))
    values["same"] = ""
    if prm.get("compared"):  # written otherwise, the same value once read ("03/2008")
        values["same"] = (
            f" (même valeur une fois lue : {_q(prm['compared'], lang)})"
            if fr
            else f" (the same value once read: {_q(prm['compared'], lang)})"
        )
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
        return (
            f"Problème de type « {p.type} »{where}. Vérifiez cette cellule."
            if lang == "fr"
            else f"Problem of kind “{p.type}”{where}. Check this cell."
        )


def known_types() -> set[str]:
    """Every problem type the catalogue has a message for."""
    return {key.split(":")[0] for key in CATALOGUE} | {"unique-error"}
