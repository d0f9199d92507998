// The MNIST recipe of digitpad/preprocess.py, function by function and with the same names,
// so the two can be read side by side. A picture is {h, w, data: Float32Array} (row-major,
// like a NumPy (H, W) array). The constants come from the Python module: the exporter writes
// them to constants.js, so there is one source for them.
//
//   preprocess(imageData)   // canvas ImageData → Float32Array(28 * 28) in [0, 255]
//
// Resampling follows Pillow's (Lanczos, bilinear and box filters with its support and
// rounding); the distance transform is exact, as SciPy's is.

import * as C from "./constants.js";

export class NoInkError extends Error {}

const picture = (h, w, data) => ({h, w, data: data || new Float32Array(h * w)});

// --- Reading: digitpad/reading.py's to_grayscale, for an opaque canvas.

function luminance(r, g, b) {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16; // Pillow's RGB → L.
}

export function to_grayscale(imageData, max_side = null) {
  const {width: w, height: h, data} = imageData;
  let gray = picture(h, w);
  for (let i = 0, p = 0; i < w * h; i++, p += 4) {
    // Onto white: 255 - (255 - L) × alpha / 255, as Pillow's multiply and invert compute it.
    const dark = Math.floor(((255 - luminance(data[p], data[p + 1], data[p + 2])) * data[p + 3]) / 255);
    gray.data[i] = 255 - dark;
  }
  if (max_side && Math.max(h, w) > max_side) gray = reduce(gray, Math.ceil(Math.max(h, w) / max_side), true);
  return gray;
}

// Pillow's Image.reduce: the mean of every factor × factor box (partial boxes at the edges too).
function reduce(image, factor, round = false) {
  const h = Math.ceil(image.h / factor), w = Math.ceil(image.w / factor);
  const out = picture(h, w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0, count = 0;
      for (let yy = y * factor; yy < Math.min((y + 1) * factor, image.h); yy++) {
        for (let xx = x * factor; xx < Math.min((x + 1) * factor, image.w); xx++) {
          sum += image.data[yy * image.w + xx];
          count++;
        }
      }
      out.data[y * w + x] = round ? Math.floor(sum / count + 0.5) : sum / count;
    }
  }
  return out;
}

// --- Pillow's resampling (Resample.c): separable, with the filter widened when shrinking.

const FILTERS = {
  lanczos: {support: 3, f: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0)},
  bilinear: {support: 1, f: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0)},
};

function sinc(x) {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

function coefficients(inSize, outSize, filter) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const rows = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const k = [];
    let ww = 0;
    for (let x = xmin; x < xmax; x++) {
      const weight = filter.f((x - center + 0.5) / filterscale);
      k.push(weight);
      ww += weight;
    }
    rows.push({xmin, k: ww !== 0 ? k.map((v) => v / ww) : k});
  }
  return rows;
}

function resize(image, w, h, filterName) {
  const filter = FILTERS[filterName];
  let current = image;
  if (w !== image.w) {
    const cols = coefficients(image.w, w, filter);
    const out = picture(current.h, w);
    for (let y = 0; y < current.h; y++) {
      for (let x = 0; x < w; x++) {
        const {xmin, k} = cols[x];
        let sum = 0;
        for (let i = 0; i < k.length; i++) sum += current.data[y * current.w + xmin + i] * k[i];
        out.data[y * w + x] = sum;
      }
    }
    current = out;
  }
  if (h !== image.h) {
    const rows = coefficients(image.h, h, filter);
    const out = picture(h, current.w);
    for (let y = 0; y < h; y++) {
      const {xmin, k} = rows[y];
      for (let x = 0; x < current.w; x++) {
        let sum = 0;
        for (let i = 0; i < k.length; i++) sum += current.data[(xmin + i) * current.w + x] * k[i];
        out.data[y * current.w + x] = sum;
      }
    }
    current = out;
  }
  return current;
}

