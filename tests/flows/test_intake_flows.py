"""The stewards' flows fail with a French reason, never a traceback, on a wrong request."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.intake import process_inbox, validate_upload
from tests.conftest import FIXTURES

pytestmark = pytest.mark.flow


def test_validate_upload_with_an_unknown_source_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    shutil.copy(FIXTURES / "wifi-sites" / "every-error.csv", path)
    state = validate_upload(str(path), "wifi_sites", return_state=True)
    assert state.is_failed()
    assert state.message.startswith("Source inconnue « wifi_sites »")
    assert "wifi-sites" in state.message


def test_validate_upload_of_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    state = validate_upload(str(tmp_path / "absent.csv"), "wifi-sites", return_state=True)
    assert state.is_failed()
    assert state.message == f"absent.csv : Fichier introuvable : {tmp_path / 'absent.csv'}."


def test_an_inbox_pass_says_what_it_did_and_fails_on_misplaced_files(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    state = process_inbox(str(inbox), str(tmp_path / "raw"), str(tmp_path / "q"), return_state=True)
    assert state.is_completed() and state.result()["accepted"] == 0
    shutil.copy(FIXTURES / "wifi-sites" / "every-error.csv", inbox / "sites.csv")
    state = process_inbox(str(inbox), str(tmp_path / "raw"), str(tmp_path / "q"), return_state=True)
    assert state.is_failed() and "sites.csv" in state.message
