"""The validation report: what is wrong, where in the steward's own file, and how bad."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One finding: an error (the file is refused) or a warning (accepted, but look at it).

    ``row`` is the row number a spreadsheet shows for the steward's file (header and any title
    lines counted); ``None`` for file-level findings. ``label`` is the column as written in the
    file. ``params`` feed the message templates of :mod:`opendata.report.messages`.
    """

    type: str
    row: int | None = None
    label: str | None = None
    cell: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"

    def sort_key(self) -> tuple[int, int, str, str]:
        """File-level findings first, then by row, column position and type."""
        return (
            -1 if self.row is None else self.row,
            int(self.params.get("position", 0)),
            self.label or "",
            self.type,
        )


@dataclass
class Report:
    """Every finding about one delivery, with the counts a steward sees first."""

    source: str
    file: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    unreadable: bool = False
    omitted: int = 0  # errors found but not listed (very large files: the first ones are)
    sheet: str | None = None  # the workbook's sheet, for cell references such as EPN!D47
    profile: str | None = None  # the delivery profile it was read with (its title), if any
    # The contract that checked the file: {"source", "version", "fingerprint"}.
    contract: dict[str, Any] | None = None
    # What sending it would change to what is published (snapshot sources; see
    # opendata.publish.compare): None when nothing is published yet or the file is refused.
    comparison: dict[str, Any] | None = None
    features: bool = False  # a GeoJSON file: rows are its features, columns their properties

    @property
    def errors(self) -> list[Problem]:
        """Findings that make the delivery invalid, in file order."""
        return sorted((p for p in self.problems if p.severity == "error"), key=Problem.sort_key)

    @property
    def warnings(self) -> list[Problem]:
        """Findings that do not block the delivery, in file order."""
        return sorted((p for p in self.problems if p.severity == "warning"), key=Problem.sort_key)

    @property
    def valid(self) -> bool:
        """True when nothing blocks the delivery (warnings allowed)."""
        return not self.unreadable and not self.errors and not self.omitted

    def flatten(self) -> list[tuple[int | None, str | None, str]]:
        """(row, column, error type) of every error, the shape tests pin."""
        return [(p.row, p.label, p.type) for p in self.errors]

    def to_state(self) -> dict[str, Any]:
        """Every field, as plain data (for the files that keep a report between processes)."""
        data = asdict(self)
        data["problems"] = [asdict(p) for p in self.problems]
        return data

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Report:
        """The report :meth:`to_state` gave."""
        fields = dict(data)
        problems = [Problem(**p) for p in fields.pop("problems")]
        return cls(problems=problems, **fields)


class UnreadableFile(Exception):
    """The file cannot be read as a delivery of its source at all (exit code 2).

    ``kind`` names the message template; ``params`` fill it.
    """

    def __init__(self, kind: str, **params: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.params = params


def display_name(name: str) -> str:
    """A file name as a steward can read it anywhere: bytes that are not UTF-8 (a name from
    another system) shown as �, control characters as ?."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else "?" for ch in text)


MASK = "[donnée personnelle masquée]"
_CELL_PARAMS = ("unknown",)  # params that quote a cell's content


def redacted(report: Report) -> Report:
    """The report without any cell value: what may leave a steward's screen for a source that
    holds personal data (Prefect artifacts, logs). Rows, columns and error types stay."""
    problems = [
        Problem(
            p.type,
            p.row,
            p.label,
            None if p.cell is None else MASK,
            {k: ([MASK] if k in _CELL_PARAMS else v) for k, v in p.params.items()},
            p.severity,
        )
        for p in report.problems
    ]
    return replace(report, problems=problems)


def column_letters(number: int) -> str:
    """``1`` → ``A``, ``28`` → ``AB``: a column as a spreadsheet names it."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_reference(problem: Problem, sheet: str | None = None) -> str | None:
    """Where a finding is, as a spreadsheet names it: ``EPN!D47`` in a workbook, ``D47`` in a
    CSV file opened in a spreadsheet, ``47`` for a whole row; None for the whole file."""
    if problem.row is None:
        return None
    position = problem.params.get("position")
    if not isinstance(position, int) or position < 0:
        return str(problem.row)
    ref = f"{column_letters(position + 1)}{problem.row}"
    if sheet:
        quoted = sheet if sheet.replace("_", "").isalnum() else "'" + sheet.replace("'", "''") + "'"
        return f"{quoted}!{ref}"
    return ref


def feature_reference(problem: Problem) -> str | None:
    """Where a finding is in a GeoJSON file: ``features[7].properties.idpw`` (the 8th
    feature, counted from 0 as a program reads it); the feature alone for a row finding."""
    if problem.row is None:
        return None
    where = f"features[{problem.row - 2}]"
    return f"{where}.properties.{problem.label}" if problem.label else where


def where_in_file(problem: Problem, report: Report, lang: str = "fr") -> str | None:
    """Where a finding is, as the steward finds it in their own file: a spreadsheet's cell,
    or a GeoJSON file's feature and property (``entité 8, propriété « idpw »``)."""
    if not report.features or problem.row is None:
        return cell_reference(problem, report.sheet)
    from opendata.report.pieces import PIECES

    number = problem.row - 1
    key = "where_property" if problem.label else "where_feature"
    fr_text, en_text = PIECES[key]
    return (fr_text if lang == "fr" else en_text).format(number=number, label=problem.label)
