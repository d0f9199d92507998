"""The static page (`python -m digitpad export-web`), served from loopback and driven in
Chromium as a visitor would: mouse and touch drawing, live answers, Clear, nothing fetched
from another origin; and the JavaScript preprocessing against the Python recipe."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from digitpad.classify import classify_inputs
from digitpad.drawings import random_condition, render_strokes, sketchpad_value
from digitpad.inference import MODEL_DIR
from digitpad.page import beyond_page
from digitpad.preprocess import READ_SIZE, NoInkError, centre_by_mass, preprocess
from digitpad.reading import to_grayscale
from helpers import (PAPER, chalk_board, draw, draw_on_page, deep_shadow_photo, needs_chromium, one_cropped_to_its_stroke,
                     serve_folder, shadowed_page, stroke_paths, tight_seven, touch_on_page)

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The exported site, served by a plain static file server on loopback; yields its URL."""
    from digitpad.export_web import export_web

    folder = tmp_path_factory.mktemp("site")
    export_web(folder, MODEL_DIR / "digitpad-batch1.tflite")
    server, url = serve_folder(folder)
    yield url
    server.shutdown()


@pytest.fixture
def visit(browser, site):
    """Open the page in a fresh context; yields (page, list of every URL it requested)."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(**({"viewport": {"width": 1280, "height": 900}} | context_options))
        contexts.append(context)
        page = context.new_page()
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(site)
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        return page, requests

    yield open_page
    for context in contexts:
        context.close()


def answers(page) -> int:
    return page.evaluate("window.digitpad.timings.penUpToAnswer.length")


def digit_shown(page) -> str:
    return page.get_attribute("#prediction", "data-digit")


def draw_with_mouse(page, record):
    before = answers(page)
    draw_on_page(page, record)
    # Each pen-up gives an answer; the last one is the whole digit's.
    page.wait_for_function(f"window.digitpad.timings.penUpToAnswer.length >= {before + len(record['strokes'])}",
                           timeout=10_000)
    page.wait_for_timeout(50)


def draw_with_finger(page, record):
    before = answers(page)
    touch_on_page(page, record)
    page.wait_for_function(f"window.digitpad.timings.penUpToAnswer.length >= {before + len(record['strokes'])}",
                           timeout=10_000)
    page.wait_for_timeout(50)


def test_a_fresh_page_shows_no_guess(visit):
    page, _ = visit()
    assert digit_shown(page) == "" and page.get_attribute("#prediction", "data-probabilities") == ""
    assert "Draw a digit" in page.inner_text("#verdict")


def bar_shares(page) -> list[float]:
    """How much of each digit's bar track is filled, as the page is laid out (not as styled)."""
    return page.evaluate("""[...document.querySelectorAll('#bars li')].map(row =>
        row.querySelector('.fill').getBoundingClientRect().width /
        row.querySelector('.track').getBoundingClientRect().width)""")


def test_mouse_drawn_digits_are_read_and_clear_empties_the_answer(visit, drawn_digits):
    page, requests = visit()
    right = 0
    for digit in range(10):
        record = next(d for d in drawn_digits if d["label"] == digit)
        draw_with_mouse(page, record)
        shown = digit_shown(page)
        probabilities = json.loads(page.get_attribute("#prediction", "data-probabilities"))
        assert len(probabilities) == 10 and abs(sum(probabilities) - 1) < 1e-3
        assert int(shown) == int(np.argmax(probabilities))
        # The bar chart shows them: each bar as long as its probability (within a pixel or so).
        assert np.allclose(bar_shares(page), probabilities, atol=0.01)
        right += int(shown) == digit
        page.click("#clear")
        assert digit_shown(page) == "" and page.get_attribute("#prediction", "data-probabilities") == ""
        assert max(bar_shares(page)) == 0
    assert right >= 9
    origin = page.url.rstrip("/")
    assert requests and all(url.startswith(origin) for url in requests), requests


