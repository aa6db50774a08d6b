"""A throwaway PostgreSQL server on loopback for tests: initdb in a temporary folder, a free port,
password logins over TCP, stopped and deleted afterwards. PostgreSQL refuses to run as root, so as
root the server runs as the `postgres` user (Debian's postgresql package creates it).

In CI (.ci/run sets DIGITLAB_REQUIRE_SERVERS=1) a server that cannot start fails the test; elsewhere
the test is skipped with the reason.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

from tests.support.browser import free_port

USER, PASSWORD, DATABASE = "digitlab", "digitlab-test-pw", "digitlab"


def servers_required() -> bool:
    return bool(os.environ.get("DIGITLAB_REQUIRE_SERVERS") or os.environ.get("CI"))


def unavailable(reason: str):
    """Fail (in CI) or skip (elsewhere) a test that needs a server it cannot have."""
    import pytest

    if servers_required():
        pytest.fail(reason + " (DIGITLAB_REQUIRE_SERVERS is set: server tests must run)", pytrace=False)
    pytest.skip(reason)


def bin_dir() -> Path | None:
    """PostgreSQL's server programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(cmd: list[str], owner: str | None, **kwargs) -> subprocess.CompletedProcess:
    if owner:
        cmd = ["runuser", "-u", owner, "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a fresh PostgreSQL on 127.0.0.1 and yield a URL (user digitlab, its own database);
    raises RuntimeError saying why it could not start."""
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install -y postgresql)")
    owner = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no 'postgres' user to run the server as") from None
        owner = "postgres"
    root = Path(tempfile.mkdtemp(prefix="digitlab-pg-"))
    data, pwfile, log = root / "data", root / "pw", root / "server.log"
    pwfile.write_text(PASSWORD + "\n")
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    port = free_port()
    started = False
    try:
        init = _as_owner([str(binaries / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
                          "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"], owner)
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()[-500:]}")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        start = _as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
                           "start"], owner)
        if start.returncode:
            raise RuntimeError(f"pg_ctl start failed: {start.stderr.strip()[-300:]} "
                               f"{log.read_text()[-500:] if log.exists() else ''}")
        started = True
        made = _as_owner([str(binaries / "createdb"), "-h", str(root), "-p", str(port), "-U", USER, DATABASE], owner)
        if made.returncode:
            raise RuntimeError(f"createdb failed: {made.stderr.strip()[-300:]}")
        yield f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"
    finally:
        if started:
            _as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner)
        shutil.rmtree(root, ignore_errors=True)


def create_database(url: str, name: str) -> str:
    """A new empty database on the same server; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        eng.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)
