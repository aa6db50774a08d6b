"""Files that cannot rot silently (issue 15): every saved model carries a checksum of its weights,
loading refuses a file whose weights changed, an upload never replaces a name even when two race
for it, and files get ordinary permissions without touching the process's umask."""
import hashlib
import json
import os
import random
import stat
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as safetensors_bytes

from digitlab import store
from digitlab.data import load_splits
from digitlab.store import (CHECKSUM_KEY, UNCHECKED, DamagedModelError, ModelError, install_model, list_models,
                            load_model, load_model_bytes, save_model, tensors_sha256)
from digitlab.train import TrainConfig, new_model

ROOT = Path(__file__).resolve().parent.parent
FLIPS = 1000


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A model of the shipped model's shape (512-256), saved the normal way."""
    folder = tmp_path_factory.mktemp("models")
    model = new_model(TrainConfig(hidden=(512, 256), seed=4), load_splits(0.0).x_train)
    return save_model(model, "flipme", {"metrics": {"test_accuracy": 0.5}}, directory=folder)


def data_region(blob: bytes) -> range:
    """Where the tensor bytes are in a safetensors file: after the 8-byte length and the JSON header."""
    (header,) = struct.unpack("<Q", blob[:8])
    return range(8 + header, len(blob))


def test_a_saved_model_carries_the_checksum_of_its_weights(saved):
    loaded = load_model(saved)
    state = {k: v for k, v in loaded.model.state_dict().items()}
    assert loaded.info[CHECKSUM_KEY] == tensors_sha256(state) and loaded.unchecked is None and loaded.notes == []


def test_1000_random_single_bit_flips_in_the_weights_are_all_refused(saved):
    blob = saved.read_bytes()
    region = data_region(blob)
    assert len(region) == 4 * (64 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10)  # every float32 weight and bias
    load_model_bytes(blob, saved, sidecar=False)  # the untouched bytes load
    rng = random.Random(15)
    refused = 0
    for bit in rng.sample(range(region.start * 8, region.stop * 8), FLIPS):
        flipped = bytearray(blob)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            load_model_bytes(bytes(flipped), saved, sidecar=False)  # what load_model runs on a file's bytes
        except DamagedModelError as exc:
            assert "is damaged: its weights do not match the checksum" in str(exc)
            refused += 1
    print(f"\n{refused} of {FLIPS} random single-bit flips in the tensor data refused")
    assert refused == FLIPS


def test_a_damaged_file_is_listed_with_its_reason_and_the_cli_exits_1_without_a_traceback(saved, models_tmp):
    blob = bytearray(saved.read_bytes())
    blob[data_region(blob).start + 1000] ^= 0x10
    (models_tmp / "rotten.safetensors").write_bytes(blob)
    save_model(load_model(saved).model, "fine", {}, directory=models_tmp)
    good, broken = list_models(models_tmp)
    assert [m.name for m in good] == ["fine"]
    assert [(p.name, "is damaged" in reason) for p, reason in broken] == [("rotten.safetensors", True)]
    with pytest.raises(DamagedModelError):
        load_model("rotten")
    drawing = models_tmp / "one.png"
    from PIL import Image

    Image.new("L", (28, 28), 255).save(drawing)
    proc = subprocess.run([sys.executable, "-m", "digitlab", "predict", "--model", "rotten", str(drawing)],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "DIGITLAB_MODELS_DIR": str(models_tmp)})
    assert proc.returncode == 1, proc.stderr
    assert "rotten.safetensors is damaged" in proc.stderr and "Traceback" not in proc.stderr


def test_a_model_saved_without_a_checksum_loads_with_a_visible_note(saved, models_tmp):
    """The policy for files from an older DigitLab: usable, but never silently unprotected."""
    loaded = load_model(saved)
    old_info = {k: v for k, v in loaded.info.items() if k not in (CHECKSUM_KEY, "weights_sha256")}
    tensors = {k: v.contiguous() for k, v in loaded.model.state_dict().items()}
    (models_tmp / "old.safetensors").write_bytes(safetensors_bytes(tensors, metadata={"digitlab": json.dumps(old_info)}))
    old = load_model("old")
    assert old.unchecked == UNCHECKED and old.notes[-1] == UNCHECKED and "older DigitLab" in UNCHECKED
    good, broken = list_models(models_tmp)
    assert [m.name for m in good] == ["old"] and broken == []
    proc = subprocess.run([sys.executable, "-m", "digitlab", "evaluate", "--model", "old"], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "DIGITLAB_MODELS_DIR": str(models_tmp)})
    assert proc.returncode == 0 and "warning: no checksum" in proc.stderr, proc.stderr