// Python's round(): halves go to the even neighbour.
function round_half_even(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// --- The recipe.

function median(data) {
  // Pictures from a canvas hold whole grey levels: a histogram finds the middle in one pass.
  const counts = new Uint32Array(256);
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (!Number.isInteger(v)) {
      const sorted = Float32Array.from(data).sort();
      return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
    counts[v]++;
  }
  const nth = (k) => {
    for (let v = 0, seen = 0; v < 256; v++) if ((seen += counts[v]) > k) return v;
    return 255;
  };
  return n % 2 ? nth((n - 1) / 2) : (nth(n / 2 - 1) + nth(n / 2)) / 2;
}

function min_max(data) {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export function ink_map(gray) {
  const level = median(gray.data);
  let dark = level >= 128;
  const estimate = lighting_estimate(gray, dark);
  let flat = flatten_background(gray, dark, null, estimate);
  let paper = dark ? estimate : null; // The lighting of a page, for dark ink.
  let same = 0;
  for (const v of gray.data) same += v === level ? 1 : 0;
  // A drawing's background is one grey level; only a photo has a desk.
  const photo = same / gray.data.length < C.DRAWN_BACKGROUND;
  let ink, closed = null, beyond = null;
  if (flat === gray) {
    ink = ink_from_flat(flat);
  } else { // Uneven lighting: a photo, perhaps with a desk beyond the page.
    closed = photo ? closed_picture(gray) : null;
    beyond = closed ? beyond_page(gray, closed) : new Uint8Array(gray.h * gray.w);
    if (!dark) { // A shadow can take a page's median below mid-grey; so can a desk.
      ink = ink_from_flat(flat, false);
      paper = lighting_estimate(gray, true);
      const other = off_the_desk(flatten_background(gray, true, null, paper), beyond);
      // Lighting that is smoother, or less ink or ink that stands out more sharply, unless the
      // board's lighting is far the smoother.
      const dark_reading = ink_from_flat(other, true);
      const rough_page = roughness(paper), rough_board = roughness(estimate);
      if (rough_page < rough_board || (rough_page < C.BOARD_SMOOTHER * rough_board && (
          ink_count(dark_reading, beyond) < ink_count(ink, beyond)
          || edge_step(gray, dark_reading, beyond) > edge_step(gray, ink, beyond)))) dark = true;
    }
  }
  if (photo && !dark) { // Light strokes, or a small page on a wide desk read as ink?
    const page = page_read_as_ink(gray, ink);
    if (page) {
      dark = true;
      beyond = page.map((v) => 1 - v);
    }
  }
  if (beyond && dark) {
    flat = off_the_desk(flatten_background(gray, true, closed, paper), beyond);
    ink = ink_from_flat(flat, true);
  }
  if (photo && dark) ink = without_ruling(ink, beyond ? beyond.map((v) => 1 - v) : null);
  if (beyond) ink = without_edge_pieces(ink, dark ? beyond : null);
  const background = median(flat.data);
  const [darkest, brightest] = min_max(flat.data);
  const contrast = Math.max(background - darkest, brightest - background);
  if (contrast < C.MIN_CONTRAST) return picture(flat.h, flat.w); // Too faint to be ink.
  return ink;
}

// The page (a mask, 1 = page, grown by PAGE_EDGE) if light `ink` is a small page on a dark desk
// read as light ink, else null: light strokes hold the board in their loops, a page its unlit
// middle or its dark strokes. The holes' median, on the scale from the background (0) to the
// ink's median (1), PAGE_HOLES from 0 either way, is a page: the largest piece of the ink with
// its holes filled. A page that reads as ink all over, its strokes no darker than the desk, is
// found by its shape instead (written_sheet); so is a page whose "ink" the lighting estimate has
// cut a notch out of, by the shape of what is brighter than halfway from background to ink.
function page_read_as_ink(gray, ink) {
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

// Inked pixels, leaving out those where `beyond` (a mask of the picture's size) is set.
function ink_count(ink, beyond = null) {
  let count = 0;
  for (let i = 0; i < ink.data.length; i++) count += ink.data[i] > C.INK_LEVEL && !(beyond && beyond[i]) ? 1 : 0;
  return count;
}

// How sharply `ink` stands out of `gray`: the mean grey-level step across its border, over
// every pair of pixels two apart in a row or a column with one inked (above INK_LEVEL, off the
// desk `beyond`) and one not; 0 if there are none. Strokes step from the paper all round; the
// lit paper beside dark strokes, read as light ink, only on its inner side.
function edge_step(gray, ink, beyond) {
  const {h, w} = gray;
  const mask = new Uint8Array(h * w);
  for (let i = 0; i < mask.length; i++) mask[i] = ink.data[i] > C.INK_LEVEL && !beyond[i] ? 1 : 0;
  let total = 0, count = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (y + 2 < h && mask[i] !== mask[i + 2 * w]) {
        total += Math.abs(gray.data[i] - gray.data[i + 2 * w]);
        count++;
      }
      if (x + 2 < w && mask[i] !== mask[i + 2]) {
        total += Math.abs(gray.data[i] - gray.data[i + 2]);
        count++;
      }
    }
  }
  return count ? total / count : 0;
}

// The flattened picture with the desk (where `beyond` is set) made background.
function off_the_desk(flat, beyond) {
  const out = picture(flat.h, flat.w);
  for (let i = 0; i < out.data.length; i++) out.data[i] = beyond[i] ? 255 : flat.data[i];
  return out;
}

// The photo at about 128 px, and the same closed (max, then min filter) with an odd window an
// eighth of its longer side wide: strokes wiped out, a page's edge kept where it is.
export function closed_picture(gray) {
  const factor = Math.max(1, Math.floor(Math.max(gray.h, gray.w) / 128));
  const small = factor > 1 ? reduce(gray, factor) : gray;
  const window = Math.floor(Math.max(small.h, small.w) / 8) | 1;
  return [small, closing(small, window), window];
}

function closing(image, window) { // A max filter, then a min filter, `window` wide.
  return window_filter(window_filter(image, window, Math.max, -Infinity), window, Math.min, Infinity);
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

// The ink without the printed lines of ruled or squared paper: lines about level, then about
// upright, across the page (`page`: 1 = page, not desk; null: all of it) are found and taken out
// as if they were the paper's own shade; faint ones (under RULE_LEVEL) are left.
export function without_ruling(ink, page = null) {
  page = page || new Uint8Array(ink.h * ink.w).fill(1);
  const ruled = new Uint8Array(ink.h * ink.w);
  for (const upright of [false, true]) {
    const work = upright ? transposed(ink) : ink;
    const on_page = upright ? transposed_mask(page, ink.h, ink.w) : page;
    const found = ruling_slope(work, on_page);
    if (found === null) continue;
    const lines = line_darkness(work, on_page, ...found);
    const out = picture(work.h, work.w);
    for (let i = 0; i < out.data.length; i++) {
      const v = work.data[i], l = lines[i];
      out.data[i] = on_page[i] ? Math.min(Math.max((v - l) / Math.max(1 - l, 0.05), 0), 1) : v;
    }
    ink = upright ? transposed(out) : out;
    for (let y = 0; y < work.h; y++) {
      for (let x = 0; x < work.w; x++) {
        if (lines[y * work.w + x] > 0) ruled[upright ? x * work.h + y : y * work.w + x] = 1;
      }
    }
  }
  // Lines darker than the ink set its scale: scale it again to its darkest pixel off them.
  let top = 0, any = false;
  for (let i = 0; i < ruled.length; i++) {
    if (ruled[i]) any = true;
    else if (page[i] && ink.data[i] > top) top = ink.data[i];
  }
  if (any && top > C.INK_LEVEL && top < 1) {
    const out = picture(ink.h, ink.w);
    for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(ink.data[i] / top, 1);
    ink = out;
  }
  return ink;
}

function transposed(image) {
  const out = picture(image.w, image.h);
  for (let y = 0; y < image.h; y++) for (let x = 0; x < image.w; x++) out.data[x * image.h + y] = image.data[y * image.w + x];
  return out;
}

function transposed_mask(mask, h, w) {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x * h + y] = mask[y * w + x];
  return out;
}

// The slope (rows per column) of ruled lines about level across the ink's page and the lines
// (ruled_lines' runs), or null: in hundredths on the ink shrunk by a max filter to about
// RULE_SIZE, then in thousandths. One line alone must run on beyond the rest of the ink.
function ruling_slope(ink, page) {
  const factor = Math.max(1, Math.floor(Math.max(ink.h, ink.w) / C.RULE_SIZE));
  const [small, small_page] = pooled(ink, page, factor);
  const coarse = [];
  for (let k = -C.RULE_TILT; k <= C.RULE_TILT; k++) coarse.push(k / 100);
  const rough = best_slope(small, small_page, coarse, factor > 1 ? 1 : 0);
  if (rough === null) return null;
  const k = rough[0] - C.RULE_TILT, fine = [];
  for (let j = -5; j <= 5; j++) fine.push((10 * k + j) / 1000);
  const found = best_slope(ink, page, fine);
  if (found === null) return null;
  const [slope, runs] = [fine[found[0]], found[1]];
  if (runs.length < C.RULE_LINES && !runs_beyond(ink, page, slope, runs[0])) return null;
  return [slope, runs];
}

// Whether a line about level of a slope, the lines of pixels `run` ([start, end)), runs on
// RULE_BEYOND of the page's width beyond the rest of the ink (above INK_LEVEL, clear of it by
// RULE_GAP) at both ends. There must be a rest: a lone line is a 1.
function runs_beyond(ink, page, slope, [start, end]) {
  const {h, w} = ink, shifts = line_shifts(w, slope);
  const gap = Math.max(2, Math.trunc(C.RULE_GAP * Math.max(h, w)));
  let line_first = -1, line_last = -1, rest_first = -1, rest_last = -1;
  for (let x = 0; x < w; x++) {
    let on_line = false, on_rest = false;
    for (let y = 0; y < h; y++) {
      const i = y * w + x, b = y + shifts[x];
      if (!page[i]) continue;
      if (b >= start && b < end && ink.data[i] > C.RULE_LEVEL) on_line = true;
      if ((b < start - gap || b >= end + gap) && ink.data[i] > C.INK_LEVEL) on_rest = true;
    }
    if (on_line) [line_first, line_last] = [line_first < 0 ? x : line_first, x];
    if (on_rest) [rest_first, rest_last] = [rest_first < 0 ? x : rest_first, x];
  }
  if (line_first < 0 || rest_first < 0) return false;
  const reach = C.RULE_BEYOND * page_width(page, h, w);
  return rest_first - line_first >= reach && line_last - rest_last >= reach;
}

// The ink shrunk by a whole factor, each block's greatest value, and the page's blocks wholly on it.
function pooled(ink, page, factor) {
  const h = Math.floor(ink.h / factor), w = Math.floor(ink.w / factor);
  const small = picture(h, w), small_page = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let most = -Infinity, all = 1;
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++) {
          const i = (y * factor + dy) * ink.w + x * factor + dx;
          if (ink.data[i] > most) most = ink.data[i];
          if (!page[i]) all = 0;
        }
      }
      small.data[y * w + x] = most;
      small_page[y * w + x] = all;
    }
  }
  return [small, small_page];
}

