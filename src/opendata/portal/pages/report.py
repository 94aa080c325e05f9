"""A check's report: the page, grouped by row or by kind, and its downloads (the list of
errors as CSV, the report as JSON, the steward's own workbook annotated)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from itertools import groupby
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from opendata.contracts import limits, registry
from opendata.portal import jobs, workbooks
from opendata.portal.accounts import Account
from opendata.portal.context import Portal, Refusal, lang_of, login_required, paris_time
from opendata.portal.pages.checks import progress
from opendata.portal.words import WORDS, rows_text, say
from opendata.report.catalogue import kind_title
from opendata.report.messages import message
from opendata.report.problems import Problem, Report, where_in_file
from opendata.report.render import GROUP_AT, as_dict

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_name(meta: dict[str, Any], suffix: str) -> str:
    """``<the steward's file name without its extension>-<suffix>``."""
    stem = meta["name"]
    for ext in (".csv.gz", ".xlsx", ".csv", ".xls"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    return f"{stem}-{suffix}"


def attachment(data: bytes, media_type: str, name: str) -> Response:
    """A download, its name given in ASCII and in UTF-8 (RFC 6266)."""
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media_type, headers={"content-disposition": disposition})


@login_required
async def report_page(request: Request, portal: Portal, account: Account) -> Response:
    check_id, meta = portal.owned_check(request, account)
    lang = lang_of(request)
    t = WORDS[lang]
    if meta.get("expired") and registry.source(meta["source"]).personal_data:
        return portal.page(request, "error.html", 410, text=t["expired"])
    status = meta.get("status")
    if status in ("queued", "running"):
        return portal.page(
            request, "progress.html", meta=meta, check_id=check_id, progress=progress(meta, lang)
        )
    if status == "failed":
        said = meta.get("reason") or {}
        return portal.page(request, "error.html", 500, text=said.get(lang) or t["failed"])
    report = jobs.load_report(portal.root, check_id)
    if report is None:
        return portal.page(request, "error.html", 410, text=t["expired"])
    source = registry.source(meta["source"])
    group = "type" if request.query_params.get("groupe") == "type" else "ligne"
    # Another source to check the file with: those its header looks like first, the best one
    # preselected; none preselected when it looks like no other.
    preview = jobs.load_preview(portal.root, check_id)
    looks = [n for n in meta.get("looks_like", []) if n != source.name]
    others = [s for s in portal.allowed_sources(account) if s.name != source.name]
    others.sort(key=lambda s: looks.index(s.name) if s.name in looks else len(looks))
    return portal.page(
        request,
        "report.html",
        check_id=check_id,
        meta=meta,
        source=source,
        group=group,
        preview=preview,
        cell_targets=_cell_targets(preview),
        upload_kept=jobs.upload_path(portal.root, check_id, meta).exists(),
        corrections=int(meta.get("corrections") or 0),
        earlier=earlier_versions(source),
        others=others,
        suggested=looks[0] if looks else "",
        **report_context(report, meta, source, lang),
    )


def earlier_versions(source: registry.Source) -> list[dict[str, str]]:
    """The earlier versions of the contract still accepted today, to check the file with."""
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    return [
        {
            "version": p.version,
            "until": dt.date.fromisoformat(p.accepted_until or "").strftime("%d/%m/%Y"),
        }
        for p in source.accepted_versions(today)
    ]


def _cell_targets(preview: dict[str, Any] | None) -> dict[int, str]:
    """Each error shown in the preview of failing rows -> the id of its cell there (the cell's
    first error names it): a reference leads to the very cell, highlighted."""
    targets: dict[int, str] = {}
    for row in (preview or {}).get("rows", []):
        for cell in row["cells"]:
            for index in cell["errors"]:
                targets[index] = f"f{cell['errors'][0]}"
    return targets


def _entries(report: Report, problems: list[Problem], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "index": index,
            "row": p.row,
            "label": p.label,
            "cell": p.cell,
            "ref": where_in_file(p, report, lang),
            "type": p.type,
            "message": message(p, lang),
        }
        for index, p in enumerate(problems)
    ]


