"""Models on disk: NAME.safetensors (weights) + NAME.json (a readable sidecar). Never pickle.

Crash safety with two files: the safetensors file is self-sufficient. Its header metadata carries
the whole sidecar (config, scaling, metrics, ...), so a model can always be rebuilt from it alone,
and it is written atomically (temp file in the same folder, fsync, os.replace). The .json is a
human-readable mirror written the same way afterwards; if a crash leaves it missing or stale (its
weights_sha256 no longer matches), loading uses the embedded copy and says so.

Integrity: the embedded metadata carries `tensors_sha256`, a SHA-256 of every tensor's name, dtype,
shape and bytes (see tensors_sha256). Loading recomputes it and refuses a file whose weights no
longer match (DamagedModelError), so a flipped bit is never silently predicted with. A model saved
before checksums existed has none: it loads, with `unchecked` saying so (CLI and Models page show it).

Owners (digitlab/ownership.py): a model saved or uploaded from a page carries its owner in its
metadata ("owner", "owner_name"); only the owner (or a manager) may save over it or delete it. The
pages say who is acting with `with acting_as(actor): ...` around a save (the Train page saves
through its job, which knows nothing of owners) or pass `actor=`; without either the actor is
ownership.OPERATOR, the command line, who may do anything. A model without an owner (the shipped
default, a command-line save, an older file) belongs to nobody: only a manager replaces it.

No process-wide state is touched: files are created with os.open(..., 0o666), so the umask applies
as it does to any file (never os.umask, which would race other threads of a server).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import struct
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_bytes

from digitlab import metadata, ownership
from digitlab.metadata import FORMAT
from digitlab.ownership import OPERATOR, Actor
from digitlab.model import MLP, ModelConfig, state_shapes
from digitlab.paths import PROJECT_MODELS, models_dir  # noqa: F401 (PROJECT_MODELS: callers' name for it)

META_KEY = "digitlab"
DEFAULT_NAME = "default"
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32  # metadata nesting; DigitLab's own is 3 levels deep
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FILE_SUFFIXES = (".safetensors", ".json")  # a name ending so would be read as a path (see resolve)


class ModelError(ValueError):
    """A model file that cannot be used, with a message saying why."""


class DamagedModelError(ModelError):
    """A model file whose weights no longer match the checksum saved with them."""


UNCHECKED = ("no checksum: saved by an older DigitLab, so damage to its weights would go unnoticed; "
             "re-save it (train again, or save a copy) to protect it")
CHECKSUM_KEY = "tensors_sha256"


@dataclass
class LoadedModel:
    model: MLP  # eval mode
    info: dict  # the sidecar: model, train, metrics, versions, created, ...
    path: Path
    warnings: list[str] = field(default_factory=list)  # about the sidecar: missing, stale, invalid
    unchecked: str | None = None  # UNCHECKED when the file carries no checksum (an older DigitLab's)

    @property
    def notes(self) -> list[str]:
        """Everything a person should be told about this file: sidecar warnings, a missing checksum."""
        return self.warnings + ([self.unchecked] if self.unchecked else [])

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def owner(self) -> str | None:
        return self.info.get("owner")


_ACTOR: ContextVar[Actor | None] = ContextVar("digitlab_store_actor", default=None)


@contextmanager
def acting_as(actor: Actor | None):
    """Saves in this block (in this thread) are `actor`'s: they carry its owner, and replacing a
    model needs its permission (ownership.may_replace_model)."""
    token = _ACTOR.set(actor)
    try:
        yield actor
    finally:
        _ACTOR.reset(token)


def _actor(actor: Actor | None) -> Actor:
    return actor or _ACTOR.get() or OPERATOR


def _owner_fields(actor: Actor) -> dict:
    """The metadata naming the actor as owner; {} for nobody (the command line)."""
    if not actor.owner or not ownership.OWNER_RE.match(actor.owner):
        return {}
    name = ownership.clean_name(actor.name)
    return {"owner": actor.owner, **({"owner_name": name} if name else {})}


def owner_of_file(path: Path) -> tuple[bool, str | None]:
    """(readable, owner) of a saved model file, from its embedded metadata (no weights are
    checked). A file that cannot be read as a DigitLab model belongs to nobody."""
    try:
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if length > MAX_FILE_BYTES:
                return False, None
            header = json.loads(f.read(length)).get("__metadata__") or {}
        owner = json.loads(header[META_KEY]).get("owner")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, struct.error, RecursionError):
        return False, None
    return True, owner if isinstance(owner, str) and ownership.OWNER_RE.match(owner) else None


def check_may_replace(path: Path, actor: Actor | None = None) -> None:
    """ModelError unless `actor` may save over or delete the model at `path`."""
    actor = _actor(actor)
    if actor.manages_all or not path.exists():
        return
    _readable, owner = owner_of_file(path)
    if not ownership.may_replace_model(actor, owner):
        whose = "nobody (only the teacher may replace it)" if owner is None else "someone else"
        raise ModelError(f"the model {path.stem!r} belongs to {whose}; save under another name")


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
               allow_default: bool = False, actor: Actor | None = None) -> Path:
    """Write NAME.safetensors + NAME.json atomically; refuses to overwrite unless asked, and then
    unless the actor (see acting_as) may replace the model there. A page's actor becomes its owner."""
    check_save_name(name, allow_default=allow_default)
    actor = _actor(actor)
    directory = Path(directory or models_dir())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.safetensors"
    if path.exists() and not overwrite:
        raise _taken(name, directory)
    if overwrite:
        check_may_replace(path, actor)
    if actor is not OPERATOR:  # a page's save: the model is its actor's (nobody's, if it has no owner)
        info = {k: v for k, v in info.items() if k not in ("owner", "owner_name")} | _owner_fields(actor)
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
        CHECKSUM_KEY: tensors_sha256(tensors),
    }
    text = json.dumps(sidecar)
    problem = metadata.problem(json.loads(text))  # as a reader will see it (tuples become lists)
    if problem:
        raise ModelError(f"not saved: its metadata is invalid ({problem})")
    blob = safetensors_bytes(tensors, metadata={META_KEY: text})
    try:
        _atomic_write(path, blob, replace=overwrite)
    except FileExistsError:  # another save or upload took the name since the check above
        raise _taken(name, directory) from None
    sidecar["weights_sha256"] = hashlib.sha256(blob).hexdigest()
    _atomic_write(path.with_suffix(".json"), (json.dumps(sidecar, indent=2) + "\n").encode())
    return path


