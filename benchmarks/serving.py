"""Serving figures: start-up, memory, /predict latency and throughput under load.

Each figure is measured for digitpad (`python app.py`) and for Gradio alone
(`benchmarks/noop_app.py`: same endpoint shape, no work), started the same way in the same
run, on loopback. Targets (issue 5): p50 ≤ 1.10 × Gradio's; page ≤ 3.5 s and first
prediction ≤ 4 s after start; RSS ≤ 300 MB; under 32 users no errors, every answer as
alone, throughput ≥ 90% of Gradio's. All the users call from loopback, where visitors would
each have their own address, so digitpad is started with a share of the queue per address
(`$DIGITPAD_QUEUE_PER_ADDRESS`) as large as the number of users.

    python benchmarks/serving.py                        # everything, about 3 minutes
    python benchmarks/serving.py --calls 100 --load-seconds 20 --users 16
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from digitpad.drawings import load_drawn_digits, render_strokes, sketchpad_value  # noqa: E402
from digitpad.limits import ADDRESS_QUEUE  # noqa: E402
from helpers import free_port, rss_mb, stop, wait_for_http  # noqa: E402

FIXTURE = ROOT / "tests/fixtures/drawn-digits.jsonl.gz"
SERVERS = {"digitpad": ["app.py"], "gradio alone": ["benchmarks/noop_app.py"]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="sequential calls for latency")
    parser.add_argument("--users", type=int, default=32, help="concurrent users for the load test")
    parser.add_argument("--load-seconds", type=float, default=60, help="length of the load test")
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time (best is kept)")
    return parser.parse_args(argv)


def start(script, env_extra=None):
    """Start a server script; return (process, url, seconds until its page is served)."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", **(env_extra or {})}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, *script], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, process, timeout=120, poll=0.02)
    except RuntimeError as error:
        raise SystemExit(f"{script}: {error}") from None
    return process, url, time.perf_counter() - started


def drawings(folder: Path):
    """Ten drawn digits as PNG composites on disk: (path, label) pairs."""
    records = load_drawn_digits(FIXTURE)
    chosen = [next(r for r in records if r["label"] == d) for d in range(10)]
    files = []
    for record in chosen:
        layer = render_strokes(record["strokes"], 448, 300, (224, 224), 12)
        path = folder / f"{record['label']}.png"
        Image.fromarray(sketchpad_value(layer)["composite"]).save(path)
        files.append((str(path), record["label"]))
    return files


def value_for(path):
    from gradio_client import handle_file

    return {"background": handle_file(path), "layers": [], "composite": handle_file(path)}


def call(client, path):
    return client.predict(value_for(path), api_name="/predict")


def time_start(script, first_path, starts):
    """Best of `starts` cold starts: seconds to the page, and to the first answer."""
    from gradio_client import Client

    page_times, answer_times = [], []
    for _ in range(starts):
        started = time.perf_counter()
        process, url, page = start(script)
        while True:  # The first prediction, as soon as the API accepts a client.
            try:
                call(Client(url, verbose=False), first_path)
                break
            except Exception:
                time.sleep(0.05)
        answer_times.append(time.perf_counter() - started)
        page_times.append(page)
        stop(process)
    return min(page_times), min(answer_times)


def latency(client, files, calls):
    times = []
    for index in range(calls):
        started = time.perf_counter()
        call(client, files[index % len(files)][0])
        times.append(time.perf_counter() - started)
        if (index + 1) % 50 == 0:
            print(f"    {index + 1}/{calls} calls", flush=True)
    return float(np.percentile(times, 50) * 1000), float(np.percentile(times, 95) * 1000)