// Pixels above RULE_LEVEL, or a row from one.
function near_lines(ink) {
  const {h, w} = ink, near = new Uint8Array(h * w);
  for (let i = 0; i < h * w; i++) {
    if (ink.data[i] <= C.RULE_LEVEL) continue;
    near[i] = 1;
    if (i >= w) near[i - w] = 1;
    if (i + w < h * w) near[i + w] = 1;
  }
  return near;
}

// For lines of a slope across a picture `w` wide, what each column adds to a pixel's row to
// give its line's number, from 0.
function line_shifts(w, slope) {
  const shifts = new Int32Array(w);
  for (let x = 0; x < w; x++) shifts[x] = Math.floor(0.5 - x * slope);
  const least = Math.min(...shifts);
  for (let x = 0; x < w; x++) shifts[x] -= least;
  return shifts;
}

// Of `slopes`, the index of the one along which the ruled lines hold the most ink and its lines,
// or null.
function best_slope(ink, page, slopes, blur = 0) {
  const {h, w} = ink, near = near_lines(ink), width = page_width(page, h, w);
  let best = 0, found = null;
  for (let s = 0; s < slopes.length; s++) {
    const shifts = line_shifts(w, slopes[s]);
    const count = h + Math.max(...shifts);
    const hits = new Float64Array(count), counts = new Float64Array(count);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (near[i] && page[i]) hits[y + shifts[x]] += 1;
      }
    }
    let full = 0, alone = false;
    for (const v of hits) {
      if (v >= C.RULE_COVER * C.RULE_LENGTH * width) full++;
      if (v >= C.RULE_ALONE * width) alone = true;
    }
    if (full < C.RULE_LINES && !alone) continue;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (page[y * w + x]) counts[y + shifts[x]] += 1;
    let held = 0;
    const runs = ruled_lines(counts, hits, width, Math.max(h, w), blur);
    for (const [start, end] of runs) for (let b = start; b < end; b++) held += hits[b];
    if (held > best) [best, found] = [held, [s, runs]];
  }
  return found;
}

