"""Run history: every training run (CLI, app, sweep) in one table, through SQLAlchemy Core.

Where it lives is digitlab.database's choice: $DIGITLAB_DATABASE_URL (e.g. a PostgreSQL server shared
by several app servers and machines), else runs.sqlite in the data folder ($DIGITLAB_DATA_DIR, else
~/.local/share/digitlab/data). Several writers at once (CLI runs, app sessions, sweep
workers, other machines) are expected: SQLite files use WAL and a busy timeout, a server its own
locking. Each row stores JSON; a row that no longer parses is reported as broken and never stops
the others from listing (like store.list_models).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, update

from digitlab.database import Store
from digitlab.train import EpochMetrics, TrainConfig, run_info

DB_NAME = "runs.sqlite"
SOURCES = ("cli", "ui", "sweep")
SCHEMA_VERSION = 1
METADATA = MetaData()
runs_table = Table(
    "runs", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", Text, nullable=False),  # ISO 8601, UTC
    Column("source", Text, nullable=False),  # cli, ui or sweep
    Column("model_name", Text),  # saved model name, NULL when not saved
    Column("config", Text, nullable=False),  # JSON: TrainConfig.to_dict()
    Column("history", Text, nullable=False),  # JSON: list of EpochMetrics dicts
    Column("metrics", Text, nullable=False),  # JSON: test/val accuracy, epochs run, stopped early
    Column("extra", Text, nullable=False, server_default="{}"),  # JSON: anything else (e.g. the sweep)
    sqlite_autoincrement=True,  # ids are never reused (as the tables made before SQLAlchemy had it)
)
COLUMNS = (runs_table.c.id, runs_table.c.created, runs_table.c.source, runs_table.c.model_name, runs_table.c.config,
           runs_table.c.history, runs_table.c.metrics, runs_table.c.extra)


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


STORE = Store("runs", "run-history", DB_NAME, METADATA, SCHEMA_VERSION, RunsError)


def location(path: Path | None = None) -> str:
    """Where the run history is, for messages (the database URL, password redacted)."""
    return STORE.location(path)


def ensure(path: Path | None = None) -> None:
    """Create the run history's tables if they are not there yet (any first use does it too)."""
    with STORE.begin(path):
        pass


def record_run(config: TrainConfig, history: list[EpochMetrics], *, test_accuracy: float | None = None,
               model_name: str | None = None, source: str = "cli", extra: dict | None = None,
               path: Path | None = None) -> int:
    """Store one finished (or stopped) training run; returns its id."""
    if source not in SOURCES:
        raise RunsError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    metrics = run_info(config, history, test_accuracy)["metrics"]  # the same summary a saved model carries
    row = dict(created=datetime.now(timezone.utc).isoformat(timespec="seconds"), source=source, model_name=model_name,
               config=json.dumps(config.to_dict()), history=json.dumps([m.to_dict() for m in history]),
               metrics=json.dumps(metrics), extra=json.dumps(extra or {}))
    with STORE.begin(path) as conn:
        return int(conn.execute(insert(runs_table).values(**row)).inserted_primary_key[0])


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
    with STORE.begin(path) as conn:
        changed = conn.execute(update(runs_table).where(runs_table.c.id == int(run_id))
                               .values(model_name=model_name)).rowcount
    if not changed:
        raise RunsError(f"no run with id {run_id}")


def list_runs(*, limit: int | None = None, source: str | None = None,
              path: Path | None = None) -> tuple[list[Run], list[tuple[int, str]]]:
    """Runs newest first, and (id, reason) for every row that no longer parses."""
    query = select(*COLUMNS).order_by(runs_table.c.id.desc())
    if source:
        query = query.where(runs_table.c.source == source)
    if limit:
        query = query.limit(int(limit))
    with STORE.begin(path) as conn:
        rows = conn.execute(query).all()
    good, broken = [], []
    for row in rows:
        try:
            good.append(_parse(row))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            broken.append((row[0], f"{type(exc).__name__}: {exc}"))
    return good, broken


def get_run(run_id: int, path: Path | None = None) -> Run:
    with STORE.begin(path) as conn:
        row = conn.execute(select(*COLUMNS).where(runs_table.c.id == int(run_id))).first()
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
