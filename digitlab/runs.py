"""Run history: every training run (CLI, app, sweep) in one embedded SQLite database.

The database lives in the app's data folder ($DIGITLAB_DATA_DIR, else data/ at the project root,
git-ignored). Several writers at once (CLI runs, app sessions, sweep workers) are expected: WAL
journaling lets readers and one writer proceed together and the busy timeout makes the other
writers wait their turn instead of failing. Each row stores JSON; a row that no longer parses is
reported as broken and never stops the others from listing (like store.list_models).
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from digitlab.database import open_db
from digitlab.paths import data_dir
from digitlab.train import EpochMetrics, TrainConfig, run_info

DB_NAME = "runs.sqlite"
SOURCES = ("cli", "ui", "sweep")
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,          -- ISO 8601, UTC
    source TEXT NOT NULL,           -- cli, ui or sweep
    model_name TEXT,                -- saved model name, NULL when not saved
    config TEXT NOT NULL,           -- JSON: TrainConfig.to_dict()
    history TEXT NOT NULL,          -- JSON: list of EpochMetrics dicts
    metrics TEXT NOT NULL,          -- JSON: test/val accuracy, epochs run, stopped early
    extra TEXT NOT NULL DEFAULT '{}'  -- JSON: anything else (e.g. the sweep a run came from)
)
"""


class RunsError(ValueError):
    """The run history cannot be read or written, with a message saying why."""


@dataclass(frozen=True)
class Run:
    id: int
    created: str
    source: str
    model_name: str | None
    config: TrainConfig
    history: list[EpochMetrics]
    metrics: dict
    extra: dict = field(default_factory=dict)

    @property
    def val_accuracy(self) -> float | None:
        return self.metrics.get("val_accuracy")

    @property
    def test_accuracy(self) -> float | None:
        return self.metrics.get("test_accuracy")


def runs_path() -> Path:
    return data_dir() / DB_NAME


def connect(path: Path | None = None) -> sqlite3.Connection:
    """An open connection with WAL, a busy timeout and the schema in place."""
    return open_db(Path(path or runs_path()), SCHEMA, SCHEMA_VERSION, "run-history", RunsError)


def record_run(config: TrainConfig, history: list[EpochMetrics], *, test_accuracy: float | None = None,
               model_name: str | None = None, source: str = "cli", extra: dict | None = None,
               path: Path | None = None) -> int:
    """Store one finished (or stopped) training run; returns its id."""
    if source not in SOURCES:
        raise RunsError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    metrics = run_info(config, history, test_accuracy)["metrics"]  # the same summary a saved model carries
    row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), source, model_name,
           json.dumps(config.to_dict()), json.dumps([m.to_dict() for m in history]), json.dumps(metrics),
           json.dumps(extra or {}))
    try:
        with closing(connect(path)) as conn, conn:
            cur = conn.execute("INSERT INTO runs (created, source, model_name, config, history, metrics, extra) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid)
    except sqlite3.Error as exc:
        raise RunsError(f"could not record the run: {exc}") from exc


def record_run_safely(config: TrainConfig, history: list[EpochMetrics], **kwargs) -> tuple[int | None, str | None]:
    """record_run for callers whose training is already done: the history is a convenience, so
    failing to write it must not fail the run. Returns (run id, None) or (None, why not)."""
    try:
        return record_run(config, history, **kwargs), None
    except RunsError as exc:
        return None, f"run not recorded in the history: {exc}"


def set_model_name(run_id: int, model_name: str | None, path: Path | None = None) -> None:
    """Name the model a recorded run was saved as (the app records a run when training ends and
    the user may save it afterwards)."""
    try:
        with closing(connect(path)) as conn, conn:
            changed = conn.execute("UPDATE runs SET model_name = ? WHERE id = ?", (model_name, int(run_id))).rowcount
    except sqlite3.Error as exc:
        raise RunsError(f"could not update run {run_id}: {exc}") from exc
    if not changed:
        raise RunsError(f"no run with id {run_id}")


def list_runs(*, limit: int | None = None, source: str | None = None,
              path: Path | None = None) -> tuple[list[Run], list[tuple[int, str]]]:
    """Runs newest first, and (id, reason) for every row that no longer parses."""
    query = "SELECT id, created, source, model_name, config, history, metrics, extra FROM runs"
    params: list = []
    if source:
        query += " WHERE source = ?"
        params.append(source)
    query += " ORDER BY id DESC"
    if limit:
        query += " LIMIT ?"
        params.append(int(limit))
    try:
        with closing(connect(path)) as conn:
            rows = conn.execute(query, params).fetchall()
    except sqlite3.Error as exc:
        raise RunsError(f"could not read the run history: {exc}") from exc
    good, broken = [], []
    for row in rows:
        try:
            good.append(_parse(row))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            broken.append((row[0], f"{type(exc).__name__}: {exc}"))
    return good, broken


def get_run(run_id: int, path: Path | None = None) -> Run:
    with closing(connect(path)) as conn:
        row = conn.execute("SELECT id, created, source, model_name, config, history, metrics, extra FROM runs "
                           "WHERE id = ?", (int(run_id),)).fetchone()
    if row is None:
        raise RunsError(f"no run with id {run_id}")
    try:
        return _parse(row)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RunsError(f"run {run_id} is corrupt: {exc}") from exc


def _parse(row: tuple) -> Run:
    run_id, created, source, model_name, config, history, metrics, extra = row
    metrics, extra = json.loads(metrics), json.loads(extra or "{}")
    if not isinstance(metrics, dict) or not isinstance(extra, dict):
        raise ValueError("metrics and extra must be JSON objects")
    return Run(int(run_id), str(created), str(source), model_name, TrainConfig.from_dict(json.loads(config)),
               [EpochMetrics(**m) for m in json.loads(history)], metrics, extra)
