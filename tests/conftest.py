import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def models_tmp(tmp_path, monkeypatch):
    """A private models folder so tests never touch the shipped ones."""
    monkeypatch.setenv("DIGITLAB_MODELS_DIR", str(tmp_path))
    return tmp_path
