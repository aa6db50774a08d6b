"""Issue 19's names and labels on the command line: every refusal comes before any work, with a
message a person can act on."""
import json
import shutil

import pytest

from tests.support.cli import ROOT, run


@pytest.fixture
def folder(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / "models" / f"default{suffix}", models / f"default{suffix}")
    return models


@pytest.mark.parametrize("out, words", [("default", "'default' is the shipped model"),
                                        ("v1.json", "can't end in .safetensors or .json"),
                                        ("taken", "already exists")])
def test_train_refuses_the_name_before_training(folder, out, words):
    shutil.copy(folder / "default.safetensors", folder / "taken.safetensors")
    proc = run("train", "--out", out, "--epochs", "2000", env_models=folder)  # would take minutes if it trained
    assert proc.returncode == 2 and words in proc.stderr
    assert "training:" not in proc.stderr, "refused before training started"


def test_predict_on_a_non_image_says_so_plainly(tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("not an image at all")
    proc = run("predict", "--json", str(notes))
    error = json.loads(proc.stdout)["error"]
    assert proc.returncode == 1 and error == "not a readable image: not PNG, JPEG or another format Pillow knows"
    assert "BytesIO" not in run("predict", str(notes)).stdout


def test_evaluate_takes_the_sidecar_name_of_a_model(folder):
    proc = run("evaluate", "--model", "default.json", env_models=folder)
    assert proc.returncode == 0, proc.stderr
    assert f"model: {folder / 'default.safetensors'}" in proc.stdout


@pytest.mark.parametrize("limit", ["-1", "x"])
def test_runs_refuses_a_limit_that_is_not_a_count(limit):
    proc = run("runs", "--limit", limit)
    assert proc.returncode == 2 and "--limit" in proc.stderr


def test_models_lists_a_broken_file_with_its_reason(folder):
    text = (folder / "default.json").read_text()
    (folder / "odd.json").write_text(text)
    (folder / "odd.safetensors").write_bytes(b"junk")
    proc = run("models", env_models=folder)
    assert proc.returncode == 0 and "BROKEN odd.safetensors: odd.safetensors is not a valid safetensors file" in proc.stdout
