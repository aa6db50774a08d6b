"""Running the command line the way a user does: `python -m digitlab ...` in a child process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args, env_models=None, check=False) -> subprocess.CompletedProcess:
    """`python -m digitlab *args` from the project root; env_models sets DIGITLAB_MODELS_DIR."""
    env = None if env_models is None else {**os.environ, "DIGITLAB_MODELS_DIR": str(env_models)}
    proc = subprocess.run([sys.executable, "-m", "digitlab", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc
