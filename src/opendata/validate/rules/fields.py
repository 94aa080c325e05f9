"""Rules on one cell at a time: codes (SIREN, SIRET, arrondissement), phones, e-mail and
web addresses, opening hours, labels of the national lists. Each runs once per distinct value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opendata.contracts.vocabulary import national_labels
from opendata.report.problems import Problem
from opendata.validate import normalize
from opendata.validate.rules.base import Check, Context, check


def _field_check(kind: str, predicate: Callable[[str], bool]) -> Check:
    def run(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
        label = spec["field"]
        if not ctx.has(label):
            return []
        return ctx.problems(kind, label, ctx.where(label, lambda v: not predicate(v)))

    return run


check("siren")(_field_check("siren-error", lambda v: normalize.siren_number(v) is not None))
check("siret")(_field_check("siret-error", lambda v: normalize.siret_number(v) is not None))
check("phone-fr")(_field_check("phone-error", lambda v: normalize.phone_e164(v) is not None))
check("arrondissement")(
    _field_check("arrondissement-error", lambda v: normalize.arrondissement(v) is not None)
)
check("email-list")(
    _field_check(
        "email-error",
        lambda v: (
            bool(normalize.split_list(v)) and all(map(normalize.is_email, normalize.split_list(v)))
        ),
    )
)
check("url-list")(
    _field_check(
        "url-error",
        lambda v: (
            bool(normalize.split_list(v)) and all(map(normalize.is_url, normalize.split_list(v)))
        ),
    )
)


@check("opening-hours")
def _opening_hours(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    import opening_hours

    label = spec["field"]
    if not ctx.has(label):
        return []
    bad = ctx.where(label, lambda v: not opening_hours.validate(v))
    return ctx.problems("opening-hours-error", label, bad)


@check("label-list")
def _label_list(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    label = spec["field"]
    if not ctx.has(label):
        return []
    allowed = national_labels(spec["vocabulary"])
    unknown: dict[str, list[str]] = {}

    def has_unknown(cell: str) -> bool:
        unknown[cell] = normalize.canonical_labels(cell, allowed)[1]
        return bool(unknown[cell])

    found: list[Problem] = []
    for problem in ctx.problems("label-error", label, ctx.where(label, has_unknown)):
        params = {
            **problem.params,
            "unknown": unknown[problem.cell or ""],
            "allowed": list(allowed),
        }
        found.append(
            Problem(
                problem.type, problem.row, problem.label, problem.cell, params, problem.severity
            )
        )
    return found


# What each rule asks of a file, for the contract's page (``{field}`` and the other keys of
# the check in source.json are filled in).
RULES = {
    "siren": (
        "« {field} » : un numéro SIREN valide (9 chiffres, clé de contrôle juste)",
        "“{field}”: a valid SIREN number (9 digits, right check digit)",
    ),
    "siret": (
        "« {field} » : un numéro SIRET valide (14 chiffres, clé de contrôle juste)",
        "“{field}”: a valid SIRET number (14 digits, right check digit)",
    ),
    "phone-fr": (
        "« {field} » : un numéro de téléphone français (01 44 55 66 77)",
        "“{field}”: a French phone number (01 44 55 66 77)",
    ),
    "arrondissement": (
        "« {field} » : un arrondissement de Paris (1 à 20, ou 75001 à 75020)",
        "“{field}”: a Paris arrondissement (1 to 20, or 75001 to 75020)",
    ),
    "email-list": (
        "« {field} » : une ou plusieurs adresses e-mail, séparées par des virgules",
        "“{field}”: one or more e-mail addresses, separated by commas",
    ),
    "url-list": (
        "« {field} » : une ou plusieurs adresses web (https://…)",
        "“{field}”: one or more web addresses (https://…)",
    ),
    "opening-hours": (
        "« {field} » : des horaires écrits comme « Mo-Fr 09:00-18:00 »",
        "“{field}”: opening hours written like “Mo-Fr 09:00-18:00”",
    ),
    "label-list": (
        "« {field} » : des valeurs de la liste nationale « {vocabulary} »",
        "“{field}”: values of the national list “{vocabulary}”",
    ),
}


# The parameters each rule takes in source.json ("?": optional): "column" names a column of
# the contract, checked when the contract is loaded (a rule on a misspelt column would never
# run). And values each rule must accept and refuse (tests/unit/test_rule_examples.py).
PARAMETERS = {
    **{
        kind: {"field": "column"}
        for kind in (
            "siren", "siret", "phone-fr", "arrondissement", "email-list", "url-list",
            "opening-hours",
        )
    },
    "label-list": {"field": "column", "vocabulary": "text"},
}  # fmt: skip
_ONE = [("A", "string")]
EXAMPLES = {
    "siren": (
        {"field": "A"}, _ONE, [{"A": "443 061 841"}, {"A": "443061841"}], [{"A": "443 061 842"}],
    ),
    "siret": ({"field": "A"}, _ONE, [{"A": "443 061 841 00013"}], [{"A": "443 061 841 00018"}]),
    "phone-fr": ({"field": "A"}, _ONE, [{"A": "01 44 55 66 77"}], [{"A": "12 34"}]),
    "arrondissement": ({"field": "A"}, _ONE, [{"A": "11e"}, {"A": "75011"}], [{"A": "21e"}]),
    "email-list": ({"field": "A"}, _ONE, [{"A": "a@paris.fr, b@paris.fr"}], [{"A": "a@"}]),
    "url-list": ({"field": "A"}, _ONE, [{"A": "https://paris.fr"}], [{"A": "paris point fr"}]),
    "opening-hours": ({"field": "A"}, _ONE, [{"A": "Mo-Fr 09:00-18:00"}], [{"A": "le matin"}]),
    "label-list": (
        {"field": "A", "vocabulary": "publics_specifiquement_adresses"}, _ONE,
        [{"A": "Jeunes"}], [{"A": "Martiens"}],
    ),
}  # fmt: skip
