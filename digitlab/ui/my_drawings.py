"""My drawings: the digits people kept from the Draw page, how the active model does on them,
and CSV export/import. The Train page can fine-tune on them.

With a teacher key set (a served class; digitlab/ownership.py) a student sees their own drawings
or the class pool, deletes and shares only their own (the others have no control at all), and the
teacher sees and manages everyone's. With none, everything is everyone's, as before."""
from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab import drawings, ownership, plots
from digitlab.evaluate import evaluate
from digitlab.ownership import Actor
from digitlab.ui import identity
from digitlab.ui import mistakes as mistakes_ui
from digitlab.ui.keys import MODEL_KEY
from digitlab.ui.resources import DEFAULT_NAME, get_model

PER_ROW = 10
MAX_SHOWN = 200
SCOPE_KEY = "mine_scope"
SCOPES = {"My drawings": "mine", "Class pool": "pool", "Everyone's": None}  # the last for the teacher


def page() -> None:
    st.markdown("### My drawings")
    st.caption("Drawings you kept on the Draw page, with the label you gave them. They show how well a model "
               "reads *your* handwriting, and the Train page can learn from them.")
    if identity.waiting_for_browser():
        st.caption("Recognising this browser…")  # its id arrives with the next rerun, a moment from now
        return
    actor = identity.actor()
    only = scope_picker(actor)
    try:
        kept = drawings.list_drawings(actor=actor, only=only)
    except drawings.DrawingsError as exc:
        st.error(str(exc))
        return
    if not kept:
        st.info("Nothing in the class pool yet: share drawings from **My drawings** to put them here." if only == "pool"
                else "Nothing kept yet. On the Draw page, draw a digit, open **Keep this drawing**, confirm "
                     "its label and press **Keep**.")
        import_export(kept, actor, only)
        return
    score_panel(kept)
    gallery(kept, actor, only)
    import_export(kept, actor, only)


def scope_picker(actor: Actor) -> str | None:
    """With a teacher key set: the person's own drawings or the class pool (the teacher: or
    everyone's). With none: None, every drawing, no control."""
    if not ownership.rules_apply():
        return None
    options = list(SCOPES) if identity.is_teacher() else list(SCOPES)[:2]
    if st.session_state.get(SCOPE_KEY) not in options:
        st.session_state[SCOPE_KEY] = options[0]
    choice = st.segmented_control("Show", options, key=SCOPE_KEY, label_visibility="collapsed",
                                  help="Your own drawings (only you see them until you share them), or the "
                                       "class pool: drawings shared with everyone.")
    return SCOPES[choice or options[0]]


def score_panel(kept: list[drawings.Drawing]) -> None:
    name = st.session_state.get(MODEL_KEY, DEFAULT_NAME)
    try:
        loaded = get_model(name)
    except (OSError, ValueError):
        loaded = get_model(DEFAULT_NAME)
    x, y = drawings.to_arrays(kept)
    result = evaluate(loaded.model, x, y)
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.metric(f"Accuracy of “{loaded.name}” on " + ("these drawings" if ownership.rules_apply() else "your drawings"),
                  f"{result.accuracy:.0%}",
                  help="The model picked on the Draw page, scored on every drawing kept here.")
        st.caption(f"{len(kept)} drawings · " + " · ".join(f"{d}: {n}" for d, n in enumerate(np.bincount(y, minlength=10)) if n))
        if len(result.wrong_index):
            st.caption("Misread: " + ", ".join(f"{t}→{p}" for t, p in zip(result.wrong_true, result.wrong_pred)))
    with right:
        st.caption("Rows: what you drew; columns: what the network read. Click a cell to see those drawings.")
        cell = mistakes_ui.clickable_matrix(result.confusion, "mine_confusion", height=320)
    mistakes_ui.gallery(loaded.model, x, result, cell, "mine_confusion", "mine_mistakes", "drawings")


