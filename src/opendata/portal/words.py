"""The portal's words, French first, English by the switch on every page."""

from __future__ import annotations

from opendata.portal.words_en import EN
from opendata.portal.words_fr import FR

WORDS: dict[str, dict[str, str]] = {"fr": FR, "en": EN}


def say(lang: str, key: str, **params: object) -> str:
    """One of the sentences above in ``lang``, its ``{placeholders}`` filled."""
    return WORDS[lang if lang in WORDS else "fr"][key].format(**params)


def rows_text(lang: str, rows: int, columns: int) -> str:
    """``0 ligne × 15 colonnes`` (French keeps 0 and 1 singular)."""
    if lang == "fr":
        return f"{rows} ligne{'s' if rows > 1 else ''} × {columns} colonnes"
    return f"{rows} row{'s' if rows != 1 else ''} × {columns} columns"
