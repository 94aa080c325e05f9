"""A delivery is validated once on its way to publication (:mod:`opendata.validate.remembered`):
the intake and the publication reuse the validation of the same bytes under the same key, and
validate again as soon as what the validation depended on changes (the contract, a referenced
delivery, the day a transition ends)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from opendata import intake
from opendata.contracts import registry
from opendata.publish import steps
from opendata.validate import remembered

DATASET = "digital-public-spaces"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files really validated through the store."""
    seen: list[str] = []
    real = remembered.validate_file

    def recorded(path: Path, *args: Any, **kwargs: Any) -> Any:
        seen.append(path.name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(remembered, "validate_file", recorded)
    return seen


def _collect(raw: Path) -> steps.Collected:
    return steps.collect(registry.dataset(DATASET), raw)


def test_a_second_publication_reuses_every_validation_whole(
    raw_copy: Path, validations: list[str]
) -> None:
    first = _collect(raw_copy)
    deliveries = len(list((raw_copy / "epn-places").iterdir())) + 12
    assert first.valid and first.validated == deliveries == len(validations)
    validations.clear()
    again = _collect(raw_copy)
    assert validations == [] and again.validated == 0
    assert [r.flatten() for r in again.reports] == [r.flatten() for r in first.reports]
    assert [r.file for r in again.reports] == [r.file for r in first.reports]
    for name, delivered in first.inputs.items():
        for before, after in zip(delivered, again.inputs[name], strict=True):
            pd.testing.assert_frame_equal(before.values, after.values)
            pd.testing.assert_frame_equal(before.text, after.text)
    assert steps.build(registry.dataset(DATASET), again)  # what is built from it is whole


def test_a_replaced_reference_validates_the_files_that_look_it_up_again(
    raw_copy: Path, validations: list[str]
) -> None:
    assert _collect(raw_copy).valid
    validations.clear()
    # A newer list of places without EPN-01, which every month of attendance names.
    book = openpyxl.load_workbook(raw_copy / "epn-places" / "epn-2008-01-15.xlsx")
    sheet = book.worksheets[0]
    row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "EPN-01")
    sheet.delete_rows(row)
    book.save(raw_copy / "epn-places" / "epn-2008-02-15.xlsx")
    collected = _collect(raw_copy)
    assert sorted(validations) == sorted(
        ["epn-2008-02-15.xlsx", *(p.name for p in (raw_copy / "epn-attendance").iterdir())]
    )  # the unchanged first list of places was kept
    refused = [r for r in collected.reports if not r.valid]
    assert len(refused) == 12 and all(r.source == "epn-attendance" for r in refused)
    assert all(
        any(p.type == "foreign-key" and p.cell == "EPN-01" for p in r.errors) for r in refused
    )


def test_the_key_names_everything_a_validation_depends_on(raw_copy: Path) -> None:
    source = registry.source("epn-attendance")
    sha = "ab" * 32
    today = dt.date(2026, 12, 5)
    base = remembered.key(sha, source, raw_copy, today=today)
    assert remembered.key(sha, source, raw_copy, today=today) == base  # stable
    other_rule = dataclasses.replace(source, checks=[*source.checks, {"type": "x"}])
    earlier = dataclasses.replace(source, version="0.9.0", accepted_until="2026-12-31")
    in_transition = dataclasses.replace(source, previous=(earlier,))
    changed = {
        "bytes": remembered.key("cd" * 32, source, raw_copy, today=today),
        "contract": remembered.key(sha, other_rule, raw_copy, today=today),
        "version asked": remembered.key(sha, source, raw_copy, "0.9.0", today),
        "references": remembered.key(sha, source, raw_copy.parent / "none", today=today),
        "transition": remembered.key(sha, in_transition, raw_copy, today=today),
    }
    assert base not in changed.values() and len(set(changed.values())) == len(changed)
    # The day the earlier version stops being accepted, the key is the current contract's.
    after = remembered.key(sha, in_transition, raw_copy, today=dt.date(2027, 1, 1))
    assert after == remembered.key(sha, source, raw_copy, today=dt.date(2027, 1, 1))


