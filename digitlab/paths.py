"""Where things live: the data folder (run history, kept drawings, sweeps) and the models folder.

Environment variables override both, so tests, a second app instance or a classroom server can
point elsewhere. (The databases live in the data folder as SQLite files unless
$DIGITLAB_DATABASE_URL names a database server: digitlab/database.py. Several app servers share
models through one DIGITLAB_MODELS_DIR: deploy/serve.py.) Nothing here imports torch or any other part of DigitLab: finding a file must
not pull in the training code (it once did: drawings -> runs -> train -> drawings).
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_DATA = PROJECT_ROOT / "data"  # git-ignored
PROJECT_MODELS = PROJECT_ROOT / "models"  # the shipped default lives here


def data_dir() -> Path:
    """The app's data folder: $DIGITLAB_DATA_DIR, else data/ at the project root."""
    return Path(os.environ.get("DIGITLAB_DATA_DIR") or PROJECT_DATA)


def models_dir() -> Path:
    """Where named models live: $DIGITLAB_MODELS_DIR, else the project's models/ folder."""
    return Path(os.environ.get("DIGITLAB_MODELS_DIR") or PROJECT_MODELS)
