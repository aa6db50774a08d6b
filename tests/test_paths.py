"""Nothing is written into the checkout at run time: with no DIGITLAB_* folders set, data and models
go to the user folder ($XDG_DATA_HOME/digitlab), whose models folder starts with (and keeps up with)
the shipped default."""
import os
import subprocess
import sys

from digitlab import paths
from tests.support.cli import ROOT


def checkout_files() -> dict[str, int]:
    """Every file in the checkout outside git's own folder and caches, with its modification time."""
    out = {}
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", ".hypothesis", ".pytest_cache")]
        for name in files:
            path = os.path.join(folder, name)
            out[path] = os.stat(path).st_mtime_ns
    return out


def test_default_folders_are_in_the_user_folder_with_the_shipped_default(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITLAB_DATA_DIR", raising=False)
    monkeypatch.delenv("DIGITLAB_MODELS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert paths.data_dir() == tmp_path / "digitlab" / "data"
    models = paths.models_dir()
    assert models == tmp_path / "digitlab" / "models"
    for name in paths.SHIPPED:
        assert (models / name).read_bytes() == (paths.PROJECT_MODELS / name).read_bytes()

    (models / "default.json").write_text("{}")  # a stale copy (the checkout's default was rebuilt)
    paths._checked.discard(models)  # a new process
    paths.models_dir()
    assert (models / "default.json").read_bytes() == (paths.PROJECT_MODELS / "default.json").read_bytes()
    assert not list(models.glob(".*.part"))


def test_training_and_keeping_from_the_command_line_write_nothing_into_the_checkout(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGITLAB_")}
    env["XDG_DATA_HOME"] = str(tmp_path)
    before = checkout_files()
    proc = subprocess.run([sys.executable, "-m", "digitlab", "train", "--epochs", "1", "--hidden", "16", "--out", "mine"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert checkout_files() == before
    assert (tmp_path / "digitlab" / "models" / "mine.safetensors").exists()
    assert (tmp_path / "digitlab" / "data" / "runs.sqlite").exists()  # the run history
