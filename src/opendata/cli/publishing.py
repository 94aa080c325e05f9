"""Commands of the data team on publications: ``publish`` (and ``--dry-run``), ``diff``,
``approve``/``reject`` of a held delivery, ``verify``, ``set-aside``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from opendata import settings
from opendata.cli import common
from opendata.cli.common import EXIT_INVALID, EXIT_UNUSABLE, EXIT_VALID
from opendata.cli.words import say


def publish(args: argparse.Namespace) -> int:
    from opendata.contracts import registry

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
    from opendata.publish import dcat

    given = settings.BASE_URL.get()
    try:
        if given:
            dcat.public_address(given)
    except ValueError as exc:
        sys.stderr.write(f"opendata: {settings.BASE_URL.name}: {exc}\n")
        return EXIT_UNUSABLE
    if not given:
        sys.stderr.write(
            "opendata: liens du catalogue relatifs (publication locale) ; pour une publication "
            f"servie, donnez son adresse publique dans {settings.BASE_URL.name}.\n"
        )
    # The embedded server is a throwaway: no telemetry (its startup write races the first
    # flow run on SQLite and logs "database is locked").
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if common.AS_COMMAND and not os.environ.get("PREFECT_API_URL"):
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


def _dry_run(names: list[str], raw_dir: Path, published_dir: Path) -> int:
    from opendata.contracts import registry
    from opendata.publish import releases, steps

    code = EXIT_VALID
    for name in names:
        dataset = registry.dataset(name)
        collected = steps.collect(dataset, raw_dir, keep=False)
        if not collected.valid:
            sys.stdout.write(f"{name}: would fail: {collected.refusal()}\n")
            code = EXIT_INVALID
            continue
        held = steps.holds(collected, raw_dir)
        if held:
            sys.stdout.write(f"{name}: would be held: {' | '.join(h.sentence() for h in held)}\n")
            code = EXIT_INVALID
        outcome = steps.plan(dataset, steps.build(dataset, collected), published_dir)
        verb = "would publish" if outcome.status == "published" else "unchanged"
        if held:
            verb = "once approved, would publish" if outcome.status == "published" else verb
        sys.stdout.write(f"{name}: {verb} {outcome.version}\n")
        for line in releases.summary(outcome.changes).splitlines():
            sys.stdout.write(f"  {line}\n")
    return code


def diff(args: argparse.Namespace) -> int:

    from opendata.publish import releases, releasestore

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


def decide(args: argparse.Namespace) -> int:
    """``approve`` / ``reject``: record the decision on each held delivery of the dataset,
    then resume the paused publication run waiting for it (when a server is configured)."""
    from opendata.contracts import registry
    from opendata.publish import guard, steps

    try:
        dataset = registry.dataset(args.dataset)
    except KeyError as exc:
        sys.stderr.write(f"opendata: {exc.args[0]}\n")
        return EXIT_UNUSABLE
    collected = steps.collect(dataset, args.raw_dir, large=False)
    if not collected.valid:
        # Holds are only weighed between valid deliveries: a refused one is set aside, not
        # rejected (reject once quarantined the newest, valid file instead).
        said = say("nothing_held_refused", dataset=dataset.name, refusal=collected.refusal())
        sys.stderr.write(f"opendata: {said}\n")
        return EXIT_UNUSABLE
    held = steps.holds(collected, args.raw_dir)
    if not held:
        verb = say("verb_approve" if args.command == "approve" else "verb_reject")
        sys.stderr.write(f"opendata: {say('nothing_held', dataset=dataset.name, verb=verb)}\n")
        return EXIT_UNUSABLE
    decisions = guard.default_decisions_dir(args.raw_dir)
    for hold in held:
        if hold.note:  # the steward's word, read by whoever decides
            said = say("steward_word", delivery=f"{hold.source}/{hold.file}", note=hold.note)
            sys.stdout.write(said + "\n")
        if args.command == "approve":
            guard.record(decisions, hold, "approved", args.reason)
            sys.stdout.write(say("approved", delivery=f"{hold.source}/{hold.file}") + "\n")
        else:
            target = guard.reject(
                args.raw_dir, args.quarantine_dir, decisions, hold, args.reason, None
            )
            sys.stdout.write(say("rejected", target=target) + "\n")
    if os.environ.get("PREFECT_API_URL"):
        from flows.publish import resume_held

        resumed = resume_held(dataset.name, args.command, args.reason)
        sys.stdout.write(say("resumed", count=resumed) + "\n")
    elif args.command == "approve":
        sys.stdout.write(say("publish_now", dataset=dataset.name) + "\n")
    return EXIT_VALID


def verify(args: argparse.Namespace) -> int:
    """``verify``: every file of every resource, every month of a resource by month."""
    from opendata.contracts import registry
    from opendata.publish.verify import verify

    names = args.datasets or sorted(registry.datasets())
    worst = EXIT_VALID
    for name in names:
        folder = args.published_dir / name
        if not (folder / "datapackage.json").is_file():
            sys.stderr.write(f"opendata: {say('no_package', folder=folder)}\n")
            worst = EXIT_UNUSABLE
            continue
        found = verify(folder)
        sys.stdout.write(f"{name} : " + ("complet" if not found else "INCOMPLET") + "\n")
        for line in found:
            sys.stdout.write(f"  - {line}\n")
        if found and worst == EXIT_VALID:
            worst = EXIT_INVALID
    return worst


def set_aside(args: argparse.Namespace) -> int:
    """``set-aside``: a delivery that was never published leaves raw/ for quarantine/."""
    from opendata.contracts import registry
    from opendata.publish import guard, ledger

    try:
        source = registry.source(args.source)
    except KeyError as exc:
        sys.stderr.write(f"opendata: {exc.args[0]}\n")
        return EXIT_UNUSABLE
    name = Path(args.file).name  # a name in raw/<source>/, never a path elsewhere
    version = ledger.published_in(args.published_dir, source.dataset, f"{source.name}/{name}")
    if version:
        said = say("aside_published", delivery=f"{source.name}/{name}", version=version,
                   dataset=source.dataset)  # fmt: skip
        sys.stderr.write(f"opendata: {said}\n")
        return EXIT_UNUSABLE
    try:
        target = guard.set_aside(
            args.raw_dir, args.quarantine_dir, source.name, name, args.reason, None
        )
    except FileNotFoundError:
        present = sorted(p.name for p in (args.raw_dir / source.name).glob("*") if p.is_file())
        said = say("aside_missing", name=name, folder=args.raw_dir / source.name,
                   present=", ".join(present) or say("none"))  # fmt: skip
        sys.stderr.write(f"opendata: {said}\n")
        return EXIT_UNUSABLE
    sys.stdout.write(say("aside_done", target=target) + "\n")
    return EXIT_VALID
