// Keeps the brush selected, so that a drag always draws. Gradio's Sketchpad starts with no
// tool ("select the draw tool to start") on a fresh page and again after every clear; this
// watches for that state and clicks the Brush button, leaving any tool the user picked alone.
() => {
  const ensureBrush = () => {
    for (const root of document.querySelectorAll('#sketchpad, #number-pad')) {
      if (!root.innerText.includes('select the draw tool')) continue;
      const brush = root.querySelector('button[aria-label="Brush"]');
      if (brush) brush.click();
    }
  };
  ensureBrush();
  new MutationObserver(ensureBrush).observe(document.body, {childList: true, subtree: true});
}
