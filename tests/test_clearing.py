"""A drawing that arrives again after its pad was cleared (digitpad.clearing)."""

import numpy as np

from digitpad.clearing import ClearedPads, fingerprint


def drawing(seed, side=64):
    """A sketchpad value: a white canvas with a few black dots, different for each seed."""
    rng = np.random.default_rng(seed)
    canvas = np.full((side, side, 4), 255, np.uint8)
    canvas[rng.integers(0, side, 20), rng.integers(0, side, 20), :3] = 0
    return {"background": None, "layers": [], "composite": canvas}


def test_a_fingerprint_tells_drawings_apart_pixel_by_pixel():
    one = drawing(1)
    assert fingerprint(one) == fingerprint({**one, "composite": one["composite"].copy()})
    nudged = one["composite"].copy()
    nudged[0, 0, 0] ^= 1
    assert fingerprint({**one, "composite": nudged}) != fingerprint(one)
    # The same pixels in another shape are another drawing.
    assert fingerprint({**one, "composite": one["composite"].reshape(32, 128, 4)}) != fingerprint(one)
    # Without a composite, the background and layers are the drawing.
    parts = {"background": one["composite"], "layers": [drawing(2)["composite"]], "composite": None}
    assert fingerprint(parts) is not None and fingerprint(parts) != fingerprint(one)
    for nothing in (None, {}, {"background": None, "layers": [], "composite": None}):
        assert fingerprint(nothing) is None


def test_the_drawing_a_clear_took_away_is_recognised_when_it_comes_back():
    pads, key = ClearedPads(), ("session", "digit")
    first, second = drawing(1), drawing(2)
    assert not pads.is_late_copy(key, first)
    assert not pads.is_late_copy(key, first)  # Sent twice before any Clear: read both times.
    pads.cleared(key)
    assert pads.is_late_copy(key, first)
    assert not pads.is_late_copy(key, None)  # The emptied pad itself is read (as blank).
    assert not pads.is_late_copy(key, second)  # A new drawing is read...
    assert pads.is_late_copy(key, first)  # ...and the old one is still a late copy after it.
    pads.cleared(key)  # Now the second drawing is the one taken away.
    assert pads.is_late_copy(key, second) and not pads.is_late_copy(key, first)


def test_a_clear_is_one_pad_of_one_session():
    pads, first = ClearedPads(), drawing(1)
    for key in (("a", "digit"), ("a", "number"), ("b", "digit")):
        assert not pads.is_late_copy(key, first)
    pads.cleared(("a", "digit"))
    assert pads.is_late_copy(("a", "digit"), first)
    assert not pads.is_late_copy(("a", "number"), first)
    assert not pads.is_late_copy(("b", "digit"), first)


def test_a_chosen_example_is_recorded_and_what_a_clear_takes_away():
    pads, key, example = ClearedPads(), ("session", "digit"), drawing(7)
    pads.read(key, example)
    pads.cleared(key)
    assert pads.is_late_copy(key, example)
    pads.read(key, example)  # Chosen again after the Clear: recorded, not refused.
    assert pads.is_late_copy(key, example)  # (The last Clear still took it away.)


def test_only_the_newest_sessions_are_remembered():
    pads, first = ClearedPads(sessions=2), drawing(1)
    for session in ("a", "b"):
        pads.is_late_copy((session, "digit"), first)
        pads.cleared((session, "digit"))
    pads.is_late_copy(("c", "digit"), first)  # A third session pushes out the oldest, "a".
    assert len(pads._pads) == 2
    assert not pads.is_late_copy(("a", "digit"), first)
    assert pads.is_late_copy(("c", "digit"), first) is False
    assert pads.is_late_copy(("b", "digit"), first) is False  # "b" went when "a" came back.
