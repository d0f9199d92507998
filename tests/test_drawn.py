"""Real pen drawings as training and validation data: the writer split, the unreadable list,
stroke habits, rendering through the app's path, and the held-out report."""

import csv
import json
import os

import numpy as np
import pytest

from digitpad.drawn import (DEFAULT_FOLDER, EXCLUDED, HELD_OUT_PENDIGITS, held_out_writers,
                            load_excluded, load_shared_drawings, render_training_set,
                            renders_by_writer, site_fold_within, split_by_writer, split_fingerprint,
                            tuning_split)
from digitpad.evaluation import drawing_report, format_report
from digitpad.habits import HABITS, as_arrays, habit_variant, join_strokes, warp_strokes
from digitpad.inference import MODEL_DIR

# The shared data sit beside a checkout, not in it: a fresh clone skips the test that reads
# them (the split rule itself is tested on the synthetic writers below), but CI, where ../shared is always
# beside the clone, must not pass a missing folder off as a skip.
SHARED = DEFAULT_FOLDER.is_dir() or bool(os.environ.get("CI"))


def test_fixture_folder_loads_with_site_and_id(drawn_folder):
    records = load_shared_drawings(drawn_folder)
    assert len(records) == 100
    assert {r["writer"] for r in records} == {f"pendigits/{k}" for k in range(1, 5)}
    assert all(len(r["id"]) == 12 for r in records)


def test_a_folder_without_drawings_says_so(tmp_path):
    with pytest.raises(ValueError, match="No drawn digits"):
        load_shared_drawings(tmp_path)


def synthetic_records():
    """Ten sites of 1 to 30 writers, three drawings each, some drawings shared between writers."""
    records = []
    for site in range(10):
        for person in range(1 + 3 * site):
            for k in range(3):
                records.append({"id": f"{site}-{person}-{k}", "label": k, "writer": f"s{site}/p{person}",
                                "strokes": [[[0, 0], [1, 1]]]})
    records.append({**records[0], "writer": "s9/p0"})  # The same drawing under another writer.
    return records


def test_split_keeps_whole_writers_and_drawings_on_one_side():
    train, held_out = split_by_writer(synthetic_records(), excluded={})
    assert not {r["writer"] for r in train} & {r["writer"] for r in held_out}
    assert not {r["id"] for r in train} & {r["id"] for r in held_out}
    for site in range(10):
        writers = {r["writer"] for r in synthetic_records() if r["writer"].startswith(f"s{site}/")}
        held = {w for w in held_out_writers(writers)}
        assert len(held) == max(1, round(0.2 * len(writers)))  # A fifth of each site, at least one.


def test_split_is_fixed_by_writer_id_not_by_chance():
    records = synthetic_records()
    first = split_fingerprint(*split_by_writer(records, excluded={}))
    again = split_fingerprint(*split_by_writer(list(reversed(records)), excluded={}))
    assert first == again
    assert held_out_writers(HELD_OUT_PENDIGITS | {"pendigits/1"}) >= HELD_OUT_PENDIGITS


def test_tuning_split_parts_the_training_writers_and_leaves_the_held_out_ones_alone():
    records = synthetic_records() + [{"id": f"pd-{w}", "label": 1, "writer": f"pendigits/{w}",
                                      "strokes": [[[0, 0], [1, 1]]]} for w in range(1, 5)]
    train, held_out = split_by_writer(records, excluded={})
    fit, tuning = tuning_split(train)
    sides = [{r["writer"] for r in side} for side in (fit, tuning, held_out)]
    assert not sides[0] & sides[1] and not (sides[0] | sides[1]) & sides[2]
    assert not {r["id"] for r in fit} & {r["id"] for r in tuning}
    assert sides[0] | sides[1] == {r["writer"] for r in train}
    assert "pendigits/2" in sides[1] and "pendigits/1" in sides[0]
    for site in range(1, 10):  # A fifth of each site's training writers, at least one.
        trained = {w for w in {r["writer"] for r in train} if w.startswith(f"s{site}/")}
        assert len({w for w in sides[1] if w.startswith(f"s{site}/")}) == max(1, round(0.2 * len(trained)))
    # Fixed by writer id, not by the order of the records.
    assert {r["writer"] for r in tuning_split(list(reversed(train)))[1]} == sides[1]


