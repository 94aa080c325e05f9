"""Disclosure control: no small count published, no suppressed count recoverable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from opendata import publishing, registry
from opendata.disclosure import THRESHOLD_ENV, Rule, protect
from opendata.disclosure_audit import audit
from opendata.transforms.digital_training import KEY, OUTCOMES
from tests.conftest import ROOT

DATASET = registry.dataset("digital-training")
RULE = Rule.from_descriptor(DATASET.descriptor)
assert RULE is not None


def _table(counts: dict[tuple[str, int], list[int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cells for (programme, year) groups: 2 sexes x 3 bands x 6 outcomes, from flat counts."""
    rows, totals = [], []
    for (programme, year), values in counts.items():
        group = []
        it = iter(values)
        for sex in ("F", "M"):
            for band in ("16-25", "26-44", "45-70"):
                for outcome in OUTCOMES:
                    group.append([programme, year, sex, band, outcome, next(it)])
        frame = pd.DataFrame(group, columns=[*KEY, "trainees"])
        rows.append(frame)
        totals.append(
            {
                "programme": programme,
                "year": year,
                "enrolled": int(frame.trainees.sum()),
                "completed": int(frame[frame.outcome != "ongoing"].trainees.sum()),
                "certified": int(frame[frame.outcome != "ongoing"].trainees.sum() // 2),
                "employed_6m": int(frame[frame.outcome == "employed"].trainees.sum()),
            }
        )
    return pd.concat(rows, ignore_index=True), pd.DataFrame(totals)


def attack(cells: pd.DataFrame, summary: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """What an outsider can work out of each blank: an LP over the published figures alone,
    written from the schema descriptions (independent of the library's code)."""
    found = {}
    for (programme, year), group in cells.groupby(["programme", "year"]):
        total = summary[(summary.programme == programme) & (summary.year == year)].iloc[0]
        blanks = [f"cell{i}" for i in group.index[group.trainees.isna()]]
        blanks += [
            c for c in ("enrolled", "completed", "certified", "employed_6m") if pd.isna(total[c])
        ]
        if not blanks:
            continue
        var = {b: i for i, b in enumerate(blanks)}
        eqs, rhs = [], []
        for name, members in (
            ("enrolled", group),
            ("completed", group[group.outcome != "ongoing"]),
            ("employed_6m", group[group.outcome == "employed"]),
        ):
            row, known = np.zeros(len(blanks)), 0.0
            for i, v in members.trainees.items():
                if pd.isna(v):
                    row[var[f"cell{i}"]] = 1
                else:
                    known += v
            if pd.isna(total[name]):
                row[var[name]] = -1
                eqs.append(row)
                rhs.append(-known)
            else:
                eqs.append(row)
                rhs.append(total[name] - known)
        ub, ub_rhs = [], []
        if "certified" in var or "completed" in var:  # certified <= completed
            row, known = np.zeros(len(blanks)), 0.0
            for name, sign in (("certified", 1), ("completed", -1)):
                if name in var:
                    row[var[name]] = sign
                else:
                    known -= sign * total[name]
            ub.append(row)
            ub_rhs.append(known)
        for b, i in var.items():
            c = np.zeros(len(blanks))
            c[i] = 1
            kw = {"A_eq": np.array(eqs), "b_eq": rhs, "bounds": [(0, None)] * len(blanks)}
            if ub:
                kw.update(A_ub=np.array(ub), b_ub=ub_rhs)
            lo, hi = linprog(c, **kw), linprog(-c, **kw)
            assert lo.status == 0
            found[f"{programme}/{year}/{b}"] = (lo.fun, np.inf if hi.status == 3 else -hi.fun)
    return found


def _spec(rule: Rule) -> dict:  # type: ignore[type-arg]
    return rule.as_metadata(DATASET.descriptor["disclosureControl"])


def test_primary_suppression_alone_is_recoverable_and_the_audit_says_so() -> None:
    values = [0] * 36
    values[0], values[1], values[2] = 3, 20, 9  # one small cell among big ones
    cells, summary = _table({("Animateurs numériques", 2007): values})
    naive = cells.copy()
    naive["suppressed"] = naive.trainees.between(1, 4)
    naive["trainees"] = naive.trainees.astype("Int64").mask(naive.suppressed)
    breaches = audit(naive, summary.astype({c: "Int64" for c in summary.columns[2:]}), _spec(RULE))
    assert any("can be narrowed to [3, 3]" in b for b in breaches)
    protected, totals = protect(cells, summary, RULE)
    assert audit(protected, totals, _spec(RULE)) == []
    assert protected.suppressed.sum() >= 2  # the small cell and at least one complement


@pytest.mark.parametrize("seed", range(8))
def test_generated_tables_are_protected(seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = {}
    for programme in ("Métiers de l'informatique", "Animateurs numériques"):
        for year in (2006, 2007):
            values = rng.choice([0, 0, 0, 1, 2, 3, 4, 6, 9, 15], size=36).tolist()
            groups[(programme, year)] = values
    cells, summary = _table(groups)
    protected, totals = protect(cells, summary, RULE)
    assert audit(protected, totals, _spec(RULE)) == []
    published = protected.trainees.dropna()
    assert not published.between(1, 4).any()
    for name, (low, high) in attack(protected, totals).items():
        assert high - low >= RULE.threshold, (name, low, high)


def test_audit_catches_a_published_small_count_and_a_flag_mismatch() -> None:
    values = [0] * 36
    values[0] = 7
    cells, summary = _table({("Animateurs numériques", 2006): values})
    protected, totals = protect(cells, summary, RULE)
    broken = protected.copy()
    broken.loc[1, "trainees"] = 2
    assert any("published count 2 < 5" in b for b in audit(broken, totals, _spec(RULE)))
    broken = protected.copy()
    broken.loc[0, "suppressed"] = True
    assert any("flag and blank disagree" in b for b in audit(broken, totals, _spec(RULE)))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published")
    publishing.publish("digital-training", ROOT / "raw", out)
    return out / "digital-training"


def test_published_sample_passes_the_attack(published: Path) -> None:
    cells = pd.read_csv(published / "outcomes.csv", dtype={"trainees": "Int64"})
    summary = pd.read_csv(published / "programme-summary.csv").astype(
        {c: "Int64" for c in ("enrolled", "completed", "certified", "employed_6m")}
    )
    numbers = pd.concat([cells.trainees, *(summary[c] for c in summary.columns[2:])]).dropna()
    assert not numbers.between(1, 4).any()
    assert (cells.trainees.isna() == cells.suppressed).all()
    intervals = attack(cells, summary)
    assert intervals, "the sample has small counts: something must be suppressed"
    exact = publishing.collect(DATASET, ROOT / "raw")
    from opendata.transforms import transform_for

    truth = transform_for("digital-training")(exact.inputs)["outcomes"]
    for name, (low, high) in intervals.items():
        assert high - low >= 5, (name, low, high)
        if "/cell" in name:
            value = truth.loc[int(name.rsplit("cell", 1)[1]), "trainees"]
            assert low - 1e-6 <= value <= high + 1e-6  # the attack model is sound


def test_rule_and_parameters_are_in_the_package_metadata(published: Path) -> None:
    descriptor = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    rule = descriptor["disclosureControl"]
    assert rule["method"] == "threshold-with-complementary-suppression"
    assert (rule["threshold"], rule["protectionWidth"]) == (5, 5)
    for resource in descriptor["resources"]:
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        for name in ("trainees", "enrolled", "certified"):
            if name in fields:
                assert "secret statistique" in fields[name]["description"]


def test_threshold_is_a_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, published: Path
) -> None:
    monkeypatch.setenv(THRESHOLD_ENV, "3")
    publishing.publish("digital-training", ROOT / "raw", tmp_path)
    descriptor = json.loads((tmp_path / "digital-training" / "datapackage.json").read_text())
    assert descriptor["disclosureControl"]["threshold"] == 3
    cells = pd.read_csv(tmp_path / "digital-training" / "outcomes.csv")
    default = pd.read_csv(published / "outcomes.csv")
    assert cells.suppressed.sum() < default.suppressed.sum()
    assert not cells.trainees.dropna().between(1, 2).any()


def test_a_protection_bug_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        publishing,
        "protect",
        lambda cells, margins, rule: (
            cells.assign(suppressed=False, trainees=cells.trainees.astype("Int64")),
            margins,
        ),
    )
    with pytest.raises(publishing.DisclosureBreach, match="published count"):
        publishing.publish("digital-training", ROOT / "raw", tmp_path)
    assert not (tmp_path / "digital-training").exists()
