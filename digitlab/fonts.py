"""Handwriting fonts as digit shapes: training data for the styles people write, and a yardstick.

scikit-learn's digits come from 43 writers, and most of them wrote a closed 4, a crossed 7 and an
S-shaped 9. The way most people write those digits is barely in it. Handwriting fonts, each drawn
by a designer from a hand, bring hundreds more hands (from the npm registry's @fontsource/*).

The fonts are split once, by whole font, into three parts (digitlab/assets/font_split.json,
written by `split` before any tuning and never changed afterwards):
  * train   - rendered into the training data of the shipped model;
  * dev     - for choosing what helps and for fitting the confidence (never trained on);
  * heldout - only ever scored, as the honest stand-in for new writers (never trained or tuned on).

`python -m digitlab.fonts build` fetches the fonts with `npm pack` into a cache folder (outside
the source tree) and renders each font's ten digits once into a 96x96 shape. The shapes are
committed (digitlab/assets/font_digits_{train,dev}.npz: training, and calibrating the confidence;
tests/data/font_digits_heldout.npz: measuring), so training and tests need neither npm nor the network.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parent / "assets"
SPLIT_PATH = ASSETS / "font_split.json"
TRAIN_SHAPES = ASSETS / "font_digits_train.npz"
DEV_SHAPES = ASSETS / "font_digits_dev.npz"
HELDOUT_SHAPES = Path(__file__).resolve().parent.parent / "tests" / "data" / "font_digits_heldout.npz"
SHAPE = 96  # side of a stored digit shape; the digit's longer side fills SHAPE - 2 * PAD
PAD = 4
SPLIT_SEED = 20261130
N_HELDOUT, N_DEV = 20, 10
MAX_PLAYWRITE = 8  # the 32 Playwrite school fonts are one designer's variations: keep a few

# Handwriting fonts on @fontsource whose Latin digits are handwritten (checked on a contact sheet).
CANDIDATES = """
alex-brush allura amatic-sc annie-use-your-telescope architects-daughter bad-script beth-ellen borel
calligraffitti caveat caveat-brush cedarville-cursive chilanka comic-neue coming-soon cookie courgette
covered-by-your-grace crafty-girls cute-font damion dancing-script dawning-of-a-new-day dekko delius
delius-swash-caps east-sea-dokdo edu-nsw-act-foundation edu-qld-beginner edu-sa-beginner edu-tas-beginner
edu-vic-wa-nt-beginner farsan fuzzy-bubbles gaegu gamja-flower give-you-glory gloria-hallelujah gochi-hand
grape-nuts great-vibes handlee hi-melody homemade-apple indie-flower itim just-another-hand
just-me-again-down-here kalam kaushan-script kavivanar klee-one kristi la-belle-aurore liu-jian-mao-cao
long-cang loved-by-the-king ma-shan-zheng mali mansalva marck-script mr-dafoe mrs-saint-delafield mynerve
nanum-brush-script nanum-pen-script nerko-one neucha nothing-you-could-do over-the-rainbow pacifico
pangolin parisienne patrick-hand permanent-marker poor-story rancho reenie-beanie rock-salt sacramento
satisfy schoolbell sedgwick-ave shadows-into-light shadows-into-light-two shantell-sans short-stack
single-day sofadi-one square-peg sriracha sue-ellen-francisco swanky-and-moo-moo the-girl-next-door
waiting-for-the-sunrise walter-turncoat whisper yellowtail yomogi yuji-boku zen-kurenaido zeyada
zhi-mang-xing
""".split()
PLAYWRITE = """
playwrite-ar playwrite-at playwrite-br playwrite-ca playwrite-co playwrite-cu playwrite-cz
playwrite-de-grund playwrite-dk-loopet playwrite-es playwrite-fr-moderne playwrite-hr playwrite-hu
playwrite-id playwrite-ie playwrite-in playwrite-is playwrite-it-moderna playwrite-mx
playwrite-ng-modern playwrite-nl playwrite-no playwrite-nz playwrite-pe playwrite-pl playwrite-ro
playwrite-sk playwrite-tz playwrite-us-modern playwrite-us-trad playwrite-vn playwrite-za
""".split()


def choose_split() -> dict:
    """The one-time, seeded split by whole font (run once, before any tuning; see the module doc)."""
    rng = np.random.default_rng(SPLIT_SEED)
    playwrite = sorted(rng.choice(PLAYWRITE, MAX_PLAYWRITE, replace=False).tolist())
    fonts = sorted(CANDIDATES + playwrite)
    order = rng.permutation(len(fonts))
    heldout = sorted(fonts[i] for i in order[:N_HELDOUT])
    dev = sorted(fonts[i] for i in order[N_HELDOUT : N_HELDOUT + N_DEV])
    train = sorted(fonts[i] for i in order[N_HELDOUT + N_DEV :])
    return {"seed": SPLIT_SEED, "chosen": "2026-11-30, before any tuning; never change it",
            "train": train, "dev": dev, "heldout": heldout}


def load_split() -> dict:
    return json.loads(SPLIT_PATH.read_text())


def load_shapes(path: Path = TRAIN_SHAPES) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(N, SHAPE, SHAPE) bool digit shapes, their (N,) labels and (N,) font names."""
    with np.load(path) as f:
        shapes = np.unpackbits(f["bits"], axis=-1)[..., : SHAPE * SHAPE].reshape(-1, SHAPE, SHAPE).astype(bool)
        return shapes, f["labels"].astype(np.int64), [str(n) for n in f["fonts"]]


