"""Time from upload to report page in the stewards' portal, against the bare validation.

    make bench            # or: .venv/bin/python bench/portal_latency.py [--uploads N]

A real ``opendata portal`` (uvicorn, its worker processes) on a temporary root; stewards are
threads with their own HTTP client and session, each uploading the sample EPN workbook and
following the redirect until the report page is there (the progress page reloading if needed).
The reference is ``validate_file`` on the same file in this process, already warm. At one
steward the two are interleaved (one bare validation, one upload, and so on), so that a change
in the machine's load during the run weighs on both alike. Prints p50/p95 at 1 and at 10
concurrent stewards and the ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
FILE = ROOT / "raw" / "epn-places" / "epn-2008-01-15.xlsx"
PASSWORD = "banc-d-essai-portail"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signed_in(url: str, name: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, follow_redirects=True, timeout=300)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/connexion").text)
    assert token
    page = client.post(
        "/connexion", data={"csrf": token.group(1), "username": name, "password": PASSWORD}
    )
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf and page.url.path == "/", page.text[:300]
    return client, csrf.group(1)


def _upload(client: httpx.Client, csrf: str) -> float:
    data = FILE.read_bytes()
    start = time.perf_counter()
    page = client.post(
        "/verifier", data={"csrf": csrf, "source": ""}, files={"file": (FILE.name, data)}
    )
    while 'data-refresh="' in page.text:  # the progress page: reload as its script does
        time.sleep(0.05)
        page = client.get(page.url)
    elapsed = time.perf_counter() - start
    assert page.status_code == 200 and "Rapport de validation" in page.text, page.text[:300]
    return elapsed


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=60, help="uploads per steward count")
    args = parser.parse_args()

    from opendata.contracts import registry
    from opendata.portal.accounts import Accounts
    from opendata.validate.file import validate_file

    source = registry.source("epn-places")
    validate_file(FILE, source, ROOT / "raw")  # warm, as the portal's workers are

    def bare_once() -> float:
        start = time.perf_counter()
        validate_file(FILE, source, ROOT / "raw")
        return time.perf_counter() - start

    root = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    shutil.copytree(ROOT / "raw", root / "raw")
    accounts = Accounts(root)
    for i in range(10):
        accounts.add(f"steward{i}", PASSWORD, ["epn-places"], False, sorted(registry.sources()))
    port = _port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "opendata"), "portal", "--root", str(root),
         "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/sante", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        time.sleep(3)  # the worker processes finish importing
        bare_p50 = 0.0
        for stewards in (1, 10):
            sessions = [_signed_in(url, f"steward{i}") for i in range(stewards)]
            for client, csrf in sessions:
                _upload(client, csrf)  # each steward's first page

            each = max(1, args.uploads // stewards)
            if stewards == 1:
                client, csrf = sessions[0]
                bare, times = [], []
                for _ in range(args.uploads):
                    bare.append(bare_once())
                    times.append(_upload(client, csrf))
                bare_p50, bare_p95 = _percentiles(bare)
                print(f"bare validate_file (in process, warm): p50 {bare_p50 * 1000:.1f} ms, "
                      f"p95 {bare_p95 * 1000:.1f} ms")  # fmt: skip
            else:

                def one(pair: tuple[httpx.Client, str], each: int = each) -> list[float]:
                    client, csrf = pair
                    return [_upload(client, csrf) for _ in range(each)]

                with ThreadPoolExecutor(stewards) as pool:
                    times = [t for batch in pool.map(one, sessions) for t in batch]
            p50, p95 = _percentiles(times)
            print(
                f"portal, {stewards:2d} steward(s) at once, upload to report page: "
                f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms ({len(times)} uploads); "
                f"p50 ratio to bare p50 {p50 / bare_p50:.2f}x (target at 1 steward: 1.5x)"
            )
            for client, _ in sessions:
                client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
