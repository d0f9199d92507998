// digitpad/page.py: the page in a photo (the desk beyond it, a small page read as ink, ink
// along the picture's edge or the desk), function by function and with the same names.

import * as C from "./constants.js";
import {label_pieces, median, picture, piece_boxes, reduce, window_filter} from "./image.js";
import {closing, edge_labels, longer_side, stroke_width} from "./shapes.js";

// The page (a mask, 1 = page, grown by PAGE_EDGE) if light `ink` is a small page on a dark desk
// read as light ink, else null: light strokes hold the board in their loops, a page its unlit
// middle or its dark strokes. The holes' median, on the scale from the background (0) to the
// ink's median (1), PAGE_HOLES from 0 either way, is a page: the largest piece of the ink with
// its holes filled. A page that reads as ink all over, its strokes no darker than the desk, is
// found by its shape instead (written_sheet); so is a page whose "ink" the lighting estimate has
// cut a notch out of, by the shape of what is brighter than halfway from background to ink.
export function page_read_as_ink(gray, ink) {
  const h = gray.h, w = gray.w, n = h * w;
  const mask = new Uint8Array(n), in_ink = [];
  for (let i = 0; i < n; i++) {
    mask[i] = ink.data[i] > C.INK_LEVEL ? 1 : 0;
    if (mask[i]) in_ink.push(gray.data[i]);
  }
  if (!in_ink.length) return null;
  const background = median(gray.data), level = median(in_ink);
  const grown = (page) => Uint8Array.from(window_filter(page, C.PAGE_EDGE, Math.max, -Infinity).data);
  let [page, hole, inside] = largest_filled(mask, h, w);
  const in_holes = [];
  for (let i = 0; i < n; i++) if (hole[i]) in_holes.push(gray.data[i]);
  if (in_holes.length >= C.MIN_HOLES * n) {
    const scale = Math.max(level - background, 1);
    if (Math.abs(median(in_holes) - background) >= C.PAGE_HOLES * scale) return grown(page);
  }
  if (written_sheet(page, inside)) return grown(page);
  // The sheet as the picture shows it, brighter than halfway from the background to the ink:
  // a lighting estimate that reaches into a page wider than its window cuts a notch out of the
  // "ink", where the page's own brightness has none.
  const bright = new Uint8Array(n), half = Math.fround((background + level) / 2);
  for (let i = 0; i < n; i++) bright[i] = gray.data[i] > half ? 1 : 0;
  [page, hole, inside] = largest_filled(bright, h, w);
  return written_sheet(page, inside) ? grown(page) : null;
}

// [piece, holes, holes in the piece]: the largest piece of a mask with its holes filled (a
// picture, 1 = piece), the holes of the whole mask (what is not in it and not joined to the
// picture's edge), and those of them within the piece (both masks).
function largest_filled(mask, h, w) {
  const n = h * w, open = new Uint8Array(n);
  for (let i = 0; i < n; i++) open[i] = 1 - mask[i];
  const [outside] = label_pieces(open, h, w);
  const edge = edge_labels(outside, h, w);
  const hole = new Uint8Array(n), filled = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    hole[i] = !mask[i] && !edge.has(outside[i]) ? 1 : 0;
    filled[i] = mask[i] | hole[i];
  }
  const [pieces, sizes] = label_pieces(filled, h, w);
  let largest = 1;
  for (let k = 1; k < sizes.length; k++) if (sizes[k] > sizes[largest - 1]) largest = k + 1;
  const piece = picture(h, w), inside = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    piece.data[i] = sizes.length && pieces[i] === largest ? 1 : 0;
    inside[i] = hole[i] & piece.data[i];
  }
  return [piece, hole, inside];
}

