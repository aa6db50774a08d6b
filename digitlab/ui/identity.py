"""Who is at this browser: its browser id (made and kept by the browser), the name the person gives,
and whether they typed the teacher key. The rules themselves are in digitlab/ownership.py.

Only once the operator has set $DIGITLAB_TEACHER_KEY: then app.py's call to sidebar() mounts a
hidden component that reads the browser's id from its local storage (making a random one the first
time: 16 bytes from crypto.getRandomValues), copies it (and the name) into a cookie, and reports it
if the server does not know it yet, and shows two small fields in the sidebar: "Your name" and
"Teacher key". The cookie comes with the next session's connection (st.context.cookies), so a
returning browser is known from a page's first run. A report is a rerun, and one that arrives while
a freshly opened page's first run is still going can land the browser on the main page instead
(seen in Chromium with Streamlit 1.67), so the component waits for the page to be idle first. With no key set nothing is mounted or shown, and every
session manages everything (ownership.actor_for), as before owners existed.

The id is not a password: whoever copies it from a browser's local storage acts as its owner. It is
never shown on a page, and what is stored with drawings and models is a hash of it.
"""
from __future__ import annotations

from urllib.parse import unquote

import streamlit as st

from digitlab import ownership
from digitlab.ownership import Actor

COMPONENT_KEY = "identity_browser"  # the component's state: {"browser": {"id": ..., "name": ...}}
ID_KEY = "identity_browser_id"  # the id this browser reported (valid ones only)
NAME_KEY = "identity_name"  # the "Your name" field
NAME_LOADED_KEY = "identity_name_loaded"  # the field holds the browser's stored name (or the person's own)
TEACHER_KEY = "identity_teacher"  # True once this session typed the key
TEACHER_FIELD_KEY = "identity_teacher_field"
WRONG_KEY = "identity_teacher_wrong"

_JS = """
const ID = 'digitlab.browser_id', NAME = 'digitlab.name';
const VALID = /^[A-Za-z0-9_-]{22,64}$/;
const YEAR = 365 * 24 * 3600;

function remember(id, name) {  // for the next session's first run: st.context.cookies
  document.cookie = `__ID_COOKIE__=${id}; path=/; max-age=${YEAR}; SameSite=Strict`;
  document.cookie = `__NAME_COOKIE__=${encodeURIComponent(name)}; path=/; max-age=${YEAR}; SameSite=Strict`;
}

function whenIdle(then, waited = 0) {  // after the page's script run (a report is a rerun)
  const app = document.querySelector('[data-testid="stApp"]');
  if (waited >= 10000 || !app || app.dataset.testScriptState === 'notRunning') then();
  else setTimeout(() => whenIdle(then, waited + 50), 50);
}

function storage() {  // local storage may be switched off or refuse (private windows): then this page's life
  try { return window.localStorage; } catch (e) { return null; }
}

function newId() {  // 16 random bytes, base64url: 22 characters
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/[+]/g, '-').replace(/[/]/g, '_').replace(/=+$/, '');
}

// data.known: what the server holds already ({id, name}), so an unchanged browser sends nothing
// (no rerun); data.name: the name the person typed, to keep (null: report the stored one).
export default function ({ data, setStateValue }) {
  const ls = storage();
  let id = null;
  try { id = ls && ls.getItem(ID); } catch (e) { id = null; }
  if (!id || !VALID.test(id)) {
    id = window.__digitlabBrowserId || newId();
    try { if (ls) ls.setItem(ID, id); } catch (e) { /* kept in this page only */ }
  }
  window.__digitlabBrowserId = id;
  let name = '';
  if (typeof data.name === 'string') {
    name = data.name;
    try { if (ls) { name ? ls.setItem(NAME, name) : ls.removeItem(NAME); } } catch (e) { /* ignore */ }
  } else {
    try { name = (ls && ls.getItem(NAME)) || ''; } catch (e) { name = ''; }
  }
  remember(id, name);
  const known = data.known || {};
  if (known.id !== id || known.name !== name) {
    const report = {id, name};
    whenIdle(() => setStateValue('browser', report));
  }
}
"""

ID_COOKIE, NAME_COOKIE = "digitlab_browser_id", "digitlab_name"
_browser = st.components.v2.component(
    "digitlab.identity", html="", js=_JS.replace("__ID_COOKIE__", ID_COOKIE).replace("__NAME_COOKIE__", NAME_COOKIE))


