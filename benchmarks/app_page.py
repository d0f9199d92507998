"""The Gradio app's speed as a visitor feels it: headless Chromium against `python app.py`,
and against Gradio alone (`benchmarks/noop_app.py`, a stock Sketchpad whose event does no work).

For each server, started on loopback: when the sketchpad is ready to draw on (from the start
of navigation), and for each digit drawn with the mouse, from its pen-up: the page's first
request (the editor has exported the canvas), the queue join (every part uploaded), the
answer received, and for digitpad the answer's text and the ten bars of its chart on the
page; the first digit after the page opened apart from the rest (p50, p95). The digits are
the one-stroke drawings of the committed fixture, so the pen-up is the digit's only one;
digitpad's page is cleared between digits (Gradio alone's is drawn over). Times are taken in
the page (`performance.now()` at the pointer-up, resource timings, a mutation observer).

    python benchmarks/app_page.py               # 30 digits on each, about five minutes
    python benchmarks/app_page.py --digits 60

Headless Chromium here renders without a GPU, so the canvas export is slower than on a
visitor's device; the same export is in both servers' figures.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers import BARS, CHROMIUM, CHROMIUM_ARGS, FIXTURES, LABEL, draw_on_page, stop  # noqa: E402
from serving import SERVERS, start  # noqa: E402

from digitpad.drawings import load_drawn_digits  # noqa: E402


# Installed before the page's own scripts: the time of every pointer-up, of every request
# (resource timings), of every answer's arrival, and the moments the answer's text and the
# chart's ten bars appear (each set again after they were cleared).
WATCH_JS = """
window.digitpadBench = {ups: [], labelAt: null, barsAt: null, requests: [], completed: []};
document.addEventListener('pointerup', () => window.digitpadBench.ups.push(performance.now()), true);
let hadLabel = false, hadBars = false;
const look = () => {
  const value = document.querySelector("%s");
  const label = !!(value && value.textContent.trim());
  const bars = document.querySelectorAll("%s").length === 10;
  if (label && !hadLabel) window.digitpadBench.labelAt = performance.now();
  if (bars && !hadBars) window.digitpadBench.barsAt = performance.now();
  hadLabel = label; hadBars = bars;
};
new MutationObserver(look).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
performance.setResourceTimingBufferSize(100000);  // Chromium stops timing requests at its default 250.
// Answers come down one stream that may have opened before the pen-up: note when each
// event's "process_completed" message arrives on it.
const realFetch = window.fetch;
window.fetch = async (...args) => {
  const response = await realFetch(...args);
  const url = String(args[0] && args[0].url || args[0]);
  if (!url.includes('/queue/data') || !response.body) return response;
  const [mine, theirs] = response.body.tee();
  (async () => {
    const reader = mine.getReader(), decoder = new TextDecoder();
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      for (const _ of decoder.decode(value, {stream: true}).matchAll(/process_completed/g))
        window.digitpadBench.completed.push(performance.now());
    }
  })();
  return new Response(theirs, {status: response.status, statusText: response.statusText, headers: response.headers});
};
new PerformanceObserver((list) => { for (const e of list.getEntries())
  window.digitpadBench.requests.push([e.name, e.startTime, e.responseEnd]); }).observe({type: 'resource', buffered: true});
