"""My drawings: the digits people kept from the Draw page, how the active model does on them,
and CSV export/import. The Train page can fine-tune on them."""
from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab import drawings, plots
from digitlab.evaluate import evaluate
from digitlab.ui import mistakes as mistakes_ui
from digitlab.ui.keys import MODEL_KEY
from digitlab.ui.resources import DEFAULT_NAME, get_model

PER_ROW = 10
MAX_SHOWN = 200


def page() -> None:
    st.markdown("### My drawings")
    st.caption("Drawings you kept on the Draw page, with the label you gave them. They show how well a model "
               "reads *your* handwriting, and the Train page can learn from them.")
    try:
        kept = drawings.list_drawings()
    except drawings.DrawingsError as exc:
        st.error(str(exc))
        return
    if not kept:
        st.info("Nothing kept yet. On the Draw page, draw a digit, confirm its label and press **Keep this drawing**.")
        import_export(kept)
        return
    score_panel(kept)
    gallery(kept)
    import_export(kept)


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
        st.metric(f"Accuracy of “{loaded.name}” on your drawings", f"{result.accuracy:.0%}",
                  help="The model picked on the Draw page, scored on every drawing kept here.")
        st.caption(f"{len(kept)} drawings · " + " · ".join(f"{d}: {n}" for d, n in enumerate(np.bincount(y, minlength=10)) if n))
        if len(result.wrong_index):
            st.caption("Misread: " + ", ".join(f"{t}→{p}" for t, p in zip(result.wrong_true, result.wrong_pred)))
    with right:
        st.caption("Rows: what you drew; columns: what the network read. Click a cell to see those drawings.")
        cell = mistakes_ui.clickable_matrix(plots.confusion_heatmap(result.confusion, height=320), "mine_confusion")
    mistakes_ui.gallery(loaded.model, x, result, cell, "mine_confusion", "mine_mistakes", "drawings")


def gallery(kept: list[drawings.Drawing]) -> None:
    st.markdown("**Your drawings** (as the network sees them: 8×8)")
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
                if st.checkbox(f"{d.label}{verdict}", key=f"mine_pick_{d.id}", help=f"kept {d.created}"):
                    selected.append(d.id)
    if st.button(f"Delete {len(selected)} selected", disabled=not selected, icon=":material/delete:", key="mine_delete"):
        gone = drawings.delete(selected)
        st.toast(f"Deleted {gone} drawing(s).")
        st.rerun()


IMPORT_REPORT_KEY = "mine_import_report"  # what the last import did, shown after the page refreshes


def import_export(kept: list[drawings.Drawing]) -> None:
    # Open when there is nothing else to see, and to show what an import just did.
    with st.expander("Export or import (CSV)", expanded=not kept or IMPORT_REPORT_KEY in st.session_state):
        st.download_button("Download all as CSV", drawings.export_csv() if kept else "", file_name="my_drawings.csv",
                           mime="text/csv", disabled=not kept, key="mine_export")
        upload = st.file_uploader("Import drawings from a CSV made by Download", type=["csv"], key="mine_import")
        show_import_report()
        if upload is not None and st.button("Import", key="mine_import_go"):
            try:
                report = drawings.import_csv(upload.getvalue().decode("utf-8", errors="replace"))
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
