"""Where sweeps live: an Optuna storage named by a short text (the CLI's --storage, or operator
configuration: never a browser's input).

None means the app's database: $DIGITLAB_DATABASE_URL if set (e.g. one PostgreSQL server for the run
history, My drawings and every sweep), else sweeps.sqlite in the data folder. Any Optuna RDB URL (sqlite:///,
postgresql://, mysql://) lets many workers on many machines share a study; 'journal:PATH' (or a
.log file) is Optuna's journal file storage, which needs no database server and takes concurrent
writers through file locks. Workers that open a fresh database at the same moment race to create
Optuna's tables; the losers retry (open_storage).
"""
from __future__ import annotations

import random
import time
from pathlib import Path

import optuna

from digitlab.database import configured_url, redact as redact_url
from digitlab.paths import data_dir
from digitlab.sweep.config import SweepError

SWEEPS_DB = "sweeps.sqlite"
SQLITE_TIMEOUT_S = 60  # a writer waits this long for another worker's transaction instead of failing
SCHEMA_ATTEMPTS = 8  # workers racing to create Optuna's schema on a fresh database: retries


def storage_spec(storage: str | None) -> str:
    """The canonical text of a storage: an RDB URL, or 'journal:PATH' for a journal file."""
    if storage is None or not str(storage).strip():
        return configured_url() or f"sqlite:///{data_dir() / SWEEPS_DB}"
    text = str(storage).strip()
    if "://" in text or text.startswith("journal:"):
        return text
    suffix = Path(text).suffix.lower()
    if suffix in (".db", ".sqlite", ".sqlite3"):
        return f"sqlite:///{Path(text).resolve()}"
    if suffix in (".log", ".journal", ".jsonl"):
        return f"journal:{Path(text).resolve()}"
    raise SweepError(f"storage {text!r}: give an RDB URL (sqlite:///sweeps.db, postgresql://user:pw@host/db), "
                     "a .db/.sqlite file, or a journal file (journal:PATH or a .log file)")


def open_storage(storage: str | None) -> optuna.storages.BaseStorage:
    spec = storage_spec(storage)
    try:
        if spec.startswith("journal:"):
            path = Path(spec[len("journal:"):])
            path.parent.mkdir(parents=True, exist_ok=True)
            return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
        if spec.startswith("sqlite:///"):
            _prepare_sqlite(Path(spec[len("sqlite:///"):]))
            return _rdb(spec, {"connect_args": {"timeout": SQLITE_TIMEOUT_S}})
        return _rdb(spec, {"pool_pre_ping": True})
    except Exception as exc:  # bad URL, missing driver, unreachable server: say which storage and why
        from sqlalchemy.exc import DBAPIError

        error = SweepError(f"cannot open sweep storage {redact(spec)}: {_reason(exc)}")
        if isinstance(exc, DBAPIError):  # the server is down or refused the login: a failure (exit 1), not
            error.exit_code = 1  # a usage mistake such as a URL of no known kind (exit 2)
        raise error from exc


def _rdb(spec: str, engine_kwargs: dict) -> optuna.storages.RDBStorage:
    """RDBStorage creates Optuna's tables (and its version row) on a fresh database. Workers started
    at the same moment race for that: PostgreSQL fails the losers with a unique violation
    (`CREATE TYPE studydirection`, the version row); by their next attempt the tables are there."""
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            return optuna.storages.RDBStorage(spec, engine_kwargs=engine_kwargs)
        except Exception as exc:
            if attempt == SCHEMA_ATTEMPTS - 1 or not _creation_race(exc):
                raise
            time.sleep(0.1 + random.random() * 0.3 * (attempt + 1))
    raise AssertionError("unreachable")


def _creation_race(exc: BaseException) -> bool:
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    text = str(exc).lower()
    return isinstance(exc, (IntegrityError, ProgrammingError)) and any(
        word in text for word in ("already exists", "duplicate key", "unique", "deadlock"))


def _reason(exc: BaseException) -> str:
    """One line: the driver's own message where there is one ('connection refused', 'password
    authentication failed'), and what to install when the driver is missing."""
    orig = getattr(exc, "orig", None) or exc.__cause__ or exc
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if isinstance(exc, ImportError):
        text = f"the database driver is not installed ({text}); for postgresql:// URLs: pip install 'psycopg[binary]'"
    return f"{type(orig).__name__}: {text}"


def _prepare_sqlite(path: Path) -> None:
    """WAL on the SQLite file (persistent), so the progress reader never blocks a worker's write."""
    import sqlite3
    from contextlib import closing

    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=SQLITE_TIMEOUT_S)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def redact(url: str) -> str:
    """A storage's text without its password, for messages and pages."""
    return url if url.startswith("journal:") else redact_url(url)


def study_names(storage: str | None = None) -> list[str]:
    return sorted(optuna.get_all_study_names(open_storage(storage)), reverse=True)


def load_study(name: str, storage: str | None = None) -> optuna.Study:
    try:
        return optuna.load_study(study_name=name, storage=open_storage(storage))
    except KeyError:
        raise SweepError(f"no study named {name!r} in {redact(storage_spec(storage))}") from None
