"""`make site-serve`, run as the README writes it: it prints the address of the start page, serves the site there
(JupyterLite's WebAssembly with its MIME type), and listens on 127.0.0.1 only."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request

import psutil
from browserlib import free_port, http_get, listening_addresses
from sitelib import REPO, SITE


def test_make_site_serve_prints_a_working_address_on_loopback_only(site_server):
    port = free_port()  # SITE_PORT from the environment, so the command stays `make site-serve`
    proc = subprocess.Popen(["make", "site-serve"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "SITE_PORT": str(port)}, start_new_session=True)
    try:
        lines, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline and not any("/index.html" in line for line in lines):
            lines.append(proc.stdout.readline())
        url = re.search(rf"http://127\.0\.0\.1:{port}/index\.html", "".join(lines))
        assert url, "make site-serve printed no address:\n" + "".join(lines)
        status, body = http_get(url.group(0))
        assert status == 200 and b"Lecture map" in body
        wasm = next((SITE / "lite" / "static" / "pyodide").glob("*.wasm")).name
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lite/static/pyodide/{wasm}", timeout=10) as r:
            assert r.headers["Content-Type"] == "application/wasm"
        family = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
        addresses = {addr for pid in family for addr in listening_addresses(pid)}
        assert addresses == {("127.0.0.1", port)}, f"site-serve listens on {addresses}"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=15)