def test_a_second_tuning_fold_reads_other_people_by_the_same_rule():
    records = synthetic_records() + [{"id": f"pd-{w}", "label": 1, "writer": f"pendigits/{w}",
                                      "strokes": [[[0, 0], [1, 1]]]} for w in range(1, 5)]
    train, held_out = split_by_writer(records, excluded={})
    first = {r["writer"] for r in tuning_split(train)[1]}
    fit, tuning = tuning_split(train, fold=2)
    second = {r["writer"] for r in tuning}
    assert not {r["writer"] for r in fit} & second
    assert {r["writer"] for r in fit} | second == {r["writer"] for r in train}
    assert "pendigits/1" in second and "pendigits/2" not in second
    assert len(second) == len(first) and second != first  # Same size a site, other people.
    assert not second & {r["writer"] for r in held_out}


def test_a_site_fold_reads_every_training_writer_of_its_sites_and_trains_on_none():
    records = synthetic_records() + [{"id": f"pd-{w}", "label": 1, "writer": f"pendigits/{w}",
                                      "strokes": [[[0, 0], [1, 1]]]} for w in range(1, 5)]
    train, held_out = split_by_writer(records, excluded={})
    fit, tuning = tuning_split(train, sites=("s2", "s5"))
    assert {r["writer"] for r in tuning} == {r["writer"] for r in train if r["writer"].split("/")[0] in {"s2", "s5"}}
    assert not {r["writer"].split("/")[0] for r in fit} & {"s2", "s5"} and fit
    assert {r["writer"] for r in fit} | {r["writer"] for r in tuning} == {r["writer"] for r in train}
    assert not {r["writer"] for r in tuning} & {r["writer"] for r in held_out}
    for fold in (1, 2):  # The same people as fold k's run read within their site.
        within = {r["writer"] for r in site_fold_within(train, ("s2", "s5"), fold)}
        assert within == {r["writer"] for r in tuning} & {r["writer"] for r in tuning_split(train, fold)[1]}
        assert within and within < {r["writer"] for r in tuning}
    with pytest.raises(ValueError, match=r"no training writers at site zz \(the training side's sites: pendigits, s1"):
        tuning_split(train, sites=("s2", "zz"))


def test_excluded_drawings_are_on_neither_side():
    records = synthetic_records()
    train, held_out = split_by_writer(records, excluded={"0-0-1": "a lone dot"})
    assert "0-0-1" not in {r["id"] for r in train + held_out}


def test_the_unreadable_list_gives_a_reason_for_each():
    with EXCLUDED.open(newline="", encoding="utf-8") as rows:
        table = list(csv.DictReader(rows, delimiter="\t"))
    assert 20 <= len(table) <= 200
    for row in table:
        assert len(row["id"]) == 12 and row["writer"].count("/") == 1
        assert row["label"].isdigit() and len(row["reason"]) > 8
    assert set(load_excluded()) == {row["id"] for row in table}


@pytest.mark.skipif(not SHARED, reason="reads the real split from ../shared/drawn-digits, "
                                        "which a fresh clone has not got (CI has)")
def test_shared_split_has_no_writer_on_both_sides_and_is_the_one_reported():
    records = load_shared_drawings()
    train, held_out = split_by_writer(records)
    train_writers, held_writers = {r["writer"] for r in train}, {r["writer"] for r in held_out}
    assert not train_writers & held_writers
    assert not {r["id"] for r in train} & {r["id"] for r in held_out}
    assert held_writers >= HELD_OUT_PENDIGITS
    unipen = {r["writer"] for r in records if not r["writer"].startswith("pendigits/")}
    assert 0.18 <= len(held_writers - HELD_OUT_PENDIGITS) / len(unipen) <= 0.25
    metrics = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert metrics["split"]["fingerprint"] == split_fingerprint(train, held_out)


def test_habits_draw_more_ink_of_the_right_kind(drawn_digits):
    rng = np.random.default_rng(0)
    for label, habits in HABITS.items():
        record = next(d for d in drawn_digits if d["label"] == label)
        strokes = as_arrays(record["strokes"])
        for habit in habits:
            changed = habit(strokes, rng)
            assert all(s.ndim == 2 and s.shape[1] == 2 and np.isfinite(s).all() for s in changed)
            assert sum(len(s) for s in changed) >= sum(len(s) for s in strokes) or len(changed) == 1


