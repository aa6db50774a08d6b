"""Process-wide, cached resources for the pages: loaded models and the model catalogue."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from digitlab.store import DEFAULT_NAME, LoadedModel, ModelError, list_models, load_model, models_dir


@st.cache_resource(max_entries=32, show_spinner=False)
def _load(path: str, mtime_ns: int) -> LoadedModel:
    # Shared by every session: inference only, eval mode. mtime in the key: a re-saved model reloads.
    return load_model(path)


def get_model(name: str) -> LoadedModel:
    path = models_dir() / f"{name}.safetensors"
    return _load(str(path), path.stat().st_mtime_ns)


@st.cache_data(max_entries=16, show_spinner=False)
def model_catalogue(folder: str, signature: tuple = ()) -> tuple[list[dict], list[tuple[str, str]]]:
    """Names, configs and accuracies of the usable models, plus (file, reason) for broken ones.
    `signature` (the folder's file names, sizes and mtimes) is in the cache key: any change to the
    folder - a save, an upload, a copy from outside - makes a fresh listing, and nothing else does."""
    good, broken = list_models(Path(folder))
    # Every field read here has the type digitlab.metadata's schema gives it (list_models checks it).
    rows = [{"name": m.name, "hidden": list(m.info["model"]["hidden"]), "activation": m.info["model"]["activation"],
             "test_accuracy": m.info.get("metrics", {}).get("test_accuracy"),
             "epochs_run": m.info.get("metrics", {}).get("epochs_run"), "created": m.info.get("created", ""),
             "train": m.info.get("train", {}), "unchecked": m.unchecked} for m in good]
    return rows, [(p.name, reason) for p, reason in broken]


def catalogue() -> tuple[list[dict], list[tuple[str, str]]]:
    folder = models_dir()
    try:
        signature = tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(folder)
                                 if e.name.endswith((".safetensors", ".json"))))
    except OSError:
        signature = ()
    return model_catalogue(str(folder), signature)


def session_alive():
    """A check that this browser session is still connected, for a job's owner_alive (None outside
    a Streamlit server, e.g. in AppTest: then nobody watches)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    instance, session_id = runtime.get_instance(), ctx.session_id
    return lambda: bool(instance.is_active_session(session_id))


__all__ = ["DEFAULT_NAME", "ModelError", "catalogue", "get_model", "session_alive"]