def by_kind(entries: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Findings grouped by kind and column, the largest group first."""
    t = WORDS[lang]
    kinds: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for e in entries:
        kinds.setdefault((e["type"], e["label"]), []).append(e)
    groups = []
    for (kind, label), items in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        if label:
            title = t["by_kind_cells"].format(count=len(items), column=label)
        else:
            title = t["by_kind_file"].format(count=len(items))
        groups.append(
            {
                "type": kind,
                "kind_title": kind_title(kind, lang),
                "title": title,
                "first": items[0]["message"],
                "entries": items,
            }
        )
    return groups


def _status(report: Report, lang: str) -> tuple[str, str]:
    t = WORDS[lang]
    if report.unreadable:
        return t["unreadable"], "bad"
    if not report.valid:
        return t["invalid"], "bad"
    if report.warnings:
        return t["valid_warnings"], "warn"
    return t["valid"], "good"


def report_context(
    report: Report, meta: dict[str, Any], source: registry.Source, lang: str
) -> dict[str, Any]:
    """What the report page shows of a report, in ``lang``."""
    error_entries = _entries(report, report.errors, lang)
    warning_entries = _entries(report, report.warnings, lang)
    by_row = [(row, list(items)) for row, items in groupby(error_entries, key=lambda e: e["row"])]
    # Warnings repeated in one column (23 sites outside Paris) read as one group.
    in_cells = [e for e in warning_entries if e["row"] is not None and e["label"]]
    warning_groups = [g for g in by_kind(in_cells, lang) if len(g["entries"]) >= GROUP_AT]
    grouped = {id(e) for g in warning_groups for e in g["entries"]}
    counts: dict[str, int] = {}
    for e in error_entries:
        counts[e["type"]] = counts.get(e["type"], 0) + 1
    status, tone = _status(report, lang)
    return {
        "report": report,
        "status_text": status,
        "tone": tone,
        "errors": error_entries,
        "warnings": warning_entries,
        "by_row": by_row,
        "by_kind": by_kind(error_entries, lang),
        "warning_groups": warning_groups,
        "single_warnings": [e for e in warning_entries if id(e) not in grouped],
        "counts": [
            (kind, kind_title(kind, lang), n)
            for kind, n in sorted(counts.items(), key=lambda kv: -kv[1])
        ],
        "columns": len(source.labels),
        "rows_text": rows_text(lang, report.rows, len(source.labels)),
        # The contract a report was made against (a changed contract gives another).
        "contract_version": (report.contract or source.stamp),
        "comparison": report.comparison,
        "checked_at": paris_time(meta.get("finished") or meta.get("created")),
        "size": limits.human_bytes(int(meta.get("bytes", 0))),
        "deadline": _deadline(meta, source),
    }


def _deadline(meta: dict[str, Any], source: registry.Source) -> str:
    """When a report of personal data and its file are deleted (if not sent), Paris time:
    said on the page, so that the report does not vanish without warning."""
    if not source.personal_data or meta.get("sent") or not meta.get("created_ts"):
        return ""
    moment = float(meta["created_ts"]) + jobs.retention_seconds(personal=True)
    return paris_time(dt.datetime.fromtimestamp(moment, dt.UTC).isoformat())


def done_report(request: Request, portal: Portal, check_id: str) -> Report:
    report = jobs.load_report(portal.root, check_id)
    if report is None:
        raise Refusal(404, WORDS[lang_of(request)]["not_found"])
    return report


@login_required
async def download_csv(request: Request, portal: Portal, account: Account) -> Response:
    check_id, meta = portal.owned_check(request, account)
    report = done_report(request, portal, check_id)
    data = workbooks.errors_csv(report, lang_of(request))
    return attachment(data, "text/csv; charset=utf-8", download_name(meta, "erreurs.csv"))


@login_required
async def download_json(request: Request, portal: Portal, account: Account) -> Response:
    check_id, meta = portal.owned_check(request, account)
    report = done_report(request, portal, check_id)
    data = json.dumps(as_dict(report, lang_of(request)), ensure_ascii=False, indent=2)
    return attachment(data.encode("utf-8"), "application/json", download_name(meta, "rapport.json"))


@login_required
async def download_annotated(request: Request, portal: Portal, account: Account) -> Response:
    check_id, meta = portal.owned_check(request, account)
    report = done_report(request, portal, check_id)
    path = jobs.upload_path(portal.root, check_id, meta)
    source = registry.source(meta["source"])
    if not path.exists():
        raise Refusal(410, WORDS[lang_of(request)]["upload_gone"])
    if source.engine == "arrow":
        raise Refusal(404, say(lang_of(request), "no_annotated"))
    data = await asyncio.to_thread(workbooks.annotated_copy, path, source, report)
    return attachment(data, XLSX, download_name(meta, "annote.xlsx"))


@login_required
async def download_corrected(request: Request, portal: Portal, account: Account) -> Response:
    """The steward's own file with only the certain corrections (:mod:`opendata.repair`),
    listed on a sheet of a workbook; a CSV file's list is ``corrections.csv`` beside it."""
    check_id, meta = portal.owned_check(request, account)
    wanted = request.path_params["part"]
    if wanted not in ("copie", "liste"):
        raise Refusal(404, WORDS[lang_of(request)]["not_found"])
    report = done_report(request, portal, check_id)
    path = jobs.upload_path(portal.root, check_id, meta)
    if not path.exists():
        raise Refusal(410, WORDS[lang_of(request)]["upload_gone"])
    from opendata.repair.copy import NotRepairable, write

    source = registry.source(meta["source"])
    if report.rows * len(source.labels) > jobs.REPAIR_CELLS:
        raise Refusal(413, WORDS[lang_of(request)]["corrected_too_large"])
    suffix = path.name.split(".", 1)[1] if "." in path.name else "csv"
    target = jobs.folder(portal.root, check_id) / f"corrected.{suffix}"
    lang = lang_of(request)
    try:
        repaired = await asyncio.to_thread(write, path, source, report, target, lang)
    except NotRepairable:
        raise Refusal(404, WORDS[lang]["no_corrected"]) from None
    if wanted == "liste" and repaired.listing is not None:
        data = repaired.listing.read_bytes()
        return attachment(data, "text/csv; charset=utf-8", download_name(meta, "corrections.csv"))
    media = XLSX if suffix == "xlsx" else "text/csv; charset=utf-8"
    return attachment(target.read_bytes(), media, download_name(meta, f"corrige.{suffix}"))
