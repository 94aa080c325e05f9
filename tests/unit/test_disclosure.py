"""Disclosure control over linked tables: no small count published, none recoverable from all
the published tables together, and as little hidden as the rule allows."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from opendata.contracts import registry
from opendata.datasets.digital_training import transform as training
from opendata.datasets.protocol import transform_for
from opendata.publish import disclosure, steps
from opendata.publish.disclosure import THRESHOLD_ENV, Rule, protect
from opendata.publish.disclosure_audit import audit
from tests.conftest import FIXTURES, ROOT

DATASET = registry.dataset("digital-training")
RULE = Rule.from_descriptor(DATASET.descriptor)
assert RULE is not None
TABLES = ["by-sex", "by-age-band", "by-entry-status", "by-outcome"]
TOTALS = ["enrolled", "completed", "certified", "employed_6m"]
LEFT = ["pending", "employed", "further_training", "job_seeking", "no_news"]

Relation = tuple[dict[str, float], str]  # coefficients of labelled values, "=" or "<=" 0


def attack(numbers: dict[str, float | None], relations: list[Relation]) -> dict[str, tuple]:
    """An outsider's attack, independent of the library: one integer program over every
    published figure at once; for each blank, the smallest and largest whole value it can take
    given all the relations and counts at least 0."""
    blanks = sorted(k for k, v in numbers.items() if v is None)
    col = {k: i for i, k in enumerate(blanks)}
    rows, low, high = [], [], []
    for coef, sense in relations:
        row, constant = np.zeros(len(blanks)), 0.0
        for label, c in coef.items():
            value = numbers[label]
            if value is None:
                row[col[label]] += c
            else:
                constant += c * value
        if not row.any():
            continue
        rows.append(row)
        low.append(-constant if sense == "=" else -np.inf)
        high.append(-constant)
    found = {}
    for label in blanks:
        objective = np.zeros(len(blanks))
        objective[col[label]] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = milp(
                sign * objective,
                integrality=np.ones(len(blanks)),
                bounds=Bounds(0, 10_000),  # far above any count: "unbounded" for our purpose
                constraints=[LinearConstraint(np.array(rows), low, high)] if rows else [],
            )
            assert result.status == 0, result.message
            ends.append(sign * result.fun)
        found[label] = (ends[0], ends[1])
    return found


def published_relations(frames: dict[str, pd.DataFrame]) -> tuple[dict, list[Relation]]:
    """The figures of the published tables and the relations the package documents between
    them (each by-… table sums to enrolled; by-outcome's cells other than ongoing to completed,
    its employed cell is employed_6m; certified is at most completed), written from the
    documentation alone."""
    numbers: dict[str, float | None] = {}
    summary = frames["programme-summary"]
    relations: list[Relation] = []
    for _, total in summary.iterrows():
        group = f"{total.programme}/{total.year}"
        for name in TOTALS:
            numbers[f"{group}/{name}"] = None if pd.isna(total[name]) else float(total[name])
        relations.append(({f"{group}/certified": 1, f"{group}/completed": -1}, "<="))
        for table in TABLES:
            rows = frames[table]
            rows = rows[(rows.programme == total.programme) & (rows.year == total.year)]
            dimension = rows.columns[2]
            labels = {}
            for _, row in rows.iterrows():
                label = f"{group}/{table}/{row[dimension]}"
                numbers[label] = None if pd.isna(row.trainees) else float(row.trainees)
                labels[row[dimension]] = label
            relations.append(({**{v: 1 for v in labels.values()}, f"{group}/enrolled": -1}, "="))
            if table == "by-outcome":
                left = {labels[o]: 1 for o in LEFT}
                relations.append(({**left, f"{group}/completed": -1}, "="))
                relations.append(({labels["employed"]: 1, f"{group}/employed_6m": -1}, "="))
    return numbers, relations


def _exact(people: pd.DataFrame) -> dict[str, pd.DataFrame]:
    tables = {n: training.breakdown(people, *spec) for n, spec in training.BREAKDOWNS.items()}
    return {**tables, "programme-summary": training.summary(people)}


def _truth(frames: dict[str, pd.DataFrame]) -> dict[str, float]:
    numbers, _ = published_relations(frames)
    return {k: float(v) for k, v in numbers.items() if v is not None}


def _people(rng: np.random.Generator, sizes: dict[tuple[str, int], int]) -> pd.DataFrame:
    """Random trainees (dimensions only) in groups of the given sizes, outcomes consistent."""
    rows = []
    for (programme, year), size in sizes.items():
        for _ in range(size):
            outcome = str(rng.choice(training.OUTCOMES))
            rows.append(
                {
                    "programme": programme,
                    "year": year,
                    "sex": str(rng.choice(["F", "M"], p=[0.6, 0.4])),
                    "age_band": str(rng.choice(["16-25", "26-44", "45-70"], p=[0.5, 0.4, 0.1])),
                    "entry_status": str(rng.choice(list(training.ENTRY_STATUS.values()))),
                    "outcome": outcome,
                    "certified": outcome != "ongoing" and bool(rng.random() < 0.6),
                }
            )
    return pd.DataFrame(rows)


def _check_protected(exact: dict[str, pd.DataFrame], out: dict[str, pd.DataFrame]) -> int:
    """The attack on ``out``: every blank at least the width wide, every small true count
    hidden, the truth inside each interval. Returns the number of small counts checked."""
    numbers, relations = published_relations(out)
    truth = _truth(exact)
    for label, value in numbers.items():
        assert value is None or value == 0 or value >= RULE.threshold, (label, value)
    small = 0
    for label, (low, high) in attack(numbers, relations).items():
        assert low - 1e-6 <= truth[label] <= high + 1e-6, label  # the attack model is sound
        assert high - low >= RULE.protection_width - 1e-6, (label, low, high)
        small += 1 <= truth[label] < RULE.threshold
    assert small == sum(1 <= v < RULE.threshold for v in truth.values())
    return small


def _spec() -> dict:  # type: ignore[type-arg]
    return RULE.as_metadata()


def test_primary_suppression_alone_is_recoverable_and_the_audit_says_so() -> None:
    people = _people(np.random.default_rng(0), {("Animateurs numériques", 2007): 23})
    exact = _exact(people)
    naive = {}
    for name, frame in exact.items():
        frame = frame.copy()
        if name in TABLES:
            frame["suppressed"] = frame.trainees.between(1, RULE.threshold - 1)
            frame["trainees"] = frame.trainees.astype("Int64").mask(frame.suppressed)
        else:
            for f in TOTALS:
                frame[f] = frame[f].astype("Int64").mask(frame[f].between(1, RULE.threshold - 1))
        naive[name] = frame
    assert any("can be narrowed" in b for b in audit(naive, _spec()))
    numbers, relations = published_relations(naive)
    assert any(high - low < RULE.threshold for low, high in attack(numbers, relations).values())
    protected = protect(exact, RULE)
    assert audit(protected, _spec()) == []
    assert _check_protected(exact, protected) > 0


@pytest.mark.parametrize("seed", range(6))
def test_generated_linked_tables_are_protected_together(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = {
        (p, y): int(rng.integers(3, 40))
        for p in training.PROGRAMMES
        for y in (2006, 2007)  # two years: every group of the transform's grid
    }
    exact = _exact(_people(rng, sizes))
    protected = protect(exact, RULE)
    assert audit(protected, _spec()) == []
    _check_protected(exact, protected)


def _tiny_rule() -> tuple[Rule, dict[str, pd.DataFrame]]:
    """One group, two linked tables (3 and 2 cells) and their total: small enough to try every
    suppression pattern."""
    spec = {
        "threshold": 5,
        "protectionWidth": 5,
        "groupBy": ["g"],
        "count": "n",
        "flag": "s",
        "totals": {"resource": "t", "fields": ["total"]},
        "tables": ["a", "b"],
        "sums": [{"total": "total", "resource": "a"}, {"total": "total", "resource": "b"}],
    }
    frames = {
        "a": pd.DataFrame({"g": [1, 1, 1], "k": ["x", "y", "z"], "n": [3, 9, 6]}),
        "b": pd.DataFrame({"g": [1, 1], "k": ["u", "v"], "n": [2, 16]}),
        "t": pd.DataFrame({"g": [1], "total": [18]}),
    }
    return Rule(5, 5, spec), frames


def test_the_optimiser_hides_no_more_than_the_best_pattern_found_by_trying_them_all() -> None:
    rule, frames = _tiny_rule()
    values = {"a0": 3, "a1": 9, "a2": 6, "b0": 2, "b1": 16, "total": 18}
    relations: list[Relation] = [
        ({"a0": 1, "a1": 1, "a2": 1, "total": -1}, "="),
        ({"b0": 1, "b1": 1, "total": -1}, "="),
    ]
    best = None
    for size in range(len(values) + 1):
        for hidden in itertools.combinations(sorted(values), size):
            if not {"a0", "b0"} <= set(hidden):
                continue
            numbers = {k: (None if k in hidden else float(v)) for k, v in values.items()}
            widths = [h - lo for lo, h in attack(numbers, relations).values()]
            if all(w >= 5 for w in widths):
                cost = sum(values[k] + 1 for k in hidden)
                best = cost if best is None else min(best, cost)
    out = protect(frames, rule)
    hidden = {f"a{i}" for i in out["a"].index[out["a"].s]} | {
        f"b{i}" for i in out["b"].index[out["b"].s]
    }
    hidden |= {"total"} if out["t"].total.isna().any() else set()
    assert best is not None and sum(values[k] + 1 for k in hidden) == best
    # Hiding the total (18) beside the two small cells costs less than hiding 6 and 16 with them.
    assert hidden == {"a0", "b0", "total"}


def test_an_inconsistent_rule_is_refused() -> None:
    rule, frames = _tiny_rule()
    frames["b"] = pd.DataFrame({"g": [2], "k": ["u"], "n": [3]})  # a group the totals lack
    with pytest.raises(ValueError, match="totals resource"):
        protect(frames, rule)


def test_audit_catches_a_published_small_count_and_a_flag_mismatch() -> None:
    exact = _exact(_people(np.random.default_rng(3), {("Animateurs numériques", 2006): 30}))
    protected = protect(exact, RULE)
    broken = {**protected, "by-sex": protected["by-sex"].copy()}
    broken["by-sex"].loc[0, "trainees"] = 2
    broken["by-sex"].loc[0, "suppressed"] = False
    assert any("published count 2 < 5" in b for b in audit(broken, _spec()))
    broken["by-sex"] = protected["by-sex"].copy()
    broken["by-sex"].loc[0, "suppressed"] = not bool(broken["by-sex"].loc[0, "suppressed"])
    assert any("flag and blank disagree" in b for b in audit(broken, _spec()))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published")
    steps.publish("digital-training", ROOT / "raw", out)
    return out / "digital-training"


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    frames = {n: pd.read_csv(folder / f"{n}.csv", dtype={"trainees": "Int64"}) for n in TABLES}
    summary = pd.read_csv(folder / "programme-summary.csv")
    frames["programme-summary"] = summary.astype({c: "Int64" for c in TOTALS})
    return frames


def test_published_sample_passes_the_attack_over_every_table_together(published: Path) -> None:
    frames = _read(published)
    for name in TABLES:
        assert (frames[name].trainees.isna() == frames[name].suppressed).all()
    exact = transform_for("digital-training")(steps.collect(DATASET, ROOT / "raw").inputs)
    assert _check_protected(exact, frames) > 10  # the sample has many small counts


def test_most_trainees_are_visible_in_each_breakdown(published: Path) -> None:
    """The utility the linked tables were chosen for (bench/disclosure_utility.py prints it);
    release 1.0.0's five-way table showed 32 of the 150."""
    frames = _read(published)
    shares = {n: frames[n].trainees.sum() / 150 for n in TABLES}
    assert frames["programme-summary"].enrolled.sum() == 150  # no programme-year total hidden
    assert shares["by-sex"] > 0.9 and shares["by-entry-status"] > 0.9
    assert min(shares.values()) > 0.75, shares  # the 30-person programme limits the rest


