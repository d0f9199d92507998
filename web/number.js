// The Number tab: a wide canvas where digits are written side by side, read as a whole number
// while drawing and at pen-up (segment.js), each digit boxed on the drawing with its reading,
// and its 28×28 input shown, as the server app's Number tab does.

import {UNSURE_BELOW} from "./constants.js";
import {drawing_pad, paint_input} from "./pad.js";
import {NoInkError} from "./preprocess.js";
import {read_number} from "./segment.js";

const PROMPT = "Write a number, digits side by side with a little space between them.";

// "It reads 2024." and the digits it is unsure of, as digitpad/classify.py's describe_number.
function describe(number) {
  const unsure = number.digits.flatMap((d, i) => (d.confidence < UNSURE_BELOW ? [String(i + 1)] : []));
  return `It reads ${number.text}.` + (unsure.length ? ` Not sure about digit ${unsure.join(", ")}.` : "");
}

function input_picture(input) {
  const picture = document.createElement("canvas");
  picture.width = picture.height = 28;
  paint_input(picture.getContext("2d"), input);
  return picture;
}

// Wire up the tab's canvas and answer; returns a function that shows a message in place of a number.
export function number_tab(predict, timings) {
  const canvas = document.querySelector("#numberpad canvas.pad");
  const boxes = document.getElementById("number-boxes").getContext("2d");
  const shown = document.getElementById("number");
  const text = document.getElementById("number-text");
  const verdict = document.getElementById("number-verdict");
  const inputs = document.getElementById("number-inputs");

  function showNothing(message = PROMPT) {
    shown.dataset.number = "";
    text.textContent = "";
    verdict.textContent = message;
    boxes.clearRect(0, 0, boxes.canvas.width, boxes.canvas.height);
    inputs.replaceChildren();
  }

  function show(number) {
    shown.dataset.number = number.text;
    text.textContent = number.text;
    verdict.textContent = describe(number);
    boxes.clearRect(0, 0, boxes.canvas.width, boxes.canvas.height);
    boxes.lineWidth = 3;
    boxes.font = "bold 22px system-ui, sans-serif";
    for (const digit of number.digits) {
      const [top, bottom, left, right] = digit.box;
      boxes.strokeStyle = boxes.fillStyle = digit.confidence < UNSURE_BELOW ? "#d97706" : "#4f46e5";
      boxes.strokeRect(left - 4, top - 4, right - left + 8, bottom - top + 8);
      boxes.fillText(`${digit.value} (${Math.round(digit.confidence * 100)}%)`, left - 4, Math.max(top - 10, 20));
    }
    inputs.replaceChildren(...number.digits.map((d) => input_picture(d.input)));
  }

  async function readNumber(pixels, penUp) {
    if (!window.digitpad.ready) return;
    if (!pixels) {
      showNothing(PROMPT);
      return;
    }
    const started = performance.now();
    try {
      show(await read_number(predict, pixels));
    } catch (error) {
      showNothing(error instanceof NoInkError ? PROMPT : error.message);
    }
    if (penUp !== null) timings.numbers.push(performance.now() - started);
  }

  const pad = drawing_pad(canvas, readNumber);
  document.getElementById("number-clear").addEventListener("click", () => {
    pad.clear();
    showNothing(PROMPT);
  });
  return showNothing; // The message shown until something is written (the prompt by default).
}
