"""THE path from any drawing to the model's input: 8x8 counts of 0-16, made the way the dataset was.

scikit-learn's digits (UCI optdigits) were made by NIST's programs: each scanned digit was
normalized into a 32x32 binary bitmap, the bitmap cut into non-overlapping 4x4 blocks, and the
"on" pixels of each block counted (0-16). Measured on the 1797 digits (see tests/test_preprocess.py):
  * every digit spans all 8 rows: height is stretched to the full 32 px;
  * width is 6 blocks for almost every digit (px ~6..25, a 20 px box centred at x=16); narrow
    digits such as 1s are narrower, so width keeps the aspect ratio up to that 20 px cap;
  * ink covers 30-32% of the 1024 pixels for every class: stroke width was normalized too.
We reproduce exactly those three facts; a naive "resize the canvas to 8x8" reproduces none.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

BOX = 32  # the dataset's bitmap side
MAX_WIDTH = 20  # widest a digit sits in the 32x32 box (measured: blocks 1..6 inked)
TARGET_INK = 313  # mean on-pixels per 32x32 bitmap in the dataset (~0.31 * 1024, measured)
MIN_CONTRAST = 0.15  # a "drawing" fainter than this against its background is blank paper
SPECK_FRACTION = 0.10  # ink whose extent is under 10% of the image side is a speck, not a digit
MIN_SIDE = 8
FINE = 4  # strokes are resized and re-thickened at 4x the bitmap's resolution, then cut to 32x32
MAJORITY = FINE * FINE // 2 + 1  # fine pixels of a cell that must be ink for its bitmap pixel to be on
MAX_PIXELS = 16_000_000  # ~4000x4000; bigger files are refused before decoding (decompression bombs)


@dataclass(frozen=True)
class Preprocessed:
    """The model input and the steps that made it, for display. features is None when empty."""

    ink: np.ndarray  # (H, W) float 0..1: how much each input pixel is ink
    crop: np.ndarray | None  # the ink's bounding box cut out of `ink`
    bitmap: np.ndarray | None  # (32, 32) uint8 0/1, the dataset's normalized bitmap
    grid: np.ndarray | None  # (8, 8) uint8 0..16, the model input as an image

    @property
    def empty(self) -> bool:
        return self.grid is None

    @property
    def features(self) -> np.ndarray | None:
        """The flat (64,) float32 model input on the dataset's 0-16 scale."""
        return None if self.grid is None else self.grid.reshape(64).astype(np.float32)


def load_image(source: str | os.PathLike | bytes) -> np.ndarray:
    """Read a PNG/JPEG/... file (path or bytes) into an RGBA uint8 array; clear ValueError if not an image."""
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read file: {exc.strerror or exc}") from exc
    if not data:
        raise ValueError("file is empty (0 bytes)")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise ValueError(f"image too large: {img.width}x{img.height} px (max {MAX_PIXELS:,} pixels)")
            img.seek(0)  # first frame of an animation
            img = ImageOps.exif_transpose(img)
            if img.mode.startswith("I;16") or img.mode in ("I", "F"):
                # 16-bit/float grey: scale to 8 bits ourselves; convert() would clip at 255.
                arr = np.asarray(img, dtype=np.float64)
                return to_uint8_gray(arr)
            return np.asarray(img.convert("RGBA"))
    except Image.DecompressionBombError as exc:
        raise ValueError(f"image too large to open safely ({exc})") from exc
    except UnidentifiedImageError:  # its own text names a BytesIO object at some address: no use to anyone
        raise ValueError("not a readable image: not PNG, JPEG or another format Pillow knows") from None
    except (OSError, SyntaxError, EOFError) as exc:
        raise ValueError(f"not a readable image: {exc}") from exc


def to_uint8_gray(arr: np.ndarray) -> np.ndarray:
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    return np.round((arr - lo) / (hi - lo) * 255).astype(np.uint8)


def ink_map(image: np.ndarray) -> np.ndarray:
    """Any grey / RGB / RGBA array -> (H, W) float32 in 0..1 where 1 is ink.

    Transparent background (the canvas without a background colour): alpha is the ink.
    Opaque: the background is the border's median brightness; ink is whatever differs from it,
    so dark-on-light and light-on-dark both work without being told which.
    """
    arr = _as_float_channels(image)
    h, w, c = arr.shape
    if c in (2, 4):
        alpha = arr[..., -1]
        if np.median(_border(alpha)) < 0.5:
            return alpha.astype(np.float32)
        # Over white; the canvas's own images are opaque, where that changes nothing.
        opaque = alpha.min() == 1  # (a contiguous copy then: the same sums, to the last bit, as composited)
        colour = np.ascontiguousarray(arr[..., :-1]) if opaque else arr[..., :-1] * alpha[..., None] + (1 - alpha[..., None])
    else:
        colour = arr
    lum = colour @ np.array([0.299, 0.587, 0.114], np.float32) if colour.shape[-1] == 3 else colour[..., 0]
    diff = np.abs(lum - np.median(_border(lum)))
    return np.clip(diff / max(float(diff.max()), MIN_CONTRAST), 0, 1).astype(np.float32)


