"""Whose is what: the owner of a kept drawing or a saved model, and who may delete or replace it.

The rules switch on with the operator's secret: once $DIGITLAB_TEACHER_KEY is set (a served class),

    drawings   a student sees their own and the class pool (drawings shared into it, and drawings
               that belong to nobody: kept before owners existed, or while no key was set);
               only the owner deletes or (un)shares a drawing
    models     anyone uses any saved model; only its owner replaces or deletes it; a model that
               belongs to nobody (the shipped default, one saved from the command line, an older
               file) only the teacher; the shipped default nobody, from a page
    teacher    a person who types the key is the teacher for that browser session and manages
               everything: sees, deletes and (un)shares every drawing, replaces and deletes models

With no key set (one person on localhost) everyone manages everything, as before owners existed.
The command line is the operator's own face: it always acts as OPERATOR, who manages everything.

The owner is a browser id: random, made in the browser and kept in its local storage
(digitlab/ui/identity.py). What is stored is never that id but `owner_of(id)`, a hash of it, so
neither the database nor a downloaded model's metadata hands anyone an id to act as its owner.
A person may add a name; it is a label for others to read, never proof of who anyone is.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass

TEACHER_KEY_ENV = "DIGITLAB_TEACHER_KEY"
BROWSER_ID_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # the browser makes 22 (16 random bytes, base64url)
OWNER_RE = re.compile(r"^[0-9a-f]{32}$")  # what owner_of returns: the only form an owner is stored in
MAX_NAME = 40


def teacher_key() -> str:
    """The operator's secret, or "" when none is set."""
    return os.environ.get(TEACHER_KEY_ENV) or ""


def rules_apply() -> bool:
    """Whether owners count: the operator has set $DIGITLAB_TEACHER_KEY (a served class)."""
    return bool(teacher_key())


def is_teacher_key(typed: str | None) -> bool:
    """Whether `typed` is the teacher key, compared in constant time (hmac.compare_digest, on
    bytes: it takes no longer to refuse a nearly right key than a wrong one). False with no key set."""
    key = teacher_key()
    if not key or not isinstance(typed, str):
        return False
    return hmac.compare_digest(typed.encode("utf-8"), key.encode("utf-8"))


def owner_of(browser_id: str | None) -> str | None:
    """The owner stored for a browser id (a hash of it), or None if it is no browser id."""
    if not isinstance(browser_id, str) or not BROWSER_ID_RE.match(browser_id):
        return None
    return hashlib.sha256(b"digitlab-owner\0" + browser_id.encode()).hexdigest()[:32]


def clean_name(text: str | None) -> str | None:
    """A name a person gives: printable, one line, at most MAX_NAME characters; None if empty."""
    if not isinstance(text, str):
        return None
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    text = " ".join(text.split())[:MAX_NAME].strip()
    return text or None


@dataclass(frozen=True)
class Actor:
    """Who is acting: an owner (None if unknown), the name they gave, and whether they manage
    everything (the teacher, the command line, or anyone while no teacher key is set)."""

    owner: str | None = None
    name: str | None = None
    manages_all: bool = False


OPERATOR = Actor(None, None, manages_all=True)  # the command line, tests, tools: all-powerful


def actor_for(browser_id: str | None, name: str | None = None, *, teacher: bool = False) -> Actor:
    """The Actor of a browser session: its owner, its name; managing everything when it is the
    teacher or when no key is set."""
    return Actor(owner_of(browser_id), clean_name(name), manages_all=teacher or not rules_apply())


def is_mine(actor: Actor, owner: str | None) -> bool:
    return actor.owner is not None and owner == actor.owner


def in_class_pool(owner: str | None, shared: bool) -> bool:
    """A drawing everyone sees: shared into the pool, or belonging to nobody."""
    return bool(shared) or owner is None


def may_see_drawing(actor: Actor, owner: str | None, shared: bool) -> bool:
    return actor.manages_all or in_class_pool(owner, shared) or is_mine(actor, owner)


def may_change_drawing(actor: Actor, owner: str | None) -> bool:
    """Delete it, share it or take it back out of the pool."""
    return actor.manages_all or is_mine(actor, owner)


def may_replace_model(actor: Actor, owner: str | None) -> bool:
    """Save over it or delete it (the shipped default is refused by the store itself)."""
    return actor.manages_all or is_mine(actor, owner)


def owner_label(actor: Actor, owner: str | None, name: str | None) -> str:
    """How an owner is shown to `actor`: never the owner itself (that would be a handle on it)."""
    if owner is None:
        return "nobody (class)"
    if is_mine(actor, owner):
        return "you"
    return name or "a classmate"
