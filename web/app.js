// digitpad's static page: draw on the canvas, read the digit live, in the browser (the
// drawing itself is pad.js's; the Number tab is number.js's; the tabs between them are
// here). A photo picked, dropped on the canvas or pasted is read whole, as the app reads an
// upload, and shown on the canvas until the pen touches it.

import {NO_DIGIT_IN_PHOTO, UNSURE_BELOW} from "./constants.js";
import {load_model, predict} from "./model.js";
import {drawing_pad, paint_input} from "./pad.js";
import {number_tab} from "./number.js";
import {open_photo} from "./photo.js";
import {NoInkError, preprocess} from "./preprocess.js";

const PROMPT = "Draw a digit on the canvas: the answer appears as you draw.";

const canvas = document.querySelector("#sketchpad canvas");
const prediction = document.getElementById("prediction");
const digitText = document.getElementById("digit");
const verdict = document.getElementById("verdict");
const bars = document.getElementById("bars");
const preview = document.getElementById("preview").getContext("2d");

// Timings for benchmarks/web_page.py: pen-up → answer on the page, the pipeline alone, and
// a photo from its file to its answer (or its refusal).
const timings = {penUpToAnswer: [], pipeline: [], photos: [], numbers: [], firstAnswerAt: null};
window.digitpad = {timings, ready: false};

let photoShown = false; // The canvas shows a photo, not a drawing.

function describe(probabilities) {
  const order = probabilities.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]);
  const [[best, digit], [, second]] = order;
  if (best < UNSURE_BELOW) return `Not sure: ${digit} or ${second}?`;
  return `It's a ${digit} (${Math.round(best * 100)}% sure).`;
}

