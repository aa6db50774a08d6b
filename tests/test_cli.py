"""The command line, run as a user runs it: a real subprocess, real files."""
import json
from pathlib import Path

import pytest
from PIL import Image

from digitlab.strokes import arc, render

from tests.support.cli import run


@pytest.fixture(scope="module")
def drawings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drawings")
    Image.fromarray(render([[(140, 40), (140, 240)]])).save(folder / "one.png")
    Image.fromarray(render([arc(140, 140, 60, 95, 0, 360)], background="transparent")).save(folder / "zero.png")
    Image.fromarray(render([arc(140, 140, 60, 95, 0, 360)], background="dark")[..., :3]).save(folder / "zero_dark.jpg")
    Image.fromarray(render([])).save(folder / "blank.png")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.txt").write_text("not an image, and not picked up from a folder")
    return folder


def test_help_on_every_subcommand():
    for sub in ("", "train", "evaluate", "predict", "models"):
        proc = run(*([sub] if sub else []), "--help", check=True)
        assert "usage:" in proc.stdout
    assert "--batch-size" in run("train", "--help").stdout


def test_predict_folder_with_good_corrupt_and_empty_files(drawings):
    proc = run("predict", "--json", str(drawings))
    assert proc.returncode == 1, "some files failed"
    rows = {Path(r["path"]).name: r for r in map(json.loads, proc.stdout.splitlines())}
    assert set(rows) == {"one.png", "zero.png", "zero_dark.jpg", "blank.png", "corrupt.png", "empty.png"}
    assert rows["one.png"]["prediction"] == 1 and rows["one.png"]["error"] is None
    assert rows["zero.png"]["prediction"] == 0 and rows["zero_dark.jpg"]["prediction"] == 0
    assert abs(sum(rows["zero.png"]["probabilities"]) - 1) < 1e-4 and len(rows["zero.png"]["probabilities"]) == 10
    for bad, words in (("blank.png", "no drawing"), ("corrupt.png", "not a readable image"), ("empty.png", "empty")):
        assert rows[bad]["prediction"] is None and rows[bad]["probabilities"] is None and words in rows[bad]["error"]


def test_predict_all_good_exits_zero_and_prints_text(drawings):
    proc = run("predict", str(drawings / "one.png"), str(drawings / "zero.png"), check=True)
    lines = proc.stdout.splitlines()
    assert lines[0].split("\t")[1] == "1" and lines[1].split("\t")[1] == "0"


def test_predict_missing_file_and_missing_model(drawings, tmp_path):
    proc = run("predict", "--json", str(tmp_path / "nope.png"), str(drawings / "one.png"))
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1 and "cannot read" in rows[0]["error"] and rows[1]["prediction"] == 1
    proc = run("predict", "--model", "no-such-model", str(drawings / "one.png"))
    assert proc.returncode == 2 and "no model" in proc.stderr and "Traceback" not in proc.stderr


def test_train_save_evaluate_and_list(tmp_path):
    proc = run("train", "--epochs", "3", "--hidden", "32", "--out", "tiny", env_models=tmp_path, check=True)
    assert "test accuracy:" in proc.stdout and (tmp_path / "tiny.safetensors").exists()
    acc = float(proc.stdout.split("test accuracy:")[1].split()[0])
    info = json.loads((tmp_path / "tiny.json").read_text())
    assert info["metrics"]["test_accuracy"] == pytest.approx(acc, abs=1e-4) and info["train"]["hidden"] == [32]
    ev = run("evaluate", "--model", "tiny", env_models=tmp_path, check=True).stdout
    assert f"test accuracy: {acc:.4f}" in ev and "precision" in ev and "true\\pred" in ev
    again = run("train", "--epochs", "1", "--hidden", "32", "--out", "tiny", env_models=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    listing = run("models", env_models=tmp_path, check=True).stdout
    assert "tiny" in listing and f"{acc:.4f}" in listing


@pytest.mark.parametrize("args, words", [
    (["--lr", "0"], "lr must be > 0"),
    (["--hidden", "0"], "layer size"),
    (["--out", "../escape"], "invalid model name"),
])
def test_train_refuses_nonsense_before_training(args, words, tmp_path):
    proc = run("train", *args, env_models=tmp_path)
    assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr


def test_bad_flag_value_gets_argparse_message():
    proc = run("train", "--hidden", "big")
    assert proc.returncode == 2 and "comma-separated" in proc.stderr
