"""The Explore page's search space and budget in its URL (digitlab.share's explore_* over
share_link): the form's widgets are keyed, their values come from a link just opened, or from
this session's own copy (widget state is dropped while the user is on another page), or from the
defaults, and after each run they are written back into the URL.

Range sliders take their value as `value=` under a key that changes when a link is opened (a
slider knows it is a range only from `value=`, and `value=` plus a value set through session
state makes Streamlit warn); the other widgets get theirs through session state."""
from __future__ import annotations

import streamlit as st

from digitlab import share
from digitlab.ui import share_link

PAGE = "explore"
FORM_KEY = "explore_form_values"  # this session's copy of the form's values, kept across page visits
GENERATION_KEY = "explore_link_generation"  # +1 per link opened: range sliders start afresh from it
RANGES = ("lr", "weight_decay", "width", "depth", "dropout", "augment")
WIDGETS = {"lr": "explore_lr", "weight_decay": "explore_wd", "width": "explore_width", "depth": "explore_depth",
           "dropout": "explore_dropout", "augment": "explore_augment", "batch_sizes": "explore_batches",
           "optimizers": "explore_optimizers", "trials": "explore_trials", "timeout": "explore_timeout",
           "epochs": "explore_epochs", "sampler": "explore_sampler", "pruner": "explore_pruner"}
VARY = {"lr": "explore_vary_lr", "weight_decay": "explore_vary_wd", "width": "explore_vary_width",
        "depth": "explore_vary_depth", "dropout": "explore_vary_dropout", "augment": "explore_vary_augment"}


def prepare() -> None:
    """Before the form is drawn: put the link's, the session's or the default values in its widgets."""
    linked = share_link.restore(PAGE, share.explore_from_query)
    if linked:
        st.session_state[FORM_KEY] = linked.values
        st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
    values = st.session_state.get(FORM_KEY, share.EXPLORE_DEFAULTS)
    for name, key in WIDGETS.items():
        if name not in RANGES and (linked or key not in st.session_state):
            value = values[name]
            st.session_state[key] = list(value) if name in ("batch_sizes", "optimizers") else value
    for name, key in VARY.items():
        if linked or key not in st.session_state:
            st.session_state[key] = name in values["vary"]
    share_link.show_notes(PAGE)


def range_key(name: str) -> str:
    return f"{WIDGETS[name]}_{st.session_state.get(GENERATION_KEY, 0)}"


def range_value(name: str) -> tuple:
    return tuple(st.session_state.get(FORM_KEY, share.EXPLORE_DEFAULTS)[name])


def current() -> dict:
    values = {name: st.session_state[range_key(name) if name in RANGES else key] for name, key in WIDGETS.items()}
    for name in ("lr", "weight_decay", "width", "depth", "dropout", "augment", "batch_sizes", "optimizers"):
        values[name] = tuple(values[name])
    values["vary"] = tuple(name for name, key in VARY.items() if st.session_state[key])
    return values


def publish() -> None:
    """After the form: keep the values, write them into the URL, offer the link."""
    values = current()
    st.session_state[FORM_KEY] = values
    query = share.explore_to_query(values)
    share_link.mirror(PAGE, query)
    share_link.copy_link(PAGE, query, "this search space and budget (press Update link after changing them)")
