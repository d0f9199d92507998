"""Shared fixtures: the committed model and data fixtures, and a live app on loopback."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT))

from digitpad.drawings import load_drawn_digits, render_strokes, sketchpad_value  # noqa: E402


@pytest.fixture(scope="session")
def model():
    """The committed model, loaded as the app loads it."""
    from digitpad.inference import load_model

    return load_model()


@pytest.fixture(scope="session")
def mnist_test():
    """MNIST's 10,000 test images `(N, 28, 28) uint8` and labels, from the committed fixture."""
    with np.load(FIXTURES / "mnist-test.npz") as archive:
        return archive["x_test"], archive["y_test"]


@pytest.fixture(scope="session")
def drawn_digits():
    """100 pen-drawn digits (10 of each) as stroke records."""
    return load_drawn_digits(FIXTURES / "drawn-digits.jsonl.gz")


def draw(record, canvas_size=448, height=300, centre=None, radius=12) -> dict:
    """A stroke record rendered as the sketchpad's value."""
    centre = centre or (canvas_size / 2, canvas_size / 2)
    layer = render_strokes(record["strokes"], canvas_size, height, centre, radius)
    return sketchpad_value(layer)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(extra_env=None, timeout=90):
    """Start `python app.py` on a free loopback port; return (process, url) once it serves."""
    import urllib.request

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", **(extra_env or {})}
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"app.py did not serve {url} within {timeout} s")


@pytest.fixture(scope="session")
def feedback_dir(tmp_path_factory):
    """Where the live app keeps corrections during the tests."""
    return tmp_path_factory.mktemp("feedback")


@pytest.fixture(scope="session")
def live_app(feedback_dir):
    """The real app, served by `python app.py` on a free loopback port; yields its URL."""
    process, url = start_app({"DIGITPAD_FEEDBACK_DIR": str(feedback_dir)})
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def client(live_app):
    """A `gradio_client.Client` connected to the live app."""
    from gradio_client import Client

    return Client(live_app, verbose=False)


@pytest.fixture(scope="session")
def dry_run_data(tmp_path_factory):
    """A folder of tiny random MNIST IDX files (600 training, 100 test images)."""
    from test_data import tiny_mnist, write_idx_folder

    folder = tmp_path_factory.mktemp("mnist")
    write_idx_folder(folder, tiny_mnist(np.random.default_rng(0), n_train=600, n_test=100))
    return folder
