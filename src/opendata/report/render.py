"""Print a validation report as text, JSON (shaped like a Frictionless report) or HTML."""

from __future__ import annotations

import html
import json
import re
from itertools import groupby
from typing import Any

from opendata.report.messages import message
from opendata.report.problems import (
    Problem,
    Report,
    cell_reference,
    feature_reference,
    redacted,
)

_WORDS = {
    "fr": {
        "valid": "VALIDE",
        "invalid": "NON VALIDE",
        "unreadable": "ILLISIBLE",
        "rows": "lignes",
        "errors": "erreur(s)",
        "warnings": "avertissement(s)",
        "file": "Fichier",
        "row": "Ligne",
        "feature": "Entité",
        "property": "propriété",
        "line_column": "{word} « {label} » : ",
        "artifact_valid": "Livraison valide",
        "artifact_refused": "Livraison refusée",
        "artifact_unreadable": "Livraison illisible",
        "artifact_counts": "{rows} lignes, {errors} erreur(s), {warnings} avertissement(s).",
        "artifact_first": "Première erreur : {where}{message}",
        "artifact_row": "ligne {row} : ",
        "artifact_columns": "ligne|colonne|valeur|type|message",
        "column": "colonne",
        "errors_title": "Erreurs",
        "warnings_title": "Avertissements",
        "fix": "Corrigez les cellules indiquées dans votre fichier puis renvoyez-le.",
        "title": "Rapport de validation",
        "value": "Valeur",
        "message": "Problème",
        "omitted": "… et {more} autres erreurs non détaillées (les {listed} premières sont listées "
        "ci-dessus ; corrigez-les, le plus souvent la même cause explique les suivantes).",
        "same": "{count} cellules de la colonne « {column} », même problème (lignes {rows})",
        "example": "par exemple ligne {row} : ",
        "read_as": "Lu comme : {profile}",
        "contract": "Contrat {source} version {version} (empreinte {fingerprint})",
        "compared": "Comparé à ce qui est publié ({against}, fichier {file}, {rows} lignes) : "
        "{added} ajoutée(s), {removed} retirée(s), {changed} modifiée(s).",
        "compared_unpublished": "Comparé à la dernière livraison reçue, pas encore publiée "
        "({file}, {rows} lignes ; publié : {against}) : {added} ajoutée(s), {removed} "
        "retirée(s), {changed} modifiée(s).",
        "held": "Cette livraison sera examinée par l'équipe données avant publication : {reasons}.",
        "goes": "Rien ne la retiendra : elle sera publiée à la prochaine publication.",
    },
    "en": {
        "valid": "VALID",
        "invalid": "INVALID",
        "unreadable": "UNREADABLE",
        "rows": "rows",
        "errors": "error(s)",
        "warnings": "warning(s)",
        "file": "File",
        "row": "Row",
        "feature": "Feature",
        "property": "property",
        "line_column": "{word} “{label}”: ",
        "artifact_valid": "Valid delivery",
        "artifact_refused": "Refused delivery",
        "artifact_unreadable": "Unreadable delivery",
        "artifact_counts": "{rows} rows, {errors} error(s), {warnings} warning(s).",
        "artifact_first": "First error: {where}{message}",
        "artifact_row": "row {row}: ",
        "artifact_columns": "ligne|colonne|valeur|type|message",
        "column": "column",
        "errors_title": "Errors",
        "warnings_title": "Warnings",
        "fix": "Fix the cells listed in your file, then send it again.",
        "title": "Validation report",
        "value": "Value",
        "message": "Problem",
        "omitted": "… and {more} more errors not listed (the first {listed} are above; the same "
        "cause usually explains the rest).",
        "same": "{count} cells of column “{column}”, same problem (rows {rows})",
        "example": "for instance row {row}: ",
        "read_as": "Read as: {profile}",
        "contract": "Contract {source} version {version} (fingerprint {fingerprint})",
        "compared": "Compared with what is published ({against}, file {file}, {rows} rows): "
        "{added} added, {removed} removed, {changed} changed.",
        "compared_unpublished": "Compared with the newest delivery received, not yet published "
        "({file}, {rows} rows; published: {against}): {added} added, {removed} removed, "
        "{changed} changed.",
        "held": "The data team will review this delivery before it is published: {reasons}.",
        "goes": "Nothing will hold it: it goes out with the next publication.",
    },
}


