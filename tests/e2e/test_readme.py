"""Every code block of the README and of ``docs/``, run as a reader would run it, in reading
order (the README, then the pages of :data:`PAGES`), in a fresh copy of the project (its own
raw/, published/, Prefect home and S3 bucket): so that a snippet can never break silently. A
block the harness cannot run fails the test; the few it does not run literally say why in an
HTML comment before the block (`<!-- readme: ... -->`), and even those are checked (a synopsis
against the command's --help). Servers are started on free ports (`--port`, `PORT=`), the one
change made to a command as written."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.portal_process import free_port

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
README = ROOT / "README.md"
# Reading order: a page's blocks may use what an earlier page's made (a publication...).
PAGES = [
    README,
    *(
        ROOT / "docs" / name
        for name in (
            "stewards.md",
            "publishing.md",
            "consumers.md",
            "operations.md",
            "architecture.md",
            "performance.md",
            "settings.md",
        )
    ),
]
FENCE = re.compile(
    r"(?:<!-- readme: (?P<note>[^>]*?) -->\n+)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S
)


@dataclass
class Block:
    page: str
    line: int
    lang: str
    body: str
    note: str | None

    def __str__(self) -> str:
        return f"{self.page}:{self.line} ({self.lang})"


def blocks() -> list[Block]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = str(page.relative_to(ROOT))
        found += [
            Block(name, text[: m.start("body")].count("\n"), m["lang"], m["body"], m["note"])
            for m in FENCE.finditer(text)
        ]
    return found


def test_every_page_of_the_documentation_is_read() -> None:
    """A page added to docs/ is in the reading order (its blocks would never run otherwise)."""
    assert sorted((ROOT / "docs").glob("*.md")) == sorted(PAGES[1:])


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]
    portal_port: int
    moto: str

    def run(self, command: str, stdin: str = "", ok: tuple[int, ...] = (0,)) -> str:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        said = done.stdout + done.stderr
        assert done.returncode in ok, f"{command!r} exited {done.returncode}:\n{said[-3000:]}"
        assert "Traceback" not in said, f"{command!r}:\n{said[-3000:]}"
        return said


def _wait(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in {seconds} s")


def _stopped(url: str, seconds: float = 60) -> None:
    """Nothing answers at ``url`` any more (the server behind it was stopped, not orphaned)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                pass
        except OSError:
            return
        time.sleep(0.3)
    raise AssertionError(f"{url} still answers {seconds} s after its command was stopped")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("reader")
    for name in ("raw", "schemas", "flows", "tests", "docs"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml", "requirements.lock", "README.md"):
        shutil.copy2(ROOT / name, root / name)
    (root / ".venv").symlink_to(ROOT / ".venv")  # `make` finds the environment made
    made = (ROOT / ".venv" / ".installed").stat().st_mtime
    for name in ("requirements.lock", "pyproject.toml"):  # ... and up to date: not made again
        os.utime(root / name, (made - 1, made - 1))
    shutil.copy(ROOT / "raw" / "epn-places" / "epn-2008-01-15.xlsx", root / "EPN.xlsx")
    moto_port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PREFECT_HOME": str(root / ".prefect-home"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "OPENDATA_PUBLISHED_URL": "s3://bucket/prefix",
        "OPENDATA_STORAGE_OPTIONS": json.dumps({"endpoint_url": f"http://127.0.0.1:{moto_port}"}),
    }
    env.pop("PREFECT_API_URL", None)
    moto = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(f"http://127.0.0.1:{moto_port}/", 60)
        import s3fs

        s3fs.S3FileSystem(
            key="testing", secret="testing", endpoint_url=f"http://127.0.0.1:{moto_port}"
        ).mkdir("bucket")
        yield Sandbox(root, env, free_port(), f"http://127.0.0.1:{moto_port}")
    finally:
        os.killpg(moto.pid, signal.SIGTERM)
        moto.wait(timeout=30)


def _commands(block: Block) -> list[str]:
    """The commands of a shell block: one per line, the reader's comment after ``#`` left out
    (a line ending with a backslash goes on)."""
    joined = block.body.replace("\\\n", " ")
    return [re.sub(r"\s+#\s.*$", "", line).strip() for line in joined.splitlines() if line.strip()]


def _synopsis(sandbox: Sandbox, command: str) -> None:
    """A synopsis (placeholders in capitals, options in brackets): each option it names is one
    the command's --help lists."""
    words = command.split()
    assert words[0] == "opendata", command
    helped = sandbox.run(f"opendata {words[1]} --help")
    for option in re.findall(r"--[a-z-]+", command):
        assert option in helped, (command, option)


