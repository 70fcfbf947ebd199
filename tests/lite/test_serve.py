"""`make lite-serve`, run exactly as the README writes it: it prints the address of the lecture, serves the
site there with the right MIME types, and listens on 127.0.0.1 only."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tarfile
import time

import build_lite
import pytest
from browserlib import free_port, http_get, listening_addresses
from litelib import REPO, SITE


def test_make_lite_serve_prints_a_working_address_on_loopback_only():
    if not (SITE / "index.html").exists():
        pytest.skip("no built site: run make lite")
    port = free_port()  # LITE_PORT from the environment, so the command stays `make lite-serve`
    proc = subprocess.Popen(["make", "lite-serve"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "LITE_PORT": str(port)}, start_new_session=True)
    try:
        lines, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline and not any("/lab/index.html" in line for line in lines):
            lines.append(proc.stdout.readline())
        url = re.search(r"http://127\.0\.0\.1:\d+/lab/index\.html\?path=00_start_here\.ipynb", "".join(lines))
        assert url, "make lite-serve printed no address:\n" + "".join(lines)
        status, body = http_get(url.group(0))
        assert status == 200 and b"<html" in body.lower()
        status, _ = http_get(f"http://127.0.0.1:{port}/files/03_gumbel_max_trick.ipynb")
        assert status == 200
        addresses = {addr for pid in _family(proc.pid) for addr in listening_addresses(pid)}
        assert addresses == {("127.0.0.1", port)}, f"lite-serve listens on {addresses}"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=15)


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


def _family(pid: int) -> list[int]:
    import psutil

    proc = psutil.Process(pid)
    return [pid, *(c.pid for c in proc.children(recursive=True))]
