// digitpad/shapes.py: what the drawing's steps and the photo's steps both measure (which
// pixels are ink, how wide the strokes are, pieces along the picture's edge, a closing),
// function by function and with the same names.

import {window_filter} from "./image.js";

export function closing(image, window) { // A max filter, then a min filter, `window` wide.
  return window_filter(window_filter(image, window, Math.max, -Infinity), window, Math.min, Infinity);
}

// The piece labels (above 0) along the edge of an h × w label array, as a Set.
export function edge_labels(labels, h, w) {
  const edge = new Set();
  for (let x = 0; x < w; x++) edge.add(labels[x]).add(labels[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) edge.add(labels[y * w]).add(labels[y * w + w - 1]);
  edge.delete(0);
  return edge;
}

export const longer_side = ([top, bottom, left, right]) => Math.max(bottom - top, right - left);

export function stroke_width(mask, h, w) {
  let area = 0, boundary = 0;
  const at = (y, x) => (y >= 0 && y < h && x >= 0 && x < w ? mask[y * w + x] : 0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      area++;
      if (!(at(y - 1, x) && at(y + 1, x) && at(y, x - 1) && at(y, x + 1))) boundary++;
    }
  }
  return area === 0 ? 0 : (2 * area) / Math.max(boundary, 1);
}
