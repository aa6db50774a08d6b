"""The pages' side of digitlab/budgets.py: which budget this session's jobs run under (the teacher's
is unlimited), a line saying so, and how long a job waiting in line may wait."""
from __future__ import annotations

import streamlit as st

from digitlab.budgets import Budget, duration, session_budget
from digitlab.jobs import Job
from digitlab.ui import identity


def current() -> Budget:
    """This session's budget. A bad DIGITLAB_MAX_JOB_* value is the operator's mistake: the page
    says so (where it asks) and runs under the defaults rather than not at all."""
    try:
        return session_budget(identity.is_teacher())
    except ValueError as exc:
        st.warning(f"This server's budget setting is not usable ({exc}); the defaults apply.", icon=":material/warning:")
        return Budget()


def caption() -> None:
    """One line under a page's Start button: what a job may do here, and who can change it."""
    budget = current()
    if budget.seconds is None and budget.parameters is None:
        st.caption("No time or size limit for your jobs" + (" (teacher)." if identity.is_teacher() else "."))
        return
    st.caption(f"Fair use on this server: {budget.describe()}. A job that reaches its time budget stops and keeps "
               "what it has learned. The server's operator sets these (DIGITLAB_MAX_JOB_SECONDS and friends).")


def waiting(job: Job) -> str:
    """'Waiting for a free training slot: 1 run(s) at a time, 1 running now. Your turn within 4 min 10 s.'"""
    ahead, slots = job.waiting_behind or 0, job.slots
    text = (f"Waiting for a free training slot: {slots.limit} run(s) at a time on this server, {slots.busy} running "
            "now" + (f", {ahead} waiting ahead of yours." if ahead else "."))
    longest = job.longest_wait
    if longest is not None:
        return text + f" Your turn comes within {duration(longest)} at the latest (every job has a time budget)."
    return text + " A job ahead has no time budget, so the wait cannot be told."
