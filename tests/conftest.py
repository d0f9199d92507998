"""Shared fixtures: the committed model and data fixtures, and a live app on loopback.
Helper functions live in `helpers.py`."""

import os
import tempfile

import numpy as np
import pytest

from helpers import CHROMIUM, CHROMIUM_ARGS, FIXTURES, start_app, stop, tiny_mnist, write_idx_folder
from digitpad.drawings import load_drawn_digits


@pytest.fixture(scope="session", autouse=True)
def temporary_files_stay_in_pytests_folder(tmp_path_factory):
    """Temporary files of the suite, its servers and its clients go to a folder of pytest's
    (which keeps the last three runs), not the system's: gradio_client leaves an empty
    folder there for each file it downloads, and the servers' upload caches outlive them."""
    folder = str(tmp_path_factory.mktemp("tmp"))
    before = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir, os.environ["TMPDIR"] = folder, folder
    yield folder
    tempfile.tempdir = before[0]
    if before[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = before[1]


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


@pytest.fixture(scope="session")
def feedback_dir(tmp_path_factory):
    """Where the live app keeps corrections during the tests."""
    return tmp_path_factory.mktemp("feedback")


@pytest.fixture(scope="session")
def live_app(feedback_dir):
    """The real app, served by `python app.py` on a free loopback port; yields its URL. The
    tests' visitors all call from loopback, where people would each have their own address,
    so its queue share per address is the whole queue (the share has tests of its own)."""
    process, url = start_app({"DIGITPAD_FEEDBACK_DIR": str(feedback_dir), "DIGITPAD_QUEUE_PER_ADDRESS": "64"})
    yield url
    stop(process)


@pytest.fixture(scope="session")
def client(live_app):
    """A `gradio_client.Client` connected to the live app."""
    from gradio_client import Client

    return Client(live_app, verbose=False)


@pytest.fixture(scope="session")
def dry_run_data(tmp_path_factory):
    """A folder of tiny random MNIST IDX files (600 training, 100 test images)."""
    folder = tmp_path_factory.mktemp("mnist")
    write_idx_folder(folder, tiny_mnist(np.random.default_rng(0), n_train=600, n_test=100))
    return folder


@pytest.fixture(scope="session")
def drawn_folder(tmp_path_factory):
    """A drawn-digit folder made from the fixture: 100 pendigits digits by writers 1–4."""
    import shutil

    folder = tmp_path_factory.mktemp("drawn")
    shutil.copy(FIXTURES / "drawn-digits.jsonl.gz", folder / "pendigits-dev.jsonl.gz")
    return folder


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()
