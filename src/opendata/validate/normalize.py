"""Pure normalisers for the values departments write in many ways (codes, phones, labels).

Each returns the canonical form, or ``None`` when the value cannot be understood; the checks
report those, the transforms publish the canonical forms.
"""

from __future__ import annotations

import re
from functools import cache

from opendata.validate.readers.headers import normalize_label

_ARRONDISSEMENT = re.compile(
    r"(?:paris\s*)?(?P<n>\d{1,2})\s*(?:e|er|eme|ème|è|°)?(?:\s*arr(?:\.|ondissement)?)?",
    re.IGNORECASE,
)
_POSTAL_PARIS = re.compile(r"75(?P<n>0\d{2}|116)")
_MONTH_ISO = re.compile(r"(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])")
_MONTH_FR = re.compile(r"(?P<m>0[1-9]|1[0-2])/(?P<y>\d{4})")
_NAF = re.compile(r"(?P<a>\d{2})\.?(?P<b>\d{2})(?P<c>[A-Za-z])")
_LIST_SPLIT = re.compile(r"\s*[;,]\s*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Path, query and fragment in the characters RFC 3986 allows (percent-encoding included): a
# quote or an angle bracket is no part of an address, and would break out of an HTML attribute.
_URL = re.compile(
    r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?"
    r"(?:[/?#](?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=\u00c0-\u024f]|%[0-9A-Fa-f]{2})*)?"
)


def compact_digits(value: str) -> str:
    """Drop the spaces, dots and dashes people put inside codes (``443 061 841``)."""
    return re.sub(r"[\s.\-\u00a0\u202f]", "", value)


def siren_number(value: str) -> str | None:
    """A valid 9-digit SIREN, or None. Excel stores SIREN as numbers and drops leading zeros,
    so 1 to 8 digits are padded back before the check digit is verified."""
    digits = compact_digits(value)
    if not digits.isdigit() or len(digits) > 9:
        return None
    digits = digits.zfill(9)
    from stdnum.fr import siren  # imported when used: a check of the sessions needs neither

    return digits if siren.is_valid(digits) else None


def siret_number(value: str) -> str | None:
    """A valid 14-digit SIRET (La Poste's own rule included, via python-stdnum), or None."""
    digits = compact_digits(value)
    if not digits.isdigit() or len(digits) > 14:
        return None
    digits = digits.zfill(14)
    from stdnum.fr import siret

    return digits if siret.is_valid(digits) else None


def arrondissement(value: str) -> int | None:
    """Arrondissement number from ``11``, ``11e``, ``11ème``, ``Paris 11e``, ``1er``, ``75011``."""
    text = value.strip()
    postal = _POSTAL_PARIS.fullmatch(text)
    if postal:
        number = 16 if postal["n"] == "116" else int(postal["n"])
    else:
        match = _ARRONDISSEMENT.fullmatch(text)
        if not match:
            return None
        number = int(match["n"])
    return number if 1 <= number <= 20 else None


def arrondissement_from_postal_code(code: str) -> int | None:
    """Arrondissement of a Paris postal code (75116 is the 16th's second code)."""
    match = _POSTAL_PARIS.fullmatch(code.strip())
    if not match:
        return None
    number = 16 if match["n"] == "116" else int(match["n"])
    return number if 1 <= number <= 20 else None


def insee_code(postal_code: str) -> str | None:
    """INSEE commune code of the arrondissement (75101 to 75120)."""
    number = arrondissement_from_postal_code(postal_code)
    return None if number is None else f"751{number:02d}"


def month(value: str) -> str | None:
    """``AAAA-MM`` from ``AAAA-MM`` or ``MM/AAAA``."""
    text = value.strip()
    iso = _MONTH_ISO.fullmatch(text)
    if iso:
        return f"{iso['y']}-{iso['m']}"
    french = _MONTH_FR.fullmatch(text)
    if french:
        return f"{french['y']}-{french['m']}"
    return None


def naf_code(value: str) -> str | None:
    """NAF rev. 2 code in its dotted form: ``6201Z`` → ``62.01Z``."""
    match = _NAF.fullmatch(value.strip())
    if not match:
        return None
    return f"{match['a']}.{match['b']}{match['c'].upper()}"


def phone_e164(value: str) -> str | None:
    """A valid French phone number in E.164 (``+33144556677``), or None."""
    import phonenumbers  # 20 ms to import: only the sources with a phone number need it

    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def split_list(value: str) -> list[str]:
    """Items of a list a steward separated with ``;`` or ``,``."""
    return [item for item in _LIST_SPLIT.split(value.strip()) if item]


def is_email(value: str) -> bool:
    """Whether ``value`` is one plausible e-mail address."""
    return bool(_EMAIL.fullmatch(value))


def is_url(value: str) -> bool:
    """Whether ``value`` is one absolute http(s) address."""
    return bool(_URL.fullmatch(value))


@cache
def _vocabulary_index(labels: tuple[str, ...]) -> dict[str, str]:
    return {normalize_label(label): label for label in labels}


def canonical_labels(value: str, labels: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split a ``;``-separated list and map each item to the national label it spells.

    Returns (canonical labels found, items that are not in the list). Case, accents and
    spacing are forgiven; words are not.
    """
    index = _vocabulary_index(labels)
    found: list[str] = []
    unknown: list[str] = []
    for item in re.split(r"\s*[;|]\s*", value.strip()):
        if not item:
            continue
        label = index.get(normalize_label(item))
        if label is None:
            unknown.append(item)
        elif label not in found:
            found.append(label)
    return found, unknown
