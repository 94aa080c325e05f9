"""What every command shares: exit codes, the parser's refusal, the source named on the line."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opendata.contracts.registry import Source

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2
AS_COMMAND = False  # True when run as the ``opendata`` command (not called from Python)


class Parser(argparse.ArgumentParser):
    """Bad usage: the usage line and one sentence, exit 2 (argparse's own is also 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"opendata: {message}\n")
        raise SystemExit(EXIT_UNUSABLE)


def date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date AAAA-MM-JJ: {text!r}") from None


def source_named(name: str) -> Source | None:
    """The source named on the command line, or None after saying which ones exist."""
    from opendata.contracts import registry

    try:
        return registry.source(name)
    except KeyError as exc:
        sys.stderr.write(f"opendata: {exc.args[0]}\n")
        return None
