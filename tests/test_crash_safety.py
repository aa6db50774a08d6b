"""Killing the process (SIGKILL) in the middle of saving leaves the old or the new model, never a
broken one, and leftovers of the interrupted write don't stop anything from loading."""
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from digitlab.store import list_models, load_model, save_model
from digitlab.train import TrainConfig, new_model
from digitlab.data import load_splits

ROOT = Path(__file__).resolve().parent.parent
KILLS = 10

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from digitlab.store import load_model, save_model
    folder = Path({folder!r})
    a, b = load_model(folder / "a.safetensors").model, load_model(folder / "b.safetensors").model
    print("ready", flush=True)
    i = 0
    while True:  # overwrite the victim with a, b, a, b, ... until killed
        model, tag = (a, 0.1) if i % 2 == 0 else (b, 0.2)
        save_model(model, "victim", {{"metrics": {{"test_accuracy": tag}}}}, directory=folder, overwrite=True)
        i += 1
""")


def test_sigkill_during_save_never_leaves_a_broken_model(tmp_path):
    x = load_splits(0.0).x_train
    models = {}
    for tag, seed in ((0.1, 1), (0.2, 2)):
        model = new_model(TrainConfig(hidden=(256, 128), seed=seed), x)
        save_model(model, "a" if tag == 0.1 else "b", {"metrics": {"test_accuracy": tag}}, directory=tmp_path)
        models[tag] = model.state_dict()
    save_model(new_model(TrainConfig(hidden=(256, 128), seed=1), x), "victim", {"metrics": {"test_accuracy": 0.1}},
               directory=tmp_path)
    rng = random.Random(0)
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), folder=str(tmp_path))],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        try:
            proc.wait(timeout=rng.uniform(0.005, 0.15))  # let it get somewhere inside a save
        except subprocess.TimeoutExpired:
            pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        loaded = load_model(tmp_path / "victim.safetensors")
        tag = loaded.info["metrics"]["test_accuracy"]
        assert tag in models, loaded.info
        state = loaded.model.state_dict()
        assert all(torch.equal(state[k], v) for k, v in models[tag].items()), "weights and metadata belong together"
    good, broken = list_models(tmp_path)
    assert broken == [] and {m.name for m in good} == {"a", "b", "victim"}
