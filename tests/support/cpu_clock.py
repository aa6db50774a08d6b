"""A process's CPU time, all its threads together, to the nanosecond (the benchmarks' CPU figures).

Linux keeps a CPU-time clock per process that counts every thread, those that have ended too
(Streamlit starts a thread per script run). psutil's user + system times tick at 10 ms: as coarse
as the whole cost of one stroke, so per-trial medians landed on multiples of 10 ms.
"""
from __future__ import annotations

import sys
import time

import psutil


def process_cpu(p: psutil.Process) -> float:
    """Seconds of CPU `p` has had, all its threads together (raises if it has ended)."""
    if sys.platform == "linux":
        try:  # the process's CPU-time clock: clockid ((~pid) << 3) | CPUCLOCK_SCHED (2), as clock_getcpuclockid makes it
            return time.clock_gettime(((~p.pid) << 3) | 2)
        except OSError:  # gone meanwhile (EINVAL)
            raise ProcessLookupError(p.pid) from None
    t = p.cpu_times()
    return t.user + t.system