// How many columns hold some of the page: how long a line about level across it can be.
function page_width(page, h, w) {
  let columns = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      if (page[y * w + x]) {
        columns++;
        break;
      }
    }
  }
  return columns;
}

// The ruled lines among lines of pixels (`counts` on the page of a picture whose longer side is
// `side`, `hits` near ink): runs [start, end) near ink along RULE_COVER of their length, each line
// at least RULE_LENGTH of the page's `width` (page_width) long, at most RULE_WIDTH of the side wide,
// clearer lines RULE_GAP of it beyond on both sides, give or take `blur` lines each side (a shrunk
// picture's); none unless there are RULE_LINES, or one near ink along RULE_ALONE of the page's width.
function ruled_lines(counts, hits, width, side, blur = 0) {
  const n = counts.length;
  const cover = new Float64Array(n);
  for (let b = 0; b < n; b++) cover[b] = counts[b] >= C.RULE_LENGTH * width ? hits[b] / Math.max(counts[b], 1) : 0;
  const gap = Math.max(2, Math.trunc(C.RULE_GAP * side)) + blur;
  const at = (b) => (b >= 0 && b < n ? cover[b] : 0);
  const runs = [];
  for (let b = 0; b < n; b++) {
    if (cover[b] < C.RULE_COVER || (b > 0 && cover[b - 1] >= C.RULE_COVER)) continue;
    let end = b;
    while (end < n && cover[end] >= C.RULE_COVER) end++;
    if (end - b <= Math.max(3, C.RULE_WIDTH * side) + 2 * blur && at(b - gap) <= 0.5 && at(end - 1 + gap) <= 0.5) runs.push([b, end]);
  }
  if (runs.length >= C.RULE_LINES) return runs;
  const alone = runs.length === 1 && Math.max(...hits.slice(runs[0][0], runs[0][1])) >= C.RULE_ALONE * width;
  return alone ? runs : [];
}