def tensors_sha256(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 of the weights themselves: every tensor's name, dtype and shape, then its bytes, in
    name order. Independent of how a file lays them out, so it checks exactly what gets loaded."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        digest.update(json.dumps([name, str(t.dtype), list(t.shape)]).encode() + b"\n")
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _taken(name: str, directory: Path) -> ModelError:
    return ModelError(f"a model named {name!r} already exists in {directory}; choose another name or overwrite")


# Fault injection for tests/test_crash_safety.py: called as hook(final_path, temp_path) after half
# of a file's bytes are written (and flushed) to its temp file, e.g. to SIGKILL the process there.
_partial_write_hook = None


def _atomic_write(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write `data` to a temp file next to `path`, fsync it, then publish it under `path` in one
    step: os.replace (replace=True), or os.link, which fails with FileExistsError instead of
    replacing (replace=False; so of two writers racing for a free name exactly one wins). Readers
    see the old file or the whole new one, never part of one."""
    tmp = _create_temp(path)
    try:
        fd = os.open(tmp, os.O_WRONLY)
        with os.fdopen(fd, "wb") as f:
            half = len(data) // 2
            f.write(data[:half])
            if _partial_write_hook is not None:
                f.flush()
                _partial_write_hook(path, tmp)
            f.write(data[half:])
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # atomic and exclusive: FileExistsError if the name is taken
            tmp.unlink()
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_temp(path: Path) -> Path:
    """A new, empty temp file beside `path` with ordinary permissions: mode 0o666 through the
    process's umask, as open() would give (mkstemp's 0600 would need a chmod, and reading the umask
    needs os.umask, which changes it process-wide for a moment)."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); not every platform can open a folder."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
    """Load, validate and return a model in eval mode; ModelError says what is wrong otherwise
    (DamagedModelError when its weights don't match their checksum)."""
    path = resolve(name_or_path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ModelError(f"{path.name} is {size / 2**20:.0f} MiB; a DigitLab model is far smaller (limit {MAX_FILE_BYTES // 2**20} MiB)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path.name} cannot be read ({exc})") from exc
    return load_model_bytes(data, path)


def load_model_bytes(data: bytes, path: Path, *, sidecar: bool = True) -> LoadedModel:
    """THE validation, on a file's bytes: safetensors format, DigitLab metadata, the checksum,
    the schema, tensor names and shapes, finite weights. `path` names the file in messages and,
    with sidecar=True, is where its NAME.json is looked for."""
    path = Path(path)
    tensors, embedded = _read_safetensors(data, path.name)
    unchecked = _verify_checksum(tensors, embedded, path.name)
    problem = metadata.problem(embedded)
    if problem:
        raise ModelError(f"{path.name}: its DigitLab metadata is invalid: {problem}")
    info, warnings = _pick_sidecar(path, embedded, data) if sidecar else (embedded, [])
    try:
        config = ModelConfig(**{**info["model"], "hidden": tuple(info["model"]["hidden"])})
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path.name}: model config is invalid: {exc}") from exc
    _check_tensors(path, state_shapes(config), tensors)
    model = MLP(config)
    model.load_state_dict(tensors)
    model.eval()
    return LoadedModel(model, info, path, warnings, unchecked)


def _read_safetensors(data: bytes, filename: str) -> tuple[dict[str, torch.Tensor], dict]:
    try:
        tensors = safetensors_load(data)  # validates the header and that the tensors fill the data exactly
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + length]).get("__metadata__") or {}
    except (SafetensorError, OSError, ValueError, RuntimeError, struct.error, AttributeError) as exc:
        raise ModelError(f"{filename} is not a valid safetensors file ({exc}); models are never unpickled") from exc
    try:
        embedded = json.loads(header[META_KEY])
        assert isinstance(embedded, dict) and embedded.get("format") == FORMAT
    except (KeyError, TypeError, ValueError, AssertionError, RecursionError) as exc:
        raise ModelError(f"{filename} is a safetensors file but not a DigitLab model (no '{META_KEY}' metadata)") from exc
    if _nested_deeper_than(embedded, MAX_DEPTH):  # json.loads alone stops only at the recursion limit
        raise ModelError(f"{filename} is a safetensors file but not a DigitLab model (its '{META_KEY}' metadata "
                         f"is nested more than {MAX_DEPTH} levels deep)")
    return tensors, embedded


