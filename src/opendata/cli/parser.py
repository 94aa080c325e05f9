"""The ``opendata`` command line: its commands, grouped as the families of :mod:`opendata.cli`."""

from __future__ import annotations

import argparse
from pathlib import Path

from opendata.cli import files, publishing, serving, users
from opendata.cli.common import Parser, date

# Folders a command works in, beside each other in the project folder (``--root``); given
# on the line, they are taken as written.
FOLDERS = {
    "raw_dir": "raw",
    "published_dir": "published",
    "quarantine_dir": "quarantine",
    "inbox": "inbox",
}

Commands = argparse._SubParsersAction


def _file_commands(sub: Commands) -> None:
    val = sub.add_parser("validate", help="check one delivery against its source's contract")
    val.add_argument("file", type=Path)
    val.add_argument("--source", required=True, help="source id, e.g. wifi-sites")
    val.add_argument("--format", choices=["text", "json", "html"], default="text")
    val.add_argument("--lang", choices=["fr", "en"], default="fr")
    val.add_argument(
        "--raw-dir",
        type=Path,
        default=None,
        help="where the newest deliveries of referenced sources are (foreign keys), and the "
        "deliveries a snapshot is compared with",
    )
    val.add_argument(
        "--contract-version",
        metavar="V",
        help="check against this version of the contract (the current one, or an earlier one "
        "still accepted); default: the current one, then an accepted earlier one",
    )
    val.add_argument(
        "--published-dir",
        type=Path,
        default=None,
        help="the published packages: a snapshot file is compared with what is published",
    )

    val.set_defaults(run=files.validate)

    fix = sub.add_parser(
        "fix", help="write a corrected copy of a delivery: only the corrections that are certain"
    )
    fix.add_argument("file", type=Path)
    fix.add_argument("--source", required=True, help="source id, e.g. epn-places")
    fix.add_argument("--output", required=True, type=Path, help="the corrected copy to write")
    fix.add_argument("--lang", choices=["fr", "en"], default="fr")
    fix.add_argument("--raw-dir", type=Path, default=None, help="deliveries foreign keys use")
    fix.set_defaults(run=files.fix)

    sub_ = sub.add_parser("submit", help="validate a file and store it in raw/ or quarantine/")
    sub_.add_argument("file", type=Path)
    sub_.add_argument("--source", required=True)
    sub_.add_argument("--raw-dir", type=Path, default=None)
    sub_.add_argument("--quarantine-dir", type=Path, default=None)
    sub_.add_argument("--delivered-on", type=date, help="delivery date AAAA-MM-JJ (default today)")
    sub_.add_argument("--lang", choices=["fr", "en"], default="fr")

    sub_.set_defaults(run=files.submit)

    inbox = sub.add_parser("intake", help="process every file waiting in the inbox")
    inbox.add_argument("--inbox", type=Path, default=None)
    inbox.add_argument("--raw-dir", type=Path, default=None)
    inbox.add_argument("--quarantine-dir", type=Path, default=None)
    inbox.add_argument("--settle-seconds", type=float, default=2.0)

    inbox.set_defaults(run=files.intake_inbox)

    tpl = sub.add_parser("template", help="write the Excel template of a source")
    tpl.add_argument("source")
    tpl.add_argument("-o", "--output", type=Path, default=None, help="default: <source>.xlsx")

    tpl.set_defaults(run=files.template)

    gen = sub.add_parser("generate-samples", help="write the seeded sample deliveries")
    gen.add_argument("--raw-dir", type=Path, default=None)
    gen.add_argument("--seed", type=int, default=2008)

    gen.set_defaults(run=files.generate_samples)

    ses = sub.add_parser(
        "generate-months",
        help="write generated monthly deliveries of a dataset's large source (benchmarks, trials)",
    )
    ses.add_argument("months", nargs="+", help="AAAA-MM, or a range AAAA-MM:AAAA-MM")
    ses.add_argument("--dataset", required=True, help="dataset id, e.g. wifi-hotspots")
    ses.add_argument("--rows", type=int, default=None, help="rows a month (default: realistic)")
    ses.add_argument("--raw-dir", type=Path, default=None)
    ses.add_argument("--seed", type=int, default=2008)
    ses.set_defaults(run=files.generate_months)


