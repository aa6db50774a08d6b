"""The Streamlit side of digitlab.share: a page's controls mirrored in its URL, restored from it,
and a "Copy link to this setup" popover.

The flow on a page that shares its setup (Train, Explore):
  1. restore(): before the controls are drawn, if the URL carries settings that this session never
     wrote itself (a link just opened), parse them (digitlab.share) into the controls' values;
  2. the page draws its controls;
  3. mirror(): write the controls' values back into the URL, so the address bar is always a link
     to what is on screen (a page switch drops the query; coming back writes it again).
"""
from __future__ import annotations

import re
from typing import Callable, Mapping
from urllib.parse import urlencode

import streamlit as st

from digitlab.share import GLOBAL_KEYS, FromLink

WRITTEN_KEY = "_share_written"  # {page: the queries this session wrote for it, newest last}
# A rerun may carry an address the session has since rewritten: the browser sent it before the new
# one arrived, and st.rerun() reuses the address of the request it is called from. Such an echo is
# one of this session's own queries, so it is recognised among the last few written.
WRITTEN_KEPT = 20
NOTES_KEY = "_share_notes"  # {page: notes about the last link opened}


def restore(page: str, parse: Callable[[Mapping], FromLink]) -> FromLink | None:
    """The link's setup for this page if one was just opened (else None); notes are kept to show."""
    query = st.query_params.to_dict()
    own = {k: v for k, v in query.items() if k not in GLOBAL_KEYS}
    written = st.session_state.setdefault(WRITTEN_KEY, {}).setdefault(page, [])
    if not own or own in written:
        return None
    result = parse(query)
    st.session_state.setdefault(NOTES_KEY, {})[page] = result.notes
    _remember(written, own)  # read once: later reruns keep the user's changes
    return result if result.given else None


def show_notes(page: str) -> None:
    notes = st.session_state.get(NOTES_KEY, {}).get(page)
    if not notes:
        return
    box = st.container(key=f"share_notes_{page}")
    # The notes name the setting and say why (digitlab.share makes any value from a link safe to show).
    box.warning("Some settings in the link could not be used, so they are at their defaults:\n\n"
                + "\n".join(f"- {note}" for note in notes), icon=":material/link_off:")
    if box.button("OK", key=f"share_notes_ok_{page}"):
        st.session_state[NOTES_KEY][page] = []
        st.rerun()


def mirror(page: str, query: dict[str, str]) -> None:
    """Make the URL say `query` (keeping the app-wide keys such as present=1)."""
    current = st.query_params.to_dict()
    wanted = {**query, **{k: v for k, v in current.items() if k in GLOBAL_KEYS}}
    if current != wanted:
        st.query_params.from_dict(wanted)
    _remember(st.session_state.setdefault(WRITTEN_KEY, {}).setdefault(page, []), dict(query))


def _remember(written: list[dict], query: dict) -> None:
    if not written or written[-1] != query:
        written.append(query)
        del written[:-WRITTEN_KEPT]


def link(url_path: str, query: dict[str, str]) -> str:
    # st.context.url is the address the session was opened at (no query; none outside a server, as in
    # AppTest): keep its origin and any base path, drop the page it was opened on.
    base = re.sub(r"/(home|draw|train|explore|my-drawings|models)/?$", "", (st.context.url or "").rstrip("/"))
    return f"{base}/{url_path}?{urlencode(query)}"


def copy_link(url_path: str, query: dict[str, str], what: str) -> None:
    """A popover with the link to this setup, ready to copy (the code block's copy button)."""
    with st.popover("Copy link to this setup", icon=":material/link:"):
        st.caption(f"Anyone who opens this link gets {what}. The address bar shows the same link.")
        st.code(link(url_path, query), language=None, wrap_lines=True)