// How dark the ruled lines of a slope are at each pixel, 0 off them: on each of the lines `runs`
// (ruling_slope's) the RULE_SHARE quantile of its page pixels' ink; a line's neighbours take the
// darker of the two.
function line_darkness(ink, page, slope, runs) {
  const {h, w} = ink, shifts = line_shifts(w, slope);
  const count = h + Math.max(...shifts);
  const lines = new Uint8Array(count);
  for (const [start, end] of runs) {
    for (let b = Math.max(start - 1, 0); b < Math.min(end + 1, count); b++) lines[b] = 1;
  }
  const values = Array.from({length: count}, () => []);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x, b = y + shifts[x];
      if (page[i] && lines[b]) values[b].push(Math.min(Math.max(ink.data[i], 0), Math.fround(0.999)));
    }
  }
  const darkness = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    if (!lines[b]) continue;
    const sorted = Float64Array.from(values[b]).sort();
    darkness[b] = sorted[Math.min(Math.floor(C.RULE_SHARE * sorted.length), sorted.length - 1)];
  }
  const edged = Float64Array.from(darkness);
  for (let b = 0; b < count; b++) {
    if (b > 0) edged[b] = Math.max(edged[b], darkness[b - 1]);
    if (b + 1 < count) edged[b] = Math.max(edged[b], darkness[b + 1]);
  }
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = edged[y + shifts[x]];
  return out;
}