# C0 and C1 control characters: in a terminal, ESC sequences from a cell could move the cursor,
# recolour or overwrite the report, and a line break in a cell could add a line that fakes a
# "VALIDE". Each line of a report is one line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """Control characters shown as ``\\x1b``, never sent to the terminal as they are."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _status(report: Report, lang: str) -> str:
    words = _WORDS[lang]
    if report.unreadable:
        return words["unreadable"]
    return words["valid"] if report.valid else words["invalid"]


def as_dict(report: Report, lang: str = "fr") -> dict[str, Any]:
    """The report as plain data, shaped like a Frictionless report."""

    def entry(p: Problem) -> dict[str, Any]:
        return {
            "type": p.type,
            "rowNumber": p.row,
            "fieldName": p.label,
            "cell": p.cell,
            "cellRef": feature_reference(p) if report.features else cell_reference(p, report.sheet),
            "message": message(p, lang),
        }

    errors, warnings = report.errors, report.warnings
    return {
        "valid": report.valid,
        "source": report.source,
        "file": report.file,
        "sheet": report.sheet,
        "readAs": report.profile,
        "stats": {
            "rows": report.rows,
            "errors": len(errors) + report.omitted,
            "warnings": len(warnings),
            "errorsNotListed": report.omitted,
        },
        "errors": [entry(p) for p in errors],
        "warnings": [entry(p) for p in warnings],
        **({"contract": report.contract} if report.contract else {}),
        **({"comparison": report.comparison} if report.comparison else {}),
    }


def as_json(report: Report, lang: str = "fr") -> str:
    """The report as JSON text."""
    return json.dumps(as_dict(report, lang), ensure_ascii=False, indent=2)


def _line(p: Problem, lang: str, features: bool = False) -> str:
    t = _WORDS[lang]
    word = t["property"] if features else t["column"]
    column = t["line_column"].format(word=word, label=p.label) if p.label else ""
    return f"    - {column}{message(p, lang)}"


GROUP_AT = 5  # this many findings of one kind in one column read as one line, not a wall
_ROWS_SHOWN = 20


def _grouped(problems: list[Problem], lang: str, features: bool = False) -> list[str]:
    """Findings by row; a kind of finding repeated in one column comes first, as one group."""
    words = _WORDS[lang]
    lines: list[str] = []
    kinds: dict[tuple[str, str], list[Problem]] = {}
    for p in problems:
        if p.row is not None and p.label:
            kinds.setdefault((p.type, p.label), []).append(p)
    many = {key: items for key, items in kinds.items() if len(items) >= GROUP_AT}
    for (_, label), items in many.items():
        rows = ", ".join(str(p.row) for p in items[:_ROWS_SHOWN])
        rows += ", …" if len(items) > _ROWS_SHOWN else ""
        lines.append("  " + words["same"].format(count=len(items), column=label, rows=rows))
        example = words["example"].format(row=items[0].row)
        lines.append(f"    - {example}{message(items[0], lang)}")
    rest = [p for p in problems if (p.type, p.label) not in many]
    for row, group in groupby(rest, key=lambda p: p.row):
        if row is None:
            where = words["file"]
        elif features:  # a GeoJSON file: its features, counted from 1
            where = words["feature"] + " " + str(row - 1)
        else:
            where = words["row"] + " " + str(row)
        lines.append(f"  {where}")
        lines.extend(_line(p, lang, features) for p in group)
    return lines


def as_text(report: Report, lang: str = "fr") -> str:
    """The report as text for a terminal, grouped by row."""
    words = _WORDS[lang]
    errors, warnings = report.errors, report.warnings
    lines = [f"{report.source} : {report.file} — {_status(report, lang)}"]
    if report.unreadable:
        lines.append(message(errors[0], lang))
        return "\n".join(_visible(line) for line in lines) + "\n"
    lines.append(
        f"{report.rows} {words['rows']}, {len(errors) + report.omitted} {words['errors']}, "
        f"{len(warnings)} {words['warnings']}"
    )
    if report.profile:
        lines.append(words["read_as"].format(profile=report.profile))
    if report.contract:
        lines.append(words["contract"].format(**report.contract))
    lines.extend(comparison_lines(report.comparison, lang))
    if errors:
        lines += ["", words["errors_title"], *_grouped(errors, lang, report.features)]
    if report.omitted:
        lines.append("  " + words["omitted"].format(listed=len(errors), more=report.omitted))
    if warnings:
        lines += ["", words["warnings_title"], *_grouped(warnings, lang, report.features)]
    if errors:
        lines += ["", words["fix"]]
    return "\n".join(_visible(line) for line in lines) + "\n"