def test_rule_and_parameters_are_in_the_package_metadata(published: Path) -> None:
    descriptor = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    rule = descriptor["disclosureControl"]
    assert rule["method"] == "linked-tables-optimal-cell-suppression"
    assert (rule["threshold"], rule["protectionWidth"]) == (5, 5)
    assert rule["tables"] == TABLES
    names = [r["name"] for r in descriptor["resources"] if r["format"] == "csv"]
    assert names == [*TABLES, "programme-summary"]
    for resource in descriptor["resources"]:
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        for name in ("trainees", "enrolled", "certified"):
            if name in fields:
                assert "secret statistique" in fields[name]["description"]


def test_threshold_is_a_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, published: Path
) -> None:
    monkeypatch.setenv(THRESHOLD_ENV, "3")
    steps.publish("digital-training", ROOT / "raw", tmp_path)
    descriptor = json.loads((tmp_path / "digital-training" / "datapackage.json").read_text())
    assert descriptor["disclosureControl"]["threshold"] == 3
    low, default = _read(tmp_path / "digital-training"), _read(published)
    assert sum(low[n].suppressed.sum() for n in TABLES) < sum(
        default[n].suppressed.sum() for n in TABLES
    )
    for name in TABLES:
        assert not low[name].trainees.dropna().between(1, 2).any()