// Whether a bright piece (a picture, 1 = piece) with dark holes (a mask) in it looks like a sheet
// written on: it fills SHEET_FILL of the smallest rectangle round it, at any angle, and its
// holes are strokes, at most SHEET_STROKES of its span wide.
function written_sheet(piece, holes) {
  const h = piece.h, w = piece.w;
  let count = 0;
  for (const v of holes) count += v;
  if (count < C.MIN_INK_PIXELS) return false;
  let top = h, bottom = -1, left = w, right = -1, area = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!piece.data[y * w + x]) continue;
      area++;
      top = Math.min(top, y); bottom = Math.max(bottom, y);
      left = Math.min(left, x); right = Math.max(right, x);
    }
  }
  const span = Math.max(bottom - top, right - left) + 1;
  if (stroke_width(holes, h, w) > C.SHEET_STROKES * span) return false;
  return area >= C.SHEET_FILL * smallest_rectangle(piece);
}

// The area of the smallest rectangle, at any angle, round a piece's pixels (squares): one side
// lies along an edge of the convex hull (Andrew's monotone chain) of their corners, which are
// among the outer corners of each row's first and last pixel.
function smallest_rectangle(piece) {
  const h = piece.h, w = piece.w;
  const corners = new Set();
  for (let y = 0; y < h; y++) {
    let first = -1, last = -1;
    for (let x = 0; x < w; x++) {
      if (!piece.data[y * w + x]) continue;
      if (first < 0) first = x;
      last = x;
    }
    if (first < 0) continue;
    for (const dy of [0, 1]) for (const x of [first, last + 1]) corners.add((y + dy) * (w + 1) + x);
  }
  const points = Array.from(corners).sort((a, b) => a - b).map((k) => [Math.floor(k / (w + 1)), k % (w + 1)]);
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (sequence) => {
    const chain = [];
    for (const point of sequence) {
      while (chain.length >= 2 && cross(chain[chain.length - 2], chain[chain.length - 1], point) <= 0) chain.pop();
      chain.push(point);
    }
    return chain.slice(0, -1);
  };
  const hull = half(points).concat(half(points.slice().reverse()));
  let best = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const next = hull[(i + 1) % hull.length];
    const ey = next[0] - hull[i][0], ex = next[1] - hull[i][1];
    const length = Math.hypot(ey, ex);
    const [ay, ax] = [ey / length, ex / length];
    let ulo = Infinity, uhi = -Infinity, vlo = Infinity, vhi = -Infinity;
    for (const [py, px] of hull) {
      const u = ay * py + ax * px, v = -ax * py + ay * px;
      ulo = Math.min(ulo, u); uhi = Math.max(uhi, u);
      vlo = Math.min(vlo, v); vhi = Math.max(vhi, v);
    }
    best = Math.min(best, (uhi - ulo) * (vhi - vlo));
  }
  return best;
}

// The photo at about 128 px, and the same closed (max, then min filter) with an odd window an
// eighth of its longer side wide: strokes wiped out, a page's edge kept where it is.
export function closed_picture(gray) {
  const factor = Math.max(1, Math.floor(Math.max(gray.h, gray.w) / 128));
  const small = factor > 1 ? reduce(gray, factor) : gray;
  const window = Math.floor(Math.max(small.h, small.w) / 8) | 1;
  return [small, closing(small, window), window];
}

// A mask (Uint8Array, 1 = desk) of where a photo of dark ink on paper shows a desk beyond the page.
export function beyond_page(gray, closed_parts = null) {
  const [small, closed, window] = closed_parts || closed_picture(gray);
  const near = window_filter(closed, 2 * window + 1, Math.max, -Infinity);
  let desk = picture(small.h, small.w);
  const dark = darker_than_page(closed, near);
  const [labels] = label_pieces(dark, small.h, small.w); // Desk reaches the picture's edge,
  const candidates = edge_labels(labels, small.h, small.w);
  const [ring, outside] = round_the_page(labels, candidates, small, closed); // or is all round a small page,
  for (const label of strokes_at_the_edge(labels, candidates, small, near, window)) candidates.delete(label); // not a stroke,
  if (ring) candidates.add(ring);
  const [edge, beside] = sharp_pieces(labels, candidates, closed); // meeting it sharply.
  for (let i = 0; i < dark.length; i++) {
    desk.data[i] = edge.has(labels[i]) || (edge.has(ring) && outside[i]) ? 1 : 0;
  }
  const on_desk = [];
  for (let i = 0; i < desk.data.length; i++) if (desk.data[i]) on_desk.push(closed.data[i]);
  if (on_desk.length) {
    const level = median(beside); // The page beside the desk.
    if (on_desk.length === desk.data.length || !(level > median(on_desk) + C.DESK_STEP)) {
      return new Uint8Array(gray.h * gray.w); // Not a bright page beside a dark desk (chalk on a board, say).
    }
    desk = along_the_edge(desk, small, window, level);
  }
  desk = window_filter(desk, 3, Math.max, -Infinity); // Its blurred edge too.
  const out = new Uint8Array(gray.h * gray.w); // Back to full size, nearest neighbour.
  for (let y = 0; y < gray.h; y++) {
    const row = Math.floor(((y + 0.5) * small.h) / gray.h);
    for (let x = 0; x < gray.w; x++) out[y * gray.w + x] = desk.data[row * small.w + Math.floor(((x + 0.5) * small.w) / gray.w)];
  }
  return out;
}

