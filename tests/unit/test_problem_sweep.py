"""Every problem type the engines produce renders, in every format and both languages.

The corpus is real engine output: every fixture and sample delivery of every source in the
registry, operator months with planted faults of every kind, and a publication's collect step
(the problems found across deliveries). Nothing here lists problems by hand: the sweep fails
when the engines can produce a type (a literal in the library's source) that the corpus does
not reach, or when a type the messages know is never produced with real parameters.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from opendata import cli, intake
from opendata.contracts import registry
from opendata.datasets.wifi_hotspots.samples import HEADER
from opendata.publish import steps
from opendata.report.messages import message
from opendata.report.problems import Problem, Report
from opendata.report.render import GROUP_AT, RENDERERS, artifact
from opendata.validate.file import validate_file
from tests.conftest import FIXTURES, RAW, ROOT
from tests.helpers import header_of

SRC = ROOT / "src" / "opendata"
GOOD = ["0123456789abcdef", "PW0001", "2007-10-12 14:03:27", "60", "100", "10", "laptop", "L", "fr"]


def _row(**changes: str) -> list[str]:
    row = list(GOOD)
    for name, value in changes.items():
        row[HEADER.index(name)] = value
    return row


def _month(path: Path, rows: list[list[str] | str], header: list[str] = HEADER) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if isinstance(row, str):
            out.write(row)
        else:
            writer.writerow(row)
    path.write_bytes(gzip.compress(out.getvalue().encode("utf-8"), mtime=0))
    return path


def _planted_months(folder: Path) -> list[Path]:
    """Operator files with a fault of every kind the contract and the engine know."""
    ids = [f"{i:016x}" for i in range(1, 40)]
    faults: list[list[str] | str] = [
        _row(session_id=ids[0]),
        _row(session_id=ids[1], duration_s="abc"),  # type-error (integer)
        _row(session_id=ids[2], start_time="2007-10-32 00:08:01"),  # type-error (datetime)
        _row(session_id=ids[3], duration_s="-5"),  # minimum
        _row(session_id=ids[4], device_type="fridge"),  # enum
        _row(session_id=ids[5], site_code="PW999"),  # pattern
        _row(session_id=""),  # required + empty key
        _row(session_id=ids[0]),  # repeated identically: counted once (warning)
        _row(session_id=ids[1], duration_s="61"),  # repeated with other values
        _row(session_id=ids[6], site_code="PW0777"),  # unknown site
        ",,,,,,,,\n",  # blank record
        ",".join(GOOD[:4]) + "\n",  # short record
        ",".join([ids[7], *GOOD[1:], "extra"]) + "\n",  # long record
    ]
    made = [_month(folder / "sessions-2007-11.csv.gz", faults)]
    # A missing, an unknown and a repeated column.
    made.append(
        _month(
            folder / "sessions-2007-12.csv.gz",
            [[c for i, c in enumerate(_row()) if i != 1]],
            [h for h in HEADER if h != "site_code"],
        )
    )
    made.append(_month(folder / "sessions-2008-01.csv.gz", [[*_row(), "x"]], [*HEADER, "comment"]))
    made.append(
        _month(folder / "sessions-2008-02.csv.gz", [[*_row(), "PW0001"]], [*HEADER, "site_code"])
    )
    made.append(_month(folder / "sessions-2008-03.csv.gz", []))  # header only
    # Past the bounds of a month that is no export: empty lines, then short records.
    made.append(_month(folder / "sessions-2008-07.csv.gz", ["\n" * 100_001]))
    made.append(_month(folder / "sessions-2008-08.csv.gz", ["x\n" * 100_001]))
    (folder / "sessions-2008-04.csv.gz").write_bytes(b"")  # empty
    (folder / "sessions-2008-05.csv.gz").write_bytes(gzip.compress(b"a,b\n" * 500)[:40])
    (folder / "sessions-2008-06.csv.gz").write_bytes(gzip.compress("é".encode("latin-1")))
    made += [folder / f"sessions-2008-0{m}.csv.gz" for m in (4, 5, 6)]
    return made


def _unreadable(folder: Path) -> list[tuple[Path, str]]:
    """Files that are no delivery at all, for the reader of each format."""
    (folder / "a-folder.csv").mkdir()
    png = folder / "image.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    workbook = FIXTURES / "epn-places" / "every-error.xlsx"
    return [
        (folder / "a-folder.csv", "wifi-sites"),
        (png, "wifi-sites"),
        (folder / "absent.csv", "wifi-sites"),
        (folder / ("n" * 300 + ".csv"), "wifi-sites"),  # the system refuses the name
        (workbook, "wifi-sessions"),  # a workbook where the operator's CSV is expected
        (FIXTURES / "wifi-sites" / "every-error.csv", "epn-places"),  # the reverse
    ]


def _planted_deliveries(folder: Path) -> list[tuple[Path, str]]:
    """Departments' files with the faults their fixtures do not show."""
    from openpyxl import load_workbook

    places = folder / "epn-site-web.xlsx"
    book = load_workbook(RAW / "epn-places" / "epn-2008-01-15.xlsx")
    sheet = book["EPN"]
    top, column = header_of(sheet, "Site web")
    sheet.cell(top + 1, column["Site web"]).value = 'https://epn.paris.fr/"><script>x</script>'
    book.save(places)
    unlabelled = folder / "epn-unlabelled-column.xlsx"
    book = load_workbook(RAW / "epn-places" / "epn-2008-01-15.xlsx")
    sheet = book["EPN"]
    first, _ = header_of(sheet, "Identifiant")
    for row in range(first + 1, first + 4):
        sheet.cell(row, 17).value = "note du gestionnaire"  # column Q, no header
    book.save(unlabelled)
    attendance = folder / "attendance-2007-02.csv"
    lines = (RAW / "epn-attendance" / "attendance-2007-02.csv").read_text().splitlines()
    lines[2] = lines[2].replace("02/2007", "03/2007")
    attendance.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [(places, "epn-places"), (unlabelled, "epn-places"), (attendance, "epn-attendance")]


