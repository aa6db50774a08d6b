"""Where things live: the data folder (run history, kept drawings, sweeps) and the models folder,
both outside the checkout by default (nothing is written into the source tree at run time).

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
PROJECT_MODELS = PROJECT_ROOT / "models"  # the shipped default lives here; read only at run time
SHIPPED = ("default.safetensors", "default.json")


def user_folder() -> Path:
    """Where DigitLab keeps files when no environment variable says otherwise: $XDG_DATA_HOME/digitlab
    (~/.local/share/digitlab). Never the checkout: it may be read-only, shared by several users, or a
    git working tree that runs must not change."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "digitlab"


def data_dir() -> Path:
    """The app's data folder: $DIGITLAB_DATA_DIR, else data/ in the user folder."""
    return Path(os.environ.get("DIGITLAB_DATA_DIR") or user_folder() / "data")


def models_dir() -> Path:
    """Where named models live: $DIGITLAB_MODELS_DIR, else models/ in the user folder, which starts
    with a copy of the shipped default (and gets the shipped one again whenever the checkout's changes)."""
    env = os.environ.get("DIGITLAB_MODELS_DIR")
    if env:
        return Path(env)
    folder = user_folder() / "models"
    _with_shipped_default(folder)
    return folder


_checked: set[Path] = set()


def _with_shipped_default(folder: Path) -> None:
    """Copy the shipped default into `folder` if it is missing or differs (once per process)."""
    if folder in _checked:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED:
        shipped, copy = PROJECT_MODELS / name, folder / name
        if not shipped.exists():
            continue
        data = shipped.read_bytes()
        if not copy.exists() or copy.read_bytes() != data:
            part = folder / f".{name}.{os.getpid()}.part"
            part.write_bytes(data)
            os.replace(part, copy)  # atomic: another process never sees half a file
    _checked.add(folder)
