"""`make site-serve`, run as the README writes it: it prints the address of the start page, serves the site there
(JupyterLite's WebAssembly with its MIME type), and listens on 127.0.0.1 only."""

from __future__ import annotations

import urllib.request

from browserlib import http_get, listening_addresses, make_serve
from sitelib import REPO, SITE


def test_make_site_serve_prints_a_working_address_on_loopback_only(site_server):
    with make_serve("site-serve", "SITE_PORT", r"http://127\.0\.0\.1:{port}/index\.html", REPO) as (url, port, family):
        status, body = http_get(url)
        assert status == 200 and b"Lecture map" in body
        wasm = next((SITE / "lite" / "static" / "pyodide").glob("*.wasm")).name
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lite/static/pyodide/{wasm}", timeout=10) as r:
            assert r.headers["Content-Type"] == "application/wasm"
        addresses = {addr for pid in family() for addr in listening_addresses(pid)}
        assert addresses == {("127.0.0.1", port)}, f"site-serve listens on {addresses}"
