"""Every ``OPENDATA_*`` setting is declared once, in ``opendata.settings``, and documented."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from opendata import settings

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"OPENDATA_[A-Z][A-Z_]*[A-Z]")
CODE = sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "flows").glob("*.py")])


def test_no_module_but_settings_names_a_setting_to_read_it() -> None:
    """A setting's name as a string of its own (what ``os.environ.get`` would be given), or
    an ``OPENDATA_`` name built at run time, only in ``settings.py``: elsewhere a module asks
    ``settings.X.get()``. Names inside sentences (help, messages) are not reads."""
    found = []
    for path in CODE:
        if path.name == "settings.py" and path.parent.name == "opendata":
            continue
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if token.type != tokenize.STRING:
                continue
            text = token.string.strip("rbfu").strip("\"'")
            if NAME.fullmatch(text) or text in ("OPENDATA_", "OPENDATA_{"):
                found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string}")
    assert found == []


def test_every_name_mentioned_is_a_declared_setting() -> None:
    """Code, documentation and the Makefile name only settings that exist."""
    texts = [*CODE, *(ROOT / "docs").rglob("*.md"), ROOT / "README.md", ROOT / "Makefile"]
    named = {m for path in texts for m in NAME.findall(path.read_text(encoding="utf-8"))}
    assert named, "the scan sees no setting at all"
    assert sorted(named - set(settings.SETTINGS)) == []


def test_the_settings_page_is_generated_from_the_code() -> None:
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == settings.table(), "run: python -m opendata.settings > docs/settings.md"
    for name in settings.SETTINGS:
        assert f"`{name}`" in page


def test_a_setting_reads_the_environment_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENDATA_MAX_ROWS", raising=False)
    assert settings.MAX_ROWS.get() is None
    monkeypatch.setenv("OPENDATA_MAX_ROWS", "3000")
    assert settings.MAX_ROWS.get() == 3000
    monkeypatch.setenv("OPENDATA_HOLD_REMOVED_SHARE", "")
    assert settings.HOLD_REMOVED_SHARE.get() == 0.2  # empty is unset


@pytest.mark.parametrize(
    ("setting", "given", "said"),
    [
        (settings.MAX_ROWS, "trois", "give a whole number"),
        (settings.MAX_ROWS, "-1", "give a positive number"),
        (settings.HOLD_REMOVED_SHARE, "20", "give a share between 0 and 1"),
        (settings.TASK_RUNNER, "process", "use threads or dask"),
        (settings.STORAGE_OPTIONS, "[1]", "give a JSON object"),
        (settings.PORTAL_SECURE_COOKIES, "peut-être", "give 1 or 0"),
    ],
)
def test_a_value_that_cannot_be_read_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, setting: settings.Setting[object], given: str, said: str
) -> None:
    monkeypatch.setenv(setting.name, given)
    with pytest.raises(settings.SettingError, match=re.escape(f"{setting.name}={given!r}: {said}")):
        setting.get()