def sidebar() -> None:
    """Once per page run (app.py): with a teacher key set, learn this browser's id and show the
    name and teacher fields in the sidebar; with none, nothing."""
    if not ownership.rules_apply():
        return
    with st.sidebar:
        _identify()
        st.text_input("Your name (optional)", key=NAME_KEY, max_chars=ownership.MAX_NAME,
                      placeholder="e.g. Sam", on_change=_name_typed,
                      help="Shown with the drawings you share and the models you save. Nobody else can act "
                           "as you: this browser is recognised by a random id it keeps, never shown.")
        _teacher_panel()


def _identify() -> None:
    reported = (st.session_state.get(COMPONENT_KEY) or {}).get("browser")
    if isinstance(reported, dict):
        _take(reported)
    elif ID_KEY not in st.session_state:  # a new session: the cookie the browser's last visit set
        cookies = _cookies()
        if ownership.owner_of(cookies.get(ID_COOKIE)) is not None:
            _take({"id": cookies.get(ID_COOKIE), "name": unquote(cookies.get(NAME_COOKIE) or "")})
    loaded = st.session_state.get(NAME_LOADED_KEY, False)
    known = {"id": st.session_state.get(ID_KEY), "name": st.session_state.get(NAME_KEY) or ""}
    _browser(key=COMPONENT_KEY, data={"known": known if loaded else None,
                                      "name": known["name"] if loaded else None},
             on_browser_change=_noop, height=0)


def _cookies() -> dict:
    try:
        return dict(st.context.cookies)
    except Exception:  # noqa: BLE001 - no cookies outside a browser (AppTest): the component reports instead
        return {}


def _take(reported: dict) -> None:
    """What the browser said: its id (kept if valid) and, the first time, its stored name."""
    browser_id = reported.get("id")
    if ownership.owner_of(browser_id) is not None:
        st.session_state[ID_KEY] = browser_id
    if not st.session_state.get(NAME_LOADED_KEY):
        st.session_state[NAME_KEY] = ownership.clean_name(reported.get("name")) or ""
        st.session_state[NAME_LOADED_KEY] = True


def _name_typed() -> None:
    st.session_state[NAME_KEY] = ownership.clean_name(st.session_state.get(NAME_KEY)) or ""
    st.session_state[NAME_LOADED_KEY] = True  # the person's own name wins over a stored one


def _noop() -> None:
    pass


def _teacher_panel() -> None:
    if is_teacher():
        st.success("Teacher: you manage every drawing and model.", icon=":material/school:")
        if st.button("Leave teacher mode", key="identity_teacher_leave"):
            st.session_state[TEACHER_KEY] = False
            st.rerun()
        return
    st.text_input("Teacher key", type="password", key=TEACHER_FIELD_KEY, on_change=_key_typed,
                  help="The teacher types the key the server was started with (DIGITLAB_TEACHER_KEY) to "
                       "manage every drawing and model in this browser tab.")
    if st.session_state.get(WRONG_KEY):
        st.error("That is not the teacher key.")


def _key_typed() -> None:
    typed = st.session_state.get(TEACHER_FIELD_KEY) or ""
    st.session_state[TEACHER_FIELD_KEY] = ""  # never kept on the page
    st.session_state[TEACHER_KEY] = ownership.is_teacher_key(typed)
    st.session_state[WRONG_KEY] = bool(typed) and not st.session_state[TEACHER_KEY]


def browser_id() -> str | None:
    """This browser's id, once it has reported it (never shown on a page)."""
    return st.session_state.get(ID_KEY)


def current_owner() -> str:
    """The owner this session keeps drawings and saves models as (ownership.owner_of its browser
    id); "" while unknown: no teacher key set, or the browser has not reported yet."""
    if not ownership.rules_apply():
        return ""
    return ownership.owner_of(browser_id()) or ""


def is_teacher() -> bool:
    """Whether this session typed the teacher key (False whenever no key is set)."""
    return ownership.rules_apply() and st.session_state.get(TEACHER_KEY) is True


def name() -> str | None:
    return ownership.clean_name(st.session_state.get(NAME_KEY))


def actor() -> Actor:
    """Who this session acts as, for digitlab.drawings and digitlab.store."""
    if not ownership.rules_apply():
        return ownership.actor_for(None)  # manages everything, owns nothing: as before owners existed
    return ownership.actor_for(browser_id(), name(), teacher=is_teacher())


def waiting_for_browser() -> bool:
    """Rules apply but this browser has not said who it is yet (a moment after a page opens)."""
    return ownership.rules_apply() and not is_teacher() and current_owner() == ""