def test_two_uploads_racing_for_one_name_one_wins_whole_and_the_other_is_told(saved, models_tmp, monkeypatch):
    """Both uploads pass the 'is the name free?' check before either writes (a barrier holds them
    there), so only the publishing step can keep them apart."""
    x = load_splits(0.0).x_train
    uploads = {}
    for tag, seed in ((0.1, 1), (0.2, 2)):
        folder = models_tmp / f"src{seed}"
        uploads[tag] = save_model(new_model(TrainConfig(hidden=(256, 128), seed=seed), x), "m",
                                  {"metrics": {"test_accuracy": tag}}, directory=folder).read_bytes()
    target = models_tmp / "shared"
    both_checked = threading.Barrier(2, timeout=60)
    validate = store.load_model_bytes

    def validate_then_wait(*args, **kwargs):
        result = validate(*args, **kwargs)
        if kwargs.get("sidecar") is False:  # the upload's validation, not the reload after installing
            both_checked.wait()
        return result

    monkeypatch.setattr(store, "load_model_bytes", validate_then_wait)
    outcomes = {}

    def upload(tag):
        try:
            outcomes[tag] = install_model(uploads[tag], "race", directory=target)
        except ModelError as exc:
            outcomes[tag] = exc

    threads = [threading.Thread(target=upload, args=(tag,)) for tag in uploads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    winners = [tag for tag, o in outcomes.items() if not isinstance(o, Exception)]
    losers = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "already exists" in str(losers[0]) and "another upload" in str(losers[0])
    (winner,) = winners
    assert (target / "race.safetensors").read_bytes() == uploads[winner], "the winner's file, whole"
    assert load_model(target / "race.safetensors").info["metrics"]["test_accuracy"] == winner
    sidecar = json.loads((target / "race.json").read_text())
    assert sidecar["weights_sha256"] == hashlib.sha256(uploads[winner]).hexdigest()
    assert sorted(p.name for p in target.iterdir()) == ["race.json", "race.safetensors"], "no temp files left"


def test_save_without_overwrite_never_replaces_a_file_that_appears_meanwhile(saved, models_tmp, monkeypatch):
    model = load_model(saved).model
    real_write = store._atomic_write

    def someone_else_first(path, data, **kwargs):
        if path.suffix == ".safetensors" and not path.exists():
            path.write_bytes(b"theirs")  # appears between save_model's check and its write
        return real_write(path, data, **kwargs)

    monkeypatch.setattr(store, "_atomic_write", someone_else_first)
    with pytest.raises(ModelError, match="already exists"):
        save_model(model, "contested", {}, directory=models_tmp)
    assert (models_tmp / "contested.safetensors").read_bytes() == b"theirs"
    assert not (models_tmp / "contested.json").exists()


def test_files_get_ordinary_permissions_without_touching_the_umask(saved, models_tmp, monkeypatch):
    model = load_model(saved).model
    previous = os.umask(0o027)
    try:
        def no_umask(*args):
            raise AssertionError("store changed the process umask")

        monkeypatch.setattr(os, "umask", no_umask)
        save_model(model, "perms", {}, directory=models_tmp)
        installed = install_model((models_tmp / "perms.safetensors").read_bytes(), "perms2", directory=models_tmp)
    finally:
        monkeypatch.undo()
        os.umask(previous)
    for path in (models_tmp / "perms.safetensors", models_tmp / "perms.json", installed.path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path  # 0o666 through the umask, like open()


def test_the_models_page_names_a_damaged_file_and_a_model_without_a_checksum(saved, models_tmp):
    from streamlit.testing.v1 import AppTest

    blob = bytearray(saved.read_bytes())
    blob[data_region(blob).start + 4] ^= 0x01
    (models_tmp / "rotten.safetensors").write_bytes(blob)
    save_model(load_model(saved).model, "fine", {}, directory=models_tmp)
    loaded = load_model(saved)
    old_info = {k: v for k, v in loaded.info.items() if k != CHECKSUM_KEY}
    tensors = {k: v.contiguous() for k, v in loaded.model.state_dict().items()}
    (models_tmp / "old.safetensors").write_bytes(safetensors_bytes(tensors, metadata={"digitlab": json.dumps(old_info)}))

    def models_page():
        from digitlab.ui import models

        models.page()

    at = AppTest.from_function(models_page, default_timeout=60).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert dict(zip(table["name"], table["checksum"])) == {"fine": "verified", "old": "none (older DigitLab)"}
    assert [w.value for w in at.warning if "rotten.safetensors" in w.value and "is damaged" in w.value]
    assert any("No checksum: old" in c.value for c in at.caption)