def render_digits(font_file: Path) -> np.ndarray:
    """The ten digits of one font as (10, SHAPE, SHAPE) bool, each scaled to fit and centred."""
    from PIL import Image, ImageFont

    font = ImageFont.truetype(str(font_file), 160)
    out = np.zeros((10, SHAPE, SHAPE), bool)
    for digit in range(10):
        mask = font.getmask(str(digit))
        ink = np.asarray(mask, np.uint8).reshape(mask.size[1], mask.size[0]) > 127
        rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
        if not len(rows):
            raise ValueError(f"{font_file.name} has no glyph for {digit}")
        ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        scale = (SHAPE - 2 * PAD) / max(ink.shape)
        h, w = max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale))
        small = np.asarray(Image.fromarray(ink.astype(np.uint8) * 255).resize((w, h), Image.Resampling.LANCZOS)) > 127
        top, left = (SHAPE - h) // 2, (SHAPE - w) // 2
        out[digit, top : top + h, left : left + w] = small
    return out


def fetch(name: str, cache: Path) -> Path:
    """The font's Latin regular (weight 400, else the nearest) from `npm pack @fontsource/NAME`."""
    folder = cache / name
    found = sorted(folder.glob("*.woff2")) if folder.is_dir() else []
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", "--silent", f"@fontsource/{name}"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
            with tarfile.open(next(Path(tmp).glob("*.tgz"))) as tar:
                for member in tar.getmembers():
                    base = Path(member.name).name
                    if (base.startswith(f"{name}-latin-") and base.endswith("-normal.woff2")) or base == "LICENSE":
                        member.name = base
                        tar.extract(member, folder, filter="data")
        found = sorted(folder.glob("*.woff2"))
    if not found:
        raise ValueError(f"@fontsource/{name} has no Latin font file")
    return min(found, key=lambda p: abs(int(p.name.split("-latin-")[1].split("-")[0]) - 400))


def _save(path: Path, fonts: list[str], cache: Path) -> None:
    shapes, labels, names = [], [], []
    for i, name in enumerate(fonts, 1):
        print(f"  [{i}/{len(fonts)}] {name}", file=sys.stderr)
        shapes.append(render_digits(fetch(name, cache)))
        labels += list(range(10))
        names += [name] * 10
    flat = np.concatenate(shapes).reshape(len(labels), -1)
    np.savez_compressed(path, bits=np.packbits(flat, axis=-1), labels=np.array(labels, np.uint8),
                        fonts=np.array(names))
    print(f"wrote {len(labels)} digit shapes from {len(fonts)} fonts to {path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitlab.fonts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("split", "build"),
                        help="split: write the font split (once, refuses to overwrite); build: fetch and render")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "digitlab" / "fonts",
                        help="where npm's font packages are unpacked (default: ~/.cache/digitlab/fonts)")
    args = parser.parse_args(argv)
    if args.command == "split":
        if SPLIT_PATH.exists():
            print(f"{SPLIT_PATH} exists: the split is fixed once chosen", file=sys.stderr)
            return 1
        ASSETS.mkdir(exist_ok=True)
        SPLIT_PATH.write_text(json.dumps(choose_split(), indent=1) + "\n")
        return 0
    split = load_split()
    for part, path in (("train", TRAIN_SHAPES), ("dev", DEV_SHAPES), ("heldout", HELDOUT_SHAPES)):
        _save(path, split[part], args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
