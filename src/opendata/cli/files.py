"""Commands on one file: ``validate`` (what stewards run: neither Prefect nor
Frictionless imported, an answer in about a second), ``submit``, ``intake``, ``template``, and
the sample generators."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from opendata.cli import common
from opendata.cli.common import EXIT_INVALID, EXIT_UNUSABLE, EXIT_VALID, source_named
from opendata.cli.words import say


def validate(args: argparse.Namespace) -> int:
    """A steward's check of one file: the process is set up for it (numpy's threads, memory,
    no pandas: :mod:`opendata.validate.onefile`) and, run as the command, ends once the
    report is written."""
    from opendata.validate import onefile

    onefile.set_up()
    code = _validate(args)
    if common.AS_COMMAND:
        onefile.leave(code)
    return code


def _validate(args: argparse.Namespace) -> int:
    from opendata.report.render import RENDERERS

    source = source_named(args.source)
    if source is None:
        return EXIT_UNUSABLE
    from opendata.validate import onefile

    onefile.read_ahead(args.file, source)  # a month is read while the checks are imported
    # One engine for every source, on Arrow columns; the comparison with what is published
    # works on the same columns.
    from opendata.validate.file import validate_file

    compares = False
    if source.delivery == "snapshot":  # a month is never compared: not imported for it
        from opendata.publish.compare import published_version

        compares = bool(published_version(args.published_dir, source.dataset))
    validation = validate_file(args.file, source, args.raw_dir, args.contract_version)
    report = validation.report
    if compares:
        from opendata.publish.compare import before_sending

        report.comparison = before_sending(validation, source, args.raw_dir, args.published_dir)
    if report.unreadable:
        from opendata.report.messages import message

        sys.stderr.write(f"opendata: {args.file}: {message(report.errors[0], args.lang)}\n")
        if args.format != "text":  # a page or a document that says why, never an empty one
            _report(RENDERERS[args.format](report, args.lang) + _END[args.format])
        return EXIT_UNUSABLE
    _report(RENDERERS[args.format](report, args.lang) + _END[args.format])
    return EXIT_VALID if report.valid else EXIT_INVALID


_END = {"text": "", "html": "", "json": "\n"}


def _report(text: str) -> None:
    """The report on stdout. A reader that stops reading it (``| head``) does not change what
    the command says of the file: its status stays the file's (it was 0, valid, whatever the
    file)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Nothing more can be written there; what is left in the buffer is dropped so that
        # the interpreter's last flush does not fail on it again.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the process's stdout from now on


def fix(args: argparse.Namespace) -> int:
    """A corrected copy of the steward's file: only the certain corrections, each listed; the
    copy is then validated and what remains is said."""
    from opendata.repair import certain
    from opendata.repair.copy import REFUSALS, NotRepairable, write
    from opendata.report.messages import message
    from opendata.validate.file import validate_file

    source = source_named(args.source)
    if source is None:
        return EXIT_UNUSABLE
    report = validate_file(args.file, source, args.raw_dir).report
    if report.unreadable:
        sys.stderr.write(f"opendata: {args.file}: {message(report.errors[0], args.lang)}\n")
        return EXIT_UNUSABLE
    try:
        repaired = write(args.file, source, report, args.output, args.lang)
    except NotRepairable as exc:
        said = REFUSALS[args.lang][exc.kind].format(profile=report.profile or "")
        sys.stderr.write(f"opendata: {args.file}: {said}\n")
        return EXIT_UNUSABLE
    for c in repaired.corrections:
        before = "" if c.before is None else c.before
        why = certain.WHY[args.lang][c.why]
        said = say("fixed_cell", args.lang, ref=repaired.reference(c), label=c.label,
                   before=before, after=c.after, why=why)  # fmt: skip
        sys.stdout.write(said + "\n")
    after = validate_file(args.output, source, args.raw_dir).report
    left = len(after.errors) + after.omitted
    first = len(report.errors) + report.omitted
    where = repaired.listing or say("fixed_sheet", args.lang, output=args.output)
    count = len(repaired.corrections)
    said = say("fixed_copy", args.lang, output=args.output, count=count, where=where,
               left=left, first=first)  # fmt: skip
    sys.stdout.write(said + (say("fixed_left", args.lang) if left else ".") + "\n")
    return EXIT_VALID if after.valid else EXIT_INVALID


def _receipt_line(receipt: object, lang: str) -> str:
    from opendata.intake import Receipt

    assert isinstance(receipt, Receipt)
    if receipt.status in ("accepted", "duplicate", "quarantined"):
        return say(f"receipt_{receipt.status}", lang, stored=receipt.stored, report=receipt.report)
    status = say(f"receipt_{receipt.status}", lang)
    return say("receipt_other", lang, status=status, name=receipt.name, reason=receipt.reason)


def _notify(receipt: object) -> None:
    """Emit the Prefect event when a server is configured (the intake's trigger)."""
    if os.environ.get("PREFECT_API_URL"):
        from flows.intake import announce

        announce(receipt, drain=True)  # type: ignore[arg-type]


def submit(args: argparse.Namespace) -> int:
    from opendata import intake
    from opendata.report.messages import message

    source = source_named(args.source)
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


def intake_inbox(args: argparse.Namespace) -> int:
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
        sys.stderr.write(f"opendata: {say('inbox_busy', inbox=args.inbox)}\n")
        return EXIT_UNUSABLE
    for receipt in receipts:
        where = f"{receipt.source}: " if receipt.source else ""
        sys.stdout.write(f"{where}{_receipt_line(receipt, 'fr')}\n")
    counts = intake.receipts_summary(receipts)
    listed = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or say("inbox_nothing")
    sys.stdout.write(say("inbox_summary", counts=listed) + "\n")
    return max((r.exit_code for r in receipts), default=EXIT_VALID)


def template(args: argparse.Namespace) -> int:
    from opendata.contracts import registry
    from opendata.portal import workbooks
    from opendata.storage import write_file

    source = source_named(args.source)
    if source is None:
        return EXIT_UNUSABLE
    if source.engine == "arrow":
        names = ", ".join(s.name for s in workbooks.template_sources(registry.sources()))
        said = say("template_machine", source=source.name, templates=names)
        sys.stderr.write(f"opendata: {said}\n")
        return EXIT_UNUSABLE
    target = args.output or Path(f"{source.name}.xlsx")
    write_file(target, workbooks.template(source))
    sys.stdout.write(say("template_written", target=target) + "\n")
    return EXIT_VALID


def generate_samples(args: argparse.Namespace) -> int:
    from opendata.datasets import write_samples

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


def generate_months(args: argparse.Namespace) -> int:
    from opendata import datasets
    from opendata.contracts import registry

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
