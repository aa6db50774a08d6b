"""Accuracy on the dataset's test split AND on drawn digits, shipped model vs a seed-style baseline.

The drawn set (tests/data/drawn_set.py, 600 canvas-style drawings in varied habits, never trained
on) is what people actually draw. The baseline is the seed setup (128-64 MLP, Adam, 10 epochs, no
augmentation) fed the way most canvas apps feed it: the whole canvas resized to 8x8.

    python benchmarks/drawn_accuracy.py [--model NAME_OR_PATH]
"""
import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from digitlab.data import load_splits  # noqa: E402
from digitlab.evaluate import confusion_text, evaluate  # noqa: E402
from digitlab.model import predict_proba  # noqa: E402
from digitlab.preprocess import ink_map, preprocess  # noqa: E402
from digitlab.store import load_model  # noqa: E402
from digitlab.train import PRESETS, fit, prepare  # noqa: E402
from tests.data.drawn_set import images  # noqa: E402


def naive_resize(image: np.ndarray) -> np.ndarray:
    """What most canvas demos do: shrink the whole canvas to 8x8 and scale ink to 0-16."""
    small = Image.fromarray(ink_map(image)).resize((8, 8), Image.Resampling.BOX)
    return (np.asarray(small) * 16).reshape(64).astype(np.float32)


def drawn_inputs(reduce) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    xs, ys, items = [], [], []
    for image, label, item in images():
        xs.append(reduce(image))
        ys.append(label)
        items.append(item)
    return np.stack(xs), np.array(ys), items


def ours(image: np.ndarray) -> np.ndarray:
    pre = preprocess(image)
    return pre.features if not pre.empty else np.zeros(64, np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default", help="the model to score against the baseline")
    args = parser.parse_args()
    torch.set_num_threads(1)
    splits = load_splits(0.0)
    shipped = load_model(args.model).model
    config = PRESETS["seed"]
    baseline, base_splits = prepare(config)
    for _ in fit(baseline, base_splits, config):
        pass
    x_naive, y, items = drawn_inputs(naive_resize)
    x_ours, _, _ = drawn_inputs(ours)

    rows = [("seed baseline", "naive resize", baseline, x_naive), ("seed baseline", "digitlab", baseline, x_ours),
            (f"{args.model}", "digitlab", shipped, x_ours)]
    print(f"{'model':<16}{'drawings reduced by':<22}{'test split':>12}{'drawn set':>12}")
    for name, how, model, x in rows:
        test = evaluate(model, splits.x_test, splits.y_test).accuracy
        drawn = evaluate(model, x, y)
        print(f"{name:<16}{how:<22}{test:>12.4f}{drawn.accuracy:>12.4f}")
    result = evaluate(shipped, x_ours, y)
    pred = predict_proba(shipped, x_ours).argmax(1)
    print(f"\ndrawn set: {len(y)} drawings, {len(y) // 10} per digit; accuracy of {args.model} by how the canvas hands it over and by habit:")
    _breakdown(pred, y, items, "background")
    _breakdown(pred, y, items, "style", with_label=True)
    print(f"\nconfusion matrix of {args.model} on the drawn set (rows: true digit, columns: predicted):")
    print(confusion_text(result.confusion))


def _breakdown(pred, y, items, key, with_label=False) -> None:
    hits = defaultdict(list)
    for p, t, item in zip(pred, y, items):
        hits[(t, item[key]) if with_label else item[key]].append(p == t)
    parts = [f"{(f'{k[0]} {k[1]}' if with_label else k)}: {np.mean(v):.0%}" for k, v in sorted(hits.items())]
    for i in range(0, len(parts), 6):
        print("  " + " | ".join(parts[i : i + 6]))


if __name__ == "__main__":
    main()
