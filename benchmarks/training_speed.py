"""How fast this machine trains digitpad's network: a minute that predicts a full run.

Trains the network as `train_model.py` does (same compile, same `tf.data` pipeline with the
image warp on MNIST's share of each batch) on random images for `--steps` steps, and prints
the time a step takes and the process's CPU use for each window of `--window` steps. Then
it estimates the epochs of a full run from the committed model's own report
(`model/metrics.json`: images, batch size, epochs).

    python benchmarks/training_speed.py              # about a minute on 2 cores
    python benchmarks/training_speed.py --steps 600  # watch the speed over longer

On the 2-core machine this project is built on, a step took 126–150 ms while the process
had both cores (CPU use 140–185%) and 273 ms in stretches when it had one core's worth (CPU
use 99%), in the same script minutes apart: a full run's time depends on which it gets.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitpad.inference import MODEL_DIR  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--steps", type=int, default=240, help="training steps to time")
    parser.add_argument("--window", type=int, default=40, help="steps per line of output")
    parser.add_argument("--batch-size", type=int, default=128, help="images per step")
    args = parser.parse_args(argv)
    if args.steps < args.window or args.window < 1:
        parser.error("--steps must be at least --window, and --window at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import keras

    from digitpad.augment import training_dataset
    from digitpad.training import compiled_model

    report = json.loads((MODEL_DIR / "metrics.json").read_text())
    images, epochs = report["training_images"], report["epochs"]
    warped = report["training_images_mnist"] / images  # MNIST's share gets the image warp.
    rng = np.random.default_rng(0)
    count = args.batch_size * 20
    x = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, count)
    dataset = training_dataset(x, y, args.batch_size, seed=1, augment=rng.random(count) < warped).repeat()
    model = compiled_model(args.steps)
    model.fit(dataset, steps_per_epoch=10, epochs=1, verbose=0, shuffle=False)  # Warm-up: tracing, threads.

    windows = []

    class Timer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if (batch + 1) % args.window == 0:
                wall, cpu = time.perf_counter(), sum(os.times()[:2])
                step = (wall - self.wall) / args.window
                use = (cpu - self.cpu) / (wall - self.wall)
                windows.append(step)
                print(f"  steps {batch + 2 - args.window}–{batch + 1}: {1000 * step:.0f} ms a step, "
                      f"CPU use {use:.0%}", flush=True)
                self.wall, self.cpu = wall, cpu

        def on_train_begin(self, logs=None):
            self.wall, self.cpu = time.perf_counter(), sum(os.times()[:2])

    print(f"{args.steps} training steps of {args.batch_size} images on {os.cpu_count()} cores:", flush=True)
    model.fit(dataset, steps_per_epoch=args.steps, epochs=1, verbose=0, shuffle=False, callbacks=[Timer()])
    steps = epochs * int(np.ceil(images / args.batch_size))
    fast, slow = min(windows), max(windows)
    print(f"\na step: median {1000 * statistics.median(windows):.0f} ms, "
          f"fastest window {1000 * fast:.0f} ms, slowest {1000 * slow:.0f} ms")
    print(f"the committed run's {epochs} epochs of {images:,} images ({steps:,} steps): "
          f"{steps * fast / 60:.0f}–{steps * slow / 60:.0f} minutes at these speeds, "
          "plus rendering the drawings and reading the held-out writers (4–5 minutes on 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
