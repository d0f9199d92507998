"""The page in a photo: the desk beyond it, a small page read as ink, ink along the edges."""

import numpy as np
import pytest

from helpers import shadowed_page
from digitpad.page import beyond_page, page_read_as_ink, without_edge_pieces


def test_a_page_read_as_light_ink_is_told_from_a_loop_of_chalk():
    """Both read as a bright ring with a hole; the chalk's hole is the board (the picture's
    background), a note's is its own bright, unlit middle or its dark strokes."""
    ys, xs = np.indices((300, 300))
    square = (abs(ys - 150) < 80) & (abs(xs - 150) < 80)
    ring = square & ~((abs(ys - 150) < 50) & (abs(xs - 150) < 50))
    ink = ring.astype(np.float32)
    note = np.where(square, 220.0, 40.0).astype(np.float32)  # A page on a desk ...
    page = page_read_as_ink(note, ink)
    assert page is not None and page[square].all() and not page[:60].any()
    strokes = np.where(square, 220.0, 100.0).astype(np.float32)  # On a grey desk, its strokes
    strokes[140:160, 100:200] = 20  # darker than the desk, the rest of the page read as ink.
    assert page_read_as_ink(strokes, square & (strokes > 20)) is not None
    board = np.where(ring, 220.0, 40.0).astype(np.float32)  # Chalk: the hole is the board.
    assert page_read_as_ink(board, ink) is None
    assert page_read_as_ink(board, np.zeros_like(ink)) is None  # No ink, no page.


def test_a_small_page_read_as_ink_all_over_is_told_by_its_shape():
    """Strokes as dark as the desk look like a board through a loop; but the page is a filled
    rectangle at any angle with thin strokes in it, and a loop of chalk is neither."""
    from PIL import Image

    sheet = np.zeros((300, 300), np.uint8)
    sheet[90:210, 100:200] = 220
    sheet[120:180, 140:146] = 40  # A 1, as dark as the desk.
    sheet[150:156, 120:180] = 40  # A bar across it.
    for angle in (0, 20, 45):
        gray = np.asarray(Image.fromarray(sheet).rotate(angle, fillcolor=40), np.float32)
        page = page_read_as_ink(gray, (gray > 130).astype(np.float32))
        assert page is not None and page[gray > 130].all() and not page[:40].any(), angle
    ys, xs = np.indices((300, 300))
    for outer, inner in (((ys - 150) ** 2 / 110 ** 2 + (xs - 150) ** 2 / 70 ** 2 < 1,  # A round 0,
                          (ys - 150) ** 2 / 60 ** 2 + (xs - 150) ** 2 / 20 ** 2 < 1),
                         ((abs(ys - 150) < 100) & (abs(xs - 150) < 70),  # a boxy one,
                          (abs(ys - 150) < 60) & (abs(xs - 150) < 25))):
        chalk = outer & ~inner
        gray = np.where(chalk, 220.0, 40.0).astype(np.float32)
        assert page_read_as_ink(gray, chalk.astype(np.float32)) is None


@pytest.mark.parametrize("depth", [0.3, 0.6])
def test_a_desk_wider_than_the_page_is_found_beside_it(depth, drawn_digits):
    """The page fills less than half of the picture, on the right: the desk beyond the page's
    reach is larger than the page, and the picture's middle lies on the desk."""
    record = next(d for d in drawn_digits if d["label"] == 3)
    gray = shadowed_page(record, depth, desk=((0, 0), (500, 0)))  # The page from x = 500 on.
    beyond = beyond_page(gray.astype(np.float32))
    assert beyond[:, 440:500].all() and not beyond[:, 510:].any()


@pytest.mark.parametrize("margin", [200, 300])
def test_a_small_page_far_from_the_pictures_edge_has_its_desk_found(margin, drawn_digits):
    """A small page (a card, a sticky note) in the middle of a wide desk, the desk further from
    it than the page's light reaches: what is within reach is a ring round the page, clear of
    the picture's edge, and the desk beyond looks like page. Before, none of it was desk: the
    page a ruled card's lines are measured against was the whole picture."""
    record = next(d for d in drawn_digits if d["label"] == 4)
    gray = shadowed_page(record, 0.3, desk=margin)  # The 448-px page in the middle.
    beyond = beyond_page(gray.astype(np.float32))
    desk = np.ones(gray.shape, bool)
    desk[margin : margin + 448, margin : margin + 448] = False
    assert beyond[desk].all() and not beyond[margin + 16 : margin + 432, margin + 16 : margin + 432].any()
    blank = np.where(desk, gray, 190).astype(np.uint8)  # Nothing written on it: a bright blob, not a page.
    assert not beyond_page(blank.astype(np.float32)).any()


