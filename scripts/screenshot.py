"""Take the README's screenshot: the real app in Chromium with a digit drawn by mouse.

    python scripts/screenshot.py            # writes docs/screenshot.png
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from digitpad.drawings import load_drawn_digits  # noqa: E402
from helpers import CHROMIUM, CHROMIUM_ARGS, FIXTURES, draw_on_page, start_app, stop  # noqa: E402


def main(out=ROOT / "docs/screenshot.png") -> None:
    from playwright.sync_api import sync_playwright

    record = next(d for d in load_drawn_digits(FIXTURES / "drawn-digits.jsonl.gz") if d["label"] == 4)
    process, url = start_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_selector('#sketchpad button[aria-label="Brush"].highlight')
            draw_on_page(page, record, points_per_stroke=16)
            page.wait_for_selector("#preview img")
            page.wait_for_timeout(1000)  # Let the bar chart finish drawing.
            page.screenshot(path=str(out))
            browser.close()
    finally:
        stop(process)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
