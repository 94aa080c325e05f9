"""Commands that serve: ``serve`` (Prefect and the deployments), ``deploy`` (on a work
pool), ``portal`` (the stewards' web portal)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import traceback
from pathlib import Path

from opendata import settings
from opendata.cli import common
from opendata.cli.common import EXIT_UNUSABLE, EXIT_VALID
from opendata.cli.words import say


def _public_address(args: argparse.Namespace) -> str | None:
    """The served publication's public address (``--base-url`` or the setting), also set in
    this process's environment for the runs and children it starts; None, said, when
    missing or not an address."""
    from opendata.publish import dcat

    try:
        base = dcat.public_address(args.base_url or settings.BASE_URL.get())
    except ValueError as exc:
        sys.stderr.write(f"opendata: {exc}\n")
        return None
    os.environ[settings.BASE_URL.name] = base
    return base


def serve(args: argparse.Namespace) -> int:
    from flows.serve import main as serve_main

    if _public_address(args) is None:
        return EXIT_UNUSABLE
    return serve_main(
        args.root, args.host, args.port, start=not args.no_server, portal_port=args.portal_port
    )


def deploy(args: argparse.Namespace) -> int:
    if not os.environ.get("PREFECT_API_URL"):
        sys.stderr.write("opendata: deploy needs PREFECT_API_URL (the shared Prefect server)\n")
        return EXIT_UNUSABLE
    base = _public_address(args)
    if base is None:
        return EXIT_UNUSABLE
    from flows.deployments import Folders, deploy_all

    try:
        deploy_all(Folders.under(args.root), args.pool, base)
    except ValueError as exc:  # Prefect's message for a missing work pool
        sys.stderr.write(f"opendata: {exc}\n")
        return EXIT_UNUSABLE
    return EXIT_VALID


class _TypeAndPlaceOnly(logging.Filter):
    """An exception escaping a request is logged by its type and where it was raised, never
    its message or locals: a message of ours may quote a cell, and a cell of a file with
    personal data must not reach a log (uvicorn prints the whole traceback otherwise)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            frames = traceback.extract_tb(error.__traceback__)[-3:]
            where = " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))
            record.msg = f"{record.getMessage()} — {type(error).__name__} ({where})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_tracebacks(logger: logging.Logger) -> None:
    """Install :class:`_TypeAndPlaceOnly` on ``logger`` (the portal's server logger)."""
    if not any(isinstance(f, _TypeAndPlaceOnly) for f in logger.filters):
        logger.addFilter(_TypeAndPlaceOnly())


def portal(args: argparse.Namespace) -> int:
    import uvicorn

    from opendata.portal.app import Settings, create_app

    if common.AS_COMMAND:  # its worker processes must not outlive a killed portal
        from opendata.watchdog import reap_children_on_exit

        reap_children_on_exit()
    root = args.root.resolve()
    if not root.is_dir():
        sys.stderr.write(f"opendata: {args.root}: pas un dossier\n")
        return EXIT_UNUSABLE
    from opendata.contracts import registry

    if not registry.sources():
        sys.stderr.write(f"opendata: {say('no_contracts', folder=registry.schemas_dir())}\n")
        return EXIT_UNUSABLE
    from flows.serve import port_taken

    if port_taken(args.host, args.port):
        sys.stderr.write(f"opendata: {say('port_taken', host=args.host, port=args.port)}\n")
        return EXIT_UNUSABLE
    from flows.intake import announce

    app = create_app(dataclasses.replace(Settings.from_env(root), announce=announce))
    sys.stdout.write(f"portail des livraisons : http://{args.host}:{args.port}/\n")
    sys.stdout.flush()
    # X-Forwarded-For is believed only from the proxies named in the setting: uvicorn trusts
    # any local client by default, and a rotated header then escaped the sign-in throttle.
    proxies = settings.PORTAL_TRUSTED_PROXIES.get().strip()
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )  # configures uvicorn's loggers: the filter goes on after
    quiet_tracebacks(logging.getLogger("uvicorn.error"))
    uvicorn.Server(config).run()
    return EXIT_VALID