function buildBars() {
  bars.replaceChildren(...Array.from({length: 10}, (_, d) => {
    const row = document.createElement("li");
    row.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span><span class="value"></span>`;
    return row;
  }));
}

function showNothing(message) {
  prediction.dataset.digit = "";
  prediction.dataset.probabilities = "";
  digitText.textContent = "";
  verdict.textContent = message;
  for (const row of bars.children) {
    row.classList.remove("best");
    row.querySelector(".fill").style.width = "0";
    row.querySelector(".value").textContent = "";
  }
  preview.clearRect(0, 0, 28, 28);
}

function showAnswer(probabilities, input) {
  const best = probabilities.indexOf(Math.max(...probabilities));
  prediction.dataset.digit = String(best);
  prediction.dataset.probabilities = JSON.stringify(probabilities);
  digitText.textContent = probabilities[best] < UNSURE_BELOW ? `${best}?` : String(best);
  verdict.textContent = describe(probabilities);
  [...bars.children].forEach((row, d) => {
    row.classList.toggle("best", d === best);
    row.querySelector(".fill").style.width = `${(probabilities[d] * 100).toFixed(1)}%`;
    row.querySelector(".value").textContent = `${Math.round(probabilities[d] * 100)}%`;
  });
  paint_input(preview, input);
}

// Read the drawing and show the answer (`pixels`: null when nothing is drawn).
async function readDrawing(pixels, penUp) {
  if (!window.digitpad.ready) return;
  const started = performance.now();
  if (!pixels) {
    showNothing(PROMPT);
    return;
  }
  let input;
  try {
    input = preprocess(pixels);
  } catch (error) {
    showNothing(error instanceof NoInkError ? PROMPT : error.message);
    return;
  }
  const probabilities = await predict(input);
  showAnswer(probabilities, input);
  const now = performance.now();
  timings.pipeline.push(now - started);
  if (penUp !== null) timings.penUpToAnswer.push(now - penUp);
  if (timings.firstAnswerAt === null) timings.firstAnswerAt = now;
}

const pad = drawing_pad(canvas, readDrawing, {beforeStroke: () => {
  if (photoShown) pad.clear(); // Drawing starts afresh, not over the photo.
  photoShown = false;
}});

// The canvas emptied, of a drawing or a photo alike.
function emptyCanvas() {
  pad.clear();
  photoShown = false;
}

document.getElementById("clear").addEventListener("click", () => {
  emptyCanvas();
  showNothing(PROMPT);
});

// The photo on the canvas, whole and centred on white, for the visitor to see what was read.
function showPhoto(pixels) {
  const source = new OffscreenCanvas(pixels.width, pixels.height);
  source.getContext("2d").putImageData(pixels, 0, 0);
  const scale = Math.min(canvas.width / pixels.width, canvas.height / pixels.height);
  const w = pixels.width * scale, h = pixels.height * scale;
  pad.clear();
  pad.pen.drawImage(source, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
  photoShown = true;
}

async function readPhoto(file) {
  if (!window.digitpad.ready) return;
  const started = performance.now();
  let opened = false;
  try {
    const pixels = await open_photo(file);
    opened = true;
    showPhoto(pixels);
    let input;
    try {
      input = preprocess(pixels);
    } catch (error) {
      showNothing(error instanceof NoInkError ? NO_DIGIT_IN_PHOTO : error.message);
      return;
    }
    showAnswer(await predict(input), input);
  } catch (error) {
    // A file that cannot be opened empties the canvas with the answer: an earlier drawing or
    // photo left beside the refusal would look like what was refused.
    if (!opened) emptyCanvas();
    showNothing(error.message);
  } finally {
    timings.photos.push(performance.now() - started);
  }
}

const photoInput = document.getElementById("photo");
document.getElementById("upload").addEventListener("click", () => photoInput.click());
photoInput.addEventListener("change", () => {
  const [file] = photoInput.files;
  photoInput.value = ""; // The same file picked again is read again.
  if (file) readPhoto(file);
});

const dropZone = document.getElementById("sketchpad");
dropZone.addEventListener("dragover", (event) => {
  event.preventDefault();
  dropZone.classList.add("dropping");
});
dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dropping"));
dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropZone.classList.remove("dropping");
  const [file] = event.dataTransfer.files;
  if (file) readPhoto(file);
});
document.addEventListener("paste", (event) => {
  const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
  if (!file || dropZone.closest("[role=tabpanel]").hidden) return;
  event.preventDefault();
  readPhoto(file);
});

// An example drawing (a 448×448 picture, as the canvas) put on the canvas and read at once.
for (const button of document.querySelectorAll("#examples button")) {
  button.addEventListener("click", async () => {
    const drawing = new Image();
    drawing.src = button.dataset.example;
    await drawing.decode();
    emptyCanvas();
    pad.pen.drawImage(drawing, 0, 0, canvas.width, canvas.height);
    pad.inked = true;
    pad.read(performance.now());
  });
}

// Keep the page for use with no network (sw.js), handing the worker the files loaded before it
// ran. Where service workers are not allowed (an insecure origin), the page works online only.
async function keepOffline() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("sw.js");
    const registration = await navigator.serviceWorker.ready;
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data?.kept !== undefined) document.body.dataset.offline = "ready";
    });
    const loaded = performance.getEntriesByType("resource").map((entry) => entry.name);
    registration.active.postMessage({keep: [location.href, ...loaded]});
  } catch (error) {
    console.warn(`The page will not open offline: ${error.message}`);
  }
}

// The tabs, as the WAI-ARIA tabs pattern has them: a click or the arrow keys choose one, and
// only the chosen one is in the page's tab order.
const tabs = [...document.querySelectorAll("#tabs [role=tab]")];
const choose = (tab) => {
  for (const other of tabs) {
    other.setAttribute("aria-selected", String(other === tab));
    other.tabIndex = other === tab ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = other !== tab;
  }
  tab.focus();
};
tabs.forEach((tab, index) => {
  tab.tabIndex = index === 0 ? 0 : -1;
  tab.addEventListener("click", () => choose(tab));
  tab.addEventListener("keydown", (event) => {
    const step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
    if (step) choose(tabs[(index + step + tabs.length) % tabs.length]);
  });
});

buildBars();
const numberMessage = number_tab(predict, timings);
try {
  await load_model();
  window.digitpad.ready = true;
  showNothing(PROMPT);
  numberMessage();
  document.body.dataset.ready = "true";
  keepOffline();
} catch (error) {
  for (const show of [showNothing, numberMessage]) show(`The model could not be loaded: ${error.message}`);
}
