"""Transcript of `make app` (Voila) for the walkthrough: what the page loads from the internet, what the server logs.

    python docs/walkthrough/app_transcript.py CHECKOUT [NOTEBOOK]

Starts Voila exactly as CHECKOUT's Makefile does (its APP_ARGS, on a free port of 127.0.0.1), renders
NOTEBOOK (default 00_start_here.ipynb), and prints: the command, every http(s):// URL the rendered page
loads (script src, link href), and the server's log lines that say WARNING.  Stops the server.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def app_command(checkout: Path) -> list[str]:
    made = subprocess.run(["make", "-n", "app"], cwd=checkout, capture_output=True, text=True, check=True).stdout
    (line,) = [x for x in made.splitlines() if "/voila " in x]
    return line.split()


def main(checkout: Path, notebook: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [*app_command(checkout), f"--port={port}"]
    print("$ " + " ".join(cmd))
    log = checkout / "build" / "app-transcript.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=checkout, stdout=out, stderr=subprocess.STDOUT)
    try:
        token = None
        for _ in range(120):
            found = re.search(r"token=([0-9a-f]+)", log.read_text())
            if found:
                token = found.group(1)
                break
            time.sleep(0.5)
        url = f"http://127.0.0.1:{port}/voila/render/{notebook}?token={token}"
        page = urllib.request.urlopen(url, timeout=300).read().decode("utf-8")
        time.sleep(3)  # the kernel has started and run: its log lines are out
        remote = sorted(set(re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', page)))
        print(f"rendered {notebook}: {len(page)} bytes; loaded from the internet: {len(remote)}")
        for u in remote:
            print(f"  {u}")
        warnings = [x for x in log.read_text().splitlines() if "WARNING" in x or "TCP" in x]
        print(f"server log: {len(warnings)} warning line(s)")
        for x in warnings:
            print(f"  {x[:220]}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), sys.argv[2] if len(sys.argv) > 2 else "00_start_here.ipynb")
