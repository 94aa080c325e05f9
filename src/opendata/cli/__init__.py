"""The ``opendata`` command: validate a delivery, publish the datasets, write sample data.

``validate`` is what stewards run: it imports neither Prefect nor Frictionless and answers in
about a second. Exit codes: 0 valid (warnings allowed), 1 invalid, 2 unreadable or bad usage.

One module per family of commands: :mod:`.files` (one file: validate, submit, intake,
template, samples), :mod:`.publishing` (the data team's: publish, diff, approve, reject,
verify, set-aside), :mod:`.serving` (serve, deploy, portal), :mod:`.users`; their options in
:mod:`.parser`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from opendata import settings
from opendata.cli import common
from opendata.cli.common import EXIT_UNUSABLE, EXIT_VALID
from opendata.cli.words import say
from opendata.contracts.registry import ContractError

__all__ = ["main"]


def _in_project(args: object) -> None:
    """``opendata --root DIR`` (or OPENDATA_ROOT) names the project folder: the contracts are
    read there, and the folders a command works in default to it (else to the current folder).
    A command's own ``--root`` (the folder ``serve``, ``portal`` or ``users`` work in) defaults
    to the project folder too."""
    from opendata.cli.parser import FOLDERS

    project: Path | None = getattr(args, "project", None)
    if project is not None:
        os.environ[settings.ROOT.name] = str(project.resolve())
    base = settings.ROOT.get()
    for attribute, folder in FOLDERS.items():
        if hasattr(args, attribute) and getattr(args, attribute) is None:
            setattr(args, attribute, (base / folder) if base is not None else Path(folder))
    if not hasattr(args, "root"):
        args.root = base if base is not None else Path(".")  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``opendata`` command."""
    from opendata.cli.parser import parser

    common.AS_COMMAND = argv is None
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        _in_project(args)
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        sys.stderr.write("opendata: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_VALID
    except ContractError as exc:  # the data team's contract, not the steward's file
        sys.stderr.write(f"opendata: {say('contract_refused', detail=exc)}\n")
        return EXIT_UNUSABLE
    except settings.SettingError as exc:  # the operator's setting, said with its name
        sys.stderr.write(f"opendata: {say('setting_unreadable', detail=exc)}\n")
        return EXIT_UNUSABLE
    except Exception as exc:  # a bug of ours: one line for the steward, the trace on demand
        if settings.DEBUG.is_set():
            raise
        sys.stderr.write(
            f"opendata: internal error ({type(exc).__name__}: {exc}); nothing was written. "
            "This is a defect of the opendata program, not of your file. Run the same command "
            "again with OPENDATA_DEBUG=1 in front of it and file what it prints as an issue of "
            f"the project (README, {say('defect_link')}), without any personal data.\n"
        )
        return EXIT_UNUSABLE
