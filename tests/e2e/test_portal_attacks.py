"""The attack campaign: each attack against a real ``opendata portal`` on loopback, bounded in
requests and time, while another steward's page is probed.

Every attack asserts its refusal (a 4xx answer in French, never a 500 or a traceback), that the
other steward's page answered in under a second throughout, that the web process and its
workers stayed under their memory bound, and that nothing already stored was lost. The counts
are written to ``build/attack-campaign.json`` (the closing notes quote them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from opendata.contracts import registry
from opendata.portal.accounts import Accounts
from opendata.watchdog import children_of
from tests.conftest import RAW, ROOT
from tests.e2e.portal_process import start_portal, stop_portal
from tests.hostile import files

pytestmark = pytest.mark.e2e
PASSWORD = "motdepasse-solide"
PROBE_LIMIT_S = 1.0
WEB_MEMORY_LIMIT_KIB = 600 * 1024  # the web process: it never reads a delivery whole
WORKER_MEMORY_LIMIT_KIB = 1200 * 1024
RESULTS = ROOT / "build" / "attack-campaign.json"
CAMPAIGN: dict[str, dict] = {}


def _status_kib(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"{field}:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


def _peak_kib(pid: int) -> int:
    return _status_kib(pid, "VmHWM")


def _csrf_in(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "every form carries a CSRF token"
    return match.group(1)


class Portal:
    def __init__(self, root: Path, process: subprocess.Popen[bytes], url: str) -> None:
        self.root, self.process, self.url = root, process, url

    def client(self, name: str | None = None) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=120, follow_redirects=True)
        if name:
            page = client.get("/connexion").text
            token = _csrf_in(page)
            answer = client.post(
                "/connexion", data={"csrf": token, "username": name, "password": PASSWORD}
            )
            assert answer.status_code == 200 and answer.url.path == "/", answer.text[:300]
        return client

    def csrf(self, client: httpx.Client) -> str:
        return _csrf_in(client.get("/").text)

    def memory(self) -> tuple[int, int]:
        """Peak resident KiB of the web process and of its largest worker."""
        workers = [_peak_kib(pid) for pid in children_of(self.process.pid)]
        return _peak_kib(self.process.pid), max(workers, default=0)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("attacked")
    (root / "raw").mkdir()
    known = sorted(registry.sources())
    accounts = Accounts(root)
    accounts.add("attaquant", PASSWORD, known, False, known)
    accounts.add("marie", PASSWORD, ["epn-places", "wifi-sites"], False, known)
    accounts.add("operateur", PASSWORD, ["wifi-sessions"], False, known)
    accounts.add("lent", PASSWORD, ["wifi-sites"], False, known)
    env = {
        **os.environ,
        "OPENDATA_PORTAL_WORKERS": "2",
        "OPENDATA_PORTAL_WAIT_SECONDS": "0",
        "OPENDATA_PORTAL_UPLOAD_IDLE_SECONDS": "2",
    }
    env.pop("OPENDATA_PORTAL_TRUSTED_PROXIES", None)
    process, url = start_portal(root, root / "portal.log", env)
    try:
        yield Portal(root, process, url)
    finally:
        stop_portal(process, root / "portal.log")
        RESULTS.parent.mkdir(exist_ok=True)
        totals = {
            "attacks": len(CAMPAIGN),
            "requests": sum(a["requests"] for a in CAMPAIGN.values()),
            "server_errors": sum(a["server_errors"] for a in CAMPAIGN.values()),
            "worst_probe_s": max((a["worst_probe_s"] for a in CAMPAIGN.values()), default=0),
            "web_peak_mib": max((a["web_peak_mib"] for a in CAMPAIGN.values()), default=0),
            "worker_peak_mib": max((a["worker_peak_mib"] for a in CAMPAIGN.values()), default=0),
        }
        RESULTS.write_text(json.dumps({"totals": totals, "attacks": CAMPAIGN}, indent=2))


def _attack(
    portal: Portal, name: str, attack: Callable[[], list[httpx.Response]]
) -> list[httpx.Response]:
    """Run ``attack`` while marie's home page is probed every 100 ms; assert the probe."""
    probe = portal.client("marie")
    latencies: list[float] = []
    stop = threading.Event()

    def probing() -> None:
        while not stop.is_set():
            began = time.monotonic()
            answer = probe.get("/")
            latencies.append(time.monotonic() - began)
            assert answer.status_code == 200
            stop.wait(0.1)

    thread = threading.Thread(target=probing, daemon=True)
    thread.start()
    try:
        answers = attack()
    finally:
        stop.set()
        thread.join(timeout=30)
    web, worker = portal.memory()
    CAMPAIGN[name] = {
        "requests": len(answers),
        "server_errors": sum(a.status_code >= 500 for a in answers),
        "worst_probe_s": round(max(latencies, default=0), 3),
        "probes": len(latencies),
        "web_peak_mib": web // 1024,
        "worker_peak_mib": worker // 1024,
    }
    assert latencies, "the other steward's page was never probed"
    assert max(latencies) < PROBE_LIMIT_S, CAMPAIGN[name]
    assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
    assert web < WEB_MEMORY_LIMIT_KIB and worker < WORKER_MEMORY_LIMIT_KIB, CAMPAIGN[name]
    return answers


