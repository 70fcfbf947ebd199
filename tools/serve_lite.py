"""Serve the JupyterLite site (``make lite``) on 127.0.0.1 only, and print the address to open.

    python tools/serve_lite.py build/lite --port 8000     # make lite-serve

Any static web server does the same job (the site is plain files); this one only makes sure that
WebAssembly and JavaScript modules get their MIME types, that a browser keeps the package files across visits
but sees a rebuilt site at the next reload (``cache_control``; the site's ``_headers`` file gives static hosts
the same rules), and that it listens on this machine alone. Stop it with Ctrl+C.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MIME = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
        ".json": "application/json", ".whl": "application/octet-stream", ".ipynb": "application/json"}


# Files whose name changes whenever their bytes do: JupyterLab's bundles (a content hash in the name) and the package
# files (a version, and a sha256 build tag for the wheels `make lite` makes or changes: tools/lite/startup.py).
IMMUTABLE = re.compile(r"(^build/|^extensions/.*/static/).*\.[0-9a-f]{7,}\.js$"
                       r"|^static/pyodide/(?!python_stdlib\.zip$)[^/]+\.(whl|zip|tar)$")


def cache_control(rel_path: str) -> str:
    """Cache-Control for a file of the site: kept for a year if its name changes with its bytes, else revalidated.

    A second visit then loads the 40-odd package files from the browser's cache without asking, and asks only
    "changed?" (304) for the rest: the page, the settings, the notebooks, the lock and the Pyodide runtime (whose
    names stay the same across a Pyodide upgrade).

    Examples
    --------
    >>> cache_control("static/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl")
    'public, max-age=31536000, immutable'
    >>> cache_control("files/03_gumbel_max_trick.ipynb")
    'no-cache'
    """
    return "public, max-age=31536000, immutable" if IMMUTABLE.search(rel_path) else "no-cache"


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **MIME}

    def end_headers(self) -> None:
        rel = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        # immutable: the same URL never has other bytes; no-cache: a rebuilt site is seen at the next reload
        self.send_header("Cache-Control", cache_control(rel))
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if self.server.verbose:
            super().log_message(format, *args)


def make_server(directory: Path, port: int, *, verbose: bool = False) -> ThreadingHTTPServer:
    """A threaded static server for ``directory`` on 127.0.0.1 (``port=0``: any free port)."""
    if not (directory / "index.html").is_file():
        raise ValueError(f"directory must hold a built JupyterLite site (index.html), got {directory!r}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be in [0, 65535], got {port!r}")
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=str(directory)))
    server.verbose = verbose
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, nargs="?", default=Path("build/lite"))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    try:
        server = make_server(args.directory, args.port, verbose=args.verbose)
    except (ValueError, OSError) as exc:
        print(f"serve_lite: {exc}", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"Serving {args.directory} on 127.0.0.1 only. Open the lecture at\n"
          f"    {url}/lab/index.html?path=00_start_here.ipynb\n"
          "The first start of the Python kernel in a browser takes 10-30 s. Ctrl+C stops the server.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
