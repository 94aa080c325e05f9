"""The operator's reader: a gzipped file decompressed by ISA-L and cut into pieces reads exactly
as Arrow reads it in one pass (the same records, numbers, ragged records and refusals).

``csvpieces.PIECE_BYTES = 0`` makes Arrow read the whole file itself (decompression included):
every case is read both ways, with pieces as small as 16 bytes so that cuts fall everywhere,
on files with and without quotes (a quoted line break: Arrow reads from that piece on), CRLF
and bare CR line ends, blank, short and long records, text that is not ASCII, bytes that are
not UTF-8 (an ASCII piece is not checked for UTF-8 again), and truncated archives.
"""

from __future__ import annotations

import gzip
import random
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from opendata.contracts.limits import Bounds
from opendata.report.problems import UnreadableFile
from opendata.validate.readers import arrowcsv, csvpieces

PIECE = csvpieces.PIECE_BYTES  # the real size


def _cell(rng: random.Random, quotes: bool) -> str:
    draw = rng.random()
    if draw < 0.6:
        return "".join(rng.choice("abc019 ") for _ in range(rng.randint(0, 6)))
    if draw < 0.7 and quotes:
        return '"' + rng.choice(["a\nb", "x,y", 'q""q', "", "\r\n"]) + '"'
    if draw < 0.75:
        return rng.choice(["é", "\r", "", "日本"] + (['a"b'] if quotes else []))
    if draw < 0.752:  # a byte that is not UTF-8 (written by surrogateescape)
        return rng.choice(["\udcff", "a\udce9"])
    return str(rng.randint(0, 10**6))


