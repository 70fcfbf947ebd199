"""`make lab` serves on 127.0.0.1 only and answers nothing without its token.

The test runs the exact command line of the Makefile's ``lab`` target (read with ``make -n lab``) on a free
port, reads the token from the URL it prints, and checks the REST API with and without it and the address
of every socket the server listens on.  (It does not connect to the machine's other addresses: the sockets
themselves are inspected, with psutil or ``ss``.)
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import pytest
from browserlib import (
    IN_CI,
    REPO,
    free_port,
    http_get,
    isolated_jupyter_env,
    listening_addresses,
    make_command,
    start_server,
    status_no_redirect,
    stop_server,
    wait_for_log,
    wait_until_answers,
)


def _get(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - 127.0.0.1 only
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_make_lab_is_local_and_needs_the_token(tmp_path):
    try:
        cmd = make_command("lab", "jupyter lab")
    except FileNotFoundError as exc:
        if IN_CI:
            raise
        pytest.skip(str(exc))
    assert "--ServerApp.ip=127.0.0.1" in cmd, cmd
    assert not any(a.startswith(("--IdentityProvider.token=", "--ServerApp.token=", "--NotebookApp.token="))
                   for a in cmd), f"make lab must not set (or empty) the token: {cmd}"
    for attempt in (1, 2):  # once more if something else on this shared machine stopped it at once
        port, log = free_port(), tmp_path / f"lab-{attempt}.log"
        run = [*cmd, f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
        # the command as the Makefile has it, from the repository root (root_dir=.), with throwaway settings
        proc = start_server(run, cwd=REPO, log=log, env=isolated_jupyter_env(tmp_path))
        try:
            token = wait_for_log(log, rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]{{16,}})", proc).group(1)
            wait_until_answers(f"http://127.0.0.1:{port}/api/status?token={token}", proc, log, timeout=60)
            break
        except (AssertionError, RuntimeError, TimeoutError):
            stop_server(proc)
            if attempt == 2 or "received signal" not in log.read_text():
                raise
    try:
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/api/contents") == 403, "the API answers without the token"
        assert _get(f"{base}/api/contents", token="0" * 48) == 403, "the API answers a wrong token"
        assert _get(f"{base}/api/contents", token=token) == 200
        assert http_get(f"{base}/api/contents?token={token}")[0] == 200
        status, location = status_no_redirect(f"{base}/lab")  # the page itself sends a stranger to the login form
        assert status == 403 or (status == 302 and "/login" in location), (status, location)
        listening = listening_addresses(proc.pid)
        assert ("127.0.0.1", port) in listening, listening
        assert {ip for ip, _ in listening} == {"127.0.0.1"}, f"make lab listens beyond 127.0.0.1: {listening}"
        print(f"\nmake lab ({' '.join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))}) "
              f"listens on {sorted(listening)}; /api/contents: 403 without the token, 200 with it")
    finally:
        stop_server(proc)
