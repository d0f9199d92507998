// What the Python recipe takes from NumPy, SciPy and Pillow, written out so that the page gives
// the same numbers: a picture is {h, w, data: Float32Array} (row-major, like a NumPy (H, W)
// array); a mask is a Uint8Array of its pixels. Resampling follows Pillow's Resample.c
// (Lanczos, bilinear and box filters, separable, with the filter widened when shrinking, and
// its rounding); window filters, labelling and the distance transform follow SciPy's ndimage
// (the distance transform is exact, as SciPy's is).

export const picture = (h, w, data) => ({h, w, data: data || new Float32Array(h * w)});

// Pillow's Image.reduce: the mean of every factor × factor box (partial boxes at the edges too).
export function reduce(image, factor, round = false) {
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

export function resize(image, w, h, filterName) {
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
export function round_half_even(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function median(data) {
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

export function min_max(data) {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export function transposed(image) {
  const out = picture(image.w, image.h);
  for (let y = 0; y < image.h; y++) for (let x = 0; x < image.w; x++) out.data[x * image.h + y] = image.data[y * image.w + x];
  return out;
}

export function transposed_mask(mask, h, w) {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x * h + y] = mask[y * w + x];
  return out;
}

// Each of `count` pieces' bounding box in an h × w label array, [top, bottom, left, right]
// with the ends exclusive (as `find_objects` gives them in Python).
export function piece_boxes(labels, count, h, w) {
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

// SciPy's size-`size` window filters with mode "reflect" (d c b a | a b c d | d c b a).
export function window_filter(image, size, combine, start) {
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

export const add = (a, b) => a + b;

// Connected pieces of a mask, 8-connected: [labels (Int32Array, 0 = none), sizes by label - 1].
export function label_pieces(mask, h, w) {
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

export function crop(image, [top, bottom, left, right]) {
  const out = picture(bottom - top, right - left);
  for (let y = top; y < bottom; y++) {
    out.data.set(image.data.subarray(y * image.w + left, y * image.w + right), (y - top) * out.w);
  }
  return out;
}

// For each q of a line of n values, the r that minimises (q - r)² + values[r]: Felzenszwalb and
// Huttenlocher's lower envelope of parabolas.
function lower_envelope(values, n, INF) {
  const v = new Int32Array(n), z = new Float64Array(n + 1), nearest = new Int32Array(n);
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
    nearest[q] = v[k];
  }
  return nearest;
}

// The exact Euclidean distance transform, along columns and then rows: for every pixel where
// `inside` is 1, the squared distance to the nearest pixel where it is 0, and that pixel's index.
function distance_and_nearest(inside, h, w) {
  const INF = 1e20;
  const f = new Float64Array(h * w), row = new Int32Array(h * w), nearest = new Int32Array(h * w);
  for (let i = 0; i < h * w; i++) f[i] = inside[i] ? INF : 0;
  const column = new Float64Array(h);
  for (let x = 0; x < w; x++) {
    for (let q = 0; q < h; q++) column[q] = f[q * w + x];
    const r = lower_envelope(column, h, INF);
    for (let q = 0; q < h; q++) {
      f[q * w + x] = (q - r[q]) * (q - r[q]) + column[r[q]];
      row[q * w + x] = r[q];
    }
  }
  const line = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    for (let q = 0; q < w; q++) line[q] = f[y * w + q];
    const c = lower_envelope(line, w, INF);
    for (let q = 0; q < w; q++) {
      f[y * w + q] = (q - c[q]) * (q - c[q]) + line[c[q]];
      nearest[y * w + q] = row[y * w + c[q]] * w + c[q];
    }
  }
  return [f, nearest];
}

// Exact Euclidean distance from every pixel where `inside` is 1 to the nearest pixel where it
// is 0 (0 outside), as scipy.ndimage.distance_transform_edt.
export function distance_transform_edt(inside, h, w) {
  return distance_and_nearest(inside, h, w)[0].map(Math.sqrt);
}

// The index of the nearest pixel where `inside` is 0, for every pixel, as
// distance_transform_edt(..., return_indices=True) gives it (ties may go the other way).
export function nearest_outside(inside, h, w) {
  return distance_and_nearest(inside, h, w)[1];
}

export function percentile(values, q) {
  const sorted = Float64Array.from(values).sort();
  const index = (sorted.length - 1) * (q / 100);
  const lo = Math.floor(index), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (index - lo) * (sorted[hi] - sorted[lo]);
}
