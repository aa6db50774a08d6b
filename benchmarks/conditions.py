"""What every benchmark shares: a temporary data folder, and the --slow setting.

--slow stands in for a slower machine (a school laptop, a shared classroom server): this process
and every process it starts (app servers, Chromium, CLI runs, sweep workers) are pinned to one
core, and a busy loop runs on that same core for the whole run, so everything gets about half
of one core. Both sides of a comparison run under the same setting, in the same run.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from typing import Iterator

SLOW_CORE = int(os.environ.get("DIGITLAB_BENCH_SLOW_CORE", "0"))  # which core --slow uses
HOG = "while True: pass"


def add_slow_flag(parser) -> None:
    parser.add_argument("--slow", action="store_true",
                        help="pin everything to one core shared with a CPU hog (a slow machine's figures)")


@contextlib.contextmanager
def conditions(slow: bool) -> Iterator[str]:
    """Yield a one-line description of the setting. Meanwhile DIGITLAB_DATA_DIR and
    DIGITLAB_MODELS_DIR point at temporary folders (inherited by child processes), so a benchmark
    never writes into the user's run history or models; the shipped default is copied in."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    saved_env = {k: os.environ.get(k) for k in ("DIGITLAB_DATA_DIR", "DIGITLAB_MODELS_DIR")}
    saved_cpus = os.sched_getaffinity(0)
    hog = None
    with tempfile.TemporaryDirectory(prefix="digitlab-bench-") as tmp:
        data, models = Path(tmp) / "data", Path(tmp) / "models"
        data.mkdir(), models.mkdir()
        for suffix in (".safetensors", ".json"):
            shutil.copy(root / "models" / f"default{suffix}", models / f"default{suffix}")
        os.environ["DIGITLAB_DATA_DIR"], os.environ["DIGITLAB_MODELS_DIR"] = str(data), str(models)
        try:
            if slow:
                os.sched_setaffinity(0, {SLOW_CORE})
                hog = subprocess.Popen([sys.executable, "-c", HOG])  # inherits the one core
                yield f"SLOW: everything on core {SLOW_CORE}, shared with a CPU hog"
            else:
                yield f"normal: {len(saved_cpus)} core(s), no hog"
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
            os.sched_setaffinity(0, saved_cpus)
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