def test_touch_drawing_on_a_phone_reads_in_view_and_does_not_scroll(visit, drawn_digits):
    """On a 390×844 phone, whose browser's bars leave about 664 px of page in view, the whole
    canvas and the digit read are both on screen as the page opens: a finger draws and sees the
    answer without scrolling (which a finger on the canvas cannot do)."""
    page, _ = visit(viewport={"width": 390, "height": 664}, has_touch=True, is_mobile=True)
    box = page.locator("#sketchpad canvas").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # The canvas fits the phone.
    assert box["y"] >= 0 and box["y"] + box["height"] <= 664
    record = next(d for d in drawn_digits if d["label"] == 3)
    draw_with_finger(page, record)
    assert digit_shown(page) == "3"
    assert page.evaluate("window.scrollY") == 0
    digit = page.locator("#digit").bounding_box()
    assert digit["height"] > 0 and digit["y"] + digit["height"] <= 664, digit


def test_the_page_opens_again_and_reads_with_the_network_gone(visit, drawn_digits):
    """Once loaded, the page is kept by its service worker: with the network cut, a reload
    opens it, the model loads, and a drawing is read (a demo whose venue's network dies)."""
    page, _ = visit()
    page.wait_for_selector("body[data-offline=ready]", timeout=30_000)
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    record = next(d for d in drawn_digits if d["label"] == 6)
    draw_with_mouse(page, record)
    assert digit_shown(page) == "6"
    page.context.set_offline(False)


def test_live_answers_come_while_drawing(visit, drawn_digits):
    page, _ = visit()
    record = max(drawn_digits, key=lambda d: sum(len(s) for s in d["strokes"]))
    box = page.locator("#sketchpad canvas").bounding_box()
    points = next(stroke_paths(record, box))
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y)
        page.wait_for_timeout(15)
    live = page.evaluate("window.digitpad.timings.pipeline.length")
    page.mouse.up()
    assert live >= 2  # Readings while the pen was still down, throttled.


