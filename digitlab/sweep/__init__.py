"""Hyperparameter sweeps with Optuna. This is the package's public API; callers import from here.

    config.py   SweepConfig, Progress, SweepError: what a sweep is (the package's bottom layer)
    space.py    SearchSpace: which knobs vary over which ranges, and the CLI's range syntax
    storage.py  where studies live: SQLite by default, any Optuna RDB URL, or a journal file
    run.py      run_sweep: the Objective (one service.train per trial), pruning, worker processes
    child.py    the app's sweeps run in a child process (python -m digitlab.sweep.child), as a Job
    results.py  read-only: trial table, best trials, best config
    best.py     train the best config on the full training split and save it (service again)
"""
from digitlab.sweep.best import BestModel, train_best, train_best_job
from digitlab.sweep.child import run_in_child, sweep_job
from digitlab.sweep.config import (MAX_JOBS, MAX_TRIALS, PRUNERS, SAMPLERS, Progress, SweepConfig, SweepError,
                                   new_study_name)
from digitlab.sweep.results import best_config, completed, study_space, top_trials, trial_history, trial_rows
from digitlab.sweep.run import Objective, create_study, run_sweep
from digitlab.sweep.space import CHOICES, HELP, RANGES, SearchSpace, describe, parse_choices, parse_range
from digitlab.sweep.storage import load_study, open_storage, redact, storage_spec, study_names

__all__ = ["BestModel", "train_best", "train_best_job", "run_in_child", "sweep_job", "MAX_JOBS", "MAX_TRIALS",
           "PRUNERS", "SAMPLERS", "Progress", "SweepConfig", "SweepError", "new_study_name", "best_config",
           "completed", "study_space", "top_trials", "trial_history", "trial_rows", "Objective", "create_study",
           "run_sweep", "CHOICES", "HELP", "RANGES", "SearchSpace", "describe", "parse_choices", "parse_range",
           "load_study", "open_storage", "redact", "storage_spec", "study_names"]