def _file(rng: random.Random, folder: Path, name: str) -> Path:
    width = rng.randint(1, 5)
    quotes = rng.random() < 0.3
    eol = rng.choice(["\n", "\n", "\r\n"])
    records = []
    for _ in range(rng.randint(0, 300)):
        cells = width if rng.random() < 0.85 else rng.randint(0, width + 2)
        records.append(",".join(_cell(rng, quotes) for _ in range(cells)))
    text = ",".join(f"h{i}" for i in range(width)) + eol + eol.join(records)
    if rng.random() < 0.7:
        text += eol
    data = gzip.compress(text.encode("utf-8", "surrogateescape"))
    if rng.random() < 0.05:
        data = data[: len(data) // 2]
    path = folder / name
    path.write_bytes(data)
    return path


def _read(path: Path, **options: Any) -> Any:
    """Everything the reader gives, whatever its batches: columns, numbers, ragged records."""
    try:
        columns: list[list[str]] = []
        rows: list[int] = []
        ragged: list[Any] = []
        records = 0
        for table in arrowcsv.iter_strings(path, ",", **options):
            columns = columns or [[] for _ in table.columns]
            for kept, column in zip(columns, table.columns, strict=True):
                kept += column.to_pylist()
            rows += table.rows.tolist()
            ragged += table.ragged
            records = table.records
        return columns, rows, ragged, records
    except UnreadableFile as exc:
        return ("unreadable", exc.kind)


class _Ahead:
    """Pieces parsed the moment they are handed over: the ragged records of the pieces ahead
    are met before the batches of the piece before them are taken, an order the parsing
    threads may take on a busy machine (made certain here)."""

    def submit(self, function: Any, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(function(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@pytest.fixture(params=["one at a time", "threads", "ahead"])
def parsing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reading test runs as a long-lived process reads (one piece at a time), as a
    one-file command does (pieces parsed ahead in threads), and with every piece parsed
    ahead the moment it is cut."""
    if request.param != "one at a time":
        monkeypatch.setitem(csvpieces.AHEAD, "pieces", csvpieces.PARSERS)
    if request.param == "ahead":
        monkeypatch.setattr(csvpieces, "_parser", _Ahead)


@pytest.mark.parametrize("seed", range(4))
def test_pieces_read_as_arrow_reads_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, parsing: None
) -> None:
    rng = random.Random(seed)
    for case in range(60):
        path = _file(rng, tmp_path, f"case-{case}.csv.gz")
        options: dict[str, Any] = {
            "batch_bytes": rng.choice([1, 100, 1 << 22]),
            "block_bytes": rng.choice([256, 4096, 1 << 20]),
        }
        pieces = rng.choice([16, 64, 256, 4096, PIECE])
        if pieces == PIECE and rng.random() < 0.7:
            # Bounds too: which one a file crosses first depends on the batches, which only
            # pieces of the real size keep as Arrow makes them.
            options["bounds"] = Bounds(
                10**9, rng.choice([500, 3000, 10**9]), rng.choice([5, 50, 10**6]), 50, 10**6
            )
        monkeypatch.setattr(csvpieces, "PIECE_BYTES", 0)
        whole = _read(path, **options)
        monkeypatch.setattr(csvpieces, "PIECE_BYTES", pieces)
        assert _read(path, **options) == whole, (case, pieces, options)


def test_a_file_without_quotes_is_read_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pieces are used (one Arrow read per piece), and a quote hands the rest to Arrow."""
    path = tmp_path / "plain.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 1000))
    monkeypatch.setattr(csvpieces, "PIECE_BYTES", 400)
    batches = list(csvpieces.record_batches(path, ["0", "1"], ",", 1 << 20, lambda n, t: "skip"))
    assert len(batches) >= 10 and sum(b.num_rows for b in batches) == 1000
    path.write_bytes(gzip.compress(b'a,b\n"1",2\n' + b"1,2\n" * 999))
    batches = list(csvpieces.record_batches(path, ["0", "1"], ",", 1 << 20, lambda n, t: "skip"))
    assert len(batches) == 1 and batches[0].num_rows == 1000


def test_a_truncated_or_corrupt_archive_is_refused_as_such(tmp_path: Path) -> None:
    data = gzip.compress(b"a,b\n" + b"1,2\n" * 50_000)
    for name, broken in (("cut", data[: len(data) // 2]), ("noise", data[:40] + b"x" * 400)):
        path = tmp_path / f"{name}.csv.gz"
        path.write_bytes(broken)
        with pytest.raises(UnreadableFile) as refused:
            list(arrowcsv.iter_strings(path))
        assert refused.value.kind == "truncated-gzip", name


def _gathered(path: Path, numbers: Any, **options: Any) -> Any:
    try:
        tables = arrowcsv.iter_strings(path, **options)
        parts = [arrowcsv.select_rows(table, numbers) for table in tables]
    except UnreadableFile as exc:
        return ("unreadable", exc.kind)
    table = arrowcsv.concat_strings(parts)
    return [c.to_pylist() for c in table.columns], table.rows.tolist(), table.ragged


@pytest.mark.parametrize("seed", range(3))
def test_a_second_reading_for_some_records_finds_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, parsing: None
) -> None:
    """Reading a file again for some record numbers (the repeated keys) leaves the pieces
    without any of them unparsed: the records found are those of a whole reading."""
    import numpy as np

    rng = random.Random(100 + seed)
    for case in range(60):
        path = _file(rng, tmp_path, f"case-{case}.csv.gz")
        every = _read(path)
        if every[0] == "unreadable":
            continue
        numbers = sorted(every[1] + [n for n, _ in every[2]])
        chosen = rng.sample(numbers, min(len(numbers), rng.choice([0, 1, 3, 20])))
        wanted = np.array(sorted(set(chosen + rng.choice([[], [10**6]]))), dtype=np.int64)
        monkeypatch.setattr(csvpieces, "PIECE_BYTES", rng.choice([16, 64, 256, 4096, PIECE]))
        options = {
            "block_bytes": rng.choice([256, 1 << 20]),
            "batch_bytes": rng.choice([1, 1 << 22]),
        }
        expected = _gathered(path, wanted, **options)
        assert _gathered(path, wanted, wanted=wanted, **options) == expected, case


def test_a_record_longer_than_a_block_is_refused_at_its_row(tmp_path: Path) -> None:
    """A record Arrow cannot hold in one block (a cell of megabytes, an unclosed quote) is
    refused as a cell past the bound, at its own record number, not as an unreadable CSV."""
    path = tmp_path / "sessions.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n3,4\n5,6\n7," + b"x" * 65536 + b"\n8,9\n"))
    bounds = Bounds(10**9, 10**9, 10**6, 50, 10**6)  # the cell bound alone would let it pass
    with pytest.raises(UnreadableFile) as refused:
        list(arrowcsv.iter_strings(path, bounds=bounds, block_bytes=4096, batch_bytes=1))
    assert refused.value.kind == "cell-too-long" and refused.value.params["row"] == 5
    with pytest.raises(UnreadableFile) as unbounded:
        list(arrowcsv.iter_strings(path, block_bytes=4096))
    assert unbounded.value.kind == "malformed-csv" and unbounded.value.params["row"] == 5


def test_line_ends_and_empty_lines_are_counted_as_arrow_reads_them() -> None:
    """A piece's records (LF, CRLF or a lone CR ends one; a last line without an end is one)
    and its empty lines (a LF after a LF, or after a CR after one), on every small mix."""
    rng = random.Random(3)
    for _ in range(3000):
        piece = bytes(rng.choice(b"\n\n\r,a") for _ in range(rng.randint(1, 40)))
        text = piece.decode()
        ends = text.count("\n") + text.count("\r") - text.count("\r\n")
        records = ends + (not piece.endswith((b"\n", b"\r")))
        empty = sum(
            1
            for i in range(1, len(text))
            if text[i] == "\n" and (text[i - 1] == "\n" or text[i - 2 : i] == "\n\r")
        )
        assert csvpieces._line_ends(piece) == (records, empty), piece


def test_a_cell_is_bounded_in_characters_not_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty "é" are eighty bytes and forty characters: within a bound of 50 characters; the
    first cell of 51 characters is refused at its row, whatever the batches (cut from
    Arrow's, their arrays start inside Arrow's buffers)."""
    monkeypatch.setattr(arrowcsv, "MAX_BATCH_ROWS", 64)
    rows = [f"r{i}," + ("é" * 40 if i >= 100 else "x") for i in range(300)]
    rows[217] = "r217," + "x" * 51
    path = tmp_path / "cells.csv.gz"
    path.write_bytes(gzip.compress(("a,b\n" + "\n".join(rows) + "\n").encode()))
    for batch_bytes in (1, 4096, 1 << 22):
        with pytest.raises(UnreadableFile) as refused:
            list(arrowcsv.iter_strings(path, bounds=Bounds(10**9, 10**9, 10**6, 50, 50),
                                       batch_bytes=batch_bytes))  # fmt: skip
        assert refused.value.kind == "cell-too-long" and refused.value.params["row"] == 219
    rows[217] = "r217," + "x" * 50
    path.write_bytes(gzip.compress(("a,b\n" + "\n".join(rows) + "\n").encode()))
    assert len(arrowcsv.read_strings(path, bounds=Bounds(10**9, 10**9, 10**6, 50, 50))) == 300