// The piece labels (above 0) along the edge of an h × w label array, as a Set.
function edge_labels(labels, h, w) {
  const edge = new Set();
  for (let x = 0; x < w; x++) edge.add(labels[x]).add(labels[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) edge.add(labels[y * w]).add(labels[y * w + w - 1]);
  edge.delete(0);
  return edge;
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
  const edge = edge_labels(labels, h, w);
  if (beyond) { // Pieces next to the desk go with the edge's.
    const near = window_filter(picture(h, w, Float32Array.from(beyond)), 3, Math.max, -Infinity);
    for (let i = 0; i < n; i++) if (near.data[i] && labels[i]) edge.add(labels[i]);
  }
  if (!edge.size) return ink;
  const boxes = piece_boxes(labels, sizes.length, h, w);
  let span = 0;
  for (let k = 0; k < sizes.length; k++) if (!edge.has(k + 1)) span = Math.max(span, longer_side(boxes[k]));
  const reach = C.EDGE_DIGIT_SPAN * Math.max(h, w);
  if (span < reach) { // The digit may run off the picture: only rims and corners go.
    const reaches = edge_reach(labels, sizes.length, h, w);
    const deep = Math.min(reach, C.EDGE_NARROW * Math.min(h, w)); // Nothing in a picture cropped to a 1 reaches further.
    for (const k of [...edge]) if (reaches[k - 1] >= deep) edge.delete(k);
    if (!edge.size) return ink;
  }
  const out = picture(h, w);
  for (let i = 0; i < n; i++) out.data[i] = edge.has(labels[i]) ? 0 : ink.data[i];
  return out;
}

// Each of `count` pieces' bounding box in an h × w label array, [top, bottom, left, right]
// with the ends exclusive (as `find_objects` gives them in Python).
function piece_boxes(labels, count, h, w) {
  const boxes = Array.from({length: count}, () => [h, 0, w, 0]);
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const box = boxes[labels[i] - 1], y = Math.floor(i / w), x = i - y * w;
    if (y < box[0]) box[0] = y;
    if (y + 1 > box[1]) box[1] = y + 1;
    if (x < box[2]) box[2] = x;
    if (x + 1 > box[3]) box[3] = x + 1;
  }
  return boxes;
}

const longer_side = ([top, bottom, left, right]) => Math.max(bottom - top, right - left);

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

// Ink of an evenly lit picture: dark ink if `dark`, light if false, as its median says if null.
// Where the ink is most of the picture (a thick marker's digit cropped tight), the background is
// the median of the levels on its side of mid-grey.
function ink_from_flat(gray, dark = null) {
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

// SciPy's size-`size` window filters with mode "reflect" (d c b a | a b c d | d c b a).
function window_filter(image, size, combine, start) {
  const reflect = (i, n) => {
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
  };
  const before = Math.floor(size / 2);
  let current = image;
  for (const axis of [0, 1]) {
    const out = picture(current.h, current.w);
    for (let y = 0; y < current.h; y++) {
      for (let x = 0; x < current.w; x++) {
        let acc = start;
        for (let j = -before; j < size - before; j++) {
          const yy = axis === 0 ? reflect(y + j, current.h) : y;
          const xx = axis === 1 ? reflect(x + j, current.w) : x;
          acc = combine(acc, current.data[yy * current.w + xx]);
        }
        out.data[y * current.w + x] = combine === add ? acc / size : acc;
      }
    }
    current = out;
  }
  return current;
}
const add = (a, b) => a + b;

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

// Connected pieces of a mask, 8-connected: [labels (Int32Array, 0 = none), sizes by label - 1].
function label_pieces(mask, h, w) {
  const labels = new Int32Array(h * w);
  const sizes = [];
  const stack = [];
  for (let start = 0; start < h * w; start++) {
    if (!mask[start] || labels[start]) continue;
    const id = sizes.length + 1;
    let size = 0;
    labels[start] = id;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop();
      size++;
      const y = Math.floor(i / w), x = i - y * w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (mask[j] && !labels[j]) {
            labels[j] = id;
            stack.push(j);
          }
        }
      }
    }
    sizes.push(size);
  }
  return [labels, sizes];
}

