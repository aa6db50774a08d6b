"""ONNX export: the exported graph, run by onnxruntime, gives PyTorch's probabilities on the whole
test split; the CLI writes it; the README's plain-Python lines run without DigitLab."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from digitlab.data import load_splits
from digitlab.export import ExportError, export_model, onnx_bytes
from digitlab.model import ACTIVATIONS, MLP, ModelConfig, predict_proba
from digitlab.store import load_model

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5


def onnx_probabilities(data: bytes, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {"counts": x})[0]


@pytest.fixture(scope="module")
def x_test() -> np.ndarray:
    x = load_splits(val_fraction=0.0).x_test.astype(np.float32)
    assert x.shape == (360, 64) and x.max() == 16  # raw 0-16 counts, the whole test split
    return x


def test_shipped_model_matches_pytorch_on_the_test_split(x_test):
    model = load_model("default").model
    expected = predict_proba(model, x_test)
    got = onnx_probabilities(onnx_bytes(model, "default"), x_test)
    diff = float(np.abs(got - expected).max())
    print(f"\nONNX vs PyTorch, shipped default, {len(x_test)} test digits: max abs difference {diff:.3g}")
    assert got.shape == (360, 10) and got.dtype == np.float32
    assert diff <= TOLERANCE
    assert (got.argmax(1) == expected.argmax(1)).all()


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_and_a_nontrivial_scaling_match(activation, x_test):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    # An untrained net with dropout (left out at inference) and a scaling far from identity, so a
    # wrong sign or a missing scale step would show.
    config = ModelConfig(hidden=(32, 16), activation=activation, dropout=0.3,
                         input_mean=tuple(rng.uniform(0, 16, 64)), input_scale=5.3)
    model = MLP(config).train()  # export must not depend on the mode the model is in
    expected = predict_proba(model, x_test)
    got = onnx_probabilities(onnx_bytes(model), x_test)
    assert np.abs(got - expected).max() <= TOLERANCE
    assert np.abs(got.sum(axis=1) - 1).max() < 1e-5


def test_export_model_refuses_a_folder_and_a_missing_folder(tmp_path):
    with pytest.raises(ExportError, match="is a folder"):
        export_model("default", tmp_path)
    with pytest.raises(ExportError, match="does not exist"):
        export_model("default", tmp_path / "nope" / "m.onnx")


def test_cli_export_then_the_readme_lines_run_without_digitlab(tmp_path):
    out = tmp_path / "digits.onnx"
    proc = subprocess.run([sys.executable, "-m", "digitlab", "export", "default", "--onnx", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and out.stat().st_size > 10_000
    # The README's snippet, verbatim, run with -I (no current folder or PYTHONPATH on sys.path) from
    # the file's folder: it must not need DigitLab.
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"```python\n(# plain Python.*?)```", readme, re.S).group(1)
    assert "digitlab" not in snippet.replace("# plain Python, no DigitLab", "")
    run = subprocess.run([sys.executable, "-I", "-c", snippet + "\nassert probs.shape == (5, 10)\n"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[:5] == ["[0", "1", "2", "3", "4]"]


def test_cli_export_of_a_missing_model_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "digitlab", "export", "nosuch", "--onnx", str(tmp_path / "m.onnx")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "no model at" in proc.stderr and "Traceback" not in proc.stderr
