// The MNIST recipe of digitpad/preprocess.py, function by function and with the same names,
// so the two can be read side by side. A photo's own steps are in lighting.js, page.js and
// ruling.js, and the measures they share with a drawing's in shapes.js, each mirroring the
// Python module of its name; image.js holds what Python takes from NumPy, SciPy and Pillow.
// The constants come from the Python modules: the exporter writes them to constants.js, so
// there is one source for them.
//
//   preprocess(imageData)   // canvas ImageData → Float32Array(28 * 28) in [0, 255]

import * as C from "./constants.js";
import {crop, distance_transform_edt, label_pieces, median, min_max, percentile, picture, piece_boxes, reduce, resize,
        round_half_even} from "./image.js";
import {longer_side, stroke_width} from "./shapes.js";
import {flatten_background, ink_from_flat, lighting_estimate, roughness} from "./lighting.js";
import {beyond_page, closed_picture, page_read_as_ink, without_edge_pieces} from "./page.js";
import {without_ruling} from "./ruling.js";

export class NoInkError extends Error {}

function luminance(r, g, b) {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16; // Pillow's RGB → L.
}

// digitpad/reading.py's to_grayscale, for an opaque canvas.
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

function resize_longer_side(ink, size) {
  const scale = size / Math.max(ink.h, ink.w);
  const w = Math.max(1, round_half_even(ink.w * scale));
  const h = Math.max(1, round_half_even(ink.h * scale));
  return resize(ink, w, h, "lanczos");
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
