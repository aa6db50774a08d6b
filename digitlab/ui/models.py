"""Models: every saved model with its config and accuracy; download one (as safetensors or ONNX),
upload one (fully validated before it can be picked on the Draw page), or delete one. With a teacher
key set (digitlab/ownership.py) the table says whose each model is, and a person deletes only their
own (the teacher any); the shipped default is never deleted from here."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from digitlab import ownership
from digitlab.export import ExportError, onnx_bytes
from digitlab.ownership import Actor
from digitlab.store import DEFAULT_NAME, ModelError, delete_model, install_model, models_dir
from digitlab.ui import identity
from digitlab.ui.keys import MODEL_KEY
from digitlab.ui.resources import catalogue, get_model, model_catalogue


def page() -> None:
    st.markdown("### Models")
    st.caption("The shipped default and every model saved from the Train page or the command line. "
               "Models are safetensors files (never pickle) with a JSON description.")
    rows, broken = catalogue()
    actor = identity.actor()
    owners = {r["name"]: model_owner(r["name"]) for r in rows}
    table = [{"name": r["name"], "layers": "–".join(map(str, r["hidden"])), "activation": r["activation"],
              "test accuracy": r["test_accuracy"], "epochs": r["epochs_run"] if r["epochs_run"] is not None else r["train"].get("epochs"), "augment": r["train"].get("augment"),
              "created": r["created"], "checksum": "none (older DigitLab)" if r["unchecked"] else "verified",
              **({"owner": ownership.owner_label(actor, *owners[r["name"]])} if ownership.rules_apply() else {})}
             for r in rows]
    st.dataframe(table, hide_index=True, column_config={
        "test accuracy": st.column_config.ProgressColumn("test accuracy", format="percent", min_value=0, max_value=1)})
    for file, reason in broken:
        st.warning(f"Skipped **{file}**: {reason}")
    unchecked = [r["name"] for r in rows if r["unchecked"]]
    if unchecked:
        st.caption(f"No checksum: {', '.join(unchecked)} (saved by an older DigitLab). They load, but damage to "
                   "their weights would go unnoticed; save a copy to protect them.")
    left, right = st.columns(2, gap="large")
    with left:
        download(rows)
    with right:
        upload(actor)
    remove([r["name"] for r in rows], owners, actor)


def model_owner(name: str) -> tuple[str | None, str | None]:
    """(owner, owner name) of a listed model, from its metadata."""
    try:
        info = get_model(name).info
    except (OSError, ModelError):
        return None, None
    return info.get("owner"), info.get("owner_name")


def remove(names: list[str], owners: dict, actor: Actor) -> None:
    """Delete a model: the ones this person may delete (their own; all for the teacher or with no
    key set), never the shipped default."""
    mine = [n for n in names if n != DEFAULT_NAME and ownership.may_replace_model(actor, owners[n][0])]
    with st.expander("Delete a model"):
        if not mine:
            st.caption("There is no model you can delete: only the one who saved or uploaded a model "
                       "(or the teacher) can, and never the shipped default.")
            return
        name = st.selectbox("Model to delete", mine, key="models_delete_pick")
        sure = st.checkbox(f"Yes, delete {name} for everyone", key="models_delete_sure")
        if st.button("Delete", key="models_delete_go", icon=":material/delete:", disabled=not sure):
            try:
                delete_model(name, actor=actor)  # checks again: the page's list may be stale
            except ModelError as exc:
                st.error(f"Not deleted: {exc}")
                return
            model_catalogue.clear()
            if st.session_state.get(MODEL_KEY) == name:
                st.session_state[MODEL_KEY] = DEFAULT_NAME
            st.session_state.pop("models_delete_sure", None)
            st.toast(f"Deleted {name}.")
            st.rerun()


def download(rows: list[dict]) -> None:
    st.markdown("**Download a model**")
    name = st.selectbox("Model", [r["name"] for r in rows], key="models_download_pick")
    if name:
        path = models_dir() / f"{name}.safetensors"
        st.download_button(f"Download {name}.safetensors", _read(str(path), path.stat().st_mtime_ns), file_name=path.name,
                           mime="application/octet-stream", key="models_download",
                           help="One self-contained file: weights plus the config and metrics inside its header.")
        try:
            onnx_file = _onnx(str(path), path.stat().st_mtime_ns)
        except (ExportError, ModelError) as exc:
            st.warning(f"No ONNX file for {name}: {exc}")
            return
        st.download_button(f"Download {name} as ONNX", onnx_file, file_name=f"{name}.onnx",
                           mime="application/octet-stream", key="models_download_onnx", icon=":material/download:")
        st.caption("ONNX runs in onnxruntime without DigitLab: raw 8×8 counts (float32, [N, 64], 0–16) in, "
                   "the ten digit probabilities out. The README shows the five lines that use it.")


def upload(actor: Actor) -> None:
    st.markdown("**Add a model**")
    file = st.file_uploader("A .safetensors file saved by DigitLab", type=["safetensors"], key="models_upload")
    if file is None:
        return
    name = st.text_input("Save as", value=Path(file.name).stem, key="models_upload_name",
                         help="Letters, digits, '_', '-' and '.'; an existing name is never overwritten.")
    if st.button("Check and add", key="models_upload_go", icon=":material/upload:"):
        try:
            loaded = install_model(file.getvalue(), name.strip(), actor=actor)  # it becomes the uploader's
        except ModelError as exc:
            st.error(f"Not added: {exc}")
            return
        model_catalogue.clear()
        st.session_state[MODEL_KEY] = loaded.name
        acc = loaded.info.get("metrics", {}).get("test_accuracy")
        st.success(f"Added **{loaded.name}**" + (f" ({acc:.1%} test accuracy)" if acc is not None else "")
                   + ". It is now the active model on the Draw page.")


@st.cache_data(max_entries=4, show_spinner=False)
def _read(path: str, mtime_ns: int) -> bytes:  # mtime in the key: a re-saved model is read afresh
    return Path(path).read_bytes()


@st.cache_data(max_entries=4, show_spinner=False)
def _onnx(path: str, mtime_ns: int) -> bytes:  # built from the file itself, validated like every load
    from digitlab.store import load_model

    loaded = load_model(path)
    return onnx_bytes(loaded.model, loaded.name)
