"""How fast the command line reads a folder of a thousand photos of digits.

The 100 committed paper fixtures (phone-photo-like JPEGs, 300–1,200 px) are copied ten
times into a temporary folder, and `python -m digitpad predict` is timed on all of them,
start-up and model loading included; the command reads that many files on every core it may
use, and the line printed says how many that is. Target (issue 7): under 10 s.

    python benchmarks/cli_speed.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPER = sorted((ROOT / "tests/fixtures/paper").glob("*.jpg"))


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="digitpad-cli-"))
    files = []
    for copy in range(10):
        for path in PAPER:
            target = folder / f"{copy}-{path.name}"
            shutil.copyfile(path, target)
            files.append(target)
    print(f"{len(files)} images in {folder}", flush=True)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "digitpad", "predict", *map(str, files)],
                            cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    cores = len(os.sched_getaffinity(0))
    lines = result.stdout.splitlines()
    right = sum(line.split("/")[-1].split("-", 1)[1][0] == line.rsplit(": ", 1)[1][0] for line in lines)
    print(f"exit {result.returncode}; {len(lines)} answers, {right} right; "
          f"{elapsed:.2f} s for {len(files)} images ({1000 * elapsed / len(files):.1f} ms each, "
          f"start-up included) on {cores} core{'s' * (cores > 1)}")
    shutil.rmtree(folder)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
