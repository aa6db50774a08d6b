"""My drawings: digits people drew and labelled, kept in one table through SQLAlchemy Core.

One row per drawing: its 8x8 model input, the canvas strokes (the canvas's json_data), the label
the person confirmed, what the model predicted and which model, and when. The database is
$DIGITLAB_DATABASE_URL (a PostgreSQL server that several app servers share), else the SQLite file
drawings.sqlite in the data folder ($DIGITLAB_DATA_DIR, default ~/.local/share/digitlab/data). CSV export and
import move drawings between machines; a bad CSV line is reported and the rest still import.

Each drawing has an owner (digitlab/ownership.py: a hash of the browser id that kept it, or NULL:
nobody) and a `shared` flag (in the class pool). Every read and change takes an `actor` and lets
the database apply the rules (a student's delete names ids, but only their own rows go); the
default actor is ownership.OPERATOR (the command line, tests), who sees and changes everything.
Schema version 2 added owner, owner_name and shared; rows from before belong to nobody and are in
the class pool.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sqlalchemy import (Boolean, CheckConstraint, Column, Index, Integer, MetaData, Table, Text, delete as sql_delete,
                        false, insert, or_, select, true, update)
from sqlalchemy.engine import Connection

from digitlab import ownership
from digitlab.database import Store, add_missing_columns
from digitlab.ownership import OPERATOR, Actor

DB_NAME = "drawings.sqlite"
SCHEMA_VERSION = 2  # 2: owner, owner_name, shared
METADATA = MetaData()
drawings_table = Table(
    "drawings", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", Text, nullable=False),  # ISO 8601, UTC
    Column("label", Integer, CheckConstraint("label BETWEEN 0 AND 9"), nullable=False),
    Column("prediction", Integer, CheckConstraint("prediction BETWEEN 0 AND 9")),
    Column("model", Text),  # the model that made the prediction
    Column("grid", Text, nullable=False),  # 64 comma-separated counts 0-16, row by row
    Column("strokes", Text, nullable=False, server_default="{}"),  # JSON: the canvas's json_data
    Column("owner", Text),  # ownership.owner_of(browser id); NULL: nobody (the class's)
    Column("owner_name", Text),  # the name the owner gave, if any: shown to others instead of the owner
    Column("shared", Boolean(create_constraint=False), nullable=False, server_default=false()),  # in the class pool
    Index("drawings_label", "label"),
    Index("drawings_owner", "owner"),
    sqlite_autoincrement=True,  # ids are never reused (as the tables made before SQLAlchemy had it)
)
T = drawings_table.c
CSV_FIELDS = ("created", "label", "prediction", "model", "grid", "strokes")
# A CSV field may be as large as the biggest upload (.streamlit/config.toml maxUploadSize): long
# scribbles make strokes JSON far over the csv module's 128 KB default, and export writes them whole.
MAX_FIELD_BYTES = 16 * 2**20
MAX_STROKES_DEPTH = 32  # the canvas's json_data nests ~5 deep; deeper is not a drawing (and json recursion)


def _add_owners(conn: Connection) -> None:
    """Version 2: owner, owner_name and shared. Rows from before belong to nobody: the class pool."""
    add_missing_columns(conn, drawings_table, ("owner", "owner_name", "shared"))
    Index("drawings_owner", drawings_table.c.owner).create(conn, checkfirst=True)
    conn.execute(update(drawings_table).where(drawings_table.c.owner.is_(None)).values(shared=True))


class DrawingsError(ValueError):
    """A drawing or file that cannot be stored or read, with a message saying why."""


@dataclass(frozen=True)
class Drawing:
    id: int
    created: str
    label: int
    prediction: int | None
    model: str | None
    grid: np.ndarray  # (8, 8) uint8, 0-16
    strokes: dict
    owner: str | None = None  # never shown: compare it with ownership.is_mine / owner_label
    owner_name: str | None = None
    shared: bool = True

    @property
    def in_class_pool(self) -> bool:
        return ownership.in_class_pool(self.owner, self.shared)


STORE = Store("drawings", "drawings", DB_NAME, METADATA, SCHEMA_VERSION, DrawingsError,
              migrations=((2, _add_owners),))
SCOPES = ("mine", "pool", None)  # list_drawings(only=...): the actor's own, the class pool, all they may see


def location(path: Path | None = None) -> str:
    """Where kept drawings are, for messages (the database URL, password redacted)."""
    return STORE.location(path)


def _is_digit(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 0 <= value <= 9


def _check(label, grid, prediction) -> tuple[int, str, int | None]:
    if not _is_digit(label):
        raise DrawingsError(f"label must be a digit 0-9, got {label!r}")
    if prediction is not None and not _is_digit(prediction):
        raise DrawingsError(f"prediction must be a digit 0-9 or empty, got {prediction!r}")
    try:
        arr = np.asarray(grid, dtype=float).reshape(64)
    except (TypeError, ValueError) as exc:
        raise DrawingsError(f"grid must be 64 numbers (8x8), got {np.shape(grid)}") from exc
    if not np.isfinite(arr).all() or (arr != np.round(arr)).any() or arr.min() < 0 or arr.max() > 16:
        raise DrawingsError("grid values must be whole numbers 0-16")
    if arr.sum() == 0:
        raise DrawingsError("grid is blank: there is no drawing to keep")
    return int(label), ",".join(str(int(v)) for v in arr), None if prediction is None else int(prediction)


def add(label: int, grid, *, strokes: dict | None = None, prediction: int | None = None, model: str | None = None,
        created: str | None = None, path: Path | None = None, actor: Actor = OPERATOR, shared: bool | None = None) -> int:
    """Keep one labelled drawing as the actor's; returns its id. Bad values raise DrawingsError and
    store nothing. It starts private, unless it belongs to nobody (then it is the class's) or
    `shared` says otherwise."""
    label, grid_text, prediction = _check(label, grid, prediction)
    owner = actor.owner if actor.owner and ownership.OWNER_RE.match(actor.owner) else None
    row = dict(created=created or datetime.now(timezone.utc).isoformat(timespec="seconds"), label=label,
               prediction=prediction, model=model, grid=grid_text, strokes=json.dumps(strokes or {}),
               owner=owner, owner_name=ownership.clean_name(actor.name) if owner else None,
               shared=owner is None if shared is None else bool(shared) or owner is None)
    with STORE.begin(path) as conn:
        return int(conn.execute(insert(drawings_table).values(**row)).inserted_primary_key[0])


def _pool():
    return or_(T.shared == true(), T.owner.is_(None))


def _visible(actor: Actor, only: str | None = None):
    """The SQL condition for the rows `actor` sees: all they may see, or only their own / the pool."""
    if only not in SCOPES:
        raise ValueError(f"only must be one of {SCOPES}, got {only!r}")
    mine = T.owner == actor.owner if actor.owner else false()
    if only == "mine":
        return mine
    if only == "pool":
        return _pool()
    return true() if actor.manages_all else or_(_pool(), mine)


def _changeable(actor: Actor):
    """The SQL condition for the rows `actor` may delete or (un)share."""
    if actor.manages_all:
        return true()
    return T.owner == actor.owner if actor.owner else false()


def list_drawings(label: int | None = None, path: Path | None = None, *, actor: Actor = OPERATOR,
                  only: str | None = None) -> list[Drawing]:
    """The kept drawings `actor` sees (only="mine": their own, "pool": the class pool), newest
    first, optionally of one label."""
    query = (select(T.id, T.created, T.label, T.prediction, T.model, T.grid, T.strokes, T.owner, T.owner_name, T.shared)
             .where(_visible(actor, only)).order_by(T.id.desc()))
    if label is not None:
        query = query.where(T.label == int(label))
    with STORE.begin(path) as conn:
        rows = conn.execute(query).all()
    out = []
    for id_, created, lab, pred, model, grid, strokes, owner, owner_name, shared in rows:
        try:
            out.append(Drawing(id_, created, lab, pred, model, np.array(grid.split(","), dtype=np.uint8).reshape(8, 8),
                               json.loads(strokes), owner, owner_name, bool(shared)))
        except (ValueError, TypeError):
            continue  # a hand-edited broken row: skip it rather than break the page
    return out


def delete(ids, path: Path | None = None, *, actor: Actor = OPERATOR) -> int:
    """Delete the drawings of `ids` that `actor` may delete (their own; all, for a manager);
    returns how many went. Ids of other people's drawings are ignored, whatever a page sent."""
    ids = [int(i) for i in ids]
    if not ids:
        return 0
    with STORE.begin(path) as conn:
        return conn.execute(sql_delete(drawings_table).where(T.id.in_(ids), _changeable(actor))).rowcount


def set_shared(ids, shared: bool, path: Path | None = None, *, actor: Actor = OPERATOR) -> int:
    """Put the drawings of `ids` into the class pool (shared=True) or take them out; only those
    `actor` may change, and a drawing that belongs to nobody stays in the pool. Returns how many."""
    ids = [int(i) for i in ids]
    if not ids:
        return 0
    where = [T.id.in_(ids), _changeable(actor)] + ([] if shared else [T.owner.is_not(None)])
    with STORE.begin(path) as conn:
        return conn.execute(update(drawings_table).where(*where).values(shared=bool(shared))).rowcount


def as_arrays(path: Path | None = None, *, actor: Actor = OPERATOR) -> tuple[np.ndarray, np.ndarray]:
    """The kept drawings `actor` sees (all of them for the command line) as model inputs (N, 64)
    float32 and labels (N,), for training or scoring."""
    return to_arrays(list_drawings(path=path, actor=actor))


def to_arrays(kept: list[Drawing]) -> tuple[np.ndarray, np.ndarray]:
    """Drawings as model inputs (N, 64) float32 and labels (N,)."""
    if not kept:
        return np.zeros((0, 64), np.float32), np.zeros(0, np.int64)
    return (np.stack([d.grid.reshape(64) for d in kept]).astype(np.float32), np.array([d.label for d in kept], np.int64))


def export_csv(path: Path | None = None, *, actor: Actor = OPERATOR, only: str | None = None) -> str:
    """The drawings `actor` sees (see list_drawings) as CSV, oldest first; owners are not exported."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_FIELDS)
    for d in reversed(list_drawings(path=path, actor=actor, only=only)):
        writer.writerow([d.created, d.label, "" if d.prediction is None else d.prediction, d.model or "",
                         " ".join(str(v) for v in d.grid.reshape(64)), json.dumps(d.strokes)])
    return buf.getvalue()


def import_csv(text: str, path: Path | None = None, *, actor: Actor = OPERATOR) -> tuple[int, int, list[str]]:
    """Import drawings from CSV text (as export_csv writes it) as `actor`'s own, as if kept by them.
    Returns (imported, duplicates, problems): a line identical to a drawing the actor already sees
    (or to an earlier line) is skipped and counted, since a second copy would count twice in the
    accuracy figures; each bad line is one problem with its line number, and good lines are
    imported regardless."""
    csv.field_size_limit(MAX_FIELD_BYTES)
    reader = csv.DictReader(io.StringIO(text))
    try:
        missing = {"label", "grid"} - set(reader.fieldnames or ())
    except csv.Error as exc:
        raise DrawingsError(f"not a readable CSV file: {exc}") from None
    if missing:
        raise DrawingsError(f"not a drawings CSV: missing column(s) {', '.join(sorted(missing))}")
    imported, duplicates, problems = 0, 0, []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the reader cannot go on past this (e.g. a field over MAX_FIELD_BYTES)
            problems.append(f"line {reader.line_num}: {exc}; stopped reading here")
            break
        try:
            if _add_row(row, path, actor):
                imported += 1
            else:
                duplicates += 1
        except (DrawingsError, ValueError) as exc:
            problems.append(f"line {reader.line_num}: {exc}")
    return imported, duplicates, problems


def _add_row(row: dict, path: Path | None, actor: Actor) -> bool:
    """Keep one CSV row unless the very same drawing is kept already (among those the actor sees:
    another student's private drawings are not theirs to know about); True if it was added."""
    grid = [float(v) for v in (row.get("grid") or "").replace(",", " ").split()]
    label = _int_field(row, "label")
    prediction = _int_field(row, "prediction") if (row.get("prediction") or "").strip() else None
    strokes = _strokes(row.get("strokes") or "{}")
    label, grid_text, prediction = _check(label, grid, prediction)
    created, model = row.get("created") or None, row.get("model") or None
    with STORE.begin(path) as conn:
        same = conn.execute(select(T.id).where(T.created.is_not_distinct_from(created), T.label == label,
                                               T.prediction.is_not_distinct_from(prediction),
                                               T.model.is_not_distinct_from(model), T.grid == grid_text,
                                               T.strokes == json.dumps(strokes), _visible(actor)).limit(1)).first()
    if same:
        return False
    add(label, grid, prediction=prediction, model=model, strokes=strokes, created=created, path=path, actor=actor)
    return True


def _strokes(text: str) -> dict:
    try:
        strokes = json.loads(text)
    except RecursionError:
        raise DrawingsError(f"strokes are nested too deeply (more than {MAX_STROKES_DEPTH} levels)") from None
    except ValueError as exc:
        raise DrawingsError(f"strokes are not valid JSON ({exc})") from None
    if not isinstance(strokes, dict):
        raise DrawingsError("strokes must be a JSON object (the canvas's drawing)")
    if _depth(strokes) > MAX_STROKES_DEPTH:
        raise DrawingsError(f"strokes are nested too deeply (more than {MAX_STROKES_DEPTH} levels)")
    return strokes


def _depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _int_field(row: dict, name: str) -> int:
    text = (row.get(name) or "").strip()
    try:
        return int(text)
    except ValueError:
        raise DrawingsError(f"{name} must be a digit 0-9, got {text!r}") from None
