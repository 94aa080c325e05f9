"""Checks a Table Schema cannot express, declared per source in ``source.json``.

Each check kind is a function ``(context, spec) -> problems`` over whole Arrow columns (the
cells as text, and the typed values the Table Schema engine cast), registered under the name a
contract uses with :func:`~opendata.validate.rules.base.check`; a source lists the checks it
needs with the columns they apply to, so the contract stays data and only the rules are code.
A rule written for one cell (a SIREN's check digit, an opening-hours expression) runs once per
distinct value of the column, not once per row. No pandas: ``opendata validate`` stays light.

One module per family of rules in this folder, found by name: a new kind is a function in one
of them (or a new module here) and its use in a contract; its words are in the message
catalogue (:mod:`opendata.report.catalogue`) under the problem type it reports, or beside the
rule in the module's ``WORDS`` (:func:`load_families` adds them to the catalogue).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any

from opendata.contracts import registry
from opendata.contracts.registry import ContractError, Source
from opendata.report.catalogue import CATALOGUE, KIND_TITLES
from opendata.validate.rules.base import (
    CHECKS,
    KEY_NORMALISERS,
    WHOLE_FILE_CHECKS,
    Check,
    Context,
    check,
    run_checks,
)

__all__ = [
    "CHECKS",
    "KEY_NORMALISERS",
    "WHOLE_FILE_CHECKS",
    "Check",
    "Context",
    "check",
    "load_families",
    "refuse_unrunnable",
    "refuse_unrunnable_contracts",
    "run_checks",
]


# check type -> what it asks of a file, French and English (``RULES`` beside each family).
RULE_WORDS: dict[str, tuple[str, str]] = {}
# check type -> its parameters in source.json and their kinds ("?": optional), and the values
# it must accept and refuse: (spec, [(column, type)], accepted rows, refused rows).
PARAMETERS: dict[str, dict[str, str]] = {}
EXAMPLES: dict[str, tuple[dict[str, Any], list[tuple[str, str]], list[Any], list[Any]]] = {}
_COMMON = {"type": "text", "severity?": "severity"}
_KINDS: dict[str, Any] = {
    "text": lambda v, labels: isinstance(v, str),
    "number": lambda v, labels: isinstance(v, (int, float)) and not isinstance(v, bool),
    "list": lambda v, labels: isinstance(v, list),
    "object": lambda v, labels: isinstance(v, dict),
    "column": lambda v, labels: v in labels,
    "severity": lambda v, labels: v in ("error", "warning"),
    "when": lambda v, labels: (
        isinstance(v, dict) and v.get("field") in labels and isinstance(v.get("values"), list)
    ),
}


def parameter_problems(spec: dict[str, Any], labels: list[str]) -> list[str]:
    """What is wrong with the parameters of one check of a contract (none: it can run)."""
    if str(spec.get("type")) not in PARAMETERS:
        return [f"its family declares no PARAMETERS for {spec.get('type')!r} (see rules/)"]
    declared = {**_COMMON, **PARAMETERS[str(spec.get("type"))]}
    said = []
    for name, kind in declared.items():
        key, optional = name.rstrip("?"), name.endswith("?")
        if key not in spec:
            if not optional:
                said.append(f"parameter {key!r} is missing")
            continue
        if not _KINDS[kind](spec[key], labels):
            what = "a column of the contract" if kind in ("column", "when") else f"a {kind}"
            said.append(f"{key}={spec[key]!r} is not {what}")
    known = {name.rstrip("?") for name in declared}
    said += [f"parameter {key!r} is not one of {sorted(known)}" for key in spec if key not in known]
    return said


def describe(spec: dict[str, Any], lang: str = "fr") -> str:
    """What one check of a contract asks of a file, in words (its type when none is said)."""
    words = RULE_WORDS.get(str(spec.get("type")))
    if words is None:
        return str(spec.get("type"))
    params = {k: (", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in spec.items()}
    try:
        return words[0 if lang == "fr" else 1].format(**params)
    except (KeyError, IndexError):
        return str(spec.get("type"))


def load_families() -> None:
    """Import every family of rules in this folder (found by name, never listed), and add the
    words a family declares beside its rules to the catalogue: ``WORDS`` (problem type ->
    French and English message) and ``TITLES`` (problem type -> the kind's short name). Run
    once at import; again after a folder is added to ``__path__``."""
    for family in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{family.name}")
        RULE_WORDS.update(getattr(module, "RULES", {}))
        PARAMETERS.update(getattr(module, "PARAMETERS", {}))
        EXAMPLES.update(getattr(module, "EXAMPLES", {}))
        for table, declared in ((CATALOGUE, "WORDS"), (KIND_TITLES, "TITLES")):
            for kind, words in getattr(module, declared, {}).items():
                if table.setdefault(kind, words) != words:
                    raise ValueError(
                        f"{module.__name__}: {declared} of {kind!r} are already others"
                    )


load_families()


def refuse_unrunnable(source: Source) -> None:
    """Refuse a contract whose checks this pipeline cannot run as declared (raise
    :class:`ContractError` naming the file and the reason): a kind no module here defines,
    or, on a source read batch by batch (``"engine": "arrow"``), a kind that compares every
    row with the others. A rule that would be skipped is refused, never skipped."""
    kinds = [str(c.get("type", "?")) for c in source.checks]
    unknown = sorted(set(kinds) - set(CHECKS))
    if unknown:
        raise ContractError(
            f"{source.contract}: checks {unknown} are not kinds of this pipeline; give one of "
            f"{', '.join(sorted(CHECKS))}"
        )
    labels = [f["name"] for f in source.schema.get("fields", [])]
    for spec in source.checks:
        wrong = parameter_problems(spec, labels)
        if wrong:
            raise ContractError(
                f"{source.contract}: check {spec.get('type')!r}: {'; '.join(wrong)} (a rule "
                "that cannot run as written is refused, never skipped)"
            )
    whole = [kind for kind in kinds if kind in WHOLE_FILE_CHECKS]
    if source.engine == "arrow" and whole:
        raise ContractError(
            f"{source.contract}: checks {whole} cannot run on the 'arrow' engine of this source "
            "(it reads the file batch by batch); remove them from the contract or read the "
            "source with the default engine (a rule that would be skipped is refused)"
        )


def refuse_unrunnable_contracts() -> None:
    """:func:`refuse_unrunnable` on every source's contract, once per contracts folder: one
    broken contract stops every validation, as a contract refused at load would."""
    _refuse_all(registry.schemas_dir())


@cache
def _refuse_all(root: Path) -> None:
    for source in registry.sources().values():
        refuse_unrunnable(source)