def _as_float_channels(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"expected a grey, RGB or RGBA image array, got shape {np.asarray(image).shape}")
    if min(arr.shape[:2]) < MIN_SIDE:
        raise ValueError(f"image too small: {arr.shape[1]}x{arr.shape[0]} px (need at least {MIN_SIDE}x{MIN_SIDE})")
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise ValueError(f"image too large: {arr.shape[1]}x{arr.shape[0]} px")
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer):
        top = 255 if arr.max(initial=0) <= 255 and arr.dtype.itemsize == 1 else max(int(arr.max(initial=0)), 1)
        if arr.min(initial=0) < 0:
            raise ValueError("image has negative pixel values")
        return arr.astype(np.float32) / np.float32(top)  # float32: half the memory traffic of float64
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ValueError("image contains NaN or infinite values")
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0 or hi > 255:
            raise ValueError(f"float image values must lie in 0..1 (or 0..255), got {lo:g}..{hi:g}")
        return arr.astype(np.float32) / np.float32(255.0 if hi > 1 else 1.0)
    raise ValueError(f"unsupported pixel type {arr.dtype}")


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def fit_to_box(crop: np.ndarray) -> np.ndarray:
    """Cropped ink -> the dataset's 32x32 binary bitmap: full height, width by aspect up to 20 px,
    centred; then the strokes are thinned or thickened until the ink count matches the dataset's."""
    h, w = crop.shape
    width = int(np.clip(round(BOX * w / h), 1, MAX_WIDTH))
    side = BOX * FINE
    scaled = Image.fromarray(crop.astype(np.float32), mode="F").resize((width * FINE, side), Image.Resampling.BILINEAR)
    fine = np.zeros((side, side), bool)
    left = (BOX - width) // 2 * FINE
    fine[:, left : left + width * FINE] = np.asarray(scaled) > 0.5
    return _normalize_stroke(fine)


def _normalize_stroke(fine: np.ndarray) -> np.ndarray:
    """Grow or shrink every stroke by the same distance r (a signed distance field, so r is
    continuous, not whole pixels), picking the r whose 32x32 bitmap has the dataset's ink count."""
    signed = ndimage.distance_transform_edt(~fine) - ndimage.distance_transform_edt(fine)  # <0 inside ink
    radii = np.arange(-2.0 * FINE, 6.0 * FINE + 0.01, 0.25 * FINE)
    # A 32x32 pixel is on at radius r when most of its FINE x FINE cell is ink (signed <= r), i.e.
    # when the cell's MAJORITY-th smallest signed distance is <= r: one partition per cell instead
    # of one mask per radius (the same comparisons, so the same bitmaps, ~10x less work).
    cells = signed.reshape(BOX, FINE, BOX, FINE).transpose(0, 2, 1, 3).reshape(BOX, BOX, FINE * FINE)
    on_from = np.partition(cells, MAJORITY - 1, axis=-1)[..., MAJORITY - 1]
    counts = np.searchsorted(np.sort(on_from, axis=None), radii, side="right")
    cost = np.where(counts > 0, np.abs(counts - TARGET_INK), np.inf) + 1e-3 * np.abs(radii)  # ties: least change
    return (on_from <= radii[int(np.argmin(cost))]).astype(np.uint8)


def blocks(bitmap: np.ndarray) -> np.ndarray:
    """(32, 32) 0/1 -> (8, 8) counts of on-pixels per 4x4 block, 0..16."""
    return bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3)).astype(np.uint8)


def preprocess(drawing: np.ndarray | str | os.PathLike | bytes) -> Preprocessed:
    """A drawing (array, image path or bytes) -> its 8x8 model input plus intermediate steps.

    Raises ValueError with a readable message for input that is not an image at all; a blank
    canvas or a speck is not an error but comes back `empty`.
    """
    image = drawing if isinstance(drawing, np.ndarray) else load_image(drawing)
    ink = ink_map(image)
    on = ink > 0.5
    if not on.any():
        return Preprocessed(ink, None, None, None)
    rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if max(bottom - top, right - left) < SPECK_FRACTION * max(ink.shape):
        return Preprocessed(ink, None, None, None)
    crop = ink[top:bottom, left:right]
    bitmap = fit_to_box(crop)
    return Preprocessed(ink, crop, bitmap, blocks(bitmap))
