// digitpad/lighting.py: uneven lighting in a photo (its estimate, how smooth that is, the
// picture with it divided out, the ink of what is left), function by function and with the
// same names.

import * as C from "./constants.js";
import {add, label_pieces, median, min_max, picture, reduce, resize, window_filter} from "./image.js";
import {closing, edge_labels} from "./shapes.js";

// Ink of an evenly lit picture: dark ink if `dark`, light if false, as its median says if null.
// Where the ink is most of the picture (a thick marker's digit cropped tight), the background is
// the median of the levels on its side of mid-grey.
export function ink_from_flat(gray, dark = null) {
  let background = median(gray.data);
  const [darkest, brightest] = min_max(gray.data);
  if (dark === null) {
    dark = background >= 128;
  } else if (dark !== (background >= 128)) {
    const side = gray.data.filter((v) => (dark ? v >= 128 : v < 128));
    if (side.length) background = median(side);
  }
  const range = dark ? Math.max(background - darkest, 1) : Math.max(brightest - background, 1);
  const ink = picture(gray.h, gray.w);
  for (let i = 0; i < ink.data.length; i++) {
    const value = dark ? (background - gray.data[i]) / range : (gray.data[i] - background) / range;
    ink.data[i] = Math.min(Math.max(value, 0), 1);
  }
  return ink;
}

// The lighting at about 64 px: a max filter (min for light ink) an eighth of the picture wide
// wipes out the strokes (for dark ink, blobs wider than that too: without_ink_blobs), a mean
// filter as wide smooths what is left.
export function lighting_estimate(gray, dark_ink = true) {
  const factor = Math.max(1, Math.floor(Math.max(gray.h, gray.w) / 64));
  const small = factor > 1 ? reduce(gray, factor) : gray;
  const size = Math.max(3, Math.floor(Math.max(small.h, small.w) / 8));
  let paper = window_filter(small, size, dark_ink ? Math.max : Math.min, dark_ink ? -Infinity : Infinity);
  if (dark_ink) paper = without_ink_blobs(paper, () => window_filter(small, C.WIDE_WINDOWS * size, Math.max, -Infinity));
  return window_filter(paper, size, add, 0);
}

// How far a lighting estimate is from lighting: the root mean square of what a quadratic surface
// fitted to it (least squares, coordinates scaled to its longer side) leaves. Lighting is smooth;
// an estimate of the wrong polarity follows the strokes.
export function roughness(estimate) {
  const {h, w} = estimate, side = Math.max(h, w);
  const terms = (y, x) => [1, x, y, x * x, x * y, y * y];
  const normal = Array.from({length: 6}, () => new Float64Array(7)); // [A^T A | A^T b]
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const t = terms(r / side, c / side), v = estimate.data[r * w + c];
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < 6; j++) normal[i][j] += t[i] * t[j];
        normal[i][6] += t[i] * v;
      }
    }
  }
  for (let i = 0; i < 6; i++) { // Gaussian elimination with partial pivoting.
    let pivot = i;
    for (let k = i + 1; k < 6; k++) if (Math.abs(normal[k][i]) > Math.abs(normal[pivot][i])) pivot = k;
    [normal[i], normal[pivot]] = [normal[pivot], normal[i]];
    for (let k = 0; k < 6; k++) {
      if (k === i) continue;
      const f = normal[k][i] / normal[i][i];
      for (let j = i; j < 7; j++) normal[k][j] -= f * normal[i][j];
    }
  }
  const fit = normal.map((row, i) => row[6] / row[i]);
  let sum = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const t = terms(r / side, c / side);
      let value = 0;
      for (let i = 0; i < 6; i++) value += fit[i] * t[i];
      sum += (estimate.data[r * w + c] - value) ** 2;
    }
  }
  return Math.sqrt(sum / (h * w));
}

export function flatten_background(gray, dark_ink = true, closed = null, estimate = null) {
  estimate ??= lighting_estimate(gray, dark_ink);
  const [lo, hi] = min_max(estimate.data);
  if (hi - lo < 24) return gray;
  estimate = resize(estimate, gray.w, gray.h, "bilinear");
  if (dark_ink && closed) { // Held to the closed picture, which keeps a page's edge sharp.
    const [shrunk, edges, window] = closed;
    const held = without_ink_blobs(edges, () => closing(shrunk, (C.WIDE_WINDOWS * window) | 1));
    const sharp = resize(held, gray.w, gray.h, "bilinear");
    for (let i = 0; i < estimate.data.length; i++) estimate.data[i] = Math.min(estimate.data[i], sharp.data[i]);
  }
  const out = picture(gray.h, gray.w);
  for (let i = 0; i < out.data.length; i++) {
    const e = estimate.data[i], g = gray.data[i];
    const value = dark_ink ? (g / Math.max(e, 1)) * 255 : ((g - e) / Math.max(255 - e, 1)) * 255;
    out.data[i] = Math.min(Math.max(value, 0), 255);
  }
  return out;
}

// The lighting estimate of dark ink on paper, with the wide one (wide_filter(): the same with a
// window WIDE_WINDOWS times as wide) where it is darker than BLOB_RATIO of that, in pieces clear of
// the picture's edge: a blob of ink wider than the window (a marker's strokes where they meet), which
// would read as paper. The wide one is never brighter than the estimate's brightest value: if the
// estimate's darkest is not under that ratio of it (a drawing's, mostly), there is no blob, and the
// wide one is not computed.
function without_ink_blobs(estimate, wide_filter) {
  const {h, w} = estimate;
  const ratio = Math.fround(C.BLOB_RATIO);
  const [lo, hi] = min_max(estimate.data);
  if (lo >= Math.fround(ratio * hi)) return estimate;
  const wide = wide_filter();
  const blob = new Uint8Array(h * w);
  let any = false;
  for (let i = 0; i < blob.length; i++) {
    blob[i] = estimate.data[i] < Math.fround(ratio * wide.data[i]) ? 1 : 0;
    any ||= blob[i] === 1;
  }
  if (!any) return estimate;
  const [labels] = label_pieces(blob, h, w);
  const edge = edge_labels(labels, h, w);
  const out = picture(h, w, Float32Array.from(estimate.data));
  for (let i = 0; i < blob.length; i++) if (blob[i] && !edge.has(labels[i])) out.data[i] = wide.data[i];
  return out;
}
