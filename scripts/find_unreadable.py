"""List the UNIPEN drawings that the committed model reads as another digit with confidence,
as candidates for `splits/unipen-excluded.tsv`, and draw them as a contact sheet to look at.

    python scripts/find_unreadable.py /tmp/candidates      # writes candidates.tsv and sheet-*.png

Every candidate is looked at by a person; only those nobody could read as their label go in
the committed list, each with its reason.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.classify import classify  # noqa: E402
from digitpad.drawings import contact_sheets, render_strokes, sketchpad_value  # noqa: E402
from digitpad.drawn import load_shared_drawings  # noqa: E402
from digitpad.inference import load_model  # noqa: E402


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    model = load_model()
    records = [r for r in load_shared_drawings() if not r["writer"].startswith("pendigits/")]
    candidates = []
    for index, record in enumerate(records):
        value = sketchpad_value(render_strokes(record["strokes"], 280, 200, (140, 140), 5))
        try:
            probabilities = classify(model, value)
        except ValueError:
            candidates.append((record, -1, 0.0))
            continue
        if probabilities[record["label"]] < 0.02:
            candidates.append((record, int(probabilities.argmax()), float(probabilities.max())))
        if index % 2000 == 0:
            print(f"{index}/{len(records)}, {len(candidates)} candidates", flush=True)
    with (out / "candidates.tsv").open("w") as table:
        table.write("n\tid\twriter\tlabel\tread\tconfidence\n")
        for n, (record, guess, confidence) in enumerate(candidates):
            table.write(f"{n}\t{record['id']}\t{record['writer']}\t{record['label']}\t{guess}\t{confidence:.2f}\n")
    contact_sheets([(record["strokes"], f"#{n} L{record['label']} R{guess}")
                    for n, (record, guess, _) in enumerate(candidates)], out)
    print(f"{len(candidates)} candidates of {len(records)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
