"""Ruled and squared paper: the printed lines found and taken out, the strokes kept."""

import numpy as np
import pytest

from helpers import tight_seven
from digitpad.ruling import without_ruling


def ruled_ink(lines=(40, 80, 120, 160), width=2, level=0.6, upright=False):
    """A 200×200 ink map with printed lines `width` px wide of ink `level` at the rows `lines`
    (columns if `upright`), and one stroke of full ink crossing them all."""
    ink = np.zeros((200, 200), np.float32)
    for row in lines:
        ink[row : row + width] = level
    ink[20:180, 98:104] = 1.0
    return np.ascontiguousarray(ink.T) if upright else ink


@pytest.mark.parametrize("upright", [False, True])
def test_ruled_lines_are_taken_out_and_the_stroke_across_them_kept(upright):
    ink = ruled_ink(upright=upright)
    cleaned = without_ruling(ink)
    stroke = np.zeros(ink.shape, bool)
    stroke[20:180, 98:104] = True
    stroke = stroke.T if upright else stroke
    assert cleaned[~stroke].max() < 0.1  # Lines gone, ...
    assert cleaned[stroke].min() == 1.0  # ... and the stroke whole, where it crosses them too.


def test_a_stroke_lighter_than_the_lines_is_scaled_to_full_ink():
    """Pencil on dark print: the lines set the ink's scale, the stroke sits at about INK_LEVEL
    and would crumble; once the lines are out, the stroke is full ink again (where it crosses
    a line darker than itself, nothing of it shows, there or in the photo)."""
    ink = ruled_ink(level=1.0)
    ink[20:180, 98:104] = 0.55
    cleaned = without_ruling(ink)
    off_lines = [row for row in range(20, 180) if min(abs(row - line) for line in (40, 80, 120, 160)) > 3]
    assert cleaned[off_lines, 98:104].min() > 0.9 and cleaned[40:42, :90].max() < 0.1


def test_slanted_ruled_lines_are_found():
    rows, cols = np.indices((200, 300))
    ink = np.where(np.abs((rows - 0.1 * cols) % 50 - 25) < 1.0, 0.7, 0.0).astype(np.float32)  # Slope 0.1.
    ink[30:170, 140:146] = 1.0
    cleaned = without_ruling(ink)
    assert cleaned[:, :130].max() < 0.2 and cleaned[30:170, 140:146].min() > 0.9


@pytest.mark.parametrize("ink", [
    np.pad(np.ones((200, 6), np.float32), ((0, 0), (12, 12))),  # A 1 cropped tight, alone.
    tight_seven(),  # A long stroke with the rest of the digit at one end: a 7's bar.
    ruled_ink(lines=(60, 140), width=30, level=1.0),  # Two thick parallel strokes: a marker's.
    ruled_ink(lines=(60, 140), level=0.2),  # Faint lines: no harm, left.
], ids=["lone stroke", "seven's bar", "thick strokes", "faint lines"])
def test_long_strokes_and_faint_lines_are_not_taken_out(ink):
    assert (without_ruling(ink) == ink).all()


@pytest.mark.parametrize("upright", [False, True])
def test_one_ruled_line_across_the_digit_is_taken_out(upright):
    """Ruled lines far apart, or a digit written small: one line in view, crossing the digit.
    It runs on well beyond the digit at both ends, as no stroke of a digit does."""
    ink = ruled_ink(lines=(100,), upright=upright)
    cleaned = without_ruling(ink)
    line = (slice(100, 102), slice(0, 90)) if not upright else (slice(0, 90), slice(100, 102))
    stroke = (slice(20, 180), slice(98, 104)) if not upright else (slice(98, 104), slice(20, 180))
    assert cleaned[line].max() < 0.1 and cleaned[stroke].min() > 0.9


def test_a_small_pages_ruled_lines_are_found_and_the_desk_left_alone():
    """A small page (a ruled card on a desk): its lines are short beside the picture, but long
    beside the page, which is what counts; the desk is not touched."""
    ink = ruled_ink()
    page = np.zeros(ink.shape, bool)
    page[:, :110] = True  # The page is the left part, the stroke on it; the desk beyond.
    cleaned = without_ruling(ink, page)
    assert cleaned[40:42, :95].max() < 0.1 and cleaned[20:180, 98:104].min() == 1.0
    assert (cleaned[:, 110:] == ink[:, 110:]).all()
