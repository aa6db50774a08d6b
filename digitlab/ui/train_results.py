"""The Train page after a run: test-set evaluation, saving the model, comparing runs.

Everything here reads a finished TrainingJob (its thread has ended, so its model is ours to read)
or saved models' sidecars; nothing trains.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from digitlab import ownership, plots
from digitlab.jobs import TrainingJob
from digitlab import runs
from digitlab.store import ModelError, acting_as, check_save_name, models_dir, owner_of_file
from digitlab.ui import identity
from digitlab.ui import mistakes as mistakes_ui
from digitlab.ui.home import DRAW
from digitlab.ui.keys import MODEL_KEY
from digitlab.ui.live_chart import live_chart
from digitlab.ui.resources import catalogue, get_model, model_catalogue

GALLERY_MAX = 40  # misclassified digits shown; the most confident mistakes first
SAVED_KEY = "train_saved"  # {job id: saved model name}
CONFUSION_KEY = "train_confusion"  # the confusion matrix's chart; a picked cell is kept under it
COMPARE_FIGURE_KEY = "_train_compare_figure"  # (the runs' signature, the figure spec drawn for them)


def results(job: TrainingJob) -> None:
    snap = job.snapshot()
    ev = snap.evaluation
    if ev is None:
        return
    if job.record_warning:  # the run and its model are kept; only the history entry is missing
        st.warning(f"This run is not in the run history: {job.record_warning}. You can still save the model.",
                   icon=":material/warning:")
    st.markdown("#### How good is it? The held-out test set")
    n = int(ev.support.sum())
    a, b, c = st.columns(3)
    a.metric("Test accuracy", f"{ev.accuracy:.1%}")
    b.metric("Misclassified", f"{len(ev.wrong_index)} of {n}")
    c.metric("Epochs trained", f"{snap.epoch} of {snap.epochs}")
    table_col, matrix_col = st.columns([1, 1.3], gap="large")
    with table_col:
        st.markdown("**Per digit**")
        st.dataframe(per_class_table(ev), hide_index=True, key="train_per_class",
                     column_config={k: st.column_config.NumberColumn(format="%.3f") for k in ("precision", "recall", "F1")})
    with matrix_col:
        st.markdown("**Confusion matrix** (rows: true digit, columns: what the network said). "
                    "Click a cell to see its mistakes.")
        mode = st.segmented_control("Show", ["Counts", "Normalized"], default="Counts", key="train_cm_mode",
                                    label_visibility="collapsed")
        cell = mistakes_ui.clickable_matrix(ev.confusion, CONFUSION_KEY, normalized=mode == "Normalized")
    mistakes_ui.gallery(job.model, job.x_test, ev, cell, CONFUSION_KEY, "train_mistakes", "test digits", GALLERY_MAX)
    save_panel(job)


def per_class_table(ev) -> pd.DataFrame:
    return pd.DataFrame({"digit": range(len(ev.support)), "precision": ev.precision, "recall": ev.recall,
                         "F1": ev.f1, "test examples": ev.support})


def save_panel(job: TrainingJob) -> None:
    st.markdown("#### Keep it")
    saved = st.session_state.setdefault(SAVED_KEY, {})
    name_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
    name = name_col.text_input("Model name", key=f"train_name_{job.id}", placeholder="e.g. wide-relu",
                               help="Letters, digits, '_', '-' and '.'; it becomes models/NAME.safetensors.")
    problem = _name_problem(name)
    actor = identity.actor()
    path = models_dir() / f"{name}.safetensors"
    exists = not problem and name and path.exists()
    may_replace = bool(exists) and ownership.may_replace_model(actor, owner_of_file(path)[1])
    overwrite = st.checkbox(f"Replace the saved model {name!r}", key=f"train_overwrite_{job.id}") if may_replace else False
    if problem:
        st.error(problem, icon="⚠️")
    elif exists and not may_replace:
        st.warning(f"A model named {name!r} exists already and is not yours to replace: pick another name.")
    elif exists and not overwrite:
        st.warning(f"A model named {name!r} exists already: pick another name or tick the box to replace it.")
    if button_col.button("Save model", key=f"train_save_{job.id}", disabled=not name or bool(problem) or (exists and not overwrite)):
        try:
            with acting_as(actor):  # the model is this person's; replacing checks it is theirs (again, at the file)
                job.save(name, overwrite=overwrite)  # a failed note in the run history costs the save nothing
        except (ModelError, OSError) as exc:
            st.error(f"Not saved: {exc}")
        else:
            model_catalogue.clear()  # the Draw page's picker lists it at once
            saved[job.id] = name
    if job.id in saved:
        _use_it(saved[job.id])


def _name_problem(name: str) -> str | None:
    if not name:
        return None
    try:
        check_save_name(name)
    except ModelError as exc:
        return str(exc)
    return None


def _use_it(name: str) -> None:
    rows, broken = catalogue()
    if name not in {r["name"] for r in rows}:  # deleted or broken since: say so, never open another model
        reason = dict(broken).get(f"{name}.safetensors", "it is no longer in the models folder")
        st.error(f"**{name}** was saved but can't be used now: {reason}")
        return
    st.success(f"Saved as **{name}**: it is in the Draw page's model picker.")
    if st.button(f"✏️ Use {name} on the Draw page", key="train_use"):
        st.session_state[MODEL_KEY] = name
        st.switch_page(DRAW)


# --- compare --------------------------------------------------------------------------------------

def compare(jobs: list[TrainingJob]) -> None:
    """Overlay the curves of this session's finished runs and of saved models, with a table."""
    mine = [job for job in jobs if job.snapshot().finished and job.snapshot().history]
    session_runs = {job.label: _job_row(job) for job in mine}
    saved = {f"saved: {row['name']}": row["name"] for row in catalogue()[0]}
    history = _history_rows(skip={job.run_id for job in mine})
    if not session_runs and not saved and not history:
        return
    st.markdown("#### Compare runs")
    key = "train_compare"
    runs_by_label = {**session_runs, **history}
    options = list(session_runs) + list(saved) + list(history)
    # Newly finished runs join the selection; the user's own choices otherwise stand.
    seen = st.session_state.setdefault("train_compare_seen", set())
    fresh = [label for label in session_runs if label not in seen]
    seen.update(fresh)
    st.session_state[key] = [c for c in st.session_state.get(key, []) if c in options] + fresh
    chosen = st.multiselect("Runs and saved models", options, key=key,
                            help="This session's runs, every saved model that recorded its training history, and "
                                 "the run history (runs from the command line, sweeps and other sessions).")
    rows = [runs_by_label[c] if c in runs_by_label else _saved_row(c, saved[c]) for c in chosen]
    rows = [r for r in rows if r is not None]
    if not rows:
        st.caption("Pick runs above to overlay their curves.")
        return
    live_chart(_compare_spec(rows), key="train_compare_chart")
    for row in rows:
        row.pop("_history")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="train_compare_table")


