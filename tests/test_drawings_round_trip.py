"""Issue 19: the app's own CSV export imports back as the same drawings, whatever the canvas drew
(strokes far over the csv module's 128 KB field default); nesting depth and field size are bounded
and reported; an import skips exact duplicates and says how many."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitlab import drawings
from digitlab.drawings import DrawingsError


@pytest.fixture
def data_dirs(tmp_path, monkeypatch):
    """Two data folders: where drawings are exported from, and where they are imported into."""
    def use(name):
        monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path / name))
    use("source")
    return use


def canvas_strokes(points: int, seed: int = 0) -> dict:
    """What st_canvas's json_data looks like for one long freehand scribble (fabric.js paths)."""
    rng = np.random.default_rng(seed)
    path = [["M", 10.5, 10.5]] + [["Q", *map(float, rng.uniform(0, 280, 4).round(3))] for _ in range(points)]
    return {"version": "4.4.0", "objects": [{"type": "path", "stroke": "#000000", "strokeWidth": 20, "path": path}]}


def grid(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 17, (8, 8)).astype(np.uint8)


def snapshot() -> list[tuple]:
    return sorted((d.created, d.label, d.prediction, d.model, d.grid.tobytes(), json.dumps(d.strokes))
                  for d in drawings.list_drawings())


def test_three_long_scribbles_round_trip(data_dirs):
    strokes = {"objects": [o for s in range(3) for o in canvas_strokes(2500, s)["objects"]]}
    assert len(json.dumps(strokes)) > 131072, "over the csv module's default field limit"
    drawings.add(3, grid(1), strokes=strokes, prediction=8, model="default")
    drawings.add(5, grid(2), strokes=canvas_strokes(10), model="weak, with a comma")
    before, text = snapshot(), drawings.export_csv()
    data_dirs("target")
    assert drawings.import_csv(text) == (2, 0, [])
    assert snapshot() == before


def test_importing_the_same_file_twice_skips_every_duplicate(data_dirs):
    for i in range(3):
        drawings.add(i, grid(i), strokes=canvas_strokes(5, i), created=f"2026-01-0{i + 1}T00:00:00+00:00")
    text = drawings.export_csv()
    data_dirs("target")
    assert drawings.import_csv(text) == (3, 0, [])
    assert drawings.import_csv(text) == (0, 3, [])
    assert len(drawings.list_drawings()) == 3


def test_strokes_nested_5000_deep_are_reported_not_raised(data_dirs):
    deep = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    fine = json.dumps({"objects": []})
    cells = " ".join(["4"] * 64)
    text = "created,label,prediction,model,grid,strokes\n" + "\n".join(
        f',{label},,,{cells},"{strokes.replace(chr(34), chr(34) * 2)}"' for label, strokes in ((1, deep), (2, fine)))
    imported, duplicates, problems = drawings.import_csv(text)
    assert (imported, duplicates) == (1, 0)
    assert len(problems) == 1 and problems[0].startswith("line 2:") and "nested too deeply" in problems[0]


def test_nesting_just_past_the_bound_is_refused_and_at_it_kept(data_dirs):
    cells = " ".join(["4"] * 64)
    def nested(levels):  # {"a": [[...]]}: the object is one level, each list one more
        return '"{""a"": ' + "[" * (levels - 1) + "]" * (levels - 1) + '}"'
    text = ("created,label,prediction,model,grid,strokes\n"
            f",1,,,{cells},{nested(drawings.MAX_STROKES_DEPTH)}\n,2,,,{cells},{nested(drawings.MAX_STROKES_DEPTH + 1)}\n")
    imported, _, problems = drawings.import_csv(text)
    assert imported == 1 and len(problems) == 1 and "line 3" in problems[0]


def test_a_field_over_the_size_bound_is_reported_and_lines_before_it_kept(data_dirs, monkeypatch):
    monkeypatch.setattr(drawings, "MAX_FIELD_BYTES", 1000)
    cells = " ".join(["4"] * 64)
    text = f"created,label,prediction,model,grid,strokes\n,1,,,{cells},{{}}\n,2,,,{cells},\"{'x' * 2000}\"\n"
    imported, _, problems = drawings.import_csv(text)
    assert imported == 1 and len(problems) == 1 and "field larger than field limit" in problems[0]


def test_strokes_that_are_not_an_object_are_refused(data_dirs):
    text = "created,label,prediction,model,grid,strokes\n,1,,," + " ".join(["4"] * 64) + ",[1]\n"
    assert drawings.import_csv(text)[2] == ["line 2: strokes must be a JSON object (the canvas's drawing)"]


def test_a_file_that_is_not_csv_at_all_is_refused_not_raised(data_dirs):
    with pytest.raises(DrawingsError):
        drawings.import_csv("\x00\x01 binary junk \"unterminated")


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
json_leaf = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(-1e6, 1e6) | texts
strokes_strategy = st.fixed_dictionaries({"objects": st.lists(st.dictionaries(texts, json_leaf | st.lists(
    st.lists(json_leaf, max_size=5), max_size=5), max_size=5), max_size=4)})


@settings(max_examples=40, deadline=None, database=None)
@given(strokes=strokes_strategy, label=st.integers(0, 9), prediction=st.none() | st.integers(0, 9),
       model=st.none() | texts.filter(bool), seed=st.integers(0, 10**6))
def test_any_canvas_like_drawing_round_trips(tmp_path_factory, strokes, label, prediction, model, seed):
    source, target = tmp_path_factory.mktemp("src") / "d.sqlite", tmp_path_factory.mktemp("dst") / "d.sqlite"
    g = grid(seed)
    g[0, 0] = 1  # never blank
    drawings.add(label, g, strokes=strokes, prediction=prediction, model=model, path=source)
    imported, duplicates, problems = drawings.import_csv(drawings.export_csv(path=source), path=target)
    assert (imported, duplicates, problems) == (1, 0, [])
    a, b = drawings.list_drawings(path=source)[0], drawings.list_drawings(path=target)[0]
    assert (a.created, a.label, a.prediction, a.model, a.strokes) == (b.created, b.label, b.prediction, b.model, b.strokes)
    assert np.array_equal(a.grid, b.grid)
