"""Where sweeps live: an Optuna storage named by a short text (CLI flag, page field, README).

None means data/sweeps.sqlite; any Optuna RDB URL (sqlite:///, postgresql://, mysql://) lets many
workers on many machines share a study; 'journal:PATH' (or a .log file) is Optuna's journal file
storage, which needs no database server and takes concurrent writers through file locks.
"""
from __future__ import annotations

from pathlib import Path

import optuna

from digitlab.paths import data_dir
from digitlab.sweep.config import SweepError

SWEEPS_DB = "sweeps.sqlite"
SQLITE_TIMEOUT_S = 60  # a writer waits this long for another worker's transaction instead of failing


def storage_spec(storage: str | None) -> str:
    """The canonical text of a storage: an RDB URL, or 'journal:PATH' for a journal file."""
    if storage is None or not str(storage).strip():
        return f"sqlite:///{data_dir() / SWEEPS_DB}"
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
            return optuna.storages.RDBStorage(spec, engine_kwargs={"connect_args": {"timeout": SQLITE_TIMEOUT_S}})
        return optuna.storages.RDBStorage(spec, engine_kwargs={"pool_pre_ping": True})
    except Exception as exc:  # bad URL, missing driver, unreachable server: say which storage and why
        raise SweepError(f"cannot open sweep storage {redact(spec)}: {type(exc).__name__}: {exc}") from exc


def _prepare_sqlite(path: Path) -> None:
    """WAL on the SQLite file (persistent), so the progress reader never blocks a worker's write."""
    import sqlite3
    from contextlib import closing

    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=SQLITE_TIMEOUT_S)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def redact(url: str) -> str:
    """A URL without its password, for messages."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def study_names(storage: str | None = None) -> list[str]:
    return sorted(optuna.get_all_study_names(open_storage(storage)), reverse=True)


def load_study(name: str, storage: str | None = None) -> optuna.Study:
    try:
        return optuna.load_study(study_name=name, storage=open_storage(storage))
    except KeyError:
        raise SweepError(f"no study named {name!r} in {redact(storage_spec(storage))}") from None