def _variant_contracts(folder: Path) -> list[tuple[Path, Report]]:
    """A contract with a unique column beside its key (as a source may declare), on a file
    that repeats it, and a file checked with no referenced delivery at hand."""
    import copy
    import dataclasses

    sites = registry.source("wifi-sites")
    schema = copy.deepcopy(sites.schema)
    field = next(f for f in schema["fields"] if f["name"] == "Adresse")
    field.setdefault("constraints", {})["unique"] = True
    unique_address = dataclasses.replace(sites, schema=schema)
    path = folder / "same-address.csv"
    lines = (RAW / "wifi-sites" / "sites-2008-01-15.csv").read_bytes().split(b"\r\n")
    first, second = lines[1].split(b";"), lines[2].split(b";")
    second[2] = first[2]
    lines[2] = b";".join(second)
    path.write_bytes(b"\r\n".join(lines))
    month = RAW / "epn-attendance" / "attendance-2007-01.csv"
    # A contract in transition: version 2.0.0 asks a new column, 1.0.0 is still accepted.
    asks_more = copy.deepcopy(sites.schema)
    asks_more["fields"].append(
        {"name": "Opérateur", "type": "string", "constraints": {"required": True}}
    )
    earlier = dataclasses.replace(sites, accepted_until="2099-12-31")
    current = dataclasses.replace(sites, version="2.0.0", schema=asks_more, previous=(earlier,))
    sample = RAW / "wifi-sites" / "sites-2008-01-15.csv"
    return [
        (path, validate_file(path, unique_address, RAW).report),
        (month, validate_file(month, registry.source("epn-attendance"), folder).report),
        (sample, validate_file(sample, current, RAW).report),
        (sample, validate_file(sample, current, RAW, version="0.9.0").report),
    ]


