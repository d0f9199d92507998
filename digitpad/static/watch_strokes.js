// Notes when the last stroke on a pad is still on its way to the server: from its pen-up
// until the page's next queue join (the editor exports the canvas and uploads it in between,
// half a second and more). A Clear waits for it (clear_pad.js).
() => {
  const strokes = window.digitpadStrokes = {lastUp: -1, lastJoin: -1};
  document.addEventListener('pointerup', (event) => {
    if (event.target instanceof HTMLCanvasElement && event.target.closest('#sketchpad, #number-pad')) {
      strokes.lastUp = performance.now();
    }
  }, true);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name.includes('/queue/join')) strokes.lastJoin = Math.max(strokes.lastJoin, entry.startTime);
    }
  }).observe({type: 'resource'});
  // The browser stops timing requests once its buffer (250) is full; this page reads none of them back.
  performance.addEventListener('resourcetimingbufferfull', () => performance.clearResourceTimings());
}