def png_data_url(rgba: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


PIXELS_OF = """const pixels_of = async (url) => { // A data URL's PNG → its ImageData, as a canvas holds it.
    const bitmap = await createImageBitmap(await (await fetch(url)).blob(),
                                           {colorSpaceConversion: 'none', premultiplyAlpha: 'none'});
    const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
    context.drawImage(bitmap, 0, 0);
    return context.getImageData(0, 0, bitmap.width, bitmap.height);
  };"""

READ_IN_PAGE = """async (urls) => {
  """ + PIXELS_OF + """
  const {preprocess, NoInkError} = await import('./preprocess.js');
  const {predict} = await import('./model.js');
  const results = [];
  for (const url of urls) {
    const pixels = await pixels_of(url);
    try {
      const input = preprocess(pixels);
      results.push({input: Array.from(input), probabilities: await predict(input)});
    } catch (error) {
      results.push({blank: error instanceof NoInkError, error: error.message});
    }
  }
  return results;
}"""


def test_javascript_preprocessing_matches_python(visit, drawn_digits, model):
    """300 drawings at sketchpad sizes: the same 28×28 inputs, and the same digits."""
    page, _ = visit()
    rng = np.random.default_rng(11)
    values = []
    for index in range(300):
        record = drawn_digits[index % len(drawn_digits)]
        condition = random_condition(rng)
        condition["canvas_size"] = min(condition["canvas_size"], 512)  # A page canvas, not a photo.
        condition["height"] = min(condition["height"], 0.85 * condition["canvas_size"])
        condition["centre"] = (condition["canvas_size"] / 2, condition["canvas_size"] / 2)
        condition.pop("width")
        values.append(sketchpad_value(render_strokes(record["strokes"], **condition)))
    in_page = []
    for start in range(0, len(values), 25):
        urls = [png_data_url(v["composite"]) for v in values[start : start + 25]]
        in_page += page.evaluate(READ_IN_PAGE, urls)
    differences, same_digit = [], 0
    for value, js in zip(values, in_page):
        try:
            python = preprocess(value)
        except NoInkError:
            assert js.get("blank"), js
            continue
        assert "input" in js, js
        differences.append(np.abs(np.asarray(js["input"]) - python[:, :, 0].ravel()).mean())
        expected = int(np.argmax(classify_inputs(model, python[None])[0]))
        same_digit += int(np.argmax(js["probabilities"])) == expected
    assert len(differences) >= 295
    assert np.median(differences) <= 1.0 and np.mean(differences) <= 3.0
    assert same_digit / len(differences) >= 0.995


def test_javascript_reads_shadowed_pages_as_python_does(visit, drawn_digits):
    """Photos of pages under a deep shadow, some with the table in a corner, the page on a
    desk (one wider than the page, one a wedge seen at a slant), or a lit wedge beyond the
    shadowed side, chalk on a board (thick chalk too, lit from one side: its dark end looks
    like a desk), and a small page far from the picture's edge (its desk a ring round it): the
    polarity choice, the desk (its sharp edge, the page beside it, its narrow parts, the ring)
    and the edge-piece rule give the same desk and inputs as in Python."""
    page, _ = visit()
    rng = np.random.default_rng(12)
    kinds = [{}, {"corner": True}, {"desk": 100}, {"lit_corner": 160}, {"desk": ((0, 0), (500, 0))},
             {"slant": 150}]
    grays = [shadowed_page(drawn_digits[index * 7 % len(drawn_digits)], float(rng.uniform(0.3, 0.85)),
                           **kinds[index % len(kinds)]) for index in range(24)]
    grays += [255 - shadowed_page(drawn_digits[index], 0.4) for index in (13, 18)]  # Chalk.
    grays += [chalk_board(drawn_digits[index], 20, 0.6, index) for index in (8, 12)]  # Thick chalk.
    grays += [shadowed_page(drawn_digits[index], 0.3, desk=200) for index in (5, 9)]  # A ring of desk.
    urls = [png_data_url(np.stack([g] * 3 + [np.full_like(g, 255)], axis=-1)) for g in grays]
    in_page = page.evaluate(READ_IN_PAGE, urls)
    desks = page.evaluate(DESK_IN_PAGE, urls)
    for gray, js, desk in zip(grays, in_page, desks):
        assert "input" in js, js
        python = preprocess(gray)[:, :, 0].ravel()
        assert np.abs(np.asarray(js["input"]) - python).mean() <= 3.0
        assert desk == beyond_page(to_grayscale(gray, max_side=READ_SIZE)).sum(axis=1).tolist()
    assert sum(map(sum, desks)) > 0  # Some pages are on a desk.


def gray_of(photo: bytes) -> np.ndarray:
    """A photo's JPEG bytes as the page reads them: `(H, W) uint8` gray at `READ_SIZE` at most."""
    from digitpad.reading import open_image

    return np.asarray(to_grayscale(open_image(photo), max_side=READ_SIZE), np.uint8)


def test_javascript_reads_small_notes_as_python_does(visit, drawn_digits, model):
    """Photos of a small note wholly in view on a dark desk (JPEG, as a phone saves them),
    which read as light ink until the page in it is found, and ruled notes far from the
    picture's edge, whose desk is a ring round them: the same inputs and digits."""
    from digitpad.evaluation import DEEP_SHADOW
    from digitpad.paper import photo_of_strokes

    def note(index, ruling=None):
        return gray_of(photo_of_strokes(drawn_digits[index * 11 % len(drawn_digits)]["strokes"],
                                        np.random.default_rng(index), shadow=DEEP_SHADOW, desk="note",
                                        ruling=ruling))

    page, _ = visit()
    indices = list(range(10)) + [10, 11, 20, 12, 14]
    grays = [note(index) for index in range(10)]
    # Notes that read as light ink all over, their strokes as dark as the desk: found by shape.
    grays += [shadowed_page(drawn_digits[index * 11 % len(drawn_digits)], 0.0, desk=300)
              for index in (10, 11)]
    # A note whose light-ink reading the lighting estimate notched: found by its brightness.
    grays += [note(20)]
    # Ruled notes whose desk is a ring round them (the first read as a 6 while it was not found).
    grays += [note(12, "ruled"), note(14, "ruled")]
    urls = [png_data_url(np.stack([g] * 3 + [np.full_like(g, 255)], axis=-1)) for g in grays]
    right = 0
    for index, gray, js in zip(indices, grays, page.evaluate(READ_IN_PAGE, urls)):
        assert "input" in js, js
        python = preprocess(gray)
        assert np.abs(np.asarray(js["input"]) - python[:, :, 0].ravel()).mean() <= 1.0
        guess = int(np.argmax(classify_inputs(model, python[None])[0]))
        assert int(np.argmax(js["probabilities"])) == guess
        right += guess == drawn_digits[index * 11 % len(drawn_digits)]["label"]
    assert right == len(grays)


def test_javascript_refuses_photos_of_blank_pages_as_python_does(visit):
    """A page with nothing written on it, photographed on a desk, as a small note, or filling
    the frame: the corners the tilt turns in and the rims along the desk go (they reach little
    into the picture), and grain all over the page is specks, not strokes, in both; what either
    still reads, both read alike."""
    from digitpad.paper import SHADOW, jpeg_bytes, on_paper
    from digitpad.reading import open_image

    page, _ = visit()
    grays = []
    for desk in (True, "note", False):
        for seed in range(8):
            rng = np.random.default_rng(seed)
            photo = open_image(jpeg_bytes(on_paper(np.zeros((200, 100), np.float32), rng, SHADOW, desk), rng, False))
            grays.append(np.asarray(to_grayscale(photo, max_side=READ_SIZE), np.uint8))
    urls = [png_data_url(np.stack([g] * 3 + [np.full_like(g, 255)], axis=-1)) for g in grays]
    refused = 0
    for gray, js in zip(grays, page.evaluate(READ_IN_PAGE, urls)):
        try:
            python = preprocess(gray)
        except ValueError as error:
            refused += 1
            assert "input" not in js and js["error"] == str(error), js
            continue
        assert "input" in js, js
        assert np.abs(np.asarray(js["input"]) - python[:, :, 0].ravel()).mean() <= 1.0
    assert refused >= 20  # 22 of these 24.


def assert_read_alike(page, grays, model):
    """The page reads each of the `(H, W) uint8` pictures `grays` with (nearly) the same input
    as Python, and the same digit."""
    urls = [png_data_url(np.stack([g] * 3 + [np.full_like(g, 255)], axis=-1)) for g in grays]
    for gray, js in zip(grays, page.evaluate(READ_IN_PAGE, urls)):
        assert "input" in js, js
        python = preprocess(gray)
        assert np.abs(np.asarray(js["input"]) - python[:, :, 0].ravel()).mean() <= 1.0
        assert int(np.argmax(js["probabilities"])) == int(np.argmax(classify_inputs(model, python[None])[0]))


@pytest.mark.parametrize("pen, indices, crop", [("marker", range(0, 100, 7), None), ("pencil", range(1, 100, 3), None),
                                              ("marker", range(3, 100, 6), 0.03), ("pen", range(0, 100, 3), 0.0)])
def test_javascript_reads_marker_and_pencil_photos_as_python_does(visit, drawn_digits, model, pen, indices, crop):
    """A thick or a grey pen under a deep shadow, the page's median below mid-grey: the
    polarity is chosen by the strokes' edges (a marker) or the lighting's smoothness (a pencil;
    two of these, 55 and 58, only by that) in both, and gives the same inputs and digits. A
    marker's digit cropped to its box, its median the ink: measured from the page in both. A
    ballpoint's cropped with no margin: strokes along the picture's edge are not a desk in both."""
    page, _ = visit()
    grays = []
    for index in indices:
        photo = deep_shadow_photo(drawn_digits[index], 300 + index, pen, crop)
        gray = gray_of(photo)
        if np.median(gray) < 128:
            grays.append(gray)
    assert len(grays) >= 4
    assert_read_alike(page, grays, model)


def test_javascript_reads_a_one_cropped_to_its_stroke_as_python_does(visit, model):
    """A 1 cropped to its stroke, in a picture 3 to 7 times as tall as wide: its ink along the
    picture's edge stays in both (it reaches in a quarter of the picture's width)."""
    page, _ = visit()
    grays = [gray_of(one_cropped_to_its_stroke(seed, pen)) for seed in (1, 2, 8) for pen in ("pen", "pencil")]
    assert_read_alike(page, grays, model)


def test_javascript_keeps_strokes_that_touch_the_edge_as_python_does(visit, drawn_digits, model):
    """Pencil digits cropped with no margin, two of them (a 9 and a 1) with a piece clear of the
    picture's edge: the strokes that touch the edge and reach far in stay in both."""
    page, _ = visit()
    photos = [(90, 390), (16, 716)] + [(index, 300 + index) for index in range(2, 100, 12)]
    grays = [gray_of(deep_shadow_photo(drawn_digits[index], seed, "pencil", 0.0)) for index, seed in photos]
    assert_read_alike(page, grays, model)


def test_javascript_reads_a_fat_brush_as_python_does(visit, drawn_digits, model):
    """Strokes so wide that they cover most of the canvas (the median is ink): measured from
    the background in both, with the same inputs and digits."""
    page, _ = visit()
    grays = [np.asarray(to_grayscale(draw(record, radius=80), max_side=READ_SIZE), np.uint8)
             for record in drawn_digits[::9]]
    assert sum(np.median(gray) < 128 for gray in grays) >= 5
    assert_read_alike(page, grays, model)


def test_javascript_takes_out_ruled_lines_as_python_does(visit, drawn_digits, model):
    """Digits photographed on ruled and squared paper, in ballpoint and pencil, two on a ruled
    card lying on a desk, three with one ruled line in view across the digit: the lines are
    found and taken out in both, with the same inputs and digits; a 7 cropped tight keeps its
    bar in both (one long line, but the rest of the digit reaches its end)."""
    from digitpad.paper import photo_of_strokes

    page, _ = visit()
    photos = [(index, ("pen", "pencil")[count % 2], ("ruled", "squared")[count // 2 % 2], count >= 11)
              for count, index in enumerate(range(2, 100, 8))]
    photos += [(14, "pen", "ruled", False), (30, "pencil", "ruled", False), (63, "pen", "ruled", False)]
    grays = []
    for index, pen, ruling, note in photos:
        photo = photo_of_strokes(drawn_digits[index]["strokes"], np.random.default_rng(500 + index),
                                 pen=pen, ruling=ruling, desk="note" if note else False)
        grays.append(gray_of(photo))
    assert_read_alike(page, grays + [tight_seven(photo=True)], model)


def test_javascript_centres_a_bar_as_python_does(visit):
    """Bars of one value have their centre of mass on a half pixel: a tie, which both round
    to even only if both sum exactly (in float64; float32 sums put 110 of 300 a pixel apart)."""
    page, _ = visit()
    rng = np.random.default_rng(1)
    bars = [{"h": int(rng.integers(1, 21)), "w": int(rng.integers(1, 21)),
             "v": float(np.float32(rng.uniform(0.05, 1)))} for _ in range(120)]
    in_page = page.evaluate(CENTRE_IN_PAGE, bars)
    for bar, js in zip(bars, in_page):
        python = centre_by_mass(np.full((bar["h"], bar["w"]), bar["v"], np.float32))
        assert np.array_equal(np.asarray(js, np.float32), python.ravel()), bar


CENTRE_IN_PAGE = """async (bars) => {
  const {centre_by_mass} = await import('./preprocess.js');
  return bars.map(({h, w, v}) => Array.from(centre_by_mass({h, w, data: new Float32Array(h * w).fill(v)}).data));
}"""


DESK_IN_PAGE = """async (urls) => {
  """ + PIXELS_OF + """
  const {beyond_page} = await import('./page.js');
  const {to_grayscale} = await import('./preprocess.js');
  const {READ_SIZE} = await import('./constants.js');
  const rows = [];
  for (const url of urls) {
    const gray = to_grayscale(await pixels_of(url), READ_SIZE);
    const desk = beyond_page(gray);
    rows.push(Array.from({length: gray.h}, (_, y) => desk.subarray(y * gray.w, (y + 1) * gray.w).reduce((a, b) => a + b, 0)));
  }
  return rows;
}"""


def photos_read(page) -> int:
    return page.evaluate("window.digitpad.timings.photos.length")


def give_photo(page, how: str, data: bytes, name: str = "photo.jpg", kind: str = "image/jpeg") -> str:
    """Hand the page a photo as a visitor does (`pick` with the file dialog, `drop` on the
    canvas, or `paste`) and wait for its answer; returns the verdict shown."""
    before = photos_read(page)
    if how == "pick":
        page.set_input_files("#photo", files=[{"name": name, "mimeType": kind, "buffer": data}])
    else:
        page.evaluate("""([how, data, name, kind]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: kind}));
            if (how === 'drop') {
              document.querySelector('#sketchpad').dispatchEvent(
                new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
            } else {
              document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true}));
            }
          }""", [how, base64.b64encode(data).decode(), name, kind])
    page.wait_for_function(f"window.digitpad.timings.photos.length > {before}", timeout=20_000)
    return page.inner_text("#verdict")


def input_shown(page) -> np.ndarray:
    """The 28×28 input the page shows as 'what the model sees'."""
    pixels = page.evaluate("Array.from(document.getElementById('preview').getContext('2d')"
                           ".getImageData(0, 0, 28, 28).data)")
    return np.asarray(pixels, np.float64).reshape(784, 4)[:, 0]


def dark_on_canvas(page) -> int:
    """How many of the digit canvas's pixels are dark (a stroke, or a photo's ink and shadow)."""
    return page.evaluate("(() => { const d = document.querySelector('#sketchpad canvas').getContext('2d')"
                         ".getImageData(0, 0, 448, 448).data; let n = 0;"
                         "for (let i = 0; i < d.length; i += 4) n += d[i] < 128; return n; })()")


def test_a_photo_picked_dropped_or_pasted_is_read_as_the_app_reads_it(visit, model):
    """Paper fixtures (one stored sideways, upright by its EXIF tag) through the file dialog, a
    drop on the canvas and a paste: the page shows the digit Python reads and, as what the
    model sees, (nearly) Python's 28×28 input. The photo stays on the canvas until the pen
    touches it; a drawing then starts on a blank canvas."""
    from digitpad.reading import open_image

    page, requests = visit()
    sideways = next(p for p in PAPER if Image.open(p).getexif().get(0x0112) == 6)
    paths = [sideways] + PAPER[::17]
    for number, path in enumerate(paths):
        give_photo(page, ("pick", "drop", "paste")[number % 3], path.read_bytes())
        python = preprocess(open_image(path))
        assert digit_shown(page) == str(int(np.argmax(classify_inputs(model, python[None])[0]))), path.name
        assert np.abs(input_shown(page) - np.round(python[:, :, 0].ravel())).mean() <= 1.0, path.name
    assert page.evaluate("document.querySelector('#sketchpad canvas').getContext('2d')"
                         ".getImageData(0, 0, 448, 448).data.some((v) => v < 128)")  # The photo is shown.
    corner = page.locator("#sketchpad canvas").bounding_box()
    page.mouse.click(corner["x"] + 5, corner["y"] + 5)
    page.wait_for_timeout(100)
    assert dark_on_canvas(page) < 40 * 40  # The photo gone; only the dot the click drew.
    origin = page.url.rstrip("/")
    assert all(url.startswith(origin) or url.startswith("blob:") for url in requests), requests


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says `width` × `height` (1 bit a pixel), with a few rows of data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(b"IEND", b""))


def test_photos_the_app_refuses_are_refused_with_its_sentences_and_a_big_camera_photo_is_read(visit, model, tmp_path):
    """A file that is no picture, a PNG over the app's pixel limit (judged from its header), one
    whose header claims a picture far too large to open, and a photo of a blank page each get the
    app's own sentence and no guess; a 24-megapixel camera JPEG (6000×4000) is read as the app
    reads it."""
    from digitpad.paper import SHADOW, jpeg_bytes, on_paper
    from digitpad.reading import NO_DIGIT_IN_PHOTO, NOT_A_PICTURE, open_image

    page, _ = visit()
    give_photo(page, "pick", PAPER[0].read_bytes())
    assert digit_shown(page) != "" and dark_on_canvas(page) > 0
    assert give_photo(page, "pick", b"not a picture at all", "notes.txt", "text/plain") == NOT_A_PICTURE
    assert digit_shown(page) == "" and dark_on_canvas(page) == 0  # The photo before it goes too.
    big = io.BytesIO()
    Image.new("L", (5712, 4284), 255).save(big, format="PNG")
    with pytest.raises(ValueError) as refused:
        open_image(big.getvalue())
    assert give_photo(page, "drop", big.getvalue(), "big.png", "image/png") == str(refused.value)
    bomb = png_claiming(30_000, 30_000)  # A header that claims 900 megapixels, and a few bytes.
    with pytest.raises(ValueError) as refused:
        open_image(bomb)
    assert give_photo(page, "pick", bomb, "bomb.png", "image/png") == str(refused.value)
    rng = np.random.default_rng(3)
    blank = jpeg_bytes(on_paper(np.zeros((200, 100), np.float32), rng, SHADOW, False), rng, False)
    assert give_photo(page, "paste", blank) == NO_DIGIT_IN_PHOTO and digit_shown(page) == ""
    path = next(p for p in PAPER if Image.open(p).getexif().get(0x0112) is None)
    Image.open(path).convert("RGB").resize((6000, 4000), Image.BILINEAR).save(tmp_path / "camera.jpg", quality=85)
    give_photo(page, "pick", (tmp_path / "camera.jpg").read_bytes())
    python = preprocess(open_image(tmp_path / "camera.jpg"))
    assert digit_shown(page) == str(int(np.argmax(classify_inputs(model, python[None])[0]))) == path.name[0]


READ_NUMBER_IN_PAGE = """async (urls) => {
  """ + PIXELS_OF + """
  const {read_number} = await import('./segment.js');
  const {predict} = await import('./model.js');
  const results = [];
  for (const url of urls) {
    try {
      const number = await read_number(predict, await pixels_of(url));
      results.push({text: number.text, boxes: number.digits.map((d) => d.box)});
    } catch (error) {
      results.push({error: error.message});
    }
  }
  return results;
}"""


def test_javascript_reads_numbers_as_python_does(visit, drawn_digits, model):
    """Numbers of 1–6 digits written side by side (some near-touching): the page finds the
    same digits in the same boxes and reads the same number as `read_number`."""
    from digitpad.drawings import render_number
    from digitpad.segment import read_number

    page, _ = visit()
    rng = np.random.default_rng(21)
    values, texts = [], []
    for _ in range(24):
        records = [drawn_digits[int(i)] for i in rng.integers(0, len(drawn_digits), rng.integers(1, 7))]
        value, _ = render_number([r["strokes"] for r in records], rng)
        values.append(value)
        texts.append("".join(str(r["label"]) for r in records))
    urls = [png_data_url(value["composite"]) for value in values]
    right = 0
    for value, text, js in zip(values, texts, page.evaluate(READ_NUMBER_IN_PAGE, urls)):
        number = read_number(model, value)
        assert js.get("text") == number.text, js
        for box, digit in zip(js["boxes"], number.digits):
            assert np.abs(np.asarray(box) - np.asarray(digit.box)).max() <= 1
        right += number.text == text
    assert right >= 20


def test_a_number_written_on_the_number_tab_is_read_as_python_reads_it(visit, drawn_digits, model):
    """Three digits drawn with the mouse side by side on the Number tab: the page shows the
    number, a 28×28 input for each digit, and the number Python's `read_number` reads from the
    very pixels of that canvas; Clear empties it. The Digit tab is hidden meanwhile."""
    from digitpad.segment import read_number

    page, _ = visit()
    page.get_by_role("tab", name="Number").click()
    assert page.locator("#sketchpad").is_hidden() and page.locator("#numberpad").is_visible()
    box = page.locator("#numberpad canvas.pad").bounding_box()
    strokes = 0
    for index, digit in enumerate((5, 2, 8)):
        record = next(d for d in drawn_digits if d["label"] == digit)
        third = {"x": box["x"] + index * box["width"] / 3, "y": box["y"], "width": box["width"] / 3,
                 "height": box["height"]}
        draw_on_page(page, record, "#numberpad canvas.pad", box=third, points_per_stroke=24)
        strokes += len(record["strokes"])
        page.wait_for_function(f"window.digitpad.timings.numbers.length >= {strokes}", timeout=10_000)
    page.wait_for_timeout(100)
    shown = page.get_attribute("#number", "data-number")
    png = page.evaluate("document.querySelector('#numberpad canvas.pad').toDataURL('image/png')")
    canvas = np.asarray(Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1]))).convert("RGBA"))
    assert shown == read_number(model, canvas).text == "528"
    assert page.locator("#number-inputs canvas").count() == 3
    page.click("#number-clear")
    assert page.get_attribute("#number", "data-number") == "" and page.locator("#number-inputs canvas").count() == 0
    page.focus("#tab-number")
    page.keyboard.press("ArrowLeft")  # The tabs answer the arrow keys too.
    assert page.locator("#sketchpad").is_visible() and page.locator("#numberpad").is_hidden()
    assert page.get_attribute("#tab-digit", "aria-selected") == "true"


def test_clicking_an_example_drawing_reads_it_as_python_does(visit, model):
    """The app's ten example drawings under the canvas: a click puts one on the canvas and the
    page reads the digit Python reads from the same file."""
    from digitpad.reading import open_image
    from digitpad.webui import example_paths

    page, _ = visit()
    right = 0
    for digit, path in enumerate(example_paths()):
        before = answers(page)
        page.click(f"#examples button[data-example='examples/{digit}.png']")
        page.wait_for_function(f"window.digitpad.timings.penUpToAnswer.length > {before}", timeout=10_000)
        python = int(np.argmax(classify_inputs(model, preprocess(open_image(path))[None])[0]))
        assert digit_shown(page) == str(python), path
        right += python == digit
    assert right == 10