// The desk's test: where `image` is darker than DESK_RATIO of `near` (the brightest page within
// reach, the same size) and by DESK_STEP grey levels. A mask.
function darker_than_page(image, near) {
  const dark = new Uint8Array(image.data.length);
  for (let i = 0; i < dark.length; i++) {
    const v = image.data[i], page = near.data[i]; // In float32, as NumPy works on these.
    dark[i] = v < Math.fround(Math.fround(C.DESK_RATIO) * page) && v < Math.fround(page - C.DESK_STEP) ? 1 : 0;
  }
  return dark;
}

// Which `candidates` (labels of dark pieces of the closed picture along its edge) are a stroke at
// the picture's edge, not a desk: a Set of them. At the picture's edge the closing's window sees
// one side of a stroke only, so a stroke along the edge wider than half the window stays in it.
// What is dark in `small` (by the desk's own test against `near`, the page), joined to such a
// piece and wiped out by the closing runs on into the picture, further than half `window` from its
// edge, and there is more of it than of the piece: the rest of the digit. A desk's dark lies
// within its pieces, or along the edge with them (its narrow parts).
function strokes_at_the_edge(labels, candidates, small, near, window) {
  const h = small.h, w = small.w, n = h * w;
  const [pieces] = label_pieces(darker_than_page(small, near), h, w);
  const band = Math.floor(window / 2); // Narrower than this at the picture's edge, the closing wipes out.
  const strokes = new Set();
  for (const label of candidates) {
    const touching = new Set();
    for (let i = 0; i < n; i++) if (labels[i] === label && pieces[i]) touching.add(pieces[i]);
    let within = 0, beyond = 0;
    for (let y = 0; y < h; y++) {
      const inside = y >= band && y < h - band;
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!touching.has(pieces[i])) continue;
        if (labels[i] === label) within++;
        else if (!labels[i] && inside && x >= band && x < w - band) beyond++;
      }
    }
    if (beyond > within) strokes.add(label);
  }
  return strokes;
}

