// A photo the visitor picks, drops or pastes, opened as digitpad/reading.py opens an upload:
// its size judged before its pixels are decoded (at most MAX_PIXELS, a JPEG counted at the
// 1/2, 1/4 or 1/8 of its size it could be decoded at, as Pillow's draft does), upright by its
// EXIF tag (the browser's own), and shrunk to at most KEEP_SIDE on its longer side.
//
//   const pixels = await open_photo(file);   // ImageData, for preprocess(); or throws Error(sentence)

import {BOMB_PIXELS, DAMAGED, FAR_TOO_LARGE, KEEP_SIDE, MAX_PIXELS, NOT_A_PICTURE, TOO_LARGE} from "./constants.js";
import {round_half_even} from "./image.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// What the file's first bytes say: {jpeg, png: [width, height] from its header, or null}.
async function header(blob) {
  const head = new Uint8Array(await blob.slice(0, 24).arrayBuffer());
  const jpeg = head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  const isPng = head.length === 24 && PNG_SIGNATURE.every((b, i) => head[i] === b);
  const view = new DataView(head.buffer);
  return {jpeg, png: isPng ? [view.getUint32(16), view.getUint32(20)] : null};
}

// Pillow's bomb limit, which the browser would not stop at: refused before decoding.
function refuse_a_bomb(width, height) {
  if (width * height > BOMB_PIXELS) throw new Error(FAR_TOO_LARGE);
}

// The size Pillow decodes a JPEG at after reading.py's draft: the largest of 1/8, 1/4, 1/2
// that keeps the longer side at KEEP_SIDE or more.
function draft_size(width, height) {
  const scale = KEEP_SIDE / Math.max(width, height);
  const wanted = [Math.max(1, round_half_even(width * scale)), Math.max(1, round_half_even(height * scale))];
  const most = Math.min(Math.floor(width / wanted[0]), Math.floor(height / wanted[1]));
  const factor = [8, 4, 2].find((s) => most >= s) ?? 1;
  return [Math.ceil(width / factor), Math.ceil(height / factor)];
}

// The size reading.py keeps: a whole factor smaller, the longer side at most KEEP_SIDE.
function kept_size(width, height) {
  const factor = Math.ceil(Math.max(width, height) / KEEP_SIDE);
  return [Math.ceil(width / factor), Math.ceil(height / factor)];
}

function loaded(url) {
  // An <img> tells its size once its header is read; its pixels are decoded when drawn.
  const image = new Image();
  return new Promise((resolve, reject) => {
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error(NOT_A_PICTURE));
    image.src = url;
  });
}

export async function open_photo(blob) {
  const {jpeg, png} = await header(blob);
  if (png) refuse_a_bomb(...png); // The browser refuses a huge PNG too, but says only that it failed.
  const url = URL.createObjectURL(blob);
  try {
    const image = await loaded(url);
    const {naturalWidth: width, naturalHeight: height} = image;
    if (!width || !height) throw new Error(NOT_A_PICTURE);
    refuse_a_bomb(width, height);
    const [dw, dh] = jpeg ? draft_size(width, height) : [width, height];
    if (dw * dh > MAX_PIXELS) {
      throw new Error(TOO_LARGE.replace("{width}", width).replace("{height}", height));
    }
    const [w, h] = kept_size(dw, dh);
    let bitmap;
    try {
      bitmap = await createImageBitmap(image, w === width && h === height ? {}
        : {resizeWidth: w, resizeHeight: h, resizeQuality: "high"});
    } catch {
      throw new Error(DAMAGED);
    }
    const canvas = new OffscreenCanvas(w, h);
    const context = canvas.getContext("2d", {willReadFrequently: true});
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    return context.getImageData(0, 0, w, h);
  } finally {
    URL.revokeObjectURL(url);
  }
}
