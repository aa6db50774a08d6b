"""The run history: records what train.fit produced, survives concurrent writers and bad rows."""
import json
import sqlite3
import threading
from dataclasses import replace

import pytest

from digitlab.runs import RunsError, ensure, get_run, list_runs, record_run, set_model_name
from digitlab.train import TrainConfig, fit, prepare


@pytest.fixture(scope="module")
def real_run():
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=128)
    model, splits = prepare(config)
    return config, list(fit(model, splits, config))


def test_record_and_read_back_a_real_run(tmp_path, real_run):
    config, history = real_run
    db = tmp_path / "runs.sqlite"
    run_id = record_run(config, history, test_accuracy=0.5, model_name="m1", source="cli", path=db)
    run = get_run(run_id, path=db)
    # Frozen dataclasses compare field by field; the per-batch losses are not stored (EpochMetrics.to_dict).
    assert run.config == config and run.history == [replace(m, batch_losses=()) for m in history]
    assert run.model_name == "m1" and run.source == "cli"
    assert run.test_accuracy == 0.5 and run.val_accuracy == history[-1].val_acc
    assert run.metrics["epochs_run"] == 2 and run.metrics["stopped_early"] is False
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    set_model_name(run_id, "renamed", path=db)
    assert get_run(run_id, path=db).model_name == "renamed"
    with pytest.raises(RunsError, match="no run with id 999"):
        set_model_name(999, "x", path=db)


def test_listing_is_newest_first_and_filters_by_source(tmp_path, real_run):
    config, history = real_run
    db = tmp_path / "runs.sqlite"
    ids = [record_run(config, history, source=s, path=db) for s in ("cli", "sweep", "ui", "cli")]
    runs, broken = list_runs(path=db)
    assert [r.id for r in runs] == ids[::-1] and broken == []
    assert [r.id for r in list_runs(source="cli", path=db)[0]] == [ids[3], ids[0]]
    assert [r.id for r in list_runs(limit=2, path=db)[0]] == [ids[3], ids[2]]


def test_concurrent_writers_lose_nothing(tmp_path, real_run):
    config, history = real_run
    db = tmp_path / "runs.sqlite"
    ensure(db)
    n_threads, per_thread = 8, 15
    ids, errors = [], []
    start = threading.Barrier(n_threads)

    def writer(k):
        start.wait()  # all threads hammer the file at once
        try:
            for i in range(per_thread):
                ids.append(record_run(config, history, model_name=f"t{k}-{i}", path=db))
        except Exception as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    runs, broken = list_runs(path=db)
    assert broken == [] and len(runs) == n_threads * per_thread == len(set(ids))
    assert {r.model_name for r in runs} == {f"t{k}-{i}" for k in range(n_threads) for i in range(per_thread)}


def test_a_corrupt_row_is_reported_and_the_rest_still_list(tmp_path, real_run):
    config, history = real_run
    db = tmp_path / "runs.sqlite"
    good = record_run(config, history, path=db)
    bad_json = record_run(config, history, path=db)
    bad_config = record_run(config, history, path=db)
    bad_history = record_run(config, history, path=db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET config = '{not json' WHERE id = ?", (bad_json,))
        conn.execute("UPDATE runs SET config = ? WHERE id = ?", (json.dumps({"lr": -1}), bad_config))
        conn.execute("UPDATE runs SET history = '[{\"epoch\": 1}]' WHERE id = ?", (bad_history,))
    runs, broken = list_runs(path=db)
    assert [r.id for r in runs] == [good]
    reasons = dict(broken)
    assert set(reasons) == {bad_json, bad_config, bad_history}
    assert "lr must be > 0" in reasons[bad_config]
    with pytest.raises(RunsError, match=f"run {bad_json} is corrupt"):
        get_run(bad_json, path=db)


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    db = tmp_path / "runs.sqlite"
    db.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(RunsError, match="not a usable run-history database"):
        list_runs(path=db)


def test_cli_train_records_its_run_and_runs_lists_it(tmp_path, models_tmp):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DIGITLAB_DATA_DIR": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "digitlab"]
    proc = subprocess.run(cmd + ["train", "--hidden", "16", "--epochs", "2", "--batch-size", "128", "--out", "tiny"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "recorded as run 1" in proc.stderr
    listed = subprocess.run(cmd + ["runs", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    (row,) = map(json.loads, listed.stdout.splitlines())
    assert row["model"] == "tiny" and row["source"] == "cli" and row["config"]["hidden"] == [16]
    assert len(row["history"]) == 2 and 0 < row["metrics"]["test_accuracy"] <= 1
    text = subprocess.run(cmd + ["runs"], capture_output=True, text=True, env=env, timeout=120)
    assert "tiny" in text.stdout and "cli" in text.stdout