def _upload(portal: Portal, client: httpx.Client, path: Path, source: str = "") -> httpx.Response:
    with path.open("rb") as handle:
        return client.post(
            "/verifier",
            data={"csrf": portal.csrf(client), "source": source},
            files={"file": (path.name, handle)},
        )


def _report(client: httpx.Client, answer: httpx.Response) -> httpx.Response:
    """The report page an upload leads to, once its check is done (the progress page first)."""
    path = answer.url.path
    if not path.startswith("/rapports/"):
        return answer
    deadline = time.monotonic() + 120
    while client.get(f"{path}/etat").json()["status"] != "done":
        assert time.monotonic() < deadline, "the check never finished"
        time.sleep(0.3)
    return client.get(path)


def _refused(answer: httpx.Response) -> bool:
    return (
        400 <= answer.status_code < 500
        or "NON VALIDE" in answer.text
        or ("illisible" in answer.text)
    )


def test_a_workbook_bomb_with_no_source_chosen(portal: Portal, tmp_path: Path) -> None:
    """1 MB holding 240 MB of sheet XML without cell references, recognised (no source)."""
    bomb = files.xlsx_rows_without_references(tmp_path, "epn-places")
    attacker = portal.client("attaquant")
    answers = _attack(portal, "xlsx-bomb-no-source", lambda: [_upload(portal, attacker, bomb)])
    assert _refused(answers[0]) and "lignes" in answers[0].text, answers[0].text[:500]


def test_a_gzip_of_zeros_sent_as_a_month(portal: Portal, tmp_path: Path) -> None:
    zeros = files.gzip_of_zeros(tmp_path, "wifi-sessions")
    attacker = portal.client("attaquant")
    answers = _attack(
        portal, "gzip-of-zeros", lambda: [_upload(portal, attacker, zeros, "wifi-sessions")]
    )
    report = _report(attacker, answers[0])
    assert "octets nuls" in report.text, report.text[:500]