def gallery(kept: list[drawings.Drawing], actor: Actor, only: str | None) -> None:
    title = {"pool": "The class pool", None: "Your drawings" if not ownership.rules_apply() else "Everyone's drawings"}
    st.markdown(f"**{title.get(only, 'Your drawings')}** (as the network sees them: 8×8)")
    choice = st.columns([1, 4])[0].selectbox("Show", ["all digits"] + [str(d) for d in range(10)], key="mine_filter")
    shown = kept if choice == "all digits" else [d for d in kept if d.label == int(choice)]
    if len(shown) > MAX_SHOWN:
        st.caption(f"Showing the newest {MAX_SHOWN} of {len(shown)}.")
        shown = shown[:MAX_SHOWN]
    selected = []
    for start in range(0, len(shown), PER_ROW):
        cols = st.columns(PER_ROW)
        for col, d in zip(cols, shown[start : start + PER_ROW]):
            with col:
                st.image(plots.upscale(d.grid, 64), width=64)
                verdict = "" if d.prediction is None else (" ✓" if d.prediction == d.label else f" (read {d.prediction})")
                if ownership.may_change_drawing(actor, d.owner):
                    if st.checkbox(f"{d.label}{verdict}", key=f"mine_pick_{d.id}", help=f"kept {d.created}"):
                        selected.append(d.id)
                else:  # someone else's: read and learn from it, no control to change it
                    st.markdown(f"{d.label}{verdict}", help=f"kept {d.created}")
                if ownership.rules_apply():
                    st.caption(whose(actor, d))
    actions(selected, actor)


def whose(actor: Actor, d: drawings.Drawing) -> str:
    """A drawing's owner as this person may see it (never the owner itself), and whether it is shared."""
    who = ownership.owner_label(actor, d.owner, d.owner_name)
    if d.owner is None:
        return "class pool"
    return f"{who} · shared" if d.shared else f"{who} · private"


def actions(selected: list[int], actor: Actor) -> None:
    cols = st.columns(3) if ownership.rules_apply() else [st]
    if cols[0].button(f"Delete {len(selected)} selected", disabled=not selected, icon=":material/delete:",
                      key="mine_delete"):
        gone = drawings.delete(selected, actor=actor)  # only those this person may delete go, whatever was sent
        st.toast(f"Deleted {gone} drawing(s).")
        st.rerun()
    if not ownership.rules_apply():
        return
    if cols[1].button(f"Share {len(selected)} with the class", disabled=not selected, icon=":material/group:",
                      key="mine_share", help="Put them in the class pool: everyone sees them and can train on "
                                              "them; only you (and the teacher) can delete them."):
        n = drawings.set_shared(selected, True, actor=actor)
        st.toast(f"Shared {n} drawing(s) with the class.")
        st.rerun()
    if cols[2].button(f"Make {len(selected)} private", disabled=not selected, icon=":material/lock:",
                      key="mine_unshare", help="Take them out of the class pool: only you see them again."):
        n = drawings.set_shared(selected, False, actor=actor)
        st.toast(f"{n} drawing(s) private again.")
        st.rerun()


IMPORT_REPORT_KEY = "mine_import_report"  # what the last import did, shown after the page refreshes


def import_export(kept: list[drawings.Drawing], actor: Actor, only: str | None) -> None:
    # Open when there is nothing else to see, and to show what an import just did.
    with st.expander("Export or import (CSV)", expanded=not kept or IMPORT_REPORT_KEY in st.session_state):
        st.download_button("Download all as CSV" if only is None else "Download these as CSV",
                           drawings.export_csv(actor=actor, only=only) if kept else "", file_name="my_drawings.csv",
                           mime="text/csv", disabled=not kept, key="mine_export")
        upload = st.file_uploader("Import drawings from a CSV made by Download", type=["csv"], key="mine_import")
        show_import_report()
        if upload is not None and st.button("Import", key="mine_import_go"):
            try:
                report = drawings.import_csv(upload.getvalue().decode("utf-8", errors="replace"), actor=actor)
            except drawings.DrawingsError as exc:
                st.error(str(exc))
                return
            st.session_state[IMPORT_REPORT_KEY] = report
            st.rerun()  # the count, accuracy and gallery above now include what was imported


def show_import_report() -> None:
    report = st.session_state.pop(IMPORT_REPORT_KEY, None)
    if report is None:
        return
    imported, duplicates, problems = report
    st.success(f"Imported {imported} drawing(s)." + (f" Skipped {duplicates} already kept (exact duplicates)."
                                                       if duplicates else ""))
    if problems:
        st.warning(f"{len(problems)} line(s) skipped:\n\n" + "\n".join(f"- {p}" for p in problems[:20]))
