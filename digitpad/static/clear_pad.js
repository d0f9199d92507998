// A Clear button: the pad's own "Clear canvas" tool (a pad sent None from the server empties
// only the first time; see digitpad/webui.py). If the last stroke is still on its way out,
// the clear waits for it to go first (3 s at most): sent after it, the clear's empty drawing
// is read after the stroke, and the answer left on the page is the empty canvas's, not the
// stroke's beside an empty canvas.
async () => {
  const strokes = window.digitpadStrokes;
  const deadline = performance.now() + 3000;
  while (strokes && strokes.lastUp > strokes.lastJoin && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  document.querySelector('#PAD_ID button[aria-label="Clear canvas"]')?.click();
}