// A small page wholly in view, away from the picture's edge, has desk all round it, and the
// desk beyond the reach of its light looks like page: what is darker than the page within reach
// is a ring round it. The dark piece of `labels` that is all that borders the page (the piece of
// what is not dark that holds the closed picture's brightest point, its holes filled), if it is
// clear of the picture's edge and what lies beyond it is no brighter than itself by more than
// half DESK_STEP (a marker's 0 round the page's brightest point has the lit page beyond it), and
// the page is a sheet written on (`written_sheet`, its strokes darker than the closing by
// DESK_STEP). `edge`: the labels along the picture's edge. Returns [its label, or 0; what lies
// beyond it, a mask].
function round_the_page(labels, edge, small, closed) {
  const h = closed.h, w = closed.w, n = h * w;
  const none = [0, null], open = new Uint8Array(n);
  for (let i = 0; i < n; i++) open[i] = labels[i] ? 0 : 1;
  const [rest, sizes] = label_pieces(open, h, w);
  if (!sizes.length) return none;
  let brightest = -1;
  for (let i = 0; i < n; i++) {
    if (rest[i] && (brightest < 0 || closed.data[i] > closed.data[brightest])) brightest = i;
  }
  const rest_edge = edge_labels(rest, h, w), outside = new Uint8Array(n), beyond = [];
  for (let i = 0; i < n; i++) {
    outside[i] = rest_edge.has(rest[i]) ? 1 : 0;
    if (outside[i]) beyond.push(closed.data[i]);
  }
  const page = rest[brightest];
  if (rest_edge.has(page) || !beyond.length) return none;
  const on_page = new Uint8Array(n);
  for (let i = 0; i < n; i++) on_page[i] = rest[i] === page ? 1 : 0;
  const [filled] = largest_filled(on_page, h, w);
  const near = window_filter(filled, 3, Math.max, -Infinity), around = new Set();
  for (let i = 0; i < n; i++) if (near.data[i] && !filled.data[i]) around.add(labels[i]);
  const [ring] = around;
  if (around.size !== 1 || edge.has(ring)) return none;
  const strokes = new Uint8Array(n); // A page, with writing on it: a chalk digit's closing is neither.
  for (let i = 0; i < n; i++) strokes[i] = filled.data[i] && small.data[i] < Math.fround(closed.data[i] - C.DESK_STEP) ? 1 : 0;
  if (!written_sheet(filled, strokes)) return none;
  const on_ring = [];
  for (let i = 0; i < n; i++) if (labels[i] === ring) on_ring.push(closed.data[i]);
  if (Math.fround(median(beyond)) > Math.fround(median(on_ring) + C.DESK_STEP / 2)) return none;
  return [ring, outside];
}

// The desk (a picture, 1 = desk) grown into what is darker than the page's `level` (by DESK_RATIO
// and DESK_STEP), and than the desk's own median by at most half DESK_STEP, within `window`
// pixels of the picture's edge: a desk's narrow parts, which the closing wipes out with the strokes.
function along_the_edge(desk, small, window, level) {
  const h = small.h, w = small.w, n = h * w;
  const on_desk = [];
  for (let i = 0; i < n; i++) if (desk.data[i]) on_desk.push(small.data[i]);
  const limit = Math.fround(Math.min(C.DESK_RATIO * level, level - C.DESK_STEP, median(on_desk) + C.DESK_STEP / 2));
  const reach = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const y = Math.floor(i / w), x = i - y * w;
    const band = y < window || y >= h - window || x < window || x >= w - window;
    reach[i] = desk.data[i] || (band && small.data[i] < limit) ? 1 : 0;
  }
  const [pieces] = label_pieces(reach, h, w);
  const kept = new Set();
  for (let i = 0; i < n; i++) if (desk.data[i]) kept.add(pieces[i]);
  const grown = picture(h, w);
  for (let i = 0; i < n; i++) grown.data[i] = kept.has(pieces[i]) ? 1 : 0;
  return grown;
}