def _bounded_and_hostile(folder: Path) -> list[tuple[Path | None, Report]]:
    """Files past a source's bounds (small bounds, so that the files stay small), links,
    special files and hostile workbooks, and the intake's own findings."""
    import dataclasses

    from tests.hostile import files

    sites = registry.source("wifi-sites")
    sample = RAW / "wifi-sites" / "sites-2008-01-15.csv"
    found: list[tuple[Path | None, Report]] = []
    for limits in (
        {"maxFileBytes": 100},
        {"maxRows": 3},
        {"maxColumns": 4},
        {"maxCellChars": 5},
    ):
        bounded = dataclasses.replace(sites, limits=limits)
        found.append((None, validate_file(sample, bounded, RAW).report))
    gz = folder / "gz"
    gz.mkdir()
    bomb = _month(gz / "sessions-2007-11.csv.gz", [_row()] * 2000)
    sessions = dataclasses.replace(registry.source("wifi-sessions"), limits={"maxRows": 10})
    found.append((None, validate_file(bomb, sessions, RAW).report))
    tiny = dataclasses.replace(sessions, limits={"maxDecompressedBytes": 1000})
    found.append((None, validate_file(bomb, tiny, RAW).report))
    endless = gz / "sessions-2007-12.csv.gz"  # a header that never ends: 1.2 MB of "a,"
    endless.write_bytes(gzip.compress(b"a," * 600_000, mtime=0))
    found.append((endless, validate_file(endless, registry.source("wifi-sessions"), RAW).report))
    for maker, source in (
        (files.symlink, "wifi-sites"),
        (files.fifo, "epn-places"),
        (files.xlsx_entities, "epn-places"),
        (files.xlsx_sparse, "trainees"),
    ):
        where = folder / f"{maker.__name__}-{source}"
        where.mkdir()
        path = maker(where, source)
        found.append((path, validate_file(path, registry.source(source), RAW).report))
    month = folder / "export operateur.csv.gz"
    shutil.copy(RAW / "wifi-sessions" / "sessions-2007-10.csv.gz", month)
    _, report = intake.submit(month, registry.source("wifi-sessions"), folder / "r", folder / "q")
    found.append((None, report))
    broken = intake.quarantine_broken(sample, sites, folder / "q", "sites.csv", KeyError("field"))
    assert broken.stored is not None
    stored = json.loads(broken.stored.with_name(broken.stored.name + ".report.json").read_text())
    internal = Report("wifi-sites", "sites.csv", unreadable=True)
    internal.problems += [
        Problem(e["type"], params={"error": "KeyError"}) for e in stored["errors"]
    ]
    found.append((None, internal))
    return found


def _collect_problems(folder: Path) -> list[Report]:
    """Problems found across deliveries: what the publication's collect step adds."""
    raw = folder / "raw"
    shutil.copytree(RAW, raw)
    month = raw / "wifi-sessions" / "sessions-2008-03.csv.gz"
    _month(
        month,
        [
            # The hour skipped on 30 March 2008 and a session of another month.
            _row(session_id="00000000000000a1", start_time="2008-03-30 02:30:00"),
            _row(session_id="00000000000000a2", start_time="2008-04-02 10:00:00"),
            _row(session_id="00000000000000a3", start_time="2008-03-03 10:00:00"),
        ],
    )
    _month(
        raw / "wifi-sessions" / "sessions-2008-04.csv.gz",
        [_row(session_id="00000000000000a3", start_time="2008-04-03 10:00:00")],
    )
    sites = raw / "wifi-sites"
    newest = sorted(sites.iterdir())[-1]
    newest.rename(sites / "export_sites.csv")  # placed by hand, no date in its name
    shutil.rmtree(raw / "startups")
    (raw / "startups").mkdir()
    reports: list[Report] = []
    for dataset in registry.datasets().values():
        reports += steps.collect(dataset, raw, folder / "work").reports
    return reports


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path | None, Report]]:
    """(file, report) of every planted or committed delivery; file None for collect's."""
    folder = tmp_path_factory.mktemp("corpus")
    files: list[tuple[Path, str]] = []
    for name in registry.sources():
        for base in (FIXTURES / name, RAW / name):
            if base.is_dir():
                files += [(p, name) for p in sorted(base.iterdir()) if p.is_file()]
    files += [(p, "wifi-sessions") for p in _planted_months(folder)]
    files += _unreadable(folder)
    files += _planted_deliveries(folder)
    found: list[tuple[Path | None, Report]] = [
        (path, validate_file(path, registry.source(name), RAW).report) for path, name in files
    ]
    found += [(None, report) for _, report in _variant_contracts(folder)]
    found += _bounded_and_hostile(folder)
    found += [(None, r) for r in _collect_problems(folder)]
    return found


