"""Opening the app's embedded SQLite databases (run history, kept drawings) the same safe way."""
from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_S = 30.0


def open_db(path: Path, schema: str, version: int, what: str, error: type[Exception] = ValueError) -> sqlite3.Connection:
    """A connection with WAL journaling (readers never block the writer), a busy timeout (other
    writers wait their turn instead of failing) and `schema` applied once per schema `version`.
    Raises `error` with a message naming `what` if the file cannot be opened or is not a database."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    except (OSError, sqlite3.Error) as exc:
        raise error(f"cannot open the {what} at {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        if conn.execute("PRAGMA user_version").fetchone()[0] < version:
            with conn:
                conn.executescript(schema)
                conn.execute(f"PRAGMA user_version={version}")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise error(f"{path} is not a usable {what} database ({exc}); move it aside to start afresh") from exc
    return conn