def test_a_file_the_intake_received_is_not_validated_again_by_the_publication(
    raw_copy: Path, tmp_path: Path, validations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _collect(raw_copy).valid
    month = tmp_path / "attendance-2008-01.csv"
    text = (raw_copy / "epn-attendance" / "attendance-2007-12.csv").read_text(encoding="utf-8")
    month.write_text(text.replace("2007-12", "2008-01"), encoding="utf-8")
    source = registry.source("epn-attendance")
    receipt, report = intake.submit(month, source, raw_copy, tmp_path / "q")
    assert receipt.status == "accepted" and report.valid
    validations.clear()
    collected = _collect(raw_copy)
    assert collected.valid and validations == [] and collected.validated == 0
    assert receipt.stored is not None
    assert collected.inputs["epn-attendance"][-1].name == receipt.stored.name


def test_a_damaged_or_foreign_entry_is_validated_again_never_trusted(
    raw_copy: Path, validations: list[str]
) -> None:
    assert _collect(raw_copy).valid
    store = remembered.store_of(raw_copy)
    entries = sorted((store / "epn-attendance").glob("*.arrow"))
    assert len(entries) == 12 and all(e.stat().st_mode & 0o077 == 0 for e in entries)
    entries[0].write_bytes(b"not arrow at all")
    validations.clear()
    assert _collect(raw_copy).valid
    assert len(validations) == 1
    # A delivery gone: its entry goes with it.
    shutil.rmtree(raw_copy / "epn-attendance")
    (raw_copy / "epn-attendance").mkdir()
    _collect(raw_copy)
    assert not list((store / "epn-attendance").glob("*.arrow"))


def test_the_same_bytes_under_another_name_keep_their_own_name(
    raw_copy: Path, validations: list[str]
) -> None:
    assert _collect(raw_copy).valid
    folder = raw_copy / "epn-attendance"
    (folder / "attendance-2007-12.csv").rename(folder / "attendance-2007-12-bis.csv")
    validations.clear()
    collected = _collect(raw_copy)
    assert validations == []
    assert "attendance-2007-12-bis.csv" in [r.file for r in collected.reports]
    digest = hashlib.sha256((folder / "attendance-2007-12-bis.csv").read_bytes()).hexdigest()
    assert any(
        e.name.startswith(digest[:32])
        for e in (remembered.store_of(raw_copy) / "epn-attendance").iterdir()
    )


def test_a_store_that_cannot_be_written_costs_validations_never_the_publication(
    raw_copy: Path, validations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk or a read-only work folder: every file is validated, nothing fails (the
    tests run as root, who writes anywhere: the refusals are the file system's, simulated)."""
    assert _collect(raw_copy).valid
    entries = sorted((remembered.store_of(raw_copy) / "epn-attendance").glob("*.arrow"))
    entries[0].write_bytes(b"damaged")
    refused = OSError(30, "Read-only file system")

    def read_only(*args: Any, **kwargs: Any) -> None:
        raise refused

    monkeypatch.setattr(Path, "unlink", read_only)
    monkeypatch.setattr(remembered, "write_file", read_only)
    validations.clear()
    collected = _collect(raw_copy)
    assert collected.valid and len(validations) == 1  # the damaged one, validated again


def test_a_kept_validation_reads_back_as_it_was_made(tmp_path: Path) -> None:
    """Every column of a kept validation comes back whole: cells, values and masks. A cell
    with a type error is neither missing nor cast (it used to come back as missing)."""
    from tests.conftest import FIXTURES

    source = registry.source("wifi-sites")
    made = remembered.validate_file(FIXTURES / "wifi-sites" / "every-error.csv", source)
    assert any(p.type == "type-error" for p in made.report.problems)
    remembered.save(tmp_path, source.name, "k", made)
    kept = remembered.load(tmp_path, source.name, "k")
    assert kept is not None and kept.rows == made.rows
    as_json = json.loads(json.dumps(made.report.to_state()))  # a pair of bounds: a list
    assert kept.report.to_state() == as_json
    assert list(kept.columns) == list(made.columns)
    wrong = 0
    for label, column in made.columns.items():
        again = kept.columns[label]
        for mask in ("absent", "missing", "ok"):
            assert (getattr(again, mask) == getattr(column, mask)).all(), (label, mask)
        assert again.values.equals(column.values) and again.text.equals(column.text), label
        wrong += int((~column.missing & ~column.ok).sum())
    assert wrong  # cells that did not cast are in the file
