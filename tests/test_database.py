"""digitlab/database.py on the embedded SQLite files (no server needed): the schema version table,
files made before SQLAlchemy, a newer schema refused, and DIGITLAB_DATABASE_URL chosen over the data
folder. PostgreSQL itself: tests/test_postgres.py."""
import sqlite3

import numpy as np
import pytest

from digitlab import database, drawings, runs
from digitlab.sweep import storage_spec
from digitlab.train import EpochMetrics, TrainConfig
from tests.support.threads import errors_in_threads

CONFIG = TrainConfig(hidden=(16,), epochs=1)
HISTORY = [EpochMetrics(1, 1, 0.5, 0.9, 0.6, 0.8, 1.0)]
GRID = np.pad(np.full((4, 1), 9), ((2, 2), (3, 4)))

# The tables exactly as DigitLab made them before SQLAlchemy (raw SQL, PRAGMA user_version = 1).
OLD_RUNS = """CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, source TEXT NOT NULL,
    model_name TEXT, config TEXT NOT NULL, history TEXT NOT NULL, metrics TEXT NOT NULL, extra TEXT NOT NULL DEFAULT '{}');
PRAGMA user_version=1;"""
OLD_DRAWINGS = """CREATE TABLE drawings (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9), prediction INTEGER CHECK (prediction BETWEEN 0 AND 9),
    model TEXT, grid TEXT NOT NULL, strokes TEXT NOT NULL DEFAULT '{}');
CREATE INDEX drawings_label ON drawings (label);
PRAGMA user_version=1;"""


def test_first_use_creates_the_tables_and_records_each_stores_version(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv(database.ENV_URL, raising=False)
    runs.record_run(CONFIG, HISTORY)
    drawings.add(1, GRID)
    for name, store, version in (("runs.sqlite", "runs", 1), ("drawings.sqlite", "drawings", drawings.SCHEMA_VERSION)):
        with sqlite3.connect(tmp_path / name) as conn:
            assert conn.execute("SELECT store, version FROM digitlab_schema").fetchall() == [(store, version)]
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_threads_first_using_a_fresh_database_all_write(tmp_path):
    # Eight threads meeting a new file at once all create its schema: SQLAlchemy's DDL walk is not
    # thread-safe, and unserialised this raised "Set changed size during iteration" on the first try.
    for attempt in range(5):
        path = tmp_path / f"fresh{attempt}.sqlite"
        assert errors_in_threads(lambda label: drawings.add(label, GRID, path=path), [(label,) for label in range(8)]) == []
        assert sorted(d.label for d in drawings.list_drawings(path=path)) == list(range(8))


def test_files_made_before_sqlalchemy_open_and_keep_their_rows(tmp_path):
    old_runs, old_drawings = tmp_path / "runs.sqlite", tmp_path / "drawings.sqlite"
    with sqlite3.connect(old_runs) as conn:
        conn.executescript(OLD_RUNS)
        conn.execute("INSERT INTO runs (created, source, config, history, metrics) VALUES (?, 'cli', ?, ?, ?)",
                     ("2025-01-01T00:00:00+00:00", '{"hidden": [16], "epochs": 1}', "[]", '{"epochs_run": 0}'))
    with sqlite3.connect(old_drawings) as conn:
        conn.executescript(OLD_DRAWINGS)
        conn.execute("INSERT INTO drawings (created, label, grid) VALUES ('2025-01-01', 3, ?)",
                     (",".join(["0"] * 63 + ["5"]),))
    (old,), broken = runs.list_runs(path=old_runs)
    assert broken == [] and old.id == 1 and old.config.hidden == (16,)
    assert runs.record_run(CONFIG, HISTORY, path=old_runs) == 2
    (old_drawing,) = drawings.list_drawings(path=old_drawings)
    assert old_drawing.label == 3 and old_drawing.owner is None and old_drawing.in_class_pool  # nobody's: the class's
    assert drawings.add(7, GRID, path=old_drawings) == 2
    assert database.schema_version(runs.STORE, old_runs) == 1
    assert database.schema_version(drawings.STORE, old_drawings) == drawings.SCHEMA_VERSION == 2


def test_a_schema_newer_than_this_digitlab_is_refused_with_a_message(tmp_path):
    db = tmp_path / "runs.sqlite"
    runs.ensure(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE digitlab_schema SET version = 7 WHERE store = 'runs'")
    database._ready.clear()  # as a process started after the upgrade: it checks the version afresh
    with pytest.raises(runs.RunsError, match=r"schema version 7, newer than this DigitLab's \(1\): upgrade"):
        runs.list_runs(path=db)


def test_the_url_wins_over_the_data_folder_for_every_store(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(database.ENV_URL, raising=False)
    assert runs.location() == f"sqlite:///{tmp_path / 'data' / 'runs.sqlite'}"
    assert storage_spec(None) == f"sqlite:///{tmp_path / 'data' / 'sweeps.sqlite'}"
    shared = tmp_path / "one.sqlite"
    monkeypatch.setenv(database.ENV_URL, f"sqlite:///{shared}")
    runs.record_run(CONFIG, HISTORY)
    drawings.add(2, GRID)
    assert storage_spec(None) == f"sqlite:///{shared}"
    with sqlite3.connect(shared) as conn:  # both stores in the one database, nothing in the data folder
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM drawings").fetchone()[0] == 1
        assert dict(conn.execute("SELECT store, version FROM digitlab_schema")) == {"runs": 1, "drawings": 2}
    assert not (tmp_path / "data").exists()
    monkeypatch.setenv(database.ENV_URL, "postgresql://someone:hunter2@db.example:5432/digitlab")
    assert runs.location() == "postgresql://someone:***@db.example:5432/digitlab"


def test_a_url_that_is_no_url_is_one_clear_error(monkeypatch):
    monkeypatch.setenv(database.ENV_URL, "not a url")
    with pytest.raises(drawings.DrawingsError, match="DIGITLAB_DATABASE_URL is not a database URL") as caught:
        drawings.list_drawings()
    assert caught.value.exit_code == 1
