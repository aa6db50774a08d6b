"""Models on disk: NAME.safetensors (weights) + NAME.json (a readable sidecar). Never pickle.

Crash safety with two files: the safetensors file is self-sufficient. Its header metadata carries
the whole sidecar (config, scaling, metrics, ...), so a model can always be rebuilt from it alone,
and it is written atomically (temp file in the same folder, fsync, os.replace). The .json is a
human-readable mirror written the same way afterwards; if a crash leaves it missing or stale (its
weights_sha256 no longer matches), loading uses the embedded copy and says so.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_bytes

from digitlab import metadata
from digitlab.metadata import FORMAT
from digitlab.model import MLP, ModelConfig

META_KEY = "digitlab"
DEFAULT_NAME = "default"
MAX_FILE_BYTES = 256 * 1024 * 1024
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FILE_SUFFIXES = (".safetensors", ".json")  # a name ending so would be read as a path (see resolve)
PROJECT_MODELS = Path(__file__).resolve().parent.parent / "models"


class ModelError(ValueError):
    """A model file that cannot be used, with a message saying why."""


@dataclass
class LoadedModel:
    model: MLP  # eval mode
    info: dict  # the sidecar: model, train, metrics, versions, created, ...
    path: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.stem


def models_dir() -> Path:
    """Where named models live: $DIGITLAB_MODELS_DIR, else the project's models/ folder."""
    return Path(os.environ.get("DIGITLAB_MODELS_DIR") or PROJECT_MODELS)


def check_name(name: str) -> str:
    """A model name is a plain file stem: letters, digits, '_', '-', '.', no '..', at most 64 chars."""
    if not NAME_RE.match(name or "") or ".." in name:
        raise ModelError(
            f"invalid model name {name!r}: use 1-64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit (no paths, no '..')"
        )
    if name.lower().endswith(FILE_SUFFIXES):
        raise ModelError(f"invalid model name {name!r}: a name can't end in .safetensors or .json "
                         f"(the files are NAME.safetensors and NAME.json); try {Path(name).stem!r}")
    return name


def check_save_name(name: str, *, allow_default: bool = False) -> str:
    """check_name, and the shipped default is not a name to save over unless explicitly allowed."""
    check_name(name)
    if name == DEFAULT_NAME and not allow_default:
        raise ModelError("'default' is the shipped model; save under another name")
    return name