def _compare_spec(rows: list[dict]) -> dict:
    """The overlaid curves as a figure spec, built again only when the runs chosen change: the page
    reruns at every edit of a control, and building the figure with plotly.py was a sixth of such a
    rerun with a few runs chosen. A run is known by its label and its last figures (a finished run,
    a recorded one, a saved model): only a model saved again under its name by a run that ended on
    the very same figures would keep the old curves, until the choice changes."""
    signature = tuple((r["run"], len(r["_history"]), r["epochs run"], r["train acc"], r["val acc"], r["test acc"])
                      for r in rows)
    cached = st.session_state.get(COMPARE_FIGURE_KEY)
    if cached is None or cached[0] != signature:
        cached = (signature, plots.training_curves([(r["run"], r["_history"]) for r in rows]).to_plotly_json())
        st.session_state[COMPARE_FIGURE_KEY] = cached
    return cached[1]


def _summary(label: str, config: dict, history: list, test_accuracy) -> dict:
    last = history[-1] if history else {}
    get = (lambda k: last.get(k)) if isinstance(last, dict) else (lambda k: getattr(last, k))
    return {"run": label, "hidden": "-".join(map(str, config.get("hidden", []))),
            **{k: v for k, v in config.items() if k != "hidden"},
            "epochs run": get("epoch"), "train acc": get("train_acc"), "val acc": get("val_acc"),
            "test acc": test_accuracy, "_history": history}


def _job_row(job: TrainingJob) -> dict:
    snap = job.snapshot()
    acc = snap.evaluation.accuracy if snap.evaluation else None
    return _summary(job.label, job.config.to_dict(), list(snap.history), acc)


def _history_rows(skip: set, limit: int = 30) -> dict[str, dict]:
    """The newest recorded runs (digitlab.runs), labelled 'history #id', except this session's own."""
    try:
        recorded, _broken = runs.list_runs(limit=limit)
    except runs.RunsError:
        return {}
    out = {}
    for run in recorded:
        if run.id in skip or not run.history:
            continue
        label = f"history #{run.id} ({run.source}{', ' + run.model_name if run.model_name else ''}, {run.created[:16]})"
        out[label] = _summary(label, run.config.to_dict(), run.history, run.test_accuracy)
    return out


def _saved_row(label: str, name: str) -> dict | None:
    try:
        info = get_model(name).info
    except (ModelError, OSError):
        return None
    history = info.get("history") or []
    return _summary(label, info.get("train", {}), history, info.get("metrics", {}).get("test_accuracy"))
