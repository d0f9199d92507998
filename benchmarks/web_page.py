"""The static page's speed and weight in headless Chromium, served from loopback.

Exports the site (`python -m digitpad export-web`) to a temporary folder, serves it with a
plain static file server, and prints: when the model is ready and when the first answer is
on the page (from the start of navigation), pen-up → answer and preprocessing + model
(p50, p95 over many drawn digits), a photo from its file to its answer (the paper fixtures,
and the same photos blown up to a phone photo's 3,024 px height, their shape kept), pen-up → number on the
Number tab, and everything the page downloaded.

    python benchmarks/web_page.py               # 40 mouse-drawn digits, 20 photos of each size, 10 numbers
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers import CHROMIUM, CHROMIUM_ARGS, FIXTURES, draw_on_page, serve_folder  # noqa: E402

from digitpad.drawings import load_drawn_digits  # noqa: E402
from digitpad.export_web import export_web  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--digits", type=int, default=40, help="digits drawn with the mouse")
    parser.add_argument("--photos", type=int, default=20, help="paper photos read, at each size")
    parser.add_argument("--numbers", type=int, default=10, help="3-digit numbers written on the Number tab")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="digitpad-site-") as folder:
        return measure(args, Path(folder))


def measure(args, folder: Path) -> int:
    """Export the site into `folder`, serve it, and time the page as `main` says."""
    from playwright.sync_api import sync_playwright

    written = export_web(folder)
    print(f"site: {len(written)} files, {sum(p.stat().st_size for p in written) / 2**20:.1f} MB on disk")
    server, url = serve_folder(folder)
    records = load_drawn_digits(FIXTURES / "drawn-digits.jsonl.gz")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        downloaded = []
        page.on("requestfinished", lambda request: request.url.startswith("blob:") or downloaded.append(
            (request.url, request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"])))
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        ready = page.evaluate("performance.now()")
        box = page.locator("#sketchpad canvas").bounding_box()
        page.mouse.move(box["x"] + 200, box["y"] + 100)  # One quick stroke: a 1.
        page.mouse.down()
        page.mouse.move(box["x"] + 210, box["y"] + 350, steps=4)
        page.mouse.up()
        page.wait_for_function("window.digitpad.timings.firstAnswerAt !== null")
        first = page.evaluate("window.digitpad.timings.firstAnswerAt")
        page.click("#clear")
        page.evaluate("window.digitpad.timings.penUpToAnswer.length = 0;"
                      "window.digitpad.timings.pipeline.length = 0")
        started, right = time.time(), 0
        for index in range(args.digits):
            record = records[(index * 7) % len(records)]
            before = page.evaluate("window.digitpad.timings.penUpToAnswer.length")
            draw_on_page(page, record)
            page.wait_for_function(
                f"window.digitpad.timings.penUpToAnswer.length >= {before + len(record['strokes'])}")
            right += page.get_attribute("#prediction", "data-digit") == str(record["label"])
            page.click("#clear")
            if (index + 1) % 10 == 0:
                print(f"  {index + 1}/{args.digits} digits drawn, {time.time() - started:.0f} s", flush=True)
        photos = {size: read_photos(page, args.photos, size) for size in ("fixture", "phone")}
        numbers_right = write_numbers(page, records, args.numbers)
        timings = page.evaluate("window.digitpad.timings")
        browser.close()
    server.shutdown()
    pen_up, pipeline = np.asarray(timings["penUpToAnswer"]), np.asarray(timings["pipeline"])
    total = sum(size for _, size in downloaded)
    print(f"\nmodel ready after              {ready / 1000:.2f} s from the start of navigation")
    print(f"first answer on the page after {first / 1000:.2f} s (a one-stroke digit drawn at once)")
    print(f"pen-up → answer on the page    p50 {np.median(pen_up):.1f} ms, p95 {np.percentile(pen_up, 95):.1f} ms "
          f"({len(pen_up)} pen-ups)")
    print(f"preprocessing + model          p50 {np.median(pipeline):.1f} ms, p95 {np.percentile(pipeline, 95):.1f} ms "
          f"({len(pipeline)} readings, live ones included)")
    print(f"downloaded                     {total / 2**20:.2f} MB in {len(downloaded)} requests; "
          f"other origins: {sum(not u.startswith(url) for u, _ in downloaded)}")
    print(f"digits read right              {right}/{args.digits}")
    numbers = np.asarray(timings["numbers"])
    print(f"pen-up → number (Number tab)   p50 {np.median(numbers):.1f} ms, p95 {np.percentile(numbers, 95):.1f} ms "
          f"({len(numbers)} pen-ups), {numbers_right}/{args.numbers} numbers read right")
    for size, (times, read_right) in photos.items():
        print(f"photo file → answer ({size:7}) p50 {np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms, "
              f"{read_right}/{len(times)} read right")
    return 0


def write_numbers(page, records, count: int) -> int:
    """Write `count` 3-digit numbers with the mouse on the Number tab, a digit in each third of
    its canvas; returns how many were read right."""
    page.get_by_role("tab", name="Number").click()
    box = page.locator("#numberpad canvas.pad").bounding_box()
    right, started = 0, time.time()
    for index in range(count):
        chosen = [records[(index * 31 + k * 11) % len(records)] for k in range(3)]
        before = page.evaluate("window.digitpad.timings.numbers.length")
        for k, record in enumerate(chosen):
            third = {"x": box["x"] + k * box["width"] / 3, "y": box["y"], "width": box["width"] / 3,
                     "height": box["height"]}
            draw_on_page(page, record, "#numberpad canvas.pad", box=third)
        strokes = sum(len(record["strokes"]) for record in chosen)
        page.wait_for_function(f"window.digitpad.timings.numbers.length >= {before + strokes}")
        right += page.get_attribute("#number", "data-number") == "".join(str(r["label"]) for r in chosen)
        page.click("#number-clear")
        if (index + 1) % 5 == 0:
            print(f"  {index + 1}/{count} numbers written, {time.time() - started:.0f} s", flush=True)
    page.get_by_role("tab", name="Digit").click()
    return right


def read_photos(page, count: int, size: str):
    """Hand the page `count` paper fixtures through its file input (at their own size, or
    blown up to a phone photo's height of 3,024 px, their shape kept: about 9 megapixels);
    returns (milliseconds each, how many read right)."""
    import io

    from PIL import Image, ImageOps

    paths = sorted((FIXTURES / "paper").glob("*.jpg"))[::7][:count]
    times, right, started = [], 0, time.time()
    for index, path in enumerate(paths):
        data = path.read_bytes()
        if size == "phone":
            buffer = io.BytesIO()
            photo = ImageOps.exif_transpose(Image.open(path)).convert("RGB")  # Upright, as the page reads it.
            photo.resize((round(photo.width * 3024 / photo.height), 3024), Image.BILINEAR).save(buffer, "JPEG", quality=90)
            data = buffer.getvalue()
        before = page.evaluate("window.digitpad.timings.photos.length")
        page.set_input_files("#photo", files=[{"name": path.name, "mimeType": "image/jpeg", "buffer": data}])
        page.wait_for_function(f"window.digitpad.timings.photos.length > {before}", timeout=30_000)
        times.append(page.evaluate("window.digitpad.timings.photos.at(-1)"))
        right += page.get_attribute("#prediction", "data-digit") == path.name[0]
        if (index + 1) % 10 == 0:
            print(f"  {index + 1}/{len(paths)} photos ({size}) read, {time.time() - started:.0f} s", flush=True)
    return np.asarray(times), right


if __name__ == "__main__":
    sys.exit(main())
