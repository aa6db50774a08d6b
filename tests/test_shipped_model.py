"""The shipped default model still scores what its JSON claims, and the core stays UI-free."""
import json
import subprocess
import sys
from pathlib import Path

from digitlab.data import load_splits
from digitlab.evaluate import evaluate
from digitlab.store import PROJECT_MODELS, load_model

ROOT = Path(__file__).resolve().parent.parent


def test_default_model_scores_what_its_json_claims():
    loaded = load_model(PROJECT_MODELS / "default.safetensors")
    assert loaded.warnings == [], loaded.warnings
    assert loaded.unchecked is None, "the shipped model carries a checksum of its tensors"
    claimed = json.loads((PROJECT_MODELS / "default.json").read_text())["metrics"]["test_accuracy"]
    splits = load_splits(0.0)
    result = evaluate(loaded.model, splits.x_test, splits.y_test)
    assert abs(result.accuracy - claimed) < 1e-9
    assert result.accuracy >= 0.985


def test_core_imports_without_streamlit_or_plotly():
    code = ("import sys, digitlab.cli, digitlab.train, digitlab.store, digitlab.preprocess, digitlab.evaluate, "
            "digitlab.predict; assert 'streamlit' not in sys.modules, 'streamlit imported'; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
