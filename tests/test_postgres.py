"""Every store on a real PostgreSQL server (tests/support/postgres.py starts one on loopback):
sweep workers in separate processes sharing one study, concurrent writers of the run history and
My drawings from several processes, and a server that is down or refuses the login.

In CI (DIGITLAB_REQUIRE_SERVERS=1, set by .ci/run) these fail if PostgreSQL cannot start; elsewhere
they are skipped with the reason."""
import os
import re
import socket
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from pathlib import Path

import pytest
from optuna.trial import TrialState
from sqlalchemy import create_engine, text

from digitlab.sweep import load_study, trial_history
from tests.support.postgres import create_database, postgres_server, unavailable

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["--epochs", "3", "--width", "16:64", "--depth", "1", "--batch-size", "128", "--dropout", "0",
         "--pruner", "none"]


@pytest.fixture(scope="module")
def server():
    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as exc:
        unavailable(f"cannot start PostgreSQL: {exc}")


@pytest.fixture
def fresh_db(server):
    """A database of its own on the server, empty: no schema yet, so first-use races are real."""
    return create_database(server, "t_" + uuid.uuid4().hex[:12])


def run_env(url: str, tmp_path: Path) -> dict:
    return {**os.environ, "DIGITLAB_DATABASE_URL": url, "DIGITLAB_DATA_DIR": str(tmp_path / "data"),
            "DIGITLAB_MODELS_DIR": str(tmp_path / "models")}


def explore_page():
    from digitlab.ui import explore

    explore.page()


def my_drawings_page():
    from digitlab.ui import my_drawings

    my_drawings.page()


def test_three_sweep_commands_started_at_once_share_one_study(fresh_db, tmp_path, monkeypatch):
    """As on three machines: three `sweep --trials 4` commands on one study, started together on a
    database that has no schema yet (they race to create Optuna's tables and the study)."""
    env = run_env(fresh_db, tmp_path)  # no --storage: sweeps default to DIGITLAB_DATABASE_URL
    procs = [subprocess.Popen([sys.executable, "-m", "digitlab", "sweep", "--trials", "4", "--study", "shared",
                               "--seed", str(k), *QUICK], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in range(3)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-2000:] for _, err in outputs]
    host = socket.gethostname()
    for p, (_, err) in zip(procs, outputs):  # each command reports its own 4 trials, not the study's
        assert re.search(rf"^4 trial\(s\) in [\d.]+ s by this command \({re.escape(host)}, pid {p.pid}\): "
                         r"4 complete, 0 pruned, 0 failed$", err, re.M), err[-1500:]
        assert "***" in err and "digitlab-test-pw" not in err  # the storage is named, its password not

    study = load_study("shared", fresh_db)
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(12)), "a trial was lost or added"
    assert all(t.state == TrialState.COMPLETE for t in trials), [t.state for t in trials]
    for t in trials:  # run twice would show as a second run's epochs in its reports
        history = trial_history(t)
        assert [m.epoch for m in history] == [1, 2, 3] and sorted(t.intermediate_values) == [1, 2, 3]
    workers = Counter(t.user_attrs["worker"] for t in trials)
    assert workers == {f"{host}:{p.pid}": 4 for p in procs}, workers
    assert sorted(Counter(t.user_attrs["session"] for t in trials).values()) == [4, 4, 4]
    assert {t.user_attrs["run"]["worker"] for t in trials} == {p.pid for p in procs}

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DIGITLAB_DATABASE_URL", fresh_db)
    at = AppTest.from_function(explore_page, default_timeout=120).run()
    assert not at.exception
    assert "shared" in at.selectbox(key="explore_study").options
    shown = " ".join(c.value for c in at.caption)
    assert "postgresql://digitlab:***@127.0.0.1" in shown and "digitlab-test-pw" not in shown
    assert all("storage" not in (t.label or "").lower() for t in at.text_input), [t.label for t in at.text_input]


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from digitlab import drawings, runs
    from digitlab.train import EpochMetrics, TrainConfig

    k, n = int(sys.argv[1]), int(sys.argv[2])
    config = TrainConfig(hidden=(16,), epochs=1)
    history = [EpochMetrics(1, 1, 0.5, 0.9, 0.6, 0.8, 1.0)]
    grid = np.zeros((8, 8)); grid[2:6, 3] = 9
    for i in range(n):
        runs.record_run(config, history, model_name=f"w{k}-{i}", source="cli")
        drawings.add(i % 10, grid, model=f"w{k}-{i}")