export function clean_ink(ink) {
  const n = ink.data.length;
  const mask = new Uint8Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += mask[i] = ink.data[i] > C.INK_LEVEL ? 1 : 0;
  if (total < C.MIN_INK_PIXELS) throw new NoInkError("No ink found: draw a digit.");
  if (total > C.MAX_INK_FRACTION * n) {
    throw new Error("This looks like noise or a filled area, not a digit on a blank background.");
  }
  const [labels, sizes] = label_pieces(mask, ink.h, ink.w);
  const largest = Math.max(...sizes);
  const keep = sizes.map((s) => s >= Math.max(2, C.SPECK_FRACTION * largest));
  const kept = sizes.reduce((sum, s, k) => sum + (keep[k] ? s : 0), 0);
  if (keep.filter(Boolean).length > C.MAX_PIECES || kept < 0.5 * total) {
    throw new Error("This looks like noise, not a digit on a blank background.");
  }
  if (kept < C.MIN_INK_PIXELS) throw new NoInkError("No ink found: draw a digit.");
  const boxes = piece_boxes(labels, sizes.length, ink.h, ink.w);
  const span = C.MIN_INK_SPAN * Math.max(ink.h, ink.w);
  if (boxes.reduce((longest, box) => Math.max(longest, longer_side(box)), 0) < span) {
    throw new NoInkError("Only specks of ink: draw a digit."); // Grain all over a blank page.
  }
  const kept_boxes = boxes.filter((_, k) => keep[k]);
  const whole = [Math.min(...kept_boxes.map((b) => b[0])), Math.max(...kept_boxes.map((b) => b[1])),
                 Math.min(...kept_boxes.map((b) => b[2])), Math.max(...kept_boxes.map((b) => b[3]))];
  if (longer_side(whole) < span) throw new NoInkError("Only a speck of ink: draw a digit.");
  if (keep.every(Boolean)) return ink;
  const out = picture(ink.h, ink.w);
  for (let i = 0; i < n; i++) out.data[i] = mask[i] && !keep[labels[i] - 1] ? 0 : ink.data[i];
  return out;
}