def comparison_lines(comparison: dict[str, Any] | None, lang: str) -> list[str]:
    """What sending the file would change, in a sentence or two (none: nothing compared)."""
    if not comparison:
        return []
    words = _WORDS[lang]
    key = "compared" if comparison.get("filePublished", True) else "compared_unpublished"
    said = [words[key].format(**comparison)]
    if comparison.get("wouldHold"):
        said.append(words["held"].format(reasons=" ; ".join(comparison.get("reasons", []))))
    else:
        said.append(words["goes"])
    return said


def as_html(report: Report, lang: str = "fr") -> str:
    """A standalone HTML page of the report, for e-mail or the quarantine folder."""
    words = _WORDS[lang]
    esc = html.escape

    def table(problems: list[Problem], title: str) -> str:
        if not problems:
            return ""
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>".format(
                words["file"] if p.row is None else p.row,
                esc(p.label or ""),
                esc(p.cell or ""),
                esc(message(p, lang)),
            )
            for p in problems
        )
        return (
            f"<h2>{esc(title)} ({len(problems)})</h2><table><thead><tr><th>{words['row']}</th>"
            f"<th>{words['column'].capitalize()}</th><th>{words['value']}</th>"
            f"<th>{words['message']}</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )

    errors, warnings = report.errors, report.warnings
    status = _status(report, lang)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(words['title'])} — {esc(report.file)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;"
        "text-align:left;vertical-align:top;overflow-wrap:anywhere}.status{font-weight:bold}"
        # A header, a row number or a column's name is never cut mid-word on a phone (with
        # "anywhere" the empty columns shrank to a letter: "Li/gn/e", "Fic/hie/r").
        "th,td:nth-child(-n+2){overflow-wrap:normal}"
        "@media (max-width:40rem){body{margin:1rem}}</style></head><body><main>"
        f"<h1>{esc(words['title'])}</h1><p>{esc(report.source)} : {esc(report.file)} — "
        f'<span class="status">{status}</span></p>'
        f"<p>{report.rows} {words['rows']}, {len(errors) + report.omitted} {words['errors']}, "
        f"{len(warnings)} {words['warnings']}</p>"
        + "".join(f"<p>{esc(line)}</p>" for line in comparison_lines(report.comparison, lang))
        + f"{table(errors, words['errors_title'])}{table(warnings, words['warnings_title'])}"
        "</main></body></html>\n"
    )


# What can start markup inside a line (links and images need their "[", emphasis "*" or "_",
# HTML "<"); line starts cannot occur: line breaks become spaces.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|<>~])")


def markdown_literal(value: object) -> str:
    """``value`` as plain text inside Markdown: every markup character escaped, line breaks
    and control characters turned into spaces (a file name must not format an artifact)."""
    text = _CONTROL.sub(" ", str(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def artifact(
    report: Report, personal: bool, context: str = "", warnings: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """The Markdown summary and the table of findings of a delivery, as the Prefect artifacts
    show them (read by many: no personal value when ``personal``). ``context`` is one more
    sentence of Markdown (what happened to the dataset); everything from the file is escaped."""
    if personal:
        report = redacted(report)
    data = as_dict(report, "fr")
    t = _WORDS["fr"]
    stats = data["stats"]
    status = t["artifact_valid"] if report.valid else t["artifact_refused"]
    if report.unreadable:
        status = t["artifact_unreadable"]
    lines = [
        f"# {status} : {markdown_literal(report.source)} / {markdown_literal(report.file)}",
        "",
        *([context, ""] if context else []),
        t["artifact_counts"].format(**stats),
    ]
    if data["errors"]:
        first = data["errors"][0]
        where = t["artifact_row"].format(row=first["rowNumber"]) if first["rowNumber"] else ""
        said = t["artifact_first"].format(where=where, message=markdown_literal(first["message"]))
        lines += ["", said]
    columns = t["artifact_columns"].split("|")
    rows = [
        dict(
            zip(
                columns,
                (e["rowNumber"], e["fieldName"], e["cell"], e["type"], e["message"]),
                strict=True,
            )
        )
        for e in data["errors"] + (data["warnings"] if warnings else [])
    ]
    return "\n".join(lines), rows


RENDERERS = {"text": as_text, "json": as_json, "html": as_html}
