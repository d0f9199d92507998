// digitpad/segment.py, function by function with the same names: split the ink of a drawing
// into digits, left to right, and read them. Pieces of ink that share most of their width are
// one digit (a 4's two strokes, a 5's bar); a small piece joins its nearest neighbour; a piece
// much wider than tall is cut where the ink is thinnest, kept cut only if its parts read surer.
//
//   const number = await read_number(predict, imageData);
//   number.text, number.digits.map((d) => d.box)   // "2024", [[top, bottom, left, right], ...]

import * as C from "./constants.js";
import {crop, label_pieces, nearest_outside, piece_boxes, picture, round_half_even} from "./image.js";
import {clean_ink, ink_bbox, ink_map, ink_to_input, to_grayscale} from "./preprocess.js";

// A piece: [top, bottom, left, right, Set of its labels].
function pieces(mask, h, w) {
  const [labels, sizes] = label_pieces(mask, h, w);
  const found = piece_boxes(labels, sizes.length, h, w).map((box, index) => [...box, new Set([index + 1])]);
  return [labels, found];
}

function union(a, b) {
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.max(a[3], b[3]),
          new Set([...a[4], ...b[4]])];
}

function overlap(a, b) {
  const shared = Math.min(a[3], b[3]) - Math.max(a[2], b[2]);
  return shared / Math.max(Math.min(a[3] - a[2], b[3] - b[2]), 1);
}

export function group_pieces(found) {
  const groups = [...found].sort((a, b) => a[2] - b[2]);
  let merged = true;
  while (merged && groups.length > 1) {
    merged = false;
    outer: for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        if (overlap(groups[i], groups[j]) >= C.OVERLAP_TO_MERGE) {
          groups[i] = union(groups[i], groups.splice(j, 1)[0]);
          merged = true;
          break outer;
        }
      }
    }
  }
  const tallest = Math.max(...groups.map((g) => g[1] - g[0]));
  let changed = true;
  while (changed && groups.length > 1) {
    changed = false;
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i];
      if (group[1] - group[0] >= C.SMALL_PIECE * tallest) continue;
      let nearest = -1, least = Infinity;
      for (let k = 0; k < groups.length; k++) {
        if (k === i) continue;
        const gap = Math.max(groups[k][2] - group[3], group[2] - groups[k][3], 0);
        if (gap < least) [nearest, least] = [k, gap];
      }
      if (least <= 0.25 * tallest) {
        const keep = Math.min(i, nearest), drop = Math.max(i, nearest);
        groups[keep] = union(groups[keep], groups[drop]);
        groups.splice(drop, 1);
        changed = true;
        break;
      }
    }
  }
  return groups.sort((a, b) => a[2] - b[2]);
}

export function split_wide(ink) {
  const {h, w} = ink;
  const count = Math.min(round_half_even(w / (C.DIGIT_ASPECT * h)), C.MAX_DIGITS);
  if (w < C.WIDE_PIECE * h || count < 2) return [[0, w]];
  const profile = new Float64Array(w);
  for (let i = 0; i < h * w; i++) if (ink.data[i] > C.INK_LEVEL) profile[i % w]++;
  const edges = [0];
  for (let k = 1; k < count; k++) {
    const centre = k * w / count;
    const low = Math.trunc(centre - 0.2 * w / count), high = Math.trunc(centre + 0.2 * w / count) + 1;
    let best = low;
    for (let x = low; x < Math.min(high, w); x++) if (profile[x] < profile[best]) best = x;
    edges.push(best);
  }
  edges.push(w);
  return edges.slice(0, -1).map((start, i) => [start, edges[i + 1]]);
}

function trim(part, top, left) {
  let inked = 0;
  for (const v of part.data) inked += v > C.INK_LEVEL;
  if (part.data.length === 0 || inked < 4) return null;
  const [t, b, l, r] = ink_bbox(part, C.FAINT_LEVEL);
  return [[top + t, top + b, left + l, left + r], crop(part, [t, b, l, r])];
}

// A cleaned ink map → [box, crop, splits] for each digit-like group of ink, left to right;
// `splits` holds [box, crop] parts when the group is wide enough to be touching digits.
export function find_digits(ink) {
  const {h, w} = ink;
  const mask = new Uint8Array(h * w);
  for (let i = 0; i < h * w; i++) mask[i] = ink.data[i] > C.INK_LEVEL ? 1 : 0;
  const [labels, found] = pieces(mask, h, w);
  if (!found.length) return [];
  if (found.length > C.MAX_PIECES) {
    throw new Error(`This picture has ${found.length} separate marks: too many to be a number ` +
                    `(digitpad reads up to ${C.MAX_DIGITS} digits). Clear it and write the number.`);
  }
  const groups = group_pieces(found);
  if (groups.length > C.MAX_DIGITS) {
    throw new Error(`This picture holds about ${groups.length} digits; digitpad reads up to ` +
                    `${C.MAX_DIGITS}. Write a shorter number.`);
  }
  // Every inked pixel (anti-aliased fringe too) belongs to its nearest piece.
  const outside = new Uint8Array(h * w);
  for (let i = 0; i < h * w; i++) outside[i] = labels[i] === 0 ? 1 : 0;
  const nearest = nearest_outside(outside, h, w);
  const result = [];
  for (let [top, bottom, left, right, ids] of groups) {
    const pad = 2;
    top = Math.max(top - pad, 0);
    left = Math.max(left - pad, 0);
    bottom = Math.min(bottom + pad, h);
    right = Math.min(right + pad, w);
    const own = picture(bottom - top, right - left);
    for (let y = top; y < bottom; y++) {
      for (let x = left; x < right; x++) {
        if (ids.has(labels[nearest[y * w + x]])) own.data[(y - top) * own.w + x - left] = ink.data[y * w + x];
      }
    }
    const whole = trim(own, top, left);
    if (!whole) continue;
    const [box, digit] = whole;
    const ranges = split_wide(digit);
    const splits = ranges.length < 2 ? [] : ranges
      .map(([start, stop]) => trim(crop(digit, [0, digit.h, start, stop]), box[0], box[2] + start))
      .filter((part) => part);
    result.push([box, digit, splits.length > 1 ? splits : []]);
  }
  return result;
}

// A canvas's ImageData → {text, digits: [{box, input, probabilities, value, confidence}], scale},
// every candidate read by `predict` (Float32Array(784) → ten probabilities). Throws
// NoInkError for a blank canvas, Error(sentence) for noise.
export async function read_number(predict, imageData) {
  const gray = to_grayscale(imageData, C.NUMBER_SIDE);
  const scale = Math.max(1, round_half_even(imageData.width / gray.w));
  const found = find_digits(clean_ink(ink_map(gray)));
  const read = async ([box, digit]) => {
    const input = ink_to_input(digit);
    const probabilities = await predict(input);
    const confidence = Math.max(...probabilities);
    return {box: box.map((v) => v * scale), input, probabilities, confidence,
            value: probabilities.indexOf(confidence)};
  };
  const digits = [];
  for (const [box, digit, splits] of found) {
    const whole = await read([box, digit]);
    const parts = [];
    for (const split of splits) parts.push(await read(split));
    const surer = parts.length && Math.min(...parts.map((p) => p.confidence)) > whole.confidence + C.SPLIT_MARGIN;
    digits.push(...(surer ? parts : [whole]));
  }
  if (digits.length > C.MAX_DIGITS) {
    throw new Error(`This picture holds ${digits.length} digits; digitpad reads up to ${C.MAX_DIGITS}.`);
  }
  return {text: digits.map((d) => d.value).join(""), digits, scale};
}
