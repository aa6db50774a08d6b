"""Time per training epoch: digitlab's loop vs scikit-learn's MLPClassifier, same net, same data.

Both: hidden (128, 64), ReLU, Adam lr 1e-3, batch 32, on the same training split. digitlab's epoch
also scores the validation split (as every real run does); sklearn's does not. Rounds are
interleaved so machine noise hits both alike. Goal: digitlab <= 0.8x sklearn's ms/epoch.

    python benchmarks/train_speed.py [--epochs 30] [--rounds 5] [--slow]
"""
import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from benchmarks.conditions import add_slow_flag, conditions  # noqa: E402
from digitlab.train import TrainConfig, fit, prepare  # noqa: E402


def digitlab_ms_per_epoch(epochs: int) -> float:
    config = TrainConfig(hidden=(128, 64), optimizer="adam", lr=1e-3, batch_size=32, epochs=epochs)
    model, splits = prepare(config)
    start = time.perf_counter()
    for _ in fit(model, splits, config):
        pass
    return (time.perf_counter() - start) / epochs * 1000


def sklearn_ms_per_epoch(epochs: int) -> float:
    config = TrainConfig()
    _, splits = prepare(config)
    clf = MLPClassifier(hidden_layer_sizes=(128, 64), solver="adam", learning_rate_init=1e-3, batch_size=32,
                        max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, shuffle=True, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=1):  # one thread, as torch has
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(splits.x_train / 16.0, splits.y_train)
    assert clf.n_iter_ == epochs
    return (time.perf_counter() - start) / epochs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    add_slow_flag(parser)
    args = parser.parse_args()
    with conditions(args.slow) as setting:
        print(setting)
        run(args)


def run(args) -> None:
    torch.set_num_threads(1)  # as the CLI and the app do
    blas = ", ".join(sorted({p["internal_api"] for p in threadpool_info()}))
    print(f"training split: {len(prepare(TrainConfig())[1].x_train)} examples; threads: torch 1, "
          f"sklearn's BLAS ({blas}) limited to 1")
    digitlab_ms_per_epoch(2), sklearn_ms_per_epoch(2)  # warm-up: imports, allocator, caches
    ours, theirs = [], []
    for r in range(args.rounds):  # interleaved, alternating which goes first
        if r % 2:
            theirs.append(sklearn_ms_per_epoch(args.epochs))
            ours.append(digitlab_ms_per_epoch(args.epochs))
        else:
            ours.append(digitlab_ms_per_epoch(args.epochs))
            theirs.append(sklearn_ms_per_epoch(args.epochs))
        print(f"round {r + 1}: digitlab {ours[-1]:.2f} ms/epoch   sklearn {theirs[-1]:.2f} ms/epoch")
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"digitlab: {a:.2f} ms/epoch (median of {args.rounds})")
    print(f"sklearn MLPClassifier: {b:.2f} ms/epoch (median of {args.rounds})")
    print(f"ratio digitlab/sklearn: {a / b:.2f}x (goal <= 0.80x)")


if __name__ == "__main__":
    main()
