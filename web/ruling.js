// digitpad/ruling.py: the printed lines of ruled or squared paper, found and taken out of a
// photo's ink map, function by function and with the same names.

import * as C from "./constants.js";
import {picture, transposed, transposed_mask} from "./image.js";

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