def _publishing_commands(sub: Commands) -> None:
    pub = sub.add_parser("publish", help="run the publish flow (embedded Prefect by default)")
    pub.add_argument(
        "--dataset",
        action="append",
        dest="datasets",
        metavar="ID",
        help="dataset id; repeat for several (default: all)",
    )
    pub.add_argument("--raw-dir", type=Path, default=None)
    pub.add_argument("--published-dir", type=Path, default=None)
    pub.add_argument(
        "--dry-run",
        action="store_true",
        help="show what a publish would change, publish nothing (no Prefect; large sources "
        "may fill the work folder, which later runs reuse)",
    )

    pub.set_defaults(run=publishing.publish)

    diff = sub.add_parser("diff", help="what changed between two releases of a dataset")
    diff.add_argument("dataset")
    diff.add_argument("--from", dest="old", metavar="V", help="default: the release before --to")
    diff.add_argument("--to", dest="new", metavar="V", help="default: the latest release")
    diff.add_argument("--published-dir", type=Path, default=None)
    diff.add_argument("--format", choices=["text", "json"], default="text")

    diff.set_defaults(run=publishing.diff)

    for verb, what in (("approve", "publish"), ("reject", "quarantine")):
        decide = sub.add_parser(
            verb, help=f"{what} the delivery held for a dataset (too many rows removed…)"
        )
        decide.add_argument("dataset")
        decide.add_argument("--raw-dir", type=Path, default=None)
        decide.add_argument("--quarantine-dir", type=Path, default=None)
        decide.add_argument(
            "--reason", required=verb == "reject", default="", help="why (kept with it)"
        )
        decide.set_defaults(run=publishing.decide)

    ver = sub.add_parser(
        "verify", help="check every file of published packages against their descriptors"
    )
    ver.add_argument("datasets", nargs="*", help="dataset ids (default: every one)")
    ver.add_argument("--published-dir", type=Path, default=None)

    ver.set_defaults(run=publishing.verify)

    aside = sub.add_parser(
        "set-aside", help="move a refused delivery from raw/ to quarantine/ (it blocks its dataset)"
    )
    aside.add_argument("source")
    aside.add_argument("file", help="its name in raw/<source>/")
    aside.add_argument("--reason", required=True, help="why (kept with it)")
    aside.add_argument("--raw-dir", type=Path, default=None)
    aside.add_argument("--quarantine-dir", type=Path, default=None)
    aside.add_argument("--published-dir", type=Path, default=None)

    aside.set_defaults(run=publishing.set_aside)


def _serving_commands(sub: Commands) -> None:
    srv = sub.add_parser("serve", help="start a local Prefect server and serve the deployments")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=4200)
    srv.add_argument(
        "--root", type=Path, default=argparse.SUPPRESS, help="folder holding raw/, inbox/..."
    )
    srv.add_argument("--no-server", action="store_true", help="use PREFECT_API_URL instead")
    srv.add_argument(
        "--portal-port", type=int, default=8000, help="the stewards' portal (0: not started)"
    )
    srv.add_argument("--base-url", help="public address of published/ (or OPENDATA_BASE_URL)")

    srv.set_defaults(run=serving.serve)

    dep = sub.add_parser("deploy", help="register the deployments on a process work pool")
    dep.add_argument("--pool", required=True, help="work pool name (prefect work-pool create)")
    dep.add_argument(
        "--root", type=Path, default=argparse.SUPPRESS, help="folder holding raw/, inbox/..."
    )
    dep.add_argument("--base-url", help="public address of published/ (or OPENDATA_BASE_URL)")

    dep.set_defaults(run=serving.deploy)

    por = sub.add_parser("portal", help="serve the stewards' web portal (uvicorn)")
    por.add_argument("--host", default="127.0.0.1")
    por.add_argument("--port", type=int, default=8000)
    por.add_argument(
        "--root", type=Path, default=argparse.SUPPRESS, help="folder holding raw/, portal/…"
    )

    por.set_defaults(run=serving.portal)


def _user_commands(sub: Commands) -> None:
    accounts = sub.add_parser("users", help="the stewards' accounts of the portal")
    accounts.add_argument(
        "--root", type=Path, default=argparse.SUPPRESS, help="the portal's folder"
    )
    verbs = accounts.add_subparsers(dest="verb", required=True, parser_class=Parser)
    add = verbs.add_parser("add", help="create an account")
    add.add_argument("name")
    add.add_argument("--sources", default="", help="comma-separated source ids it may check")
    add.add_argument("--admin", action="store_true", help="the data team's role: every source")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--email", default="", help="where the steward hears about their files")
    email = verbs.add_parser("email", help="set the account's e-mail address ('' to remove)")
    email.add_argument("name")
    email.add_argument("address")
    for verb, what in (
        ("token", "print a new API token (the account's earlier ones stop working)"),
        ("tokens", "list the account's API tokens (their ids and dates, never the tokens)"),
        ("remove", "delete an account (its sessions and tokens end)"),
    ):
        one = verbs.add_parser(verb, help=what)
        one.add_argument("name")
    revoke = verbs.add_parser("revoke", help="revoke an API token by its id (or --all)")
    revoke.add_argument("name")
    revoke.add_argument("token_id", nargs="?", help="the id shown by users tokens")
    revoke.add_argument("--all", action="store_true", help="every token of the account")
    passwd = verbs.add_parser("passwd", help="set a new password (every open session ends)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    verbs.add_parser("list", help="list the accounts")

    accounts.set_defaults(run=users.users)


def parser(description: str) -> argparse.ArgumentParser:
    """Every command, each with the function that runs it (``args.run``)."""
    top = Parser(prog="opendata", description=description)
    top.add_argument(
        "--root",
        dest="project",
        type=Path,
        default=None,
        help="the project folder (schemas/, raw/, published/...; default: OPENDATA_ROOT, else "
        "the current folder)",
    )
    sub = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    _file_commands(sub)
    _publishing_commands(sub)
    _serving_commands(sub)
    _user_commands(sub)
    return top
