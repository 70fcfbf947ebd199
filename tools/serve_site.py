"""Serve the course website (``make site``) on 127.0.0.1 only, and print the address to open.

    python tools/serve_site.py build/site --port 8000      # make site-serve

The folder is plain files: any static web server serves it, at a host's root or under a sub-path.  This one is
``tools/serve_lite.py``'s (JupyterLite inside needs WebAssembly's MIME type; nothing is cached between two
builds; it listens on this machine alone).  Stop it with Ctrl+C.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_lite import make_server  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, nargs="?", default=Path("build/site"))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if not (args.directory / "lite" / "index.html").is_file():
        print(f"serve_site: {args.directory} is not a built course website (no lite/index.html): run make site",
              file=sys.stderr)
        return 2
    try:
        server = make_server(args.directory, args.port, verbose=args.verbose)
    except (ValueError, OSError) as exc:
        print(f"serve_site: {exc}", file=sys.stderr)
        return 2
    print(f"Serving the course website {args.directory} on 127.0.0.1 only. Open\n"
          f"    http://127.0.0.1:{server.server_address[1]}/index.html\nCtrl+C stops the server.", flush=True)
    with server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