def load(url, files, users, seconds, expected):
    """`users` clients calling back to back for `seconds`: (calls/s, errors, wrong answers, p95)."""
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in range(users)]
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    stats = {"calls": 0, "errors": 0, "wrong": 0, "times": []}

    def user(index):
        client, turn = clients[index], index
        while time.perf_counter() < deadline:
            path = files[turn % len(files)][0]
            turn += 1
            started = time.perf_counter()
            try:
                answer = call(client, path)[0]
                ok = expected is None or answer == expected[path]
                with lock:
                    stats["calls"] += 1
                    stats["wrong"] += not ok
                    stats["times"].append(time.perf_counter() - started)
            except Exception as error:
                with lock:
                    stats["errors"] += 1
                    if stats["errors"] <= 3:
                        print(f"    error: {type(error).__name__}: {str(error)[:200]}", flush=True)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    p95 = float(np.percentile(stats["times"], 95)) if stats["times"] else float("nan")
    return stats["calls"] / elapsed, stats["errors"], stats["wrong"], p95


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="digitpad-bench-") as folder:
        return measure(args, Path(folder))


def measure(args, folder: Path) -> int:
    """Time both servers on the drawings written to `folder`; print the table of targets."""
    from gradio_client import Client

    files = drawings(folder)
    figures = {}
    for name, script in SERVERS.items():
        print(f"\n{name}: timing {args.starts} cold starts", flush=True)
        page, first = time_start(script, files[0][0], args.starts)
        # One address here stands for every user (see the module's docstring).
        process, url, _ = start(script, {"DIGITPAD_QUEUE_PER_ADDRESS": str(max(ADDRESS_QUEUE, args.users))})
        client = Client(url, verbose=False)
        for path, _ in files:
            call(client, path)  # Warm-up: every drawing once.
        rss_warm = rss_mb(process.pid)
        print(f"  {args.calls} sequential calls", flush=True)
        p50, p95 = latency(client, files, args.calls)
        expected = None
        if name == "digitpad":
            expected = {path: call(client, path)[0] for path, _ in files}
            assert all(int(expected[p]["label"]) == label for p, label in files), "misread digit"
        print(f"  {args.users} users for {args.load_seconds:.0f} s", flush=True)
        rate, errors, wrong, load_p95 = load(url, files, args.users, args.load_seconds, expected)
        rss_loaded = rss_mb(process.pid)
        stop(process)
        figures[name] = dict(page=page, first=first, rss=rss_warm, rss_loaded=rss_loaded,
                             p50=p50, p95=p95, rate=rate, errors=errors, wrong=wrong, load_p95=load_p95)

    ours, base = figures["digitpad"], figures["gradio alone"]
    print("\n| figure | digitpad | Gradio alone | target |")
    print("|---|---|---|---|")
    print(f"| page served after start | {ours['page']:.2f} s | {base['page']:.2f} s | ≤ 3.5 s |")
    print(f"| first prediction after start | {ours['first']:.2f} s | {base['first']:.2f} s | ≤ 4 s |")
    print(f"| RSS after warm-up | {ours['rss']:.0f} MB | {base['rss']:.0f} MB | ≤ 300 MB |")
    print(f"| RSS after load | {ours['rss_loaded']:.0f} MB | {base['rss_loaded']:.0f} MB | |")
    print(f"| /predict p50 | {ours['p50']:.1f} ms | {base['p50']:.1f} ms | ≤ 1.10 × ({ours['p50'] / base['p50']:.2f} ×) |")
    print(f"| /predict p95 | {ours['p95']:.1f} ms | {base['p95']:.1f} ms | |")
    print(f"| {args.users} users: calls/s | {ours['rate']:.1f} | {base['rate']:.1f} | ≥ 90% ({ours['rate'] / base['rate']:.0%}) |")
    print(f"| {args.users} users: p95 | {ours['load_p95']:.2f} s | {base['load_p95']:.2f} s | |")
    print(f"| {args.users} users: errors, answers unlike alone | {ours['errors']}, {ours['wrong']} | {base['errors']}, – | 0, 0 |")
    met = (ours["page"] <= 3.5 and ours["first"] <= 4 and ours["rss"] <= 300
           and ours["p50"] <= 1.10 * base["p50"] and ours["errors"] == 0 and ours["wrong"] == 0
           and ours["rate"] >= 0.9 * base["rate"])
    print(f"\nall targets met: {met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
