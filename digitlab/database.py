"""The app's databases (run history, kept drawings; sweeps use the same URL through Optuna), through
SQLAlchemy Core: one code path for the embedded SQLite files and for a shared PostgreSQL server.

    DIGITLAB_DATABASE_URL unset   each store keeps its own SQLite file in the data folder, as before
                                  ($DIGITLAB_DATA_DIR/runs.sqlite, drawings.sqlite, sweeps.sqlite)
    DIGITLAB_DATABASE_URL=postgresql://user:pw@host/db
                                  every store (and every sweep, unless --storage says otherwise) in
                                  that database, shared by every process and machine pointed at it

A store is a few tables (a MetaData) plus a row in the `digitlab_schema` table naming its schema
version, so a later version can migrate: a store lists its migrations as (version, step) pairs, and a
database at an older version (or with tables made before the version table) runs each later step
once, in the transaction that records the new version. A step must be safe to run on tables that
already have its change (fresh tables are created whole), e.g. add a column only if it is missing. Its tables are created on first use; processes that start
at once and race to create them retry (the loser sees the winner's tables). SQLite files get WAL
journaling and a busy timeout, so concurrent writers wait their turn; a server has its own locking.

Every failure comes out as the store's own error (a ValueError) with one clear line, the password
redacted. A database that cannot be reached, refuses the login or is not a database at all has
`exit_code = 1` on the error: the command line exits 1 with that line, the pages show it.
"""
from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, event, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from digitlab.paths import data_dir

ENV_URL = "DIGITLAB_DATABASE_URL"
BUSY_TIMEOUT_S = 30.0  # an SQLite writer waits this long for another's transaction instead of failing
CONNECT_TIMEOUT_S = 10  # a server that does not answer: give up after this long, with a message
SCHEMA_ATTEMPTS = 6  # processes racing to create the schema: the losers retry this often

SCHEMA_METADATA = MetaData()
schema_versions = Table(
    "digitlab_schema", SCHEMA_METADATA,
    Column("store", Text, primary_key=True),  # "runs", "drawings"
    Column("version", Integer, nullable=False),
)


def configured_url() -> str | None:
    """$DIGITLAB_DATABASE_URL, or None (the embedded SQLite files)."""
    url = (os.environ.get(ENV_URL) or "").strip()
    return url or None


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def redact(url: str) -> str:
    """A URL without its password, for messages and pages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


@dataclass(frozen=True)
class Store:
    """One store's tables, schema version, default SQLite file and error type."""

    name: str  # its row in digitlab_schema
    what: str  # for messages: "run-history", "drawings"
    file_name: str  # its SQLite file in the data folder when no URL is configured
    metadata: MetaData
    version: int
    error: type[ValueError]
    # (version, step): step(conn) brings the tables from version - 1 to version; see the module doc
    migrations: tuple[tuple[int, Callable[[Connection], None]], ...] = ()

    def url(self, path: Path | None = None) -> str:
        """An explicit SQLite file (tests, tools), else $DIGITLAB_DATABASE_URL, else the data folder's file."""
        if path is not None:
            return sqlite_url(path)
        return configured_url() or sqlite_url(data_dir() / self.file_name)

    def location(self, path: Path | None = None) -> str:
        return redact(self.url(path))

    @contextlib.contextmanager
    def begin(self, path: Path | None = None) -> Iterator[Connection]:
        """A connection in a transaction (committed at the end, rolled back on an error), the
        schema in place; any database failure comes out as self.error with a clear message."""
        url = self.url(path)
        try:
            eng = engine(url)
            ensure_schema(eng, url, self)
            with eng.begin() as conn:
                yield conn
        except (SQLAlchemyError, sqlite3.Error, OSError, ImportError) as exc:
            raise self.failure(exc, url) from exc

    def failure(self, exc: BaseException, url: str) -> ValueError:
        where = redact(url)
        orig = getattr(exc, "orig", None) or exc
        reason = _one_line(orig)
        if isinstance(exc, (NoSuchModuleError, ImportError)):
            err = self.error(f"cannot open the {self.what} database {where}: its driver is not installed ({reason}); "
                             "for postgresql:// URLs: pip install 'psycopg[binary]'")
        elif isinstance(exc, ArgumentError):
            err = self.error(f"{ENV_URL} is not a database URL ({reason}): give sqlite:///FILE or "
                             "postgresql://user:password@host/dbname")
        elif isinstance(orig, sqlite3.DatabaseError) and not isinstance(orig, sqlite3.OperationalError):
            err = self.error(f"{where} is not a usable {self.what} database ({reason}); move it aside to start afresh")
        elif isinstance(exc, DBAPIError) and _is_connect_error(exc):
            err = self.error(f"cannot reach the {self.what} database {where}: {reason}")
        elif isinstance(exc, OSError) or isinstance(orig, sqlite3.OperationalError):
            err = self.error(f"cannot open the {self.what} database {where}: {reason}")
        else:
            err = self.error(f"the {self.what} database {where} failed: {reason}")
        err.exit_code = 1  # not a usage mistake: the command line exits 1
        return err


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _is_connect_error(exc: DBAPIError) -> bool:
    """Whether a DBAPI error came from connecting or logging in (rather than from a statement)."""
    return exc.statement is None or exc.connection_invalidated


