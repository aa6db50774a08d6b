"""A 30-trial sweep of 20-epoch trials: parallel workers + median pruning vs one process, no pruning.

Same search space, same sampler (TPE, same seed), fresh studies in a temporary SQLite file, run
one after the other in this process. Prints both wall times and the ratio. Goal: parallel < 60 s
on the 2-core machine. (TPE picks differ between the two runs, so per-trial work differs a little.)

    python benchmarks/sweep_speed.py [--trials 30] [--epochs 20] [--jobs 2]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(config) -> tuple[float, object]:
    from digitlab.sweep import run_sweep

    start = time.perf_counter()
    last = None
    for last in run_sweep(config):
        pass
    return time.perf_counter() - start, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    import torch

    from digitlab.sweep import SweepConfig
    from digitlab.train import TrainConfig

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        storage = f"sqlite:///{Path(tmp) / 'bench.db'}"
        base = TrainConfig(epochs=args.epochs)
        common = dict(base=base, trials=args.trials, storage=storage, seed=0)
        parallel_s, parallel = timed(SweepConfig(**common, jobs=args.jobs, pruner="median", study="parallel"))
        serial_s, serial = timed(SweepConfig(**common, jobs=1, pruner="none", study="serial"))
    print(f"{args.trials} trials x {args.epochs} epochs, default search space, TPE")
    print(f"  parallel ({args.jobs} workers, median pruning): {parallel_s:6.1f} s  "
          f"({parallel.complete} complete, {parallel.pruned} pruned, best val acc {parallel.best_value:.4f})")
    print(f"  serial   (1 process, no pruning):          {serial_s:6.1f} s  "
          f"({serial.complete} complete, best val acc {serial.best_value:.4f})")
    print(f"  speed-up: {serial_s / parallel_s:.2f}x   goal parallel < 60 s: {'met' if parallel_s < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
