"""`python -m digitpad export-web`: what the site holds, and the constants it shares with Python."""

import importlib
import json
import re

import pytest

from digitpad.export_web import CONSTANTS, PAGE_FILES, RUNTIME, constants_module, export_web
from digitpad.inference import MODEL_DIR


def test_constants_are_written_from_the_python_modules():
    text = constants_module()
    written = {name: json.loads(value) for name, value in re.findall(r"^export const (\w+) = (.+);$", text, re.M)}
    for module_name, names in CONSTANTS.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert written[name] == getattr(module, name), name


def test_every_constant_the_port_uses_is_exported():
    port = "".join((MODEL_DIR.parent / "web" / name).read_text() for name in PAGE_FILES if name.endswith(".js"))
    used = set(re.findall(r"\bC\.([A-Z_]+)", port))
    exported = {name for names in CONSTANTS.values() for name in names}
    assert used and used <= exported


def test_export_writes_a_self_contained_site(tmp_path):
    written = {p.relative_to(tmp_path / "site").as_posix() for p in export_web(tmp_path / "site")}
    assert set(PAGE_FILES) | set(RUNTIME.values()) | {"model.tflite", "constants.js", "README.md"} <= written
    readme = (tmp_path / "site" / "README.md").read_text()
    assert "sdk: static" in readme and "app_file: index.html" in readme
    page = (tmp_path / "site" / "index.html").read_text()
    assert "http://" not in page and "https://" not in page  # Nothing from another origin.
    referenced = set(re.findall(r'src="([^"]+\.png)"', page))
    assert len(referenced) == 10 and referenced <= written  # The example drawings are there.


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="batch-1 model"):
        export_web(tmp_path / "site", tmp_path / "nothing.tflite")


def test_the_command_line_exports(tmp_path):
    import subprocess
    import sys

    from helpers import ROOT

    result = subprocess.run([sys.executable, "-m", "digitpad", "export-web", str(tmp_path / "out")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "index.html").is_file() and "Wrote" in result.stdout