class Servers:
    """The long-running commands of the README, started as the reader starts them."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, sandbox: Sandbox, command: str, ready: list[str]) -> None:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=sandbox.root,
            env=sandbox.env,
            stdout=(sandbox.root / "server.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append(process)
        for url in ready:
            _wait(url)

    def stop(self) -> None:
        for process in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the README says
            process.wait(timeout=90)
        self.running.clear()


def _shell(sandbox: Sandbox, block: Block, servers: Servers) -> None:
    port = sandbox.portal_port
    for command in _commands(block):
        if block.note and block.note.startswith("synopsis"):
            _synopsis(sandbox, command)
        elif command == "make test":  # the suite this test is part of: its target exists
            assert "\ntest:" in (sandbox.root / "Makefile").read_text()
        elif command.startswith("make serve"):
            # As written, on free ports (the README says how): a machine running its own
            # Prefect on 4200 must not fail this test.
            prefect, portal = free_port(), free_port()
            urls = [f"http://127.0.0.1:{prefect}/api/health", f"http://127.0.0.1:{portal}/sante"]
            servers.start(sandbox, f"{command} PORT={prefect} PORTAL_PORT={portal}", urls)
            servers.stop()  # Ctrl-C as soon as both answer, while serve is still starting
            for url in urls:
                _stopped(url)
        elif command.startswith("opendata portal"):
            servers.start(
                sandbox,
                command.replace("--port 8000", f"--port {port}"),
                [f"http://127.0.0.1:{port}/sante"],
            )
        elif command.startswith("opendata users add"):
            said = sandbox.run(command, stdin="lecture-du-readme\nlecture-du-readme\n")
            assert "marie.durand" in said
        elif command.startswith("curl"):
            said = sandbox.run(command.replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
            report = json.loads(said)
            assert report["valid"] is True and report["source"] == "epn-places", said[:300]
        elif command.startswith(("opendata approve", "opendata reject")):
            # Each decision on its own implausible snapshot, in a copy of the project (the
            # reader's raw/ and published/ stay as the next blocks expect them).
            copy = sandbox.root.parent / f"decide-{len(command)}"
            shutil.rmtree(copy, ignore_errors=True)
            copy.mkdir()
            for name in ("raw", "published"):
                shutil.copytree(sandbox.root / name, copy / name)
            _hold(copy)
            said = Sandbox(copy, sandbox.env, port, sandbox.moto).run(command)
            word = "approuvée" if "approve" in command else "refusée, mise en quarantaine"
            assert word in said.lower(), said
        else:
            sandbox.run(command)


def _hold(root: Path) -> None:
    """A Wi-Fi sites snapshot that drops all but three sites: valid, but held."""
    newest = root / "raw" / "wifi-sites" / "sites-2008-01-15.csv"
    lines = newest.read_bytes().split(b"\r\n")
    target = root / "raw" / "wifi-sites" / "2008-03-01_aaaaaaaaaaaa_export.csv"
    target.write_bytes(b"\r\n".join(lines[:4]) + b"\r\n")


def _console(sandbox: Sandbox, block: Block) -> None:
    """``$ command`` then what it prints, up to a line ``...``: the output must start so."""
    lines = block.body.splitlines()
    assert lines[0].startswith("$ "), block
    expected = [line for line in lines[1:] if line != "..."]
    said = sandbox.run(lines[0][2:], ok=(0, 1, 2)).splitlines()
    assert said[: len(expected)] == expected


def _python(sandbox: Sandbox, block: Block) -> None:
    code = block.body.replace("https://s3.example.org", sandbox.moto)
    path = sandbox.root / f"snippet-{Path(block.page).stem}-{block.line}.py"
    path.write_text(code, encoding="utf-8")
    sandbox.run(f"python {path.name}")


def _sql(sandbox: Sandbox, block: Block) -> None:
    path = sandbox.root / f"snippet-{Path(block.page).stem}-{block.line}.sql"
    path.write_text(block.body, encoding="utf-8")
    code = f"import duckdb; print(duckdb.sql(open('{path.name}').read()).fetchall())"
    assert "[(" in sandbox.run(f'python -c "{code}"')


def test_every_code_block_of_the_readme_runs(sandbox: Sandbox) -> None:
    found = blocks()
    assert len(found) >= 14
    servers = Servers()
    try:
        for block in found:
            if block.lang in ("sh", ""):
                _shell(sandbox, block, servers)
            elif block.lang == "console":
                _console(sandbox, block)
            elif block.lang == "python":
                _python(sandbox, block)
            elif block.lang == "sql":
                _sql(sandbox, block)
            elif block.lang == "text" and block.page == "docs/performance.md":
                pass  # a benchmark's recorded output (test_performance.py checks the page)
            else:
                raise AssertionError(f"{block}: no way to run a {block.lang!r} block")
    finally:
        servers.stop()
