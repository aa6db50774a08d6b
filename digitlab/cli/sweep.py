"""python -m digitlab sweep: the command-line face of digitlab.sweep."""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
from dataclasses import replace

SWEEP_EPILOG = """examples:
  python -m digitlab sweep --trials 30 --jobs 2                  # TPE + median pruning, 2 worker processes
  python -m digitlab sweep --trials 20 --lr 1e-3:1e-1 --width 64:256 --depth 2 --optimizer adam
  python -m digitlab sweep --trials 30 --save best               # then train the best config and save it
  python -m digitlab sweep --study sweep-20250101-120000 --trials 0 --save best   # best of an old study
  python -m digitlab sweep --storage postgresql://user:pw@db/optuna --study shared --trials 50   # one of many machines

a range is LOW:HIGH, a single number fixes the value, 'off' keeps the base value (--preset + --epochs)
"""


def add_commands(sub) -> None:
    from digitlab.budgets import usable_cores
    from digitlab.sweep import CHOICES, HELP, MAX_JOBS, PRUNERS, RANGES, SAMPLERS, SearchSpace

    sweep = sub.add_parser("sweep", help="search hyperparameters with Optuna (parallel workers, pruning)",
                           description="Run an Optuna study over the MLP's hyperparameters; each trial is one "
                                       "training run scored by its final validation accuracy.",
                           epilog=SWEEP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sweep.add_argument("--trials", type=int, default=None, help="trials to run (default 30, or unlimited with --timeout)")
    sweep.add_argument("--timeout", type=float, default=None, metavar="S", help="start no new trial after S seconds")
    sweep.add_argument("--jobs", type=int, default=1, metavar="K", help=f"worker processes, one torch thread each (1..{MAX_JOBS}; "
                                                                        f"this process may use {usable_cores()} cores)")
    sweep.add_argument("--study", default=None, help="study name; an existing study is continued (default: a new sweep-DATE-TIME)")
    sweep.add_argument("--storage", default=None, metavar="URL",
                       help="sqlite:///FILE, postgresql://..., mysql://..., journal:FILE "
                            "(default: $DIGITLAB_DATABASE_URL, else sweeps.sqlite in the data folder)")
    sweep.add_argument("--sampler", choices=SAMPLERS, default="tpe", help="how trials are chosen (default tpe)")
    sweep.add_argument("--pruner", choices=PRUNERS, default="median", help="stop poor trials early (default median)")
    sweep.add_argument("--grid-points", type=int, default=3, help="values per range for --sampler grid (default 3)")
    sweep.add_argument("--seed", type=int, default=0, help="sampler seed (default 0)")
    sweep.add_argument("--epochs", type=int, default=20, help="epochs per trial (default 20)")
    sweep.add_argument("--preset", default="seed", help="base config for everything not swept (default seed)")
    defaults = SearchSpace()
    for name in RANGES + CHOICES:
        value = getattr(defaults, name)
        shown = "off" if value is None else ",".join(map(str, value)) if name in CHOICES else f"{value[0]:g}:{value[1]:g}"
        sweep.add_argument("--" + name.replace("_", "-"), default=None, dest=f"space_{name}", metavar="RANGE",
                           help=f"{HELP[name]} (default: {shown})")
    sweep.add_argument("--save", metavar="NAME", help="afterwards, train the best config on the full training split and save it")
    sweep.add_argument("--force", action="store_true", help="with --save: overwrite an existing model of that name")
    sweep.set_defaults(run=cmd_sweep)


def sweep_config(args):
    from digitlab.sweep import CHOICES, RANGES, SearchSpace, SweepConfig, new_study_name, parse_choices, parse_range
    from digitlab.train import PRESETS

    if args.preset not in PRESETS:
        raise ValueError(f"--preset must be one of {', '.join(sorted(PRESETS))}, got {args.preset!r}")
    base = PRESETS[args.preset]
    base = replace(base, epochs=args.epochs, val_fraction=base.val_fraction or 0.1)
    changes = {}
    for name in RANGES + CHOICES:
        text = getattr(args, f"space_{name}")
        if text is not None:
            changes[name] = parse_range(text, name) if name in RANGES else parse_choices(text, name)
    space = SearchSpace(**{**SearchSpace().__dict__, **changes})
    trials = args.trials if args.trials is not None else (None if args.timeout else 30)
    return SweepConfig(space=space, base=base, trials=trials, timeout=args.timeout, sampler=args.sampler,
                       pruner=args.pruner, jobs=args.jobs, grid_points=args.grid_points, seed=args.seed,
                       study=args.study or new_study_name(), storage=args.storage)


def cmd_sweep(args) -> int:
    from tqdm import tqdm

    from digitlab.store import check_name
    from digitlab.sweep import create_study, describe, load_study, redact, run_sweep, storage_spec

    config = sweep_config(args)
    if args.save:
        check_name(args.save)  # fail before the sweep, not after
    create_study(config)  # now: a storage that is down or refuses the login is one error line, before any output
    print(f"study {config.study} in {redact(storage_spec(config.storage))}", file=sys.stderr)
    print(f"searching: {describe(config.space)}; {config.base.epochs} epochs per trial, {config.sampler} sampler, "
          f"{config.pruner} pruner, {config.jobs} worker(s)", file=sys.stderr)
    stop = threading.Event()
    bar = tqdm(total=config.budget(), unit="trial", file=sys.stderr, dynamic_ncols=True)
    progress = None
    stream = run_sweep(config, stop)
    while True:
        try:
            progress = next(stream)
        except StopIteration:
            break
        except KeyboardInterrupt:  # stop cleanly: running trials end within a batch, then we report
            stop.set()
            print("\nstopping: waiting for running trials to end ...", file=sys.stderr)
            continue
        bar.update(progress.finished - bar.n)
        if progress.best_value is not None:
            bar.set_postfix_str(f"best val_acc {progress.best_value:.4f} (trial {progress.best_trial}) "
                                f"pruned {progress.pruned}")
    bar.close()
    if progress is not None:
        print(f"{progress.finished} trial(s) in {progress.seconds:.1f} s by this command "
              f"({socket.gethostname()}, pid {os.getpid()}): {progress.complete} complete, "
              f"{progress.pruned} pruned, {progress.failed} failed" + (" (stopped)" if progress.stopped else ""),
              file=sys.stderr)
    study = load_study(config.study, config.storage)
    _print_best(study)
    if args.save and not stop.is_set():
        return _save_best(study, args.save, args.force)
    return 0


def _print_best(study) -> None:
    from digitlab.sweep import top_trials

    top = top_trials(study, 5)
    if not top:
        print("no completed trial yet")
        return
    print(f"best of study {study.study_name}:")
    for t in top:
        run = t.user_attrs.get("run", {})
        params = " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in t.params.items())
        hidden = "-".join(map(str, run.get("config", {}).get("hidden", [])))
        print(f"  trial {t.number:<4} val_acc {t.value:.4f}  hidden={hidden}  {params}")


def _save_best(study, name: str, force: bool) -> int:
    from tqdm import tqdm

    from digitlab.sweep import best_config, train_best

    config, trial = best_config(study)
    print(f"training trial {trial.number}'s config on the full training split ...", file=sys.stderr)
    with tqdm(total=config.epochs, unit="epoch", file=sys.stderr, dynamic_ncols=True) as bar:
        result = train_best(study, name, overwrite=force, on_epoch=lambda m: bar.update(1))
    print(f"test accuracy: {result.test_accuracy:.4f}")
    print(f"saved {result.path} (+ .json)" + (f", run {result.run_id}" if result.run_id else ""))
    if result.warning:
        print(f"warning: {result.warning}", file=sys.stderr)
    return 0
