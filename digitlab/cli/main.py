"""python -m digitlab: the parser, and the train, evaluate, predict and models commands (sweep and runs
are in sweep.py and runs.py). The headless face of the same core the app uses."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields, replace
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}

EPILOG = """examples:
  python -m digitlab train --out mine                     # the seed setup: 128-64 MLP, Adam, 10 epochs
  DIGITLAB_MODELS_DIR=models python -m digitlab train --preset default --out default --force   # rebuild the shipped model
  python -m digitlab train --hidden 256,128 --epochs 40 --augment 0.5 --out wide
  python -m digitlab evaluate --model mine
  python -m digitlab predict drawing.png more_drawings/ --json
  python -m digitlab models
  python -m digitlab sweep --trials 30 --jobs 2 --save best   # Optuna search, then train + save the best
  python -m digitlab runs                                   # the run history
  python -m digitlab export default --onnx digits.onnx      # for onnxruntime, without DigitLab
"""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # a net this small is fastest on one thread (see benchmarks/train_speed.py)
    from digitlab.store import DamagedModelError, ModelError

    try:
        return args.run(args)
    except (ModelError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        # a failure, not a usage mistake: a damaged model, a database that is down or refuses the login
        return 1 if isinstance(exc, DamagedModelError) or getattr(exc, "exit_code", None) == 1 else 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    from digitlab.train import PRESETS, TrainConfig

    parser = argparse.ArgumentParser(prog="python -m digitlab", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Train, evaluate and use DigitLab's digit-recognising MLP.")
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    train = sub.add_parser("train", help="train a model and save it to models/NAME",
                           description="Train an MLP on scikit-learn's digits, print progress and test metrics, save it.",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("--preset", choices=sorted(PRESETS), default="seed",
                       help="starting hyperparameters; flags below override them (default: seed)")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        meta = f.metadata
        help_text = f"{meta['help']} (seed preset: {_show(f.default)})"
        if str(f.type) == "bool":  # --calibrate / --no-calibrate; None: the preset decides
            train.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, dest=f.name, help=help_text)
            continue
        kind = _hidden_sizes if f.name == "hidden" else {"int": int, "float": float, "str": str}[str(f.type)]
        train.add_argument(flag, type=kind, default=None, choices=meta.get("choices"), dest=f.name, help=help_text)
    train.add_argument("--out", metavar="NAME", help="save as models/NAME.safetensors + .json (default: don't save)")
    train.add_argument("--force", action="store_true", help="overwrite an existing model of that name (also 'default')")
    train.set_defaults(run=cmd_train)

    evaluate = sub.add_parser("evaluate", help="test-set accuracy, per-class scores and confusion matrix",
                              description="Score a model on the held-out test split of scikit-learn's digits.")
    evaluate.add_argument("--model", default="default", help="model name in models/ or a .safetensors path (default: default)")
    evaluate.set_defaults(run=cmd_evaluate)

    predict = sub.add_parser("predict", help="classify image files of drawn digits",
                             description="Classify image files (PNG, JPEG, ...) of drawn digits; folders are "
                                         "searched for images. Exit status 1 if any file failed.")
    predict.add_argument("files", nargs="+", metavar="FILE", help="image files or folders")
    predict.add_argument("--model", default="default", help="model name in models/ or a .safetensors path (default: default)")
    predict.add_argument("--json", action="store_true",
                         help='one JSON object per line: {"path", "prediction", "probabilities", "error"}')
    predict.set_defaults(run=cmd_predict)

    models = sub.add_parser("models", help="list saved models and their test accuracy",
                            description="List the models in models/ (or $DIGITLAB_MODELS_DIR), and any broken files.")
    models.set_defaults(run=cmd_models)
    from digitlab.cli import export, runs, sweep

    sweep.add_commands(sub)
    runs.add_commands(sub)
    export.add_commands(sub)
    return parser


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes such as 128,64, got {text!r}")
    if not sizes:
        raise argparse.ArgumentTypeError("give at least one hidden layer size")
    return sizes


def _show(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def cmd_train(args) -> int:
    import signal
    import threading

    from tqdm import tqdm

    from digitlab import service
    from digitlab.train import PRESETS

    overrides = {f.name: getattr(args, f.name) for f in fields(PRESETS[args.preset]) if getattr(args, f.name) is not None}
    if args.init_from:  # fine-tuning keeps the saved model's layers unless told otherwise
        from digitlab.store import load_model

        base = load_model(args.init_from).model.config
        overrides = {"hidden": base.hidden, "activation": base.activation, **overrides}
    config = replace(PRESETS[args.preset], **overrides)
    if args.out:  # every reason Save would refuse, before training rather than after it
        service.check_new_name(args.out, overwrite=args.force, allow_default=args.force,
                               how_to_overwrite="pass --force to overwrite it")
    print(f"training: {_describe(config)}", file=sys.stderr)
    if config.font_renders or config.stroke_renders:
        print("rendering the synthetic handwriting first (a few minutes; no progress bar until it is done)",
              file=sys.stderr)
    stop = threading.Event()

    def on_ctrl_c(*_):  # the first Ctrl-C ends training before the next batch; a second one quits
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    bar = tqdm(total=config.epochs, unit="epoch", file=sys.stderr, dynamic_ncols=True)

    def show(m) -> None:
        bar.update(1)
        bar.set_postfix_str(f"loss {m.train_loss:.4f} acc {m.train_acc:.4f}"
                            + (f" val_loss {m.val_loss:.4f} val_acc {m.val_acc:.4f}" if m.val_acc is not None else ""))

    try:
        trained = service.train(config, stop=stop, on_epoch=show)
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
    if stop.is_set():
        print(f"stopped by Ctrl-C after {len(trained.history)} epoch(s); keeping the model as it stands",
              file=sys.stderr)
    print(f"test accuracy: {trained.test_accuracy:.4f}")
    saved = service.save_and_record(trained, args.out, source="cli", overwrite=args.force, allow_default=args.force)
    print(f"saved {saved.path} (+ .json)" if saved.path else "not saved (pass --out NAME to keep it)",
          file=sys.stdout if saved.path else sys.stderr)
    print(f"warning: {saved.warning}" if saved.warning else f"recorded as run {saved.run_id} (python -m digitlab runs)",
          file=sys.stderr)
    return 0


def _describe(config) -> str:
    return " ".join(f"{f.name}={_show(getattr(config, f.name))}" for f in fields(config))


def cmd_evaluate(args) -> int:
    from digitlab.data import load_splits
    from digitlab.evaluate import confusion_text, evaluate
    from digitlab.store import load_model

    loaded = load_model(args.model)
    for note in loaded.notes:  # a stale sidecar, no checksum
        print(f"warning: {note}", file=sys.stderr)
    splits = load_splits(val_fraction=0.0)
    result = evaluate(loaded.model, splits.x_test, splits.y_test)
    print(f"model: {loaded.path}")
    print(f"test accuracy: {result.accuracy:.4f}  ({len(result.wrong_index)} wrong of {len(splits.y_test)})")
    print()
    print(result.report)
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(confusion_text(result.confusion))
    return 0


def expand_inputs(items: list[str]) -> list[Path]:
    """Files as given; folders replaced by the image files inside them (sorted)."""
    paths = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            paths += sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES)
        else:
            paths.append(p)
    return paths


def cmd_predict(args) -> int:
    from digitlab.predict import predict_files
    from digitlab.store import load_model

    loaded = load_model(args.model)
    for note in loaded.notes:  # a stale sidecar, no checksum
        print(f"warning: {note}", file=sys.stderr)
    paths = expand_inputs(args.files)
    if not paths:
        raise ValueError("no image files found in the given folders")
    failed = 0
    for result in predict_files(loaded.model, paths):
        failed += result.error is not None
        if args.json:
            print(json.dumps(result.to_dict()))
        elif result.error:
            print(f"{result.path}\terror: {result.error}")
        else:
            p = result.probabilities
            print(f"{result.path}\t{result.prediction}\t(p={p[result.prediction]:.3f})")
    if failed:
        print(f"{failed} of {len(paths)} file(s) could not be classified", file=sys.stderr)
    return 1 if failed else 0


def cmd_models(args) -> int:
    from digitlab.store import list_models, models_dir

    good, broken = list_models()
    print(f"models in {models_dir()}:")
    for m in good:
        acc = m.info.get("metrics", {}).get("test_accuracy")
        cfg = m.info["model"]
        print(f"  {m.name:<24} hidden={_show(tuple(cfg['hidden'])):<12} {cfg['activation']:<8}"
              f" test_acc={'?' if acc is None else f'{acc:.4f}'}  created {m.info.get('created', '?')}")
    for path, reason in broken:
        print(f"  BROKEN {path.name}: {reason}")
    if not good and not broken:
        print("  (none)")
    return 0