""")


def test_writers_in_several_processes_lose_nothing(fresh_db, tmp_path):
    """Four processes start at once on an empty database (racing to create the tables) and each
    records 25 runs and keeps 25 drawings: all 100 + 100 are there, each once."""
    env = run_env(fresh_db, tmp_path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(k), "25"], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err[-1500:] for _, err in outputs]
    expected = sorted(f"w{k}-{i}" for k in range(4) for i in range(25))
    eng = create_engine(fresh_db)
    try:
        with eng.connect() as conn:
            assert sorted(conn.execute(text("SELECT model_name FROM runs")).scalars()) == expected
            assert sorted(conn.execute(text("SELECT model FROM drawings")).scalars()) == expected
            versions = dict(conn.execute(text("SELECT store, version FROM digitlab_schema")).all())
    finally:
        eng.dispose()
    assert versions == {"runs": 1, "drawings": 2}  # drawings 2: owner, owner_name, shared


def test_cli_and_pages_say_clearly_when_the_database_refuses(server, tmp_path, monkeypatch):
    wrong_password = server.replace("digitlab-test-pw", "not-the-password")
    refused = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:1", server)  # nothing listens on port 1
    for url, reason in ((wrong_password, "password authentication failed"), (refused, "refused")):
        env = run_env(url, tmp_path)
        for args in (["runs"], ["sweep", "--trials", "1", "--study", "x", *QUICK]):
            proc = subprocess.run([sys.executable, "-m", "digitlab", *args], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=300)
            assert proc.returncode == 1, (args, proc.stderr)
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: cannot ") and reason in lines[0], proc.stderr
            assert "Traceback" not in proc.stderr and "not-the-password" not in proc.stderr
            assert "digitlab-test-pw" not in proc.stderr and ":***@127.0.0.1" in proc.stderr

    # A finished training run is kept although the history cannot be written: saved, and said so.
    env = run_env(wrong_password, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "digitlab", "train", "--hidden", "16", "--epochs", "1",
                           "--batch-size", "128", "--out", "kept"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "models" / "kept.safetensors").exists() and "saved" in proc.stdout
    assert "warning: run not recorded in the history: cannot reach the run-history database" in proc.stderr
    assert "Traceback" not in proc.stderr

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DIGITLAB_DATABASE_URL", wrong_password)
    page = AppTest.from_function(my_drawings_page, default_timeout=60).run()
    assert not page.exception
    assert any("cannot reach the drawings database" in e.value and "password authentication failed" in e.value
               for e in page.error), [e.value for e in page.error]
    explore = AppTest.from_function(explore_page, default_timeout=60).run()
    assert not explore.exception
    assert any("cannot open sweep storage" in e.value for e in explore.error), [e.value for e in explore.error]
    next(b for b in explore.button if b.label == "Start sweep").click()
    explore.run()
    assert not explore.exception and "explore_job" not in explore.session_state  # nothing started
    assert any(e.value.startswith("Cannot start this sweep: cannot open sweep storage") and "***" in e.value
               and "not-the-password" not in e.value for e in explore.error), [e.value for e in explore.error]


def test_workers_opening_an_empty_database_at_the_same_moment_all_get_the_storage(fresh_db):
    """Eight openers released together on a database without Optuna's tables: PostgreSQL fails all
    but one schema creation (`CREATE TYPE studydirection`, the version row); every opener retries
    and gets a working storage, and the study they then create together is one study."""
    import threading

    import optuna

    from digitlab.sweep import open_storage

    start, errors, storages = threading.Barrier(8), [], []

    def opener():
        start.wait()
        try:
            storage = open_storage(fresh_db)
            optuna.create_study(study_name="together", storage=storage, load_if_exists=True)
            storages.append(storage)
        except Exception as exc:  # collected, asserted below
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(storages) == 8
    assert optuna.get_all_study_names(open_storage(fresh_db)) == ["together"]