def _nested_deeper_than(value, limit: int) -> bool:
    """Without recursion, so any depth is safe to ask about."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _verify_checksum(tensors: dict[str, torch.Tensor], embedded: dict, filename: str) -> str | None:
    """Raise DamagedModelError if the weights don't match the checksum saved with them; return
    UNCHECKED if the file has none (an older DigitLab's), None if it matched."""
    saved = embedded.get(CHECKSUM_KEY)
    if saved is None:
        return UNCHECKED
    if not isinstance(saved, str):
        return None  # the schema check that follows says what is wrong with it
    if tensors_sha256(tensors) != saved:
        raise DamagedModelError(
            f"{filename} is damaged: its weights do not match the checksum saved with them ({CHECKSUM_KEY}), "
            "so the file changed after it was saved (a disk or copy error, or an edit); it was not loaded. "
            "Download or train it again.")
    return None


def _pick_sidecar(path: Path, embedded: dict, data: bytes) -> tuple[dict, list[str]]:
    """The .json if it belongs to these exact weights, else the copy embedded in the weights file."""
    sidecar_path = path.with_suffix(".json")
    try:
        sidecar = json.loads(sidecar_path.read_text())
        if sidecar.get("weights_sha256") != hashlib.sha256(data).hexdigest():
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


def _check_tensors(path: Path, expected: dict[str, tuple[int, ...]], tensors: dict[str, torch.Tensor]) -> None:
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


def install_model(data: bytes, name: str, *, directory: Path | None = None, max_bytes: int = MAX_FILE_BYTES,
                  actor: Actor | None = None) -> LoadedModel:
    """Add an uploaded .safetensors file as model `name`, after validating it completely (header,
    DigitLab metadata, checksum, tensor names and shapes, finite weights) from its bytes. Never
    overwrites, even when two uploads race for one name: the file is published with os.link, which
    only one of them can win. The sidecar is rebuilt from the metadata inside the file. An upload
    from a page is its actor's: the owner inside the file is rewritten (weights and their checksum
    untouched), so an uploaded file never keeps someone else's owner."""
    check_name(name)
    actor = _actor(actor)
    if len(data) > max_bytes:
        raise ModelError(f"file is {len(data) / 2**20:.1f} MiB; the limit is {max_bytes / 2**20:.0f} MiB")
    directory = Path(directory or models_dir())
    target = directory / f"{name}.safetensors"
    if target.exists():
        raise ModelError(f"a model named {name!r} already exists; choose another name")
    loaded = load_model_bytes(data, Path("upload.safetensors"), sidecar=False)  # raises ModelError with the reason
    info = loaded.info
    if actor is not OPERATOR:
        data, info = _with_owner(data, info, _owner_fields(actor))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        _atomic_write(target, data, replace=False)
    except FileExistsError:
        raise ModelError(f"a model named {name!r} already exists (added just now, by another upload); "
                         "choose another name") from None
    sidecar = {**info, "name": name, "weights_sha256": hashlib.sha256(data).hexdigest()}
    _atomic_write(target.with_suffix(".json"), (json.dumps(sidecar, indent=2) + "\n").encode())
    return load_model(target)


def _with_owner(data: bytes, info: dict, owner: dict) -> tuple[bytes, dict]:
    """The same safetensors file, and its metadata, with the owner replaced by `owner` ({}: nobody)."""
    new = {k: v for k, v in info.items() if k not in ("owner", "owner_name")} | owner
    if new == info:
        return data, info
    return safetensors_bytes(safetensors_load(data), metadata={META_KEY: json.dumps(new)}), new


def delete_model(name: str, *, directory: Path | None = None, actor: Actor | None = None) -> None:
    """Delete model `name` (its .safetensors, then its .json), if `actor` may: never the shipped
    default from here; a page's actor only their own (a manager any). ModelError says why not."""
    check_name(name)
    if name == DEFAULT_NAME:
        raise ModelError("'default' is the shipped model; it cannot be deleted")
    directory = Path(directory or models_dir())
    path = directory / f"{name}.safetensors"
    if not path.exists():
        raise ModelError(f"no model named {name!r}")
    check_may_replace(path, actor)
    path.unlink(missing_ok=True)  # gone from every picker at once; the sidecar alone is never listed
    path.with_suffix(".json").unlink(missing_ok=True)
    _fsync_dir(directory)