""" % (LABEL.replace('"', '\\"'), BARS)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--digits", type=int, default=30, help="digits drawn with the mouse after the first")
    return parser.parse_args(argv)


STEPS = ("first request", "queue join", "answer received", "answer shown", "chart drawn")


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    args = parse_args(argv)
    records = [r for r in load_drawn_digits(FIXTURES / "drawn-digits.jsonl.gz") if len(r["strokes"]) == 1]
    figures = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for name, script in SERVERS.items():
            process, url, serving = start(script)
            try:
                figures[name] = measure(browser, url, records, args.digits, name == "digitpad")
            finally:
                stop(process)
            print(f"{name}: serving {serving:.2f} s after start", flush=True)
        browser.close()
    for name, (ready, first, steps, right) in figures.items():
        print(f"\n{name}: sketchpad ready {ready / 1000:.2f} s from the start of navigation")
        for step in STEPS:
            if step in steps:
                times = steps[step]
                print(f"  pen-up → {step:16} first digit {first[step]:5.0f} ms; then p50 {np.median(times):5.0f} ms, "
                      f"p95 {np.percentile(times, 95):5.0f} ms ({len(times)} digits)")
        if right is not None:
            print(f"  digits read right {right}/{args.digits}")
    return 0


def measure(browser, url, records, digits: int, digitpad: bool):
    """Open `url`, draw the first digit and then `digits` more; returns (ms to a ready
    sketchpad, the first digit's steps, every other digit's steps, how many read right)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.add_init_script(WATCH_JS)
    page.goto(url)
    pad = "#sketchpad" if digitpad else ".block:has(canvas)"
    page.wait_for_selector(f"{pad} canvas", timeout=60_000)
    if not digitpad:  # The stock Sketchpad starts with no tool.
        page.locator(f'{pad} button[aria-label="Brush"]').first.click()
    page.wait_for_selector(f'{pad} button[aria-label="Brush"].highlight', timeout=60_000)
    ready = page.evaluate("performance.now()")
    first = draw_one(page, records[0], pad, digitpad)
    steps, right, begun = {}, 0 if digitpad else None, time.time()
    for index in range(digits):
        record = records[(index * 7 + 1) % len(records)]
        taken = draw_one(page, record, pad, digitpad)
        for step, ms in taken.items():
            if step != "digit":
                steps.setdefault(step, []).append(ms)
        if digitpad:
            right += taken["digit"] == str(record["label"])
        if (index + 1) % 10 == 0:
            print(f"  {index + 1}/{digits} digits drawn, {time.time() - begun:.0f} s", flush=True)
    page.context.close()
    return ready, first, steps, right


def draw_one(page, record, pad: str, digitpad: bool) -> dict:
    """Draw `record` (one stroke; on digitpad, on a cleared pad) and wait for its answer;
    returns the milliseconds from its pen-up to each of `STEPS` (digitpad's last two only on
    digitpad) and, on digitpad, the digit shown."""
    if digitpad and page.locator(LABEL).count() and page.locator(LABEL).inner_text().strip():
        page.locator("#clear").click()  # (On an empty page a click races the first stroke.)
        page.wait_for_function(
            f"() => {{ const v = document.querySelector(\"{LABEL}\"); return (!v || !v.textContent.trim())"
            f" && document.querySelectorAll('{BARS}').length === 0; }}", timeout=30_000)
        # A clear leaves the Sketchpad without a tool until the app's script picks the brush again.
        page.wait_for_selector('#sketchpad button[aria-label="Brush"].highlight', timeout=10_000)
    ups = page.evaluate("window.digitpadBench.ups.length")
    draw_on_page(page, record, f"{pad} canvas", points_per_stroke=16)
    shown = "b.labelAt > up && b.barsAt > up" if digitpad else "true"
    page.wait_for_function(
        f"() => {{ const b = window.digitpadBench; const up = b.ups[b.ups.length - 1];"
        f" return b.ups.length > {ups} && {shown} && b.completed.some(t => t > up); }}", timeout=60_000)
    bench = page.evaluate("window.digitpadBench")
    up = bench["ups"][-1]
    after = [(name, begun - up, end - up) for name, begun, end in bench["requests"] if begun > up]
    taken = {"first request": min(begun for _, begun, _ in after),
             "queue join": next(begun for name, begun, _ in after if "/queue/join" in name),
             "answer received": min(t for t in bench["completed"] if t > up) - up}
    if digitpad:
        taken.update({"answer shown": bench["labelAt"] - up, "chart drawn": bench["barsAt"] - up,
                      "digit": page.locator(LABEL).inner_text().strip()})
    return taken


if __name__ == "__main__":
    sys.exit(main())