# --- engines and schema, once per process and URL --------------------------------------------------

_engines: dict[str, Engine] = {}
_ready: set[tuple[str, str]] = set()
_lock = threading.Lock()
# SQLAlchemy's DDL walk over a shared Table is not thread-safe (two threads creating the same
# tables raised "Set changed size during iteration"), so one thread per process makes schemas
_schema_lock = threading.Lock()


def engine(url: str) -> Engine:
    """One engine (and connection pool) per URL for the whole process."""
    with _lock:
        eng = _engines.get(url)
        if eng is None:
            eng = _engines[url] = _create_engine(url)
        return eng


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # NullPool: a connection per use, as the file may be replaced or moved aside between uses
        eng = create_engine(parsed, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_S})
        event.listen(eng, "connect", _sqlite_pragmas)
        return eng
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
    # pre-ping: a server restarted since the last use costs a reconnect, not an error
    return create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=8, connect_args=connect_args)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL (readers never block the writer; persistent in the file) and a busy timeout."""
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    finally:
        cur.close()


def ensure_schema(eng: Engine, url: str, store: Store) -> None:
    """Create the store's tables and record its version, once per process (for an SQLite file, again
    whenever the file has gone). Processes racing to create the same tables retry."""
    key = (url, store.name)
    sqlite_file = Path(eng.url.database) if eng.url.get_backend_name() == "sqlite" and eng.url.database else None
    if key in _ready and (sqlite_file is None or sqlite_file.exists()):
        return
    with _schema_lock:
        if key in _ready and (sqlite_file is None or sqlite_file.exists()):
            return  # another thread made it while this one waited
        _create_schema(eng, store)
        _ready.add(key)


def _create_schema(eng: Engine, store: Store) -> None:
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            with eng.begin() as conn:
                SCHEMA_METADATA.create_all(conn, checkfirst=True)
                store.metadata.create_all(conn, checkfirst=True)
                _record_version(conn, store)
            break
        except (DBAPIError,) as exc:
            # Another process created the same table or type a moment ago (PostgreSQL reports a
            # unique violation on its catalogue): its schema is there on the next look.
            if attempt == SCHEMA_ATTEMPTS - 1 or not _is_creation_race(exc):
                raise
            time.sleep(0.05 + random.random() * 0.2 * (attempt + 1))


def _is_creation_race(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return not _is_connect_error(exc) and ("already exists" in text or "duplicate key" in text or "unique" in text
                                           or "duplicate column" in text)


def _record_version(conn: Connection, store: Store) -> None:
    found = conn.execute(select(schema_versions.c.version).where(schema_versions.c.store == store.name)).scalar()
    if found is not None and found > store.version:
        raise store.error(f"the {store.what} tables have schema version {found}, newer than this DigitLab's "
                          f"({store.version}): upgrade DigitLab")
    # No row: tables just created whole, or made before the version table (version 1): the steps
    # find their changes in place in the first case and make them in the second.
    for version, step in sorted(store.migrations, key=lambda m: m[0]):
        if version > (found or 1):
            step(conn)
    if found is None:
        conn.execute(insert(schema_versions).values(store=store.name, version=store.version))
    elif found < store.version:
        conn.execute(update(schema_versions).where(schema_versions.c.store == store.name)
                     .values(version=store.version))


def add_missing_columns(conn: Connection, table: Table, names: tuple[str, ...]) -> list[str]:
    """A migration step's helper: ALTER TABLE ... ADD COLUMN for each of `names` (columns of
    `table` as this DigitLab defines them) that the database's table lacks; returns those added."""
    present = {c["name"] for c in inspect(conn).get_columns(table.name)}
    added = []
    for name in names:
        if name in present:
            continue
        column = table.c[name]
        ddl = f"ALTER TABLE {table.name} ADD COLUMN {name} {column.type.compile(conn.dialect)}"
        if column.server_default is not None:  # NOT NULL needs it: the rows already there take it
            arg = column.server_default.arg
            ddl += " DEFAULT " + (str(arg.compile(dialect=conn.dialect)) if hasattr(arg, "compile")
                                  else "'" + str(arg).replace("'", "''") + "'")
        if not column.nullable:
            ddl += " NOT NULL"
        conn.exec_driver_sql(ddl)
        added.append(name)
    return added


def schema_version(store: Store, path: Path | None = None) -> int | None:
    """The version recorded for `store` (creating its schema if needed)."""
    with store.begin(path) as conn:
        return conn.execute(select(schema_versions.c.version).where(schema_versions.c.store == store.name)).scalar()
