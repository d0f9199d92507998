// The network, run in the page by LiteRT.js (WebAssembly, on the CPU): load the runtime
// once, compile the model once, then per call make a tensor, run, read, free.

import {loadAndCompile, loadLiteRt, Tensor} from "@litertjs/core";

let compiled = null;

export async function load_model(wasmFolder = "./vendor/wasm/", modelUrl = "./model.tflite") {
  await loadLiteRt(wasmFolder);
  compiled = await loadAndCompile(modelUrl, {accelerator: "wasm"});
  return compiled;
}

// Float32Array(28 * 28) in [0, 255] → ten probabilities (a plain array).
export async function predict(input) {
  const tensor = new Tensor(input, [1, 28, 28, 1]);
  try {
    const outputs = await compiled.run(tensor);
    const probabilities = Array.from(outputs[0].toTypedArray());
    for (const output of outputs) output.delete();
    return probabilities;
  } finally {
    tensor.delete();
  }
}
