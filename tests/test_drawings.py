import numpy as np
import pytest

from digitlab import drawings
from digitlab.drawings import DrawingsError
from tests.support.threads import errors_in_threads


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path))
    return tmp_path / "drawings.sqlite"


def grid(value=8):
    g = np.zeros((8, 8), np.uint8)
    g[:, 3:5] = value
    return g


def test_add_list_filter_delete(db):
    a = drawings.add(1, grid(), prediction=7, model="default", strokes={"objects": [{"type": "path"}]})
    b = drawings.add(7, grid(16))
    assert db.exists()
    kept = drawings.list_drawings()
    assert [d.id for d in kept] == [b, a], "newest first"
    assert kept[1].label == 1 and kept[1].prediction == 7 and kept[1].model == "default"
    assert np.array_equal(kept[1].grid, grid()) and kept[1].strokes["objects"][0]["type"] == "path"
    assert [d.id for d in drawings.list_drawings(label=7)] == [b]
    assert drawings.delete([a]) == 1 and [d.id for d in drawings.list_drawings()] == [b]
    x, y = drawings.as_arrays()
    assert x.shape == (1, 64) and y.tolist() == [7]


@pytest.mark.parametrize("label, g, prediction, words", [
    (10, grid(), None, "label"), (-1, grid(), None, "label"), ("7", grid(), None, "label"), (True, grid(), None, "label"),
    (3, np.zeros(10), None, "64 numbers"), (3, grid(17), None, "0-16"), (3, grid() + 0.5, None, "whole numbers"),
    (3, np.zeros((8, 8)), None, "blank"), (3, grid(), 12, "prediction"),
])
def test_bad_rows_are_rejected_with_clear_errors_and_store_nothing(db, label, g, prediction, words):
    with pytest.raises(DrawingsError, match=words):
        drawings.add(label, g, prediction=prediction)
    assert drawings.list_drawings() == []


def test_concurrent_writers_lose_no_rows(db):
    def writer(label):
        for _ in range(25):
            drawings.add(label, grid())

    assert errors_in_threads(writer, [(d,) for d in range(8)]) == []
    kept = drawings.list_drawings()
    assert len(kept) == 200 and len({d.id for d in kept}) == 200
    assert np.bincount([d.label for d in kept]).tolist() == [25] * 8


def test_csv_round_trip_and_bad_lines_are_reported(db, tmp_path, monkeypatch):
    drawings.add(4, grid(), prediction=9, model="default")
    drawings.add(2, grid(12))
    text = drawings.export_csv()
    lines = text.strip().splitlines()
    assert lines[0] == "created,label,prediction,model,grid,strokes" and len(lines) == 3
    bad = [
        ',11,,,' + " ".join(["1"] * 64) + ',{}',  # label out of range
        ',3,,,1 2 3,{}',  # too few grid values
        ',5,,,' + " ".join(["x"] * 64) + ',{}',  # not numbers
        ',6,,,' + " ".join(["2"] * 64) + ',{not json',  # broken strokes
    ]
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path / "other"))
    imported, duplicates, problems = drawings.import_csv(text + "\n".join(bad) + "\n")
    assert imported == 2 and duplicates == 0 and len(problems) == 4
    assert problems[0].startswith("line 4:") and "label" in problems[0]
    assert "64 numbers" in problems[1]
    again = drawings.list_drawings()
    assert sorted(d.label for d in again) == [2, 4] and {d.prediction for d in again} == {None, 9}


def test_a_file_that_is_not_csv_of_drawings_is_refused(db):
    with pytest.raises(DrawingsError, match="missing column"):
        drawings.import_csv("a,b\n1,2\n")


def test_a_corrupt_database_file_gives_a_clear_error(db):
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DrawingsError, match="not a usable drawings database"):
        drawings.list_drawings()
