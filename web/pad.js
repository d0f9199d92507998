// A canvas to draw on with mouse, pen or finger (one set of pointer handlers for all three),
// read while drawing (at most once every LIVE_INTERVAL_MS) and again when the pen lifts. One
// reading runs at a time; one asked for meanwhile runs after it, the latest pen-up kept.
//
//   const pad = drawing_pad(canvas, async (pixels, penUp) => {...}, {beforeStroke});
//   pad.clear(); pad.inked
//   paint_input(context, input)   // a 28×28 input drawn as the model sees it

const BRUSH_RADIUS = 14; // As the server app's sketchpad: 14 px on a 448 px canvas.
export const LIVE_INTERVAL_MS = 75;

export function drawing_pad(canvas, read, {beforeStroke = () => {}} = {}) {
  const pen = canvas.getContext("2d", {willReadFrequently: true});
  const pad = {canvas, pen, inked: false};
  let drawing = false, last = null, busy = false, again = null, lastLive = 0;

  pad.clear = () => {
    pen.fillStyle = "#fff";
    pen.fillRect(0, 0, canvas.width, canvas.height);
    pad.inked = false;
  };

  // Read the canvas (`penUp`: when the pen lifted, null while drawing).
  pad.read = async (penUp = null) => {
    if (busy) {
      again = {penUp: penUp ?? again?.penUp ?? null};
      return;
    }
    busy = true;
    try {
      await read(pad.inked ? pen.getImageData(0, 0, canvas.width, canvas.height) : null, penUp);
    } finally {
      busy = false;
      if (again) {
        const next = again;
        again = null;
        pad.read(next.penUp);
      }
    }
  };

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width),
            (event.clientY - box.top) * (canvas.height / box.height)];
  }

  function stroke(from, to) {
    pen.strokeStyle = pen.fillStyle = "#000";
    pen.lineWidth = 2 * BRUSH_RADIUS;
    pen.lineCap = pen.lineJoin = "round";
    pen.beginPath();
    pen.moveTo(...from);
    pen.lineTo(...to);
    pen.stroke();
    pad.inked = true;
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    beforeStroke();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    stroke(last, last);
  });

  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const next = point(event);
    stroke(last, next);
    last = next;
    const now = performance.now();
    if (now - lastLive >= LIVE_INTERVAL_MS && !busy) {
      lastLive = now;
      pad.read();
    }
  });

  function penUp(event) {
    if (!drawing) return;
    drawing = false;
    pad.read(event.timeStamp <= performance.now() ? event.timeStamp : performance.now());
  }
  canvas.addEventListener("pointerup", penUp);
  canvas.addEventListener("pointercancel", penUp);

  pad.clear();
  return pad;
}

// A Float32Array(28 * 28) input in [0, 255] drawn on a 28×28 canvas context, white ink on black.
export function paint_input(context, input) {
  const pixels = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.max(0, Math.min(255, Math.round(input[i])));
    pixels.data.set([v, v, v, 255], i * 4);
  }
  context.putImageData(pixels, 0, 0);
}
