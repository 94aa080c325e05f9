"""The ``opendata`` command: validate a delivery, publish the datasets, write sample data.

``validate`` is what stewards run: it imports neither Prefect nor Frictionless and answers in
about a second. Exit codes: 0 valid (warnings allowed), 1 invalid, 2 unreadable or bad usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from opendata.registry import ContractError

if TYPE_CHECKING:
    from opendata.registry import Source

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"opendata: {message}\n")
        raise SystemExit(EXIT_UNUSABLE)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date AAAA-MM-JJ: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="opendata", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    val = sub.add_parser("validate", help="check one delivery against its source's contract")
    val.add_argument("file", type=Path)
    val.add_argument("--source", required=True, help="source id, e.g. wifi-sites")
    val.add_argument("--format", choices=["text", "json", "html"], default="text")
    val.add_argument("--lang", choices=["fr", "en"], default="fr")
    val.add_argument(
        "--raw-dir",
        type=Path,
        default=Path("raw"),
        help="where the newest deliveries of referenced sources are (foreign keys)",
    )

    pub = sub.add_parser("publish", help="run the publish flow (embedded Prefect by default)")
    pub.add_argument(
        "--dataset",
        action="append",
        dest="datasets",
        metavar="ID",
        help="dataset id; repeat for several (default: all)",
    )
    pub.add_argument("--raw-dir", type=Path, default=Path("raw"))
    pub.add_argument("--published-dir", type=Path, default=Path("published"))
    pub.add_argument(
        "--dry-run",
        action="store_true",
        help="show what a publish would change, publish nothing (no Prefect; large sources "
        "may fill the work folder, which later runs reuse)",
    )

    diff = sub.add_parser("diff", help="what changed between two releases of a dataset")
    diff.add_argument("dataset")
    diff.add_argument("--from", dest="old", metavar="V", help="default: the release before --to")
    diff.add_argument("--to", dest="new", metavar="V", help="default: the latest release")
    diff.add_argument("--published-dir", type=Path, default=Path("published"))
    diff.add_argument("--format", choices=["text", "json"], default="text")

    sub_ = sub.add_parser("submit", help="validate a file and store it in raw/ or quarantine/")
    sub_.add_argument("file", type=Path)
    sub_.add_argument("--source", required=True)
    sub_.add_argument("--raw-dir", type=Path, default=Path("raw"))
    sub_.add_argument("--quarantine-dir", type=Path, default=Path("quarantine"))
    sub_.add_argument("--delivered-on", type=_date, help="delivery date AAAA-MM-JJ (default today)")
    sub_.add_argument("--lang", choices=["fr", "en"], default="fr")

    inbox = sub.add_parser("intake", help="process every file waiting in the inbox")
    inbox.add_argument("--inbox", type=Path, default=Path("inbox"))
    inbox.add_argument("--raw-dir", type=Path, default=Path("raw"))
    inbox.add_argument("--quarantine-dir", type=Path, default=Path("quarantine"))
    inbox.add_argument("--settle-seconds", type=float, default=2.0)

    srv = sub.add_parser("serve", help="start a local Prefect server and serve the deployments")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=4200)
    srv.add_argument("--root", type=Path, default=Path("."), help="folder holding raw/, inbox/...")
    srv.add_argument("--no-server", action="store_true", help="use PREFECT_API_URL instead")
    srv.add_argument(
        "--portal-port", type=int, default=8000, help="the stewards' portal (0: not started)"
    )
    srv.add_argument("--base-url", help="public address of published/ (or OPENDATA_BASE_URL)")

    dep = sub.add_parser("deploy", help="register the deployments on a process work pool")
    dep.add_argument("--pool", required=True, help="work pool name (prefect work-pool create)")
    dep.add_argument("--root", type=Path, default=Path("."), help="folder holding raw/, inbox/...")
    dep.add_argument("--base-url", help="public address of published/ (or OPENDATA_BASE_URL)")

    for verb, what in (("approve", "publish"), ("reject", "quarantine")):
        decide = sub.add_parser(
            verb, help=f"{what} the delivery held for a dataset (too many rows removed…)"
        )
        decide.add_argument("dataset")
        decide.add_argument("--raw-dir", type=Path, default=Path("raw"))
        decide.add_argument("--quarantine-dir", type=Path, default=Path("quarantine"))
        decide.add_argument(
            "--reason", required=verb == "reject", default="", help="why (kept with it)"
        )

    ver = sub.add_parser(
        "verify", help="check every file of published packages against their descriptors"
    )
    ver.add_argument("datasets", nargs="*", help="dataset ids (default: every one)")
    ver.add_argument("--published-dir", type=Path, default=Path("published"))

    aside = sub.add_parser(
        "set-aside", help="move a refused delivery from raw/ to quarantine/ (it blocks its dataset)"
    )
    aside.add_argument("source")
    aside.add_argument("file", help="its name in raw/<source>/")
    aside.add_argument("--reason", required=True, help="why (kept with it)")
    aside.add_argument("--raw-dir", type=Path, default=Path("raw"))
    aside.add_argument("--quarantine-dir", type=Path, default=Path("quarantine"))
    aside.add_argument("--published-dir", type=Path, default=Path("published"))

    users = sub.add_parser("users", help="the stewards' accounts of the portal")
    users.add_argument("--root", type=Path, default=Path("."), help="the portal's folder")
    verbs = users.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    add = verbs.add_parser("add", help="create an account")
    add.add_argument("name")
    add.add_argument("--sources", default="", help="comma-separated source ids it may check")
    add.add_argument("--admin", action="store_true", help="the data team's role: every source")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
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

    tpl = sub.add_parser("template", help="write the Excel template of a source")
    tpl.add_argument("source")
    tpl.add_argument("-o", "--output", type=Path, default=None, help="default: <source>.xlsx")

    por = sub.add_parser("portal", help="serve the stewards' web portal (uvicorn)")
    por.add_argument("--host", default="127.0.0.1")
    por.add_argument("--port", type=int, default=8000)
    por.add_argument("--root", type=Path, default=Path("."), help="folder holding raw/, portal/…")

    gen = sub.add_parser("generate-samples", help="write the seeded sample deliveries")
    gen.add_argument("--raw-dir", type=Path, default=Path("raw"))
    gen.add_argument("--seed", type=int, default=2008)

    ses = sub.add_parser(
        "generate-months",
        help="write generated monthly deliveries of a dataset's large source (benchmarks, trials)",
    )
    ses.add_argument("months", nargs="+", help="AAAA-MM, or a range AAAA-MM:AAAA-MM")
    ses.add_argument("--dataset", required=True, help="dataset id, e.g. wifi-hotspots")
    ses.add_argument("--rows", type=int, default=None, help="rows a month (default: realistic)")
    ses.add_argument("--raw-dir", type=Path, default=Path("raw"))
    ses.add_argument("--seed", type=int, default=2008)
    return parser


def _source(name: str) -> Source | None:
    """The source named on the command line, or None after saying which ones exist."""
    from opendata import registry

    try:
        return registry.source(name)
    except KeyError as exc:
        sys.stderr.write(f"opendata: {exc.args[0]}\n")
        return None


def _validate(args: argparse.Namespace) -> int:
    from opendata.render import RENDERERS

    source = _source(args.source)
    if source is None:
        return EXIT_UNUSABLE
    # One engine for every source, on Arrow columns: no pandas in this process (pyarrow
    # would import it on its first array conversion, a fifth of a steward's wait).
    from opendata.fastcheck import pyarrow_without_pandas

    pyarrow_without_pandas()
    from opendata.validation import validate_file

    report = validate_file(args.file, source, args.raw_dir).report
    if report.unreadable:
        from opendata.messages import message

        sys.stderr.write(f"opendata: {args.file}: {message(report.errors[0], args.lang)}\n")
        if args.format != "text":  # a page or a document that says why, never an empty one
            sys.stdout.write(RENDERERS[args.format](report, args.lang))
            if args.format == "json":
                sys.stdout.write("\n")
        return EXIT_UNUSABLE
    sys.stdout.write(RENDERERS[args.format](report, args.lang))
    if args.format == "json":
        sys.stdout.write("\n")
    return EXIT_VALID if report.valid else EXIT_INVALID


def _publish(args: argparse.Namespace) -> int:
    from opendata import registry

    known = registry.datasets()
    unknown = [d for d in args.datasets or [] if d not in known]
    if unknown:
        sys.stderr.write(
            f"opendata: unknown dataset(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}\n"
        )
        return EXIT_UNUSABLE
    if not args.raw_dir.is_dir():
        sys.stderr.write(f"opendata: raw folder {args.raw_dir} does not exist\n")
        return EXIT_UNUSABLE
    if args.dry_run:
        return _dry_run(args.datasets or sorted(known), args.raw_dir, args.published_dir)
    from opendata import catalog

    given = os.environ.get(catalog.BASE_URL_SETTING)
    try:
        if given:
            catalog.public_address(given)
    except ValueError as exc:
        sys.stderr.write(f"opendata: {catalog.BASE_URL_SETTING}: {exc}\n")
        return EXIT_UNUSABLE
    if not given:
        sys.stderr.write(
            "opendata: liens du catalogue relatifs (publication locale) ; pour une publication "
            f"servie, donnez son adresse publique dans {catalog.BASE_URL_SETTING}.\n"
        )
    # The embedded server is a throwaway: no telemetry (its startup write races the first
    # flow run on SQLite and logs "database is locked").
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if _AS_COMMAND and not os.environ.get("PREFECT_API_URL"):
        # The embedded server is our child: it must not outlive a killed publisher.
        from opendata.watchdog import reap_children_on_exit

        reap_children_on_exit()
    # On a loaded 2-core machine the embedded server can take more than Prefect's default 20 s
    # to answer: wait up to 3 minutes (a setting), and try a second time before giving up.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from flows.publish import run_publish

    names = args.datasets or sorted(known)
    for attempt in (1, 2):
        try:
            outcome = run_publish(names, args.raw_dir, args.published_dir)
            break
        except RuntimeError as exc:
            if "ephemeral Prefect API server" not in str(exc):
                raise
            if attempt == 2:
                sys.stderr.write(
                    "opendata: Prefect's embedded server did not start in "
                    f"{os.environ['PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS']} s, twice; "
                    "nothing was published. The machine is very busy: run again later, raise "
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or use a running "
                    "server (PREFECT_API_URL).\n"
                )
                return EXIT_UNUSABLE
            sys.stderr.write("opendata: Prefect's embedded server was slow to start; again.\n")
    for name, status in outcome.items():
        sys.stdout.write(f"{name}: {status}\n")
    # A held publication waits for a person: not a success for cron or make.
    stopped = ("failed", "held", "rejected")
    return EXIT_INVALID if any(s.startswith(stopped) for s in outcome.values()) else EXIT_VALID


def _receipt_line(receipt: object, lang: str) -> str:
    from opendata.intake import Receipt

    assert isinstance(receipt, Receipt)
    fr = lang == "fr"
    if receipt.status == "accepted":
        return f"accepté : {receipt.stored}" if fr else f"accepted: {receipt.stored}"
    if receipt.status == "duplicate":
        return (
            f"déjà reçu (mêmes octets) : {receipt.stored}"
            if fr
            else f"already received (same bytes): {receipt.stored}"
        )
    if receipt.status == "quarantined":
        return (
            f"refusé, mis en quarantaine : {receipt.stored} ; rapport : {receipt.report}"
            if fr
            else f"refused, quarantined: {receipt.stored}; report: {receipt.report}"
        )
    words = {
        "refused": ("refusé", "refused"),
        "misplaced": ("mal placé", "misplaced"),
        "waiting": ("en attente", "waiting"),
        "ignored": ("ignoré", "ignored"),
    }[receipt.status]
    return f"{words[0 if fr else 1]} : {receipt.name} — {receipt.reason}"


def _notify(receipt: object) -> None:
    """Emit the Prefect event when a server is configured (the intake's trigger)."""
    if os.environ.get("PREFECT_API_URL"):
        from flows.intake import emit_accepted

        emit_accepted(receipt)  # type: ignore[arg-type]
        # Sent now, not at exit: Prefect's events worker otherwise drains at interpreter exit
        # and prints "EventsWorker - Still processing items: 1 items remaining..." to a
        # person who did nothing wrong (the event is sent all the same).
        logging.getLogger("EventsWorker").setLevel(logging.ERROR)
        from prefect.events.worker import EventsWorker

        EventsWorker.drain_all(timeout=30, at_exit=False)


def _submit(args: argparse.Namespace) -> int:
    from opendata import intake
    from opendata.messages import message

    source = _source(args.source)
    if source is None:
        return EXIT_UNUSABLE
    if not args.file.is_file():
        sys.stderr.write(f"opendata: {args.file}: no such file\n")
        return EXIT_UNUSABLE
    receipt, report = intake.submit(
        args.file, source, args.raw_dir, args.quarantine_dir, args.delivered_on
    )
    if receipt.status == "accepted":
        _notify(receipt)
    sys.stdout.write(_receipt_line(receipt, args.lang) + "\n")
    if report.unreadable:
        sys.stderr.write(f"opendata: {args.file}: {message(report.errors[0], args.lang)}\n")
    return receipt.exit_code


def _intake(args: argparse.Namespace) -> int:
    from opendata import intake

    try:
        receipts = intake.process_inbox(
            args.inbox,
            args.raw_dir,
            args.quarantine_dir,
            _notify,
            settle_seconds=args.settle_seconds,
        )
    except intake.IntakeBusy:
        sys.stderr.write(
            f"opendata: une autre passe de dépôt occupe {args.inbox} depuis plus de 5 minutes ; "
            "rien n'a été fait. Relancez plus tard (ou voyez quel processus la tient).\n"
        )
        return EXIT_UNUSABLE
    for receipt in receipts:
        where = f"{receipt.source}: " if receipt.source else ""
        sys.stdout.write(f"{where}{_receipt_line(receipt, 'fr')}\n")
    counts = intake.receipts_summary(receipts)
    sys.stdout.write(
        "boîte de dépôt : "
        + (", ".join(f"{n} {k}" for k, n in counts.items() if n) or "rien à faire")
        + "\n"
    )
    return max((r.exit_code for r in receipts), default=EXIT_VALID)


def _public_address(args: argparse.Namespace) -> str | None:
    """The served publication's public address (``--base-url`` or the setting), also set in
    this process's environment for the runs and children it starts; None, said, when
    missing or not an address."""
    from opendata import catalog

    try:
        base = catalog.public_address(args.base_url or os.environ.get(catalog.BASE_URL_SETTING))
    except ValueError as exc:
        sys.stderr.write(f"opendata: {exc}\n")
        return None
    os.environ[catalog.BASE_URL_SETTING] = base
    return base


def _serve(args: argparse.Namespace) -> int:
    from flows.serve import main as serve_main

    if _public_address(args) is None:
        return EXIT_UNUSABLE
    return serve_main(
        args.root, args.host, args.port, start=not args.no_server, portal_port=args.portal_port
    )


def _deploy(args: argparse.Namespace) -> int:
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


def _dry_run(names: list[str], raw_dir: Path, published_dir: Path) -> int:
    from opendata import publishing, registry, releases

    code = EXIT_VALID
    for name in names:
        dataset = registry.dataset(name)
        collected = publishing.collect(dataset, raw_dir)
        if not collected.valid:
            sys.stdout.write(f"{name}: would fail: {collected.refusal()}\n")
            code = EXIT_INVALID
            continue
        held = publishing.holds(collected, raw_dir)
        if held:
            sys.stdout.write(f"{name}: would be held: {' | '.join(h.sentence() for h in held)}\n")
            code = EXIT_INVALID
        outcome = publishing.plan(dataset, publishing.build(dataset, collected), published_dir)
        verb = "would publish" if outcome.status == "published" else "unchanged"
        if held:
            verb = "once approved, would publish" if outcome.status == "published" else verb
        sys.stdout.write(f"{name}: {verb} {outcome.version}\n")
        for line in releases.summary(outcome.changes).splitlines():
            sys.stdout.write(f"  {line}\n")
    return code


def _diff(args: argparse.Namespace) -> int:

    from opendata import releases, releasestore

    folder = args.published_dir / args.dataset
    versions = releasestore.versions(folder)
    if not versions:
        sys.stderr.write(f"opendata: no release of {args.dataset} in {args.published_dir}\n")
        return EXIT_UNUSABLE
    new = args.new or versions[-1]
    if new not in versions:
        sys.stderr.write(f"opendata: no release {new}; releases: {', '.join(versions)}\n")
        return EXIT_UNUSABLE
    old = args.old or (versions[versions.index(new) - 1] if versions.index(new) else None)
    if old is not None and old not in versions:
        sys.stderr.write(f"opendata: no release {old}; releases: {', '.join(versions)}\n")
        return EXIT_UNUSABLE

    def load(version: str | None) -> tuple[dict[str, object] | None, dict[str, bytes]]:
        if version is None:
            return None, {}
        return releasestore.descriptor(folder, version), releasestore.top_files(folder, version)

    old_desc, old_files = load(old)
    new_desc, new_files = load(new)
    assert new_desc is not None
    changes = releases.compare(old_desc, old_files, new_desc, new_files)
    if args.format == "json":
        sys.stdout.write(releases.dumps(changes.as_dict(new)).decode())
    else:
        sys.stdout.write(f"{args.dataset} {old or '(rien)'} → {new}\n")
        sys.stdout.write(releases.changelog_entry(new, None, changes))
    return EXIT_VALID


def _decide(args: argparse.Namespace) -> int:
    """``approve`` / ``reject``: record the decision on each held delivery of the dataset,
    then resume the paused publication run waiting for it (when a server is configured)."""
    from opendata import guard, publishing, registry

    try:
        dataset = registry.dataset(args.dataset)
    except KeyError as exc:
        sys.stderr.write(f"opendata: {exc.args[0]}\n")
        return EXIT_UNUSABLE
    collected = publishing.collect(dataset, args.raw_dir, large=False)
    if not collected.valid:
        # Holds are only weighed between valid deliveries: a refused one is set aside, not
        # rejected (reject once quarantined the newest, valid file instead).
        sys.stderr.write(
            f"opendata: {dataset.name} : rien n'est retenu, une livraison est refusée ; "
            f"{collected.refusal()}\n"
        )
        return EXIT_UNUSABLE
    held = publishing.holds(collected, args.raw_dir)
    if not held:
        verb = "approuver" if args.command == "approve" else "refuser"
        sys.stderr.write(f"opendata: {dataset.name} : aucune livraison retenue, rien à {verb}.\n")
        return EXIT_UNUSABLE
    decisions = guard.default_decisions_dir(args.raw_dir)
    for hold in held:
        if args.command == "approve":
            guard.record(decisions, hold, "approved", args.reason)
            sys.stdout.write(f"approuvée : {hold.source}/{hold.file}\n")
        else:
            target = guard.reject(
                args.raw_dir, args.quarantine_dir, decisions, hold, args.reason, None
            )
            sys.stdout.write(f"refusée, mise en quarantaine : {target}\n")
    if os.environ.get("PREFECT_API_URL"):
        from flows.publish import resume_held

        resumed = resume_held(dataset.name, args.command, args.reason)
        sys.stdout.write(f"exécution(s) en pause reprise(s) : {resumed}\n")
    elif args.command == "approve":
        sys.stdout.write(f"publiez maintenant : opendata publish --dataset {dataset.name}\n")
    return EXIT_VALID


def _verify(args: argparse.Namespace) -> int:
    """``verify``: every file of every resource, every month of a resource by month."""
    from opendata import registry
    from opendata.verify import verify

    names = args.datasets or sorted(registry.datasets())
    worst = EXIT_VALID
    for name in names:
        folder = args.published_dir / name
        if not (folder / "datapackage.json").is_file():
            sys.stderr.write(f"opendata: {folder}: aucun paquet publié\n")
            worst = EXIT_UNUSABLE
            continue
        found = verify(folder)
        sys.stdout.write(f"{name} : " + ("complet" if not found else "INCOMPLET") + "\n")
        for line in found:
            sys.stdout.write(f"  - {line}\n")
        if found and worst == EXIT_VALID:
            worst = EXIT_INVALID
    return worst


def _set_aside(args: argparse.Namespace) -> int:
    """``set-aside``: a delivery that was never published leaves raw/ for quarantine/."""
    from opendata import guard, publishing, registry

    try:
        source = registry.source(args.source)
    except KeyError as exc:
        sys.stderr.write(f"opendata: {exc.args[0]}\n")
        return EXIT_UNUSABLE
    name = Path(args.file).name  # a name in raw/<source>/, never a path elsewhere
    version = publishing.published_in(args.published_dir, source.dataset, f"{source.name}/{name}")
    if version:
        sys.stderr.write(
            f"opendata: {source.name}/{name} a été publié (version {version} de "
            f"{source.dataset}) : il fait partie de l'historique et reste dans raw/.\n"
        )
        return EXIT_UNUSABLE
    try:
        target = guard.set_aside(
            args.raw_dir, args.quarantine_dir, source.name, name, args.reason, None
        )
    except FileNotFoundError:
        present = sorted(p.name for p in (args.raw_dir / source.name).glob("*") if p.is_file())
        sys.stderr.write(
            f"opendata: aucun fichier {name} dans {args.raw_dir / source.name} ; "
            f"présents : {', '.join(present) or 'aucun'}\n"
        )
        return EXIT_UNUSABLE
    sys.stdout.write(f"écartée, mise en quarantaine : {target} (raison conservée à côté)\n")
    return EXIT_VALID


def _users(args: argparse.Namespace) -> int:
    import getpass

    from opendata import registry
    from opendata.accounts import AccountError, Accounts, token_id_of

    accounts = Accounts(args.root)

    def ask_password() -> str | None:
        if args.password_stdin:
            return sys.stdin.readline().rstrip("\r\n")
        password = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Encore une fois : ") != password:
            sys.stderr.write("opendata: les deux mots de passe diffèrent ; rien changé\n")
            return None
        return password

    try:
        if args.verb == "add":
            password = ask_password()
            if password is None:
                return EXIT_UNUSABLE
            sources = [s.strip() for s in args.sources.split(",") if s.strip()]
            account = accounts.add(
                args.name, password, sources, args.admin, sorted(registry.sources())
            )
            what = "toutes les sources" if account.admin else ", ".join(account.sources)
            sys.stdout.write(f"compte créé : {account.name} ({what})\n")
        elif args.verb == "token":
            earlier = len(getattr(accounts.get(args.name), "tokens", []))
            sys.stdout.write(accounts.new_token(args.name) + "\n")
            if earlier:
                sys.stderr.write(f"{earlier} jeton(s) précédent(s) révoqué(s)\n")
        elif args.verb == "tokens":
            found = accounts.get(args.name)
            if found is None:
                raise AccountError(f"aucun compte {args.name}")
            for token in found.tokens:
                sys.stdout.write(f"{token_id_of(token)}\t{token['created'] or '?'}\n")
        elif args.verb == "revoke":
            if not args.all and not args.token_id:
                raise AccountError("indiquez l'identifiant du jeton (users tokens NOM) ou --all")
            revoked = accounts.revoke_tokens(args.name, None if args.all else args.token_id)
            if not revoked:
                raise AccountError(f"aucun jeton {args.token_id} pour {args.name}")
            sys.stdout.write(f"{revoked} jeton(s) révoqué(s)\n")
        elif args.verb == "passwd":
            password = ask_password()
            if password is None:
                return EXIT_UNUSABLE
            accounts.set_password(args.name, password)
            sys.stdout.write(f"mot de passe changé : {args.name} (sessions ouvertes fermées)\n")
        elif args.verb == "remove":
            accounts.remove(args.name)
            sys.stdout.write(f"compte supprimé : {args.name}\n")
        else:
            for account in accounts.load().values():
                what = "admin" if account.admin else ",".join(account.sources)
                sys.stdout.write(f"{account.name}\t{what}\t{len(account.tokens)} jeton(s)\n")
    except AccountError as exc:
        sys.stderr.write(f"opendata: {exc}\n")
        return EXIT_UNUSABLE
    return EXIT_VALID


def _template(args: argparse.Namespace) -> int:
    from opendata import registry
    from opendata.portal import workbooks
    from opendata.storage import write_file

    source = _source(args.source)
    if source is None:
        return EXIT_UNUSABLE
    if source.engine == "arrow":
        sys.stderr.write(
            f"opendata: {source.name} est un export machine : pas de modèle à remplir ; "
            "modèles : "
            + ", ".join(s.name for s in workbooks.template_sources(registry.sources()))
            + "\n"
        )
        return EXIT_UNUSABLE
    target = args.output or Path(f"{source.name}.xlsx")
    write_file(target, workbooks.template(source))
    sys.stdout.write(f"modèle écrit : {target}\n")
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


def _portal(args: argparse.Namespace) -> int:
    import uvicorn

    from opendata.portal.app import Settings, create_app

    if _AS_COMMAND:  # its worker processes must not outlive a killed portal
        from opendata.watchdog import reap_children_on_exit

        reap_children_on_exit()
    root = args.root.resolve()
    if not root.is_dir():
        sys.stderr.write(f"opendata: {args.root}: pas un dossier\n")
        return EXIT_UNUSABLE
    from flows.serve import port_taken

    if port_taken(args.host, args.port):
        sys.stderr.write(
            f"opendata: le port {args.host}:{args.port} est déjà pris (un autre portail ?) ; "
            "choisissez-en un autre avec --port.\n"
        )
        return EXIT_UNUSABLE
    app = create_app(Settings.from_env(root))
    sys.stdout.write(f"portail des livraisons : http://{args.host}:{args.port}/\n")
    sys.stdout.flush()
    # X-Forwarded-For is believed only from the proxies named in the setting: uvicorn trusts
    # any local client by default, and a rotated header then escaped the sign-in throttle.
    proxies = os.environ.get("OPENDATA_PORTAL_TRUSTED_PROXIES", "").strip()
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


def _generate(args: argparse.Namespace) -> int:
    from opendata.samples import write_samples

    for path in write_samples(args.raw_dir, args.seed):
        sys.stdout.write(f"{path}\n")
    return EXIT_VALID


def _month_range(text: str) -> list[str]:
    first, _, last = text.partition(":")
    start = dt.date.fromisoformat(f"{first}-01")
    end = dt.date.fromisoformat(f"{last or first}-01")
    months = []
    while start <= end:
        months.append(f"{start:%Y-%m}")
        start = (start + dt.timedelta(days=32)).replace(day=1)
    return months


def _generate_months(args: argparse.Namespace) -> int:
    from opendata import datasets, registry

    try:
        registry.dataset(args.dataset)
    except KeyError as exc:
        sys.stderr.write(f"opendata: {exc.args[0]}\n")
        return EXIT_UNUSABLE
    generator = datasets.module(args.dataset, "samples")
    if generator is None or not hasattr(generator, "write_month"):
        having = [
            name
            for name in sorted(registry.datasets())
            if hasattr(datasets.module(name, "samples"), "write_month")
        ]
        sys.stderr.write(
            f"opendata: the dataset {args.dataset} has no generator of monthly deliveries "
            f"(datasets that have one: {', '.join(having) or 'none'})\n"
        )
        return EXIT_UNUSABLE
    write_month = generator.write_month
    try:
        months = [m for text in args.months for m in _month_range(text)]
    except ValueError:
        sys.stderr.write("opendata: months are written AAAA-MM or AAAA-MM:AAAA-MM\n")
        return EXIT_UNUSABLE
    for month in months:
        sys.stdout.write(f"{write_month(args.raw_dir, month, args.seed, args.rows)}\n")
    return EXIT_VALID


_AS_COMMAND = False  # True when run as the ``opendata`` command (not called from Python)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``opendata`` command."""
    global _AS_COMMAND
    _AS_COMMAND = argv is None
    args = _parser().parse_args(argv)
    handlers = {
        "validate": _validate,
        "publish": _publish,
        "submit": _submit,
        "intake": _intake,
        "serve": _serve,
        "set-aside": _set_aside,
        "verify": _verify,
        "deploy": _deploy,
        "diff": _diff,
        "approve": _decide,
        "reject": _decide,
        "users": _users,
        "template": _template,
        "portal": _portal,
        "generate-samples": _generate,
        "generate-months": _generate_months,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        sys.stderr.write("opendata: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_VALID
    except ContractError as exc:  # the data team's contract, not the steward's file
        sys.stderr.write(f"opendata: contrat refusé : {exc}\n")
        return EXIT_UNUSABLE
    except Exception as exc:  # a bug of ours: one line for the steward, the trace on demand
        if os.environ.get("OPENDATA_DEBUG"):
            raise
        sys.stderr.write(
            f"opendata: internal error ({type(exc).__name__}: {exc}); nothing was written. "
            "This is a defect of the opendata program, not of your file. Run the same command "
            "again with OPENDATA_DEBUG=1 in front of it and file what it prints as an issue of "
            "the project (README, « Signaler un défaut »), without any personal data.\n"
        )
        return EXIT_UNUSABLE


if __name__ == "__main__":
    raise SystemExit(main())