def test_rotated_forwarded_for_does_not_escape_the_throttle(portal: Portal) -> None:
    def guesses() -> list[httpx.Response]:
        client = portal.client()
        answers = []
        for i in range(7):
            token = _csrf_in(client.get("/connexion").text)
            answers.append(
                client.post(
                    "/connexion",
                    data={"csrf": token, "username": "attaquant", "password": f"faux-{i}"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"},
                )
            )
        return answers

    answers = _attack(portal, "forwarded-for-rotation", guesses)
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 2


def test_huge_names_at_the_sign_in_leave_no_memory_behind(portal: Portal) -> None:
    before = _status_kib(portal.process.pid, "VmRSS")

    def names() -> list[httpx.Response]:
        client = portal.client()
        token = _csrf_in(client.get("/connexion").text)
        return [
            client.post(
                "/connexion",
                data={"csrf": token, "username": f"{i}" + "n" * 900_000, "password": "x"},
            )
            for i in range(150)
        ]

    answers = _attack(portal, "huge-sign-in-names", names)
    assert all(a.status_code in (401, 413, 429) for a in answers)
    after = _status_kib(portal.process.pid, "VmRSS")
    CAMPAIGN["huge-sign-in-names"]["rss_growth_mib"] = (after - before) // 1024
    assert after - before < 40 * 1024, f"{(after - before) // 1024} MiB kept"


def test_a_small_check_is_not_queued_behind_many_large_ones(portal: Portal) -> None:
    """Twenty months from one steward, then another's small file: the small one is reported
    while months are still waiting (its own lane), not after all of them."""
    month = RAW / "wifi-sessions" / "sessions-2007-10.csv.gz"
    attacker = portal.client("operateur")
    marie = portal.client("marie")
    small = RAW / "wifi-sites" / "sites-2008-01-15.csv"

    def flood() -> list[httpx.Response]:
        answers = [_upload(portal, attacker, month, "wifi-sessions") for _ in range(20)]
        mine = _report(marie, _upload(portal, marie, small, "wifi-sites"))
        waiting = [
            a for a in answers if attacker.get(f"{a.url.path}/etat").json()["status"] != "done"
        ]
        assert mine.status_code == 200 and "Votre fichier est valide" in mine.text
        assert waiting, "every month was done before the small file: it waited behind them"
        return [*answers, mine, *[_report(attacker, a) for a in answers]]

    _attack(portal, "twenty-months-then-a-small-file", flood)


def test_slow_uploads_are_cut_off(portal: Portal) -> None:
    """Ten connections that send a form's first bytes and then nothing (a slow-loris upload):
    each is answered 408 in French once idle, and nothing of them is kept."""
    import socket

    attacker = portal.client("lent")
    cookie = "; ".join(f"{k}={v}" for k, v in attacker.cookies.items())
    token = portal.csrf(attacker)
    host, port = portal.url.removeprefix("http://").split(":")
    before = set((portal.root / "portal" / "checks").glob("*"))

    def slow() -> list[httpx.Response]:
        sockets = []
        for _ in range(10):
            sock = socket.create_connection((host, int(port)), timeout=60)
            body = (
                '--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n'
                f'{token}\r\n--b\r\nContent-Disposition: form-data; name="file"; '
                'filename="lent.csv"\r\n\r\nCode site;'
            ).encode()
            head = (
                f"POST /verifier HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {len(body) + 100_000}\r\n\r\n"
            ).encode()
            sock.sendall(head + body)
            sockets.append(sock)
        answers = []
        for sock in sockets:
            data = b""
            while b"</html>" not in data:
                more = sock.recv(65536)
                if not more:
                    break
                data += more
            sock.close()
            status = int(data.split(b" ", 2)[1])
            answers.append(httpx.Response(status, content=data.split(b"\r\n\r\n", 1)[1]))
        return answers

    answers = _attack(portal, "slow-loris-uploads", slow)
    assert [a.status_code for a in answers] == [408] * 10
    assert all("trop lent" in a.text for a in answers)
    assert set((portal.root / "portal" / "checks").glob("*")) == before


def test_nothing_stored_was_lost(portal: Portal) -> None:
    """After the campaign, a real delivery is still checked and accepted."""
    client = portal.client("marie")
    answer = _upload(portal, client, RAW / "epn-places" / "epn-2008-01-15.xlsx", "epn-places")
    report = _report(client, answer)
    assert report.status_code == 200 and "Votre fichier est valide" in report.text
    assert not list((portal.root / "raw").rglob("*.incoming-*"))
