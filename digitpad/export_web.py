"""`python -m digitpad export-web DIR`: the app as a static site, the model running in the
visitor's browser through LiteRT.js.

Writes to DIR: `index.html` and its ES modules and stylesheet (from `web/`), the app's example
drawings (`examples/`), `constants.js`
(the recipe's constants, written from the Python modules that define them, so the
JavaScript port has no copies of its own), the batch-1 model (`model.tflite`), the LiteRT.js
runtime (`vendor/`: its ES module and the two WebAssembly builds a browser may pick), and a
`README.md` with the front matter of a static Hugging Face Space, and `sw.js`, a service worker
that keeps what the page loaded (its cache named by a digest of the site). Nothing on the page
comes from another origin; it works from any static file server, and offline once loaded, a
reload included.

The JavaScript dependencies are pinned in `web/package.json` and `web/package-lock.json`;
when `web/node_modules` is missing, `npm ci` brings them first.
"""

import hashlib
import importlib
import json
import shutil
import subprocess
from pathlib import Path

from digitpad.inference import MODEL_DIR

WEB = Path(__file__).resolve().parent.parent / "web"
EXAMPLES = Path(__file__).resolve().parent / "examples"  # The app's example drawings, 0.png to 9.png.
PAGE_FILES = ["index.html", "app.js", "preprocess.js", "lighting.js", "page.js", "ruling.js", "shapes.js", "image.js",
              "photo.js", "segment.js", "pad.js", "number.js", "model.js", "style.css", "favicon.svg"]
RUNTIME = {  # What the page needs of the npm packages, and where it goes in the site.
    "@litertjs/core/dist/index.js": "vendor/litertjs-core.js",
    "@litertjs/wasm-utils/dist/index.js": "vendor/litertjs-wasm-utils.js",
    "@litertjs/core/wasm/litert_wasm_internal.js": "vendor/wasm/litert_wasm_internal.js",
    "@litertjs/core/wasm/litert_wasm_internal.wasm": "vendor/wasm/litert_wasm_internal.wasm",
    "@litertjs/core/wasm/litert_wasm_compat_internal.js": "vendor/wasm/litert_wasm_compat_internal.js",
    "@litertjs/core/wasm/litert_wasm_compat_internal.wasm": "vendor/wasm/litert_wasm_compat_internal.wasm",
}
CONSTANTS = {  # Module → the constants the page shares with it.
    "digitpad.shapes": ["INK_LEVEL", "MIN_INK_PIXELS"],
    "digitpad.preprocess": ["READ_SIZE", "WORK_SIZE", "BOX_SIZE", "FIELD_SIZE", "MNIST_STROKE_WIDTH",
                            "FAINT_LEVEL", "MIN_INK_SPAN", "MAX_INK_FRACTION", "MIN_CONTRAST",
                            "SPECK_FRACTION", "MAX_PIECES", "DRAWN_BACKGROUND", "BOARD_SMOOTHER"],
    "digitpad.lighting": ["BLOB_RATIO", "WIDE_WINDOWS"],
    "digitpad.page": ["DESK_RATIO", "DESK_STEP", "SHARP_REACH", "SHARP_SHARE", "EDGE_DIGIT_SPAN", "EDGE_NARROW",
                      "EDGE_STROKES", "PAGE_HOLES", "MIN_HOLES", "PAGE_EDGE", "SHEET_FILL", "SHEET_STROKES"],
    "digitpad.ruling": ["RULE_LEVEL", "RULE_TILT", "RULE_COVER", "RULE_LENGTH", "RULE_WIDTH", "RULE_GAP",
                        "RULE_LINES", "RULE_ALONE", "RULE_BEYOND", "RULE_SHARE", "RULE_SIZE"],
    "digitpad.segment": ["OVERLAP_TO_MERGE", "SMALL_PIECE", "WIDE_PIECE", "SPLIT_MARGIN", "DIGIT_ASPECT",
                         "NUMBER_SIDE", "MAX_DIGITS"],
    "digitpad.classify": ["UNSURE_BELOW"],
    "digitpad.reading": ["MAX_PIXELS", "KEEP_SIDE", "TOO_LARGE", "BOMB_PIXELS", "FAR_TOO_LARGE", "NOT_A_PICTURE", "DAMAGED", "NO_DIGIT_IN_PHOTO"],
}
SPACE_README = """---
title: digitpad
emoji: ✏️
colorFrom: indigo
colorTo: yellow
sdk: static
app_file: index.html
license: mit
---

# digitpad, in your browser

Draw a digit, show it a photo of one, or write a whole number: a CNN trained on MNIST and
real pen drawings reads it as you draw, right in this page (LiteRT.js, WebAssembly). Nothing
you draw or show leaves your browser.
Made with `python -m digitpad export-web` from the digitpad project.
"""


def constants_module() -> str:
    """The recipe's constants as an ES module, from the Python modules that define them."""
    lines = ["// Written by `python -m digitpad export-web` from the digitpad modules named",
             "// below: change them there, not here."]
    for module_name, names in CONSTANTS.items():
        module = importlib.import_module(module_name)  # The module, not the function of that name.
        for name in names:
            lines.append(f"export const {name} = {json.dumps(getattr(module, name))};")
    return "\n".join(lines) + "\n"


def ensure_node_modules(web: Path = WEB) -> Path:
    """`web/node_modules`, brought by `npm ci` from the lockfile if it is not there yet."""
    modules = web / "node_modules"
    if all((modules / source).is_file() for source in RUNTIME):
        return modules
    if shutil.which("npm") is None:
        raise ValueError("npm is needed once to fetch the pinned LiteRT.js runtime "
                         "(`cd web && npm ci`); install Node.js 20 and npm.")
    result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=web,
                            capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ValueError(f"`npm ci` in {web} failed: {last}")
    return modules


def export_web(out, model=MODEL_DIR / "digitpad-batch1.tflite") -> list[Path]:
    """Write the static site to the folder `out`; returns the files written.

    Raises `ValueError` when the batch-1 model or the runtime cannot be had.
    """
    out, model = Path(out), Path(model)
    if not model.is_file():
        raise ValueError(f"No batch-1 model at {model}: train one with `python train_model.py`.")
    modules = ensure_node_modules()
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder.")
    written = []

    def put(relative: str, source: Path | None = None, text: str | None = None):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if text is not None:
            target.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(source, target)
        written.append(target)

    for name in PAGE_FILES:
        put(name, WEB / name)
    for source, target in RUNTIME.items():
        put(target, modules / source)
    for example in sorted(EXAMPLES.glob("*.png")):
        put(f"examples/{example.name}", example)
    put("model.tflite", model)
    put("constants.js", text=constants_module())
    put("README.md", text=SPACE_README)
    put("sw.js", text=(WEB / "sw.js").read_text().replace("/* version */", site_version(written)))
    return written


def site_version(files) -> str:
    """A short digest of the site's files: the service worker's cache name changes with it."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]
