"""Killing the process (SIGKILL) in the middle of saving leaves the old or the new model, never a
broken one, and leftovers of the interrupted write don't stop anything from loading.

The kill comes from inside the write: store._partial_write_hook runs after half of a file's bytes
are in its temp file, and the writer process SIGKILLs itself there. So every run provably
interrupts a write (the half-written temp file is still on disk to show it)."""
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from digitlab.data import load_splits
from digitlab.store import list_models, load_model, save_model
from digitlab.train import TrainConfig, new_model

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from digitlab import store
    folder, die_in = Path({folder!r}), {die_in!r}

    def kill_me(final, tmp):  # half of `final`'s bytes are in `tmp` now
        if final.name == die_in:
            print("dying", tmp.name, tmp.stat().st_size, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    store._partial_write_hook = kill_me
    new = store.load_model(folder / "new.safetensors").model
    store.save_model(new, "victim", {{"metrics": {{"test_accuracy": 0.2}}}}, directory=folder, overwrite=True)
    print("saved without dying", flush=True)
""")


@pytest.fixture
def folder(tmp_path):
    x = load_splits(0.0).x_train
    save_model(new_model(TrainConfig(hidden=(256, 128), seed=1), x), "victim", {"metrics": {"test_accuracy": 0.1}},
               directory=tmp_path)
    save_model(new_model(TrainConfig(hidden=(256, 128), seed=2), x), "new", {"metrics": {"test_accuracy": 0.2}},
               directory=tmp_path)
    return tmp_path


def kill_inside_the_write_of(folder: Path, file: str) -> tuple[str, int]:
    proc = subprocess.run([sys.executable, "-c", WRITER.format(root=str(ROOT), folder=str(folder), die_in=file)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)
    word, tmp_name, written = proc.stdout.split()
    assert word == "dying"
    return tmp_name, int(written)


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_sigkill_inside_the_weights_write_leaves_the_old_model_whole(folder):
    old_bytes, old_json = (folder / "victim.safetensors").read_bytes(), (folder / "victim.json").read_text()
    old = load_model(folder / "victim.safetensors")
    tmp_name, written = kill_inside_the_write_of(folder, "victim.safetensors")
    leftover = folder / tmp_name
    assert leftover.exists() and 0 < leftover.stat().st_size == written < len(old_bytes), "interrupted mid-write"
    assert (folder / "victim.safetensors").read_bytes() == old_bytes, "no partial file under the model's name"
    assert (folder / "victim.json").read_text() == old_json
    loaded = load_model(folder / "victim.safetensors")
    assert loaded.info["metrics"]["test_accuracy"] == 0.1 and loaded.warnings == []
    assert same_weights(loaded.model, old.model)
    good, broken = list_models(folder)
    assert broken == [] and {m.name for m in good} == {"victim", "new"}, "the leftover temp file is not a model"


def test_sigkill_inside_the_sidecar_write_leaves_the_new_weights_and_says_the_json_is_stale(folder):
    old_json = (folder / "victim.json").read_text()
    new = load_model(folder / "new.safetensors")
    tmp_name, written = kill_inside_the_write_of(folder, "victim.json")
    leftover = folder / tmp_name
    assert leftover.exists() and 0 < leftover.stat().st_size == written, "interrupted mid-write"
    assert (folder / "victim.json").read_text() == old_json, "the old sidecar, whole"
    loaded = load_model(folder / "victim.safetensors")  # the new weights, published before the kill
    assert same_weights(loaded.model, new.model) and loaded.info["metrics"]["test_accuracy"] == 0.2
    assert loaded.unchecked is None, "checksum verified"
    assert len(loaded.warnings) == 1 and "victim.json does not match the weights (stale)" in loaded.warnings[0]
    assert json.loads(old_json)["metrics"]["test_accuracy"] == 0.1  # which is why it was not used
    good, broken = list_models(folder)
    assert broken == [] and {m.name for m in good} == {"victim", "new"}