export function ink_bbox(ink, level = C.INK_LEVEL) {
  let top = ink.h, bottom = -1, left = ink.w, right = -1;
  for (let y = 0; y < ink.h; y++) {
    for (let x = 0; x < ink.w; x++) {
      if (ink.data[y * ink.w + x] > level) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  if (bottom < 0) throw new NoInkError("No ink found: draw a digit.");
  return [top, bottom + 1, left, right + 1];
}

function crop(image, [top, bottom, left, right]) {
  const out = picture(bottom - top, right - left);
  for (let y = top; y < bottom; y++) {
    out.data.set(image.data.subarray(y * image.w + left, y * image.w + right), (y - top) * out.w);
  }
  return out;
}

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

function resize_longer_side(ink, size) {
  const scale = size / Math.max(ink.h, ink.w);
  const w = Math.max(1, round_half_even(ink.w * scale));
  const h = Math.max(1, round_half_even(ink.h * scale));
  return resize(ink, w, h, "lanczos");
}

// Exact Euclidean distance from every pixel where `inside` is 1 to the nearest pixel where it
// is 0 (0 outside), as scipy.ndimage.distance_transform_edt: Felzenszwalb and Huttenlocher's
// lower envelope of parabolas, along columns and then rows.
function distance_transform_edt(inside, h, w) {
  const INF = 1e20;
  const f = new Float64Array(h * w);
  for (let i = 0; i < h * w; i++) f[i] = inside[i] ? INF : 0;
  const line = (get, set, n) => {
    const values = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
    for (let q = 0; q < n; q++) values[q] = get(q);
    const cut = (q, r) => (values[q] + q * q - (values[r] + r * r)) / (2 * q - 2 * r);
    let k = 0;
    v[0] = 0;
    z[0] = -INF;
    z[1] = INF;
    for (let q = 1; q < n; q++) {
      let s = cut(q, v[k]);
      while (s <= z[k]) s = cut(q, v[--k]);
      v[++k] = q;
      z[k] = s;
      z[k + 1] = INF;
    }
    k = 0;
    for (let q = 0; q < n; q++) {
      while (z[k + 1] < q) k++;
      set(q, (q - v[k]) * (q - v[k]) + values[v[k]]);
    }
  };
  for (let x = 0; x < w; x++) line((q) => f[q * w + x], (q, d) => (f[q * w + x] = d), h);
  for (let y = 0; y < h; y++) line((q) => f[y * w + q], (q, d) => (f[y * w + q] = d), w);
  const out = new Float64Array(h * w);
  for (let i = 0; i < h * w; i++) out[i] = Math.sqrt(f[i]);
  return out;
}

function percentile(values, q) {
  const sorted = Float64Array.from(values).sort();
  const index = (sorted.length - 1) * (q / 100);
  const lo = Math.floor(index), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (index - lo) * (sorted[hi] - sorted[lo]);
}

export function normalise_strokes(ink, target = C.MNIST_STROKE_WIDTH) {
  const resized = resize_longer_side(ink, C.WORK_SIZE);
  const pad = Math.floor(C.WORK_SIZE / 8);
  const h = resized.h + 2 * pad, w = resized.w + 2 * pad;
  const work = picture(h, w);
  for (let y = 0; y < resized.h; y++) {
    for (let x = 0; x < resized.w; x++) {
      work.data[(y + pad) * w + x + pad] = Math.min(Math.max(resized.data[y * resized.w + x], 0), 1);
    }
  }
  const visible = work.data.filter((v) => v > 0.02);
  const level = 0.5 * Math.max(percentile(visible, 99), 0.1);
  const mask = new Uint8Array(h * w);
  const outside = new Uint8Array(h * w);
  for (let i = 0; i < h * w; i++) {
    mask[i] = work.data[i] > level ? 1 : 0;
    outside[i] = 1 - mask[i];
  }
  const width = stroke_width(mask, h, w);
  const radius = (target * C.WORK_SIZE / C.BOX_SIZE - width) / 2;
  const toInk = distance_transform_edt(outside, h, w);
  const toBackground = distance_transform_edt(mask, h, w);
  const redraw = (r) => {
    const out = picture(h, w);
    let inked = 0;
    for (let i = 0; i < h * w; i++) {
      out.data[i] = Math.min(Math.max(r + 0.5 - (toInk[i] - toBackground[i]), 0), 1);
      if (out.data[i] > C.INK_LEVEL) inked++;
    }
    return [out, inked];
  };
  let [redrawn, inked] = redraw(radius);
  if (inked < C.MIN_INK_PIXELS) [redrawn] = redraw(0); // Thinning would erase the digit.
  return crop(redrawn, ink_bbox(redrawn, C.FAINT_LEVEL));
}

export function centre_by_mass(digit, size = C.FIELD_SIZE) {
  const field = picture(size, size);
  let total = 0, sy = 0, sx = 0;
  for (let y = 0; y < digit.h; y++) {
    for (let x = 0; x < digit.w; x++) {
      const v = digit.data[y * digit.w + x];
      total += v;
      sy += y * v;
      sx += x * v;
    }
  }
  const cy = total > 0 ? sy / total : (digit.h - 1) / 2;
  const cx = total > 0 ? sx / total : (digit.w - 1) / 2;
  const top = Math.min(Math.max(round_half_even((size - 1) / 2 - cy), 0), size - digit.h);
  const left = Math.min(Math.max(round_half_even((size - 1) / 2 - cx), 0), size - digit.w);
  for (let y = 0; y < digit.h; y++) {
    field.data.set(digit.data.subarray(y * digit.w, (y + 1) * digit.w), (top + y) * size + left);
  }
  return field;
}

export function ink_to_input(ink, normalise = true) {
  if (normalise) ink = normalise_strokes(ink);
  const digit = resize_longer_side(ink, C.BOX_SIZE);
  for (let i = 0; i < digit.data.length; i++) digit.data[i] = Math.min(Math.max(digit.data[i], 0), 1);
  const field = centre_by_mass(digit);
  for (let i = 0; i < field.data.length; i++) field.data[i] *= 255;
  return field.data;
}

export function preprocess(imageData, normalise = true) {
  const ink = clean_ink(ink_map(to_grayscale(imageData, C.READ_SIZE)));
  return ink_to_input(crop(ink, ink_bbox(ink)), normalise);
}