def test_joined_strokes_and_warps_keep_every_point(drawn_digits):
    rng = np.random.default_rng(1)
    record = next(d for d in drawn_digits if len(d["strokes"]) > 1)
    strokes = as_arrays(record["strokes"])
    assert len(join_strokes(strokes)) == 1
    warped = warp_strokes(strokes, rng)
    assert [len(s) for s in warped] == [len(s) for s in strokes]
    assert not np.allclose(np.concatenate(warped), np.concatenate(strokes))
    variants = [habit_variant(record["strokes"], record["label"], rng) for _ in range(20)]
    assert all(len(v) >= 1 for v in variants)


def test_without_habits_a_variant_keeps_the_writers_own_strokes(drawn_digits):
    rng = np.random.default_rng(2)
    for record in drawn_digits[:30]:
        strokes = as_arrays(record["strokes"])
        for _ in range(5):
            variant = habit_variant(record["strokes"], record["label"], rng, warp=False, habits=False)
            assert len(variant) == len(strokes)
            assert all(np.array_equal(a, b) for a, b in zip(variant, strokes))


def test_rendering_for_training_goes_through_the_app_preprocessing(drawn_digits):
    from digitpad.drawn import render_one

    records = drawn_digits[:12]
    x, y = render_training_set(records, renders=2, seed=5, workers=1)
    assert x.shape == (24, 28, 28) and x.dtype == np.uint8 and y.tolist() == [r["label"] for r in records for _ in range(2)]
    assert (x[:, 0, :] == 0).all() and x.max() == 255  # MNIST's look: ink bright, margin dark.
    again, _ = render_training_set(records, renders=2, seed=5, workers=1)
    np.testing.assert_array_equal(x, again)  # Seeded: the same data every run.
    assert render_one((records[0]["strokes"], records[0]["label"], 3, True)).shape == (28, 28)


def test_renders_are_shared_out_by_writer_within_the_same_budget():
    records = ([{"writer": "big/1", "id": f"b{i}"} for i in range(400)]
               + [{"writer": f"small/{w}", "id": f"s{w}-{i}"} for w in range(20) for i in range(4)])
    counts = renders_by_writer(records, renders=4, seed=3)
    assert abs(counts.sum() - 4 * len(records)) <= 0.03 * 4 * len(records)
    big, small = counts[:400], counts[400:]
    assert small.max() <= 8 and small.mean() > 4 > big.mean() > 0
    assert big.sum() / counts.sum() < 400 / len(records)  # The prolific writer's share shrinks.
    np.testing.assert_array_equal(counts, renders_by_writer(records, renders=4, seed=3))


def test_rendering_takes_a_count_per_record(drawn_digits):
    records = drawn_digits[:3]
    x, y = render_training_set(records, renders=[0, 1, 3], seed=5, workers=1)
    assert len(x) == 4 and y.tolist() == [records[1]["label"]] + [records[2]["label"]] * 3


def test_report_averages_writers_as_well_as_readings():
    labels = np.array([3] * 10 + [4] * 90)
    guesses = np.array([5] * 10 + [4] * 90)  # One writer of ten digits, all of them misread.
    report = drawing_report(labels, guesses, np.array(["a/1"] * 10 + ["b/2"] * 90))
    assert report["accuracy"] == 0.9 and report["writer_mean_accuracy"] == 0.5
    assert "50.00% per writer on average" in format_report(report)


def test_report_counts_sites_digits_writers_and_confusions():
    labels = np.array([1] * 60 + [7] * 60)
    guesses = labels.copy()
    guesses[:6] = 7  # Writer a/1 misreads six 1s as 7s.
    writers = np.array(["a/1"] * 60 + ["b/2"] * 60)
    report = drawing_report(labels, guesses, writers)
    assert report["accuracy"] == round(114 / 120, 4) and report["per_site"] == {"a": 0.9, "b": 1.0}
    assert report["weakest_writers"][0] == {"writer": "a/1", "digits": 60, "accuracy": 0.9}
    assert report["writers_below_96"] == 1
    assert report["confusions"] == [{"true": 1, "read": 7, "count": 6}]
    assert "a/1:90.0%" in format_report(report)
    assert list(report["per_collection"]) == ["UNIPEN"]  # No pendigits writer: no such line.