def test_a_protection_bug_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unprotected(frames: dict[str, pd.DataFrame], rule: Rule) -> dict[str, pd.DataFrame]:
        return {
            n: f.assign(suppressed=False, trainees=f.trainees.astype("Int64")) if n in TABLES else f
            for n, f in frames.items()
        }

    monkeypatch.setattr(steps, "protect", unprotected)
    with pytest.raises(steps.DisclosureBreach, match="published count"):
        steps.publish("digital-training", ROOT / "raw", tmp_path)
    assert not (tmp_path / "digital-training").exists()


def test_the_new_tables_are_a_major_release_that_explains_itself(tmp_path: Path) -> None:
    """Over release 1.0.0 (the five-way table, as it was published), the linked tables are
    2.0.0, and the changelog tells consumers where `outcomes` went."""
    shutil.copytree(FIXTURES / "releases" / "digital-training-1.0.0", tmp_path / "digital-training")
    steps.publish("digital-training", ROOT / "raw", tmp_path)
    folder = tmp_path / "digital-training"
    changes = json.loads((folder / "changes.json").read_text(encoding="utf-8"))
    assert (changes["version"], changes["level"]) == ("2.0.0", "major")
    assert changes["resourcesRemoved"] == ["outcomes"]
    assert changes["resourcesRemovedWhy"]["outcomes"].startswith("Le croisement à cinq dimensions")
    changelog = (folder / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog.split("## 1.0.0")[0]
    assert "## 2.0.0" in entry and "Version majeure" in entry
    assert "`outcomes` : ressource retirée. Le croisement à cinq dimensions" in entry
    assert "by-outcome" in entry and "`by-sex` : nouvelle ressource." in entry
    assert (folder / "releases" / "1.0.0" / "outcomes.csv").exists()  # the old one stays
    assert not (folder / "outcomes.csv").exists()
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert list(descriptor["x-retired-resources"]) == ["outcomes"]


def test_a_first_publication_explains_no_resource_nobody_saw(tmp_path: Path) -> None:
    """A fresh clone publishes the linked tables as 1.0.0: no `outcomes` to explain."""
    steps.publish("digital-training", ROOT / "raw", tmp_path)
    descriptor = json.loads(
        (tmp_path / "digital-training" / "datapackage.json").read_text(encoding="utf-8")
    )
    assert descriptor["version"] == "1.0.0" and "x-retired-resources" not in descriptor
    again = steps.publish("digital-training", ROOT / "raw", tmp_path)
    assert again is not None and not (tmp_path / "digital-training" / "releases" / "1.0.1").exists()


def test_the_pattern_search_converges_quickly_on_the_sample() -> None:
    """Every group is solved in a handful of rounds (the cuts come from the attack's duals,
    not from excluding one pattern at a time)."""
    exact = transform_for("digital-training")(steps.collect(DATASET, ROOT / "raw").inputs)
    calls = []
    real = disclosure.intervals

    def counted(group, hidden):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(group, hidden)

    try:
        disclosure.intervals = counted  # type: ignore[assignment]
        protect(exact, RULE)
    finally:
        disclosure.intervals = real  # type: ignore[assignment]
    assert len(calls) <= 6 * 2, len(calls)  # six groups (one-pattern-at-a-time cuts take 16)