def _produced(corpus: list[tuple[Path | None, Report]]) -> dict[str, Problem]:
    return {p.type: p for _, report in corpus for p in report.problems}


_EMITTED = re.compile(
    r"(?:Problem|UnreadableFile|findings\.add|ctx\.problems|_field_check|\(\()\(?\s*"
    r'"([a-z]+(?:-[a-z]+)+)"'
)


def _emitted_in_source() -> set[str]:
    """Problem types written as literals where the library creates findings."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    return set(_EMITTED.findall(text))


def _known_to_messages() -> set[str]:
    """Every problem type the message catalogue has an entry for."""
    from opendata.report.messages import known_types

    return known_types()


def test_the_corpus_reaches_every_type_the_library_can_emit(corpus) -> None:  # type: ignore[no-untyped-def]
    produced = set(_produced(corpus))
    emitted = _emitted_in_source()
    assert len(emitted) > 30  # the scan itself works
    assert emitted - produced == set()


def test_every_type_with_a_message_is_produced_with_real_parameters(corpus) -> None:  # type: ignore[no-untyped-def]
    known, produced = _known_to_messages(), set(_produced(corpus))
    assert len(known) > 40  # the catalogue is read
    assert known - produced == set()  # no entry without a real finding behind it
    assert produced - known == set()  # no finding without its entry


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_problem_has_its_own_message_in_both_languages(corpus, lang: str) -> None:  # type: ignore[no-untyped-def]
    for _, report in corpus:
        for problem in report.problems:
            text = message(problem, lang, strict=True)
            assert text and "{" not in text, (problem, text)
    french = {message(p, "fr", strict=True) for p in _produced(corpus).values()}
    english = {message(p, "en", strict=True) for p in _produced(corpus).values()}
    assert not french & english  # each language has its own sentence


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_report_renders_in_every_format(corpus, fmt: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    for _, report in corpus:
        out = RENDERERS[fmt](report, lang)
        findings = report.errors + report.warnings
        kinds = Counter((p.type, p.label, p.severity) for p in findings if p.row and p.label)
        for problem in findings:
            sentence = message(problem, lang, strict=True)
            if fmt == "json":
                assert sentence in out.replace('\\"', '"')
            elif fmt == "html":
                assert "<" not in (problem.cell or "") or problem.cell not in out
            elif kinds[(problem.type, problem.label, problem.severity)] >= GROUP_AT:
                # Repeated in one column: one line gives the count and the rows, one example.
                count = kinds[(problem.type, problem.label, problem.severity)]
                line = next(x for x in out.splitlines() if x.lstrip().startswith(f"{count} "))
                rows = line.rsplit("(", 1)[-1]
                assert problem.label in line
                assert re.search(rf"\b{problem.row}\b", rows) or rows.endswith("…)")
            else:
                assert sentence.split(" ")[0] in out


def test_every_file_gives_a_report_from_the_command_line(corpus, capsys) -> None:  # type: ignore[no-untyped-def]
    for path, report in corpus:
        if path is None:
            continue
        for fmt in ("text", "json", "html"):
            for lang in ("fr", "en"):
                code = cli.main(
                    [
                        "validate",
                        str(path),
                        "--source",
                        report.source,
                        "--format",
                        fmt,
                        "--lang",
                        lang,
                        "--raw-dir",
                        str(RAW),
                    ]
                )
                out, err = capsys.readouterr()
                assert code == (2 if report.unreadable else 0 if report.valid else 1), path
                assert "internal error" not in err and "Traceback" not in err, (path, err)
                assert out or (fmt == "text" and err), (path, fmt)
                if fmt == "json":
                    assert json.loads(out)["valid"] is report.valid


def test_every_refused_delivery_gives_artifacts_and_intake_reports(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for index, (path, report) in enumerate(corpus):
        if report.valid:
            continue
        personal = registry.source(report.source).personal_data
        summary, rows = artifact(report, personal, "Jeu de données non publié.")
        assert summary.startswith(("# Livraison refusée", "# Livraison illisible"))
        assert len(rows) == len(report.errors)
        assert all(r["message"] for r in rows)
        if path is None or path.name.startswith("n" * 300) or not path.is_file():
            continue
        raw, quarantine = tmp_path / f"raw{index}", tmp_path / f"q{index}"
        receipt, _ = intake.submit(path, registry.source(report.source), raw, quarantine)
        if path.is_symlink() or not path.is_file():
            assert receipt.status == "refused" and receipt.reason, path  # never read
            continue
        assert receipt.status == "quarantined", path
        assert receipt.report is not None
        stored = json.loads(receipt.report.with_suffix(".json").read_text(encoding="utf-8"))
        # The intake checks against its own raw folder (empty here): the same engine and
        # messages, foreign keys aside.
        assert stored["valid"] is False and stored["errors"]
        assert all(e["message"] and "{" not in e["message"] for e in stored["errors"])
        assert receipt.report.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_the_corpus_is_what_it_claims(corpus) -> None:  # type: ignore[no-untyped-def]
    produced = _produced(corpus)
    assert produced["type-error"].params.get("field")  # the field the message needs
    conflicting = produced["primary-key"]
    assert conflicting.type == "primary-key"
    assert any(
        p.type == "primary-key" and "first_row" in p.params and p.cell == "0000000000000002"
        for _, r in corpus
        for p in r.problems
    )  # a repeat with other values names its first row, it is not "empty"
    assert any(
        p.type == "url-error" and "<script>" in (p.cell or "")
        for _, r in corpus
        for p in r.problems
    )  # markup in a web address is no address
    assert os.sep  # paths are real files on disk


def test_a_missing_column_of_an_operator_file_is_one_file_level_error(tmp_path: Path) -> None:
    path = _month(
        tmp_path / "sessions-2007-12.csv.gz",
        [[c for i, c in enumerate(_row(session_id=f"{n:016x}")) if i != 1] for n in range(50)],
        [h for h in HEADER if h != "site_code"],
    )
    report = validate_file(path, registry.source("wifi-sessions"), RAW).report
    assert report.flatten() == [(None, "site_code", "missing-label")]


def test_an_unreadable_file_gives_a_page_that_says_why(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sites.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert cli.main(["validate", str(path), "--source", "wifi-sites", "--format", "html"]) == 2
    page = capsys.readouterr().out
    assert page.startswith("<!doctype html>") and "ILLISIBLE" in page and "UTF-8" in page


def test_control_characters_in_cells_never_reach_the_terminal(tmp_path: Path) -> None:
    from opendata.report.render import as_text

    path = tmp_path / "sites.csv"
    data = (RAW / "wifi-sites" / "sites-2008-01-15.csv").read_bytes()
    first = data.split(b"\r\n")[1].split(b";")[0]
    fake = b"\x1b[2J\x1b[Hwifi-sites : sites.csv \xe2\x80\x94 VALIDE\x1b[8m"
    path.write_bytes(data.replace(first + b";", b"PW" + fake + b";", 1))
    text = as_text(validate_file(path, registry.source("wifi-sites"), RAW).report)
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert text.startswith("wifi-sites : sites.csv — NON VALIDE")


def test_markup_in_a_file_name_does_not_format_the_artifact() -> None:
    report = Report("wifi-sites", "[clic](http://evil.example)\n# Tout va bien *.csv")
    report.problems.append(Problem("empty-table"))
    summary, _ = artifact(report, personal=False)
    assert "[clic](http" not in summary and "\n# Tout" not in summary
    assert r"\[clic\](http://evil.example) \# Tout va bien \*.csv" in summary


def test_a_column_with_values_but_no_header_is_a_warning(corpus) -> None:  # type: ignore[no-untyped-def]
    report = next(r for p, r in corpus if p is not None and p.name == "epn-unlabelled-column.xlsx")
    assert report.valid
    assert [(w.type, w.params["column"], w.params["count"]) for w in report.warnings] == [
        ("unlabelled-column", "Q", 3)
    ]
    assert "La colonne Q a des valeurs (3 cellule(s)" in message(report.warnings[0], "fr")
