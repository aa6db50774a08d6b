"""The CPU time of an app server that tests.support.browser.streamlit_app started (psutil on its PID,
never the browsers': those are Playwright's children, not the server's), and of those browsers.

Read from each process's CPU-time clock (tests.support.cpu_clock): nanoseconds, not psutil's 10 ms
ticks, which are as coarse as the whole cost of one stroke.
"""
from __future__ import annotations

from pathlib import Path

import psutil

from tests.support.cpu_clock import process_cpu


def server_process(script: Path | None = None) -> psutil.Process:
    """This process's one `streamlit run` child, or the one running `script` when several are."""
    found = [c for c in psutil.Process().children() if any("streamlit" in part for part in c.cmdline())
             and (script is None or str(script) in c.cmdline())]
    if len(found) != 1:
        raise RuntimeError(f"expected one streamlit server process{f' for {script}' if script else ''}, found {len(found)}")
    return found[0]


def cpu_seconds(proc: psutil.Process) -> float:
    """CPU time of the server process and any children it has (every thread, ended ones too)."""
    return _total_cpu([proc] + proc.children(recursive=True))


def browser_cpu_seconds() -> float:
    """CPU time of every Chromium process under this one: the browsers Playwright launched, with
    their renderer, GPU and utility processes (a process that has ended is not counted)."""
    return _total_cpu(psutil.Process().children(recursive=True), keep=lambda p: "chrom" in p.name().lower())


def _total_cpu(processes: list[psutil.Process], keep=lambda p: True) -> float:
    """CPU time of those of `processes` that `keep` accepts; one that has ended meanwhile counts 0."""
    total = 0.0
    for p in processes:
        try:
            if keep(p):
                total += process_cpu(p)
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
    return total