def save_model(model: MLP, name: str, info: dict, *, directory: Path | None = None, overwrite: bool = False,
               allow_default: bool = False) -> Path:
    """Write NAME.safetensors + NAME.json atomically; refuses to overwrite unless asked."""
    check_save_name(name, allow_default=allow_default)
    directory = Path(directory or models_dir())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.safetensors"
    if path.exists() and not overwrite:
        raise ModelError(f"a model named {name!r} already exists in {directory}; choose another name or overwrite")
    tensors = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}  # own memory: weights may be views
    bad = [k for k, v in tensors.items() if not torch.isfinite(v).all()]
    if bad:
        raise ModelError(f"not saved: the weights contain NaN or infinite values (in {', '.join(bad)}), so the "
                         "model cannot predict anything; training diverged: try a smaller learning rate")
    sidecar = {
        "format": FORMAT,
        "name": name,
        **info,
        "model": model.config.to_dict(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    text = json.dumps(sidecar)
    problem = metadata.problem(json.loads(text))  # as a reader will see it (tuples become lists)
    if problem:
        raise ModelError(f"not saved: its metadata is invalid ({problem})")
    blob = safetensors_bytes(tensors, metadata={META_KEY: text})
    _atomic_write(path, blob)
    sidecar["weights_sha256"] = hashlib.sha256(blob).hexdigest()
    _atomic_write(path.with_suffix(".json"), (json.dumps(sidecar, indent=2) + "\n").encode())
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a model file is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _versions() -> dict:
    import safetensors
    import sklearn

    from digitlab import __version__

    return {"digitlab": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "scikit-learn": sklearn.__version__, "safetensors": safetensors.__version__}


def resolve(name_or_path: str | os.PathLike) -> Path:
    """A model name (looked up in models_dir()) or a path to a .safetensors file (or its .json)."""
    text = str(name_or_path)
    candidate = Path(text)
    bare = os.sep not in text and "/" not in text
    if bare and candidate.suffix in FILE_SUFFIXES and not candidate.with_suffix(".safetensors").is_file():
        # "default.json" typed as a name: the models folder's default, not ./default.safetensors
        path = models_dir() / f"{candidate.stem}.safetensors"
    elif candidate.suffix in FILE_SUFFIXES or not bare:
        path = candidate.with_suffix(".safetensors")
    else:
        path = models_dir() / f"{check_name(text)}.safetensors"
    if not path.is_file():
        raise ModelError(f"no model at {path}" + ("" if path.parent.is_dir() else f" (folder {path.parent} does not exist)"))
    return path


def load_model(name_or_path: str | os.PathLike = DEFAULT_NAME) -> LoadedModel:
    """Load, validate and return a model in eval mode; ModelError says what is wrong otherwise."""
    path = resolve(name_or_path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ModelError(f"{path.name} is {size / 2**20:.0f} MiB; a DigitLab model is far smaller (limit {MAX_FILE_BYTES // 2**20} MiB)")
    tensors, embedded = _read_safetensors(path)
    info, warnings = _pick_sidecar(path, embedded)
    try:
        config = ModelConfig(**{**info["model"], "hidden": tuple(info["model"]["hidden"])})
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path.name}: model config is invalid: {exc}") from exc
    with torch.device("meta"):  # shapes only: a config naming huge layers must not allocate them
        _check_tensors(path, MLP(config), tensors)
    model = MLP(config)
    model.load_state_dict(tensors)
    model.eval()
    return LoadedModel(model, info, path, warnings)


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{path.name} is not a valid safetensors file ({exc}); models are never unpickled") from exc
    try:
        embedded = json.loads(header[META_KEY])
        assert isinstance(embedded, dict) and embedded.get("format") == FORMAT
    except (KeyError, ValueError, AssertionError, RecursionError) as exc:
        raise ModelError(f"{path.name} is a safetensors file but not a DigitLab model (no '{META_KEY}' metadata)") from exc
    problem = metadata.problem(embedded)
    if problem:
        raise ModelError(f"{path.name}: its DigitLab metadata is invalid: {problem}")
    return tensors, embedded


def _pick_sidecar(path: Path, embedded: dict) -> tuple[dict, list[str]]:
    """The .json if it belongs to these exact weights, else the copy embedded in the weights file."""
    sidecar_path = path.with_suffix(".json")
    try:
        sidecar = json.loads(sidecar_path.read_text())
        if sidecar.get("weights_sha256") != hashlib.sha256(path.read_bytes()).hexdigest():
            problem = "does not match the weights (stale)"
        else:
            problem = metadata.problem(sidecar)
            if problem is None:
                return sidecar, []
            problem = f"is invalid ({problem})"
    except FileNotFoundError:
        problem = "is missing"
    except (OSError, ValueError, AttributeError, RecursionError):
        problem = "is not valid JSON"
    return embedded, [f"{sidecar_path.name} {problem}; used the metadata inside {path.name}"]


def _check_tensors(path: Path, model: MLP, tensors: dict[str, torch.Tensor]) -> None:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    missing, extra = sorted(expected.keys() - got.keys()), sorted(got.keys() - expected.keys())
    wrong = [f"{k} {got[k]} != {expected[k]}" for k in sorted(expected.keys() & got.keys()) if got[k] != expected[k]]
    if missing or extra or wrong:
        parts = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else "",
                 f"wrong shapes: {', '.join(wrong)}" if wrong else ""]
        raise ModelError(f"{path.name}: tensors do not match its config: " + "; ".join(p for p in parts if p))
    bad = [k for k, v in tensors.items() if not torch.isfinite(v).all()]
    if bad:
        raise ModelError(f"{path.name}: weights contain NaN or infinite values in {bad}")


def list_models(directory: Path | None = None) -> tuple[list[LoadedModel], list[tuple[Path, str]]]:
    """Every usable model in the folder (default first), and (path, reason) for every broken one."""
    directory = Path(directory or models_dir())
    good, broken = [], []
    for path in sorted(directory.glob("*.safetensors")) if directory.is_dir() else []:
        try:
            good.append(load_model(path))
        except ModelError as exc:
            broken.append((path, str(exc)))
    good.sort(key=lambda m: (m.name != DEFAULT_NAME, m.name))
    return good, broken


def install_model(data: bytes, name: str, *, directory: Path | None = None, max_bytes: int = MAX_FILE_BYTES) -> LoadedModel:
    """Add an uploaded .safetensors file as model `name`, after validating it completely (header,
    DigitLab metadata, tensor names and shapes, finite weights) in a scratch folder. Never
    overwrites; the sidecar is rebuilt from the metadata inside the file."""
    check_name(name)
    if len(data) > max_bytes:
        raise ModelError(f"file is {len(data) / 2**20:.1f} MiB; the limit is {max_bytes / 2**20:.0f} MiB")
    directory = Path(directory or models_dir())
    target = directory / f"{name}.safetensors"
    if target.exists():
        raise ModelError(f"a model named {name!r} already exists; choose another name")
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / "upload.safetensors"
        probe.write_bytes(data)
        loaded = load_model(probe)  # raises ModelError with the reason
    directory.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, data)
    sidecar = {**loaded.info, "name": name, "weights_sha256": hashlib.sha256(data).hexdigest()}
    _atomic_write(target.with_suffix(".json"), (json.dumps(sidecar, indent=2) + "\n").encode())
    return load_model(target)
