"""`make lite-serve`, run exactly as the README writes it: it prints the address of the lecture, serves the
site there with the right MIME types, and listens on 127.0.0.1 only."""

from __future__ import annotations

import tarfile

import build_lite
import pytest
from browserlib import http_get, listening_addresses, make_serve
from litelib import REPO, SITE


def test_make_lite_serve_prints_a_working_address_on_loopback_only():
    if not (SITE / "index.html").exists():
        pytest.skip("no built site: run make lite")
    address = r"http://127\.0\.0\.1:{port}/lab/index\.html\?path=00_start_here\.ipynb"
    with make_serve("lite-serve", "LITE_PORT", address, REPO) as (url, port, family):
        status, body = http_get(url)
        assert status == 200 and b"<html" in body.lower()
        status, _ = http_get(f"http://127.0.0.1:{port}/files/03_gumbel_max_trick.ipynb")
        assert status == 200
        addresses = {addr for pid in family() for addr in listening_addresses(pid)}
        assert addresses == {("127.0.0.1", port)}, f"lite-serve listens on {addresses}"


def test_pyodide_dist_may_be_a_tarball(tmp_path):
    """PYODIDE_DIST=<official .tar.bz2>: the files are read straight out of the archive."""
    lock = build_lite.official_lock()["packages"]
    name = lock["numpy"]["file_name"]
    good = SITE / "static" / "pyodide" / name
    if not good.exists():
        pytest.skip("no built site: run make lite")
    archive = tmp_path / "pyodide-0.27.7.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        tar.add(good, arcname=f"pyodide/{name}")
    source = build_lite.DistSource(archive)
    assert source.read(name) == good.read_bytes()
    assert source.read("not-there.whl") is None

