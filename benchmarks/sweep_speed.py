"""A 30-trial sweep of 20-epoch trials, like for like: what parallel workers buy, and what pruning buys.

Three kinds of fresh study in a temporary SQLite file, same search space, same sampler (TPE, same seed):
  serial   (1 process)  with median pruning
  parallel (N workers)  with median pruning   -> parallel vs serial, the same pruner
  parallel (N workers)  without pruning       -> pruning on vs off, the same workers
Each round runs all three, in a rotated order; times are medians over the rounds, and a ratio
above 1x means the first of the pair took less time. Goal: the parallel, pruned sweep < 60 s on the
2-core machine. (TPE picks differ between runs, so per-trial work differs a little.)
N is by default the cores this run may use, the most the Explore page offers on such a machine.
--slow: everything on one core shared with a CPU hog, so N is 1 there and "parallel" is serial.

    python benchmarks/sweep_speed.py [--rounds 3] [--trials 30] [--epochs 20] [--jobs N] [--slow]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.conditions import add_slow_flag, conditions  # noqa: E402


def timed(config) -> tuple[float, object]:
    from digitlab.sweep import run_sweep

    start = time.perf_counter()
    last = None
    for last in run_sweep(config):
        pass
    return time.perf_counter() - start, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None,
                        help="parallel workers (default: the cores this run may use, as the Explore page offers)")
    add_slow_flag(parser)
    args = parser.parse_args()
    with conditions(args.slow) as setting:
        print(setting)
        run(args)


def run(args) -> None:
    import torch

    from digitlab.budgets import usable_cores
    from digitlab.paths import data_dir
    from digitlab.sweep import SweepConfig
    from digitlab.train import TrainConfig

    import sklearn.datasets, sklearn.model_selection  # noqa: E401,F401 - untimed, as the sweep modules' imports
    torch.set_num_threads(1)
    if args.jobs is None:  # after conditions(): --slow leaves one core, and the app would offer one worker
        args.jobs = usable_cores()
    storage = f"sqlite:///{data_dir() / 'bench-sweeps.db'}"  # the temporary data folder
    common = dict(base=TrainConfig(epochs=args.epochs), trials=args.trials, storage=storage, seed=0)
    workers = f"{args.jobs} worker{'s' if args.jobs != 1 else ''}"
    runs = {"serial, median pruning": dict(jobs=1, pruner="median"),
            f"parallel ({workers}), median pruning": dict(jobs=args.jobs, pruner="median"),
            f"parallel ({workers}), no pruning": dict(jobs=args.jobs, pruner="none")}
    if args.jobs == 1:
        print("one core to use: the app offers one sweep worker here, so each 'parallel' sweep runs serially")
    names = list(runs)
    times = {name: [] for name in names}
    print(f"{args.trials} trials x {args.epochs} epochs, default search space, TPE, {args.rounds} rounds")
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]  # each kind takes each turn
        for name in order:
            seconds, last = timed(SweepConfig(**common, **runs[name], study=f"bench-{r}-{names.index(name)}"))
            times[name].append(seconds)
            print(f"  round {r + 1}: {name:<38} {seconds:6.1f} s  ({last.complete} complete, {last.pruned} pruned, "
                  f"best val acc {last.best_value:.4f})", flush=True)
    medians = {name: statistics.median(seconds) for name, seconds in times.items()}
    for name, seconds in medians.items():
        print(f"  {name:<38} median {seconds:6.1f} s")
    serial, parallel, unpruned = medians.values()
    print(f"  parallel vs serial, both pruned: serial/parallel = {serial / parallel:.2f}x "
          f"({'parallel faster' if parallel < serial else 'parallel slower'})")
    print(f"  pruning on vs off, both parallel: unpruned/pruned = {unpruned / parallel:.2f}x "
          f"({'pruning faster' if parallel < unpruned else 'pruning slower'})")
    print(f"  goal parallel (pruned) < 60 s: {'met' if parallel < 60 else 'NOT met'} ({parallel:.1f} s, median)")


if __name__ == "__main__":
    main()
