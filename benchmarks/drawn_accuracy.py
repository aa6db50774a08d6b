"""How well a model reads what people draw, on four yardsticks side by side, against the seed baseline.

  test split        scikit-learn's digits, the fixed 20% test split (the dataset's own writers)
  drawn (dev)       tests/support/drawn_set.py: 600 synthetic canvas drawings. The preprocessing and
                    augmentation were tuned on it, so it is a DEVELOPMENT set, not a held-out one
  fonts (dev)       10 handwriting fonts, 3,000 renderings: levers were chosen and the confidence
                    fitted on them (digitlab/calibrate.py), so also DEVELOPMENT
  fonts (held out)  20 other fonts, 1,000 renderings, split off before any tuning and never trained
                    or tuned on: the honest stand-in for new writers (tests/support/font_set.py)

The seed baseline is the 128-64 Adam net trained for 10 epochs on the dataset alone, fed through the
same preprocessing. "unsure" is digitlab.model.is_unsure, the Draw page's and the CLI's one rule:
the share of wrong answers it flags (goal >= 60% on the held-out fonts) and of right answers it
flags (goal <= 10%).

    python benchmarks/drawn_accuracy.py [--model NAME_OR_PATH]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from digitlab.data import load_splits  # noqa: E402
from digitlab.evaluate import confusion_text  # noqa: E402
from digitlab.model import UNSURE_BELOW, is_unsure, predict_proba  # noqa: E402
from digitlab.preprocess import preprocess  # noqa: E402
from digitlab.store import load_model  # noqa: E402
from digitlab.train import PRESETS, fit, prepare  # noqa: E402
from tests.support import drawn_set, font_set  # noqa: E402


def drawn_features() -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for image, label, _ in drawn_set.images():
        pre = preprocess(image)
        xs.append(pre.features if not pre.empty else np.zeros(64, np.float32))
        ys.append(label)
    return np.stack(xs), np.array(ys)


def yardsticks() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    splits = load_splits(0.0)
    return {"test split": (splits.x_test, splits.y_test), "drawn (dev)": drawn_features(),
            "fonts (dev)": font_set.features("dev")[:2], "fonts (held out)": font_set.features("heldout")[:2]}


def seed_baseline():
    config = PRESETS["seed"]
    model, splits = prepare(config)
    for _ in fit(model, splits, config):
        pass
    return model


def unsure_rates(probs: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(share of wrong answers flagged unsure, share of right answers flagged unsure)."""
    right, flagged = probs.argmax(1) == y, is_unsure(probs)
    return float(flagged[~right].mean()) if (~right).any() else 0.0, float(flagged[right].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default", help="the model to score against the baseline")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sets = yardsticks()
    models = {"seed baseline": seed_baseline(), args.model: load_model(args.model).model}
    probs = {(m, s): predict_proba(model, x) for m, model in models.items() for s, (x, _) in sets.items()}

    print("accuracy (all four through digitlab.preprocess)")
    print(f"{'model':<16}" + "".join(f"{s:>18}" for s in sets))
    for m in models:
        print(f"{m:<16}" + "".join(f"{(probs[m, s].argmax(1) == y).mean():>18.4f}" for s, (_, y) in sets.items()))

    print(f"\nunsure (top probability < {UNSURE_BELOW}): wrong answers flagged / right answers flagged")
    print(f"{'model':<16}" + "".join(f"{s:>18}" for s in sets))
    for m in models:
        cells = [unsure_rates(probs[m, s], y) for s, (_, y) in sets.items()]
        print(f"{m:<16}" + "".join(f"{f'{w:.0%} / {r:.0%}':>18}" for w, r in cells))

    for s in ("fonts (dev)", "fonts (held out)"):
        y = sets[s][1]
        print(f"\nrecall per digit on {s}")
        print(f"{'model':<16}" + "".join(f"{d:>6}" for d in range(10)))
        for m in models:
            pred = probs[m, s].argmax(1)
            print(f"{m:<16}" + "".join(f"{(pred[y == d] == d).mean():>6.2f}" for d in range(10)))

    y = sets["fonts (held out)"][1]
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (y, probs[args.model, "fonts (held out)"].argmax(1)), 1)
    print(f"\nconfusion matrix of {args.model} on the held-out fonts (rows: true digit, columns: predicted):")
    print(confusion_text(confusion))


if __name__ == "__main__":
    main()
