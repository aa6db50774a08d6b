"""python -m digitlab runs: the run history (digitlab.runs) on the command line."""
from __future__ import annotations

import argparse
import json
import sys


def add_commands(sub) -> None:
    runs = sub.add_parser("runs", help="list recorded training runs (CLI, app and sweeps)",
                          description="List the run history ($DIGITLAB_DATABASE_URL, else runs.sqlite in the data folder, "
                                      "$DIGITLAB_DATA_DIR or ~/.local/share/digitlab/data), newest first.")
    runs.add_argument("--limit", type=_count, default=20, help="show at most this many (default 20, 0 for all)")
    runs.add_argument("--source", choices=("cli", "ui", "sweep"), help="only runs from here")
    runs.add_argument("--json", action="store_true", help="one JSON object per line (config, metrics, history)")
    runs.set_defaults(run=cmd_runs)


def cmd_runs(args) -> int:
    from digitlab.runs import list_runs, location

    runs, broken = list_runs(limit=args.limit or None, source=args.source)
    if args.json:
        for r in runs:
            print(json.dumps({"id": r.id, "created": r.created, "source": r.source, "model": r.model_name,
                              "config": r.config.to_dict(), "metrics": r.metrics, "extra": r.extra,
                              "history": [m.to_dict() for m in r.history]}))
    else:
        print(f"runs in {location()}:")
        for r in runs:
            c = r.config
            print(f"  {r.id:>5}  {r.created}  {r.source:<5}  {r.model_name or '-':<16}"
                  f" val={_acc(r.val_accuracy)} test={_acc(r.test_accuracy)}  epochs={r.metrics.get('epochs_run')}"
                  f"  hidden={'-'.join(map(str, c.hidden))} {c.optimizer} lr={c.lr:g} bs={c.batch_size}")
        if not runs and not broken:
            print("  (none yet: python -m digitlab train records one)")
    for run_id, reason in broken:
        print(f"  BROKEN run {run_id}: {reason}", file=sys.stderr)
    return 0


def _acc(value) -> str:
    return "  -   " if value is None else f"{value:.4f}"


def _count(text: str) -> int:
    """A whole number >= 0 (argparse type): 'runs --limit -1' used to be taken."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (all) or more, got {value}")
    return value
