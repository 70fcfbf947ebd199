"""Screenshots of the course website for the walkthrough evidence (docs/walkthrough/README.md).

    python docs/walkthrough/shoot.py sweep SITE OUT            # every NN_*.html in full, at 1280 and 390 px
    python docs/walkthrough/shoot.py crop SITE PAGE TEXT PNG [--height 500] [--above 40] [--width 1280] [--nth 0]
    python docs/walkthrough/shoot.py batch SITE LIST.tsv     # many crops: PAGE TEXT PNG HEIGHT ABOVE WIDTH NTH per line
                                                             # (an 8th column "open" unfolds every <details> first)

``sweep`` writes each page as tiles (``OUT/<page>-<width>-<i>.png``, 3000 px tall) and prints, per page,
what the reading check of the site crawler (tests/site/sitelib.py) finds (raw HTML/LaTeX, formulas not typeset,
sideways scroll).  ``crop`` shows the region that starts at the first element whose text contains TEXT
(the ``nth`` match), the full width of the page, and saves it as a palette PNG (small enough to commit).
Uses Debian's Chromium through Playwright, like the browser tests.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests" / "browser"), str(REPO / "tests" / "site")]
from browserlib import CHROMIUM_ARGS, DEBIAN_CHROMIUM  # noqa: E402
from sitelib import MATHJAX_DONE_JS, READING_JS  # noqa: E402

TILE = 3000


def _open(p, width: int):
    browser = p.chromium.launch(headless=True, args=CHROMIUM_ARGS, executable_path=str(DEBIAN_CHROMIUM))
    page = browser.new_page(viewport={"width": width, "height": 900})
    return browser, page


def _goto(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.evaluate(MATHJAX_DONE_JS)
    page.wait_for_timeout(300)


def save_small(png: bytes, path: Path) -> Path:
    """A palette PNG (256 colours): screenshots of text and plots stay sharp and usually < 150 KB."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def sweep(site: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        for width in (1280, 390):
            browser, page = _open(p, width)
            for html in sorted(site.resolve().glob("[0-9][0-9]_*.html")):
                _goto(page, html.as_uri())
                info = page.evaluate(READING_JS)
                height = page.evaluate("document.documentElement.scrollHeight")
                for i, top in enumerate(range(0, height, TILE)):
                    clip = {"x": 0, "y": top, "width": width, "height": min(TILE, height - top)}
                    page.screenshot(path=str(out / f"{html.stem}-{width}-{i:02d}.png"), clip=clip, full_page=True)
                print(f"{html.name} @{width}: {height} px tall; sideways {info['overflow']} px; "
                      f"raw {info['raw']}; formulas not typeset {info['mathErrors']}")
            browser.close()


def crop(site: Path, page_name: str, text: str, path: Path, height: int, above: int, width: int, nth: int) -> None:
    batch(site, [(page_name, text, path, height, above, width, nth, False)])


def batch(site: Path, jobs) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = _open(p, 1280)
        for page_name, text, path, height, above, width, nth, unfold in jobs:
            page.set_viewport_size({"width": width, "height": 900})
            _goto(page, (site.resolve() / page_name).as_uri())
            if unfold:  # folded solutions and errata
                page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            # TEXT: visible text, or a Playwright selector ("xpath=...", "css=...")
            target = (page.locator(text) if text.startswith(("xpath=", "css=")) else
                      page.get_by_text(text, exact=False)).nth(nth)
            target.scroll_into_view_if_needed()
            box = target.bounding_box()
            top = max(0, box["y"] + page.evaluate("window.scrollY") - above)
            shot = page.screenshot(clip={"x": 0, "y": top, "width": width, "height": height}, full_page=True)
            save_small(shot, Path(path))
            print(f"{path}: {Path(path).stat().st_size // 1024} KB")
        browser.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sweep")
    s.add_argument("site", type=Path)
    s.add_argument("out", type=Path)
    c = sub.add_parser("crop")
    c.add_argument("site", type=Path)
    c.add_argument("page")
    c.add_argument("text")
    c.add_argument("png", type=Path)
    c.add_argument("--height", type=int, default=500)
    c.add_argument("--above", type=int, default=40)
    c.add_argument("--width", type=int, default=1280)
    c.add_argument("--nth", type=int, default=0)
    b = sub.add_parser("batch")
    b.add_argument("site", type=Path)
    b.add_argument("list", type=Path)
    args = parser.parse_args(argv)
    if args.command == "sweep":
        sweep(args.site, args.out)
    elif args.command == "batch":
        rows = [line.split("\t") for line in args.list.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
        batch(args.site, [(r[0], r[1], args.list.parent / r[2], *map(int, r[3:7]), r[7:8] == ["open"])
                          for r in rows])
    else:
        crop(args.site, args.page, args.text, args.png, args.height, args.above, args.width, args.nth)


if __name__ == "__main__":
    main()
