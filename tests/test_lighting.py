"""Uneven lighting: its estimate is smooth, and the wrong polarity's is not."""

import numpy as np

from helpers import deep_shadow_photo, shadowed_page
from digitpad.lighting import lighting_estimate, roughness


def test_lighting_is_smooth_and_the_wrong_polaritys_estimate_is_not(drawn_digits):
    """`roughness`: a quadratic surface (a shadow, a falloff) has none. A pencil's page under a
    deep shadow: its lighting (the max filter's estimate) is smoother than a min filter's,
    which follows the strokes; chalk on a board under a shadow, the other way round."""
    from digitpad.reading import open_image

    rows, cols = np.indices((48, 64)) / 64
    assert roughness((200 - 90 * cols + 40 * rows * rows).astype(np.float32)) < 0.01
    assert roughness(np.where(cols > 0.5, 200, 100).astype(np.float32)) > 10
    pages = [np.asarray(open_image(deep_shadow_photo(record, 500 + index, "pencil")).convert("L"), np.float32)
             for index, record in enumerate(drawn_digits[:20])]
    pages = [gray for gray in pages if np.median(gray) < 128]
    assert len(pages) >= 5
    for gray in pages:
        assert roughness(lighting_estimate(gray, True)) < roughness(lighting_estimate(gray, False))
    for record in drawn_digits[:10]:
        board = (255 - shadowed_page(record, 0.4)).astype(np.float32)
        assert roughness(lighting_estimate(board, False)) < roughness(lighting_estimate(board, True))