// The candidates (a Set of labels of dark pieces) that meet the page, the piece of what is
// not dark that holds its brightest point, at a sharp edge: the closed picture SHARP_REACH
// pixels on towards the page's centre brighter by half DESK_STEP, along SHARP_SHARE of the
// piece's border with the page.
// Returns [the Set kept, the closed picture's levels on the page's side of their sharp edges].
function sharp_pieces(labels, candidates, closed) {
  const h = closed.h, w = closed.w, n = h * w;
  if (!candidates.size) return [candidates, []];
  const rest = new Uint8Array(n);
  for (let i = 0; i < n; i++) rest[i] = candidates.has(labels[i]) ? 0 : 1;
  const [pieces, sizes] = label_pieces(rest, h, w);
  if (!sizes.length) return [new Set(), []];
  let brightest = -1;
  for (let i = 0; i < n; i++) {
    if (rest[i] && (brightest < 0 || closed.data[i] > closed.data[brightest])) brightest = i;
  }
  const page = picture(h, w);
  for (let i = 0; i < n; i++) page.data[i] = pieces[i] === pieces[brightest] ? 1 : 0;
  const near = window_filter(page, 3, Math.max, -Infinity);
  let sum_y = 0, sum_x = 0, area = 0; // The page's centre.
  for (let i = 0; i < n; i++) {
    if (!page.data[i]) continue;
    const y = Math.floor(i / w);
    sum_y += y; sum_x += i - y * w; area++;
  }
  const count = new Map(), sharp = new Map(), levels = [];
  for (let i = 0; i < n; i++) {
    if (rest[i] || !near.data[i]) continue;
    const y = Math.floor(i / w), x = i - y * w;
    const dy = sum_y / area - y, dx = sum_x / area - x;
    const far = Math.max(Math.sqrt(dy * dy + dx * dx), 1);
    const on_y = Math.min(Math.max(Math.floor(y + (C.SHARP_REACH * dy) / far + 0.5), 0), h - 1);
    const on_x = Math.min(Math.max(Math.floor(x + (C.SHARP_REACH * dx) / far + 0.5), 0), w - 1);
    const level = closed.data[on_y * w + on_x];
    const is_sharp = Math.fround(level - closed.data[i]) >= C.DESK_STEP / 2;
    count.set(labels[i], (count.get(labels[i]) || 0) + 1);
    sharp.set(labels[i], (sharp.get(labels[i]) || 0) + (is_sharp ? 1 : 0));
    if (is_sharp) levels.push([labels[i], level]);
  }
  const share = (k) => (sharp.get(k) || 0) / Math.max(count.get(k) || 0, 1);
  const kept = new Set([...candidates].filter((k) => share(k) >= C.SHARP_SHARE));
  return [kept, levels.filter(([k]) => kept.has(k)).map(([, level]) => level)];
}

export function without_edge_pieces(ink, beyond = null) {
  const n = ink.data.length, h = ink.h, w = ink.w;
  if (beyond) {
    const cleared = picture(h, w);
    for (let i = 0; i < n; i++) cleared.data[i] = beyond[i] ? 0 : ink.data[i];
    ink = cleared;
  }
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = ink.data[i] > C.INK_LEVEL ? 1 : 0;
  const [labels, sizes] = label_pieces(mask, h, w);
  if (!sizes.length) return ink;
  const edge = edge_labels(labels, h, w), desk_side = new Set();
  if (beyond) { // Pieces next to the desk go with the edge's.
    const near = window_filter(picture(h, w, Float32Array.from(beyond)), 3, Math.max, -Infinity);
    for (let i = 0; i < n; i++) if (near.data[i] && labels[i]) desk_side.add(labels[i]);
    for (const k of desk_side) edge.add(k);
  }
  if (!edge.size) return ink;
  const boxes = piece_boxes(labels, sizes.length, h, w);
  let span = 0;
  for (let k = 0; k < sizes.length; k++) if (!edge.has(k + 1)) span = Math.max(span, longer_side(boxes[k]));
  const reach = C.EDGE_DIGIT_SPAN * Math.max(h, w);
  const depths = edge_reach(labels, sizes.length, h, w);
  const deep = Math.min(reach, C.EDGE_NARROW * Math.min(h, w)); // Nothing in a picture cropped to a 1 reaches further.
  for (const k of [...edge]) {
    const depth = depths[k - 1];
    if (depth < deep) continue; // A rim or a corner: it goes.
    if (span >= reach && (desk_side.has(k) // The digit is clear of the edge, at least in part.
        || stroke_width(labels.map((v) => (v === k ? 1 : 0)), h, w) > C.EDGE_STROKES * depth)) continue;
    edge.delete(k); // More of the digit: it stays.
  }
  if (!edge.size) return ink;
  const out = picture(h, w);
  for (let i = 0; i < n; i++) out.data[i] = edge.has(labels[i]) ? 0 : ink.data[i];
  return out;
}

// How far each of `count` pieces reaches into the picture: its pixels' greatest distance in
// pixels from the picture's nearest side, as in Python (not from the desk: see _edge_reach there).
function edge_reach(labels, count, h, w) {
  const reach = new Array(count).fill(0);
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const y = Math.floor(i / w), x = i - y * w;
    const depth = Math.min(y, h - 1 - y, x, w - 1 - x);
    if (depth > reach[labels[i] - 1]) reach[labels[i] - 1] = depth;
  }
  return reach;
}