@pytest.mark.parametrize("depth", [0.3, 0.6])
def test_a_desks_narrow_wedge_is_found_along_the_edge(depth, drawn_digits):
    """A page seen at a slant: the desk along the left is a wedge from nothing at the top to
    150 px at the bottom. The closing wipes its narrow part out with the strokes; it is found
    along the picture's edge from the wide part, and the page beside it is not taken."""
    record = next(d for d in drawn_digits if d["label"] == 3)
    beyond = beyond_page(shadowed_page(record, depth, slant=150).astype(np.float32))
    for y in range(40, 448):
        edge = int(150 * y / 448)  # The page begins here.
        assert beyond[y, : edge - 4].all() and not beyond[y, edge + 12 :].any()


def test_a_wide_dark_margin_goes_however_much_ink_it_holds():
    ink = np.zeros((200, 200), np.float32)
    ink[:, :30] = 1.0  # The desk beside the page: far more ink than the digit.
    ink[60:140, 100:104] = 1.0  # A 1, clear of the edge.
    cleaned = without_edge_pieces(ink)
    assert cleaned[:, :30].max() == 0 and cleaned[60:140, 100:104].min() == 1


def test_the_desk_reaches_the_pictures_edge_and_a_blob_of_ink_does_not():
    rng = np.random.default_rng(0)
    gray = 200 + rng.normal(0, 4, (300, 300))  # A photo's page, with grain.
    gray[:, :40] = 40 + rng.normal(0, 4, (300, 40))  # The desk along the left.
    gray[120:200, 130:210] = 40  # Ink as wide as the closing's window: a filled loop.
    beyond = beyond_page(gray.astype(np.float32))
    assert beyond[:, :36].all() and not beyond[:, 60:].any()


def test_ink_against_the_desk_goes_with_it():
    ink = np.zeros((200, 200), np.float32)
    beyond = np.zeros((200, 200), bool)
    beyond[:, 150:] = True  # The desk beyond the page.
    ink[20:180, 146:150] = 1.0  # A rim along it, clear of the picture's edge.
    ink[60:140, 60:64] = 1.0  # A 1 on the page.
    assert without_edge_pieces(ink)[20:180, 146:150].min() == 1  # Only the desk tells them apart.
    cleaned = without_edge_pieces(ink, beyond)
    assert cleaned[20:180, 146:150].max() == 0 and cleaned[60:140, 60:64].min() == 1


def test_rims_and_corners_go_though_no_digit_is_clear_of_the_edge():
    """A blank page photographed at a tilt: its only ink is a corner turned in and a rim along
    the desk. Pieces that reach less than `EDGE_DIGIT_SPAN` in from the picture's edge go; a
    digit that runs off the picture reaches far further in, and stays."""
    ink = np.zeros((100, 100), np.float32)
    rows, cols = np.indices(ink.shape)
    ink[rows + cols < 8] = 1.0  # A corner the camera turned in.
    assert not without_edge_pieces(ink).any()  # Even when it is the only piece.
    beyond = cols >= 96  # The desk, in view along one side.
    ink[10:80, 91:96] = 1.0  # A rim along it.
    assert not without_edge_pieces(ink, beyond).any()
    rim_inside = ink.copy()
    rim_inside[10:80, 91:96], beyond = 0.0, cols >= 60
    rim_inside[10:80, 55:60] = 1.0  # Along a desk that reaches far into the picture: kept.
    assert without_edge_pieces(rim_inside, beyond)[10:80, 55:60].min() == 1
    ink[0:70, 48:53] = 1.0  # A 1 whose top runs off the picture.
    cleaned = without_edge_pieces(ink, beyond)
    assert cleaned[0:70, 48:53].min() == 1 and cleaned.sum() == ink[0:70, 48:53].sum()


def test_a_digit_that_runs_off_the_picture_keeps_its_ink():
    ink = np.zeros((100, 100), np.float32)
    ink[0:70, 48:53] = 1.0  # A 1 whose top runs off the picture ...
    ink[80:83, 10:14] = 1.0  # ... and a speck clear of the edge.
    assert (without_edge_pieces(ink) == ink).all()
    ink[20:60, 20:25] = 1.0  # Now a piece clear of the edge is big enough to be the digit: the
    assert (without_edge_pieces(ink) == ink).all()  # stroke running off, as thin, is more of it
    ink[0:70, 48:53] = 0.0  # (a 5's body, its bar clear of the edge), but a band along the
    ink[0:70, 60:100] = 1.0  # edge, far wider than the digit's strokes, is not, however deep.
    cleaned = without_edge_pieces(ink)
    assert cleaned[:, 60:].max() == 0 and cleaned[20:60, 20:25].min() == 1
