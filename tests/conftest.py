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


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory):
    """Run history and sweeps of the whole test session (and the CLIs and apps it starts) go to a
    temporary data folder, never the project's data/."""
    os.environ["DIGITLAB_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))


@pytest.fixture
def models_tmp(tmp_path, monkeypatch):
    """A private models folder so tests never touch the shipped ones."""
    monkeypatch.setenv("DIGITLAB_MODELS_DIR", str(tmp_path))
    return tmp_path