def test_report_gives_pendigits_and_unipen_writers_apart_each_writer_counted_once():
    labels = np.zeros(100, int)
    guesses = labels.copy()
    guesses[[0, 1, 2, 3, 50]] = 1  # pendigits/3: 4 of 40 misread; apa/x: 1 of 10.
    writers = np.array(["pendigits/3"] * 40 + ["pendigits/4"] * 10 + ["apa/x"] * 10 + ["ibm/y"] * 40)
    report = drawing_report(labels, guesses, writers)
    assert report["per_collection"] == {
        "pendigits": {"readings": 50, "accuracy": 0.92, "writer_mean_accuracy": 0.95},
        "UNIPEN": {"readings": 50, "accuracy": 0.98, "writer_mean_accuracy": 0.95}}
    assert report["writer_mean_accuracy"] == 0.95
    assert "pendigits: 92.00% of 50, 95.00% per writer  UNIPEN: 98.00% of 50" in format_report(report)


def test_reading_on_several_processes_reads_exactly_what_one_does(drawn_digits):
    from digitpad.evaluation import read_drawings
    from digitpad.inference import load_model

    model = load_model(MODEL_DIR / "digitpad.tflite")
    one = read_drawings(model, drawn_digits[:40], renders=2, seed=3)
    two = read_drawings(model, drawn_digits[:40], renders=2, seed=3, workers=2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    assert len(one[0]) == 80 and (one[0] == one[1]).mean() > 0.9  # The committed model reads them.


def test_paired_comparison_counts_what_changed_and_how_sure_it_is():
    from digitpad.evaluation import format_comparison, paired_comparison

    # Ten writers of ten readings; the second model fixes writer w0's two errors and breaks
    # one reading of w1.
    writers = np.repeat([f"s/w{k}" for k in range(10)], 10)
    labels = np.tile(np.arange(10), 10)
    before = labels.copy()
    before[:2] = 9
    after = labels.copy()
    after[10] = 5
    change = paired_comparison(labels, before, after, writers, rounds=500, seed=1)
    assert (change["misread_before"], change["misread_after"]) == (2, 1)
    assert (change["fixed"], change["broken"]) == (2, 1)
    assert change["writer_mean_change"] == round((0.2 - 0.1) / 10, 4) == change["accuracy_change"]
    low, high = change["writer_mean_change_interval"]
    assert low < 0 < change["writer_mean_change"] < high  # Two people's luck decides it.
    assert change["changed_writers"] == [
        {"writer": "s/w0", "readings": 10, "misread_before": 2, "misread_after": 0},
        {"writer": "s/w1", "readings": 10, "misread_before": 0, "misread_after": 1}]
    assert change == paired_comparison(labels, before, after, writers, rounds=500, seed=1)
    text = format_comparison(change)
    assert "misread 2 → 1 of 100 readings (2 fixed, 1 broken)" in text
    assert "s/w0: 2→0 misread of 10" in text


def test_paired_comparison_of_a_model_with_itself_is_no_change():
    from digitpad.evaluation import format_comparison, paired_comparison

    labels = np.arange(60) % 10
    guesses = labels.copy()
    guesses[::7] = 0
    same = paired_comparison(labels, guesses, guesses, np.repeat(["a/1", "b/2", "c/3"], 20))
    assert same["writer_mean_change_interval"] == [0.0, 0.0] and same["changed_writers"] == []
    assert same["fixed"] == same["broken"] == 0 and "writers that changed  none" in format_comparison(same)
    with pytest.raises(ValueError, match="one label, two guesses and a writer per reading"):
        paired_comparison(labels, guesses, guesses[:-1], np.repeat(["a/1", "b/2", "c/3"], 20))
    with pytest.raises(ValueError, match="got 0"):
        paired_comparison([], [], [], [])


def test_the_benchmark_compares_two_models_on_the_same_renderings(drawn_folder):
    import subprocess
    import sys

    model = str(MODEL_DIR / "digitpad.tflite")
    result = subprocess.run([sys.executable, "benchmarks/drawn_digits.py", "--data", str(drawn_folder),
                             "--mnist", "/nonexistent", "--model", model, "--baseline", model],
                            cwd=MODEL_DIR.parent, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "by 2 held-out writers × 2 renderings on app sketchpads" in result.stdout
    assert "(0 fixed, 0 broken)" in result.stdout and "writers that changed  none" in result.stdout
    missing = subprocess.run([sys.executable, "benchmarks/drawn_digits.py", "--data", str(drawn_folder),
                              "--baseline", "/nonexistent/old.tflite"],
                             cwd=MODEL_DIR.parent, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.startswith("error: No model file at /nonexistent")
    assert "Traceback" not in missing.stderr


def test_acceptance_sketchpads_keep_to_the_issues_ranges_and_the_digit_on_the_canvas():
    from digitpad.drawings import ACCEPTANCE_SKETCHPADS, random_condition

    rng = np.random.default_rng(0)
    for ranges in ({}, ACCEPTANCE_SKETCHPADS):
        conditions = [random_condition(rng, aspect, **ranges) for aspect in np.linspace(0.2, 1.6, 400)]
        size = np.array([c["canvas_size"] for c in conditions], float)
        stroke = np.array([2 * c["radius"] for c in conditions]) / size
        height = np.array([c["height"] for c in conditions]) / size
        for c in conditions:  # The whole digit, brush included, lands on the canvas.
            assert c["width"] / 2 + c["radius"] <= c["centre"][0] <= c["canvas_size"] - c["width"] / 2 - c["radius"]
            assert c["height"] / 2 + c["radius"] <= c["centre"][1] <= c["canvas_size"] - c["height"] / 2 - c["radius"]
        assert size.min() >= 280 and size.max() <= 800
        if ranges:
            assert 0.015 <= stroke.min() and stroke.max() <= 0.065
            assert 0.35 <= height.min() and height.max() <= 0.80
        else:  # The app's own ranges are wider: thinner pens, smaller and larger digits.
            assert stroke.min() < 0.015 and height.min() < 0.35 and height.max() > 0.80


def test_the_benchmark_renders_acceptance_sketchpads_on_request(drawn_folder):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "benchmarks/drawn_digits.py", "--data", str(drawn_folder),
                             "--mnist", "/nonexistent", "--renders", "1", "--sketchpads", "acceptance"],
                            cwd=MODEL_DIR.parent, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "× 1 renderings on acceptance sketchpads" in result.stdout and "\naccuracy " in result.stdout


def test_the_benchmark_reads_a_site_fold_and_refuses_an_unknown_site(drawn_folder):
    import subprocess
    import sys

    def bench(*args):
        return subprocess.run([sys.executable, "benchmarks/drawn_digits.py", "--data", str(drawn_folder),
                               "--mnist", "/nonexistent", "--renders", "1", *args],
                              cwd=MODEL_DIR.parent, capture_output=True, text=True, timeout=180)

    result = bench("--side", "tuning", "--sites", "pendigits")  # The fixture's training writers 1 and 2.
    assert result.returncode == 0, result.stderr
    assert "by 2 tuning writers" in result.stdout
    within = bench("--side", "tuning", "--sites", "pendigits", "--within-fold", "2")  # Fold 2 reads writer 1.
    assert within.returncode == 0, within.stderr
    writer_1 = sum(r["writer"] == "pendigits/1" for r in load_shared_drawings(drawn_folder))
    assert f"\n{writer_1} drawings by 1 tuning writers" in "\n" + within.stdout
    for args, message in ((["--side", "tuning", "--sites", "zz"], "error: --sites: no training writers at site zz"),
                          (["--sites", "pendigits"], "error: --sites: only with --side tuning"),
                          (["--side", "tuning", "--within-fold", "1"], "error: --within-fold: only with --sites")):
        refused = bench(*args)
        assert refused.returncode == 2 and refused.stderr.startswith(message) and "Traceback" not in refused.stderr


def test_the_benchmark_will_not_draw_held_out_drawings(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "benchmarks/drawn_digits.py", "--errors", str(tmp_path)],
                            cwd=MODEL_DIR.parent, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "never looked at" in result.stderr
    assert not list(tmp_path.iterdir())


def test_contact_sheets_draw_every_entry_with_its_caption(tmp_path, drawn_digits):
    from PIL import Image

    from digitpad.drawings import contact_sheets

    entries = [(r["strokes"], f"{r['writer']}\n{r['label']} read as ?") for r in drawn_digits[:50]]
    assert contact_sheets(entries, tmp_path, "misread") == 2
    first, second = (np.asarray(Image.open(tmp_path / f"misread-{k}.png")) for k in (0, 1))
    assert first.shape == second.shape == (960, 1200)
    assert (first[:150, :150] < 128).any()  # The first tile has ink...
    assert (second[:150, 300:] == 255).all()  # ...and the second sheet holds only the last two.
